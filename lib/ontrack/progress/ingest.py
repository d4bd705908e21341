"""`ontrack ingest`: progress files → data/processed/progress.csv and cleaning_log.csv."""

from __future__ import annotations

import argparse
from pathlib import Path

from .. import paths
from ..errors import InputErrors
from ..fileio import write_csv
from ..schema import PROGRESS, validate
from . import read_progress

CLEANING_LOG_CSV = paths.DATA_PROCESSED / "cleaning_log.csv"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths", nargs="*", help="files or folders (default: data/raw/progress/, recursively)"
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
        "--out", default=None, help="output CSV (default data/processed/progress.csv)"
    )


def run(args: argparse.Namespace) -> int:
    sources = [Path(p) for p in args.paths] or [paths.PROGRESS_DIR]
    out = Path(args.out) if args.out else paths.PROGRESS_CSV
    log_path = out.with_name("cleaning_log.csv")
    try:
        progress, log = read_progress(
            sources, split_jan_feb=args.split_jan_feb, prefer_newer=args.prefer_newer
        )
    except InputErrors as exc:
        if getattr(exc, "log", None) is not None:
            write_csv(exc.log, log_path)
            print(f"cleaning log (with the errors): {log_path}")
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
    print(f"wrote {out} and {log_path}")
    return 0
