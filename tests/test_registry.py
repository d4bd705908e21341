"""The registry: ids, names and hierarchy read from the project's files, never from code."""

from __future__ import annotations

import pytest

from ontrack.errors import InputError, InputErrors
from ontrack.registry import (
    Indicator,
    Region,
    Registry,
    core_indicators,
    merge_indicators,
    merge_regions,
    regions_from_table,
)


def test_the_example_plans_declare_the_contracts_regions(example_registry):
    reg = example_registry
    # docs/data-contracts.md, table "Ids": 12 regions
    assert len(reg.regions) == 12
    assert reg.parent("pingyang-aojiang") == "pingyang"
    assert reg.parent("pingyang") == "wenzhou"  # declared by the city plan's regions.csv
    assert reg.parent("wenzhou") is None
    assert len(reg.children("pingyang")) == 9
    assert reg.children("pingyang")[0] == "pingyang-kunyang"  # regions.csv order
    assert list(reg.plans) == ["pingyang-2025-2027", "lucheng-2025-2027", "wenzhou-2025-2027"]
    assert reg.plan_regions("pingyang-2025-2027")[0] == "pingyang"
    assert reg.plans["pingyang-2025-2027"].years == (2025, 2026, 2027)
    assert reg.plans["pingyang-2025-2027"].doc_no == "平政办〔2025〕49号"


def test_core_indicators_ship_with_the_suite_and_a_project_adds_its_own(example_registry):
    core = {i.id for i in core_indicators()}
    assert core == {"space", "firms", "talent", "tech_firms", "incubators_20"}
    assert example_registry.core_indicators == tuple(i.id for i in core_indicators())
    # the example project declares the plans' other indicators in data/raw/indicators.csv
    assert example_registry.unit("carriers") == "个"
    assert "carriers" not in example_registry.core_indicators
    assert example_registry.nature("space") == "lumpy"
    assert example_registry.nature("bases") == "count"  # 'other' is simulated as a count
    assert example_registry.nature("never-declared") == "count"


@pytest.mark.parametrize(
    ("written", "region"),
    [
        ("昆阳", "pingyang-kunyang"),
        ("昆阳镇", "pingyang-kunyang"),
        ("昆阳镇①", "pingyang-kunyang"),  # footnote mark: was None before one normaliser
        (" 昆 阳 镇 ", "pingyang-kunyang"),
        ("pingyang-kunyang", "pingyang-kunyang"),
        ("经开区", "pingyang-jingkaiqu"),
        ("平阳经开区", "pingyang-jingkaiqu"),
        ("全县", "pingyang"),  # an alias in pingyang's regions.csv
        ("合计", None),
        ("总计", None),
        ("昆明", None),
    ],
)
def test_match_region(example_registry, written, region):
    assert example_registry.match_region(written) == region


def test_a_name_two_plans_use_is_ambiguous_not_guessed():
    reg = Registry(
        [
            Region("a", "甲县"),
            Region("b", "乙县"),
            Region("a-cg", "城关镇", "城关", "a"),
            Region("b-cg", "城关镇", "城关", "b"),
        ]
    )
    assert reg.match_region("城关镇") is None
    assert sorted(reg.region_candidates("城关")) == ["a-cg", "b-cg"]
    assert reg.match_region("a-cg") == "a-cg"


def test_unknown_ids_are_valid_and_shown_as_themselves(example_registry):
    assert example_registry.region_name("R0017") == "R0017"
    assert example_registry.indicator_name("patents") == "patents"
    assert example_registry.parent("R0017") is None
    assert example_registry.ancestors("pingyang-mabu") == ["pingyang", "wenzhou"]


def test_match_indicator_by_id_name_or_alias(example_registry):
    reg = example_registry
    assert reg.match_indicator("firms") == "firms"
    assert reg.match_indicator("新增孵化空间面积(万平方米)") == "space"
    assert reg.match_indicator("新增温州市“20”示范孵化器") == "incubators_20"
    assert reg.match_indicator("新培育省级科技型企业") == "tech_firms"
    assert reg.match_indicator("新增在孵项目（个）") == "firms"
    assert reg.match_indicator("备注") is None


def test_the_longest_alias_wins_whatever_the_order():
    # '人才' (talent, core) is in both headers; the project's longer alias is more specific
    reg = Registry(
        indicators=[
            *core_indicators(),
            Indicator("talent_hi", "高层次人才", "人", "count", aliases=("高层次人才",)),
        ]
    )
    assert reg.match_indicator("新增高层次人才(人)") == "talent_hi"
    assert reg.match_indicator("新增创新创业人才(人)") == "talent"


def test_a_project_row_for_a_core_indicator_may_only_add_aliases(tmp_path):
    core = core_indicators()
    extra = [Indicator("firms", "新增在孵企业", "个", "count", aliases=("入孵企业",))]
    merged = {i.id: i for i in merge_indicators(core, extra, tmp_path / "indicators.csv")}
    assert "入孵企业" in merged["firms"].aliases and "在孵企业" in merged["firms"].aliases
    bad = [Indicator("space", "新增孵化空间面积", "平方米", "lumpy")]
    with pytest.raises(InputError, match="core indicator in 万平方米"):
        merge_indicators(core, bad, tmp_path / "indicators.csv")


def test_one_region_in_two_plans_must_keep_its_name_and_parent():
    same = merge_regions(
        [(Region("x", "甲县", parent=None), "p1"), (Region("x", "甲县", "甲", "city"), "p2")]
    )
    assert same == [Region("x", "甲县", "甲", "city")]
    with pytest.raises(InputError, match="named '乙县' here and '甲县' in p1"):
        merge_regions([(Region("x", "甲县"), "p1"), (Region("x", "乙县"), "p2")])
    with pytest.raises(InputError, match="parent 'c2' here and 'c1' in p1"):
        merge_regions(
            [(Region("x", "甲县", parent="c1"), "p1"), (Region("x", "甲县", parent="c2"), "p2")]
        )


def test_an_ad_hoc_regions_table_gives_parents_and_refuses_cycles(tmp_path):
    p = tmp_path / "regions.csv"
    p.write_text("region_id,parent_id\nR0012,\nR0017,R0012\nR0018,R0012\n", encoding="utf-8")
    reg = Registry(regions_from_table(p))
    assert reg.children("R0012") == ["R0017", "R0018"]
    p.write_text("region_id,parent_id\nA,B\nB,A\n", encoding="utf-8")
    with pytest.raises(InputError, match="cycle"):
        regions_from_table(p)
    p.write_text("region_id,parent_id\nA,\nA,\n,B\n", encoding="utf-8")
    with pytest.raises(InputErrors) as err:
        regions_from_table(p)
    assert [e.where for e in err.value.errors] == [f"{p} row 3", f"{p} row 4"]
