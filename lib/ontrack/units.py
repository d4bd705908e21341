"""Units as offices and plans write them: 万平方米 / 平方米 / ㎡ / 个 / 家 / 人 / 万人 ...

:func:`factor` takes a value written in one unit to an indicator's canonical unit (from the
registry: ``data/indicators.csv`` and the project's ``data/raw/indicators.csv``). Area converts
(平方米 or ㎡ ÷ 10000 → 万平方米) and must be stated; counts keep their number whatever count
word is used (个 / 家 / 项 / 户 / 件), and people may be counted with 个 as the plans themselves
do (人才数(个)), but firms are never counted in 人. 万 multiplies (0.5万人 = 5000 人).
"""

from __future__ import annotations

import re

from .text import normalize

#: unit as written → (kind, factor to the kind's base unit). Base: 万平方米 for area, 1 for counts.
_UNITS: dict[str, tuple[str, float]] = {
    "万平方米": ("area", 1.0),
    "万平米": ("area", 1.0),
    "万㎡": ("area", 1.0),
    "万m²": ("area", 1.0),
    "万m2": ("area", 1.0),
    "平方米": ("area", 1e-4),
    "平米": ("area", 1e-4),
    "㎡": ("area", 1e-4),
    "m²": ("area", 1e-4),
    "m2": ("area", 1e-4),
    "个": ("thing", 1.0),
    "件": ("thing", 1.0),
    "家": ("thing", 1.0),
    "项": ("thing", 1.0),
    "户": ("thing", 1.0),
    "场次": ("event", 1.0),
    "场": ("event", 1.0),
    "人": ("person", 1.0),
    "名": ("person", 1.0),
    "人次": ("person", 1.0),
    "万人": ("person", 1e4),
}
# Longest first, so that 万平方米 is found before 平方米 and 万人 before 人.
_UNIT_RE = re.compile("|".join(re.escape(u) for u in sorted(_UNITS, key=len, reverse=True)))


def find_unit(text: object) -> str | None:
    """The first unit word in ``text`` (e.g. '新增孵化空间面积(平方米)' → '平方米'), or None."""
    if text is None:
        return None
    s = normalize(text, quotes="straight")
    # units are written in brackets or after a slash; look there first
    inner = re.findall(r"[(\[（【]([^)\]）】]*)[)\]）】]", s) + re.findall(r"/([^/]+)$", s)
    for part in inner:  # a bracket holding just a unit: (万平方米), (个)
        if part in _UNITS:
            return part
    for part in inner:
        m = _UNIT_RE.search(part)
        if m:
            return m.group(0)
    m = _UNIT_RE.search(s)
    return m.group(0) if m else None


def kind_of(unit: str | None) -> str | None:
    """'area', 'thing', 'person' or 'event' for a known unit word, else None."""
    got = _UNITS.get(unit or "")
    return got[0] if got else None


def factor(unit: str | None, canonical: str | None) -> float | None:
    """Multiplier taking a value written in ``unit`` to the ``canonical`` unit, or None when the
    unit does not fit (平方米 for firms, 人 for firms) or an area's unit is not stated.

    A count without a stated unit (``unit`` None) is taken in its canonical unit (1.0)."""
    if not canonical:
        return None
    canon = _UNITS.get(canonical)
    if unit is None:
        return None if canon is None or canon[0] == "area" else 1.0
    if unit == canonical:
        return 1.0
    got = _UNITS.get(unit)
    if got is None or canon is None:
        return None
    (k, f), (ck, cf) = got, canon
    if k == ck or (ck == "person" and k == "thing"):
        return f / cf
    return None
