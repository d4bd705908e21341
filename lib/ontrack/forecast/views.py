"""Tables and charts for notebook 03 (one call per cell; no I/O except :func:`load_inputs`).

Names come from the project's :class:`~ontrack.registry.Registry` (an unknown id is shown as
itself).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..project import Project, find_project
from ..registry import Registry
from ..schema import TARGET_KEY
from .model import Fitted, month_label

KEY = TARGET_KEY


def open_project(project: str = "") -> Project:
    """The notebook's project: the folder given, else the one found from the working folder."""
    return find_project(project or None)


def plan_or_default(project: Project, plan: str = "") -> str:
    """``plan``, or the project's first plan when empty."""
    return plan or project.default_plan()


def load_inputs(project: Project) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(progress, targets) from the project's data/processed (run `make data` first)."""
    from .store import load_inputs as _load

    return _load(project)


def model_summary(
    fitted: Fitted, targets: pd.DataFrame | None = None, plan: str | None = None
) -> pd.DataFrame:
    """What the fit learned per indicator: family, seasonal profile, dispersion, regions pooled.

    With ``targets`` and ``plan``: the plan's own fit (its peer group), the one its forecast
    uses, and what its regions share (the response to target growth, the yearly shock, the own
    drift, the spread between regions) and the median completion size (space).
    """
    params: dict = {}
    if targets is not None and plan is not None:
        from .simulate import plan_fit

        pf = plan_fit(fitted, targets, plan)
        if pf is not None:
            fitted, params = pf.fitted, pf.params
    rows = []
    for ind, p in sorted(fitted.pooled.items()):
        mine = [sp for (_, i), sp in params.items() if i == ind]
        sh = next((sp.shared for sp in mine if sp.shared is not None), None)
        rows.append(
            {
                "indicator": fitted.reg.indicator_name(ind, "en"),
                "family": p.family,
                "regions pooled": p.n_series,
                "Jan": p.season[0],
                "Feb": p.season[1],
                "Jun": p.season[5],
                "Nov": p.season[10],
                "Dec": p.season[11],
                "NB2 1/k": p.inv_k if p.nature == "count" else np.nan,
                "variance / mean": p.d_unit,
                "completion size (median)": float(np.median([sp.m for sp in mine]))
                if p.nature == "lumpy" and mine
                else np.nan,
                "response to target growth": sh.beta if sh else np.nan,
                "yearly shock (log sd)": sh.shock_sd if sh else np.nan,
                "own drift (log sd)": sh.drift_sd if sh else np.nan,
                "spread between regions (log sd)": sh.spread_sd if sh else np.nan,
            }
        )
    return pd.DataFrame(rows).round(3)


def _named(table: pd.DataFrame, plan: str, reg: Registry) -> pd.DataFrame:
    t = table[table["plan_id"] == plan].copy()
    t.insert(1, "region", t["region_id"].map(reg.region_name))
    t.insert(3, "indicator", t["indicator_id"].map(reg.indicator_name))
    return t


def attainment_view(table: pd.DataFrame, plan: str, reg: Registry) -> pd.DataFrame:
    """The plan's attainment rows with names, the probability and the interval."""
    t = _named(table, plan, reg)
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


def verdicts_view(table: pd.DataFrame, plan: str, reg: Registry) -> pd.DataFrame:
    """The probability beside the simple verdicts; ``disagree`` marks where they differ."""
    t = _named(table, plan, reg)
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


def compare_scenario(
    baseline: pd.DataFrame, scenario: pd.DataFrame, plan: str, reg: Registry
) -> pd.DataFrame:
    """Baseline and scenario side by side, rows the scenario changes first."""
    b = baseline[baseline["plan_id"] == plan]
    s = scenario[scenario["plan_id"] == plan]
    cols = ["target", "p_meet", "proj_p50", "rag"]
    m = b[KEY + cols].merge(s[KEY + cols], on=KEY, suffixes=("_baseline", "_scenario"))
    m["p_meet_change"] = m["p_meet_scenario"] - m["p_meet_baseline"]
    m["proj_p50_change"] = m["proj_p50_scenario"] - m["proj_p50_baseline"]
    m.insert(1, "region", m["region_id"].map(reg.region_name))
    m = m.assign(_moved=(m["p_meet_change"].abs() + m["proj_p50_change"].abs()) > 1e-9)
    m = m.sort_values(["_moved", "region_id", "indicator_id"], ascending=[False, True, True])
    return m.drop(columns=["_moved"]).reset_index(drop=True).round(3)


def plan_region(plan: str, reg: Registry) -> str:
    """The region a plan belongs to (plan.yml; the plan's id if the registry does not know it)."""
    return reg.plans[plan].region_id if plan in reg.plans else plan


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
