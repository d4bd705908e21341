"""Months as the suite writes them, ``YYYY-MM``: the one pattern, and the arithmetic on it.

Every stage that reads or checks a month (the schemas, the briefing's parameters, the forecast's
as-of, scenarios, folder names) takes the pattern from here, so a month means the same thing
everywhere: four digits, a hyphen, 01 to 12.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .errors import InputError

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


# ---------------------------------------------------------------------------- as of
def check_month(as_of: object, where: str = "as_of") -> str:
    """``as_of`` as given when it is a month or 'latest'; InputError naming ``where`` else."""
    text = str(as_of)
    if text != "latest" and not is_month(text):
        raise InputError(where, f"{text!r} is not a month", "YYYY-MM or 'latest'")
    return text


def resolve_as_of(
    as_of: object,
    months: Iterable[object],
    *,
    where: str = "as_of",
    of: str = "",
    with_data: bool = False,
) -> str:
    """The month something is made as of, the one rule of the suite: 'latest' is the last of
    ``months`` (the months with data, e.g. of a plan's regions); a month after it is refused,
    since a forecast or a briefing as of it would present months nobody reported as known.
    ``with_data`` also refuses a month without data (a briefing of a month no report supports).
    ``of`` names whose data (e.g. "plan pingyang-2025-2027"). InputErrors in both languages,
    naming ``where``, on one line
    (Chinese / English)."""
    text = check_month(as_of, where)
    have = sorted({str(m) for m in months})
    whose_zh, whose_en = (f"（{of}）", f" of {of}") if of else ("", "")
    if not have:
        raise InputError(
            where,
            f"没有进度数据{whose_zh} / no progress data{whose_en}",
            "monitoring reports (`ontrack ingest FILE`)",
        )
    last = have[-1]
    if text == "latest":
        return last
    expected = f"{last} or an earlier month, or latest"
    if with_data:
        expected = f"'latest' or a month with data ({have[0]} … {last})"
    if text > last:
        raise InputError(
            where,
            f"{text} 晚于最后一个有数据的月份 {last}{whose_zh}，数据截至{zh_month(last)} / "
            f"{text} is after the last month with data ({last}{whose_en})",
            expected,
        )
    if with_data and text not in have:
        if text < have[0]:
            zh = f"早于第一个有数据的月份 {have[0]}"
            en = f"is before the first month with data ({have[0]})"
        else:
            zh, en = "没有进度数据", "has no data"
        raise InputError(
            where,
            f"{text} {zh}{whose_zh} / {text} {en}{whose_en}",
            expected,
        )
    return text


def zh_month(month: str) -> str:
    """'2026-10' → '2026年10月'."""
    return f"{month[:4]}年{int(month[5:7])}月"
