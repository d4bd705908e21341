"""Briefing timings for `make bench` (printed by ontrack_evidence.bench): (what, seconds, note).

* the floor: executing a notebook that only imports the briefing's libraries (kernel start and
  imports), and exporting it to HTML and printing it with a fresh Chromium;
* one ``ontrack render`` (the command, as a user runs it: HTML + PDF), and where its time goes;
* the naive route and ``render-all`` side by side on the same regions (the project's render
  plans), HTML + PDF each:

  - naive: what a user would script, one region after the other: the ``papermill`` command,
    then ``jupyter nbconvert --to html --no-input``, then ``chromium --headless
    --print-to-pdf``;
  - ``ontrack render-all --force`` (the command: warm kernels, one browser);

  with the ratio and the time per briefing of each, and where render-all's time goes
  (kernel start and imports once per worker, then per briefing: reset, execute, HTML, PDF);
* ``render-all`` again with nothing changed (every region skipped).

Both routes read the same forecast tables, made once beforehand (not timed). Everything runs
in a scratch copy of the project (its processed tables, no reports): nothing is written into
the project.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from ontrack.build import TABLES
from ontrack.project import CONFIG, Project, find_project, open_project
from ontrack.stamps import stamp_path

Row = tuple[str, float, str]

FLOOR_CELLS = (
    "import pandas, matplotlib\nfrom ontrack.briefing.report import open_briefing",
    "from ontrack.briefing.tables import Html\nHtml('<p>floor</p>')",
)


@contextlib.contextmanager
def scratch() -> Iterator[Path]:
    """A temporary folder for scratch projects (removed afterwards)."""
    with tempfile.TemporaryDirectory(prefix="ontrack-bench-") as tmp:
        yield Path(tmp)


def scratch_copy(project: Project, dest: Path) -> Project:
    """A copy of what a briefing needs from ``project``: ontrack.toml, the registry's files
    (plans, indicators.csv), the progress record (what the processed tables are checked
    against before a render), its own notebooks and its processed tables with their stamps
    (no reports)."""
    dest.mkdir(parents=True)
    shutil.copyfile(project.config, dest / CONFIG)
    copy = Project(dest)
    shutil.copytree(project.plans_dir, copy.plans_dir)
    if project.progress_dir.is_dir():
        shutil.copytree(project.progress_dir, copy.progress_dir)
    if project.indicators_csv.is_file():
        shutil.copyfile(project.indicators_csv, copy.indicators_csv)
    if project.notebooks_dir.is_dir():
        shutil.copytree(project.notebooks_dir, copy.notebooks_dir)
    copy.processed.mkdir(parents=True)
    stamps = [stamp_path(project, t) for t in TABLES]
    for src in (
        project.targets_csv,
        project.progress_csv,
        project.quality_csv,
        project.cleaning_log_csv,
        *stamps,
    ):
        if src.is_file():
            shutil.copyfile(src, copy.processed / src.name)
    return open_project(dest)


def _bin(name: str) -> str:
    """A command of this Python's environment (papermill, jupyter, ontrack)."""
    here = Path(sys.executable).with_name(name)
    return str(here) if here.exists() else name


def _floor(root: Path) -> list[Row]:
    import nbformat
    import papermill as pm

    from ontrack.render.export import export_html, print_pdf

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in FLOOR_CELLS]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    src, out = root / "floor.ipynb", root / "floor.out.ipynb"
    nbformat.write(nb, src)
    t0 = time.perf_counter()
    pm.execute_notebook(str(src), str(out), kernel_name="python3", progress_bar=False,
                        request_save_on_cell_execute=False)  # fmt: skip
    t1 = time.perf_counter()
    html = export_html(nbformat.read(out, as_version=4))
    (root / "floor.html").write_text(html, encoding="utf-8")
    t2 = time.perf_counter()
    print_pdf(root / "floor.html", root / "floor.pdf")
    t3 = time.perf_counter()
    return [
        ("briefing floor: execute a notebook that only imports", t1 - t0, "kernel start + imports"),
        (
            "briefing floor: export HTML + print PDF",
            t3 - t1,
            f"html {t2 - t1:.2f} s, pdf {t3 - t2:.2f} s (a fresh Chromium)",
        ),
    ]


def _run(cmd: list[str], cwd: Path) -> tuple[float, str]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    dt = time.perf_counter() - t0
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise RuntimeError(f"{' '.join(cmd[:3])} … failed: {' | '.join(tail)}")
    return dt, proc.stdout


def _one(copy: Project) -> list[Row]:
    """One `ontrack render` of the default briefing, as a user runs it."""
    cmd = [_bin("ontrack"), "--project", str(copy.root), "render", "--force", "--verbose"]
    dt, out = _run(cmd, copy.root)
    ready = re.search(r"kernel \d+ ready \(([\d.]+) s start, ([\d.]+) s imports\)", out)
    secs = re.search(r"seconds: (.*)", out)
    note = f"kernel {ready.group(1)} s + imports {ready.group(2)} s, " if ready else ""
    note += f"then {secs.group(1)}" if secs else ""
    return [("ontrack render: one briefing, HTML + PDF (the command)", dt, note)]


def _naive(copy: Project, regions: list[tuple[str, str, str]], out: Path) -> float:
    """papermill → nbconvert → chromium for each region, one after another."""
    from ontrack.render.export import BROWSER_FLAGS, find_browser
    from ontrack.render.single import notebook_path

    browser = find_browser()
    out.mkdir()
    nb = str(notebook_path(copy))
    t0 = time.perf_counter()
    for plan, region, as_of in regions:
        stem = out / f"{plan}-{region}"
        _run(
            [_bin("papermill"), nb, f"{stem}.ipynb", "-k", "python3", "--cwd", str(copy.root),
             "-p", "plan", plan, "-p", "region", region, "-p", "as_of", as_of,
             "-p", "project", str(copy.root), "--no-progress-bar"],
            copy.root,
        )  # fmt: skip
        _run(
            [_bin("jupyter"), "nbconvert", "--to", "html", "--no-input", f"{stem}.ipynb"],
            copy.root,
        )
        with tempfile.TemporaryDirectory(prefix="ontrack-chromium-") as profile:
            _run(
                [browser, *BROWSER_FLAGS, f"--user-data-dir={profile}",
                 f"--print-to-pdf={stem}.pdf", "--no-pdf-header-footer",
                 Path(f"{stem}.html").resolve().as_uri()],
                copy.root,
            )  # fmt: skip
    return time.perf_counter() - t0


def bench_regions(copy: Project) -> list[tuple[str, str, str]]:
    """(plan, region, as-of month) of every briefing of the project's render plans, with the
    forecast tables made (once, for both routes: not timed)."""
    from ontrack.briefing.params import Request, plan_regions
    from ontrack.render.single import prepare

    regions = []
    for plan in copy.render_plans:
        request, _ = prepare(Request.check(dict(plan=plan, project=str(copy.root)), copy), copy)
        regions += [(plan, r, request.as_of) for r in plan_regions(plan, copy)]
    return regions


def _all(project: Project, root: Path) -> list[Row]:
    if not (project.targets_csv.is_file() and project.progress_csv.is_file()):
        return [("render-all: default plans", float("nan"), "skipped: run `make data` first")]
    from ontrack.render.manifest import read_manifest

    copy = scratch_copy(project, root / "copy")
    regions = bench_regions(copy)
    n = len(regions)
    rows = _one(copy)
    naive = _naive(copy, regions, root / "naive")
    cmd = [_bin("ontrack"), "--project", str(copy.root), "render-all", "--jobs", "2"]
    ours, out = _run([*cmd, "--force", "--verbose"], copy.root)
    rows += [
        (
            f"naive route: {n} briefings, papermill → nbconvert → chromium",
            naive,
            f"{naive / n:.2f} s per briefing, one after another",
        ),
        (
            f"render-all --force: {n} briefings, 2 workers, HTML + PDF",
            ours,
            f"{ours / n:.2f} s per briefing; {naive / ours:.1f}× the naive route",
        ),
    ]
    starts = re.findall(r"kernel \d+ ready \(([\d.]+) s start, ([\d.]+) s imports\)", out)
    steps: dict[str, list[float]] = {}
    for as_of in sorted({r[2] for r in regions}):
        for plan in read_manifest(copy, as_of)["plans"].values():
            for e in plan.get("regions", {}).values():
                for k, v in (e.get("seconds") or {}).items():
                    steps.setdefault(k, []).append(float(v))
    where = ", ".join(
        f"{k} {statistics.mean(steps[k]):.2f}"
        for k in ("reset", "execute", "html", "pdf")
        if k in steps
    )
    if starts:
        once = ", ".join(f"{float(a):.1f}+{float(b):.1f}" for a, b in starts)
        rows.append(
            (
                "  where render-all's time goes",
                float("nan"),
                f"once per worker: kernel start+imports {once} s; per briefing (mean, s): {where}",
            )
        )
    t1 = time.perf_counter()
    _run(cmd, copy.root)  # without --force: every region up to date
    rerun = time.perf_counter() - t1
    skipped = sum(
        e.get("status") == "ok"
        for as_of in sorted({r[2] for r in regions})
        for plan in read_manifest(copy, as_of)["plans"].values()
        for e in plan.get("regions", {}).values()
    )
    rows.append(("render-all: rerun with unchanged inputs", rerun, f"{skipped}/{n} up to date"))
    return rows


def bench_rows(project: Project | None = None) -> list[Row]:
    """(what, seconds, note) for the briefing floor, one `ontrack render`, the naive route and
    render-all of ``project`` (default: found from the current folder), in scratch folders."""
    project = project or find_project()
    with scratch() as root:
        return _floor(root) + _all(project, root)


def main() -> int:
    for what, secs, note in bench_rows():
        print(f"{what:60s} {secs:7.2f} s  {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
