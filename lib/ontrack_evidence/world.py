"""A synthetic hierarchical world with a known truth: the evidence for the forecast's calibration.

Counties (each its own plan) of townships, five indicators, three plan years. Everything the
issue lists as real phenomena of monitoring data is in it, with parameters in
:class:`WorldParams` (the oracle, :mod:`.oracle`, knows them all):

* **paces relative to targets.** A township's monthly level in year ``y`` is

      lambda = T0 / 12 * (T_y / T0) ** beta * exp(D_cy + theta_j + e_jy)

  with ``T0`` its first-year target, ``T_y`` its yearly target (targets grow by a township's
  own rate, so the response ``beta`` to target growth is identifiable), ``D_cy = m_c + w_cy``
  the county-year effect shared by the county's townships (``m_c`` the plan's persistent
  ambition gap, ``w_cy`` a shared yearly shock), ``theta_j`` the township's persistent
  deviation and ``e_jy`` its own yearly drift;
* **stalls**: in a township-year, with probability ``stall_p``, from a month between March and
  November the level falls to a fraction (uniform 0..``stall_depth``) until December;
* **seasons**: a Spring-Festival lull and a year-end rush (``season``);
* **noise of each nature**: counts negative binomial (NB2, variance mu + mu^2 / k, a gamma per
  month), the "20" incubators Poisson, space whole buildings: a Poisson number of completions
  whose sizes do not depend on the pace (mean ``size_frac`` of a yearly target, scaled as
  ``target ** size_gamma``) and are heavy-tailed (lognormal, ``size_sigma``);
* **sparse counts** (tech firms: a few a year; incubators: 0-2 a year);
* **reporting**: year-to-date reports turned into monthly rows as the ingest does: 1-2月
  together in February (``jan_feb_p`` of township-years), a missing month folded into the next
  report (``missing_p``; December always reported), ``covers`` giving the months a row spans;
* **targets**: yearly and three-year targets for townships and counties (sums); counties have
  no progress rows of their own (summed from their townships through the registry).

``make_world(params, seed)`` returns a :class:`World`: progress, targets, the registry, and the
true monthly amounts. Not illustrative data for briefings (that is ``ontrack demo``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ontrack.registry import Region, Registry, core_indicators


def _mean_one(x) -> np.ndarray:
    x = np.asarray(x, float)
    return x * len(x) / x.sum()


#: true seasonal profile (Jan..Dec), mean 1
WORLD_SEASON = _mean_one([0.55, 0.4, 0.9, 1.0, 1.0, 1.1, 0.9, 0.85, 1.0, 1.05, 1.2, 2.05])

#: indicator → (nature, typical township yearly target)
WORLD_INDICATORS = {
    "space": ("lumpy", 3.0),
    "firms": ("count", 25.0),
    "talent": ("count", 250.0),
    "tech_firms": ("count", 4.0),
    "incubators_20": ("small_count", 0.6),
}
#: a zero (or tiny) target still has a pace: the level is taken from this share of the
#: indicator's typical target
TARGET_FLOOR = 0.3


@dataclass(frozen=True)
class WorldParams:
    """The world's parameters (all known to the oracle)."""

    n_counties: int = 30
    towns: tuple[int, int] = (6, 12)  # townships per county: uniform in this range
    years: tuple[int, ...] = (2025, 2026, 2027)
    beta: float = 0.6  # response of the pace to target growth
    plan_mu: float = float(np.log(0.95))  # mean log pace ratio of a plan
    plan_sd: float = 0.2  # between plans (persistent, per county and indicator)
    shock_sd: float = 0.15  # shared county-year shock
    town_sd: float = 0.3  # persistent township deviation
    drift_sd: float = 0.15  # township-year drift
    target_sd: float = 0.6  # spread of township target sizes (log)
    growth: tuple[float, float] = (-0.05, 0.4)  # yearly target growth, uniform per township
    stall_p: float = 0.08  # probability that a township-year stalls
    stall_depth: float = 0.3  # stalled level: uniform 0..stall_depth of the level
    nb_k: dict = field(
        default_factory=lambda: {"firms": 3.0, "talent": 6.0, "tech_firms": 2.0}
    )  # NB2 shape per count indicator
    size_frac: float = 0.35  # mean building: this share of a typical yearly space target
    size_gamma: float = 0.7  # building size ~ target ** size_gamma
    size_sigma: float = 1.0  # lognormal sigma of building sizes (mean-one)
    jan_feb_p: float = 0.5  # township-years reporting 1-2月 together
    missing_p: float = 0.05  # a month (Mar..Nov) missing, folded into the next report
    season: tuple[float, ...] = tuple(WORLD_SEASON)
    #: ids that say nothing of the hierarchy (R0417 may be a township of R2210): the regions'
    #: parents come from the registry only, as in a real plan's regions.csv
    opaque_ids: bool = False


#: a second world with other parameters (robustness: the model is not tuned on it)
WORLD_B = WorldParams(
    n_counties=30,
    towns=(4, 9),
    beta=1.0,
    plan_mu=float(np.log(0.85)),
    plan_sd=0.15,
    shock_sd=0.25,
    town_sd=0.2,
    drift_sd=0.25,
    growth=(0.1, 0.3),
    stall_p=0.15,
    stall_depth=0.5,
    nb_k={"firms": 8.0, "talent": 3.0, "tech_firms": 1.0},
    size_frac=0.5,
    size_gamma=0.4,
    size_sigma=1.3,
    jan_feb_p=0.8,
    missing_p=0.1,
    season=tuple(_mean_one([0.4, 0.3, 1.0, 1.0, 1.05, 1.2, 0.9, 0.8, 1.0, 1.1, 1.3, 2.4])),
)


#: a third world built differently again: ids that say nothing, from 2 to 20 townships a
#: county, smaller shocks and drifts but wider townships, a summer peak instead of the
#: Spring-Festival lull, few stalls, mostly monthly reports
WORLD_C = WorldParams(
    n_counties=30,
    towns=(2, 20),
    beta=0.8,
    plan_mu=float(np.log(1.0)),
    plan_sd=0.25,
    shock_sd=0.1,
    town_sd=0.45,
    drift_sd=0.1,
    growth=(-0.1, 0.2),
    stall_p=0.03,
    stall_depth=0.2,
    nb_k={"firms": 5.0, "talent": 10.0, "tech_firms": 4.0},
    size_frac=0.25,
    size_gamma=0.9,
    size_sigma=0.8,
    jan_feb_p=0.2,
    missing_p=0.02,
    season=tuple(_mean_one([0.9, 0.85, 0.95, 1.0, 1.1, 1.3, 1.35, 1.2, 1.0, 0.9, 0.85, 1.1])),
    opaque_ids=True,
)


@dataclass
class World:
    """One draw of the world: the inputs a forecast sees and the truth behind them."""

    params: WorldParams
    progress: (
        pd.DataFrame
    )  # as the ingest writes it (region_id, indicator_id, month, value, covers)
    targets: pd.DataFrame  # yearly and three-year targets of townships and counties
    reg: Registry  # townships' parents
    truth: pd.DataFrame  # true monthly amounts: region_id, indicator_id, month, value
    size_scale: dict[tuple[str, str], float]  # space: mean building size of a township

    def towns(self, county: str) -> list[str]:
        return list(self.reg.children(county))

    @property
    def counties(self) -> list[str]:
        return sorted(r.id for r in self.reg.regions.values() if r.parent is None)


def county_id(c: int) -> str:
    return f"c{c:02d}"


def town_id(c: int, j: int) -> str:
    return f"c{c:02d}-t{j:02d}"


def pace_base(target_year: float, typical: float) -> float:
    """Monthly base of a township's level: its yearly target (floored) / 12."""
    return max(target_year, TARGET_FLOOR * typical) / 12.0


def size_scale(first_target: float, typical: float, params: WorldParams) -> float:
    """Mean building size of a township: not its pace, its target's scale."""
    t = max(first_target, TARGET_FLOOR * typical)
    return params.size_frac * typical * (t / typical) ** params.size_gamma


def make_world(params: WorldParams = WorldParams(), seed: int = 0) -> World:
    """Draw a world: progress, targets and the truth (deterministic for a seed)."""
    rng = np.random.default_rng([seed, 12])
    # opaque ids from a stream of their own (the world's draws do not depend on its ids)
    ids = np.random.default_rng([seed, 13]).permutation(10_000)
    pool = iter(ids) if params.opaque_ids else None

    def new_id(plain: str) -> str:
        return plain if pool is None else f"R{next(pool):04d}"

    years = list(params.years)
    season = np.asarray(params.season, float)
    regions: list[Region] = []
    targ_rows: list[tuple] = []
    truth_rows: list[tuple] = []
    prog_rows: list[tuple] = []
    sizes: dict[tuple[str, str], float] = {}
    for c in range(params.n_counties):
        cid = new_id(county_id(c))
        regions.append(Region(cid, cid))
        n_t = int(rng.integers(params.towns[0], params.towns[1] + 1))
        towns = [new_id(town_id(c, j)) for j in range(n_t)]
        regions += [Region(t, t, parent=cid) for t in towns]
        for ind, (nature, typical) in WORLD_INDICATORS.items():
            m_c = rng.normal(params.plan_mu, params.plan_sd)
            D = m_c + rng.normal(0.0, params.shock_sd, len(years))
            county_t = np.zeros(len(years))
            for town in towns:
                scale = typical * rng.lognormal(0.0, params.target_sd)
                g = rng.uniform(*params.growth)
                tg = []
                for k, _ in enumerate(years):
                    v = scale * (1 + g) ** k
                    if nature == "lumpy":
                        v = max(round(v, 1), 0.3)
                    elif nature == "small_count":
                        v = float(rng.poisson(v))
                    else:
                        v = float(max(round(v), 1))
                    tg.append(v)
                tg = np.array(tg)
                county_t += tg
                for k, y in enumerate(years):
                    targ_rows.append((cid, town, ind, y, y, float(tg[k])))
                targ_rows.append((cid, town, ind, years[0], years[-1], float(tg.sum())))
                theta = rng.normal(0.0, params.town_sd)
                base = pace_base(tg[0], typical)
                msize = size_scale(tg[0], typical, params)
                if nature == "lumpy":
                    sizes[(town, ind)] = msize
                monthly = []
                for k, _ in enumerate(years):
                    growth = max(tg[k], TARGET_FLOOR * typical) / (12 * base)
                    lam = (
                        base
                        * growth**params.beta
                        * np.exp(D[k] + theta + rng.normal(0.0, params.drift_sd))
                    )
                    mult = np.ones(12)
                    if rng.random() < params.stall_p:
                        start = int(rng.integers(2, 11))  # March .. November (0-based month)
                        mult[start:] = rng.uniform(0.0, params.stall_depth)
                    mu = lam * season * mult
                    if nature == "count":
                        kk = params.nb_k[ind]
                        v = rng.poisson(mu * rng.gamma(kk, 1.0 / kk, 12)).astype(float)
                    elif nature == "small_count":
                        v = rng.poisson(mu).astype(float)
                    else:
                        n = rng.poisson(mu / msize)
                        v = np.zeros(12)
                        s2 = params.size_sigma**2
                        for m in np.flatnonzero(n):
                            v[m] = rng.lognormal(
                                np.log(msize) - s2 / 2, params.size_sigma, n[m]
                            ).sum()
                        v = np.round(v, 2)
                    monthly.append(v)
                for k, y in enumerate(years):
                    v = monthly[k]
                    for m in range(12):
                        truth_rows.append((town, ind, f"{y}-{m + 1:02d}", float(v[m])))
                    # reports: year-to-date totals; 1-2月 together; a missing month folds into
                    # the next report; December always reported
                    report = np.ones(12, bool)
                    if rng.random() < params.jan_feb_p:
                        report[0] = False
                    report[2:11] &= rng.random(9) >= params.missing_p
                    acc, cov = 0.0, 0
                    for m in range(12):
                        acc += v[m]
                        cov += 1
                        if report[m]:
                            prog_rows.append((town, ind, f"{y}-{m + 1:02d}", round(acc, 6), cov))
                            acc, cov = 0.0, 0
            for k, y in enumerate(years):
                targ_rows.append((cid, cid, ind, y, y, round(float(county_t[k]), 6)))
            targ_rows.append((cid, cid, ind, years[0], years[-1], round(float(county_t.sum()), 6)))
    targets = pd.DataFrame(
        targ_rows,
        columns=["plan_id", "region_id", "indicator_id", "year_start", "year_end", "value"],
    )
    targets["plan_id"] = targets["plan_id"] + "-plan"
    targets["level"] = "baseline"
    targets["unit"] = ""
    targets["source"] = "world"
    targets["quote"] = ""
    progress = pd.DataFrame(
        prog_rows, columns=["region_id", "indicator_id", "month", "value", "covers"]
    )
    progress["source"] = "world"
    truth = pd.DataFrame(truth_rows, columns=["region_id", "indicator_id", "month", "value"])
    return World(params, progress, targets, Registry(regions, core_indicators()), truth, sizes)


def open_targets(world: World, year: int) -> pd.DataFrame:
    """The targets scored at an as-of month of ``year``: its yearly targets and the windows that
    span it and more (three-year)."""
    t = world.targets
    yearly = (t["year_start"] == year) & (t["year_end"] == year)
    multi = (t["year_start"] <= year) & (t["year_end"] >= year) & (t["year_end"] > t["year_start"])
    return t[yearly | multi].reset_index(drop=True)
