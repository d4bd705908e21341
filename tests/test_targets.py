"""The targets stage: all plans in one table, the CLI and its outputs, display helpers."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from ontrack import cli
from ontrack.errors import InputError
from ontrack.plans import KEY
from ontrack.schema import TARGETS, validate
from ontrack.targets import build, build_targets, load_targets, target_matrix, targets_table

ROOT = Path(__file__).resolve().parents[1]
PLANS = ROOT / "data" / "raw" / "plans"


@pytest.fixture(scope="module")
def targets():
    return build_targets(PLANS)


def copy_plans(tmp_path: Path) -> Path:
    d = tmp_path / "plans"
    shutil.copytree(PLANS, d)
    for p in d.iterdir():
        p.chmod(0o644)
    return d


def test_rows_per_plan(targets):
    # Pingyang 218 (see test_plans_pingyang), Lucheng 7 totals + 3 events + 21 assumed = 31,
    # city sheet 10 rows
    counts = targets.groupby("plan_id").size().to_dict()
    assert counts == {"pingyang-2025-2027": 218, "lucheng-2025-2027": 31, "wenzhou-2025-2027": 10}


def test_contract(targets):
    validate(targets, TARGETS)
    assert not targets.duplicated(KEY).any()
    assert list(targets.columns[:10]) == [
        "plan_id", "region_id", "indicator_id", "year_start", "year_end",
        "level", "value", "unit", "source", "quote",
    ]  # fmt: skip
    assert {"measure", "assumed", "document", "section", "address"} <= set(targets.columns)
    assert targets.assumed.dtype == bool
    assert (targets.quote.str.len() > 0).all() and (targets.source.str.len() > 0).all()


def test_lucheng_split_changes_only_lucheng(targets):
    even = build_targets(PLANS, lucheng_split="even")
    lu = even[(even.plan_id == "lucheng-2025-2027") & (even.indicator_id == "firms")]
    # 1600 / 3 → 533, 533, 534
    assert lu[lu.year_start == lu.year_end].value.tolist() == [533, 533, 534]
    others = even.plan_id != "lucheng-2025-2027"
    pd.testing.assert_frame_equal(
        even[others].reset_index(drop=True),
        targets[targets.plan_id != "lucheng-2025-2027"].reset_index(drop=True),
    )
    with pytest.raises(InputError, match="lucheng_split"):
        build_targets(PLANS, lucheng_split="linear")


def test_cli_writes_outputs(tmp_path, capsys):
    out = tmp_path / "out"
    assert cli.main(["targets", "--out-dir", str(out)]) == 0
    csv = out / "targets.csv"
    assert csv.read_bytes()[:3] == b"\xef\xbb\xbf"  # UTF-8 BOM for Excel
    assert (out / "quality_report.csv").read_bytes()[:3] == b"\xef\xbb\xbf"
    sheets = pd.read_excel(out / "targets.xlsx", sheet_name=None)
    assert set(sheets) == {"targets", "quality"}
    assert len(sheets["targets"]) == 259  # 218 + 31 + 10
    md = (out / "quality_report.md").read_text(encoding="utf-8")
    assert "5000" in md and "6000" in md
    stdout = capsys.readouterr().out
    assert "pingyang-2025-2027: 218 rows" in stdout
    assert "lucheng-2025-2027: 31 rows (21 assumed)" in stdout
    assert "findings" in stdout


def test_cli_even_split(tmp_path):
    assert cli.main(["targets", "--lucheng-split", "even", "--out-dir", str(tmp_path)]) == 0
    t = load_targets(tmp_path / "targets.csv")
    lu = t[(t.plan_id == "lucheng-2025-2027") & (t.indicator_id == "space") & t.assumed]
    assert lu.value.tolist() == [53.33, 53.33, 53.34]


def test_cli_reports_a_broken_document(tmp_path, capsys):
    d = copy_plans(tmp_path)
    doc = d / "pingyang-2025-2027.txt"
    doc.write_text(doc.read_text(encoding="utf-8").replace("\n经开区\n", "\n开发区X\n"), "utf-8")
    assert cli.main(["targets", "--plans-dir", str(d), "--out-dir", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "pingyang-2025-2027.txt 附件2" in err and "开发区X" in err
    assert not (tmp_path / "o" / "targets.csv").exists()


def test_load_targets_builds_when_missing(tmp_path, targets):
    path = tmp_path / "processed" / "targets.csv"
    t = load_targets(path)
    assert path.exists() and (path.parent / "quality_report.md").exists()
    assert len(t) == len(targets)
    assert t.assumed.sum() == 21
    assert t.year_start.dtype.kind == "i" and t.value.dtype.kind == "f"


def test_a_user_sheet_adds_a_plan(tmp_path):
    d = copy_plans(tmp_path)
    (d / "longwan-2025-2027.targets.csv").write_text(
        "plan_id,region_id,indicator_id,year_start,year_end,level,value,unit,source,quote,address\n"
        "longwan-2025-2027,longwan,space,2025,2025,baseline,30,万平方米,龙湾文件,新增30万平方米,http://x\n",
        encoding="utf-8",
    )
    t = build_targets(d)
    assert t[t.plan_id == "longwan-2025-2027"].value.tolist() == [30]


def test_a_sheet_may_not_duplicate_a_parsed_plan(tmp_path):
    d = copy_plans(tmp_path)
    shutil.copy(d / "wenzhou-2025-2027.targets.csv", d / "pingyang-2025-2027.targets.csv")
    with pytest.raises(InputError, match=r"already read from pingyang-2025-2027\.txt"):
        build_targets(d)


def test_missing_document(tmp_path):
    d = copy_plans(tmp_path)
    (d / "lucheng-2025-2027.txt").unlink()
    with pytest.raises(InputError, match=r"lucheng-2025-2027\.txt"):
        build_targets(d)


def test_target_matrix(targets):
    m = target_matrix(targets, "pingyang-2025-2027", "space")
    # county first: 16, 22, 32 and 70 (附件1); 昆阳 2, 3, 5 and 2+3+5 = 10 (附件2)
    assert m.loc["平阳县"].tolist() == [16, 22, 32, 70]
    assert m.loc["昆阳镇"].tolist() == [2, 3, 5, 10]
    assert list(m.columns) == ["2025", "2026", "2027", "2025–2027"]
    assert m.index[0] == "平阳县" and len(m) == 10
    with pytest.raises(InputError, match="no baseline targets"):
        target_matrix(targets, "pingyang-2025-2027", "jobs")


def test_targets_table(targets):
    t = targets_table(targets, "lucheng-2025-2027")
    assert len(t) == 31 and t.assumed.sum() == 21
    assert "2025–2027" in set(t.years)
    with pytest.raises(InputError, match="no targets"):
        targets_table(targets, "nowhere")


def test_build_returns_findings():
    b = build(PLANS)
    assert len(b.documents) == 3
    assert set(b.findings.severity) <= {"error", "warning", "info"}
