"""What a user installs: one list of dependencies, kept in step, and a complete sdist."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tarfile

import yaml
from conftest import ROOT

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

#: conda-forge package → the Python distribution it provides
CONDA_NAMES = {
    "matplotlib-base": "matplotlib",
    "seaborn-base": "seaborn",
    "nbconvert-core": "nbconvert",
    "pandera-pandas": "pandera",
}


def _requirements() -> dict[str, str]:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    out = {}
    for d in deps:
        m = re.match(r"^([A-Za-z0-9_.-]+)\s*(>=\s*[\d.]+)?", d)
        out[m.group(1).lower()] = (m.group(2) or "").replace(" ", "")
    return out


def test_environment_yml_lists_the_same_packages_and_minimums_as_pyproject():
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    assert env["channels"] == ["conda-forge"]
    conda: dict[str, str] = {}
    pip: list[str] = []
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            pip += dep["pip"]
            continue
        m = re.match(r"^([A-Za-z0-9_.-]+)\s*(>=\s*[\d.]+)?", dep)
        conda[CONDA_NAMES.get(m.group(1), m.group(1))] = (m.group(2) or "").replace(" ", "")
    req = _requirements()
    assert {k: conda.get(k) for k in req} == req
    # ontrack itself from the checkout, without the dev tools
    assert pip == ["-e ."]
    for tool in ("pytest", "ruff", "hypothesis", "nbstripout", "pre-commit"):
        assert tool not in conda


def test_minimum_versions_are_ones_the_suite_works_with():
    # measured: pandera < 0.24 (no pandera.pandas), nbconvert < 7.16.5, matplotlib 3.8 fail
    req = _requirements()
    assert req["pandera"] == ">=0.24"
    assert req["nbconvert"] == ">=7.16.5"
    assert req["matplotlib"] == ">=3.9"


def test_the_sdist_carries_the_tests_with_their_fixtures(tmp_path):
    files = subprocess.run(  # -z: names as they are (git quotes 督查表 otherwise)
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split("\0")
    src = tmp_path / "src"
    for f in filter(None, files):
        if not (ROOT / f).is_file():
            continue
        (src / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / f, src / f)
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from setuptools import build_meta as b; b.build_sdist(sys.argv[1])",
            str(tmp_path / "dist"),
        ],
        cwd=src,
        check=True,
        capture_output=True,
    )
    sdist = next((tmp_path / "dist").glob("ontrack-*.tar.gz"))
    with tarfile.open(sdist) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    for name in (
        "LICENSE",
        "tests/conftest.py",
        "tests/test_wheel.py",
        "tests/fixtures/progress/good/report_ytd.xlsx",
        "notebooks/04_briefing.ipynb",
        "data/raw/plans/pingyang-2025-2027/plan.yml",
        "lib/ontrack/data/indicators.csv",
        "lib/ontrack_evidence/sample.py",  # the tests' sample tables
    ):
        assert name in names, name
