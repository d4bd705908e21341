"""The one number formatter of a briefing: tables, charts and sentences all call these, so a
chart never says 53.33 where the table beside it says 53.3.

* :func:`fmt_num`: an amount (targets, actuals, projections, paces);
* :func:`fmt_pct`: a share or a probability as a whole percent (half up);
* :func:`fmt_unit`: an amount with its unit;
* :func:`fmt_times`: a ratio ("7.0倍");
* :func:`fmt_count`: a whole number with thousands separators.
"""

from __future__ import annotations

import math

#: English renderings of the units (the Chinese text uses the units as they are)
UNIT_EN = {"万平方米": "×10,000 m²", "个": "", "人": "people", "家": "", "项": "", "场次": "events"}


def _missing(x) -> bool:
    if x is None:
        return True
    try:
        return math.isnan(float(x))
    except (TypeError, ValueError):
        return True


def fmt_num(x: float) -> str:
    """Readable number: ≥100 → whole with thousands separators; ≥10 → 1 decimal; else 2
    (trailing zeros dropped): 3000 → '3,000', 53.333 → '53.3', 0.3333 → '0.33', 12.0 → '12'."""
    if _missing(x):
        return "—"
    x = float(x)
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    ax = abs(x)
    if ax >= 100:
        s = f"{x:,.0f}"
        return "0" if s == "-0" else s
    s = f"{x:.1f}" if ax >= 10 else f"{x:.2f}"
    s = s.rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def fmt_pct(p: float, lang: str = "zh", prob: bool = False) -> str:
    """A share as a whole percent (half up); a probability (``prob``) under 1% / over 99% as
    '<1%' / '>99%' (a simulation cannot say 'never' or 'certainly')."""
    if _missing(p):
        return "—"
    p = float(p)
    if prob:
        if p < 0.01:
            return "<1%"
        if p > 0.99:
            return ">99%"
    return f"{int(p * 100 + 0.5)}%"


def fmt_unit(value: float, unit: str, lang: str = "zh") -> str:
    """'8.8万平方米' / '8.8 ×10,000 m²'."""
    if lang == "zh":
        return f"{fmt_num(value)}{unit}"
    u = UNIT_EN.get(unit, unit)
    return f"{fmt_num(value)} {u}".strip()


def fmt_times(ratio: float) -> str:
    """A ratio with one decimal: 7.0 (as in '是此前月均的7.0倍')."""
    if _missing(ratio):
        return "—"
    return f"{float(ratio):.1f}"


def fmt_count(n: int) -> str:
    """A whole number with thousands separators: 10000 → '10,000'."""
    return f"{int(n):,}"
