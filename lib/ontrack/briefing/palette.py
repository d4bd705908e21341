"""The briefing's colours, in one place: the stylesheet's CSS variables and the charts' colours.

The page's stylesheet (``templates/briefing/briefing.css``) uses ``var(--name)`` only; its
``:root`` block is written from :data:`COLOURS` by :func:`css_vars`, and the charts and the
index page take the same entries, so a status green is the same green in a table, a chart and
the index. The probability scale (:func:`p_colour`) is the one the township table paints with.
"""

from __future__ import annotations

import itertools

#: name -> colour. Text colours pass WCAG AA (4.5:1) on white and on their own background.
COLOURS: dict[str, str] = {
    "ink": "#1d2733",
    "muted": "#5b6673",
    "line": "#d5dbe2",
    "accent": "#1f3a5f",
    "head-bg": "#eef2f6",
    "headline-bg": "#f3f6fa",
    "paper": "#ffffff",
    "side-bg": "#f6f8fa",
    "quiet": "#555555",
    "quiet-bg": "#fcfcfc",
    # status (RAG): background and text
    "green-bg": "#d4efdf",
    "green": "#145a32",
    "amber-bg": "#fdebd0",
    "amber": "#7e5109",
    "red-bg": "#f5b7b1",
    "red": "#78281f",
    "none-bg": "#e5e8ec",
    "none": "#3d4752",
    # directions of a change
    "up": "#1e6b35",
    "down": "#a93226",
    # the 示例数据 stamp and the scenario's colour
    "demo": "#b03a2e",
    "demo-bg": "#fdf2f0",
    "demo-ink": "#7b241c",
    "scenario": "#d68910",
    "scenario-bg": "#fff8e6",
    # a target that is an assumption (假设), not in the plan
    "assumed": "#7a4b00",
    "assumed-bg": "#fff4d6",
    "assumed-line": "#d9a400",
    # charts
    "actual": "#1f3a5f",
    "fan": "#7fa7d3",
    "target": "#c0392b",
    "stretch": "#e67e22",
    "as-of": "#888888",
    "grid": "#dddddd",
    "faint": "#999999",
}

#: one colour per indicator line (registry order), distinguishable and not a status colour alone
SERIES: tuple[str, ...] = (
    "#1f3a5f",
    "#c0392b",
    "#27ae60",
    "#e67e22",
    "#8e44ad",
    "#16a085",
    "#7f8c8d",
)

#: the probability scale, 0 → 1: red, amber, green (the RAG thresholds 0.5 and 0.8 between)
_SCALE: tuple[tuple[float, tuple[int, int, int]], ...] = (
    (0.0, (0xE3, 0x8A, 0x80)),
    (0.5, (0xF8, 0xD9, 0xA0)),
    (0.8, (0xC9, 0xE8, 0xB9)),
    (1.0, (0x8C, 0xCB, 0x9B)),
)


def colour(name: str) -> str:
    """The colour of ``name`` (KeyError names the unknown entry)."""
    return COLOURS[name]


def css_vars() -> str:
    """The ``:root`` block of CSS variables (``--green-bg: #d4efdf;`` …) the stylesheet uses."""
    return ":root { " + " ".join(f"--{k}: {v};" for k, v in COLOURS.items()) + " }\n"


def p_colour(p: float) -> str:
    """The background of a probability ``p`` (0–1) on the township table: linear between the
    scale's stops; light enough that dark text on it keeps a 4.5:1 contrast."""
    p = min(max(float(p), 0.0), 1.0)
    for (x0, c0), (x1, c1) in itertools.pairwise(_SCALE):
        if p <= x1:
            t = (p - x0) / (x1 - x0)
            rgb = [round(a + (b - a) * t) for a, b in zip(c0, c1, strict=True)]
            return "#" + "".join(f"{v:02x}" for v in rgb)
    return "#" + "".join(f"{v:02x}" for v in _SCALE[-1][1])
