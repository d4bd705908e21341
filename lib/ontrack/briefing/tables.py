# ruff: noqa: E501  (long Chinese/English sentences read better unbroken)
"""The target tables of a briefing: the strip of top numbers, the overview, the targets and
verdicts tables and the scenario's comparison (names from the project's
:class:`~ontrack.registry.Registry`, numbers from :mod:`.fmt`, blocks from :mod:`.html`)."""

from __future__ import annotations

import math

import pandas as pd

from ..registry import Registry
from ..schema import TARGET_KEY
from .changes import pending_targets
from .fmt import fmt_amount, fmt_num, fmt_pct, fmt_pp, mark, signed
from .html import (
    Html,
    assumed_tag,
    esc,
    is_stock,
    is_true,
    name_period,
    ordered,
    rag_chip,
    td_cells,
    tr,
    unit_label,
    unit_of,
    unit_text,
)
from .narrative import (
    active_rows,
    biggest_risk,
    flagged,
    largest_change,
    month_label,
    period_label,
    row_key,
)


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
        return Html(f'<p class="note">{tr(lang, "暂无可评估的目标。", "No target to assess.")}</p>')
    rows = ordered(pd.concat(parts, ignore_index=True), reg)
    done_h = tr(lang, f"已完成（截至{int(as_of[5:])}月）", f"Done to {month_label(as_of, 'en')}")
    head = [
        tr(lang, "指标（单位）", "Indicator (unit)"),
        tr(lang, "期间", "Period"),
        tr(lang, "档次", "Level"),
        tr(lang, "目标", "Target"),
        done_h,
        tr(lang, "完成率", "Share done"),
        tr(lang, "预计期末（80%区间）", "Projected (80% range)"),
        tr(lang, "情景完成概率", "Probability (scenario)")
        if scenario
        else tr(lang, "完成概率", "Probability"),
        tr(lang, "每月需完成", "Needed per month"),
        tr(lang, "状态", "Status"),
    ]
    any_assumed = False
    body = []
    for _, r in rows.iterrows():
        unit = unit_of(r["indicator_id"], targets, reg)
        nature = reg.nature(r["indicator_id"])
        name = reg.indicator_name(r["indicator_id"], lang)
        assumed = "assumed" in r and is_true(r["assumed"])
        any_assumed |= assumed
        level = {"baseline": tr(lang, "基准", "baseline"), "stretch": tr(lang, "高线", "stretch")}
        head_cells = [
            f"<span class='ind'>{esc(name)}</span><span class='unit'>（{esc(unit_label(unit, lang))}）</span>"
            if unit_label(unit, lang)
            else f"<span class='ind'>{esc(name)}</span>",
            esc(period_label(int(r["year_start"]), int(r["year_end"]), lang)),
            esc(level.get(r["level"], r["level"])),
            esc(fmt_num(r["target"])) + (assumed_tag(lang) if assumed else ""),
        ]
        if r["_pending"]:
            key = tuple(str(r[c]) for c in TARGET_KEY)
            if is_stock(r):
                why = tr(lang, "存量目标，不作预测", "stock target, not forecast")
            elif key in nf:
                why = no_data_words(nf[key], lang)
            else:
                why = tr(lang, "尚无进度数据", "no progress data yet")
            cells = [*head_cells, "—", "—", "—", f'<span class="note">{esc(why)}</span>', "—", "—"]
            cls = "pending"
        else:
            key = row_key(r)
            head_cells[3] = esc(mark(fmt_num(r["target"]), key, "target")) + (
                assumed_tag(lang) if assumed else ""
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
                flag = tr(lang, "⚠ 含待核实数值", "⚠ holds a figure to check")
                cells[4] += f"<br><span class='rag rag-amber'>{esc(flag)}</span>"
                cells[5] = cells[6] = cells[7] = "—"
                cells[9] = (
                    f"<span class='note'>{tr(lang, '待核实，未评估', 'to be checked')}</span>"
                )
            if r["target"] == 0:  # nothing assigned (a township's 0 in the plan): no probability
                cells[7], cells[8] = "—", "—"
                cells[9] = (
                    f'<span class="note">{tr(lang, "本期无分配任务", "none assigned")}</span>'
                )
            cls = "stretch" if r["level"] == "stretch" else ""
        body.append(f'<tr class="{cls}">' + td_cells(cells, head) + "</tr>")
    note = ""
    if any_assumed:
        note = tr(
            lang,
            f"<p class='note'>{assumed_tag(lang)} 标注“假设”的年度目标不是计划原文：计划只给出三年累计目标，年度目标是本简报按比例分解得出的假设值，相应的完成率、概率和状态仅供参考；分解方法见“假设”一节。</p>",
            f"<p class='note'>{assumed_tag(lang)} Yearly targets marked “assumed” are not in the plan, which gives three-year totals only: they are an assumed split, and the share done, probability and status of those rows are indicative only; see Assumptions.</p>",
        )
    if not pending.empty:
        n = len(pending)
        note += tr(
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
    rows = ordered(active_rows(att, region, as_of), reg)
    rows = rows[rows["level"] == "baseline"]
    if rows.empty:
        return Html("")
    dis = rows[rows.apply(verdicts_disagree, axis=1)]
    if dis.empty:
        return Html(
            "<p>"
            + tr(
                lang,
                "简单判断（时间过半任务过半、Eurostat分类）与概率判断一致。",
                "The simple verdicts (time-vs-share rule, Eurostat class) agree with the probabilities.",
            )
            + "</p>"
        )
    head = [
        tr(lang, "指标", "Indicator"),
        tr(lang, "期间", "Period"),
        tr(lang, "概率判断", "Probability"),
        tr(lang, "时间过半任务过半", "Time vs share"),
        tr(lang, "Eurostat分类", "Eurostat class"),
        tr(lang, "按季节规律推算", "Seasonal projection"),
        tr(lang, "为何不同", "Why they differ"),
    ]
    body = []
    for _, r in dis.iterrows():
        key = row_key(r)
        ahead = r["linear_pace"] == "ahead"
        share_done = r.get("share_done", r["actual_to_date"] / r["target"] if r["target"] else 1.0)
        share_time = r.get("share_time", float("nan"))
        lp = tr(lang, "超前" if ahead else "滞后", "ahead" if ahead else "behind")
        if isinstance(share_time, float) and not math.isnan(share_time):
            lp += tr(
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
            why = tr(
                lang,
                "已完成的比例不低于已过的时间，但按月度规律和波动，剩余月份的增量仍可能不够。",
                "The share done keeps up with time, but at the usual monthly pattern the rest may fall short.",
            )
        elif not ahead and r["rag"] == "green":
            why = tr(
                lang,
                "进度慢于时间，但该指标通常在年底集中完成（年底冲刺），预计仍能完成。",
                "Behind the calendar, but this indicator usually completes late in the year.",
            )
        else:
            why = tr(
                lang,
                "Eurostat分类只看平均增速，不考虑季节规律和不确定性。",
                "The Eurostat class uses average growth only, without seasonality or uncertainty.",
            )
        sv, sp = r.get("seasonal_verdict"), r.get("seasonal_proj")
        seas = "—"
        if isinstance(sv, str):
            seas = tr(
                lang, "达标" if sv == "ahead" else "不达标", "meets" if sv == "ahead" else "short"
            )
            if isinstance(sp, int | float) and not math.isnan(sp):
                seas = tr(lang, f"期末约{fmt_num(sp)}，{seas}", f"about {fmt_num(sp)}, {seas}")
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
        body.append("<tr>" + td_cells(cells, head) + "</tr>")
    thead = "".join(f"<th>{esc(h)}</th>" for h in head)
    return Html(
        f'<table class="verdicts cards"><thead><tr>{thead}</tr></thead><tbody>{"".join(body)}</tbody></table>'
    )


def no_data_words(missing: str, lang: str) -> str:
    """A target the data do not cover: which years have no data, never '0 achieved'."""
    m = str(missing or "").strip()
    return tr(
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
            f"<p class='note'>{tr(lang, '计划中没有本地区的目标。', 'The plan has no target for this region.')}</p>"
        )
    periods = sorted({(int(a), int(b)) for a, b in zip(ov["year_start"], ov["year_end"], strict=True)},
                     key=lambda p: (p[1] - p[0], p[0]))  # fmt: skip
    head = [tr(lang, "指标", "Indicator")] + [period_label(a, b, lang) for a, b in periods]
    ov = ordered(ov, reg)
    body = []
    for (ind, lvl), g in ov.groupby(["indicator_id", "level"], sort=False):
        nature = reg.nature(ind)
        u = unit_label(unit_of(ind, targets, reg), lang)
        name = f"<b>{esc(reg.indicator_name(ind, lang))}</b>" + (
            f"<span class='unit'>（{esc(u)}）</span>" if u else ""
        )
        if lvl != "baseline":
            name += f" <span class='note'>{tr(lang, '高线', 'stretch')}</span>"
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
                word = tr(lang, "已完成" if ok else "未完成", "met" if ok else "missed")
                done = mark(fmt_amount(r["actual"], nature), row_key(r), "actual")
                val += (
                    f"<br><span class='state {'met' if ok else 'missed'}'>{esc(word)} "
                    f"{esc(done)}</span>"
                )
            elif st == "current":
                if float(r["target"]) == 0:
                    val += (
                        f"<br><span class='note'>{tr(lang, '无分配任务', 'none assigned')}</span>"
                    )
                else:
                    p = mark(fmt_pct(r["p_meet"], prob=True), row_key(r), "p_meet")
                    word = (
                        tr(lang, "情景概率", "P (scenario)") if scenario else tr(lang, "概率", "P")
                    )
                    val += f"<br><span class='rag rag-{esc(r['rag'])}'>{word} {esc(p)}</span>"
            elif st == "not_covered":
                val += (
                    "<br><span class='note'>" + esc(no_data_words(r["missing"], lang)) + "</span>"
                )
            else:
                val += f"<br><span class='note'>{esc((STATE_ZH if lang == 'zh' else STATE_EN)[st])}</span>"
            cells.append(val)
        body.append("<tr>" + td_cells(cells, head) + "</tr>")
    thead = "".join(f"<th>{esc(h)}</th>" for h in head)
    y = int(as_of[:4])
    note = tr(
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
            f"<p class='note'>{tr(lang, '没有可比较的基准预测。', 'No baseline forecast to compare with.')}</p>"
        )
    head = [
        tr(lang, "目标", "Target"),
        tr(lang, "目标值", "Value"),
        tr(lang, "基准概率", "Baseline"),
        tr(lang, "情景概率", "Scenario"),
        tr(lang, "变化（情景−基准）", "Change (scenario − baseline)"),
        tr(lang, "预计期末（基准→情景）", "Projected (baseline → scenario)"),
    ]
    body = []
    for _, r in ordered(cmp, reg).iterrows():
        nature = reg.nature(r["indicator_id"])
        tgt = esc(fmt_num(r["target_base"]))
        if abs(r["target_scen"] - r["target_base"]) > 1e-9:
            tgt = f"{tgt} → <b>{esc(fmt_num(r['target_scen']))}</b> <span class='note'>{tr(lang, '情景调整', 'override')}</span>"
        cls = "up" if r["delta_pp"] > 0 else ("down" if r["delta_pp"] < 0 else "")
        key = row_key(r)
        chip_b = rag_chip(r["rag_base"], lang, key, "rag_base")
        cells = [
            name_period(r, lang, reg),
            tgt,
            esc(mark(fmt_pct(r["p_base"], prob=True), key, "p_base")) + " " + chip_b,
            f"<b>{esc(mark(fmt_pct(r['p_scen'], prob=True), key, 'p_meet'))}</b> "
            + rag_chip(r["rag_scen"], lang, key),
            f'<span class="delta {cls}">'
            f"{esc(mark(fmt_pp(int(r['delta_pp']), lang), key, 'scen_pp'))}</span>",
            esc(f"{fmt_amount(r['proj_base'], nature)} → {fmt_amount(r['proj_scen'], nature)}"),
        ]
        body.append("<tr>" + td_cells(cells, head) + "</tr>")
    thead = "".join(f"<th>{esc(h)}</th>" for h in head)
    return Html(
        f"<table class='compare cards'><thead><tr>{thead}</tr></thead><tbody>{''.join(body)}</tbody></table>"
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
    scen = tr(lang, "情景", "scenario") if scenario else ""
    basel = tr(lang, "基准", "baseline") if scenario else ""
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
                tr(
                    lang,
                    (
                        f"项目标有风险（其中{red_s}项完成困难）"
                        if red
                        else "项目标有风险（均为黄色）"
                    )
                    if risky
                    else "项目标均预计能完成",
                    (
                        f"targets at risk ({red_s} unlikely)"
                        if red
                        else "targets at risk (all amber)"
                    )
                    if risky
                    else "targets at risk: none",
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
                tr(
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
                tr(
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
                tr(
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
