"""Simulation: draws of what is still to come, per series, joined into target probabilities.

For each leaf series (region, indicator) the months after its last report are simulated to the
December of the last year any of its targets needs (:mod:`.levels` gives each series' level
model):

1. per draw, the plan's shared quantities for the indicator: this year's plan pace ratio ``Z``
   (from its grid posterior), the response to target growth and the plan's steps in later
   years, from one stream per (plan, indicator), so that the plan's regions move together;
2. per draw, the region's level this year given ``Z`` (gamma posterior), whether it has stalled
   (and its stalled level), and its levels in later years (shared steps, the target growth to
   the power of the response, its own drift);
3. for each stretch of months between check points (December ends and the month before a window
   starts) one exact draw of the stretch's total, because the families are closed under sums of
   months with a shared level: counts Poisson of Gamma(k * exposure, level / k) (variance
   phi * mu + level * mu / k, NB2-type), Poisson, and compound Poisson completions with a
   two-kind gamma size mixture (usual buildings and giants: each kind's number ~ Poisson,
   its total ~ Gamma);
4. scenario pipeline projects as Bernoulli(probability) x amount in their month, and pace
   factors multiplying the expected monthly amounts.

Every series has its own random stream, keyed by (seed, region, indicator), and every plan one
shared stream per indicator: results do not depend on the row order of the inputs or on which
other plans are in the run, and a scenario re-uses the baseline's draws (common random
numbers), so differences between scenarios are the scenario's effect, not Monte-Carlo noise. A
county whose progress is the sum of its townships is simulated as the sum of its townships'
draws (which share the plan's draws), so township and county never contradict, and a county's
interval carries the uncertainty its townships share.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import InputError
from ..schema import ATTAINMENT_COLUMNS, TARGET_KEY, TRAJECTORY_COLUMNS
from .coverage import SeriesCoverage, missing_text, series_coverage, window
from .levels import (
    STALL_DEPTH,
    STALL_MEAN_SHARE,
    STALL_SHAPE,
    SeriesParams,
    plan_levels,
    stream,
)
from .model import Fitted, all_plan_members, month_index, month_label, plan_members
from .scenario import Scenario, apply_target_overrides, as_scenario
from .verdicts import RAG, RagThresholds, eurostat_class, linear_pace, rag

__all__ = ["SeriesParams"]

TARGET_COLUMNS = [*TARGET_KEY, "value"]
#: draws behind the months of a trajectory other than December (a December is a check point:
#: every draw); splitting a stretch's total over its months is the costly part of trajectories
PATH_SIMS = 2_000


def prepare_targets(targets: pd.DataFrame) -> pd.DataFrame:
    """Check and order the targets table; keep only flow targets (stock ones are not forecast)."""
    missing = set(TARGET_COLUMNS) - set(targets.columns)
    if missing:
        raise InputError("targets", f"missing column(s) {sorted(missing)}")
    t = targets.copy()
    for c in ("plan_id", "region_id", "indicator_id", "level"):
        t[c] = t[c].astype(str)
    try:
        t["year_start"] = t["year_start"].astype(int)
        t["year_end"] = t["year_end"].astype(int)
        t["value"] = pd.to_numeric(t["value"]).astype(float)
    except (ValueError, TypeError):
        raise InputError("targets", "year_start, year_end or value is not a number") from None
    if "measure" in t.columns:
        t = t[t["measure"].fillna("flow").astype(str).str.lower() != "stock"]
    if "assumed" not in t.columns:
        t["assumed"] = False
    t["assumed"] = t["assumed"].fillna(False).astype(bool)
    t = t.sort_values(["plan_id", "region_id", "indicator_id", "year_start", "year_end", "level"])
    return t.reset_index(drop=True)


def _stream(seed: int, region: str, indicator: str, k: int) -> np.random.Generator:
    return stream(seed, region, indicator, k)


# a series' targets as plain tuples (level, year_start, year_end, value), sorted
_TRows = list[tuple[str, int, int, float]]


def _target_rows(targets: pd.DataFrame) -> dict[tuple[str, str], _TRows]:
    out: dict[tuple[str, str], _TRows] = {}
    cols = ["region_id", "indicator_id", "level", "year_start", "year_end", "value"]
    for r, i, lv, ys, ye, v in sorted(targets[cols].itertuples(index=False, name=None)):
        out.setdefault((r, i), []).append((lv, int(ys), int(ye), float(v)))
    return out


@dataclass
class PlanFit:
    """One plan's peer group: its regions, the fit of their progress, and the series posteriors."""

    plan_id: str
    regions: frozenset[str]
    fitted: Fitted
    params: dict[tuple[str, str], SeriesParams]


def series_params(fitted: Fitted, targets: pd.DataFrame) -> dict[str, PlanFit]:
    """Per plan of ``targets``: the fit of the plan's own regions and each leaf series' posterior.

    The pooling (seasonal profile, dispersion, pooled pace ratio and its spread) runs over the
    plan's regions only (:func:`~ontrack.forecast.model.plan_members`), so a plan's parameters
    do not depend on other plans' targets or progress, but for one thing: its seasonal
    profiles are shrunk towards the project's, learned from all the progress fitted
    (:meth:`~ontrack.forecast.model.Fitted.project_season_of`). ``targets`` should hold the
    plan's whole targets table (the prior uses every target of the plan).
    """
    t = prepare_targets(targets)
    groups = all_plan_members(fitted.source_regions, t, fitted.reg)
    out: dict[str, PlanFit] = {}
    for plan, tp in t.groupby("plan_id", sort=True):
        members = groups[str(plan)]
        if not members:  # no progress in the plan's regions: nothing to forecast
            continue
        expected = expected_series(fitted, tp, members)
        prior = fitted.project_season_of(members)
        members = members | {r for r, _ in expected}
        fp = fitted.restrict(members, expected, season_prior=prior)
        out[str(plan)] = PlanFit(str(plan), members, fp, _series_params_one(fp, tp, str(plan)))
    return out


def expected_series(fitted: Fitted, targets: pd.DataFrame, members) -> set[tuple[str, str]]:
    """The (region, indicator) series of a plan's targets that have no progress yet although
    the plan's regions report the indicator, and that are summed into a region the plan has a
    target for: a township with targets that has not reported is still to come, so its county
    is the sum of every township, not of those that reported (the township's own targets are
    not forecast: it has no data). Only the lowest regions of the plan's targets."""
    src = fitted.source
    if src is None or src.empty:
        return set()
    have = src[src["region_id"].isin(members)]
    reported = set(zip(have["region_id"], have["indicator_id"].astype(str), strict=True))
    inds = {i for _, i in reported}
    pairs = set(zip(targets["region_id"], targets["indicator_id"], strict=True))
    reg = fitted.reg
    below = {(a, i) for r, i in pairs for a in reg.ancestors(r)}
    return {
        (r, i)
        for r, i in pairs
        if i in inds and (r, i) not in below and any((a, i) in pairs for a in reg.ancestors(r))
    } - reported


def scenario_params(
    fitted: Fitted, targets: pd.DataFrame, scenario: Scenario | dict | str | None = None
) -> dict[str, PlanFit]:
    """:func:`series_params` of the targets with the scenario's target overrides applied: the
    ``params`` that :func:`simulate_attainment` and :func:`trajectories` would compute."""
    sc = as_scenario(scenario)
    t = prepare_targets(apply_target_overrides(prepare_targets(targets), sc))
    return series_params(fitted, t)


def plan_fit(
    fitted: Fitted, targets: pd.DataFrame, plan_id: str, params: dict | None = None
) -> PlanFit | None:
    """The :class:`PlanFit` of one plan (from ``params`` if there), or None without progress."""
    if params is not None and plan_id in params:
        return params[plan_id]
    t = targets[targets["plan_id"].astype(str) == str(plan_id)]
    return series_params(fitted, t).get(str(plan_id)) if len(t) else None


def _series_params_one(
    fitted: Fitted, targets: pd.DataFrame, plan_id: str = ""
) -> dict[tuple[str, str], SeriesParams]:
    """Level model of each leaf series of one plan's fit (:func:`.levels.plan_levels`)."""
    return plan_levels(fitted, targets, plan_id, _target_rows(targets))


def _factors(sc: Scenario | None, p: SeriesParams, months: np.ndarray, parents: tuple[str, ...]):
    if sc is None or not sc.pace:
        return np.ones(len(months))
    return np.array(
        [sc.pace_factor(p.region_id, p.indicator_id, month_label(int(m)), parents) for m in months]
    )


def _draw_amount(
    p: SeriesParams, lam: np.ndarray, seg: float, seg2: float, rng: np.random.Generator
) -> tuple[np.ndarray, tuple | None]:
    """One draw of a stretch's total given the level ``lam`` (array over draws) and the
    stretch's exposure ``seg`` (sum of its months' weights: season x factors; ``seg2`` the sum
    of their squares), and what :func:`_split` needs to spread it over the stretch's months
    (None when deterministic). Counts: Poisson of a gamma with the mean and variance of the
    months' independent gammas (NB2 a month: Var = phi * mu + mu^2 / k), exact for one month."""
    mu = lam * seg
    if p.nature == "small_count":
        n = rng.poisson(mu)
        return n.astype(float), (n,)
    if p.nature == "lumpy":
        if p.m <= 1e-12 * max(float(mu.max(initial=0.0)), 1e-300):
            return mu.copy(), None
        nu = mu / p.m
        small = 1.0 / (1.0 - p.giant + p.giant * p.giant_x)  # usual size / mean size
        n_s = rng.poisson(nu * (1.0 - p.giant))
        n_b = rng.poisson(nu * p.giant) if p.giant > 0 else np.zeros_like(n_s)
        a_s = _gamma_sum(rng, n_s, p.kappa, p.m * small / p.kappa)
        a_b = _gamma_sum(rng, n_b, p.kappa, p.m * small * p.giant_x / p.kappa)
        return a_s + a_b, (n_s, n_b, a_s)
    if p.inv_k > 0 and p.phi > 0 and seg2 > 0:
        alpha = seg * seg / (seg2 * p.inv_k)
        g = rng.standard_gamma(alpha, lam.shape[0]) * (lam * (seg2 * p.inv_k / seg))
        n = _poisson(rng, g / p.phi)
        return p.phi * n, (n, alpha)
    if p.phi > 1e-9:
        n = _poisson(rng, mu / p.phi)
        return p.phi * n, (n,)
    return mu.copy(), None


#: above this mean a Poisson count is drawn by its normal approximation (numpy refuses means
#: near 1e19; a series with a tiny phi, nearly exact, gives such means in units of phi)
POISSON_NORMAL = 1e8


def _poisson(rng: np.random.Generator, m: np.ndarray) -> np.ndarray:
    """Poisson(m) draws (integers; floats where m > :data:`POISSON_NORMAL`: m + sqrt(m) z)."""
    big = m > POISSON_NORMAL
    if not big.any():
        return rng.poisson(m)
    out = rng.poisson(np.where(big, 0.0, m)).astype(float)
    out[big] = m[big] + np.sqrt(m[big]) * rng.standard_normal(int(big.sum()))
    return out


def _gamma_sum(rng: np.random.Generator, n: np.ndarray, kappa: float, scale: float) -> np.ndarray:
    """Total of ``n`` (per draw) gamma(kappa, scale) sizes: Gamma(n * kappa, scale); drawn only
    where n > 0."""
    out = np.zeros(n.shape[0])
    hit = n > 0
    if hit.any():
        out[hit] = rng.standard_gamma(n[hit] * kappa) * scale
    return out


def _split(
    p: SeriesParams,
    amount: np.ndarray,
    count: tuple | None,
    w: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Running total within a stretch, month by month (len(w) x draws), given its total.

    Exact conditional draws of the monthly amounts given the stretch's total, so that monthly
    paths end exactly on the draws behind the attainment table: counts are spread
    multinomially over Dirichlet shares (the gamma mixing, independent of the total given the
    level), Poisson counts in proportion to ``w``; a lumpy stretch's
    completions of each kind multinomially and each kind's total by a Dirichlet over the
    months' completions. (For counts the shares are Dirichlet(alpha * w / sum(w)), alpha the
    stretch's gamma shape: exact for the stretch's total and each month's mean.)
    """
    n_sims = amount.shape[0]
    total_w = float(w.sum())
    if total_w <= 0 or len(w) == 0:
        return np.zeros((len(w), n_sims))
    pr = w / total_w
    if count is None:  # deterministic amount: spread in proportion to the expected amounts
        return np.cumsum(pr)[:, None] * amount[None, :]
    if p.nature == "lumpy":
        n_s, n_b, a_s = count
        out = np.zeros((n_sims, len(w)))
        for n, tot in ((n_s, a_s), (n_b, amount - a_s)):
            events = rng.multinomial(np.asarray(n, np.int64), pr)  # draws x months
            g = rng.gamma(events * p.kappa)
            s = g.sum(1, keepdims=True)
            share = np.divide(g, s, out=np.zeros_like(g), where=s > 0)
            out += share * tot[:, None]
        return np.cumsum(out, 1).T
    n = np.asarray(count[0], float)
    big = n > POISSON_NORMAL  # (a count drawn as a normal: spread by its shares)
    if p.nature != "small_count" and len(count) > 1:
        g = rng.gamma(np.broadcast_to(count[1] * pr, (n_sims, len(w))))
        s = g.sum(1, keepdims=True)
        probs = np.where(s > 0, g / np.where(s > 0, s, 1.0), pr[None, :])
        probs = probs / probs.sum(1, keepdims=True)
    else:
        probs = np.broadcast_to(pr, (n_sims, len(w)))
    m = rng.multinomial(np.where(big, 0, n).astype(np.int64), probs).astype(float)
    if big.any():
        m[big] = probs[big] * n[big, None]
    unit = p.phi if p.nature != "small_count" else 1.0
    return np.cumsum(m, 1).T * unit


def simulate_series(
    p: SeriesParams,
    checkpoints: np.ndarray,
    as_of_idx: int,
    *,
    scenario: Scenario | None,
    n_sims: int,
    seed: int,
    parents: tuple[str, ...] = (),
    monthly: bool = False,
) -> np.ndarray:
    """Cumulative simulated amount after the series' last report, at each check point.

    Returns an array (len(checkpoints), n_sims); a check point on or before the last report is 0.
    With ``monthly`` the check points are taken to be consecutive months and drawn one by one.
    """
    out, _ = series_paths(
        p,
        checkpoints,
        as_of_idx,
        scenario=scenario,
        n_sims=n_sims,
        seed=seed,
        parents=parents,
        monthly=monthly,
    )
    return out


def _head(count: tuple, n: int) -> tuple:
    """The first ``n`` draws of what :func:`_draw_amount` returns for the split."""
    return tuple(x[:n] if isinstance(x, np.ndarray) else x for x in count)


def _walk(
    p: SeriesParams, months: np.ndarray, sm: np.ndarray, seed: int, n_sims: int
) -> np.ndarray | None:
    """Draws (n_sims x months) of ``sm`` times the level's walk since the last report, for the
    months after it in the same year (its own stream; mean 1 a month); the other months' ``sm``
    as they are. None without a walk."""
    if p.walk <= 0:
        return None
    on = (months > p.last_idx) & (months // 12 == p.last_idx // 12)
    if not on.any():
        return None
    h = months[on] - p.last_idx
    rng = _stream(seed, p.region_id, p.indicator_id, 4)
    steps = rng.standard_normal((n_sims, int(h.max()))) * np.sqrt(p.walk)
    cum = np.cumsum(steps, 1)[:, h - 1] - h[None, :] * p.walk / 2
    out = np.broadcast_to(sm, (n_sims, len(sm))).copy()
    out[:, on] *= np.exp(cum)
    return out


@dataclass(frozen=True)
class FutureStalls:
    """Stalls still to come in a series' draws (:func:`_future_stalls`): the months' weights are
    divided by ``carried``; per year, draw ``rows[i]`` runs at ``share[i]`` of its level from
    month position ``start[i]`` to the year's last position ``end - 1`` (positions in the months
    drawn; a draw stalls at most once a year)."""

    carried: np.ndarray  # per month drawn: the stalls' expectation the season carries
    years: tuple[tuple[np.ndarray, np.ndarray, int, np.ndarray], ...]  # (rows, start, end, share)

    def apply(self, weights: np.ndarray) -> None:
        """Multiply the stalled draws' months of ``weights`` (n_sims x months) by their share."""
        col = np.arange(weights.shape[1])
        for rows, start, end, share in self.years:
            hit = (col[None, :] >= start[:, None]) & (col[None, :] < end)
            weights[rows] *= np.where(hit, share[:, None], 1.0)

    def lost(self, cum: np.ndarray, prev: int, q: int, n_sims: int) -> np.ndarray:
        """Per draw: the weight its stall takes from months ``prev``..``q - 1`` (``cum``: the
        cumulative weights, from 0)."""
        out = np.zeros(n_sims)
        for rows, start, end, share in self.years:
            lo, hi = np.maximum(start, prev), min(end, q)
            out[rows] += (1.0 - share) * np.where(hi > lo, cum[hi] - cum[np.minimum(lo, hi)], 0.0)
        return out


def _future_stalls(p: SeriesParams, months: np.ndarray, seed: int, n_sims: int):
    """The stalls still to come in the draws of a series (:class:`FutureStalls`), or None.

    In each year, from the month after the last report (from January in later years), the
    level may collapse for the rest of the year (:attr:`SeriesParams.stall_hazard` a month; the
    stalled level a share of it, Gamma(:data:`STALL_SHAPE`) of mean :data:`STALL_DEPTH`, at most
    1). The months' weights are divided by the expectation the season already carries: the
    season was fitted on years with their stalls (:attr:`SeriesParams.stall_seen` a month), so
    where the two hazards agree the draws keep the season's mean and add the spread (most
    regions a little above the season, a few far below), and where the past years showed no
    stall the stalls to come lower the mean."""
    h, seen = p.stall_hazard, p.stall_seen
    on = months > p.last_idx
    if h <= 0 or not on.any():
        return None
    rng = _stream(seed, p.region_id, p.indicator_id, 5)
    loss = 1.0 - STALL_MEAN_SHARE
    carried = np.ones(len(months))
    years = months // 12
    parts = []
    for y in np.unique(years[on]):
        pos = np.flatnonzero(on & (years == y))  # months are in order: a year's are together
        first = p.last_idx + 1 if y == p.last_idx // 12 else int(y) * 12
        carried[pos] = 1.0 - loss * (1.0 - (1.0 - seen) ** (months[pos] - first + 1))
        # the month a draw stalls from: first + a geometric number of months - 1, by its
        # inverse cdf (only the draws that stall within the year need it)
        u = rng.random(n_sims)
        rows = np.flatnonzero(u < -np.expm1((months[pos[-1]] - first + 1) * np.log1p(-h)))
        start = first + np.floor(np.log1p(-u[rows]) / np.log1p(-h)).astype(int)
        share = rng.standard_gamma(STALL_SHAPE, len(rows)) * (STALL_DEPTH / STALL_SHAPE)
        at = pos[0] + np.searchsorted(months[pos], start)
        parts.append((rows, at, int(pos[-1]) + 1, np.minimum(share, 1.0)))
    return FutureStalls(carried, tuple(parts))


def series_paths(
    p: SeriesParams,
    checkpoints: np.ndarray,
    as_of_idx: int,
    *,
    scenario: Scenario | None,
    n_sims: int,
    seed: int,
    parents: tuple[str, ...] = (),
    monthly: bool = False,
    grid: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """:func:`simulate_series` and, for the months of ``grid`` (month indices, none after the
    last check point), the cumulative amount at each of those months.

    The draws at the check points are exactly those of :func:`simulate_series` (the same random
    numbers); the months between check points are conditional draws given each stretch's total
    (:func:`_split`, from a stream of their own), so a monthly path ends on the check point's
    draw and every month's running total is a draw from the model's distribution. Months inside
    a stretch are drawn for the first :data:`PATH_SIMS` draws only (NaN for the others): their
    quantiles are for a chart, and the splits are the costly part.
    """
    cps = np.asarray(checkpoints, int)
    out = np.zeros((len(cps), n_sims))
    paths = None if grid is None else np.zeros((len(grid), n_sims))
    end = int(cps.max(initial=p.last_idx))
    # the months drawn: the gaps (unknown months before the last report), then every month
    # after it (the rest of a part-month weighted by its share), except months only an
    # ancestor's own figure covers
    future = np.arange(p.last_idx + 1, end + 1)
    if len(p.skip):
        future = future[~np.isin(future, p.skip)]
    gaps = np.asarray(p.gaps, int)
    months = np.concatenate([gaps[gaps <= end], future])
    if len(months) == 0:
        return out, paths
    sm = p.season[months % 12] * _factors(scenario, p, months, parents)
    if p.first_weight < 1.0:
        sm = np.where(months == p.last_idx + 1, sm * p.first_weight, sm)
    stalls = _future_stalls(p, months, seed, n_sims)
    if stalls is not None:
        sm = sm / stalls.carried
    cum_s = np.concatenate([[0.0], np.cumsum(sm)])
    cum_s2 = np.concatenate([[0.0], np.cumsum(sm**2)])
    pos = np.searchsorted(months, cps, side="right")  # months drawn up to each check point
    years = months // 12
    cuts = sorted({0, len(months), *pos.tolist(), *(np.flatnonzero(np.diff(years)) + 1).tolist()})
    rng = _stream(seed, p.region_id, p.indicator_id, 1 if monthly else 0)
    level = p.levels(n_sims, rng, seed)
    if grid is not None:
        gpos = np.searchsorted(months, np.asarray(grid, int), side="right")
        split_rng = _stream(seed, p.region_id, p.indicator_id, 3)
    walked = _walk(p, months, sm, seed, n_sims)
    if walked is not None and stalls is not None:
        stalls.apply(walked)
    total = np.zeros(n_sims)
    at_cut = {0: total}
    for prev, q in itertools.pairwise(cuts):
        seg = cum_s[q] - cum_s[prev]
        seg2 = float(cum_s2[q] - cum_s2[prev])
        lam = level(int(years[prev]))
        if walked is not None and seg > 0:
            lam = lam * (walked[:, prev:q].sum(1) / seg)
        elif stalls is not None and seg > 0:
            lam = lam * (1.0 - stalls.lost(cum_s, prev, q, n_sims) / seg)
        amount, count = _draw_amount(p, lam, float(seg), seg2, rng)
        if grid is not None:
            inside = np.flatnonzero((gpos > prev) & (gpos < q))
            if len(inside):
                # months inside a stretch: the first PATH_SIMS draws (NaN beyond them)
                n = min(n_sims, PATH_SIMS)
                c = None if count is None else _head(count, n)
                within = _split(p, amount[:n], c, sm[prev:q], split_rng)
                paths[inside, :n] = total[None, :n] + within[gpos[inside] - prev - 1]
                paths[inside, n:] = np.nan
            paths[gpos == q] = total + amount  # exactly the check point's draw
        total = total + amount
        at_cut[q] = total
    for k, q in enumerate(pos):
        out[k] = at_cut[int(q)]
    if scenario is not None and scenario.pipeline:
        add_pipeline(out, cps, scenario, p.region_id, p.indicator_id, as_of_idx, seed, p.last_idx)
        if grid is not None:
            add_pipeline(
                paths, np.asarray(grid, int), scenario, p.region_id, p.indicator_id, as_of_idx,
                seed, p.last_idx,
            )  # fmt: skip
    return out, paths


def add_pipeline(
    out: np.ndarray,
    cps: np.ndarray,
    scenario: Scenario,
    region: str,
    indicator: str,
    as_of_idx: int,
    seed: int,
    last_idx: int,
) -> None:
    """Add the scenario's pipeline projects of one series (in place) to cumulative draws."""
    items = [
        it
        for it in scenario.pipeline
        if it.region == region
        and it.indicator == indicator
        and month_index(it.month) > max(as_of_idx, last_idx)
    ]
    if not items:
        return
    rng = _stream(seed, region, indicator, 2)
    for it in sorted(items, key=lambda x: (x.month, x.amount, x.probability, x.label)):
        t = month_index(it.month)
        hit = (rng.random(out.shape[1]) < it.probability) * it.amount
        out[cps >= t] += hit[None, :]


def _family(fitted: Fitted, region: str, indicator: str) -> tuple[str, ...]:
    """Leaf regions whose draws make up a series (itself, or its townships)."""
    kids = fitted.children.get((region, indicator))
    if kids is None:
        return (region,)
    leaves: list[str] = []
    for c in kids:
        leaves.extend(_family(fitted, c, indicator))
    return tuple(leaves)


def _parents_of(fitted: Fitted, region: str, indicator: str) -> tuple[str, ...]:
    """The regions a series is summed into, nearest first."""
    out = []
    key = (region, indicator)
    while key in fitted._parent:
        par = fitted._parent[key]
        out.append(par)
        key = (par, indicator)
    return tuple(out)


def _actual(fitted: Fitted, k: int, start_idx: int, end_idx: int) -> float:
    a = max(start_idx, fitted.start_idx) - fitted.start_idx
    b = min(end_idx, fitted.as_of_idx) - fitted.start_idx
    if b < a:
        return 0.0
    return float(fitted.values[k, a : b + 1].sum())


def pace_so_far(
    fitted: Fitted,
    leaves: list[str],
    ind: str,
    cover: dict[str, SeriesCoverage],
    w0: int,
    w1: int,
    actual: float,
    elapsed: float,
) -> float:
    """The monthly amount so far of a target window ``w0..w1`` (``actual`` done in it): for a
    region summed from several leaves, the sum of each leaf's average over the months it has
    reported, so that a township that has not sent the as-of month yet does not make its
    county look faster (the county's total holds the other townships' amounts of that month,
    while the month is still to come for the county: actual / elapsed spreads them over one
    month too few). One leaf, or leaves whose months an ancestor's own figure covers (their
    amounts are not theirs to average): ``actual`` / ``elapsed`` (the months gone by for the
    region); NaN when no month of the window has gone by."""
    n = w1 - w0 + 1
    if len(leaves) > 1:
        total = pace = 0.0
        for leaf in leaves:
            c = cover[leaf]
            if ((c.blocked >= w0) & (c.blocked <= w1)).any():
                break
            done = _actual(fitted, fitted.row(leaf, ind), w0, w1)
            gone = n - float(c.drawn(w0, w1).sum())
            total += done
            pace += done / gone if gone > 0 else 0.0
        else:
            if abs(total - actual) <= 1e-9 * max(1.0, abs(actual)):
                return pace
    return actual / elapsed if elapsed > 0 else float("nan")


def december_grid(year_from: int, year_to: int) -> np.ndarray:
    """Check points: every December from the one before ``year_from`` to ``year_to``'s.

    Every target window starts after a December and ends in one, so this one grid serves all
    targets, and a series' draws are the same whichever targets (or county) they are used for.
    """
    return np.arange(int(year_from) * 12 - 1, int(year_to) * 12 + 12, 12)


def family_draws(
    fitted: Fitted,
    params: dict,
    region: str,
    ind: str,
    cps: np.ndarray,
    sc: Scenario | None,
    n_sims: int,
    seed: int,
    cache: dict[str, tuple] | None = None,
    grid: np.ndarray | None = None,
) -> tuple[np.ndarray, list[str]] | tuple[np.ndarray, list[str], np.ndarray]:
    """Cumulative draws at ``cps`` of a series: its own, or the sum of its townships' draws.

    ``cache`` (leaf region → draws at the same ``cps`` and ``grid``) lets a family re-use its
    townships' draws. With ``grid`` (month indices) the running totals at those months are
    returned too (:func:`series_paths`), as a third element.
    """
    leaves = _family(fitted, region, ind)
    total = np.zeros((len(cps), n_sims))
    paths = None if grid is None else np.zeros((len(grid), n_sims))
    methods = []
    for leaf in leaves:
        p = params.get((leaf, ind))
        if p is None:
            continue
        hit = None if cache is None else cache.get(leaf)
        if hit is None:
            hit = series_paths(
                p,
                cps,
                fitted.as_of_idx,
                scenario=sc,
                n_sims=n_sims,
                seed=seed,
                parents=_parents_of(fitted, leaf, ind),
                grid=grid,
            )
            if cache is not None:
                cache[leaf] = hit
        total += hit[0]
        if paths is not None:
            paths += hit[1]
        methods.append(p.method)
    if sc is not None and sc.pipeline and leaves != (region,):
        k = fitted.row(region, ind)
        last = int(fitted.series.loc[k, "last_idx"])
        add_pipeline(total, cps, sc, region, ind, fitted.as_of_idx, seed, last)
        if paths is not None:
            add_pipeline(
                paths, np.asarray(grid, int), sc, region, ind, fitted.as_of_idx, seed, last
            )
    if grid is None:
        return total, methods
    return total, methods, paths


def projection_draws(
    fitted: Fitted,
    targets: pd.DataFrame,
    region_id: str,
    indicator_id: str,
    year_start: int,
    year_end: int,
    *,
    scenario: Scenario | dict | str | None = None,
    n_sims: int = 10_000,
    seed: int = 0,
    plan_id: str | None = None,
    params: dict | None = None,
) -> np.ndarray:
    """The simulated totals of a window (actual to date + draws), the draws behind attainment.

    ``plan_id`` names the plan whose peer group forecasts the series; by default the first plan
    (by id) with a target for the region and indicator, else the first whose regions hold it.
    """
    sc = as_scenario(scenario)
    t = prepare_targets(apply_target_overrides(prepare_targets(targets), sc))
    if plan_id is None:
        own = t[(t["region_id"] == region_id) & (t["indicator_id"] == indicator_id)]
        plans = sorted(own["plan_id"].unique()) or [
            p
            for p in sorted(t["plan_id"].unique())
            if region_id in plan_members([region_id], t, p, fitted.reg)
        ]
        plan_id = plans[0] if plans else ""
    pf = plan_fit(fitted, t, plan_id, params)
    k = None if pf is None else pf.fitted.row(region_id, indicator_id)
    if pf is None or k is None:
        raise InputError("projection_draws", f"no progress for {region_id} / {indicator_id}")
    fitted, params = pf.fitted, pf.params
    cps = december_grid(year_start, year_end)
    total, _ = family_draws(fitted, params, region_id, indicator_id, cps, sc, n_sims, seed)
    w0, w1 = int(year_start) * 12, int(year_end) * 12 + 11
    return _actual(fitted, k, w0, w1) + total[-1] - total[0]


def _quantiles(x: np.ndarray, qs: tuple[float, ...]) -> np.ndarray:
    """np.quantile(x, qs, axis=1) (linear interpolation) with one partial sort."""
    n = x.shape[1]
    h = [(n - 1) * q for q in qs]
    lo = [int(np.floor(v)) for v in h]
    kth = sorted({k for v in lo for k in (v, min(v + 1, n - 1))})
    part = np.partition(x, kth, axis=1)
    return np.stack(
        [
            part[:, a] + (v - a) * (part[:, min(a + 1, n - 1)] - part[:, a])
            for v, a in zip(h, lo, strict=True)
        ]
    )


_ROW_COLUMNS = (
    "plan_id",
    "region_id",
    "indicator_id",
    "year_start",
    "year_end",
    "level",
    "target",
    "actual_to_date",
    "p_meet",
    "proj_p10",
    "proj_p50",
    "proj_p90",
    "required_per_month",
    "as_of",
    "months_left",
    "share_done",
    "share_time",
    "pace_so_far",
    "pace_ratio",
    "seasonal_proj",
    "method",
    "assumed",
    "illustrative",
    "scenario",
    "last_reported",
    "unreported",
    "reporters",
)

#: not_forecast table: the targets whose windows hold months of no data (docs/data-contracts.md)
NOT_FORECAST_COLUMNS = [
    *TARGET_KEY, "target", "actual_known", "missing", "missing_en", "as_of", "scenario",
]  # fmt: skip


def _not_forecast_row(fitted, x, region, ind, k, wc, name) -> dict:
    plan, ys, ye, level, target, _ = x
    zh, en = missing_text(wc.missing, fitted.reg)
    return {
        "plan_id": plan, "region_id": region, "indicator_id": ind, "year_start": ys,
        "year_end": ye, "level": level, "target": target,
        "actual_known": _actual(fitted, k, ys * 12, ye * 12 + 11), "missing": zh,
        "missing_en": en, "as_of": fitted.as_of, "scenario": name,
    }  # fmt: skip


def simulate_attainment(
    fitted: Fitted,
    targets: pd.DataFrame,
    *,
    scenario: Scenario | dict | str | None = None,
    n_sims: int = 10_000,
    seed: int = 0,
    rag_thresholds: RagThresholds = RAG,
    params: dict | None = None,
) -> pd.DataFrame:
    """The attainment table for every target whose region and indicator have progress.

    Each plan of ``targets`` is forecast from its own peer group (:func:`series_params`): the
    rows of a plan are the same whether ``fitted`` and ``targets`` hold other plans or not.
    ``params`` (from :func:`series_params`) skips the fit of the plans it holds; the scenario
    lab passes the whole plan's parameters and simulates a subset of the targets.
    """
    att, _ = _simulate(fitted, targets, scenario, n_sims, seed, rag_thresholds, params, False)
    return att


def simulate_tables(
    fitted: Fitted,
    targets: pd.DataFrame,
    *,
    scenario: Scenario | dict | str | None = None,
    n_sims: int = 10_000,
    seed: int = 0,
    rag_thresholds: RagThresholds = RAG,
    params: dict | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(attainment, trajectories): :func:`simulate_attainment` and, from the same draws, the
    running total of every target's window month by month (:data:`TRAJECTORY_COLUMNS`).

    A target's last month carries exactly the quantiles of its attainment row (the monthly paths
    end on the draws behind the table); months up to the last report carry the actual running
    total in p10, p50 and p90, and ``actual`` is empty after it.
    """
    return _simulate(fitted, targets, scenario, n_sims, seed, rag_thresholds, params, True)


def _simulate(
    fitted, targets, scenario, n_sims, seed, rag_thresholds, params, with_paths, only=None,
    nf_out: list | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:  # fmt: skip
    sc = as_scenario(scenario)
    t = prepare_targets(apply_target_overrides(prepare_targets(targets), sc))
    if params is None:
        params = series_params(fitted, t)
    name = sc.name if sc is not None else "baseline"
    cols_out: dict[str, list] = {c: [] for c in _ROW_COLUMNS}
    traj_out: list[pd.DataFrame] | None = [] if with_paths else None
    nf_out = [] if nf_out is None else nf_out
    for plan, tp in t.groupby("plan_id", sort=True):
        if only is not None and str(plan) != only[0]:
            continue
        pf = plan_fit(fitted, t, str(plan), params)
        if pf is not None:
            _simulate_plan(
                pf.fitted, pf.params, tp, sc, name, n_sims, seed, cols_out, traj_out,
                None if only is None else only[1:], nf_out,
            )  # fmt: skip
    att = _attainment_frame(cols_out, rag_thresholds)
    if traj_out is None:
        return att, pd.DataFrame(columns=TRAJECTORY_COLUMNS)
    traj = pd.concat(traj_out, ignore_index=True) if traj_out else None
    if traj is None or traj.empty:
        return att, pd.DataFrame(columns=TRAJECTORY_COLUMNS)
    traj = traj.sort_values([*TARGET_KEY, "month"], kind="stable").reset_index(drop=True)
    return att, traj[TRAJECTORY_COLUMNS]


def simulate_all(
    fitted: Fitted,
    targets: pd.DataFrame,
    *,
    scenario: Scenario | dict | str | None = None,
    n_sims: int = 10_000,
    seed: int = 0,
    rag_thresholds: RagThresholds = RAG,
    params: dict | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(attainment, trajectories, not_forecast): :func:`simulate_tables` and the targets the
    data do not cover (:data:`NOT_FORECAST_COLUMNS`: a window with years some of its region's
    series have no data for, :mod:`.coverage`)."""
    nf: list[dict] = []
    att, traj = _simulate(
        fitted, targets, scenario, n_sims, seed, rag_thresholds, params, True, nf_out=nf
    )
    table = pd.DataFrame(nf, columns=NOT_FORECAST_COLUMNS).sort_values(TARGET_KEY)
    return att, traj, table.reset_index(drop=True)


def _simulate_plan(
    fitted: Fitted,
    params: dict,
    t: pd.DataFrame,
    sc: Scenario | None,
    name: str,
    n_sims: int,
    seed: int,
    cols_out: dict[str, list],
    traj_out: list[pd.DataFrame] | None = None,
    only: tuple[str, str] | None = None,
    nf_out: list | None = None,
) -> None:
    """Append the attainment rows of one plan's targets ``t`` to ``cols_out`` and, with
    ``traj_out``, their monthly running totals (one frame per series) to ``traj_out``.
    ``only`` = (region, indicator) restricts the work to the family holding that series."""
    s = fitted.series
    # A region without progress of its own is forecast as the sum of its sub-regions only when
    # the plan itself breaks its targets down to those sub-regions (平阳县 = its nine townships).
    # Otherwise the sum would cover only the sub-regions that happen to send data (温州市 from
    # 鹿城区 alone) and understate the region.
    named = set(t["region_id"])
    covered = {
        (r, i)
        for r, i, kind in zip(s["region_id"], s["indicator_id"], s["kind"], strict=True)
        if kind != "aggregate" or any(c in named for c in fitted.children.get((r, i), ()))
    }
    t = t[[(r, i) in covered for r, i in zip(t["region_id"], t["indicator_id"], strict=True)]]
    a_idx = fitted.as_of_idx
    trailing_all = s["trailing_rate"].to_numpy(float)
    illus_all = s["illustrative"].to_numpy(bool)
    # targets as plain records, grouped by series
    groups: dict[tuple[str, str], list[tuple]] = {}
    recs = zip(
        t["plan_id"],
        t["region_id"],
        t["indicator_id"],
        t["year_start"],
        t["year_end"],
        t["level"],
        t["value"],
        t["assumed"],
        strict=True,
    )
    for plan, region, ind, ys, ye, level, value, assumed in recs:
        groups.setdefault((region, ind), []).append(
            (plan, int(ys), int(ye), level, float(value), bool(assumed))
        )
    # one family (a top region and everything summed into it) at a time: each township is
    # simulated once and its draws serve its own targets and its county's
    families: dict[tuple[str, str], list[str]] = {}
    for region, ind in groups:
        par = _parents_of(fitted, region, ind)
        families.setdefault((par[-1] if par else region, ind), []).append(region)
    for (_, ind), regs in sorted(families.items()):
        if only is not None and (only[1] != ind or only[0] not in regs):
            continue
        fam = [x for r in regs for x in groups[(r, ind)]]
        cps = december_grid(min(x[1] for x in fam), max(x[2] for x in fam))
        pos = {int(c): j for j, c in enumerate(cps)}
        grid = None if traj_out is None else np.arange(int(cps[0]), int(cps[-1]) + 1)
        season = fitted.pooled[ind].season
        cache: dict[str, tuple] = {}
        cover: dict[str, SeriesCoverage] = {}
        for region in sorted(regs):
            k = fitted.row(region, ind)
            leaves = list(_family(fitted, region, ind))
            for lf in leaves:
                if lf not in cover:
                    cover[lf] = series_coverage(fitted, fitted.row(lf, ind))
            # the targets the data cover; the others are listed as not forecast
            tg, wins = [], []
            for x in groups[(region, ind)]:
                plan, ys, ye, level, target, assumed = x
                wc = window(fitted, leaves, ind, region, ys * 12, ye * 12 + 11, cover)
                if wc.missing:
                    if nf_out is not None:
                        nf_out.append(_not_forecast_row(fitted, x, region, ind, k, wc, name))
                else:
                    tg.append(x)
                    wins.append(wc)
            if not tg:
                continue
            drawn = family_draws(
                fitted, params, region, ind, cps, sc, n_sims, seed, cache=cache, grid=grid
            )
            total, methods = drawn[0], drawn[1]
            if traj_out is not None:
                traj_out.append(_paths_frame(fitted, params, region, ind, k, tg, grid, drawn[2]))
            method = (
                methods[0] if len(set(methods)) == 1 else "mixed:" + "|".join(sorted(set(methods)))
            )
            if len(leaves) > 1 or leaves[0] != region:
                method = f"sum of {len(leaves)} sub-regions: {method}"
            trailing = float(trailing_all[k])
            actuals = np.array([_actual(fitted, k, ys * 12, ye * 12 + 11) for _, ys, ye, *_ in tg])
            proj = (
                np.stack(
                    [total[pos[ye * 12 + 11]] - total[pos[ys * 12 - 1]] for _, ys, ye, *_ in tg]
                )
                + actuals[:, None]
            )
            tv = np.array([x[4] for x in tg])
            p_meet = (proj >= (tv - 1e-9 * np.maximum(1.0, np.abs(tv)))[:, None]).mean(1)
            qs = _quantiles(proj, (0.1, 0.5, 0.9))
            for j, (plan, ys, ye, level, target, assumed) in enumerate(tg):
                wc = wins[j]
                w0, w1 = ys * 12, ye * 12 + 11
                actual = float(actuals[j])
                n_total = w1 - w0 + 1
                # the months still to come: after the last report, and the gaps (a month
                # nobody reported is not a month gone by with nothing done)
                months_left = wc.months_left
                elapsed = n_total - months_left
                gap = max(target - actual, 0.0)
                required = gap / months_left if months_left > 0 else gap
                so_far = pace_so_far(fitted, leaves, ind, cover, w0, w1, actual, elapsed)
                observed = so_far if np.isfinite(so_far) else trailing
                pace_ratio = observed / required if required > 0 else np.inf
                wm = season[np.arange(w0, w1 + 1) % 12]
                share = float((wm * (1.0 - wc.to_come)).sum() / wm.sum()) if wm.sum() > 0 else 0.0
                if share > 0:
                    seas_proj = actual / share
                else:
                    seas_proj = actual + (trailing if np.isfinite(trailing) else 0.0) * n_total
                row = (
                    plan,
                    region,
                    ind,
                    ys,
                    ye,
                    level,
                    target,
                    actual,
                    float(p_meet[j]),
                    float(qs[0, j]),
                    float(qs[1, j]),
                    float(qs[2, j]),
                    float(required),
                    fitted.as_of,
                    round(months_left, 6),
                    actual / target if target > 0 else 1.0,
                    elapsed / n_total,
                    float(so_far),
                    float(pace_ratio),
                    float(seas_proj),
                    method,
                    assumed,
                    bool(illus_all[k]),
                    name,
                    month_label(min(wc.last_reported, a_idx)),
                    len(wc.unreported),
                    len(leaves),
                )
                for c, v in zip(_ROW_COLUMNS, row, strict=True):
                    cols_out[c].append(v)
    # the plan's shared draws are cached while its families are simulated; free them
    for p in params.values():
        if p.shared is not None:
            p.shared.clear()


def _paths_frame(
    fitted: Fitted,
    params: dict,
    region: str,
    ind: str,
    k: int,
    tg: list[tuple],
    grid: np.ndarray,
    paths: np.ndarray,
) -> pd.DataFrame:
    """Monthly running-total quantiles of one series' target windows (from ``paths``, the
    series' cumulative draws at the months of ``grid``), one row per target and month."""
    a_idx = fitted.as_of_idx
    last = min(int(fitted.series.loc[k, "last_idx"]), a_idx)
    # before the earliest month any leaf simulates, every draw is the actual running total
    firsts = [
        params[(lf, ind)].first_drawn for lf in _family(fitted, region, ind) if (lf, ind) in params
    ]
    first_sim = min(firsts, default=a_idx + 1)
    g0 = int(grid[0])
    cols: dict[str, list] = {c: [] for c in TRAJECTORY_COLUMNS}
    windows: dict[tuple[int, int], tuple[np.ndarray, ...]] = {}
    for plan, ys, ye, level, target, _ in tg:
        if (ys, ye) not in windows:
            w0, w1 = ys * 12, ye * 12 + 11
            months = np.arange(w0, w1 + 1)
            done = min(w1, a_idx)
            actual = np.array(
                [_actual(fitted, k, w0, int(m)) for m in months[months <= done]]
                + [_actual(fitted, k, w0, done)] * int((months > done).sum())
            )
            q = np.repeat(actual[None, :], 3, axis=0)
            fut = months >= first_sim
            if fut.any():
                base = paths[w0 - 1 - g0]
                rows = paths[months[fut] - g0]
                proj = (rows - base[None, :]) + actual[fut][:, None]
                full = ~np.isnan(rows[:, -1])  # check points (Decembers): every draw
                at = np.flatnonzero(fut)
                if full.any():
                    q[:, at[full]] = _quantiles(proj[full], (0.1, 0.5, 0.9))
                if (~full).any():
                    n = min(proj.shape[1], PATH_SIMS)
                    q[:, at[~full]] = _quantiles(proj[~full, :n], (0.1, 0.5, 0.9))
            shown = np.where(months <= last, actual, np.nan)
            windows[(ys, ye)] = (months, shown, q)
        months, shown, q = windows[(ys, ye)]
        n = len(months)
        for c, v in (
            ("plan_id", plan), ("region_id", region), ("indicator_id", ind), ("year_start", ys),
            ("year_end", ye), ("level", level), ("target", target),
        ):  # fmt: skip
            cols[c] += [v] * n
        cols["month"] += [month_label(int(m)) for m in months]
        cols["actual"] += list(shown)
        cols["p10"] += list(q[0])
        cols["p50"] += list(q[1])
        cols["p90"] += list(q[2])
    return pd.DataFrame(cols)


def _attainment_frame(cols_out: dict[str, list], rag_thresholds: RagThresholds) -> pd.DataFrame:
    """The attainment table from the collected rows, with the verdicts, sorted."""
    cols = [
        *ATTAINMENT_COLUMNS,
        "as_of",
        "months_left",
        "share_done",
        "share_time",
        "pace_so_far",
        "pace_ratio",
        "eurostat_class",
        "seasonal_proj",
        "seasonal_verdict",
        "method",
        "assumed",
        "illustrative",
        "scenario",
        "last_reported",
        "unreported",
        "reporters",
    ]
    if not cols_out["plan_id"]:
        return pd.DataFrame(columns=cols)
    out = pd.DataFrame(cols_out)
    out["linear_pace"] = linear_pace(out["share_done"], out["share_time"])
    out["rag"] = rag(out["p_meet"], rag_thresholds)
    out["eurostat_class"] = eurostat_class(out["pace_ratio"])
    out["seasonal_verdict"] = np.where(
        out["seasonal_proj"] >= out["target"] - 1e-9, "ahead", "behind"
    )
    out = out[cols].sort_values(TARGET_KEY)
    return out.reset_index(drop=True)


def trajectories(
    fitted: Fitted,
    targets: pd.DataFrame,
    plan_id: str,
    region_id: str,
    indicator_id: str,
    year: int,
    *,
    scenario: Scenario | dict | str | None = None,
    n_sims: int = 10_000,
    seed: int = 0,
    level: str = "baseline",
    params: dict | None = None,
) -> pd.DataFrame:
    """Monthly running-total quantiles of one target's window (the projection fan).

    The target is the plan's yearly target for ``year`` if there is one, else the window
    containing ``year``. Columns: month, p10, p50, p90, actual (NaN after the last report),
    target. These are the rows of :func:`simulate_tables` for that target (the same draws as
    the attainment table: the last month's quantiles are the row's proj_p10/p50/p90); only the
    series' family (the region and what is summed into it or from it) is simulated. ``params``
    (from :func:`series_params`, with the same scenario's target overrides) skips the fit.
    """
    sc = as_scenario(scenario)
    t = prepare_targets(apply_target_overrides(prepare_targets(targets), sc))
    sel = t[
        (t["plan_id"] == plan_id)
        & (t["region_id"] == region_id)
        & (t["indicator_id"] == indicator_id)
        & (t["year_start"] <= year)
        & (t["year_end"] >= year)
    ]
    if sel.empty:
        raise InputError(
            "trajectories", f"no target for {plan_id} / {region_id} / {indicator_id} / {year}"
        )
    lv = sel[sel["level"] == level]
    sel = lv if len(lv) else sel
    sel = sel.assign(_len=sel["year_end"] - sel["year_start"]).sort_values("_len")
    tr = sel.iloc[0]
    _, traj = _simulate(
        fitted, targets, scenario, n_sims, seed, RAG, params, True,
        only=(str(plan_id), str(region_id), str(indicator_id)),
    )  # fmt: skip
    rows = traj[
        (traj["region_id"] == region_id)
        & (traj["indicator_id"] == indicator_id)
        & (traj["year_start"] == int(tr.year_start))
        & (traj["year_end"] == int(tr.year_end))
        & (traj["level"] == tr.level)
    ]
    if rows.empty:
        raise InputError("trajectories", f"no progress for {region_id} / {indicator_id}")
    cols = ["month", "p10", "p50", "p90", "actual", "target"]
    return rows[cols].reset_index(drop=True)
