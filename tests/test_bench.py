"""`python -m ontrack_evidence.bench` works on a project (no module-level paths)."""

from __future__ import annotations

import pytest

from ontrack_evidence import bench


def test_synthetic_registry_makes_townships_children_of_their_county():
    reg = bench.synthetic_registry(["cty0", "cty0-t0", "cty0-t1", "cty12", "cty12-t3", "x-t1"])
    # x-t1 has no county x among the regions: no parent
    assert reg.parents() == {"cty0-t0": "cty0", "cty0-t1": "cty0", "cty12-t3": "cty12"}


def test_default_plans_row_uses_a_synthetic_stand_in_when_the_project_is_not_built(
    example_project,
):
    rows = bench._default_plans_rows(200, example_project)
    assert rows[0][0].startswith("forecast default plans")
    assert "synthetic stand-in" in rows[0][2]
    assert not example_project.processed.exists()  # the bench writes nothing


def test_default_plans_row_reads_the_projects_tables(built_project):
    rows = bench._default_plans_rows(200, built_project)
    what = rows[0][2]
    assert "data/processed" in what and "synthetic" not in what


def test_outside_a_project_it_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("ONTRACK_PROJECT", raising=False)
    monkeypatch.chdir(tmp_path)
    assert bench.main(["--no-scale"]) == 2
    assert "ontrack init" in capsys.readouterr().err


def test_the_briefing_benchs_scratch_copy_is_up_to_date(built_project, tmp_path):
    # The render the bench times checks the processed tables against the progress record
    # first: a copy without the record (or the stamps) is stale and its rebuild reads no
    # reports at all (the bench's render then failed with "no progress values read").
    from ontrack.stamps import staleness
    from ontrack_evidence.bench_render import scratch_copy

    copy = scratch_copy(built_project, tmp_path / "copy")
    assert staleness(copy, "targets") is None
    assert staleness(copy, "progress") is None


@pytest.mark.slow  # makes the forecast of both plans
def test_the_briefing_bench_lists_every_briefing_of_the_render_plans(built_project, tmp_path):
    # the regions both routes render: 平阳县 and its 9 townships of regions.csv with targets,
    # and 鹿城区 (the example's ontrack.toml renders both plans): 11 briefings as of the last
    # month with data, 2026-10 (make bench printed "11 briefings" before it broke on the typed
    # request, which this test would have caught)
    from ontrack_evidence.bench_render import bench_regions, scratch_copy

    regions = bench_regions(scratch_copy(built_project, tmp_path / "copy"))
    assert len(regions) == 11
    assert regions[0] == ("pingyang-2025-2027", "pingyang", "2026-10")
    assert ("lucheng-2025-2027", "lucheng", "2026-10") in regions
