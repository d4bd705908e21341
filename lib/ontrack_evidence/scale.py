"""`make bench-scale`: a province's worth of briefings, measured on a synthetic project.

A province runs the programme in about 90 county-level units and 1,400 townships. This makes a
project of that size in a temporary folder (never committed, removed afterwards unless
``--keep DIR``): ``--plans`` plans (default 90) of one county and ``--towns`` townships each
(default 15), every plan a folder of data as a real one (plan.yml, regions.csv, targets.csv),
the targets built by the targets stage, and a progress table from the forecast's synthetic
generator (:func:`ontrack_evidence.synthetic.make_synthetic`, months 2025-01 … 2026-10), marked
illustrative. Then it measures:

* the forecast of every target of the province (the forecast stage, once per run);
* ``render-all`` of a sample of the plans (``--render`` plans, default 2: 32 briefings, HTML +
  PDF) on this machine's warm engine with ``--jobs`` workers, sampling the memory of every
  process of the run (USS: the memory a process alone holds) once a second;

and prints briefings per minute per worker, memory per worker (a kernel, plus its share of the
browser), and the projected wall time of 1,400 briefings on 1, 8 and 32 workers:
forecast + sending the bundle of tables to every worker + kernel start + 1,400 / (workers ×
briefings per minute per worker). A worker is a CPU core with its kernel; with Dask, a worker
process and its own browser (the bundle goes to each worker once).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

#: the indicators' units (targets sheets must say them)
UNITS = {
    "space": "万平方米",
    "firms": "个",
    "talent": "人",
    "tech_firms": "家",
    "incubators_20": "家",
}
MONTHS = ("2025-01", "2026-10")
#: assumed network speed for sending the bundle to the workers (1 Gbit/s)
BYTES_PER_S = 125e6


def make_province(root: Path, n_plans: int = 90, n_towns: int = 15, seed: int = 7) -> Any:
    """A project at ``root`` with ``n_plans`` county plans of ``n_towns`` townships."""
    from ontrack.fileio import write_csv
    from ontrack.project import open_project
    from ontrack.schema import PROGRESS, validate
    from ontrack.targets import load_targets
    from ontrack_evidence.synthetic import make_synthetic

    progress, targets = make_synthetic(
        n_plans, n_towns, (2025, 2026, 2027), last_month=MONTHS[1], seed=seed, prefix="cty"
    )
    root.mkdir(parents=True)
    (root / "ontrack.toml").write_text(
        'name = "合成省份（规模测试，示例数据）"\nlang = "zh"\n\n[render]\nplans = []\n',
        encoding="utf-8",
    )
    plans = root / "data" / "raw" / "plans"
    for c in range(n_plans):
        county = f"cty{c}"
        folder = plans / f"{county}-plan"
        folder.mkdir(parents=True)
        (folder / "plan.yml").write_text(
            f"id: {county}-plan\nname_zh: 合成{c}县大孵化器集群建设三年行动计划（示例数据）\n"
            f"region_id: {county}\nyears: [2025, 2027]\n",
            encoding="utf-8",
        )
        rows = [f"{county},合成{c}县,,合成{c},"]
        rows += [
            f"{county}-t{j},合成{c}县第{j + 1}镇,{county},第{j + 1}镇," for j in range(n_towns)
        ]
        (folder / "regions.csv").write_text(
            "region_id,name_zh,parent_id,short_zh,aliases\n" + "\n".join(rows) + "\n",
            encoding="utf-8",
        )
        t = targets[targets["plan_id"] == f"{county}-plan"].copy()
        t["unit"] = t["indicator_id"].map(UNITS)
        t["source"] = "合成数据（规模测试）"
        t["quote"] = "合成目标"
        cols = ["region_id", "indicator_id", "year_start", "year_end", "level", "value"]
        t[[*cols, "unit", "source", "quote"]].to_csv(folder / "targets.csv", index=False)
    project = open_project(root)
    load_targets(project)
    progress = progress.assign(illustrative=True)
    write_csv(validate(progress, PROGRESS), project.progress_csv)
    return project


class MemorySampler:
    """Peak USS (MiB) of this process's descendants by kind (kernel, browser, other) and of
    this process, and each kernel's own peak, sampled every ``every`` seconds."""

    def __init__(self, every: float = 1.0):
        self.every = every
        self.peak: dict[str, float] = {}
        self.kernels: dict[int, float] = {}  # pid → peak
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        import psutil

        me = psutil.Process()
        while not self._stop.wait(self.every):
            sums: dict[str, float] = {"parent": _uss(me)}
            for p in me.children(recursive=True):
                try:
                    cmd = " ".join(p.cmdline())
                except psutil.Error:
                    continue
                kind = "kernel" if "ipykernel" in cmd else "browser" if "chrom" in cmd else "other"
                mib = _uss(p)
                sums[kind] = sums.get(kind, 0.0) + mib
                if kind == "kernel":
                    self.kernels[p.pid] = max(self.kernels.get(p.pid, 0.0), mib)
            for k, v in sums.items():
                self.peak[k] = max(self.peak.get(k, 0.0), v)


def _uss(p) -> float:
    import psutil

    try:
        return p.memory_full_info().uss / 2**20
    except psutil.Error:
        return 0.0


def measure(
    n_plans: int = 90,
    n_towns: int = 15,
    render_plans: int = 2,
    jobs: int = 2,
    keep: Path | None = None,
    formats: tuple[str, ...] = ("html", "pdf"),
    say=None,
) -> list[tuple[str, str]]:
    """Build the province, forecast it, render a sample; (what, value) lines (each also given
    to ``say`` as soon as it is measured)."""
    from ontrack.briefing.params import Request, plan_regions
    from ontrack.forecast import store as ft
    from ontrack.render.batch import render_all
    from ontrack.render.cluster import bundle_files, make_bundle
    from ontrack.render.runlog import RunLog
    from ontrack.render.single import make_job, prepare

    out = _Lines(say)
    tmp = Path(tempfile.mkdtemp(prefix="ontrack-scale-"))
    root = (keep or tmp / "province").resolve()
    try:
        t0 = time.perf_counter()
        reused = bool(keep and (root / "ontrack.toml").is_file())
        if reused:  # made by an earlier run (its forecast too: not measured again)
            from ontrack.project import open_project

            project = open_project(root)
        else:
            project = make_province(root, n_plans, n_towns)
        regions = sum(len(plan_regions(p, project)) for p in project.render_plans)
        out.append(
            (
                "synthetic province",
                f"{n_plans} plans × (1 county + {n_towns} townships) = {regions} briefings; "
                f"progress {MONTHS[0]} … {MONTHS[1]}; made in {time.perf_counter() - t0:.1f} s "
                f"({root if keep else 'a temporary folder'}{', reused' if reused else ''})",
            )
        )
        t0 = time.perf_counter()
        folder, _ = ft.ensure(project, "latest")
        forecast_s = time.perf_counter() - t0
        with open(folder / ft.ATTAINMENT_CSV, encoding="utf-8-sig") as f:
            n_targets = sum(1 for _ in f) - 1
        note = " (made by the run that made the project: not measured again)" if reused else ""
        out.append(
            (
                "forecast, whole province (once per run)",
                f"{forecast_s:.1f} s, {n_targets:,} targets{note}",
            )
        )
        sample = project.render_plans[:render_plans]
        jobs_sample = []
        for plan in sample:
            request = Request.check(dict(plan=plan, project=str(project.root)), project)
            request, _ = prepare(request, project)
            jobs_sample += [
                make_job(project, request.but(region=r), formats)
                for r in plan_regions(plan, project)
            ]
        bundle = make_bundle(bundle_files(project, jobs_sample))
        size = sum(len(b) for b in bundle["files"].values())
        out.append(("bundle of tables a cluster worker receives", f"{size / 2**20:.1f} MiB"))
        log = RunLog("render-all", "quiet", None)
        t0 = time.perf_counter()
        with MemorySampler() as mem:
            res = render_all(project, plans=sample, jobs=jobs, formats=formats, force=True,
                             progress=False, log=log)  # fmt: skip
        wall = time.perf_counter() - t0
        ok = [r for r in res if r["status"] == "ok"]
        failed = len(res) - len(ok)
        n = len(ok)
        per_worker = n / (wall / 60) / jobs
        steps = {
            k: statistics.mean(x["seconds"][k] for x in ok)
            for k in ("reset", "execute", "html", "pdf")
            if ok and all(k in r["seconds"] for r in ok)
        }
        out.append(
            (
                f"render-all, {len(sample)} plans, {jobs} workers, {'+'.join(formats).upper()}",
                f"{n} briefings in {wall:.1f} s ({failed} failed): {per_worker:.1f} briefings "
                f"per minute per worker; per briefing (mean, s): "
                + ", ".join(f"{k} {v:.2f}" for k, v in steps.items()),
            )
        )
        kernel = max(mem.kernels.values()) if mem.kernels else float("nan")
        browser = mem.peak.get("browser", 0.0)
        parent = mem.peak.get("parent", 0.0)
        out.append(
            (
                "memory (peak USS)",
                f"a kernel {kernel:.0f} MiB; the browser {browser:.0f} MiB (shared by the "
                f"workers); the run's own process {parent:.0f} MiB; per worker ≈ "
                f"{kernel + browser / jobs:.0f} MiB (+ ≈ {parent:.0f} MiB for a Dask worker "
                f"process)",
            )
        )
        start = 3.0  # kernel start + imports, measured by `make bench`
        for workers in (1, 8, 32):
            send = size * workers / BYTES_PER_S
            total = forecast_s + send + start + 1400 / (per_worker * workers) * 60
            out.append(
                (
                    f"projected: 1,400 briefings on {workers} worker(s)",
                    f"{_hms(total)} (forecast {forecast_s:.0f} s + bundle {send:.0f} s + start "
                    f"{start:.0f} s + rendering {_hms(1400 / (per_worker * workers) * 60)})",
                )
            )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


class _Lines(list):
    def __init__(self, say):
        super().__init__()
        self.say = say

    def append(self, item) -> None:
        super().append(item)
        if self.say is not None:
            self.say(*item)


def _hms(s: float) -> str:
    m, s = divmod(round(s), 60)
    h, m = divmod(m, 60)
    return f"{h} h {m:02d} min" if h else f"{m} min {s:02d} s"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m ontrack_evidence.scale", description=__doc__.splitlines()[0]
    )
    p.add_argument("--plans", type=int, default=90, help="county plans (default 90)")
    p.add_argument("--towns", type=int, default=15, help="townships per plan (default 15)")
    p.add_argument("--render", type=int, default=2, help="plans whose briefings are rendered")
    p.add_argument("--jobs", type=int, default=2, help="workers (default 2)")
    p.add_argument("--format", default="html,pdf", help="html, pdf or html,pdf")
    p.add_argument(
        "--keep",
        type=Path,
        default=None,
        help="make the project here and keep it (reused if it is there: the forecast is then "
        "already made)",
    )
    args = p.parse_args(argv)
    from ontrack.render.single import parse_formats

    def say(what: str, value: str) -> None:
        print(f"{what:48s} {value}", flush=True)

    measure(args.plans, args.towns, args.render, args.jobs, args.keep, parse_formats(args.format),
            say)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
