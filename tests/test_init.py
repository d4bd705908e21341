"""`ontrack init DIR [--example]`: a project folder with its layout and README."""

from __future__ import annotations

import sys

import pytest

from ontrack import cli
from ontrack.errors import InputError
from ontrack.init import init_project
from ontrack.project import ENV_VAR, find_project


def test_init_makes_the_layout_and_readme(tmp_path, capsys):
    root = tmp_path / "my-county"
    assert cli.main(["init", str(root)]) == 0
    assert "ontrack project made" in capsys.readouterr().out
    for d in ("data/raw/plans", "data/raw/progress", "data/raw/scenarios", "data/processed"):
        assert (root / d).is_dir(), d
    assert (root / "reports").is_dir()
    assert (root / "data" / "raw" / "plans" / "README.md").is_file()  # the plan folder format
    # no plan yet: the plans folder holds only its README
    assert [p.name for p in (root / "data" / "raw" / "plans").iterdir()] == ["README.md"]
    assert "data/processed/" in (root / ".gitignore").read_text(encoding="utf-8")
    project = find_project(cwd=root / "data", environ={})
    assert project.root == root.resolve() and project.name == "my-county"
    assert project.registry().plans == {}


def test_readme_is_chinese_first_and_says_what_goes_where(tmp_path):
    root = init_project(tmp_path / "p", name="示范县项目")
    text = (root / "README.md").read_text(encoding="utf-8")
    assert text.startswith("# 示范县项目\n\n这是一个 ontrack 项目")
    zh, en = text.index("文件放在哪里"), text.index("(English)")
    assert zh < en
    for where in ("data/raw/plans/", "data/raw/progress/", "data/processed/", "reports/"):
        assert where in text[:en] and where in text[en:], where
    assert "ontrack targets" in text and "ontrack render" in text
    assert "尚无计划" in text  # without --example: says how to add the first plan
    assert 'name = "示范县项目"' in (root / "ontrack.toml").read_text(encoding="utf-8")


def test_init_example_then_targets_works_in_it(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv(ENV_VAR, raising=False)
    root = tmp_path / "demo"
    assert cli.main(["init", str(root), "--example"]) == 0
    raw = root / "data" / "raw"
    plans = sorted(p.name for p in (raw / "plans").iterdir() if p.is_dir())
    assert plans == ["lucheng-2025-2027", "pingyang-2025-2027", "wenzhou-2025-2027"]
    assert (raw / "indicators.csv").is_file()
    assert (raw / "plans" / "pingyang-2025-2027" / "pingyang-2025-2027.txt").is_file()
    # the illustrative (示例数据) progress reports
    assert sorted(p.name for p in (raw / "progress" / "demo").iterdir() if p.is_dir()) == [
        "lucheng",
        "pingyang",
    ]
    assert any((raw / "progress" / "demo" / "pingyang").glob("*.xlsx"))
    capsys.readouterr()
    monkeypatch.chdir(root)
    assert cli.main(["targets"]) == 0
    assert "targets: 259 rows" in capsys.readouterr().out  # 218 + 31 + 10, as in this repo
    assert (root / "data" / "processed" / "targets.csv").is_file()
    project = find_project(cwd=root, environ={})
    assert project.render_plans == ["pingyang-2025-2027", "lucheng-2025-2027"]


def test_init_into_an_existing_empty_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    assert init_project(tmp_path / "empty") == (tmp_path / "empty").resolve()


def test_refuses_a_folder_that_is_not_empty(tmp_path, capsys):
    folder = tmp_path / "full"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine", encoding="utf-8")
    assert cli.main(["init", str(folder)]) == 2
    assert "is not empty" in capsys.readouterr().err
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]  # nothing added


def test_refuses_an_existing_project(tmp_path):
    root = init_project(tmp_path / "p")
    with pytest.raises(InputError, match="already an ontrack project"):
        init_project(root)


def test_refuses_a_file(tmp_path):
    f = tmp_path / "file"
    f.write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match="not a folder"):
        init_project(f)


def test_refuses_a_folder_inside_the_python_environment(tmp_path, monkeypatch):
    env = tmp_path / "venv"
    env.mkdir()
    monkeypatch.setattr(sys, "prefix", str(env))
    with pytest.raises(InputError) as exc:
        init_project(env / "lib" / "projects" / "x")
    assert "inside the Python environment" in exc.value.problem
    assert not (env / "lib").exists()
    with pytest.raises(InputError, match="inside the Python environment"):
        init_project(env)


def test_refuses_the_real_environment():
    with pytest.raises(InputError, match="inside the Python environment"):
        init_project(f"{sys.prefix}/ontrack-project-test")
