"""Scenario files: round trip, error messages, semantics of pace rules and target overrides."""

from __future__ import annotations

import pandas as pd
import pytest

from ontrack.errors import InputError, InputErrors
from ontrack.forecast import attainment, load_scenario, save_scenario
from ontrack.forecast.scenario import Scenario, apply_target_overrides
from ontrack_evidence.synthetic import make_synthetic, synthetic_registry


def test_yaml_round_trip(fixtures, tmp_path):
    sc = load_scenario(fixtures / "scenarios" / "slip-and-pipeline.yml")
    assert sc.name == "slip-and-pipeline"
    assert len(sc.pace) == 3 and len(sc.pipeline) == 2 and len(sc.targets) == 1
    assert sc.pipeline[1].amount == 2.0 and sc.pipeline[1].probability == 0.7
    out = save_scenario(sc, tmp_path / "copy.yml")
    assert load_scenario(out) == sc
    assert load_scenario(sc.to_dict()) == sc


def test_example_scenario_in_data_raw_loads():
    from conftest import EXAMPLE_RAW

    sc = load_scenario(EXAMPLE_RAW / "scenarios" / "example-aojiang-slip.yml")
    assert {p.region for p in sc.pipeline} == {"pingyang-aojiang"}
    assert all(p.month.startswith("2027") for p in sc.pipeline)
    assert any(r.region == "pingyang-xiaojiang" and r.factor == 0.8 for r in sc.pace)


def test_error_names_file_field_and_expectation(fixtures):
    with pytest.raises(InputError) as e:
        load_scenario(fixtures / "scenarios" / "bad-probability.yml")
    assert str(e.value) == (
        "bad-probability.yml: pipeline[1].probability: 1.3 is above 1 (expected 0..1)"
    )


def test_all_errors_are_reported_together(fixtures):
    with pytest.raises(InputErrors) as e:
        load_scenario(fixtures / "scenarios" / "bad-several.yml")
    msgs = [str(x) for x in e.value.errors]
    assert msgs == [
        "bad-several.yml: pace[0].from: '2026-13' is not a month (expected YYYY-MM)",
        "bad-several.yml: pace[0].factor: -1 is below 0 (expected a factor ≥ 0)",
        "bad-several.yml: pipeline[0].amount: 0 is not above 0 (expected an amount > 0)",
    ]


def test_dict_errors_and_missing_file(tmp_path):
    with pytest.raises(InputError, match=r"scenario: targets\[0\]\.level: 'high' is not a level"):
        load_scenario(
            {
                "name": "x",
                "targets": [
                    {
                        "plan": "p",
                        "region": "r",
                        "indicator": "firms",
                        "year_start": 2026,
                        "year_end": 2026,
                        "level": "high",
                        "value": 3,
                    }
                ],
            }
        )
    with pytest.raises(InputError, match="file not found"):
        load_scenario(tmp_path / "nope.yml")
    with pytest.raises(InputError, match="name: is missing"):
        load_scenario({"description": "no name"})


def test_pace_rule_latest_from_wins_and_county_rule_reaches_townships():
    sc = load_scenario(
        {
            "name": "x",
            "pace": [
                {"region": "pingyang", "indicator": "*", "from": "2026-10", "factor": 0.5},
                {
                    "region": "pingyang-aojiang",
                    "indicator": "space",
                    "from": "2026-12",
                    "factor": 2,
                },
            ],
        }
    )
    # before any rule: 1; county rule applies to its township; the later rule wins from December
    assert sc.pace_factor("pingyang-aojiang", "space", "2026-09", ("pingyang",)) == 1.0
    assert sc.pace_factor("pingyang-aojiang", "space", "2026-11", ("pingyang",)) == 0.5
    assert sc.pace_factor("pingyang-aojiang", "space", "2026-12", ("pingyang",)) == 2.0
    assert sc.pace_factor("pingyang-aojiang", "firms", "2027-03", ("pingyang",)) == 0.5
    assert sc.pace_factor("lucheng", "firms", "2027-03") == 1.0


def test_target_override_replaces_or_adds():
    t = pd.DataFrame(
        [
            {
                "plan_id": "p",
                "region_id": "r",
                "indicator_id": "firms",
                "year_start": 2026,
                "year_end": 2026,
                "level": "baseline",
                "value": 10.0,
                "unit": "",
                "source": "",
                "quote": "",
            }
        ]
    )
    sc = load_scenario(
        {
            "name": "x",
            "targets": [
                {
                    "plan": "p",
                    "region": "r",
                    "indicator": "firms",
                    "year_start": 2026,
                    "year_end": 2026,
                    "level": "baseline",
                    "value": 12,
                },
                {
                    "plan": "p",
                    "region": "r",
                    "indicator": "firms",
                    "year_start": 2026,
                    "year_end": 2026,
                    "level": "stretch",
                    "value": 15,
                },
            ],
        }
    )
    out = apply_target_overrides(t, sc)
    assert list(out["value"]) == [12.0, 15.0]
    assert list(out["level"]) == ["baseline", "stretch"]


def test_scenario_output_is_named_and_overrides_move_p_meet():
    prog, targ = make_synthetic(n_counties=1, n_towns=3, years=(2025, 2026), last_month="2026-06")
    row = targ[
        (targ.region_id == "cty0")
        & (targ.indicator_id == "firms")
        & (targ.year_start == 2026)
        & (targ.year_end == 2026)
    ].iloc[0]
    sc = Scenario(name="lower-bar")
    sc = load_scenario(
        {
            **sc.to_dict(),
            "targets": [
                {
                    "plan": row.plan_id,
                    "region": "cty0",
                    "indicator": "firms",
                    "year_start": 2026,
                    "year_end": 2026,
                    "level": "baseline",
                    "value": 0,
                }
            ],
        }
    )
    a = attainment(prog, targ, "2026-06", reg=synthetic_registry(1, 3), scenario=sc, n_sims=300)
    r = a[
        (a.region_id == "cty0")
        & (a.indicator_id == "firms")
        & (a.year_start == 2026)
        & (a.year_end == 2026)
    ].iloc[0]
    assert r["target"] == 0 and r["p_meet"] == 1.0 and r["scenario"] == "lower-bar"


# --------------------------------------------------------------------------- unknown names
def test_a_scenario_naming_an_unknown_region_or_indicator_is_refused_with_a_did_you_mean(
    example_registry,
):
    from ontrack.forecast.scenario import check_scenario

    sc = load_scenario(
        {
            "name": "typos",
            "pace": [
                # a typo of pingyang-aojiang, and an indicator that does not exist
                {"region": "pingyang-aojang", "indicator": "spaces", "from": "2026-10",
                 "factor": 0.5},
                {"region": "*", "indicator": "*", "from": "2026-10", "factor": 0.9},  # fine
            ],
            # a Chinese name where the id belongs: the id is suggested
            "pipeline": [{"region": "鳌江镇", "indicator": "space", "month": "2027-03",
                          "amount": 1.5}],
            "targets": [{"plan": "pingyang-2025-2026", "region": "pingyang",
                         "indicator": "firms", "year_start": 2026, "value": 1}],
        }
    )  # fmt: skip
    with pytest.raises(InputErrors) as ei:
        check_scenario(sc, example_registry, source="typos.yml")
    msgs = [str(e) for e in ei.value.errors]
    assert len(msgs) == 4
    assert msgs[0].startswith("typos.yml: pace[0].region: 未知区域“pingyang-aojang”")
    assert "did you mean pingyang-aojiang" in msgs[0]
    assert msgs[1].startswith("typos.yml: pace[0].indicator: 未知指标“spaces”")
    assert "did you mean space" in msgs[1]
    assert msgs[2].startswith("typos.yml: pipeline[0].region: 未知区域“鳌江镇”")
    assert "the id pingyang-aojiang (names are not ids)" in msgs[2]
    assert msgs[3].startswith("typos.yml: targets[0].plan: 未知计划“pingyang-2025-2026”")
    assert "did you mean pingyang-2025-2027" in msgs[3]
    # one problem alone is one InputError; known names pass; ids of the data pass too
    one = load_scenario({"name": "x", "pipeline": [
        {"region": "R0017", "indicator": "firms", "month": "2027-01", "amount": 1}]})  # fmt: skip
    with pytest.raises(InputError, match="unknown region 'R0017': the rule would change nothing"):
        check_scenario(one, example_registry)
    check_scenario(one, example_registry, regions={"R0017"})


def test_the_forecast_refuses_a_scenario_with_an_unknown_name(tmp_path):
    from ontrack.forecast.store import compute

    prog, targ = make_synthetic(n_counties=1, n_towns=2, years=(2026, 2026), last_month="2026-06")
    path = tmp_path / "slip.yml"
    path.write_text(
        "name: slip\npace:\n"
        "  - {region: cty0-twn9, indicator: firms, from: 2026-07, factor: 0.5}\n",  # not cty0-t1
        encoding="utf-8",
    )
    with pytest.raises(InputError, match=r"slip.yml: pace\[0\].region: .*cty0-twn9"):
        compute(prog, targ, reg=synthetic_registry(1, 2), scenario=path, n_sims=100)
