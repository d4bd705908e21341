"""The targets stage: every plan of a project in one table, the CLI and its outputs, display
helpers. The example project is this repository's (data/raw/plans: Pingyang and Lucheng read from
their documents, the city plan from its targets sheet); tests that write use a copy of it."""

from __future__ import annotations

import pandas as pd
import pytest

from ontrack import cli
from ontrack.errors import InputError, InputErrors
from ontrack.plans import KEY
from ontrack.schema import TARGETS, validate
from ontrack.targets import (
    build,
    build_targets,
    load_targets,
    read_targets,
    target_matrix,
    targets_table,
)

PY, LU, CITY = "pingyang-2025-2027", "lucheng-2025-2027", "wenzhou-2025-2027"


@pytest.fixture(scope="module")
def targets(example_registry):
    return build_targets(example_registry)


def test_rows_per_plan(targets):
    # Pingyang 218 (see test_plans_pingyang), Lucheng 7 totals + 3 events + 21 assumed = 31,
    # city sheet 10 rows
    counts = targets.groupby("plan_id").size().to_dict()
    assert counts == {PY: 218, LU: 31, CITY: 10}


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


def test_plans_in_the_projects_order(targets):
    # ontrack.toml [render] plans names Pingyang then Lucheng; the city plan follows
    assert list(dict.fromkeys(targets.plan_id)) == [PY, LU, CITY]


def test_lucheng_split_changes_only_lucheng(targets, example_registry):
    even = build_targets(example_registry, lucheng_split="even")
    lu = even[(even.plan_id == LU) & (even.indicator_id == "firms")]
    # 1600 / 3 → 533, 533, 534
    assert lu[lu.year_start == lu.year_end].value.tolist() == [533, 533, 534]
    others = even.plan_id != LU
    pd.testing.assert_frame_equal(
        even[others].reset_index(drop=True),
        targets[targets.plan_id != LU].reset_index(drop=True),
    )
    with pytest.raises(InputError, match="lucheng_split"):
        build_targets(example_registry, lucheng_split="linear")


def test_the_plan_folder_chooses_the_split(example_project):
    # plan.yml reader_options split: city (300/400/500) → even: a third a year
    yml = example_project.plans_dir / LU / "plan.yml"
    yml.write_text(
        yml.read_text(encoding="utf-8").replace("split: city", "split: even"), encoding="utf-8"
    )
    t = build_targets(example_project.registry())
    lu = t[(t.plan_id == LU) & (t.indicator_id == "firms") & (t.year_start == t.year_end)]
    assert lu.value.tolist() == [533, 533, 534]  # 1600 / 3


def test_cli_writes_outputs(example_project, tmp_path, capsys):
    out = tmp_path / "out"
    root = str(example_project.root)
    assert cli.main(["--project", root, "targets", "--out-dir", str(out)]) == 0
    csv = out / "targets.csv"
    assert csv.read_bytes()[:3] == b"\xef\xbb\xbf"  # UTF-8 BOM for Excel
    assert (out / "quality_report.csv").read_bytes()[:3] == b"\xef\xbb\xbf"
    sheets = pd.read_excel(out / "targets.xlsx", sheet_name=None)
    assert set(sheets) == {"targets", "quality"}
    assert len(sheets["targets"]) == 259  # 218 + 31 + 10
    md = (out / "quality_report.md").read_text(encoding="utf-8")
    assert "5000" in md and "6000" in md
    stdout = capsys.readouterr().out
    assert f"{PY}: 218 rows" in stdout
    assert f"{LU}: 31 rows (21 assumed)" in stdout
    assert "findings" in stdout
    assert not example_project.targets_csv.exists()  # --out-dir: nothing in the project


def test_cli_writes_into_the_project_found_from_the_folder(example_project, monkeypatch):
    monkeypatch.delenv("ONTRACK_PROJECT", raising=False)
    monkeypatch.chdir(example_project.plans_dir)  # below the project's ontrack.toml
    assert cli.main(["targets"]) == 0
    assert example_project.targets_csv.is_file() and example_project.quality_csv.is_file()


def test_cli_even_split(example_project, tmp_path):
    root = str(example_project.root)
    argv = ["--project", root, "targets", "--lucheng-split", "even", "--out-dir", str(tmp_path)]
    assert cli.main(argv) == 0
    t = read_targets(tmp_path / "targets.csv")
    lu = t[(t.plan_id == LU) & (t.indicator_id == "space") & t.assumed]
    assert lu.value.tolist() == [53.33, 53.33, 53.34]  # 160 / 3, the remainder to 2027


def test_cli_reports_a_broken_document(example_project, tmp_path, capsys):
    doc = example_project.plans_dir / PY / "pingyang-2025-2027.txt"
    doc.write_text(doc.read_text(encoding="utf-8").replace("\n经开区\n", "\n开发区X\n"), "utf-8")
    out = tmp_path / "o"
    argv = ["--project", str(example_project.root), "targets", "--out-dir", str(out)]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert "pingyang-2025-2027.txt 附件2" in err and "开发区X" in err
    assert "Traceback" not in err
    assert not (out / "targets.csv").exists()


def test_cli_reports_every_bad_row_of_a_plan_folder(example_project, capsys):
    sheet = example_project.plans_dir / CITY / "targets.csv"
    lines = sheet.read_text(encoding="utf-8-sig").splitlines()
    lines[1] = lines[1].replace("wenzhou,space", "longwan,space")  # row 2: not in regions.csv
    lines[3] = lines[3].replace(",万平方米,", ",个,")  # row 4: 个 does not fit space
    sheet.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert cli.main(["--project", str(example_project.root), "targets"]) == 2
    err = capsys.readouterr().err
    assert "2 error(s)" in err
    assert f"{CITY}/targets.csv row 2: column region_id: 'longwan'" in err
    assert f"{CITY}/targets.csv row 4: column unit: '个'" in err


def test_load_targets_builds_when_missing(example_project, targets):
    t = load_targets(example_project)
    assert example_project.targets_csv.exists()
    assert (example_project.processed / "quality_report.md").exists()
    assert len(t) == len(targets)
    assert t.assumed.sum() == 21
    assert t.year_start.dtype.kind == "i" and t.value.dtype.kind == "f"


def test_a_plan_folder_adds_a_plan(example_project):
    folder = example_project.plans_dir / "longwan-2025-2027"
    folder.mkdir()
    (folder / "plan.yml").write_text(
        "id: longwan-2025-2027\nname_zh: 龙湾区行动计划\nregion_id: longwan\nyears: [2025, 2027]\n",
        encoding="utf-8",
    )
    (folder / "regions.csv").write_text(
        "region_id,name_zh,parent_id\nlongwan,龙湾区,\n", encoding="utf-8"
    )
    (folder / "targets.csv").write_text(
        "region_id,indicator_id,year_start,year_end,level,value,unit,source,quote\n"
        "longwan,space,2025,2025,baseline,30,万平方米,龙湾文件,新增30万平方米\n",
        encoding="utf-8",
    )
    t = build_targets(example_project.registry())
    assert t[t.plan_id == "longwan-2025-2027"].value.tolist() == [30]
    assert len(t) == 259 + 1


def test_every_plans_errors_are_reported_together(example_project):
    (example_project.plans_dir / LU / "lucheng-2025-2027.txt").unlink()
    sheet = example_project.plans_dir / CITY / "targets.csv"
    sheet.write_text(
        sheet.read_text(encoding="utf-8-sig").replace(
            ",2027,2027,baseline,500,", ",2027,2029,baseline,500,"
        ),
        encoding="utf-8",
    )
    # the missing document is found when the registry is read (plan.yml names it)
    with pytest.raises(InputError, match=r"lucheng-2025-2027\.txt is not in the plan folder"):
        example_project.registry()
    # a plan folder that reads, and one whose sheet has a bad row: both reported by build
    (example_project.plans_dir / LU / "plan.yml").write_text(
        (example_project.plans_dir / LU / "plan.yml")
        .read_text(encoding="utf-8")
        .replace("split: city", "split: linear"),
        encoding="utf-8",
    )
    (example_project.plans_dir / LU / "lucheng-2025-2027.txt").write_text("", encoding="utf-8")
    with pytest.raises(InputErrors) as exc:
        build(example_project.registry())
    text = str(exc.value)
    assert "split" in text and "'linear'" in text
    assert "2029 is outside the plan's years 2025–2027" in text


def test_target_matrix(targets, example_registry):
    m = target_matrix(targets, PY, "space", example_registry)
    # county first: 16, 22, 32 and 70 (附件1); 昆阳 2, 3, 5 and 2+3+5 = 10 (附件2)
    assert m.loc["平阳县"].tolist() == [16, 22, 32, 70]
    assert m.loc["昆阳镇"].tolist() == [2, 3, 5, 10]
    assert list(m.columns) == ["2025", "2026", "2027", "2025–2027"]
    assert m.index[0] == "平阳县" and len(m) == 10
    with pytest.raises(InputError, match="no baseline targets"):
        target_matrix(targets, PY, "jobs", example_registry)


def test_targets_table(targets, example_registry):
    t = targets_table(targets, LU, example_registry)
    assert len(t) == 31 and t.assumed.sum() == 21
    assert "2025–2027" in set(t.years)
    assert set(t.region) == {"鹿城区"}  # the name from the plan's regions.csv
    with pytest.raises(InputError, match="no targets"):
        targets_table(targets, "nowhere", example_registry)


def test_build_returns_findings(example_registry):
    b = build(example_registry)
    assert [d.plan_id for d in b.documents] == [PY, LU, CITY]
    assert set(b.findings.severity) <= {"error", "warning", "info"}


# --- the notebook ---------------------------------------------------------------------------


def _run_targets_notebook(tmp_path, **params):
    import nbformat
    import papermill as pm

    from ontrack.project import packaged

    out = tmp_path / "01_targets.out.ipynb"
    pm.execute_notebook(
        str(packaged("notebooks") / "01_targets.ipynb"),
        str(out),
        parameters=params,
        kernel_name="python3",
        cwd=str(tmp_path),
        progress_bar=False,
    )
    nb = nbformat.read(out, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    return " ".join(str(o.get("data", o.get("text", ""))) for o in outputs)


def test_notebook_runs_on_the_example_project(example_project, tmp_path):
    shown = _run_targets_notebook(tmp_path, project=str(example_project.root))
    # the project's first plan (ontrack.toml): Pingyang, its county and townships by name
    assert f"{PY}: 218 rows" in shown and "平阳县" in shown and "昆阳镇" in shown
    assert not example_project.processed.exists()  # the notebook writes nothing


def test_notebook_runs_on_a_project_of_ones_own(tmp_path, monkeypatch):
    from ontrack.init import init_project

    root = init_project(tmp_path / "mine")
    folder = root / "data" / "raw" / "plans" / "ruian-2025-2027"
    folder.mkdir()
    (folder / "plan.yml").write_text(
        "id: ruian-2025-2027\nname_zh: 瑞安市行动计划\nregion_id: ruian\nyears: [2025, 2027]\n",
        encoding="utf-8",
    )
    (folder / "regions.csv").write_text(
        "region_id,name_zh,parent_id\nruian,瑞安市,\nruian-anyang,安阳街道,ruian\n",
        encoding="utf-8",
    )
    (folder / "targets.csv").write_text(
        "region_id,indicator_id,year_start,year_end,level,value,unit,source,quote\n"
        "ruian,space,2025,2025,baseline,10,万平方米,瑞安文件,全市10万平方米\n"
        "ruian-anyang,space,2025,2025,baseline,4,万平方米,瑞安文件,安阳4万平方米\n",
        encoding="utf-8",
    )
    # found from the working folder (the notebook's cwd is inside the project)
    monkeypatch.delenv("ONTRACK_PROJECT", raising=False)
    shown = _run_targets_notebook(root / "data")
    assert "ruian-2025-2027: 2 rows" in shown and "瑞安市" in shown and "安阳街道" in shown


def test_targets_names_each_error_and_exits_non_zero(example_project, capsys):
    """`ontrack targets` printed "1 error" without saying which, and exited 0 (issue 21)."""
    from ontrack import cli

    folder = example_project.plans_dir / "longwan-2025-2027"
    folder.mkdir()
    (folder / "plan.yml").write_text(
        "id: longwan-2025-2027\nname_zh: 龙湾区计划\nregion_id: longwan\nyears: [2025, 2027]\n",
        encoding="utf-8",
    )
    (folder / "regions.csv").write_text("region_id,name_zh,parent_id\nlongwan,龙湾区,\n", "utf-8")
    head = "region_id,indicator_id,year_start,year_end,level,value,unit,source,quote,assumed\n"
    rows = [
        "longwan,firms,2025,2027,baseline,30,个,龙政办,三年30个,false",
        "longwan,firms,2025,2025,baseline,10,个,假设,三分之一,true",
        "longwan,firms,2026,2026,baseline,10,个,假设,三分之一,true",
        "longwan,firms,2027,2027,baseline,5,个,假设,六分之一,true",  # 10 + 10 + 5 = 25, not 30
    ]
    (folder / "targets.csv").write_text(head + "\n".join(rows) + "\n", encoding="utf-8")
    assert cli.main(["--project", str(example_project.root), "targets"]) == 1
    out, err = capsys.readouterr()
    assert "[错误 error] 龙湾区 新增在孵企业(项目)：假设的分年目标10 + 10 + 5" in out
    assert "≠ published total 30" in out
    assert "2 个错误" in err and "2 error(s)" in err  # the sum, and the assumed split
    assert "合计栏为30个，而分年10 + 10 + 5 = 25" in out
