"""Round trips: YTD ↔ monthly (hypothesis), the template, the demo, and the ingest command."""

from __future__ import annotations

import csv
import shutil

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ontrack.progress import read_progress
from ontrack.progress.clean import to_ytd

# monthly values in hundredths (exact in decimal), some months not reported (None)
_month_values = st.lists(
    st.one_of(st.none(), st.integers(0, 100_000).map(lambda x: x / 100)), min_size=1, max_size=12
)


def _write_tidy(path, rows):
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(["region", "indicator", "month", "value", "basis"])
        w.writerows(rows)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(values=_month_values)
def test_monthly_to_ytd_and_back_is_lossless(tmp_path, values):
    months = [(m, v) for m, v in enumerate(values, start=1) if v is not None]
    monthly = pd.DataFrame(
        {
            "region_id": "pingyang-mabu",
            "indicator_id": "space",
            "month": [f"2026-{m:02d}" for m, _ in months],
            "value": [v for _, v in months],
        }
    )
    ytd = to_ytd(monthly)
    path = tmp_path / "ytd.csv"
    # only the reported months' running totals are written, as an office would
    _write_tidy(path, [["麻步镇", "space", r.month, repr(r.ytd), "ytd"] for r in ytd.itertuples()])
    df, _ = read_progress([path])
    # every reported month comes back with its own value; unreported months stay absent
    expected = {f"2026-{m:02d}": v for m, v in months}
    got = dict(zip(df["month"], df["value"], strict=True))
    assert got.keys() == expected.keys()
    for k in expected:
        assert got[k] == pytest.approx(expected[k], abs=1e-6)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(values=_month_values)
def test_ytd_to_monthly_and_back_is_lossless(tmp_path, values):
    # non-decreasing running totals at the reported months
    totals, t = [], 0.0
    for m, v in enumerate(values, start=1):
        if v is not None:
            t = round(t + v, 2)
            totals.append((m, t))
    path = tmp_path / "ytd.csv"
    _write_tidy(path, [["海西", "firms", f"2027-{m:02d}", repr(t), "ytd"] for m, t in totals])
    df, _ = read_progress([path])
    back = to_ytd(df)
    assert list(back["month"]) == [f"2027-{m:02d}" for m, _ in totals]
    assert back["ytd"].tolist() == pytest.approx([t for _, t in totals], abs=1e-6)


def test_template_round_trip(tmp_path):
    from openpyxl import load_workbook

    from ontrack.progress.template import sheet_name, write_template

    path = write_template("pingyang-2025-2027", 2026, tmp_path / "t.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames[0] == "填写说明"
    ws = wb[sheet_name("space")]
    assert ws.data_validations.dataValidation, "entries must be validated"
    dv = ws.data_validations.dataValidation[0]
    assert (dv.type, dv.operator, dv.formula1) == ("decimal", "greaterThanOrEqual", "0")
    labels = [ws.cell(r, 2).value for r in range(5, 15)]
    assert labels[0] == "昆阳镇" and labels[-1] == "全县" and len(labels) == 10
    # fill: 昆阳镇 (row 5) Jan 0.5, Mar 1.2 (Feb left blank); 全县 (row 14) Jan 0.5 = the sum
    ws.cell(5, 3, 0.5)
    ws.cell(5, 5, 1.2)
    ws.cell(14, 3, 0.5)
    wf = wb[sheet_name("firms")]
    wf.cell(13, 14, 7)  # 经开区 (9th township, row 13), December (column N)
    wt = wb[sheet_name("incubators_20")]
    wt.cell(14, 4, 1)  # only the 全县 row, February: kept as the county's value
    wb.save(path)
    df, log = read_progress([path])
    got = {(r.region_id, r.indicator_id, r.month): r.value for r in df.itertuples()}
    assert got == {
        ("pingyang-kunyang", "space", "2026-01"): 0.5,
        ("pingyang-kunyang", "space", "2026-03"): 1.2,
        ("pingyang-jingkaiqu", "firms", "2026-12"): 7.0,
        ("pingyang", "incubators_20", "2026-02"): 1.0,
    }
    assert (df["covers"] == 1).all()
    assert not (log["level"] == "flag").any()


def test_lucheng_template_round_trip(tmp_path):
    from openpyxl import load_workbook

    from ontrack.progress.template import sheet_name, write_template

    path = write_template("lucheng-2025-2027", 2027, tmp_path / "l.xlsx")
    wb = load_workbook(path)
    ws = wb[sheet_name("talent")]
    assert ws.cell(5, 2).value == "鹿城区" and ws.cell(6, 2).value is None
    ws.cell(5, 3 + 10, 480)  # November
    wb.save(path)
    df, _ = read_progress([path])
    assert df[["region_id", "indicator_id", "month", "value"]].values.tolist() == [
        ["lucheng", "talent", "2027-11", 480.0]
    ]


def _truth_as_reported(truth: pd.DataFrame) -> pd.DataFrame:
    """Pingyang's reports combine 1-2月: its January goes into February."""
    t = truth.copy()
    jan = (t["region_id"] != "lucheng") & t["month"].str.endswith("-01")
    t.loc[jan, "month"] = t.loc[jan, "month"].str[:5] + "02"
    return t.groupby(["region_id", "indicator_id", "month"], as_index=False)["value"].sum()


@pytest.mark.slow
def test_demo_round_trips_through_the_reader(tmp_path):
    from ontrack.progress.demo import generate, write_demo

    write_demo("2025-12", seed=3, out=tmp_path / "demo")
    df, _ = read_progress([tmp_path / "demo"])
    truth = _truth_as_reported(generate("2025-12", 3))
    m = truth.merge(df, on=["region_id", "indicator_id", "month"], how="outer", indicator=True)
    assert (m["_merge"] == "both").all()
    assert (m["value_x"] - m["value_y"]).abs().max() < 1e-6  # space in files: 0.01 万㎡ / 1 ㎡
    assert df["illustrative"].all()


def test_committed_demo_matches_the_generator():
    from conftest import ROOT

    from ontrack.progress.demo import generate

    df, log = read_progress([ROOT / "data" / "raw" / "progress" / "demo"])
    truth = _truth_as_reported(generate("2026-10", 0))
    m = truth.merge(df, on=["region_id", "indicator_id", "month"], how="outer", indicator=True)
    assert (m["_merge"] == "both").all()
    assert (m["value_x"] - m["value_y"]).abs().max() < 1e-6
    assert df["illustrative"].all()
    assert set(df["region_id"]) == {*__import__("ontrack.registry").registry.children("pingyang"),
                                    "lucheng"}  # fmt: skip
    assert not (log["level"] == "error").any()


def test_demo_file_outside_demo_folder_is_still_illustrative(tmp_path):
    from conftest import ROOT

    src = ROOT / "data" / "raw" / "progress" / "demo" / "pingyang" / "pingyang-2026-03-督查表.xlsx"
    shutil.copy(src, tmp_path / "report.xlsx")
    df, _ = read_progress([tmp_path / "report.xlsx"])
    assert len(df) and df["illustrative"].all()  # its title says 示例数据


def test_demo_model_is_seeded_and_seasonal():
    from ontrack.progress.demo import generate

    a, b = generate("2026-10", 0), generate("2026-10", 0)
    pd.testing.assert_frame_equal(a, b)
    assert not generate("2026-10", 1).equals(a)
    assert a["month"].min() == "2025-01" and a["month"].max() == "2026-10"
    assert (a["value"] >= 0).all()
    # year-end rush: Nov–Dec 2025 firms exceed Jan–Feb 2025 firms (weights 3.5 vs 0.8)
    f = a[(a.indicator_id == "firms") & a.month.str.startswith("2025")]
    assert f[f.month >= "2025-11"]["value"].sum() > f[f.month <= "2025-02"]["value"].sum()


def test_ingest_command(tmp_path, capsys):
    from conftest import FIXTURES

    from ontrack.cli import main
    from ontrack.fileio import read_csv

    out = tmp_path / "progress.csv"
    assert main(["ingest", str(FIXTURES / "progress" / "good"), "--out", str(out)]) == 0
    df = read_csv(out)
    assert len(df) == 25
    assert (tmp_path / "cleaning_log.csv").exists()
    assert "25 monthly values" in capsys.readouterr().out
    code = main(["ingest", str(FIXTURES / "progress" / "bad"), "--out", str(out)])
    assert code == 2
    err = capsys.readouterr().err
    assert "4 error(s)" in err and "昆杨镇" in err


def test_demo_pace_follows_annex2_and_lucheng_split():
    from ontrack.progress.demo import yearly_pace

    p = yearly_pace().set_index(["region_id", "indicator_id", "year"])["target"]
    # 附件2: 昆阳 2026 space 3 万㎡, 经开区 2026 "20" incubators 1, 麻步 2027 tech_firms 3
    assert p[("pingyang-kunyang", "space", 2026)] == 3
    assert p[("pingyang-jingkaiqu", "incubators_20", 2026)] == 1
    assert p[("pingyang-mabu", "tech_firms", 2027)] == 3
    # townships add up to 全县: space 16 / 22 / 32
    towns = p.drop("lucheng", level=0)
    assert towns.xs("space", level=1).groupby(level=1).sum().tolist() == [16, 22, 32]
    # Lucheng: 1600 firms over three years, 25 / 33 / 42 % → 400, 528, 672
    assert p[("lucheng", "firms", 2026)] == pytest.approx(528)
