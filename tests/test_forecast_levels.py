"""The level model (ontrack.forecast.levels): year steps, the response to target growth, NB2
counts, the plan's shared year, building sizes and stalls, on data whose answer is known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ontrack.forecast import fit, projection_draws, simulate_attainment
from ontrack.forecast.levels import GIANT_SHARE, GIANT_X, SeriesParams, _mixture
from ontrack.forecast.simulate import _draw_amount, _split, plan_fit
from ontrack.registry import Region, Registry, core_indicators


def _months(year: int, n: int = 12) -> list[str]:
    return [f"{year}-{m:02d}" for m in range(1, n + 1)]


def _plan(regions: list[str], county: str = "c") -> Registry:
    return Registry(
        [Region(county, county)] + [Region(r, r, parent=county) for r in regions],
        core_indicators(),
    )


def _targets(rows: list[tuple], plan: str = "p") -> pd.DataFrame:
    """rows: (region, indicator, year_start, year_end, value)."""
    return pd.DataFrame(
        [
            {
                "plan_id": plan, "region_id": r, "indicator_id": i, "year_start": ys,
                "year_end": ye, "level": "baseline", "value": float(v), "unit": "",
                "source": "test", "quote": "",
            }
            for r, i, ys, ye, v in rows
        ]
    )  # fmt: skip


def _poisson_progress(rng, region, ind, months, rate) -> list[dict]:
    return [
        {"region_id": region, "indicator_id": ind, "month": m, "value": float(rng.poisson(rate))}
        for m in months
    ]


def test_a_shared_year_step_is_picked_up_from_the_plan_s_months():
    # 8 townships report firms at 10 a month all of 2025 and at 15 a month from January 2026
    # (a step of +50% shared by the plan; flat targets of 120 a year, flat season). As of June
    # 2026 the rest of 2026 (6 months) is expected at about 15 a month: 8 x 6 x 15 = 720 for the
    # county, not the 8 x 6 x 12.5 = 600 of a 12-month average. The pooled step is estimated
    # from 8 x 6 x 15 = 720 reports this year, so the county's median lies within 10% of 720.
    rng = np.random.default_rng(1)
    towns = [f"t{j}" for j in range(8)]
    rows = []
    for t in towns:
        rows += _poisson_progress(rng, t, "firms", _months(2025), 10)
        rows += _poisson_progress(rng, t, "firms", _months(2026, 6), 15)
    prog = pd.DataFrame(rows).assign(source="test")
    targ = _targets(
        [(t, "firms", y, y, 120) for t in towns for y in (2025, 2026)]
        + [("c", "firms", y, y, 960) for y in (2025, 2026)]
    )
    fitted = fit(prog, "2026-06", reg=_plan(towns), season_prior_weight=0)
    a = simulate_attainment(fitted, targ, n_sims=4000).set_index(["region_id", "year_start"])
    actual = prog[prog["month"] >= "2026-01"]["value"].sum()
    remaining = a.loc[("c", 2026), "proj_p50"] - actual
    assert 0.9 * 720 < remaining < 1.1 * 720


def _growth_data(beta_true: float, seed: int):
    """30 townships, talent; targets grow by 0%, 40% or 100% from 2025 to 2026 to 2027; the
    paces follow the targets with elasticity ``beta_true`` (no other year effect)."""
    rng = np.random.default_rng(seed)
    towns = [f"t{j:02d}" for j in range(30)]
    rows, trows = [], []
    for j, t in enumerate(towns):
        g = (0.0, 0.4, 1.0)[j % 3]
        for k, y in enumerate((2025, 2026, 2027)):
            target = 240 * (1 + g) ** k
            trows.append((t, "talent", y, y, round(target)))
            if y < 2027:
                rate = 20 * (1 + g) ** (k * beta_true)
                rows += _poisson_progress(rng, t, "talent", _months(y), rate)
    return towns, pd.DataFrame(rows).assign(source="test"), _targets(trows)


@pytest.mark.parametrize("beta_true", [0.0, 1.0])
def test_the_response_to_target_growth_is_estimated_from_the_data(beta_true):
    # With 30 townships whose targets grew by 0, 40 and 100% and 2 years of ~240-480 a year
    # each, the slope of the year-on-year step on the target step is measured to within about
    # 0.1, far tighter than the prior (0.7 +- 0.3): the estimate lands near the truth.
    towns, prog, targ = _growth_data(beta_true, 3)
    fitted = fit(prog, "2026-12", reg=_plan(towns), season_prior_weight=0)
    pf = plan_fit(fitted, targ, "p")
    beta = pf.params[("t00", "talent")].shared.beta
    assert abs(beta - beta_true) < 0.2


def test_count_variance_grows_with_the_level_nb2():
    # A stretch of 3 months with weights 1, 1, 2 at level 50: mean 50 x 4 = 200; NB2 a month
    # with k = 4: variance sum(mu + mu^2 / k) = 200 + (50^2 + 50^2 + 100^2) / 4 = 3950.
    p = SeriesParams("r", "firms", "count", 0, np.ones(12), "test", phi=1.0, inv_k=0.25)
    rng = np.random.default_rng(0)
    lam = np.full(400_000, 50.0)
    w = np.array([1.0, 1.0, 2.0])
    amount, _ = _draw_amount(p, lam, float(w.sum()), float((w**2).sum()), rng)
    assert amount.mean() == pytest.approx(200, rel=0.01)
    assert amount.var() == pytest.approx(3950, rel=0.03)


def test_a_nearly_exact_series_in_large_units_is_drawn():
    # A series that varies far less than a count of units (phi 1e-12: money in yuan, say) at
    # 1e9 a month: the Poisson count behind it would have a mean of 3e21, beyond what numpy
    # draws. The draw is the amount up to its tiny noise (sd sqrt(phi * mu) = 0.055 here), and
    # the months of a stretch share it in proportion to their weights 1 : 2.
    p = SeriesParams("r", "amount", "count", 0, np.ones(12), "test", phi=1e-12, inv_k=0.0)
    rng = np.random.default_rng(0)
    lam = np.full(1000, 1e9)
    amount, count = _draw_amount(p, lam, 3.0, 5.0, rng)
    assert np.abs(amount - 3e9).max() < 1.0
    months = _split(p, amount, count, np.array([1.0, 2.0]), rng)
    assert np.allclose(months[0], amount / 3, rtol=1e-9)
    assert np.allclose(months[1], amount, rtol=1e-9)


def test_the_dispersion_is_estimated_as_nb2():
    # 12 townships, 24 months each, NB2 with k = 4 around levels from 2 to 60 a month: the
    # pooled 1/k is recovered (0.25, within 0.08: ~290 reports), phi (the Poisson part's scale,
    # estimated and held to 1 by its prior) near 1.
    rng = np.random.default_rng(7)
    rows = []
    for j in range(12):
        lam = 2.0 + 58.0 * j / 11
        for m in _months(2025) + _months(2026):
            v = rng.poisson(lam * rng.gamma(4.0, 0.25))
            rows.append({"region_id": f"t{j}", "indicator_id": "firms", "month": m, "value": v})
    prog = pd.DataFrame(rows).assign(source="test")
    fitted = fit(prog, "2026-12", season_prior_weight=0)
    pool = fitted.pooled["firms"]
    assert pool.phi == pytest.approx(1.0, abs=0.2)
    assert pool.inv_k == pytest.approx(0.25, abs=0.08)


def test_a_county_carries_the_year_its_townships_share():
    # The plan's ratio this year is drawn once per draw for all townships: the county's total
    # (the sum of its townships' draws) varies more than the sum of the townships' variances
    # (independent townships would give equality up to Monte Carlo noise: the variance of 4000
    # draws is known to about 2%, so 1.15 is several standard errors above 1). The townships
    # here are Poisson with no shared shock, so what is shared is the uncertainty of the plan's
    # level this year after three months, not a shock the data show (that the data overrule
    # the shock prior is tested in test_forecast_series).
    rng = np.random.default_rng(4)
    towns = [f"t{j}" for j in range(9)]
    rows = []
    for t in towns:
        rows += _poisson_progress(rng, t, "talent", _months(2025), 20)
        rows += _poisson_progress(rng, t, "talent", _months(2026, 3), 20)
    prog = pd.DataFrame(rows).assign(source="test")
    targ = _targets(
        [(t, "talent", y, y, 240) for t in towns for y in (2025, 2026)]
        + [("c", "talent", y, y, 2160) for y in (2025, 2026)]
    )
    fitted = fit(prog, "2026-03", reg=_plan(towns))
    kw = dict(n_sims=4000, plan_id="p")
    county = projection_draws(fitted, targ, "c", "talent", 2026, 2026, **kw)
    town_var = sum(
        projection_draws(fitted, targ, t, "talent", 2026, 2026, **kw).var() for t in towns
    )
    assert county.var() > 1.15 * town_var


def test_building_sizes_follow_the_target_not_the_pace():
    # Six townships with the same space target (6 a year), three at full pace and three at
    # a third of it: a completion has the same expected size in all six (a slow township
    # completes fewer buildings, not smaller ones), so the slow ones' intervals are wider
    # relative to their median.
    rng = np.random.default_rng(5)
    towns = [f"t{j}" for j in range(6)]
    rows = []
    for j, t in enumerate(towns):
        pace = 0.5 if j < 3 else 0.5 / 3  # 6 a year or 2 a year
        for m in _months(2025) + _months(2026, 6):
            n = rng.poisson(pace / 1.5)  # buildings of 1.5 on average
            v = float(rng.gamma(2.0, 0.75, n).sum()) if n else 0.0
            rows.append({"region_id": t, "indicator_id": "space", "month": m, "value": v})
    prog = pd.DataFrame(rows).assign(source="test")
    targ = _targets([(t, "space", y, y, 6) for t in towns for y in (2025, 2026)])
    fitted = fit(prog, "2026-06", reg=_plan(towns))
    pf = plan_fit(fitted, targ, "p")
    sizes = [pf.params[(t, "space")].m for t in towns]
    assert max(sizes) == pytest.approx(min(sizes))


def test_the_size_mixture_has_giants():
    # CV^2 = 2 of completion sizes: with 8% giants 5 times the usual size the mixture's base
    # (1 - p + p B^2) / (1 - p + p B)^2 = (0.92 + 2) / 1.32^2 = 1.6758, so the gamma shape is
    # 1 / ((1 + 2) / 1.6758 - 1) = 1.2655; a small CV^2 (0.2) leaves no room for giants.
    assert GIANT_SHARE == 0.08 and GIANT_X == 5.0
    share, kappa = _mixture(2.0)
    assert share == 0.08
    assert kappa == pytest.approx(1.2655, abs=1e-3)
    share, kappa = _mixture(0.2)
    assert share < 0.08


def _rest_of_2026(rows: list[dict], towns: list[str], as_of: str):
    """(series parameters, the median rest of 2026 by township) of the townships' firms with
    flat targets of 120 a year and the data's own season, 4,000 draws."""
    prog = pd.DataFrame(rows).assign(source="test")
    targ = _targets([(t, "firms", y, y, 120) for t in towns for y in (2025, 2026)])
    fitted = fit(prog, as_of, reg=_plan(towns), season_prior_weight=0)
    pf = plan_fit(fitted, targ, "p")
    a = simulate_attainment(fitted, targ, n_sims=4000, params={"p": pf})
    a = a[a["year_start"] == 2026].set_index("region_id")
    return pf.params, a["proj_p50"] - a["actual_to_date"]


def test_a_stall_moves_the_level():
    # Eight townships report 10 firms a month through 2025 and January-March 2026; t0 then
    # reports 0 in April, May and June (30 expected: Poisson probability e^-30). The change point
    # is all but certain, and t0's rest of the year is projected at the stalled level: a
    # median below a fifth of the others' (about 6 x 10 x 1.0 = 60 for the rest of the year).
    rng = np.random.default_rng(6)
    towns = [f"t{j}" for j in range(8)]
    rows = []
    for t in towns:
        rows += _poisson_progress(rng, t, "firms", _months(2025), 10)
        rows += _poisson_progress(rng, t, "firms", _months(2026, 3), 10)
        later = 0 if t == "t0" else 10
        rows += _poisson_progress(rng, t, "firms", ["2026-04", "2026-05", "2026-06"], later)
    params, rest = _rest_of_2026(rows, towns, "2026-06")
    assert params[("t0", "firms")].stall_p > 0.95
    assert params[("t1", "firms")].stall_p < 0.1
    assert rest["t0"] < 0.2 * rest.drop("t0").median()
    assert 45 < rest.drop("t0").median() < 75


def test_one_low_last_month_is_a_dip_two_are_a_stall():
    # _stall's three readings of a year's reports: no change; a stall from report j on (prior
    # STALL_HAZARD each); a dip, the last report alone low (prior DIP_P). Nine reports of 10
    # (exposure 1 each, d = 1, the level's prior Gamma(10, mean 10)):
    from ontrack.forecast.levels import DIP_P, STALL_HAZARD, _stall

    e = np.ones(9)
    # the last one 0: a stall from it and a dip have the same likelihood (the same months at
    # the level, the same one from a low level), so their posteriors stand as their priors,
    # 0.01 : 0.03; a stall from an earlier report explains the eighth 10 badly (the stalled
    # level's mean is 2): those weigh next to nothing
    amt = np.array([10.0] * 8 + [0.0])
    p, pre, post, (p_dip, pre_dip) = _stall(amt, e, 1.0, 10.0, 10.0)
    assert p_dip / p == pytest.approx(DIP_P / STALL_HAZARD, rel=0.01)
    assert p_dip > 0.5 and p + p_dip > 0.99
    assert pre_dip == pytest.approx((80.0, 8.0)) and pre == pytest.approx((80.0, 8.0))
    assert post == pytest.approx((0.0, 1.0))
    # two low reports: a dip explains one of them only
    amt = np.array([10.0] * 7 + [0.0, 0.0])
    p, pre, post, (p_dip, _) = _stall(amt, e, 1.0, 10.0, 10.0)
    assert p > 0.95 and p_dip < 0.01
    assert pre == pytest.approx((70.0, 7.0)) and post == pytest.approx((0.0, 2.0))
    # no low report: none of them
    p, _, _, (p_dip, _) = _stall(np.full(9, 10.0), e, 1.0, 10.0, 10.0)
    assert p < 0.01 and p_dip < 0.01


def test_a_month_hit_by_a_typhoon_does_not_stop_the_year():
    # Eight townships report 10 firms a month from January 2025; in September 2026 a typhoon
    # leaves t0 with 1 (10 expected). A stall from September and a dip explain it alike, so
    # the dip's prior (3 to a stall's 1 from that month) takes about three quarters of that
    # reading: t0's stall probability falls from about 0.7 (read as a stall only) to well
    # under a half, and the median of its October-December (3 x 10 for the others) is no
    # longer the stalled level's (about 9) but near the others'.
    rng = np.random.default_rng(7)
    towns = [f"t{j}" for j in range(8)]
    rows = []
    for t in towns:
        rows += _poisson_progress(rng, t, "firms", _months(2025), 10)
        rows += _poisson_progress(rng, t, "firms", _months(2026, 8), 10)
        rows.append({"region_id": t, "indicator_id": "firms", "month": "2026-09",
                     "value": 1.0 if t == "t0" else 10.0})  # fmt: skip
    params, rest = _rest_of_2026(rows, towns, "2026-09")
    assert 0.1 < params[("t0", "firms")].stall_p < 0.45
    assert rest["t0"] > 0.6 * rest.drop("t0").median()
    assert 22 < rest.drop("t0").median() < 38


def test_a_steady_series_keeps_its_steadiness_beside_a_volatile_one():
    # Six townships, 2023-2025 complete and January-June 2026. t0-t4 report exactly 100 a
    # month: the rest of their years never departs from their months so far. t5 reports 100 a
    # month in January-June and 150, 60 and 140 a month in July-December of the three years:
    # its rest departs by log 1.5, log 0.6, log 1.4 around its mean. Pooled over the plan, the
    # spread beyond the noise is about a sixth of t5's; each series' own is its own years
    # shrunk towards the plan's by 3 region-years: t0 about half the plan's variance, t5 about
    # (3 x 1/6 + 3) / 6 = 0.58 of its own. So t5's own sd is more than twice t0's (they were
    # equal when the spread was the plan's for every series).
    towns = [f"t{j}" for j in range(6)]
    h2 = {2023: 1.5, 2024: 0.6, 2025: 1.4}
    rows = []
    for t in towns:
        for y in (2023, 2024, 2025):
            for m, month in enumerate(_months(y), start=1):
                f = h2[y] if t == "t5" and m > 6 else 1.0
                rows.append({"region_id": t, "indicator_id": "firms", "month": month,
                             "value": 100.0 * f})  # fmt: skip
        rows += [{"region_id": t, "indicator_id": "firms", "month": month, "value": 100.0}
                 for month in _months(2026, 6)]  # fmt: skip
    prog = pd.DataFrame(rows).assign(source="test")
    targ = _targets([(t, "firms", y, y, 1200) for t in towns for y in (2025, 2026)])
    fitted = fit(prog, "2026-06", reg=_plan(towns), season_prior_weight=0)
    params = plan_fit(fitted, targ, "p").params
    steady = [np.hypot(params[(t, "firms")].rest_own, params[(t, "firms")].rest_common)
              for t in towns[:5]]  # fmt: skip
    volatile = np.hypot(params[("t5", "firms")].rest_own, params[("t5", "firms")].rest_common)
    assert max(steady) == pytest.approx(min(steady))
    assert volatile > 2 * max(steady) > 0


def test_the_stall_hazard_is_what_the_complete_years_show():
    # stall_hazard's EM: the posterior mode of the hazard a report, prior STALL_HAZARD worth
    # STALL_HAZARD_N reports; and the expected share of reports that began a stall, the prior
    # left out (what the season fitted on those years carries). Evidence: per region-year, the
    # log likelihood ratio of a stall from each report against none.
    from ontrack.forecast.levels import STALL_HAZARD, STALL_HAZARD_N, stall_hazard

    assert stall_hazard([]) == (STALL_HAZARD, 0.0)
    # years that cannot tell (every ratio 1): the prior is the fixed point, h = (N n h + n0 h0)
    # / (N n + n0) with h = h0, and each year's posterior is its prior, n h: seen = h
    h, seen = stall_hazard([np.zeros(11)] * 40)
    assert h == pytest.approx(STALL_HAZARD, rel=1e-4)
    assert seen == pytest.approx(STALL_HAZARD, rel=1e-3)
    # 10 region-years with a certain stall (one report at e^50), 40 certainly without: 10
    # stalls over 50 x 11 reports at risk, with the prior's 24 x 0.01; seen, 10 / 550
    sure = np.full(11, -50.0)
    sure[5] = 50.0
    h, seen = stall_hazard([sure] * 10 + [np.full(11, -50.0)] * 40)
    n0 = STALL_HAZARD_N
    assert h == pytest.approx((10 + n0 * STALL_HAZARD) / (550 + n0), rel=1e-4)
    assert seen == pytest.approx(10 / 550, rel=1e-4)


def _stall_plan(stalled: int, seed: int):
    """Ten townships' firms, Poisson 30 a month through 2024-2025 and January-March 2026;
    ``stalled`` of them fall to 3 a month from July in each complete year."""
    rng = np.random.default_rng(seed)
    towns = [f"t{j}" for j in range(10)]
    rows = []
    for j, t in enumerate(towns):
        for y in (2024, 2025):
            for m, month in enumerate(_months(y), start=1):
                rate = 3 if j < stalled and m >= 7 else 30
                rows.append({"region_id": t, "indicator_id": "firms", "month": month,
                             "value": float(rng.poisson(rate))})  # fmt: skip
        rows += _poisson_progress(rng, t, "firms", _months(2026, 3), 30)
    prog = pd.DataFrame(rows).assign(source="test")
    targ = _targets([(t, "firms", y, y, 360) for t in towns for y in (2024, 2025, 2026)])
    fitted = fit(prog, "2026-03", reg=_plan(towns), season_prior_weight=0)
    return fitted, targ


def test_a_plan_whose_townships_stall_expects_stalls_to_come():
    # Four of ten townships stalled in each of two complete years (30 a month, then 3 from
    # July: each beyond doubt). The plan's hazard a report is then (8 + 24 x 0.01) / (20 x 11
    # + 24) = 0.034, about 3.4 times the prior. In a plan whose townships never stalled it is
    # (0 + 0.24) / 244 = 0.001. The draws of the rest of 2026 carry the hazard: a stall from
    # April to December (1 - (1 - h)^9 of the draws, about 0.27) leaves a tenth of the level;
    # so the 10% quantile of a township's year falls well below its median, while without
    # stalls it stays within the count noise (9 x 30 = 270 to come, sd about 16 + the level's).
    fitted, targ = _stall_plan(4, seed=3)
    pf = plan_fit(fitted, targ, "p")
    h = pf.params[("t5", "firms")].stall_hazard
    assert 0.025 < h < 0.045
    fitted0, targ0 = _stall_plan(0, seed=3)
    pf0 = plan_fit(fitted0, targ0, "p")
    assert pf0.params[("t5", "firms")].stall_hazard < 0.002

    def spread(f, t, p):
        a = simulate_attainment(f, t, n_sims=4000, params={"p": p})
        a = a[(a["year_start"] == 2026) & (a["region_id"] == "t5")].iloc[0]
        return (a["proj_p50"] - a["proj_p10"]) / (a["proj_p50"] - a["actual_to_date"])

    assert spread(fitted, targ, pf) > 0.35
    assert spread(fitted0, targ0, pf0) < 0.2


def _stall_factor(fs, n: int) -> np.ndarray:
    """The draws (n x months) of the stalls' factor, written out: 1 / carried a month, times
    the stalled draws' share from their stall on (FutureStalls.apply)."""
    out = np.broadcast_to(1.0 / fs.carried, (n, len(fs.carried))).copy()
    fs.apply(out)
    return out


def test_stalls_to_come_add_spread_not_a_shift():
    # _future_stalls: after a last report in March 2026 (hazard 0.02), a draw has stalled by
    # month k of April..December with probability 1 - 0.98^k, and the stalled share is below 1
    # unless the exponential share of mean 0.2 is above 1 (e^-5). In 2027 the months at risk
    # start again in January. Where the season already carries stalls at the same rate (the
    # years it was fitted on), the factor's mean is one a month: spread, no shift.
    from ontrack.forecast.levels import STALL_MEAN_SHARE
    from ontrack.forecast.simulate import _future_stalls
    from ontrack.months import month_index

    last = month_index("2026-03")
    months = np.arange(last + 1, last + 13)  # April 2026 .. March 2027
    k = np.r_[np.arange(1, 10), np.arange(1, 4)]  # months at risk: Apr..Dec, then Jan..Mar
    n = 40_000
    p = SeriesParams("t", "firms", "count", last, np.ones(12), "test", stall_hazard=0.02)
    p.stall_seen = 0.02
    f = _stall_factor(_future_stalls(p, months, seed=5, n_sims=n), n)
    mean, se = f.mean(0), f.std(0) / np.sqrt(n)
    assert np.all(np.abs(mean - 1) < 4 * se)
    expect = (1 - 0.98**k) * (1 - np.exp(-5))
    top = f.max(0)  # an unstalled draw: 1 / E[factor]
    share = (f < top - 1e-12).mean(0)
    assert np.all(np.abs(share - expect) < 4 * np.sqrt(expect * (1 - expect) / n))
    # past years without a stall (seen 0): nothing to take back, the stalls to come lower the
    # mean to 1 - (1 - E[share]) (1 - 0.98^k) and the unstalled draws stay at 1
    p.stall_seen = 0.0
    f = _stall_factor(_future_stalls(p, months, seed=5, n_sims=n), n)
    mean, se = f.mean(0), f.std(0) / np.sqrt(n)
    assert np.all(np.abs(mean - (1 - (1 - STALL_MEAN_SHARE) * (1 - 0.98**k))) < 4 * se)
    assert f.max() == 1.0


def test_a_stretch_loses_what_its_stalled_months_lose():
    # The draws of a series without a walk take the stalls off each stretch's weight
    # (FutureStalls.lost); with a walk, off the walk's matrix (FutureStalls.apply). Both are
    # the same sum: for every draw and stretch, the weights of the months in it, the stalled
    # ones times their share.
    from ontrack.forecast.simulate import _future_stalls
    from ontrack.months import month_index

    last = month_index("2026-05")
    months = np.arange(last + 1, last + 20)  # June 2026 .. December 2027
    p = SeriesParams("t", "firms", "count", last, np.ones(12), "test", stall_hazard=0.05)
    p.stall_seen = 0.03
    n = 2000
    fs = _future_stalls(p, months, seed=2, n_sims=n)
    w = np.random.default_rng(0).uniform(0.5, 2.0, len(months)) / fs.carried
    full = np.broadcast_to(w, (n, len(months))).copy()
    fs.apply(full)
    cum = np.concatenate([[0.0], np.cumsum(w)])
    for prev, q in ((0, 3), (3, 7), (7, 19), (0, 19)):
        direct = full[:, prev:q].sum(1)
        assert np.allclose(direct, w[prev:q].sum() - fs.lost(cum, prev, q, n), rtol=1e-12)
    assert (full < w).any(1).mean() > 0.5  # most draws stall in one of the two years
