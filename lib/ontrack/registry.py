"""The ids of the data contract: regions, indicators and plans (see docs/data-contracts.md).

Any other region id found in a user's files is valid too; :func:`region_name` then shows the id.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Region:
    id: str
    name_zh: str
    short_zh: str
    parent: str | None
    aliases: tuple[str, ...] = field(default_factory=tuple)
    name_en: str = ""


@dataclass(frozen=True)
class Indicator:
    id: str
    name_zh: str
    unit: str
    nature: str  # lumpy | count | small_count | other
    name_en: str = ""
    core: bool = False


@dataclass(frozen=True)
class Plan:
    id: str
    name_zh: str
    region_id: str
    years: tuple[int, ...]
    document: str  # file name under data/raw/plans/


REGIONS: dict[str, Region] = {
    r.id: r
    for r in [
        Region("wenzhou", "温州市", "温州", None, ("温州",), "Wenzhou"),
        Region("lucheng", "鹿城区", "鹿城", "wenzhou", ("鹿城",), "Lucheng"),
        Region("pingyang", "平阳县", "平阳", "wenzhou", ("平阳", "全县"), "Pingyang"),
        Region("pingyang-kunyang", "昆阳镇", "昆阳", "pingyang", (), "Kunyang"),
        Region("pingyang-aojiang", "鳌江镇", "鳌江", "pingyang", (), "Aojiang"),
        Region("pingyang-shuitou", "水头镇", "水头", "pingyang", (), "Shuitou"),
        Region("pingyang-xiaojiang", "萧江镇", "萧江", "pingyang", (), "Xiaojiang"),
        Region("pingyang-wanquan", "万全镇", "万全", "pingyang", (), "Wanquan"),
        Region("pingyang-tengjiao", "腾蛟镇", "腾蛟", "pingyang", (), "Tengjiao"),
        Region("pingyang-mabu", "麻步镇", "麻步", "pingyang", (), "Mabu"),
        Region("pingyang-haixi", "海西镇", "海西", "pingyang", (), "Haixi"),
        Region(
            "pingyang-jingkaiqu",
            "平阳经济开发区",
            "经开区",
            "pingyang",
            ("平阳经开区", "经济开发区", "开发区"),
            "Economic Development Zone",
        ),
    ]
}

INDICATORS: dict[str, Indicator] = {
    i.id: i
    for i in [
        # Core indicators: monthly progress is collected and forecast for these.
        Indicator("space", "新增孵化空间面积", "万平方米", "lumpy", "New incubation space", True),
        Indicator("firms", "新增在孵企业(项目)", "个", "count", "New firms in incubation", True),
        Indicator("talent", "新增创新创业人才", "人", "count", "New innovation talent", True),
        Indicator(
            "tech_firms",
            "新培育省级及以上科技企业",
            "家",
            "count",
            "New provincial tech firms",
            True,
        ),
        Indicator(
            "incubators_20",
            '新增温州市"20"(示范)孵化器',
            "家",
            "small_count",
            'New Wenzhou "20" incubators',
            True,
        ),
        # Other quantified targets of the plans (targets only; no monthly progress expected).
        Indicator(
            "carriers", "新增市级及以上孵化载体", "个", "small_count", "New incubation carriers"
        ),
        Indicator(
            "new_quality_incubators",
            "新建成新质孵化器",
            "家",
            "small_count",
            "New-quality incubators",
        ),
        Indicator("bases", "累计建成各类孵化基地", "个", "other", "Incubation bases (cumulative)"),
        Indicator(
            "provincial_incubators",
            "省级及以上孵化器",
            "家",
            "small_count",
            "Provincial incubators",
        ),
        Indicator(
            "provincial_makerspaces",
            "省级及以上众创空间",
            "家",
            "small_count",
            "Provincial maker spaces",
        ),
        Indicator(
            "conversions",
            "转化科研成果和大赛获奖项目",
            "项",
            "small_count",
            "Research results converted",
        ),
        Indicator(
            "high_energy_incubators",
            "温州市高能级科技孵化器",
            "家",
            "small_count",
            "High-energy incubators",
        ),
        Indicator(
            "operators", "新增专业运营机构", "家", "small_count", "New professional operators"
        ),
        Indicator("events", "创新创业活动", "场次", "count", "Innovation events"),
        Indicator(
            "incubators_large", "2万平方米以上孵化器", "个", "other", "Incubators over 20,000 m²"
        ),
        Indicator(
            "incubators_300jobs",
            "吸纳300人以上创业就业的孵化器",
            "个",
            "other",
            "Incubators with 300+ jobs",
        ),
        Indicator("jobs", "吸纳创业就业人数", "人", "count", "People in start-up jobs"),
    ]
}

CORE_INDICATORS: tuple[str, ...] = tuple(i.id for i in INDICATORS.values() if i.core)

PLANS: dict[str, Plan] = {
    p.id: p
    for p in [
        Plan(
            "pingyang-2025-2027",
            "平阳县大孵化器集群建设三年行动计划(2025—2027年)",
            "pingyang",
            (2025, 2026, 2027),
            "pingyang-2025-2027.txt",
        ),
        Plan(
            "lucheng-2025-2027",
            '温州市鹿城区大孵化器集群建设"百千万"新三年行动计划(2025-2027年)',
            "lucheng",
            (2025, 2026, 2027),
            "lucheng-2025-2027.txt",
        ),
        Plan(
            "wenzhou-2025-2027",
            '温州市大孵化器集群建设"34520"新三年行动计划(2025-2027年)',
            "wenzhou",
            (2025, 2026, 2027),
            "wenzhou-2025-2027.targets.csv",
        ),
    ]
}

#: Plans whose regions get a briefing from `ontrack render-all`
#: (the city plan has no progress data).
DEFAULT_PLANS: tuple[str, ...] = ("pingyang-2025-2027", "lucheng-2025-2027")


def region_name(region_id: str, lang: str = "zh") -> str:
    """Display name of a region; unknown ids are shown as themselves."""
    r = REGIONS.get(region_id)
    if r is None:
        return region_id
    return r.name_zh if lang == "zh" else (r.name_en or r.id)


def indicator_name(indicator_id: str, lang: str = "zh") -> str:
    """Display name of an indicator; unknown ids are shown as themselves."""
    i = INDICATORS.get(indicator_id)
    if i is None:
        return indicator_id
    return i.name_zh if lang == "zh" else (i.name_en or i.id)


def children(region_id: str) -> list[str]:
    """Known sub-regions of a region, in registry order."""
    return [r.id for r in REGIONS.values() if r.parent == region_id]


_SUFFIXES = ("街道", "镇", "乡", "区", "县", "市")


def normalize_text(s: str) -> str:
    """NFKC (full-width → half-width), strip all white space, drop footnote marks."""
    s = unicodedata.normalize("NFKC", str(s))
    s = re.sub(r"\s+", "", s)
    s = re.sub(r"[*※①②③④⑤⑥⑦⑧⑨⑩]+$", "", s)
    return s


def _region_keys() -> dict[str, str]:
    keys: dict[str, str] = {}
    for r in REGIONS.values():
        for name in (r.id, r.name_zh, r.short_zh, *r.aliases):
            keys[normalize_text(name)] = r.id
    return keys


def match_region(name: str) -> str | None:
    """The region id for a name as written in a spreadsheet (昆阳 / 昆阳镇 / 经开区 ...), or None.

    合计 / 总计 match nothing (callers treat total rows separately); 全县 is 平阳县.
    """
    key = normalize_text(name)
    keys = _region_keys()
    if key in keys:
        return keys[key]
    for suf in _SUFFIXES:
        if key.endswith(suf) and key[: -len(suf)] in keys:
            return keys[key[: -len(suf)]]
    return None


def suggest_regions(name: str, n: int = 3) -> list[str]:
    """The closest known region names, for 'did you mean' messages."""
    names = sorted({r.name_zh for r in REGIONS.values()} | {r.short_zh for r in REGIONS.values()})
    return difflib.get_close_matches(normalize_text(name), names, n=n, cutoff=0.3)
