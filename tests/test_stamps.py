"""Staleness from content (ontrack.stamps): a table is rebuilt exactly when something it is made
from changed (issue 19: edited targets were ignored by an installed project's render-all), a
failed rebuild records nothing so the next run tries again, and `make data` asks the same
function."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from ontrack.build import ensure_table, ensure_tables
from ontrack.cli import main
from ontrack.fileio import read_csv
from ontrack.stamps import code_stamp, staleness, stamp_path

ROOT = Path(__file__).resolve().parents[1]


def _build(project, *args) -> int:
    return main(["--project", str(project.root), "build", *args])


@pytest.fixture
def project(example_project):
    assert _build(example_project) == 0
    return example_project


def test_a_fresh_project_builds_both_tables_then_nothing(project, capsys):
    capsys.readouterr()
    assert staleness(project, "targets") is None and staleness(project, "progress") is None
    assert ensure_tables(project) == []
    assert _build(project, "--check") == 0
    assert "every table is up to date" in capsys.readouterr().out


def test_an_edited_plan_sheet_rebuilds_the_targets_and_the_progress(project, capsys):
    # the city plan's targets sheet: 2026 space 400 -> 420 万平方米
    sheet = project.plans_dir / "wenzhou-2025-2027" / "targets.csv"
    text = sheet.read_text(encoding="utf-8-sig")
    assert ",space,2026,2026,baseline,400," in text
    old, new = ",space,2026,2026,baseline,400,", ",space,2026,2026,baseline,420,"
    sheet.write_text(text.replace(old, new), encoding="utf-8")
    assert "wenzhou-2025-2027/targets.csv" in staleness(project, "targets")
    assert _build(project, "--check") == 1
    capsys.readouterr()
    assert _build(project) == 0
    out = capsys.readouterr().out
    assert "rebuilt targets" in out and "rebuilt progress" in out  # progress checks read targets
    t = read_csv(project.targets_csv, dtype=str)
    row = t[(t.plan_id == "wenzhou-2025-2027") & (t.indicator_id == "space")
            & (t.year_start == "2026") & (t.year_end == "2026")]  # fmt: skip
    assert row["value"].astype(float).tolist() == [420.0]


def test_a_deleted_plan_folder_rebuilds_the_targets_without_it(project):
    shutil.rmtree(project.plans_dir / "lucheng-2025-2027")
    assert staleness(project, "targets").startswith("changed since: data/raw/plans/lucheng")
    assert ensure_table(project, "targets")
    t = read_csv(project.targets_csv, dtype=str)
    assert "lucheng-2025-2027" not in set(t.plan_id)


def test_a_report_added_by_hand_makes_progress_stale_not_targets(project, tmp_path):
    (project.progress_dir / "late.csv").write_text(
        "region,indicator,month,value\n昆阳镇,firms,2026-10,3\n", encoding="utf-8"
    )
    assert staleness(project, "targets") is None
    assert "data/raw/progress/late.csv" in staleness(project, "progress")
    assert [t for t, _ in ensure_tables(project)] == ["progress"]


def test_a_failed_rebuild_records_nothing_and_is_tried_again(project, capsys):
    bad = project.progress_dir / "bad.csv"
    bad.write_text("region,indicator,month,value\n昆阳镇,firms,2026-10,12.5%\n", encoding="utf-8")
    before = stamp_path(project, "progress").read_bytes()
    assert _build(project) == 2
    assert stamp_path(project, "progress").read_bytes() == before
    assert "bad.csv" in staleness(project, "progress")  # still stale: the next run tries again
    bad.unlink()
    assert _build(project) == 0  # the record is as it was: up to date again...
    assert staleness(project, "progress") is None


def test_other_code_or_library_versions_make_tables_stale(project):
    stamp = stamp_path(project, "progress")
    data = json.loads(stamp.read_text(encoding="utf-8"))
    assert data["code"] == code_stamp()
    data["code"]["libraries"]["pandas"] = "0.0.1"
    stamp.write_text(json.dumps(data), encoding="utf-8")
    assert "another version of ontrack or of its libraries" in staleness(project, "progress")


def test_a_hand_edited_table_is_stale(project):
    with project.progress_csv.open("a", encoding="utf-8") as f:
        f.write("pingyang-kunyang,firms,2026-11,9,hand,False,1,0\n")
    assert staleness(project, "progress") == "data/processed/progress.csv changed since it was made"


def test_a_build_option_is_kept_by_the_next_rebuild(project):
    # ingest with 1-2月 split evenly; a later automatic rebuild keeps the split
    assert main(["--project", str(project.root), "ingest", "--split-jan-feb", "even"]) == 0
    (project.progress_dir / "late.csv").write_text(
        "region,indicator,month,value\n昆阳镇,firms,2026-10,3\n", encoding="utf-8"
    )
    ensure_tables(project)
    p = read_csv(project.progress_csv, dtype=str)
    assert (p["source"].str.contains("split evenly")).any()


def test_make_data_asks_the_same_function(project):
    """`make data` runs `ontrack build` (no rule of its own from file times)."""
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    rule = text[text.index("\ndata:") :].split("\n\n")[0]
    assert "$(BIN)/ontrack build" in rule
    # and make -n data prints exactly that command
    work = project.root
    shutil.copy(ROOT / "Makefile", work / "Makefile")
    (work / "pyproject.toml").write_text("", encoding="utf-8")
    (work / "constraints.txt").write_text("", encoding="utf-8")
    (work / ".venv").mkdir()
    (work / ".venv" / ".installed").write_text("", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    out = subprocess.run(
        ["make", "--no-print-directory", "-n", "data"], cwd=work, capture_output=True, text=True,
        env=env,  # run by `make test` too: not a sub-make of it
    )  # fmt: skip
    assert out.stdout.strip() == ".venv/bin/ontrack build"
