"""Briefing timings for `make bench` (printed by ontrack.bench): (what, seconds, note) rows.

* the floor: executing + exporting a notebook that only imports the briefing's libraries
  (kernel start and imports dominate a briefing);
* one briefing (sample data, HTML + PDF);
* render-all of the default plans on data/processed into a scratch folder, with 2 workers,
  then the rerun with unchanged inputs (every region skipped).

Nothing is written under reports/: everything goes to a temporary project root.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from .. import paths

Row = tuple[str, float, str]

FLOOR_CELLS = (
    "import pandas, matplotlib, seaborn\nfrom ontrack.briefing.report import open_briefing",
    "from ontrack.briefing.tables import Html\nHtml('<p>floor</p>')",
)


@contextlib.contextmanager
def scratch_root() -> Iterator[Path]:
    """A temporary project root (notebook, plan provenance) used by this process and workers."""
    saved = {k: getattr(paths, k) for k in ("REPORTS_DIR", "NOTEBOOKS_DIR")}
    env = os.environ.get("ONTRACK_ROOT")
    with tempfile.TemporaryDirectory(prefix="ontrack-bench-") as tmp:
        root = Path(tmp)
        (root / "notebooks").mkdir()
        shutil.copy(paths.NOTEBOOKS_DIR / "04_briefing.ipynb", root / "notebooks")
        (root / "data" / "raw" / "plans").mkdir(parents=True)
        for p in paths.PLANS_DIR.glob("*.provenance.yml"):
            shutil.copy(p, root / "data" / "raw" / "plans")
        os.environ["ONTRACK_ROOT"] = str(root)
        paths.REPORTS_DIR = root / "reports"
        paths.NOTEBOOKS_DIR = root / "notebooks"
        try:
            yield root
        finally:
            for k, v in saved.items():
                setattr(paths, k, v)
            if env is None:
                os.environ.pop("ONTRACK_ROOT", None)
            else:
                os.environ["ONTRACK_ROOT"] = env


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
    from .data import write_cache
    from .render import render_one
    from .sample import sample_data

    cache = write_cache(sample_data(), root / "sample.pkl")
    params = dict(plan="pingyang-2025-2027", region="pingyang", as_of="2026-09", scenario="",
                  lang="zh", n_sims=1000, seed=0, cache=str(cache))  # fmt: skip
    t0 = time.perf_counter()
    res = render_one({"params": params, "formats": ("html", "pdf")})
    dt = time.perf_counter() - t0
    s = res.get("seconds", {})
    note = f"{res['status']}: execute {s.get('execute')} s, html {s.get('html')} s, "
    note += f"pdf {s.get('pdf')} s"
    return [("briefing: one region, HTML + PDF (sample data)", dt, note)]


def _all() -> list[Row]:
    if not (paths.TARGETS_CSV.is_file() and paths.PROGRESS_CSV.is_file()):
        return [("render-all: default plans", float("nan"), "skipped: run `make data` first")]
    from .render_all import render_all

    t0 = time.perf_counter()
    res = render_all(jobs=2, progress=False, force=True)
    dt = time.perf_counter() - t0
    ok = sum(r["status"] == "ok" for r in res)
    t1 = time.perf_counter()
    res2 = render_all(jobs=2, progress=False)
    dt2 = time.perf_counter() - t1
    skipped = sum(r["status"] == "skipped" for r in res2)
    return [
        ("render-all: default plans, 2 workers, HTML + PDF", dt, f"{ok}/{len(res)} regions ok"),
        ("render-all: rerun with unchanged inputs", dt2, f"{skipped}/{len(res2)} regions skipped"),
    ]


def bench_rows() -> list[Row]:
    """(what, seconds, note) for the briefing floor, one briefing and render-all."""
    with scratch_root() as root:
        return _floor(root) + _one(root) + _all()


if __name__ == "__main__":
    for what, secs, note in bench_rows():
        print(f"{what:55s} {secs:7.2f} s  {note}")
