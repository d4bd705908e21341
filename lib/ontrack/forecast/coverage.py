"""What the data cover: per series, which months are known, which are still to come, and which
have no data at all; per target, whether it can be forecast and over how many months the rest
must come.

A month of a series is **known** when a progress row covers it. The others are

* **still to come** (drawn by the simulation, counted in the pace still required): every month
  after the series' last complete report (a report up to a day of its month, 截至12月5日,
  leaves the rest of that month to come), and every month between its first year's January and
  that report that no row covers (a gap: an office that skipped a month and has not sent a
  running total covering it yet);
* **no data** (never drawn, never zero): the months of years before the series' first report
  (a plan whose offices start reporting in 2026 has no 2025), and for a township the months
  only its county's own figure covers (the county's year-end table for a year its townships
  did not report: the county's target counts it, the township's cannot).

A target is forecast when none of its region's series (itself, or every township summed into
it) has months of no data in its window that its region's own figures do not give; otherwise
it is listed as not forecast, with the series and years missing (:func:`window`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .model import Fitted, month_index


@dataclass
class SeriesCoverage:
    """One leaf series: ``gaps`` (month indices up to ``last_idx`` to draw), ``blocked``
    (months only an ancestor's own figure covers: never drawn), ``data_from`` (the first month
    of its first year with data), ``last_idx`` (its last complete month) and ``last_frac`` (the
    share of the month after it already reported, 截至 a day)."""

    gaps: np.ndarray
    blocked: np.ndarray
    data_from: int
    last_idx: int
    last_frac: float
    #: the ancestors whose own figures cover ``blocked``, month → ancestor region
    blocked_by: dict[int, str] = field(default_factory=dict)
    #: no month known at all (a series expected without reports)
    never: bool = False

    def drawn(self, w0: int, w1: int) -> np.ndarray:
        """Weights of months ``w0..w1`` still to come (1; the rest of a part-month; 0 known or no
        data)."""
        months = np.arange(w0, w1 + 1)
        w = ((months > self.last_idx) | np.isin(months, self.gaps)).astype(float)
        w[months < self.data_from] = 0.0
        w[np.isin(months, self.blocked)] = 0.0
        if self.last_frac > 0:
            w[months == self.last_idx + 1] *= 1.0 - self.last_frac
        return w


def series_coverage(fitted: Fitted, k: int) -> SeriesCoverage:
    """The coverage of series ``k`` of ``fitted`` (a leaf; see the module docstring); computed
    once per fit."""
    memo = fitted.memo.setdefault("coverage", {})
    hit = memo.get(k)
    if hit is None:
        hit = memo[k] = _series_coverage(fitted, k)
    return hit


def _columns(fitted: Fitted) -> dict[str, np.ndarray]:
    """The series table's columns as arrays (read once per fit)."""
    cols = fitted.memo.get("coverage_columns")
    if cols is None:
        s = fitted.series
        cols = {
            "region_id": s["region_id"].astype(str).to_numpy(),
            "indicator_id": s["indicator_id"].astype(str).to_numpy(),
            "last_idx": s["last_idx"].to_numpy(int),
            "data_from": s["data_from"].to_numpy(int)
            if "data_from" in s
            else np.full(len(s), fitted.start_idx, int),
            "last_frac": s["last_frac"].to_numpy(float) if "last_frac" in s else np.zeros(len(s)),
        }
        fitted.memo["coverage_columns"] = cols
    return cols


def _series_coverage(fitted: Fitted, k: int) -> SeriesCoverage:
    c = _columns(fitted)
    region, ind = str(c["region_id"][k]), str(c["indicator_id"][k])
    T = fitted.values.shape[1]
    months = fitted.start_idx + np.arange(T)
    known = fitted.known[k] if fitted.known is not None else fitted.reported[k]
    blocked = np.zeros(T, bool)
    by: dict[int, str] = {}
    if fitted.own is not None:
        for a in fitted.reg.ancestors(region):
            j = fitted.row(a, ind)
            if j is not None:
                hit = fitted.own[j] & ~known & ~blocked
                for m in months[hit]:
                    by[int(m)] = a
                blocked |= hit
    data_from = int(c["data_from"][k])
    last_idx = int(c["last_idx"][k])
    last_frac = float(c["last_frac"][k])
    gaps = months[~known & ~blocked & (months >= data_from) & (months <= last_idx)]
    return SeriesCoverage(
        gaps, months[blocked], data_from, last_idx, last_frac, by, never=not known.any()
    )


@dataclass
class WindowCoverage:
    """A target window of a region (its series, or the townships summed into it)."""

    to_come: np.ndarray  # weight of each window month still to come (max over the leaves)
    missing: dict[str, list[int]]  # leaf → years of the window with no data
    last_reported: int  # the last month every leaf has complete data for
    unreported: list[str]  # leaves without data for the as-of month

    @property
    def months_left(self) -> float:
        return float(self.to_come.sum())


def window(
    fitted: Fitted,
    leaves: list[str],
    ind: str,
    region: str,
    w0: int,
    w1: int,
    cover: dict[str, SeriesCoverage],
) -> WindowCoverage:
    """The coverage of months ``w0..w1`` for ``region`` summed from ``leaves`` (``cover``: their
    :class:`SeriesCoverage`). A leaf's blocked months count as data when the ancestor whose own
    figure covers them is ``region`` or lies below it."""
    a_idx = fitted.as_of_idx
    months = np.arange(w0, w1 + 1)
    to_come = np.zeros(len(months))
    missing: dict[str, list[int]] = {}
    lasts, unreported = [], []
    for leaf in leaves:
        c = cover[leaf]
        to_come = np.maximum(to_come, c.drawn(w0, w1))
        past = months[months <= a_idx]
        inside = {region, *_below(fitted, region, leaf)}
        ok_blocked = {m for m, a in c.blocked_by.items() if a in inside}
        bad = past[(past < c.data_from) & ~np.isin(past, list(ok_blocked))]
        bad = np.union1d(bad, [m for m in c.blocked if m not in ok_blocked and w0 <= m <= w1])
        if c.never and leaf == region:  # its own target: no report at all, nothing to go on
            bad = np.union1d(bad, past)
        if len(bad):
            missing[leaf] = sorted({int(m) // 12 for m in bad})
        lasts.append(c.last_idx)
        partial = c.last_idx == a_idx - 1 and c.last_frac > 0  # 截至 a day of the as-of month
        if c.last_idx < a_idx and not partial:
            unreported.append(leaf)
    return WindowCoverage(to_come, missing, min(lasts, default=a_idx), unreported)


def _below(fitted: Fitted, region: str, leaf: str) -> list[str]:
    """The regions between ``leaf`` and ``region`` (ancestors of the leaf below ``region``)."""
    out = []
    for a in fitted.reg.ancestors(leaf):
        if a == region:
            break
        out.append(a)
    return out


def missing_text(missing: dict[str, list[int]], reg) -> tuple[str, str]:
    """'鳌江镇 2025年；水头镇 2025年' and its English, for a target not forecast."""
    zh = "；".join(
        f"{reg.region_name(r)} {'、'.join(f'{y}年' for y in ys)}" for r, ys in missing.items()
    )
    en = "; ".join(f"{r} {', '.join(str(y) for y in ys)}" for r, ys in missing.items())
    return zh, en


def complete_years(progress, as_of: str) -> int:
    """How many region-years of ``progress`` (the contract's monthly table; ``covers`` months
    a row spans, 1 when absent) have all twelve months known by ``as_of``: until one has, a
    month's share of the year comes only from the season's prior (model.PRIOR_SEASON)."""
    if progress is None or len(progress) == 0:
        return 0
    a_idx = month_index(as_of)
    m = progress["month"].astype(str)
    idx = m.str[:4].astype(int).to_numpy() * 12 + m.str[5:7].astype(int).to_numpy() - 1
    covers = (
        progress["covers"].fillna(1).astype(int).clip(lower=1).to_numpy()
        if "covers" in progress
        else np.ones(len(progress), int)
    )
    if "through_day" in progress:  # a month reported up to a day is not known whole
        day = progress["through_day"].fillna(0).astype(float).to_numpy()
        idx = np.where(day > 0, idx - 1, idx)
        covers = np.where(day > 0, covers - 1, covers)
    known: dict[tuple[str, str, int], set[int]] = {}
    keys = zip(progress["region_id"].astype(str), progress["indicator_id"].astype(str), strict=True)
    for (r, i), end, c in zip(keys, idx, covers, strict=True):
        if end > a_idx:
            continue
        for t in range(end - c + 1, end + 1):
            known.setdefault((r, i, t // 12), set()).add(t % 12)
    return sum(len(v) == 12 for v in known.values())
