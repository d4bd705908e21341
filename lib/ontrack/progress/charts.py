"""Charts of the progress table: running totals per region for each indicator."""

from __future__ import annotations

import pandas as pd

from ..fonts import use_cjk_font
from ..registry import Registry


def plot_running_totals(
    progress: pd.DataFrame,
    reg: Registry,
    *,
    indicators: list[str] | None = None,
    regions: list[str] | None = None,
    yearly: bool = True,
    lang: str = "zh",
):
    """One panel per indicator: each region's running total (within each year if ``yearly``).

    Steps show when values arrive (a building completing, a 1-2月 combined report). Names and
    units come from ``reg`` (an undeclared region or indicator is shown by its id). Returns the
    matplotlib Figure.
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    from .clean import to_ytd

    if lang == "zh":
        use_cjk_font()
    df = progress.copy()
    if regions:
        df = df[df["region_id"].isin(regions)]
    present = set(df["indicator_id"])
    inds = indicators or [
        *(i for i in reg.indicators if i in present),
        *sorted(present - set(reg.indicators)),
    ]
    n = max(len(inds), 1)
    ncols = min(n, 2)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(7 * ncols, 3.6 * nrows), squeeze=False)
    colors = sns.color_palette("tab10", 10)
    palette = {r: colors[k % len(colors)] for k, r in enumerate(sorted(df["region_id"].unique()))}
    if yearly:
        df = to_ytd(df)
    else:
        df = df.sort_values(["region_id", "indicator_id", "month"]).copy()
        df["ytd"] = df.groupby(["region_id", "indicator_id"])["value"].cumsum()
    df["date"] = pd.to_datetime(df["month"] + "-01")
    for ax, ind in zip(axes.flat, inds, strict=False):
        d = df[df["indicator_id"] == ind]
        for rid, g in d.groupby("region_id"):
            for _, gy in g.groupby(g["date"].dt.year if yearly else g["region_id"]):
                ax.step(gy["date"], gy["ytd"], where="post", color=palette[rid], lw=1.6)
            ax.plot([], [], color=palette[rid], label=reg.region_name(rid, lang))
        unit = reg.unit(ind)
        title = reg.indicator_name(ind, lang)
        ax.set_title(f"{title} ({unit})" if unit else title, fontsize=11)
        ax.set_ylabel("累计" if lang == "zh" else "running total")
        ax.grid(alpha=0.3)
        ax.tick_params(axis="x", labelrotation=30)
    for ax in list(axes.flat)[len(inds) :]:
        ax.set_visible(False)
    if inds:
        handles, labels = axes.flat[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="lower center", ncol=min(len(labels), 6), fontsize=9)
    if "illustrative" in progress and progress["illustrative"].any():
        fig.suptitle(
            "示例数据 (illustrative)" if lang == "zh" else "illustrative data", color="0.4"
        )
    fig.tight_layout(rect=(0, 0.08, 1, 0.97))
    return fig
