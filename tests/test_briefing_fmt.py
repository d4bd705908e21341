"""One number formatter: a chart says what the table beside it says (53.3, not 53.33)."""

from __future__ import annotations

import pandas as pd
import pytest

from ontrack.briefing import charts, fmt, narrative, tables


def _row(target: float, level: str = "baseline") -> dict:
    # Lucheng's assumed 2026 split of a three-year total: 160 / 3 = 53.333…
    return dict(
        plan_id="lucheng-2025-2027", region_id="lucheng", indicator_id="tech_firms",
        year_start=2026, year_end=2026, level=level, target=target, actual_to_date=20.0,
        p_meet=0.4, proj_p10=40.0, proj_p50=50.0, proj_p90=60.0, required_per_month=11.1111,
        linear_pace="behind", rag="red", as_of="2026-09",
    )  # fmt: skip


def test_numbers_are_formatted_by_hand_worked_rules():
    # ≥ 100: whole, thousands separators; ≥ 10: one decimal; else two; trailing zeros dropped
    assert fmt.fmt_num(160 / 3) == "53.3"
    assert fmt.fmt_num(3000) == "3,000"
    assert fmt.fmt_num(12.0) == "12"
    assert fmt.fmt_num(0.3333) == "0.33"
    assert fmt.fmt_num(float("nan")) == "—"
    assert fmt.fmt_pct(0.345) == "35%"  # half up
    assert fmt.fmt_pct(0.004, prob=True) == "<1%" and fmt.fmt_pct(0.996, prob=True) == ">99%"
    assert fmt.fmt_times(4.6667 / 0.6667) == "7.0"
    assert fmt.fmt_count(10_000) == "10,000"


def test_tables_charts_and_text_use_the_same_functions():
    assert narrative.fmt_num is fmt.fmt_num and tables.fmt_num is fmt.fmt_num
    assert charts.fmt_num is fmt.fmt_num and charts.fmt_pct is fmt.fmt_pct


def test_a_chart_says_what_the_table_says(example_registry):
    att = pd.DataFrame([_row(160 / 3), _row(200 / 3, "stretch")])
    html = tables.targets_table(att, "lucheng", "2026-09", "zh", reg=example_registry)
    fig = charts.indicator_chart(
        att, pd.DataFrame(), pd.DataFrame(columns=["region_id", "indicator_id", "month", "value"]),
        "lucheng", "tech_firms", "2026-09", "zh", reg=example_registry,
    )  # fmt: skip
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    # the table shows 53.3 and 66.7 (one decimal at ≥ 10); the chart's target lines say the same
    assert "53.3" in html and "66.7" in html and "53.33" not in html
    assert "目标 53.3" in legend and "高线 66.7" in legend
    assert not any("53.33" in t or "66.67" in t for t in legend)
    assert charts.target_label("目标", 160 / 3) == "目标 " + fmt.fmt_num(160 / 3)


@pytest.mark.parametrize("value", [2000.0, 0.5, 7.25, 1234.5])
def test_target_lines_and_table_cells_agree(value):
    assert charts.target_label("目标", value).split(" ", 1)[1] == fmt.fmt_num(value)


def test_an_english_count_is_labelled_number_but_reads_without_a_unit_in_a_sentence():
    from ontrack.briefing.html import unit_label, unit_text

    # a column or row label needs a word; "14 number added" is not English
    assert unit_label("个", "en") == "number" and unit_text("个", "en") == ""
    assert unit_label("家", "en") == "number" and unit_text("家", "en") == ""
    assert unit_label("人", "en") == unit_text("人", "en") == "people"
    assert unit_label("个", "zh") == unit_text("个", "zh") == "个"
