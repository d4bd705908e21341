"""The real-series benchmark (ontrack_evidence.realdata, .baselines, .realbench): R's data sets
read as the documents give them, the baselines' arithmetic, and the protocol's targets,
outcomes and scores, on series whose answer is worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ontrack_evidence import realbench, realdata
from ontrack_evidence.baselines import ets, seasonal_naive


def test_the_real_series_are_read_as_r_documents_them():
    t = realdata.load()
    assert t["plan_id"].nunique() == len(realdata.PLANS) == 27
    air = t[t["plan_id"] == "air-passengers"].set_index("month")["value"]
    # ?AirPassengers: 112 in January 1949, 432 in December 1960, 144 months
    assert (air["1949-01"], air["1960-12"], len(air)) == (112, 432, 144)
    lung = t[(t["plan_id"] == "uk-lung-deaths") & (t["month"] == "1974-01")]
    # ?UKLungDeaths: mdeaths 2134 and fdeaths 901 in January 1974 (ldeaths 3035, their sum)
    assert dict(zip(lung["region_id"], lung["value"], strict=True)) == {
        "mdeaths": 2134,
        "fdeaths": 901,
    }
    assert set(lung["parent_id"]) == {"uk-lung-deaths"}
    # a daily source keeps whole months only: Chicago's data run 2001-01-22 to 2016-08-28
    chi = t[t["plan_id"] == "chicago-l-1"]["month"]
    assert (chi.min(), chi.max()) == ("2001-02", "2016-07")
    # 46 Texas cities, five plans, each city once; a month the source leaves empty is absent
    tx = t[t["plan_id"].str.startswith("texas-homes")]
    assert tx.groupby("region_id")["plan_id"].nunique().max() == 1
    assert tx["region_id"].nunique() == 46
    assert t["value"].notna().all()
    # every third plan is held out of tuning
    assert {p.id for k, p in enumerate(realdata.PLANS) if k % 3 == 2} == realdata.HELD_OUT


def test_seasonal_naive_repeats_last_year_with_its_own_past_errors():
    # Three years, each 10% above the one before, the same shape: the rest of the year is last
    # year's same months (Apr-Dec of year 3 = 1.1 x year 2's) and the rule's past error on
    # every window of 9 months is log(1.1) exactly, so its spread is 0.
    shape = np.array([5, 6, 8, 9, 10, 12, 12, 11, 9, 8, 6, 4], float)
    y = np.concatenate([shape, shape * 1.1, shape * 1.21])
    f = seasonal_naive(y[:27], months_left=9)
    assert f.done == pytest.approx(shape[:3].sum() * 1.21)
    assert np.exp(f.log_mean) == pytest.approx(shape[3:].sum() * 1.1)
    assert f.log_sd == pytest.approx(0.0, abs=1e-12)
    total = f.done + shape[3:].sum() * 1.1
    assert f.p_meet(total - 0.01) == 1.0 and f.p_meet(total + 0.01) == 0.0


def test_ets_projects_a_clean_seasonal_series():
    # A clean multiplicative season around a steady level: the median of the year's total is
    # the truth (within 2%), the 10-90% interval narrow and around it.
    rng = np.random.default_rng(2)
    shape = 1 + 0.3 * np.sin(2 * np.pi * np.arange(12) / 12)
    y = np.tile(shape, 4) * 100 * np.exp(0.01 * rng.standard_normal(48))
    f = ets(y[:42], months_left=6, n_sims=2000, seed=0)
    lo, mid, hi = f.quantiles()
    assert mid == pytest.approx(y[36:48].sum(), rel=0.02)
    assert lo < y[36:48].sum() < hi and (hi - lo) / mid < 0.05
    assert f.method.startswith("ets(")


def _plan_data() -> pd.DataFrame:
    # one plan of two regions and their total, 2019-2023, constant 10 and 20 a month
    rows = []
    for r, v in (("a", 10.0), ("b", 20.0)):
        for y in range(2019, 2024):
            rows += [("p", r, "p", "amount", f"{y}-{m:02d}", v, "test") for m in range(1, 13)]
    columns = ["plan_id", "region_id", "parent_id", "indicator_id", "month", "value", "source"]
    return pd.DataFrame(rows, columns=columns)


def test_the_protocol_sets_targets_from_last_year_and_scores_the_outcome():
    bt = realbench.run(_plan_data(), n_sims=400, jobs=1)
    # years with three complete years before them: 2022 and 2023; three as-of months, four
    # growths, three series (a, b and the total p)
    assert sorted(bt["year"].unique()) == [2022, 2023]
    assert len(bt) == 2 * 3 * 4 * 3
    one = bt[(bt["region_id"] == "a") & (bt["year"] == 2023) & (bt["origin_month"] == 6)]
    # the target is last year's total (120) x (1 + growth); the outcome this year's (120)
    assert sorted(one["target"].round(6)) == [114.0, 120.0, 126.0, 132.0]
    assert set(one["outcome"]) == {120.0}
    assert set(one["done"]) == {60.0}
    tot = bt[(bt["region_id"] == "p") & (bt["growth"] == 0.0)]
    assert set(tot["outcome"]) == {360.0} and set(tot["level_kind"]) == {"total"}
    # met when the outcome reaches the target: growths -5% and 0 met, +5% and +10% not
    assert one.set_index("growth")["met"].to_dict() == {-0.05: 1, 0.0: 1, 0.05: 0, 0.1: 0}
    # a constant series: the seasonal naive rest is last year's months exactly
    assert one["p50_snaive"].round(6).eq(120.0).all()
    s = realbench.summarize(bt)
    assert {"brier_model", "brier_ets", "brier_snaive", "cover_model"} <= set(s.columns)
    assert set(s["origin_month"].astype(str)) == {"3", "6", "9", "all"}


def test_cached_baselines_are_used_only_for_the_same_protocol_and_code(tmp_path, monkeypatch):
    # The baselines' rows are cached with a fingerprint of the protocol, the draws and the
    # code they come from: the same run reads them (ETS is not fitted again), a run with
    # another seed computes and stores its own.
    cache = tmp_path / "base.csv"
    first = realbench.run(plans=["us-accidental-deaths"], n_sims=200, baselines=cache)
    stored = pd.read_csv(cache)
    assert set(stored["key"]) == {realbench.baseline_key(0)}

    def refuse(*a, **k):
        raise AssertionError("the baselines were computed again")

    monkeypatch.setattr(realbench, "baseline_rows", refuse)
    again = realbench.run(plans=["us-accidental-deaths"], n_sims=200, baselines=cache, jobs=1)
    assert again["p_ets"].tolist() == first["p_ets"].tolist()
    monkeypatch.undo()
    realbench.run(plans=["us-accidental-deaths"], n_sims=200, seed=1, baselines=cache, jobs=1)
    assert set(pd.read_csv(cache)["key"]) == {realbench.baseline_key(1)}


def test_sampling_error_resamples_whole_plans():
    # Plan A: 100 forecasts, all covered, the model 0.1 closer (in squared error) than ETS on
    # each; plan B: one forecast, not covered, the model 0.5 worse. Resampling two plans from
    # {A, B}: AA (p 1/4) gives coverage 1, AB (1/2) 100/101, BB (1/4) 0, so the 5% point is 0
    # and the 95% point 1 (resampling rows would never give 0). The point estimates are the
    # pooled means: coverage 100/101, Brier difference (100 x -0.1 + 0.5) / 101.
    met = np.ones(101, int)
    bt = pd.DataFrame(
        {
            "part": "held-out", "origin_month": 9, "plan_id": ["A"] * 100 + ["B"],
            "met": met,
            "p_model": [1 - np.sqrt(0.01)] * 100 + [1 - np.sqrt(0.5)],
            "p_ets": [1 - np.sqrt(0.11)] * 100 + [1.0],
            "p_snaive": 0.0,
            "covered_model": [True] * 100 + [False],
        }
    )  # fmt: skip
    row = realbench.sampling_error(bt, n_boot=4000).iloc[0]
    assert row["best"] == "ets" and row["plans"] == 2
    assert row["cover_model"] == pytest.approx(100 / 101)
    assert row["brier_minus_best"] == pytest.approx((100 * -0.1 + 0.5) / 101)
    assert row["cover_low"] == 0.0 and row["cover_high"] == 1.0
    assert row["low"] == pytest.approx(-0.1) and row["high"] == pytest.approx(0.5)
