"""What moved and where: the numbers behind a briefing's 较上月变化, probability over the year,
where it is slipping, every target of the plan, and scenario against baseline.

Each function takes the forecast stage's tables (attainment, history: see
ontrack.forecast.store) and returns a plain DataFrame; :mod:`.tables` and :mod:`.charts` turn
them into HTML. Rules, so that they can be checked by hand:

* **Change since last month** (:func:`month_changes`): for each target of the region whose
  years include the as-of year, the forecast as of the previous month (history.csv: the same
  model on the data cut at that month) against this month's. ``delta_pp`` is the change of
  p_meet in 百分点, each probability first rounded to a whole percent as the tables show it
  (92% → 61% is −31). ``added`` is what the new reports added (running total now − running
  total at the previous month, both from today's data), ``expected`` what last month's forecast
  expected them to add (its median running total at the as-of month − the running total then).
  With last month's published tables (``previous``), ``revised_from`` is the running total they
  had for the previous month where today's data give another one (a revised figure), and
  ``target_from`` the target they had where it has changed (目标调整). ``unreported`` of the
  ``reporters`` (the region, or the townships summed into it) have sent nothing for the as-of
  month: what they did is not "nothing added" but not known yet (本月未报).
* **Where it is slipping** (:func:`shortfalls`): for each yearly baseline target of the plan's
  region in the as-of year, each township's expected shortfall max(target − median projection,
  0) (targets of 0 are left out), ranked; ``share`` is its part of the townships' summed
  shortfall.
* **The plan's targets** (:func:`plan_overview`): every target row of the region, by period:
  ``closed`` (the window ended before the as-of year: met or not from the attainment row),
  ``current`` (the window includes it: the probability), ``future`` (not started), ``stock``
  (a stock target, not forecast), ``no_data`` (no progress for it), ``not_covered`` (years of
  its window without data: not_forecast.csv, never 0 achieved).
* **Scenario against baseline** (:func:`scenario_vs_baseline`): the scenario's attainment rows
  against the baseline's as of the same month (history.csv's row for the as-of month).
"""

from __future__ import annotations

import math

import pandas as pd

from ..months import previous_month
from ..registry import Registry
from ..schema import TARGET_KEY
from .narrative import active_rows


def whole_pct(p: float) -> int:
    """A probability as the whole percent the tables show (half up): 0.615 → 62."""
    return int(float(p) * 100 + 0.5)


def delta_pp(p_from: float, p_to: float) -> int:
    """Change in 百分点 between two probabilities as shown (rounded first): 0.92 → 0.61 = −31."""
    return whole_pct(p_to) - whole_pct(p_from)


def _key(df: pd.DataFrame) -> list[tuple]:
    return [tuple(str(v) for v in row) for row in df[TARGET_KEY].itertuples(index=False)]


def _by_key(df: pd.DataFrame | None) -> dict[tuple, dict]:
    """Rows by their target key (a dict: tuples are not pandas indexers)."""
    if df is None or df.empty:
        return {}
    return dict(zip(_key(df), df.to_dict("records"), strict=True))


def pending_targets(
    att: pd.DataFrame, targets: pd.DataFrame | None, region: str, as_of: str
) -> pd.DataFrame:
    """The region's targets whose years include the as-of year but that have no attainment row
    (no progress yet for their indicator, or a stock target, which is not forecast)."""
    if targets is None or targets.empty:
        return pd.DataFrame(columns=[*TARGET_KEY, "value"])
    t = targets.rename(columns={"value": "target"}) if "target" not in targets else targets
    rows = active_rows(t, region, as_of)
    if rows.empty:
        return rows
    have = set(map(tuple, att[TARGET_KEY].astype(str).to_numpy())) if len(att) else set()
    key = rows[TARGET_KEY].astype(str).apply(tuple, axis=1)
    return rows[~key.isin(have)]


#: the words of a month's pace against last month's forecast, by direction
PACE_WORDS = {
    "zh": {1: "快于", -1: "慢于", 0: "与上月预计相当"},
    "en": {1: "more than", -1: "less than", 0: "as last month's forecast expected"},
}


def pace_direction(added: float, expected: float, nature: str) -> int:
    """+1 when a month added more than last month's forecast expected, -1 less, 0 about as
    much (within 5%, or half a unit for counts) or when nothing was expected."""
    if pd.isna(expected):
        return 0
    tol = max(0.05 * abs(expected), 1e-9 if nature not in ("count", "small_count") else 0.5)
    return 1 if added > expected + tol else (-1 if added < expected - tol else 0)


def month_changes(
    att: pd.DataFrame,
    history: pd.DataFrame | None,
    region: str,
    as_of: str,
    previous: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The region's targets of the as-of year with last month's and this month's forecast (see
    the module docstring); empty when history.csv has no row for the previous month. Sorted by
    the size of the change, status changes first."""
    cols = [*TARGET_KEY, "target", "p_prev", "p_now", "delta_pp", "rag_prev", "rag_now",
            "actual_prev", "added", "expected", "revised_from", "target_from", "unreported",
            "reporters"]  # fmt: skip
    now = active_rows(att, region, as_of)
    if history is None or history.empty or now.empty:
        return pd.DataFrame(columns=cols)
    prev_m = previous_month(as_of)
    h = history[(history["region_id"] == region) & (history["month"].astype(str) == prev_m)]
    if h.empty:
        return pd.DataFrame(columns=cols)
    h = _by_key(h)
    pub = _by_key(previous)
    rows = []
    for k, r in zip(_key(now), now.to_dict("records"), strict=True):
        if k not in h:
            continue
        p = h[k]
        added = float(r["actual_to_date"]) - float(p["actual_to_date"])
        nxt = p.get("next_p50")
        expected = (
            float(nxt) - float(p["actual_to_date"])
            if nxt is not None and not pd.isna(nxt)
            else float("nan")
        )
        revised_from = target_from = float("nan")
        if k in pub:
            q = pub[k]
            if not math.isclose(
                float(q["actual_to_date"]), float(p["actual_to_date"]), abs_tol=1e-9
            ):
                revised_from = float(q["actual_to_date"])
            if not math.isclose(float(q["target"]), float(r["target"]), abs_tol=1e-9):
                target_from = float(q["target"])
        rows.append(
            {
                **{c: r[c] for c in TARGET_KEY},
                "target": float(r["target"]),
                "p_prev": float(p["p_meet"]),
                "p_now": float(r["p_meet"]),
                "delta_pp": delta_pp(p["p_meet"], r["p_meet"]),
                "rag_prev": str(p["rag"]),
                "rag_now": str(r["rag"]),
                "actual_prev": float(p["actual_to_date"]),
                "added": added,
                "expected": expected,
                "revised_from": revised_from,
                "target_from": target_from,
                # offices (the region, or its townships) without data for the as-of month
                "unreported": int(r.get("unreported", 0) or 0),
                "reporters": int(r.get("reporters", 1) or 1),
            }
        )
    out = pd.DataFrame(rows, columns=cols)
    if out.empty:
        return out
    changed = (out["rag_prev"] != out["rag_now"]).astype(int)
    return (
        out.assign(_c=-changed, _d=-out["delta_pp"].abs())
        .sort_values(["_c", "_d"], kind="stable")
        .drop(columns=["_c", "_d"])
        .reset_index(drop=True)
    )


def probability_path(history: pd.DataFrame | None, region: str, as_of: str) -> pd.DataFrame:
    """p_meet by as-of month of the region's yearly baseline targets of the as-of year (target
    above 0): columns indicator_id, month, p_meet, target."""
    cols = ["indicator_id", "month", "p_meet", "target"]
    if history is None or history.empty:
        return pd.DataFrame(columns=cols)
    y = int(as_of[:4])
    h = history[
        (history["region_id"] == region)
        & (history["level"] == "baseline")
        & (history["year_start"] == y)
        & (history["year_end"] == y)
        & (history["target"] > 0)
        & (history["month"].astype(str) <= as_of)
    ]
    return h[cols].sort_values(["indicator_id", "month"]).reset_index(drop=True)


def shortfalls(att: pd.DataFrame, parent: str, as_of: str, reg: Registry) -> pd.DataFrame:
    """Townships' expected shortfalls against their yearly baseline targets of the as-of year,
    for the indicators where the plan's region itself is not green: columns indicator_id,
    region_id, target, proj_p50, shortfall, share, county_shortfall, county_p_meet; ranked by
    shortfall within each indicator (registry order)."""
    cols = ["indicator_id", "region_id", "target", "proj_p50", "shortfall", "share",
            "county_shortfall", "county_p_meet", "county_rag", "year"]  # fmt: skip
    y = int(as_of[:4])
    yearly = att[(att["level"] == "baseline") & (att["year_start"] == y) & (att["year_end"] == y)]
    county = yearly[yearly["region_id"] == parent]
    kids = set(reg.children(parent)) or (set(yearly["region_id"]) - {parent})
    out = []
    for _, c in county.iterrows():
        if c["rag"] == "green" or c["target"] <= 0:
            continue
        t = yearly[
            yearly["region_id"].isin(kids)
            & (yearly["indicator_id"] == c["indicator_id"])
            & (yearly["target"] > 0)
        ]
        gap = (t["target"] - t["proj_p50"]).clip(lower=0)
        total = float(gap.sum())
        for (_, r), g in zip(t.iterrows(), gap, strict=True):
            if g <= 0:
                continue
            out.append(
                dict(
                    indicator_id=c["indicator_id"],
                    region_id=r["region_id"],
                    target=float(r["target"]),
                    proj_p50=float(r["proj_p50"]),
                    shortfall=float(g),
                    share=float(g) / total if total > 0 else float("nan"),
                    county_shortfall=max(float(c["target"]) - float(c["proj_p50"]), 0.0),
                    county_p_meet=float(c["p_meet"]),
                    county_rag=str(c["rag"]),
                    year=y,
                )
            )
    df = pd.DataFrame(out, columns=cols)
    if df.empty:
        return df
    order = {k: i for i, k in enumerate(reg.indicators)}
    return (
        df.assign(_i=df["indicator_id"].map(order).fillna(len(order)))
        .sort_values(["_i", "indicator_id", "shortfall"], ascending=[True, True, False])
        .drop(columns="_i")
        .reset_index(drop=True)
    )


def _is_stock(v) -> bool:
    return str(v).strip().lower() == "stock"


def plan_overview(
    targets: pd.DataFrame,
    att: pd.DataFrame,
    region: str,
    as_of: str,
    not_forecast: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every target row of the region in the plan (all years), with its state as of the as-of
    month (see the module docstring): the key, target, state, met (closed windows), actual,
    p_meet and rag where forecast; ``missing`` (years without data, from not_forecast.csv) for
    a target the data do not cover."""
    cols = [*TARGET_KEY, "target", "state", "met", "actual", "p_meet", "rag", "stock",
            "missing"]  # fmt: skip
    if targets is None or targets.empty:
        return pd.DataFrame(columns=cols)
    t = targets[targets["region_id"] == region]
    y = int(as_of[:4])
    a = _by_key(att[att["region_id"] == region])
    nf = {} if not_forecast is None else _by_key(not_forecast[not_forecast["region_id"] == region])
    rows = []
    for k, r in zip(_key(t), t.to_dict("records"), strict=True):
        stock = _is_stock(r.get("measure", "flow"))
        ys, ye = int(r["year_start"]), int(r["year_end"])
        value = float(r["value"]) if "value" in r else float(r["target"])
        row = {c: r[c] for c in TARGET_KEY}
        row.update(target=value, met=None, actual=float("nan"), p_meet=float("nan"))
        row.update(rag="", stock=stock, missing=nf[k]["missing"] if k in nf else "")
        have = k in a
        if stock:
            row["state"] = "stock"
        elif ys > y:
            row["state"] = "future"
        elif k in nf:
            row["state"] = "not_covered"
        elif not have:
            row["state"] = "no_data"
        else:
            ar = a[k]
            row["actual"] = float(ar["actual_to_date"])
            row["p_meet"] = float(ar["p_meet"])
            row["rag"] = str(ar["rag"])
            if ye < y:
                row["state"] = "closed"
                row["met"] = bool(row["actual"] >= value - 1e-9)
            else:
                row["state"] = "current"
        rows.append(row)
    return pd.DataFrame(rows, columns=cols)


def scenario_vs_baseline(
    att: pd.DataFrame, history: pd.DataFrame | None, region: str, as_of: str
) -> pd.DataFrame:
    """The region's targets of the as-of year under the scenario against the baseline as of the
    same month: key, target_base, target_scen, p_base, p_scen, delta_pp, rag_base, rag_scen,
    proj_base, proj_scen; empty without a baseline row in history.csv."""
    cols = [*TARGET_KEY, "target_base", "target_scen", "p_base", "p_scen", "delta_pp",
            "rag_base", "rag_scen", "proj_base", "proj_scen"]  # fmt: skip
    now = active_rows(att, region, as_of)
    if history is None or history.empty or now.empty:
        return pd.DataFrame(columns=cols)
    h = history[(history["region_id"] == region) & (history["month"].astype(str) == as_of)]
    if h.empty:
        return pd.DataFrame(columns=cols)
    h = _by_key(h)
    rows = []
    for k, r in zip(_key(now), now.to_dict("records"), strict=True):
        if k not in h:
            continue
        b = h[k]
        rows.append(
            {
                **{c: r[c] for c in TARGET_KEY},
                "target_base": float(b["target"]),
                "target_scen": float(r["target"]),
                "p_base": float(b["p_meet"]),
                "p_scen": float(r["p_meet"]),
                "delta_pp": delta_pp(b["p_meet"], r["p_meet"]),
                "rag_base": str(b["rag"]),
                "rag_scen": str(r["rag"]),
                "proj_base": float(b["proj_p50"]),
                "proj_scen": float(r["proj_p50"]),
            }
        )
    return pd.DataFrame(rows, columns=cols)
