"""What the index shows of each region's briefing: the counts of its targets by status, the one
most at risk, and the reports still missing for the month (报送情况), so that an official reading
the index knows where to look and whom to chase without opening every briefing.

:func:`region_summary` works on the forecast stage's tables (attainment.csv, not_forecast.csv)
and the project's targets and progress tables; ``ontrack render`` / ``render-all`` store it in
the manifest (per plan, ``summary``) and the index reads it from there.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..progress.status import reporting_status
from ..registry import Registry
from .narrative import active_rows, flagged


def suspect_series(cleaning: pd.DataFrame | None, reg: Registry) -> set[tuple[str, str]]:
    """(region, indicator) whose figures include a value flagged as far beyond the targets
    (cleaning log ``check`` magnitude: most likely 平方米 in a 万平方米 column), and every region
    they are summed into: a briefing shows the flag where the number is and never leads with
    such a target."""
    if cleaning is None or cleaning.empty or "check" not in cleaning.columns:
        return set()
    rows = cleaning[(cleaning["level"] == "flag") & (cleaning["check"] == "magnitude")]
    out: set[tuple[str, str]] = set()
    regions = rows["region_id"].fillna("").astype(str)
    for r, i in zip(regions, rows["indicator_id"].fillna("").astype(str), strict=True):
        if r and i:
            out |= {(x, i) for x in (r, *reg.ancestors(r))}
    return out


def region_summary(
    att: pd.DataFrame,
    not_forecast: pd.DataFrame | None,
    targets: pd.DataFrame,
    progress: pd.DataFrame,
    reg: Registry,
    region: str,
    as_of: str,
    suspect: set[tuple[str, str]] = frozenset(),
) -> dict[str, Any]:
    """For ``region`` as of ``as_of``: ``green`` / ``amber`` / ``red`` (its baseline targets of
    the as-of year with a target above 0, by status), ``no_data`` (those not forecast: years
    without data), ``worst`` (indicator, period and probability of the one most at risk, or
    None), ``due`` and ``missing`` (reports of the month expected and not in: offices × indicators)
    and ``missing_offices`` (their names)."""
    rows = active_rows(att, region, as_of)
    base = rows[(rows["level"] == "baseline") & (rows["target"] > 0)]
    doubt = flagged(base, suspect)
    out: dict[str, Any] = {"suspect": int(doubt.sum())}
    base = base.loc[~doubt]
    out.update({c: int((base["rag"] == c).sum()) for c in ("green", "amber", "red")})
    nf = 0
    if not_forecast is not None and len(not_forecast):
        y = int(as_of[:4])
        n = not_forecast[
            (not_forecast["region_id"] == region)
            & (not_forecast["level"] == "baseline")
            & (not_forecast["year_start"] <= y)
            & (not_forecast["year_end"] >= y)
        ]
        nf = len(n)
    out["no_data"] = nf
    risky = base[base["rag"].isin(["amber", "red"])].sort_values("p_meet", kind="stable")
    if len(risky):
        r = risky.iloc[0]
        ys, ye = int(r["year_start"]), int(r["year_end"])
        out["worst"] = {
            "indicator": reg.indicator_name(str(r["indicator_id"])),
            "period": f"{ys}年" if ys == ye else f"{ys}—{ye}年累计",
            "p_meet": float(r["p_meet"]),
        }
    else:
        out["worst"] = None
    st = reporting_status(progress, targets, reg, region, as_of)
    miss = st[~st["reported"].astype(bool)]
    out["due"] = len(st)
    out["missing"] = len(miss)
    out["missing_offices"] = [reg.region_name(r) for r in dict.fromkeys(miss["region_id"])]
    return out


def plan_summaries(
    project, plan: str, folder, regions: list[str], as_of: str
) -> dict[str, dict[str, Any]]:
    """:func:`region_summary` of each of ``regions`` from the plan's forecast folder (read
    through the table cache) and the project's tables."""
    from . import tablecache
    from .data import _forecast_files, _read_forecast, _read_optional, project_tables

    att, _, _, _, nf = tablecache.cached(
        "forecast", _forecast_files(folder), lambda: _read_forecast(folder)
    )
    att = att[att["plan_id"] == plan]
    nf = nf[nf["plan_id"] == plan] if len(nf) else nf
    progress, targets = project_tables(project)
    targets = targets[targets["plan_id"] == plan]
    reg = project.registry()
    suspect = suspect_series(_read_optional(project.cleaning_log_csv), reg)
    return {
        r: region_summary(att, nf, targets, progress, reg, r, as_of, suspect)
        for r in dict.fromkeys(regions)
    }
