"""Charts of a briefing as inline SVG (no pyplot state, nothing fetched).

Figures are drawn on ``matplotlib.figure.Figure`` objects (not pyplot) and written as SVG whose
labels stay text (``svg.fonttype = none``): sharp at any zoom, measurable in the browser, in the
page's own CJK font. A chart is drawn at about the width it is shown at, so its labels keep
their size: the indicator charts at a phone's width (two abreast on a desktop and on paper); the
wide probability chart twice, for wide screens and paper and for the phone, the page showing
the one that fits (``.wide-only`` / ``.phone-only`` in the stylesheet). The township table is
HTML (:func:`heatmap`). The fan comes from the forecast's trajectories table; every number a
chart prints is formatted by :mod:`.fmt`, as in the tables beside it; colours come from
:mod:`.palette`; names from the project's Registry (``reg``).
"""

from __future__ import annotations

import hashlib
import io
import re
import warnings

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

from ..registry import Registry
from .fmt import COUNT_NATURES, UNIT_EN, fact_key, fmt_amount, fmt_num, fmt_pct, mark
from .html import Html, esc, unit_of
from .narrative import active_rows, month_label, period_label, row_key
from .palette import SERIES, colour, p_colour

C_ACTUAL = colour("actual")
C_FAN = colour("fan")
C_TARGET = colour("target")
C_STRETCH = colour("stretch")
DEMO = "示例数据"
DEMO_EN = "illustrative data"
#: font sizes in points of a figure drawn at the width it is shown at on a phone (a point of
#: the figure is then about 1.3 px of a 390 px screen): every label at least 11 px there
FS_TICK = 9
FS_LEGEND = 9
FS_TITLE = 10
#: the figure's margin around its labels, in font sizes: the figure is saved at its own size
#: (no second drawing to find a tight box: a third of the time a chart took), so the layout
#: leaves only this much around the outermost label
PAD = 0.4
_SVG_RC = {"svg.fonttype": "none", "svg.hashsalt": "ontrack", "svg.image_inline": True}
_ID = re.compile(r'(\bid=")|(url\(#)|(href="#)')


def svg(fig: Figure, alt: str, cls: str = "chart") -> str:
    """The figure as inline SVG, at the figure's own size (laid out with
    ``tight_layout(pad=PAD)`` by its maker): labels as text, no size attributes (the stylesheet
    scales it to its box), ids made unique on the page, ``role="img"`` with ``alt`` as its
    name."""
    buf = io.StringIO()
    with warnings.catch_warnings(), matplotlib.rc_context(_SVG_RC):
        warnings.simplefilter("ignore")  # a missing glyph must never print into a report
        fig.savefig(buf, format="svg", metadata={"Date": None})
    text = buf.getvalue()
    text = text[text.index("<svg") :]
    text = re.sub(r"<metadata>.*?</metadata>", "", text, count=1, flags=re.S)
    head_end = text.index(">")
    head = re.sub(r'\s(width|height)="[^"]*"', "", text[:head_end])
    prefix = "c" + hashlib.sha1((alt + text).encode("utf-8")).hexdigest()[:8] + "-"
    body = _ID.sub(lambda m: m.group(0) + prefix, text[head_end:])
    label = esc(alt)
    return f'{head} class="{cls}" role="img" aria-label="{label}"{body}'


def _months(y0: int, y1: int) -> list[str]:
    return [f"{y}-{m:02d}" for y in range(y0, y1 + 1) for m in range(1, 13)]


def _watermark(ax, illustrative: bool, faint: bool = True, lang: str = "zh") -> None:
    """The 示例数据 marks: a stamp in the title row, right-aligned above the plot (never on the
    data), and a faint diagonal word behind the data (``faint``); in English, "illustrative"."""
    if not illustrative:
        return
    mark = DEMO if lang == "zh" else DEMO_EN  # the faint word; the stamp keeps 示例数据 too
    if faint:
        ax.text(
            0.5,
            0.5,
            mark,
            transform=ax.transAxes,
            fontsize=26,
            color=colour("faint"),
            alpha=0.16,
            ha="center",
            va="center",
            rotation=20,
            zorder=0,
        )
    ax.annotate(
        DEMO if lang == "zh" else f"{DEMO} · illustrative",  # short: it shares the title row
        xy=(1.0, 1.0),
        xycoords="axes fraction",
        xytext=(0, 4),
        textcoords="offset points",
        fontsize=FS_LEGEND,
        color=colour("demo"),
        ha="right",
        va="bottom",
        bbox={"boxstyle": "square,pad=0.15", "fc": "white", "ec": colour("demo"), "lw": 0.6},
    )


def _amount_axis(ax, indicator: str, reg: Registry) -> None:
    """y ticks formatted by the briefing's formatter; whole-number ticks for counts."""
    nature = reg.nature(indicator)
    if nature in COUNT_NATURES:
        ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=5, min_n_ticks=2))
    else:
        ax.yaxis.set_major_locator(MaxNLocator(nbins=5))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: fmt_amount(v, nature)))


def _chart_rows(att: pd.DataFrame, region: str, indicator: str, as_of: str) -> pd.DataFrame:
    """The region's target rows for the indicator: yearly for the as-of year, else multi-year."""
    rows = active_rows(att, region, as_of)
    rows = rows[rows["indicator_id"] == indicator]
    yearly = rows[rows["year_start"] == rows["year_end"]]
    return yearly if not yearly.empty else rows


def _chart_ref(rows: pd.DataFrame) -> pd.Series:
    """The target a chart of ``rows`` (:func:`_chart_rows`) draws its window from and states
    the probability of: the baseline's, else the first row."""
    base = rows[rows["level"] == "baseline"]
    return base.iloc[0] if not base.empty else rows.iloc[0]


def indicator_chart(*args, **kwargs) -> Figure | None:
    """Running total against the target and 高线, with the projection fan to December.

    Arguments as :func:`_indicator_chart`; warnings (e.g. a missing glyph) never reach a report.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _indicator_chart(*args, **kwargs)


def _indicator_chart(
    att: pd.DataFrame,
    traj: pd.DataFrame,
    progress: pd.DataFrame,
    region: str,
    indicator: str,
    as_of: str,
    lang: str = "zh",
    illustrative: bool = False,
    reg: Registry | None = None,
    scenario: bool = False,
) -> Figure | None:
    reg = reg or Registry()
    rows = _chart_rows(att, region, indicator, as_of)
    if rows.empty:
        return None
    ref = _chart_ref(rows)
    if ref["level"] == "baseline" and float(ref["target"]) == 0:
        return None  # nothing assigned: no chart (and no "完成概率 >99%" over an empty plot)
    y0, y1 = int(ref["year_start"]), int(ref["year_end"])
    months = _months(y0, y1)
    x = np.arange(1, len(months) + 1)
    idx = {m: i for i, m in enumerate(months)}
    unit = unit_of(indicator, None, reg)

    fig = Figure(figsize=(3.7, 3.0))
    ax = fig.add_subplot()
    t = pd.DataFrame()
    if traj is not None and not traj.empty:
        t = traj[(traj["region_id"] == region) & (traj["indicator_id"] == indicator)]
        if "year_start" in t and "year_end" in t:
            t = t[(t["year_start"] == y0) & (t["year_end"] == y1)]
        if "level" in t:
            t = t[t["level"] == ref["level"]]
        t = t[t["month"].isin(idx)].drop_duplicates("month").sort_values("month")
    if not t.empty:
        xt = t["month"].map(idx).to_numpy() + 1
        fut = (t["month"] >= as_of).to_numpy()
        if fut.any():
            ax.fill_between(
                xt[fut],
                t["p10"][fut],
                t["p90"][fut],
                color=C_FAN,
                alpha=0.45,
                lw=0,
                label="80%区间" if lang == "zh" else "80% range",
            )
            ax.plot(
                xt[fut],
                t["p50"][fut],
                color=C_FAN,
                lw=1.6,
                ls="--",
                label="预计（中位数）" if lang == "zh" else "projection (median)",
            )
        act = t[t["month"] <= as_of]
        if "actual" in act and act["actual"].notna().any():
            ax.plot(
                act["month"].map(idx) + 1,
                act["actual"],
                color=C_ACTUAL,
                lw=2,
                marker="o",
                ms=2.5,
                label="累计完成" if lang == "zh" else "running total",
            )
    else:  # no trajectories: running total from progress, projection range at the end
        p = progress[(progress["region_id"] == region) & (progress["indicator_id"] == indicator)]
        p = p[p["month"].isin(idx) & (p["month"] <= as_of)].sort_values("month")
        if not p.empty:
            ax.plot(
                p["month"].map(idx) + 1,
                p["value"].cumsum(),
                color=C_ACTUAL,
                lw=2,
                marker="o",
                ms=2.5,
                label="累计完成" if lang == "zh" else "running total",
            )
        ax.errorbar(
            [len(months)],
            [ref["proj_p50"]],
            yerr=[[ref["proj_p50"] - ref["proj_p10"]], [ref["proj_p90"] - ref["proj_p50"]]],
            fmt="o",
            color=C_FAN,
            capsize=3,
            label="预计期末" if lang == "zh" else "projected",
        )
    for _, r in rows.iterrows():
        stretch = r["level"] == "stretch"
        lab = (
            ("高线" if stretch else "目标")
            if lang == "zh"
            else ("stretch" if stretch else "target")
        )
        ax.axhline(
            r["target"],
            color=C_STRETCH if stretch else C_TARGET,
            lw=1.2,
            ls=":" if stretch else "-",
            label=target_label(lab, r["target"]),
        )
    ax.axvline(
        idx.get(as_of, len(months) - 1) + 1, color=colour("as-of"), lw=0.8, ls="-", alpha=0.6
    )
    step = 1 if len(months) <= 12 else 6
    ticks = x[::step] if step > 1 else x
    if len(months) <= 12:
        labels = [
            f"{int(m[5:])}月" if lang == "zh" else pd.Timestamp(f"{m}-01").strftime("%b")
            for m in months
        ]
    else:
        labels = [m if lang == "zh" else pd.Timestamp(f"{m}-01").strftime("%b %Y") for m in months][
            ::step
        ]
    if len(months) <= 12:  # every second month: legible at phone width
        ticks, labels = ticks[::2], labels[::2]
    ax.set_xticks(ticks, labels, fontsize=FS_TICK)
    ax.set_xlim(0.5, len(months) + 0.5)
    ax.set_ylim(bottom=0)
    ax.tick_params(axis="y", labelsize=FS_TICK)
    _amount_axis(ax, indicator, reg)
    name = reg.indicator_name(indicator, lang)
    pm = ref["p_meet"]
    ptxt = (
        f"{'情景' if scenario else ''}完成概率 {fmt_pct(pm, prob=True)}"
        if lang == "zh"
        else f"{'scenario ' if scenario else ''}probability {fmt_pct(pm, prob=True)}"
    )
    u = unit if lang == "zh" else UNIT_EN.get(unit, unit)
    title = f"{name}（{u}）" if u else name
    ax.set_title(f"{title}\n{period_label(y0, y1, lang)} · {ptxt}", fontsize=FS_TITLE, loc="left")
    # the legend below the plot, never on the lines
    ax.legend(
        fontsize=FS_LEGEND,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.12),
        ncol=2,
        frameon=False,
        handlelength=1.8,
        columnspacing=1.2,
    )
    _watermark(ax, illustrative, lang=lang)
    fig.tight_layout(pad=PAD)
    return fig


def target_label(label: str, target: float) -> str:
    """The legend entry of a target line: '目标 53.3' (the number as the table shows it: a
    target keeps its decimals, e.g. an assumed split of a three-year total)."""
    return f"{label} {fmt_num(target)}"


def indicator_charts(
    att: pd.DataFrame,
    traj: pd.DataFrame,
    progress: pd.DataFrame,
    region: str,
    as_of: str,
    lang: str = "zh",
    illustrative: bool = False,
    reg: Registry | None = None,
    scenario: bool = False,
) -> Html:
    """One chart per indicator the region has forecast targets for (registry order), in a grid;
    each figure carries the fact key of the target whose probability its title states."""
    reg = reg or Registry()
    have = set(active_rows(att, region, as_of)["indicator_id"])
    inds = [i for i in reg.indicators if i in have] + sorted(have - set(reg.indicators))
    cells, none = [], []
    for ind in inds:
        fig = indicator_chart(
            att, traj, progress, region, ind, as_of, lang, illustrative, reg, scenario
        )
        if fig is not None:
            key = row_key(_chart_ref(_chart_rows(att, region, ind, as_of)))
            cells.append(
                f'<figure data-key="{esc(key)}">{svg(fig, reg.indicator_name(ind, lang))}</figure>'
            )
        else:
            none.append(reg.indicator_name(ind, lang))
    note = ""
    if none:
        note = (
            "<p class='note'>"
            + esc(
                f"{'、'.join(none)}：本期无分配任务（目标为0），不作图。"
                if lang == "zh"
                else f"{', '.join(none)}: none assigned (a target of 0), no chart."
            )
            + "</p>"
        )
    if not cells:
        empty = "暂无图表数据。" if lang == "zh" else "No chart data."
        return Html(note or f"<p class='note'>{empty}</p>")
    return Html(f'<div class="charts">{"".join(cells)}</div>{note}')


def heatmap(
    att: pd.DataFrame,
    region: str,
    parent: str,
    as_of: str,
    lang: str = "zh",
    illustrative: bool = False,
    reg: Registry | None = None,
    scenario: bool = False,
) -> Html:
    """Townships × indicators by p_meet (baseline targets of the as-of year), the region marked:
    an HTML table whose cells are painted by probability (:func:`.palette.p_colour`), so that
    it reads at a phone's width, prints, and its numbers are text.

    The townships are the parent's sub-regions (regions.csv), then any other region of the
    table that the registry does not know (shown by its id). A yearly target comes before a
    multi-year one of the same indicator; a target of 0 says 无任务, a missing one —."""
    reg = reg or Registry()
    y = int(as_of[:4])
    towns = [r for r in reg.children(parent) if r in set(att["region_id"])]
    towns += sorted(set(att["region_id"]) - set(towns) - {parent} - set(reg.regions))
    rows = att[att["region_id"].isin(towns) & (att["level"] == "baseline")]
    rows = rows[(rows["year_start"] <= y) & (rows["year_end"] >= y)]
    if rows.empty:
        msg = "暂无乡镇（街道）数据。" if lang == "zh" else "No township data."
        return Html(f"<p class='note'>{msg}</p>")
    rows = rows.assign(_multi=(rows["year_end"] != rows["year_start"]).astype(int)).sort_values(
        "_multi", kind="stable"
    )
    rows = rows.drop_duplicates(["region_id", "indicator_id"]).set_index(
        ["region_id", "indicator_id"]
    )
    have = set(rows.index.get_level_values(1))
    inds = [i for i in reg.indicators if i in have] + sorted(have - set(reg.indicators))
    towns = [t for t in towns if t in set(rows.index.get_level_values(0))]
    title = (
        f"各乡镇（街道）{y}年目标{'情景' if scenario else ''}完成概率"
        if lang == "zh"
        else ("Scenario: p" if scenario else "P")
        + f"robability of meeting the {y} targets, by township"
    )
    head = "".join(f'<th scope="col">{esc(_short_name(i, lang, reg))}</th>' for i in inds)
    body = []
    for t in towns:
        name = reg.short_name(t) if lang == "zh" else reg.region_name(t, lang)
        me = t == region
        cells = []
        for i in inds:
            cells.append(_heat_cell(rows.loc[(t, i)] if (t, i) in rows.index else None, lang))
        arrow = '<span aria-hidden="true">▶ </span>' if me else ""
        me_cls = ' class="me"' if me else ""
        body.append(
            f'<tr{me_cls} data-region="{esc(t)}">'
            f'<th scope="row">{arrow}{esc(name)}</th>{"".join(cells)}</tr>'
        )
    stamp = (
        f'<span class="demo-stamp">{DEMO if lang == "zh" else f"{DEMO} · {DEMO_EN}"}</span>'
        if illustrative
        else ""
    )
    legend = _heat_legend(lang)
    corner = "乡镇（街道）" if lang == "zh" else "Township"
    return Html(
        f'<figure class="heatmap"><figcaption>{esc(title)}{stamp}</figcaption>'
        f'<table class="heat"><thead><tr><th scope="col">{corner}</th>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>{legend}</figure>"
    )


def _short_name(indicator: str, lang: str, reg: Registry) -> str:
    """An indicator's name for a narrow column: 新增/新培育 dropped in Chinese, a leading
    "New" in English."""
    name = reg.indicator_name(indicator, lang)
    if lang == "zh":
        return name.replace("新增", "").replace("新培育", "")
    return name[4:] if name.startswith("New ") else name


def _heat_cell(r: pd.Series | None, lang: str) -> str:
    """One township × indicator cell: the probability on its colour, 无任务 for a target of 0,
    — where there is none."""
    if r is None:
        return '<td class="none">—</td>'
    if float(r["target"]) == 0:
        return f'<td class="none">{"无任务" if lang == "zh" else "none"}</td>'
    p = r["p_meet"]
    if pd.isna(p):
        return '<td class="none">—</td>'
    key = fact_key(r.name[0], r.name[1], r["year_start"], r["year_end"], r["level"])
    text = esc(mark(fmt_pct(p, prob=True), key, "p_meet"))
    return f'<td style="background:{p_colour(p)}">{text}</td>'


def _heat_legend(lang: str) -> str:
    """The colour scale under the township table: 0%, 25%, 50%, 80%, 100%."""
    stops = "".join(
        f'<span class="heat-stop" style="background:{p_colour(v)}">{fmt_pct(v, prob=False)}</span>'
        for v in (0.0, 0.25, 0.5, 0.8, 1.0)
    )
    label = "完成概率" if lang == "zh" else "probability"
    return f'<p class="heat-legend note">{label} {stops}</p>'


def probability_chart(
    path: pd.DataFrame,
    as_of: str,
    lang: str = "zh",
    illustrative: bool = False,
    reg: Registry | None = None,
    note: str = "",
) -> Html:
    """Probability over the year: p_meet of the headline targets (the region's yearly baseline
    targets of the as-of year) by the month the forecast was made, from the December before
    (the start of the year) to the as-of month; y axis 0–100%. Drawn twice: wide (screens and
    paper) and narrow (a phone), the page showing the one that fits."""
    reg = reg or Registry()
    if path.empty:
        msg = "暂无逐月预测记录。" if lang == "zh" else "No monthly forecasts to show."
        return Html(f"<p class='note'>{msg}</p>")
    y = int(as_of[:4])
    title = (
        f"{y}年各项目标的完成概率（按预测月份）"
        if lang == "zh"
        else f"Probability of meeting each {y} target, by month of forecast"
    )
    alt = title + note + " " + month_label(as_of, lang)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wide = _probability_figure(path, as_of, lang, illustrative, reg, title + note, phone=False)
        if lang == "zh":  # at a phone's width the title takes two lines
            title = title.replace("（按", "\n（按")
        else:
            title = title.replace(", by month", ",\nby month")
        narrow = _probability_figure(
            path, as_of, lang, illustrative, reg, title + (f"\n{note.strip()}" if note else ""),
            phone=True,
        )  # fmt: skip
    return Html(
        f'<figure class="wide wide-only">{svg(wide, alt)}</figure>'
        f'<figure class="wide phone-only">{svg(narrow, alt)}</figure>'
    )


def _probability_figure(path, as_of, lang, illustrative, reg, title, phone: bool) -> Figure:
    y = int(as_of[:4])
    months = [f"{y - 1}-12", *[f"{y}-{m:02d}" for m in range(1, 13)]]
    idx = {m: i for i, m in enumerate(months)}
    fig = Figure(figsize=(3.8, 3.7) if phone else (7.0, 3.0))
    ax = fig.add_subplot()
    ax.axhspan(0.8, 1.0, color=colour("green-bg"), alpha=0.5, lw=0, zorder=0)
    ax.axhspan(0.0, 0.5, color=colour("red-bg"), alpha=0.25, lw=0, zorder=0)
    inds = [i for i in reg.indicators if i in set(path["indicator_id"])]
    inds += sorted(set(path["indicator_id"]) - set(inds))
    for n, ind in enumerate(inds):
        g = path[path["indicator_id"] == ind]
        g = g[g["month"].isin(idx)]
        ax.plot(
            g["month"].map(idx),
            g["p_meet"],
            marker="o",
            ms=3,
            lw=1.6,
            color=SERIES[n % len(SERIES)],
            label=_short_name(ind, lang, reg),
        )
    ticks = [0, 3, 6, 9, 12]
    labels = (
        ["年初", "3月", "6月", "9月", "12月"]
        if lang == "zh"
        else ["start", "Mar", "Jun", "Sep", "Dec"]
    )
    ax.set_xticks(ticks, labels, fontsize=FS_TICK)
    ax.set_xlim(-0.4, 12.4)
    ax.set_ylim(0, 1.02)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.tick_params(axis="y", labelsize=FS_TICK)
    ax.axvline(idx.get(as_of, 0), color=colour("as-of"), lw=0.8, alpha=0.6)
    ax.grid(axis="y", color=colour("grid"), lw=0.6)
    ax.set_title(title, fontsize=FS_TITLE, loc="left", pad=14)
    ax.legend(
        fontsize=FS_LEGEND,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.12),
        ncol=(2 if lang == "zh" else 1) if phone else 3,
        frameon=False,
    )
    _watermark(ax, illustrative, lang=lang)
    fig.tight_layout(pad=PAD)
    return fig
