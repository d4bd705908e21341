"""The one number formatter of a briefing: tables, charts and sentences all call these, so a
chart never says 53.33 where the table beside it says 53.3.

* :func:`fmt_num`: an amount (targets, actuals, projections, paces);
* :func:`fmt_pct`: a share or a probability as a whole percent (half up);
* :func:`fmt_unit`: an amount with its unit;
* :func:`fmt_times`: a ratio ("7.0倍");
* :func:`fmt_count`: a whole number with thousands separators;
* :func:`fmt_amount`: an amount done, projected or needed per month: whole numbers for counts
  (people, firms; targets keep :func:`fmt_num`, as an assumed split of 160 is 53.3);
* :func:`fmt_pp`: a change of probability in 百分点.
"""

from __future__ import annotations

import math
import re

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


def fmt_unit(value: float, unit: str, lang: str = "zh", nature: str = "") -> str:
    """'8.8万平方米' / '8.8 ×10,000 m²'; a count (``nature``) as a whole number: '24人'."""
    v = fmt_amount(value, nature)
    if lang == "zh":
        return f"{v}{unit}"
    u = UNIT_EN.get(unit, unit)
    return f"{v} {u}".strip()


def fmt_times(ratio: float) -> str:
    """A ratio with one decimal: 7.0 (as in '是此前月均的7.0倍')."""
    if _missing(ratio):
        return "—"
    return f"{float(ratio):.1f}"


def fmt_count(n: int) -> str:
    """A whole number with thousands separators: 10000 → '10,000'."""
    return f"{int(n):,}"


#: indicator natures whose amounts are counted (whole numbers: no "24.1人")
COUNT_NATURES = ("count", "small_count")


def fmt_amount(x: float, nature: str = "") -> str:
    """An amount of an indicator: counts (``nature`` count/small_count) as whole numbers, half
    up (24.1 → '24', 1853.5 → '1,854'), a count under one half but above 0 as '<1' (never '0'
    for something still to do); other amounts as :func:`fmt_num`."""
    if nature not in COUNT_NATURES or _missing(x):
        return fmt_num(x)
    x = float(x)
    if math.isinf(x):
        return fmt_num(x)
    if 0 < x < 0.5:
        return "<1"
    n = math.floor(abs(x) + 0.5)
    return f"{'-' if x < 0 and n else ''}{n:,}"


def fmt_pp(delta: int, lang: str = "zh") -> str:
    """A change in percentage points: +12 → '+12个百分点' / '+12 pp'; 0 → '持平' / 'no change';
    the minus sign is a true minus (−)."""
    d = int(delta)
    if d == 0:
        return "持平" if lang == "zh" else "no change"
    sign = "+" if d > 0 else "−"
    return f"{sign}{abs(d)}个百分点" if lang == "zh" else f"{sign}{abs(d)} pp"


def fact_key(region: str, indicator: str, year_start, year_end, level: str) -> str:
    """The key a page marks a target's figures with (``data-key``) and the facts table
    (:mod:`.facts`) is indexed by: ``pingyang|space|2026|2026|baseline``."""
    return f"{region}|{indicator}|{int(year_start)}|{int(year_end)}|{level}"


_OPEN, _SEP, _CLOSE = "\ue000", "\ue001", "\ue002"  # private-use characters: never in data
#: a marked figure inside a text (see :func:`mark`)
MARKED = re.compile(f"{_OPEN}([^{_SEP}]*){_SEP}([^{_SEP}]*){_SEP}([^{_CLOSE}]*){_CLOSE}")


def mark(text: str, key: str, field: str) -> str:
    """``text`` marked as the fact ``field`` of ``key`` (:mod:`.facts`): a section's HTML
    escaper (``html.esc``) turns it into ``<span data-key=… data-fact=…>text</span>``, so a
    test can compare the page with the facts table; :func:`unmark` gives the plain text."""
    return f"{_OPEN}{key}{_SEP}{field}{_SEP}{text}{_CLOSE}"


def unmark(text: str) -> str:
    """The text without the marks of :func:`mark` (for plain-text uses: titles, logs)."""
    return MARKED.sub(r"\3", text)


def signed(n: int) -> str:
    """A whole change with its sign, the minus a true minus: +4, −43, 0."""
    n = int(n)
    return f"+{n}" if n > 0 else (f"−{abs(n)}" if n < 0 else "0")
