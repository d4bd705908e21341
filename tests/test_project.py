"""Projects (ontrack.project): how a command finds its project, ontrack.toml, the paths."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ontrack import cli
from ontrack.errors import InputError
from ontrack.project import ENV_VAR, NotAProject, Project, find_project, open_project

TOML = 'name = "示范项目"\nlang = "zh"\n'


def make(folder: Path, toml: str = TOML) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "ontrack.toml").write_text(toml, encoding="utf-8")
    return folder


# --- finding the project ----------------------------------------------------------------------


def test_explicit_folder(tmp_path):
    root = make(tmp_path / "p")
    p = find_project(root, cwd=tmp_path, environ={})
    assert isinstance(p, Project) and p.root == root.resolve()
    assert p.name == "示范项目" and p.lang == "zh"


def test_explicit_folder_without_ontrack_toml_suggests_init(tmp_path):
    with pytest.raises(NotAProject) as exc:
        find_project(tmp_path / "nothing", environ={})
    msg = str(exc.value)
    assert "not an ontrack project" in msg and "ontrack init" in msg
    assert str(tmp_path / "nothing") in msg


def test_environment_variable(tmp_path):
    root = make(tmp_path / "p")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert find_project(cwd=elsewhere, environ={ENV_VAR: str(root)}).root == root.resolve()


def test_environment_variable_is_read_from_os_environ(tmp_path, monkeypatch):
    root = make(tmp_path / "p")
    monkeypatch.setenv(ENV_VAR, str(root))
    monkeypatch.chdir(tmp_path)
    assert find_project().root == root.resolve()


def test_nearest_ontrack_toml_above_the_current_folder(tmp_path):
    outer = make(tmp_path / "outer")
    inner = make(outer / "sub" / "inner")
    deep = inner / "data" / "raw" / "plans"
    deep.mkdir(parents=True)
    assert find_project(cwd=deep, environ={}).root == inner.resolve()
    assert find_project(cwd=outer / "sub", environ={}).root == outer.resolve()
    assert find_project(cwd=outer, environ={}).root == outer.resolve()


def test_explicit_beats_environment_beats_current_folder(tmp_path):
    a, b, c = make(tmp_path / "a"), make(tmp_path / "b"), make(tmp_path / "c")
    env = {ENV_VAR: str(b)}
    assert find_project(a, cwd=c, environ=env).root == a.resolve()
    assert find_project(None, cwd=c, environ=env).root == b.resolve()
    assert find_project(None, cwd=c, environ={}).root == c.resolve()
    assert find_project("", cwd=c, environ={ENV_VAR: ""}).root == c.resolve()  # empty = unset


def test_no_project_anywhere_suggests_init(tmp_path):
    with pytest.raises(NotAProject) as exc:
        find_project(cwd=tmp_path, environ={})
    msg = str(exc.value)
    assert "no ontrack project here" in msg and str(tmp_path.resolve()) in msg
    assert "ontrack init" in msg and "--project" in msg and ENV_VAR in msg
    assert "不是 ontrack 项目" in msg  # and in Chinese


def test_a_command_outside_a_project_says_so_and_writes_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv(ENV_VAR, raising=False)
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.chdir(empty)
    assert cli.main(["targets"]) == 2
    err = capsys.readouterr().err
    assert "ontrack init" in err and "Traceback" not in err
    assert list(empty.iterdir()) == []


# --- ontrack.toml -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("toml", "words"),
    [
        ('nme = "x"\n', ["unknown setting 'nme'", "did you mean 'name'?"]),
        ('[render]\nplan = ["a"]\n', ["unknown setting 'render.plan'", "'render.plans'"]),
        ('lang = "fr"\n', ["'lang' is 'fr'", "zh or en"]),
        ("name = 3\n", ["'name' should be a str"]),
        ("[render]\nplans = [1, 2]\n", ["'render.plans' should be a list of plan ids"]),
        ('name = "x\n', ["not valid TOML"]),
    ],
)
def test_bad_settings_are_refused(tmp_path, toml, words):
    root = make(tmp_path / "p", toml)
    with pytest.raises(InputError) as exc:
        open_project(root)
    assert exc.value.where == str(root / "ontrack.toml")
    for w in words:
        assert w in str(exc.value), str(exc.value)


def test_several_bad_settings_are_named_together(tmp_path):
    root = make(tmp_path / "p", 'nme = "x"\nlang = "de"\n')
    with pytest.raises(InputError) as exc:
        open_project(root)
    assert "'nme'" in exc.value.problem and "'de'" in exc.value.problem


def test_defaults_without_settings(tmp_path):
    p = open_project(make(tmp_path / "my-county", ""))
    assert p.name == "my-county" and p.lang == "zh"
    assert p.render_plans == []  # no plan folder yet
    with pytest.raises(InputError, match="no plan yet"):
        p.default_plan()


# --- paths --------------------------------------------------------------------------------------


def test_every_path_is_inside_the_project(tmp_path):
    p = open_project(make(tmp_path / "p"))
    for name in (
        "raw", "plans_dir", "progress_dir", "scenarios_dir", "processed", "targets_csv",
        "progress_csv", "cleaning_log_csv", "quality_csv", "forecast_dir", "reports",
        "notebooks_dir", "indicators_csv",
    ):  # fmt: skip
        path = getattr(p, name)
        assert p.contains(path), name
    assert p.relative(p.targets_csv) == "data/processed/targets.csv"
    assert not p.contains(tmp_path / "other")
    assert p.relative(tmp_path / "other") == str(tmp_path / "other")


def test_contains_resolves_symlinks(tmp_path):
    p = open_project(make(tmp_path / "p"))
    outside = tmp_path / "outside"
    outside.mkdir()
    (p.root / "link").symlink_to(outside)
    assert not p.contains(p.root / "link" / "x.yml")


def test_a_project_notebook_overrides_the_packaged_one(tmp_path):
    p = open_project(make(tmp_path / "p"))
    packaged = p.notebook("04_briefing.ipynb")
    assert packaged.is_file() and not p.contains(packaged)
    own = p.notebooks_dir / "04_briefing.ipynb"
    own.parent.mkdir()
    own.write_text("{}", encoding="utf-8")
    assert p.notebook("04_briefing.ipynb") == own


def test_this_repository_is_a_project():
    root = Path(__file__).resolve().parents[1]
    p = find_project(cwd=root / "tests", environ={})
    assert p.root == root
    assert p.render_plans == ["pingyang-2025-2027", "lucheng-2025-2027"]  # ontrack.toml
    assert p.default_plan() == "pingyang-2025-2027"


def test_registry_is_read_again_when_a_plan_changes(example_project):
    reg = example_project.registry()
    assert example_project.registry() is reg  # cached while nothing changed
    regions = example_project.plans_dir / "lucheng-2025-2027" / "regions.csv"
    text = regions.read_text(encoding="utf-8")
    regions.write_text(text.replace("lucheng,鹿城区,,鹿城,,", "lucheng,鹿城区,,鹿城,鹿城片区,"))
    st = regions.stat()
    os.utime(regions, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    again = example_project.registry()
    assert again is not reg and again.match_region("鹿城片区") == "lucheng"
    assert reg.match_region("鹿城片区") is None


def test_render_plans_every_plan_unless_named(example_project):
    assert example_project.render_plans == ["pingyang-2025-2027", "lucheng-2025-2027"]
    example_project.settings = {}
    # every plan folder, alphabetically
    assert example_project.render_plans == [
        "lucheng-2025-2027",
        "pingyang-2025-2027",
        "wenzhou-2025-2027",
    ]
