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

import datetime as dt
import os
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from ..errors import InputError, InputErrors
from ..project import Project
from ..registry import Registry
from ..schema import PROGRESS, validate

__all__ = ["SPLIT_JAN_FEB", "project_output", "read_files", "read_progress"]

#: Accepted values of ``split_jan_feb``: None keeps 1-2月 combined (recorded in February).
SPLIT_JAN_FEB = (None, "none", "even")


def read_progress(
    paths: str | os.PathLike | Iterable[str | os.PathLike],
    reg: Registry,
    *,
    base: str | os.PathLike | None = None,
    split_jan_feb: str | None = None,
    targets: pd.DataFrame | None = None,
    today: dt.date | None = None,
    confine: str | os.PathLike | None = None,
    skip_unknown: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read progress files (folders recursively) → (progress table, cleaning log).

    Sources name a file relative to ``base`` (the project's data/raw/progress) when it is
    inside, else relative to the folder given (``good/report.xlsx``), else by its name; a
    symbolic link pointing outside ``confine`` is refused. See :func:`read_files`.
    """
    from .log import CleaningLog
    from .readers import display_name, find_files

    log = CleaningLog()
    base_p = Path(base) if base is not None else None
    named: list[tuple[str, Path, float | None]] = []
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    paths = [Path(p) for p in paths]
    for p in paths:
        if not p.exists() and not p.is_symlink():
            log.error(str(p), "", "", "文件或文件夹不存在", "no such file or folder")
    found = find_files(
        [p for p in paths if p.exists() or p.is_symlink()],
        log,
        Path(confine) if confine is not None else None,
        base_p,
    )
    for f, under in found:
        named.append((display_name(f, base_p, under), f, None))
    return read_files(
        named, reg, split_jan_feb=split_jan_feb, targets=targets, today=today, log=log,
        skip_unknown=[n for n, _, _ in named] if skip_unknown else (),
    )  # fmt: skip


def read_files(
    named: Iterable[tuple[str, Path, float | None]],
    reg: Registry,
    *,
    split_jan_feb: str | None = None,
    targets: pd.DataFrame | None = None,
    today: dt.date | None = None,
    log=None,
    skip_unknown: Iterable[str] = (),
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read (name, path, added) files → (progress table, cleaning log).

    ``name`` is how sources and messages name the file; ``added`` when it entered the record
    (POSIX time; None: the file's modification time): of two reports of the same thing the
    later one wins (a later 填报日期 first), and the replacement is logged. Regions and
    indicators are matched against ``reg``; months after ``today`` (default: the current date)
    or outside every plan's years are refused; with ``targets``, values far beyond the plans'
    targets are flagged (:mod:`.checks`). Rows or columns naming a region or indicator the
    project does not know refuse their file, except in the files named in ``skip_unknown``
    (``ontrack ingest --skip-unknown``), where they are left out and flagged.
    ``split_jan_feb="even"`` splits a 1-2月 combined value evenly over January and February.

    Raises :class:`~.log.ReadErrors` listing the problems (at most
    :data:`~.log.MAX_ERRORS_PER_FILE` per file, the rest counted; the exception's ``log`` holds
    the whole cleaning log). Reading no value at all is an error too.
    """
    from .checks import check_magnitudes, check_months, current_date, target_ceilings
    from .clean import compare_levels, resolve_totals, to_table
    from .log import CleaningLog
    from .readers import read_file
    from .reconcile import reconcile

    if split_jan_feb not in SPLIT_JAN_FEB:
        raise InputErrors(
            [InputError("split_jan_feb", f"unknown value {split_jan_feb!r}", "none or even")]
        )
    if split_jan_feb == "none":
        split_jan_feb = None
    log = log if log is not None else CleaningLog()
    log.skip_unknown |= set(skip_unknown)
    today = today or current_date()
    obs = []
    n_files = 0
    for name, path, added in named:
        n_files += 1
        got = read_file(path, log, reg, name, added)
        obs += got
        if got:
            log.info(name, "", "", f"读取 {len(got)} 个数值", f"{len(got)} values read")
    obs = check_months(obs, log, reg, today)
    obs = resolve_totals(obs, log, reg)
    check_magnitudes(obs, log, reg, target_ceilings(targets))
    values = compare_levels(reconcile(obs, log, reg), log, reg)
    table = to_table(values, split_jan_feb, log)
    if table.empty and not log.errors:
        log.error(
            "",
            "",
            "",
            f"没有读到任何进度数值（{n_files} 个文件）",
            f"no progress values read ({n_files} file(s))",
            "至少一份填有数值的进度报表",
            "at least one progress report with values",
        )
    if log.errors:
        raise log.exception()
    return validate(table, PROGRESS), log.frame()


def project_output(
    project: Project,
    given: str | os.PathLike | None,
    default: Path,
    option: str,
    raw_ok: bool = False,
) -> Path:
    """Where a command writes (:meth:`~ontrack.project.Project.output_path`): inside the project
    and, unless ``raw_ok``, outside data/raw."""
    return project.output_path(given, default, option, raw_ok)
