"""``ontrack forecast``: the forecast tables (probability that each target is met).

    ontrack forecast [--as-of 2026-09|latest] [--scenario F] [--sims N] [--seed S] [--out DIR]
    ontrack forecast --progress P --targets T [--regions R] --out DIR      (ad hoc, any folder)

On a project, the inputs are its data/processed/ tables and its registry (regions.csv parents,
indicators), and the tables go to data/processed/ (or ``--out DIR``): attainment.csv,
trajectories.csv and forecast.json (ontrack.forecast.tables). Each plan is forecast from its own
peer group (its targets, its regions' progress): the same numbers as the plan's briefing and
scenario lab.

Ad hoc (``--progress`` / ``--targets``), on any data with ids of any shape: the regions' parents
come only from ``--regions`` (a table with region_id and parent_id, e.g. R0017 a township of
R0012); without it no region is summed from others. Indicators are the core ones, plus the
project's when run inside a project.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import InputError


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--as-of",
        default="latest",
        help="YYYY-MM up to the last month with data, or 'latest' (each plan's last month)",
    )
    p.add_argument("--scenario", default="", help="scenario YAML (default: baseline)")
    p.add_argument("--sims", type=int, default=10_000, help="number of draws (default 10000)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument(
        "--out",
        default=None,
        metavar="DIR",
        help="output folder (default: the project's data/processed/; required ad hoc)",
    )
    adhoc = p.add_argument_group("ad hoc inputs (instead of the project's tables)")
    adhoc.add_argument("--progress", default=None, help="progress CSV")
    adhoc.add_argument("--targets", default=None, help="targets CSV")
    adhoc.add_argument(
        "--regions", default=None, help="regions CSV: region_id, parent_id (default: no parents)"
    )


def _input(path: str | None, what: str) -> Path:
    if not path:
        raise InputError(
            f"--{what}", "missing", "both --progress and --targets for an ad hoc forecast"
        )
    p = Path(path)
    if not p.is_file():
        make = "ontrack ingest" if what == "progress" else "ontrack targets"
        raise InputError(f"--{what}", f"{path} not found", f"a {what} CSV (e.g. from `{make}`)")
    return p


def adhoc_inputs(args: argparse.Namespace):
    """(registry, progress path, targets path, input files) of an ad hoc run: regions only from
    --regions; indicators the core ones plus, inside a project, the project's."""
    from ..project import NotAProject, find_project
    from ..registry import Registry, core_indicators, regions_from_table

    progress = _input(args.progress, "progress")
    targets = _input(args.targets, "targets")
    files = {"progress": progress, "targets": targets}
    regions = []
    if args.regions:
        path = Path(args.regions)
        if not path.is_file():
            raise InputError("--regions", f"{args.regions} not found", "a regions CSV")
        regions = regions_from_table(path)
        files["regions"] = path
    try:
        indicators = find_project(getattr(args, "project", None)).registry().indicators.values()
    except NotAProject:
        indicators = core_indicators()
    return Registry(regions, indicators, ()), progress, targets, files


#: what an ad hoc forecast folder may already hold (it is written again)
_FORECAST_FILES = {"attainment.csv", "trajectories.csv", "not_forecast.csv", "history.csv",
                   "forecast.json"}  # fmt: skip


def _adhoc_out(args: argparse.Namespace) -> Path:
    """An ad hoc run's --out: inside the project (not data/raw) when run in one; elsewhere a
    folder that is new or holds only forecast tables (never a folder of other files)."""
    from ..project import NotAProject, find_project

    try:
        project = find_project(getattr(args, "project", None))
    except NotAProject:
        project = None
    if project is not None:
        return project.output_path(args.out, project.forecast_dir, "--out")
    out = Path(args.out).expanduser().resolve()
    if out.exists() and not out.is_dir():
        raise InputError("--out", f"{args.out} is a file", "a folder for the tables")
    other = sorted(p.name for p in out.iterdir() if p.name not in _FORECAST_FILES) if (
        out.is_dir()
    ) else []  # fmt: skip
    if other:
        raise InputError(
            "--out",
            f"{args.out} holds other files ({', '.join(other[:3])}…): nothing written there",
            "a new folder, or one that holds only forecast tables",
        )
    return out


def run(args: argparse.Namespace) -> int:
    from ..fileio import sha256
    from . import tables as ft

    if args.sims < 1:
        raise InputError("--sims", f"{args.sims} is below 1", "a positive number of draws")
    if args.seed < 0:
        raise InputError("--seed", f"{args.seed} is negative", "0 or more")
    if args.out and Path(args.out).suffix.lower() == ".csv":
        raise InputError("--out", f"{args.out} is a file name", "a folder for the tables")
    if args.progress or args.targets or args.regions:
        reg, progress_path, targets_path, files = adhoc_inputs(args)
        if not args.out:
            raise InputError(
                "--out", "missing", "a folder for the tables of an ad hoc forecast (--out DIR)"
            )
        out = _adhoc_out(args)
        scenario = ft.resolve_scenario(args.scenario)
        if scenario:
            files["scenario"] = scenario
        progress = ft.read_progress_table(progress_path)
        ft.check_as_of(args.as_of, progress)
        tables = ft.compute(
            progress,
            ft.read_targets_table(targets_path),
            as_of=args.as_of,
            reg=reg,
            scenario=scenario,
            n_sims=args.sims,
            seed=args.seed,
            inputs={f"{k}: {v}": sha256(v) for k, v in files.items()},
        )
        written = ft.write(tables, out)
        where = str
    else:
        from ..project import find_project

        project = find_project(getattr(args, "project", None))
        out = project.output_path(args.out, project.forecast_dir, "--out") if args.out else None
        tables, written = ft.forecast_project(
            project,
            as_of=args.as_of,
            scenario=args.scenario or None,
            n_sims=args.sims,
            seed=args.seed,
            out=out,
        )
        where = project.relative
    att = tables.attainment
    counts = att["rag"].value_counts().reindex(["green", "amber", "red"], fill_value=0)
    name = tables.meta["parameters"]["scenario"]
    # 'latest' is each plan's last month (a plan is forecast from its own regions' progress)
    months = sorted(set(tables.meta["as_of"].values()))
    as_of = "/".join(months) if months else args.as_of
    print(
        f"{len(att)} targets forecast as of {as_of} ({name}): {counts['green']} green, "
        f"{counts['amber']} amber, {counts['red']} red"
    )
    nf = tables.not_forecast
    if len(nf):
        print(
            f"{len(nf)} 项目标有年份无数据，未预测 / {len(nf)} target(s) not forecast "
            "(years without data, never counted as 0):"
        )
        for _, r in nf.head(10).iterrows():
            years = (
                f"{r['year_start']}"
                if r["year_start"] == r["year_end"]
                else (f"{r['year_start']}-{r['year_end']}")
            )
            print(f"  - {r['plan_id']} {r['region_id']} {r['indicator_id']} {years} "
                  f"{r['level']}: {r['missing']} / {r['missing_en']}")  # fmt: skip
        if len(nf) > 10:
            print(f"  … 另有 {len(nf) - 10} 项 / and {len(nf) - 10} more")
    for path in written.values():
        print(f"  wrote {where(path)}")
    return 0
