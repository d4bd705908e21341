"""Stage 1b: progress spreadsheets as offices send them → one tidy monthly progress table.

:func:`read_progress` reads tidy CSV / XLSX tables, the suite's fill-in template and 督查-style
monitoring reports (layout worked out from the sheet), converts units and running totals, checks
合计 rows and duplicates, and returns the progress table (docs/data-contracts.md) with a
cleaning log. Regions, indicators and units are the project's (a
:class:`~ontrack.registry.Registry`, ``project.registry()``). Extra columns: ``illustrative``
(rows from 示例数据 files or a ``demo/`` folder) and ``covers`` (how many months the value
covers: 2 for a 1-2月 combined report).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from ..errors import InputError, InputErrors
from ..project import Project
from ..registry import Registry
from ..schema import PROGRESS, validate

__all__ = ["SPLIT_JAN_FEB", "project_output", "read_progress"]

#: Accepted values of ``split_jan_feb``: None keeps 1-2月 combined (recorded in February).
SPLIT_JAN_FEB = (None, "none", "even")


def read_progress(
    paths: str | os.PathLike | Iterable[str | os.PathLike],
    reg: Registry,
    *,
    base: str | os.PathLike | None = None,
    split_jan_feb: str | None = None,
    prefer_newer: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read progress files (folders recursively) → (progress table, cleaning log).

    Regions and indicators are matched against ``reg``. Sources name a file relative to
    ``base`` (the project's data/raw/progress) when it is inside, else relative to the folder
    given (``good/report.xlsx``), else by its name.
    ``split_jan_feb="even"`` splits a 1-2月 combined value evenly over January and February;
    ``prefer_newer`` lets the newer of two reports of the same thing win (else an error).
    Raises :class:`~ontrack.errors.InputErrors` listing every problem found; the exception's
    ``log`` attribute holds the cleaning log so far.
    """
    from .clean import dedupe, resolve_overlaps, resolve_totals, to_months, to_table
    from .log import CleaningLog
    from .readers import display_name, find_files, read_file

    if split_jan_feb not in SPLIT_JAN_FEB:
        raise InputErrors(
            [InputError("split_jan_feb", f"unknown value {split_jan_feb!r}", "none or even")]
        )
    if split_jan_feb == "none":
        split_jan_feb = None
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    log = CleaningLog()
    files: list[tuple[Path, Path | None]] = []
    for p in map(Path, paths):
        if not p.exists():
            log.error(str(p), "", "", "no such file or folder")
        elif p.is_dir():
            files += [(f, p) for f in find_files([p])]
        else:
            files.append((p, None))
    obs = []
    for f, under in files:
        n0 = len(obs)
        name = display_name(f, Path(base) if base is not None else None, under)
        obs += read_file(f, log, reg, name)
        log.info(name, "", "", f"{len(obs) - n0} values read")
    obs = resolve_totals(obs, log, reg)
    obs = dedupe(obs, prefer_newer, log)
    values = resolve_overlaps(to_months(obs, log), prefer_newer, log)
    table = to_table(values, split_jan_feb, log)
    log_df = log.frame()
    if log.errors:
        exc = InputErrors(log.errors)
        exc.log = log_df
        raise exc
    return validate(table, PROGRESS), log_df


def project_output(
    project: Project, given: str | os.PathLike | None, default: Path, option: str
) -> Path:
    """Where a command writes: ``given`` (as typed: relative to the current folder) or
    ``default``; InputError naming ``option`` when that is outside the project (a command never
    writes anywhere else)."""
    out = Path(given).expanduser() if given else Path(default)
    if not project.contains(out):
        raise InputError(
            option,
            f"{out} is outside the project {project.root}",
            "a path inside the project (commands write nothing outside it)",
        )
    return out
