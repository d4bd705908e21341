"""Briefing timings for `make bench` (printed by ontrack.bench): (what, seconds, note) rows.

* the floor: executing + exporting a notebook that only imports the briefing's libraries
  (kernel start and imports dominate a briefing);
* one briefing (sample data, HTML + PDF);
* render-all of the project's render plans on its processed tables, in a scratch copy of the
  project, with 2 workers, then the rerun with unchanged inputs (every region skipped).

Nothing is written into the project: everything goes to temporary project folders.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from ..project import CONFIG, Project, find_project, open_project

Row = tuple[str, float, str]

FLOOR_CELLS = (
    "import pandas, matplotlib, seaborn\nfrom ontrack.briefing.report import open_briefing",
    "from ontrack.briefing.tables import Html\nHtml('<p>floor</p>')",
)


@contextlib.contextmanager
def scratch() -> Iterator[Path]:
    """A temporary folder for scratch projects (removed afterwards)."""
    with tempfile.TemporaryDirectory(prefix="ontrack-bench-") as tmp:
        yield Path(tmp)


def scratch_copy(project: Project, dest: Path) -> Project:
    """A copy of what a briefing needs from ``project``: ontrack.toml, the registry's files
    (plans, indicators.csv), its own notebooks and its processed tables (no reports)."""
    dest.mkdir(parents=True)
    shutil.copyfile(project.config, dest / CONFIG)
    copy = Project(dest)
    shutil.copytree(project.plans_dir, copy.plans_dir)
    if project.indicators_csv.is_file():
        shutil.copyfile(project.indicators_csv, copy.indicators_csv)
    if project.notebooks_dir.is_dir():
        shutil.copytree(project.notebooks_dir, copy.notebooks_dir)
    copy.processed.mkdir(parents=True)
    for src in (
        project.targets_csv,
        project.progress_csv,
        project.quality_csv,
        project.cleaning_log_csv,
    ):
        if src.is_file():
            shutil.copyfile(src, copy.processed / src.name)
    return open_project(dest)


def _floor(root: Path) -> list[Row]:
    import nbformat
    import papermill as pm

    from .export import export_html, print_pdf

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
            f"html {t2 - t1:.2f} s, pdf {t3 - t2:.2f} s",
        ),
    ]


def _one(root: Path) -> list[Row]:
    from ..init import init_project
    from .render import render_one
    from .sample import AS_OF, PLAN, SIMS, write_sample

    project = open_project(init_project(root / "sample", example=True))
    write_sample(project)
    params = dict(plan=PLAN, region="pingyang", as_of=AS_OF, scenario="", lang="zh",
                  n_sims=SIMS, seed=0, project=str(project.root))  # fmt: skip
    t0 = time.perf_counter()
    res = render_one({"params": params, "formats": ("html", "pdf")})
    dt = time.perf_counter() - t0
    s = res.get("seconds", {})
    note = f"{res['status']}: execute {s.get('execute')} s, html {s.get('html')} s, "
    note += f"pdf {s.get('pdf')} s"
    return [("briefing: one region, HTML + PDF (sample data)", dt, note)]


def _all(project: Project, root: Path) -> list[Row]:
    if not (project.targets_csv.is_file() and project.progress_csv.is_file()):
        return [("render-all: default plans", float("nan"), "skipped: run `make data` first")]
    from .render_all import render_all

    copy = scratch_copy(project, root / "copy")
    t0 = time.perf_counter()
    res = render_all(copy, jobs=2, progress=False, force=True)
    dt = time.perf_counter() - t0
    ok = sum(r["status"] == "ok" for r in res)
    t1 = time.perf_counter()
    res2 = render_all(copy, jobs=2, progress=False)
    dt2 = time.perf_counter() - t1
    skipped = sum(r["status"] == "skipped" for r in res2)
    return [
        ("render-all: render plans, 2 workers, HTML + PDF", dt, f"{ok}/{len(res)} regions ok"),
        ("render-all: rerun with unchanged inputs", dt2, f"{skipped}/{len(res2)} regions skipped"),
    ]


def bench_rows(project: Project | None = None) -> list[Row]:
    """(what, seconds, note) for the briefing floor, one briefing and render-all of
    ``project`` (default: found from the current folder), all in scratch folders."""
    project = project or find_project()
    with scratch() as root:
        return _floor(root) + _one(root) + _all(project, root)


if __name__ == "__main__":
    for what, secs, note in bench_rows():
        print(f"{what:55s} {secs:7.2f} s  {note}")
