"""Observations → the monthly progress table: 合计 checks, the levels of the hierarchy, the table.

Rules (docs in the module functions; how one series' reports become months: :mod:`.reconcile`):

* **合计 rows** (合计 / 总计 / 全县, or a row naming the parent of the other rows) are checked
  against the sum of their regions' rows for the same indicator and period; a mismatch is
  flagged and the region rows win. The total is dropped when its regions reported; a total
  reported alone (no region rows for that column) is kept as the parent region's value.
* **Levels** (:func:`compare_levels`): a region's own figure beside its sub-regions' (the
  county's row next to its townships') is compared with their sum and never used in their
  place; a difference is a flag naming both places.
* **Reports of one series** (later reports win, running totals and monthly figures reconciled,
  gaps left unknown, revisions): :mod:`.reconcile`. 1-2月 combined is recorded in February
  (January absent) unless ``split_jan_feb="even"``, which gives each month half.
"""

from __future__ import annotations

from collections import defaultdict

import pandas as pd

from ..registry import Registry
from .log import CleaningLog
from .periods import month_str
from .readers import Obs
from .reconcile import MonthValue, close

PROGRESS_COLUMNS = [
    "region_id",
    "indicator_id",
    "month",
    "value",
    "source",
    "illustrative",
    "covers",
    "through_day",
]


def resolve_totals(obs: list[Obs], log: CleaningLog, reg: Registry) -> list[Obs]:
    """Check 合计 rows against their regions; drop them where the regions reported.

    Which region a total is for comes from the parents ``reg`` declares (regions.csv)."""
    by_sheet: dict[tuple, list[Obs]] = defaultdict(list)
    for o in obs:
        by_sheet[(o.file, o.sheet)].append(o)
    out: list[Obs] = []
    for (file, sheet), items in by_sheet.items():
        regions = {o.region_id for o in items if not o.is_total and o.region_id}
        parents = {reg.parent(r) for r in regions} - {None}
        # a row naming the parent of other rows (平阳县 among its townships) is a total row
        for o in items:
            if not o.is_total and o.region_id and o.region_id in parents:
                o.is_total = True
        totals = [o for o in items if o.is_total]
        plain = [o for o in items if not o.is_total]
        out += plain
        plain_regions = {o.region_id for o in plain}
        plain_parents = {reg.parent(r) for r in plain_regions} - {None}
        for t in totals:
            # the one parent of the sheet's (other) regions, else the region the label names
            # (全县 is an alias of one county; on another county's sheet its townships say which)
            named = t.region_id if (t.region_id and t.region_id not in plain_regions) else None
            scope = (next(iter(plain_parents)) if len(plain_parents) == 1 else None) or named
            if scope is None:
                log.error(
                    file,
                    sheet,
                    t.cell,
                    f"看不出合计行“{t.label}”是哪个地区的合计",
                    f"cannot tell which region the total row '{t.label}' is for",
                    "旁边列有同一县（区）下属区域的行",
                    "region rows of one county or district beside it",
                    indicator_id=t.indicator_id,
                )
                continue
            members = [
                o
                for o in plain
                if o.indicator_id == t.indicator_id
                and (o.year, o.start, o.end) == (t.year, t.start, t.end)
                and reg.parent(o.region_id) == scope
            ]
            if not members:
                t.region_id, t.is_total = scope, False
                log.info(
                    file,
                    sheet,
                    t.cell,
                    f"合计行“{t.label}”作为 {reg.region_name(scope)} 的数值（没有下属区域的行）",
                    f"total row '{t.label}' kept as {scope}'s value "
                    "(no region rows reported for it)",
                    region_id=scope,
                    indicator_id=t.indicator_id,
                    month=t.month,
                )
                out.append(t)
                continue
            s = sum(o.value for o in members)
            if close(s, t.value):
                log.info(
                    file,
                    sheet,
                    t.cell,
                    f"合计“{t.label}”{reg.indicator_name(t.indicator_id)} = {t.value:g}，"
                    f"与 {len(members)} 个区域之和相符；不作为数据",
                    f"total '{t.label}' {t.indicator_id} = {t.value:g} "
                    f"matches the sum of {len(members)} region rows; not emitted as data",
                    region_id=scope,
                    indicator_id=t.indicator_id,
                    month=t.month,
                )
            else:
                cells = ", ".join(o.cell for o in members)
                log.flag(
                    file,
                    sheet,
                    t.cell,
                    f"合计“{t.label}”{reg.indicator_name(t.indicator_id)} = {t.value:g}，"
                    f"但各区域（{cells}）之和为 {s:g}；采用各区域的数，合计不用",
                    f"total '{t.label}' {t.indicator_id} = {t.value:g} "
                    f"but the region rows ({cells}) add up to {s:g}; the region rows are "
                    "kept, the total is dropped",
                    region_id=scope,
                    indicator_id=t.indicator_id,
                    month=t.month,
                )
    return out


def compare_levels(values: list[MonthValue], log: CleaningLog, reg: Registry) -> list[MonthValue]:
    """A region's own figures beside its sub-regions' (the county's row next to its
    townships'): compared, never used in their place.

    For each value of a region whose declared sub-regions (regions.csv) report the same
    indicator in that year: when every such sub-region's values cover exactly the same months,
    their sum is compared with it (a note when they agree, a flag naming both places when not);
    otherwise it cannot be compared (a flag naming the sub-regions that have not reported those
    months). Either way the sub-regions' values are kept and the region's own is dropped: the
    region is their sum (ontrack.forecast). A region's value for months none of its
    sub-regions reported that year is kept (a county's own figure for a year its townships did
    not report: the opening figure of a three-year target)."""
    by_series: dict[tuple, list[MonthValue]] = defaultdict(list)
    for v in values:
        by_series[(v.region_id, v.indicator_id, v.year)].append(v)
    reporting = {(r, i) for r, i, _ in by_series}
    drop: set[int] = set()
    for (rid, ind, year), own in sorted(by_series.items()):
        if not any((c, ind, year) in by_series for c in reg.children(rid)):
            continue
        # every declared sub-region that reports this indicator (in any year) is expected
        expected = [c for c in reg.children(rid) if (c, ind) in reporting]
        for v in own:
            months = set(range(v.start, v.end + 1))
            parts, missing = [], []
            for c in expected:
                cv = [x for x in by_series.get((c, ind, year), [])
                      if x.start <= v.end and x.end >= v.start]  # fmt: skip
                covered = {m for x in cv for m in range(x.start, x.end + 1)}
                if covered != months or any(x.through_day != v.through_day for x in cv
                                            if x.end == v.end):  # fmt: skip
                    missing.append(c)
                else:
                    parts += cv
            o = v.obs[0]
            span = _span(year, v.start, v.end, v.through_day)
            about = dict(region_id=rid, indicator_id=ind, month=month_str(year, v.end))
            name = f"{reg.region_name(rid)}“{reg.indicator_name(ind)}”{span}"
            drop.add(id(v))
            if missing:
                names = "、".join(reg.region_name(c) for c in missing)
                log.flag(
                    o.file,
                    o.sheet,
                    o.cell,
                    f"{name}本级填报 {v.value:g}（{v.source}）未用：{names}尚未报送同期数，"
                    "无法与下属区域之和核对；采用各下属区域已报的数",
                    f"{rid} {ind} {span}: its own figure {v.value:g} ({v.source}) is not used: "
                    f"{', '.join(missing)} have not reported those months, so it cannot be "
                    "checked against its sub-regions; their reports are used",
                    **about,
                )
                continue
            total = sum(x.value for x in parts)
            places = "; ".join(dict.fromkeys(x.source for x in parts))
            if close(total, v.value):
                log.info(
                    o.file,
                    o.sheet,
                    o.cell,
                    f"{name}本级填报 {v.value:g} 与 {len(expected)} 个下属区域之和相符；"
                    "采用下属区域的数",
                    f"{rid} {ind} {span}: its own figure {v.value:g} matches the sum of its "
                    f"{len(expected)} sub-regions; theirs are used",
                    **about,
                )
            else:
                log.flag(
                    o.file,
                    o.sheet,
                    o.cell,
                    f"{name}本级填报 {v.value:g}（{v.source}）与 {len(expected)} 个下属区域之和 "
                    f"{total:g} 不符（差 {v.value - total:+g}）；采用下属区域的数（{places}）",
                    f"{rid} {ind} {span}: its own figure {v.value:g} ({v.source}) differs from "
                    f"the sum of its {len(expected)} sub-regions, {total:g} "
                    f"({v.value - total:+g}); the sub-regions' figures are used ({places})",
                    **about,
                )
    return [v for v in values if id(v) not in drop]


def _span(year: int, a: int, b: int, day: int | None = None) -> str:
    d = f"{day}日" if day else ""
    return f"{year}年{a}月{d}" if a == b else f"{year}年{a}-{b}月{d}"


def to_table(values: list[MonthValue], split_jan_feb: str | None, log: CleaningLog) -> pd.DataFrame:
    """The progress table (contract columns + illustrative, covers, through_day)."""
    rows = []
    for v in values:
        o = v.obs[0]
        covers = v.end - v.start + 1
        if covers > 1 and split_jan_feb == "even" and (v.start, v.end) == (1, 2):
            for m in (1, 2):
                rows.append(
                    (
                        v.region_id,
                        v.indicator_id,
                        month_str(v.year, m),
                        v.value / 2,
                        v.source + " [1-2月 split evenly]",
                        v.illustrative,
                        1,
                        0,
                    )
                )
            log.info(
                o.file,
                o.sheet,
                o.cell,
                f"{v.region_id} {v.indicator_id} {v.year}年1-2月 = {v.value:g}，平分到1月和2月",
                f"{v.region_id} {v.indicator_id} "
                f"{v.year}年1-2月 = {v.value:g} split evenly into January and February",
                region_id=v.region_id,
                indicator_id=v.indicator_id,
                month=month_str(v.year, 2),
            )
            continue
        if covers > 1:
            log.info(
                o.file,
                o.sheet,
                o.cell,
                f"{v.region_id} {v.indicator_id}：{v.value:g} 为 {v.year}年{v.start}-{v.end}月"
                f"合计，记在 {month_str(v.year, v.end)}，之前各月不单列",
                f"{v.region_id} {v.indicator_id}: "
                f"{v.value:g} covers {v.year}年{v.start}-{v.end}月; recorded in "
                f"{month_str(v.year, v.end)}, the months before not separately",
                region_id=v.region_id,
                indicator_id=v.indicator_id,
                month=month_str(v.year, v.end),
            )
        rows.append(
            (
                v.region_id,
                v.indicator_id,
                month_str(v.year, v.end),
                v.value,
                v.source,
                v.illustrative,
                covers,
                int(v.through_day or 0),
            )
        )
    df = pd.DataFrame(rows, columns=PROGRESS_COLUMNS)
    df["value"] = df["value"].astype(float).round(9)
    df["illustrative"] = df["illustrative"].astype(bool)
    df["covers"] = df["covers"].astype(int)
    df["through_day"] = df["through_day"].astype(int)
    return df.sort_values(["region_id", "indicator_id", "month"], ignore_index=True)


def to_ytd(progress: pd.DataFrame) -> pd.DataFrame:
    """Running totals within each year (1..month 累计), per region and indicator.

    The inverse of reading year-to-date reports: differencing them gives ``progress`` back.
    Adds a column ``ytd``; months absent from ``progress`` stay absent.
    """
    df = progress.sort_values(["region_id", "indicator_id", "month"]).copy()
    year = df["month"].astype(str).str[:4]
    df["ytd"] = df.groupby([df["region_id"], df["indicator_id"], year])["value"].cumsum()
    return df.reset_index(drop=True)
