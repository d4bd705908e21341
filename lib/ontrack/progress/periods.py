"""Reporting periods as written in titles, sheet names and column headers.

'2026年1-9月', '1—2月', '第三季度', '前三季度', '上半年', '截至9月底', '2026年9月', '2026-09',
a date cell, '９月' … each becomes a :class:`Period`: a year (when stated) and a span of
months. A span starting in January is a year-to-date (累计) figure by construction; a single month
is ambiguous (that month alone, or 1..month 累计) until a header word (累计 / 本月) settles it.

A running total up to a day before the month's end (截至2026年12月5日, 截至12.5) is that month
*so far* (``through_day`` 5): the month is not closed, and the rest of it is still to come. Up
to the month's last day (截至9月30日) it is the whole month.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, replace

from ..text import normalize

_CN_NUM = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}


@dataclass(frozen=True)
class Period:
    """Months ``start``..``end`` (1-12) of ``year`` (None when the text does not say)."""

    year: int | None
    start: int
    end: int
    #: True: stated as running total (截至 / 前三季度 / 累计); None: single month, not said.
    cumulative: bool | None = None
    #: the last day covered of month ``end`` when the period stops before the month's end
    #: (截至12月5日: 5); None: the whole month
    through_day: int | None = None

    @property
    def single(self) -> bool:
        return self.start == self.end

    def with_year(self, year: int | None) -> Period:
        return self if self.year is not None or year is None else replace(self, year=year)

    def as_ytd(self) -> Period:
        """The year-to-date reading of this period (1..end)."""
        return replace(self, start=1, cumulative=True)

    def label(self) -> str:
        y = f"{self.year}年" if self.year else ""
        day = f"{self.through_day}日" if self.through_day else ""
        if self.single:
            return f"{y}{self.start}月{day}"
        return f"{y}{self.start}-{self.end}月{day}"


def days_in_month(year: int | None, month: int) -> int:
    """Days of a month (February of an unknown year: 28)."""
    return calendar.monthrange(year or 2001, month)[1]


def _through(year: int | None, month: int, day: str | None) -> int | None:
    """The ``through_day`` of a running total up to ``day`` of ``month``: None for the month's
    last day (the whole month) or no day."""
    if not day:
        return None
    d = int(day)
    if d < 1 or d >= days_in_month(year, month):
        return None
    return d


def _year_of(s: str) -> int | None:
    s = re.sub(r"20\d{2}-20\d{2}年?", "", s)  # plan spans like (2025—2027年)
    m = re.search(r"(20\d{2})年(?!度目标)", s) or re.search(r"(20\d{2})(?:-|/|\.)\d{1,2}", s)
    return int(m.group(1)) if m else None


def _month(n: str) -> int | None:
    v = int(n)
    return v if 1 <= v <= 12 else None


def parse_period(text: object) -> Period | None:
    """The period named in ``text`` (title, sheet name, header or date cell), or None."""
    if text is None:
        return None
    if isinstance(text, (dt.date, dt.datetime)):
        return Period(text.year, text.month, text.month)
    s = normalize(text, dashes=True)
    if not s:
        return None
    s_nospan = re.sub(r"20\d{2}-20\d{2}年?", "", s)
    year = _year_of(s)
    m = re.search(r"(?:(20\d{2})年)?(\d{1,2})-(\d{1,2})月", s_nospan)
    if m:
        a, b = _month(m.group(2)), _month(m.group(3))
        if a and b and a <= b:
            y = int(m.group(1)) if m.group(1) else year
            return Period(y, a, b, True if a == 1 else None)
    m = re.search(
        r"截[至止](?:(20\d{2})年)?(\d{1,2})月(?:(\d{1,2})[日号])?", s_nospan
    ) or re.search(r"截[至止](?:(20\d{2})[-/.])?(\d{1,2})[-/.](\d{1,2})(?!\d)", s_nospan)
    if m and _month(m.group(2)):
        y = int(m.group(1)) if m.group(1) else year
        month = int(m.group(2))
        return Period(y, 1, month, True, _through(y, month, m.group(3)))
    m = re.search(r"前([一二三四1-4])季度", s_nospan)
    if m:
        return Period(year, 1, 3 * _CN_NUM[m.group(1)], True)
    m = re.search(r"第?([一二三四1-4])季度", s_nospan)
    if m:
        q = _CN_NUM[m.group(1)]
        return Period(year, 3 * q - 2, 3 * q, True if q == 1 else None)
    if "上半年" in s_nospan:
        return Period(year, 1, 6, True)
    if "下半年" in s_nospan:
        return Period(year, 7, 12, None)
    m = re.search(r"(?:(20\d{2})年)?(\d{1,2})月", s_nospan)
    if m and _month(m.group(2)):
        y = int(m.group(1)) if m.group(1) else year
        return Period(y, int(m.group(2)), int(m.group(2)))
    m = re.fullmatch(r"(20\d{2})[-/.](\d{1,2})(?:[-/.]\d{1,2})?(?:\d{2}:\d{2}(?::\d{2})?)?", s)
    if m and _month(m.group(2)):
        return Period(int(m.group(1)), int(m.group(2)), int(m.group(2)))
    return None


def find_year(text: object) -> int | None:
    """A year (20xx年 or 20xx-mm) mentioned in ``text``, ignoring plan spans like 2025—2027年."""
    if text is None:
        return None
    if isinstance(text, (dt.date, dt.datetime)):
        return text.year
    return _year_of(normalize(text, dashes=True))


def parse_date(text: object) -> dt.date | None:
    """A date such as 2026年10月8日 / 2026-10-08 / 2026.10.8 (填报日期), or None."""
    if isinstance(text, dt.datetime):
        return text.date()
    if isinstance(text, dt.date):
        return text
    if text is None:
        return None
    s = normalize(text, dashes=True)
    m = re.search(r"(20\d{2})(?:年|-|/|\.)(\d{1,2})(?:月|-|/|\.)(\d{1,2})", s)
    if not m:
        return None
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def month_str(year: int, month: int) -> str:
    """'YYYY-MM'."""
    return f"{year:04d}-{month:02d}"
