"""Synthetic progress and targets with a known generating process (tests, backtest, bench).

Each township's monthly amount has a true level ``rho * target / 12`` (``rho`` lognormal around
0.95, drifting between years), a Spring-Festival lull and a year-end rush, and the noise of its
indicator's nature: negative binomial counts, Poisson small counts, and compound Poisson
building completions with gamma sizes. A county's targets and progress are the sums of its
townships'; :func:`synthetic_registry` declares that hierarchy (the forecast takes parents from
a registry, never from the shape of ids). Not illustrative data for briefings (that is
``ontrack demo``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ontrack.registry import Region, Registry, core_indicators

#: true seasonal profile (Jan..Dec), mean 1: Spring Festival lull, year-end rush
TRUE_SEASON = np.array([0.55, 0.35, 0.9, 1.0, 1.0, 1.1, 0.9, 0.85, 1.0, 1.05, 1.2, 2.1])
TRUE_SEASON = TRUE_SEASON * 12 / TRUE_SEASON.sum()

#: indicator → (nature, typical township yearly target)
SYNTH_INDICATORS = {
    "space": ("lumpy", 3.0),
    "firms": ("count", 25.0),
    "talent": ("count", 250.0),
    "tech_firms": ("count", 5.0),
    "incubators_20": ("small_count", 0.4),
}


def make_synthetic(
    n_counties: int = 2,
    n_towns: int = 6,
    years: tuple[int, ...] = (2025, 2026),
    *,
    last_month: str | None = None,
    indicators: tuple[str, ...] = tuple(SYNTH_INDICATORS),
    seed: int = 1,
    nb_k: float = 4.0,
    rho_sd: float = 0.35,
    prefix: str = "cty",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(progress, targets) for ``n_counties`` counties of ``n_towns`` townships each.

    Region ids are ``{prefix}{c}`` and ``{prefix}{c}-t{j}``; the townships belong to their county
    only through :func:`synthetic_registry` (pass it to ``fit(..., reg=...)``). Progress covers
    every month of ``years`` up to ``last_month`` (default: all).
    """
    rng = np.random.default_rng(seed)
    prog_rows: list[dict] = []
    targ_rows: list[dict] = []
    last = last_month or f"{years[-1]}-12"
    for c in range(n_counties):
        county = f"{prefix}{c}"
        towns = [f"{county}-t{j}" for j in range(n_towns)]
        for ind in indicators:
            nature, base = SYNTH_INDICATORS[ind]
            ctarget = {y: 0.0 for y in years}
            cmonth: dict[str, float] = {}
            for town in towns:
                scale = base * rng.lognormal(0, 0.5)
                rho0 = rng.lognormal(np.log(0.95), rho_sd)
                size = scale * rng.uniform(0.2, 0.5)  # a building: 20-50% of a year's target
                for y in years:
                    tgt = round(scale * (1 + 0.15 * (y - years[0])), 1 if nature == "lumpy" else 0)
                    tgt = max(tgt, 1.0) if nature != "lumpy" else max(tgt, 0.5)
                    if nature == "small_count":
                        tgt = float(rng.integers(0, 2))
                    targ_rows.append(_target(county, town, ind, y, y, tgt))
                    ctarget[y] += tgt
                    rho = rho0 * rng.lognormal(0, 0.15)
                    for mo in range(12):
                        month = f"{y}-{mo + 1:02d}"
                        if month > last:
                            break
                        mu = rho * max(tgt, 0.3) / 12 * TRUE_SEASON[mo]
                        if nature == "count":
                            v = float(rng.poisson(rng.gamma(nb_k, mu / nb_k)))
                        elif nature == "small_count":
                            v = float(rng.poisson(mu))
                        else:
                            n = rng.poisson(mu / size)
                            v = round(float(rng.gamma(2.0 * n, size / 2.0)) if n else 0.0, 3)
                        prog_rows.append(_progress(town, ind, month, v))
                        cmonth[month] = cmonth.get(month, 0.0) + v
            for y in years:
                targ_rows.append(_target(county, county, ind, y, y, round(ctarget[y], 3)))
            targ_rows.append(
                _target(county, county, ind, years[0], years[-1], round(sum(ctarget.values()), 3))
            )
            for month, v in cmonth.items():
                prog_rows.append(_progress(county, ind, month, round(v, 6)))
    return pd.DataFrame(prog_rows), pd.DataFrame(targ_rows)


def _target(county: str, region: str, ind: str, ys: int, ye: int, value: float) -> dict:
    return {
        "plan_id": f"{county}-plan",
        "region_id": region,
        "indicator_id": ind,
        "year_start": ys,
        "year_end": ye,
        "level": "baseline",
        "value": float(value),
        "unit": "",
        "source": "synthetic",
        "quote": "",
    }


def _progress(region: str, ind: str, month: str, v: float) -> dict:
    return {
        "region_id": region,
        "indicator_id": ind,
        "month": month,
        "value": v,
        "source": "synthetic",
    }


def synthetic_regions(
    n_counties: int = 2, n_towns: int = 6, *, prefix: str = "cty"
) -> list[Region]:
    """The regions of :func:`make_synthetic` with their parents (township → county)."""
    out: list[Region] = []
    for c in range(n_counties):
        county = f"{prefix}{c}"
        out.append(Region(county, county))
        out += [Region(f"{county}-t{j}", f"{county}-t{j}", parent=county) for j in range(n_towns)]
    return out


def synthetic_registry(n_counties: int = 2, n_towns: int = 6, *, prefix: str = "cty") -> Registry:
    """A registry for :func:`make_synthetic` data: its regions with parents, the core
    indicators (same arguments as :func:`make_synthetic`)."""
    return Registry(synthetic_regions(n_counties, n_towns, prefix=prefix), core_indicators())
