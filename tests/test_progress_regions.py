"""Regions and indicators the project declares (issue 10): undeclared region ids, unknown and
ambiguous names, a project's own indicator. Expected values worked out by hand."""

from __future__ import annotations

import csv

import pandas as pd
import pytest
from openpyxl import Workbook

from ontrack.errors import InputError, InputErrors
from ontrack.progress import read_progress
from ontrack.registry import Indicator, Plan, Region, Registry, core_indicators


@pytest.fixture(scope="module")
def two_counties() -> Registry:
    """Two county plans, each with a 城关镇 (a name many counties share); 甲县 is also written
    全县 (as 平阳县 is in the example); a project indicator 专利授权量 in 件."""
    regions = [
        Region("county-a", "甲县", "甲", None, ("全县",)),
        Region("a-chengguan", "城关镇", "城关", "county-a"),
        Region("a-xinan", "新安镇", "新安", "county-a"),
        Region("county-b", "乙县", "乙"),
        Region("b-chengguan", "城关镇", "城关", "county-b"),
        Region("b-daping", "大坪乡", "大坪", "county-b"),
    ]
    patents = Indicator("patents", "专利授权量", "件", "count", "Patents granted", ("专利",))
    plans = [
        Plan("a-2025-2027", "甲县三年行动计划", "county-a", (2025, 2026, 2027),
             ("county-a", "a-chengguan", "a-xinan")),
        Plan("b-2025-2027", "乙县三年行动计划", "county-b", (2025, 2026, 2027),
             ("county-b", "b-chengguan", "b-daping")),
    ]  # fmt: skip
    return Registry(regions, [*core_indicators(), patents], plans)


def _tidy(path, rows, header=("region", "indicator", "month", "value", "basis")):
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def _values(df: pd.DataFrame) -> dict:
    return {(r.region_id, r.indicator_id, r.month): r.value for r in df.itertuples()}


def _wide(path, title: str, header: list, rows: list[list]):
    """A one-sheet report: a title row, a header row, then the rows."""
    wb = Workbook()
    ws = wb.active
    ws.title = "报表"
    ws.cell(1, 1, title)
    for r, values in enumerate([header, *rows], start=2):
        for c, v in enumerate(values, start=1):
            if v is not None:
                ws.cell(r, c, v)
    wb.save(path)
    return path


# --------------------------------------------------------------------------- undeclared ids


def test_undeclared_region_ids_are_refused_a_near_miss_with_did_you_mean(
    tmp_path, example_registry
):
    """A typo in an id (issue 23: pingyang-aojaing became a region of its own, its figures
    reaching neither 鳌江镇 nor the county, with a note and '0 条警告')."""
    path = _tidy(
        tmp_path / "mixed.csv",
        [
            ["pingyang-aojaing", "firms", "2026-03", "5", "monthly"],
            ["longwan", "firms", "2026-03", "5", "monthly"],
            ["ｐｉｎｇｙａｎｇ－ａｏｊｉａｎｇ", "talent", "2026-03", "30", "ytd"],  # full width
            ["昆阳镇", "firms", "2026-03", "4", "monthly"],
        ],
    )
    with pytest.raises(InputErrors) as ei:
        read_progress([path], example_registry)
    msgs = [str(e) for e in ei.value.errors]
    assert len(msgs) == 2
    assert msgs[0].startswith("mixed.csv | line 2: 未登记的区域代码“pingyang-aojaing”")
    assert "did you mean pingyang-aojiang?" in msgs[0]
    assert msgs[1].startswith("mixed.csv | line 3: 未知区域“longwan”")
    # the full-width id is the declared one; the rest read once the two rows are fixed
    path = _tidy(tmp_path / "fixed.csv", [
        ["pingyang-aojiang", "firms", "2026-03", "5", "monthly"],
        ["ｐｉｎｇｙａｎｇ－ａｏｊｉａｎｇ", "talent", "2026-03", "30", "ytd"],
    ])  # fmt: skip
    df, _ = read_progress([path], example_registry)
    assert _values(df) == {
        ("pingyang-aojiang", "firms", "2026-03"): 5.0,
        ("pingyang-aojiang", "talent", "2026-03"): 30.0,
    }


def test_unknown_chinese_region_name_is_refused_with_suggestions(tmp_path, example_registry):
    path = _tidy(
        tmp_path / "typo.csv",
        [
            ["昆阳镇", "firms", "2026-03", "4", "monthly"],
            ["萧将镇", "firms", "2026-03", "2", "monthly"],
        ],
    )
    with pytest.raises(InputErrors) as ei:
        read_progress([path], example_registry)
    assert len(ei.value.errors) == 1
    msg = str(ei.value.errors[0])
    # 萧将镇 (line 3) is a typo of 萧江镇
    assert msg.startswith("typo.csv | line 3: 未知区域“萧将镇”")
    assert "unknown region '萧将镇'" in msg
    assert "e.g. 萧江镇" in msg and "regions.csv" in msg


# --------------------------------------------------------------------------- ambiguous names


def test_a_name_two_regions_share_is_refused_listing_both(tmp_path, two_counties):
    path = _tidy(tmp_path / "cg.csv", [["城关镇", "firms", "2026-03", "5", "monthly"]])
    with pytest.raises(InputErrors) as ei:
        read_progress([path], two_counties)
    msg = str(ei.value.errors[0])
    assert "cg.csv | line 2: 区域名称“城关镇”不明确" in msg
    assert "ambiguous region '城关镇'" in msg
    assert "a-chengguan" in msg and "b-chengguan" in msg
    # the id in place of the name settles it
    _tidy(tmp_path / "cg.csv", [["b-chengguan", "firms", "2026-03", "5", "monthly"]])
    df, _ = read_progress([path], two_counties)
    assert _values(df) == {("b-chengguan", "firms", "2026-03"): 5.0}


def test_the_other_rows_of_a_sheet_settle_a_shared_name(tmp_path, two_counties):
    path = _tidy(
        tmp_path / "a.csv",
        [
            ["城关镇", "firms", "2026-03", "5", "monthly"],
            ["新安镇", "firms", "2026-03", "2", "monthly"],
        ],
    )
    df, log = read_progress([path], two_counties)
    # 新安镇 is 甲县's only: so this 城关镇 is 甲县's too
    assert _values(df) == {
        ("a-chengguan", "firms", "2026-03"): 5.0,
        ("a-xinan", "firms", "2026-03"): 2.0,
    }
    assert log["message_en"].str.contains("'城关镇' read as a-chengguan").any()


def test_wide_report_of_the_second_county_with_a_total_row(tmp_path, two_counties):
    path = _wide(
        tmp_path / "乙县.xlsx",
        "乙县孵化器建设进展(2026年1-6月累计)",
        ["区域", "新增在孵企业(个)"],
        [["城关镇", 7], ["大坪乡", "５"], ["全县", 12]],
    )
    df, log = read_progress([path], two_counties)
    # 城关镇 beside 大坪乡 is 乙县's; 全县 (written as 甲县's alias) is the total of 乙县's rows:
    # 7 + 5 = 12 matches, so it is checked and not emitted; 1-6月 → June, covering 6 months
    assert _values(df) == {
        ("b-chengguan", "firms", "2026-06"): 7.0,
        ("b-daping", "firms", "2026-06"): 5.0,
    }
    assert (df["covers"] == 6).all()
    assert not (log["level"] == "flag").any()
    assert log["message_en"].str.contains("matches the sum of 2 region rows").any()


def test_template_of_a_county_with_a_shared_name_reads_back(tmp_path, two_counties):
    from openpyxl import load_workbook

    from ontrack.progress.template import sheet_name, write_template

    path = write_template(two_counties, "b-2025-2027", 2026, tmp_path / "b.xlsx")
    wb = load_workbook(path)
    ws = wb[sheet_name(two_counties, "firms")]
    assert [ws.cell(r, 2).value for r in (5, 6, 7)] == ["城关镇", "大坪乡", "全县"]
    ws.cell(5, 3, 2)  # 城关镇, January
    ws.cell(6, 3, 3)  # 大坪乡, January
    wt = wb[sheet_name(two_counties, "talent")]
    wt.cell(7, 4, 9)  # only the 全县 row, February: 乙县's own value (its sheet, its rows)
    wb.save(path)
    df, _ = read_progress([path], two_counties)
    assert _values(df) == {
        ("b-chengguan", "firms", "2026-01"): 2.0,
        ("b-daping", "firms", "2026-01"): 3.0,
        ("county-b", "talent", "2026-02"): 9.0,
    }


def test_a_county_row_among_its_townships_is_their_total(tmp_path, example_registry):
    path = _wide(
        tmp_path / "平阳.xlsx",
        "平阳县进展(2026年1-3月累计)",
        ["区域", "新增在孵企业(个)"],
        [["昆阳镇①", 10], ["鳌江镇", 6], ["平阳县", 20], ["合计", 16]],
    )
    df, log = read_progress([path], example_registry)
    # 昆阳镇① is 昆阳镇 (footnote mark dropped before NFKC turns ① into 1); 平阳县 and 合计
    # are totals of the townships: 10 + 6 = 16 ≠ 20 (flagged, township rows kept), = 16 ✓
    assert _values(df) == {
        ("pingyang-kunyang", "firms", "2026-03"): 10.0,
        ("pingyang-aojiang", "firms", "2026-03"): 6.0,
    }
    flags = log[log["level"] == "flag"]
    assert len(flags) == 1 and "'平阳县' firms = 20" in flags.iloc[0]["message_en"]
    assert "add up to 16" in flags.iloc[0]["message_en"]


# --------------------------------------------------------------------------- indicators


def test_project_indicator_read_from_a_wide_sheet(tmp_path, two_counties):
    path = _wide(
        tmp_path / "甲县专利.xlsx",
        "甲县专利授权进度表(2026年1-6月)",
        ["序号", "区域", "专利授权量(件)", "备注"],
        [[1, "城关镇", 12, None], [2, "新安镇", "３", "含1件外观设计"], [None, "合计", 15, None]],
    )
    df, log = read_progress([path], two_counties)
    # 专利授权量(件): the project's indicator patents, in its own unit 件 (factor 1);
    # 1-6月 running totals → June: 城关镇 (新安镇's county) 12, 新安镇 '３' = 3; 合计 15 = 12 + 3
    assert _values(df) == {
        ("a-chengguan", "patents", "2026-06"): 12.0,
        ("a-xinan", "patents", "2026-06"): 3.0,
    }
    assert not (log["level"].isin(["error", "flag"])).any()


def test_project_indicator_in_a_tidy_table_with_its_alias(tmp_path, two_counties):
    path = _tidy(
        tmp_path / "p.csv",
        [["新安镇", "专利", "2026-04", "2", "monthly", "件"]],
        header=("region", "indicator", "month", "value", "basis", "unit"),
    )
    df, _ = read_progress([path], two_counties)
    assert _values(df) == {("a-xinan", "patents", "2026-04"): 2.0}  # alias 专利 → patents
    # a unit that does not fit (平方米 for a count) is refused
    _tidy(
        path,
        [["新安镇", "专利", "2026-04", "2", "monthly", "平方米"]],
        header=("region", "indicator", "month", "value", "basis", "unit"),
    )
    with pytest.raises(InputErrors, match="unit '平方米' does not fit patents"):
        read_progress([path], two_counties)


def test_template_with_a_project_indicator_reads_back(tmp_path, two_counties):
    from openpyxl import load_workbook

    from ontrack.progress.template import write_template

    path = write_template(
        two_counties, "a-2025-2027", 2026, tmp_path / "a.xlsx", indicators=["patents"]
    )
    wb = load_workbook(path)
    assert wb.sheetnames == ["填写说明", "专利授权量"]
    assert "专利授权量为件" in wb["填写说明"]["A4"].value  # the unit, from the registry
    ws = wb["专利授权量"]
    assert ws.cell(4, 5).value == "3月(件)"
    ws.cell(5, 5, 4)  # 城关镇 (row 5), March: 4 patents granted in March
    wb.save(path)
    df, _ = read_progress([path], two_counties)
    assert _values(df) == {("a-chengguan", "patents", "2026-03"): 4.0}
    with pytest.raises(InputError, match="unknown indicator 'nothing'"):
        write_template(two_counties, "a-2025-2027", 2026, tmp_path / "x.xlsx", ["nothing"])
