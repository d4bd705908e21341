"""The installed tool, as a new user meets it: a wheel in a fresh venv, outside this checkout.

One module-scoped venv: the wheel is built from this checkout and installed with ``--no-deps``;
the dependencies come from this checkout's environment through a ``.pth`` line (so the test runs
offline and in seconds), while ``ontrack`` itself is imported from the wheel (checked). Then:

* outside a project every command says so and suggests ``ontrack init``, writing nothing;
* ``ontrack init x --example && cd x && ontrack render`` makes the default briefing;
* a plan the test writes itself, as data only (a county and four townships with ids that say
  nothing of their hierarchy, one indicator declared in indicators.csv), is read, its progress
  (typed with Chinese names in an office-style workbook) ingested, forecast with the county as
  the sum of its townships, and rendered into a briefing that shows the plan's names.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [pytest.mark.slow, pytest.mark.render]


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> dict:
    """A fresh venv with the ontrack wheel installed; returns its bin dir and a clean env."""
    base = tmp_path_factory.mktemp("wheel")
    dist = base / "dist"
    # built from a copy of the files git tracks: a build/ folder left in the checkout by an
    # earlier build (setuptools reuses it) must not slip old modules into the wheel
    src = base / "src"
    tracked = subprocess.run(  # -z: names as they are (git quotes 督查表 otherwise)
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split("\0")
    for f in filter(None, tracked):
        if (ROOT / f).is_file():
            (src / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / f, src / f)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(dist),
            str(src),
        ],
        check=True,
        capture_output=True,
    )
    wheel = next(dist.glob("ontrack-*.whl"))
    env_dir = base / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    py = env_dir / "bin" / "python"
    subprocess.run(
        [str(py), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
        check=True,
        capture_output=True,
    )
    site = subprocess.run(
        [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # the dependencies, from this environment; ontrack itself stays the wheel's (first on path)
    Path(site, "_ontrack_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ONTRACK", "PYTHON"))}
    env["PATH"] = f"{env_dir / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["HOME"] = str(base / "home")  # no user-level Jupyter or matplotlib state
    # the dependencies' data files (nbconvert's base templates) live under their prefix's
    # share/jupyter, as they would under the fresh venv's own had pip installed them there
    env["JUPYTER_PATH"] = str(Path(sys.prefix) / "share" / "jupyter")
    (base / "home").mkdir()
    where = subprocess.run(
        [str(py), "-c", "import ontrack; print(ontrack.__file__)"],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    ).stdout.strip()
    assert Path(where).is_relative_to(env_dir), f"ontrack imported from {where}, not the wheel"
    return {"bin": env_dir / "bin", "env": env, "venv": env_dir, "base": base, "wheel": wheel}


def ontrack(fresh: dict, *args: str, cwd: Path, ok: bool = True) -> subprocess.CompletedProcess:
    res = subprocess.run(
        [str(fresh["bin"] / "ontrack"), *args],
        cwd=cwd,
        env=fresh["env"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if ok:
        assert res.returncode == 0, f"ontrack {' '.join(args)}:\n{res.stdout}\n{res.stderr}"
    return res


def _tree(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def test_outside_a_project_every_command_says_so_and_writes_nothing(fresh, tmp_path):
    before = _tree(fresh["venv"])
    for command in (["targets"], ["ingest"], ["render"], ["render-all"], ["forecast"]):
        res = ontrack(fresh, *command, cwd=tmp_path, ok=False)
        assert res.returncode == 2, (command, res.stdout, res.stderr)
        assert "ontrack init" in res.stderr, (command, res.stderr)
        assert "Traceback" not in res.stderr
    assert list(tmp_path.iterdir()) == []
    assert _tree(fresh["venv"]) == before


def test_init_example_then_render_the_default_briefing(fresh, tmp_path):
    ontrack(fresh, "init", "x", "--example", cwd=tmp_path)
    project = tmp_path / "x"
    assert (project / "ontrack.toml").is_file()
    assert "文件放在哪里" in (project / "README.md").read_text(encoding="utf-8")
    res = ontrack(fresh, "render", cwd=project)
    html = next((project / "reports").rglob("pingyang.html"))
    text = html.read_text(encoding="utf-8")
    assert "平阳县" in text and "示例数据" in text
    assert next((project / "reports").rglob("pingyang.pdf")).stat().st_size > 10_000
    assert "pingyang.html" in res.stdout


# ---------------------------------------------------------------------------- a plan of our own
PLAN = "longwan-2025-2027"
COUNTY = "R0012"
TOWNS = {  # id: (name, short name)
    "R0017": ("永中街道", "永中"),
    "R0018": ("蒲州街道", "蒲州"),
    "R0019": ("海滨街道", "海滨"),
    "R0020": ("永兴街道", "永兴"),
}
#: Cumulative (1-m月) patents granted in 2026 as the workbooks report them, by month m.
YTD = {
    "R0017": {2: 3, 5: 9, 9: 20},
    "R0018": {2: 2, 5: 6, 9: 15},
    "R0019": {2: 1, 5: 5, 9: 12},
    "R0020": {2: 0, 5: 4, 9: 9},
}


def _rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def _write_csv(path: Path, rows: list[list]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)


def _write_plan(project: Path) -> None:
    raw = project / "data" / "raw"
    _write_csv(
        raw / "indicators.csv",
        [
            ["indicator_id", "name_zh", "unit", "nature", "name_en", "aliases"],
            ["patents", "新增发明专利授权", "件", "count", "New invention patents", "发明专利"],
        ],
    )
    folder = raw / "plans" / PLAN
    folder.mkdir(parents=True)
    (folder / "plan.yml").write_text(
        f"id: {PLAN}\nname_zh: 龙湾区科技创新三年行动计划(2025-2027年)\n"
        f"region_id: {COUNTY}\nyears: [2025, 2027]\n",
        encoding="utf-8",
    )
    _write_csv(
        folder / "regions.csv",
        [["region_id", "name_zh", "parent_id", "short_zh"], [COUNTY, "龙湾区", "", "龙湾"]]
        + [[rid, name, COUNTY, short] for rid, (name, short) in TOWNS.items()],
    )
    header = ["region_id", "indicator_id", "year_start", "year_end", "level", "value", "unit"]
    header += ["source", "quote"]
    rows = [header]
    for year in (2025, 2026, 2027):
        rows.append([COUNTY, "patents", year, year, "baseline", 120, "件", "测试计划", "全区120件"])
        for rid in TOWNS:
            rows.append(
                [rid, "patents", year, year, "baseline", 30, "件", "测试计划", "各街道30件"]
            )
    _write_csv(folder / "targets.csv", rows)


def _write_report(path: Path, month: int) -> None:
    """An office's workbook: title with the period, a two-row header, names not ids, 合计."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "专利"
    ws.cell(1, 1, f"龙湾区发明专利授权进展表（2026年1-{month}月）")
    ws.cell(2, 1, "填报单位：龙湾区科技局")
    ws.cell(3, 1, "序号")
    ws.cell(3, 2, "街道")
    ws.cell(3, 3, "新增发明专利授权(件)")
    ws.merge_cells(start_row=3, start_column=3, end_row=3, end_column=4)
    ws.cell(4, 3, "年度目标")
    ws.cell(4, 4, "累计完成")
    r = 5
    total = 0
    for n, (rid, (name, _)) in enumerate(TOWNS.items(), start=1):
        ws.cell(r, 1, n)
        ws.cell(r, 2, name)
        ws.cell(r, 3, 30)
        ws.cell(r, 4, YTD[rid][month])
        total += YTD[rid][month]
        r += 1
    ws.cell(r, 2, "合计")
    ws.cell(r, 3, 120)
    ws.cell(r, 4, total)
    wb.save(path)


def test_a_plan_added_as_data_only_is_read_forecast_and_rendered(fresh, tmp_path):
    ontrack(fresh, "init", "lw", cwd=tmp_path)
    project = tmp_path / "lw"
    _write_plan(project)
    reports = []
    for month in (2, 5, 9):
        reports.append(tmp_path / f"龙湾区专利-2026-{month:02d}.xlsx")
        _write_report(reports[-1], month)

    out = ontrack(fresh, "targets", cwd=project).stdout
    # 3 years x 5 regions = 15 targets
    assert f"{PLAN}: 15 rows" in out
    ontrack(fresh, "ingest", *map(str, reports), cwd=project)
    progress = _rows(project / "data/processed/progress.csv")
    assert {r["region_id"] for r in progress} == set(TOWNS)
    assert {r["indicator_id"] for r in progress} == {"patents"}

    ontrack(fresh, "forecast", "--as-of", "2026-09", cwd=project)
    att = _rows(project / "data/processed/attainment.csv")
    row = {(r["region_id"], r["year_start"]): r for r in att}
    county = row[(COUNTY, "2026")]
    # the county is the sum of its townships: 20 + 15 + 12 + 9 = 56 by September
    assert float(county["actual_to_date"]) == pytest.approx(56)
    p10 = sum(float(row[(t, "2026")]["proj_p10"]) for t in TOWNS)
    p90 = sum(float(row[(t, "2026")]["proj_p90"]) for t in TOWNS)
    assert p10 <= float(county["proj_p50"]) <= p90

    for region in (COUNTY, "R0017"):
        ontrack(
            fresh,
            "render",
            "--plan",
            PLAN,
            "--region",
            region,
            "--as-of",
            "2026-09",
            "--format",
            "html",
            cwd=project,
        )
    county = next((project / "reports").rglob(f"{COUNTY}.html")).read_text(encoding="utf-8")
    for name in ("龙湾区", "龙湾区科技创新三年行动计划", "新增发明专利授权"):
        assert name in county, name
    town = next((project / "reports").rglob("R0017.html")).read_text(encoding="utf-8")
    assert "永中街道" in town and "龙湾区科技创新三年行动计划" in town


def test_the_wheel_carries_notebooks_example_and_license(fresh):
    import zipfile

    with zipfile.ZipFile(fresh["wheel"]) as whl:
        names = set(whl.namelist())
    for name in (
        "ontrack/notebooks/04_briefing.ipynb",
        "ontrack/notebooks/05_scenario_lab.ipynb",
        "ontrack/data/indicators.csv",
        "ontrack/example/indicators.csv",
        "ontrack/example/plans/pingyang-2025-2027/plan.yml",
        "ontrack/example/plans/pingyang-2025-2027/pingyang-2025-2027.txt",
        "ontrack/example/progress/demo/pingyang/pingyang-2026-10-督查表.xlsx",
        "ontrack/briefing/templates/briefing/index.html.j2",
        "ontrack/lab/jupyter/voila/templates/ontrack/index.html.j2",  # Voilà offline
    ):
        assert name in names, name
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    # the warm kernel as papermill's engine, declared through papermill's entry point group
    with zipfile.ZipFile(fresh["wheel"]) as whl:
        ep = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        entry_points = whl.read(ep).decode("utf-8")
    assert "[papermill.engine]" in entry_points
    assert "ontrack-warm = ontrack.render.pmengine:WarmEngine" in entry_points
    assert not any("__pycache__" in n or n.startswith("tests/") for n in names)
    # the evidence (benchmarks, evaluation, synthetic worlds, sample generators) stays in the
    # checkout: lib/ontrack_evidence is not what users install
    assert not any(n.startswith("ontrack_evidence/") for n in names)
    for gone in ("ontrack/bench.py", "ontrack/forecast/world.py", "ontrack/briefing/sample.py"):
        assert gone not in names, gone
