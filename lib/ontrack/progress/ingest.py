"""`ontrack ingest`: progress files → the project's data/processed/progress.csv and
cleaning_log.csv.

Reads the files or folders named (default: the project's data/raw/progress/, recursively) with
the project's regions and indicators; writes nothing outside the project.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import InputErrors
from ..fileio import write_csv
from ..project import find_project
from ..schema import PROGRESS, validate
from . import project_output, read_progress


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="*",
        help="files or folders (default: the project's data/raw/progress/, recursively)",
    )
    parser.add_argument(
        "--split-jan-feb",
        choices=["none", "even"],
        default="none",
        help="split a 1-2月 combined value over January and February (default: keep it in Feb)",
    )
    parser.add_argument(
        "--prefer-newer",
        action="store_true",
        help="when the same thing is reported twice, the newer report wins (default: error)",
    )
    parser.add_argument(
        "--out",
        default=None,
        help="output CSV inside the project (default data/processed/progress.csv); the "
        "cleaning log is written beside it as cleaning_log.csv",
    )


def run(args: argparse.Namespace) -> int:
    project = find_project(getattr(args, "project", None))
    sources = [Path(p) for p in args.paths] or [project.progress_dir]
    out = project_output(project, args.out, project.progress_csv, "--out")
    log_path = out.with_name("cleaning_log.csv") if args.out else project.cleaning_log_csv
    try:
        progress, log = read_progress(
            sources,
            project.registry(),
            base=project.progress_dir,
            split_jan_feb=args.split_jan_feb,
            prefer_newer=args.prefer_newer,
        )
    except InputErrors as exc:
        if getattr(exc, "log", None) is not None:
            write_csv(exc.log, log_path)
            print(f"cleaning log (with the errors): {project.relative(log_path)}")
        raise
    write_csv(validate(progress, PROGRESS), out)
    write_csv(log, log_path)
    counts = log["level"].value_counts()
    files = progress["source"].str.split(" | ", regex=False).str[0].nunique()
    print(
        f"read {files} file(s): {len(progress)} monthly values, "
        f"{progress['region_id'].nunique()} regions, {progress['indicator_id'].nunique()} "
        f"indicators, {progress['month'].min()} … {progress['month'].max()}"
        if len(progress)
        else "no progress values found"
    )
    if progress["illustrative"].any():
        print(f"{int(progress['illustrative'].sum())} values are illustrative (示例数据)")
    print(f"cleaning log: {counts.get('flag', 0)} flag(s), {counts.get('info', 0)} note(s)")
    print(f"wrote {project.relative(out)} and {project.relative(log_path)}")
    return 0
