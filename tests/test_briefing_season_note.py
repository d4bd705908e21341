"""A plan with no complete year of progress: each month's share of the year is still the
season prior's, and the briefing's assumptions say so (issue 20, world c: where the local
rhythm is not the Spring-Festival one, the first year's probabilities run high)."""

from __future__ import annotations

import pandas as pd

from ontrack.briefing.notes import assumptions_section
from ontrack.forecast.coverage import complete_years


def _rows(region, months, covers=None, through_day=None):
    out = pd.DataFrame(
        {"region_id": region, "indicator_id": "firms", "month": months, "value": 1.0}
    )
    out["covers"] = covers or [1] * len(months)
    out["through_day"] = through_day or [0] * len(months)
    return out


def _year(y, jan_feb=False):
    months = [f"{y}-{m:02d}" for m in range(1, 13)]
    if jan_feb:  # 1-2月 in one February report
        return months[1:], [2] + [1] * 10
    return months, [1] * 12


def test_complete_years_counts_region_years_with_every_month_known():
    m, c = _year(2025, jan_feb=True)
    a = _rows("a", m, c)  # 2025 complete (January through the February report)
    b = _rows("b", [f"2025-{k:02d}" for k in range(1, 13) if k != 7])  # July never reported
    c26 = _rows("a", [f"2026-{k:02d}" for k in range(1, 10)])  # nine months of 2026
    p = pd.concat([a, b, c26], ignore_index=True)
    assert complete_years(p, "2026-09") == 1
    # as of November 2025 the December report has not come: nothing complete yet
    assert complete_years(p, "2025-11") == 0
    # a December reported up to the 5th (截至12月5日) leaves the year incomplete
    m, c = _year(2025)
    partial = _rows("d", m, c, through_day=[0] * 11 + [5])
    assert complete_years(partial, "2026-03") == 0
    assert complete_years(partial.drop(columns=["through_day", "covers"]), "2026-03") == 1


def _assumptions(progress, project_years=None):
    att = pd.DataFrame(
        {"region_id": ["a"], "indicator_id": ["firms"], "year_start": [2026], "year_end": [2026]}
    )
    return str(assumptions_section(att, ["a"], "2026-09", "zh", False, progress=progress,
                                   project_years=project_years))  # fmt: skip


def test_the_briefing_says_when_the_season_is_still_the_priors():
    first_year = _rows("a", [f"2026-{k:02d}" for k in range(1, 10)])
    assert "尚无完整一年的月度进度" in _assumptions(first_year)
    m, c = _year(2025)
    with_history = pd.concat([_rows("a", m, c), first_year], ignore_index=True)
    assert "尚无完整一年" not in _assumptions(with_history)


def test_a_plan_without_a_complete_year_in_a_project_with_some_takes_the_others_season():
    # the project's other plans have complete years: the plan's shape is theirs, not the
    # assumed Spring-Festival one (docs/methods.md, the season: the project)
    first_year = _rows("a", [f"2026-{k:02d}" for k in range(1, 10)])
    text = _assumptions(first_year, project_years=4)
    assert "参照本项目其他计划的月度进度" in text and "春节淡季" not in text
    assert "暂按经验形状设定" in _assumptions(first_year, project_years=0)


def test_the_method_says_when_other_plans_inform_the_season():
    first_year = _rows("a", [f"2026-{k:02d}" for k in range(1, 10)])
    att = pd.DataFrame(
        {"region_id": ["a"], "indicator_id": ["firms"], "year_start": [2026], "year_end": [2026],
         "method": ["negbin2-gamma+pooled(3)"]}
    )  # fmt: skip
    with_others = str(assumptions_section(att, ["a"], "2026-09", "zh", False,
                                          progress=first_year, other_plans=True))  # fmt: skip
    alone = str(assumptions_section(att, ["a"], "2026-09", "zh", False, progress=first_year))
    assert "参考本项目其他计划的进度" in with_others
    assert "参考本项目其他计划" not in alone and "预测方法" in alone
    # the stalls to come are part of the method, said in words (docs/methods.md, Stalls to come)
    assert "中途停滞的可能" in alone and "中途停滞的可能" in with_others
