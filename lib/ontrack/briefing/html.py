# ruff: noqa: E501  (long Chinese/English sentences read better unbroken)
"""The building blocks of a briefing's HTML: escaped text (:class:`Html`, :func:`esc`, which
turns a marked figure into its ``data-fact`` span), table cells, status chips, units, the
fold of a long section and the 示例数据 badge."""

from __future__ import annotations

import html
import math
from typing import Any

import pandas as pd

from ..registry import Registry
from .fmt import MARKED, mark
from .narrative import (
    period_label,
    rag_text,
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


def tr(lang: str, zh: str, en: str) -> str:
    return zh if lang == "zh" else en


def is_true(v: Any) -> bool:
    if isinstance(v, str):
        return v.strip().lower() in ("true", "1", "yes")
    try:
        return bool(v) and not (isinstance(v, float) and math.isnan(v))
    except (TypeError, ValueError):
        return False


def ordered(df: pd.DataFrame, reg: Registry) -> pd.DataFrame:
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
    summary = tr(lang, f"展开{what_zh}", f"Show {what_en}")
    box = f"fold-{name}"
    return Html(
        f'<div class="fold"><input type="checkbox" class="fold-toggle" id="{box}">'
        f'<label class="fold-label" for="{box}">{esc(summary)}</label>'
        f'<div class="fold-body">{content}</div></div>'
    )


def td_cells(cells: list[str], head: list[str]) -> str:
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


def assumed_tag(lang: str) -> str:
    """A visible 假设 marker beside a target that is an assumption (not in the plan)."""
    return (
        '<span class="assumed-tag" style="display:inline-block;margin-left:.25em;padding:0 .25em;'
        f"font-size:.8em;line-height:1.3;color:{colour('assumed')};background:{colour('assumed-bg')};"
        f"border:1px solid {colour('assumed-line')};"
        f'border-radius:3px;white-space:nowrap">{tr(lang, "假设", "assumed")}</span>'
    )


def illustrative_badge(lang: str) -> str:
    return f'<span class="demo-badge">{tr(lang, "示例数据", "示例数据 illustrative data")}</span>'


def is_stock(r: pd.Series) -> bool:
    return str(r.get("measure", "flow")).strip().lower() == "stock"


def any_text(x: Any, names, lang: str, what: str) -> str:
    if x in (None, "*"):
        return (
            tr(lang, "全部指标", "all indicators")
            if what == "indicator"
            else tr(lang, "全部地区", "all regions")
        )
    return names(str(x), lang)


#: Column widths of the data-quality tables (the message gets the rest of the line).
SMALL_WIDTHS = {"级别": "3.2em", "Level": "4.5em", "检查项": "6.5em", "Check": "8em",
                 "位置": "24%", "Where": "24%"}  # fmt: skip


def small_table(df: pd.DataFrame, max_rows: int, lang: str) -> str:
    shown = df.head(max_rows)
    thead = "".join(
        f'<th style="width:{SMALL_WIDTHS[c]}">{esc(c)}</th>'
        if c in SMALL_WIDTHS
        else f"<th>{esc(c)}</th>"
        for c in shown.columns
    )
    labels = [str(c) for c in shown.columns]
    body = "".join(
        "<tr>" + td_cells([esc("" if pd.isna(v) else v) for v in row], labels) + "</tr>"
        for row in shown.itertuples(index=False)
    )
    more = ""
    if len(df) > max_rows:
        more = tr(
            lang,
            f"<p class='note'>共{len(df)}条，仅显示前{max_rows}条。</p>",
            f"<p class='note'>{len(df)} rows, first {max_rows} shown.</p>",
        )
    return f'<table class="small cards"><thead><tr>{thead}</tr></thead><tbody>{body}</tbody></table>{more}'


def name_period(r, lang: str, reg: Registry) -> str:
    return (
        f"<b>{esc(reg.indicator_name(r['indicator_id'], lang))}</b> "
        f"<span class='unit'>{esc(period_label(int(r['year_start']), int(r['year_end']), lang))}"
        + ("" if r["level"] == "baseline" else tr(lang, " 高线", " stretch"))
        + "</span>"
    )
