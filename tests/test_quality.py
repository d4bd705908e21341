"""Quality findings on the plan documents (ontrack.quality), for every plan of a project."""

from __future__ import annotations

import pandas as pd
import pytest

from ontrack.quality import check_targets, plan_findings, quality_markdown
from ontrack.targets import build

PY = "pingyang-2025-2027"
LU = "lucheng-2025-2027"


@pytest.fixture(scope="module")
def findings(example_registry):
    return build(example_registry).findings


def of(findings, check, plan=None):
    f = findings[findings.check == check]
    return f if plan is None else f[f.plan_id == plan]


def test_documents_have_no_contradiction(findings):
    assert (findings.severity == "error").sum() == 0


def test_every_finding_cites_two_places(findings):
    assert (findings.place_a.str.len() > 0).all()
    assert (findings.place_b.str.len() > 0).all()


def test_townships_vs_county_all_checked_and_passed(findings):
    f = of(findings, "townships vs county", PY)
    # 5 indicators × 3 years of 附件2, every one consistent
    assert len(f) == 15 and (f.severity == "info").all()
    space25 = f[f.message.str.contains("新增孵化空间面积（2025年）")].iloc[0]
    # 2+3+2+1+3+2+1+1+1 = 16 = 全县 16
    assert (space25.value_a, space25.value_b) == (16, 16)
    assert "2+3+2+1+3+2+1+1+1" in space25.message
    assert space25.message.startswith("附件2 新增孵化空间面积（2025年）：9个乡镇（街道）")
    assert "与平阳县合计16万平方米一致" in space25.message
    assert "2+3+2+1+3+2+1+1+1 = 16 = Pingyang 16" in space25.message_en


def test_annex1_totals_checked(findings):
    f = of(findings, "total vs sum of years", PY)
    assert len(f) == 6 and (f.severity == "info").all()  # 6 indicators of 附件1
    talent = f[f.message.str.contains("创新创业人才")].iloc[0]
    assert talent.value_a == 6000 and "2000 + 2000 + 2000" in talent.message
    assert "合计6000人，分年2000 + 2000 + 2000 = 6000，两者一致" in talent.message
    # the city sheet: 1200 = 300 + 400 + 500
    assert of(findings, "total vs sum of years", "wenzhou-2025-2027").value_a.tolist() == [1200]


def test_talent_body_vs_table(findings):
    f = of(findings, "same target in two places", PY)
    w = f[f.severity == "warning"]
    assert len(w) == 1  # only talent disagrees
    t = w.iloc[0]
    assert (t.value_a, t.value_b) == (6000, 5000)  # 附件1 总计 6000 vs body 超5000人
    assert "附件1" in t.place_a and "一、目标要求" in t.place_b
    # the note in Chinese, with the body's own words; the English text beside it
    assert t.message == (
        "平阳县 新增创新创业人才（2025—2027年累计）：附件1为6000人，正文“一、目标要求”为5000人"
        "（原文“累计新增创新创业人才超5000人”），两处不一致；目标表采用附件1的6000人。"
    )
    assert "keeps 6000" in t.message_en and "says 5000" in t.message_en
    # the agreeing pairs are reported as checked: 附件1 vs 附件2 全县 for 4 indicators × 3 years
    # (12) + body vs 附件1: space 70, tech_firms 100, firms 200 × 3 years (5) = 17
    assert (f.severity == "info").sum() == 17


def test_incubators_20_body_vs_annex2_sum(findings):
    f = of(findings, "body vs table sum", PY)
    assert len(f) == 1
    t = f.iloc[0]
    # body 新建温州市"20"孵化器3家以上 vs 附件2 全县 2 + 1 + 1 = 4
    assert t.severity == "warning" and (t.value_a, t.value_b) == (3, 4)
    assert "2 + 1 + 1 = 4" in t.message
    assert "正文“一、目标要求”为3家（原文“新建温州市“20”孵化器3家以上”）" in t.message
    assert "附件2分年合计2 + 1 + 1 = 4家，两处不一致" in t.message
    assert "目标表三年累计采用正文“一、目标要求”的3家，分年目标采用附件2的数值" in t.message
    assert "Consistent as a floor" in t.message_en


def test_same_numbers_different_names(findings):
    f = of(findings, "same numbers, different names", PY)
    assert len(f) == 1
    t = f.iloc[0]
    # 附件1 新建成新质孵化器 2/1/1 vs 附件2 新增温州"20"孵化器 2/1/1
    assert t.value_a == "2/1/1" == t.value_b
    assert "新建成新质孵化器" in t.message and "附件1" in t.place_a and "附件2" in t.place_b
    assert '附件1“新建成新质孵化器”与附件2“新增温州市"20"(示范)孵化器”' in t.message
    assert "同为2/1/1" in t.message and "请勿相加" in t.message
    assert "do not add them up" in t.message_en


def test_unit_inconsistencies(findings):
    f = of(findings, "unit inconsistency", PY)
    pairs = {(r.value_a, r.value_b) for r in f.itertuples()}
    # talent: (个) in both tables, 人 in the body; firms: (个) in the tables, 家 in the body
    assert pairs == {("个", "人"), ("个", "家")}
    assert (f.severity == "warning").all()


def test_lucheng_findings(findings):
    empty = of(findings, "attachment empty", LU)
    assert len(empty) == 1 and empty.iloc[0].severity == "warning"
    e = empty.iloc[0]
    assert e.message.startswith("附件《大孵化器集群建设任务指标(2025-2027年)》公布时为空表")
    assert "只给出三年累计目标" in e.message and "分年目标为假设值" in e.message
    assert "published empty" in e.message_en
    # 二、工作目标 vs 三、重点工作: 7 totals, all equal
    same = of(findings, "same target in two places", LU)
    assert len(same) == 7 and (same.severity == "info").all()
    adds = of(findings, "assumed split adds up", LU)
    assert len(adds) == 7 and (adds.severity == "info").all()


def test_stock_vs_flow_across_plans(findings):
    f = of(findings, "stock vs flow across plans")
    assert "省级及以上孵化器" in " ".join(f.message)
    assert "存量" in f.message.iloc[0] and "增量" in f.message.iloc[0]


def test_messages_are_chinese_with_english_beside(findings):
    """The primary text reads in Chinese (no English sentence in it); message_en is English."""
    import re

    for r in findings.itertuples():
        # file names, ids and units such as m2 may appear, but no English words of a sentence
        assert not re.search(r"\b(the|says|and|is|are|of|total)\b", r.message), r.message
        assert re.search(r"[\u4e00-\u9fff]", r.message)
        assert r.message_en and re.search(r"[A-Za-z]{3,}", r.message_en)


def test_mismatches_are_errors(example_project):
    doc = example_project.plans_dir / PY / "pingyang-2025-2027.txt"
    lines = doc.read_text(encoding="utf-8").split("\n")
    assert lines[124 - 1] == "70" and lines[230 - 1] == "2"
    lines[124 - 1] = "71"  # 附件1 space 总计: 71 ≠ 16 + 22 + 32 = 70
    lines[230 - 1] = "3"  # 昆阳 2025 space: townships 3+3+2+1+3+2+1+1+1 = 17 ≠ 全县 16
    doc.chmod(0o644)
    doc.write_text("\n".join(lines), encoding="utf-8")
    f = build(example_project.registry()).findings
    err = f[f.severity == "error"]
    assert set(err.check) == {"total vs sum of years", "townships vs county"}
    tot = err[err.check == "total vs sum of years"].iloc[0]
    assert (tot.value_a, tot.value_b) == (71, 70)
    town = err[err.check == "townships vs county"].iloc[0]
    assert (town.value_a, town.value_b) == (17, 16)
    # and the body's 70 now disagrees with 附件1's 71
    same = f[(f.check == "same target in two places") & (f.severity == "warning")]
    assert {(r.value_a, r.value_b) for r in same.itertuples()} >= {(71, 70)}


def test_duplicate_keys_are_errors(example_registry):
    t = build(example_registry).targets
    dup = pd.concat([t, t.iloc[[0]]], ignore_index=True)
    f = check_targets(dup, [], example_registry)
    assert f[f.check == "duplicate key"].severity.tolist() == ["error"]


def test_plan_findings_and_markdown(findings):
    py = plan_findings(findings, PY)
    assert set(py.plan_id) <= {PY, ""}
    md = quality_markdown(findings)
    assert md.startswith("# 规划文件数据质量报告")
    n_warn = (findings.severity == "warning").sum()
    assert f"| 警告 | {n_warn} |" in md
    assert f"## 警告（{n_warn}条）" in md
    assert "| 计划 | 检查项 | 说明 |" in md and "同一目标两处数值" in md
    assert "\\|" in md  # the '|' of Lucheng's empty table is escaped
    # every finding is one table line
    assert md.count("\n| ") >= len(findings)


# --- a plan added as data: its sheet is checked like a document's tables ------------------------

SHEET_HEAD = "region_id,indicator_id,year_start,year_end,level,value,unit,source,quote\n"


def _sheet_plan(project, rows: str):
    """A plan folder ruian-2025-2027 (瑞安市 and its two streets) with the given sheet rows."""
    folder = project.plans_dir / "ruian-2025-2027"
    folder.mkdir()
    (folder / "plan.yml").write_text(
        "id: ruian-2025-2027\nname_zh: 瑞安市行动计划\nregion_id: ruian\nyears: [2025, 2027]\n",
        encoding="utf-8",
    )
    (folder / "regions.csv").write_text(
        "region_id,name_zh,parent_id\nruian,瑞安市,\nruian-anyang,安阳街道,ruian\n"
        "ruian-yuhai,玉海街道,ruian\n",
        encoding="utf-8",
    )
    (folder / "targets.csv").write_text(SHEET_HEAD + rows, encoding="utf-8")
    return build(project.registry()).findings


def test_a_sheet_plans_townships_are_checked_against_its_county(example_project):
    rows = (
        "ruian,space,2025,2025,baseline,10,万平方米,瑞安文件,全市10万平方米\n"
        "ruian-anyang,space,2025,2025,baseline,4,万平方米,瑞安文件,安阳4万平方米\n"
        "ruian-yuhai,space,2025,2025,baseline,6,万平方米,瑞安文件,玉海6万平方米\n"
        "ruian,firms,2025,2025,baseline,50,个,瑞安文件,全市50个\n"
        "ruian-anyang,firms,2025,2025,baseline,20,个,瑞安文件,安阳20个\n"
        "ruian-yuhai,firms,2025,2025,baseline,25,个,瑞安文件,玉海25个\n"
    )
    f = of(_sheet_plan(example_project, rows), "townships vs county", "ruian-2025-2027")
    by = {r.message.split("（")[0].split()[-1]: r for r in f.itertuples()}
    # space: 4 + 6 = 10 = 瑞安市 10 → consistent
    space = by["新增孵化空间面积"]
    assert space.severity == "info" and (space.value_a, space.value_b) == (10, 10)
    # firms: 20 + 25 = 45 ≠ 瑞安市 50 → an error citing both
    firms = by["新增在孵企业(项目)"]
    assert firms.severity == "error" and (firms.value_a, firms.value_b) == (45, 50)
    assert firms.message.startswith("目标表 新增在孵企业(项目)（2025年）：")
    assert "20+25 = 45" in firms.message and "瑞安市合计50个" in firms.message
    assert "ruian-2025-2027/targets.csv row 5" in firms.place_b


def test_a_sheet_plans_total_is_checked_against_its_years(example_project):
    rows = "".join(
        f"ruian,space,{y0},{y1},baseline,{v},万平方米,瑞安文件,空间{v}\n"
        for y0, y1, v in ((2025, 2025, 3), (2026, 2026, 4), (2027, 2027, 5), (2025, 2027, 13))
    )
    f = of(_sheet_plan(example_project, rows), "total vs sum of years", "ruian-2025-2027")
    # 3 + 4 + 5 = 12 ≠ 13
    assert f.severity.tolist() == ["error"]
    assert (f.value_a.iloc[0], f.value_b.iloc[0]) == (13, 12)
