"""Checks of what was read against the calendar and the plans: refusals and flags.

* A month after the current month, or in a year none of the project's plans covers, is an error
  (one per sheet and period, naming its first cell): a mistyped year must not become the
  briefing's 数据截至 month.
* A value (a month's, or a running total from January) more than :data:`IMPLAUSIBLE_FACTOR`
  times the largest yearly target the plans set for that region and indicator (any year, any
  level; the largest multi-year target where there is no yearly one; for a region without
  targets, its nearest ancestor's) is flagged: most likely a unit slip (平方米 in a 万平方米
  column is 10,000 times too large). A flag is kept and shown in the region's briefing, not
  refused: a township can genuinely outgrow a small target several times over.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pandas as pd

from ..registry import Registry
from ..units import kind_of
from .log import MAGNITUDE, CleaningLog
from .periods import month_str
from .readers import Obs

#: A reported value above this many times the region's largest yearly target is flagged.
IMPLAUSIBLE_FACTOR = 10.0


def current_date() -> dt.date:
    """Today, as the month checks see it when no date is given (tests replace this)."""
    return dt.date.today()


def _span(o: Obs) -> tuple[str, str]:
    day = f"{o.through_day}日" if o.through_day else ""
    zh = f"{o.year}年{o.end}月" if o.start == o.end else f"{o.year}年{o.start}-{o.end}月"
    return zh + day, zh + day


def check_months(obs: list[Obs], log: CleaningLog, reg: Registry, today: dt.date) -> list[Obs]:
    """The observations whose months are neither in the future nor outside every plan's
    years; the others are errors (one per file, sheet and period)."""
    now = today.year * 12 + today.month - 1
    years: set[int] = set()
    for p in reg.plans.values():
        if p.years:
            years.update(range(min(p.years), max(p.years) + 1))
    bad: dict[tuple, list[Obs]] = defaultdict(list)
    keep = []

    def future(o: Obs) -> bool:
        m = o.year * 12 + o.end - 1
        return m > now or (m == now and (o.through_day or 0) > today.day)

    for o in obs:
        if future(o) or (years and o.year not in years):
            bad[(o.file, o.sheet, o.year, o.start, o.end)].append(o)
        else:
            keep.append(o)
    span_years = f"{min(years)}–{max(years)}" if years else ""
    for (file, sheet, _year, _a, _end), items in bad.items():
        first = items[0]
        span, _ = _span(first)
        more_zh = f"（及其他 {len(items) - 1} 个单元格）" if len(items) > 1 else ""
        more_en = f" (and {len(items) - 1} more cells)" if len(items) > 1 else ""
        if future(first):
            log.error(
                file,
                sheet,
                first.cell,
                f"统计期 {span} 晚于当前月份 {today.year}年{today.month}月{more_zh}",
                f"the period {span} is after the current month "
                f"{month_str(today.year, today.month)}{more_en}",
                "已过去的月份（请核对年份和月份）",
                "a month that has passed (check the year and month)",
            )
        else:
            log.error(
                file,
                sheet,
                first.cell,
                f"统计期 {span} 不在任何计划的年份内（{span_years}）{more_zh}",
                f"the period {span} is outside the years of every plan ({span_years}){more_en}",
                f"{span_years} 年内的月份",
                f"a month of {span_years}",
            )
    return keep


def target_ceilings(targets: pd.DataFrame | None) -> dict[tuple[str, str], float]:
    """(region, indicator) → the largest yearly target any plan sets (any year or level); the
    largest multi-year target where the plans set no yearly one."""
    if targets is None or targets.empty:
        return {}
    t = targets[["region_id", "indicator_id", "year_start", "year_end", "value"]].copy()
    t["value"] = pd.to_numeric(t["value"], errors="coerce")
    t = t[t["value"] > 0]
    t["yearly"] = t["year_start"].astype(int) == t["year_end"].astype(int)
    key = [t["region_id"].astype(str), t["indicator_id"].astype(str)]
    has_yearly = t.groupby(key)["yearly"].transform("any")
    t = t[t["yearly"] | ~has_yearly]
    g = t.groupby([t["region_id"].astype(str), t["indicator_id"].astype(str)])["value"].max()
    return {(str(r), str(i)): float(v) for (r, i), v in g.items()}


def check_magnitudes(
    obs: list[Obs],
    log: CleaningLog,
    reg: Registry,
    ceilings: dict[tuple[str, str], float],
) -> None:
    """Flag values more than IMPLAUSIBLE_FACTOR × the region's largest yearly target."""
    if not ceilings:
        return
    for o in obs:
        if not o.region_id:
            continue
        ceiling, whose = None, o.region_id
        for r in (o.region_id, *reg.ancestors(o.region_id)):
            if (r, o.indicator_id) in ceilings:
                ceiling, whose = ceilings[(r, o.indicator_id)], r
                break
        if ceiling is None or o.value <= IMPLAUSIBLE_FACTOR * ceiling:
            continue
        unit = reg.unit(o.indicator_id) or ""
        area = kind_of(unit) == "area"
        hint_zh = "请核对单位（如平方米与万平方米）和数值" if area else "请核对单位和数值"
        hint_en = "check the unit (平方米 vs 万平方米) and the number" if area else "check it"
        span, _ = _span(o)
        name = reg.region_name(o.region_id)
        own = whose == o.region_id
        of_zh = "该地区" if own else f"上级{reg.region_name(whose)}"
        of_en = "the region's" if own else f"its parent {whose}'s"
        log.flag(
            o.file,
            o.sheet,
            o.cell,
            f"{name}“{reg.indicator_name(o.indicator_id)}”{span}为 {o.value:g}{unit}，"
            f"超过{of_zh}最大年度目标 {ceiling:g}{unit} 的 {IMPLAUSIBLE_FACTOR:g} 倍：{hint_zh}",
            f"{o.region_id} {o.indicator_id} {span} = {o.value:g} {unit}, more than "
            f"{IMPLAUSIBLE_FACTOR:g} times {of_en} largest yearly target ({ceiling:g} {unit}): "
            f"{hint_en}",
            region_id=o.region_id,
            indicator_id=o.indicator_id,
            month=month_str(o.year, o.end),
            check=MAGNITUDE,
        )
