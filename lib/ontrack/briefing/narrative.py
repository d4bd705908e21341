# ruff: noqa: E501  (long Chinese/English sentences read better unbroken)
"""The headline paragraph of a briefing, in plain Chinese (or English), from the numbers.

Rules (so that the sentences can be checked by hand):

* Targets assessed: the region's attainment rows whose years include the as-of year.
* Sentence 1 counts the baseline targets by RAG colour (colours with no target are left out).
* If any baseline target is amber or red, the biggest risk is the one with the lowest p_meet
  (ties: lower share of the target done); sentence 2 gives its target, what is done and the
  probability, sentence 3 the pace needed: (target − done) / months left, compared with the
  average so far (the forecast's ``pace_so_far``: done over the months gone by; for a county,
  the sum of its townships' averages over the months each reported).
* A baseline target of 0 (nothing assigned, as some townships' yearly targets) is not assessed;
  a sentence after the first says how many there are.
* Targets of the region whose years include the as-of year but that have no attainment row (no
  progress yet for their indicator) are counted in a sentence of their own (``pending``).
* Then, if there are 高线 (stretch) targets, how many of them are likely to be met.

Names come from the project's :class:`~ontrack.registry.Registry` (an unknown id is shown as
itself); numbers are formatted by :mod:`.fmt`, as in the tables and charts.
"""

from __future__ import annotations

import pandas as pd

from ..registry import Registry
from .fmt import (
    UNIT_EN,
    fact_key,
    fmt_amount,
    fmt_num,
    fmt_pct,
    fmt_pp,
    fmt_times,
    fmt_unit,
    mark,
    unmark,
)
from .fmt import fmt_unit as _fmt_unit

__all__ = [
    "UNIT_EN",
    "active_rows",
    "biggest_risk",
    "change_sentence",
    "fmt_num",
    "fmt_pct",
    "fmt_unit",
    "headline",
    "month_label",
    "months_elapsed",
    "months_left",
    "period_label",
    "prob_phrase",
    "scenario_headline",
]

RAG_ORDER = ("green", "amber", "red")
RAG_ZH = {"green": "绿", "amber": "黄", "red": "红"}
RAG_MEANING_ZH = {"green": "预计能完成", "amber": "有风险", "red": "完成困难"}
RAG_EN = {"green": "green", "amber": "amber", "red": "red"}
RAG_MEANING_EN = {"green": "likely met", "amber": "at risk", "red": "unlikely"}


def row_key(r) -> str:
    """The fact key (:func:`.fmt.fact_key`) of a target row."""
    return fact_key(r["region_id"], r["indicator_id"], r["year_start"], r["year_end"], r["level"])


def rag_text(rag: str, lang: str = "zh") -> str:
    """A status as its chip reads: '黄 有风险' / 'at risk'."""
    if lang == "zh":
        return f"{RAG_ZH.get(rag, rag)} {RAG_MEANING_ZH.get(rag, '')}".strip()
    return RAG_MEANING_EN.get(rag, rag)


def prob_phrase(p: float, lang: str = "zh", key: str = "") -> str:
    """'按现有趋势完成的概率约为35%' (under 1%: '几乎不可能完成（概率<1%）'; over 99%:
    '几乎肯定能完成（概率>99%）'); the probability marked as the fact p_meet of ``key``."""
    pct = fmt_pct(p, prob=True)
    if key:
        pct = mark(pct, key, "p_meet")
    if lang == "zh":
        if p < 0.01:
            return f"按现有趋势几乎不可能完成（概率{pct}）"
        if p > 0.99:
            return f"按现有趋势几乎肯定能完成（概率{pct}）"
        return f"按现有趋势完成的概率约为{pct}"
    if p < 0.01:
        return f"at the current trend it is almost certainly missed (probability {pct})"
    if p > 0.99:
        return f"at the current trend it is almost certainly met (probability {pct})"
    return f"the probability of meeting it at the current trend is about {pct}"


def month_label(as_of: str, lang: str = "zh") -> str:
    y, m = int(as_of[:4]), int(as_of[5:7])
    if lang == "zh":
        return f"{y}年{m}月"
    return pd.Timestamp(year=y, month=m, day=1).strftime("%B %Y")


def period_label(year_start: int, year_end: int, lang: str = "zh") -> str:
    """'2026年' or '2025—2027年累计'."""
    if lang == "zh":
        return f"{year_start}年" if year_start == year_end else f"{year_start}—{year_end}年累计"
    return f"{year_start}" if year_start == year_end else f"{year_start}–{year_end} cumulative"


def active_rows(att: pd.DataFrame, region: str, as_of: str) -> pd.DataFrame:
    """The region's targets whose years include the as-of year."""
    y = int(as_of[:4])
    sel = (att["region_id"] == region) & (att["year_start"] <= y) & (att["year_end"] >= y)
    return att.loc[sel].copy()


def months_elapsed(year_start: int, as_of: str) -> int:
    """Months from January of year_start up to and including the as-of month."""
    return (int(as_of[:4]) - int(year_start)) * 12 + int(as_of[5:7])


def months_left(year_end: int, as_of: str) -> int:
    """Months after the as-of month up to December of year_end."""
    return (int(year_end) - int(as_of[:4])) * 12 + 12 - int(as_of[5:7])


def flagged(rows: pd.DataFrame, suspect) -> pd.Series:
    """Which rows' (region, indicator) are in ``suspect`` (a boolean Series on rows' index)."""
    if not len(rows):
        return pd.Series([], index=rows.index, dtype=bool)
    keys = zip(rows["region_id"], rows["indicator_id"], strict=True)
    return pd.Series([k in suspect for k in keys], index=rows.index, dtype=bool)


def fmt_months(n: float) -> str:
    """Months still to come as a reader reads them: 2, or 0.8 when part of a month was
    reported (截至 a day)."""
    return str(round(n)) if abs(n - round(n)) < 1e-6 else f"{n:.1f}"


def _unit(row: pd.Series, reg: Registry) -> str:
    if "unit" in row and isinstance(row["unit"], str):
        return row["unit"]
    return reg.unit(row["indicator_id"]) or ""


def target_pace(r, as_of: str) -> tuple[float, float, float]:
    """(months still to come, needed per month, monthly average so far) of an attainment row:
    the months to come are its ``months_left`` (after the last report, and the months not
    reported) where it has them, else the calendar's; the average so far its ``pace_so_far``
    (for a county, the sum of its townships' averages over the months each reported) where it
    has it, else what is done over the rest of the window."""
    target, done = float(r["target"]), float(r["actual_to_date"])
    n_total = (int(r["year_end"]) - int(r["year_start"]) + 1) * 12
    if "months_left" in r and not pd.isna(r["months_left"]):
        left = float(r["months_left"])
        need = float(r["required_per_month"])
    else:
        left = months_left(int(r["year_end"]), as_of)
        need = max(target - done, 0.0) / left if left > 0 else max(target - done, 0.0)
    if "pace_so_far" in r and not pd.isna(r["pace_so_far"]):
        return left, need, float(r["pace_so_far"])
    elapsed = n_total - left
    return left, need, (done / elapsed if elapsed > 0 else 0.0)


def largest_change(changes: pd.DataFrame | None, suspect=frozenset()) -> pd.Series | None:
    """The baseline target (of a target above 0, not :func:`flagged`) whose probability moved
    most since last month (:func:`.changes.month_changes`; ties: the table's order), or None
    when none moved."""
    c = _assessed_changes(changes, suspect)
    if c.empty:
        return None
    r = c.loc[c["delta_pp"].abs().sort_values(ascending=False, kind="stable").index[0]]
    return r if int(r["delta_pp"]) != 0 else None


def _assessed_changes(changes: pd.DataFrame | None, suspect=frozenset()) -> pd.DataFrame:
    """The rows of :func:`.changes.month_changes` a headline may speak of: baseline targets
    above 0 whose figures hold no value flagged as implausible."""
    if changes is None or changes.empty:
        return pd.DataFrame(columns=getattr(changes, "columns", []))
    c = changes[(changes["level"] == "baseline") & (changes["target"] > 0)]
    return c.loc[~flagged(c, suspect)]


def biggest_risk(rows: pd.DataFrame) -> pd.Series | None:
    """The amber/red baseline row with the lowest p_meet (ties: lower share done), or None."""
    base = rows[(rows["level"] == "baseline") & rows["rag"].isin(["amber", "red"])]
    if base.empty:
        return None
    share = base["actual_to_date"] / base["target"].where(base["target"] > 0)
    order = base.assign(_share=share.fillna(1.0)).sort_values(["p_meet", "_share"], kind="stable")
    return order.iloc[0]


def headline(
    att: pd.DataFrame,
    region: str,
    as_of: str,
    lang: str = "zh",
    reg: Registry | None = None,
    pending: int = 0,
    suspect: set[tuple[str, str]] = frozenset(),
    marks: bool = False,
) -> str:
    """The headline paragraph for ``region`` (see the module docstring for the rules); with
    ``marks`` its figures are marked as the facts they state (:func:`.fmt.mark`).

    ``reg`` names the region and indicators (none: ids are shown); ``pending`` is the number of
    the region's targets of the as-of year that have no progress data yet; ``suspect`` the
    (region, indicator) whose figures hold a value flagged as implausible: they are counted
    apart (待核实) and never lead the headline."""
    reg = reg or Registry()
    rows = active_rows(att, region, as_of)
    doubt = flagged(rows, suspect)
    n_doubt = int((rows.loc[doubt, "level"] == "baseline").sum()) if len(rows) else 0
    rows = rows.loc[~doubt]
    name = reg.region_name(region, lang)
    when = month_label(as_of, lang)
    base = rows[rows["level"] == "baseline"]
    zero = int((base["target"] == 0).sum())  # nothing assigned (a township's 0): not assessed
    base = base[base["target"] != 0]
    if base.empty and zero:
        if lang == "zh":
            return f"截至{when}，{name}本期的{zero}项目标均为0（无分配任务），无需评估。"
        return (
            f"As of {when}, all {zero} targets of {name} are 0 (none assigned): nothing to assess."
        )
    if base.empty:
        if lang == "zh":
            return f"截至{when}，{name}暂无可评估的目标（没有对应的进度数据）。"
        return f"As of {when}, {name} has no target that can be assessed (no progress data)."
    pending_s = ""
    if pending:
        pm = mark(str(pending), f"{region}|page", "n_pending")
        pending_s = (
            f"另有{pm}项目标尚无进度数据，未纳入评估。"
            if lang == "zh"
            else f"{pm} more have no progress data yet and are not assessed."
        )
    counts = {c: int((base["rag"] == c).sum()) for c in RAG_ORDER}
    n = len(base)
    page = f"{region}|page"
    nm = mark(str(n), page, "n_assessed")
    cm = {c: mark(str(counts[c]), page, f"n_{c}") for c in RAG_ORDER}
    parts: list[str] = []
    if lang == "zh":
        words = {
            "green": "预计能够完成（绿色）",
            "amber": "存在风险（黄色）",
            "red": "完成困难（红色）",
        }
        if counts["green"] == n:
            s1 = f"截至{when}，{name}纳入评估的{nm}项目标（基线）预计全部能够完成（绿色）。"
        else:
            parts = [f"{cm[c]}项{words[c]}" for c in RAG_ORDER if counts[c]]
            s1 = f"截至{when}，{name}纳入评估的{nm}项目标（基线）中，" + "、".join(parts) + "。"
    else:
        words = {
            "green": "likely to be met (green)",
            "amber": "at risk (amber)",
            "red": "unlikely to be met (red)",
        }
        if counts["green"] == n:
            s1 = f"As of {when}, all {nm} baseline targets of {name} are likely to be met (green)."
        else:
            parts = [f"{cm[c]} {words[c]}" for c in RAG_ORDER if counts[c]]
            joined = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
            s1 = f"As of {when}, of the {nm} baseline targets of {name}: {joined}."
    out = [s1]
    if zero:
        out.append(
            f"另有{zero}项目标为0（本期无分配任务），不计入评估。"
            if lang == "zh"
            else f"{zero} more with a target of 0 (none assigned) are not assessed."
        )
    if pending_s:
        out.append(pending_s)
    if n_doubt:
        out.append(
            f"另有{n_doubt}项目标的进度含待核实的数值（远超目标，可能是单位错误），未纳入评估。"
            if lang == "zh"
            else f"{n_doubt} more hold a figure to be checked (far beyond the target, "
            "most likely a unit slip) and are not assessed."
        )
    risk = biggest_risk(rows[rows["target"] != 0])
    if risk is not None:
        out += _risk_sentences(risk, as_of, lang, reg)
    stretch = rows[rows["level"] == "stretch"]
    if not stretch.empty:
        k = int((stretch["p_meet"] >= 0.5).sum())
        km = mark(str(k), f"{region}|page", "n_stretch_even")
        if lang == "zh":
            ns = mark(str(len(stretch)), f"{region}|page", "n_stretch")
            out.append(f"{ns}项高线目标中，{km}项完成的可能性在一半以上。")
        elif len(stretch) == 1:
            chance = "has" if k else "does not have"
            out.append(f"The one stretch target (高线) {chance} an even or better chance.")
        else:
            out.append(
                f"Of the {mark(str(len(stretch)), f'{region}|page', 'n_stretch')} stretch "
                f"targets (高线), {km} "
                f"{'has' if k == 1 else 'have'} an even or better chance."
            )
    text = "".join(out) if lang == "zh" else " ".join(out)
    return text if marks else unmark(text)


def _risk_sentences(r: pd.Series, as_of: str, lang: str, reg: Registry) -> list[str]:
    unit = _unit(r, reg)
    nat = reg.nature(r["indicator_id"])

    def fmt_unit(v: float, u: str, lang: str = "zh") -> str:  # counts as whole numbers
        return _fmt_unit(v, u, lang, nat)

    ind = reg.indicator_name(r["indicator_id"], lang)
    period = period_label(int(r["year_start"]), int(r["year_end"]), lang)
    target, done, p = float(r["target"]), float(r["actual_to_date"]), float(r["p_meet"])
    share = done / target if target > 0 else 1.0
    left, need, so_far = target_pace(r, as_of)
    left_zh = fmt_months(left)
    key = row_key(r)
    t_s = mark(fmt_num(target), key, "target")
    done_s = mark(fmt_amount(done, nat), key, "actual")
    share_s = mark(fmt_pct(share), key, "share")
    need_v = mark(fmt_amount(need, nat), key, "needed")
    pace_v = mark(fmt_amount(so_far, nat), key, "pace")
    u_en = UNIT_EN.get(unit, unit)
    assumed = "assumed" in r and str(r["assumed"]).strip().lower() in ("true", "1", "yes")
    if lang == "zh":
        assumed_s = "（假设的年度分解值，计划只给出三年累计目标）" if assumed else ""
        s2 = (
            f"风险最大的是“{ind}”：{period}目标{t_s}{unit}{assumed_s}，目前已完成"
            f"{done_s}{unit}（{share_s}），{prob_phrase(p, key=key)}。"
        )
        if left <= 0:
            s3 = f"目标期已结束，尚差{fmt_unit(target - done, unit)}。"
        elif so_far > 0:
            s3 = (
                f"要完成目标，剩余{left_zh}个月平均每月需完成{need_v}{unit}，"
                f"是此前月均（{pace_v}{unit}）的{fmt_times(need / so_far)}倍。"
            )
        else:
            s3 = f"要完成目标，剩余{left_zh}个月平均每月需完成{need_v}{unit}，而此前尚无进展。"
        return [s2, s3]
    s2 = (
        f"The biggest risk is {ind}: the {period} target is {f'{t_s} {u_en}'.strip()}"
        + (" (an assumed yearly split of the three-year total)" if assumed else "")
        + ", "
        f"{f'{done_s} {u_en}'.strip()} done so far ({share_s}); "
        f"{prob_phrase(p, 'en', key=key)}."
    )
    if left <= 0:
        s3 = f"The target period is over; {fmt_unit(target - done, unit, 'en')} short."
    else:
        need_s, so_far_s = f"{need_v} {u_en}".strip(), f"{pace_v} {u_en}".strip()
        months = "month" if left == 1 else f"{left_zh} months"
        s3 = f"To meet it, the remaining {months} must add {need_s} a month on average"
        if so_far > 0:
            s3 += f", {fmt_times(need / so_far)} times the monthly average so far ({so_far_s})."
        else:
            s3 += "; nothing has been done so far."
    return [s2, s3]


def _period_level(r, lang: str) -> str:
    """'2026年' / '2025—2027年累计高线' (the level named when it is not the baseline)."""
    per = period_label(int(r["year_start"]), int(r["year_end"]), lang)
    if r.get("level", "baseline") == "stretch":
        per += "高线" if lang == "zh" else ", stretch"
    return per


def change_sentence(
    changes: pd.DataFrame,
    as_of: str,
    lang: str = "zh",
    reg=None,
    suspect=frozenset(),
    marks: bool = False,
) -> str:
    """One sentence for the headline on what moved most since last month: the target whose
    probability moved most (:func:`largest_change`, the one the page's strip names too) and how
    many others moved markedly (their status changed, or they moved 5 百分点 or more); a
    sentence saying nothing moved that much when none did. A target whose figures hold a value
    flagged as implausible (``suspect``) never leads it."""
    reg = reg or Registry()
    if changes is None or changes.empty:
        return ""
    c = _assessed_changes(changes, suspect)
    moved = c[(c["rag_prev"] != c["rag_now"]) | (c["delta_pp"].abs() >= 5)]
    r = largest_change(changes, suspect)
    if moved.empty or r is None:
        return (
            "与上月相比，各项目标的完成概率变化均不足5个百分点。"
            if lang == "zh"
            else "Since last month no probability has moved by 5 points or more."
        )
    ind = reg.indicator_name(r["indicator_id"], lang)
    per = _period_level(r, lang)
    key = row_key(r)
    pp = mark(fmt_pp(int(r["delta_pp"]), lang), key, "change_pp")
    a = mark(fmt_pct(r["p_prev"], prob=True), key, "p_prev")
    b = mark(fmt_pct(r["p_now"], prob=True), key, "p_now")
    n = len(moved) - int(r.name in moved.index)
    if lang == "zh":
        s = f"较上月变化最大的是“{ind}”{per}目标：完成概率由{a}变为{b}（{pp}）"
        s += f"，另有{n}项变化明显。" if n else "。"
    else:
        s = f"The largest change since last month: {ind} ({per}), from {a} to {b} ({pp})"
        s += f"; {n} more moved markedly." if n else "."
    return s if marks else unmark(s)


def scenario_headline(
    cmp: pd.DataFrame, name: str, lang: str = "zh", reg=None, marks: bool = False
) -> str:
    """What a scenario changes against the baseline: how many targets' probabilities fall or
    rise (by at least 1 百分点), the largest change, and the targets it overrides."""
    reg = reg or Registry()
    if cmp is None or cmp.empty:
        return (
            f"情景“{name}”：没有可比较的基准预测。"
            if lang == "zh"
            else f"Scenario “{name}”: no baseline forecast to compare with."
        )
    down = cmp[cmp["delta_pp"] <= -1]
    up = cmp[cmp["delta_pp"] >= 1]
    over = cmp[(cmp["target_scen"] - cmp["target_base"]).abs() > 1e-9]
    if lang == "zh":
        s = f"情景“{name}”与基准相比：{len(down)}项目标的完成概率下降、{len(up)}项上升"
        if len(over):
            s += f"，{len(over)}项目标值被调整"
        s += "。"
    else:
        s = (
            f"Scenario “{name}” against the baseline: {len(down)} targets become less likely "
            f"and {len(up)} more likely"
            + (f"; {len(over)} target values are overridden" if len(over) else "")
            + "."
        )
    big = cmp.reindex(cmp["delta_pp"].abs().sort_values(ascending=False, kind="stable").index)
    r = big.iloc[0]
    if int(r["delta_pp"]) != 0:
        ind = reg.indicator_name(r["indicator_id"], lang)
        per = _period_level(r, lang)
        key = row_key(r)
        a = mark(fmt_pct(r["p_base"], prob=True), key, "p_base")
        b = mark(fmt_pct(r["p_scen"], prob=True), key, "p_meet")
        pp = mark(fmt_pp(int(r["delta_pp"]), lang), key, "scen_pp")
        if lang == "zh":
            s += f"变化最大的是“{ind}”{per}目标：基准{a}，情景{b}（{pp}）。"
        else:
            s += f" The largest change is {ind} ({per}): {a} in the baseline, {b} in the scenario ({pp})."
    for _, o in over.head(3).iterrows():
        ind = reg.indicator_name(o["indicator_id"], lang)
        per = period_label(int(o["year_start"]), int(o["year_end"]), lang)
        if lang == "zh":
            s += f"“{ind}”{per}目标由{fmt_num(o['target_base'])}调整为{fmt_num(o['target_scen'])}。"
        else:
            s += (
                f" {ind} ({per}): target {fmt_num(o['target_base'])} → {fmt_num(o['target_scen'])}."
            )
    return s if marks else unmark(s)
