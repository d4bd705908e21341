"""Pingyang's plan 平政办〔2025〕49号 as data.

Expected values are read off data/raw/plans/pingyang-2025-2027/pingyang-2025-2027.txt by hand
(line numbers of that file in the comments); the broken documents are modified copies in tmp_path.
The townships are those of the plan folder's regions.csv (the ``example_registry`` fixture).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ontrack.errors import InputError
from ontrack.plans import KEY
from ontrack.plans.pingyang import parse_pingyang

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "data" / "raw" / "plans" / "pingyang-2025-2027" / "pingyang-2025-2027.txt"
P = "pingyang"
# plan.yml source_url of the plan folder
URL = "http://www.zjpy.gov.cn/art/2025/7/10/art_1229242361_4305194.html"


@pytest.fixture(scope="module")
def plan(example_registry):
    return parse_pingyang(DOC, example_registry, address=URL)


def row(plan, region, indicator, y0, y1, level="baseline"):
    r = plan.rows
    hit = r[
        (r.region_id == region)
        & (r.indicator_id == indicator)
        & (r.year_start == y0)
        & (r.year_end == y1)
        & (r.level == level)
    ]
    assert len(hit) == 1, f"{len(hit)} rows for {region} {indicator} {y0}-{y1} {level}"
    return hit.iloc[0]


def val(plan, region, indicator, y0, y1=None, level="baseline"):
    return row(plan, region, indicator, y0, y0 if y1 is None else y1, level).value


# --- 附件1 (lines 96-184): 6 indicators × 2025/2026/2027 + 总计 --------------------------------


@pytest.mark.parametrize(
    ("indicator", "yearly", "total"),
    [
        ("space", (16, 22, 32), 70),  # lines 118-124
        ("carriers", (5, 7, 9), 21),  # lines 130-136
        ("firms", (200, 200, 200), 600),  # lines 142-148
        ("talent", (2000, 2000, 2000), 6000),  # lines 154-160
        ("tech_firms", (30, 30, 40), 100),  # lines 166-172
        ("new_quality_incubators", (2, 1, 1), 4),  # lines 178-184
    ],
)
def test_annex1_county_values(plan, indicator, yearly, total):
    for year, expected in zip((2025, 2026, 2027), yearly, strict=True):
        assert val(plan, P, indicator, year) == expected
    assert val(plan, P, indicator, 2025, 2027) == total


def test_annex1_quote_names_the_cells(plan):
    q = row(plan, P, "carriers", 2026, 2026).quote
    assert q == "附件1 平阳县大孵化器集群建设任务指标 新增市级及以上孵化载体(个) 2026年建设任务: 7"


# --- 附件2 (lines 190-546): 9 townships + 全县 × 5 indicators × 3 years ------------------------


def test_annex2_space_2025_by_township(plan):
    # 2025 新增孵化空间面积, first column of each township row (lines 230, 262, 294, ...):
    # 昆阳 2, 鳌江 3, 水头 2, 萧江 1, 万全 3, 腾蛟 2, 麻步 1, 海西 1, 经开区 1
    # → 2+3+2+1+3+2+1+1+1 = 16
    expected = {
        "kunyang": 2, "aojiang": 3, "shuitou": 2, "xiaojiang": 1, "wanquan": 3,
        "tengjiao": 2, "mabu": 1, "haixi": 1, "jingkaiqu": 1,
    }  # fmt: skip
    got = {t: val(plan, f"pingyang-{t}", "space", 2025) for t in expected}
    assert got == expected
    assert sum(got.values()) == 16 == val(plan, P, "space", 2025)


def test_annex2_cells_in_other_columns(plan):
    # 鳌江 row (lines 260-290): 2026 block is 5, 20, 200, 2, 0; 2027 block is 5, 20, 200, 5, 0
    assert val(plan, "pingyang-aojiang", "space", 2026) == 5
    assert val(plan, "pingyang-aojiang", "tech_firms", 2027) == 5
    # 萧江 talent 150 every year (lines 330, 340, 350)
    assert [val(plan, "pingyang-xiaojiang", "talent", y) for y in (2025, 2026, 2027)] == [150] * 3
    # "20" incubators: 2025 昆阳 1 + 鳌江 1 (lines 238, 270); 2026 经开区 1 (line 504);
    # 2027 麻步 1 (line 450)
    assert val(plan, "pingyang-kunyang", "incubators_20", 2025) == 1
    assert val(plan, "pingyang-jingkaiqu", "incubators_20", 2026) == 1
    assert val(plan, "pingyang-mabu", "incubators_20", 2027) == 1
    assert val(plan, "pingyang-mabu", "incubators_20", 2025) == 0


def test_annex2_quote_format(plan):
    q = row(plan, "pingyang-aojiang", "space", 2026, 2026).quote
    expected = "附件2 平阳县大孵化器集群建设任务分解表 鳌江 2026年建设任务 "
    assert q == expected + "新增孵化空间面积(万平方米): 5"


def test_township_three_year_rows_are_derived_sums(plan):
    # 昆阳 space 2 + 3 + 5 = 10 (lines 230, 240, 250); 萧江 tech_firms 1 + 1 + 5 = 7
    kun = row(plan, "pingyang-kunyang", "space", 2025, 2027)
    assert kun.value == 10
    assert kun.quote.startswith("derived:") and "2 + 3 + 5 = 10" in kun.quote
    assert val(plan, "pingyang-xiaojiang", "tech_firms", 2025, 2027) == 7
    # 经开区 "20" incubators 0 + 1 + 0 = 1
    assert val(plan, "pingyang-jingkaiqu", "incubators_20", 2025, 2027) == 1


def test_county_incubators_20_come_from_annex2(plan):
    # 全县 row (lines 516-546): "20" incubators 2 / 1 / 1; absent from 附件1
    assert [val(plan, P, "incubators_20", y) for y in (2025, 2026, 2027)] == [2, 1, 1]
    assert "附件2" in row(plan, P, "incubators_20", 2025, 2025).source


# --- body text 一、目标要求 (lines 28-36) and 三、(二) (line 62) ---------------------------------


def test_body_targets(plan):
    assert val(plan, P, "space", 2025, 2027, level="stretch") == 80  # (高线80万)
    assert val(plan, P, "incubators_20", 2025, 2027) == 3  # 新建温州市"20"孵化器3家以上
    assert val(plan, P, "bases", 2025, 2027) == 30  # 累计建成各类孵化基地30个以上
    assert val(plan, P, "provincial_incubators", 2025, 2027) == 3  # 省级及以上孵化器累计超3家
    assert val(plan, P, "provincial_makerspaces", 2025, 2027) == 10  # 众创空间超10家
    for y in (2025, 2026, 2027):
        assert val(plan, P, "conversions", y) == 5  # 每年转化…5项以上
        assert val(plan, P, "high_energy_incubators", y) == 1  # 每年培育1家以上 (line 62)
    assert row(plan, P, "high_energy_incubators", 2026, 2026).section.endswith("(二)强化能级提升")


def test_stocks_and_flows(plan):
    for ind in ("bases", "provincial_incubators", "provincial_makerspaces"):
        assert row(plan, P, ind, 2025, 2027).measure == "stock"
    assert row(plan, P, "space", 2025, 2027).measure == "flow"
    assert not plan.rows.assumed.any()


def test_body_and_table_give_one_row_citing_both(plan):
    # 70 万㎡: 附件1 总计 (line 124) and 一、目标要求 (line 32) → one row, source 附件1, quote both
    r = row(plan, P, "space", 2025, 2027)
    assert "附件1" in r.source and "平政办〔2025〕49号" in r.source
    assert "附件1" in r.quote and "一、目标要求" in r.quote and "70万平方米" in r.quote
    # 2025 space: 附件1 16 (line 118) = 附件2 全县 16 (line 518): one row citing both
    q = row(plan, P, "space", 2025, 2025).quote
    assert "附件1" in q and "附件2" in q and "全县" in q
    # firms 200 a year: 附件1, 附件2 全县 and the body's 每年新增在孵企业 200 家以上
    assert "每年新增在孵企业" in row(plan, P, "firms", 2026, 2026).quote


def test_talent_conflict_keeps_the_table_value(plan):
    # 附件1 总计 6000 (line 160) vs body 累计新增创新创业人才超5000人 (line 32): one row, 6000;
    # the body's 5000 stays among the values read (for the quality report)
    r = row(plan, P, "talent", 2025, 2027)
    assert r.value == 6000
    assert "5000" not in r.quote
    v = plan.values
    body = v[(v.indicator_id == "talent") & (v.kind == "body")]
    assert list(body.value) == [5000]


def test_units_are_canonical(plan):
    assert row(plan, P, "talent", 2025, 2025).unit == "人"  # written (个) in the tables
    assert row(plan, P, "space", 2025, 2025).unit == "万平方米"


def test_one_row_per_key_and_row_count(plan):
    assert not plan.rows.duplicated(KEY).any()
    # 附件1: 6 indicators × 4 columns = 24; 附件2 全县 "20" incubators: 3;
    # townships: 9 × 5 × 3 = 135 yearly + 9 × 5 = 45 derived three-year;
    # body rows not in the tables: stretch 80, "20" 3家, bases, provincial_incubators,
    # makerspaces (5) + conversions × 3 + high-energy × 3 = 11 → 24 + 3 + 135 + 45 + 11 = 218
    assert len(plan.rows) == 218


def test_metadata(plan):
    assert plan.document_number == "平政办〔2025〕49号"
    assert plan.years == (2025, 2026, 2027)
    assert set(plan.rows.address) == {URL}


# --- broken copies: every one must raise InputError naming the document and the section -------


def broken(tmp_path: Path, edit) -> Path:
    """A copy of the document with its lines edited by ``edit(lines) -> lines`` (1-based view)."""
    lines = DOC.read_text(encoding="utf-8").split("\n")
    out = tmp_path / DOC.name
    out.write_text("\n".join(edit(lines)), encoding="utf-8")
    return out


def expect_error(path: Path, reg, *words: str) -> InputError:
    with pytest.raises(InputError) as exc:
        parse_pingyang(path, reg)
    msg = str(exc.value)
    for w in ("pingyang-2025-2027.txt", *words):
        assert w in msg, f"{w!r} not in {msg!r}"
    return exc.value


def test_copy_unchanged_parses(tmp_path, example_registry):
    assert len(parse_pingyang(broken(tmp_path, lambda ls: ls), example_registry).rows) == 218


def test_annex1_row_with_fewer_cells(tmp_path, example_registry):
    def drop_a_firms_cell(ls):
        assert ls[144 - 1] == "200"  # firms 2026 in 附件1
        return ls[: 144 - 1] + ls[144:]

    expect_error(broken(tmp_path, drop_a_firms_cell), example_registry, "附件1", "新增在孵企业")


def test_annex1_non_numeric_cell(tmp_path, example_registry):
    def words(ls):
        assert ls[120 - 1] == "22"
        ls[120 - 1] = "二十二"
        return ls

    expect_error(broken(tmp_path, words), example_registry, "附件1", "二十二")


def test_annex1_header_changed(tmp_path, example_registry):
    def no_total(ls):
        assert ls[112 - 1] == "总计"
        ls[112 - 1] = "备注"
        return ls

    expect_error(broken(tmp_path, no_total), example_registry, "附件1", "总计")


def test_annex2_non_numeric_cell(tmp_path, example_registry):
    def words(ls):
        assert ls[272 - 1] == "5"  # 鳌江 2026 space
        ls[272 - 1] = "五"
        return ls

    expect_error(broken(tmp_path, words), example_registry, "附件2", "五")


def test_annex2_township_missing(tmp_path, example_registry):
    def no_haixi(ls):
        assert ls[452 - 1] == "海西" and ls[484 - 1] == "经开区"
        return ls[: 452 - 1] + ls[484 - 1 :]

    expect_error(broken(tmp_path, no_haixi), example_registry, "附件2", "pingyang-haixi")


def test_annex2_row_with_an_extra_cell(tmp_path, example_registry):
    def extra(ls):
        return [*ls[:250], "7", "", *ls[250:]]  # inside 昆阳's row

    expect_error(broken(tmp_path, extra), example_registry, "附件2", "昆阳")


def test_annex2_header_changed(tmp_path, example_registry):
    def renamed(ls):
        assert ls[216 - 1] == "新增温州“20”孵化器"
        ls[216 - 1] = "新增众创空间"
        return ls

    expect_error(broken(tmp_path, renamed), example_registry, "附件2", "新增众创空间")


def test_annex2_missing(tmp_path, example_registry):
    expect_error(broken(tmp_path, lambda ls: ls[: 186 - 1]), example_registry, "附件2")


def test_document_truncated_inside_annex2(tmp_path, example_registry):
    # cut after 经开区's 2025 block (line 494): 经开区 short and 全县 missing
    expect_error(broken(tmp_path, lambda ls: ls[:494]), example_registry, "附件2")


def test_body_target_missing(tmp_path, example_registry):
    def no_stretch(ls):
        assert "(高线80万)" in ls[32 - 1]
        ls[32 - 1] = ls[32 - 1].replace("(高线80万)", "")
        return ls

    err = expect_error(broken(tmp_path, no_stretch), example_registry, "一、目标要求")
    assert "space" in err.problem


def test_missing_document(tmp_path, example_registry):
    with pytest.raises(InputError, match="not found"):
        parse_pingyang(tmp_path / "pingyang-2025-2027.txt", example_registry)
