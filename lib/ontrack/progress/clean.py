"""Observations → the monthly progress table: 合计 checks, duplicates, running totals → months.

Rules (docs in the module functions):

* **合计 rows** (合计 / 总计 / 全县, or a row naming the parent of the other rows) are checked
  against the sum of their regions' rows for the same indicator and period; a mismatch is
  flagged and the region rows win. The total is dropped when its regions reported; a total
  reported alone (no region rows for that column) is kept as the parent region's value.
* **Later reports replace earlier ones** (same region, indicator and months reported by two
  files, or months that overlap): the later report wins, and the replacement is logged with
  the old value, the new value and both sources (a flag when the value changed, a note when it
  is the same). Later means a later 填报日期 when both reports state one, else the file added to
  the record later. The same thing twice in one file, or two reports that cannot be ordered,
  is an error.
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
from .log import CleaningLog, where
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
            if _close(s, t.value):
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


def _span(year: int, a: int, b: int) -> str:
    return f"{year}年{a}月" if a == b else f"{year}年{a}-{b}月"


def _later_key(items: list) -> tuple:
    """How to order reports of the same thing: by 填报日期 when every one states a different
    one, else by when the file entered the record."""
    obs = [x.obs if isinstance(x, MonthValue) else x for x in items]
    dates = [o.reported for o in obs]
    if all(d is not None for d in dates) and len(set(dates)) > 1:
        return tuple((o.reported, o.added) for o in obs)
    return tuple((o.added,) for o in obs)


def _pick(items: list, reg: Registry, log: CleaningLog, month: bool) -> object | None:
    """The latest of several reports of the same thing (Obs, or MonthValue when ``month``);
    the replaced ones logged. None (an error logged) when they come from one file or cannot be
    ordered."""
    obs = [x.obs if month else x for x in items]
    keys = _later_key(items)
    order = sorted(range(len(items)), key=lambda k: keys[k])
    items = [items[k] for k in order]
    obs = [obs[k] for k in order]
    keys = [keys[k] for k in order]
    newest, new_o = items[-1], obs[-1]
    rid, ind = new_o.region_id, new_o.indicator_id
    year = new_o.year
    a = min(x.start for x in items)
    b = max(x.end for x in items)
    what_zh = f"{reg.region_name(rid)}“{reg.indicator_name(ind)}”{_span(year, a, b)}"
    what_en = f"{rid} {ind} {_span(year, a, b)}"
    places = "; ".join(o.source for o in obs)
    about = dict(region_id=rid, indicator_id=ind, month=month_str(year, b))
    same_file = len({o.file for o in obs}) < len(obs)
    if same_file:
        log.error(
            new_o.file,
            new_o.sheet,
            new_o.cell,
            f"{what_zh} 在同一文件中报了不止一次：{places}",
            f"{what_en} reported more than once in one file: {places}",
            "每个区域、指标、统计期只报一次（删除重复的行）",
            "one report per region, indicator and period (remove the duplicate row)",
            **about,
        )
        return None
    if keys[-1] == keys[-2]:
        log.error(
            new_o.file,
            new_o.sheet,
            new_o.cell,
            f"{what_zh} 有两份报告，无法判断哪份较晚：{places}",
            f"{what_en} is reported twice and which report is later cannot be told: {places}",
            "在报表中写明填报日期，或分两次导入（ontrack ingest）",
            "a 填报日期 in the reports, or adding them one at a time (`ontrack ingest`)",
            **about,
        )
        return None
    for x, o in zip(items[:-1], obs[:-1], strict=True):
        old_v = x.value if month else o.value
        new_v = newest.value if month else new_o.value
        old_s = _span(year, x.start, x.end)
        new_s = _span(year, newest.start, newest.end)
        old_at, new_at = where(o.file, o.sheet, o.cell), where(new_o.file, new_o.sheet, new_o.cell)
        if (x.start, x.end) == (newest.start, newest.end):
            zh = (
                f"{what_zh}：较早报告的 {old_v:g}（{old_at}）被较晚报告的 {new_v:g}（{new_at}）替换"
            )
            en = (
                f"{what_en}: {old_v:g} ({old_at}) replaced by {new_v:g} from the later report "
                f"({new_at})"
            )
        else:
            zh = (
                f"{what_zh}：较早报告的 {old_s} {old_v:g}（{old_at}）"
                f"被较晚报告的 {new_s} {new_v:g}（{new_at}）替换"
            )
            en = (
                f"{what_en}: {old_s} = {old_v:g} ({old_at}) replaced by {new_s} = {new_v:g} "
                f"from the later report ({new_at})"
            )
        same = _close(old_v, new_v) and (x.start, x.end) == (newest.start, newest.end)
        (log.info if same else log.flag)(new_o.file, new_o.sheet, new_o.cell, zh, en, **about)
    return newest


def dedupe(obs: list[Obs], log: CleaningLog, reg: Registry) -> list[Obs]:
    """Identical (region, indicator, months) reported more than once: the later report."""
    groups: dict[tuple, list[Obs]] = defaultdict(list)
    for o in obs:
        groups[(o.region_id, o.indicator_id, o.year, o.start, o.end)].append(o)
    out = []
    for items in groups.values():
        if len(items) == 1:
            out.append(items[0])
            continue
        keep = _pick(items, reg, log, month=False)
        if keep is not None:
            out.append(keep)
    return out


def to_months(obs: list[Obs], log: CleaningLog, reg: Registry) -> list[MonthValue]:
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
            mv = MonthValue(rid, ind, year, prev_end + 1, o.end, delta, src, o.illustrative, o)
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
                    f"数据修订：{reg.region_name(rid)}“{reg.indicator_name(ind)}”累计数从 "
                    f"{prev_total:g}（{prev.source}）降为 {o.value:g}（{o.source}）；采用较晚的"
                    f"累计数：{month_str(year, o.end)} 记为 0，"
                    f"{'、'.join(taken) or '此前各月不变'}{'（扣回）' if taken else ''}",
                    f"revision: {rid} {ind} running total fell from "
                    f"{prev_total:g} ({prev.source}) to {o.value:g} ({o.source}); the later "
                    f"total is kept: {month_str(year, o.end)} = 0 and "
                    f"{', '.join(taken) or 'nothing'} taken back",
                    region_id=rid,
                    indicator_id=ind,
                    month=month_str(year, o.end),
                )
            else:
                mv.value = max(delta, 0.0)
            chain.append(mv)
            prev_total, prev_end, prev = o.value, o.end, o
        out += chain
    return out


def resolve_overlaps(values: list[MonthValue], log: CleaningLog, reg: Registry) -> list[MonthValue]:
    """Values whose months overlap (a monthly file and a running total for the same months):
    the later report's."""
    groups: dict[tuple, list[MonthValue]] = defaultdict(list)
    for v in values:
        groups[(v.region_id, v.indicator_id, v.year)].append(v)
    out = []
    for items in groups.values():
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
            keep = _pick(cl, reg, log, month=True)
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
                v.obs.file,
                v.obs.sheet,
                v.obs.cell,
                f"{v.region_id} {v.indicator_id}：{v.value:g} 为 {v.year}年{v.start}-{v.end}月"
                f"合计，记在 {month_str(v.year, v.end)}，之前各月空缺",
                f"{v.region_id} {v.indicator_id}: "
                f"{v.value:g} covers {v.year}年{v.start}-{v.end}月; recorded in "
                f"{month_str(v.year, v.end)}, earlier months absent",
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
