"""Charts of a briefing as embedded PNG images (no pyplot state, nothing fetched).

Figures are drawn on ``matplotlib.figure.Figure`` objects (not pyplot), saved to PNG in memory
and returned as ``<img src="data:image/png;base64,...">`` so the HTML stays self-contained. The
fan comes from the forecast's trajectories table; every number a chart prints is formatted by
:mod:`.fmt`, as in the tables beside it; names come from the project's Registry (``reg``).
"""

from __future__ import annotations

import base64
import io
import warnings

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..registry import Registry
from .fmt import COUNT_NATURES, UNIT_EN, fmt_amount, fmt_num, fmt_pct
from .narrative import active_rows, month_label, period_label
from .tables import Html, esc, unit_of

DPI = 160
C_ACTUAL = "#1f3a5f"
C_FAN = "#7fa7d3"
C_TARGET = "#c0392b"
C_STRETCH = "#e67e22"
DEMO = "示例数据"
DEMO_EN = "illustrative data"
#: font sizes in points at the size a chart is shown (figures are drawn at about the width
#: they are shown at: half an A4 column on paper, the full width of a phone): legends and
#: ticks at least 8 pt
FS_TICK = 8
FS_LEGEND = 8
FS_TITLE = 9.5


def _png(fig: Figure) -> str:
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a missing glyph must never print into a report
        fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def img(fig: Figure, alt: str, cls: str = "chart") -> str:
    return f'<img class="{cls}" alt="{esc(alt)}" src="data:image/png;base64,{_png(fig)}">'


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
            color="#999999",
            alpha=0.16,
            ha="center",
            va="center",
            rotation=20,
            zorder=0,
        )
    ax.annotate(
        DEMO if lang == "zh" else f"{DEMO} · {DEMO_EN}",
        xy=(1.0, 1.0),
        xycoords="axes fraction",
        xytext=(0, 4),
        textcoords="offset points",
        fontsize=FS_LEGEND,
        color="#b03a2e",
        ha="right",
        va="bottom",
        bbox={"boxstyle": "square,pad=0.15", "fc": "white", "ec": "#b03a2e", "lw": 0.6},
    )


def _amount_axis(ax, indicator: str, reg: Registry) -> None:
    """y ticks formatted by the briefing's formatter; whole-number ticks for counts."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

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
) -> Figure | None:
    reg = reg or Registry()
    rows = _chart_rows(att, region, indicator, as_of)
    if rows.empty:
        return None
    base = rows[rows["level"] == "baseline"]
    if not base.empty and float(base.iloc[0]["target"]) == 0:
        return None  # nothing assigned: no chart (and no "完成概率 >99%" over an empty plot)
    ref = base.iloc[0] if not base.empty else rows.iloc[0]
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
    ax.axvline(idx.get(as_of, len(months) - 1) + 1, color="#888888", lw=0.8, ls="-", alpha=0.6)
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
    pm = base.iloc[0]["p_meet"] if not base.empty else ref["p_meet"]
    ptxt = (
        f"完成概率 {fmt_pct(pm, prob=True)}"
        if lang == "zh"
        else f"probability {fmt_pct(pm, prob=True)}"
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
    fig.tight_layout()
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
) -> Html:
    """One chart per indicator the region has forecast targets for (registry order), in a grid."""
    reg = reg or Registry()
    have = set(active_rows(att, region, as_of)["indicator_id"])
    inds = [i for i in reg.indicators if i in have] + sorted(have - set(reg.indicators))
    cells, none = [], []
    for ind in inds:
        fig = indicator_chart(att, traj, progress, region, ind, as_of, lang, illustrative, reg)
        if fig is not None:
            cells.append(f"<figure>{img(fig, reg.indicator_name(ind, lang))}</figure>")
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
) -> Html:
    """Townships × indicators by p_meet (baseline targets of the as-of year), region marked.

    The townships are the parent's sub-regions (regions.csv), then any other region of the
    table that the registry does not know (shown by its id)."""
    import seaborn as sns

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
        "_multi"
    )
    rows = rows.drop_duplicates(["region_id", "indicator_id"])
    inds = [i for i in reg.indicators if i in set(rows["indicator_id"])]
    inds += sorted(set(rows["indicator_id"]) - set(inds))
    towns = [t for t in towns if t in set(rows["region_id"])]
    mat = rows.pivot(index="region_id", columns="indicator_id", values="p_meet").reindex(
        index=towns, columns=inds
    )
    zero = (
        rows.pivot(index="region_id", columns="indicator_id", values="target")
        .reindex(index=towns, columns=inds)
        .eq(0)
    )
    annot = mat.map(lambda v: "—" if pd.isna(v) else fmt_pct(v, prob=True))
    # a target of 0 (nothing assigned) has no probability: a blank cell saying so
    annot = annot.mask(zero, "无任务" if lang == "zh" else "none")
    mat = mat.mask(zero)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _heatmap_draw(mat, annot, towns, inds, region, y, lang, illustrative, sns, reg)


def _heatmap_draw(mat, annot, towns, inds, region, y, lang, illustrative, sns, reg) -> Html:
    from matplotlib.ticker import PercentFormatter

    fig = Figure(figsize=(0.95 * len(inds) + 1.7, 0.36 * len(towns) + 1.9))
    ax = fig.add_subplot()
    ax.set_facecolor("#f2f2f2")  # cells without a probability (none assigned, no data)
    sns.heatmap(
        mat.astype(float),
        ax=ax,
        vmin=0,
        vmax=1,
        cmap="RdYlGn",
        annot=annot,
        fmt="",
        annot_kws={"fontsize": FS_TICK},
        linewidths=0.5,
        linecolor="white",
        cbar_kws={
            "label": "完成概率" if lang == "zh" else "Probability of meeting the target",
            "shrink": 0.8,
            "format": PercentFormatter(1.0, decimals=0),
        },
    )
    cbar = ax.collections[0].colorbar
    cbar.ax.tick_params(labelsize=FS_TICK)
    cbar.ax.yaxis.label.set_size(FS_TICK)
    ax.grid(False)
    # cells without a probability: seaborn leaves them blank; say why (none assigned / no data)
    for i, row in enumerate(annot.to_numpy()):
        for j, txt in enumerate(row):
            if pd.isna(mat.iat[i, j]):
                ax.text(j + 0.5, i + 0.5, txt, ha="center", va="center",
                        fontsize=FS_TICK, color="#666666")  # fmt: skip
    short = {
        i: (
            reg.indicator_name(i).replace("新增", "").replace("新培育", "")
            if lang == "zh"
            else reg.indicator_name(i, "en")
        )
        for i in inds
    }
    ax.set_xticks(
        np.arange(len(inds)) + 0.5,
        [short[i] for i in inds],
        rotation=30,
        ha="right",
        rotation_mode="anchor",
        fontsize=FS_TICK,
    )
    names = [
        ("▶ " if t == region else "")
        + (reg.short_name(t) if lang == "zh" else reg.region_name(t, lang))
        for t in towns
    ]
    ax.set_yticks(np.arange(len(towns)) + 0.5, names, rotation=0, fontsize=FS_TICK)
    for lab, t in zip(ax.get_yticklabels(), towns, strict=True):
        if t == region:
            lab.set_fontweight("bold")
    ax.set_xlabel("")
    ax.set_ylabel("")
    title = (
        f"各乡镇{y}年目标完成概率"
        if lang == "zh"
        else f"Probability of meeting {y} targets, by township"
    )
    ax.set_title(title, fontsize=FS_TITLE, loc="left", pad=14)
    _watermark(ax, illustrative, faint=False, lang=lang)  # the cells would hide a faint mark
    fig.tight_layout()
    return Html(f'<figure class="heatmap">{img(fig, title, "heatmap")}</figure>')


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
    (the start of the year) to the as-of month; y axis 0–100%."""
    from matplotlib.ticker import PercentFormatter

    reg = reg or Registry()
    if path.empty:
        msg = "暂无逐月预测记录。" if lang == "zh" else "No monthly forecasts to show."
        return Html(f"<p class='note'>{msg}</p>")
    y = int(as_of[:4])
    months = [f"{y - 1}-12", *[f"{y}-{m:02d}" for m in range(1, 13)]]
    idx = {m: i for i, m in enumerate(months)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fig = Figure(figsize=(7.0, 3.0))
        ax = fig.add_subplot()
        ax.axhspan(0.8, 1.0, color="#d4efdf", alpha=0.5, lw=0, zorder=0)
        ax.axhspan(0.0, 0.5, color="#f5b7b1", alpha=0.25, lw=0, zorder=0)
        inds = [i for i in reg.indicators if i in set(path["indicator_id"])]
        inds += sorted(set(path["indicator_id"]) - set(inds))
        colors = ["#1f3a5f", "#c0392b", "#27ae60", "#e67e22", "#8e44ad", "#16a085", "#7f8c8d"]
        for n, ind in enumerate(inds):
            g = path[path["indicator_id"] == ind]
            g = g[g["month"].isin(idx)]
            name = reg.indicator_name(ind, lang)
            if lang == "zh":
                name = name.replace("新增", "").replace("新培育", "")
            ax.plot(
                g["month"].map(idx),
                g["p_meet"],
                marker="o",
                ms=3,
                lw=1.6,
                color=colors[n % len(colors)],
                label=name,
            )
        ticks = [0, 3, 6, 9, 12]
        if lang == "zh":
            labels = ["年初", "3月", "6月", "9月", "12月"]
        else:
            labels = ["start", "Mar", "Jun", "Sep", "Dec"]
        ax.set_xticks(ticks, labels, fontsize=FS_TICK)
        ax.set_xlim(-0.4, 12.4)
        ax.set_ylim(0, 1.02)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.tick_params(axis="y", labelsize=FS_TICK)
        ax.axvline(idx.get(as_of, 0), color="#888888", lw=0.8, alpha=0.6)
        ax.grid(axis="y", color="#dddddd", lw=0.6)
        title = (
            f"{y}年各项目标的完成概率（按预测月份）"
            if lang == "zh"
            else f"Probability of meeting each {y} target, by month of forecast"
        )
        ax.set_title(title + note, fontsize=FS_TITLE, loc="left", pad=14)
        ax.legend(
            fontsize=FS_LEGEND,
            loc="upper center",
            bbox_to_anchor=(0.5, -0.12),
            ncol=3,
            frameon=False,
        )
        _watermark(ax, illustrative, lang=lang)
        fig.tight_layout()
        alt = title + " " + month_label(as_of, lang)
        return Html(f'<figure class="wide">{img(fig, alt, "chart")}</figure>')
