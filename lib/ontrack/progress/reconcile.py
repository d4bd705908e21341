"""Observations of one series → its monthly values: every report of a region's indicator in a
year, whatever its period and basis, reconciled into one set of months.

A report says that the amount over some months of a year is a number: a month's own (本月), a
running total from January (1-N月累计, 截至 a day), a quarter, a half-year, 1-2月 together. Each
is an *edge* between two points of the year's running total: ``C(end) − C(start − 1) = value``
(``C(0) = 0``; a report up to a day before a month's end, 截至12月5日, ends on a point inside
that month). The edges of every report of a series-year, from every file and level of the
hierarchy, form a graph on those points; the monthly values are the differences between
consecutive points that the graph determines. Reports are taken in the order they were made
(:func:`order_key`: a later 填报日期, else the file added to the record later), and each one is

* **new information** when it links points no earlier report links: kept (a running total after
  an office's monthly reports adds the month they left out: a gap covered);
* **the same figure** when the earlier reports already give it (a township's own 1-6月 and the
  county's 汇总 of it; monthly reports that add up to a running total): a note, nothing
  changes, the finest detail is kept;
* **a different figure**: the later report wins, as a flag naming both places. Of the earlier
  reports that gave the other figure, the latest is dropped (a corrected month replaces that
  month; a 汇总 that differs from the months before it moves the difference to the latest of
  them), so that the earlier detail that does not contradict it is kept. Two reports that
  contradict each other and cannot be ordered (added at once, no 填报日期), or one file that
  gives two figures for the same months, are errors: never a guess.

Months no report covers are absent (unknown, never zero). A running total lower than an earlier
one is a revision: the month gets 0 and the excess is taken back from the months before it,
latest first, flagged (:func:`months_of`). A report of part of a month (截至12月5日) is kept only
while no report covers that whole month or a later one.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from ..registry import Registry
from .log import CleaningLog, where
from .periods import month_str
from .readers import Obs

TOL = 1e-6
#: a point of a year's running total: (month, day); day FULL = the month's end, C((0, FULL)) = 0
FULL = 99
ORIGIN = (0, FULL)


def close(a: float, b: float) -> bool:
    return abs(a - b) <= TOL * max(1.0, abs(a), abs(b))


@dataclass
class MonthValue:
    """One value of the monthly table: months ``start``..``end`` of ``year`` (the last one up to
    ``through_day`` when set), from ``obs`` (the reports it is derived from)."""

    region_id: str
    indicator_id: str
    year: int
    start: int
    end: int
    value: float
    source: str
    illustrative: bool
    obs: list[Obs] = field(default_factory=list)  # the report ending in this month first
    through_day: int | None = None


@dataclass
class Edge:
    u: tuple[int, int]
    v: tuple[int, int]
    value: float
    obs: Obs
    rank: int  # within one file: a running total counts after a month's own figure
    seq: int  # position in the order the reports were made

    @property
    def file(self) -> str:
        return self.obs.file


def _span(year: int, a: int, b: int, day: int | None = None) -> str:
    d = f"{day}日" if day else ""
    return f"{year}年{a}月{d}" if a == b else f"{year}年{a}-{b}月{d}"


def order_key(items: list[Obs]) -> dict[int, tuple]:
    """id(obs) → when it was made, comparable: by 填报日期 when every report of the group
    states one, else by when the file entered the record."""
    dated = all(o.reported is not None for o in items) and len({o.reported for o in items}) > 1
    return {id(o): ((o.reported, o.added) if dated else (o.added,)) for o in items}


def _edge(o: Obs, seq: int) -> Edge:
    return Edge(
        (o.start - 1, FULL),
        (o.end, o.through_day or FULL),
        float(o.value),
        o,
        1 if o.start == 1 and (o.end > 1 or o.through_day) else 0,
        seq,
    )


def _path(edges: list[Edge], a, b) -> list[tuple[Edge, int]] | None:
    """The edges (with sign: +1 forward) joining points ``a`` and ``b`` in a forest, or None."""
    adj: dict[tuple, list[tuple[Edge, int, tuple]]] = defaultdict(list)
    for e in edges:
        adj[e.u].append((e, 1, e.v))
        adj[e.v].append((e, -1, e.u))
    prev: dict[tuple, tuple[tuple, Edge, int] | None] = {a: None}
    queue = [a]
    while queue:
        p = queue.pop()
        if p == b:
            break
        for e, sign, q in adj[p]:
            if q not in prev:
                prev[q] = (p, e, sign)
                queue.append(q)
    if b not in prev:
        return None
    out = []
    p = b
    while prev[p] is not None:
        q, e, sign = prev[p]
        out.append((e, sign))
        p = q
    return out[::-1]


def _places(path: list[tuple[Edge, int]]) -> str:
    return "; ".join(dict.fromkeys(e.obs.source for e, _ in path))


def reconcile(obs: list[Obs], log: CleaningLog, reg: Registry) -> list[MonthValue]:
    """Every series-year's reports → its monthly values (see the module docstring)."""
    series: dict[tuple, list[Obs]] = defaultdict(list)
    for o in obs:
        series[(o.region_id, o.indicator_id, o.year)].append(o)
    out: list[MonthValue] = []
    for (rid, ind, year), items in series.items():
        out += _series(rid, ind, year, items, log, reg)
    return out


def _drop_superseded_partials(items: list[Obs], log: CleaningLog, reg: Registry) -> list[Obs]:
    """A report of part of a month (截至12月5日) once a report covers that whole month or a
    later one: the fuller report is used."""
    full_end = max((o.end for o in items if not o.through_day), default=0)
    keep = []
    for o in items:
        if o.through_day and full_end >= o.end:
            log.info(
                o.file,
                o.sheet,
                o.cell,
                f"{reg.region_name(o.region_id)}“{reg.indicator_name(o.indicator_id)}”"
                f"{_span(o.year, o.start, o.end, o.through_day)}的数未用："
                f"已有到{full_end}月底的报告",
                f"{o.region_id} {o.indicator_id} up to {month_str(o.year, o.end)}-"
                f"{o.through_day:02d} not used: a report up to the end of month {full_end} "
                "is there",
                region_id=o.region_id,
                indicator_id=o.indicator_id,
                month=o.month,
            )
        else:
            keep.append(o)
    return keep


def _series(
    rid: str, ind: str, year: int, items: list[Obs], log: CleaningLog, reg: Registry
) -> list[MonthValue]:
    items = _drop_superseded_partials(items, log, reg)
    when = order_key(items)
    ordered = sorted(
        range(len(items)),
        key=lambda k: (when[id(items[k])], items[k].file, _edge(items[k], 0).rank, k),
    )
    edges = [_edge(items[k], n) for n, k in enumerate(ordered)]
    what_zh = f"{reg.region_name(rid)}“{reg.indicator_name(ind)}”"
    what_en = f"{rid} {ind}"
    accepted: list[Edge] = []
    failed = False
    for e in edges:
        path = _path(accepted, e.u, e.v)
        if path is None:
            accepted.append(e)
            continue
        implied = sum(sign * f.value for f, sign in path)
        o = e.obs
        span = _span(year, o.start, o.end, o.through_day)
        about = dict(region_id=rid, indicator_id=ind, month=o.month)
        if close(implied, e.value):
            if any(f.file != e.file for f, _ in path):
                log.info(
                    o.file,
                    o.sheet,
                    o.cell,
                    f"{what_zh}{span} {e.value:g} 与已有报告相符（{_places(path)}）",
                    f"{what_en} {span} = {e.value:g} agrees with the reports already there "
                    f"({_places(path)})",
                    **about,
                )
            continue
        # the earlier report that gave the other figure: the latest of the path's reports made
        # before this one; within one file a running total outranks a month's own figure
        now = when[id(o)]
        older = [
            f for f, _ in path if when[id(f.obs)] < now or (f.file == e.file and f.rank < e.rank)
        ]
        if not older:
            other = [f for f, _ in path if f.file != e.file]
            if other:
                zh = (
                    f"{what_zh}{span}：{e.value:g} 与另一份报告的 {implied:g}（{_places(path)}）"
                    "不符，且无法判断哪份较晚"
                )
                en = (
                    f"{what_en} {span}: {e.value:g} differs from {implied:g} in another report "
                    f"({_places(path)}), and which report is later cannot be told"
                )
                exp = (
                    "在报表中写明填报日期，或分两次导入（ontrack ingest）",
                    "a 填报日期 in the reports, or adding them one at a time (`ontrack ingest`)",
                )
            else:
                zh = (
                    f"{what_zh}{span} 在同一文件中报了不止一次，数不同：{e.value:g} 与 {implied:g}"
                    f"（{_places(path)}）"
                )
                en = (
                    f"{what_en} {span} reported more than once in one file, with different "
                    f"values: {e.value:g} and {implied:g} ({_places(path)})"
                )
                exp = (
                    "每个区域、指标、统计期只报一个数（删除或改正重复的行）",
                    "one figure per region, indicator and period (remove or correct the duplicate)",
                )
            log.error(o.file, o.sheet, o.cell, zh, en, *exp, **about)
            failed = True
            continue
        latest = max(older, key=lambda f: f.seq)
        accepted.remove(latest)
        accepted.append(e)
        lo = latest.obs
        old_span = _span(year, lo.start, lo.end, lo.through_day)
        if (latest.u, latest.v) == (e.u, e.v):
            old_at, new_at = where(lo.file, lo.sheet, lo.cell), where(o.file, o.sheet, o.cell)
            zh = (
                f"{what_zh}{span}：较早报告的 {latest.value:g}（{old_at}）"
                f"被较晚报告的 {e.value:g}（{new_at}）替换"
            )
            en = (
                f"{what_en} {span}: {latest.value:g} ({old_at}) replaced by {e.value:g} "
                f"from the later report ({new_at})"
            )
        else:
            zh = (
                f"{what_zh}{span} {e.value:g}（{o.source}）与此前报告之和 {implied:g}"
                f"（{_places(path)}）不符：采用较晚的报告，{old_span}的 {latest.value:g}"
                f"（{lo.source}）不再使用"
            )
            en = (
                f"{what_en} {span} = {e.value:g} ({o.source}) differs from {implied:g} given "
                f"by earlier reports ({_places(path)}): the later report is used, "
                f"{old_span} = {latest.value:g} ({lo.source}) no longer"
            )
        log.flag(o.file, o.sheet, o.cell, zh, en, **about)
    if failed:
        return []
    return months_of(rid, ind, year, accepted, log, reg)


def _components(edges: list[Edge]) -> list[dict[tuple, tuple[float, list[tuple[Edge, int]]]]]:
    """Connected parts of the forest: point → (running total relative to the part's first
    point, the signed edges from that point to it), the part holding the origin first."""
    adj: dict[tuple, list[tuple[Edge, int, tuple]]] = defaultdict(list)
    for e in edges:
        adj[e.u].append((e, 1, e.v))
        adj[e.v].append((e, -1, e.u))
    seen: set[tuple] = set()
    parts = []
    for s in sorted(adj, key=lambda p: (p != ORIGIN, p)):
        if s in seen:
            continue
        vals: dict[tuple, tuple[float, list[tuple[Edge, int]]]] = {s: (0.0, [])}
        stack = [s]
        seen.add(s)
        while stack:
            p = stack.pop()
            for e, sign, q in adj[p]:
                if q not in seen:
                    seen.add(q)
                    vals[q] = (vals[p][0] + sign * e.value, [*vals[p][1], (e, sign)])
                    stack.append(q)
        base = vals[min(vals)][0]
        parts.append({p: (v - base, es) for p, (v, es) in vals.items()})
    return parts


def _between(part, a, b) -> list[tuple[Edge, int]]:
    """The edges joining points ``a`` and ``b`` with their part in C(b) − C(a) (+1 / −1):
    the edges of one root path and not the other."""
    ea, eb = part[a][1], part[b][1]
    ids_a, ids_b = {id(e) for e, _ in ea}, {id(e) for e, _ in eb}
    return [(e, s) for e, s in eb if id(e) not in ids_a] + [
        (e, -s) for e, s in ea if id(e) not in ids_b
    ]


def months_of(
    rid: str, ind: str, year: int, edges: list[Edge], log: CleaningLog, reg: Registry
) -> list[MonthValue]:
    """The monthly values the kept reports of a series-year determine: each difference of
    consecutive known points of its running total, recorded in the later point's month (one
    value covering several months when the months between are not known separately). A part
    not tied to January (a month's own figure after a month nobody reported) gives its own
    months, unless they fall inside months already given (then its figure is inside theirs)."""
    out: list[MonthValue] = []
    taken: set[int] = set()
    for part in _components(edges):
        pts = sorted(part)
        chain: list[MonthValue] = []
        for a, b in itertools.pairwise(pts):
            used = _between(part, a, b)
            used.sort(key=lambda x: -x[1])  # the reports adding first, those taken off after
            src = " + ".join(e.obs.source for e, s in used if s > 0)
            minus = [e.obs.source for e, s in used if s < 0]
            if minus:
                src += " − " + " − ".join(minus)
            chain.append(
                MonthValue(
                    rid,
                    ind,
                    year,
                    a[0] + 1,
                    b[0],
                    part[b][0] - part[a][0],
                    src,
                    any(e.obs.illustrative for e, _ in used),
                    [e.obs for e, _ in used],
                    b[1] if b[1] != FULL else None,
                )
            )
        months = {m for v in chain for m in range(v.start, v.end + 1)}
        if not chain:
            continue
        if months & taken:
            _inside(chain, out, log, reg)
            continue
        _revisions(chain, log, reg)
        taken |= months
        out += chain
    return out


def _inside(chain: list[MonthValue], out: list[MonthValue], log: CleaningLog, reg: Registry):
    """A part of a series not tied to January whose months fall inside values already given
    (a month's own figure inside a later 1-9月 total): not listed on its own. It cannot
    exceed the values it falls in (amounts are not negative): a flag when it does."""
    months = {m for v in chain for m in range(v.start, v.end + 1)}
    own = sum(v.value for v in chain)
    around = [v for v in out if v.start <= max(months) and v.end >= min(months)]
    total = sum(v.value for v in around)
    v0, o = chain[0], chain[0].obs[0]
    span = _span(v0.year, min(months), max(months))
    outer = "、".join(
        _span(v.year, v.start, v.end, v.through_day) + f" {v.value:g}" for v in around
    )
    what = f"{reg.region_name(v0.region_id)}“{reg.indicator_name(v0.indicator_id)}”{span}"
    about = dict(
        region_id=v0.region_id, indicator_id=v0.indicator_id, month=month_str(v0.year, max(months))
    )
    if own > total + TOL * max(1.0, total):
        log.flag(
            o.file,
            o.sheet,
            o.cell,
            f"{what}报 {own:g}（{v0.source}），大于包含它的 {outer}：请核对",
            f"{v0.region_id} {v0.indicator_id} {span} = {own:g} ({v0.source}) exceeds the "
            f"value(s) it falls in ({outer}): check them",
            **about,
        )
    else:
        log.info(
            o.file,
            o.sheet,
            o.cell,
            f"{what} {own:g} 已包含在 {outer} 中，不单列",
            f"{v0.region_id} {v0.indicator_id} {span} = {own:g} lies inside {outer}; "
            "not listed on its own",
            **about,
        )


def _revisions(chain: list[MonthValue], log: CleaningLog, reg: Registry) -> None:
    """A negative month (a running total lower than an earlier one): 0, and the excess taken
    back from the months before it, latest first, so that the months add up to the later
    total; flagged with both cells."""
    totals = np.cumsum([v.value for v in chain])  # the running totals as reported
    for i, v in enumerate(chain):
        if v.value >= -TOL * max(1.0, abs(v.value)):
            v.value = max(v.value, 0.0)
            continue
        prev_total, new_total = float(totals[i] - v.value), float(totals[i])
        excess = -v.value
        v.value = 0.0
        taken = []
        for back in reversed(chain[:i]):
            take = min(back.value, excess)
            if take > 0:
                back.value -= take
                excess -= take
                back.source += f" [revised down by {take:g} after {v.obs[0].cell}]"
                taken.append(f"{month_str(back.year, back.end)} −{take:g}")
            if excess <= TOL:
                break
        o = v.obs[0]
        rid, ind, year = v.region_id, v.indicator_id, v.year
        log.flag(
            o.file,
            o.sheet,
            o.cell,
            f"数据修订：{reg.region_name(rid)}“{reg.indicator_name(ind)}”累计数从 {prev_total:g} "
            f"降为 {new_total:g}（{v.source}）；采用较晚的累计数：{month_str(year, v.end)} 记为 0，"
            f"{'、'.join(taken) or '此前各月不变'}{'（扣回）' if taken else ''}",
            f"revision: {rid} {ind} running total fell from {prev_total:g} to {new_total:g} "
            f"({v.source}); the later total is "
            f"kept: {month_str(year, v.end)} = 0 and {', '.join(taken) or 'nothing'} taken back",
            region_id=rid,
            indicator_id=ind,
            month=month_str(year, v.end),
        )
