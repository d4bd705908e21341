"""The headline paragraph from a hand-built attainment table (expected sentences worked by hand)."""

from __future__ import annotations

import pandas as pd
import pytest

from ontrack.briefing.fmt import fmt_num, fmt_pct
from ontrack.briefing.narrative import (
    biggest_risk,
    headline,
    months_elapsed,
    months_left,
)


@pytest.fixture(scope="module")
def reg(example_registry):
    """Names of the example plans' regions and indicators (平阳县, 新增孵化空间面积 …)."""
    return example_registry


def _row(region, ind, target, actual, p, rag, level="baseline", ys=2026, ye=2026):
    return dict(
        plan_id="pingyang-2025-2027", region_id=region, indicator_id=ind, year_start=ys,
        year_end=ye, level=level, target=target, actual_to_date=actual, p_meet=p,
        proj_p10=0.0, proj_p50=0.0, proj_p90=0.0, required_per_month=0.0,
        linear_pace="behind", rag=rag,
    )  # fmt: skip


def _table():
    return pd.DataFrame(
        [
            _row("pingyang", "space", 20, 6, 0.12, "red"),
            _row("pingyang", "firms", 300, 240, 0.9, "green"),
            _row("pingyang", "talent", 2000, 1200, 0.6, "amber"),
            _row("pingyang", "space", 25, 6, 0.05, "red", level="stretch"),
            _row("pingyang-kunyang", "firms", 100, 10, 0.01, "red"),  # another region: ignored
            _row("pingyang", "firms", 250, 100, 0.0, "red", ys=2025, ye=2025),  # last year: ignored
        ]
    )


def test_county_headline_in_chinese(reg):
    text = headline(_table(), "pingyang", "2026-09", "zh", reg)
    # 3 baseline targets of 2026 for Pingyang: firms green, talent amber, space red.
    assert text.startswith(
        "截至2026年9月，平阳县纳入评估的3项目标（基线）中，"
        "1项预计能够完成（绿色）、1项存在风险（黄色）、1项完成困难（红色）。"
    )
    # Biggest risk = lowest p_meet among amber/red baseline rows: space (0.12).
    # Done 6 of 20 = 30 %.
    assert (
        "风险最大的是“新增孵化空间面积”：2026年目标20万平方米，目前已完成6万平方米（30%），" in text
    )
    assert "按现有趋势完成的概率约为12%。" in text
    # Months left after September: 3; needed (20 − 6) / 3 = 4.666… → 4.67;
    # so far 6 / 9 months = 0.666… → 0.67; ratio 4.667 / 0.667 = 7.0.
    assert (
        "要完成目标，剩余3个月平均每月需完成4.67万平方米，是此前月均（0.67万平方米）的7.0倍。"
        in text
    )
    # One stretch (高线) target with p 0.05 < 0.5.
    assert text.endswith("1项高线目标中，0项完成的可能性在一半以上。")


def test_headline_in_english(reg):
    text = headline(_table(), "pingyang", "2026-09", "en", reg)
    assert text.startswith(
        "As of September 2026, of the 3 baseline targets of Pingyang: 1 likely to be met (green), "
        "1 at risk (amber) and 1 unlikely to be met (red)."
    )
    assert "The biggest risk is New incubation space" in text
    assert "the remaining 3 months must add 4.67 ×10,000 m² a month on average, 7.0 times" in text


def test_all_green_and_no_risk_sentence(reg):
    t = pd.DataFrame(
        [
            _row("lucheng", "firms", 100, 90, 0.95, "green"),
            _row("lucheng", "talent", 10, 9, 0.85, "green"),
        ]
    )
    assert (
        headline(t, "lucheng", "2026-09", reg=reg)
        == "截至2026年9月，鹿城区纳入评估的2项目标（基线）预计全部能够完成（绿色）。"
    )


def test_no_targets_and_unknown_region(reg):
    text = headline(_table(), "somewhere-new", "2026-09", reg=reg)
    assert text == "截至2026年9月，somewhere-new暂无可评估的目标（没有对应的进度数据）。"


def test_cumulative_target_pace_and_near_zero_probability(reg):
    t = pd.DataFrame([_row("pingyang", "space", 70, 21, 0.004, "red", ys=2025, ye=2027)])
    text = headline(t, "pingyang", "2026-09", reg=reg)
    # 2025-01 … 2026-09 = 21 months elapsed; 2026-10 … 2027-12 = 15 months left.
    # Needed (70 − 21) / 15 = 3.266… → 3.27; so far 21 / 21 = 1; ratio 3.3.
    assert "2025—2027年累计目标70万平方米，目前已完成21万平方米（30%），" in text
    # p = 0.004: under 1%, said as the tables say it (<1%), never "0%"
    assert "按现有趋势几乎不可能完成（概率<1%）" in text
    assert "剩余15个月平均每月需完成3.27万平方米，是此前月均（1万平方米）的3.3倍。" in text


def test_biggest_risk_ties_go_to_the_lower_share_done():
    t = pd.DataFrame(
        [_row("x", "firms", 100, 50, 0.2, "red"), _row("x", "talent", 100, 20, 0.2, "red")]
    )
    assert biggest_risk(t)["indicator_id"] == "talent"  # 20 % done < 50 % done


def test_month_arithmetic():
    assert months_elapsed(2026, "2026-09") == 9
    assert months_left(2026, "2026-09") == 3
    assert months_left(2026, "2026-12") == 0
    assert months_elapsed(2025, "2026-01") == 13


def test_number_and_percent_formats():
    assert fmt_num(3000) == "3,000"
    assert fmt_num(27.25) == "27.2" or fmt_num(27.25) == "27.3"  # one decimal at ≥ 10
    assert fmt_num(12.0) == "12"
    assert fmt_num(0.3333) == "0.33"
    assert fmt_pct(0.345) == "35%"  # half up
    assert fmt_pct(0.0) == "0%"
    assert fmt_pct(0.004, prob=True) == "<1%"
    assert fmt_pct(0.996, prob=True) == ">99%"


def test_an_assumed_target_is_marked_as_such_in_the_headline(reg):
    # Lucheng: the 2026 firms target 533 is an assumed yearly split of the three-year 1600
    t = pd.DataFrame([dict(_row("lucheng", "firms", 533, 250, 0.004, "red"), assumed=True)])
    zh = headline(t, "lucheng", "2026-10", "zh", reg)
    assert "2026年目标533个（假设的年度分解值，计划只给出三年累计目标），目前已完成250个" in zh
    en = headline(t, "lucheng", "2026-10", "en", reg)
    assert "(an assumed yearly split of the three-year total)" in en
    t["assumed"] = False  # a target from the plan itself carries no mark
    assert "假设" not in headline(t, "lucheng", "2026-10", "zh", reg)


def test_a_target_of_zero_is_not_assessed(reg):
    # 萧江 2026: "20" incubators target 0 (nothing assigned) besides space 2 (done 5, green)
    t = pd.DataFrame(
        [
            _row("pingyang-xiaojiang", "space", 2, 5, 0.999, "green"),
            _row("pingyang-xiaojiang", "incubators_20", 0, 0, 1.0, "green"),
        ]
    )
    zh = headline(t, "pingyang-xiaojiang", "2026-10", "zh", reg)
    # 1 assessed target (space), all green; the 0 is counted apart
    assert zh.startswith(
        "截至2026年10月，萧江镇纳入评估的1项目标（基线）预计全部能够完成（绿色）。"
    )
    assert "另有1项目标为0（本期无分配任务），不计入评估。" in zh
    only_zero = headline(t.iloc[[1]], "pingyang-xiaojiang", "2026-10", "zh", reg)
    assert only_zero == "截至2026年10月，萧江镇本期的1项目标均为0（无分配任务），无需评估。"


def test_targets_without_progress_are_counted_in_the_headline(reg):
    # 2 assessed targets (green), and 3 more of the region's targets with no progress data yet
    t = pd.DataFrame(
        [
            _row("lucheng", "firms", 100, 90, 0.95, "green"),
            _row("lucheng", "talent", 10, 9, 0.85, "green"),
        ]
    )
    zh = headline(t, "lucheng", "2026-09", "zh", reg, pending=3)
    assert zh == (
        "截至2026年9月，鹿城区纳入评估的2项目标（基线）预计全部能够完成（绿色）。"
        "另有3项目标尚无进度数据，未纳入评估。"
    )
    en = headline(t, "lucheng", "2026-09", "en", reg, pending=3)
    assert en.endswith("3 more have no progress data yet and are not assessed.")


def test_without_a_registry_ids_are_shown(reg):
    # a region the registry does not know (a user's own id) is named by its id
    t = pd.DataFrame([_row("R0017", "firms", 100, 90, 0.95, "green")])
    assert headline(t, "R0017", "2026-09") == (
        "截至2026年9月，R0017纳入评估的1项目标（基线）预计全部能够完成（绿色）。"
    )
