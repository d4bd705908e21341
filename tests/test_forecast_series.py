"""What a series shows of itself overrules the priors: its own dispersion and scale, its own
season among peers that differ, a level that wanders within the year, and intervals that hold
on series with such a level (bands worked out from the sample size)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ontrack.forecast import fit, simulate_attainment
from ontrack.forecast.simulate import series_params
from ontrack.registry import Indicator, Plan, Region, Registry

_IND = Indicator("amount", "数量", "", "count", "amount")


def _months(year: int, n: int = 12) -> list[str]:
    return [f"{year}-{m:02d}" for m in range(1, n + 1)]


def _registry(regions: list[str], total: str | None = None) -> Registry:
    regs = [Region(r, r, parent=total) for r in regions]
    if total:
        regs.append(Region(total, total))
    root = total or regions[0]
    return Registry(regs, [_IND], [Plan("p", "p", root, (2023, 2024, 2025, 2026))])


def _progress(series: dict[str, np.ndarray], first: int = 2023) -> pd.DataFrame:
    rows = []
    for r, v in series.items():
        months = [m for y in range(first, first + 5) for m in _months(y)][: len(v)]
        rows += [(r, "amount", m, float(x)) for m, x in zip(months, v, strict=True)]
    return pd.DataFrame(rows, columns=["region_id", "indicator_id", "month", "value"]).assign(
        source="test"
    )


def test_a_long_smooth_series_keeps_its_small_dispersion():
    # 48 months of about 10,000 a month with 2% noise: variance / mean^2 = 0.0004 beyond the
    # Poisson part (1 / 10,000). The estimate (48 reports: relative sd of a variance about
    # sqrt(2 / 48) = 20%) lies within 0.0004 x (1 ± 0.6); the old prior pull (ten reports of
    # 1/k = 0.25) would have given about 0.043.
    rng = np.random.default_rng(3)
    v = rng.poisson(10_000 * np.exp(0.02 * rng.standard_normal(48)))
    f = fit(_progress({"s": v}), "2026-12", reg=_registry(["s"]))
    pool = f.pooled["amount"]
    assert 0.00016 <= pool.inv_k <= 0.00064
    assert pool.walk < 1e-4  # a constant level: no walk made up


def test_a_series_in_thousands_is_not_a_count_of_units():
    # Departures in thousands: 500 a month (3% noise) beside 7 a month (10% noise). As counts of
    # units, the small one's next six months (42) would spread like Poisson(42): a 10-90% width
    # of 2 x 1.2816 x sqrt(42) = 16.6. Its real spread is 42 x 0.10 / sqrt(6) = 1.7 (width 4.4);
    # with the level's uncertainty the interval stays well under half the count's width.
    rng = np.random.default_rng(5)
    big = 500 * np.exp(0.03 * rng.standard_normal(42))
    small = 7 * np.exp(0.10 * rng.standard_normal(42))
    prog = _progress({"big": np.round(big, 2), "small": np.round(small, 2)})
    f = fit(prog, "2026-06", reg=_registry(["big", "small"], "all"))
    assert f.pooled["amount"].phi < 0.5
    t = pd.DataFrame(
        [("p", r, "amount", 2026, 2026, v) for r, v in (("big", 6000.0), ("small", 84.0))],
        columns=["plan_id", "region_id", "indicator_id", "year_start", "year_end", "value"],
    ).assign(level="baseline", unit="", source="test", quote="")
    att = simulate_attainment(f, t, n_sims=4000, seed=1).set_index("region_id")
    width = att.loc["small", "proj_p90"] - att.loc["small", "proj_p10"]
    assert width < 16.6 / 2


def test_each_series_keeps_its_own_season_when_the_plans_series_differ():
    # Two large series with opposite seasons (January 1.5 / July 0.5 and the reverse), 3%
    # noise: the pooled profile is flat, each series' own profile is its own (within 0.15).
    rng = np.random.default_rng(8)
    shape = 1 + 0.5 * np.cos(2 * np.pi * np.arange(12) / 12)
    a = np.tile(shape, 3) * 2000 * np.exp(0.03 * rng.standard_normal(36))
    b = np.tile(2 - shape, 3) * 2000 * np.exp(0.03 * rng.standard_normal(36))
    f = fit(_progress({"a": a, "b": b}), "2025-12", reg=_registry(["a", "b"], "all"))
    ka, kb = f.row("a", "amount"), f.row("b", "amount")
    assert f.season_of(ka)[0] == pytest.approx(1.5, abs=0.15)
    assert f.season_of(kb)[0] == pytest.approx(0.5, abs=0.15)
    assert f.season_of(ka)[6] == pytest.approx(0.5, abs=0.15)
    assert f.pooled["amount"].season_spread > 0.3


def test_townships_that_share_a_season_keep_the_shared_one():
    # Nine sparse townships (about 6 a month, NB2 k = 4) with one season: their own profiles
    # stay near the pooled one (the spread beyond their noise is about zero).
    rng = np.random.default_rng(9)
    shape = np.array([0.6, 0.5, 0.9, 1, 1, 1, 1, 1, 1, 1, 1.2, 1.8])
    shape = shape * 12 / shape.sum()
    towns = {
        f"t{j}": rng.poisson(np.tile(shape, 2) * 6 * rng.gamma(4.0, 0.25, 24)) for j in range(9)
    }
    f = fit(_progress(towns, 2024), "2025-12", reg=_registry(list(towns), "c"))
    pooled = f.pooled["amount"].season
    for r in towns:
        assert np.abs(f.season_of(f.row(r, "amount")) - pooled).max() < 0.1
    assert f.pooled["amount"].season_spread < 0.1


def _walk_series(rng, n_years: int, level: float, omega: float, noise: float) -> np.ndarray:
    out = []
    for _ in range(n_years):
        lv = np.cumsum(omega * rng.standard_normal(12))
        out.append(level * np.exp(lv - lv.mean() + noise * rng.standard_normal(12)))
    return np.concatenate(out)


def test_a_level_that_wanders_within_the_year_is_measured():
    # Eight series whose log level walks 3% a month (variance 0.0009) within each year, with 1%
    # noise, three years: the variogram recovers the walk within a factor of about 2 (some 700
    # pairs, sharing their months).
    rng = np.random.default_rng(12)
    s = {f"s{j}": _walk_series(rng, 3, 5000.0, 0.03, 0.01) for j in range(8)}
    f = fit(_progress(s), "2025-12", reg=_registry(list(s), "all"))
    assert 0.00045 <= f.pooled["amount"].walk <= 0.0018


def test_intervals_hold_on_series_whose_level_wanders():
    # 120 one-region plans: a level walking 2.5% a month within the year and 15% between years,
    # 3% noise; three years of history and the year to come, forecast as of June. The 10-90%
    # interval of the year's total covers a share of outcomes within 0.80 ± 3 sd (binomial sd
    # sqrt(0.8 x 0.2 / 120) = 0.037): 0.69 to 0.91.
    rng = np.random.default_rng(21)
    covered = []
    for j in range(120):
        years = []
        lv = 0.0
        for _ in range(4):
            lv += 0.15 * rng.standard_normal()
            years.append(_walk_series(rng, 1, 3000.0 * np.exp(lv), 0.025, 0.03))
        v = np.round(np.concatenate(years))
        prog = _progress({f"r{j}": v[:42]})
        f = fit(prog, "2026-06", reg=_registry([f"r{j}"]))
        t = pd.DataFrame(
            [("p", f"r{j}", "amount", 2026, 2026, float(v[24:36].sum()))],
            columns=["plan_id", "region_id", "indicator_id", "year_start", "year_end", "value"],
        ).assign(level="baseline", unit="", source="test", quote="")
        params = series_params(f, t)
        a = simulate_attainment(f, t, n_sims=2000, seed=j, params=params).iloc[0]
        out = float(v[36:48].sum())
        covered.append(a["proj_p10"] <= out <= a["proj_p90"])
    assert 0.69 <= np.mean(covered) <= 0.91
