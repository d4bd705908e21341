"""Charts of the progress table: running totals per region for each indicator."""

from __future__ import annotations

import glob
import subprocess

import pandas as pd

from ..registry import INDICATORS, indicator_name, region_name

_KNOWN_CJK = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "C:/Windows/Fonts/msyh.ttc",
)


def _cjk_font() -> str | None:
    """Register a CJK font with matplotlib and put it first; its family name, or None.

    'Noto Sans CJK SC' (fonts-noto-cjk) is looked up with fc-list, then at known paths.
    (A shared font module will replace this.)
    """
    from matplotlib import font_manager, rcParams

    files: list[str] = []
    try:
        out = subprocess.run(
            ["fc-list", ":lang=zh", "file", "family"], capture_output=True, text=True, timeout=10
        ).stdout
        lines = sorted(out.splitlines(), key=lambda s: ("Noto Sans CJK" not in s, "SC" not in s))
        files = [ln.split(":")[0] for ln in lines if ln.strip()]
    except (OSError, subprocess.SubprocessError):
        pass
    files += [p for p in _KNOWN_CJK if glob.glob(p)]
    for path in files:
        try:
            font_manager.fontManager.addfont(path)
            name = font_manager.FontProperties(fname=path).get_name()
        except (OSError, RuntimeError, ValueError):
            continue
        rcParams["font.sans-serif"] = [name, *rcParams["font.sans-serif"]]
        rcParams["font.family"] = "sans-serif"
        rcParams["axes.unicode_minus"] = False
        return name
    return None


def plot_running_totals(
    progress: pd.DataFrame,
    *,
    indicators: list[str] | None = None,
    regions: list[str] | None = None,
    yearly: bool = True,
    lang: str = "zh",
):
    """One panel per indicator: each region's running total (within each year if ``yearly``).

    Steps show when values arrive (a building completing, a 1-2月 combined report). Returns the
    matplotlib Figure.
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    from .clean import to_ytd

    if lang == "zh":
        _cjk_font()
    df = progress.copy()
    if regions:
        df = df[df["region_id"].isin(regions)]
    inds = indicators or [i for i in INDICATORS if i in set(df["indicator_id"])]
    n = max(len(inds), 1)
    ncols = min(n, 2)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(7 * ncols, 3.6 * nrows), squeeze=False)
    palette = dict(
        zip(sorted(df["region_id"].unique()), sns.color_palette("tab10", 10) * 3, strict=False)
    )
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
            ax.plot([], [], color=palette[rid], label=region_name(rid, lang))
        unit = INDICATORS[ind].unit if ind in INDICATORS else ""
        ax.set_title(f"{indicator_name(ind, lang)} ({unit})", fontsize=11)
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
