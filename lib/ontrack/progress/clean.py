"""Observations → the monthly progress table: 合计 checks, duplicates, running totals → months.

Rules (docs in the module functions):

* **合计 rows** (合计 / 总计 / 全县, or a row naming the parent of the other rows) are checked
  against the sum of their regions' rows for the same indicator and period; a mismatch is
  flagged and the region rows win. The total is dropped when its regions reported; a total
  reported alone (no region rows for that column) is kept as the parent region's value.
* **Duplicates** (same region, indicator and months reported twice, in one file or several) are
  errors; with ``prefer_newer`` the newer report (later 填报日期, then later file time) wins and
  the older one is flagged.
* **Running totals** (1..m 累计) become monthly values by differencing consecutive reports of
  the same year. A gap (1-5月 then 1-8月) gives one value covering 6-8月, recorded in August,
  June and July absent. 1-2月 combined is recorded in February (January absent) unless
  ``split_jan_feb="even"``, which gives each month half.
* **Revisions**: a running total lower than the previous one is flagged with both cells; the
  later total is taken as the truth. The month gets 0 and the excess is taken back from the
  preceding months of that year, latest first, so that no month is negative and the months
  always add up to the latest report (what attainment uses). The adjusted months' sources say so.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import pandas as pd

from ..registry import Registry
from .log import CleaningLog
from .periods import month_str
from .readers import Obs

TOL = 1e-6

PROGRESS_COLUMNS = [
    "region_id",
    "indicator_id",
    "month",
    "value",
    "source",
    "illustrative",
    "covers",
]


@dataclass
class MonthValue:
    region_id: str
    indicator_id: str
    year: int
    start: int  # first month covered
    end: int  # month the value is recorded in
    value: float
    source: str
    illustrative: bool
    reported: tuple
    obs: Obs  # the (last) observation it came from


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= TOL * max(1.0, abs(a), abs(b))


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
                    f"cannot tell which region the total row '{t.label}' is for",
                    "region rows of one county or district beside it",
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
                    f"total row '{t.label}' kept as {scope}'s value "
                    "(no region rows reported for it)",
                )
                out.append(t)
                continue
            s = sum(o.value for o in members)
            if _close(s, t.value):
                log.info(
                    file,
                    sheet,
                    t.cell,
                    f"total '{t.label}' {t.indicator_id} = {t.value:g} "
                    f"matches the sum of {len(members)} region rows; not emitted as data",
                )
            else:
                cells = ", ".join(o.cell for o in members)
                log.flag(
                    file,
                    sheet,
                    t.cell,
                    f"total '{t.label}' {t.indicator_id} = {t.value:g} "
                    f"but the region rows ({cells}) add up to {s:g}; the region rows are "
                    "kept, the total is dropped",
                )
    return out


def _pick(items: list, key_desc: str, prefer_newer: bool, log: CleaningLog, what) -> object | None:
    """One of several reports of the same thing: the newest with prefer_newer, else an error."""
    items = sorted(items, key=lambda x: x.reported)
    places = "; ".join(what(x) for x in items)
    same_file = len({x.obs.file if hasattr(x, "obs") else x.file for x in items}) < len(items)
    newest = items[-1]
    if prefer_newer and not same_file and items[-2].reported < newest.reported:
        for x in items[:-1]:
            o = x.obs if hasattr(x, "obs") else x
            log.flag(
                o.file,
                o.sheet,
                o.cell,
                f"duplicate {key_desc}: the newer report "
                f"{what(newest)} wins over this one (--prefer-newer)",
            )
        return newest
    o = newest.obs if hasattr(newest, "obs") else newest
    hint = (
        "one report per region, indicator and period (remove the duplicate row)"
        if same_file or prefer_newer
        else "one report (or --prefer-newer to let the newer report win)"
    )
    log.error(o.file, o.sheet, o.cell, f"duplicate {key_desc}, reported in {places}", hint)
    return None


def dedupe(obs: list[Obs], prefer_newer: bool, log: CleaningLog) -> list[Obs]:
    """Identical (region, indicator, months) reported more than once."""
    groups: dict[tuple, list[Obs]] = defaultdict(list)
    for o in obs:
        groups[(o.region_id, o.indicator_id, o.year, o.start, o.end)].append(o)
    out = []
    for (rid, ind, y, a, b), items in groups.items():
        if len(items) == 1:
            out.append(items[0])
            continue
        span = f"{y}年{a}月" if a == b else f"{y}年{a}-{b}月"
        keep = _pick(items, f"{rid} {ind} {span}", prefer_newer, log, lambda o: o.source)
        if keep is not None:
            out.append(keep)
    return out


def to_months(obs: list[Obs], log: CleaningLog) -> list[MonthValue]:
    """Running totals → values per month (see the module docstring for gaps and revisions)."""
    series: dict[tuple, list[Obs]] = defaultdict(list)
    out: list[MonthValue] = []
    for o in obs:
        if o.start == 1:
            series[(o.region_id, o.indicator_id, o.year)].append(o)
        else:
            out.append(
                MonthValue(
                    o.region_id,
                    o.indicator_id,
                    o.year,
                    o.start,
                    o.end,
                    o.value,
                    o.source,
                    o.illustrative,
                    o.reported,
                    o,
                )
            )
    for (rid, ind, year), items in series.items():
        items.sort(key=lambda o: o.end)
        prev_total, prev_end, prev = 0.0, 0, None
        chain: list[MonthValue] = []
        for o in items:
            delta = o.value - prev_total
            src = o.source if prev is None else f"{o.source} − {prev.source}"
            mv = MonthValue(
                rid, ind, year, prev_end + 1, o.end, delta, src, o.illustrative, o.reported, o
            )
            if delta < -TOL * max(1.0, prev_total):
                excess = -delta
                mv.value = 0.0
                taken = []
                for back in reversed(chain):
                    take = min(back.value, excess)
                    if take > 0:
                        back.value -= take
                        excess -= take
                        back.source += f" [revised down by {take:g} after {o.cell}]"
                        taken.append(f"{month_str(year, back.end)} −{take:g}")
                    if excess <= TOL:
                        break
                log.flag(
                    o.file,
                    o.sheet,
                    o.cell,
                    f"revision: {rid} {ind} running total fell from "
                    f"{prev_total:g} ({prev.source}) to {o.value:g} ({o.source}); the later "
                    f"total is kept: {month_str(year, o.end)} = 0 and "
                    f"{', '.join(taken) or 'nothing'} taken back",
                )
            else:
                mv.value = max(delta, 0.0)
            chain.append(mv)
            prev_total, prev_end, prev = o.value, o.end, o
        out += chain
    return out


def resolve_overlaps(
    values: list[MonthValue], prefer_newer: bool, log: CleaningLog
) -> list[MonthValue]:
    """Values whose months overlap (a monthly file and a running total for the same months)."""
    groups: dict[tuple, list[MonthValue]] = defaultdict(list)
    for v in values:
        groups[(v.region_id, v.indicator_id, v.year)].append(v)
    out = []
    for (rid, ind, year), items in groups.items():
        items.sort(key=lambda v: (v.start, v.end))
        clusters: list[list[MonthValue]] = []
        for v in items:
            if clusters and v.start <= max(x.end for x in clusters[-1]):
                clusters[-1].append(v)
            else:
                clusters.append([v])
        for cl in clusters:
            if len(cl) == 1:
                out.append(cl[0])
                continue
            months = f"{year}年{min(v.start for v in cl)}-{max(v.end for v in cl)}月"
            keep = _pick(
                cl, f"{rid} {ind} months {months}", prefer_newer, log, lambda v: v.obs.source
            )
            if keep is not None:
                out.append(keep)
    return out


def to_table(values: list[MonthValue], split_jan_feb: str | None, log: CleaningLog) -> pd.DataFrame:
    """The progress table (contract columns + illustrative + covers)."""
    rows = []
    for v in values:
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
                    )
                )
            log.info(
                v.obs.file,
                v.obs.sheet,
                v.obs.cell,
                f"{v.region_id} {v.indicator_id} "
                f"{v.year}年1-2月 = {v.value:g} split evenly into January and February",
            )
            continue
        if covers > 1:
            log.info(
                v.obs.file,
                v.obs.sheet,
                v.obs.cell,
                f"{v.region_id} {v.indicator_id}: "
                f"{v.value:g} covers {v.year}年{v.start}-{v.end}月; recorded in "
                f"{month_str(v.year, v.end)}, earlier months absent",
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
            )
        )
    df = pd.DataFrame(rows, columns=PROGRESS_COLUMNS)
    df["value"] = df["value"].astype(float).round(9)
    df["illustrative"] = df["illustrative"].astype(bool)
    df["covers"] = df["covers"].astype(int)
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
