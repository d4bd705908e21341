"""The facts of one briefing page: every number, status and direction the page states, in one
long table (``key``, ``field``, ``value``, ``text``), computed from the forecast stage's tables.

The sections mark each figure they print with the fact it states (:func:`.fmt.mark`: on the
page a ``<span data-key=… data-fact=…>``), and a test reads the rendered page back in Chromium
and compares every marked figure with ``text`` here: the headline, the strip of figures at the
top, the tables, the township table and the charts' titles can then not say two things about
one target. ``key`` is a target (:func:`.fmt.fact_key`: region|indicator|years|level) or a
region's page (``<region>|page``) for the counts.

Fields of a target (the page's own forecast: the scenario's in a scenario briefing):

* ``target``, ``actual`` (to date), ``share`` (actual / target), ``share_time`` (of the
  window gone, as the simple verdict counts it), ``proj_p50`` (median
  projection), ``needed`` (per month still to come), ``pace`` (monthly average so far),
  ``p_meet`` and ``rag`` (status);
* since last month (the baseline's, as the 较上月变化 section): ``p_prev``, ``p_now``,
  ``change_pp`` and ``pace_dir`` (快于 / 慢于 / 与…相当: what the month added against what
  last month's forecast expected);
* in a scenario briefing, the baseline beside it: ``p_base``, ``rag_base`` and ``scen_pp``;
* of a township whose target the plan's region is expected to miss: ``short`` (target − median
  projection) and ``short_share`` (its part of the townships' summed shortfall).

Fields of a page: ``n_assessed`` (the year's baseline targets assessed), ``n_green``,
``n_amber``, ``n_red``, ``n_risk`` (amber or red), ``n_pending`` (no data yet),
``reports_due`` / ``reports_in`` (报送) and ``worst`` / ``moved`` (the key of the target most
at risk / that moved most).
"""

from __future__ import annotations

import pandas as pd

from ..progress.status import reporting_status
from ..registry import Registry
from . import changes as changes_mod
from .changes import pending_targets
from .fmt import fact_key, fmt_amount, fmt_num, fmt_pct, fmt_pp, signed
from .narrative import (
    RAG_ORDER,
    active_rows,
    biggest_risk,
    flagged,
    largest_change,
    rag_text,
    row_key,
    target_pace,
)

COLUMNS = ["key", "field", "value", "text"]


def page_facts(
    data,
    region: str,
    lang: str = "zh",
    suspect: set[tuple[str, str]] = frozenset(),
    month: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The facts of ``region``'s page of a plan's :class:`.data.BriefingData` (see the module
    docstring). ``month`` is the page's 较上月变化 table (the baseline's changes since last
    month, :func:`.changes.month_changes`); ``suspect`` the (region, indicator) whose figures
    are to be checked (not assessed)."""
    reg: Registry = data.reg
    as_of = data.as_of
    out: list[tuple[str, str, object, str]] = []

    def add(key: str, field: str, value, text: str) -> None:
        out.append((key, field, value, text))

    att = data.attainment
    for r in att.to_dict("records"):
        key = row_key(r)
        nature = reg.nature(r["indicator_id"])
        target, done = float(r["target"]), float(r["actual_to_date"])
        add(key, "target", target, fmt_num(target))
        add(key, "actual", done, fmt_amount(done, nature))
        if target > 0:
            add(key, "share", done / target, fmt_pct(done / target))
        add(key, "proj_p50", float(r["proj_p50"]), fmt_amount(r["proj_p50"], nature))
        if "share_time" in r and not pd.isna(r["share_time"]):
            add(key, "share_time", float(r["share_time"]), fmt_pct(r["share_time"]))
        add(key, "short", max(target - float(r["proj_p50"]), 0.0),
            fmt_amount(max(target - float(r["proj_p50"]), 0.0), nature))  # fmt: skip
        if target == 0:
            continue  # nothing assigned: no probability, pace or status
        _, need, pace = target_pace(r, as_of)
        add(key, "needed", need, fmt_amount(need, nature))
        add(key, "pace", pace, fmt_amount(pace, nature))
        add(key, "p_meet", float(r["p_meet"]), fmt_pct(r["p_meet"], prob=True))
        add(key, "rag", str(r["rag"]), rag_text(str(r["rag"]), lang))

    if month is not None and len(month):
        for r in month.to_dict("records"):
            key = row_key(r)
            add(key, "p_prev", float(r["p_prev"]), fmt_pct(r["p_prev"], prob=True))
            add(key, "p_now", float(r["p_now"]), fmt_pct(r["p_now"], prob=True))
            add(key, "change_pp", int(r["delta_pp"]), fmt_pp(int(r["delta_pp"]), lang))
            add(key, "change", int(r["delta_pp"]), signed(int(r["delta_pp"])))
            d = changes_mod.pace_direction(float(r["added"]), float(r["expected"]),
                               reg.nature(r["indicator_id"]))  # fmt: skip
            add(key, "pace_dir", d, changes_mod.PACE_WORDS["zh" if lang == "zh" else "en"][d])

    if data.scenario:
        cmp = changes_mod.scenario_vs_baseline(att, data.history, region, as_of)
        for r in cmp.to_dict("records"):
            key = row_key(r)
            add(key, "p_base", float(r["p_base"]), fmt_pct(r["p_base"], prob=True))
            add(key, "rag_base", str(r["rag_base"]), rag_text(str(r["rag_base"]), lang))
            add(key, "scen_pp", int(r["delta_pp"]), fmt_pp(int(r["delta_pp"]), lang))

    plan = reg.plans.get(data.plan)
    parent = plan.region_id if plan else (reg.parent(region) or region)
    short = changes_mod.shortfalls(att, parent, as_of, reg)
    for r in short.to_dict("records"):
        key = fact_key(r["region_id"], r["indicator_id"], r["year"], r["year"], "baseline")
        add(key, "short_share", float(r["share"]), fmt_pct(r["share"]))

    page = f"{region}|page"
    own = active_rows(att, region, as_of)
    own = own.loc[~flagged(own, suspect)]
    base = own[(own["level"] == "baseline") & (own["target"] != 0)]
    counts = {c: int((base["rag"] == c).sum()) for c in RAG_ORDER}
    add(page, "n_assessed", len(base), str(len(base)))
    for c in RAG_ORDER:
        add(page, f"n_{c}", counts[c], str(counts[c]))
    risk = counts["amber"] + counts["red"]
    add(page, "n_risk", risk, str(risk))
    stretch = own[own["level"] == "stretch"]
    if len(stretch):
        even = int((stretch["p_meet"] >= 0.5).sum())
        add(page, "n_stretch", len(stretch), str(len(stretch)))
        add(page, "n_stretch_even", even, str(even))
    pending = len(pending_targets(att, data.targets, region, as_of))
    add(page, "n_pending", pending, str(pending))
    worst = biggest_risk(own[own["target"] != 0])
    if worst is not None:
        add(page, "worst", row_key(worst), row_key(worst))
    moved = largest_change(month, suspect)
    if moved is not None:
        add(page, "moved", row_key(moved), row_key(moved))
    status = reporting_status(data.progress, data.targets, reg, region, as_of)
    if status is not None and len(status):
        due = len(status)
        got = int(status["reported"].astype(bool).sum())
        add(page, "reports_due", due, str(due))
        add(page, "reports_in", got, str(got))
    return pd.DataFrame(out, columns=COLUMNS)


def lookup(facts: pd.DataFrame) -> dict[tuple[str, str], str]:
    """(key, field) → text, to compare a page with."""
    return {(k, f): t for k, f, t in zip(facts["key"], facts["field"], facts["text"], strict=True)}
