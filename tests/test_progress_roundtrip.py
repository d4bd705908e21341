"""Round trips: YTD ↔ monthly (hypothesis), the template, the demo, and the commands."""

from __future__ import annotations

import csv
import datetime as dt
import shutil

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ontrack.cli import main
from ontrack.errors import InputErrors
from ontrack.progress import read_progress
from ontrack.progress.clean import to_ytd

EXAMPLE_PLANS = ("pingyang-2025-2027", "lucheng-2025-2027")
#: a day after every month these tests write (months after "today" are refused)
END_OF_PLANS = dt.date(2027, 12, 31)

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
def test_monthly_to_ytd_and_back_is_lossless(tmp_path, example_registry, values):
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
    if not months:  # a header and nothing else: refused, never an empty table
        with pytest.raises(InputErrors, match="no values read"):
            read_progress([path], example_registry, today=END_OF_PLANS)
        return
    df, _ = read_progress([path], example_registry, today=END_OF_PLANS)
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
def test_ytd_to_monthly_and_back_is_lossless(tmp_path, example_registry, values):
    # non-decreasing running totals at the reported months
    totals, t = [], 0.0
    for m, v in enumerate(values, start=1):
        if v is not None:
            t = round(t + v, 2)
            totals.append((m, t))
    path = tmp_path / "ytd.csv"
    _write_tidy(path, [["海西", "space", f"2027-{m:02d}", repr(t), "ytd"] for m, t in totals])
    if not totals:
        with pytest.raises(InputErrors, match="no values read"):
            read_progress([path], example_registry, today=END_OF_PLANS)
        return
    df, _ = read_progress([path], example_registry, today=END_OF_PLANS)
    back = to_ytd(df)
    assert list(back["month"]) == [f"2027-{m:02d}" for m, _ in totals]
    assert back["ytd"].tolist() == pytest.approx([t for _, t in totals], abs=1e-6)


def test_template_round_trip(tmp_path, example_registry):
    from openpyxl import load_workbook

    from ontrack.progress.template import sheet_name, write_template

    reg = example_registry
    path = write_template(reg, "pingyang-2025-2027", 2026, tmp_path / "t.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames[0] == "填写说明"
    ws = wb[sheet_name(reg, "space")]
    assert ws.data_validations.dataValidation, "entries must be validated"
    dv = ws.data_validations.dataValidation[0]
    assert (dv.type, dv.operator, dv.formula1) == ("decimal", "greaterThanOrEqual", "0")
    labels = [ws.cell(r, 2).value for r in range(5, 15)]
    assert labels[0] == "昆阳镇" and labels[-1] == "全县" and len(labels) == 10
    # fill: 昆阳镇 (row 5) Jan 0.5, Mar 1.2 (Feb left blank); 全县 (row 14) Jan 0.5 = the sum
    ws.cell(5, 3, 0.5)
    ws.cell(5, 5, 1.2)
    ws.cell(14, 3, 0.5)
    wf = wb[sheet_name(reg, "firms")]
    wf.cell(13, 14, 7)  # 经开区 (9th township, row 13), December (column N)
    wt = wb[sheet_name(reg, "incubators_20")]
    wt.cell(14, 4, 1)  # only the 全县 row, February (January blank): kept as the county's value
    wb.save(path)
    df, log = read_progress([path], reg, today=END_OF_PLANS)
    got = {(r.region_id, r.indicator_id, r.month): r.value for r in df.itertuples()}
    assert got == {
        ("pingyang-kunyang", "space", "2026-01"): 0.5,
        ("pingyang-kunyang", "space", "2026-03"): 1.2,
        ("pingyang-jingkaiqu", "firms", "2026-12"): 7.0,
        ("pingyang", "incubators_20", "2026-02"): 1.0,
    }
    covers = {(r.region_id, r.indicator_id): r.covers for r in df.itertuples()}
    # the 填写说明: "1-2月合并统计的，请将1-2月合计数填在2月列，1月留空" → the February cell with
    # January blank covers two months; every other value its own month
    assert covers == {
        ("pingyang-kunyang", "space"): 1,
        ("pingyang-jingkaiqu", "firms"): 1,
        ("pingyang", "incubators_20"): 2,
    }
    assert not (log["level"] == "flag").any()


def test_template_february_with_january_filled_is_february_alone(tmp_path, example_registry):
    from openpyxl import load_workbook

    from ontrack.progress.template import sheet_name, write_template

    reg = example_registry
    path = write_template(reg, "pingyang-2025-2027", 2026, tmp_path / "t.xlsx")
    wb = load_workbook(path)
    ws = wb[sheet_name(reg, "firms")]
    ws.cell(5, 3, 3)  # 昆阳镇 January 3
    ws.cell(5, 4, 4)  # 昆阳镇 February 4: its own month (January was reported)
    ws.cell(6, 4, 9)  # 鳌江镇 February 9, January blank: 1-2月 together
    wb.save(path)
    df, _ = read_progress([path], reg)
    rows = {(r.region_id, r.month): (r.value, r.covers) for r in df.itertuples()}
    assert rows == {
        ("pingyang-kunyang", "2026-01"): (3.0, 1),
        ("pingyang-kunyang", "2026-02"): (4.0, 1),
        ("pingyang-aojiang", "2026-02"): (9.0, 2),
    }


def test_lucheng_template_round_trip(tmp_path, example_registry):
    from openpyxl import load_workbook

    from ontrack.progress.template import sheet_name, write_template

    path = write_template(example_registry, "lucheng-2025-2027", 2027, tmp_path / "l.xlsx")
    wb = load_workbook(path)
    ws = wb[sheet_name(example_registry, "talent")]
    assert ws.cell(5, 2).value == "鹿城区" and ws.cell(6, 2).value is None
    ws.cell(5, 3 + 10, 480)  # November
    wb.save(path)
    df, _ = read_progress([path], example_registry, today=END_OF_PLANS)
    assert df[["region_id", "indicator_id", "month", "value"]].values.tolist() == [
        ["lucheng", "talent", "2027-11", 480.0]
    ]


def test_city_template_lists_the_plan_regions_in_regions_csv_order(tmp_path, example_registry):
    from openpyxl import load_workbook

    from ontrack.progress.template import sheet_name, template_regions, write_template

    # wenzhou-2025-2027/regions.csv: wenzhou (the plan's region), then lucheng, pingyang
    assert template_regions(example_registry, "wenzhou-2025-2027") == [
        ("lucheng", "鹿城区"),
        ("pingyang", "平阳县"),
        ("wenzhou", "合计"),  # 温州市 is not a 县: the total row says 合计
    ]
    path = write_template(example_registry, "wenzhou-2025-2027", 2025, tmp_path / "w.xlsx")
    ws = load_workbook(path)[sheet_name(example_registry, "firms")]
    assert [ws.cell(r, 2).value for r in (5, 6, 7)] == ["鹿城区", "平阳县", "合计"]


def test_template_refuses_unknown_plan_and_year(example_registry, tmp_path):
    from ontrack.errors import InputError
    from ontrack.progress.template import write_template

    with pytest.raises(InputError, match="unknown plan 'nowhere'"):
        write_template(example_registry, "nowhere", 2026, tmp_path / "t.xlsx")
    with pytest.raises(InputError, match="2028 is not a year of pingyang-2025-2027"):
        write_template(example_registry, "pingyang-2025-2027", 2028, tmp_path / "t.xlsx")
    assert not (tmp_path / "t.xlsx").exists()


def test_template_command_writes_inside_the_project(example_project, capsys):
    root = str(example_project.root)
    assert main(["--project", root, "template", "--year", "2026"]) == 0
    # default plan: the first plan render-all renders (ontrack.toml: pingyang-2025-2027)
    path = example_project.processed / "templates" / "pingyang-2025-2027-2026.xlsx"
    assert path.is_file()
    assert "data/processed/templates/pingyang-2025-2027-2026.xlsx" in capsys.readouterr().out


# --------------------------------------------------------------------------- the demo


def _truth_as_reported(truth: pd.DataFrame) -> pd.DataFrame:
    """Pingyang's reports combine 1-2月: its January goes into February."""
    t = truth.copy()
    jan = (t["region_id"] != "lucheng") & t["month"].str.endswith("-01")
    t.loc[jan, "month"] = t.loc[jan, "month"].str[:5] + "02"
    return t.groupby(["region_id", "indicator_id", "month"], as_index=False)["value"].sum()


@pytest.fixture(scope="module")
def example_pace(example_registry, built_project):
    from ontrack.progress.demo import yearly_pace
    from ontrack.targets import load_targets

    return yearly_pace(example_registry, load_targets(built_project), EXAMPLE_PLANS)


@pytest.mark.slow
def test_demo_round_trips_through_the_reader(example_project):
    from ontrack.progress.demo import generate, project_pace, write_demo

    reg = example_project.registry()
    written = write_demo(example_project, "2025-12", seed=3)
    demo = example_project.progress_dir / "demo"
    assert all(example_project.contains(p) and demo in p.parents for p in written)
    # the committed files (as of 2026-10) were replaced: as of 2025-12, 2025 is the current
    # year, reported one workbook a month from 1-2月 (February) to December
    names = sorted(p.name for p in (demo / "pingyang").iterdir())
    assert names == [f"pingyang-2025-{m:02d}-督查表.xlsx" for m in range(2, 13)]
    assert [p.name for p in (demo / "lucheng").iterdir()] == ["lucheng-progress-2025-2025.csv"]
    df, _ = read_progress([demo], reg, base=example_project.progress_dir)
    truth = _truth_as_reported(generate(project_pace(example_project), reg, "2025-12", 3))
    m = truth.merge(df, on=["region_id", "indicator_id", "month"], how="outer", indicator=True)
    assert (m["_merge"] == "both").all()
    assert (m["value_x"] - m["value_y"]).abs().max() < 1e-6  # space in files: 0.01 万㎡ / 1 ㎡
    assert df["illustrative"].all()
    assert df["source"].str.startswith(("demo/pingyang/", "demo/lucheng/")).all()


def test_committed_demo_matches_the_generator(example_registry, example_pace):
    from conftest import ROOT

    from ontrack.progress.demo import generate

    df, log = read_progress([ROOT / "data" / "raw" / "progress" / "demo"], example_registry)
    truth = _truth_as_reported(generate(example_pace, example_registry, "2026-10", 0))
    m = truth.merge(df, on=["region_id", "indicator_id", "month"], how="outer", indicator=True)
    assert (m["_merge"] == "both").all()
    assert (m["value_x"] - m["value_y"]).abs().max() < 1e-6
    assert df["illustrative"].all()
    assert set(df["region_id"]) == {*example_registry.children("pingyang"), "lucheng"}
    assert not (log["level"] == "error").any()


@pytest.mark.slow
def test_demo_command_regenerates_the_committed_values(example_project, capsys):
    from conftest import ROOT

    # example_project is a copy of this repository's data/raw: write the demo again over it
    root = str(example_project.root)
    assert main(["--project", root, "demo", "--as-of", "2026-10", "--seed", "0"]) == 0
    assert "under data/raw/progress/demo" in capsys.readouterr().out
    reg = example_project.registry()
    committed = ROOT / "data" / "raw" / "progress"
    old, old_log = read_progress([committed / "demo"], reg, base=committed)
    new, new_log = read_progress(
        [example_project.progress_dir / "demo"], reg, base=example_project.progress_dir
    )
    pd.testing.assert_frame_equal(old, new)  # same values, months, covers and sources
    assert sorted(old_log["message"]) == sorted(new_log["message"])


def test_demo_file_outside_demo_folder_is_still_illustrative(tmp_path, example_registry):
    from conftest import ROOT

    src = ROOT / "data" / "raw" / "progress" / "demo" / "pingyang" / "pingyang-2026-03-督查表.xlsx"
    shutil.copy(src, tmp_path / "report.xlsx")
    df, _ = read_progress([tmp_path / "report.xlsx"], example_registry)
    assert len(df) and df["illustrative"].all()  # its title says 示例数据


def test_demo_model_is_seeded_and_seasonal(example_registry, example_pace):
    from ontrack.progress.demo import generate

    a = generate(example_pace, example_registry, "2026-10", 0)
    b = generate(example_pace, example_registry, "2026-10", 0)
    pd.testing.assert_frame_equal(a, b)
    assert not generate(example_pace, example_registry, "2026-10", 1).equals(a)
    assert a["month"].min() == "2025-01" and a["month"].max() == "2026-10"
    assert (a["value"] >= 0).all()
    # year-end rush: Nov–Dec 2025 firms exceed Jan–Feb 2025 firms (weights 3.5 vs 0.8)
    f = a[(a.indicator_id == "firms") & a.month.str.startswith("2025")]
    assert f[f.month >= "2025-11"]["value"].sum() > f[f.month <= "2025-02"]["value"].sum()


def test_demo_refuses_a_month_outside_the_plans(example_registry, example_pace):
    from ontrack.errors import InputError
    from ontrack.progress.demo import generate

    with pytest.raises(InputError, match="2025-01 … 2027-12"):
        generate(example_pace, example_registry, "2028-01", 0)


def test_demo_pace_follows_annex2_and_lucheng_split(example_pace):
    p = example_pace.set_index(["region_id", "indicator_id", "year"])["target"]
    # 附件2: 昆阳 2026 space 3 万㎡, 经开区 2026 "20" incubators 1, 麻步 2027 tech_firms 3
    assert p[("pingyang-kunyang", "space", 2026)] == 3
    assert p[("pingyang-jingkaiqu", "incubators_20", 2026)] == 1
    assert p[("pingyang-mabu", "tech_firms", 2027)] == 3
    # townships add up to 全县: space 16 / 22 / 32
    towns = p.drop("lucheng", level=0)
    assert towns.xs("space", level=1).groupby(level=1).sum().tolist() == [16, 22, 32]
    # Lucheng: 1600 firms over three years, 25 / 33 / 42 % → 400, 528, 672 (not the targets
    # stage's assumed 400 / 533 / 667 city-shaped split)
    assert p[("lucheng", "firms", 2026)] == pytest.approx(528)
    assert p[("lucheng", "firms", 2027)] == pytest.approx(672)
    # only the core indicators, and not the county itself (its townships are paced)
    assert set(example_pace["indicator_id"]) == {
        "space", "firms", "talent", "tech_firms", "incubators_20"
    }  # fmt: skip
    assert "pingyang" not in set(example_pace["region_id"])


# --------------------------------------------------------------------------- commands


def test_ingest_command(example_project, capsys):
    from conftest import FIXTURES

    from ontrack.fileio import read_csv

    root = str(example_project.root)
    assert main(["--project", root, "ingest", str(FIXTURES / "progress" / "good")]) == 0
    # the folder is added to the record (data/raw/progress/good/) and the table rebuilt from
    # the whole record: the demo's values stay, the good/ files' values are there too
    df = read_csv(example_project.progress_csv)
    assert (example_project.progress_dir / "good" / "tidy_ytd.csv").is_file()
    assert df["source"].str.startswith("demo/").any()
    assert df["source"].str.startswith("good/").any()
    assert example_project.cleaning_log_csv.exists()
    out = capsys.readouterr().out
    assert "added to the record: data/raw/progress/good/report_ytd.xlsx" in out
    assert "wrote data/processed/progress.csv and data/processed/cleaning_log.csv" in out
    code = main(["--project", root, "ingest", str(FIXTURES / "progress" / "bad")])
    assert code == 2
    err = capsys.readouterr().err
    assert "4 error(s)" in err and "昆杨镇" in err and "Nothing was changed" in err
    assert not (example_project.progress_dir / "bad").exists()


def test_ingest_finds_the_project_from_the_current_folder(example_project, monkeypatch, capsys):
    from ontrack.fileio import read_csv

    monkeypatch.delenv("ONTRACK_PROJECT", raising=False)
    monkeypatch.chdir(example_project.plans_dir)  # any folder inside the project
    assert main(["ingest"]) == 0
    df = read_csv(example_project.progress_csv)
    # the default: every file under data/raw/progress/, named from there
    assert df["source"].str.startswith("demo/").all() and df["illustrative"].all()


@pytest.mark.parametrize(
    "command", [["ingest"], ["template", "--year", "2026"], ["demo", "--as-of", "2025-03"]]
)
def test_commands_write_nothing_outside_the_project(example_project, tmp_path, command, capsys):
    elsewhere = tmp_path / "elsewhere"
    code = main(["--project", str(example_project.root), *command, "--out", str(elsewhere)])
    assert code == 2
    assert "is outside the project" in capsys.readouterr().err
    assert not elsewhere.exists()


def test_commands_outside_a_project_say_so(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("ONTRACK_PROJECT", raising=False)
    monkeypatch.chdir(tmp_path)
    for command in (["ingest"], ["template", "--year", "2026"], ["demo"]):
        assert main(command) == 2
        assert "ontrack init" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
