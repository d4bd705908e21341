"""Rolling-origin backtest: does the probability beat the simple verdicts?

For every completed year Y in the progress data (December reported) and as-of months Y-03,
Y-06 and Y-09, the model is fitted on the progress up to the as-of month only, and every target
ending in Y (yearly targets of Y, and multi-year windows ending in Y) is forecast; the outcome is
the achieved total of the window. Scored:

* Brier score of ``p_meet`` (mean squared error of the probability against met = 1 / missed = 0);
* coverage of the 10–90% projection interval (should be near 80%);
* the same for the baselines: 时间过半任务过半 as a 0/1 probability, and the plain seasonal-share
  projection (actual / expected share done by now, the pooled seasonal profile) as a 0/1
  probability. Neither baseline has an interval (coverage shown as n/a).

``ontrack backtest`` prints the summary and writes it to the project's data/processed/backtest.csv,
with the per-target rows in backtest_detail.csv beside it; ``--progress`` / ``--targets``
(``--regions`` for parents) run it ad hoc on any data, as ``ontrack forecast`` does.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ..fileio import write_csv
from ..registry import Registry
from .model import fit, month_index
from .simulate import _actual, prepare_targets, series_params, simulate_attainment

ORIGIN_MONTHS = (3, 6, 9)
METHODS = ("model", "linear_pace", "seasonal_share")


def completed_years(progress: pd.DataFrame) -> list[int]:
    """Years whose December is in the data."""
    months = sorted(set(progress["month"].astype(str)))
    return sorted({int(m[:4]) for m in months if m.endswith("-12")})


def backtest(
    progress: pd.DataFrame,
    targets: pd.DataFrame,
    *,
    reg: Registry | None = None,
    origins: tuple[int, ...] = ORIGIN_MONTHS,
    n_sims: int = 4000,
    seed: int = 0,
) -> pd.DataFrame:
    """One row per (origin, target ending in a completed year) with forecasts and the outcome.

    ``reg`` gives the regions' parents and the indicators' natures (as for ``fit``)."""
    targets = prepare_targets(targets)
    years = completed_years(progress)
    rows = []
    for y in years:
        final = fit(progress, f"{y}-12", reg=reg)
        for mo in origins:
            as_of = f"{y}-{mo:02d}"
            if month_index(as_of) < month_index(min(progress["month"].astype(str))):
                continue
            t = targets[targets["year_end"] == y]
            if t.empty:
                continue
            fitted = fit(progress, as_of, reg=reg)
            # the priors see the whole targets table (the plan is known in advance), as in
            # `ontrack forecast`; only the targets ending in Y are scored
            params = series_params(fitted, targets)
            att = simulate_attainment(fitted, t, n_sims=n_sims, seed=seed, params=params)
            if att.empty:
                continue
            outcome, complete = [], []
            for r in att.itertuples():
                k = final.row(r.region_id, r.indicator_id)
                w0, w1 = r.year_start * 12, r.year_end * 12 + 11
                outcome.append(_actual(final, k, w0, w1) if k is not None else np.nan)
                complete.append(k is not None and final.series.loc[k, "last_idx"] >= w1)
            att = att.assign(outcome=outcome, complete=complete)
            att = att[att["complete"]].drop(columns="complete")
            rows.append(att)
    if not rows:
        raise InputError(
            "backtest",
            "no target ends in a completed year of the progress data",
            "progress through December of a year that has targets",
        )
    bt = pd.concat(rows, ignore_index=True)
    tol = 1e-9 * np.maximum(1.0, bt["target"].abs())
    bt["met"] = (bt["outcome"] >= bt["target"] - tol).astype(int)
    bt["decided"] = bt["actual_to_date"] >= bt["target"] - tol
    bt["p_model"] = bt["p_meet"]
    bt["p_linear_pace"] = (bt["linear_pace"] == "ahead").astype(float)
    bt["p_seasonal_share"] = (bt["seasonal_verdict"] == "ahead").astype(float)
    bt["covered"] = (bt["outcome"] >= bt["proj_p10"] - tol) & (
        bt["outcome"] <= bt["proj_p90"] + tol
    )
    bt["origin_month"] = bt["as_of"].str[5:7].astype(int)
    return bt


def summarize(bt: pd.DataFrame) -> pd.DataFrame:
    """Brier score and 10–90% coverage by method, over all rows and by as-of month.

    ``undecided`` restricts to targets not already met at the as-of month (the hard cases).
    """
    out = []
    groups = [("all", bt)] + [(f"as-of month {m:02d}", g) for m, g in bt.groupby("origin_month")]
    groups.append(("undecided", bt[~bt["decided"]]))
    for label, g in groups:
        if g.empty:
            continue
        for m in METHODS:
            p = g[f"p_{m}"].to_numpy(float)
            out.append(
                {
                    "subset": label,
                    "method": m,
                    "n": len(g),
                    "brier": float(np.mean((p - g["met"].to_numpy()) ** 2)),
                    "coverage_10_90": float(g["covered"].mean()) if m == "model" else np.nan,
                    "met_rate": float(g["met"].mean()),
                }
            )
    return pd.DataFrame(out)


def plot_backtest(summary: pd.DataFrame, ax=None):
    """Bar chart of Brier scores by subset and method (lower is better); returns the axes."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3.5))
    piv = summary.pivot(index="subset", columns="method", values="brier")
    piv = piv[[m for m in METHODS if m in piv.columns]]
    piv.plot.bar(ax=ax, rot=0)
    cov = summary[summary["method"] == "model"].set_index("subset")["coverage_10_90"]
    for i, s in enumerate(piv.index):
        if s in cov and np.isfinite(cov[s]):
            ax.annotate(
                f"cov {cov[s]:.0%}", (i, piv.loc[s].max()), ha="center", va="bottom", fontsize=8
            )
    ax.set_ylabel("Brier score (lower is better)")
    ax.set_xlabel("")
    ax.set_title("Rolling-origin backtest: model vs linear pace vs seasonal share")
    return ax


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--out",
        default=None,
        help="summary CSV (default: the project's data/processed/backtest.csv; per-target rows "
        "go to *_detail.csv beside it)",
    )
    p.add_argument("--sims", type=int, default=4000, help="draws per forecast")
    p.add_argument("--seed", type=int, default=0, help="random seed")
    adhoc = p.add_argument_group("ad hoc inputs (instead of the project's tables)")
    adhoc.add_argument("--progress", default=None, help="progress CSV")
    adhoc.add_argument("--targets", default=None, help="targets CSV")
    adhoc.add_argument(
        "--regions", default=None, help="regions CSV: region_id, parent_id (default: no parents)"
    )


def run(args: argparse.Namespace) -> int:
    from . import store as ft
    from .cli import adhoc_inputs

    if args.progress or args.targets or args.regions:
        reg, progress_path, targets_path, _ = adhoc_inputs(args)
        if not args.out:
            raise InputError("--out", "missing", "a CSV for the summary of an ad hoc backtest")
        out = Path(args.out)
    else:
        from ..project import find_project

        project = find_project(getattr(args, "project", None))
        reg = project.registry()
        progress_path, targets_path = project.progress_csv, project.targets_csv
        out = Path(args.out) if args.out else project.processed / "backtest.csv"
    progress = ft.read_progress_table(progress_path)
    targets = ft.read_targets_table(targets_path)
    bt = backtest(progress, targets, reg=reg, n_sims=args.sims, seed=args.seed)
    summary = summarize(bt)
    write_csv(summary, out)
    write_csv(bt, out.with_name(out.stem + "_detail.csv"))
    with pd.option_context("display.width", 120, "display.max_columns", 10):
        print(summary.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    print(f"wrote {out}")
    return 0
