"""ontrack.text.normalize: the one normaliser every reader matches labels with."""

from __future__ import annotations

import pytest

from ontrack.text import normalize


@pytest.mark.parametrize(
    ("raw", "options", "expected"),
    [
        # full-width letters, digits and brackets become half-width; all white space goes
        ("昆阳镇 （２０２６）", {}, "昆阳镇(2026)"),
        ("  鳌 江\t镇\n", {}, "鳌江镇"),
        # a circled footnote mark must go BEFORE NFKC (which would make ① the digit 1)
        ("昆阳镇①", {"footnotes": True}, "昆阳镇"),
        ("昆阳镇①", {}, "昆阳镇1"),
        ("2.1*", {"footnotes": True}, "2.1"),
        ("35※", {"footnotes": True}, "35"),
        # a superscript is a unit's, not a footnote mark
        ("面积m²", {"footnotes": True}, "面积m2"),
        # footnote marks only at the end
        ("*备注", {"footnotes": True}, "*备注"),
        # quotes: kept, straightened or dropped
        ("新增温州市“20”孵化器", {}, "新增温州市“20”孵化器"),
        ("新增温州市“20”孵化器", {"quotes": "straight"}, '新增温州市"20"孵化器'),
        ("新增温州市“20”孵化器", {"quotes": "drop"}, "新增温州市20孵化器"),
        # month spans: any dash, tilde, 至 or 到 between digits becomes '-'
        ("2026年1—9月", {"dashes": True}, "2026年1-9月"),
        ("1～9月", {"dashes": True}, "1-9月"),
        ("1至9月", {"dashes": True}, "1-9月"),
        ("1到3月", {"dashes": True}, "1-3月"),
        ("1至9月", {}, "1至9月"),
    ],
)
def test_normalize(raw, options, expected):
    assert normalize(raw, **options) == expected


def test_one_month_pattern_and_its_arithmetic():
    """A month is YYYY-MM with 01–12 everywhere (ontrack.months); the arithmetic by hand."""
    from ontrack import months

    assert months.is_month("2026-10") and months.is_month("2025-01")
    for bad in ("2026-13", "2026-00", "2026-1", "26-10", "2026/10", "latest", ""):
        assert not months.is_month(bad), bad
    assert months.month_index("2026-01") == 2026 * 12  # year * 12 + month - 1
    assert months.index_month(2026 * 12 + 9) == "2026-10"
    assert months.previous_month("2026-01") == "2025-12"
    assert months.previous_month("2026-10") == "2026-09"
