"""What every derived table was made from, and whether it still is: staleness from content.

A table in data/processed is current when it was made from the same bytes of every input file,
by the same ontrack (every file of the installed package) and the same versions of the
libraries its numbers depend on. Each stage records that as a stamp beside its table
(``data/processed/.<table>.stamp.json``: input path → sha256, the code's fingerprint); nothing
is decided from modification times or from a hand-kept list of files, so an edited targets
sheet, a deleted plan folder, a new report, a new ontrack or a new pandas each make exactly the
tables that depend on them stale, in an installed project as in the checkout. ``make data``,
``ontrack build``, ``ontrack render`` and ``render-all`` ask the same function
(:func:`ontrack.build.ensure_tables`), as owid/etl's steps checksum their inputs and
dependencies.

Inputs of each table:

* ``targets`` (targets.csv, targets.xlsx, quality_report.*): every file of every plan folder,
  data/raw/indicators.csv;
* ``progress`` (progress.csv, cleaning_log.csv): every file of the record (data/raw/progress,
  its ledger included), the plans' plan.yml and regions.csv and indicators.csv (names, parents,
  units), and targets.csv (the plausibility check).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from importlib import metadata
from pathlib import Path
from typing import Any

from . import __version__
from .fileio import sha256, write_text
from .project import Project

#: the libraries whose versions a table's numbers or a page's look depend on
LIBRARIES = (
    "pandas", "numpy", "scipy", "statsmodels", "matplotlib", "seaborn", "openpyxl", "xlrd",
    "pandera", "pyyaml", "nbconvert", "nbformat", "nbclient", "papermill", "jupyter_client",
    "ipykernel",
)  # fmt: skip
#: the package's own files that count as code (notebooks and templates included)
CODE_SUFFIXES = {".py", ".csv", ".j2", ".css", ".json", ".ipynb", ".tpl", ".html", ".txt"}
STAMP_FORMAT = 1


@functools.lru_cache(maxsize=1)
def package_digest() -> str:
    """sha256 (16 hex digits) over every code file of the installed ontrack package (its
    relative path and bytes): any edit to the suite changes it."""
    pkg = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for p in sorted(pkg.rglob("*")):
        if p.is_file() and p.suffix in CODE_SUFFIXES and "__pycache__" not in p.parts:
            h.update(p.relative_to(pkg).as_posix().encode())
            h.update(b"\0")
            h.update(p.read_bytes())
    return h.hexdigest()[:16]


@functools.lru_cache(maxsize=1)
def library_versions() -> dict[str, str]:
    """Installed version of each of :data:`LIBRARIES` ('' when not installed)."""
    out = {}
    for name in LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = ""
    return out


def code_stamp() -> dict[str, Any]:
    """ontrack's version, the package digest and the libraries' versions."""
    return {"ontrack": __version__, "package": package_digest(), "libraries": library_versions()}


def code_fingerprint(extra: tuple[Path, ...] = ()) -> str:
    """sha256 (12 hex digits) of :func:`code_stamp` and the ``extra`` files (a project's own
    briefing notebook): equal fingerprints, same code."""
    h = hashlib.sha256(json.dumps(code_stamp(), sort_keys=True).encode())
    for p in extra:
        if Path(p).is_file():
            h.update(Path(p).name.encode())
            h.update(Path(p).read_bytes())
    return h.hexdigest()[:12]


# ---------------------------------------------------------------------------- stages
def _files(folder: Path) -> list[Path]:
    """Every file under ``folder`` (hidden ones too: the record's ledger), sorted; a symbolic
    link is listed (its target is read when hashed, or it is refused by the stage)."""
    if not folder.is_dir():
        return []
    out = []
    for root, dirs, files in os.walk(folder, followlinks=False):
        dirs.sort()
        out += [Path(root) / f for f in sorted(files)]
    return out


def stage_inputs(project: Project, table: str) -> dict[str, Path]:
    """The files a table is made from, by their path in the project (see the module
    docstring)."""
    if table == "targets":
        files = [*_files(project.plans_dir), project.indicators_csv]
    elif table == "progress":
        files = [*_files(project.progress_dir), project.indicators_csv, project.targets_csv]
        if project.plans_dir.is_dir():
            for plan in sorted(p for p in project.plans_dir.iterdir() if p.is_dir()):
                files += [plan / "plan.yml", plan / "regions.csv"]
    else:
        raise ValueError(table)
    return {project.relative(f): f for f in files if f.is_file() or f.is_symlink()}


def _digest(path: Path) -> str:
    try:
        return sha256(path)
    except OSError:
        return "unreadable"


def checksums(files: dict[str, Path]) -> dict[str, str]:
    return {name: _digest(p) for name, p in sorted(files.items())}


def stamp_path(project: Project, table: str) -> Path:
    return project.processed / f".{table}.stamp.json"


def outputs(project: Project, table: str) -> list[Path]:
    if table == "targets":
        return [project.targets_csv]
    return [project.progress_csv, project.cleaning_log_csv]


def staleness(project: Project, table: str) -> str | None:
    """Why ``table`` is not current (None when it is): missing, never stamped, changed inputs
    (naming up to five), other code or library versions, or outputs changed since."""
    missing = [p for p in outputs(project, table) if not p.is_file()]
    if missing:
        return f"{project.relative(missing[0])} is missing"
    path = stamp_path(project, table)
    try:
        stamp = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "no record of what it was made from"
    if not isinstance(stamp, dict) or stamp.get("format") != STAMP_FORMAT:
        return "no record of what it was made from"
    now = checksums(stage_inputs(project, table))
    was = stamp.get("inputs") or {}
    changed = sorted(k for k in set(now) | set(was) if now.get(k) != was.get(k))
    if changed:
        more = f" (+{len(changed) - 5} more)" if len(changed) > 5 else ""
        return "changed since: " + ", ".join(changed[:5]) + more
    if stamp.get("code") != code_stamp():
        return "made by another version of ontrack or of its libraries"
    made = stamp.get("outputs") or {}
    for p in outputs(project, table):
        if made.get(project.relative(p)) != _digest(p):
            return f"{project.relative(p)} changed since it was made"
    return None


def options(project: Project, table: str) -> dict[str, Any]:
    """The options the table was last built with (``ontrack targets --lucheng-split``,
    ``ontrack ingest --split-jan-feb``): a rebuild keeps them."""
    try:
        stamp = json.loads(stamp_path(project, table).read_text(encoding="utf-8"))
        opts = stamp.get("options") or {}
        return {str(k): v for k, v in opts.items()} if isinstance(opts, dict) else {}
    except (OSError, ValueError, AttributeError):
        return {}


def record(
    project: Project,
    table: str,
    inputs: dict[str, str] | None = None,
    opts: dict[str, Any] | None = None,
) -> Path:
    """Write the stamp of ``table`` after a successful build (``inputs``: the checksums read
    before building, so that a file changed during the build makes it stale again; ``opts``:
    the options it was built with)."""
    data = {
        "format": STAMP_FORMAT,
        "inputs": inputs if inputs is not None else checksums(stage_inputs(project, table)),
        "code": code_stamp(),
        "outputs": {project.relative(p): _digest(p) for p in outputs(project, table)},
        "options": {k: v for k, v in (opts or {}).items() if v is not None},
    }
    return write_text(stamp_path(project, table), json.dumps(data, indent=1, sort_keys=True))
