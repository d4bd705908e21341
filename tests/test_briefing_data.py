"""What a briefing reads: the forecast stage's tables and the project's, never code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import copy_example_project

from ontrack.briefing.data import load_briefing_data
from ontrack.errors import InputError
from ontrack_evidence.sample import AS_OF, PLAN, SIMS, write_sample

PACKAGE = Path(__file__).resolve().parents[1] / "lib" / "ontrack"


@pytest.fixture
def sample(tmp_path):
    project = copy_example_project(tmp_path / "project")
    folder = write_sample(project)
    return project, folder


def _load(project, region="pingyang", **kw):
    args = dict(as_of=AS_OF, scenario="", n_sims=SIMS, seed=0) | kw
    return load_briefing_data(project, PLAN, region, **args)


def test_the_plan_s_tables_are_read(sample):
    project, _ = sample
    d = _load(project)
    # the sample: 4 regions × 5 indicators with a 2026 baseline target, 5 stretch ones (county)
    assert len(d.attainment) == 4 * 5 + 5 and set(d.attainment["plan_id"]) == {PLAN}
    assert len(d.trajectories) == (4 * 5 + 5) * 12  # a row per target and month of 2026
    assert len(d.targets) == 25 and d.illustrative
    assert d.forecast["parameters"]["n_sims"] == SIMS
    assert d.reg.region_name("pingyang-kunyang") == "昆阳镇"  # names from the registry
    assert "data/processed/progress.csv" in d.inputs
    # the sample's progress is the plan's own four regions: no other plan informs its season
    assert d.other_plans_progress is False


def test_a_missing_forecast_is_an_error_that_says_how_to_make_it(sample):
    project, folder = sample
    with pytest.raises(InputError) as e:
        _load(project, seed=7)  # no tables for seed 7: the briefing does not compute them
    msg = str(e.value)
    assert "not found" in msg and "ontrack render" in msg and "--seed 7" in msg
    assert not (folder.parent / f"baseline-n{SIMS}-s7").exists()


def test_tables_older_than_their_inputs_are_refused(sample):
    project, _ = sample
    with open(project.progress_csv, "a", encoding="utf-8") as f:
        f.write("pingyang,firms,2026-10,1,new report,True\n")
    with pytest.raises(InputError, match=r"changed since: data/processed/progress.csv"):
        _load(project)


def test_a_region_without_targets_in_the_plan_is_refused(sample):
    project, _ = sample
    with pytest.raises(InputError, match="no targets for 'lucheng'"):
        _load(project, region="lucheng")


def test_no_module_unpickles_or_caches_code():
    # the run cache (pickles under data/processed/cache) is gone: no module of the package
    # imports pickle, marshal or shelve
    bad = []
    for f in sorted(PACKAGE.rglob("*.py")):
        src = f.read_text(encoding="utf-8")
        if re.search(r"^\s*(import|from)\s+(pickle|marshal|shelve|dill|joblib)\b", src, re.M):
            bad.append(f.name)
    assert bad == []


def _imports(path) -> set[str]:
    """The ontrack modules a file imports (relative imports resolved), docstrings aside."""
    src = path.read_text(encoding="utf-8")
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    found = set()
    for dots, name in re.findall(r"^\s*from (\.+)([\w.]*) import", src, re.M):
        base = parts[: len(parts) - len(dots)]
        found.add(".".join([*base, *filter(None, name.split("."))]))
    found |= set(re.findall(r"^\s*(?:from|import) (ontrack[\w.]*)", src, re.M))
    return found


def test_the_page_does_not_reach_into_the_machinery():
    """The rooms: what a page says (ontrack.briefing) never imports what renders it
    (ontrack.render), so a section can be read and tested without a kernel or a browser."""
    bad = {
        f.name: sorted(m for m in _imports(f) if m.startswith("ontrack.render"))
        for f in sorted((PACKAGE / "briefing").glob("*.py"))
    }
    assert {k: v for k, v in bad.items() if v} == {}
    # and the check sees an import when there is one
    assert "ontrack.briefing.params" in _imports(PACKAGE / "render" / "single.py")


def test_render_and_render_all_do_not_import_each_other():
    single = _imports(PACKAGE / "render" / "single.py")
    assert "ontrack.render.batch" not in single
    assert not _imports(PACKAGE / "render" / "manifest.py") & {
        "ontrack.render.single",
        "ontrack.render.batch",
    }
