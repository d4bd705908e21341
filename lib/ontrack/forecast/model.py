"""Fitting: pooled seasonal profile, dispersion and per-series levels from monthly progress.

The model (see docs/methods.md) for the monthly amount ``y`` of region ``r``, indicator ``i``::

    E[y_rt] = lambda_r * s_i[month(t)]        (s_i: pooled seasonal profile, mean 1)
    Var[y_rt] = d_r * E[y_rt]                  (d_r: dispersion unit, by indicator nature)

* ``lambda_r`` and ``s_i`` are the Poisson-GLM (log link, region + calendar-month factors)
  estimates, computed by iterative proportional fitting over all regions of the indicator, so a
  township with one year of months borrows the shape of the year from its neighbours. Months a
  report merges (an absent month followed by a reported one, e.g. 1-2月 reported in February;
  a ``covers`` column, where present, says how many months a row covers; without it a series
  whose first report is February is taken to cover January too) are handled by allocating the
  reported value over the merged months (EM).
* The seasonal profile is shrunk towards ``PRIOR_SEASON`` (a mild Spring Festival lull and
  year-end rush) by ``SEASON_PRIOR_N`` region-months per calendar month, so a month seen in one
  region only cannot dominate.
* Dispersion is pooled per indicator: ``count`` (firms, talent, tech firms) gets a quasi-Poisson
  factor ``phi`` (Pearson), simulated as a linear negative binomial (NB1) when phi > 1;
  ``small_count`` is Poisson (d = 1); ``lumpy`` (space) is a compound Poisson of whole-building
  completions with gamma sizes whose mean is ``q`` months of the region's own pace
  (Var = theta * lambda * mu, theta = q (1 + 1/kappa); a Tweedie-type model, most months zero).
* The level ``lambda_r`` gets a gamma posterior (parameter uncertainty): the quasi-likelihood of
  the region's own months, recency-weighted with a half-life of ``HALF_LIFE`` months, combined with
  an empirical-Bayes gamma prior centred on the pooled pace ratio (observed / target pace, across
  regions of the indicator) times the region's own target pace. That prior needs the targets and
  is computed in :mod:`ontrack.forecast.simulate`.

Peer group: everything above is pooled over the regions of one plan (the plan's region, its
townships, every region the plan has targets for, and their sub-regions; :func:`plan_members`).
:func:`fit` fits the progress it is given; the forecast then fits each plan's own regions
(:meth:`Fitted.restrict`, cached), so a plan's numbers do not depend on other plans' data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import InputError
from ..registry import Registry, core_indicators

#: recency half-life (months) of the data that informs a region's level
HALF_LIFE = 12.0
#: region-months of flat season added to each calendar month's pooled estimate
SEASON_PRIOR_N = {"count": 4.0, "small_count": 36.0, "lumpy": 24.0, "other": 4.0}
#: defaults where an indicator has no usable history anywhere
DEFAULT_PHI = 2.0  # count: variance = 2 x mean
DEFAULT_Q = 4.0  # lumpy: a completion is 4 months of the region's pace (3 a year)
DEFAULT_KAPPA = 2.0  # lumpy: gamma shape of completion sizes (CV 0.71)
#: prior seasonal profile (Jan..Dec), the shape reported practice describes (facts.md): a Spring
#: Festival lull in January-February and a year-end rush (年底冲刺) in November-December. Mild on
#: purpose; the data move it by SEASON_PRIOR_N region-months per calendar month.
PRIOR_SEASON = np.array([0.75, 0.6, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.1, 1.55])
PRIOR_SEASON = PRIOR_SEASON * 12 / PRIOR_SEASON.sum()

_MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def month_index(month: str) -> int:
    """'YYYY-MM' → year * 12 + month - 1 (a running month number)."""
    m = _MONTH_RE.match(str(month))
    if not m:
        raise ValueError(month)
    return int(m.group(1)) * 12 + int(m.group(2)) - 1


def month_label(idx: int) -> str:
    """Inverse of :func:`month_index`."""
    return f"{idx // 12:04d}-{idx % 12 + 1:02d}"


def parse_as_of(as_of: str, progress: pd.DataFrame | None = None, where: str = "as_of") -> str:
    """Check an as-of month; 'latest' means the last month in ``progress``."""
    if str(as_of) == "latest":
        if progress is None or progress.empty:
            raise InputError(where, "'latest' needs progress rows, and there are none")
        return str(progress["month"].astype(str).max())
    if not _MONTH_RE.match(str(as_of)):
        raise InputError(where, f"{as_of!r} is not a month", "YYYY-MM or 'latest'")
    return str(as_of)


def default_registry() -> Registry:
    """The registry of a run given none: the core indicators, regions without parents."""
    return Registry(indicators=core_indicators())


def plan_roots(targets: pd.DataFrame, plan_id: str, reg: Registry) -> set[str]:
    """The regions a plan's targets name, and the plan's own region (plan.yml)."""
    t = targets[targets["plan_id"].astype(str) == str(plan_id)]
    roots = set(t["region_id"].astype(str))
    if plan_id in reg.plans:
        roots.add(reg.plans[plan_id].region_id)
    return roots


def plan_members(regions, targets: pd.DataFrame, plan_id: str, reg: Registry) -> frozenset[str]:
    """The regions among ``regions`` in a plan's peer group: the plan's regions (its targets'
    regions and its own region) and their sub-regions (regions.csv parents), at any depth."""
    roots = plan_roots(targets, plan_id, reg)
    return frozenset(
        r for r in map(str, regions) if r in roots or roots.intersection(reg.ancestors(r))
    )


def all_plan_members(regions, targets: pd.DataFrame, reg: Registry) -> dict[str, frozenset[str]]:
    """:func:`plan_members` of every plan of ``targets`` at once (one pass over the regions)."""
    by_root: dict[str, set[str]] = {}
    plans = targets["plan_id"].astype(str)
    for plan, region in zip(plans, targets["region_id"].astype(str), strict=True):
        by_root.setdefault(region, set()).add(plan)
    for plan in set(plans):
        if plan in reg.plans:
            by_root.setdefault(reg.plans[plan].region_id, set()).add(plan)
    out: dict[str, set[str]] = {p: set() for p in set(plans)}
    for r in map(str, regions):
        for a in (r, *reg.ancestors(r)):
            for plan in by_root.get(a, ()):
                out[plan].add(r)
    return {p: frozenset(v) for p, v in out.items()}


def plan_inputs(
    progress: pd.DataFrame, targets: pd.DataFrame, plan_id: str, reg: Registry
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(progress, targets) of one plan: its targets, and the progress of its peer group.

    The forecast of the plan from these equals its forecast from all plans' inputs.
    """
    t = targets[targets["plan_id"].astype(str) == str(plan_id)].reset_index(drop=True)
    regs = progress["region_id"].astype(str)
    members = plan_members(regs.unique(), targets, plan_id, reg)
    return progress[regs.isin(members)].reset_index(drop=True), t


@dataclass
class Pooled:
    """Parameters pooled across the regions of one indicator."""

    indicator_id: str
    nature: str
    season: np.ndarray  # 12 multiplicative month effects, mean 1
    phi: float  # count: variance / mean
    theta: float  # lumpy: variance / (mean * level)
    kappa: float  # lumpy: gamma shape of completion sizes
    n_series: int  # leaf series with history
    has_history: bool

    @property
    def q(self) -> float:
        """Lumpy: mean completion size in months of the region's pace."""
        return self.theta / (1.0 + 1.0 / self.kappa)

    @property
    def family(self) -> str:
        return {"lumpy": "compound-poisson-gamma", "small_count": "poisson-gamma"}.get(
            self.nature, "negbin1-gamma"
        )


@dataclass
class Fitted:
    """Everything :func:`fit` learns from progress up to ``as_of``; targets are not needed."""

    as_of: str
    as_of_idx: int
    start_idx: int  # month index of column 0 of ``values``
    series: pd.DataFrame  # one row per (region_id, indicator_id), sorted
    values: np.ndarray  # n_series x T monthly values up to as_of (0 where absent)
    reported: np.ndarray  # n_series x T: a row exists
    pooled: dict[str, Pooled] = field(default_factory=dict)
    children: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)
    #: the progress fitted (region_id as text), 'latest' or the month asked for, and the
    #: settings: what :meth:`restrict` needs to fit a subset of the regions the same way
    source: pd.DataFrame | None = field(default=None, repr=False)
    as_of_arg: str = ""
    season_prior_weight: float = 1.0
    #: the regions' parents and the indicators' natures (regions.csv, indicators.csv)
    reg: Registry = field(default_factory=default_registry, repr=False)

    @property
    def source_regions(self) -> frozenset[str]:
        """Regions with progress rows (any month)."""
        return frozenset(self._rows_of)

    def restrict(self, regions) -> Fitted:
        """The fit of the progress of ``regions`` only (cached): a plan's own peer group.

        ``'latest'`` is resolved again on those regions' progress. Returns ``self`` when no
        region is dropped.
        """
        have = self.source_regions
        key = frozenset(map(str, regions)) & have
        if key == have or self.source is None:
            return self
        hit = self._sub.get(key)
        if hit is None:
            rows = np.sort(np.concatenate([self._rows_of[r] for r in key]))
            sub = self.source.iloc[rows]
            as_of = self.as_of_arg or self.as_of
            if as_of == "latest" and sub.empty:
                as_of = self.as_of
            hit = fit(sub, as_of, reg=self.reg, season_prior_weight=self.season_prior_weight)
            self._sub[key] = hit
        return hit

    def row(self, region_id: str, indicator_id: str) -> int | None:
        """Position of a series in ``series`` / ``values``, or None."""
        return self._pos.get((region_id, indicator_id))

    def __post_init__(self) -> None:
        self._sub: dict[frozenset[str], Fitted] = {}
        # positions of each region's rows in ``source``
        if self.source is not None:
            self._rows_of = self.source.groupby("region_id", sort=False).indices
        else:
            self._rows_of = {r: np.array([], int) for r in self.series["region_id"].astype(str)}
        self._parent = {(c, i): par for (par, i), kids in self.children.items() for c in kids}
        self._pos = {
            (r, i): k
            for k, (r, i) in enumerate(
                zip(self.series["region_id"], self.series["indicator_id"], strict=True)
            )
        }


def _clean_progress(progress: pd.DataFrame, as_of_idx: int) -> pd.DataFrame:
    missing = {"region_id", "indicator_id", "month", "value"} - set(progress.columns)
    if missing:
        raise InputError("progress", f"missing column(s) {sorted(missing)}")
    p = progress[["region_id", "indicator_id", "month", "value"]].copy()
    p["region_id"] = p["region_id"].astype(str)
    p["indicator_id"] = p["indicator_id"].astype(str)
    bad = ~p["month"].astype(str).str.match(_MONTH_RE.pattern)
    if bad.any():
        raise InputError(
            "progress", f"month {p.loc[bad, 'month'].iloc[0]!r} is not a month", "YYYY-MM"
        )
    ms = p["month"].astype(str)
    p["idx"] = ms.str[:4].astype(int) * 12 + ms.str[5:7].astype(int) - 1
    p["value"] = pd.to_numeric(p["value"], errors="coerce").astype(float)
    if p["value"].isna().any():
        raise InputError("progress", "a value is empty or not a number")
    illus = (
        progress["illustrative"].fillna(False).astype(bool).to_numpy()
        if "illustrative" in progress.columns
        else np.zeros(len(p), bool)
    )
    p["illustrative"] = illus
    # months a row covers (an extra column of some inputs: 2 for a 1-2月 report); default 1
    cov = progress["covers"] if "covers" in progress.columns else pd.Series(1, index=p.index)
    p["covers"] = pd.to_numeric(cov, errors="coerce").fillna(1).clip(lower=1).astype(int).to_numpy()
    # duplicates (should not happen under the contract): add them up
    p = p.groupby(["region_id", "indicator_id", "idx"], as_index=False).agg(
        value=("value", "sum"), illustrative=("illustrative", "any"), covers=("covers", "max")
    )
    return p


def fit(
    progress: pd.DataFrame,
    as_of: str,
    *,
    reg: Registry | None = None,
    season_prior_weight: float = 1.0,
) -> Fitted:
    """Learn seasonal profiles, dispersions and levels from progress up to ``as_of``.

    ``reg`` gives each region's parent (regions.csv: a region with sub-regions in the progress
    becomes their sum) and each indicator's nature; without it, the core indicators and no
    parents. ``season_prior_weight`` scales ``SEASON_PRIOR_N`` (0: the data's own profile).
    """
    reg = reg or default_registry()
    as_of_arg = str(as_of)
    as_of = parse_as_of(as_of, progress)
    a_idx = month_index(as_of)
    p_all = _clean_progress(progress, a_idx)
    # a series with rows only after as_of is still a series (its forecast is the prior)
    p = p_all[p_all["idx"] <= a_idx]
    # series: leaf series with rows + aggregate parents (regions.csv parents only)
    keys = set(zip(p_all["region_id"].tolist(), p_all["indicator_id"].tolist(), strict=True))
    regions = set(p_all["region_id"])
    parent_of = reg.parents()
    parents = {parent_of[r] for r in regions if r in parent_of}
    children: dict[tuple[str, str], tuple[str, ...]] = {}
    all_keys = set(keys)
    inds = sorted({i for (_, i) in keys})
    for par in sorted(parents):
        kids_all = sorted(r for r in regions if parent_of.get(r) == par)
        for ind in inds:
            kids = tuple(k for k in kids_all if (k, ind) in keys)
            if kids:
                children[(par, ind)] = kids
                all_keys.add((par, ind))
    skeys = sorted(all_keys, key=lambda k: (k[1], k[0]))
    start = int((p["idx"] - p["covers"]).min()) if len(p) else a_idx
    start = min(start, a_idx)
    T = a_idx - start + 1
    pos = {k: n for n, k in enumerate(skeys)}
    n = len(skeys)
    values = np.zeros((n, T))
    reported = np.zeros((n, T), bool)
    illus = np.zeros(n, bool)
    covers = np.ones((n, T), int)
    if len(p):
        rows = np.array(
            [pos[k] for k in zip(p["region_id"].tolist(), p["indicator_id"].tolist(), strict=True)]
        )
        cols = p["idx"].to_numpy() - start
        values[rows, cols] = p["value"].to_numpy()
        reported[rows, cols] = True
        covers[rows, cols] = p["covers"].to_numpy()
    if len(p_all):  # any illustrative row of the series, after as_of too
        rows_all = np.array(
            [
                pos[k]
                for k in zip(
                    p_all["region_id"].tolist(), p_all["indicator_id"].tolist(), strict=True
                )
            ]
        )
        np.logical_or.at(illus, rows_all, p_all["illustrative"].to_numpy())
    # aggregates: consistent with the sum of children → sum of children; otherwise independent
    kind = np.array(["leaf"] * n, dtype=object)
    for (par, ind), kids in children.items():
        k = pos[(par, ind)]
        kid_rows = [pos[(c, ind)] for c in kids]
        ksum = values[kid_rows].sum(0)
        if reported[k].any():
            own = reported[k]
            if np.allclose(values[k, own], ksum[own], rtol=1e-6, atol=1e-9):
                kind[k] = "aggregate"
        else:
            kind[k] = "aggregate"
        if kind[k] == "aggregate":
            values[k] = ksum
            reported[k] = reported[kid_rows].any(0)
            illus[k] = illus[k] or illus[kid_rows].any()
    children = {k: v for k, v in children.items() if kind[pos[k]] == "aggregate"}

    series = pd.DataFrame(
        {
            "region_id": [k[0] for k in skeys],
            "indicator_id": [k[1] for k in skeys],
            "nature": [reg.nature(k[1]) for k in skeys],
            "kind": kind,
            "illustrative": illus,
        }
    )
    moy = (np.arange(start, a_idx + 1)) % 12  # calendar month of each column
    first = np.where(reported.any(1), reported.argmax(1), T)
    last = np.where(reported.any(1), T - 1 - reported[:, ::-1].argmax(1), -1)
    # history mask: first..last reported; an absent month merges into the next reported one;
    # a first report in February covers January too (1-2月)
    cols = np.arange(T)
    first_ext = first.copy()
    has = first < T
    cov_first = np.where(has, covers[np.arange(n), np.minimum(first, T - 1)], 1)
    feb_first = (
        has
        & (moy[np.minimum(first, T - 1)] == 1)
        & (cov_first == 1)
        & ("covers" not in progress.columns)
    )
    first_ext[feb_first] -= 1
    first_ext[has] -= cov_first[has] - 1
    first_ext = np.maximum(first_ext, 0)
    hist = (cols[None, :] >= first_ext[:, None]) & (cols[None, :] <= last[:, None])
    big = T + 1
    nxt = np.where(reported, cols[None, :], big)[:, ::-1]
    nxt = np.minimum.accumulate(nxt, axis=1)[:, ::-1]  # next reported column ≥ t
    gid = np.where(hist, nxt, -1)

    pooled: dict[str, Pooled] = {}
    n_lam = np.zeros(n)
    Yw = np.zeros(n)
    Ew = np.zeros(n)
    for ind in sorted(series["indicator_id"].unique()):
        rows = np.flatnonzero(series["indicator_id"].to_numpy() == ind)
        leaf = rows[(kind[rows] == "leaf") & hist[rows].any(1)]
        nat = reg.nature(ind)
        pool = _fit_pooled(
            ind, nat, values[leaf], hist[leaf], gid[leaf], reported[leaf], moy, season_prior_weight
        )
        pooled[ind] = pool
    # levels of every series with history (aggregates too: used only for display / prior)
    sm_all = np.ones((n, T))
    for ind, pool in pooled.items():
        r = series["indicator_id"].to_numpy() == ind
        sm_all[r] = pool.season[moy][None, :]
    age = (T - 1 - nxt).clip(min=0)  # months from the covering report to as_of
    w = np.where(hist, 0.5 ** (age / HALF_LIFE), 0.0)
    S = np.where(hist, sm_all, 0.0)
    Y = np.where(reported, values, 0.0).sum(1)
    E = S.sum(1)
    Yw = (np.where(hist, _alloc(values, reported, S, gid), 0.0) * w).sum(1)
    Ew = (S * w).sum(1)
    n_lam = np.divide(Y, E, out=np.zeros(n), where=E > 0)
    # trailing 12 months: average monthly amount over the covered months
    t12 = hist & (cols[None, :] > T - 13)
    trail = np.divide(
        np.where(t12 & reported, values, 0).sum(1),
        t12.sum(1),
        out=np.full(n, np.nan),
        where=t12.sum(1) > 0,
    )
    series["Y"] = Y
    series["E"] = E
    series["Yw"] = Yw
    series["Ew"] = Ew
    series["lam_hat"] = n_lam
    series["n_months"] = hist.sum(1)
    series["first_idx"] = np.where(first < T, first + start, -1)
    series["last_idx"] = np.where(last >= 0, last + start, start - 1)
    series["trailing_rate"] = trail
    return Fitted(
        as_of=as_of,
        as_of_idx=a_idx,
        start_idx=start,
        series=series,
        values=values,
        reported=reported,
        pooled=pooled,
        children=children,
        source=progress.assign(region_id=progress["region_id"].astype(str)),
        as_of_arg=as_of_arg,
        season_prior_weight=season_prior_weight,
        reg=reg,
    )


def _alloc(values: np.ndarray, reported: np.ndarray, S: np.ndarray, gid: np.ndarray) -> np.ndarray:
    """Spread each report over the months it covers, in proportion to ``S`` (expected amounts)."""
    n, T = values.shape
    out = np.zeros((n, T))
    if n == 0:
        return out
    rows = np.repeat(np.arange(n), T).reshape(n, T)
    ok = gid >= 0
    flat_g = np.where(ok, rows * T + gid, 0)
    tot = np.bincount(flat_g[ok], weights=S[ok], minlength=n * T)
    cnt = np.bincount(flat_g[ok], minlength=n * T)
    yv = np.where(reported, values, 0.0).ravel()
    share = np.where(
        tot[flat_g] > 0,
        S / np.where(tot[flat_g] > 0, tot[flat_g], 1),
        1.0 / np.maximum(cnt[flat_g], 1),
    )
    out = np.where(ok, yv[flat_g] * share, 0.0)
    return out


def _fit_pooled(
    ind: str,
    nat: str,
    values: np.ndarray,
    hist: np.ndarray,
    gid: np.ndarray,
    reported: np.ndarray,
    moy: np.ndarray,
    prior_weight: float = 1.0,
) -> Pooled:
    """IPF (Poisson GLM with region and calendar-month effects) and moment dispersions."""
    n, T = values.shape
    season = PRIOR_SEASON.copy()
    if n == 0 or not hist.any():
        return Pooled(
            ind,
            nat,
            season,
            DEFAULT_PHI,
            DEFAULT_Q * (1 + 1 / DEFAULT_KAPPA),
            DEFAULT_KAPPA,
            0,
            False,
        )
    Ytot = np.where(reported, values, 0.0).sum(1)
    n0 = SEASON_PRIOR_N.get(nat, 4.0) * prior_weight
    nm = np.bincount(moy, weights=hist.sum(0), minlength=12)
    lam = np.zeros(n)
    for _ in range(25):
        S = np.where(hist, season[moy][None, :], 0.0)
        lam = np.divide(Ytot, S.sum(1), out=np.zeros(n), where=S.sum(1) > 0)
        mu = lam[:, None] * S
        alloc = _alloc(values, reported, mu, gid)
        num = np.bincount(moy, weights=alloc.sum(0), minlength=12)
        den = np.bincount(
            moy, weights=(lam[:, None] * np.where(hist, 1.0, 0.0)).sum(0), minlength=12
        )
        raw = np.divide(num, den, out=PRIOR_SEASON.copy(), where=den > 0)
        new = np.where(
            nm + n0 > 0, (nm * raw + n0 * PRIOR_SEASON) / np.maximum(nm + n0, 1e-300), PRIOR_SEASON
        )
        new = new * 12 / new.sum()
        if np.allclose(new, season, atol=1e-10):
            season = new
            break
        season = new
    S = np.where(hist, season[moy][None, :], 0.0)
    lam = np.divide(Ytot, S.sum(1), out=np.zeros(n), where=S.sum(1) > 0)
    mu = lam[:, None] * S
    # group-level (one report) residuals
    rows = np.repeat(np.arange(n), T).reshape(n, T)
    ok = gid >= 0
    flat_g = np.where(ok, rows * T + gid, 0)
    mu_g = np.bincount(flat_g[ok], weights=mu[ok], minlength=n * T).reshape(n, T)
    y_g = np.where(reported, values, 0.0)
    use = reported & (mu_g > 0)
    n_obs = int(use.sum())
    dof = max(n_obs - int((lam > 0).sum()) - 11, 1)
    infl = n_obs / dof if n_obs > 0 else 1.0
    phi = DEFAULT_PHI
    theta = DEFAULT_Q * (1 + 1 / DEFAULT_KAPPA)
    kappa = DEFAULT_KAPPA
    if n_obs >= 3:
        resid2 = (y_g - mu_g) ** 2
        if nat == "count":
            phi = float(infl * (resid2[use] / mu_g[use]).sum() / n_obs)
        elif nat == "lumpy":
            lam_g = np.broadcast_to(lam[:, None], (n, T))
            theta = float(infl * resid2[use].sum() / (mu_g[use] * lam_g[use]).sum())
            # completion sizes: non-zero reports relative to their region's mean non-zero report
            nz = reported & (values > 0)
            cnt = nz.sum(1)
            good = cnt >= 2
            if good.sum() >= 1 and nz[good].sum() >= 5:
                mean_nz = np.where(nz, values, 0).sum(1) / np.maximum(cnt, 1)
                rel = (values / np.where(mean_nz[:, None] > 0, mean_nz[:, None], 1))[
                    nz & good[:, None]
                ]
                cv2 = float(np.var(rel, ddof=1)) if rel.size > 1 else 0.0
                kappa = float(np.clip(1.0 / cv2, 0.5, 50.0)) if cv2 > 0 else 50.0
    return Pooled(ind, nat, season, max(phi, 0.0), max(theta, 0.0), kappa, n, True)
