# ruff: noqa: E501  (long Chinese/English sentences read better unbroken)
"""The sections about the data and the method: the scenario's settings, data quality, the
assumptions, the footer's sources and settings and the audit cell (blocks from :mod:`.html`)."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from ..forecast.coverage import complete_years
from ..registry import Registry
from .fmt import fmt_count, fmt_num, fmt_pct
from .html import Html, any_text, esc, is_true, ordered, small_table, tr
from .narrative import (
    month_label,
    period_label,
)


def scenario_section(
    scenario: str, meta: dict, n_sims: int, seed: int, lang: str, reg: Registry | None = None
) -> Html:
    """Which scenario the projections assume."""
    n = fmt_count(n_sims)
    # the seed is an audit detail (executed notebook, manifest), not a reader's
    sims = tr(lang, f"模拟{n}次。", f" {n} simulated paths.")
    if not scenario:
        text = tr(
            lang,
            "基准情景：按各地已有进度和月度规律外推，未叠加任何额外假设。",
            "Baseline: the progress so far and the usual monthly pattern, with no added assumptions.",
        )
        return Html(f"<p>{esc(text)}{esc(sims)}</p>")
    desc = next((meta[k] for k in ("description", "title", "name") if k in meta), "")
    items = [esc(x) for x in scenario_lines(meta, lang, reg)]
    name = scenario_name(scenario, meta)
    head = tr(lang, f"情景：{name}", f"Scenario: {name}")
    lis = "".join(f"<li>{i}</li>" for i in items)
    stop = tr(lang, "。", ". ")
    return Html(f"<p>{esc(head)}{stop}{esc(desc)}{esc(sims)}</p><ul class='scenario'>{lis}</ul>")


def scenario_lines(meta: dict, lang: str = "zh", reg: Registry | None = None) -> list[str]:
    """The scenario's rules in plain words (pace changes, pipeline projects, target overrides)."""
    reg = reg or Registry()
    out = []

    def names(r: dict) -> tuple[str, str]:
        return (
            any_text(r.get("region"), reg.region_name, lang, "region"),
            any_text(r.get("indicator"), reg.indicator_name, lang, "indicator"),
        )

    def pct(v: Any) -> str:
        return fmt_pct(float(v)) if isinstance(v, int | float) else str(v)

    def num(v: Any) -> str:
        return fmt_num(v) if isinstance(v, int | float) else str(v)

    for r in meta.get("pace") or []:
        if not isinstance(r, dict):
            continue
        region, ind = names(r)
        f = pct(r.get("factor", 1))
        stop = isinstance(r.get("factor"), int | float) and float(r["factor"]) == 0
        out.append(
            tr(
                lang,
                f"节奏：{region}「{ind}」自{r.get('from', '')}起暂停（正常节奏的0%）"
                if stop
                else f"节奏：{region}「{ind}」自{r.get('from', '')}起按正常节奏的{f}推进",
                f"Pace: {region}, {ind}, stops from {r.get('from', '')}"
                if stop
                else f"Pace: {region}, {ind}, from {r.get('from', '')} at {f} of the usual pace",
            )
        )
    for r in meta.get("pipeline") or []:
        if not isinstance(r, dict):
            continue
        region, ind = names(r)
        p = pct(r.get("probability", 1))
        label = r.get("label", "")
        amount = num(r.get("amount", ""))
        out.append(
            tr(
                lang,
                f"项目：{label}（{region}「{ind}」）预计{r.get('month', '')}新增{amount}，把握{p}",
                f"Project: {label} ({region}, {ind}) adds {amount} in {r.get('month', '')}, probability {p}",
            )
        )
    for r in meta.get("targets") or []:
        if not isinstance(r, dict):
            continue
        region, ind = names(r)
        try:
            per = period_label(int(r.get("year_start")), int(r.get("year_end")), lang)
        except (TypeError, ValueError):
            per = ""
        lvl = {"stretch": tr(lang, "高线", "stretch")}.get(
            r.get("level"), tr(lang, "基准", "baseline")
        )
        value = num(r.get("value", ""))
        out.append(
            tr(
                lang,
                f"目标调整：{region}「{ind}」{per}{lvl}目标改为{value}",
                f"Target: {region}, {ind}, {per} {lvl} set to {value}",
            )
        )
    known = {"name", "description", "title", "pace", "pipeline", "targets"}
    for k, v in meta.items():
        if k not in known:
            out.append(
                f"{k}: {v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)}"[:300]
            )
    return out


def _for_region(df: pd.DataFrame, regions: list[str], plan: str) -> tuple[pd.DataFrame, int]:
    """Rows about these regions / this plan, warnings and errors first; info rows are counted
    but not listed."""
    if "region_id" in df:
        df = df[df["region_id"].isin(regions) | df["region_id"].isna()]
    if "plan_id" in df:
        df = df[(df["plan_id"] == plan) | df["plan_id"].isna()]
    sev = next((c for c in ("severity", "level") if c in df), None)
    if sev is None:
        return df, 0
    rank = df[sev].astype(str).str.lower().map({"error": 0, "warning": 1, "warn": 1}).fillna(2)
    info = int((rank == 2).sum())
    return df[rank < 2].assign(_r=rank[rank < 2]).sort_values("_r", kind="stable").drop(
        columns="_r"
    ), info


def _place(where: str, lang: str = "zh") -> str:
    """A place without the plan document's file name (the footer names the document) and a
    report's file without its folders (demo/pingyang/x.xlsx → x.xlsx); in Chinese, a line or
    row of a table as 第N行."""
    where = re.sub(r"^[\w.-]+\.txt\s+", "", where)
    where = re.sub(r"(?:[^\s/|]+/)+([^\s/|]+)", r"\1", where)
    if lang == "zh":
        where = re.sub(r"\b(?:line|row) (\d+)", r"第\1行", where)
    return where


SEVERITY_ZH = {"error": "错误", "warning": "警告", "warn": "警告", "flag": "警告", "info": "信息"}


def cleaning_flags(cleaning: pd.DataFrame, regions: list[str]) -> tuple[pd.DataFrame, int]:
    """The cleaning log's rows a briefing lists: warnings (level ``flag``) and errors about
    ``regions`` (a county's list holds its townships) or about no region in particular, errors
    first; and the number of other rows (notes), which are only counted."""
    df = cleaning
    if "region_id" in df:
        rid = df["region_id"].fillna("").astype(str).str.strip()
        df = df[(rid == "") | rid.isin(regions)]
    level = df["level"].astype(str).str.lower() if "level" in df else None
    if level is None:
        return df, 0
    rank = level.map({"error": 0, "flag": 1, "warning": 1, "warn": 1})
    shown = rank.notna()
    rows = df[shown].assign(_r=rank[shown]).sort_values("_r", kind="stable").drop(columns="_r")
    return rows, int((~shown).sum())


def _readable(df: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Level, where and what: the columns a reader needs from a quality report or cleaning log."""
    sev = next((c for c in ("severity", "level") if c in df), None)
    out = pd.DataFrame(index=df.index)
    if sev:
        out[tr(lang, "级别", "Level")] = (
            df[sev]
            .astype(str)
            .str.lower()
            .map(lambda v: SEVERITY_ZH.get(v, v) if lang == "zh" else v)
        )
    if "check" in df and "severity" in df:  # the quality report's checks (not the cleaning log's)
        from ..quality import check_label

        out[tr(lang, "检查项", "Check")] = df["check"].map(
            lambda c: check_label(str(c), lang) if pd.notna(c) else ""
        )
    where_cols = [c for c in ("place_a", "file", "sheet", "cell") if c in df]
    if where_cols:
        out[tr(lang, "位置", "Where")] = df[where_cols].apply(
            lambda r: _place(" ".join(str(v) for v in r if pd.notna(v) and str(v).strip()), lang),
            axis=1,
        )
    if "message" in df:
        msg = df["message"]
        if lang != "zh" and "message_en" in df:  # English text where the report has one
            en = df["message_en"]
            msg = en.where(en.notna() & (en.astype(str).str.strip() != ""), msg)
        elif lang == "zh":  # the places inside a message too: 第N行, not "line N"
            msg = msg.astype(str).str.replace(r"\b(?:line|row) (\d+)", r"第\1行", regex=True)
        out[tr(lang, "说明", "Message")] = msg
    return out if len(out.columns) > 1 else df


def quality_section(
    quality, cleaning, regions: list[str], lang: str, plan: str = "", max_rows: int = 10
) -> Html:
    """Data-quality notes: quality_report.csv and cleaning_log.csv rows (warnings and errors)
    for these regions and this plan; informational rows are only counted."""
    parts = []
    for df, zh, en in (
        (quality, "目标数据质量报告", "Targets quality report"),
        (cleaning, "进度数据清洗记录", "Progress cleaning log"),
    ):
        if df is None or df.empty:
            continue
        if df is cleaning:
            rows, info = cleaning_flags(df, regions)
        else:
            rows, info = _for_region(df, regions, plan)
        parts.append(f"<h3>{tr(lang, zh, en)}</h3>")
        if rows.empty:
            parts.append(tr(lang, "<p>无警告或错误。</p>", "<p>No warnings or errors.</p>"))
        else:
            parts.append(small_table(_readable(rows, lang), max_rows, lang))
        if info:
            parts.append(
                tr(
                    lang,
                    f"<p class='note'>另有{info}条一般信息记录未列出。</p>",
                    f"<p class='note'>{info} informational rows not listed.</p>",
                )
            )
    if not parts:
        return Html(
            "<p>"
            + tr(
                lang,
                "未找到数据质量报告和清洗记录。",
                "No quality report or cleaning log was found.",
            )
            + "</p>"
        )
    return Html("".join(parts))


def assumptions_section(
    att: pd.DataFrame,
    regions: list[str],
    as_of: str,
    lang: str,
    illustrative: bool,
    reg: Registry | None = None,
    progress: pd.DataFrame | None = None,
    project_years: int | None = None,
    other_plans: bool = False,
) -> Html:
    """Assumptions: assumed (split) targets, methods used, illustrative data, and (given the
    plan's ``progress``) a season still the prior's when no region-year is complete, or the
    project's other plans' when only those have complete years (``project_years``: complete
    region-years in the project's progress). ``other_plans``: the project's progress holds
    regions beyond the plan's, whose months inform the plan's season."""
    reg = reg or Registry()
    items = []
    if illustrative:
        items.append(
            tr(
                lang,
                "本简报的进度数据为<b>示例数据</b>（非真实统计），仅用于演示分析方法。",
                "The progress figures are <b>illustrative (示例数据)</b>, not real statistics.",
            )
        )
    y = int(as_of[:4])
    sel = att["region_id"].isin(regions) & (att["year_start"] <= y) & (att["year_end"] >= y)
    if "assumed" in att:
        assumed = ordered(att[sel & att["assumed"].map(is_true)], reg)
        for _, r in assumed.iterrows():
            items.append(
                esc(
                    tr(
                        lang,
                        f"{reg.region_name(r['region_id'])}“{reg.indicator_name(r['indicator_id'])}”"
                        f"{period_label(int(r['year_start']), int(r['year_end']))}目标{fmt_num(r['target'])}"
                        "为假设的年度分解值（计划只给出三年累计目标）。",
                        f"{reg.region_name(r['region_id'], 'en')}, "
                        f"{reg.indicator_name(r['indicator_id'], 'en')} "
                        f"{period_label(int(r['year_start']), int(r['year_end']), 'en')}: target "
                        f"{fmt_num(r['target'])} is an assumed yearly split of the three-year total.",
                    )
                )
            )
    if "method" in att:
        methods = sorted({str(m) for m in att.loc[sel, "method"].dropna()})
        if methods:
            items.append(
                tr(
                    lang,
                    "预测方法：按各地每月进度建立计数模型（考虑月度季节规律和年底集中完成），同一县（区）的乡镇合并估计、县级为各乡镇之和。"
                    + (
                        "各月季节规律以本计划进度为主，并参考本项目其他计划的进度。"
                        if other_plans
                        else ""
                    )
                    + "模拟中计入各地进度在年内中途停滞的可能，其频率按本计划以往完整年度的进度估计"
                    "（尚无完整年度时按经验值）。",
                    "Forecast method: monthly count models with the seasonal pattern and the year-end rush; the townships of a county are estimated together, and the county is the sum of its townships."
                    + (
                        " The monthly pattern leans on this plan's progress and on the project's other plans'."
                        if other_plans
                        else ""
                    )
                    + " The draws include the chance that a region's pace stalls for the rest of a"
                    " year, as often as the plan's past complete years show (before any, a usual rate).",
                )
                + _methods_note(methods, lang)
            )
    if progress is not None and complete_years(progress, as_of) == 0:
        if project_years:
            items.append(
                tr(
                    lang,
                    "季节规律：本计划尚无完整一年的月度进度，各月占全年的比重参照本项目其他计划的"
                    "月度进度估计，剩余月份的预测因此更不确定；如本地进度节奏与其他计划不同，"
                    "今年的完成概率仅供参考。",
                    "Seasonal pattern: this plan has no complete year of monthly progress yet, so "
                    "each month's share of the year is taken from the project's other plans; the "
                    "months to come are more uncertain, and where local progress follows another "
                    "rhythm this year's probabilities are indicative only.",
                )
            )
        else:
            items.append(
                tr(
                    lang,
                    "季节规律：本计划尚无完整一年的月度进度，各月占全年的比重暂按经验形状设定（1—2月春节淡季、"
                    "年底集中完成，其幅度按今年已报各月估计），剩余月份的预测因此更不确定；如本地进度节奏不同，"
                    "今年的完成概率仅供参考。",
                    "Seasonal pattern: no complete year of monthly progress yet, so each month's share "
                    "of the year follows the assumed shape (a Spring-Festival lull in January–February, "
                    "a year-end rush), its depth taken from this year's months so far; the months to "
                    "come are more uncertain, and where local progress follows another rhythm this "
                    "year's probabilities are indicative only.",
                )
            )
    items.append(
        tr(
            lang,
            "完成概率由模拟得出：绿色表示很可能完成，黄色表示有风险，红色表示按现有趋势难以完成。",
            "Probabilities come from simulated paths: green means likely to be met, amber at risk, red unlikely at the current trend.",
        )
    )
    return Html("<ul class='assumptions'>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>")


#: Model families of the forecast's method labels, in Chinese (longest names first).
METHOD_FAMILIES_ZH: dict[str, str] = {
    "compound-poisson-gamma": "复合泊松-伽马模型",
    "negbin2-gamma": "负二项-伽马模型",
    "poisson-gamma": "泊松-伽马模型",
    "negbin": "负二项模型",
    "poisson": "泊松模型",
}


#: The same families in English words (the labels themselves are technical codes).
METHOD_FAMILIES_EN: dict[str, str] = {
    "compound-poisson-gamma": "compound Poisson–gamma",
    "negbin2-gamma": "negative binomial–gamma",
    "poisson-gamma": "Poisson–gamma",
    "negbin": "negative binomial",
    "poisson": "Poisson",
}


def _methods_note(methods: list[str], lang: str) -> str:
    """The model families the method labels name, in words (the labels themselves are
    technical codes, kept in the forecast tables and the executed notebook)."""
    families = METHOD_FAMILIES_ZH if lang == "zh" else METHOD_FAMILIES_EN
    found: list[str] = []
    for m in methods:
        rest = m
        for code, word in families.items():
            if code in rest:
                rest = rest.replace(code, "")
                if word not in found:
                    found.append(word)
    if not found:
        return ""
    if lang != "zh":
        return f" <span class='note'>(models used: {esc(', '.join(found))})</span>"
    return f"<span class='note'>（所用模型：{esc('、'.join(found))}）</span>"


def plan_source(plan: str, reg: Registry, lang: str = "zh") -> str:
    """The plan document as a source line (HTML): 《name》（doc_no, issued）, address; from the
    plan's plan.yml (Plan.meta). A plan the registry does not know is shown by its id."""
    p = reg.plans.get(plan)
    if p is None:
        return f"《{esc(plan)}》"
    meta = p.meta or {}
    bits = [str(meta[k]) for k in ("doc_no",) if meta.get(k)]
    if meta.get("issued"):
        bits.append(tr(lang, f"{meta['issued']}印发", f"issued {meta['issued']}"))
    src = f"《{esc(p.name_zh)}》" + (f"（{esc('，'.join(bits))}）" if bits else "")
    if lang != "zh" and meta.get("name_en"):
        src = f"{esc(meta['name_en'])}: " + src
    if meta.get("source_url"):
        src += f"，{esc(meta['source_url'])}"
    return src


def settings_words(
    scenario: str, meta: dict, n_sims: int, lang: str = "zh", reg: Registry | None = None
) -> str:
    """The forecast's settings as a reader needs them, in plain words (no parameter names):
    '基准情景（未叠加额外假设），模拟10,000次' / a scenario's name."""
    n = fmt_count(n_sims)
    if not scenario:
        return tr(
            lang,
            f"基准情景（按已有进度和月度规律外推，未叠加额外假设），模拟{n}次",
            f"baseline (progress so far and the usual monthly pattern, nothing added), {n} simulated paths",
        )
    name = scenario_name(scenario, meta)
    return tr(lang, f"情景“{name}”，模拟{n}次", f"scenario “{name}”, {n} simulated paths")


def scenario_name(scenario: str, meta: dict) -> str:
    """A scenario's name for readers: its title or name, else the file's name without folders
    and extension."""
    for k in ("title", "name"):
        if isinstance(meta.get(k), str) and meta[k].strip():
            return meta[k].strip()
    return Path(scenario).stem


def footer_section(
    plan: str,
    region: str,
    as_of: str,
    targets: pd.DataFrame,
    settings: str,
    lang: str,
    now: datetime | None = None,
    reg: Registry | None = None,
) -> Html:
    """Sources (plan documents with 文号), data as-of, generation time (Beijing), the forecast's
    settings in plain words. Ids, paths, parameters and the code version are audit details:
    they are in the executed notebook and the manifest, not on a reader's page."""
    reg = reg or Registry()
    rows = [(tr(lang, "来源", "Source"), plan_source(plan, reg, lang))]
    if "source" in targets:
        srcs = sorted(
            {str(s) for s in targets.loc[targets["region_id"] == region, "source"].dropna()}
        )
        if srcs:
            rows.append((tr(lang, "目标出处", "Targets from"), esc("；".join(srcs[:6]))))
    rows.append((tr(lang, "数据截至", "Data as of"), esc(month_label(as_of, lang))))
    now = now or datetime.now(timezone(timedelta(hours=8)))
    rows.append(
        (
            tr(lang, "生成时间", "Generated"),
            esc(now.strftime("%Y-%m-%d %H:%M") + tr(lang, "（北京时间）", " (Beijing time)")),
        )
    )
    rows.append((tr(lang, "预测设定", "Forecast"), esc(settings)))
    body = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    return Html(f'<table class="footer">{body}</table>')


def audit_section(items: dict[str, Any]) -> Html:
    """Audit details for the executed notebook only (the cell is not exported to HTML/PDF):
    ids, parameters, forecast folder, input checksums, code version."""
    rows = "".join(
        f"<tr><th>{esc(k)}</th><td><code>{esc(v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, indent=1))}</code></td></tr>"
        for k, v in items.items()
    )
    return Html(f'<table class="audit">{rows}</table>')
