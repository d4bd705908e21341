"""The render path under faults and careless use (issue 11's render items): one lock for render
and render-all, outputs that respect the umask, one clear line for a read-only reports/ and a
full disk, the browser and the parameters checked before any kernel starts, --as-of limited to
months with data, scenario names checked, '{}' in a scenario's file name, and a log for cron.
(Killing render-all: test_briefing_engine.)"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import copy_example_project

from ontrack.cli import main
from ontrack.errors import InputError
from ontrack.project import open_project
from ontrack.render import single as rd
from ontrack.render.engine import Engine, Rendered
from ontrack.render.single import check_as_of, commit, run_lock
from ontrack_evidence.sample import AS_OF, PLAN, SIMS, write_sample

ROOT = Path(__file__).resolve().parents[1]
STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d"


@pytest.fixture
def built_copy(built_project, tmp_path):
    root = tmp_path / "project"
    shutil.copytree(built_project.root, root)
    return open_project(root)


@pytest.fixture
def no_kernel(monkeypatch):
    """Fails the test if an engine (kernels, browser) is started."""

    def start(self):
        raise AssertionError("a kernel was started")

    monkeypatch.setattr(Engine, "start", start)


def _one_line(err: str) -> str:
    lines = [x for x in err.strip().splitlines() if x.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


# ------------------------------------------------------------------ lock
def test_render_and_render_all_share_one_lock(example_project, capsys, no_kernel):
    """While one run holds reports/.render.lock, render and render-all refuse at once."""
    p = ["--project", str(example_project.root)]
    with run_lock(example_project):
        assert main([*p, "render", "--format", "html"]) == 2
        line = _one_line(capsys.readouterr().err)
        assert "another `ontrack render` or `render-all` is running" in line
        assert main([*p, "render-all", "--format", "html"]) == 2
        line = _one_line(capsys.readouterr().err)
        assert "another `ontrack render` or `render-all` is running" in line
        assert re.match(STAMP, line)  # render-all's refusal is in the cron log's format
    with run_lock(example_project):  # released when the holder is done
        pass


# ------------------------------------------------------------------ files
def test_outputs_respect_the_umask(tmp_path):
    """umask 027 → reports are rw-r----- (0640), not the 0600 of a temporary file."""
    project = copy_example_project(tmp_path / "project")
    src = tmp_path / "made"
    src.mkdir()
    files = {}
    for fmt in ("ipynb", "html"):
        files[fmt] = src / f"x.{fmt}"
        files[fmt].write_text(fmt, encoding="utf-8")
    result = dict(plan=PLAN, region="pingyang", as_of=AS_OF, status="ok", name="pingyang")
    old = os.umask(0o027)
    try:
        res = commit(project, Rendered(result, files))
    finally:
        os.umask(old)
    for rel in res["outputs"].values():
        mode = (project.reports / rel).stat().st_mode & 0o777
        assert mode == 0o640, oct(mode)  # 0666 & ~027


@contextlib.contextmanager
def _mount(*args: str, target: Path):
    proc = subprocess.run(["mount", *args, str(target)], capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount here ({proc.stderr.strip()[:80]})")
    try:
        yield target
    finally:
        subprocess.run(["umount", "-l", str(target)], capture_output=True)


def test_a_read_only_reports_folder_is_one_clear_line(example_project, capsys, no_kernel):
    """reports/ on a read-only file system (a bind mount: even root cannot write): both
    commands stop before any work with one line naming the folder and the reason."""
    reports = example_project.reports
    reports.mkdir()
    (reports / "old.html").write_text("previous", encoding="utf-8")
    with _mount("--bind", str(reports), target=reports):
        proc = subprocess.run(
            ["mount", "-o", "remount,bind,ro", str(reports)], capture_output=True, text=True
        )
        if proc.returncode != 0:
            pytest.skip("cannot remount read-only here")
        p = ["--project", str(example_project.root)]
        assert main([*p, "render", "--format", "html"]) == 2
        line = _one_line(capsys.readouterr().err)
        assert "cannot write to reports/" in line and "Read-only file system" in line
        assert main([*p, "render-all", "--format", "html"]) == 2
        line = _one_line(capsys.readouterr().err)
        assert "cannot write to reports/" in line and "Read-only file system" in line
    assert (reports / "old.html").read_text(encoding="utf-8") == "previous"


@pytest.mark.render  # renders a briefing end to end: the full tier, not make check
def test_a_full_disk_keeps_the_previous_report_and_says_so(tmp_path, capsys):
    """reports/ on a small file system that fills up: the re-render fails with one line saying
    the disk is full, and the previous briefing is still there, whole."""
    project = copy_example_project(tmp_path / "project")
    write_sample(project)
    project.reports.mkdir()
    with _mount("-t", "tmpfs", "-o", "size=3m", "tmpfs", target=project.reports):
        p = ["--project", str(project.root), "render", "--format", "html"]
        p += ["--as-of", AS_OF, "--sims", str(SIMS)]
        assert main(p) == 0
        capsys.readouterr()
        html = project.reports / AS_OF / PLAN / "pingyang.html"
        before = html.read_bytes()
        with contextlib.suppress(OSError), open(project.reports / "filler", "wb") as f:
            while True:  # fill the disk
                f.write(b"\0" * 65536)
        rc = main([*p, "--force"])
        err = capsys.readouterr().err
        assert rc != 0
        assert "No space left on device" in err and "the disk is full" in err
        assert "Traceback" not in err
        assert html.read_bytes() == before
        assert not list(project.reports.rglob("*.tmp"))


# ------------------------------------------------------------------ checked before any kernel
def test_a_missing_browser_is_found_before_any_kernel(example_project, capsys, monkeypatch):
    monkeypatch.setenv("ONTRACK_BROWSER", "/nonexistent/chromium")
    monkeypatch.setattr(Engine, "start", lambda self: pytest.fail("a kernel was started"))
    p = ["--project", str(example_project.root)]
    for cmd in (["render"], ["render-all"]):
        assert main([*p, *cmd, "--format", "html,pdf"]) == 2
        line = _one_line(capsys.readouterr().err)
        assert "ONTRACK_BROWSER='/nonexistent/chromium' is not an executable browser" in line
    assert not (example_project.reports / "index.html").exists()


def test_as_of_is_limited_to_months_with_data(built_copy, capsys, no_kernel):
    """The example's progress runs to 2026-10 (`ontrack ingest` says 2025-01 … 2026-10; 平阳's
    reports start with the 1-2月 column, read as 2025-02 or split into 01 and 02): 'latest' is
    2026-10; 2026-11 (after the data) and 2024-12 (before it) are refused, naming the span."""
    assert check_as_of(built_copy, PLAN, "latest") == "2026-10"
    assert check_as_of(built_copy, PLAN, "2026-10") == "2026-10"
    assert check_as_of(built_copy, PLAN, "2025-06") == "2025-06"
    with pytest.raises(InputError, match=r"after the last month with data \(2026-10 of plan"):
        check_as_of(built_copy, PLAN, "2026-11")
    with pytest.raises(InputError, match="before the first month"):
        check_as_of(built_copy, PLAN, "2024-12")
    rc = main(
        ["--project", str(built_copy.root), "render", "--format", "html", "--as-of", "2027-06"]
    )
    assert rc == 2
    line = _one_line(capsys.readouterr().err)
    assert "2027-06 is after the last month with data (2026-10" in line
    assert re.search(r"a month with data \(2025-0[12] … 2026-10\)", line)


def test_unknown_names_in_a_scenario_are_refused_with_suggestions(built_copy, capsys, no_kernel):
    sc = built_copy.scenarios_dir / "typo.yml"
    sc.write_text(
        "name: typo\npace:\n"
        "  - {region: pingyang-kunyan, indicator: space, from: 2026-11, factor: 0.5}\n"
        "  - {region: pingyang, indicator: spaces, from: 2026-11, factor: 0.5}\n",
        encoding="utf-8",
    )
    rc = main(
        ["--project", str(built_copy.root), "render", "--format", "html", "--scenario", str(sc)]
    )
    err = capsys.readouterr().err
    assert rc == 2 and "Traceback" not in err
    assert "pace[0]: unknown region 'pingyang-kunyan' (did you mean pingyang-kunyang" in err
    assert "pace[1]: unknown indicator 'spaces' (did you mean" in err and "space" in err


@pytest.mark.render  # renders a briefing end to end: the full tier, not make check
def test_braces_in_a_scenario_file_name_render(built_copy, capsys):
    """papermill formats its paths with the parameters; a '{}' in the scenario's name broke the
    render. The engine formats nothing."""
    example = next(built_copy.scenarios_dir.glob("example-*.yml"))
    sc = built_copy.scenarios_dir / "slip{}{0}.yml"
    shutil.copyfile(example, sc)
    rc = main(
        ["--project", str(built_copy.root), "render", "--format", "html", "--scenario", str(sc)]
    )
    out = capsys.readouterr()
    assert rc == 0, out.err
    html = built_copy.reports / "2026-10" / PLAN / "pingyang.slip{}{0}.html"
    assert html.is_file() and "情景" in html.read_text(encoding="utf-8")


# ------------------------------------------------------------------ the log
@pytest.mark.render  # renders a briefing end to end: the full tier, not make check
def test_render_all_logs_for_cron(built_copy, capsys):
    """--quiet prints the summary line only; reports/render.log gets a timestamped line per
    briefing and the summary of every run; --verbose adds the engine's steps."""
    p = ["--project", str(built_copy.root), "render-all", "--plans", "lucheng-2025-2027"]
    p += ["--format", "html"]
    assert main([*p, "--quiet"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1
    assert re.fullmatch(
        STAMP + r" render-all: summary: 1 rendered, 0 up to date, 0 failed in [\d.]+ s "
        r"\([\d.]+ s per briefing\); index: .*index\.html"
        r" / 汇总：已生成1份、未变0份、失败0份，用时[\d.]+秒",  # the same in Chinese
        out[0],
    )
    assert main([*p, "--verbose"]) == 0  # nothing changed: up to date
    out = capsys.readouterr().out
    assert "up to date lucheng-2025-2027/lucheng" in out
    assert "summary: 0 rendered, 1 up to date, 0 failed" in out
    log = (built_copy.reports / "render.log").read_text(encoding="utf-8").splitlines()
    assert all(re.match(STAMP + " render-all: ", line) for line in log)
    assert any(line.endswith(" s") and " ok     lucheng-2025-2027/lucheng " in line for line in log)
    assert [line.split(": ", 1)[1].split(" in ")[0] for line in log if "summary:" in line] == [
        "summary: 1 rendered, 0 up to date, 0 failed",
        "summary: 0 rendered, 1 up to date, 0 failed",
    ]


def test_make_clean_keeps_the_render_log(tmp_path):
    shutil.copyfile(ROOT / "Makefile", tmp_path / "Makefile")
    (tmp_path / "reports" / "2026-10").mkdir(parents=True)
    (tmp_path / "reports" / "2026-10" / "x.html").write_text("x")
    (tmp_path / "reports" / "index.html").write_text("x")
    (tmp_path / "reports" / "render.log").write_text("kept\n")
    (tmp_path / "data" / "processed").mkdir(parents=True)
    (tmp_path / "data" / "processed" / "progress.csv").write_text("x")
    proc = subprocess.run(["make", "clean"], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == ["render.log"]
    assert (tmp_path / "reports" / "render.log").read_text() == "kept\n"
    assert list((tmp_path / "data" / "processed").iterdir()) == []


def test_io_problem_names_the_file_and_the_reason(tmp_path):
    project = copy_example_project(tmp_path / "project")
    exc = OSError(28, "No space left on device", str(project.reports / "2026-10" / "x.html"))
    assert rd.io_problem(exc, project) == (
        "无法写入 reports/2026-10/x.html：磁盘已满，请清理空间后重试 / "
        "cannot write reports/2026-10/x.html: No space left on device "
        "(the disk is full: free some space and run again)"
    )
    # the temporary file of an atomic write (named as fileio.atomic_path names it) is named as
    # the output it was for
    from ontrack.fileio import atomic_path

    with atomic_path(project.reports / "2026-10" / "x.html") as t:
        tmp = OSError(28, "No space left on device", str(t))
    assert "cannot write reports/2026-10/x.html:" in rd.io_problem(tmp, project)


def test_a_cluster_run_without_dask_is_one_clear_line(example_project, capsys, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed
    monkeypatch.setattr(Engine, "start", lambda self: pytest.fail("a kernel was started"))
    p = ["--project", str(example_project.root), "render-all"]
    assert main([*p, "--cluster", "tcp://127.0.0.1:8786"]) == 2
    line = _one_line(capsys.readouterr().err)
    assert "--cluster needs Dask distributed: pip install 'ontrack[cluster]'" in line
