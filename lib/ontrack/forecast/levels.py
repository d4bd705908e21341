"""Levels: what each region's pace will be, with the uncertainty a plan's regions share.

For one plan (its peer group, :func:`ontrack.forecast.model.plan_members`) and one indicator,
the monthly level of a leaf region ``r`` in year ``y`` (season 1) is modelled as

    lambda_ry = Z_y * T*_ry * q_r * eta_ry

* ``T*_ry`` is the region's target pace with the plan's response ``beta`` to target growth,
  ``T_rY * (T_ry / T_rY) ** beta`` (``Y`` the as-of year); ``beta`` is estimated from the data
  (regions whose targets grow more than others', pooled over the plan's indicators) around a
  prior (:data:`BETA_PRIOR`);
* ``Z_y`` is the plan's pace ratio in year ``y``, shared by all its regions: a persistent level
  (prior :data:`PLAN_RATIO_PRIOR`, seen through the past years' ratios) plus a yearly shock
  (``shock_sd``, estimated from how the plan's ratio moved between years, pooled over its
  indicators, around :data:`SHOCK_SD_PRIOR`). This year's ratio is a posterior on a grid from
  every region's months of the year; later years are the persistent level (given this year's
  draw) plus fresh shocks;
* ``q_r`` is the region's persistent pace relative to the plan (empirical Bayes: a gamma of
  mean 1 and the plan's between-region spread, updated by its past years' amounts);
* ``eta_ry`` is its own drift from year to year (``drift_sd``, pooled over the plan's
  indicators around :data:`DRIFT_SD_PRIOR`).

Given ``Z``, a region's level this year has a gamma posterior (the prior above, moment-matched,
updated by its own months of the year as a quasi-likelihood: amounts / dispersion). The
dispersion follows the indicator's nature: counts ``phi + lambda * sum(s^2) / (k * sum(s))``
(NB2: variance grows with the level), small counts 1, space ``m (1 + CV^2)`` where ``m`` is the
mean size of a completion, which scales with the region's target, not with its pace
(:func:`size_model`).

Stalls: a change point in this year's reports (a stall from report ``j`` on: the level before,
a much lower level after, prior stall probability :data:`STALL_HAZARD` a month) is weighed
against no change by the marginal likelihoods of the two; the posterior probability of a stall
and the post-stall level then drive the rest of the year (:class:`SeriesParams`). A low last
report alone may also be a dip (:data:`DIP_P`: a typhoon, entries late for the month), after
which the level goes on from the months before it.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.special import gammainc, gammaln

from .coverage import series_coverage
from .model import Fitted, season_ratio

#: first-year plan pace ratio (observed / target pace): median and log sd, before any data
PLAN_RATIO_PRIOR = (1.0, 0.3)
#: the plan's yearly shock: a good or bad year shared by its regions (log sd of the plan's
#: ratio around its persistent level) and its weight in indicator-year steps
SHOCK_SD_PRIOR = (0.15, 4.0)
#: a region's own year-to-year drift (log sd) and its weight in region-years
DRIFT_SD_PRIOR = (0.15, 8.0)
#: persistent spread of regions' pace ratios within a plan (log sd) and its weight in regions
SPREAD_SD_PRIOR = (0.35, 3.0)
#: response of the pace to target growth: prior mean and sd (1: paces follow the targets)
BETA_PRIOR = (0.7, 0.3)
#: how far a year's seasonal shape may be from the prior before a complete year is seen: log sd
#: of the ratio of the year's remaining months to its months so far (shared by the plan's
#: regions; scaled down by the complete years seen, Pooled.prior_share)
SEASON_SHARE_SD = 0.2
#: the rest of a year against its months so far, beyond the count noise (a level that wanders,
#: momentum, a season that shifts): log sd a priori and its weight in region-years; estimated
#: from the complete years of the plan's series (:func:`_rest_spread`)
REST_SD_PRIOR = (0.04, 1.0)
#: ... and the weight (region-years) of the plan's spread as the prior of a series' own
REST_SERIES_N = 3.0
#: stalls: prior probability a month that a region's pace collapses for the rest of the year,
#: the stalled pace's prior mean relative to the level, and its gamma shape (1: exponential)
STALL_HAZARD = 0.01
STALL_DEPTH = 0.2
STALL_SHAPE = 1.0
#: the stalled level's mean share of the level, the share at most 1: E[min(f, 1)]
STALL_MEAN_SHARE = float(
    STALL_DEPTH * gammainc(STALL_SHAPE + 1, STALL_SHAPE / STALL_DEPTH)
    + 1
    - gammainc(STALL_SHAPE, STALL_SHAPE / STALL_DEPTH)
)
#: a dip: prior probability that the latest report is a one-off low (a typhoon, a holiday, a
#: month's entries late and caught up in the next report) after which the level goes on
DIP_P = 0.03
#: the weight (reports at risk) of STALL_HAZARD as the prior of a plan's own hazard, learned
#: from its complete years (:func:`stall_hazard`)
STALL_HAZARD_N = 24.0
#: ... the level's prior in a complete year of a region without a target pace, when its stalls
#: are counted: the year's own mean, and this gamma shape
PAST_LEVEL_SHAPE = 2.0
#: lumpy: completion sizes are a mixture of usual buildings and giants (GIANT_X times the usual
#: size, at most GIANT_SHARE of completions); DEFAULT_SIZE_MONTHS months of target pace per
#: completion and DEFAULT_SIZE_CV2 where the data cannot tell
GIANT_SHARE = 0.08
GIANT_X = 5.0
DEFAULT_SIZE_MONTHS = 4.0
DEFAULT_SIZE_CV2 = 1.5
#: the pace expected of a region whose yearly target is 0, as a share of the plan's mean
#: positive target pace that year (a zero target says "not expected", not "impossible")
ZERO_TARGET_SHARE = 0.25
#: exposure (season-months) a region-year needs to count as an observation of a year's ratio
MIN_YEAR_EXPOSURE = 2.0
#: ... and for a year-on-year step (each year at least about half of its months, and this many
#: pseudo-counts: a log step of sparse counts says little and its variance is badly known)
MIN_STEP_EXPOSURE = 6.0
MIN_STEP_COUNTS = 3.0
_BIG_SHAPE = 1e10
_GAMMAS = np.array([0.0, 0.25, 0.5, 0.75, 1.0])  # size ~ target ** gamma
_GAMMA_PRIOR = np.log(np.array([0.1, 0.2, 0.4, 0.2, 0.1]))


def stream(seed: int, key: str, indicator: str, k: int) -> np.random.Generator:
    """The random stream of (seed, key, indicator, k): a region's own, or a plan's shared one."""
    h = zlib.crc32(f"{key}|{indicator}".encode())
    return np.random.default_rng([int(seed), h, k])


@dataclass
class Shared:
    """What one plan's regions share for one indicator: the posterior of this year's plan
    ratio ``Z`` (on a grid of log Z), the response ``beta`` and the year-step spread."""

    plan_id: str
    indicator_id: str
    year: int  # the as-of year
    log_z: np.ndarray
    cdf: np.ndarray  # at the grid points (piecewise-linear)
    beta: float
    beta_sd: float
    shock_sd: float  # the plan's yearly shock (log sd), shared by its regions
    drift_sd: float
    spread_sd: float
    last_year: int  # the last year any target of the plan needs
    #: the plan's persistent log ratio before this year: mean and variance (later years'
    #: ratio = persistent + a fresh shock; this year's draw of Z informs the persistent part)
    m_mean: float = 0.0
    m_var: float = 0.0
    _cache: dict = field(default_factory=dict, repr=False)

    def clear(self) -> None:
        """Forget the cached draws (memory: a plan's are kept while its series are drawn)."""
        self._cache.clear()

    def rest_draws(self, seed: int, n: int) -> np.ndarray:
        """Standard normals the plan's regions share for the rest of this year (their common
        departure from the months so far), from a stream of their own."""
        key = ("rest", int(seed), int(n))
        hit = self._cache.get(key)
        if hit is None:
            hit = stream(seed, f"@plan:{self.plan_id}", self.indicator_id, 6).standard_normal(n)
            self._cache[key] = hit
        return hit

    @property
    def z_median(self) -> float:
        return float(np.exp(np.interp(0.5, self.cdf, self.log_z)))

    def draws(self, seed: int, n: int):
        """(Z, beta, {year: cumulative log step from this year}, season error) for ``n`` draws,
        from the plan's shared stream: the same for every region, target, scenario and run."""
        key = (int(seed), int(n))
        hit = self._cache.get(key)
        if hit is None:
            rng = stream(seed, f"@plan:{self.plan_id}", self.indicator_id, 5)
            z = np.exp(np.interp(rng.random(n), self.cdf, self.log_z))
            beta = self.beta + self.beta_sd * rng.standard_normal(n)
            steps = {}
            if self.last_year > self.year:
                # the persistent ratio given this year's: a normal update (shock_sd^2 noise)
                v2 = max(self.shock_sd**2, 1e-12)
                prec = 1.0 / max(self.m_var, 1e-12) + 1.0 / v2
                mean = (self.m_mean / max(self.m_var, 1e-12) + np.log(z) / v2) / prec
                m = mean + rng.standard_normal(n) / np.sqrt(prec)
                for y in range(self.year + 1, self.last_year + 1):
                    steps[y] = m + self.shock_sd * rng.standard_normal(n) - np.log(z)
            hit = (z, beta, steps, rng.standard_normal(n))
            self._cache.clear()
            self._cache[key] = hit
        return hit


@dataclass
class SeriesParams:
    """Everything needed to simulate one leaf series (a region's indicator)."""

    region_id: str
    indicator_id: str
    nature: str
    last_idx: int
    season: np.ndarray
    method: str
    #: this year's level given the plan ratio Z: Gamma(a + y, a / (Z c) + e)
    a: float = 1.0
    c: float = 0.0
    y: float = 0.0
    e: float = 0.0
    exact: float | None = None  # a level known exactly (a series without noise)
    #: count: Var = phi * mu + mu^2 * inv_k a month; small_count: Poisson; lumpy: below
    phi: float = 1.0
    inv_k: float = 0.0
    d: float = 1.0  # dispersion unit of the level's quasi-likelihood
    #: lumpy: mean completion size, share of giants, their size relative to the usual ones,
    #: gamma shape of each kind's sizes
    m: float = 0.0
    giant: float = 0.0
    giant_x: float = GIANT_X
    kappa: float = 2.0
    #: target pace of later years relative to this year's (the response beta applies per draw)
    year_ratio: dict[int, float] = field(default_factory=dict)
    #: stall: posterior probability, and the stalled level's gamma (shape, rate)
    stall_p: float = 0.0
    stall_shape: float = 1.0
    stall_rate: float = 1.0
    #: stalls still to come: hazard a month after the last report (and from January in later
    #: years), and the hazard the season carries already (the stalls of the years it was
    #: fitted on), see :func:`.simulate._future_stalls`
    stall_hazard: float = 0.0
    stall_seen: float = 0.0
    #: log sd of this year's remaining months relative to its months so far (season shape)
    season_sd: float = 0.0
    #: log sd of the rest of this year against its months so far beyond the noise: the part
    #: the plan's regions share (with the plan's draw) and the region's own
    rest_common: float = 0.0
    rest_own: float = 0.0
    #: variance a month of the level's random walk within the year (model.Pooled.walk): earlier
    #: months count less for the level at the last report, and later ones wander from it
    walk: float = 0.0
    shared: Shared | None = None
    #: months up to ``last_idx`` whose amount is unknown (gaps) and drawn; months after it
    #: never drawn (only an ancestor's own figure covers them); the share of the month after
    #: ``last_idx`` still to come (a report up to a day of it: 截至12月5日)
    gaps: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    skip: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    first_weight: float = 1.0
    #: years before this one with gaps: (amount, exposure) of the year's known months, in
    #: pseudo-counts (amount / dispersion): that year's level for its unknown months
    past: dict[int, tuple[float, float]] = field(default_factory=dict)

    @property
    def first_drawn(self) -> int:
        """The first month drawn."""
        return int(self.gaps[0]) if len(self.gaps) else self.last_idx + 1

    @property
    def shape(self) -> float:
        """Shape of this year's level posterior (given the plan ratio)."""
        return _BIG_SHAPE if self.exact is not None else self.a + self.y

    @property
    def rate(self) -> float:
        """Rate of this year's level posterior at the median plan ratio."""
        if self.exact is not None:
            return _BIG_SHAPE / self.exact if self.exact > 0 else np.inf
        z = self.shared.z_median if self.shared is not None else 1.0
        return self.a / (z * self.c) + self.e if self.c > 0 else np.inf

    @property
    def mean(self) -> float:
        """This year's level at the median plan ratio (for display)."""
        r = self.rate
        return self.shape / r if np.isfinite(r) and r > 0 else 0.0

    def levels(self, n: int, rng: np.random.Generator, seed: int):
        """Draws of the level by year: a function year → array (n,). This year's months after
        the last report take the stalled level in the draws where the region has stalled;
        later years move from this year's (pre-stall) level by the plan's shared steps, the
        response to target growth and the region's own drift."""
        if self.exact is not None:
            lev = self.exact
            return lambda year: np.full(n, lev * self.year_ratio.get(int(year), 1.0))
        sh = self.shared
        if sh is None or self.c <= 0:
            z, beta, steps, xi, year = np.ones(n), np.zeros(n), {}, np.zeros(n), 0
        else:
            z, beta, steps, xi = sh.draws(seed, n)
            year = sh.year
        shape = self.a + self.y
        if self.c > 0 and shape > 0:
            lam = rng.standard_gamma(shape, n) / (self.a / (z * self.c) + self.e)
        else:
            lam = np.zeros(n)
        now = lam
        if self.stall_p > 0:
            hit = rng.random(n) < self.stall_p
            lam_st = rng.standard_gamma(self.stall_shape, n) / self.stall_rate
            now = np.where(hit, lam_st, lam)
        if self.season_sd > 0:
            now = now * np.exp(self.season_sd * xi)
        if self.rest_common > 0 or self.rest_own > 0:
            common = sh.rest_draws(seed, n) if sh is not None else np.zeros(n)
            own = rng.standard_normal(n)
            now = now * np.exp(self.rest_common * common + self.rest_own * own)
        later: dict[int, np.ndarray] = {}
        own = np.zeros(n)
        drift = sh.drift_sd if sh is not None else 0.0
        for y in sorted(steps):
            own = own + drift * rng.standard_normal(n) - drift**2 / 2  # mean 1
            ratio = self.year_ratio.get(y, 1.0)
            later[y] = lam * np.exp(steps[y] + own + beta * np.log(ratio if ratio > 0 else 1.0))

        past: dict[int, np.ndarray] = {}
        for y, (yy, ee) in sorted(self.past.items()):
            # a year's own months (a weak prior at the level now, scaled by its target pace)
            m0 = max(self.mean, 1e-12) * self.year_ratio.get(y, 1.0)
            past[y] = rng.standard_gamma(1.0 + yy, n) / (1.0 / m0 + ee)

        def at(y: int) -> np.ndarray:
            y = int(y)
            if y in past:
                return past[y]
            if y <= year or not later:
                return now
            return later.get(y, later[max(later)])

        return at


# ------------------------------------------------------------------------------ targets
_TRows = list[tuple[str, int, int, float]]


def target_paces(t: _TRows, years: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(monthly pace of each year's target, years whose yearly target is 0).

    The pace is the baseline yearly target (stretch if none); a year without a yearly target
    takes the even pace of the shortest window covering it, else the nearest year's. A zero
    yearly target is marked (:func:`plan_levels` gives it a share of the plan's typical pace);
    NaN without any target."""
    out = np.full(len(years), np.nan)
    zero = np.zeros(len(years), bool)
    yearly = [x for x in t if x[1] == x[2]]
    yb = [x for x in yearly if x[0] == "baseline"] or yearly
    by = {ys: v / 12.0 for _, ys, _, v in yb}
    multi = [x for x in t if x[2] > x[1] and x[3] > 0]
    mb = [x for x in multi if x[0] == "baseline"] or multi
    for j, yr in enumerate(years):
        if int(yr) in by:
            if by[int(yr)] > 0:
                out[j] = by[int(yr)]
            else:
                zero[j] = True
            continue
        cover = sorted(
            (ye - ys, v / (12.0 * (ye - ys + 1))) for _, ys, ye, v in mb if ys <= yr <= ye
        )
        if cover:
            out[j] = cover[0][1]
    ok = np.isfinite(out) | zero
    if ok.any() and not ok.all():
        pos = np.flatnonzero(ok)
        near = pos[np.abs(np.arange(len(out))[:, None] - pos[None, :]).argmin(1)]
        out, zero = out[near], zero[near]
    return out, zero


# ------------------------------------------------------------------------------ helpers
def _log_marginal(y, e, a, b):
    """log of the gamma-Poisson marginal likelihood of y pseudo-counts over exposure e, level
    ~ Gamma(a, rate b), without the terms that do not depend on (a, b)."""
    return gammaln(a + y) - gammaln(a) + a * np.log(b) - (a + y) * np.log(b + e)


def _mom(x, v, prior: tuple[float, float], n_max: float | None = None) -> float:
    """Variance sigma^2 from observations with E[x_i] = sigma^2 + v_i (v_i: their sampling
    variance), weighted by 1 / (sigma0^2 + v_i)^2, shrunk to the prior sigma0^2 with the
    prior's weight against the observations' effective number (at most ``n_max``)."""
    sd0, n0 = prior
    x, v = np.asarray(x, float), np.asarray(v, float)
    ok = np.isfinite(x) & np.isfinite(v)
    if not ok.any():
        return sd0**2
    x, v = x[ok], v[ok]
    w = 1.0 / (sd0**2 + v) ** 2
    est = float((w * (x - v)).sum() / w.sum())
    n_eff = float(w.sum() ** 2 / (w**2).sum())
    if n_max is not None:
        n_eff = min(n_eff, n_max)
    return (n0 * sd0**2 + n_eff * est) / (n0 + n_eff)


def _mixture(cv2: float) -> tuple[float, float]:
    """(giant share, gamma shape) of the size mixture with the size CV^2 ``cv2``."""
    kmax = 20.0

    def base(pi):
        return ((1 - pi) + pi * GIANT_X**2) / (1 - pi + pi * GIANT_X) ** 2

    f = base(GIANT_SHARE)
    inv = (1 + cv2) / f - 1
    if inv >= 1 / kmax:
        return GIANT_SHARE, float(np.clip(1 / inv, 0.3, kmax))
    # little spread: fewer giants (base(pi) * (1 + 1/kmax) = 1 + cv2)
    lo, hi = 0.0, GIANT_SHARE
    target = (1 + cv2) / (1 + 1 / kmax)
    if base(0.0) >= target:
        return 0.0, float(np.clip(1 / max(cv2, 1e-3), 0.3, 50.0))
    for _ in range(40):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if base(mid) < target else (lo, mid)
    return lo, kmax


def size_model(reports: dict, scale_of_row: dict[int, float], t_bar: float):
    """Lumpy completions: (q, gamma, cv2) with mean size ``q * t_bar * (T_r / t_bar) ** gamma``
    (T_r the region's target pace, ``scale_of_row``), fitted to which reports are zero
    (P(zero) = exp(-expected / size)) with a prior on gamma (0..1) and on q; the size CV^2 from
    the spread of the non-zero reports' logarithms."""
    if not reports or len(reports.get("y", ())) == 0 or t_bar <= 0:
        return DEFAULT_SIZE_MONTHS, 0.5, DEFAULT_SIZE_CV2
    y, mu = reports["y"], reports["mu"]
    rel = np.array([scale_of_row.get(int(r), t_bar) / t_bar for r in reports["row"]])
    zero = y <= 1e-12
    n_nz = int((~zero).sum())
    if n_nz < 3:
        return DEFAULT_SIZE_MONTHS, 0.5, DEFAULT_SIZE_CV2
    q_grid = np.exp(np.linspace(np.log(0.25), np.log(48.0), 60))
    size = t_bar * q_grid[None, :, None] * rel[None, None, :] ** _GAMMAS[:, None, None]
    x = mu[None, None, :] / size
    ll = np.where(zero[None, None, :], -x, np.log(-np.expm1(-np.maximum(x, 1e-300)))).sum(2)
    ll += (
        _GAMMA_PRIOR[:, None]
        - 0.5 * ((np.log(q_grid) - np.log(DEFAULT_SIZE_MONTHS)) / 1.2)[None, :] ** 2
    )
    gi, qi = np.unravel_index(np.argmax(ll), ll.shape)
    q, gam = float(q_grid[qi]), float(_GAMMAS[gi])
    m = q * t_bar * rel**gam
    # the sizes' spread from the non-zero reports (mostly one completion each): the variance
    # of their logarithm relative to the region's mean size, read as a lognormal's
    # (CV^2 = e^var - 1): robust to the few giants that make moment estimates erratic
    lz = np.log(y[~zero] / m[~zero])
    var = float(lz.var(ddof=1)) if n_nz > 1 else np.log1p(DEFAULT_SIZE_CV2)
    v0 = float(np.log1p(DEFAULT_SIZE_CV2))
    cv2 = float(np.expm1((n_nz * var + 5.0 * v0) / (n_nz + 5.0)))
    return q, gam, float(np.clip(cv2, 0.2, 10.0))


def _z_posterior(mz, sz, y, e, a, c):
    """Grid posterior of log Z: prior N(mz, sz^2), each region's gamma-Poisson marginal."""

    def lp(grid):
        out = -0.5 * ((grid - mz) / sz) ** 2
        if len(y):
            b = a[None, :] / (np.exp(grid)[:, None] * c[None, :])
            out = out + _log_marginal(y[None, :], e[None, :], a[None, :], b).sum(1)
        return out

    lo, hi = mz - 6 * sz, mz + 6 * sz
    if len(y) and (e * c).sum() > 0 and y.sum() > 0:
        ud = np.log(y.sum() / (e * c).sum())
        lo, hi = min(lo, ud - 2.0), max(hi, ud + 2.0)
    grid = np.linspace(lo, hi, 161)
    for _ in range(2):
        w = lp(grid)
        w = np.exp(w - w.max())
        w /= w.sum()
        mean = float(w @ grid)
        sd = float(np.sqrt(max(w @ (grid - mean) ** 2, 1e-8)))
        grid = np.linspace(mean - 7 * sd, mean + 7 * sd, 97)
    w = lp(grid)
    w = np.exp(w - w.max())
    # piecewise-linear density → CDF at the grid points
    cdf = np.concatenate([[0.0], np.cumsum((w[1:] + w[:-1]) / 2)])
    cdf /= cdf[-1]
    return grid, cdf


def _report_groups(fitted: Fitted, k: int, year: int, season: np.ndarray, whole: bool = False):
    """This year's reports of series ``k``: arrays (amount, season exposure), in order (with
    ``whole``, only reports within the year: a past year's)."""
    gid = fitted.gid[k]
    c0 = max(year * 12 - fitted.start_idx, 0)
    c1 = min(year * 12 + 12 - fitted.start_idx, gid.shape[0]) if whole else gid.shape[0]
    cols = np.arange(c0, c1)
    cols = cols[gid[cols] >= 0]
    if len(cols) == 0:
        return np.zeros(0), np.zeros(0)
    g = gid[cols]
    ex = season[(fitted.start_idx + cols) % 12]
    keys, inv = np.unique(g, return_inverse=True)
    expo = np.bincount(inv, weights=ex)
    amt = fitted.values[k, keys]
    return amt, expo


def _report_ends(fitted: Fitted, k: int, year: int) -> np.ndarray:
    """The month (column of the fit) of each of this year's reports of series ``k``, in the
    order of :func:`_report_groups`."""
    gid = fitted.gid[k]
    g = gid[max(year * 12 - fitted.start_idx, 0) :]
    return np.unique(g[g >= 0])


def _discounted(a: float, y: np.ndarray, e: np.ndarray, ends: np.ndarray, walk: float):
    """(prior shape, pseudo-counts, exposure) of the level at the last report when it walks:
    a gamma's information about the log level (its shape) is discounted by 1 / (1 + shape *
    walk) a month (a power discount, West & Harrison), reports in order (``ends``: their
    months)."""
    A, pw, yy, ee = float(a), 1.0, 0.0, 0.0
    prev = int(ends[0]) if len(ends) else 0
    for yj, ej, t in zip(y, e, ends, strict=True):
        for _ in range(max(int(t) - prev, 0)):
            f = 1.0 / (1.0 + A * walk)
            A, pw, yy, ee = A * f, pw * f, yy * f, ee * f
        prev = int(t)
        A += float(yj)
        yy += float(yj)
        ee += float(ej)
    return float(a) * pw, yy, ee


def _stall_evidence(amt, expo, d, a, m):
    """(log marginal likelihood of no change, of a stall from each report 1..G-1) of a year's
    reports, in pseudo-counts (amount / d), with the level's prior Gamma(a, mean m) before the
    change and the stalled level's Gamma(:data:`STALL_SHAPE`, mean :data:`STALL_DEPTH` m)
    after it; None with fewer than two reports."""
    if len(amt) < 2 or m <= 0 or a <= 0:
        return None
    y, e = amt / d, expo * 1.0 / d
    cy, ce = np.cumsum(y), np.cumsum(e)
    b = a / m
    l0 = _log_marginal(cy[-1], ce[-1], a, b)
    bs = STALL_SHAPE / (STALL_DEPTH * m)
    pre_y, pre_e = cy[:-1], ce[:-1]
    lj = _log_marginal(pre_y, pre_e, a, b) + _log_marginal(
        cy[-1] - pre_y, ce[-1] - pre_e, STALL_SHAPE, bs
    )
    return l0, lj, cy, ce


def _stall(amt, expo, d, a, m, hazard: float = STALL_HAZARD):
    """(posterior stall probability, pre (y, e), post (y, e), (dip probability, pre (y, e)))
    of this year's reports, in pseudo-counts (amount / d), with the level's prior Gamma(a,
    mean m) before the change and the prior probability ``hazard`` of a stall from each report
    (:func:`_stall_evidence`).

    A **dip** (:data:`DIP_P`) is a low last report after which the level goes on: its
    likelihood is the same as a stall's from that report, so one low month is read as either,
    by their priors; two low reports are a stall."""
    ev = _stall_evidence(amt, expo, d, a, m)
    if ev is None:
        return 0.0, None, None, (0.0, None)
    l0, lj, cy, ce = ev
    G = len(amt)
    h = hazard
    lp = np.r_[np.log(1 - h * (G - 1) - DIP_P), np.log(h) + lj - l0, np.log(DIP_P) + lj[-1] - l0]
    w = np.exp(lp - lp.max())
    w /= w.sum()
    p = float(w[1:-1].sum())
    j = int(np.argmax(w[1:-1])) + 1
    pre = (cy[j - 1], ce[j - 1])
    post = (cy[-1] - cy[j - 1], ce[-1] - ce[j - 1])
    return p, pre, post, (float(w[-1]), (cy[-2], ce[-2]))


def stall_hazard(evidence: list[np.ndarray]) -> tuple[float, float]:
    """(hazard, seen): the hazard of a stall a report, from the complete years' evidence
    (:func:`_stall_evidence`: each year's log likelihood ratios of a stall from each report
    against none), the posterior mode under a prior of :data:`STALL_HAZARD` worth
    :data:`STALL_HAZARD_N` reports, by EM (the expected number of stalls over the reports at
    risk); and the expected share of those years' reports that began a stall, the prior left
    out: what the season fitted on those years carries (0 without a complete year)."""
    h0, n0 = STALL_HAZARD, STALL_HAZARD_N
    if not evidence:
        return h0, 0.0
    n_j = np.array([len(lr) for lr in evidence])
    at_risk, lr_max = float(n_j.sum()), int(n_j.max())
    L = np.full((len(evidence), lr_max), -np.inf)
    for i, lr in enumerate(evidence):
        L[i, : len(lr)] = lr
    top = np.maximum(L.max(1), 0.0)
    lik = np.exp(L - top[:, None]).sum(1)

    def stalls(h: float) -> float:  # the expected number of stalls (E step)
        num = h * lik
        return float((num / (num + (1 - h * n_j) * np.exp(-top))).sum())

    h = h0
    for _ in range(50):
        h, prev = min((stalls(h) + n0 * h0) / (at_risk + n0), 0.5 / lr_max), h
        if abs(h - prev) < 1e-6:
            break
    return h, stalls(h) / at_risk


def _rest_spread(
    fitted: Fitted, rows: np.ndarray, d: np.ndarray, Y: int
) -> dict[int, tuple[float, float]]:
    """Per series (row): (common, own) log sd of the rest of a year against its months so far,
    beyond the noise.

    For every complete year before ``Y`` of the plan's series (twelve single-month reports) and
    every split after month 1..11: log R = log((rest / its season share) / (so far / its
    share)), whose count noise is v = d (1 / so far + 1 / rest) (pseudo-counts). The spread of
    log R beyond v is a weighted moment (:func:`_mom`, shrunk to :data:`REST_SD_PRIOR`, a
    region-year counting once), inflated by n / (n - 1) for the season the same years fitted:
    what a level that wanders, momentum or a season that shifts add to a year's rest. Each
    series' own spread is that of its own years shrunk towards the plan's by
    :data:`REST_SERIES_N` region-years (a steady series beside a volatile one keeps its
    steadiness). The same for the plan's total (its series with the year complete) gives the
    share of it the plan's regions have in common."""
    y0 = fitted.start_idx // 12
    obs, tot_obs = [], []
    by_row: dict[int, list] = {int(k): [] for k in rows}
    n_years = 0
    for yr in range(y0, Y):
        c0 = yr * 12 - fitted.start_idx
        if c0 < 0 or c0 + 12 > fitted.values.shape[1]:
            continue
        cols = np.arange(c0, c0 + 12)
        tot_y, tot_e, tot_d, n_in = np.zeros(12), np.zeros(12), 0.0, 0
        for k, dk in zip(rows, d, strict=True):
            k = int(k)
            if not (fitted.reported[k, cols].all() and (fitted.gid[k, cols] == cols).all()):
                continue
            y = fitted.values[k, cols].astype(float)
            sw = fitted.season_of(k)
            tot_y += y
            tot_e += sw * (y.sum() / sw.sum())
            tot_d += float(dk) * y.sum()
            n_in += 1
            split = _splits(y, sw, float(dk))
            obs.extend(split)
            by_row[k].extend(split)
        if n_in:
            n_years += 1
            dt = tot_d / max(tot_y.sum(), 1e-300)
            sw = np.divide(tot_e, tot_e.sum() / 12, out=np.ones(12), where=tot_e.sum() > 0)
            tot_obs.extend(_splits(tot_y, sw, dt))
    if not obs:
        return {int(k): (REST_SD_PRIOR[0], 0.0) for k in rows}
    infl = n_years / (n_years - 1) if n_years > 1 else 1.0
    x, v = map(np.array, zip(*obs, strict=True))
    own = max(_mom(x * infl, v * infl, REST_SD_PRIOR, n_max=len(x) / 11), 0.0)
    share = 0.0
    if len(rows) > 1 and tot_obs:
        xt, vt = map(np.array, zip(*tot_obs, strict=True))
        tot = max(_mom(xt * infl, vt * infl, REST_SD_PRIOR, n_max=len(xt) / 11), 0.0)
        share = float(np.clip(tot / max(own, 1e-12), 0.0, 1.0))
    out = {}
    for k, ob in by_row.items():
        own_k = own
        if ob and len(rows) > 1:
            xk, vk = map(np.array, zip(*ob, strict=True))
            prior = (float(np.sqrt(own)), REST_SERIES_N)
            own_k = max(_mom(xk * infl, vk * infl, prior, n_max=len(xk) / 11), 0.0)
        out[k] = (float(np.sqrt(own_k * share)), float(np.sqrt(own_k * (1 - share))))
    return out


def _splits(y: np.ndarray, sw: np.ndarray, d: float) -> list[tuple[float, float]]:
    """(log R squared, its count noise) of a complete year at every split (see
    :func:`_rest_spread`); splits with fewer than three pseudo-counts on a side are left out."""
    out = []
    for m in range(1, 12):
        a, b = y[:m].sum(), y[m:].sum()
        if a > 0 and b > 0 and a >= 3 * d and b >= 3 * d:
            lr = np.log((b / sw[m:].sum()) / (a / sw[:m].sum()))
            out.append((lr * lr, d * (1 / a + 1 / b)))
    return out


def _season_sd(last: int, year: int, pool) -> float:
    """Log sd of the ratio of this year's months still to come (after the last report
    ``last``) to its months reported (or to a whole year before any report):
    :data:`SEASON_SHARE_SD` times the mean prior share of those months' profile."""
    first_rem = max(last + 1, year * 12)
    rem = np.arange(first_rem, year * 12 + 12) % 12
    if len(rem) == 0:
        return 0.0
    done = np.arange(year * 12, first_rem) % 12 if last >= year * 12 else np.arange(12)
    w = pool.season
    f = pool.prior_share
    f_rem = float((w[rem] * f[rem]).sum() / w[rem].sum())
    f_done = float((w[done] * f[done]).sum() / w[done].sum()) if len(done) else 0.0
    return SEASON_SHARE_SD * (f_rem + f_done) / 2


def _zero_targets(P, Z0, Yy, Ey, hcol) -> np.ndarray:
    """Paces of zero yearly targets: a share of the plan's typical (mean positive) target pace
    of that year. The share has a gamma prior (mean :data:`ZERO_TARGET_SHARE`, shape 2),
    updated by what regions with zero targets did against what the regions with targets did
    (pooled over the history years)."""
    pos = np.isfinite(P) & (P > 0) & ~Z0
    n_pos = pos.sum(0)
    if not n_pos.any():
        return np.where(Z0, np.nan, P)
    typical = np.where(pos, P, 0.0).sum(0) / np.maximum(n_pos, 1)
    typical = np.where(n_pos > 0, typical, typical[n_pos > 0].mean())
    a, b = 2.0, 2.0 / ZERO_TARGET_SHARE
    for h, col in enumerate(hcol):
        zr, pr = Z0[:, col] & (Ey[:, h] > 0), pos[:, col] & (Ey[:, h] > 0)
        den = float((Ey[pr, h] * P[pr, col]).sum())
        if not zr.any() or den <= 0 or Yy[pr, h].sum() <= 0:
            continue
        ratio = float(Yy[pr, h].sum()) / den  # the targeted regions' pace / target
        a += float(Yy[zr, h].sum())
        b += float(Ey[zr, h].sum()) * typical[col] * ratio
    return np.where(Z0, (a / b) * typical[None, :], P)


def _past_stalls(fitted: Fitted, inds: list, zhat: dict, drift_sd: float, Y: int) -> list:
    """The evidence of stalls in the plan's complete years before ``Y`` (every month reported):
    per region-year, the log likelihood ratio of a stall from each report against none
    (:func:`_stall_evidence`). The level's prior in a year is what the region's other years
    say of it (their amounts against their target paces and the plan's ratios, :func:`plan_levels`'
    ``T*`` and ``Z``), uncertain by the region's own drift between two years and those years'
    count noise; a region without a target pace takes the year's own mean, shape
    :data:`PAST_LEVEL_SHAPE`. A stalled year's own mean would hide its stall."""
    out = []
    if fitted.year0 >= Y:  # no year before this one: nothing complete
        return out
    cv2_two = float(np.expm1(2 * drift_sd**2))
    for it in inds:
        if fitted.pooled[it.ind].nature == "small_count":
            continue
        lz = zhat[it.ind][0]
        for j, k in enumerate(it.rows):
            k, d = int(k), float(it.d[j])
            if d <= 1e-9:
                continue
            season = fitted.season_of(k)
            base = it.Tstar[j] * np.exp(lz)  # the level per unit of the region's pace ratio
            known = np.isfinite(base) & (base > 0) & (it.Ey[j] > 0)
            for yr in range(fitted.year0, Y):
                c0 = yr * 12 - fitted.start_idx
                cols = fitted.gid[k, max(c0, 0) : c0 + 12]
                if c0 < 0 or len(cols) < 12 or (cols < 0).any():
                    continue
                amt, expo = _report_groups(fitted, k, yr, season, whole=True)
                h = yr - fitted.year0
                other = known.copy()
                other[h] = False
                y_o = float(it.Yy[j, other].sum())
                if known[h] and y_o > 0:
                    m = y_o / float((it.Ey[j, other] * base[other]).sum()) * base[h]
                    a = 1.0 / (cv2_two + d / y_o)
                else:
                    m = amt.sum() / expo.sum() if expo.sum() > 0 else 0.0
                    a = PAST_LEVEL_SHAPE
                ev = _stall_evidence(amt, expo, d, a, m)
                if ev is not None:
                    out.append(ev[1] - ev[0])
    return out


# ------------------------------------------------------------------------------ the plan
@dataclass
class _Ind:
    """Per indicator: the leaf series' arrays (one row per region)."""

    ind: str
    rows: np.ndarray  # positions in fitted.series
    regions: list[str]
    P: np.ndarray  # target paces (regions x years_all), NaN without targets
    Yy: np.ndarray  # amounts (regions x history years)
    Ey: np.ndarray  # season exposure (regions x history years)
    d: np.ndarray  # dispersion unit per region
    has_target: np.ndarray
    lumpy: tuple | None = None  # (q, gamma, cv2, t_bar, rel scale per region)


def plan_levels(
    fitted: Fitted, targets: pd.DataFrame, plan_id: str, target_rows: dict
) -> dict[tuple[str, str], SeriesParams]:
    """The :class:`SeriesParams` of every leaf series of one plan's fit."""
    s = fitted.series
    Y = fitted.as_of_idx // 12
    y0 = fitted.year0
    nh = Y - y0 + 1  # history years y0..Y
    t_years = [int(v) for v in targets["year_start"]] + [int(v) for v in targets["year_end"]]
    ylo = min([y0, *t_years]) if t_years else y0
    yhi = max([Y, *t_years]) if t_years else Y
    years_all = np.arange(ylo, yhi + 1)
    hcol = np.arange(y0, Y + 1) - ylo  # history years' columns in years_all
    kind = s["kind"].to_numpy()
    last_idx = s["last_idx"].to_numpy(int)
    n_months_all = s["n_months"].to_numpy(int)
    inds: list[_Ind] = []
    for ind, grp in s[kind == "leaf"].groupby("indicator_id", sort=True):
        rows = grp.index.to_numpy()
        regions = list(grp["region_id"])
        tp = [target_paces(target_rows.get((r, ind), []), years_all) for r in regions]
        P = np.array([x[0] for x in tp]).reshape(len(regions), len(years_all))
        Z0 = np.array([x[1] for x in tp]).reshape(len(regions), len(years_all))
        Yy = fitted.year_amount[rows][:, :nh]
        Ey = fitted.year_exposure[rows][:, :nh]
        if Z0.any():
            P = _zero_targets(P, Z0, Yy, Ey, hcol)
        pool = fitted.pooled[ind]
        has_target = np.isfinite(P).all(1)
        tot_y, tot_e = Yy.sum(1), Ey.sum(1)
        lam_bar = float(tot_y.sum() / tot_e.sum()) if tot_e.sum() > 0 else 0.0
        item = _Ind(ind, rows, regions, P, Yy, Ey, np.ones(len(rows)), has_target)
        if pool.nature in ("count", "other"):
            lam_ref = (tot_y + 2 * lam_bar) / (tot_e + 2)
            item.d = pool.phi + lam_ref * pool.inv_k * season_ratio(pool.season)
        elif pool.nature == "lumpy":
            # the region's target scale: geometric mean of its yearly target paces
            pos = np.isfinite(P) & (P > 0)
            logp = np.where(pos, np.log(np.where(pos, P, 1.0)), 0.0).sum(1)
            tr = np.where(has_target & pos.any(1), np.exp(logp / np.maximum(pos.sum(1), 1)), np.nan)
            ok = np.isfinite(tr) & (tr > 0)
            t_bar = float(np.exp(np.log(tr[ok]).mean())) if ok.any() else lam_bar
            rel = np.where(ok, tr / t_bar if t_bar > 0 else 1.0, 1.0)
            scale = {int(r): float(v) * t_bar for r, v in zip(rows, rel, strict=True)}
            q, gam, cv2 = size_model(pool.reports, scale, t_bar)
            msize = q * t_bar * rel**gam
            item.d = msize * (1 + cv2)
            item.lumpy = (q, gam, cv2, t_bar, msize)
        inds.append(item)

    # beta and the regions' own drift, pooled over the plan's indicators: year-on-year steps of
    # each region's rate against the steps of its target, within indicator-years (the plan's
    # shared step drops out)
    sd_e0 = DRIFT_SD_PRIOR[0]
    g_all, s_all, v_all, grp_all = [], [], [], []
    gid = 0
    for it in inds:
        for h in range(1, nh):
            ok = (
                (it.Ey[:, h] >= MIN_STEP_EXPOSURE)
                & (it.Ey[:, h - 1] >= MIN_STEP_EXPOSURE)
                & (it.Yy[:, h] >= MIN_STEP_COUNTS * it.d)
                & (it.Yy[:, h - 1] >= MIN_STEP_COUNTS * it.d)
                & it.has_target
            )
            if ok.sum() < 2:
                continue
            d = it.d[ok]
            l1 = np.log((it.Yy[ok, h] + 0.5 * d) / it.Ey[ok, h])
            l0 = np.log((it.Yy[ok, h - 1] + 0.5 * d) / it.Ey[ok, h - 1])
            v = d / (it.Yy[ok, h] + 0.5 * d) + d / (it.Yy[ok, h - 1] + 0.5 * d)
            g = np.log(it.P[ok, hcol[h]] / it.P[ok, hcol[h - 1]])
            g_all.append(g)
            s_all.append(l1 - l0)
            v_all.append(v)
            grp_all.append(np.full(ok.sum(), gid))
            gid += 1
    # ... and the plan's own steps: the plan's amounts against its targets' growth (the
    # shared year-step is noise around beta * growth here)
    pg, py, pv = [], [], []
    for it in inds:
        for h in range(1, nh):
            ok = (
                it.has_target
                & (it.Ey[:, h] >= MIN_STEP_EXPOSURE)
                & (it.Ey[:, h - 1] >= MIN_STEP_EXPOSURE)
            )
            y1, y0_ = float(it.Yy[ok, h].sum()), float(it.Yy[ok, h - 1].sum())
            dmed = float(np.median(it.d[ok])) if ok.any() else 1.0
            if ok.sum() < 2 or min(y1, y0_) < MIN_STEP_COUNTS * dmed:
                continue
            e1 = it.Ey[ok, h] * it.P[ok, hcol[h]]
            e0 = it.Ey[ok, h - 1] * it.P[ok, hcol[h - 1]]
            growth = float(
                np.log(
                    (it.Ey[ok, h] * it.P[ok, hcol[h]]).sum()
                    / (it.Ey[ok, h] * it.P[ok, hcol[h - 1]]).sum()
                )
            )
            raw = float(np.log((y1 / e1.sum()) / (y0_ / e0.sum())))
            samp = (
                float((it.d[ok] * it.Yy[ok, h]).sum()) / y1**2
                + float((it.d[ok] * it.Yy[ok, h - 1]).sum()) / y0_**2
            )
            pg.append(growth)
            py.append(raw + growth)
            pv.append(samp + 2 * SHOCK_SD_PRIOR[0] ** 2)
    b_num, b_prec = BETA_PRIOR[0] / BETA_PRIOR[1] ** 2, 1 / BETA_PRIOR[1] ** 2
    if pg:
        pg_, py_, pv_ = np.array(pg), np.array(py), np.array(pv)
        b_num += float((pg_ * py_ / pv_).sum())
        b_prec += float((pg_**2 / pv_).sum())
    drift_var = sd_e0**2
    if g_all:
        g, st, v, grp = map(np.concatenate, (g_all, s_all, v_all, grp_all))
        w = 1.0 / (v + 2 * sd_e0**2)
        gt, stt = g.copy(), st.copy()
        n_g = np.bincount(grp)
        for k in range(gid):
            m = grp == k
            gt[m] -= (w[m] * g[m]).sum() / w[m].sum()
            stt[m] -= (w[m] * st[m]).sum() / w[m].sum()
        sgg = float((w * gt**2).sum())
        b_num += float((w * gt * stt).sum())
        b_prec += sgg
    beta, beta_sd = b_num / b_prec, float(np.sqrt(1 / b_prec))
    if g_all:
        res = stt - beta * gt
        corr = n_g[grp] / np.maximum(n_g[grp] - 1, 1)
        drift_var = _mom(res**2 * corr / 2.0, v / 2.0, DRIFT_SD_PRIOR)
    drift_sd = float(np.sqrt(np.clip(drift_var, 0.03**2, 0.6**2)))

    # the plan's pace ratio by year (relative to T* with this beta); the shared step spread
    step_x, step_v = [], []
    zhat: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for it in inds:
        Pref = it.P[:, Y - ylo]
        Tstar = Pref[:, None] * (it.P[:, hcol] / Pref[:, None]) ** beta  # regions x history
        it_T = np.where(it.has_target[:, None], Tstar, np.nan)
        lz, vz = np.full(nh, np.nan), np.full(nh, np.nan)
        dm = float(np.median(it.d)) if len(it.d) else 1.0
        for h in range(nh):
            ok = it.has_target & (it.Ey[:, h] > 0)
            wsh = it.Ey[ok, h] * it_T[ok, h]
            den = float(wsh.sum())
            num = float(it.Yy[ok, h].sum())
            if den > 0:
                # the plan's ratio (a ratio of sums) and its sampling variance (log scale)
                lz[h] = np.log((num + 0.1 * dm) / den)
                vz[h] = float((it.d[ok] * it.Yy[ok, h]).sum() + 0.5 * dm) / (
                    num + 0.5 * dm
                ) ** 2 + drift_sd**2 * float((wsh**2).sum() / den**2)
        zhat[it.ind] = (lz, vz)
        it.Tstar = it_T  # type: ignore[attr-defined]
        for h in range(1, nh):
            ok = (
                it.has_target
                & (it.Ey[:, h] >= MIN_STEP_EXPOSURE)
                & (it.Ey[:, h - 1] >= MIN_STEP_EXPOSURE)
            )
            if ok.sum() < 2:
                continue
            r1 = (it.Yy[ok, h].sum() + 0.5) / (it.Ey[ok, h] * it_T[ok, h]).sum()
            r0 = (it.Yy[ok, h - 1].sum() + 0.5) / (it.Ey[ok, h - 1] * it_T[ok, h - 1]).sum()
            step = np.log(r1 / r0)
            samp = (
                float((it.d[ok] * it.Yy[ok, h]).sum()) / (it.Yy[ok, h].sum() + 0.5) ** 2
                + float((it.d[ok] * it.Yy[ok, h - 1]).sum()) / (it.Yy[ok, h - 1].sum() + 0.5) ** 2
                + 2 * drift_sd**2 / ok.sum()
            )
            step_x.append(step**2)
            step_v.append(samp)
    # a step between two years' ratios is the difference of two shocks: variance 2 shock^2
    shock_var = _mom(np.array(step_x) / 2, np.array(step_v) / 2, SHOCK_SD_PRIOR)
    shock_sd = float(np.sqrt(np.clip(shock_var, 0.03**2, 0.6**2)))
    last_year = int(years_all[-1])
    hazard, seen = stall_hazard(_past_stalls(fitted, inds, zhat, drift_sd, Y))

    out: dict[tuple[str, str], SeriesParams] = {}
    for it in inds:
        pool = fitted.pooled[it.ind]
        n_r = len(it.rows)
        lz, vz = zhat[it.ind]
        Tst = it.Tstar  # type: ignore[attr-defined]
        tot_y, tot_e = it.Yy.sum(1), it.Ey.sum(1)
        lam_bar = float(tot_y.sum() / tot_e.sum()) if tot_e.sum() > 0 else 0.0
        # regions without a target pace: the plan's pooled level, expressed as a target
        z_ref = float(np.exp(lz[np.isfinite(lz)].mean())) if np.isfinite(lz).any() else 1.0
        no_t = ~it.has_target
        if no_t.any():
            fill = lam_bar / z_ref if lam_bar > 0 else np.nan
            Tst = np.where(no_t[:, None], fill, Tst)
        Tcur = Tst[:, -1]
        noisy = it.d > 1e-9
        dd = np.where(noisy, it.d, 1.0)
        # persistent spread of the regions' ratios: the cross-section of each year's
        # ratios (observed / target pace / the plan's ratio; exposure-weighted variance, less
        # the sampling variance, less the own drift), shrunk to SPREAD_SD_PRIOR
        cv2_eta = float(np.expm1(drift_sd**2))
        est_x, est_n = [], []
        for h in range(nh):
            ok = np.isfinite(Tst[:, h]) & (it.Ey[:, h] >= MIN_YEAR_EXPOSURE) & np.isfinite(lz[h])
            k = int(ok.sum())
            if k < 3:
                continue
            expo = it.Ey[ok, h] * Tst[ok, h] * np.exp(lz[h])  # expected amount at ratio 1
            rho = it.Yy[ok, h] / expo
            w = expo / expo.sum()
            rb = float((w * rho).sum())
            if rb <= 0:
                continue
            var_b = float((w * (rho - rb) ** 2).sum()) * k / (k - 1)
            within = float((w * it.d[ok] * rb / expo).sum())
            est_x.append((var_b - within) / rb**2)
            est_n.append(k)
        cv2_0, n0 = float(np.expm1(SPREAD_SD_PRIOR[0] ** 2)), SPREAD_SD_PRIOR[1]
        cv2_q = cv2_0
        if est_x:
            tot = float(np.average(est_x, weights=est_n))
            n_eff = float(max(est_n))
            cv2_q = (n0 * cv2_0 + n_eff * ((1 + tot) / (1 + cv2_eta) - 1)) / (n0 + n_eff)
        cv2_q = float(np.clip(cv2_q, np.expm1(0.05**2), np.expm1(1.2**2)))
        tau2 = float(np.log1p(cv2_q))
        # each region's persistent relative pace q (mean 1 over the plan's regions): a gamma
        # updated by its past years' amounts against what the plan's ratio and its target
        # expected, each year's pseudo-counts discounted for the own drift (a year's amount
        # says less about q than its count: 1 / y_eff = 1 / y + CV^2 of the drift)
        A = np.full(n_r, 1.0 / cv2_q)
        B = A.copy()
        for h in range(nh - 1):
            ok = np.isfinite(Tst[:, h]) & (it.Ey[:, h] > 0) & np.isfinite(lz[h]) & noisy
            if not ok.any():
                continue
            y = it.Yy[ok, h] / dd[ok]
            ex = it.Ey[ok, h] * Tst[ok, h] * np.exp(lz[h]) / dd[ok]
            f = 1.0 / (1.0 + cv2_eta * y)
            A[ok] += f * y
            B[ok] += f * ex
        cv2_year = (1 + 1 / A) * (1 + cv2_eta) - 1
        a = 1.0 / cv2_year
        # this year's level given Z: mean Z * T * E[q] (the own drift has mean 1)
        c = np.where(np.isfinite(Tcur) & (Tcur > 0), Tcur * A / B, 0.0)
        # the plan's ratio: a persistent part (prior PLAN_RATIO_PRIOR less the shock) seen
        # through its past years' ratios, each with a shock and sampling noise; this year's
        # ratio a priori = persistent + a fresh shock
        m_var = max(PLAN_RATIO_PRIOR[1] ** 2 - shock_sd**2, 0.05**2)
        m_mean = float(np.log(PLAN_RATIO_PRIOR[0]))
        if not it.has_target.any():
            m_mean = 0.0  # the pooled level already is the region's scale
        past = [h for h in range(nh - 1) if np.isfinite(lz[h])]
        if past:
            w_h = np.array([1.0 / (shock_sd**2 + vz[h]) for h in past])
            prec = 1.0 / m_var + w_h.sum()
            m_mean = float((m_mean / m_var + (w_h * lz[past]).sum()) / prec)
            m_var = float(1.0 / prec)
        mz, sz = m_mean, float(np.sqrt(m_var + shock_sd**2))
        yc = np.where(noisy, it.Yy[:, -1] / dd, 0.0)
        ec = np.where(noisy, it.Ey[:, -1] / dd, 0.0)
        use = (ec > 0) & (c > 0)
        grid, cdf = _z_posterior(mz, sz, yc[use], ec[use], a[use], c[use])
        rest = (
            _rest_spread(fitted, it.rows[noisy], it.d[noisy], Y)
            if pool.nature in ("count", "other") and noisy.any()
            else {}
        )
        # stalls: this year's reports against the level's prior at the plan ratio's median
        z_med = float(np.exp(np.interp(0.5, cdf, grid)))
        stall = [(0.0, None, None, (0.0, None))] * n_r
        groups: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # j → this year's reports
        any_stall = False
        for j in range(n_r):
            if not noisy[j] or c[j] <= 0 or pool.nature == "small_count":
                continue
            k = int(it.rows[j])
            amt, expo = groups[j] = _report_groups(fitted, k, Y, fitted.season_of(k))
            p, pre, post, dip = _stall(amt, expo, it.d[j], a[j], z_med * c[j], hazard)
            if p > 0.01 or dip[0] > 0.01:
                stall[j] = (p, pre, post, dip)
                any_stall = any_stall or p >= 0.5 or dip[0] >= 0.5
        if any_stall:  # the plan ratio from the regions' months before a stall or a dip
            yc2, ec2 = yc.copy(), ec.copy()
            for j, (p, pre, _, dip) in enumerate(stall):
                if p >= 0.5:
                    yc2[j], ec2[j] = pre
                elif dip[0] >= 0.5:
                    yc2[j], ec2[j] = dip[1]
            use2 = (ec2 > 0) & (c > 0)
            grid, cdf = _z_posterior(mz, sz, yc2[use2], ec2[use2], a[use2], c[use2])
        shared = Shared(
            plan_id,
            it.ind,
            Y,
            grid,
            cdf,
            float(beta),
            float(beta_sd),
            shock_sd,
            drift_sd,
            float(np.sqrt(tau2)),
            last_year,
            m_mean,
            m_var,
        )
        for j, region in enumerate(it.regions):
            k = int(it.rows[j])
            n_months = int(n_months_all[k])
            has_hist = n_months > 0
            method = (
                f"{pool.family}+pooled({pool.n_series})"
                if has_hist
                else ("prior" if not pool.has_history else f"prior+pooled({pool.n_series})")
            )
            P = it.P[j]
            cur = P[Y - ylo] if np.isfinite(P[Y - ylo]) and P[Y - ylo] > 0 else np.nan
            ratios = {
                int(yr): float(P[yr - ylo] / cur)
                for yr in range(Y + 1, last_year + 1)
                if np.isfinite(cur)
            }
            sp = SeriesParams(
                region_id=region,
                indicator_id=it.ind,
                nature=pool.nature,
                last_idx=int(last_idx[k]),
                season=fitted.season_of(k),
                method=method,
                a=float(a[j]),
                c=float(c[j]),
                phi=float(pool.phi),
                inv_k=float(pool.inv_k),
                d=float(it.d[j]),
                year_ratio=ratios,
                shared=shared,
            )
            p_st, pre, post, (p_dip, pre_dip) = stall[j]
            if p_st >= 0.5:
                sp.y, sp.e = float(pre[0]), float(pre[1])
            elif p_dip >= 0.5:  # the level from the months before the dip
                sp.y, sp.e = float(pre_dip[0]), float(pre_dip[1])
            else:
                sp.y, sp.e = float(yc[j]), float(ec[j])
            if pool.walk > 0 and j in groups and p_st < 0.5 and p_dip < 0.5:
                # the level at the last report: earlier months (and the prior) discounted by
                # the walk since them (a walk is estimated for counts only: their reports were
                # grouped for the stall check above)
                amt, expo = groups[j]
                ends = _report_ends(fitted, k, Y)
                sp.a, sp.y, sp.e = _discounted(a[j], amt / dd[j], expo / dd[j], ends, pool.walk)
                sp.walk = pool.walk
            if p_st > 0.01:
                sp.stall_p = p_st
                sp.stall_shape = STALL_SHAPE + float(post[0])
                sp.stall_rate = STALL_SHAPE / (STALL_DEPTH * z_med * c[j]) + float(post[1])
            sp.season_sd = _season_sd(last_idx[k], Y, pool)
            sp.stall_hazard, sp.stall_seen = hazard, seen
            if int(last_idx[k]) // 12 == Y and p_st < 0.5 and pool.nature in ("count", "other"):
                sp.rest_common, sp.rest_own = rest.get(k, (0.0, 0.0))
            cov = series_coverage(fitted, k)
            sp.gaps = cov.gaps
            sp.skip = cov.blocked[cov.blocked > cov.last_idx]
            sp.first_weight = 1.0 - cov.last_frac
            for yr in sorted({int(m) // 12 for m in cov.gaps if int(m) // 12 < Y}):
                h = yr - fitted.year0
                dj = max(float(it.d[j]), 1e-9)
                sp.past[yr] = (float(it.Yy[j, h]) / dj, float(it.Ey[j, h]) / dj)
                P_ = it.P[j]
                if np.isfinite(cur) and np.isfinite(P_[yr - ylo]):
                    sp.year_ratio.setdefault(yr, float(P_[yr - ylo] / cur))
            if pool.nature == "lumpy":
                q, gam, cv2, t_bar, msize = it.lumpy
                sp.m = float(msize[j])
                sp.giant, sp.kappa = _mixture(cv2)
            if it.d[j] <= 1e-9:
                # no noise in the reports: the level is known exactly (this year's, else all)
                e_all = it.Ey[j].sum()
                lev = (
                    it.Yy[j, -1] / it.Ey[j, -1]
                    if it.Ey[j, -1] > 0
                    else (it.Yy[j].sum() / e_all if e_all > 0 else 0.0)
                )
                sp.exact = float(lev)
                sp.year_ratio = {yr: v**beta for yr, v in ratios.items()}
                sp.stall_p = 0.0
                sp.stall_hazard = 0.0
            out[(region, it.ind)] = sp
    return out
