"""The charts' look: seaborn's ``whitegrid`` theme (its ``notebook`` context and ``deep``
palette), as matplotlib settings, so that a briefing does not import seaborn to set them.

Importing seaborn costs a briefing's kernel about 0.65 s (it imports ``scipy.stats``), and the
theme was all a briefing took from it. These are the values ``seaborn.set_theme(
style="whitegrid")`` sets (seaborn 0.13); a test applies both from matplotlib's defaults and
compares every setting, so a seaborn that changes its theme fails the test rather than the
look. One setting is left out: ``image.cmap`` ("rocket", a colormap seaborn registers when it
is imported); no chart of the suite draws an image.
"""

from __future__ import annotations

from typing import Any

#: seaborn's ``deep`` palette (its default colour cycle).
DEEP = (
    "#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3",
    "#937860", "#da8bc3", "#8c8c8c", "#ccb974", "#64b5cd",
)  # fmt: skip

#: ``seaborn.axes_style("whitegrid")`` without ``image.cmap``.
WHITEGRID: dict[str, Any] = {
    "figure.facecolor": "white",
    "axes.labelcolor": ".15",
    "xtick.direction": "out",
    "ytick.direction": "out",
    "xtick.color": ".15",
    "ytick.color": ".15",
    "axes.axisbelow": True,
    "grid.linestyle": "-",
    "text.color": ".15",
    "font.family": ["sans-serif"],
    "font.sans-serif": ["Arial", "DejaVu Sans", "Liberation Sans", "Bitstream Vera Sans",
                        "sans-serif"],
    "lines.solid_capstyle": "round",
    "patch.edgecolor": "w",
    "patch.force_edgecolor": True,
    "xtick.top": False,
    "ytick.right": False,
    "axes.grid": True,
    "axes.facecolor": "white",
    "axes.edgecolor": ".8",
    "grid.color": ".8",
    "axes.spines.left": True,
    "axes.spines.bottom": True,
    "axes.spines.right": True,
    "axes.spines.top": True,
    "xtick.bottom": False,
    "ytick.left": False,
}  # fmt: skip

#: ``seaborn.plotting_context("notebook")``.
NOTEBOOK: dict[str, Any] = {
    "axes.linewidth": 1.25,
    "grid.linewidth": 1,
    "lines.linewidth": 1.5,
    "lines.markersize": 6,
    "patch.linewidth": 1,
    "xtick.major.width": 1.25,
    "ytick.major.width": 1.25,
    "xtick.minor.width": 1,
    "ytick.minor.width": 1,
    "xtick.major.size": 6,
    "ytick.major.size": 6,
    "xtick.minor.size": 4,
    "ytick.minor.size": 4,
    "font.size": 12,
    "axes.labelsize": 12,
    "axes.titlesize": 12,
    "xtick.labelsize": 11,
    "ytick.labelsize": 11,
    "legend.fontsize": 11,
    "legend.title_fontsize": 12,
}


def apply_theme(family: str) -> None:
    """Set the theme, with ``family`` as the font (as ``set_theme(font=family)`` does)."""
    import matplotlib
    from matplotlib.rcsetup import cycler

    rc = matplotlib.rcParams
    rc.update(WHITEGRID)
    rc.update(NOTEBOOK)
    rc["axes.prop_cycle"] = cycler("color", [matplotlib.colors.to_rgb(c) for c in DEEP])
    rc["font.family"] = [family]
