"""Cell values, periods and units as offices write them."""

from __future__ import annotations

import datetime as dt

import pytest

from ontrack.progress.periods import Period, parse_date, parse_period
from ontrack.progress.values import (
    MAX_VALUE,
    CellError,
    Formula,
    Percent,
    ValueProblem,
    parse_cell,
    parse_value,
)
from ontrack.units import factor, find_unit


@pytest.mark.parametrize(
    "cell, expected",
    [
        ("１２,５００", 12500.0),  # full-width digits and comma
        ("1,234.5", 1234.5),  # thousands separator
        ("1.2e3", 1200.0),  # exponent notation, finite and plausible
        ("2.1*", 2.1),  # footnote mark
        ("3.0①", 3.0),
        ("  12 ", 12.0),  # spaces
        (7, 7.0),
        ("", None),
        ("—", None),  # nothing reported
        ("-", None),
        ("／", None),
        ("无", None),
        (None, None),
    ],
)
def test_parse_value(cell, expected):
    assert parse_value(cell) == expected


def test_unit_written_in_the_cell():
    assert parse_cell("1.5万平方米") == (1.5, "万平方米")
    assert parse_cell("１２件") == (12.0, "件")  # full-width digits, the count word 件


@pytest.mark.parametrize("cell", ["十二", "-3", "abc", True, dt.date(2026, 1, 1)])
def test_bad_values_raise(cell):
    with pytest.raises(ValueProblem):
        parse_value(cell)


@pytest.mark.parametrize(
    "cell, reason",
    [
        ("12.5%", "a percentage '12.5%' is not an amount"),  # a share in a count column
        (Percent(0.125), "formatted as a percentage (12.5%)"),  # 0.125 shown as 12.5% in Excel
        ("1 2", "a space inside the number '1 2'"),  # 12, or 1 and 2?
        ("1　2", "a space inside the number"),  # ideographic space (全角空格)
        ("12 500", "a space inside the number"),  # a space as thousands separator: refused too
        ("1e308", "implausibly large"),  # finite, but 1e308 × 10000 ㎡ → inf downstream
        ("1e10", "implausibly large"),  # beyond MAX_VALUE = 1e9
        (float("inf"), "implausibly large"),
        ("inf", "not a number"),
        ("nan", "not a number"),
        ("NaN", "not a number"),
        (Formula("=SUM(C5:C8)"), "formula '=SUM(C5:C8)' has no calculated value"),
        (CellError("#DIV/0!"), "Excel error value #DIV/0!"),
    ],
)
def test_values_that_are_not_what_they_seem_are_refused_with_the_reason(cell, reason):
    with pytest.raises(ValueProblem) as ei:
        parse_cell(cell)
    assert reason in ei.value.en
    assert ei.value.zh  # and a Chinese message for office staff


def test_the_largest_plausible_value_and_a_nan_cell():
    assert parse_value("1e9") == MAX_VALUE  # the cap itself is accepted
    assert parse_value(float("nan")) is None  # an empty numeric cell: nothing reported


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2026年1-9月", Period(2026, 1, 9, True)),
        ("1—2月", Period(None, 1, 2, True)),  # em dash, no year
        ("２０２６年１－９月", Period(2026, 1, 9, True)),  # full width
        ("第三季度", Period(None, 7, 9, None)),
        ("前三季度", Period(None, 1, 9, True)),
        ("截至9月底", Period(None, 1, 9, True)),
        ("上半年", Period(None, 1, 6, True)),
        ("2026年9月", Period(2026, 9, 9, None)),
        ("3月", Period(None, 3, 3, None)),
        ("2026-03", Period(2026, 3, 3, None)),
        # a plan span (2025—2027年) is not the year of the report
        ("三年行动计划(2025—2027年)督查表(2026年1-3月)", Period(2026, 1, 3, True)),
    ],
)
def test_parse_period(text, expected):
    assert parse_period(text) == expected


def test_period_of_a_date_cell_and_no_period():
    assert parse_period(dt.datetime(2026, 5, 1)) == Period(2026, 5, 5)
    assert parse_period("新增孵化空间面积") is None


def test_parse_date():
    assert parse_date("填报日期：2026年10月8日") == dt.date(2026, 10, 8)
    assert parse_date("2026-10-09") == dt.date(2026, 10, 9)


@pytest.mark.parametrize(
    "header, indicator, unit",
    [
        ("新增孵化空间面积(平方米)", "space", "平方米"),
        ("新增孵化空间面积（万平方米）", "space", "万平方米"),
        ("新增在孵企业(项目)(个)", "firms", "个"),  # (项目) is part of the name, (个) the unit
        ("新增创新创业人才数(个)", "talent", "个"),
        ("新增省级及以上科技企业数(家)", "tech_firms", "家"),
        ("新增温州“20”孵化器", "incubators_20", None),
    ],
)
def test_headers(example_registry, header, indicator, unit):
    assert example_registry.match_indicator(header) == indicator
    assert find_unit(header) == unit


def test_unit_factors(example_registry):
    space, firms, talent = (example_registry.unit(i) for i in ("space", "firms", "talent"))
    assert (space, firms, talent) == ("万平方米", "个", "人")
    assert factor("平方米", space) == pytest.approx(1e-4)  # 10000 m² = 1 万平方米
    assert factor(find_unit("(㎡)"), space) == pytest.approx(1e-4)
    assert factor("万平方米", space) == 1.0
    assert factor(None, space) is None  # area without a unit: cannot tell
    assert factor(None, firms) == 1.0  # a count is a count
    assert factor("平方米", firms) is None
    assert factor("万人", talent) == 1e4
