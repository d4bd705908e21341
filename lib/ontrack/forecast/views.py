"""Tables and charts for notebook 03 (one call per cell; no I/O except :func:`load_inputs`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import paths
from ..errors import InputError
from ..fileio import read_csv
from ..registry import PLANS, indicator_name, region_name
from ..schema import TARGET_KEY
from .model import Fitted, month_label

KEY = TARGET_KEY


def load_inputs() -> tuple[pd.DataFrame, pd.DataFrame]:
    """(progress, targets) from data/processed (run `make data` first)."""
    for path, make in (
        (paths.PROGRESS_CSV, "ontrack ingest"),
        (paths.TARGETS_CSV, "ontrack targets"),
    ):
        if not path.exists():
            raise InputError(str(path), "not found", f"run `{make}` (or `make data`) first")
    return read_csv(paths.PROGRESS_CSV), read_csv(paths.TARGETS_CSV)


def model_summary(
    fitted: Fitted, targets: pd.DataFrame | None = None, plan: str | None = None
) -> pd.DataFrame:
    """What the fit learned per indicator: family, seasonal profile, dispersion, regions pooled.

    With ``targets`` and ``plan``: the plan's own fit (its peer group), the one its forecast uses.
    """
    if targets is not None and plan is not None:
        from .simulate import plan_fit

        pf = plan_fit(fitted, targets, plan)
        if pf is not None:
            fitted = pf.fitted
    rows = []
    for ind, p in sorted(fitted.pooled.items()):
        rows.append(
            {
                "indicator": indicator_name(ind, "en"),
                "family": p.family,
                "regions pooled": p.n_series,
                "Jan": p.season[0],
                "Feb": p.season[1],
                "Jun": p.season[5],
                "Nov": p.season[10],
                "Dec": p.season[11],
                "dispersion": p.phi
                if p.nature == "count"
                else (1.0 if p.nature == "small_count" else p.theta),
                "completion size (months of pace)": p.q if p.nature == "lumpy" else np.nan,
            }
        )
    return pd.DataFrame(rows).round(3)


def attainment_view(table: pd.DataFrame, plan: str) -> pd.DataFrame:
    """The plan's attainment rows with names, the probability and the interval."""
    t = table[table["plan_id"] == plan].copy()
    t.insert(1, "region", t["region_id"].map(region_name))
    t.insert(3, "indicator", t["indicator_id"].map(indicator_name))
    cols = [
        "region",
        "indicator",
        "year_start",
        "year_end",
        "level",
        "target",
        "actual_to_date",
        "p_meet",
        "proj_p10",
        "proj_p50",
        "proj_p90",
        "required_per_month",
        "rag",
        "method",
    ]
    return t[cols].reset_index(drop=True).round(3)


def verdicts_view(table: pd.DataFrame, plan: str) -> pd.DataFrame:
    """The probability beside the simple verdicts; ``disagree`` marks where they differ."""
    t = table[table["plan_id"] == plan].copy()
    t.insert(1, "region", t["region_id"].map(region_name))
    t.insert(3, "indicator", t["indicator_id"].map(indicator_name))
    model_says = np.where(t["p_meet"] >= 0.5, "ahead", "behind")
    t["disagree"] = (model_says != t["linear_pace"]) | (model_says != t["seasonal_verdict"])
    cols = [
        "region",
        "indicator",
        "year_start",
        "year_end",
        "level",
        "p_meet",
        "rag",
        "share_done",
        "share_time",
        "linear_pace",
        "seasonal_proj",
        "seasonal_verdict",
        "pace_ratio",
        "eurostat_class",
        "disagree",
    ]
    return t[cols].reset_index(drop=True).round(3)


def compare_scenario(baseline: pd.DataFrame, scenario: pd.DataFrame, plan: str) -> pd.DataFrame:
    """Baseline and scenario side by side, rows the scenario changes first."""
    b = baseline[baseline["plan_id"] == plan]
    s = scenario[scenario["plan_id"] == plan]
    cols = ["target", "p_meet", "proj_p50", "rag"]
    m = b[KEY + cols].merge(s[KEY + cols], on=KEY, suffixes=("_baseline", "_scenario"))
    m["p_meet_change"] = m["p_meet_scenario"] - m["p_meet_baseline"]
    m["proj_p50_change"] = m["proj_p50_scenario"] - m["proj_p50_baseline"]
    m.insert(1, "region", m["region_id"].map(region_name))
    m = m.assign(_moved=(m["p_meet_change"].abs() + m["proj_p50_change"].abs()) > 1e-9)
    m = m.sort_values(["_moved", "region_id", "indicator_id"], ascending=[False, True, True])
    return m.drop(columns=["_moved"]).reset_index(drop=True).round(3)


def plan_region(plan: str) -> str:
    """The region a plan belongs to (its id if the plan is unknown)."""
    return PLANS[plan].region_id if plan in PLANS else plan


def plot_fan(traj: pd.DataFrame, title: str = "", ax=None, label: str = "projection"):
    """Running total: actual, the 10–90% fan and median to December, and the target line."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3.5))
    x = np.arange(len(traj))
    ax.fill_between(x, traj["p10"], traj["p90"], alpha=0.25, label=f"{label} 10–90%")
    ax.plot(x, traj["p50"], lw=1.5, label=f"{label} median")
    ax.plot(x, traj["actual"], "k-o", ms=3, lw=1.5, label="actual")
    ax.axhline(traj["target"].iloc[0], color="tab:red", ls="--", lw=1, label="target")
    step = max(1, len(traj) // 12)
    ax.set_xticks(x[::step], traj["month"].iloc[::step], rotation=45, fontsize=8)
    ax.set_ylabel("running total")
    ax.set_title(title)
    ax.legend(fontsize=8, loc="upper left")
    return ax


def as_of_year(fitted: Fitted) -> int:
    """The year the forecast looks at first: the year of the month after as-of."""
    return int(month_label(fitted.as_of_idx + 1)[:4])
