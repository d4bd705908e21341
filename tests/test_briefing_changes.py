"""What moved and where (ontrack.briefing.changes) and how the briefing words it; every expected
value is worked out by hand from the small tables written here."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from ontrack.briefing import changes, fmt, moves, narrative, tables
from ontrack.briefing.report import plan_topic, plan_topic_en


def _text(html: str) -> str:
    """The text of HTML as a reader reads it (the fact marks' spans and other tags dropped)."""
    return re.sub(r"<[^>]+>", "", html)


PLAN = "pingyang-2025-2027"


def _att(region, ind, ys, ye, target, done, p, rag, p50=None, level="baseline"):
    return dict(
        plan_id=PLAN, region_id=region, indicator_id=ind, year_start=ys, year_end=ye,
        level=level, target=float(target), actual_to_date=float(done), p_meet=p, rag=rag,
        proj_p10=float(p50 or done), proj_p50=float(p50 or done), proj_p90=float(p50 or done),
    )  # fmt: skip


def _hist(month, **kw):
    row = _att(**kw)
    row.update(month=month, next_p50=kw.get("p50_next", float("nan")))
    return row


@pytest.fixture
def moved(example_registry):
    # firms 2026 in Pingyang: September's forecast had 136 done, p = 0.87 (green), and expected
    # 163 by October; October has 150 done and p = 0.39 (red). Last month's published table had
    # 130 for September (revised since to 136).
    now = pd.DataFrame([_att("pingyang", "firms", 2026, 2026, 200, 150, 0.39, "red", 197)])
    prev = _hist("2026-09", region="pingyang", ind="firms", ys=2026, ye=2026, target=200,
                 done=136, p=0.87, rag="green")  # fmt: skip
    prev["next_p50"] = 163.0
    hist = pd.DataFrame([prev])
    published = pd.DataFrame([_att("pingyang", "firms", 2026, 2026, 200, 130, 0.9, "green")])
    return changes.month_changes(now, hist, "pingyang", "2026-10", published)


def test_change_since_last_month_is_worked_out_from_the_two_forecasts(moved):
    r = moved.iloc[0]
    assert r["delta_pp"] == -48  # 39% − 87%
    assert (r["rag_prev"], r["rag_now"]) == ("green", "red")
    assert r["added"] == 14  # 150 − 136
    assert r["expected"] == 27  # 163 − 136
    assert r["revised_from"] == 130 and r["actual_prev"] == 136
    assert pd.isna(r["target_from"])  # the target is 200 in both


def test_the_change_section_says_it_in_percentage_points_and_why(moved, example_registry):
    html = _text(moves.changes_section(moved, "2026-10", "zh", example_registry))
    assert "与2026年9月的预测相比" in html
    assert "−48个百分点" in html and "状态绿→红" in html
    # 14 added, 27 expected (more than 5% below: slower)
    assert "本月新增14个，慢于上月预计（约27个）" in html
    assert "上月数据经修订：截至上月累计由130个改为136个" in html
    en = _text(moves.changes_section(moved, "2026-10", "en", example_registry))
    assert "−48 pp" in en and "14 added this month, less than last month" in en
    assert "rose for 0 and fell for 1 of 1 target;" in en
    sentence = narrative.change_sentence(moved, "2026-10", "zh", example_registry)
    assert sentence.startswith(
        "较上月变化最大的是“新增在孵企业(项目)”2026年目标：完成概率由87%变为39%"
    )


def test_the_headline_names_the_largest_move_not_the_first(example_registry):
    """Two targets move: talent 2026 from 52% (amber) to 48% (red), a status change of −4
    个百分点, listed first by the changes table (status changes first); firms 2026 from 45% to
    5%, −40, red both months. The sentence says 变化最大, so it must name firms (the one the
    strip names: largest_change), and count talent among the others that moved markedly (its
    status changed). Before: it named talent, the first row of the table."""
    now = pd.DataFrame([
        _att("pingyang", "talent", 2026, 2026, 1000, 400, 0.48, "red"),
        _att("pingyang", "firms", 2026, 2026, 200, 50, 0.05, "red"),
    ])  # fmt: skip
    hist = pd.DataFrame([
        _hist("2026-09", region="pingyang", ind="talent", ys=2026, ye=2026, target=1000,
              done=380, p=0.52, rag="amber"),
        _hist("2026-09", region="pingyang", ind="firms", ys=2026, ye=2026, target=200,
              done=48, p=0.45, rag="red"),
    ])  # fmt: skip
    moves = changes.month_changes(now, hist, "pingyang", "2026-10")
    assert moves["indicator_id"].tolist() == ["talent", "firms"]
    assert moves["delta_pp"].tolist() == [-4, -40]
    sentence = narrative.change_sentence(moves, "2026-10", "zh", example_registry)
    assert sentence == (
        "较上月变化最大的是“新增在孵企业(项目)”2026年目标：完成概率由45%变为5%"
        "（−40个百分点），另有1项变化明显。"
    )
    assert narrative.largest_change(moves)["indicator_id"] == "firms"


def test_without_a_previous_month_the_section_says_so(example_registry):
    now = pd.DataFrame([_att("pingyang", "firms", 2026, 2026, 200, 150, 0.39, "red")])
    empty = changes.month_changes(now, pd.DataFrame(), "pingyang", "2026-10")
    assert empty.empty
    assert "没有2026年9月的预测可比较" in moves.changes_section(empty, "2026-10", "zh")


def test_percentage_points_are_taken_between_the_rounded_percents():
    assert changes.delta_pp(0.92, 0.61) == -31
    assert changes.delta_pp(0.874, 0.386) == -48  # 87% → 39%, not round(−48.8) = −49
    assert changes.delta_pp(0.5, 0.5) == 0
    assert changes.previous_month("2026-01") == "2025-12"
    assert fmt.fmt_pp(-31) == "−31个百分点" and fmt.fmt_pp(7, "en") == "+7 pp"
    assert fmt.fmt_pp(0) == "持平"


def test_counts_per_month_are_whole_numbers():
    assert fmt.fmt_amount(24.1, "count") == "24"  # was "24.1人"
    assert fmt.fmt_amount(3.29, "count") == "3"  # was "3.29 家"
    assert fmt.fmt_amount(1853.5, "count") == "1,854"  # half up
    assert fmt.fmt_amount(0.3, "small_count") == "<1"  # something still to do is never "0"
    assert fmt.fmt_amount(0.0, "count") == "0"
    assert fmt.fmt_amount(1.63, "lumpy") == "1.63"  # space keeps its decimals
    assert fmt.fmt_unit(24.1, "人", "zh", "count") == "24人"


def test_townships_are_ranked_by_their_shortfall(example_registry):
    att = pd.DataFrame(
        [
            _att("pingyang", "firms", 2026, 2026, 200, 150, 0.39, "red", 175),
            _att("pingyang-kunyang", "firms", 2026, 2026, 100, 60, 0.1, "red", 80),  # short 20
            _att("pingyang-aojiang", "firms", 2026, 2026, 60, 40, 0.2, "red", 50),  # short 10
            _att("pingyang-shuitou", "firms", 2026, 2026, 40, 30, 0.9, "green", 45),  # none
            _att("pingyang-xiaojiang", "firms", 2026, 2026, 0, 0, 1.0, "green", 3),  # no task
            _att("pingyang", "space", 2026, 2026, 22, 23, 0.999, "green", 27),  # county green
            _att("pingyang-kunyang", "space", 2026, 2026, 8, 1, 0.01, "red", 2),
        ]
    )
    s = changes.shortfalls(att, "pingyang", "2026-10", example_registry)
    assert list(s["region_id"]) == ["pingyang-kunyang", "pingyang-aojiang"]  # firms only
    assert list(s["shortfall"]) == [20, 10]
    assert s["share"].round(4).tolist() == [0.6667, 0.3333]  # 20 / 30, 10 / 30
    assert s["county_shortfall"].iloc[0] == 25  # 200 − 175
    html = moves.slipping_section(s, "pingyang-aojiang", "pingyang", "zh", example_registry)
    assert "平阳县完成概率39%，按中位预计差25个" in _text(html)
    assert "昆阳：目标100，预计80，差20（占乡镇缺口合计67%）" in _text(html)
    assert "class=me>▶ 鳌江" in html  # the township's own briefing marks it


def test_every_target_of_the_plan_is_listed_with_its_state(example_registry):
    targets = pd.DataFrame(
        [
            dict(plan_id=PLAN, region_id="pingyang", indicator_id="firms", year_start=y,
                 year_end=y, level="baseline", value=200.0, measure="flow")
            for y in (2025, 2026, 2027)
        ]
        + [
            dict(plan_id=PLAN, region_id="pingyang", indicator_id="talent", year_start=2026,
                 year_end=2026, level="baseline", value=2000.0, measure="flow"),
            dict(plan_id=PLAN, region_id="pingyang", indicator_id="bases", year_start=2025,
                 year_end=2027, level="baseline", value=30.0, measure="stock"),
        ]
    )  # fmt: skip
    att = pd.DataFrame(
        [
            _att("pingyang", "firms", 2025, 2025, 200, 206, 1.0, "green"),
            _att("pingyang", "firms", 2026, 2026, 200, 150, 0.39, "red"),
        ]
    )
    ov = changes.plan_overview(targets, att, "pingyang", "2026-10")
    keys = list(zip(ov["indicator_id"], ov["year_start"], strict=True))
    state = dict(zip(keys, ov["state"], strict=True))
    assert state == {
        ("firms", 2025): "closed",  # 206 ≥ 200: met
        ("firms", 2026): "current",
        ("firms", 2027): "future",
        ("talent", 2026): "no_data",  # no attainment row
        ("bases", 2025): "stock",
    }
    assert ov.loc[ov["year_start"].eq(2025) & ov["indicator_id"].eq("firms"), "met"].item()
    html = _text(tables.overview_section(ov, "2026-10", "zh", example_registry))
    for text in ("已完成 206", "概率 39%", "未开始", "尚无进度数据", "存量目标"):
        assert text in html


def test_a_scenario_is_shown_against_the_baseline(example_registry):
    # the scenario lowers the 2026 space target 22 → 20 and moves firms from 61% to 31%
    scen = pd.DataFrame(
        [
            _att("pingyang", "space", 2026, 2026, 20, 18, 0.9, "green", 21),
            _att("pingyang", "firms", 2026, 2026, 200, 150, 0.31, "red", 190),
        ]
    )
    base = pd.DataFrame(
        [
            _hist("2026-10", region="pingyang", ind="space", ys=2026, ye=2026, target=22,
                  done=18, p=0.7, rag="amber", p50=21),
            _hist("2026-10", region="pingyang", ind="firms", ys=2026, ye=2026, target=200,
                  done=150, p=0.61, rag="amber", p50=197),
        ]
    )  # fmt: skip
    cmp = changes.scenario_vs_baseline(scen, base, "pingyang", "2026-10")
    assert dict(zip(cmp["indicator_id"], cmp["delta_pp"], strict=True)) == {
        "space": 20,  # 90% − 70%
        "firms": -30,  # 31% − 61%
    }
    head = narrative.scenario_headline(cmp, "空间目标下调", "zh", example_registry)
    assert head.startswith(
        "情景“空间目标下调”与基准相比：1项目标的完成概率下降、1项上升，1项目标值被调整。"
    )
    assert "变化最大的是“新增在孵企业(项目)”2026年目标：基准61%，情景31%（−30个百分点）" in head
    assert "“新增孵化空间面积”2026年目标由22调整为20" in head
    html = tables.scenario_compare_section(cmp, "zh", example_registry)
    assert "22 → <b>20</b>" in html and "−30个百分点" in html


@pytest.mark.parametrize(
    ("name", "topic"),
    [
        ("平阳县大孵化器集群建设三年行动计划(2025—2027年)", "大孵化器集群建设"),
        ('温州市鹿城区大孵化器集群建设"百千万"新三年行动计划(2025-2027年)', "大孵化器集群建设"),
        ("平阳县科技企业培育实施方案（2025-2027年）", "科技企业培育"),
        ("行动计划", ""),  # nothing left: the neutral 目标进展简报
    ],
)
def test_the_title_comes_from_the_plan(name, topic, example_registry):
    assert plan_topic(name, example_registry) == topic


def test_the_english_topic_comes_from_name_en():
    assert plan_topic_en("Pingyang County incubator-cluster action plan (2025-2027)") == (
        "incubator-cluster"
    )
    assert plan_topic_en('Wenzhou City incubator-cluster "34520" action plan (2025-2027)') == (
        "incubator-cluster"
    )
    assert plan_topic_en("") == ""


def test_a_reason_never_contradicts_the_sign_of_the_change(example_registry):
    """较上月变化 said "+6个百分点 | 本月新增30件，慢于上月预计" (issue 21): when the month
    points one way and the probability the other, the reason that moved it is said."""
    from ontrack.briefing.moves import change_reasons

    r = pd.Series(
        dict(indicator_id="firms", year_start=2026, year_end=2026, level="baseline",
             target=200.0, delta_pp=6, added=30.0, expected=40.0, actual_prev=100.0,
             revised_from=float("nan"), target_from=float("nan"), unreported=0, reporters=1)
    )  # fmt: skip
    # 30 against about 40 expected: slower; the probability rose all the same
    alone = change_reasons(r, "zh", example_registry)
    assert alone[0] == "本月新增30个，慢于上月预计（约40个）"
    assert alone[1].startswith("概率仍上升：来自按新数据重新估计的模型参数")
    # the plan as a whole added 500 against 400 expected: the shared pace went up
    plan = pd.Series(dict(added=500.0, expected=400.0))
    shared = change_reasons(r, "zh", example_registry, plan_row=plan)
    assert shared[1] == "概率仍上升：全计划本月整体快于预计，各地区共同的进度比率随之上调"
    # slower and the probability fell: the month says why, nothing to add
    fell = r.copy()
    fell["delta_pp"] = -6
    assert change_reasons(fell, "zh", example_registry) == [alone[0]]


def test_the_strip_says_all_amber_rather_than_zero_unlikely(example_registry):
    # two of Pingyang's 2026 targets are amber (p 0.6 and 0.7), one green, none red: the strip
    # reads "2/3 项目标有风险（均为黄色）", never "其中0项完成困难"; with one red it counts it.
    rows = [
        _att("pingyang", "firms", 2026, 2026, 200, 150, 0.6, "amber"),
        _att("pingyang", "talent", 2026, 2026, 2000, 1400, 0.7, "amber"),
        _att("pingyang", "space", 2026, 2026, 22, 23, 0.99, "green"),
    ]
    att = pd.DataFrame(rows).assign(required_per_month=10.0)
    strip = _text(tables.kpi_strip(att, None, None, "pingyang", "2026-10", "zh", example_registry))
    assert "2/3" in strip and "项目标有风险（均为黄色）" in strip and "其中0项" not in strip
    rows[0] = _att("pingyang", "firms", 2026, 2026, 200, 150, 0.2, "red")
    att = pd.DataFrame(rows).assign(required_per_month=10.0)
    strip = _text(tables.kpi_strip(att, None, None, "pingyang", "2026-10", "zh", example_registry))
    assert "项目标有风险（其中1项完成困难）" in strip
