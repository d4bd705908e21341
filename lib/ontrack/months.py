"""Months as the suite writes them, ``YYYY-MM``: the one pattern, and the arithmetic on it.

Every stage that reads or checks a month (the schemas, the briefing's parameters, the forecast's
as-of, scenarios, folder names) takes the pattern from here, so a month means the same thing
everywhere: four digits, a hyphen, 01 to 12.
"""

from __future__ import annotations

import re

#: a month, YYYY-MM with MM 01–12 (the year and the month as groups)
MONTH_PATTERN = r"^(\d{4})-(0[1-9]|1[0-2])$"
MONTH = re.compile(MONTH_PATTERN)


def is_month(text: object) -> bool:
    """Whether ``text`` is a month as the suite writes it (2026-10; not 2026-13, 2026-1)."""
    return bool(MONTH.match(str(text)))


def month_index(month: str) -> int:
    """'YYYY-MM' → year * 12 + month - 1 (a running month number); ValueError otherwise."""
    m = MONTH.match(str(month))
    if not m:
        raise ValueError(month)
    return int(m.group(1)) * 12 + int(m.group(2)) - 1


def index_month(idx: int) -> str:
    """Inverse of :func:`month_index`: 24315 → '2026-04'."""
    return f"{idx // 12:04d}-{idx % 12 + 1:02d}"


def previous_month(month: str) -> str:
    """The month before: 2026-01 → 2025-12."""
    return index_month(month_index(month) - 1)
