"""Fitting: the seasonal profile, the dispersion and per-year sums from monthly progress.

The model (docs/methods.md) for the monthly amount ``y`` of region ``r``, indicator ``i`` in
year ``y``::

    E[y_rm] = lambda_ry * s_i[m]        (s_i: seasonal profile, mean 1)

This module fits what does not need the targets; :mod:`.levels` estimates the levels
``lambda_ry`` (they need the targets) and :mod:`.simulate` draws.

* ``s_i`` is the Poisson-GLM estimate with region-*year* and calendar-month effects (log link),
  computed by iterative proportional fitting (SQUAREM-accelerated), so a step between years is
  not taken for a season. Months a report merges (an absent month followed by a reported one,
  e.g. 1-2月 reported in February; a ``covers`` column, where present, says how many months a
  row covers; without it a series whose first report is February is taken to cover January
  too) are handled by allocating the reported value over the merged months (EM). Each
  indicator's profile is shrunk towards the plan's shared profile (all its indicators, by
  pseudo-counts), itself shrunk towards ``PRIOR_SEASON`` (a Spring Festival lull and a
  year-end rush); ``Pooled.prior_share`` says how much of each month is still the prior.
* Dispersion is pooled per indicator: ``count`` (firms, talent, tech firms) is NB2 a month,
  Var = phi * mu + mu^2 / k (``inv_k`` from moments of the report-level residuals around the
  region-year levels; phi = 1 unless underdispersed); ``small_count`` is Poisson; ``lumpy``
  (space) keeps its reports for the completion-size model, which needs the targets.
* ``Fitted.year_amount`` / ``year_exposure``: per series and calendar year, the amount reported
  and the season-weighted months it covers (the levels' data).

Peer group: everything above is pooled over the regions of one plan (the plan's region, its
townships, every region the plan has targets for, and their sub-regions; :func:`plan_members`).
:func:`fit` fits the progress it is given; the forecast then fits each plan's own regions
(:meth:`Fitted.restrict`, cached), so a plan's numbers do not depend on other plans' data.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import InputError
from ..months import MONTH_PATTERN, check_month, index_month, month_index, resolve_as_of
from ..registry import Registry, core_indicators

#: region-months of flat season added to each calendar month's pooled estimate
SEASON_PRIOR_N = {"count": 4.0, "small_count": 36.0, "lumpy": 24.0, "other": 4.0}
#: pseudo-counts (amounts / their variance-to-mean) a calendar month: the plan's shared profile
#: towards PRIOR_SEASON, and each indicator's profile towards the plan's
SEASON_PLAN_N = 20.0
SEASON_DEV_N = 30.0
#: defaults where an indicator has no usable history anywhere
DEFAULT_INV_K = 0.25  # count: NB2 shape k = 4 (variance = mu + mu^2 / 4 at season 1)
#: ... its prior sd: the data's estimate overrules it by its own precision, so a long smooth
#: series keeps its small dispersion and a few sparse months say little
INV_K_PRIOR_SD = 0.5
#: ... and of phi, the Poisson part's scale (1: a count of units)
PHI_PRIOR_SD = 0.5
#: count: a level that wanders within the year (a random walk of the log level, variance
#: ``walk`` a month) is estimated from how much further apart a year's months are the further
#: apart they lie (a variogram); its prior is no walk, with this sd of the variance, so a few
#: sparse months do not make one up
WALK_PRIOR_SD = 4e-4
#: prior seasonal profile (Jan..Dec), the shape reported practice describes (facts.md): a Spring
#: Festival lull in January-February and a year-end rush (年底冲刺) in November-December. Mild on
#: purpose; the data move it by SEASON_PRIOR_N region-months per calendar month.
PRIOR_SEASON = np.array([0.6, 0.5, 0.95, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.15, 1.8])
PRIOR_SEASON = PRIOR_SEASON * 12 / PRIOR_SEASON.sum()
#: the key of ``fit(season_prior=...)`` for the profile a project's indicators share
SHARED = ""

#: a running month number and back (:mod:`ontrack.months`), under the names the forecast uses
month_label = index_month


def parse_as_of(as_of: str, progress: pd.DataFrame | None = None, where: str = "as_of") -> str:
    """A month as given, or for 'latest' the last month in ``progress``
    (:func:`ontrack.months.resolve_as_of`)."""
    if str(as_of) != "latest":
        return check_month(as_of, where)
    months = () if progress is None else progress["month"].astype(str)
    return resolve_as_of(as_of, months, where=where)


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

    The forecast of the plan from these, fitted with the project's profiles as the prior
    (:func:`plan_season_prior`), equals its forecast from all plans' inputs.
    """
    t = targets[targets["plan_id"].astype(str) == str(plan_id)].reset_index(drop=True)
    regs = progress["region_id"].astype(str)
    members = plan_members(regs.unique(), targets, plan_id, reg)
    return progress[regs.isin(members)].reset_index(drop=True), t


def plan_season_prior(
    progress: pd.DataFrame, targets: pd.DataFrame, plan_id: str, as_of: str, reg: Registry
) -> dict[str, np.ndarray] | None:
    """``fit(season_prior=...)`` for a plan fitted from its own inputs (:func:`plan_inputs`):
    the project's profiles (from all of ``progress``) as the forecast of all plans gives them
    the plan (:meth:`Fitted.project_season_of`)."""
    members = plan_members(progress["region_id"].astype(str).unique(), targets, plan_id, reg)
    return fit(progress, as_of, reg=reg).project_season_of(members) if members else None


@dataclass
class Pooled:
    """Parameters pooled across the regions of one indicator (within a plan)."""

    indicator_id: str
    nature: str
    season: np.ndarray  # 12 multiplicative month effects, mean 1
    phi: float  # count: Poisson part of the variance (1: NB2; < 1 underdispersed)
    inv_k: float  # count: Var = phi * mu + mu^2 / k a month (NB2: grows with the series' size)
    n_series: int  # leaf series with history
    has_history: bool
    #: lumpy: the reports behind the completion-size model (fitted with the targets, in
    #: :mod:`.levels`): leaf row, amount, expected amount and region-year level of each report
    reports: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    #: variance / mean of the reports (count: phi + mean level / k; lumpy: Pearson, in the
    #: indicator's unit; 1 for small counts) and the month sums behind the profile (allocated
    #: amounts, region-year levels): what the plan-wide profile pools
    d_unit: float = 1.0
    month_num: np.ndarray | None = field(default=None, repr=False)
    month_den: np.ndarray | None = field(default=None, repr=False)
    month_full: np.ndarray | None = field(default=None, repr=False)
    #: per calendar month, the share of the plan's profile that is still the prior (1 before
    #: any complete year, towards 0 with complete years of data): how uncertain the month's
    #: share of a year is (:data:`SEASON_SHARE_SD`)
    prior_share: np.ndarray = field(default_factory=lambda: np.ones(12))
    #: count: variance a month of the log level's random walk within the year (0: the level is
    #: constant within a year, the months' differences all noise)
    walk: float = 0.0
    #: each leaf series' own profile (rows: the series fitted, in order; None: the pooled one
    #: for all), the pooled one moved towards what the series' own months show by how much the
    #: plan's series differ in season beyond their noise (``season_spread``, log sd)
    row_season: np.ndarray | None = field(default=None, repr=False)
    season_spread: float = 0.0

    @property
    def k(self) -> float:
        """count: NB2 shape at the series' level (inf: no extra-Poisson variance)."""
        return 1.0 / self.inv_k if self.inv_k > 0 else float("inf")

    @property
    def family(self) -> str:
        return {"lumpy": "compound-poisson-gamma", "small_count": "poisson-gamma"}.get(
            self.nature, "negbin2-gamma"
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
    #: the project's profiles the plan's were shrunk towards (fit's ``season_prior``), and
    #: the profile this fit's indicators share
    season_prior: dict | None = field(default=None, repr=False)
    shared_season: np.ndarray = field(default_factory=lambda: PRIOR_SEASON.copy(), repr=False)
    #: the regions' parents and the indicators' natures (regions.csv, indicators.csv)
    reg: Registry = field(default_factory=default_registry, repr=False)
    #: per series and calendar year (column 0 = ``year0``): the amount reported and the
    #: expected share of it (season units) of the months those reports cover
    year0: int = 0
    year_amount: np.ndarray | None = field(default=None, repr=False)
    year_exposure: np.ndarray | None = field(default=None, repr=False)
    #: n_series x T: the column of the report that covers each history month (-1 outside)
    gid: np.ndarray | None = field(default=None, repr=False)
    #: n_series x T: months whose amount is known (a report covers them); the others are
    #: unknown: still to come, or a gap a later running total may cover
    known: np.ndarray | None = field(default=None, repr=False)
    #: n_series x T: an aggregate's own figures that count (months none of its sub-regions
    #: covers: a county's year-end figure for a year its townships did not report)
    own: np.ndarray | None = field(default=None, repr=False)
    #: series expected without progress rows (fit's ``expected``)
    expected: frozenset = frozenset()
    #: n_series x 12: each series' seasonal profile (Pooled.row_season; the pooled one where
    #: the plan's series share it)
    row_season: np.ndarray | None = field(default=None, repr=False)

    def season_of(self, k: int) -> np.ndarray:
        """Series ``k``'s seasonal profile."""
        if self.row_season is not None:
            return self.row_season[k]
        return self.pooled[str(self.series["indicator_id"].iloc[k])].season

    @property
    def source_regions(self) -> frozenset[str]:
        """Regions with progress rows (any month)."""
        return frozenset(self._rows_of)

    def restrict(self, regions, expected=(), season_prior: dict | None = None) -> Fitted:
        """The fit of the progress of ``regions`` only (cached): a plan's own peer group, with
        the ``expected`` series of those regions that have no progress (see :func:`fit`) and
        the project's profiles as the prior of its own (``season_prior``, see :func:`fit`).

        ``'latest'`` is resolved again on those regions' progress. Returns ``self`` when no
        region is dropped and no series is added.
        """
        have = self.source_regions
        key = frozenset(map(str, regions)) & have
        exp = frozenset((str(r), str(i)) for r, i in expected) - set(self._pos)
        if (key == have and not exp) or self.source is None:
            return self
        prior_key = _season_key(season_prior)
        hit = self._sub.get((key, exp, prior_key))
        if hit is None:
            sub = self._progress_of(key)
            as_of = self.as_of_arg or self.as_of
            if as_of == "latest" and sub.empty:
                as_of = self.as_of
            hit = fit(
                sub, as_of, reg=self.reg,
                season_prior_weight=self.season_prior_weight,
                expected=(self.expected & {k for k in self._pos if k[0] in key}) | exp,
                season_prior=season_prior,
            )  # fmt: skip
            self._sub[(key, exp, prior_key)] = hit
        return hit

    def project_season_of(self, plan_regions) -> dict[str, np.ndarray] | None:
        """The project's profiles for the plan of ``plan_regions``: those learned from all the
        progress fitted, up to the plan's as-of month (its own for 'latest'); None when the
        plan's regions are all of them (the plan is the project)."""
        have = self.source_regions
        mine = frozenset(map(str, plan_regions)) & have
        if mine == have or self.source is None:
            return None
        month = self._month_of(mine)
        if month == self.as_of and self.season_prior is None:
            return self.project_season
        hit = self._sub.get(("project", month))
        if hit is None:
            hit = fit(
                self.source, month, reg=self.reg, season_prior_weight=self.season_prior_weight,
                season_prior=self.season_prior,
            )  # fmt: skip
            self._sub[("project", month)] = hit
        return hit.project_season

    def _progress_of(self, regions: frozenset[str]) -> pd.DataFrame:
        rows = np.sort(np.concatenate([self._rows_of[r] for r in regions] or [np.array([], int)]))
        return self.source.iloc[rows]

    def _month_of(self, regions: frozenset[str]) -> str:
        """The as-of month of a fit of ``regions``: 'latest' resolved on their progress."""
        as_of = self.as_of_arg or self.as_of
        if as_of != "latest":
            return as_of
        sub = self._progress_of(regions)
        return self.as_of if sub.empty else parse_as_of("latest", sub)

    @property
    def project_season(self) -> dict[str, np.ndarray]:
        """The profiles learned from all the progress fitted, per indicator with history
        (and :data:`SHARED`): the prior of each plan's profiles (:meth:`restrict`)."""
        out = {SHARED: self.shared_season}
        out.update({i: p.season for i, p in self.pooled.items() if p.has_history})
        return out

    def row(self, region_id: str, indicator_id: str) -> int | None:
        """Position of a series in ``series`` / ``values``, or None."""
        return self._pos.get((region_id, indicator_id))

    def __post_init__(self) -> None:
        self._sub: dict[tuple, Fitted] = {}
        #: what other stages derive from this fit once (coverage.series_coverage)
        self.memo: dict = {}
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
    bad = ~p["month"].astype(str).str.match(MONTH_PATTERN)
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
    # a running total up to a day of its month (截至12月5日): the share of the month it covers
    day = progress["through_day"] if "through_day" in progress.columns else pd.Series(0, p.index)
    day = pd.to_numeric(day, errors="coerce").fillna(0).clip(lower=0).to_numpy()
    days = pd.to_datetime(ms.str[:7] + "-01").dt.days_in_month.to_numpy()
    p["frac"] = np.where((day > 0) & (day < days), day / days, 1.0)
    # duplicates (should not happen under the contract): add them up
    p = p.groupby(["region_id", "indicator_id", "idx"], as_index=False).agg(
        value=("value", "sum"), illustrative=("illustrative", "any"), covers=("covers", "max"),
        frac=("frac", "min"),
    )  # fmt: skip
    return p


def fit(
    progress: pd.DataFrame,
    as_of: str,
    *,
    reg: Registry | None = None,
    season_prior_weight: float = 1.0,
    expected=(),
    season_prior: dict[str, np.ndarray] | None = None,
) -> Fitted:
    """Learn seasonal profiles, dispersions and levels from progress up to ``as_of``.

    ``reg`` gives each region's parent (regions.csv: a region with sub-regions in the progress
    becomes their sum) and each indicator's nature; without it, the core indicators and no
    parents. ``season_prior_weight`` scales ``SEASON_PRIOR_N`` (0: the data's own profile).
    ``expected`` names (region, indicator) series that exist without progress rows (a
    township with targets that has not reported: its months are still to come, its county is
    the sum of all its townships, not of those that reported).
    ``season_prior`` is the project's profile per indicator (``Fitted.project_season`` of a
    fit of all plans' progress; key :data:`SHARED` the profile its indicators share), which a
    plan's profiles are shrunk towards in place of ``PRIOR_SEASON``.

    A month is known when a progress row covers it (its month and, with a ``covers`` column,
    the months before it that the value spans; ``through_day`` marks a value up to a day of
    its month); a month no row covers is unknown, never zero.
    """
    reg = reg or default_registry()
    as_of_arg = str(as_of)
    as_of = parse_as_of(as_of, progress)
    a_idx = month_index(as_of)
    p_all = _clean_progress(progress, a_idx)
    # a series with rows only after as_of is still a series (its forecast is the prior)
    p = p_all[p_all["idx"] <= a_idx]
    # series: leaf series with rows, the series expected without rows (a township with targets
    # that has not reported), and aggregate parents (regions.csv parents only)
    keys = set(zip(p_all["region_id"].tolist(), p_all["indicator_id"].tolist(), strict=True))
    keys |= {(str(r), str(i)) for r, i in expected}
    regions = {r for r, _ in keys}
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
    start = min(start, a_idx - a_idx % 12 - 1)
    T = a_idx - start + 1
    pos = {k: n for n, k in enumerate(skeys)}
    n = len(skeys)
    values = np.zeros((n, T))
    reported = np.zeros((n, T), bool)
    illus = np.zeros(n, bool)
    covers = np.ones((n, T), int)
    frac = np.ones((n, T))
    if len(p):
        rows = np.array(
            [pos[k] for k in zip(p["region_id"].tolist(), p["indicator_id"].tolist(), strict=True)]
        )
        cols = p["idx"].to_numpy() - start
        values[rows, cols] = p["value"].to_numpy()
        reported[rows, cols] = True
        covers[rows, cols] = p["covers"].to_numpy()
        frac[rows, cols] = p["frac"].to_numpy()
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
    moy = (np.arange(start, a_idx + 1)) % 12  # calendar month of each column
    # a table without a covers column (an ad hoc one): a series' first report in February
    # covers January too (1-2月, as offices report it)
    if "covers" not in progress.columns and reported.any():
        has = reported.any(1)
        first = reported.argmax(1)
        feb = has & (moy[first] == 1) & (first > 0)
        covers[np.flatnonzero(feb), first[feb]] = 2
    # the months each report covers (its month and the covers - 1 before it): known months;
    # a month no report covers is unknown (never zero)
    gid = _covering_report(reported, covers)
    # aggregates: the sum of their sub-regions; a region's own figures count only for months
    # none of its sub-regions covers (a county's year-end figure for a year its townships did
    # not report); ontrack ingest has already compared and dropped the others
    kind = np.array(["leaf"] * n, dtype=object)
    own_kept = np.zeros((n, T), bool)
    cols = np.arange(T)
    for (par, ind), kids in sorted(children.items(), key=lambda kv: -len(reg.ancestors(kv[0][0]))):
        k = pos[(par, ind)]
        kid_rows = [pos[(c, ind)] for c in kids]
        kid_known = (gid[kid_rows] >= 0).any(0)
        # the region's own reports whose months none of its sub-regions covers
        clash = np.zeros(T, bool)
        own_cols = np.flatnonzero(gid[k] >= 0)
        for c in np.unique(gid[k, own_cols]):
            if kid_known[gid[k] == c].any():
                clash[gid[k] == c] = True
        own = (gid[k] >= 0) & ~clash
        own_kept[k] = own
        kind[k] = "aggregate"
        keep_rep = reported[k] & own
        values[k] = values[kid_rows].sum(0) + np.where(keep_rep, values[k], 0.0)
        reported[k] = reported[kid_rows].any(0) | keep_rep
        frac[k] = np.where(keep_rep, frac[k], np.min(frac[kid_rows], axis=0))
        # a month its sub-regions cover counts as a month of its own (not used by the levels)
        gid[k] = np.where(kid_known, cols, np.where(own, gid[k], -1))
        illus[k] = illus[k] or illus[kid_rows].any()

    series = pd.DataFrame(
        {
            "region_id": [k[0] for k in skeys],
            "indicator_id": [k[1] for k in skeys],
            "nature": [reg.nature(k[1]) for k in skeys],
            "kind": kind,
            "illustrative": illus,
        }
    )
    hist = gid >= 0
    known = hist
    first = np.where(known.any(1), known.argmax(1), T)
    last = np.where(reported.any(1), T - 1 - reported[:, ::-1].argmax(1), -1)
    # a series whose last report stops before the end of its month (截至12月5日): that month is
    # not complete, the rest of it is still to come
    last_frac = np.where(last >= 0, frac[np.arange(n), np.maximum(last, 0)], 1.0)
    last_full = np.where(last_frac < 1.0, last - 1, last)

    # the year of the report that closes each history month: a report and the months it
    # covers belong to one region-year (level steps happen between years)
    col_year = (start + cols) // 12
    y_first = int(col_year[0])
    gyear = np.where(hist, col_year[np.clip(gid, 0, T - 1)] - y_first, -1)
    n_years = int(col_year[-1]) - y_first + 1

    # seasonal profiles: each indicator on its own, then the plan's shared profile, then each
    # indicator shrunk towards the shared one by the information in its own months
    proj = dict(season_prior or {})
    base = np.asarray(proj.pop(SHARED, PRIOR_SEASON), float)
    pooled: dict[str, Pooled] = {}
    args, leaves = {}, {}
    for ind in sorted(series["indicator_id"].unique()):
        rows = np.flatnonzero(series["indicator_id"].to_numpy() == ind)
        leaf = leaves[ind] = rows[(kind[rows] == "leaf") & hist[rows].any(1)]
        nat = reg.nature(ind)
        args[ind] = (
            ind, nat, values[leaf], hist[leaf], gid[leaf], reported[leaf], moy, gyear[leaf],
            n_years, season_prior_weight, frac[leaf],
        )  # fmt: skip
        pooled[ind] = _fit_pooled(*args[ind], rows=leaf, prior=proj.get(ind, base))
    # the project's own fit (no prior of a project's): the prior's amplitude from the months
    # seen (a deeper or a shallower Spring-Festival lull than the prior's says as much of the
    # year-end rush; before a complete year that is all there is of the rush)
    if season_prior is None and season_prior_weight > 0:
        theta = _prior_amplitude(pooled)
        if theta != 1.0:
            base = _scaled_prior(theta)
            for ind, pool in pooled.items():
                if pool.has_history:
                    pooled[ind] = _fit_pooled(*args[ind], rows=leaves[ind], prior=base)
    # twice: the first pass's dispersion is measured around a profile still held to the prior
    # by region-months, the second's around one weighed by the data's own precision (a long
    # smooth series then keeps its small dispersion, so its months outweigh the prior)
    # (the last two passes give each series its own profile, the second with the dispersion
    # left once the first has taken the series' own seasons out of it)
    for last in (False, True, True):
        shared_season, _share = _plan_season(pooled, season_prior_weight, base)
        for ind, pool in pooled.items():
            # the plan's shared profile, with the project's own profile of the indicator
            prior = _indicator_prior(shared_season, proj.get(ind), base)
            if pool.has_history:
                pooled[ind] = _fit_pooled(
                    *args[ind], rows=leaves[ind], prior=prior, d_unit=pool.d_unit,
                    own=(pool.phi, pool.inv_k) if last else None, start=pool.season,
                )  # fmt: skip
            else:
                pool.season = prior
    # the prior's share of each month, against what complete years showed at the dispersion
    # finally estimated
    shared_season, prior_share = _plan_season(pooled, season_prior_weight, base)
    for pool in pooled.values():
        pool.prior_share = prior_share
    sm_all = np.ones((n, T))
    row_season = np.ones((n, 12))
    for ind, pool in pooled.items():
        r = series["indicator_id"].to_numpy() == ind
        row_season[r] = pool.season
        if pool.row_season is not None:
            leaf = np.flatnonzero(r)
            leaf = leaf[(kind[leaf] == "leaf") & hist[leaf].any(1)]
            row_season[leaf] = pool.row_season
        sm_all[r] = row_season[r][:, moy]
    S = np.where(hist, sm_all * frac, 0.0)
    Y = np.where(reported & hist, values, 0.0).sum(1)
    E = S.sum(1)
    # per region-year: reported amount and expected share (season units) of the months covered
    Yy = np.zeros((n, n_years))
    Ey = np.zeros((n, n_years))
    rr = np.repeat(np.arange(n), T).reshape(n, T)
    ok = gyear >= 0
    np.add.at(Ey, (rr[ok], gyear[ok]), S[ok])
    rep_year = np.broadcast_to(col_year - y_first, (n, T))
    okr = reported & hist
    np.add.at(Yy, (rr[okr], rep_year[okr]), values[okr])
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
    series["lam_hat"] = n_lam
    series["n_months"] = hist.sum(1)
    series["first_idx"] = np.where(first < T, first + start, -1)
    # the last complete month reported (a series that never reported: none before this year)
    series["last_idx"] = np.where(last >= 0, last_full + start, a_idx - a_idx % 12 - 1)
    series["last_frac"] = np.where(last_frac < 1.0, last_frac, 0.0)  # of the month after it
    # the first month of data: months of years before it are "no data" (never zero)
    first_m = first + start
    series["data_from"] = np.where(first < T, first_m - first_m % 12, a_idx - a_idx % 12)
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
        season_prior=season_prior,
        shared_season=shared_season,
        reg=reg,
        year0=y_first,
        year_amount=Yy,
        year_exposure=Ey,
        gid=np.where(hist, gid, -1),
        known=known,
        own=own_kept,
        expected=frozenset((str(r), str(i)) for r, i in expected),
        row_season=row_season,
    )


def _covering_report(reported: np.ndarray, covers: np.ndarray) -> np.ndarray:
    """n x T: the column of the report covering each month (its own month and the
    ``covers - 1`` before it), -1 for a month no report covers."""
    n, T = reported.shape
    gid = np.full((n, T), -1, int)
    rr, cc = np.nonzero(reported)
    if len(rr) == 0:
        return gid
    k = np.maximum(covers[rr, cc], 1)
    rep = np.repeat(np.arange(len(rr)), k)
    offs = np.arange(rep.size) - np.repeat(np.cumsum(k) - k, k)
    m = cc[rep] - offs
    ok = m >= 0
    gid[rr[rep][ok], m[ok]] = cc[rep][ok]
    return gid


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
    gyear: np.ndarray,
    n_years: int,
    prior_weight: float = 1.0,
    frac: np.ndarray | None = None,
    rows: np.ndarray | None = None,
    prior: np.ndarray = PRIOR_SEASON,
    d_unit: float | None = None,
    own: tuple[float, float] | None = None,
    start: np.ndarray | None = None,
) -> Pooled:
    """Seasonal profile by IPF (a Poisson GLM with region-year and calendar-month effects: a
    level step between years is not mistaken for a season) and the dispersion (moments of the
    report-level residuals around the region-year levels).

    The profile is shrunk towards ``prior``: by ``SEASON_PRIOR_N`` region-months a calendar
    month, or, with ``d_unit`` (the indicator's variance / mean), by ``SEASON_DEV_N``
    pseudo-counts against the data's pseudo-counts (amounts / ``d_unit``) of that month.

    With ``own`` (the dispersion (phi, 1/k) of the pass before), each series also gets its own
    profile (:func:`_own_seasons`), and the levels and the dispersion are those around it."""
    n, T = values.shape
    season = (prior if start is None else start).copy()  # (the fixed point does not depend on it)
    if n == 0 or not hist.any():
        return Pooled(ind, nat, season, 1.0, DEFAULT_INV_K, 0, False)
    fr = np.ones((n, T)) if frac is None else frac  # share of each month a report covers
    rr = np.repeat(np.arange(n), T).reshape(n, T)
    ok = hist & (gyear >= 0)
    ry = np.where(ok, rr * n_years + np.maximum(gyear, 0), 0)  # region-year of each month
    Yry = np.bincount(
        ry[ok & reported], weights=values[ok & reported], minlength=n * n_years
    ).astype(float)
    if d_unit is None:
        n0 = SEASON_PRIOR_N.get(nat, 4.0) * prior_weight
        nm = np.bincount(moy, weights=hist.sum(0), minlength=12)
    else:
        n0 = SEASON_DEV_N * prior_weight

    def step(season: np.ndarray) -> np.ndarray:
        S = np.where(ok, season[moy][None, :] * fr, 0.0)
        Sry = np.bincount(ry[ok], weights=S[ok], minlength=n * n_years)
        lam_ry = np.divide(Yry, Sry, out=np.zeros(n * n_years), where=Sry > 0)
        lam_cell = np.where(ok, lam_ry[ry], 0.0)
        alloc = _alloc(values, reported, lam_cell * S, gid)
        num = np.bincount(moy, weights=alloc.sum(0), minlength=12)
        den = np.bincount(moy, weights=lam_cell.sum(0), minlength=12)
        raw = np.divide(num, den, out=prior.copy(), where=den > 0)
        wm = nm if d_unit is None else num / d_unit
        new = np.where(wm + n0 > 0, (wm * raw + n0 * prior) / np.maximum(wm + n0, 1e-300), prior)
        return new * 12 / new.sum()

    season = _squarem(step, season)
    S = np.where(ok, season[moy][None, :] * fr, 0.0)
    Sry = np.bincount(ry[ok], weights=S[ok], minlength=n * n_years)
    lam_ry = np.divide(Yry, Sry, out=np.zeros(n * n_years), where=Sry > 0)
    lam_cell = np.where(ok, lam_ry[ry], 0.0)
    mu = lam_cell * S
    srow, spread = None, 0.0
    if own is not None and n > 1 and nat in ("count", "other"):
        # (a building's month or an incubator's is not a season of the township's own)
        alloc = _alloc(values, reported, mu, gid)
        srow, spread = _own_seasons(alloc, lam_cell * fr, mu, moy, season, *own)
        S = np.where(ok, srow[:, moy] * fr, 0.0)
        Sry = np.bincount(ry[ok], weights=S[ok], minlength=n * n_years)
        lam_ry = np.divide(Yry, Sry, out=np.zeros(n * n_years), where=Sry > 0)
        lam_cell = np.where(ok, lam_ry[ry], 0.0)
        mu = lam_cell * S
    # report-level (group) expected amounts and residuals
    flat_g = np.where(ok, rr * T + np.maximum(gid, 0), 0)
    mu_g = np.bincount(flat_g[ok], weights=mu[ok], minlength=n * T).reshape(n, T)
    use = reported & (mu_g > 0)
    lam_g = np.where(use, lam_cell, 0.0)  # a report's region-year level (its own column)
    mu2_g = np.bincount(flat_g[ok], weights=mu[ok] ** 2, minlength=n * T).reshape(n, T)
    n_obs = int(use.sum())
    n_levels = int((Sry > 0).sum())
    # degrees of freedom: the region-year levels, and the season's free months (those seen)
    n_season = max(int((np.bincount(moy, weights=use.sum(0), minlength=12) > 0).sum()) - 1, 0)
    infl = n_obs / max(n_obs - n_levels - n_season, 1) if n_obs > 0 else 1.0
    phi, inv_k = 1.0, DEFAULT_INV_K
    reports: dict[str, np.ndarray] = {}
    y_g = np.where(reported, values, 0.0)
    walk = 0.0
    if nat in ("count", "other") and n_obs >= 3:
        phi, inv_k = _count_dispersion(y_g[use], mu_g[use], mu2_g[use], infl)
        # single-month reports (a report whose group is its own month, the whole month)
        size = np.bincount(flat_g[ok], minlength=n * T).reshape(n, T)
        one = use & (size == 1) & (fr >= 1.0) & (y_g > 0)
        rr_, tt_ = np.nonzero(one)
        walk, inv_k = _walk(
            np.log(y_g[one] / (season[moy[tt_]] if srow is None else srow[rr_, moy[tt_]])),
            ry[rr_, tt_], tt_,
            phi / mu_g[one], inv_k,
        )  # fmt: skip
    if nat in ("count", "other"):
        unit = phi + inv_k * season_ratio(season) * (Yry.sum() / max(Sry.sum(), 1e-300))
    elif nat == "lumpy":
        r2 = float(((y_g[use] - mu_g[use]) ** 2).sum() * infl)
        unit = r2 / mu_g[use].sum() if n_obs >= 3 and mu_g[use].sum() > 0 else 1.0
    else:
        unit = 1.0
    alloc = _alloc(values, reported, mu, gid)
    month_num = np.bincount(moy, weights=alloc.sum(0), minlength=12)
    month_den = np.bincount(moy, weights=lam_cell.sum(0), minlength=12)
    # what complete region-years (all 12 months covered) say about each month's share of a
    # year: a partial year says nothing about it (its level is free)
    full = np.bincount(ry[ok], minlength=n * n_years)[ry] == 12
    month_full = np.bincount(moy, weights=np.where(ok & full, alloc, 0.0).sum(0), minlength=12)
    if nat == "lumpy":
        reports = {
            "row": (rows if rows is not None else np.arange(n))[np.nonzero(use)[0]],
            "y": y_g[use],
            "mu": mu_g[use],
            "lam": lam_g[use],
            "infl": np.array([infl]),
        }
    pool = Pooled(
        ind, nat, season, phi, inv_k, n, True, reports, max(unit, 1e-9), month_num, month_den,
        month_full,
    )  # fmt: skip
    pool.row_season, pool.season_spread = srow, spread
    pool.walk = walk
    return pool


def _season_key(season_prior: dict | None):
    """A hashable key of a ``season_prior`` (restrict's cache)."""
    if season_prior is None:
        return None
    return tuple(
        sorted((k, tuple(np.round(np.asarray(v, float), 15))) for k, v in season_prior.items())
    )


#: the prior's amplitude (1: PRIOR_SEASON as it is; 0: no season): prior sd, and the grid
AMPLITUDE_SD = 0.5
_AMPLITUDES = np.linspace(0.0, 2.0, 81)


def _scaled_prior(theta: float) -> np.ndarray:
    """PRIOR_SEASON with its departures from 1 scaled by ``theta`` (mean 1)."""
    s = np.maximum(1.0 + theta * (PRIOR_SEASON - 1.0), 0.05)
    return s * 12 / s.sum()


def _prior_amplitude(pooled: dict[str, Pooled]) -> float:
    """The amplitude of the prior's shape that the months seen show (posterior mean on a grid,
    prior N(1, AMPLITUDE_SD)): every indicator's month effects (amounts over the region-year
    levels, pseudo-counts: :func:`_month_sums`), on the log scale against
    log(1 + theta (PRIOR_SEASON - 1)) up to a constant (a partial year's level is free, so only
    the months' effects relative to each other count), weighted by their pseudo-counts. 1 when
    fewer than three calendar months have been seen."""
    num, den, _ = _month_sums(pooled)
    seen = (den > 0) & (num > 0)
    if seen.sum() < 3:
        return 1.0
    x, w = np.log(num[seen] / den[seen]), num[seen]
    f = np.log(np.maximum(1.0 + _AMPLITUDES[:, None] * (PRIOR_SEASON[seen] - 1.0), 0.05))
    r = x[None, :] - f
    r = r - (r * w).sum(1, keepdims=True) / w.sum()
    lp = -0.5 * (w * r * r).sum(1) - 0.5 * ((_AMPLITUDES - 1.0) / AMPLITUDE_SD) ** 2
    post = np.exp(lp - lp.max())
    return float((post * _AMPLITUDES).sum() / post.sum())


def _indicator_prior(
    shared: np.ndarray, project: np.ndarray | None, project_shared: np.ndarray
) -> np.ndarray:
    """An indicator's prior in a plan: the plan's shared profile times how the project's
    profile of the indicator departs from the project's shared one."""
    if project is None:
        return shared.copy()
    s = shared * np.asarray(project, float) / project_shared
    return s * 12 / s.sum()


def _month_sums(pooled: dict[str, Pooled]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per calendar month, over the indicators with history, in pseudo-counts (amounts /
    variance-to-mean): the allocated amounts, the region-year levels, and the amounts of
    complete region-years."""
    num = np.zeros(12)
    den = np.zeros(12)
    info = np.zeros(12)
    for p in pooled.values():
        if p.has_history and p.month_num is not None:
            num += p.month_num / p.d_unit
            den += p.month_den / p.d_unit
            info += p.month_full / p.d_unit
    return num, den, info


def _plan_season(
    pooled: dict[str, Pooled], prior_weight: float, prior: np.ndarray = PRIOR_SEASON
) -> tuple[np.ndarray, np.ndarray]:
    """The profile shared by a plan's indicators (the year-end rush is administrative): each
    indicator's month effects weighted by their pseudo-counts (:func:`_month_sums`), shrunk
    towards ``prior`` (the project's shared profile, else ``PRIOR_SEASON``) by
    ``SEASON_PLAN_N`` pseudo-counts a calendar month; and per month the prior's share against
    what complete years have shown."""
    num, den, info = _month_sums(pooled)
    raw = np.divide(num, den, out=prior.copy(), where=den > 0)
    n0 = SEASON_PLAN_N * prior_weight
    s = np.where(num + n0 > 0, (num * raw + n0 * prior) / np.maximum(num + n0, 1e-300), 1)
    share = SEASON_PLAN_N / (info + SEASON_PLAN_N)
    return s * 12 / s.sum(), share


def _squarem(step, x: np.ndarray, tol: float = 1e-12, max_iter: int = 100) -> np.ndarray:
    """The fixed point of ``step`` (an IPF / EM update of positive parameters), accelerated by
    SQUAREM (Varadhan & Roland 2008) on the log scale: region-year levels and a partial year's
    months converge slowly under plain IPF."""
    for _ in range(max_iter):
        x1 = step(x)
        if np.allclose(x1, x, rtol=0, atol=tol):
            return x1
        x2 = step(x1)
        lx, l1, l2 = np.log(x), np.log(x1), np.log(x2)
        r, v = l1 - lx, l2 - 2 * l1 + lx
        nv = float(np.sqrt((v**2).sum()))
        alpha = -float(np.sqrt((r**2).sum())) / nv if nv > 0 else -1.0
        alpha = min(alpha, -1.0)
        xn = step(np.exp(lx - 2 * alpha * r + alpha**2 * v))
        if not np.all(np.isfinite(xn)):
            xn = x2
        if np.allclose(xn, x2, rtol=0, atol=tol) and np.allclose(x2, x1, rtol=0, atol=tol):
            return xn
        x = xn
    return x


def season_ratio(season: np.ndarray) -> float:
    """sum(s^2) / sum(s) over a year: how much the level's NB2 part grows a year's variance."""
    return float((season**2).sum() / season.sum())


def _own_seasons(
    alloc: np.ndarray,
    expo: np.ndarray,
    mu: np.ndarray,
    moy: np.ndarray,
    season: np.ndarray,
    phi: float,
    inv_k: float,
) -> tuple[np.ndarray, float]:
    """Each series' profile (rows x 12, mean 1) and the spread of the series' profiles.

    A series' month effect relative to the pooled one, rho = (its amounts of that calendar
    month / its level there) / pooled, has sampling variance v = (phi mu + mu^2 / k) / mu^2
    summed over its months; the spread tau^2 of rho beyond v across the plan's series is a
    weighted moment estimate (0 when the series share one profile, as a county's townships
    do); each series' rho - 1 is then shrunk by tau^2 / (tau^2 + v)."""
    n = alloc.shape[0]
    num = np.zeros((n, 12))
    den = np.zeros((n, 12))
    m1 = np.zeros((n, 12))
    m2 = np.zeros((n, 12))
    for m in range(12):
        c = moy == m
        num[:, m] = alloc[:, c].sum(1)
        den[:, m] = expo[:, c].sum(1)
        m1[:, m] = mu[:, c].sum(1)
        m2[:, m] = (mu[:, c] ** 2).sum(1)
    good = (den > 0) & (m1 > 0)
    # on the ratio scale, where the count noise's variance is v exactly (a log's is larger
    # for small counts, which would read as a spread)
    dev = np.where(good, num / np.where(good, den * season, 1.0) - 1.0, 0.0)
    v = np.where(good, (phi * m1 + inv_k * m2) / np.where(good, m1, 1.0) ** 2, np.inf)
    if good.sum() < 2:
        return np.broadcast_to(season, (n, 12)).copy(), 0.0
    x, vv = dev[good], v[good]
    tau2 = 0.0
    for _ in range(20):
        w = 1.0 / np.maximum(tau2 + vv, 1e-12) ** 2
        new = max(float((w * (x**2 - vv)).sum() / w.sum()), 0.0)
        if abs(new - tau2) < 1e-10:
            tau2 = new
            break
        tau2 = new
    b = np.where(good, tau2 / np.maximum(tau2 + np.where(good, v, 1.0), 1e-12), 0.0)
    srow = season[None, :] * np.maximum(1.0 + b * dev, 0.05)
    return srow * 12 / srow.sum(1, keepdims=True), float(np.sqrt(tau2))


def _walk(
    ly: np.ndarray, key: np.ndarray, t: np.ndarray, v: np.ndarray, inv_k: float
) -> tuple[float, float]:
    """(walk, 1/k): the monthly variance of a random walk of the log level within a year, and
    the count dispersion that is left for the months' own noise.

    From pairs of single-month reports of one region-year (``key``; ``ly`` the log of amount /
    season, ``t`` the month, ``v`` the Poisson part of the log's variance): E[(ly_i - ly_j)^2]
    = v_i + v_j + 2 s2 + |t_i - t_j| * walk (the region-year's level cancels). Weighted least
    squares (weights 1 / E^2, as for a scaled chi-square), non-negative; the pairs share
    reports, so the estimate's variance is inflated by pairs per independent difference; the
    walk is then shrunk towards none by :data:`WALK_PRIOR_SD`. Without a walk the months' noise
    is the moment estimate ``inv_k``; with one, the part of it the walk explains (its mean
    variance around a year's mean level, about twice a month's) is taken off."""
    if len(ly) < 4:
        return 0.0, inv_k
    order = np.argsort(key, kind="stable")
    ly, key, t, v = ly[order], key[order], t[order], v[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    ends = np.r_[starts[1:], len(key)]
    # every pair of reports of one region-year: report i with report i + d of the same key
    ii, jj = [], []
    for d in range(1, int((ends - starts).max())):
        i = np.flatnonzero(key[d:] == key[:-d])
        ii.append(i)
        jj.append(i + d)
    if not ii or not sum(len(i) for i in ii):
        return 0.0, inv_k
    i, j = np.concatenate(ii), np.concatenate(jj)
    x = (ly[i] - ly[j]) ** 2 - v[i] - v[j]
    lag = np.abs(t[i] - t[j]).astype(float)
    n_pairs = len(x)
    n_indep = max(int((ends - starts).sum() - len(starts)), 1)
    s2, w2 = max(inv_k, 1e-6), 0.0
    cov = None
    X = np.column_stack([np.full(n_pairs, 2.0), lag])
    for _ in range(5):
        e = v[i] + v[j] + 2 * s2 + lag * w2
        wt = 1.0 / np.maximum(e, 1e-12) ** 2
        A = X.T @ (wt[:, None] * X)
        if np.linalg.cond(A) > 1e12:
            return 0.0, inv_k
        s2, w2 = np.linalg.solve(A, X.T @ (wt * x))
        if w2 < 0:
            w2 = 0.0
            s2 = float((wt * 2 * x).sum() / (wt * 4).sum())
        s2 = max(float(s2), 0.0)
        cov = np.linalg.inv(A) * 2.0 * n_pairs / n_indep
    var_w = float(cov[1, 1]) if cov is not None else np.inf
    if w2 <= 0 or not np.isfinite(var_w):
        return 0.0, inv_k
    keep = (1.0 / var_w) / (1.0 / var_w + 1.0 / WALK_PRIOR_SD**2)
    walk = float(w2 * keep)
    return walk, max(inv_k - 2.0 * walk, 0.25 * inv_k)


def _count_dispersion(
    y: np.ndarray, mu: np.ndarray, mu2: np.ndarray, infl: float
) -> tuple[float, float]:
    """(phi, 1/k) of Var = phi * mu + sum(mu_m^2) / k (NB2 per month; ``mu2`` the sum of
    squared monthly means a report covers) from report-level residuals: moments (weighted
    least squares of the squared residuals on mu and mu2, non-negative), with the degrees of
    freedom the region-year levels take (``infl``).

    phi is at most 1 (a unit is at most one counted thing; more spread is the level's). Both
    are shrunk towards their priors by precision (the estimates' sandwich variance, at
    least the normal theory's, against :data:`PHI_PRIOR_SD` around 1 and
    :data:`INV_K_PRIOR_SD` around :data:`DEFAULT_INV_K`): sparse counts keep phi = 1 (a
    count of firms is Poisson at heart), a long series in thousands of people or in money
    shows its own scale."""
    r2 = (y - mu) ** 2 * infl
    n = len(y)

    def fit_c(phi: float) -> float:
        c = max(float((r2 - phi * mu).sum() / mu2.sum()), 0.0)
        for _ in range(4):
            w = 1.0 / np.maximum(phi * mu + c * mu2, 1e-300) ** 2
            c = max(float((w * (r2 - phi * mu) * mu2).sum() / (w * mu2**2).sum()), 0.0)
        return c

    # phi apart from 1/k only where the reports' sizes differ enough (a factor of e between
    # their middle halves): else mu and mu^2 say the same, and phi is 1 unless the reports
    # vary less than Poisson counts would (then 1/k = 0 and phi = Pearson chi2 / dof)
    lm = np.log(np.maximum(mu, 1e-300))
    joint = float(np.subtract(*np.percentile(lm, [75, 25]))) >= 1.0
    if not joint and r2.sum() < mu.sum():
        # Pearson chi2 / dof, known to a relative variance of 2 / n, shrunk towards 1 (a few
        # quiet months of a sparse count are not a series without noise; a long one is)
        phi = float(r2.sum() / mu.sum())
        var_phi = max(2.0 * phi**2 / n, 1e-300)
        p0 = 1.0 / PHI_PRIOR_SD**2
        return float((phi / var_phi + p0) / (1.0 / var_phi + p0)), 0.0
    phi, c = 1.0, fit_c(1.0)
    if joint:
        X = np.column_stack([mu, mu2])
        for _ in range(6):
            w = 1.0 / np.maximum(phi * mu + c * mu2, 1e-300) ** 2
            try:
                phi_n, _ = np.linalg.solve(X.T @ (w[:, None] * X), X.T @ (w * r2))
            except np.linalg.LinAlgError:
                phi_n = 1.0
            phi_n = float(np.clip(phi_n, 0.0, 1.0))  # a unit is at most one counted thing
            phi, c = phi_n, fit_c(phi_n)
    w = 1.0 / np.maximum(phi * mu + c * mu2, 1e-300) ** 2
    e = r2 - phi * mu - c * mu2
    var_c = float((w**2 * e**2 * mu2**2).sum() / max((w * mu2**2).sum() ** 2, 1e-300))
    var_c = max(var_c, 2.0 * c**2 / n, 1e-300)
    c0 = 1.0 / INV_K_PRIOR_SD**2
    c = (c / var_c + DEFAULT_INV_K * c0) / (1.0 / var_c + c0)
    if joint and phi < 1.0:
        var_phi = float((w**2 * e**2 * mu**2).sum() / max((w * mu**2).sum() ** 2, 1e-300))
        var_phi = max(var_phi, 2.0 * phi**2 / n, 1e-300)
        p0 = 1.0 / PHI_PRIOR_SD**2
        phi = (phi / var_phi + p0) / (1.0 / var_phi + p0)
    return float(phi), float(c)
