"""Lucheng's plan 温鹿政办〔2025〕21号 as data: three-year totals and assumed yearly splits.

Expected values are read off data/raw/plans/lucheng-2025-2027/lucheng-2025-2027.txt (one long
line 6) by hand; the city's yearly shape (split "city") is that of the city plan folder's
targets.csv (wenzhou-2025-2027/targets.csv: 300/400/500 万平方米).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ontrack.errors import InputError
from ontrack.plans import KEY
from ontrack.plans.lucheng import parse_lucheng, split_total

ROOT = Path(__file__).resolve().parents[1]
PLANS = ROOT / "data" / "raw" / "plans"
DOC = PLANS / "lucheng-2025-2027" / "lucheng-2025-2027.txt"
CITY_SHEET = PLANS / "wenzhou-2025-2027" / "targets.csv"
L = "lucheng"


@pytest.fixture(scope="module")
def city(example_registry):
    return parse_lucheng(DOC, example_registry, split="city")


@pytest.fixture(scope="module")
def even(example_registry):
    return parse_lucheng(DOC, example_registry, split="even")


def copy_doc(tmp_path: Path, text: str | None = None, city_sheet: str | None = None) -> Path:
    """The document in a plan folder under tmp_path, beside a copy of the city plan folder's
    targets sheet (``city_sheet``: its text; None: no city folder at all)."""
    folder = tmp_path / "lucheng-2025-2027"
    folder.mkdir()
    out = folder / DOC.name
    out.write_text(DOC.read_text(encoding="utf-8") if text is None else text, encoding="utf-8")
    if city_sheet is not None:
        (tmp_path / "wenzhou-2025-2027").mkdir()
        (tmp_path / "wenzhou-2025-2027" / "targets.csv").write_text(city_sheet, encoding="utf-8")
    return out


def row(plan, indicator, y0, y1=None):
    r = plan.rows
    y1 = y0 if y1 is None else y1
    hit = r[(r.indicator_id == indicator) & (r.year_start == y0) & (r.year_end == y1)]
    assert len(hit) == 1
    return hit.iloc[0]


def yearly(plan, indicator):
    return [row(plan, indicator, y).value for y in (2025, 2026, 2027)]


@pytest.mark.parametrize(
    ("indicator", "total"),
    [
        ("space", 160),  # 二、工作目标: 完成新增孵化空间160万平方米
        ("firms", 1600),  # 新增在孵企业(项目)1600家
        ("talent", 16000),  # 新增创业创新人才16000人
        ("provincial_incubators", 6),  # 新增省级及以上孵化器6家
        ("incubators_20", 6),  # 新增市级"20"示范孵化器6家
        ("tech_firms", 150),  # 新培育省级及以上科技企业150家
        ("operators", 6),  # 新增专业运营机构6家
    ],
)
def test_three_year_totals(city, indicator, total):
    r = row(city, indicator, 2025, 2027)
    assert r.value == total
    assert not r.assumed
    assert r.source == "温鹿政办〔2025〕21号 二、工作目标"
    # each total is restated in 三、重点工作; the row cites both places
    assert "二、工作目标" in r.quote and "三、重点工作" in r.quote


def test_events_each_year_are_published_not_assumed(city):
    # 三、(七): 每年大孵化器集群开展创新创业活动100场次
    assert yearly(city, "events") == [100, 100, 100]
    assert not row(city, "events", 2026).assumed
    assert "每年大孵化器集群开展创新创业活动100场次" in row(city, "events", 2026).quote


def test_city_split_is_the_default_and_follows_300_400_500(city, example_registry):
    assert parse_lucheng(DOC, example_registry).rows.equals(city.rows)
    # space: 160 × 300/1200 = 40; 160 × 400/1200 = 53.33; 160 × 500/1200 = 66.67
    assert yearly(city, "space") == [40, 53.33, 66.67]
    # firms: 400, 533.33, 666.67 → floors 400 + 533 + 666 = 1599; the last unit goes to the
    # largest remainder (.67, 2027) → 400, 533, 667
    assert yearly(city, "firms") == [400, 533, 667]
    # talent: 4000, 5333.33, 6666.67 → 4000, 5333, 6667
    assert yearly(city, "talent") == [4000, 5333, 6667]
    # tech_firms: 37.5, 50, 62.5 → floors 37 + 50 + 62 = 149; remainders .5 and .5 tie → later
    # year → 37, 50, 63
    assert yearly(city, "tech_firms") == [37, 50, 63]
    # 6 "20" incubators: 1.5, 2, 2.5 → 1, 2, 3
    assert yearly(city, "incubators_20") == [1, 2, 3]


def test_even_split(even):
    # 1600 / 3 = 533.33 → 533, 533, 534 (the remaining unit to the later year)
    assert yearly(even, "firms") == [533, 533, 534]
    assert yearly(even, "space") == [53.33, 53.33, 53.34]
    assert yearly(even, "operators") == [2, 2, 2]
    assert yearly(even, "tech_firms") == [50, 50, 50]


def test_assumed_rows_are_marked(city):
    a = city.rows[city.rows.assumed]
    # 7 three-year flow targets × 3 years = 21 assumed rows
    assert len(a) == 21
    assert a.quote.str.startswith("assumed:").all()
    assert (a.year_start == a.year_end).all()
    assert "300/1200" in row(city, "space", 2025).quote
    # 7 totals + 3 events + 21 assumed = 31 rows, one per key
    assert len(city.rows) == 31
    assert not city.rows.duplicated(KEY).any()


def test_empty_attachment_is_a_note(city):
    notes = {n["check"]: n for n in city.notes}
    assert notes["attachment empty"]["severity"] == "warning"
    assert "大孵化器集群建设任务指标" in notes["attachment empty"]["place_a"]
    assert "assumed yearly split" in notes


def test_split_total():
    assert split_total(10, [1 / 3] * 3) == [3, 3, 4]  # 3.33 each; the extra unit to the last
    assert split_total(6, [0.25, 1 / 3, 5 / 12]) == [1, 2, 3]
    assert split_total(1, [0.5, 0.5], decimals=2) == [0.5, 0.5]
    assert sum(split_total(1600, [0.25, 1 / 3, 5 / 12])) == 1600


def test_city_shape_is_read_from_the_city_sheet(tmp_path, example_registry):
    sheet = CITY_SHEET.read_text(encoding="utf-8-sig")
    # a different city shape 100/100/200 (total 400): 160 × 1/4, 1/4, 1/2 = 40, 40, 80
    sheet = sheet.replace(",2025,2025,baseline,300,", ",2025,2025,baseline,100,")
    sheet = sheet.replace(",2026,2026,baseline,400,", ",2026,2026,baseline,100,")
    sheet = sheet.replace(",2027,2027,baseline,500,", ",2027,2027,baseline,200,")
    p = parse_lucheng(copy_doc(tmp_path, city_sheet=sheet), example_registry)
    assert yearly(p, "space") == [40, 40, 80]
    # the same through an explicit city_sheet
    p = parse_lucheng(DOC, example_registry, city_sheet=tmp_path / "wenzhou-2025-2027/targets.csv")
    assert yearly(p, "space") == [40, 40, 80]


def test_city_split_without_the_city_sheet(tmp_path, example_registry):
    doc = copy_doc(tmp_path)
    with pytest.raises(InputError, match="lucheng_split='city'"):
        parse_lucheng(doc, example_registry)
    assert len(parse_lucheng(doc, example_registry, split="even").rows) == 31


def test_unknown_split(example_registry):
    with pytest.raises(InputError, match="lucheng_split"):
        parse_lucheng(DOC, example_registry, split="linear")


# --- broken copies --------------------------------------------------------------------------


def broken(tmp_path: Path, old: str, new: str, count: int = 1) -> Path:
    text = DOC.read_text(encoding="utf-8")
    assert old in text
    return copy_doc(tmp_path, text.replace(old, new, count), CITY_SHEET.read_text("utf-8-sig"))


def test_goal_missing_names_the_section(tmp_path, example_registry):
    # the first 新增专业运营机构6家 is in 二、工作目标 (the second in 三、(五))
    path = broken(tmp_path, "新增专业运营机构6家", "新增专业运营机构若干家")
    with pytest.raises(InputError) as exc:
        parse_lucheng(path, example_registry)
    assert "lucheng-2025-2027.txt 二、工作目标" in str(exc.value)
    assert "operators" in str(exc.value)


def test_attachment_with_content_is_not_ignored(tmp_path, example_registry):
    path = broken(tmp_path, "|" * 49, "| 新增孵化空间 | 40 | 55 | 65 | 160 |")
    with pytest.raises(InputError) as exc:
        parse_lucheng(path, example_registry)
    assert "lucheng-2025-2027.txt 附件" in str(exc.value)
    assert "content" in str(exc.value)


def test_attachment_missing(tmp_path, example_registry):
    text = DOC.read_text(encoding="utf-8")
    cut = text.rindex("附件 大孵化器集群建设任务指标")
    doc = copy_doc(tmp_path, text[:cut], CITY_SHEET.read_text("utf-8-sig"))
    with pytest.raises(InputError, match=r"lucheng-2025-2027\.txt 附件"):
        parse_lucheng(doc, example_registry)
