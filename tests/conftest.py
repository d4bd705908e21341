"""Shared test fixtures: the example project (this repository's data/raw) and copies of it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ontrack.plans.folder import load_registry
from ontrack.project import Project, open_project

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
EXAMPLE_RAW = ROOT / "data" / "raw"
EXAMPLE_PLANS = ("pingyang-2025-2027", "lucheng-2025-2027")


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture(scope="session")
def example_registry():
    """The registry of the bundled example plans (read from data/raw, nothing written)."""
    return load_registry(EXAMPLE_RAW, EXAMPLE_PLANS)


def copy_example_project(dest: Path) -> Project:
    """A copy of this repository's project (ontrack.toml and data/raw) at ``dest``; nothing
    derived (data/processed, reports) is copied."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ROOT / "ontrack.toml", dest / "ontrack.toml")
    shutil.copytree(EXAMPLE_RAW, dest / "data" / "raw")
    return open_project(dest)


@pytest.fixture
def example_project(tmp_path) -> Project:
    """A fresh copy of the example project (raw data only), for tests that write."""
    return copy_example_project(tmp_path / "project")


@pytest.fixture(scope="session")
def built_project(tmp_path_factory) -> Project:
    """A copy of the example project with targets and progress built (`ontrack targets`,
    `ontrack ingest`). Shared by the session: tests must not write into it."""
    from ontrack.cli import main

    project = copy_example_project(tmp_path_factory.mktemp("built") / "project")
    for command in (["targets"], ["ingest"]):
        assert main(["--project", str(project.root), *command]) == 0, command
    return project
