"""Cell values as offices type them: full-width digits, 1,234, '85%', —, 无, footnote marks 2.1*.

A blank, —, -, ／, / or 无 means *nothing reported* (``None``), never zero.
"""

from __future__ import annotations

import datetime as dt
import math
import re

from ..text import normalize

#: Texts that mean "nothing reported".
BLANKS = frozenset(
    {"", "-", "--", "—", "——", "–", "/", "／", "\\", "无", "暂无", "空", "n/a", "na"}
)

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_NUM_UNIT = re.compile(
    r"^([+-]?[\d.,]+)(万?(?:平方米|平米|㎡|m²|m2|个|件|家|人|名|项|户|场次|场))$"
)


class ValueProblem(ValueError):
    """A cell that is not a number nor a recognised 'nothing reported' mark."""


def parse_cell(value: object) -> tuple[float | None, str | None]:
    """(number, unit written in the cell or None); (None, None) when nothing is reported.

    Percentages give fractions ('85%' → 0.85). Raises :class:`ValueProblem` for anything else,
    including negative numbers (a report cannot achieve less than nothing).
    """
    if value is None:
        return None, None
    if isinstance(value, bool):
        raise ValueProblem(f"not a number: {value!r}")
    if isinstance(value, (int, float)):
        x = float(value)
        if math.isnan(x):
            return None, None
        if x < 0:
            raise ValueProblem(f"negative value {value!r}")
        return x, None
    if isinstance(value, (dt.date, dt.datetime)):
        raise ValueProblem(f"a date ({value}) where a number was expected")
    s = normalize(value, footnotes=True)  # 2.1* / 3.0① → the number
    if s.lower() in BLANKS or s in BLANKS:
        return None, None
    unit = None
    m = _NUM_UNIT.match(s)
    if m:
        s, unit = m.group(1), m.group(2)
    percent = s.endswith("%")
    if percent:
        s = s[:-1]
    if re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?", s):
        s = s.replace(",", "")
    if not _NUMBER.match(s):
        raise ValueProblem(f"not a number: {value!r}")
    x = float(s)
    if x < 0:
        raise ValueProblem(f"negative value {value!r}")
    return (x / 100.0 if percent else x), unit


def parse_value(value: object) -> float | None:
    """The number in a cell (see :func:`parse_cell`), ignoring any unit written in it."""
    return parse_cell(value)[0]
