"""Known-answer tests of the attainment forecast (fit + simulate)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ontrack.forecast import (
    RagThresholds,
    attainment,
    fit,
    projection_draws,
    simulate_attainment,
    trajectories,
)
from ontrack.registry import Region, Registry, core_indicators
from ontrack_evidence.synthetic import make_synthetic, synthetic_registry


def _progress(region: str, indicator: str, months: list[str], values: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "region_id": region,
            "indicator_id": indicator,
            "month": months,
            "value": values,
            "source": "test",
        }
    )


def _target(region, indicator, ys, ye, value, level="baseline", plan="p", **extra) -> dict:
    return {
        "plan_id": plan,
        "region_id": region,
        "indicator_id": indicator,
        "year_start": ys,
        "year_end": ye,
        "level": level,
        "value": float(value),
        "unit": "",
        "source": "test",
        "quote": "",
        **extra,
    }


def _months(start: str, n: int) -> list[str]:
    y, m = int(start[:4]), int(start[5:])
    out = []
    for _ in range(n):
        out.append(f"{y}-{m:02d}")
        m += 1
        if m == 13:
            y, m = y + 1, 1
    return out


@pytest.fixture(scope="module")
def synth():
    return make_synthetic(n_counties=2, n_towns=4, years=(2025, 2026), last_month="2026-06", seed=3)


@pytest.fixture(scope="module")
def reg():
    """The synthetic data's regions: cty0-t0 … cty0-t3 are townships of cty0 (regions with
    parents), and so on."""
    return synthetic_registry(n_counties=2, n_towns=4)


def test_target_already_met_has_probability_one():
    # 12 firms reported Jan-Jun 2026 against a yearly target of 10: met whatever comes next.
    prog = _progress("r1", "firms", _months("2026-01", 6), [2, 2, 2, 2, 2, 2])
    targ = pd.DataFrame([_target("r1", "firms", 2026, 2026, 10)])
    a = attainment(prog, targ, "2026-06", n_sims=500)
    row = a.iloc[0]
    assert row["actual_to_date"] == 12  # 6 x 2
    assert row["p_meet"] == 1.0
    assert row["required_per_month"] == 0.0
    assert row["rag"] == "green"
    assert row["linear_pace"] == "ahead"  # 12/10 done ≥ 6/12 of the year gone


def test_series_without_variance_projects_exactly():
    # 5 firms every month from 2025-01 to 2026-06: no variance, so the dispersion is 0 and the
    # level is exactly 5 a month; with the season learned from the data only (flat here) the
    # 2026 total is 6 x 5 done + 6 x 5 to come = 60, with no spread.
    prog = _progress("r1", "firms", _months("2025-01", 18), [5.0] * 18)
    targ = pd.DataFrame([_target("r1", "firms", 2026, 2026, 60)])
    fitted = fit(prog, "2026-06", season_prior_weight=0)
    a = simulate_attainment(fitted, targ, n_sims=1000)
    row = a.iloc[0]
    assert row["actual_to_date"] == 30
    for q in ("proj_p10", "proj_p50", "proj_p90"):
        assert row[q] == pytest.approx(60, abs=1e-6)
    assert row["p_meet"] == 1.0
    assert row["required_per_month"] == pytest.approx(5.0)  # (60 - 30) / 6
    missed = simulate_attainment(fitted, targ.assign(value=60.5), n_sims=1000).iloc[0]
    assert missed["p_meet"] == 0.0


def test_certain_pipeline_project_shifts_projection_by_its_amount(synth, reg):
    prog, targ = synth
    fitted = fit(prog, "2026-06", reg=reg)
    base = simulate_attainment(fitted, targ, n_sims=2000, seed=4)
    sc = {
        "name": "plus-7",
        "pipeline": [
            {
                "region": "cty0-t1",
                "indicator": "firms",
                "month": "2026-09",
                "amount": 7,
                "probability": 1,
            },
        ],
    }
    scen = simulate_attainment(fitted, targ, scenario=sc, n_sims=2000, seed=4)
    key = ["plan_id", "region_id", "indicator_id", "year_start", "year_end", "level"]
    m = base.merge(scen, on=key, suffixes=("_b", "_s"))
    # the township, and its county whose total is the sum of its townships, move by exactly 7
    moved = m[(m["indicator_id"] == "firms") & m["region_id"].isin(["cty0-t1", "cty0"])]
    moved = moved[moved["year_end"] == 2026]
    assert len(moved) == 3  # township 2026, county 2026, county 2025-2026
    for q in ("proj_p10", "proj_p50", "proj_p90"):
        assert np.allclose(moved[f"{q}_s"] - moved[f"{q}_b"], 7.0)
    others = m.drop(moved.index)
    assert np.allclose(others["proj_p50_s"], others["proj_p50_b"])
    assert (scen["scenario"] == "plus-7").all() and (base["scenario"] == "baseline").all()


def test_pace_factor_zero_from_next_month_projects_the_actual(synth, reg):
    prog, targ = synth
    sc = {
        "name": "stop",
        "pace": [{"region": "*", "indicator": "*", "from": "2026-07", "factor": 0}],
    }
    a = attainment(prog, targ, "2026-06", reg=reg, scenario=sc, n_sims=500)
    for q in ("proj_p10", "proj_p50", "proj_p90"):
        assert np.allclose(a[q], a["actual_to_date"])


def test_deterministic_for_a_seed_and_independent_of_row_order(synth, reg):
    prog, targ = synth
    a1 = attainment(prog, targ, "2026-06", reg=reg, n_sims=800, seed=11)
    a2 = attainment(
        prog.sample(frac=1, random_state=1),
        targ.sample(frac=1, random_state=2),
        "2026-06",
        reg=reg,
        n_sims=800,
        seed=11,
    )
    pd.testing.assert_frame_equal(a1, a2)
    a3 = attainment(prog, targ, "2026-06", reg=reg, n_sims=800, seed=12)
    assert not np.allclose(a1["proj_p90"], a3["proj_p90"])


def test_county_draws_are_the_sum_of_township_draws(synth, reg):
    prog, targ = synth
    fitted = fit(prog, "2026-06", reg=reg)
    county = projection_draws(fitted, targ, "cty1", "talent", 2026, 2026, n_sims=3000)
    towns = sum(
        projection_draws(fitted, targ, f"cty1-t{j}", "talent", 2026, 2026, n_sims=3000)
        for j in range(4)
    )
    np.testing.assert_allclose(county, towns)
    # and the table is built from those same draws
    a = simulate_attainment(fitted, targ, n_sims=3000)
    row = a[(a.region_id == "cty1") & (a.indicator_id == "talent") & (a.year_start == 2026)]
    assert row["p_meet"].iloc[0] == pytest.approx(np.mean(county >= row["target"].iloc[0]))
    assert row["method"].iloc[0].startswith("sum of 4 sub-regions")


def test_without_parents_a_county_is_its_own_series(synth):
    # The same data without a registry: no region has a parent (ids like cty1-t0 say nothing),
    # so the county is forecast from its own progress rows, not as the sum of its townships.
    prog, targ = synth
    a = simulate_attainment(fit(prog, "2026-06"), targ, n_sims=500)
    row = a[(a.region_id == "cty1") & (a.indicator_id == "talent") & (a.year_start == 2026)]
    assert not row["method"].iloc[0].startswith("sum of")


def test_cumulative_window_counts_earlier_years_and_stretch_is_harder(synth, reg):
    prog, targ = synth
    c = targ[(targ.region_id == "cty0") & (targ.indicator_id == "firms")]
    cum = c[c.year_start != c.year_end].iloc[0].to_dict()
    stretch = {**cum, "level": "stretch", "value": cum["value"] * 1.2}
    t = pd.concat([targ, pd.DataFrame([stretch])], ignore_index=True)
    a = attainment(prog, t, "2026-06", reg=reg, n_sims=2000)
    rows = a[
        (a.region_id == "cty0")
        & (a.indicator_id == "firms")
        & (a.year_start == 2025)
        & (a.year_end == 2026)
    ].set_index("level")
    p = prog[(prog.region_id == "cty0") & (prog.indicator_id == "firms")]
    assert rows.loc["baseline", "actual_to_date"] == p["value"].sum()  # 2025-01 .. 2026-06
    assert rows.loc["stretch", "p_meet"] <= rows.loc["baseline", "p_meet"]
    assert rows.loc["stretch", "proj_p50"] == rows.loc["baseline", "proj_p50"]


def test_only_covered_flow_targets_are_forecast_and_extras_carried():
    prog = _progress("r1", "firms", _months("2026-01", 3), [1, 4, 2])
    prog["illustrative"] = [False, True, False]
    targ = pd.DataFrame(
        [
            _target("r1", "firms", 2026, 2026, 20, measure="flow", assumed=True),
            _target("r1", "bases", 2025, 2027, 30, measure="stock", assumed=False),
            _target("r2", "firms", 2026, 2026, 20, measure="flow", assumed=False),
        ]
    )
    a = attainment(prog, targ, "latest", n_sims=300)
    assert list(a["region_id"]) == ["r1"] and list(a["indicator_id"]) == ["firms"]
    row = a.iloc[0]
    assert row["as_of"] == "2026-03"
    assert row["assumed"] and row["illustrative"]
    assert row["months_left"] == 9
    assert row["share_time"] == pytest.approx(3 / 12)
    assert row["share_done"] == pytest.approx(7 / 20)  # 1 + 4 + 2 of 20: ahead of 25%
    assert row["linear_pace"] == "ahead"
    assert row["required_per_month"] == pytest.approx(13 / 9)
    assert row["pace_ratio"] == pytest.approx((7 / 3) / (13 / 9))


def test_rag_thresholds_are_configurable():
    prog = _progress(
        "r1", "firms", _months("2025-01", 21), [3.0, 4, 2, 5, 3, 4, 2, 3, 6] * 2 + [3, 4, 2]
    )
    targ = pd.DataFrame([_target("r1", "firms", 2026, 2026, 40)])
    a = attainment(prog, targ, "2026-09", n_sims=2000)
    p = a["p_meet"].iloc[0]
    assert 0 < p < 1
    strict = attainment(prog, targ, "2026-09", n_sims=2000, rag_thresholds=RagThresholds(1.0, 1.0))
    assert strict["rag"].iloc[0] == "red"
    lax = attainment(prog, targ, "2026-09", n_sims=2000, rag_thresholds=RagThresholds(0.0, 0.0))
    assert lax["rag"].iloc[0] == "green"


def test_merged_january_february_report_is_spread_over_both_months():
    # One region reports 1-2月 together in February (12 = two months of 6) and 6 a month after;
    # the fit must expect 12 for January + February together and 6 for each later month
    # (not 12 in February alone); how January and February split is not identified.
    prog = _progress("r1", "firms", _months("2026-02", 5), [12, 6, 6, 6, 6])
    fitted = fit(prog, "2026-06", season_prior_weight=0)
    s = fitted.series.set_index("region_id").loc["r1"]
    season = fitted.pooled["firms"].season
    assert s["n_months"] == 6  # January to June
    assert s["lam_hat"] * (season[0] + season[1]) == pytest.approx(12.0)
    assert s["lam_hat"] * season[2:6] == pytest.approx([6.0] * 4)
    # the same with an explicit covers column on the February row
    explicit = prog.assign(covers=[2, 1, 1, 1, 1])
    s2 = fit(explicit, "2026-06", season_prior_weight=0).series.set_index("region_id").loc["r1"]
    assert s2["n_months"] == 6


def test_trajectories_end_at_the_december_projection(synth, reg):
    prog, targ = synth
    fitted = fit(prog, "2026-06", reg=reg)
    tr = trajectories(fitted, targ, "cty0-plan", "cty0", "firms", 2026, n_sims=4000)
    assert list(tr["month"]) == _months("2026-01", 12)
    done = tr[tr["month"] <= "2026-06"]
    assert np.allclose(done["p10"], done["actual"]) and np.allclose(done["p90"], done["actual"])
    assert tr["actual"].iloc[6:].isna().all()
    assert (np.diff(tr["p50"]) >= 0).all()
    a = simulate_attainment(fitted, targ, n_sims=4000)
    row = a[
        (a.region_id == "cty0")
        & (a.indicator_id == "firms")
        & (a.year_start == 2026)
        & (a.year_end == 2026)
    ].iloc[0]
    # the same draws as the table: December's quantiles are the row's projection, exactly
    assert tr["p10"].iloc[-1] == row["proj_p10"]
    assert tr["p50"].iloc[-1] == row["proj_p50"]
    assert tr["p90"].iloc[-1] == row["proj_p90"]


def test_monthly_paths_end_on_the_check_point_draws(synth, reg):
    # Every month of a stretch is drawn given the stretch's total: the running total reaches the
    # December draw exactly, never decreases, and (months inside the stretch, first PATH_SIMS
    # draws) lies between the previous December's and this December's draw.
    from ontrack.forecast.simulate import PATH_SIMS, plan_fit, series_paths

    prog, targ = synth
    fitted = fit(prog, "2026-06", reg=reg)
    pf = plan_fit(fitted, targ, "cty0-plan")
    cps = np.array([2025 * 12 + 11, 2026 * 12 + 11])
    grid = np.arange(cps[0], cps[-1] + 1)
    for ind in ("firms", "space", "incubators_20", "talent"):
        p = pf.params[("cty0-t1", ind)]
        out, paths = series_paths(p, cps, fitted.as_of_idx, scenario=None, n_sims=3000, seed=5,
                                  grid=grid)  # fmt: skip
        np.testing.assert_array_equal(paths[-1], out[-1])
        inner = paths[7:-1, :PATH_SIMS]  # July .. November 2026 (June is the last report)
        assert (np.diff(paths[6:, :PATH_SIMS], axis=0) >= -1e-9).all(), ind
        assert (inner <= out[-1][None, :PATH_SIMS] + 1e-9).all(), ind
        assert np.isnan(paths[7:-1, PATH_SIMS:]).all()


def test_seasonal_profile_matches_a_poisson_glm():
    # IPF is the Poisson GLM with region and calendar-month effects: compare with statsmodels.
    import statsmodels.api as sm

    prog, _ = make_synthetic(n_counties=1, n_towns=5, years=(2025,), seed=5, indicators=("firms",))
    prog = prog[prog.region_id.str.contains("-t")]
    fitted = fit(prog, "2025-12", season_prior_weight=0)
    X = pd.get_dummies(prog[["region_id"]].assign(m=prog["month"].str[5:]), drop_first=False)
    X = X.drop(columns=["m_01"]).astype(float)
    res = sm.GLM(prog["value"].to_numpy(), X, family=sm.families.Poisson()).fit()
    month_eff = np.exp(np.r_[0.0, [res.params[f"m_{m:02d}"] for m in range(2, 13)]])
    glm_season = month_eff * 12 / month_eff.sum()
    np.testing.assert_allclose(fitted.pooled["firms"].season, glm_season, rtol=1e-5)


def _county_of_two():
    """A county c of two townships, r1 (甲镇) and r2 (乙镇)."""
    from ontrack.registry import Region, Registry, core_indicators

    return Registry(
        [Region("c", "县"), Region("r1", "甲镇", parent="c"), Region("r2", "乙镇", parent="c")],
        core_indicators(),
    )


def test_a_township_without_reports_is_not_forecast_but_its_county_counts_it():
    # r2 reports only after as_of (from 2026-07): as of June it has no data, so its own 2026
    # target is not forecast (listed, never 0 achieved); the county c, the sum of r1 and r2,
    # counts r2's whole year from the prior: the target pace times the pooled pace ratio (r1
    # runs at 4 a month against a target pace of 4: ratio ~1), so about 24 for r2's year.
    from ontrack.forecast.simulate import simulate_all

    reg = _county_of_two()
    prog = pd.concat(
        [
            _progress("r1", "firms", _months("2025-01", 18), [3.0, 5, 4, 6, 2, 4] * 3),
            _progress("r2", "firms", ["2026-07"], [9.0]),
        ]
    )
    targ = pd.DataFrame(
        [
            _target("r1", "firms", 2026, 2026, 48),
            _target("r2", "firms", 2026, 2026, 24),
            _target("c", "firms", 2026, 2026, 72),
        ]
    )
    att, _, nf = simulate_all(fit(prog, "2026-06", reg=reg), targ, n_sims=4000)
    a = att.set_index("region_id")
    assert "r2" not in a.index
    assert list(nf["region_id"]) == ["r2"] and nf["actual_known"].iloc[0] == 0
    assert nf["missing"].iloc[0] == "乙镇 2026年"
    # the county: r1's 24 reported (Jan-Jun 2026: 4 a month) + r1's and r2's rest of the year
    assert a.loc["c", "actual_to_date"] == 24
    assert a.loc["c", "unreported"] == 1 and a.loc["c", "reporters"] == 2
    # r1 about 24 more, r2 about 24 (its prior): the county's median around 72, wider than
    # r1's own interval by r2's whole year (prior shape 2: CV 0.71)
    assert 55 < a.loc["c", "proj_p50"] < 90
    w_c = a.loc["c", "proj_p90"] - a.loc["c", "proj_p10"]
    w_1 = a.loc["r1", "proj_p90"] - a.loc["r1", "proj_p10"]
    assert w_c > w_1 + 10
    # months still to come for the county: r2's whole year (12), not r1's six
    assert a.loc["c", "months_left"] == 12
    assert a.loc["r1", "months_left"] == 6


def test_a_late_township_does_not_make_its_county_look_faster():
    # r1 reports 10 a month through October 2026; r2 1 a month but has not sent October yet.
    # As of 2026-10 the county c has 10 x 10 + 9 x 1 = 109 done; October is still to come for
    # c (r2's), so months_left = 3 and required = (150 - 109) / 3 = 13.67 a month. Its pace so
    # far is r1's 10 plus r2's 1 = 11 a month (the briefing's 此前月均), not 109 / 9 = 12.11:
    # dividing the county's total by the months gone by for every township spreads r1's
    # October over one month too few.
    from ontrack.forecast.simulate import simulate_all

    reg = _county_of_two()
    prog = pd.concat(
        [
            _progress("r1", "firms", _months("2025-01", 22), [10.0] * 22),
            _progress("r2", "firms", _months("2025-01", 21), [1.0] * 21),
        ]
    )
    targ = pd.DataFrame(
        [
            _target("c", "firms", 2026, 2026, 150),
            _target("r1", "firms", 2026, 2026, 130),
            _target("r2", "firms", 2026, 2026, 20),
        ]
    )
    att, _, _ = simulate_all(fit(prog, "2026-10", reg=reg), targ, n_sims=500)
    a = att.set_index("region_id")
    assert a.loc["c", "actual_to_date"] == 109
    assert a.loc["c", "months_left"] == 3
    assert a.loc["c", "required_per_month"] == pytest.approx(41 / 3)
    assert a.loc["c", "pace_so_far"] == pytest.approx(11.0)
    assert a.loc["c", "pace_ratio"] == pytest.approx(11.0 / (41 / 3))
    assert a.loc["r1", "pace_so_far"] == pytest.approx(10.0)  # 100 over 10 months
    assert a.loc["r2", "pace_so_far"] == pytest.approx(1.0)  # 9 over the 9 it reported
    # and the briefing's sentence takes it from there
    from ontrack.briefing.narrative import target_pace

    left, need, so_far = target_pace(a.loc["c"], "2026-10")
    assert (left, so_far) == (3.0, pytest.approx(11.0)) and need == pytest.approx(41 / 3)


def test_monthly_paths_have_the_model_s_monthly_distribution(synth, reg):
    # The split of a stretch's total over its months is a conditional draw: month by month, the
    # running totals have the distribution of months simulated one by one (the `monthly`
    # stream, independent random numbers). Compare mean and spread at September 2026 (3 months
    # after the last report, inside the stretch July-December) for each indicator nature.
    from ontrack.forecast.simulate import PATH_SIMS, plan_fit, series_paths, simulate_series

    prog, targ = synth
    fitted = fit(prog, "2026-06", reg=reg)
    pf = plan_fit(fitted, targ, "cty0-plan")
    cps = np.array([2025 * 12 + 11, 2026 * 12 + 11])
    grid = np.arange(cps[0], cps[-1] + 1)
    sep = 2026 * 12 + 8
    for ind in ("firms", "space", "incubators_20"):
        p = pf.params[("cty0-t2", ind)]
        _, paths = series_paths(
            p, cps, fitted.as_of_idx, scenario=None, n_sims=PATH_SIMS, seed=1, grid=grid
        )
        split = paths[sep - grid[0]]
        months = np.arange(fitted.as_of_idx + 1, sep + 1)
        direct = simulate_series(
            p, months, fitted.as_of_idx, scenario=None, n_sims=PATH_SIMS, seed=2, monthly=True
        )[-1]
        se = np.sqrt((split.var() + direct.var()) / PATH_SIMS)
        assert abs(split.mean() - direct.mean()) < 4 * se + 1e-9, ind

        # the variances within 4 standard errors of their difference, each from its sample's
        # fourth central moment (Var(s^2) = (m4 - s^4) / n): rare counts (incubators, a few
        # in a thousand draws) have a spread known far less well than a fixed 15%
        def var_se(x):
            c = x - x.mean()
            return np.sqrt(max((c**4).mean() - c.var() ** 2, 0.0) / len(x))

        band = 4 * np.hypot(var_se(split), var_se(direct))
        assert abs(split.var() - direct.var()) < band + 1e-9, ind
        # ... which for firms still tells a spread 30% off (space's giants and the incubators'
        # few nonzero draws leave theirs at 0.6 and 0.9 of the variance: their means are the
        # check there)
        if ind == "firms":
            assert band < 0.3 * direct.var()


def test_trajectories_of_every_target_end_on_the_table_with_a_scenario(synth, reg):
    # pace factors, a pipeline project and a county summed from townships: every target's last
    # month still carries exactly its attainment row's quantiles
    from ontrack.forecast import simulate_tables
    from ontrack.schema import TARGET_KEY

    prog, targ = synth
    sc = {
        "name": "mixed",
        "pace": [{"region": "cty0", "indicator": "*", "from": "2026-09", "factor": 0.5}],
        "pipeline": [
            {"region": "cty0-t1", "indicator": "space", "month": "2026-10", "amount": 3,
             "probability": 0.6},
        ],
    }  # fmt: skip
    att, traj = simulate_tables(fit(prog, "2026-06", reg=reg), targ, scenario=sc, n_sims=1500)
    last = traj.groupby(TARGET_KEY, as_index=False).tail(1).merge(att, on=TARGET_KEY)
    assert len(last) == len(att) > 0
    for q in ("p10", "p50", "p90"):
        np.testing.assert_array_equal(last[q], last[f"proj_{q}"])
    # a window's months: 12 per year of the window
    n = (att["year_end"] - att["year_start"] + 1) * 12
    assert len(traj) == int(n.sum())


def test_the_prior_s_amplitude_is_learned_from_the_months_seen():
    # month effects exactly 1 + theta (PRIOR_SEASON - 1) for January-September, up to a
    # constant (a partial year's level is free), with thousands of pseudo-counts: the
    # amplitude comes back (grid step 0.025; the prior N(1, 0.5) weighs next to nothing)
    from ontrack.forecast.model import PRIOR_SEASON, Pooled, _prior_amplitude

    def pooled(theta, months=9, scale=3.0):
        num = np.zeros(12)
        den = np.zeros(12)
        den[:months] = 1000.0
        num[:months] = scale * 1000.0 * (1 + theta * (PRIOR_SEASON[:months] - 1))
        return {"firms": Pooled("firms", "count", PRIOR_SEASON.copy(), 1.0, 0.25, 8, True,
                                {}, 1.0, num, den, np.zeros(12))}  # fmt: skip

    for theta in (0.0, 0.5, 1.0, 1.5):
        assert _prior_amplitude(pooled(theta)) == pytest.approx(theta, abs=0.03)
    # two months seen say nothing of a shape (one contrast, and the level is free): the prior's
    assert _prior_amplitude(pooled(0.0, months=2)) == 1.0


def test_a_first_year_without_a_lull_is_not_given_a_year_end_rush():
    # Eight townships report exactly 10 firms a month January-September 2025 (as of September
    # 2025: no complete year). January and February are no lower than the other months, so the
    # prior's shape (a lull and a December of 1.8) is scaled to next to none: December comes
    # out near 1 (the flat months) instead of 1.8, and the rest of the year is about 3 x 10.
    towns = [f"t{j}" for j in range(8)]
    rows = [{"region_id": t, "indicator_id": "firms", "month": f"2025-{m:02d}", "value": 10.0}
            for t in towns for m in range(1, 10)]  # fmt: skip
    prog = pd.DataFrame(rows).assign(covers=1, source="test")
    reg = Registry([Region(t, t) for t in towns], core_indicators())
    f = fit(prog, "2025-09", reg=reg)
    season = f.pooled["firms"].season
    assert season[11] < 1.15
    assert season[9:].sum() / season.sum() == pytest.approx(0.25, abs=0.02)
