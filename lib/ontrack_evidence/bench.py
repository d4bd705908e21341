"""`make bench` (`python -m ontrack_evidence.bench`): how long the forecast takes, at what memory.

Prints one line per measurement:

* the forecast (fit + simulate) of every target of the project's plans (those ``render-all``
  renders) at 10,000 draws, on the project's data/processed (synthetic stand-in data if it has
  not been built); the project is found as every command finds it (``--project DIR``,
  ``$ONTRACK_PROJECT``, the nearest ontrack.toml above the current folder);
* a scale run: 3,000 synthetic regions (300 counties of 9 townships) x 5 indicators at 10,000
  draws: time, and peak memory as the process's maximum RSS (the forecast's own peak is traced
  with tracemalloc on a tenth of the regions: tracing the whole run would slow it down);
* rows from ``ontrack_evidence.bench_render.bench_rows()`` and
  ``ontrack_evidence.bench_lab.bench_lab()`` (other stages' timings; given the project where
  they take a ``project`` argument).

Aims: < 0.5 s for the default plans, < 30 s in < 4 GB for the scale run.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import resource
import sys
import time
import tracemalloc
from collections.abc import Iterable

import pandas as pd

from ontrack.project import Project, find_project
from ontrack.registry import Region, Registry, core_indicators

Row = tuple[str, float, str]


def synthetic_registry(regions: Iterable[str]) -> Registry:
    """The regions of ``ontrack_evidence.synthetic.make_synthetic`` data as a registry: its
    documented ids ``{county}`` and ``{county}-t{j}`` make each township its county's child (the
    forecast sums a county from its townships only where a registry says so)."""
    ids = set(map(str, regions))
    out = []
    for r in sorted(ids):
        county, sep, town = r.rpartition("-t")
        parent = county if sep and town.isdigit() and county in ids else None
        out.append(Region(r, r, parent=parent))
    return Registry(out, core_indicators())


def _default_plans_rows(n_sims: int, project: Project) -> list[Row]:
    from ontrack.fileio import read_csv
    from ontrack.forecast import fit, simulate_attainment

    if project.targets_csv.exists() and project.progress_csv.exists():
        reg = project.registry()
        targets = read_csv(project.targets_csv)
        progress = read_csv(project.progress_csv)
        targets = targets[targets["plan_id"].isin(project.render_plans)]
        note = f"{project.relative(project.processed)} of {project.name}"
    else:
        from ontrack_evidence.synthetic import make_synthetic

        progress, targets = make_synthetic(1, 9, (2025, 2026), last_month="2026-09")
        reg = synthetic_registry(progress["region_id"])
        note = "synthetic stand-in (the project's data/processed not built)"
    t0 = time.perf_counter()
    fitted = fit(progress, "latest", reg=reg)
    t1 = time.perf_counter()
    table = simulate_attainment(fitted, targets, n_sims=n_sims, seed=0)
    t2 = time.perf_counter()
    what = f"{len(table)} targets, {n_sims:,} draws, as of {fitted.as_of}, {note}"
    return [
        ("forecast default plans (fit + simulate)", t2 - t0, what),
        ("  fit", t1 - t0, f"{len(fitted.series)} series"),
        ("  simulate", t2 - t1, "attainment table"),
    ]


def _scale_rows(n_sims: int, n_counties: int = 300, n_towns: int = 9) -> list[Row]:
    from ontrack.forecast import fit, simulate_attainment
    from ontrack_evidence.synthetic import make_synthetic

    t0 = time.perf_counter()
    progress, targets = make_synthetic(
        n_counties, n_towns, (2025, 2026), last_month="2026-09", seed=2
    )
    gen = time.perf_counter() - t0
    reg = synthetic_registry(progress["region_id"].unique())
    n_regions = progress["region_id"].nunique()
    n_ind = progress["indicator_id"].nunique()
    t0 = time.perf_counter()
    fitted = fit(progress, "latest", reg=reg)
    t1 = time.perf_counter()
    table = simulate_attainment(fitted, targets, n_sims=n_sims, seed=0)
    t2 = time.perf_counter()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB → MiB (Linux)
    # memory of the forecast alone, traced on a tenth of the regions (tracemalloc slows the run)
    part = progress[progress["region_id"].str.extract(r"(\d+)", expand=False).astype(int) % 10 == 0]
    tpart = targets[targets["region_id"].isin(set(part["region_id"]))]
    tracemalloc.start()
    simulate_attainment(fit(part, "latest", reg=reg), tpart, n_sims=n_sims, seed=0)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return [
        (
            f"scale: {n_regions:,} regions x {n_ind} indicators (fit + simulate)",
            t2 - t0,
            f"{len(table):,} targets, {n_sims:,} draws; process max RSS {rss:,.0f} MiB "
            f"(forecast peak on 1/10 of the regions, tracemalloc: {peak / 2**20:,.0f} MiB)",
        ),
        ("  fit", t1 - t0, f"{len(progress):,} progress rows (generated in {gen:.1f} s)"),
        ("  simulate", t2 - t1, f"{len(fitted.series):,} series"),
    ]


def _hook_rows(module: str, func: str, project: Project) -> list[Row]:
    try:
        mod = importlib.import_module(module)
    except ImportError:
        return []
    fn = getattr(mod, func, None)
    if fn is None:
        return []
    try:
        kwargs = {"project": project} if "project" in inspect.signature(fn).parameters else {}
        return [(str(a), float(b), str(c)) for a, b, c in fn(**kwargs)]
    except Exception as exc:  # another stage's bench must not hide ours
        return [(f"{module}.{func}", float("nan"), f"failed: {type(exc).__name__}: {exc}")]


def bench_rows(
    n_sims: int = 10_000, scale: bool = True, project: Project | None = None
) -> list[Row]:
    """All measurements as (what, seconds, note), on ``project`` (default: found from the
    current folder)."""
    project = project or find_project()
    rows = _default_plans_rows(n_sims, project)
    if scale:
        rows += _scale_rows(n_sims)
    rows += _hook_rows("ontrack_evidence.bench_render", "bench_rows", project)
    rows += _hook_rows("ontrack_evidence.bench_lab", "bench_lab", project)
    return rows


def main(argv: list[str] | None = None) -> int:
    from ontrack.errors import OntrackError

    p = argparse.ArgumentParser(
        prog="python -m ontrack_evidence.bench", description=__doc__.splitlines()[0]
    )
    p.add_argument("--sims", type=int, default=10_000, help="draws (default 10000)")
    p.add_argument("--no-scale", action="store_true", help="skip the 3,000-region scale run")
    p.add_argument(
        "--project",
        default=None,
        metavar="DIR",
        help="the project folder (default: $ONTRACK_PROJECT, else the nearest ontrack.toml "
        "above the current folder)",
    )
    args = p.parse_args(argv)
    try:
        project = find_project(args.project)
    except OntrackError as exc:
        print(f"ontrack bench: error: {exc}", file=sys.stderr)
        return 2
    rows = bench_rows(args.sims, scale=not args.no_scale, project=project)
    df = pd.DataFrame(rows, columns=["what", "seconds", "note"])
    with pd.option_context("display.max_colwidth", 120, "display.width", 200):
        print(df.to_string(index=False, float_format=lambda x: f"{x:8.3f}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
