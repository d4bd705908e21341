# ruff: noqa: E501  (long Chinese/English sentences read better unbroken)
"""HTML tables and text sections of a briefing (escaped, styled by templates/briefing CSS).

Names come from the project's :class:`~ontrack.registry.Registry` (``reg``; an unknown id is
shown as itself), numbers from :mod:`.fmt` (the formatter the charts and sentences use too).
"""

from __future__ import annotations

import html
import json
import math
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from ..forecast.coverage import complete_years
from ..months import previous_month
from ..registry import Registry
from ..schema import TARGET_KEY
from .changes import PACE_WORDS, pace_direction, pending_targets
from .fmt import MARKED, fact_key, fmt_amount, fmt_count, fmt_num, fmt_pct, fmt_pp, mark, signed
from .narrative import (
    RAG_MEANING_EN,
    active_rows,
    biggest_risk,
    flagged,
    largest_change,
    month_label,
    period_label,
    rag_text,
    row_key,
)
from .palette import colour


class Html(str):
    """A piece of HTML that Jupyter displays as HTML (and nbconvert exports as such)."""

    def _repr_html_(self) -> str:
        return str(self)


def esc(x: Any) -> str:
    """HTML-escaped text; a figure marked as a fact (:func:`.fmt.mark`) becomes a
    ``<span data-key=… data-fact=…>``."""
    text = html.escape("" if x is None else str(x))
    if "\ue000" not in text:
        return text
    return MARKED.sub(r'<span data-key="\1" data-fact="\2">\3</span>', text)


def _t(lang: str, zh: str, en: str) -> str:
    return zh if lang == "zh" else en


def _is_true(v: Any) -> bool:
    if isinstance(v, str):
        return v.strip().lower() in ("true", "1", "yes")
    try:
        return bool(v) and not (isinstance(v, float) and math.isnan(v))
    except (TypeError, ValueError):
        return False


def _order(df: pd.DataFrame, reg: Registry) -> pd.DataFrame:
    ind_order = {k: i for i, k in enumerate(reg.indicators)}
    return (
        df.assign(
            _i=df["indicator_id"].map(ind_order).fillna(len(ind_order)),
            _multi=(df["year_end"] != df["year_start"]).astype(int),
            _lvl=(df["level"] != "baseline").astype(int),
        )
        .sort_values(["_i", "indicator_id", "_multi", "_lvl"], kind="stable")
        .drop(columns=["_i", "_multi", "_lvl"])
    )


def unit_of(
    indicator_id: str, targets: pd.DataFrame | None = None, reg: Registry | None = None
) -> str:
    """An indicator's unit: the registry's, else the unit its targets are written in."""
    unit = (reg or Registry()).unit(indicator_id)
    if unit:
        return unit
    if targets is not None and "unit" in targets:
        u = targets.loc[targets["indicator_id"] == indicator_id, "unit"]
        if not u.empty:
            return str(u.iloc[0])
    return ""


def rag_chip(rag: str, lang: str, key: str = "", field: str = "rag") -> str:
    """A status as a coloured chip ('黄 有风险'), marked as the fact ``field`` of ``key``."""
    label = rag_text(rag, lang)
    if key:
        label = mark(label, key, field)
    return f'<span class="rag rag-{esc(rag)}">{esc(label)}</span>'


def fold(content: str, what_zh: str, what_en: str, lang: str, name: str) -> Html:
    """A long reference section folded on a phone and open on a desktop and in print, without
    a script: a checkbox and its label (展开…) that only a phone's stylesheet shows; ``name``
    makes the checkbox's id unique on the page."""
    if not content:
        return Html("")
    summary = _t(lang, f"展开{what_zh}", f"Show {what_en}")
    box = f"fold-{name}"
    return Html(
        f'<div class="fold"><input type="checkbox" class="fold-toggle" id="{box}">'
        f'<label class="fold-label" for="{box}">{esc(summary)}</label>'
        f'<div class="fold-body">{content}</div></div>'
    )


def _cells(cells: list[str], head: list[str]) -> str:
    """Table cells with their column's header as ``data-label`` (the phone layout shows each
    row as a card, every value under its label)."""
    return "".join(f'<td data-label="{esc(h)}">{c}</td>' for c, h in zip(cells, head, strict=True))


#: a unit as a table's column or row label shows it in English (amounts say "14 added" without
#: a unit for a count: fmt.UNIT_EN)
UNIT_LABEL_EN = {"个": "number", "家": "number", "项": "number", "件": "number"}


def unit_label(unit: str, lang: str = "zh") -> str:
    """The unit as a reader reads it: as written in Chinese, in words in English (a count:
    number)."""
    if lang == "zh":
        return unit
    from .fmt import UNIT_EN

    return UNIT_LABEL_EN.get(unit) or UNIT_EN.get(unit, unit)


def unit_text(unit: str, lang: str = "zh") -> str:
    """The unit after an amount in a sentence: as written in Chinese; in English a count has
    none ("14 added"), other units in words."""
    if lang == "zh":
        return unit
    from .fmt import UNIT_EN

    return UNIT_EN.get(unit, unit)


def _assumed_tag(lang: str) -> str:
    """A visible 假设 marker beside a target that is an assumption (not in the plan)."""
    return (
        '<span class="assumed-tag" style="display:inline-block;margin-left:.25em;padding:0 .25em;'
        f"font-size:.8em;line-height:1.3;color:{colour('assumed')};background:{colour('assumed-bg')};"
        f"border:1px solid {colour('assumed-line')};"
        f'border-radius:3px;white-space:nowrap">{_t(lang, "假设", "assumed")}</span>'
    )


def illustrative_badge(lang: str) -> str:
    return f'<span class="demo-badge">{_t(lang, "示例数据", "示例数据 illustrative data")}</span>'


def _is_stock(r: pd.Series) -> bool:
    return str(r.get("measure", "flow")).strip().lower() == "stock"


def targets_table(
    att: pd.DataFrame,
    region: str,
    as_of: str,
    lang: str,
    targets: pd.DataFrame | None = None,
    reg: Registry | None = None,
    not_forecast: pd.DataFrame | None = None,
    suspect: set[tuple[str, str]] = frozenset(),
    scenario: bool = False,
) -> Html:
    """Every target of the region for the as-of year: actual to date, projection, p_meet,
    required monthly pace and RAG colour; a target without progress data says so instead, and
    one with years of its window without data (not_forecast.csv) says which."""
    reg = reg or Registry()
    nf: dict[tuple, str] = {}
    if not_forecast is not None and len(not_forecast):
        for _, x in not_forecast[not_forecast["region_id"] == region].iterrows():
            nf[tuple(str(x[c]) for c in TARGET_KEY)] = str(x["missing"])
    forecast = active_rows(att, region, as_of).assign(_pending=False)
    pending = pending_targets(att, targets, region, as_of).assign(_pending=True)
    parts = [df for df in (forecast, pending) if not df.empty]
    if not parts:
        return Html(f'<p class="note">{_t(lang, "暂无可评估的目标。", "No target to assess.")}</p>')
    rows = _order(pd.concat(parts, ignore_index=True), reg)
    done_h = _t(lang, f"已完成（截至{int(as_of[5:])}月）", f"Done to {month_label(as_of, 'en')}")
    head = [
        _t(lang, "指标（单位）", "Indicator (unit)"),
        _t(lang, "期间", "Period"),
        _t(lang, "档次", "Level"),
        _t(lang, "目标", "Target"),
        done_h,
        _t(lang, "完成率", "Share done"),
        _t(lang, "预计期末（80%区间）", "Projected (80% range)"),
        _t(lang, "情景完成概率", "Probability (scenario)")
        if scenario
        else _t(lang, "完成概率", "Probability"),
        _t(lang, "每月需完成", "Needed per month"),
        _t(lang, "状态", "Status"),
    ]
    any_assumed = False
    body = []
    for _, r in rows.iterrows():
        unit = unit_of(r["indicator_id"], targets, reg)
        nature = reg.nature(r["indicator_id"])
        name = reg.indicator_name(r["indicator_id"], lang)
        assumed = "assumed" in r and _is_true(r["assumed"])
        any_assumed |= assumed
        level = {"baseline": _t(lang, "基准", "baseline"), "stretch": _t(lang, "高线", "stretch")}
        head_cells = [
            f"<span class='ind'>{esc(name)}</span><span class='unit'>（{esc(unit_label(unit, lang))}）</span>"
            if unit_label(unit, lang)
            else f"<span class='ind'>{esc(name)}</span>",
            esc(period_label(int(r["year_start"]), int(r["year_end"]), lang)),
            esc(level.get(r["level"], r["level"])),
            esc(fmt_num(r["target"])) + (_assumed_tag(lang) if assumed else ""),
        ]
        if r["_pending"]:
            key = tuple(str(r[c]) for c in TARGET_KEY)
            if _is_stock(r):
                why = _t(lang, "存量目标，不作预测", "stock target, not forecast")
            elif key in nf:
                why = no_data_words(nf[key], lang)
            else:
                why = _t(lang, "尚无进度数据", "no progress data yet")
            cells = [*head_cells, "—", "—", "—", f'<span class="note">{esc(why)}</span>', "—", "—"]
            cls = "pending"
        else:
            key = row_key(r)
            head_cells[3] = esc(mark(fmt_num(r["target"]), key, "target")) + (
                _assumed_tag(lang) if assumed else ""
            )
            share = r["actual_to_date"] / r["target"] if r["target"] > 0 else float("nan")
            proj = (
                f'{esc(mark(fmt_amount(r["proj_p50"], nature), key, "proj_p50"))}<span class="range">'
                f"（{fmt_amount(r['proj_p10'], nature)}–{fmt_amount(r['proj_p90'], nature)}）</span>"
            )
            cells = [
                *head_cells,
                esc(mark(fmt_amount(r["actual_to_date"], nature), key, "actual")),
                esc(mark(fmt_pct(share), key, "share") if not math.isnan(share) else "—"),
                proj,
                f"<b>{esc(mark(fmt_pct(r['p_meet'], prob=True), key, 'p_meet'))}</b>",
                esc(mark(fmt_amount(r["required_per_month"], nature), key, "needed")),
                rag_chip(r["rag"], lang, key),
            ]
            if (r["region_id"], r["indicator_id"]) in suspect:
                # a value far beyond the targets (a unit slip?): the flag where the number is
                flag = _t(lang, "⚠ 含待核实数值", "⚠ holds a figure to check")
                cells[4] += f"<br><span class='rag rag-amber'>{esc(flag)}</span>"
                cells[5] = cells[6] = cells[7] = "—"
                cells[9] = (
                    f"<span class='note'>{_t(lang, '待核实，未评估', 'to be checked')}</span>"
                )
            if r["target"] == 0:  # nothing assigned (a township's 0 in the plan): no probability
                cells[7], cells[8] = "—", "—"
                cells[9] = (
                    f'<span class="note">{_t(lang, "本期无分配任务", "none assigned")}</span>'
                )
            cls = "stretch" if r["level"] == "stretch" else ""
        body.append(f'<tr class="{cls}">' + _cells(cells, head) + "</tr>")
    note = ""
    if any_assumed:
        note = _t(
            lang,
            f"<p class='note'>{_assumed_tag(lang)} 标注“假设”的年度目标不是计划原文：计划只给出三年累计目标，年度目标是本简报按比例分解得出的假设值，相应的完成率、概率和状态仅供参考；分解方法见“假设”一节。</p>",
            f"<p class='note'>{_assumed_tag(lang)} Yearly targets marked “assumed” are not in the plan, which gives three-year totals only: they are an assumed split, and the share done, probability and status of those rows are indicative only; see Assumptions.</p>",
        )
    if not pending.empty:
        n = len(pending)
        note += _t(
            lang,
            f"<p class='note'>另有{n}项目标尚无进度数据（或为存量目标），表中列出但未作评估。</p>",
            f"<p class='note'>{n} targets have no progress data yet (or are stock targets): listed, not assessed.</p>",
        )
    # narrow numeric columns: a minimum width so that a header breaks after 4 characters,
    # not after every second one (完成概率, 每月需完成)
    wide = {4: "4.2em", 5: "3.2em", 7: "4.2em", 8: "4.2em"}
    thead = "".join(
        f'<th style="min-width:{wide[i]}">{esc(h)}</th>' if i in wide else f"<th>{esc(h)}</th>"
        for i, h in enumerate(head)
    )
    return Html(
        f'<table class="targets cards"><thead><tr>{thead}</tr></thead><tbody>{"".join(body)}</tbody></table>{note}'
    )


EUROSTAT_ZH = {
    "on_track": "基本按期",
    "acceleration_needed": "需要加速",
    "limited": "进展有限",
    "limited_progress": "进展有限",
    "moving_away": "背离目标",
}
EUROSTAT_EN = {
    "on_track": "on track",
    "acceleration_needed": "acceleration needed",
    "limited": "limited progress",
    "limited_progress": "limited progress",
    "moving_away": "moving away",
}
SEASONAL_ZH = {
    "on_track": "正常",
    "ahead": "超前",
    "behind": "滞后",
    "green": "正常",
    "red": "滞后",
}


def verdicts_disagree(r: pd.Series) -> bool:
    """True when the simple verdicts (时间过半任务过半, Eurostat class) and the RAG disagree."""
    prob_ok = r["rag"] == "green"
    simple_ok = r["linear_pace"] == "ahead"
    if simple_ok != prob_ok:
        return True
    cls = r.get("eurostat_class")
    return isinstance(cls, str) and cls in EUROSTAT_ZH and (cls == "on_track") != prob_ok


def verdicts_table(
    att: pd.DataFrame, region: str, as_of: str, lang: str, reg: Registry | None = None
) -> Html:
    """The simple verdicts beside the probabilities, for the baseline targets where they disagree."""
    reg = reg or Registry()
    rows = _order(active_rows(att, region, as_of), reg)
    rows = rows[rows["level"] == "baseline"]
    if rows.empty:
        return Html("")
    dis = rows[rows.apply(verdicts_disagree, axis=1)]
    if dis.empty:
        return Html(
            "<p>"
            + _t(
                lang,
                "简单判断（时间过半任务过半、Eurostat分类）与概率判断一致。",
                "The simple verdicts (time-vs-share rule, Eurostat class) agree with the probabilities.",
            )
            + "</p>"
        )
    head = [
        _t(lang, "指标", "Indicator"),
        _t(lang, "期间", "Period"),
        _t(lang, "概率判断", "Probability"),
        _t(lang, "时间过半任务过半", "Time vs share"),
        _t(lang, "Eurostat分类", "Eurostat class"),
        _t(lang, "按季节规律推算", "Seasonal projection"),
        _t(lang, "为何不同", "Why they differ"),
    ]
    body = []
    for _, r in dis.iterrows():
        key = row_key(r)
        ahead = r["linear_pace"] == "ahead"
        share_done = r.get("share_done", r["actual_to_date"] / r["target"] if r["target"] else 1.0)
        share_time = r.get("share_time", float("nan"))
        lp = _t(lang, "超前" if ahead else "滞后", "ahead" if ahead else "behind")
        if isinstance(share_time, float) and not math.isnan(share_time):
            lp += _t(
                lang,
                f"（完成{mark(fmt_pct(share_done), key, 'share')}，"
                f"时间过{mark(fmt_pct(share_time), key, 'share_time')}）",
                f" ({mark(fmt_pct(share_done), key, 'share')} done, "
                f"{mark(fmt_pct(share_time), key, 'share_time')} of time)",
            )
        cls = r.get("eurostat_class")
        cls_s = (
            (EUROSTAT_ZH if lang == "zh" else EUROSTAT_EN).get(cls, cls)
            if isinstance(cls, str)
            else "—"
        )
        if ahead and r["rag"] != "green":
            why = _t(
                lang,
                "已完成的比例不低于已过的时间，但按月度规律和波动，剩余月份的增量仍可能不够。",
                "The share done keeps up with time, but at the usual monthly pattern the rest may fall short.",
            )
        elif not ahead and r["rag"] == "green":
            why = _t(
                lang,
                "进度慢于时间，但该指标通常在年底集中完成（年底冲刺），预计仍能完成。",
                "Behind the calendar, but this indicator usually completes late in the year.",
            )
        else:
            why = _t(
                lang,
                "Eurostat分类只看平均增速，不考虑季节规律和不确定性。",
                "The Eurostat class uses average growth only, without seasonality or uncertainty.",
            )
        sv, sp = r.get("seasonal_verdict"), r.get("seasonal_proj")
        seas = "—"
        if isinstance(sv, str):
            seas = _t(
                lang, "达标" if sv == "ahead" else "不达标", "meets" if sv == "ahead" else "short"
            )
            if isinstance(sp, int | float) and not math.isnan(sp):
                seas = _t(lang, f"期末约{fmt_num(sp)}，{seas}", f"about {fmt_num(sp)}, {seas}")
        cells = [
            esc(reg.indicator_name(r["indicator_id"], lang)),
            esc(period_label(int(r["year_start"]), int(r["year_end"]), lang)),
            f"{esc(mark(fmt_pct(r['p_meet'], prob=True), key, 'p_meet'))} "
            f"{rag_chip(r['rag'], lang, key)}",
            esc(lp),
            esc(cls_s),
            esc(seas),
            esc(why),
        ]
        body.append("<tr>" + _cells(cells, head) + "</tr>")
    thead = "".join(f"<th>{esc(h)}</th>" for h in head)
    return Html(
        f'<table class="verdicts cards"><thead><tr>{thead}</tr></thead><tbody>{"".join(body)}</tbody></table>'
    )


def scenario_section(
    scenario: str, meta: dict, n_sims: int, seed: int, lang: str, reg: Registry | None = None
) -> Html:
    """Which scenario the projections assume."""
    n = fmt_count(n_sims)
    # the seed is an audit detail (executed notebook, manifest), not a reader's
    sims = _t(lang, f"模拟{n}次。", f" {n} simulated paths.")
    if not scenario:
        text = _t(
            lang,
            "基准情景：按各地已有进度和月度规律外推，未叠加任何额外假设。",
            "Baseline: the progress so far and the usual monthly pattern, with no added assumptions.",
        )
        return Html(f"<p>{esc(text)}{esc(sims)}</p>")
    desc = next((meta[k] for k in ("description", "title", "name") if k in meta), "")
    items = [esc(x) for x in scenario_lines(meta, lang, reg)]
    name = scenario_name(scenario, meta)
    head = _t(lang, f"情景：{name}", f"Scenario: {name}")
    lis = "".join(f"<li>{i}</li>" for i in items)
    stop = _t(lang, "。", ". ")
    return Html(f"<p>{esc(head)}{stop}{esc(desc)}{esc(sims)}</p><ul class='scenario'>{lis}</ul>")


def _any(x: Any, names, lang: str, what: str) -> str:
    if x in (None, "*"):
        return (
            _t(lang, "全部指标", "all indicators")
            if what == "indicator"
            else _t(lang, "全部地区", "all regions")
        )
    return names(str(x), lang)


def scenario_lines(meta: dict, lang: str = "zh", reg: Registry | None = None) -> list[str]:
    """The scenario's rules in plain words (pace changes, pipeline projects, target overrides)."""
    reg = reg or Registry()
    out = []

    def names(r: dict) -> tuple[str, str]:
        return (
            _any(r.get("region"), reg.region_name, lang, "region"),
            _any(r.get("indicator"), reg.indicator_name, lang, "indicator"),
        )

    def pct(v: Any) -> str:
        return fmt_pct(float(v)) if isinstance(v, int | float) else str(v)

    for r in meta.get("pace") or []:
        if not isinstance(r, dict):
            continue
        region, ind = names(r)
        f = pct(r.get("factor", 1))
        stop = isinstance(r.get("factor"), int | float) and float(r["factor"]) == 0
        out.append(
            _t(
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
        amount = r.get("amount", "")
        amount = fmt_num(amount) if isinstance(amount, int | float) else str(amount)
        out.append(
            _t(
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
        lvl = {"stretch": _t(lang, "高线", "stretch")}.get(
            r.get("level"), _t(lang, "基准", "baseline")
        )
        value = r.get("value", "")
        value = fmt_num(value) if isinstance(value, int | float) else str(value)
        out.append(
            _t(
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


#: Column widths of the data-quality tables (the message gets the rest of the line).
_SMALL_WIDTHS = {"级别": "3.2em", "Level": "4.5em", "检查项": "6.5em", "Check": "8em",
                 "位置": "24%", "Where": "24%"}  # fmt: skip


def _small_table(df: pd.DataFrame, max_rows: int, lang: str) -> str:
    shown = df.head(max_rows)
    thead = "".join(
        f'<th style="width:{_SMALL_WIDTHS[c]}">{esc(c)}</th>'
        if c in _SMALL_WIDTHS
        else f"<th>{esc(c)}</th>"
        for c in shown.columns
    )
    labels = [str(c) for c in shown.columns]
    body = "".join(
        "<tr>" + _cells([esc("" if pd.isna(v) else v) for v in row], labels) + "</tr>"
        for row in shown.itertuples(index=False)
    )
    more = ""
    if len(df) > max_rows:
        more = _t(
            lang,
            f"<p class='note'>共{len(df)}条，仅显示前{max_rows}条。</p>",
            f"<p class='note'>{len(df)} rows, first {max_rows} shown.</p>",
        )
    return f'<table class="small cards"><thead><tr>{thead}</tr></thead><tbody>{body}</tbody></table>{more}'


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
        out[_t(lang, "级别", "Level")] = (
            df[sev]
            .astype(str)
            .str.lower()
            .map(lambda v: SEVERITY_ZH.get(v, v) if lang == "zh" else v)
        )
    if "check" in df and "severity" in df:  # the quality report's checks (not the cleaning log's)
        from ..quality import check_label

        out[_t(lang, "检查项", "Check")] = df["check"].map(
            lambda c: check_label(str(c), lang) if pd.notna(c) else ""
        )
    where_cols = [c for c in ("place_a", "file", "sheet", "cell") if c in df]
    if where_cols:
        out[_t(lang, "位置", "Where")] = df[where_cols].apply(
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
        out[_t(lang, "说明", "Message")] = msg
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
        parts.append(f"<h3>{_t(lang, zh, en)}</h3>")
        if rows.empty:
            parts.append(_t(lang, "<p>无警告或错误。</p>", "<p>No warnings or errors.</p>"))
        else:
            parts.append(_small_table(_readable(rows, lang), max_rows, lang))
        if info:
            parts.append(
                _t(
                    lang,
                    f"<p class='note'>另有{info}条一般信息记录未列出。</p>",
                    f"<p class='note'>{info} informational rows not listed.</p>",
                )
            )
    if not parts:
        return Html(
            "<p>"
            + _t(
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
) -> Html:
    """Assumptions: assumed (split) targets, methods used, illustrative data, and (given the
    plan's ``progress``) a season still the prior's when no region-year is complete."""
    reg = reg or Registry()
    items = []
    if illustrative:
        items.append(
            _t(
                lang,
                "本简报的进度数据为<b>示例数据</b>（非真实统计），仅用于演示分析方法。",
                "The progress figures are <b>illustrative (示例数据)</b>, not real statistics.",
            )
        )
    y = int(as_of[:4])
    sel = att["region_id"].isin(regions) & (att["year_start"] <= y) & (att["year_end"] >= y)
    if "assumed" in att:
        assumed = _order(att[sel & att["assumed"].map(_is_true)], reg)
        for _, r in assumed.iterrows():
            items.append(
                esc(
                    _t(
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
                _t(
                    lang,
                    "预测方法：按各地每月进度建立计数模型（考虑月度季节规律和年底集中完成），同一县（区）的乡镇合并估计、县级为各乡镇之和。",
                    "Forecast method: monthly count models with the seasonal pattern and the year-end rush; the townships of a county are estimated together, and the county is the sum of its townships.",
                )
                + _methods_note(methods, lang)
            )
    if progress is not None and complete_years(progress, as_of) == 0:
        items.append(
            _t(
                lang,
                "季节规律：本计划尚无完整一年的月度进度，各月占全年的比重暂按经验设定（1—2月春节淡季、"
                "年底集中完成），剩余月份的预测因此更不确定；如本地进度节奏不同，今年的完成概率仅供参考。",
                "Seasonal pattern: no complete year of monthly progress yet, so each month's share "
                "of the year is still the assumed one (a Spring-Festival lull in January–February, "
                "a year-end rush); the months to come are more uncertain, and where local progress "
                "follows another rhythm this year's probabilities are indicative only.",
            )
        )
    items.append(
        _t(
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
        bits.append(_t(lang, f"{meta['issued']}印发", f"issued {meta['issued']}"))
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
        return _t(
            lang,
            f"基准情景（按已有进度和月度规律外推，未叠加额外假设），模拟{n}次",
            f"baseline (progress so far and the usual monthly pattern, nothing added), {n} simulated paths",
        )
    name = scenario_name(scenario, meta)
    return _t(lang, f"情景“{name}”，模拟{n}次", f"scenario “{name}”, {n} simulated paths")


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
    rows = [(_t(lang, "来源", "Source"), plan_source(plan, reg, lang))]
    if "source" in targets:
        srcs = sorted(
            {str(s) for s in targets.loc[targets["region_id"] == region, "source"].dropna()}
        )
        if srcs:
            rows.append((_t(lang, "目标出处", "Targets from"), esc("；".join(srcs[:6]))))
    rows.append((_t(lang, "数据截至", "Data as of"), esc(month_label(as_of, lang))))
    now = now or datetime.now(timezone(timedelta(hours=8)))
    rows.append(
        (
            _t(lang, "生成时间", "Generated"),
            esc(now.strftime("%Y-%m-%d %H:%M") + _t(lang, "（北京时间）", " (Beijing time)")),
        )
    )
    rows.append((_t(lang, "预测设定", "Forecast"), esc(settings)))
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


# ---------------------------------------------------------------------------- what moved
RAG_WORD_ZH = {"green": "绿", "amber": "黄", "red": "红"}


def _name_period(r, lang: str, reg: Registry) -> str:
    return (
        f"<b>{esc(reg.indicator_name(r['indicator_id'], lang))}</b> "
        f"<span class='unit'>{esc(period_label(int(r['year_start']), int(r['year_end']), lang))}"
        + ("" if r["level"] == "baseline" else _t(lang, " 高线", " stretch"))
        + "</span>"
    )


def change_reasons(
    r, lang: str, reg: Registry, targets: pd.DataFrame | None = None, plan_row=None, key: str = ""
) -> list[str]:
    """Why a target's probability moved, from the data (see ontrack.briefing.changes): a changed
    target, a revised figure for last month, what the new reports added against what last
    month's forecast expected. When that points the other way from the change (more than
    expected, yet the probability fell), the reason that does move it is said: the plan's other
    regions (``plan_row``: the plan region's row of the same target, whose month shares the
    pace ratio), else the model's parameters estimated again on the new data."""
    nature = reg.nature(r["indicator_id"])
    unit = unit_of(r["indicator_id"], targets, reg)
    u = unit_text(unit, lang)
    sep = "" if lang == "zh" else " "

    def amt(x) -> str:
        return f"{fmt_amount(x, nature)}{sep}{u}".strip()

    out = []
    if not pd.isna(r["target_from"]):
        out.append(
            _t(
                lang,
                f"目标由{amt(r['target_from'])}调整为{amt(r['target'])}",
                f"target changed from {amt(r['target_from'])} to {amt(r['target'])}",
            )
        )
    if not pd.isna(r["revised_from"]):
        out.append(
            _t(
                lang,
                f"上月数据经修订：截至上月累计由{amt(r['revised_from'])}改为{amt(r['actual_prev'])}",
                f"last month's figure was revised: {amt(r['revised_from'])} to date became {amt(r['actual_prev'])}",
            )
        )
    added, expected = float(r["added"]), float(r["expected"])
    unreported = int(r.get("unreported", 0) or 0) if hasattr(r, "get") else 0
    reporters = int(r.get("reporters", 1) or 1) if hasattr(r, "get") else 1
    if unreported and unreported >= reporters:
        # nothing came in for the month: not "nothing added", not yet known (未报)
        out.append(
            _t(
                lang,
                "本月未报送数据，本月完成数尚不可知（按尚待报送计）",
                "no report for this month yet: what it added is not known (counted as still to come)",
            )
        )
        return out
    new = _t(lang, f"本月新增{amt(added)}", f"{amt(added)} added this month")
    if abs(added) < 1e-9:
        new = _t(lang, "本月无新增", "nothing added this month")
    if unreported:
        # part of the month is still to come: no comparison with last month's expectation
        out.append(
            _t(
                lang,
                f"已报部分{new[2:]}（{unreported}个下属区域本月未报，其数尚待报送）",
                f"{new} by those who reported ({unreported} of the sub-regions have not "
                "reported this month yet)",
            )
        )
        return out
    if pd.isna(expected):
        out.append(new)
        return out
    d = pace_direction(added, expected, nature)
    word = PACE_WORDS["zh" if lang == "zh" else "en"][d]
    if key:
        word = mark(word, key, "pace_dir")
    how = _t(lang, f"{word}上月预计", f"{word} last month's forecast") if d else word
    out.append(
        _t(lang, f"{new}，{how}（约{amt(expected)}）", f"{new}, {how} (about {amt(expected)})")
    )
    dp = int(r["delta_pp"])
    explained = not (pd.isna(r["target_from"]) and pd.isna(r["revised_from"]))
    if d and dp and (d > 0) != (dp > 0) and not explained:
        # the region's own month points one way, its probability the other: say what moved it
        up = dp > 0
        pd_ = 0
        if plan_row is not None:
            pd_ = pace_direction(float(plan_row["added"]), float(plan_row["expected"]), nature)
        if pd_ and (pd_ > 0) == up:
            out.append(
                _t(
                    lang,
                    f"概率仍{'上升' if up else '下降'}：全计划本月整体{'快于' if up else '慢于'}"
                    f"预计，各地区共同的进度比率随之{'上调' if up else '下调'}",
                    f"the probability {'rose' if up else 'fell'} all the same: the plan as a "
                    f"whole added {'more' if up else 'less'} than expected, and the pace its "
                    "regions share moved with it",
                )
            )
        else:
            out.append(
                _t(
                    lang,
                    f"概率仍{'上升' if up else '下降'}：来自按新数据重新估计的模型参数（季节规律、"
                    "各地区共同的进度比率），而非本月新增本身",
                    f"the probability {'rose' if up else 'fell'} all the same: the model's "
                    "parameters (the season, the pace the plan's regions share), estimated again "
                    "on the new data, moved it, not this month's figure itself",
                )
            )
    return out


def changes_section(
    changes: pd.DataFrame,
    as_of: str,
    lang: str,
    reg: Registry | None = None,
    targets: pd.DataFrame | None = None,
    min_pp: int = 1,
    plan_changes: pd.DataFrame | None = None,
    scenario: bool = False,
) -> Html:
    """较上月变化: a sentence counting what moved, then the targets whose probability moved by
    ``min_pp`` 百分点 or more, whose status changed or whose target was changed (目标调整),
    each with the change and why."""
    reg = reg or Registry()
    prev = month_label(previous_month(as_of), lang)
    if changes.empty:
        return Html(
            "<p class='note'>"
            + _t(
                lang,
                f"没有{prev}的预测可比较（{prev}之前尚无进度数据）。",
                f"There is no forecast as of {prev} to compare with (no progress data before it).",
            )
            + "</p>"
        )
    active = changes[changes["target"] > 0]
    up = int((active["delta_pp"] > 0).sum())
    down = int((active["delta_pp"] < 0).sum())
    status = active[active["rag_prev"] != active["rag_now"]]
    if lang == "zh":
        lead = f"与{prev}的预测相比，{len(active)}项目标中完成概率上升{up}项、下降{down}项"
        lead += f"，{len(status)}项状态改变。" if len(status) else "，状态均未改变。"
    else:
        n = len(active)
        lead = (
            f"Against the forecast as of {prev}, the probability rose for {up} and fell for "
            f"{down} of {n} target{'s' if n != 1 else ''}; "
            + (f"{len(status)} changed status." if len(status) else "none changed status.")
        )
    # a changed target (目标调整) is news whatever its probability did
    moved = active[
        (active["delta_pp"].abs() >= min_pp)
        | (active["rag_prev"] != active["rag_now"])
        | active["target_from"].notna()
    ]
    if moved.empty:
        return Html(f"<p>{esc(lead)}</p>")
    base = _t(lang, "（基准）", " (baseline)") if scenario else ""
    head = [
        _t(lang, "目标", "Target"),
        _t(lang, "上月", "Last month") + base,
        _t(lang, "本月", "This month") + base,
        _t(lang, "变化", "Change") + base,
        _t(lang, "原因", "Why"),
    ]
    body = []
    plan_rows = {}
    if plan_changes is not None and len(plan_changes):
        for _, p in plan_changes.iterrows():
            plan_rows[(p["indicator_id"], p["year_start"], p["year_end"], p["level"])] = p
    for _, r in moved.iterrows():
        plan_row = plan_rows.get((r["indicator_id"], r["year_start"], r["year_end"], r["level"]))
        key = row_key(r)
        change = esc(mark(fmt_pp(int(r["delta_pp"]), lang), key, "change_pp"))
        if r["rag_prev"] != r["rag_now"]:
            change += "<br>" + _t(
                lang,
                f"<span class='note'>状态{RAG_WORD_ZH.get(r['rag_prev'], r['rag_prev'])}→{RAG_WORD_ZH.get(r['rag_now'], r['rag_now'])}</span>",
                f"<span class='note'>status {RAG_MEANING_EN.get(r['rag_prev'], r['rag_prev'])} → {RAG_MEANING_EN.get(r['rag_now'], r['rag_now'])}</span>",
            )
        cls = "up" if r["delta_pp"] > 0 else ("down" if r["delta_pp"] < 0 else "")
        cells = [
            _name_period(r, lang, reg),
            esc(mark(fmt_pct(r["p_prev"], prob=True), key, "p_prev")),
            f"<b>{esc(mark(fmt_pct(r['p_now'], prob=True), key, 'p_now'))}</b>",
            f'<span class="delta {cls}">{change}</span>',
            esc(_t(lang, "；", "; ").join(change_reasons(r, lang, reg, targets, plan_row, key))),
        ]
        body.append("<tr>" + _cells(cells, head) + "</tr>")
    thead = "".join(f"<th>{esc(h)}</th>" for h in head)
    return Html(
        f"<p>{esc(lead)}</p><table class='changes cards'><thead><tr>{thead}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def slipping_section(
    short: pd.DataFrame,
    region: str,
    parent: str,
    lang: str,
    reg: Registry | None = None,
    top: int = 5,
    scenario: bool = False,
) -> Html:
    """Where it is slipping: for each of the plan region's yearly targets that is not green, the
    townships with the largest expected shortfall, ranked (this region marked)."""
    reg = reg or Registry()
    if short.empty:
        return Html(
            "<p>"
            + _t(
                lang,
                f"{reg.region_name(parent)}本年度的目标预计均能完成，或各乡镇（街道）均无缺口。",
                f"All of {reg.region_name(parent, 'en')}'s targets for the year are likely to be met, or no township falls short.",
            )
            + "</p>"
        )
    items = []
    for ind, g in short.groupby("indicator_id", sort=False):
        nature = reg.nature(ind)
        u = unit_text(unit_of(ind, None, reg), lang)
        sep = "" if lang == "zh" else " "
        c = g.iloc[0]
        name = reg.indicator_name(ind, lang)
        ck = fact_key(parent, ind, c["year"], c["year"], "baseline")
        cp = esc(mark(fmt_pct(c["county_p_meet"], prob=True), ck, "p_meet"))
        cs = esc(mark(fmt_amount(c["county_shortfall"], nature), ck, "short"))
        scen = _t(lang, "情景", "in the scenario, ") if scenario else ""
        head = _t(
            lang,
            f"<b>{esc(name)}</b>：{esc(reg.region_name(parent))}{scen}完成概率{cp}，"
            f"按中位预计差{cs}{esc(u)}。缺口主要在：",
            f"<b>{esc(name)}</b>: {scen}{esc(reg.region_name(parent, 'en'))} has a {cp} chance; "
            f"the median projection is {cs}{sep}{esc(u)} short. The shortfall lies mostly in:",
        )
        lis = []
        for _, r in g.head(top).iterrows():
            me = r["region_id"] == region
            nm = (
                reg.short_name(r["region_id"])
                if lang == "zh"
                else reg.region_name(r["region_id"], "en")
            )
            k = fact_key(r["region_id"], ind, r["year"], r["year"], "baseline")
            tg = mark(fmt_num(r["target"]), k, "target")
            pj = mark(fmt_amount(r["proj_p50"], nature), k, "proj_p50")
            sh = mark(fmt_amount(r["shortfall"], nature), k, "short")
            part = mark(fmt_pct(r["share"]), k, "short_share")
            txt = _t(
                lang,
                f"{nm}：目标{tg}，预计{pj}，差{sh}（占乡镇缺口合计{part}）",
                f"{nm}: target {tg}, projected {pj}, "
                f"short by {sh} ({part} of the townships' shortfall)",
            )
            lis.append(f"<li{' class=me' if me else ''}>{'▶ ' if me else ''}{esc(txt)}</li>")
        more = len(g) - top
        if more > 0:
            lis.append(
                "<li class='note'>"
                + _t(
                    lang,
                    f"另有{more}个乡镇（街道）有较小缺口",
                    f"{more} more with smaller shortfalls",
                )
                + "</li>"
            )
        items.append(f"<div class='slip'><p>{head}</p><ol>{''.join(lis)}</ol></div>")
    return Html("".join(items))


def no_data_words(missing: str, lang: str) -> str:
    """A target the data do not cover: which years have no data, never '0 achieved'."""
    m = str(missing or "").strip()
    return _t(
        lang,
        f"无数据（{m}），无法判断" if m else "无数据，无法判断",
        f"no data ({m}): cannot be assessed" if m else "no data: cannot be assessed",
    )


STATE_ZH = {"future": "未开始", "no_data": "尚无进度数据", "stock": "存量目标，不作预测"}
STATE_EN = {
    "future": "not started",
    "no_data": "no progress data yet",
    "stock": "stock target, not forecast",
}


def overview_section(
    ov: pd.DataFrame, as_of: str, lang: str, reg: Registry | None = None,
    targets: pd.DataFrame | None = None, scenario: bool = False,
) -> Html:  # fmt: skip
    """Every target of the region's plan rows across all years: one row per indicator and level,
    one column per period; closed periods met or not, the current ones' probability, future
    ones 未开始, stock targets as such, and those without progress data said so."""
    reg = reg or Registry()
    if ov.empty:
        return Html(
            f"<p class='note'>{_t(lang, '计划中没有本地区的目标。', 'The plan has no target for this region.')}</p>"
        )
    periods = sorted({(int(a), int(b)) for a, b in zip(ov["year_start"], ov["year_end"], strict=True)},
                     key=lambda p: (p[1] - p[0], p[0]))  # fmt: skip
    head = [_t(lang, "指标", "Indicator")] + [period_label(a, b, lang) for a, b in periods]
    ov = _order(ov, reg)
    body = []
    for (ind, lvl), g in ov.groupby(["indicator_id", "level"], sort=False):
        nature = reg.nature(ind)
        u = unit_label(unit_of(ind, targets, reg), lang)
        name = f"<b>{esc(reg.indicator_name(ind, lang))}</b>" + (
            f"<span class='unit'>（{esc(u)}）</span>" if u else ""
        )
        if lvl != "baseline":
            name += f" <span class='note'>{_t(lang, '高线', 'stretch')}</span>"
        cells = [name]
        by = {(int(r["year_start"]), int(r["year_end"])): r for _, r in g.iterrows()}
        for per in periods:
            r = by.get(per)
            if r is None:
                cells.append("<span class='note'>—</span>")
                continue
            val = f"<b>{esc(fmt_num(r['target']))}</b>"
            st = r["state"]
            if st == "closed":
                ok = bool(r["met"])
                word = _t(lang, "已完成" if ok else "未完成", "met" if ok else "missed")
                done = mark(fmt_amount(r["actual"], nature), row_key(r), "actual")
                val += (
                    f"<br><span class='state {'met' if ok else 'missed'}'>{esc(word)} "
                    f"{esc(done)}</span>"
                )
            elif st == "current":
                if float(r["target"]) == 0:
                    val += (
                        f"<br><span class='note'>{_t(lang, '无分配任务', 'none assigned')}</span>"
                    )
                else:
                    p = mark(fmt_pct(r["p_meet"], prob=True), row_key(r), "p_meet")
                    word = (
                        _t(lang, "情景概率", "P (scenario)") if scenario else _t(lang, "概率", "P")
                    )
                    val += f"<br><span class='rag rag-{esc(r['rag'])}'>{word} {esc(p)}</span>"
            elif st == "not_covered":
                val += (
                    "<br><span class='note'>" + esc(no_data_words(r["missing"], lang)) + "</span>"
                )
            else:
                val += f"<br><span class='note'>{esc((STATE_ZH if lang == 'zh' else STATE_EN)[st])}</span>"
            cells.append(val)
        body.append("<tr>" + _cells(cells, head) + "</tr>")
    thead = "".join(f"<th>{esc(h)}</th>" for h in head)
    y = int(as_of[:4])
    note = _t(
        lang,
        f"<p class='note'>{y}年以前的期间为最终结果（累计完成数），{y}年及跨年度目标为完成概率，以后年度尚未开始。</p>",
        f"<p class='note'>Periods before {y}: final outcome (amount achieved); {y} and multi-year windows: probability; later years: not started.</p>",
    )
    return Html(
        f"<table class='overview cards'><thead><tr>{thead}</tr></thead><tbody>{''.join(body)}</tbody></table>{note}"
    )


def scenario_compare_section(
    cmp: pd.DataFrame, lang: str, reg: Registry | None = None,
    targets: pd.DataFrame | None = None,
) -> Html:  # fmt: skip
    """Baseline and scenario side by side: target (an override shown as 32 → 28), probability
    under each, the change in 百分点, the median projections."""
    reg = reg or Registry()
    if cmp.empty:
        return Html(
            f"<p class='note'>{_t(lang, '没有可比较的基准预测。', 'No baseline forecast to compare with.')}</p>"
        )
    head = [
        _t(lang, "目标", "Target"),
        _t(lang, "目标值", "Value"),
        _t(lang, "基准概率", "Baseline"),
        _t(lang, "情景概率", "Scenario"),
        _t(lang, "变化（情景−基准）", "Change (scenario − baseline)"),
        _t(lang, "预计期末（基准→情景）", "Projected (baseline → scenario)"),
    ]
    body = []
    for _, r in _order(cmp, reg).iterrows():
        nature = reg.nature(r["indicator_id"])
        tgt = esc(fmt_num(r["target_base"]))
        if abs(r["target_scen"] - r["target_base"]) > 1e-9:
            tgt = f"{tgt} → <b>{esc(fmt_num(r['target_scen']))}</b> <span class='note'>{_t(lang, '情景调整', 'override')}</span>"
        cls = "up" if r["delta_pp"] > 0 else ("down" if r["delta_pp"] < 0 else "")
        key = row_key(r)
        chip_b = rag_chip(r["rag_base"], lang, key, "rag_base")
        cells = [
            _name_period(r, lang, reg),
            tgt,
            esc(mark(fmt_pct(r["p_base"], prob=True), key, "p_base")) + " " + chip_b,
            f"<b>{esc(mark(fmt_pct(r['p_scen'], prob=True), key, 'p_meet'))}</b> "
            + rag_chip(r["rag_scen"], lang, key),
            f'<span class="delta {cls}">'
            f"{esc(mark(fmt_pp(int(r['delta_pp']), lang), key, 'scen_pp'))}</span>",
            esc(f"{fmt_amount(r['proj_base'], nature)} → {fmt_amount(r['proj_scen'], nature)}"),
        ]
        body.append("<tr>" + _cells(cells, head) + "</tr>")
    thead = "".join(f"<th>{esc(h)}</th>" for h in head)
    return Html(
        f"<table class='compare cards'><thead><tr>{thead}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


# ---------------------------------------------------------------------------- 报送情况
def reporting_section(
    status: pd.DataFrame, as_of: str, lang: str, reg: Registry | None = None
) -> Html:
    """报送情况: a sentence counting the reports of the as-of month that are in and those that
    are not (未报, naming the offices), then, for the offices with a report missing, one row
    each and one column per indicator: 已报, or 未报 with the last month it reported
    (ontrack.progress.status). When every report is in, the sentence says so and that is all."""
    reg = reg or Registry()
    m = int(as_of[5:7])
    if status.empty:
        return Html(
            "<p class='note'>"
            + _t(lang, "没有需要报送的指标。", "No indicator is expected to be reported.")
            + "</p>"
        )
    inds = list(dict.fromkeys(status["indicator_id"]))
    order = {k: i for i, k in enumerate(reg.indicators)}
    inds.sort(key=lambda i: order.get(i, len(order)))
    missing = status[~status["reported"].astype(bool)]
    n, k = len(status), len(missing)
    zh = lang == "zh"
    sep, open_, close_ = ("、", "（", "）") if zh else ("; ", " (", ")")
    due = status.groupby("region_id", sort=False).size()
    by_office = list(missing.groupby("region_id", sort=False))
    # an office that sent nothing is named once, the others with what they left out
    silent = [reg.region_name(r, lang) for r, g in by_office if len(g) == due[r]]
    partial = [
        reg.region_name(r, lang)
        + open_
        + ("、" if zh else ", ").join(reg.indicator_name(i, lang) for i in g["indicator_id"])
        + close_
        for r, g in by_office
        if len(g) < due[r]
    ]
    parts = []
    if silent:
        parts.append(("全部未报：" if zh else "nothing from ") + sep.join(silent))
    if partial:
        parts.append(("部分未报：" if zh else "some missing from ") + sep.join(partial))
    who = ("；" if zh else "; ").join(parts)
    if zh:
        lead = f"{m}月应报{n}项（{status['region_id'].nunique()}个单位 × 指标），已报{n - k}项"
        lead += f"，未报{k}项：{who}。" if k else "，全部报齐。"
    else:
        lead = f"{n - k} of the {n} reports due for {month_label(as_of, 'en')} are in"
        lead += f"; missing: {who}." if k else ": all in."
    if not k:
        return Html(f"<p class='reporting-lead'>{esc(lead)}</p>")
    head = [_t(lang, "单位", "Office")] + [reg.indicator_name(i, lang) for i in inds]
    body = []
    late = set(missing["region_id"])
    for r, g in status[status["region_id"].isin(late)].groupby("region_id", sort=False):
        by = {x["indicator_id"]: x for _, x in g.iterrows()}
        cells = [f"<b>{esc(reg.region_name(r, lang))}</b>"]
        for i in inds:
            x = by.get(i)
            if x is None:
                cells.append("<span class='note'>—</span>")
                continue
            last = str(x["last_month"])
            day = int(x["through_day"] or 0)
            if bool(x["reported"]):
                word = _t(lang, "已报", "in") + (
                    _t(lang, f"（截至{day}日）", f" (to day {day})") if day else ""
                )
                cells.append(f"<span class='rep-ok'>{esc(word)}</span>")
            else:
                since = (
                    _t(lang, f"末次：{int(last[:4])}年{int(last[5:7])}月", f"last: {last}")
                    if last
                    else _t(lang, "从未报送", "never reported")
                )
                cells.append(
                    f"<span class='rag rag-red'>{_t(lang, '未报', 'missing')}</span>"
                    f"<br><span class='note'>{esc(since)}</span>"
                )
        body.append("<tr>" + _cells(cells, head) + "</tr>")
    thead = "".join(f"<th>{esc(h)}</th>" for h in head)
    return Html(
        f"<p class='reporting-lead'>{esc(lead)}</p>"
        f'<table class="reporting cards"><thead><tr>{thead}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


# ---------------------------------------------------------------------------- the top numbers
def kpi_strip(
    att: pd.DataFrame,
    changes: pd.DataFrame | None,
    status: pd.DataFrame | None,
    region: str,
    as_of: str,
    lang: str,
    reg: Registry | None = None,
    suspect: set[tuple[str, str]] = frozenset(),
    targets: pd.DataFrame | None = None,
    scenario: bool = False,
) -> Html:
    """The few numbers a reader takes in five seconds, in large type, above the headline
    sentence: how many of the year's baseline targets are at risk (amber or red, of those
    assessed), the one most at risk with what it needs each month, what moved most since last
    month, and the reports of the month in (报送). The same rows and rules as the headline
    (:mod:`.narrative`), so the two never disagree. In a scenario briefing (``scenario``) the
    first two are the scenario's and say so (情景), the change since last month the
    baseline's (基准)."""
    reg = reg or Registry()
    page = f"{region}|page"
    scen = _t(lang, "情景", "scenario") if scenario else ""
    basel = _t(lang, "基准", "baseline") if scenario else ""
    rows = active_rows(att, region, as_of)
    rows = rows.loc[~flagged(rows, suspect)]
    base = rows[(rows["level"] == "baseline") & (rows["target"] != 0)]
    boxes = []
    if len(base):
        risky = int(base["rag"].isin(["amber", "red"]).sum())
        red = int((base["rag"] == "red").sum())
        red_s = mark(str(red), page, "n_red")
        boxes.append(
            (
                "risk" if risky else "ok",
                "",
                mark(str(risky), page, "n_risk") + "/" + mark(str(len(base)), page, "n_assessed"),
                scen,
                _t(
                    lang,
                    f"项目标有风险（其中{red_s}项完成困难）" if risky else "项目标均预计能完成",
                    f"targets at risk ({red_s} unlikely)" if risky else "targets at risk: none",
                ),
            )
        )
    worst = biggest_risk(rows[rows["target"] != 0])
    if worst is not None:
        key = row_key(worst)
        nature = reg.nature(worst["indicator_id"])
        unit = unit_text(unit_of(worst["indicator_id"], targets, reg), lang)
        per = period_label(int(worst["year_start"]), int(worst["year_end"]), lang)
        need = mark(fmt_amount(worst["required_per_month"], nature), key, "needed")
        boxes.append(
            (
                "risk",
                key,
                mark(fmt_pct(worst["p_meet"], prob=True), key, "p_meet"),
                scen,
                _t(
                    lang,
                    f"{reg.indicator_name(worst['indicator_id'])}（{per}）完成概率；"
                    f"每月需完成{need}{unit}",
                    f"chance of {reg.indicator_name(worst['indicator_id'], lang)} ({per}); needs "
                    f"{need} {unit} a month".strip(),
                ),
            )
        )
    r = largest_change(changes, suspect)
    if r is not None:
        key = row_key(r)
        per = period_label(int(r["year_start"]), int(r["year_end"]), lang)
        d = int(r["delta_pp"])
        boxes.append(
            (
                "up" if d > 0 else "down",
                key,
                mark(signed(d), key, "change"),
                basel,
                _t(
                    lang,
                    f"个百分点：较上月变化最大的“{reg.indicator_name(r['indicator_id'])}”（{per}）",
                    f"percentage points: the largest change since last month, "
                    f"{reg.indicator_name(r['indicator_id'], lang)} ({per})",
                ),
            )
        )
    if status is not None and len(status):
        n, k = len(status), int((~status["reported"].astype(bool)).sum())
        boxes.append(
            (
                "risk" if k else "ok",
                "",
                mark(str(n - k), page, "reports_in") + "/" + mark(str(n), page, "reports_due"),
                "",
                _t(
                    lang,
                    f"{int(as_of[5:7])}月报送已到（{k}项未报）"
                    if k
                    else f"{int(as_of[5:7])}月报送已到齐",
                    f"reports in for {month_label(as_of, 'en')}" + (f" ({k} missing)" if k else ""),
                ),
            )
        )
    if not boxes:
        return Html("")
    cells = "".join(
        f'<div class="kpi kpi-{cls}"'
        + (f' data-key="{esc(key)}"' if key else "")
        + ">"
        + (
            f'<span class="kpi-tag {"base" if tag == basel else "scen"}">{esc(tag)}</span>'
            if tag
            else ""
        )
        + f'<span class="kpi-n">{esc(big)}</span><span class="kpi-l">{esc(label)}</span></div>'
        for cls, key, big, tag, label in boxes
    )
    return Html(f'<div class="kpis">{cells}</div>')
