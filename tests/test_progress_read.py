"""Reading the hand-made fixtures (fixtures/progress/make_fixtures.py), worked out by hand."""

from __future__ import annotations

import pandas as pd
import pytest
from openpyxl import Workbook

from ontrack.errors import InputErrors
from ontrack.progress import read_progress


@pytest.fixture(scope="module")
def good(example_registry):
    from conftest import FIXTURES

    return read_progress([FIXTURES / "progress" / "good"], example_registry)


def _v(df: pd.DataFrame, region: str, ind: str, month: str) -> float:
    sel = df[(df.region_id == region) & (df.indicator_id == ind) & (df.month == month)]
    assert len(sel) == 1, f"{region} {ind} {month}: {len(sel)} rows"
    return float(sel["value"].iloc[0])


def _absent(df: pd.DataFrame, region: str, ind: str, month: str) -> bool:
    return df[(df.region_id == region) & (df.indicator_id == ind) & (df.month == month)].empty


def test_good_fixtures_give_exactly_the_expected_rows(good):
    df, _ = good
    # report_ytd: 10 rows (kunyang space 2, firms 2; aojiang space 2, firms 1; jingkaiqu space 1,
    # firms 2); report_periods: 3 (quarter) + 2 (截至) + 1 (全县); tidy_ytd: 4 + 2; tidy_monthly: 3
    assert len(df) == 10 + 6 + 6 + 3
    assert not df.duplicated(["region_id", "indicator_id", "month"]).any()
    assert set(df.columns) >= {"region_id", "indicator_id", "month", "value", "source"}


def test_ytd_report_with_units_and_cell_quirks(good):
    df, _ = good
    # 1-2月 sheet, space in 平方米: '12,500' ÷ 10000 = 1.25 → Feb (January absent, combined)
    assert _v(df, "pingyang-kunyang", "space", "2026-02") == pytest.approx(1.25)
    assert _absent(df, "pingyang-kunyang", "space", "2026-01")
    # 3月 sheet in 万㎡: 1.25 − 1.25 = 0 (a month with nothing achieved is a real 0)
    assert _v(df, "pingyang-kunyang", "space", "2026-03") == pytest.approx(0.0)
    # firms: full-width '３５' = 35; 41 − 35 = 6
    assert _v(df, "pingyang-kunyang", "firms", "2026-02") == 35
    assert _v(df, "pingyang-kunyang", "firms", "2026-03") == 6
    # '鳌江 ' (trailing space) 8000 平方米 = 0.8; then '1.5' 万㎡: 1.5 − 0.8 = 0.7
    assert _v(df, "pingyang-aojiang", "space", "2026-02") == pytest.approx(0.8)
    assert _v(df, "pingyang-aojiang", "space", "2026-03") == pytest.approx(0.7)
    # 鳌江 firms '—' in 1-2月 = nothing reported, so 1-3月 = 3 covers Jan–Mar, recorded in March
    assert _v(df, "pingyang-aojiang", "firms", "2026-03") == 3
    assert _absent(df, "pingyang-aojiang", "firms", "2026-02")
    # 平阳经济开发区 / 经开区: space '无' then '0.6①' → 0.6 covering Jan–Mar; firms '5*' then '８'
    assert _v(df, "pingyang-jingkaiqu", "space", "2026-03") == pytest.approx(0.6)
    assert _v(df, "pingyang-jingkaiqu", "firms", "2026-02") == 5
    assert _v(df, "pingyang-jingkaiqu", "firms", "2026-03") == 8 - 5


def test_covers_counts_the_months_a_value_spans(good):
    df, _ = good
    row = df[(df.region_id == "pingyang-aojiang") & (df.indicator_id == "firms")].iloc[0]
    assert row["covers"] == 3  # 1-3月, nothing reported before
    row = df[(df.region_id == "pingyang-kunyang") & (df.month == "2026-02")].iloc[0]
    assert row["covers"] == 2  # 1-2月 combined


def test_total_rows_checked_and_not_emitted(good):
    df, log = good
    # 合计 rows are not data; 1-2月 space 20500 ㎡ = 1.25+0.8 ✓, 3月 3.40 ≠ 1.25+1.5+0.6 = 3.35
    flags = log[(log.level == "flag") & log.message_en.str.startswith("total")]
    assert len(flags) == 1
    f = flags.iloc[0]
    assert (f["sheet"], f["cell"]) == ("3月", "D8")
    assert "3.35" in f["message"] and "D5, D6, D7" in f["message"]
    # the flag names the county it concerns, so that its briefing shows it
    assert (f["region_id"], f["indicator_id"], f["month"]) == ("pingyang", "space", "2026-03")
    # the county (pingyang) appears only from the 全县-only sheet, not from the 合计 rows
    assert set(df[df.region_id == "pingyang"]["indicator_id"]) == {"incubators_20"}


def test_quarter_as_of_and_county_only_sheets(good):
    df, _ = good
    # 第三季度: 7-9月 → recorded in September, covers 3; '1,200' = 1200
    assert _v(df, "pingyang-shuitou", "firms", "2026-09") == 12
    assert _v(df, "pingyang-shuitou", "talent", "2026-09") == 1200
    assert _v(df, "pingyang-xiaojiang", "firms", "2026-09") == 7  # '７'
    assert _absent(df, "pingyang-xiaojiang", "talent", "2026-09")  # '—'
    # 截至2026年9月底 = 1-9月 running total: 万全镇 4, 麻步镇 ' 2 ' = 2, 腾蛟 '—' absent
    assert _v(df, "pingyang-wanquan", "tech_firms", "2026-09") == 4
    assert _v(df, "pingyang-mabu", "tech_firms", "2026-09") == 2
    assert _absent(df, "pingyang-tengjiao", "tech_firms", "2026-09")
    # 全县 alone (no townships): kept as the county's value, 1-6月 → June
    assert _v(df, "pingyang", "incubators_20", "2026-06") == 1


def test_tidy_csv_ytd_with_gap_and_revision(good):
    df, log = good
    # running totals 30 (1-2月), 50 (1-3月), 90 (1-5月), 85 (1-6月: revised down)
    assert _v(df, "pingyang-haixi", "talent", "2026-02") == 30
    assert _v(df, "pingyang-haixi", "talent", "2026-03") == 50 - 30
    # 90 − 50 = 40 for Apr–May, minus the 5 taken back by the revision = 35; June = 0
    assert _v(df, "pingyang-haixi", "talent", "2026-05") == 35
    assert _absent(df, "pingyang-haixi", "talent", "2026-04")
    assert _v(df, "pingyang-haixi", "talent", "2026-06") == 0
    # the months add up to the latest (revised) total: 30 + 20 + 35 + 0 = 85
    haixi = df[(df.region_id == "pingyang-haixi") & (df.indicator_id == "talent")]
    assert haixi["value"].sum() == 85
    rev = log[log.message_en.str.contains("revision")]
    assert len(rev) == 1 and "line 4" in rev.iloc[0]["message"] and rev.iloc[0]["cell"] == "line 5"
    # monthly rows; the blank March is absent, not zero
    assert _v(df, "pingyang-tengjiao", "firms", "2026-01") == 3
    assert _v(df, "pingyang-tengjiao", "firms", "2026-02") == 4
    assert _absent(df, "pingyang-tengjiao", "firms", "2026-03")


def test_tidy_xlsx_with_unit_column(good):
    df, _ = good
    assert _v(df, "lucheng", "space", "2026-01") == pytest.approx(0.5)  # 5000 平方米
    assert _absent(df, "lucheng", "space", "2026-02")  # '—'
    assert _v(df, "lucheng", "space", "2026-03") == pytest.approx(1.2)  # 12000 ㎡, '2026年3月'
    assert _v(df, "lucheng", "firms", "2026-03") == 15  # '１５'


def test_every_row_has_a_source_naming_file_sheet_and_cell(good):
    df, _ = good
    assert df["source"].str.contains(r"\.(?:xlsx|csv) \| ").all()
    row = df[(df.region_id == "pingyang-kunyang") & (df.month == "2026-03")]
    # a file outside the project's progress folder is named from the folder given: good/…
    assert row["source"].str.contains("good/report_ytd.xlsx | 3月 | G5", regex=False).any()
    assert not df["illustrative"].any()


def test_sources_are_relative_to_the_base_folder(example_registry):
    from conftest import FIXTURES

    base = FIXTURES / "progress"
    df, _ = read_progress([base / "good" / "tidy_ytd.csv"], example_registry, base=base)
    assert df["source"].str.startswith("good/tidy_ytd.csv | line ").all()
    df, _ = read_progress([base / "good" / "tidy_ytd.csv"], example_registry)
    assert df["source"].str.startswith("tidy_ytd.csv | line ").all()  # a file alone: its name


def test_footnote_marks_are_noted_in_the_log(good):
    _, log = good
    # '0.6①' and '5*' (report_ytd.xlsx): read as 0.6 and 5, and the log says so
    assert log["message_en"].str.contains("read '0.6①' as 0.6", regex=False).any()
    assert log["message"].str.contains("“5*”读作 5", regex=False).any()


def test_split_jan_feb_even(example_registry):
    from conftest import FIXTURES

    df, _ = read_progress([FIXTURES / "progress" / "good"], example_registry, split_jan_feb="even")
    # 1-2月 1.25 → January 0.625 + February 0.625
    assert _v(df, "pingyang-kunyang", "space", "2026-01") == pytest.approx(0.625)
    assert _v(df, "pingyang-kunyang", "space", "2026-02") == pytest.approx(0.625)
    # 1-3月 spans are not split (only 1-2月): aojiang firms stays in March
    assert _absent(df, "pingyang-aojiang", "firms", "2026-01")


def test_bad_file_lists_all_errors_with_places_and_suggestions(example_registry):
    from conftest import FIXTURES

    with pytest.raises(InputErrors) as ei:
        read_progress([FIXTURES / "progress" / "bad"], example_registry)
    msgs = [str(e) for e in ei.value.errors]
    assert len(msgs) == 4
    text = "\n".join(msgs)
    # Chinese first (what office staff act on), English on the next line
    assert "bad_names.xlsx | 督查表 | B4: 未知区域“昆杨镇”" in text
    assert "unknown region '昆杨镇'" in text
    assert "昆阳镇" in next(m for m in msgs if "昆杨镇" in m)  # suggestion
    assert "bad_names.xlsx | 督查表 | D3: 未知指标“新增孵化载体投资额(万元)”" in text
    assert "unknown indicator '新增孵化载体投资额(万元)'" in text
    assert "新增孵化空间面积" in next(m for m in msgs if "投资额" in m)
    assert "| C5: 不是数字：'十二'" in text and "not a number: '十二'" in text
    assert "| E3: “新增孵化空间面积”未注明单位" in text
    assert (ei.value.log["level"] == "error").sum() == 4


def test_a_later_report_replaces_an_earlier_one_and_the_log_says_so(example_registry):
    from conftest import FIXTURES

    dup = FIXTURES / "progress" / "dup"
    df, log = read_progress([dup], example_registry)
    # report_b (填报日期 2026-10-15, 32) is later than report_a (2026-10-08, 30): b wins
    assert _v(df, "pingyang-kunyang", "firms", "2026-09") == 32
    source = df.set_index("region_id").loc["pingyang-kunyang", "source"]
    assert "report_b.xlsx | Sheet1 | B4" in source
    rep = log[log.level == "flag"]
    assert len(rep) == 1
    r = rep.iloc[0]
    # logged with the old value, the new value and both sources, at the later report's cell
    assert (r["file"], r["cell"]) == ("dup/report_b.xlsx", "B4")
    about = (r["region_id"], r["indicator_id"], r["month"])
    assert about == ("pingyang-kunyang", "firms", "2026-09")
    assert r["message_en"] == (
        "pingyang-kunyang firms 2026年1-9月: 30 (dup/report_a.xlsx | Sheet1 | B4) replaced by 32 "
        "from the later report (dup/report_b.xlsx | Sheet1 | B4)"
    )
    assert r["message"] == (
        "昆阳镇“新增在孵企业(项目)”2026年1-9月：较早报告的 30（dup/report_a.xlsx | Sheet1 | B4）"
        "被较晚报告的 32（dup/report_b.xlsx | Sheet1 | B4）替换"
    )


def test_the_same_thing_twice_in_one_file_is_an_error(tmp_path, example_registry):
    path = tmp_path / "twice.csv"
    path.write_text(
        "region,indicator,month,value\n昆阳镇,firms,2026-03,4\n昆阳,firms,2026-03,5\n",
        encoding="utf-8",
    )
    with pytest.raises(InputErrors) as ei:
        read_progress([path], example_registry)
    msg = str(ei.value)
    assert "报了不止一次" in msg and "reported more than once in one file" in msg


def test_missing_path_and_bad_option(example_registry):
    with pytest.raises(InputErrors, match="no such file"):
        read_progress(["/nonexistent/progress.xlsx"], example_registry)
    with pytest.raises(InputErrors, match="split_jan_feb"):
        read_progress([], example_registry, split_jan_feb="proportional")


def test_raw_files_are_not_modified(example_registry):
    from conftest import FIXTURES

    from ontrack.fileio import sha256

    files = sorted((FIXTURES / "progress" / "good").iterdir())
    before = {f.name: sha256(f) for f in files}
    read_progress([FIXTURES / "progress" / "good"], example_registry)
    assert {f.name: sha256(f) for f in files} == before


def test_month_column_beside_running_total_reads_both(example_registry):
    from conftest import FIXTURES

    df, log = read_progress([FIXTURES / "progress" / "both"], example_registry)
    # 昆阳镇: 本月 4, 累计 30 → May is 4 and January–April together 30 − 4 = 26
    assert _v(df, "pingyang-kunyang", "firms", "2026-05") == 4
    assert _v(df, "pingyang-kunyang", "firms", "2026-04") == 26
    k = df[df.region_id == "pingyang-kunyang"].set_index("month")
    assert (k.loc["2026-04", "covers"], k.loc["2026-05", "covers"]) == (4, 1)
    # 鳌江镇: 本月 '—', 累计 12
    assert _v(df, "pingyang-aojiang", "firms", "2026-05") == 12
    assert (log["level"] != "flag").all()


def test_month_column_that_contradicts_the_running_total_is_flagged(tmp_path, example_registry):
    """本月 and 累计 in one sheet that disagree given the month before (issue 23: the running
    total won with no flag): the running total wins, flagged naming both cells."""
    wb = Workbook()
    ws = wb.active
    ws.append(["2026年1-4月进度"])
    ws.append(["乡镇", "新增在孵企业累计完成(个)"])
    ws.append(["昆阳镇", 20])
    wb.save(tmp_path / "apr.xlsx")
    wb = Workbook()
    ws = wb.active
    ws.append(["2026年1-5月进度"])
    ws.append(["乡镇", "新增在孵企业本月完成(个)", "新增在孵企业累计完成(个)"])
    ws.append(["昆阳镇", 4, 30])  # 20 + 4 = 24, not 30
    wb.save(tmp_path / "may.xlsx")
    import os

    os.utime(tmp_path / "apr.xlsx", (1, 1))
    df, log = read_progress([tmp_path / "apr.xlsx", tmp_path / "may.xlsx"], example_registry)
    assert _v(df, "pingyang-kunyang", "firms", "2026-05") == 10  # 30 − 20: the running total
    flags = log[log["level"] == "flag"]
    assert len(flags) == 1
    msg = flags.iloc[0]["message"]
    assert "30" in msg and "24" in msg and "may.xlsx | Sheet | B3" in msg
