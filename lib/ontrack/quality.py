"""Data quality of the plan documents: do their numbers agree with each other?

:func:`check_targets` compares every value the parsers read (ontrack.plans) place by place:
township sums against county rows, 总计 columns against the years, body text against the
tables, units, names. Checks that pass are reported too (severity ``info``), so that a reader
sees what was checked; ``warning`` marks a discrepancy a reader must know about, ``error`` a
contradiction. Every finding cites both places and both values, and says what it found in plain
Chinese (``message``, in the style of a statistics office note) and in English (``message_en``).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from .plans._common import FINDING_COLUMNS, KEY, ParsedPlan, finding
from .registry import Registry

SEVERITIES = ("error", "warning", "info")
#: Severity labels for readers.
SEVERITY_LABELS: dict[str, tuple[str, str]] = {
    "error": ("错误", "error"),
    "warning": ("警告", "warning"),
    "info": ("信息", "info"),
}
#: Reader-facing labels of the checks: ``check`` id → (Chinese, English).
CHECK_LABELS: dict[str, tuple[str, str]] = {
    "total vs sum of years": ("合计与分年之和", "total vs sum of years"),
    "townships vs county": ("乡镇之和与全县", "townships vs county"),
    "same target in two places": ("同一目标两处数值", "same target in two places"),
    "body vs table sum": ("正文与附表分年合计", "body vs table sum"),
    "same numbers, different names": ("数值相同、名称不同", "same numbers, different names"),
    "unit inconsistency": ("计量单位不一致", "unit inconsistency"),
    "unit differs from the canonical unit": ("单位与规范单位不同", "unit differs from canonical"),
    "stock vs flow across plans": ("存量与增量口径不同", "stock vs flow across plans"),
    "assumed split adds up": ("假设分解的合计核对", "assumed split adds up"),
    "duplicate key": ("目标重复", "duplicate key"),
    "derived township totals": ("乡镇三年累计为推算", "derived township totals"),
    "attachment empty": ("附件为空表", "attachment empty"),
    "assumed yearly split": ("分年目标为假设", "assumed yearly split"),
}


def check_label(check: str, lang: str = "zh") -> str:
    """The reader-facing label of a check id (unknown ids are shown as themselves)."""
    zh, en = CHECK_LABELS.get(check, (check, check))
    return zh if lang == "zh" else en


def severity_label(severity: str, lang: str = "zh") -> str:
    zh, en = SEVERITY_LABELS.get(severity, (severity, severity))
    return zh if lang == "zh" else en


def _fmt(x: float) -> str:
    return f"{x:g}"


def _span(y0: int, y1: int) -> str:
    return str(y0) if y0 == y1 else f"{y0}–{y1}"


def _period_zh(y0: int, y1: int, measure: str = "flow") -> str:
    """2025年; 2025—2027年累计 (a flow); 至2027年末 (a stock)."""
    if y0 == y1:
        return f"{y0}年"
    return f"至{y1}年末" if measure == "stock" else f"{y0}—{y1}年累计"


def _unit(ind: str, reg: Registry) -> str:
    return reg.unit(ind) or ""


def _num(x: float, ind: str, reg: Registry) -> str:
    """A value with the indicator's unit, Chinese style: 6000人, 70万平方米."""
    return f"{_fmt(x)}{_unit(ind, reg)}"


def _where(section: str) -> str:
    """A section in Chinese words: 附件1, 正文“一、目标要求”, 目标表 (a plan's targets sheet)."""
    s = str(section)
    if s.startswith("附件"):
        return s.split()[0]
    if s.startswith("targets sheet"):
        return "目标表"  # any plan's targets.csv/.xlsx, not only the city's
    return f"正文“{s.replace(' ', '')}”"


def _said(quote: str, section: str) -> str:
    """The document's own words of a quote ("一、目标要求: 累计…超5000人" → "累计…超5000人")."""
    q = str(quote or "")
    for prefix in (f"{section}: ", f"{section}:"):
        if q.startswith(prefix):
            return q[len(prefix) :].strip()
    return q.strip()


def _plan_zh(plan_id: str, reg: Registry) -> str:
    p = reg.plans.get(plan_id)
    return f"{reg.region_name(p.region_id)}计划" if p else plan_id


def _total_vs_years(plan: ParsedPlan, reg: Registry) -> list[dict]:
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
            head = (
                f"{_where(section)} {reg.region_name(region)} {reg.indicator_name(ind)}"
                f"（{_period_zh(years[0], years[-1])}）："
            )
            zh = (
                f"{head}合计{_num(tot.value, ind, reg)}，分年{parts} = {_fmt(s)}，两者一致。"
                if ok
                else f"{head}合计栏为{_num(tot.value, ind, reg)}，而分年{parts} = {_fmt(s)}，"
                "两者不符，需向发文单位核实。"
            )
            out.append(
                finding(
                    "info" if ok else "error",
                    plan.plan_id,
                    "total vs sum of years",
                    zh,
                    tot.place,
                    f"{plan.document} {section} {reg.region_name(region)} "
                    f"{reg.indicator_name(ind)} {_span(years[0], years[-1])} yearly",
                    tot.value,
                    s,
                    message_en=f"{section} {reg.region_name(region, 'en')} "
                    f"{reg.indicator_name(ind, 'en')}: total {_fmt(tot.value)} "
                    f"{'=' if ok else '≠'} {parts} = {_fmt(s)}",
                )
            )
    return out


def _townships_vs_county(plan: ParsedPlan, reg: Registry) -> list[dict]:
    """In each table (or targets sheet), the sum of the sub-regions' values against the parent
    region's row."""
    out = []
    v = plan.values
    tab = v[v.kind.isin(["table", "sheet"])]
    for section, t in tab.groupby("section", sort=False):
        present = set(t.region_id)
        for parent in sorted(present):
            kids = [c for c in reg.children(parent) if c in present]
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
                head = f"{_where(section)} {reg.indicator_name(ind)}（{_period_zh(y0, y1)}）："
                zh = (
                    f"{head}{len(kids)}个乡镇（街道）{parts} = {_fmt(s)}，"
                    f"与{reg.region_name(parent)}合计{_num(pv, ind, reg)}"
                    + ("一致。" if ok else "不符，需向发文单位核实。")
                )
                out.append(
                    finding(
                        "info" if ok else "error",
                        plan.plan_id,
                        "townships vs county",
                        zh,
                        f"{plan.document} {section} {_span(y0, y1)} {reg.indicator_name(ind)} "
                        f"sum of {len(kids)} townships",
                        p.place.iloc[0],
                        s,
                        pv,
                        message_en=f"{section} {_span(y0, y1)} {reg.indicator_name(ind, 'en')}: "
                        f"{len(kids)} townships {parts} = {_fmt(s)} {'=' if ok else '≠'} "
                        f"{reg.region_name(parent, 'en')} {_fmt(pv)}",
                    )
                )
    return out


def _same_key_places(plan: ParsedPlan, targets: pd.DataFrame, reg: Registry) -> list[dict]:
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
        ind = key[2]
        for _, other in g.iloc[1:].iterrows():
            if other.section == first.section:
                continue
            ok = abs(other.value - first.value) < 1e-9
            name = f"{reg.region_name(key[1])} {reg.indicator_name(ind)}"
            head = f"{name}（{_period_zh(key[3], key[4], first.measure)}）："
            name_en = (
                f"{reg.region_name(key[1], 'en')} {reg.indicator_name(ind, 'en')} "
                f"{_span(key[3], key[4])}"
            )
            a, b = _where(first.section), _where(other.section)
            if ok:
                zh = f"{head}{a}与{b}均为{_num(first.value, ind, reg)}，一致。"
                en = f"{name_en}: {first.section} and {other.section} agree ({_fmt(first.value)})"
            else:
                keep, keep_en = "", ""
                if kept is not None and key in kept.index:
                    kv = float(kept.loc[key])
                    src = a if abs(kv - first.value) < 1e-9 else b
                    keep = f"目标表采用{src}的{_num(kv, ind, reg)}。"
                    keep_en = f"; the targets table keeps {_fmt(kv)}"
                zh = (
                    f"{head}{a}为{_num(first.value, ind, reg)}，{b}为{_num(other.value, ind, reg)}"
                    f"（原文“{_said(other.quote, other.section)}”），两处不一致；{keep}"
                )
                en = (
                    f"{name_en}: {first.section} says {_fmt(first.value)} ({first.quote}) but "
                    f"{other.section} says {_fmt(other.value)} ({other.quote}){keep_en}"
                )
            out.append(
                finding(
                    "info" if ok else "warning",
                    plan.plan_id,
                    "same target in two places",
                    zh,
                    first.place,
                    other.place,
                    first.value,
                    other.value,
                    message_en=en,
                )
            )
    return out


def _body_vs_table_sum(plan: ParsedPlan, reg: Registry) -> list[dict]:
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
        ind = b.indicator_id
        for section, g in tab[
            (tab.region_id == b.region_id) & (tab.indicator_id == ind) & (tab.level == b.level)
        ].groupby("section", sort=False):
            g = g[g.year_start.isin(years)].sort_values("year_start")
            if list(g.year_start) != years:
                continue
            s = float(g.value.sum())
            parts = " + ".join(_fmt(x) for x in g.value)
            ok = abs(s - b.value) < 1e-9
            bw, tw = _where(b.section), _where(section)
            zh = (
                f"{reg.region_name(b.region_id)} {reg.indicator_name(ind)}"
                f"（{_period_zh(years[0], years[-1])}）：{bw}为{_num(b.value, ind, reg)}"
                f"（原文“{_said(b.quote, b.section)}”），{tw}分年合计{parts} = {_num(s, ind, reg)}"
            )
            en = (
                f"{reg.region_name(b.region_id, 'en')} {reg.indicator_name(ind, 'en')} "
                f"{_span(years[0], years[-1])}: {b.section} says {_fmt(b.value)} ({b.quote}); "
                f"{section} plans {parts} = {_fmt(s)}"
            )
            if ok:
                zh += "，一致。"
            else:
                zh += (
                    "，两处不一致（"
                    + (f"{tw}高于正文，若正文为下限则不矛盾" if s >= b.value else f"{tw}低于正文")
                    + f"）；目标表三年累计采用{bw}的{_num(b.value, ind, reg)}，"
                    + f"分年目标采用{tw}的数值。"
                )
                en += (
                    f". {'Consistent as a floor' if s >= b.value else 'Below the body'}"
                    f" but the numbers differ: the targets table keeps the body's "
                    f"{_fmt(b.value)} for the three years and the table's yearly values"
                )
            out.append(
                finding(
                    "info" if ok else "warning",
                    plan.plan_id,
                    "body vs table sum",
                    zh,
                    b.place,
                    f"{plan.document} {section} {reg.region_name(b.region_id)} "
                    f"{reg.indicator_name(ind)} {_span(years[0], years[-1])} sum",
                    b.value,
                    s,
                    message_en=en,
                )
            )
    return out


def _same_numbers_other_names(plan: ParsedPlan, reg: Registry) -> list[dict]:
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
            span = f"{years[0]}—{years[-1]}年" if len(years) > 1 else f"{years[0]}年"
            zh = (
                f"{reg.region_name(a[1])}：{_where(a[0])}“{reg.indicator_name(a[2])}”与"
                f"{_where(b[0])}“{reg.indicator_name(b[2])}”的{span}分年目标同为{nums}，"
                "数字相同而名称不同，是否为同一批孵化器需向发文单位核实；"
                "目标表按两个指标分别保留，请勿相加。"
            )
            out.append(
                finding(
                    "warning",
                    plan.plan_id,
                    "same numbers, different names",
                    zh,
                    series[a][1],
                    series[b][1],
                    nums,
                    nums,
                    message_en=f"{reg.region_name(a[1], 'en')}: {a[0]} gives "
                    f"{reg.indicator_name(a[2], 'en')} {nums} and {b[0]} gives "
                    f"{reg.indicator_name(b[2], 'en')} {nums}, the same numbers under different "
                    "names. Are they the same incubators? Both are kept as separate indicators "
                    f"({a[2]}, {b[2]}); do not add them up.",
                )
            )
    return out


def _units(plan: ParsedPlan, reg: Registry) -> list[dict]:
    """One indicator written in different units within a plan."""
    out = []
    v = plan.values[plan.values.unit_written.fillna("") != ""]
    for ind, g in v.groupby("indicator_id", sort=False):
        units = list(dict.fromkeys(g.unit_written))
        canonical = reg.unit(ind) or ""
        if len(units) > 1:
            a = g[g.unit_written == units[0]].iloc[0]
            b = g[g.unit_written == units[1]].iloc[0]
            out.append(
                finding(
                    "warning",
                    plan.plan_id,
                    "unit inconsistency",
                    f"“{reg.indicator_name(ind)}”计量单位不一致：{_where(a.section)}用“{units[0]}”，"
                    f"{_where(b.section)}用“{units[1]}”。按同一计数口径处理，"
                    f"目标表统一用“{canonical or units[0]}”。",
                    a.place,
                    b.place,
                    units[0],
                    units[1],
                    message_en=f"{reg.indicator_name(ind, 'en')} is counted in "
                    f"{' and '.join(units)}: {a.section} writes {units[0]}, {b.section} writes "
                    f"{units[1]}. Read as the same count; the targets table uses "
                    f"{canonical or units[0]}.",
                )
            )
        elif canonical and units[0] != canonical:
            a = g.iloc[0]
            out.append(
                finding(
                    "info",
                    plan.plan_id,
                    "unit differs from the canonical unit",
                    f"“{reg.indicator_name(ind)}”原文单位为“{units[0]}”，目标表统一用规范单位"
                    f"“{canonical}”（计数口径相同）。",
                    a.place,
                    "docs/data-contracts.md",
                    units[0],
                    canonical,
                    message_en=f"{reg.indicator_name(ind, 'en')} is written in {units[0]}; the "
                    f"targets table uses the canonical {canonical} (the same count).",
                )
            )
    return out


def _measures_across_plans(targets: pd.DataFrame, reg: Registry) -> list[dict]:
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
                f"“{reg.indicator_name(ind)}”在{_plan_zh(stock.plan_id, reg)}中"
                "是存量（期末达到的数量），"
                f"在{_plan_zh(flow.plan_id, reg)}中是增量（期内新增的数量），两者不能直接比较。",
                f"{stock.document} {stock.section}",
                f"{flow.document} {flow.section}",
                stock.value,
                flow.value,
                message_en=f"{reg.indicator_name(ind, 'en')} is a stock (level reached by the end) "
                f"in {stock.plan_id} but a flow (new within the years) in {flow.plan_id}: "
                "do not compare them directly.",
            )
        )
    return out


def _assumed_splits(targets: pd.DataFrame, reg: Registry) -> list[dict]:
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
        parts = " + ".join(_fmt(x) for x in g.sort_values("year_start").value)
        out.append(
            finding(
                "info" if ok else "error",
                plan,
                "assumed split adds up",
                f"{reg.region_name(region)} {reg.indicator_name(ind)}：假设的分年目标{parts} = "
                f"{_num(s, ind, reg)}，"
                + (
                    f"等于公布的三年累计目标{_num(t.value, ind, reg)}。"
                    if ok
                    else f"不等于公布的三年累计目标{_num(t.value, ind, reg)}。"
                ),
                f"{t.document} {t.section}",
                f"{t.document} {t.section} (assumed yearly split)",
                t.value,
                s,
                message_en=f"{reg.region_name(region, 'en')} "
                f"{reg.indicator_name(ind, 'en')}: assumed "
                f"yearly {parts} = {_fmt(s)} {'=' if ok else '≠'} published total "
                f"{_fmt(t.value)}",
            )
        )
    return out


def _duplicates(targets: pd.DataFrame, reg: Registry) -> list[dict]:
    dup = targets[targets.duplicated(KEY, keep=False)] if len(targets) else targets
    out = []
    for key, g in dup.groupby(KEY, sort=False):
        out.append(
            finding(
                "error",
                key[0],
                "duplicate key",
                f"目标表中有{len(g)}行是同一目标（"
                f"{reg.region_name(key[1])} {reg.indicator_name(key[2])}"
                f" {_period_zh(key[3], key[4])} {'高线' if key[5] == 'stretch' else '基准'}），"
                "应只有一行。",
                g.source.iloc[0],
                g.source.iloc[1],
                g.value.iloc[0],
                g.value.iloc[1],
                message_en=f"{len(g)} target rows share the key {key}",
            )
        )
    return out


def check_targets(
    targets: pd.DataFrame, documents: Sequence[ParsedPlan], reg: Registry
) -> pd.DataFrame:
    """Findings (FINDING_COLUMNS) on the targets table and the documents they were read from."""
    rows: list[dict] = []
    for plan in documents:
        rows += list(plan.notes)
        rows += _total_vs_years(plan, reg)
        rows += _townships_vs_county(plan, reg)
        rows += _same_key_places(plan, targets, reg)
        rows += _body_vs_table_sum(plan, reg)
        rows += _same_numbers_other_names(plan, reg)
        rows += _units(plan, reg)
    rows += _assumed_splits(targets, reg)
    rows += _measures_across_plans(targets, reg)
    rows += _duplicates(targets, reg)
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
    """The findings as a Markdown report in Chinese: counts, then one table per severity."""
    counts = findings.severity.value_counts()
    lines = [
        "# 规划文件数据质量报告",
        "",
        "逐一核对从规划文件中读取的每个数值与文件中其他位置的表述是否一致。"
        "“错误”：数字相互矛盾；“警告”：读者须知的不一致；“信息”：核对通过的项目或已说明的假设。",
        "",
        "| 级别 | 条数 |",
        "|---|---|",
        *[f"| {severity_label(s)} | {int(counts.get(s, 0))} |" for s in SEVERITIES],
        "",
    ]
    for sev in SEVERITIES:
        part = findings[findings.severity == sev]
        if part.empty:
            continue
        lines += [
            f"## {severity_label(sev)}（{len(part)}条）",
            "",
            "| 计划 | 检查项 | 说明 | 位置A | 位置B | 数值A | 数值B |",
            "|---|---|---|---|---|---|---|",
        ]
        for _, f in part.iterrows():
            cells = [
                f["plan_id"],
                check_label(str(f["check"])),
                f["message"],
                f["place_a"],
                f["place_b"],
                f["value_a"],
                f["value_b"],
            ]
            lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
        lines.append("")
    return "\n".join(lines)
