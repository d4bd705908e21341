"""Tables for the progress notebook: what came in, what was flagged."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from ..project import Project
from . import read_progress
from .record import load_targets_for_checks, rebuild


def load_progress(
    project: Project,
    paths: Iterable[str | os.PathLike] | None = None,
    *,
    as_of: str | None = None,
    split_jan_feb: str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The project's progress as ``ontrack ingest`` builds it (the whole record,
    data/raw/progress/), or :func:`read_progress` with the project's registry and targets on
    ``paths`` (a relative path is taken from the project's root); months up to ``as_of``.

    ``as_of`` is YYYY-MM, or None / '' / 'latest' for everything read.
    """
    if paths:
        progress, log = read_progress(
            [project.root / Path(p) for p in paths],
            project.registry(),
            base=project.progress_dir,
            split_jan_feb=split_jan_feb,
            targets=load_targets_for_checks(project)[0],
            confine=project.raw,
        )
    else:
        progress, log = rebuild(project, split_jan_feb=split_jan_feb)
    if as_of and as_of != "latest":
        progress = progress[progress["month"] <= as_of].reset_index(drop=True)
    return progress, log


def inputs_summary(progress: pd.DataFrame) -> pd.DataFrame:
    """One row per input file: values read, regions, indicators, months, illustrative."""
    df = progress.assign(file=progress["source"].str.split(" | ", regex=False).str[0])
    return (
        df.groupby("file")
        .agg(
            values=("value", "size"),
            regions=("region_id", "nunique"),
            indicators=("indicator_id", "nunique"),
            first_month=("month", "min"),
            last_month=("month", "max"),
            illustrative=("illustrative", "all"),
        )
        .reset_index()
    )


def log_summary(log: pd.DataFrame) -> pd.DataFrame:
    """Counts of log entries by level (error / flag / info)."""
    return log.groupby("level").size().rename("entries").reset_index()


def flagged(log: pd.DataFrame) -> pd.DataFrame:
    """The log's errors and flags (revisions, total mismatches, replaced values, values far
    beyond the targets)."""
    return log[log["level"].isin(["error", "flag"])].reset_index(drop=True)
