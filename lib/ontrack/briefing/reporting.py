"""报送情况: which offices reported the as-of month, and what is still missing (blocks from
:mod:`.html`)."""

from __future__ import annotations

import pandas as pd

from ..registry import Registry
from .html import Html, esc, td_cells, tr
from .narrative import (
    month_label,
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
            + tr(lang, "没有需要报送的指标。", "No indicator is expected to be reported.")
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
    head = [tr(lang, "单位", "Office")] + [reg.indicator_name(i, lang) for i in inds]
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
                word = tr(lang, "已报", "in") + (
                    tr(lang, f"（截至{day}日）", f" (to day {day})") if day else ""
                )
                cells.append(f"<span class='rep-ok'>{esc(word)}</span>")
            else:
                since = (
                    tr(lang, f"末次：{int(last[:4])}年{int(last[5:7])}月", f"last: {last}")
                    if last
                    else tr(lang, "从未报送", "never reported")
                )
                cells.append(
                    f"<span class='rag rag-red'>{tr(lang, '未报', 'missing')}</span>"
                    f"<br><span class='note'>{esc(since)}</span>"
                )
        body.append("<tr>" + td_cells(cells, head) + "</tr>")
    thead = "".join(f"<th>{esc(h)}</th>" for h in head)
    return Html(
        f"<p class='reporting-lead'>{esc(lead)}</p>"
        f'<table class="reporting cards"><thead><tr>{thead}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )
