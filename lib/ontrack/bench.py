"""`python -m ontrack.bench` (`make bench`): how long the forecast takes, and at what memory.

Prints one line per measurement:

* the forecast (fit + simulate) of every target of the default plans at 10,000 draws, on
  data/processed (synthetic stand-in data if it has not been built);
* a scale run: 3,000 synthetic regions (300 counties of 9 townships) x 5 indicators at 10,000
  draws: time, and peak memory as the process's maximum RSS (the forecast's own peak is traced
  with tracemalloc on a tenth of the regions: tracing the whole run would slow it down);
* rows from ``ontrack.briefing.bench.bench_rows()`` and ``ontrack.lab.bench_lab()`` where those
  exist (other stages' timings).

Aims: < 0.5 s for the default plans, < 30 s in < 4 GB for the scale run.
"""

from __future__ import annotations

import argparse
import importlib
import resource
import sys
import time
import tracemalloc

import pandas as pd

Row = tuple[str, float, str]


def _default_plans_rows(n_sims: int) -> list[Row]:
    from . import paths
    from .fileio import read_csv
    from .forecast import fit, simulate_attainment
    from .registry import DEFAULT_PLANS

    if paths.TARGETS_CSV.exists() and paths.PROGRESS_CSV.exists():
        targets = read_csv(paths.TARGETS_CSV)
        progress = read_csv(paths.PROGRESS_CSV)
        note = "data/processed"
    else:
        from .forecast.synthetic import make_synthetic

        progress, targets = make_synthetic(1, 9, (2025, 2026), last_month="2026-09")
        note = "synthetic stand-in (data/processed not built)"
    t = targets[targets["plan_id"].isin(DEFAULT_PLANS)] if note == "data/processed" else targets
    t0 = time.perf_counter()
    fitted = fit(progress, "latest")
    t1 = time.perf_counter()
    table = simulate_attainment(fitted, t, n_sims=n_sims, seed=0)
    t2 = time.perf_counter()
    what = f"{len(table)} targets, {n_sims:,} draws, as of {fitted.as_of}, {note}"
    return [
        ("forecast default plans (fit + simulate)", t2 - t0, what),
        ("  fit", t1 - t0, f"{len(fitted.series)} series"),
        ("  simulate", t2 - t1, "attainment table"),
    ]


def _scale_rows(n_sims: int, n_counties: int = 300, n_towns: int = 9) -> list[Row]:
    from .forecast import fit, simulate_attainment
    from .forecast.synthetic import make_synthetic

    t0 = time.perf_counter()
    progress, targets = make_synthetic(
        n_counties, n_towns, (2025, 2026), last_month="2026-09", seed=2
    )
    gen = time.perf_counter() - t0
    n_regions = progress["region_id"].nunique()
    n_ind = progress["indicator_id"].nunique()
    t0 = time.perf_counter()
    fitted = fit(progress, "latest")
    t1 = time.perf_counter()
    table = simulate_attainment(fitted, targets, n_sims=n_sims, seed=0)
    t2 = time.perf_counter()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB → MiB (Linux)
    # memory of the forecast alone, traced on a tenth of the regions (tracemalloc slows the run)
    part = progress[progress["region_id"].str.extract(r"(\d+)", expand=False).astype(int) % 10 == 0]
    tpart = targets[targets["region_id"].isin(set(part["region_id"]))]
    tracemalloc.start()
    simulate_attainment(fit(part, "latest"), tpart, n_sims=n_sims, seed=0)
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


def _hook_rows(module: str, func: str) -> list[Row]:
    try:
        mod = importlib.import_module(module)
    except ImportError:
        return []
    fn = getattr(mod, func, None)
    if fn is None:
        return []
    try:
        return [(str(a), float(b), str(c)) for a, b, c in fn()]
    except Exception as exc:  # another stage's bench must not hide ours
        return [(f"{module}.{func}", float("nan"), f"failed: {type(exc).__name__}: {exc}")]


def bench_rows(n_sims: int = 10_000, scale: bool = True) -> list[Row]:
    """All measurements as (what, seconds, note)."""
    rows = _default_plans_rows(n_sims)
    if scale:
        rows += _scale_rows(n_sims)
    rows += _hook_rows("ontrack.briefing.bench", "bench_rows")
    rows += _hook_rows("ontrack.lab", "bench_lab")
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m ontrack.bench", description=__doc__.splitlines()[0])
    p.add_argument("--sims", type=int, default=10_000, help="draws (default 10000)")
    p.add_argument("--no-scale", action="store_true", help="skip the 3,000-region scale run")
    args = p.parse_args(argv)
    rows = bench_rows(args.sims, scale=not args.no_scale)
    df = pd.DataFrame(rows, columns=["what", "seconds", "note"])
    with pd.option_context("display.max_colwidth", 120, "display.width", 200):
        print(df.to_string(index=False, float_format=lambda x: f"{x:8.3f}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
