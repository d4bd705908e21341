"""Parameters are checked before any kernel starts, with the valid choices listed."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ontrack.briefing.params import PARAMS, parameters_cell, plan_regions, validate_params
from ontrack.errors import InputError, InputErrors

ROOT = Path(__file__).resolve().parents[1]

HEADER = "plan_id,region_id,indicator_id,year_start,year_end,level,value,unit,source,quote\n"


@pytest.fixture
def targets_csv(tmp_path):
    p = tmp_path / "targets.csv"
    rows = [
        "pingyang-2025-2027,pingyang,firms,2026,2026,baseline,200,个,s,q",
        "pingyang-2025-2027,pingyang-kunyang,firms,2026,2026,baseline,50,个,s,q",
        "pingyang-2025-2027,pingyang-newtown,firms,2026,2026,baseline,5,个,s,q",
        "lucheng-2025-2027,lucheng,firms,2025,2027,baseline,900,个,s,q",
    ]
    p.write_text("\ufeff" + HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    return p


def test_defaults_are_valid(targets_csv):
    out = validate_params({}, targets_csv)
    assert out == {name: p.default for name, p in PARAMS.items()}


def test_regions_of_a_plan_include_unknown_ids_from_the_targets(targets_csv):
    # plan region first, then registry children present in the targets, then unknown ids
    assert plan_regions("pingyang-2025-2027", targets_csv) == [
        "pingyang",
        "pingyang-kunyang",
        "pingyang-newtown",
    ]
    assert (
        validate_params({"region": "pingyang-newtown"}, targets_csv)["region"] == "pingyang-newtown"
    )


def test_unknown_parameter_lists_the_valid_ones(targets_csv):
    with pytest.raises(InputError) as e:
        validate_params({"regoin": "pingyang"}, targets_csv)
    assert "regoin" in str(e.value) and "region" in str(e.value) and "as_of" in str(e.value)


def test_region_not_in_plan_lists_choices(targets_csv):
    with pytest.raises(InputError) as e:
        validate_params({"region": "pingyang-aojiang"}, targets_csv)  # no targets in this file
    assert "pingyang-kunyang" in str(e.value)


@pytest.mark.parametrize("bad", ["2026-13", "2026-9", "26-09", "september"])
def test_malformed_month(targets_csv, bad):
    with pytest.raises(InputError, match="as_of"):
        validate_params({"as_of": bad}, targets_csv)


def test_month_outside_plan_years(targets_csv):
    with pytest.raises(InputError, match="outside the plan"):
        validate_params({"as_of": "2031-01"}, targets_csv)


def test_several_errors_at_once(targets_csv):
    with pytest.raises(InputErrors) as e:
        validate_params({"plan": "nope", "lang": "fr", "seed": -1}, targets_csv)
    assert len(e.value.errors) == 3
    assert "pingyang-2025-2027" in str(e.value)  # the valid plans are listed


def test_types_are_checked(targets_csv):
    with pytest.raises(InputError, match="n_sims"):
        validate_params({"n_sims": "1000"}, targets_csv)
    with pytest.raises(InputError, match="seed"):
        validate_params({"seed": True}, targets_csv)


def test_scenario_must_exist(targets_csv, tmp_path):
    with pytest.raises(InputError, match="scenario"):
        validate_params({"scenario": str(tmp_path / "missing.yml")}, targets_csv)
    sc = tmp_path / "s.yml"
    sc.write_text("name: x\n", encoding="utf-8")
    assert validate_params({"scenario": str(sc)}, targets_csv)["scenario"] == str(sc.resolve())


def test_validation_is_fast(targets_csv):
    t0 = time.perf_counter()
    for _ in range(50):
        with pytest.raises(InputError):
            validate_params({"region": "nowhere"}, targets_csv)
    assert time.perf_counter() - t0 < 1.0


def test_notebook_parameters_cell_matches_and_is_documented():
    import nbformat
    import papermill as pm

    nb = nbformat.read(ROOT / "notebooks" / "04_briefing.ipynb", as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    assert cell.source.strip() == parameters_cell().strip()
    inferred = pm.inspect_notebook(str(ROOT / "notebooks" / "04_briefing.ipynb"))
    assert list(inferred) == list(PARAMS)
    for name, p in PARAMS.items():
        assert inferred[name]["help"] == p.help  # `papermill --help-notebook` shows these


@pytest.mark.parametrize("name", ["kunyang", "昆阳", "昆阳镇"])
def test_region_names_get_a_did_you_mean(targets_csv, name):
    with pytest.raises(InputError, match="did you mean pingyang-kunyang"):
        validate_params({"region": name}, targets_csv)
