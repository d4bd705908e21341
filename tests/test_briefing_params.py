"""Parameters are checked before any kernel starts, with the valid choices listed."""

from __future__ import annotations

from pathlib import Path

import pytest

from ontrack.briefing.params import PARAMS, Request, parameters_cell, plan_regions
from ontrack.errors import InputError, InputErrors

ROOT = Path(__file__).resolve().parents[1]


def validate_params(raw, project=None) -> dict:
    """The checked request's parameters, as the notebook gets them."""
    return Request.check(raw, project).params()


HEADER = "plan_id,region_id,indicator_id,year_start,year_end,level,value,unit,source,quote\n"


@pytest.fixture
def project(example_project):
    """The example project with a small targets.csv of its own (pingyang-newtown is an id no
    regions.csv declares)."""
    p = example_project.targets_csv
    p.parent.mkdir(parents=True, exist_ok=True)
    rows = [
        "pingyang-2025-2027,pingyang,firms,2026,2026,baseline,200,个,s,q",
        "pingyang-2025-2027,pingyang-kunyang,firms,2026,2026,baseline,50,个,s,q",
        "pingyang-2025-2027,pingyang-newtown,firms,2026,2026,baseline,5,个,s,q",
        "lucheng-2025-2027,lucheng,firms,2025,2027,baseline,900,个,s,q",
    ]
    p.write_text("\ufeff" + HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    return example_project


def test_defaults_are_valid(project):
    # empty plan and region: the project's first plan (ontrack.toml) and that plan's region
    out = validate_params({}, project)
    expected = {name: p.default for name, p in PARAMS.items()}
    expected.update(plan="pingyang-2025-2027", region="pingyang", project=str(project.root))
    assert out == expected


def test_the_project_is_found_from_the_parameter(project, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # not inside the project
    monkeypatch.delenv("ONTRACK_PROJECT", raising=False)
    out = validate_params({"project": str(project.root), "region": "pingyang-kunyang"})
    assert out["project"] == str(project.root) and out["plan"] == "pingyang-2025-2027"
    with pytest.raises(InputError, match="parameter 'project'"):
        validate_params({"project": str(tmp_path)})  # no ontrack.toml there


def test_regions_of_a_plan_include_unknown_ids_from_the_targets(project):
    # plan region first, then the regions.csv regions present in the targets, then unknown ids
    assert plan_regions("pingyang-2025-2027", project) == [
        "pingyang",
        "pingyang-kunyang",
        "pingyang-newtown",
    ]
    assert validate_params({"region": "pingyang-newtown"}, project)["region"] == "pingyang-newtown"


def test_the_old_run_cache_parameter_is_refused(project):
    # `papermill -p cache X.pkl` once handed the notebook a pickle to load: there is no such
    # parameter any more, and an unknown parameter is an error before anything runs
    assert "cache" not in PARAMS
    with pytest.raises(InputError, match="'cache': unknown parameter"):
        validate_params({"cache": "x.pkl"}, project)


def test_unknown_parameter_lists_the_valid_ones(project):
    with pytest.raises(InputError) as e:
        validate_params({"regoin": "pingyang"}, project)
    assert "regoin" in str(e.value) and "region" in str(e.value) and "as_of" in str(e.value)


def test_region_not_in_plan_lists_choices(project):
    with pytest.raises(InputError) as e:
        validate_params({"region": "pingyang-aojiang"}, project)  # no targets in this file
    assert "pingyang-kunyang" in str(e.value)


@pytest.mark.parametrize("bad", ["2026-13", "2026-9", "26-09", "september"])
def test_malformed_month(project, bad):
    with pytest.raises(InputError, match="as_of"):
        validate_params({"as_of": bad}, project)


def test_month_outside_plan_years(project):
    with pytest.raises(InputError, match="outside the plan"):
        validate_params({"as_of": "2031-01"}, project)


def test_several_errors_at_once(project):
    with pytest.raises(InputErrors) as e:
        validate_params({"plan": "nope", "lang": "fr", "seed": -1}, project)
    assert len(e.value.errors) == 3
    assert "pingyang-2025-2027" in str(e.value)  # the valid plans are listed


def test_types_are_checked(project):
    with pytest.raises(InputError, match="n_sims"):
        validate_params({"n_sims": "1000"}, project)
    with pytest.raises(InputError, match="seed"):
        validate_params({"seed": True}, project)


def test_scenario_must_exist(project, tmp_path, monkeypatch):
    with pytest.raises(InputError, match="scenario"):
        validate_params({"scenario": str(tmp_path / "missing.yml")}, project)
    sc = tmp_path / "s.yml"
    sc.write_text("name: x\n", encoding="utf-8")
    assert validate_params({"scenario": str(sc)}, project)["scenario"] == str(sc.resolve())
    # relative to the working folder, else to the project
    monkeypatch.chdir(tmp_path)
    rel = "data/raw/scenarios/example-aojiang-slip.yml"
    assert validate_params({"scenario": rel}, project)["scenario"] == str(project.root / rel)
    with pytest.raises(InputError, match="not a YAML file"):
        validate_params({"scenario": "ontrack.toml"}, project)


def test_validation_reads_no_table(project, monkeypatch):
    """Parameters are checked against the registry alone (no table is read, nothing is built):
    what makes them quick is structural, not a wall-clock bound (speed: `make bench`)."""
    from ontrack.forecast import store as ft

    def no(*a, **k):
        raise AssertionError("a table was read to validate parameters")

    monkeypatch.setattr(ft, "load_inputs", no)
    monkeypatch.setattr(ft, "build_missing_inputs", no)
    for _ in range(3):
        with pytest.raises(InputError):
            validate_params({"region": "nowhere"}, project)


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
def test_region_names_get_a_did_you_mean(project, name):
    with pytest.raises(InputError, match="did you mean pingyang-kunyang"):
        validate_params({"region": name}, project)


def test_the_request_is_the_notebooks_parameters_in_order(project):
    """Request's fields are the parameters cell's, in order (papermill injects params())."""
    request = Request.check({"region": "pingyang-kunyang", "lang": "en"}, project)
    assert list(request.params()) == list(PARAMS)
    assert request.stem == "pingyang-kunyang.en"
    other = request.but(region="pingyang", lang="zh")
    assert other.stem == "pingyang" and request.region == "pingyang-kunyang"  # frozen
    sc = project.scenarios_dir / "slow.yml"
    sc.parent.mkdir(parents=True, exist_ok=True)
    sc.write_text("name: slow\n", encoding="utf-8")
    assert Request.check({"scenario": str(sc)}, project).stem == "pingyang.slow"
    with pytest.raises(AttributeError):
        request.plan = "x"  # type: ignore[misc]
