"""Cell values as offices type them: full-width digits, 1,234, —, 无, footnote marks 2.1*.

A blank, —, -, ／, / or 无 means *nothing reported* (``None``), never zero. What a number cell may
not be (each a :class:`ValueProblem`, Chinese and English): a percentage ('12.5%', or a number
formatted as a percentage in Excel: a share is not an amount), a number with a space inside
('1 2': 12 or 1 and 2?), a superscript after a number ('0.35³': a footnote mark, or 0.353?),
a negative number, something not finite or beyond :data:`MAX_VALUE`
('1e308', 'inf'), a formula whose value was never calculated (a workbook written by a script
and never opened in Excel), an Excel error (#DIV/0!), a date.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata

from ..text import normalize

#: Texts that mean "nothing reported".
BLANKS = frozenset(
    {"", "-", "--", "—", "——", "–", "/", "／", "\\", "无", "暂无", "空", "n/a", "na"}
)
#: No amount any office reports reaches this, in any unit (1e9 ㎡ is 1,000 km²): beyond it a
#: cell is refused (1e308 would become inf). Far smaller values that are implausible for the
#: region are flagged against the plan's targets (:mod:`ontrack.progress.plausible`).
MAX_VALUE = 1e9

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_NUM_UNIT = re.compile(
    r"^([+-]?[\d.,]+)(万?(?:平方米|平米|㎡|m²|m2|个|件|家|人|名|项|户|场次|场))$"
)
_SPACE_IN_NUMBER = re.compile(r"\d[\s,]*\s[\s,]*\d")
#: a superscript digit after a number (0.35³): a footnote mark or part of the number? NFKC
#: would make it a digit (0.353)
_SUPERSCRIPT_AFTER_NUMBER = re.compile(r"[\d.,][⁰¹²³⁴⁵⁶⁷⁸⁹]+\s*$")


class ValueProblem(ValueError):
    """A cell that is not a number nor a recognised 'nothing reported' mark (``zh``, ``en``)."""

    def __init__(self, zh: str, en: str):
        super().__init__(en)
        self.zh = zh
        self.en = en


class Formula(str):
    """A formula cell whose value was never calculated (no cached value in the file)."""


class Percent(float):
    """A number cell formatted as a percentage in Excel (0.125 shown as 12.5%)."""


class CellError(str):
    """An Excel error value (#DIV/0!, #REF!, #N/A ...)."""


def parse_cell(value: object) -> tuple[float | None, str | None]:
    """(number, unit written in the cell or None); (None, None) when nothing is reported.

    Raises :class:`ValueProblem` for anything that is not an amount (see the module docstring).
    """
    if value is None:
        return None, None
    if isinstance(value, Formula):
        raise ValueProblem(
            f"公式“{value}”没有计算结果（文件由程序生成、未在 Excel 中保存过）",
            f"formula '{value}' has no calculated value (the file was written by a program "
            "and never saved by Excel)",
        )
    if isinstance(value, CellError):
        raise ValueProblem(f"Excel 错误值 {value}", f"Excel error value {value}")
    if isinstance(value, bool):
        raise ValueProblem(f"不是数字：{value!r}", f"not a number: {value!r}")
    if isinstance(value, Percent):
        raise ValueProblem(
            f"单元格格式为百分比（显示为 {float(value) * 100:g}%），百分比不是数量",
            f"the cell is formatted as a percentage ({float(value) * 100:g}%): a share is not "
            "an amount",
        )
    if isinstance(value, (int, float)):
        return _checked(float(value), value), None
    if isinstance(value, (dt.date, dt.datetime)):
        raise ValueProblem(
            f"此处应为数字，却是日期（{value}）", f"a date ({value}) where a number was expected"
        )
    raw = str(value)
    if _SUPERSCRIPT_AFTER_NUMBER.search(raw):
        raise ValueProblem(
            f"数字后有上标（'{raw}'）：是脚注标记还是数字的一部分？",
            f"a superscript after the number ('{raw}'): a footnote mark or a digit?",
        )
    if _SPACE_IN_NUMBER.search(unicodedata.normalize("NFKC", raw).strip()):
        raise ValueProblem(
            f"数字中间有空格：'{raw}'（是 {re.sub(r'[^0-9.]', '', raw)} 还是几个数？）",
            f"a space inside the number '{raw}' (one number or several?)",
        )
    s = normalize(value, footnotes=True)  # 2.1* / 3.0① → the number
    if s.lower() in BLANKS or s in BLANKS:
        return None, None
    unit = None
    m = _NUM_UNIT.match(s)
    if m:
        s, unit = m.group(1), m.group(2)
    if s.endswith("%"):
        raise ValueProblem(
            f"百分比 '{raw}' 不是数量（完成率等比例请放在“完成率”列）",
            f"a percentage '{raw}' is not an amount (shares belong in a 完成率 column)",
        )
    if re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?", s):
        s = s.replace(",", "")
    if not _NUMBER.match(s):
        raise ValueProblem(f"不是数字：'{raw}'", f"not a number: '{raw}'")
    return _checked(float(s), raw), unit


def _checked(x: float, shown: object) -> float | None:
    if math.isnan(x):
        return None  # an empty numeric cell (NaN) is nothing reported
    if math.isinf(x) or abs(x) > MAX_VALUE:
        raise ValueProblem(
            f"数值 {shown} 大得不合理（超过 {MAX_VALUE:.0e}）",
            f"the value {shown} is implausibly large (above {MAX_VALUE:.0e})",
        )
    if x < 0:
        raise ValueProblem(f"负数 {shown}（完成数不能小于0）", f"negative value {shown}")
    return x


def parse_value(value: object) -> float | None:
    """The number in a cell (see :func:`parse_cell`), ignoring any unit written in it."""
    return parse_cell(value)[0]
