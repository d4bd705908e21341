"""Units and indicator names in headers: 万平方米 / 平方米 / ㎡ / 个 / 家 / 人 → the canonical unit.

The canonical unit of each indicator comes from :mod:`ontrack.registry`. Space is the one
indicator whose unit changes the number (平方米 or ㎡ ÷ 10000 → 万平方米), so a space value whose
unit cannot be determined is an error. Counts (个 / 家 / 项 / 户 for firms, 人 / 名 for people) are
the same number whatever count word is used; a count without a stated unit is taken in its
canonical unit (logged).
"""

from __future__ import annotations

import difflib
import re
import unicodedata

from ..registry import INDICATORS

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

_CANONICAL_KIND = {
    "万平方米": "area",
    "个": "count",
    "家": "count",
    "项": "count",
    "人": "count",
    "场次": "count",
}

#: words → indicator id, checked in this order (more specific first).
_INDICATOR_WORDS: tuple[tuple[str, str], ...] = (
    ("20孵化器", "incubators_20"),
    ('"20"', "incubators_20"),
    ("示范孵化器", "incubators_20"),
    ("示范性孵化器", "incubators_20"),
    ("孵化空间", "space"),
    ("孵化面积", "space"),
    ("空间面积", "space"),
    ("科技企业", "tech_firms"),
    ("科技型企业", "tech_firms"),
    ("在孵企业", "firms"),
    ("在孵项目", "firms"),
    ("孵化企业", "firms"),
    ("创新创业人才", "talent"),
    ("创业人才", "talent"),
    ("人才", "talent"),
)


def norm(text: object) -> str:
    """NFKC, no white space, curly quotes as straight ones."""
    s = unicodedata.normalize("NFKC", str(text))
    s = re.sub(r"\s+", "", s)
    return s.replace("“", '"').replace("”", '"').replace("「", '"').replace("」", '"')


def find_unit(text: object) -> str | None:
    """The first unit word in ``text`` (e.g. '新增孵化空间面积(平方米)' → '平方米'), or None."""
    if text is None:
        return None
    s = norm(text)
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


def canonical_unit(indicator_id: str) -> str | None:
    """The canonical unit of an indicator (registry), or None for an unknown indicator."""
    ind = INDICATORS.get(indicator_id)
    return ind.unit if ind else None


def factor(unit: str | None, indicator_id: str) -> float | None:
    """Multiplier taking a value in ``unit`` to the indicator's canonical unit.

    None when the unit does not fit the indicator (平方米 for firms) or, for space, when the unit
    is missing. A missing unit for a count indicator gives 1.0 (the count word does not matter).
    """
    canon = canonical_unit(indicator_id)
    if canon is None:
        return None
    kind = _CANONICAL_KIND.get(canon)
    if unit is None:
        return None if kind == "area" or kind is None else 1.0
    if unit == canon:
        return 1.0
    got = _UNITS.get(unit)
    if got is None or kind is None:
        return None
    k, f = got
    if kind == "area":
        return f if k == "area" else None
    # counts: the count word does not matter (the plans themselves write 人才数(个)); 万人 does
    return f if k != "area" else None


def match_indicator(text: object) -> str | None:
    """The core indicator named in a header or cell (id, name_zh, or a familiar wording)."""
    if text is None:
        return None
    s = norm(text)
    if not s:
        return None
    if s in INDICATORS:
        return s
    s_core = re.sub(r"[(\[（【][^)\]）】]*[)\]）】]", "", s)
    for ind in INDICATORS.values():
        if norm(ind.name_zh) in (s, s_core):
            return ind.id
    bare = s.replace('"', "").replace("'", "")
    for word, ind_id in _INDICATOR_WORDS:
        if word in s or word in bare:
            return ind_id
    return None


def suggest_indicators(text: object, n: int = 3) -> list[str]:
    """Closest core indicator names (and ids) for 'did you mean' messages."""
    names = [i.name_zh for i in INDICATORS.values() if i.core] + [
        i.id for i in INDICATORS.values() if i.core
    ]
    return difflib.get_close_matches(norm(text), names, n=n, cutoff=0.2)
