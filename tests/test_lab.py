"""The scenario lab's logic (ontrack.lab: state, engine, Lab), the headless notebook, the hand-over.

The unit tests use a small hand-made plan (平阳县 and two townships, two indicators) so that the
expected effects can be worked out by hand; the lab works on a copy of the example project, whose
regions.csv makes the townships 平阳县's (the county is the sum of its townships). The end-to-end
test runs the lab notebook with papermill and hands the saved scenario to the briefing. The
views and widgets: test_lab_views.py, test_lab_widgets.py; in a real browser: test_lab_browser.py.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import copy_example_project

from ontrack.errors import InputError, InputErrors
from ontrack.fileio import write_csv

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "05_scenario_lab.ipynb"
PLAN = "pingyang-2025-2027"
AOJIANG, XIAOJIANG = "pingyang-aojiang", "pingyang-xiaojiang"
AS_OF = "2026-09"
N = 2_000  # draws: enough for the tests, fast
KEY_COLS = ["plan_id", "region_id", "indicator_id", "year_start", "year_end", "level"]


def _targets() -> pd.DataFrame:
    """Yearly targets 2025–2027 for the county and two townships (values are illustrative)."""
    rows = []
    values = {
        # region: {indicator: (2025, 2026, 2027)}
        "pingyang": {"space": (6, 8, 10), "firms": (60, 60, 60)},
        AOJIANG: {"space": (3, 4, 5), "firms": (30, 30, 30)},
        XIAOJIANG: {"space": (3, 4, 5), "firms": (30, 30, 30)},
    }
    for region, by_ind in values.items():
        for ind, vals in by_ind.items():
            for year, v in zip((2025, 2026, 2027), vals, strict=True):
                rows.append(
                    {
                        "plan_id": PLAN,
                        "region_id": region,
                        "indicator_id": ind,
                        "year_start": year,
                        "year_end": year,
                        "level": "baseline",
                        "value": float(v),
                        "unit": "万平方米" if ind == "space" else "个",
                        "source": "test",
                        "quote": "test",
                    }
                )
    return pd.DataFrame(rows)


def _progress() -> pd.DataFrame:
    """Monthly progress 2025-01 … 2026-09 for the two townships (the county is their sum).

    firms: 2 a month in 鳌江, 3 a month in 萧江; space: one 1.5 万㎡ building every 4th month.
    So up to 2026-09: 鳌江 firms 2026 = 9 × 2 = 18; space 2026 = months 4, 8 → 2 × 1.5 = 3.0.
    """
    rows = []
    for y, last in ((2025, 12), (2026, 9)):
        for m in range(1, last + 1):
            month = f"{y}-{m:02d}"
            for region, firms in ((AOJIANG, 2.0), (XIAOJIANG, 3.0)):
                rows.append((region, "firms", month, firms))
                rows.append((region, "space", month, 1.5 if m % 4 == 0 else 0.0))
    df = pd.DataFrame(rows, columns=["region_id", "indicator_id", "month", "value"])
    df["source"] = "test"
    return df


@pytest.fixture(scope="module")
def lab_project(tmp_path_factory):
    """A copy of the example project (raw data only): the lab's registry and scenarios folder."""
    return copy_example_project(tmp_path_factory.mktemp("lab") / "project")


@pytest.fixture(scope="module")
def base_lab(lab_project):
    from ontrack.lab import Lab

    return Lab(
        PLAN,
        "pingyang",
        AS_OF,
        n_sims=N,
        seed=0,
        project=lab_project,
        targets=_targets(),
        progress=_progress(),
    )


@pytest.fixture
def lab(base_lab):
    """A fresh (empty) scenario on the shared fit: each test starts from the baseline."""
    base_lab.reset()
    base_lab.name, base_lab.description = "scenario", ""
    return base_lab


def _row(results: pd.DataFrame, region: str, indicator: str, year: int) -> pd.Series:
    r = results[
        (results["region_id"] == region)
        & (results["indicator_id"] == indicator)
        & (results["year_start"] == year)
        & (results["year_end"] == year)
        & (results["level"] == "baseline")
    ]
    assert len(r) == 1, r
    return r.iloc[0]


# ----------------------------------------------------------------------------- logic


def test_lab_covers_the_region_and_its_townships(lab):
    # the townships are 平阳县's by the plan folder's regions.csv (parent_id pingyang)
    assert lab.regions == ["pingyang", AOJIANG, XIAOJIANG]
    assert lab.as_of == AS_OF
    # the month after as_of, to the plan's last December
    assert lab.months()[0] == "2026-10" and lab.months()[-1] == "2027-12"
    assert len(lab.months()) == 15  # 2026-10..12 (3) + 2027 (12)
    # an empty scenario is the baseline
    r = lab.results()
    assert (r["p_meet_change"] == 0).all() and (r["proj_p50_change"] == 0).all()


def test_actual_to_date_is_read_off_the_progress(lab):
    r = lab.results()
    # 鳌江 firms 2026: 9 months × 2 = 18; space 2026: April and August, 1.5 each = 3.0
    assert _row(r, AOJIANG, "firms", 2026)["actual_to_date"] == pytest.approx(18.0)
    assert _row(r, AOJIANG, "space", 2026)["actual_to_date"] == pytest.approx(3.0)


def test_a_certain_project_shifts_the_median_by_exactly_its_amount(lab):
    before = lab.results()
    lab.add_project(AOJIANG, "space", "2026-11", 2.5, 1.0, "鳌江 B 栋")
    after = lab.results()
    # probability 1: every draw of 鳌江's 2026 total gets +2.5, so every quantile moves by 2.5
    row = _row(after, AOJIANG, "space", 2026)
    assert row["proj_p50_scenario"] - row["proj_p50_baseline"] == pytest.approx(2.5, abs=1e-9)
    assert row["proj_p50_change"] == pytest.approx(2.5, abs=1e-9)
    assert row["p_meet_scenario"] >= row["p_meet_baseline"]
    # the baseline columns did not move (the baseline is reused, not re-simulated)
    pd.testing.assert_frame_equal(
        before[["p_meet_baseline", "proj_p50_baseline"]],
        after[["p_meet_baseline", "proj_p50_baseline"]],
    )
    # other years and the other township are untouched by a November 2026 project in 鳌江
    assert _row(after, AOJIANG, "space", 2027)["proj_p50_change"] == pytest.approx(0, abs=1e-9)
    assert _row(after, XIAOJIANG, "space", 2026)["proj_p50_change"] == pytest.approx(0, abs=1e-9)


def test_pace_zero_leaves_only_what_is_already_achieved(lab):
    lab.set_pace(XIAOJIANG, "firms", "2026-10", 0.0)
    row = _row(lab.results(), XIAOJIANG, "firms", 2026)
    # nothing more from October: the 2026 total stays at 9 months × 3 = 27 < 30 → cannot meet
    assert row["proj_p50_scenario"] == pytest.approx(27.0)
    assert row["p_meet_scenario"] == pytest.approx(0.0)


def test_a_series_can_pause_and_resume(lab):
    """Two rules for one series (as in a scenario file): stalled for the rest of 2026, usual
    pace again from January 2027; a load keeps both, in order."""
    rules = [
        {"region": XIAOJIANG, "indicator": "firms", "from": "2026-10", "factor": 0.0},
        {"region": XIAOJIANG, "indicator": "firms", "from": "2027-01", "factor": 1.0},
    ]
    lab.load({"name": "pause", "pace": rules})
    assert lab.pace == rules
    r = lab.results()
    # 2026: nothing after September → 9 × 3 = 27 < 30
    assert _row(r, XIAOJIANG, "firms", 2026)["proj_p50_scenario"] == pytest.approx(27.0)
    # 2027: the usual pace again, so about the baseline's median (3 a month → ~36)
    row27 = _row(r, XIAOJIANG, "firms", 2027)
    assert row27["proj_p50_scenario"] == pytest.approx(row27["proj_p50_baseline"], rel=0.05)
    # moving the first rule's slider replaces it in place; removing it leaves the factor-1
    # rule alone, which then overlaps nothing and is dropped
    lab.set_pace(XIAOJIANG, "firms", "2026-10", 0.5)
    assert [p["factor"] for p in lab.pace] == [0.5, 1.0]
    assert lab.remove_pace(XIAOJIANG, "firms", "2026-10") == 1
    assert lab.pace == []


def test_required_pace_answers_how_much_faster(lab):
    """萧江 firms 2026: 27 done by September, target 30, usual pace 3 a month. Oct–Dec at factor
    f brings 9f on average, so f = 1/3 meets the target about half the time; for 80% it takes
    more than 1/3, and less than 1 (the usual pace already gives ~100%)."""
    r = lab.required_pace(XIAOJIANG, "firms", 2026, p=0.8)
    assert r["from"] == "2026-10" and r["target"] == 30
    assert 1 / 3 < r["factor"] < 1
    assert r["p_meet_at_factor"] >= 0.8
    assert lab.is_empty()  # it only answers; the scenario is unchanged
    # applying that factor gives exactly the probability the solver saw
    lab.set_pace(XIAOJIANG, "firms", r["from"], r["factor"])
    row = _row(lab.results(), XIAOJIANG, "firms", 2026)
    assert row["p_meet_scenario"] == pytest.approx(r["p_meet_at_factor"], abs=1e-12)
    # out of reach: 1,000 would need (1000 - 27) / 9 ≈ 108 times the pace
    lab.override_target(XIAOJIANG, "firms", 2026, 2026, "baseline", 1000, confirm=True)
    r = lab.required_pace(XIAOJIANG, "firms", 2026, p=0.8)
    assert r["factor"] is None and r["p_meet_at_factor"] == 0


def test_slipping_a_project_into_next_year_moves_it_between_years(lab):
    i = lab.add_project(AOJIANG, "space", "2026-12", 2.0, 1.0, "鳌江 A 栋")
    lab.edit_project(i, month="2027-02")  # "what if it slips to next year?"
    r = lab.results()
    assert _row(r, AOJIANG, "space", 2026)["proj_p50_change"] == pytest.approx(0, abs=1e-9)
    assert _row(r, AOJIANG, "space", 2027)["proj_p50_change"] == pytest.approx(2.0, abs=1e-9)
    lab.remove_project(i)
    assert lab.pipeline == []
    assert (lab.results()["proj_p50_change"] == 0).all()


def test_target_override_changes_the_target_and_the_probability(lab):
    lab.override_target(XIAOJIANG, "firms", 2026, 2026, "baseline", 0.0)
    row = _row(lab.results(), XIAOJIANG, "firms", 2026)
    # a target of 0 is met by any total ≥ 0
    assert row["target_baseline"] == 30 and row["target_scenario"] == 0
    assert row["p_meet_scenario"] == pytest.approx(1.0)
    lab.override_target(XIAOJIANG, "firms", 2026, 2026, "baseline", None)  # restore
    assert lab.overrides == []


def test_each_change_re_simulates_the_scenario_only(lab, monkeypatch):
    import ontrack.forecast as fc

    def no_fit(*a, **k):
        raise AssertionError("the lab must not fit again")

    monkeypatch.setattr(fc, "fit", no_fit)
    fitted, baseline = lab.fitted, lab.baseline
    n = len(lab.timings)
    lab.set_pace("*", "firms", None, 1.2)
    lab.add_project(AOJIANG, "firms", "2027-01", 5, 0.5, "x")
    assert lab.fitted is fitted and lab.baseline is baseline
    new = lab.timings[n:]
    assert ["scenario re-simulated" in t["recomputed"] for t in new] == [True, True]
    assert all(t["seconds"] < 5 for t in new)


def test_partial_re_simulation_equals_the_forecast_of_the_whole_scenario(lab):
    """The lab re-simulates only the series a change reaches; the rest keep their baseline
    draws. The result must be exactly what the forecast (fit once, simulate every target) gives
    for the whole scenario on the same inputs, regions, draws and seed."""
    from ontrack.forecast import fit, simulate_attainment

    lab.set_pace(XIAOJIANG, "firms", "2026-12", 1.4)
    lab.add_project(AOJIANG, "space", "2027-05", 1.2, 0.6, "A")
    # 萧江 firms + 鳌江 space + the county's totals of both: 4 series × 3 years = 12 of 18 rows
    assert "scenario re-simulated, 12 of 18 targets" in lab.timings[-1]["recomputed"]
    fitted = fit(_progress(), AS_OF, reg=lab.reg)
    full = simulate_attainment(fitted, _targets(), scenario=lab.scenario, n_sims=N, seed=0)
    cols = ["p_meet", "proj_p10", "proj_p50", "proj_p90", "target"]
    mine = lab.scenario_table.set_index(KEY_COLS)[cols].sort_index()
    theirs = full.set_index(KEY_COLS)[cols].sort_index()
    pd.testing.assert_frame_equal(mine, theirs, check_exact=True)


# ----------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("call", "where", "words"),
    [
        (lambda lab: lab.add_project(AOJIANG, "space", "2027-01", -3, 1.0), "amount", "-3"),
        (lambda lab: lab.add_project(AOJIANG, "space", "2028-02", 1, 1.0), "month", "2025–2027"),
        (lambda lab: lab.add_project(AOJIANG, "space", "2024-12", 1, 1.0), "month", "2025–2027"),
        (lambda lab: lab.add_project(AOJIANG, "space", "2026-05", 1, 1.0), "month", "as_of"),
        (lambda lab: lab.add_project(AOJIANG, "space", "2026-13", 1, 1.0), "month", "YYYY-MM"),
        (lambda lab: lab.add_project(AOJIANG, "space", "2027-01", 1, 1.2), "probability", "0..1"),
        (lambda lab: lab.add_project(AOJIANG, "space", "2027-01", 1, -0.1), "probability", "0..1"),
        (lambda lab: lab.add_project("lucheng", "space", "2027-01", 1, 1), "region", "lucheng"),
        (lambda lab: lab.add_project(AOJIANG, "jobs", "2027-01", 1, 1), "indicator", "jobs"),
        (lambda lab: lab.set_pace(AOJIANG, "firms", "2027-01", -0.5), "factor", "-0.5"),
        (lambda lab: lab.set_pace(AOJIANG, "firms", "2029-01", 1.5), "from-month", "2025–2027"),
        (lambda lab: lab.override_target(AOJIANG, "firms", 2026, value=-1), "value", "-1"),
        (lambda lab: lab.override_target(AOJIANG, "firms", 2030, value=1), "target", "2030"),
        (lambda lab: lab.edit_project(7, amount=1), "project", "7"),
    ],
)
def test_every_setter_names_the_bad_input(lab, call, where, words):
    before = lab.scenario
    with pytest.raises(InputError) as exc:
        call(lab)
    assert where in exc.value.where
    assert words in str(exc.value)
    assert lab.scenario == before  # nothing half-applied


def test_apply_reports_every_bad_entry_and_applies_nothing(lab):
    with pytest.raises(InputErrors) as exc:
        lab.apply(
            pace=[{"region": XIAOJIANG, "indicator": "firms", "from": "2026-10", "factor": 1.5}],
            pipeline=[
                {"region": AOJIANG, "indicator": "space", "month": "2027-03", "amount": -1},
                {
                    "region": AOJIANG,
                    "indicator": "space",
                    "month": "2027-03",
                    "amount": 1,
                    "probability": 2,
                },
            ],
        )
    text = str(exc.value)
    assert "pipeline[0] 项目数量 project amount" in text
    assert "pipeline[1] 项目概率 project probability" in text
    assert lab.is_empty()


def test_names_are_accepted_as_written(lab):
    lab.add_project("鳌江", "新增孵化空间面积", "2027-03", 1.0, 0.5, "")
    (p,) = lab.pipeline
    assert (p["region"], p["indicator"]) == (AOJIANG, "space")


def test_field_checks_are_the_forecast_scenario_readers(lab):
    """The lab does not keep its own copy of the scenario checks: an entry the scenario reader
    (ontrack forecast --scenario) refuses is refused by the lab with the reader's own words."""
    from ontrack.forecast.scenario import load_scenario
    from ontrack.lab import LabInputError

    entry = {"region": AOJIANG, "indicator": "space", "month": "2027-01", "amount": 1}
    with pytest.raises(InputError) as reader:
        load_scenario({"name": "x", "pipeline": [{**entry, "probability": 1.2}]})
    with pytest.raises(LabInputError) as mine:
        lab.add_project(**entry, probability=1.2)
    assert reader.value.problem in mine.value.en  # "1.2 is above 1"
    assert mine.value.where == "项目概率 project probability"
    assert "须在0到1之间" in mine.value.zh  # and said in Chinese first


def test_closed_years_are_refused(lab):
    """As of 2026-09 the plan's 2025 is over (its December is in the data): its targets can no
    longer be changed; 2026, 2027 and a 2025–2027 total still can."""
    keys = lab.target_keys()
    closed = keys[keys["closed"]]
    # 3 regions × 2 indicators have a 2025 target; nothing else is closed
    assert len(closed) == 6 and set(closed["year_end"]) == {2025}
    with pytest.raises(InputError) as exc:
        lab.override_target(AOJIANG, "firms", 2025, 2025, "baseline", 10)
    assert "已结束" in exc.value.zh and "is over" in exc.value.en
    assert lab.is_empty()
    lab.override_target(AOJIANG, "firms", 2026, 2026, "baseline", 10)  # an open year: fine
    assert [o["year_start"] for o in lab.overrides] == [2026]
    # projects and pace rules in months already in the data were refused before (see above)


def test_an_amount_far_beyond_the_yearly_target_asks_again(lab):
    """鳌江's 2027 space target is 5 万㎡. A project of 25000 (㎡ typed into the 万㎡ field) is
    25000 / 5 = 5,000 times that: the lab asks again and adds nothing; confirmed, it is kept. Up to
    3 × 5 = 15 is not questioned; 15.5 is."""
    from ontrack.lab import NeedsConfirmation

    with pytest.raises(NeedsConfirmation) as exc:
        lab.add_project(AOJIANG, "space", "2027-03", 25000, 1.0, "B")
    assert "5,000倍" in exc.value.zh
    assert "应为2.5万平方米" in exc.value.zh  # 25000 ㎡ = 2.5 万㎡
    assert lab.pipeline == []
    lab.add_project(AOJIANG, "space", "2027-03", 15, 1.0, "at the limit")
    with pytest.raises(NeedsConfirmation):
        lab.add_project(AOJIANG, "space", "2027-03", 15.5, 1.0, "over it")
    assert len(lab.pipeline) == 1
    lab.add_project(AOJIANG, "space", "2027-03", 25000, 1.0, "B", confirm=True)
    assert [p["amount"] for p in lab.pipeline] == [15, 25000]
    # editing a project into an implausible amount asks too
    with pytest.raises(NeedsConfirmation):
        lab.edit_project(0, amount=100)
    assert lab.pipeline[0]["amount"] == 15
    # notebook parameters: an entry may carry confirm: true
    lab.reset()
    with pytest.raises(InputError):
        lab.apply(pipeline=[{"region": AOJIANG, "indicator": "space", "month": "2027-03",
                             "amount": 500}])  # fmt: skip
    lab.apply(pipeline=[{"region": AOJIANG, "indicator": "space", "month": "2027-03",
                         "amount": 500, "confirm": True}])  # fmt: skip
    assert [p["amount"] for p in lab.pipeline] == [500]


def test_a_target_far_above_the_plan_asks_again(lab):
    """萧江 firms 2026: the plan says 30; 90 (3 × 30) is taken as typed, 91 asks again."""
    from ontrack.lab import NeedsConfirmation

    lab.override_target(XIAOJIANG, "firms", 2026, 2026, "baseline", 90)
    with pytest.raises(NeedsConfirmation) as exc:
        lab.override_target(XIAOJIANG, "firms", 2026, 2026, "baseline", 91)
    assert "原目标" in exc.value.zh and "30个" in exc.value.zh
    assert [o["value"] for o in lab.overrides] == [90]
    lab.override_target(XIAOJIANG, "firms", 2026, 2026, "baseline", 91, confirm=True)
    assert [o["value"] for o in lab.overrides] == [91]


def test_required_pace_for_a_target_already_likely_met(lab):
    """萧江 firms 2026: 27 done by September, target 30, 3 a month as usual, so Oct–Dec bring
    ~9 and the target is all but certain. Asked for 80%, the answer is not "go faster" but how
    far the pace may fall: a factor below 1 (above 1/3, which gives ~50%, see above)."""
    from ontrack.lab.views import solver_message

    r = lab.required_pace(XIAOJIANG, "firms", 2026, p=0.8)
    assert r["p_meet_now"] >= 0.8 and 1 / 3 < r["factor"] < 1
    kind, zh, en = solver_message(r, lab)
    assert kind == "ok" and "无需加快" in zh and "需为原来的" not in zh
    assert "no speed-up needed" in en
    # a target out of reach says so
    r = lab.required_pace(AOJIANG, "firms", 2026, p=0.95)  # 18 done, 30 wanted: 12 in 3 months
    kind, zh, _ = solver_message(r, lab)
    assert (r["factor"] is None and "即使" in zh) or (r["factor"] > 1 and "需为原来的" in zh)
    # a closed year has nothing left to solve
    with pytest.raises(InputError):
        lab.required_pace(XIAOJIANG, "firms", 2025, p=0.8)


def test_changes_on_top_of_an_override_re_simulate_only_their_series(lab):
    """With a target override, a later pace change re-simulates only the series it reaches (the
    rest keep the numbers of the override alone), and the result is still exactly the forecast
    of the whole scenario."""
    from ontrack.forecast import fit, simulate_attainment

    lab.override_target(XIAOJIANG, "firms", 2026, 2026, "baseline", 33)
    # an override moves the pooled prior of every series: all 18 targets
    assert "18 of 18" in lab.timings[-1]["recomputed"]
    lab.set_pace(AOJIANG, "space", "2026-11", 1.5)
    # 鳌江 space + the county's space: 2 series × 3 years = 6 targets
    assert "6 of 18" in lab.timings[-1]["recomputed"]
    fitted = fit(_progress(), AS_OF, reg=lab.reg)
    full = simulate_attainment(fitted, _targets(), scenario=lab.scenario, n_sims=N, seed=0)
    cols = ["p_meet", "proj_p10", "proj_p50", "proj_p90", "target"]
    mine = lab.scenario_table.set_index(KEY_COLS)[cols].sort_index()
    theirs = full.set_index(KEY_COLS)[cols].sort_index()
    pd.testing.assert_frame_equal(mine, theirs, check_exact=True)


def test_results_mark_changed_and_closed_rows(lab):
    lab.set_pace(XIAOJIANG, "firms", "2026-10", 0.0)
    r = lab.results()
    # 萧江 firms 2026 and 2027 (and the 2025–2027 rows if there were any) and the county's
    # firms 2026, 2027 move; 2025 is over and no pace from October 2026 reaches it
    moved = r[r["changed"]][["region_id", "indicator_id", "year_start"]]
    assert sorted(map(tuple, moved.to_numpy())) == [
        ("pingyang", "firms", 2026),
        ("pingyang", "firms", 2027),
        (XIAOJIANG, "firms", 2026),
        (XIAOJIANG, "firms", 2027),
    ]
    assert set(r.loc[r["closed"], "year_start"]) == {2025}
    assert len(lab.changed()) == 4


# ----------------------------------------------------------------------------- saving


def test_save_then_load_gives_the_same_scenario(lab, lab_project):
    from ontrack.forecast.scenario import load_scenario

    lab.set_name("鳌江推迟", "鳌江 two buildings slip to 2027; 萧江 +20%")
    lab.set_pace(XIAOJIANG, "*", "2026-10", 1.2)
    lab.add_project(AOJIANG, "space", "2027-03", 1.5, 0.9, "鳌江 A 栋")
    lab.override_target("pingyang", "space", 2026, 2026, "baseline", 7.0)
    # no path: the project's scenarios folder, named after the scenario
    path = lab.save()
    assert path == lab_project.scenarios_dir / "鳌江推迟.yml" and path.is_file()
    loaded = load_scenario(path)
    assert loaded == lab.scenario
    assert loaded.name == "鳌江推迟"
    assert loaded.pipeline[0].amount == 1.5 and loaded.pipeline[0].probability == 0.9
    # and a second lab loading it reproduces the same state
    lab2_state = (lab.pace, lab.pipeline, lab.overrides)
    lab.reset()
    lab.load("data/raw/scenarios/鳌江推迟.yml")  # relative to the project folder
    assert (lab.pace, lab.pipeline, lab.overrides) == lab2_state


def test_relative_paths_are_saved_in_the_project(lab, lab_project):
    lab.set_name("a / b: c?")
    assert lab.default_path() == lab_project.scenarios_dir / "a-b-c.yml"  # a safe file name
    path = lab.save("data/raw/scenarios/sub/rel.yml")
    assert path == lab_project.root / "data" / "raw" / "scenarios" / "sub" / "rel.yml"
    assert path.is_file()


def test_a_file_already_there_is_replaced_only_when_asked(lab, lab_project):
    """data/raw holds inputs: the example scenario is not overwritten by a save that happens to
    name it; asked to (overwrite=True), the lab replaces it. Its own file it saves again freely."""
    from ontrack.lab import NeedsConfirmation

    example = lab_project.scenarios_dir / "example-aojiang-slip.yml"
    before = example.read_bytes()
    lab.set_pace(XIAOJIANG, "firms", "2026-10", 1.2)
    with pytest.raises(NeedsConfirmation) as exc:
        lab.save("data/raw/scenarios/example-aojiang-slip.yml")
    assert "已存在" in exc.value.zh and example.read_bytes() == before
    lab.set_name("mine")
    path = lab.save()
    lab.set_pace(XIAOJIANG, "firms", "2026-10", 1.3)
    assert lab.save() == path  # its own file: no question
    lab.save(example, overwrite=True)
    assert example.read_bytes() != before
    example.write_bytes(before)


@pytest.mark.parametrize("where", ["absolute", "dotdot", "symlink"])
def test_a_path_outside_the_project_is_refused(lab, lab_project, tmp_path, where):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    if where == "absolute":
        path = outside / "s.yml"
    elif where == "dotdot":
        path = Path("..") / ".." / "s.yml"
    else:  # a link inside the project that leads out of it
        (lab_project.root / "out-link").symlink_to(outside)
        path = Path("out-link") / "s.yml"
    try:
        with pytest.raises(InputError) as exc:
            lab.save(path)
    finally:
        if where == "symlink":
            (lab_project.root / "out-link").unlink()
    assert exc.value.where == "文件 scenario path" and "outside the project" in exc.value.problem
    assert "项目文件夹之外" in exc.value.zh
    assert list(outside.iterdir()) == [] and not (lab_project.root.parent / "s.yml").exists()


def test_saved_scenario_runs_in_ontrack_forecast(lab, lab_project, tmp_path):
    """The YAML the lab saves is read by `ontrack forecast --scenario`, giving the lab's numbers
    (an ad-hoc run: the regions table gives the townships' parent, as the plan folder does)."""
    targets_csv, progress_csv = tmp_path / "targets.csv", tmp_path / "progress.csv"
    write_csv(_targets(), targets_csv)
    write_csv(_progress(), progress_csv)
    regions_csv = tmp_path / "regions.csv"
    regions_csv.write_text(
        f"region_id,parent_id\npingyang,\n{AOJIANG},pingyang\n{XIAOJIANG},pingyang\n",
        encoding="utf-8",
    )
    lab.set_name("萧江加速", "萧江 firms × 1.5 from October; 鳌江 B 栋 in November")
    lab.set_pace(XIAOJIANG, "firms", "2026-10", 1.5)
    lab.add_project(AOJIANG, "space", "2026-11", 2.5, 1.0, "鳌江 B 栋")
    scenario = lab.save()
    out = tmp_path / "forecast"  # the folder of the forecast tables
    cmd = [sys.executable, "-m", "ontrack", "forecast", "--as-of", AS_OF, "--sims", str(N)]
    cmd += ["--targets", str(targets_csv), "--progress", str(progress_csv)]
    cmd += ["--regions", str(regions_csv)]
    done = subprocess.run(
        [*cmd, "--scenario", str(scenario), "--out", str(out)], capture_output=True, text=True,
        cwd=tmp_path,  # an ad hoc run outside any project (this checkout is one)
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    from ontrack.fileio import read_csv

    att = read_csv(out / "attainment.csv")
    assert set(att["scenario"]) == {"萧江加速"}
    r = lab.results()
    merged = r.merge(att, on=KEY_COLS)
    assert len(merged) == len(r) == 18  # 3 regions × 2 indicators × 3 years
    # the CLI's numbers are the lab's scenario column (same inputs, draws and seed)
    assert (merged["p_meet"] - merged["p_meet_scenario"]).abs().max() < 1e-12
    assert (merged["proj_p50"] - merged["proj_p50_scenario"]).abs().max() < 1e-9
    # and the certain project shows: 鳌江 space 2026 median is 2.5 above the baseline's
    row = merged[
        (merged["region_id"] == AOJIANG)
        & (merged["indicator_id"] == "space")
        & (merged["year_start"] == 2026)
    ].iloc[0]
    assert row["proj_p50"] - row["proj_p50_baseline"] == pytest.approx(2.5, abs=1e-9)


def test_trajectory_figure_shows_both_fans(lab):
    from ontrack.lab import trajectory_figure

    lab.add_project(AOJIANG, "space", "2026-11", 2.5, 1.0, "B")
    fig = trajectory_figure(lab, "space", 2026, AOJIANG)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert any("基线" in t for t in labels) and any("情景" in t for t in labels)
    assert any("目标" in t for t in labels)


def test_bench_lab_reports_the_steps_a_researcher_waits_for(monkeypatch, lab_project):
    import ontrack_evidence.bench_lab as bench

    real = bench.Lab

    def small_lab(plan, region, as_of, n_sims, project):
        return real(
            plan,
            region,
            AS_OF,
            n_sims=n_sims,
            project=project,
            targets=_targets(),
            progress=_progress(),
        )

    monkeypatch.setattr(bench, "Lab", small_lab)
    rows = bench.bench_lab(PLAN, "pingyang", AS_OF, n_sims=N, project=lab_project)
    names = [r[0] for r in rows]
    assert names[0] == "lab: open (load + fit + baseline)"
    # each change: the recomputation + table, then the chart
    assert "lab: target override: recompute + table" in names
    assert "lab: township pace, with an override: chart" in names
    assert all(isinstance(s, float) and s >= 0 and isinstance(note, str) for _, s, note in rows)


def test_the_lab_listens_on_this_machine_only_and_runs_as_root(example_project):
    """`ontrack lab` (what `make lab` runs; JupyterLab refuses root without --allow-root: given
    only to root) and `ontrack lab --app` (Voilà) listen on 127.0.0.1."""
    from ontrack.launch import OFFLINE_MATHJAX, command, ensure_notebooks, environment

    for euid, flags in ((0, ["--allow-root", "--no-browser"]), (1000, [])):
        lab = command(example_project, euid=euid)
        assert lab[1:4] == ["lab", "--ip=127.0.0.1", "--port=8888"] and "0.0.0.0" not in lab
        assert lab[4 : 4 + len(flags)] == flags
        assert lab[-1] == str(example_project.notebooks_dir)
        # its Voilà preview offline: the suite's template, no MathJax address (a CDN by default)
        assert lab[-3:-1] == ["--VoilaConfiguration.template=ontrack", OFFLINE_MATHJAX]
    app = command(example_project, app=True, port=9000, euid=0)
    assert app[1:3] == ["--Voila.ip=127.0.0.1", "--port=9000"]
    assert app[-1].endswith("05_scenario_lab_app.ipynb") and "--allow-root" not in app
    assert "--template=ontrack" in app
    # the template is found where environment() points JUPYTER_PATH, and fetches nothing
    data = Path(environment(example_project, {})["JUPYTER_PATH"])
    template = (data / "voila/templates/ontrack/index.html.j2").read_text(encoding="utf-8")
    assert "voila/templates/lab" in template and "http" not in template
    # a project made by `ontrack init` has no notebooks: the exploration ones are copied, not 04
    copied = {p.name for p in ensure_notebooks(example_project)}
    assert "05_scenario_lab.ipynb" in copied and "04_briefing.ipynb" not in copied
    assert ensure_notebooks(example_project) == []  # never over a file already there


def test_make_lab_runs_ontrack_lab():
    out = subprocess.run(
        ["make", "-n", "lab", "lab-app"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert "ontrack lab --port 8888" in out and "ontrack lab --app --port 8866" in out


# ----------------------------------------------------------------------------- end to end


def _run_notebook(tmp_path: Path, project: Path, **params) -> Path:
    import papermill as pm

    out = tmp_path / "05_scenario_lab.out.ipynb"
    pm.execute_notebook(
        str(NOTEBOOK),
        str(out),
        parameters={"project": str(project), **params},
        kernel_name="python3",
        cwd=str(tmp_path),
        progress_bar=False,
    )
    assert (project / params["scenario_out"]).exists()  # relative: from the project folder
    return out


def test_notebook_runs_headless_and_saves_the_scenario(tmp_path, lab_project):
    from ontrack.forecast.scenario import load_scenario

    targets_csv, progress_csv = tmp_path / "targets.csv", tmp_path / "progress.csv"
    write_csv(_targets(), targets_csv)
    write_csv(_progress(), progress_csv)
    out = lab_project.scenarios_dir / "headless.yml"
    pipeline = [
        {
            "region": AOJIANG,
            "indicator": "space",
            "month": "2026-11",
            "amount": 2.5,
            "probability": 1.0,
            "label": "鳌江 B 栋",
        }
    ]
    executed = _run_notebook(
        tmp_path,
        lab_project.root,
        plan=PLAN,
        region="pingyang",
        as_of=AS_OF,
        n_sims=N,
        scenario_name="鳌江提前",
        how_fast={"region": AOJIANG, "indicator": "firms", "year": 2027, "p": 0.8},
        pace=[{"region": XIAOJIANG, "indicator": "firms", "from": "2026-10", "factor": 1.5}],
        pipeline=pipeline,
        scenario_out="data/raw/scenarios/headless.yml",
        use_widgets=False,
        targets_csv=str(targets_csv),
        progress_csv=str(progress_csv),
    )
    sc = load_scenario(out)
    assert sc.name == "鳌江提前"
    assert [p.to_dict() for p in sc.pipeline] == pipeline
    assert [p.to_dict() for p in sc.pace] == [
        {"region": XIAOJIANG, "indicator": "firms", "from": "2026-10", "factor": 1.5}
    ]
    # every cell ran without an error; results, the chart and the "how fast" answer are shown
    import nbformat

    nb = nbformat.read(executed, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    shown = " ".join(str(o.get("data", {})) for o in outputs)
    # the lab as a page (use_widgets=False): the probability table in the briefing's words and
    # the chart; the "how fast" answer; the command that renders the briefing with the scenario
    assert "完成概率" in shown and "data:image/png;base64" in shown
    assert "p_meet_at_factor" in shown
    assert "render --plan pingyang-2025-2027 --region pingyang --as-of 2026-09" in shown
    assert "--scenario data/raw/scenarios/headless.yml --sims 2000" in shown


@pytest.fixture(scope="module")
def built_copy(tmp_path_factory):
    """A copy of the example project with its targets and progress built by the CLI stages."""
    project = copy_example_project(tmp_path_factory.mktemp("lab-e2e") / "project")
    for step in (["targets"], ["ingest"]):
        done = subprocess.run(
            [sys.executable, "-m", "ontrack", "--project", str(project.root), *step],
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
    return project


@pytest.mark.render
@pytest.mark.slow
def test_lab_scenario_reaches_the_briefing(built_copy, tmp_path):
    """Lab notebook (headless) → scenario YAML in the project → `ontrack render --scenario` →
    the briefing shows the lab's numbers for that scenario."""
    from ontrack.briefing.narrative import fmt_num
    from ontrack.forecast.scenario import load_scenario
    from ontrack.lab import Lab

    project = built_copy
    name = "鳌江B栋提前完工"
    amount = 2.5
    n = 2_000
    pipeline = [
        {
            "region": AOJIANG,
            "indicator": "space",
            "month": "2026-11",
            "amount": amount,
            "probability": 1.0,
            "label": "鳌江 B 栋",
        }
    ]
    _run_notebook(
        tmp_path,
        project.root,
        plan=PLAN,
        region="pingyang",
        n_sims=n,
        scenario_name=name,
        scenario_description="鳌江 B 栋 2026 年 11 月完工 (certain)",
        pipeline=pipeline,
        scenario_out="data/raw/scenarios/aojiang-b.yml",
        use_widgets=False,
    )
    scenario = project.scenarios_dir / "aojiang-b.yml"
    assert load_scenario(scenario).name == name
    done = subprocess.run(
        [
            *(sys.executable, "-m", "ontrack", "--project", str(project.root), "render"),
            *("--plan", PLAN, "--region", AOJIANG, "--scenario", str(scenario)),
            *("--format", "html", "--sims", str(n)),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr

    # the lab on the same project (its processed tables), same draws and seed, given the
    # saved scenario: a certain 2.5 万㎡ building in November 2026 lifts 鳌江's median 2026
    # total by exactly 2.5
    lab = Lab(PLAN, "pingyang", "latest", n_sims=n, seed=0, project=project)
    lab.load(scenario)
    row = _row(lab.results(), AOJIANG, "space", 2026)
    assert row["proj_p50_scenario"] - row["proj_p50_baseline"] == pytest.approx(amount, abs=1e-9)
    assert row["p_meet_scenario"] >= row["p_meet_baseline"]

    # the briefing shows the scenario and the lab's projection for it
    # (where the HTML went: the path `ontrack render` prints on its "html" line)
    printed = [
        ln.split(None, 1)[1] for ln in done.stdout.splitlines() if ln.strip().startswith("html")
    ]
    assert len(printed) == 1, done.stdout
    html_path = Path(printed[0].strip())
    html_path = html_path if html_path.is_absolute() else project.root / html_path
    assert project.contains(html_path)
    html = html_path.read_text(encoding="utf-8")
    # the scenario by its name; its file name is an audit detail (the executed notebook)
    assert name in html and scenario.name not in html
    assert scenario.name in html_path.with_suffix(".ipynb").read_text(encoding="utf-8")
    assert fmt_num(row["proj_p50_scenario"]) in html


def test_a_new_project_opens_in_the_lab_its_tables_built_from_data_raw(example_project):
    # `ontrack init x --example`: raw data only; the lab builds targets and progress as render does
    from ontrack.lab import Lab

    assert not example_project.progress_csv.exists()
    lab = Lab(project=example_project)
    assert example_project.progress_csv.is_file() and example_project.targets_csv.is_file()
    assert lab.region == "pingyang"
