"""Data quality of the plan documents: do their numbers agree with each other?

:func:`check_targets` compares every value the parsers read (ontrack.plans) place by place:
township sums against county rows, 总计 columns against the years, body text against the
tables, units, names. Checks that pass are reported too (severity ``info``), so that a reader
sees what was checked; ``warning`` marks a discrepancy a reader must know about, ``error`` a
contradiction. Every finding cites both places and both values.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from .plans._common import FINDING_COLUMNS, KEY, ParsedPlan, finding
from .registry import INDICATORS, children, indicator_name, region_name

SEVERITIES = ("error", "warning", "info")


def _fmt(x: float) -> str:
    return f"{x:g}"


def _span(y0: int, y1: int) -> str:
    return str(y0) if y0 == y1 else f"{y0}–{y1}"


def _total_vs_years(plan: ParsedPlan) -> list[dict]:
    """A section's multi-year value (总计) against the sum of its own yearly values."""
    out = []
    v = plan.values
    tab = v[v.kind.isin(["table", "sheet"]) & (v.measure == "flow")]
    for (section, region, ind, _level), g in tab.groupby(
        ["section", "region_id", "indicator_id", "level"], sort=False
    ):
        for _, tot in g[g.year_end > g.year_start].iterrows():
            years = range(int(tot.year_start), int(tot.year_end) + 1)
            yearly = g[(g.year_start == g.year_end) & g.year_start.isin(years)]
            if sorted(yearly.year_start) != list(years):
                continue
            parts = " + ".join(_fmt(x) for x in yearly.sort_values("year_start").value)
            s = float(yearly.value.sum())
            ok = abs(s - tot.value) < 1e-9
            out.append(
                finding(
                    "info" if ok else "error",
                    plan.plan_id,
                    "total vs sum of years",
                    f"{section} {region_name(region)} {indicator_name(ind)}: total "
                    f"{_fmt(tot.value)} {'=' if ok else '≠'} {parts} = {_fmt(s)}",
                    tot.place,
                    f"{plan.document} {section} {region_name(region)} "
                    f"{indicator_name(ind)} {_span(years[0], years[-1])} yearly",
                    tot.value,
                    s,
                )
            )
    return out


def _townships_vs_county(plan: ParsedPlan) -> list[dict]:
    """In each table, the sum of the sub-regions' values against the parent region's row."""
    out = []
    v = plan.values
    tab = v[v.kind == "table"]
    for section, t in tab.groupby("section", sort=False):
        present = set(t.region_id)
        for parent in sorted(present):
            kids = [c for c in children(parent) if c in present]
            if not kids:
                continue
            for (ind, y0, y1, _level), g in t.groupby(
                ["indicator_id", "year_start", "year_end", "level"], sort=False
            ):
                p = g[g.region_id == parent]
                k = g[g.region_id.isin(kids)]
                if p.empty or k.region_id.nunique() != len(kids):
                    continue
                pv = float(p.value.iloc[0])
                s = float(k.value.sum())
                ok = abs(s - pv) < 1e-9
                parts = "+".join(_fmt(x) for x in k.value)
                out.append(
                    finding(
                        "info" if ok else "error",
                        plan.plan_id,
                        "townships vs county",
                        f"{section} {_span(y0, y1)} {indicator_name(ind)}: {len(kids)} townships "
                        f"{parts} = {_fmt(s)} {'=' if ok else '≠'} {region_name(parent)} "
                        f"{_fmt(pv)}",
                        f"{plan.document} {section} {_span(y0, y1)} {indicator_name(ind)} "
                        f"sum of {len(kids)} townships",
                        p.place.iloc[0],
                        s,
                        pv,
                    )
                )
    return out


def _same_key_places(plan: ParsedPlan, targets: pd.DataFrame) -> list[dict]:
    """The same target (region, indicator, years, level) read in two places: equal values?"""
    out = []
    v = plan.values
    kept = (
        targets[targets.plan_id == plan.plan_id].set_index(KEY)["value"] if len(targets) else None
    )
    for key, g in v.groupby(KEY, sort=False):
        if g.section.nunique() < 2:
            continue
        first = g.iloc[0]
        for _, other in g.iloc[1:].iterrows():
            if other.section == first.section:
                continue
            ok = abs(other.value - first.value) < 1e-9
            name = f"{region_name(key[1])} {indicator_name(key[2])} {_span(key[3], key[4])}"
            if ok:
                msg = f"{name}: {first.section} and {other.section} agree ({_fmt(first.value)})"
            else:
                keep = ""
                if kept is not None and key in kept.index:
                    keep = f"; the targets table keeps {_fmt(float(kept.loc[key]))}"
                msg = (
                    f"{name}: {first.section} says {_fmt(first.value)} ({first.quote}) but "
                    f"{other.section} says {_fmt(other.value)} ({other.quote}){keep}"
                )
            out.append(
                finding(
                    "info" if ok else "warning",
                    plan.plan_id,
                    "same target in two places",
                    msg,
                    first.place,
                    other.place,
                    first.value,
                    other.value,
                )
            )
    return out


def _body_vs_table_sum(plan: ParsedPlan) -> list[dict]:
    """A multi-year body target against the sum of a table's yearly values (no table total)."""
    out = []
    v = plan.values
    body = v[(v.kind == "body") & (v.year_end > v.year_start) & (v.measure == "flow")]
    tab = v[(v.kind == "table") & (v.year_start == v.year_end)]
    for _, b in body.iterrows():
        same = v[(v.kind == "table") & (v[KEY].apply(tuple, axis=1) == tuple(b[k] for k in KEY))]
        if not same.empty:
            continue  # compared by _same_key_places
        years = list(range(int(b.year_start), int(b.year_end) + 1))
        for section, g in tab[
            (tab.region_id == b.region_id)
            & (tab.indicator_id == b.indicator_id)
            & (tab.level == b.level)
        ].groupby("section", sort=False):
            g = g[g.year_start.isin(years)].sort_values("year_start")
            if list(g.year_start) != years:
                continue
            s = float(g.value.sum())
            parts = " + ".join(_fmt(x) for x in g.value)
            ok = abs(s - b.value) < 1e-9
            msg = (
                f"{region_name(b.region_id)} {indicator_name(b.indicator_id)} "
                f"{_span(years[0], years[-1])}: {b.section} says {_fmt(b.value)} ({b.quote}); "
                f"{section} plans {parts} = {_fmt(s)}"
            )
            if not ok:
                msg += (
                    f". {'Consistent as a floor' if s >= b.value else 'Below the body'}"
                    f" but the numbers differ: the targets table keeps the body's "
                    f"{_fmt(b.value)} for the three years and the table's yearly values"
                )
            out.append(
                finding(
                    "info" if ok else "warning",
                    plan.plan_id,
                    "body vs table sum",
                    msg,
                    b.place,
                    f"{plan.document} {section} {region_name(b.region_id)} "
                    f"{indicator_name(b.indicator_id)} {_span(years[0], years[-1])} sum",
                    b.value,
                    s,
                )
            )
    return out


def _same_numbers_other_names(plan: ParsedPlan) -> list[dict]:
    """Two tables giving the same yearly series under different indicator names."""
    out = []
    v = plan.values
    tab = v[(v.kind == "table") & (v.year_start == v.year_end)]
    years = sorted(set(tab.year_start))
    series: dict[tuple, tuple] = {}
    for (section, region, ind), g in tab.groupby(
        ["section", "region_id", "indicator_id"], sort=False
    ):
        g = g.sort_values("year_start")
        if list(g.year_start) == years:
            series[(section, region, ind)] = (tuple(g.value), g.place.iloc[0])
    inds = {s: set(tab[tab.section == s].indicator_id) for s in set(tab.section)}
    keys = list(series)
    for i, a in enumerate(keys):
        for b in keys[i + 1 :]:
            if a[0] == b[0] or a[1] != b[1] or a[2] == b[2]:
                continue
            if series[a][0] != series[b][0] or a[2] in inds[b[0]] or b[2] in inds[a[0]]:
                continue
            nums = "/".join(_fmt(x) for x in series[a][0])
            out.append(
                finding(
                    "warning",
                    plan.plan_id,
                    "same numbers, different names",
                    f"{region_name(a[1])}: {a[0]} gives {indicator_name(a[2])} {nums} and {b[0]} "
                    f"gives {indicator_name(b[2])} {nums}, the same numbers under different names. "
                    "Are they the same incubators? Both are kept as separate indicators "
                    f"({a[2]}, {b[2]}); do not add them up.",
                    series[a][1],
                    series[b][1],
                    nums,
                    nums,
                )
            )
    return out


def _units(plan: ParsedPlan) -> list[dict]:
    """One indicator written in different units within a plan."""
    out = []
    v = plan.values[plan.values.unit_written.fillna("") != ""]
    for ind, g in v.groupby("indicator_id", sort=False):
        units = list(dict.fromkeys(g.unit_written))
        canonical = INDICATORS[ind].unit if ind in INDICATORS else ""
        if len(units) > 1:
            a = g[g.unit_written == units[0]].iloc[0]
            b = g[g.unit_written == units[1]].iloc[0]
            out.append(
                finding(
                    "warning",
                    plan.plan_id,
                    "unit inconsistency",
                    f"{indicator_name(ind)} is counted in {' and '.join(units)}: "
                    f"{a.section} writes {units[0]}, {b.section} writes {units[1]}. Read as the "
                    f"same count; the targets table uses {canonical or units[0]}.",
                    a.place,
                    b.place,
                    units[0],
                    units[1],
                )
            )
        elif canonical and units[0] != canonical:
            a = g.iloc[0]
            out.append(
                finding(
                    "info",
                    plan.plan_id,
                    "unit differs from the canonical unit",
                    f"{indicator_name(ind)} is written in {units[0]}; the targets table uses the "
                    f"canonical {canonical} (the same count).",
                    a.place,
                    "docs/data-contracts.md",
                    units[0],
                    canonical,
                )
            )
    return out


def _measures_across_plans(targets: pd.DataFrame) -> list[dict]:
    """An indicator that is a stock in one plan and a flow in another: not comparable."""
    out = []
    if "measure" not in targets or targets.empty:
        return out
    for ind, g in targets.groupby("indicator_id", sort=False):
        g = g.assign(span=g.year_end - g.year_start).sort_values("span", ascending=False)
        m = g.groupby("measure")
        if m.ngroups < 2:
            continue
        stock = g[g.measure == "stock"].iloc[0]
        flow = g[g.measure == "flow"].iloc[0]
        out.append(
            finding(
                "info",
                "",
                "stock vs flow across plans",
                f"{indicator_name(ind)} is a stock (level reached by the end) in "
                f"{stock.plan_id} but a flow (new within the years) in {flow.plan_id}: "
                "do not compare them directly.",
                f"{stock.document} {stock.section}",
                f"{flow.document} {flow.section}",
                stock.value,
                flow.value,
            )
        )
    return out


def _assumed_splits(targets: pd.DataFrame) -> list[dict]:
    """Assumed yearly rows must add up to the published total they split."""
    out = []
    if "assumed" not in targets or targets.empty:
        return out
    a = targets[targets.assumed.astype(bool)]
    for (plan, region, ind, level), g in a.groupby(
        ["plan_id", "region_id", "indicator_id", "level"], sort=False
    ):
        tot = targets[
            (targets.plan_id == plan)
            & (targets.region_id == region)
            & (targets.indicator_id == ind)
            & (targets.level == level)
            & (targets.year_end > targets.year_start)
        ]
        if tot.empty:
            continue
        t = tot.iloc[0]
        s = float(g.value.sum())
        ok = abs(s - t.value) < 1e-6
        out.append(
            finding(
                "info" if ok else "error",
                plan,
                "assumed split adds up",
                f"{region_name(region)} {indicator_name(ind)}: assumed yearly "
                f"{' + '.join(_fmt(x) for x in g.sort_values('year_start').value)} = {_fmt(s)} "
                f"{'=' if ok else '≠'} published total {_fmt(t.value)}",
                f"{t.document} {t.section}",
                f"{t.document} {t.section} (assumed yearly split)",
                t.value,
                s,
            )
        )
    return out


def _duplicates(targets: pd.DataFrame) -> list[dict]:
    dup = targets[targets.duplicated(KEY, keep=False)] if len(targets) else targets
    out = []
    for key, g in dup.groupby(KEY, sort=False):
        out.append(
            finding(
                "error",
                key[0],
                "duplicate key",
                f"{len(g)} target rows share the key {key}",
                g.source.iloc[0],
                g.source.iloc[1],
                g.value.iloc[0],
                g.value.iloc[1],
            )
        )
    return out


def check_targets(targets: pd.DataFrame, documents: Sequence[ParsedPlan] = ()) -> pd.DataFrame:
    """Findings (FINDING_COLUMNS) on the targets table and the documents they were read from."""
    rows: list[dict] = []
    for plan in documents:
        rows += list(plan.notes)
        rows += _total_vs_years(plan)
        rows += _townships_vs_county(plan)
        rows += _same_key_places(plan, targets)
        rows += _body_vs_table_sum(plan)
        rows += _same_numbers_other_names(plan)
        rows += _units(plan)
    rows += _assumed_splits(targets)
    rows += _measures_across_plans(targets)
    rows += _duplicates(targets)
    df = pd.DataFrame(rows, columns=FINDING_COLUMNS)
    df["severity"] = pd.Categorical(df.severity, categories=SEVERITIES, ordered=True)
    df = df.sort_values("severity", kind="stable").reset_index(drop=True)
    df["severity"] = df.severity.astype(str)
    return df


def plan_findings(findings: pd.DataFrame, plan: str) -> pd.DataFrame:
    """The findings about one plan (and those across plans), most severe first."""
    return findings[(findings.plan_id == plan) | (findings.plan_id == "")].reset_index(drop=True)


def _cell(x: object) -> str:
    if x is None or (isinstance(x, float) and pd.isna(x)):
        return ""
    if isinstance(x, float):
        x = _fmt(x)
    return str(x).replace("|", "\\|").replace("\n", " ")


def quality_markdown(findings: pd.DataFrame) -> str:
    """The findings as a Markdown report: counts, then one table per severity."""
    counts = findings.severity.value_counts()
    lines = [
        "# Data quality of the plan documents",
        "",
        "Every value read from the plans is compared with the other places that state it. "
        "`error`: a contradiction; `warning`: a discrepancy to know about; `info`: a check that "
        "passed or a documented assumption.",
        "",
        "| severity | findings |",
        "|---|---|",
        *[f"| {s} | {int(counts.get(s, 0))} |" for s in SEVERITIES],
        "",
    ]
    for sev in SEVERITIES:
        part = findings[findings.severity == sev]
        if part.empty:
            continue
        lines += [
            f"## {sev} ({len(part)})",
            "",
            "| plan | check | finding | place A | place B | value A | value B |",
            "|---|---|---|---|---|---|---|",
        ]
        for _, f in part.iterrows():
            lines.append(
                "| "
                + " | ".join(
                    _cell(f[c])
                    for c in [
                        "plan_id",
                        "check",
                        "message",
                        "place_a",
                        "place_b",
                        "value_a",
                        "value_b",
                    ]
                )
                + " |"
            )
        lines.append("")
    return "\n".join(lines)
