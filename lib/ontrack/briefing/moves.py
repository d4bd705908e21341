# ruff: noqa: E501  (long Chinese/English sentences read better unbroken)
"""What moved since last month (the changes section and its reasons) and what is slipping, in
the briefing's words (figures from :mod:`.changes`, blocks from :mod:`.html`)."""

from __future__ import annotations

import pandas as pd

from ..months import previous_month
from ..registry import Registry
from .changes import PACE_WORDS, pace_direction
from .fmt import fact_key, fmt_amount, fmt_num, fmt_pct, fmt_pp, mark
from .html import Html, esc, name_period, td_cells, tr, unit_of, unit_text
from .narrative import (
    RAG_MEANING_EN,
    month_label,
    row_key,
)

# ---------------------------------------------------------------------------- what moved
RAG_WORD_ZH = {"green": "绿", "amber": "黄", "red": "红"}


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
            tr(
                lang,
                f"目标由{amt(r['target_from'])}调整为{amt(r['target'])}",
                f"target changed from {amt(r['target_from'])} to {amt(r['target'])}",
            )
        )
    if not pd.isna(r["revised_from"]):
        out.append(
            tr(
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
            tr(
                lang,
                "本月未报送数据，本月完成数尚不可知（按尚待报送计）",
                "no report for this month yet: what it added is not known (counted as still to come)",
            )
        )
        return out
    new = tr(lang, f"本月新增{amt(added)}", f"{amt(added)} added this month")
    if abs(added) < 1e-9:
        new = tr(lang, "本月无新增", "nothing added this month")
    if unreported:
        # part of the month is still to come: no comparison with last month's expectation
        out.append(
            tr(
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
    how = tr(lang, f"{word}上月预计", f"{word} last month's forecast") if d else word
    out.append(
        tr(lang, f"{new}，{how}（约{amt(expected)}）", f"{new}, {how} (about {amt(expected)})")
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
                tr(
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
                tr(
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
            + tr(
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
    base = tr(lang, "（基准）", " (baseline)") if scenario else ""
    head = [
        tr(lang, "目标", "Target"),
        tr(lang, "上月", "Last month") + base,
        tr(lang, "本月", "This month") + base,
        tr(lang, "变化", "Change") + base,
        tr(lang, "原因", "Why"),
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
            change += "<br>" + tr(
                lang,
                f"<span class='note'>状态{RAG_WORD_ZH.get(r['rag_prev'], r['rag_prev'])}→{RAG_WORD_ZH.get(r['rag_now'], r['rag_now'])}</span>",
                f"<span class='note'>status {RAG_MEANING_EN.get(r['rag_prev'], r['rag_prev'])} → {RAG_MEANING_EN.get(r['rag_now'], r['rag_now'])}</span>",
            )
        cls = "up" if r["delta_pp"] > 0 else ("down" if r["delta_pp"] < 0 else "")
        cells = [
            name_period(r, lang, reg),
            esc(mark(fmt_pct(r["p_prev"], prob=True), key, "p_prev")),
            f"<b>{esc(mark(fmt_pct(r['p_now'], prob=True), key, 'p_now'))}</b>",
            f'<span class="delta {cls}">{change}</span>',
            esc(tr(lang, "；", "; ").join(change_reasons(r, lang, reg, targets, plan_row, key))),
        ]
        body.append("<tr>" + td_cells(cells, head) + "</tr>")
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
            + tr(
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
        scen = tr(lang, "情景", "in the scenario, ") if scenario else ""
        head = tr(
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
            txt = tr(
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
                + tr(
                    lang,
                    f"另有{more}个乡镇（街道）有较小缺口",
                    f"{more} more with smaller shortfalls",
                )
                + "</li>"
            )
        items.append(f"<div class='slip'><p>{head}</p><ol>{''.join(lis)}</ol></div>")
    return Html("".join(items))
