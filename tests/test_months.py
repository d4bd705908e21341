"""The suite's one rule for the month something is made as of (ontrack.months)."""

import pytest

from ontrack.errors import InputError
from ontrack.months import check_month, previous_month, resolve_as_of

# reports for March, April and June (May was not reported)
MONTHS = ["2026-04", "2026-03", "2026-06", "2026-04"]


def test_latest_is_the_last_month_with_data():
    assert resolve_as_of("latest", MONTHS) == "2026-06"


def test_a_month_up_to_the_last_is_itself():
    assert resolve_as_of("2026-03", MONTHS) == "2026-03"
    # a forecast may be made as of a month nobody reported (May): months are unknown, not zero
    assert resolve_as_of("2026-05", MONTHS) == "2026-05"
    assert resolve_as_of("2025-12", MONTHS) == "2025-12"


def test_a_month_after_the_data_is_refused_in_both_languages():
    with pytest.raises(InputError) as ei:
        resolve_as_of("2026-07", MONTHS, where="--as-of", of="plan p")
    text = str(ei.value)
    assert text.startswith("--as-of: 2026-07 晚于最后一个有数据的月份 2026-06（plan p）")
    assert "数据截至2026年6月" in text
    assert "2026-07 is after the last month with data (2026-06 of plan p)" in text


def test_with_data_refuses_months_no_report_supports():
    assert resolve_as_of("2026-04", MONTHS, with_data=True) == "2026-04"
    with pytest.raises(InputError, match=r"2026-05 has no data.*\(2026-03 … 2026-06\)"):
        resolve_as_of("2026-05", MONTHS, with_data=True)
    with pytest.raises(InputError, match=r"2026-02 is before the first month with data \(2026-03"):
        resolve_as_of("2026-02", MONTHS, with_data=True)


def test_no_data_and_bad_months():
    with pytest.raises(InputError, match="no progress data of plan p"):
        resolve_as_of("latest", [], of="plan p")
    for bad in ("2026-13", "2026-1", "26-01", "latest ", ""):
        with pytest.raises(InputError, match="is not a month"):
            resolve_as_of(bad, MONTHS, where="as_of")
        with pytest.raises(InputError, match="is not a month"):
            check_month(bad)
    assert check_month("latest") == "latest"


def test_previous_month_crosses_the_year():
    assert previous_month("2026-01") == "2025-12"
    assert previous_month("2026-10") == "2026-09"
