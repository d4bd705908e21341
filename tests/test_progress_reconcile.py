"""Reports as a monitoring cycle sends them (issue 19): monthly figures, running totals that
overlap them, the county's 汇总 beside the townships' own, a county row among township rows,
gaps a later running total covers, partial months, corrections, and the layouts offices send.
Every expected value is worked out by hand in the comment beside it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from openpyxl import Workbook

from ontrack.errors import InputErrors
from ontrack.progress import read_files

TODAY = dt.date(2026, 12, 7)


def _csv(path: Path, rows: list[str], header="区域,指标,月份,本月完成") -> Path:
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def _read(reg, files: list[tuple[Path, float]], **kw):
    """read_files on (path, added) pairs, named by their file names."""
    kw.setdefault("today", TODAY)
    return read_files([(p.name, p, t) for p, t in files], reg, **kw)


def _v(df, region, ind="firms") -> dict:
    d = df[(df.region_id == region) & (df.indicator_id == ind)]
    return {m: (v, c) for m, v, c in zip(d.month, d.value, d.covers, strict=True)}


def _flags(log):
    return log[log.level == "flag"]


def test_the_county_summary_that_agrees_keeps_the_monthly_detail(tmp_path, example_registry):
    a = _csv(tmp_path / "kunyang-1-2.csv", ["昆阳镇,firms,2026-01,3", "昆阳镇,firms,2026-02,4"])
    b = _csv(tmp_path / "kunyang-3.csv", ["昆阳镇,firms,2026-03,5"])
    # the county's 汇总 of running totals: 昆阳 3 + 4 + 5 = 12, the same figure
    c = _csv(tmp_path / "county-1-3.csv", ["昆阳镇,firms,2026-03,12", "鳌江镇,firms,2026-03,7"],
             header="区域,指标,月份,累计数")  # fmt: skip
    df, log = _read(example_registry, [(a, 1.0), (b, 2.0), (c, 3.0)])
    assert _v(df, "pingyang-kunyang") == {
        "2026-01": (3, 1), "2026-02": (4, 1), "2026-03": (5, 1),
    }  # fmt: skip
    assert _v(df, "pingyang-aojiang") == {"2026-03": (7, 3)}  # 1-3月 in one value
    assert _flags(log).empty
    assert log.message.str.contains("与已有报告相符").any()


def test_a_later_summary_that_differs_wins_and_is_flagged_with_both_places(
    tmp_path, example_registry
):
    a = _csv(tmp_path / "kunyang-1-2.csv", ["昆阳镇,firms,2026-01,3", "昆阳镇,firms,2026-02,4"])
    b = _csv(tmp_path / "kunyang-3.csv", ["昆阳镇,firms,2026-03,5"])
    c = _csv(
        tmp_path / "county-1-3.csv", ["昆阳镇,firms,2026-03,14"], header="区域,指标,月份,累计数"
    )
    df, log = _read(example_registry, [(a, 1.0), (b, 2.0), (c, 3.0)])
    # the later 1-3月 total 14 wins; January and February stand, March becomes 14 - 3 - 4 = 7
    assert _v(df, "pingyang-kunyang") == {
        "2026-01": (3, 1), "2026-02": (4, 1), "2026-03": (7, 1),
    }  # fmt: skip
    f = _flags(log)
    assert len(f) == 1
    msg = f.iloc[0].message
    assert "14" in msg and "12" in msg and "county-1-3.csv" in msg and "kunyang-3.csv" in msg


def test_a_running_total_covers_a_month_nobody_reported(tmp_path, example_registry):
    a = _csv(tmp_path / "jan-feb.csv", ["昆阳镇,firms,2026-01,3", "昆阳镇,firms,2026-02,4"])
    b = _csv(tmp_path / "apr.csv", ["昆阳镇,firms,2026-04,6"])  # March was left blank
    df, _ = _read(example_registry, [(a, 1.0), (b, 2.0)])
    # March unknown: absent, never 0; April is April's own
    assert _v(df, "pingyang-kunyang") == {
        "2026-01": (3, 1), "2026-02": (4, 1), "2026-04": (6, 1),
    }  # fmt: skip
    c = _csv(tmp_path / "ytd-4.csv", ["昆阳镇,firms,2026-04,18"], header="区域,指标,月份,累计数")
    df, log = _read(example_registry, [(a, 1.0), (b, 2.0), (c, 3.0)])
    # 1-4月 18 = 3 + 4 + March + 6: March = 5
    assert _v(df, "pingyang-kunyang") == {
        "2026-01": (3, 1), "2026-02": (4, 1), "2026-03": (5, 1), "2026-04": (6, 1),
    }  # fmt: skip
    assert _flags(log).empty


def test_skipped_months_between_running_totals_are_one_value(tmp_path, example_registry):
    a = _csv(tmp_path / "ytd-5.csv", ["昆阳镇,firms,2026-05,10"], header="区域,指标,月份,累计数")
    b = _csv(tmp_path / "ytd-8.csv", ["昆阳镇,firms,2026-08,25"], header="区域,指标,月份,累计数")
    df, _ = _read(example_registry, [(a, 1.0), (b, 2.0)])
    # 1-5月 10, then 1-8月 25: June-August together 15, recorded in August (covers 3)
    assert _v(df, "pingyang-kunyang") == {"2026-05": (10, 5), "2026-08": (15, 3)}


def test_a_template_s_months_then_a_running_total_for_the_next_month(tmp_path, example_registry):
    """A township's November 1-11月累计 after its monthly columns (January and February apart):
    refused before this issue ('reported twice ...')."""
    months = [f"昆阳镇,firms,2026-{m:02d},{m}" for m in range(1, 11)]  # 1 + 2 + ... + 10 = 55
    a = _csv(tmp_path / "months.csv", months)
    b = _csv(tmp_path / "ytd-11.csv", ["昆阳镇,firms,2026-11,66"], header="区域,指标,月份,累计数")
    df, log = _read(example_registry, [(a, 1.0), (b, 2.0)])
    v = _v(df, "pingyang-kunyang")
    assert v["2026-11"] == (11, 1)  # 66 - 55
    assert v["2026-03"] == (3, 1) and len(v) == 11
    assert _flags(log).empty


def test_two_reports_that_disagree_and_cannot_be_ordered_are_an_error(tmp_path, example_registry):
    a = _csv(tmp_path / "a.csv", ["昆阳镇,firms,2026-03,12"], header="区域,指标,月份,累计数")
    b = _csv(tmp_path / "b.csv", ["昆阳镇,firms,2026-03,13"], header="区域,指标,月份,累计数")
    with pytest.raises(InputErrors) as ei:
        _read(example_registry, [(a, 5.0), (b, 5.0)])
    msg = str(ei.value)
    assert "无法判断哪份较晚" in msg and "which report is later cannot be told" in msg
    # the same figure twice, added at once: no error (it agrees)
    c = _csv(tmp_path / "c.csv", ["昆阳镇,firms,2026-03,12"], header="区域,指标,月份,累计数")
    df, _ = _read(example_registry, [(a, 5.0), (c, 5.0)])
    assert _v(df, "pingyang-kunyang") == {"2026-03": (12, 3)}


def test_a_correction_of_one_month_replaces_that_month_only(tmp_path, example_registry):
    a = _csv(tmp_path / "q1.csv", [f"昆阳镇,firms,2026-0{m},{m}" for m in (1, 2, 3)])
    b = _csv(tmp_path / "fix-feb.csv", ["昆阳镇,firms,2026-02,9"])
    df, log = _read(example_registry, [(a, 1.0), (b, 2.0)])
    assert _v(df, "pingyang-kunyang") == {
        "2026-01": (1, 1), "2026-02": (9, 1), "2026-03": (3, 1),
    }  # fmt: skip
    f = _flags(log)
    assert len(f) == 1 and "较早报告的 2（q1.csv | line 3）被较晚报告的 9" in f.iloc[0].message


def test_one_county_row_never_replaces_its_townships(tmp_path, example_registry):
    """平阳县,firms,2026-11,6 beside the townships' rows: compared, never used in their place
    (it made the county's 2026 firms 6 instead of the townships' sum before this issue)."""
    towns = [f"昆阳镇,firms,2026-{m:02d},{m}" for m in range(1, 12)]  # 1 + ... + 11 = 66
    towns += [f"鳌江镇,firms,2026-{m:02d},2" for m in range(1, 12)]  # 22
    a = _csv(tmp_path / "towns.csv", towns)
    b = _csv(tmp_path / "county-row.csv", ["平阳县,firms,2026-11,6"])
    df, log = _read(example_registry, [(a, 1.0), (b, 2.0)])
    assert "pingyang" not in set(df.region_id)
    assert sum(v for v, _ in _v(df, "pingyang-kunyang").values()) == 66
    f = _flags(log)
    # November: 11 + 2 = 13 against the county's 6
    assert len(f) == 1 and "本级填报 6" in f.iloc[0].message and "之和 13" in f.iloc[0].message
    # the same figure (13): a note, no flag
    c = _csv(tmp_path / "county-ok.csv", ["平阳县,firms,2026-11,13"])
    df, log = _read(example_registry, [(a, 1.0), (c, 2.0)])
    assert _flags(log).empty and "pingyang" not in set(df.region_id)


def test_a_county_figure_for_a_year_its_townships_did_not_report_is_kept(
    tmp_path, example_registry
):
    """The opening figure of a three-year target: the county's 2025 year-end total, townships
    reporting from 2026 only."""
    a = _csv(tmp_path / "towns-2026.csv", ["昆阳镇,firms,2026-01,3", "鳌江镇,firms,2026-01,2"])
    b = _csv(tmp_path / "county-2025.csv", ["平阳县,firms,2025年1-12月,150"],
             header="区域,指标,月份,累计数")  # fmt: skip
    df, log = _read(example_registry, [(a, 1.0), (b, 2.0)])
    assert _v(df, "pingyang") == {"2025-12": (150, 12)}
    assert _flags(log).empty


def test_a_report_to_a_day_of_the_month_is_that_month_so_far(tmp_path, example_registry):
    a = _csv(tmp_path / "ytd-11.csv", ["昆阳镇,firms,2026-11,35"], header="区域,指标,月份,累计数")
    b = _csv(tmp_path / "dec-5.csv", ["昆阳镇,firms,截至2026年12月5日,40"],
             header="区域,指标,月份,累计数")  # fmt: skip
    df, _ = _read(example_registry, [(a, 1.0), (b, 2.0)])
    d = df[df.region_id == "pingyang-kunyang"].set_index("month")
    assert d.loc["2026-12", "value"] == 5 and d.loc["2026-12", "through_day"] == 5
    assert d.loc["2026-11", "through_day"] == 0
    # the whole of December later: the part-month figure is not used
    c = _csv(tmp_path / "ytd-12.csv", ["昆阳镇,firms,2026-12,47"], header="区域,指标,月份,累计数")
    df, log = _read(example_registry, [(a, 1.0), (b, 2.0), (c, 3.0)], today=dt.date(2027, 1, 5))
    d = df[df.region_id == "pingyang-kunyang"].set_index("month")
    assert d.loc["2026-12", "value"] == 12 and d.loc["2026-12", "through_day"] == 0
    assert log.message.str.contains("已有到12月底的报告").any()


def test_a_report_to_a_day_still_to_come_is_refused(tmp_path, example_registry):
    b = _csv(tmp_path / "dec-25.csv", ["昆阳镇,firms,截至2026年12月25日,40"],
             header="区域,指标,月份,累计数")  # fmt: skip
    with pytest.raises(InputErrors) as ei:
        _read(example_registry, [(b, 1.0)])
    assert "晚于当前月份" in str(ei.value) and "12月25日" in str(ei.value)


def test_a_month_inside_a_later_total_that_exceeds_it_is_flagged(tmp_path, example_registry):
    a = _csv(tmp_path / "mar.csv", ["鳌江镇,space,2026-03,0.5"], header="区域,指标,月份,本月完成")
    b = _csv(tmp_path / "ytd.csv", ["鳌江镇,space,2026-09,0.3"], header="区域,指标,月份,累计数")
    df, log = _read(example_registry, [(a, 1.0), (b, 2.0)])
    assert _v(df, "pingyang-aojiang", "space") == {"2026-09": (0.3, 9)}
    f = _flags(log)
    assert len(f) == 1 and "大于包含它的" in f.iloc[0].message


def _township_ytd(path: Path) -> Path:
    """A township's own year-to-date sheet: the township in the title, indicators as rows."""
    wb = Workbook()
    ws = wb.active
    ws.append(["昆阳镇大孵化器集群建设主要指标完成情况（2026年1-9月）"])
    ws.append(["填报单位：昆阳镇人民政府", None, None, "填报日期：2026年10月8日"])
    ws.append(["序号", "指标", "单位", "本年目标", "1-9月累计完成", "完成率"])
    ws.append([1, "新增孵化空间面积", "万平方米", 5, 2.1, "42%"])
    ws.append([2, "新增在孵企业(项目)", "个", 40, 25, "62.5%"])
    ws.append([3, "新增创新创业人才", "人", 400, None, None])  # blank: not reported
    ws.append(["注：空白为未报送"])
    wb.save(path)
    return path


def _county_year_end(path: Path) -> Path:
    """The county's year-end table: 乡镇 / 指标 / 年度目标 / 1-12月累计完成 / 完成率."""
    wb = Workbook()
    ws = wb.active
    ws.title = "2025年度"
    ws.append(["平阳县大孵化器集群建设2025年度目标完成情况"])
    ws.append(["乡镇", "指标", "年度目标", "1-12月累计完成", "完成率"])
    ws.append(["昆阳镇", "新增在孵企业", 40, 38, "95%"])
    ws.append(["鳌江镇", "新增在孵企业", 30, 33, "110%"])
    ws.append(["合计", "新增在孵企业", 70, 71, "101%"])
    wb.save(path)
    return path


def test_the_layouts_offices_send_are_read(tmp_path, example_registry):
    a = _township_ytd(tmp_path / "kunyang-ytd.xlsx")
    b = _county_year_end(tmp_path / "county-2025.xlsx")
    df, log = _read(example_registry, [(a, 1.0), (b, 2.0)])
    assert _v(df, "pingyang-kunyang") == {"2025-12": (38, 12), "2026-09": (25, 9)}
    assert _v(df, "pingyang-kunyang", "space") == {"2026-09": (2.1, 9)}
    assert _v(df, "pingyang-aojiang") == {"2025-12": (33, 12)}
    assert _v(df, "pingyang-kunyang", "talent") == {}  # blank = not reported, not 0
    # the year-end table's 合计 (71 = 38 + 33) is checked, not read as data
    assert log.message.str.contains("与 2 个区域之和相符").any()
    assert _flags(log).empty


def test_unknown_rows_refuse_the_file_unless_asked_to_skip_them(tmp_path, example_registry):
    a = _csv(tmp_path / "towns.csv", ["昆阳镇,firms,2026-01,3", "青街乡,firms,2026-01,2"])
    with pytest.raises(InputErrors) as ei:
        _read(example_registry, [(a, 1.0)])
    assert "未知区域“青街乡”" in str(ei.value)
    df, log = _read(example_registry, [(a, 1.0)], skip_unknown=["towns.csv"])
    assert _v(df, "pingyang-kunyang") == {"2026-01": (3, 1)}
    f = _flags(log)
    assert (
        len(f) == 1 and "青街乡" in f.iloc[0].message and "--skip-unknown" in f.iloc[0].message_en
    )


def test_messages_suggest_the_project_s_own_regions(tmp_path):
    """A project without the bundled plans is never told about 昆阳镇 / 鳌江."""
    from ontrack.registry import Plan, Region, Registry, core_indicators

    reg = Registry(
        [Region("lw", "龙湾区"), Region("lw-yz", "永中街道", parent="lw"),
         Region("lw-pz", "蒲州街道", parent="lw")],
        core_indicators(),
        [Plan("lw-plan", "龙湾计划", "lw", years=(2025, 2027), regions=("lw", "lw-yz", "lw-pz"))],
    )  # fmt: skip
    a = _csv(tmp_path / "x.csv", ["永中街,firms,2026-01,3"])
    wb = Workbook()
    wb.active.append(["无区域的表"])
    wb.active.append(["a", "b"])
    wb.active.append([1, 2])
    wb.save(tmp_path / "y.xlsx")
    with pytest.raises(InputErrors) as ei:
        _read(reg, [(a, 1.0), (tmp_path / "y.xlsx", 1.0)])
    msg = str(ei.value)
    assert "永中街道" in msg and "昆阳" not in msg and "鳌江" not in msg
