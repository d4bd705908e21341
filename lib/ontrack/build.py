"""`ontrack build`: rebuild the targets and progress tables whose inputs, code or libraries
changed since they were made (:mod:`ontrack.stamps` decides; ``make data`` runs this), as
``ontrack targets`` and ``ontrack ingest`` would, keeping the options they were last built with.
A failed rebuild writes nothing and records nothing, so the next run tries again."""

from __future__ import annotations

import argparse

from .progress.record import ingest
from .project import Project, find_project
from .stamps import options, staleness
from .targets import ensure_targets

TABLES = ("targets", "progress")  # in this order: the progress checks read the targets


def ensure_table(project: Project, table: str) -> str | None:
    """Rebuild one table when it is out of date; why it was (None: it was current)."""
    if table == "targets":
        return ensure_targets(project)
    why = staleness(project, table)
    if why:
        ingest(project, split_jan_feb=options(project, table).get("split_jan_feb"))
    return why


def ensure_tables(project: Project) -> list[tuple[str, str]]:
    """Rebuild the targets and progress tables that are out of date; (table, why) for each
    one rebuilt. Raises the stage's errors (nothing written) when a rebuild fails."""
    done = []
    for table in TABLES:
        why = ensure_table(project, table)
        if why:
            done.append((table, why))
    return done


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--check",
        action="store_true",
        help="only say which tables are out of date (exit 1 when any is), rebuild nothing",
    )


def run(args: argparse.Namespace) -> int:
    project = find_project(getattr(args, "project", None))
    if args.check:
        stale = [(t, w) for t in TABLES if (w := staleness(project, t))]
        for t, w in stale:
            print(f"{t}: 需要重建 / out of date: {w}")
        if not stale:
            print("数据表均为最新 / every table is up to date")
        return 1 if stale else 0
    done = ensure_tables(project)
    for t, w in done:
        print(f"已重建 / rebuilt {t} ({w})")
    if not done:
        print("数据表均为最新 / every table is up to date")
    return 0
