"""Calibration on a synthetic hierarchical world with a known truth (ontrack_evidence.world,
.oracle, .evaluate): townships and counties, against the oracle and 时间过半任务过半."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from ontrack_evidence.evaluate import (
    calibration_table,
    evaluate,
    main,
    model_forecast,
    outcomes,
    pit_coverage,
    pit_tails,
    revision_summary,
    summarize,
)
from ontrack_evidence.world import WorldParams, make_world


@pytest.fixture(scope="module")
def small_world():
    return make_world(replace(WorldParams(), n_counties=6), seed=11)


@pytest.fixture(scope="module")
def scored(small_world):
    # one plan year (2026: one complete year of history), as of March, June and September
    return evaluate(small_world, n_sims=1000, oracle_sims=1000, years=(2026,))


def test_the_world_has_what_monitoring_data_has(small_world):
    w = small_world
    p, t = w.progress, w.targets
    # 1-2月 reported together: a February row covering 2 months, and no January row then
    feb2 = p[(p["month"].str[5:] == "02") & (p["covers"] == 2)]
    assert len(feb2) > 0
    jan_rows = p[p["month"].str[5:] == "01"]

    def keys(rows):
        return set(zip(rows["region_id"], rows["indicator_id"], rows["month"].str[:4], strict=True))

    jan, merged = keys(jan_rows), keys(feb2)
    assert not merged & jan
    # missing months folded into the next report (covers 2 or more outside February)
    assert (p.loc[p["month"].str[5:] != "02", "covers"] >= 2).any()
    # December always reported; counties have targets but no rows of their own
    assert (p.loc[p["month"].str[5:] == "12", "covers"] >= 1).all()
    assert not p["region_id"].isin(w.counties).any()
    # a county's target is the sum of its townships'; a three-year target the sum of years
    c = w.counties[0]
    towns = w.towns(c)
    y26 = t[(t["year_start"] == 2026) & (t["year_end"] == 2026) & (t["indicator_id"] == "firms")]
    county = y26.loc[y26["region_id"] == c, "value"].iloc[0]
    assert county == pytest.approx(y26.loc[y26["region_id"].isin(towns), "value"].sum())
    one = t[(t["region_id"] == towns[0]) & (t["indicator_id"] == "talent")]
    yearly = one.loc[one["year_start"] == one["year_end"], "value"].sum()
    assert one.loc[one["year_start"] < one["year_end"], "value"].iloc[0] == pytest.approx(yearly)
    # the reports add up to the truth (nothing lost by merging)
    assert p["value"].sum() == pytest.approx(w.truth["value"].sum(), rel=1e-6)


def test_outcomes_are_window_totals(small_world):
    w = small_world
    out = outcomes(w)
    town = w.towns(w.counties[0])[0]
    tr = w.truth[(w.truth["region_id"] == town) & (w.truth["indicator_id"] == "space")]
    assert out[(town, "space", 2026, 2026)] == pytest.approx(
        tr.loc[tr["month"].str[:4] == "2026", "value"].sum()
    )
    assert out[(town, "space", 2025, 2027)] == pytest.approx(tr["value"].sum())


def test_calibration_table_bins_by_decile():
    # p 0.05 and 0.08 fall in 0.0-0.1 (one met: share 0.5); 0.95 in 0.9-1.0 (met); 1.0 in the
    # last bin too
    bt = pd.DataFrame({"p_meet": [0.05, 0.08, 0.95, 1.0, 0.55], "met": [1, 0, 1, 1, 0]})
    t = calibration_table(bt).set_index("p_meet")
    assert t.loc["0.0–0.1", "n"] == 2 and t.loc["0.0–0.1", "share met"] == 0.5
    assert t.loc["0.9–1.0", "n"] == 2 and t.loc["0.9–1.0", "share met"] == 1.0
    assert t.loc["0.5–0.6", "mean p_meet"] == pytest.approx(0.55)
    assert t["n"].sum() == 5


def test_pit_coverage_worked_by_hand():
    # F(y-) and F(y) of five outcomes: continuous (equal) below, inside and above [0.1, 0.9];
    # a count whose step [0, 0.2] reaches 0.1..0.2 of the interval (half of it), and one whose
    # step [0.85, 0.95] reaches 0.85..0.9 (half); a step over all of [0, 1] covers 0.8.
    below = [0.05, 0.5, 0.95, 0.0, 0.85, 0.0]
    at = [0.05, 0.5, 0.95, 0.2, 0.95, 1.0]
    assert pit_coverage(below, at) == pytest.approx([0, 1, 0, 0.5, 0.5, 0.8])
    under, over = pit_tails(below, at)
    assert under == pytest.approx([1, 0, 0, 0.5, 0, 0.1])
    assert over == pytest.approx([0, 0, 1, 0, 0.5, 0.1])


def test_pit_coverage_of_counts_is_80_percent_where_the_interval_covers_more():
    """Poisson(3) outcomes forecast by the Poisson(3) itself: its 10-90% interval is 1..5 and
    holds P(1 <= X <= 5) = F(5) - F(0) = 0.9161 - 0.0498 = 0.866 of the outcomes (by hand,
    from the Poisson table), while the PIT coverage is 0.80; n = 4,000 outcomes give a standard
    error below sqrt(0.16 / 4000) = 0.0063, so the bands are +- 0.025. A forecast too narrow
    (the truth a negative binomial of the same mean, variance 3 + 3^2/2 = 7.5) covers less."""
    from scipy import stats

    rng = np.random.default_rng(5)
    n = 4000
    y = rng.poisson(3.0, n)
    f = stats.poisson(3.0)
    inside = (y >= f.ppf(0.1)) & (y <= f.ppf(0.9))
    assert (f.ppf(0.1), f.ppf(0.9)) == (1, 5)
    assert inside.mean() == pytest.approx(0.866, abs=0.025)
    assert pit_coverage(f.cdf(y - 1), f.cdf(y)).mean() == pytest.approx(0.80, abs=0.025)
    wide = rng.negative_binomial(2, 2 / (2 + 3.0), n)  # k = 2, mean 3
    cov = pit_coverage(f.cdf(wide - 1), f.cdf(wide)).mean()
    under, over = (t.mean() for t in pit_tails(f.cdf(wide - 1), f.cdf(wide)))
    assert cov < 0.70 and under > 0.12 and over > 0.12


def test_a_series_draws_do_not_depend_on_the_targets_values(small_world):
    """What model_forecast's distribution at the outcome rests on: with the priors fixed, the
    same seed gives the same projection whatever the targets' values, so p_meet at a target of
    y is P(total >= y) from the same draws; and its cdf columns agree with the quantiles."""
    from ontrack.forecast.model import fit
    from ontrack.forecast.simulate import series_params, simulate_attainment
    from ontrack_evidence.world import open_targets

    w = small_world
    fitted = fit(w.progress, "2026-06", reg=w.reg)
    params = series_params(fitted, w.targets)
    t = open_targets(w, 2026)
    a = simulate_attainment(fitted, t, n_sims=500, seed=3, params=params)
    b = simulate_attainment(
        fitted, t.assign(value=t["value"] * 1.7 + 3), n_sims=500, seed=3, params=params
    )
    cols = ["proj_p10", "proj_p50", "proj_p90"]
    assert (a[cols].to_numpy() == b[cols].to_numpy()).all()
    assert (a["p_meet"] != b["p_meet"]).any()
    truth = outcomes(w)
    att = model_forecast(w, "2026-06", 500, 3, outcome=truth)
    y = np.array([truth[k] for k in att[["region_id", "indicator_id", "year_start", "year_end"]]
                  .itertuples(index=False, name=None)])  # fmt: skip
    assert (att["cdf_below"] <= att["cdf_at"]).all()
    # an outcome below the projection's 10% point has F(y) <= 0.1, one above its 90% point
    # F(y-) >= 0.9; and both kinds occur in this world
    low, high = y < att["proj_p10"] - 1e-9, y > att["proj_p90"] + 1e-9
    assert low.sum() > 0 and high.sum() > 0
    assert (att.loc[low, "cdf_at"] <= 0.1 + 1e-9).all()
    assert (att.loc[high, "cdf_below"] >= 0.9 - 1e-9).all()


@pytest.mark.slow  # scores a synthetic world (about 17 s): make test, not make check
def test_intervals_are_honest_at_both_levels(scored):
    # Coverage of the 10-90% interval. The bands come from the sample: 6 counties x 5
    # indicators give about 30 independent county series (3 as-of months and 2 windows of one
    # series are strongly correlated), so a county coverage of 0.80 is measured with a
    # standard error of about sqrt(0.8 x 0.2 / 30) = 0.07: 0.8 +- 2.5 SE = 0.62..0.98. The ~270
    # township series give 0.024; discrete counts (ties at p10 / p90) lift the coverage of an
    # exact forecast above 0.80 (the oracle: 0.85-0.86 in the full runs), hence 0.73..0.93.
    # The oracle, which knows the world's parameters, must pass the same bands.
    for cov in ("covered", "oracle_covered"):
        by = scored.groupby("level_kind")[cov].mean()
        assert 0.73 <= by["township"] <= 0.93, (cov, by.to_dict())
        assert 0.62 <= by["county"] <= 0.98, (cov, by.to_dict())
    # The PIT coverage is 0.80 for a right forecast of counts too (no lift from ties), so the
    # township band is 0.80 +- 2.5 SE = 0.74..0.86, the county one 0.62..0.98, for both.
    for cov in ("pit_covered", "oracle_pit_covered"):
        by = scored.groupby("level_kind")[cov].mean()
        assert 0.74 <= by["township"] <= 0.86, (cov, by.to_dict())
        assert 0.62 <= by["county"] <= 0.98, (cov, by.to_dict())


@pytest.mark.slow  # scores a synthetic world (about 17 s): make test, not make check
def test_brier_beats_the_verdict_and_nears_the_oracle(scored):
    s = summarize(scored)
    s = s[s["origin_month"].astype(str) == "all"].set_index("level_kind")
    for level in ("township", "county"):
        assert s.loc[level, "brier"] < 0.8 * s.loc[level, "brier_linear"]
        # the full runs (30 counties, docs/methods.md) give 1.04-1.09; 6 counties and one year
        # are noisier (the ratio's sampling error is a few percent), hence 1.2
        assert s.loc[level, "ratio_oracle"] < 1.2


def test_evaluate_command_prints_the_tables(tmp_path, capsys):
    detail = tmp_path / "detail.csv"
    assert main(["--counties", "2", "--sims", "300", "--no-oracle", "--detail", str(detail)]) == 0
    out = capsys.readouterr().out
    assert "coverage" in out and "calibration" in out
    d = pd.read_csv(detail)
    assert set(d["level_kind"]) == {"township", "county"}
    assert np.isin(d["origin_month"], [3, 6, 9]).all()


def test_revision_summary_compares_month_to_month_moves_with_the_oracle():
    # One township target at months 3, 4, 5 and 7: model 0.5 -> 0.9 -> 0.6, oracle 0.5 -> 0.6
    # -> 0.7; month 7 follows a gap (two months) and is not a month-to-month move. Model moves
    # 0.4 and 0.3 (mean 0.35, both over 0.25), oracle 0.1 and 0.1 (mean 0.1); RMS ratio
    # sqrt((0.16 + 0.09) / 2) / sqrt((0.01 + 0.01) / 2) = 0.3536 / 0.1 = 3.536.
    rev = pd.DataFrame(
        {
            "region_id": "t1",
            "indicator_id": "firms",
            "year_start": 2026,
            "year_end": 2026,
            "month": [3, 4, 5, 7],
            "p_meet": [0.5, 0.9, 0.6, 0.1],
            "p_oracle": [0.5, 0.6, 0.7, 0.2],
            "level_kind": "township",
        }
    )
    s = revision_summary(rev).set_index("level_kind")
    t = s.loc["township"]
    assert t["moves"] == 2
    assert t["mean_model"] == pytest.approx(0.35)
    assert t["mean_oracle"] == pytest.approx(0.1)
    assert t["over_0.25_model"] == 1.0 and t["over_0.25_oracle"] == 0.0
    assert t["rms_ratio"] == pytest.approx(3.536, abs=1e-3)
    assert s.loc["all", "moves"] == 2


def test_a_world_with_opaque_ids_differs_only_in_its_names():
    # World c's ids say nothing (R0417 may be a township of R2210): drawn from a stream of their
    # own, so the same world with plain ids has the same numbers row for row, and the hierarchy
    # is only in the registry.
    from ontrack_evidence.world import WORLD_C

    plain = make_world(replace(WORLD_C, n_counties=2, opaque_ids=False), seed=3)
    opaque = make_world(replace(WORLD_C, n_counties=2), seed=3)
    assert np.array_equal(plain.truth["value"].to_numpy(), opaque.truth["value"].to_numpy())
    assert np.array_equal(plain.progress["value"].to_numpy(), opaque.progress["value"].to_numpy())
    for c in opaque.counties:
        towns = opaque.towns(c)
        assert towns and all(t.startswith("R") and not t.startswith(c) for t in towns)
    assert plain.towns(plain.counties[0])[0].startswith(plain.counties[0])


@pytest.mark.slow
def test_a_cached_oracle_of_another_world_is_not_used(tmp_path, capsys):
    # A cache written for other parameters or another seed (here: a table whose fingerprint
    # is not this world's) is computed again, said so, and stamped with this world's key.
    from ontrack_evidence.evaluate import world_key

    cache = tmp_path / "oracle.csv"
    pd.DataFrame(
        {"region_id": ["x"], "indicator_id": ["firms"], "p_meet": [0.5], "world_key": ["stale"]}
    ).to_csv(cache, index=False)
    args = ["--counties", "1", "--sims", "200", "--oracle-cache", str(cache)]
    assert main(args) == 0
    assert "another world" in capsys.readouterr().out
    key = world_key(replace(WorldParams(), n_counties=1), 1)
    assert set(pd.read_csv(cache)["world_key"]) == {key}
    # the second run reads it (no message)
    assert main(args) == 0
    assert "another world" not in capsys.readouterr().out
