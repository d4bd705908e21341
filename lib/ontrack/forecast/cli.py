"""``ontrack forecast``: the forecast tables (probability that each target is met).

    ontrack forecast [--as-of 2026-09|latest] [--scenario F] [--sims N] [--seed S] [--out DIR]
    ontrack forecast --progress P --targets T [--regions R] --out DIR      (ad hoc, any folder)

On a project, the inputs are its data/processed/ tables and its registry (regions.csv parents,
indicators), and the tables go to data/processed/ (or ``--out DIR``): attainment.csv,
trajectories.csv and forecast.json (ontrack.forecast.store). Each plan is forecast from its own
peer group (its targets, its regions' progress; its seasonal shape shrunk towards the
project's): the same numbers as the plan's briefing and scenario lab.

Ad hoc (``--progress`` / ``--targets``), on any data with ids of any shape: the regions' parents
come only from ``--regions`` (a table with region_id and parent_id, e.g. R0017 a township of
R0012); without it no region is summed from others. Indicators are the core ones, plus the
project's when run inside a project.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import InputError, InputErrors


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


def adhoc_progress(path: Path, reg):
    """An ad hoc progress table read with the ingest's care: the contract's monthly table
    (region_id, indicator_id, month, value; covers and through_day kept) as it is, with its
    indicators checked; any other table (a basis column saying 累计 / cumulative, running-total
    columns, Chinese headers) through the ingest's reader, which turns running totals into months
    (ontrack.progress), instead of reading them as monthly amounts."""
    import datetime as dt

    import pandas as pd

    from ..fileio import read_csv
    from ..progress import read_progress
    from . import store as ft

    try:
        cols = set(read_csv(path, nrows=0).columns)
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError, OSError) as exc:
        raise InputError(str(path), f"unreadable progress table ({exc})") from None
    if {"region_id", "indicator_id", "month", "value"} <= cols and "basis" not in cols:
        progress = ft.read_progress_table(path)
    else:
        progress, _ = read_progress([path], reg, today=dt.date(2100, 1, 1))
    unknown = sorted(set(progress["indicator_id"].astype(str)) - set(reg.indicators))
    if unknown:
        raise InputError(
            f"{path} column indicator_id",
            f"indicator(s) {', '.join(unknown)} not declared",
            "a core indicator (" + ", ".join(reg.core_indicators) + ") or one the project's "
            "data/raw/indicators.csv declares",
        )
    return progress


def adhoc_targets(path: Path, reg):
    """An ad hoc targets table, checked: every indicator declared, every unit the indicator's
    or convertible to it (平方米 → 万平方米 converted), each problem naming row and column."""
    from ..units import factor
    from . import store as ft

    t = ft.read_targets_table(path)
    errors = []
    values = t["value"].astype(float).copy()
    for i, r in t.iterrows():
        row = f"{path} row {i + 2}"
        ind = str(r["indicator_id"])
        if ind not in reg.indicators:
            errors.append(InputError(f"{row} column indicator_id", f"{ind!r} is not declared",
                                     "a core indicator or one of indicators.csv"))  # fmt: skip
            continue
        unit = str(r.get("unit", "") or "").strip()
        canon = reg.unit(ind)
        if unit and unit != "nan":
            f = factor(unit, canon)
            if f is None:
                errors.append(InputError(f"{row} column unit", f"{unit!r} does not fit {ind}",
                                         f"{canon} or a unit convertible to it"))  # fmt: skip
                continue
            values[i] = float(r["value"]) * f
    if errors:
        raise InputErrors(errors)
    return t.assign(value=values, unit=[reg.unit(str(i)) for i in t["indicator_id"]])


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
    from . import store as ft

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
        progress = adhoc_progress(progress_path, reg)
        targets = adhoc_targets(targets_path, reg)
        ft.check_as_of(args.as_of, progress)
        tables = ft.compute(
            progress,
            targets,
            as_of=args.as_of,
            reg=reg,
            scenario=scenario,
            n_sims=args.sims,
            seed=args.seed,
            inputs={f"{k}: {v}": sha256(v) for k, v in files.items()},
        )
        written = ft.write(tables, out)
        where = str
        targets_used = targets
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
        targets_used = ft.load_inputs(project)[1]
    att = tables.attainment
    # the targets still open (their years reach the as-of year): closed years are history
    open_ = att[att["year_end"] >= att["as_of"].astype(str).str[:4].astype(int)]
    counts = open_["rag"].value_counts().reindex(["green", "amber", "red"], fill_value=0)
    name = tables.meta["parameters"]["scenario"]
    # 'latest' is each plan's last month (a plan is forecast from its own regions' progress)
    months = sorted(set(tables.meta["as_of"].values()))
    as_of = "/".join(months) if months else args.as_of
    past = len(att) - len(open_)
    print(
        f"已预测{len(att)}项目标（数据截至{as_of}，{'基准' if name == 'baseline' else name}）；"
        f"仍在期内的{len(open_)}项中绿{counts['green']}、黄{counts['amber']}、红{counts['red']}"
        f"（另{past}项为往年） / "
        f"{len(att)} targets forecast as of {as_of} ({name}); of the {len(open_)} still open: "
        f"{counts['green']} green, {counts['amber']} amber, {counts['red']} red "
        f"({past} of past years)"
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
    _without_progress(tables, targets_used)
    for path in written.values():
        print(f"  已写入 / wrote {where(path)}")
    return 0


def _without_progress(tables, targets) -> None:
    """List the (flow) targets with no row in attainment.csv nor in not_forecast.csv: no
    progress at all for their region's indicator (never dropped without a word)."""
    from ..schema import TARGET_KEY

    if targets is None or targets.empty:
        return
    t = targets
    if "measure" in t.columns:
        t = t[t["measure"].fillna("flow").astype(str).str.lower() != "stock"]
    seen = {tuple(map(str, k)) for k in tables.attainment[TARGET_KEY].itertuples(index=False)}
    seen |= {tuple(map(str, k)) for k in tables.not_forecast[TARGET_KEY].itertuples(index=False)}
    left = [k for k in t[TARGET_KEY].itertuples(index=False) if tuple(map(str, k)) not in seen]
    if not left:
        return
    print(
        f"{len(left)} 项目标没有任何进度数据，未预测 / {len(left)} target(s) without any progress "
        "for their region and indicator (not forecast):"
    )
    for k in left[:10]:
        years = f"{k.year_start}" if k.year_start == k.year_end else f"{k.year_start}-{k.year_end}"
        print(f"  - {k.plan_id} {k.region_id} {k.indicator_id} {years} {k.level}")
    if len(left) > 10:
        print(f"  … 另有 {len(left) - 10} 项 / and {len(left) - 10} more")
