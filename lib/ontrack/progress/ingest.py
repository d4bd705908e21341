"""`ontrack ingest [FILE ...]`: add monitoring reports to the project's record
(data/raw/progress/) and rebuild data/processed/progress.csv and cleaning_log.csv from all of it.

Without files it rebuilds from the record. A file that fails is not added and nothing changes
(the record, progress.csv, the cleaning log); the errors are printed, Chinese and English, at
most ten per file. See :mod:`ontrack.progress.record`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import InputErrors
from ..project import find_project
from . import project_output
from .record import ingest


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="*",
        help="reports (files or folders) to add to data/raw/progress/ (none: rebuild from it)",
    )
    parser.add_argument(
        "--split-jan-feb",
        choices=["none", "even"],
        default="none",
        help="split a 1-2月 combined value over January and February (default: keep it in Feb)",
    )
    parser.add_argument(
        "--skip-unknown",
        action="store_true",
        help="take the known rows of the files added and leave out (and list) the rows of "
        "regions or indicators the project does not know, instead of refusing the file",
    )
    parser.add_argument(
        "--out",
        default=None,
        help="output CSV inside the project (default data/processed/progress.csv); the "
        "cleaning log is written beside it as cleaning_log.csv",
    )


def run(args: argparse.Namespace) -> int:
    project = find_project(getattr(args, "project", None))
    out = project_output(project, args.out, project.progress_csv, "--out")
    log_path = out.with_name("cleaning_log.csv") if args.out else project.cleaning_log_csv
    try:
        result = ingest(
            project,
            [Path(p) for p in args.paths],
            split_jan_feb=args.split_jan_feb,
            out=out,
            log_path=log_path,
            skip_unknown=args.skip_unknown,
        )
    except InputErrors as exc:
        print(
            "未作任何更改：数据记录（data/raw/progress）、progress.csv 和清洗记录均保持原样。\n"
            "Nothing was changed: the record (data/raw/progress), progress.csv and the cleaning "
            "log are as they were.",
            file=sys.stderr,
        )
        unknown = any(w in str(e) for e in exc.errors for w in ("未知区域", "未知指标"))
        if unknown and args.paths and not args.skip_unknown:
            print(
                "只读取已知的行、列出其余各行：ontrack ingest --skip-unknown 文件…\n"
                "To take the known rows and list the others: ontrack ingest --skip-unknown FILE…",
                file=sys.stderr,
            )
        raise
    for a in result.additions:
        if a.status == "new":
            print(f"已加入记录 / added to the record: data/raw/progress/{a.name}")
        elif a.status == "same":
            print(
                f"已在记录中（内容相同），未复制 / already in the record (same content): "
                f"data/raw/progress/{a.name}"
            )
        elif a.status == "skipped":
            print(f"未导入 / not added: {a.name}: {a.note}")
    progress, log = result.progress, result.log
    skipped = log[(log["level"] == "flag") & log["message_en"].str.endswith("--skip-unknown)")]
    if len(skipped):
        print(f"未读取的行（--skip-unknown）/ rows left out: {len(skipped)}")
        for _, row in skipped.iterrows():
            place = " | ".join(str(row[c]) for c in ("file", "sheet", "cell") if str(row[c]))
            print(f"  - {place}: {row['message']}\n      {row['message_en']}")
    counts = log["level"].value_counts()
    files = progress["source"].str.split(" | ", regex=False).str[0].nunique()
    print(
        f"读取 {files} 个文件 / read {files} file(s): {len(progress)} monthly values, "
        f"{progress['region_id'].nunique()} regions, {progress['indicator_id'].nunique()} "
        f"indicators, {progress['month'].min()} … {progress['month'].max()}"
    )
    if progress["illustrative"].any():
        print(f"{int(progress['illustrative'].sum())} values are illustrative (示例数据)")
    flags = int(counts.get("flag", 0))
    print(
        f"清洗记录 / cleaning log: {flags} 条警告 flag(s), {counts.get('info', 0)} 条说明 note(s)"
    )
    for _, row in log[log["level"] == "flag"].head(10).iterrows():
        place = " | ".join(str(row[c]) for c in ("file", "sheet", "cell") if str(row[c]))
        print(f"  ! {place}: {row['message']}\n      {row['message_en']}")
    if flags > 10:
        print(f"  … 另有 {flags - 10} 条警告 / and {flags - 10} more flag(s)")
    print(f"wrote {project.relative(out)} and {project.relative(log_path)}")
    return 0
