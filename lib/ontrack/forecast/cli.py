"""``ontrack forecast``: the attainment table (probability that each target is met).

    ontrack forecast --as-of 2026-09|latest [--progress F] [--targets F] [--scenario F]
                     [--sims N] [--seed S] [--out F.csv]

Inputs default to data/processed/; the table goes to data/processed/attainment.csv. Each plan
is forecast from its own peer group (its targets, its regions' progress): the same numbers as
the plan's briefing and scenario lab.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from .. import paths
from ..errors import InputError
from ..fileio import read_csv, write_csv


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--as-of", default="latest", help="YYYY-MM, or 'latest' (each plan's last progress month)"
    )
    p.add_argument("--progress", default=str(paths.PROGRESS_CSV), help="progress CSV")
    p.add_argument("--targets", default=str(paths.TARGETS_CSV), help="targets CSV")
    p.add_argument("--scenario", default="", help="scenario YAML (default: baseline)")
    p.add_argument("--sims", type=int, default=10_000, help="number of draws (default 10000)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--out", default=str(paths.ATTAINMENT_CSV), help="output CSV")


def read_input(path: str, what: str) -> pd.DataFrame:
    """Read an input CSV or say which command makes it."""
    if not Path(path).exists():
        make = "ontrack ingest" if what == "progress" else "ontrack targets"
        raise InputError(f"--{what}", f"{path} not found", f"a {what} CSV (run `{make}` first)")
    return read_csv(path)


def run(args: argparse.Namespace) -> int:
    from .attainment import attainment
    from .scenario import load_scenario

    if args.sims < 1:
        raise InputError("--sims", f"{args.sims} is below 1", "a positive number of draws")
    progress = read_input(args.progress, "progress")
    targets = read_input(args.targets, "targets")
    scenario = load_scenario(args.scenario) if args.scenario else None
    table = attainment(
        progress, targets, args.as_of, scenario=scenario, n_sims=args.sims, seed=args.seed
    )
    out = write_csv(table, args.out)
    counts = table["rag"].value_counts().reindex(["green", "amber", "red"], fill_value=0)
    name = scenario.name if scenario else "baseline"
    # 'latest' is each plan's last month (a plan is forecast from its own regions' progress)
    as_of = "/".join(sorted(set(table["as_of"].astype(str)))) if len(table) else args.as_of
    print(
        f"{len(table)} targets forecast as of {as_of}"
        f" ({name}): {counts['green']} green, {counts['amber']} amber, {counts['red']} red → {out}"
    )
    return 0
