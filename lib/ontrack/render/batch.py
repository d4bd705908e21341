"""`ontrack render-all`: every region's briefing of the project's plans (what cron runs).

The plans are those ontrack.toml names under [render] plans, else every plan (``--plans``
overrides). Each plan's forecast tables are made sure to exist and be current once (see
ontrack.render.single.prepare) and read by every region's notebook; regions are rendered in
parallel worker processes; one failing region does not stop the others; the exit status is 0
only if all succeeded. Regions whose inputs, parameters and code match the manifest and whose
outputs exist are skipped, so a rerun with unchanged inputs is quick.

Regions are rendered by the warm engine (:mod:`.engine`: ``--jobs`` kernels started once, one
browser for every PDF), or with ``--cluster ADDRESS`` on a Dask cluster (:mod:`.cluster`); in
both cases this process writes every file, the manifest and the index. It holds the project's
render lock (reports/.render.lock, shared with ``ontrack render``) for the whole run.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from ..briefing.params import PARAMS, Request, plan_ids, plan_regions
from ..briefing.status import plan_summaries
from ..errors import InputError, OntrackError
from ..project import Project, find_project
from .engine import Engine, Job, failed_result
from .manifest import is_fresh, job_key, read_manifest, record, write_index, write_manifest
from .runlog import LOG_NAME, RunLog, add_log_arguments, level_of
from .single import (
    check_browser,
    commit,
    io_problem,
    make_job,
    parse_formats,
    prepare,
    run_lock,
    stop_on_sigterm,
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--as-of", default="latest", help="month YYYY-MM or 'latest' (default)")
    p.add_argument(
        "--plans",
        nargs="+",
        default=None,
        help="plan ids (default: ontrack.toml [render] plans, else every plan)",
    )
    p.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1), help="parallel workers")
    p.add_argument("--format", default="html,pdf", help="html, pdf or html,pdf (default)")
    p.add_argument("--lang", default=None, choices=["zh", "en"], help="briefing language")
    p.add_argument("--sims", type=int, default=PARAMS["n_sims"].default, help="simulated paths")
    p.add_argument("--seed", type=int, default=0, help="random seed")
    p.add_argument("--force", action="store_true", help="render even regions that are up to date")
    p.add_argument(
        "--cluster",
        default="",
        metavar="ADDRESS",
        help="render on a Dask cluster (scheduler address, e.g. tcp://10.0.0.5:8786)",
    )
    p.add_argument(
        "--cell-timeout",
        type=float,
        default=600,
        help="seconds a notebook cell may run before its briefing fails (default 600)",
    )
    add_log_arguments(p)


def render_all(
    project: Project,
    as_of: str = "latest",
    plans: list[str] | None = None,
    jobs: int = 2,
    formats: tuple[str, ...] = ("html", "pdf"),
    lang: str = "zh",
    n_sims: int = 10_000,
    seed: int = 0,
    force: bool = False,
    progress: bool = True,
    verbose: bool = False,
    log: RunLog | None = None,
    cluster: str = "",
    cell_timeout: float = 600,
) -> list[dict[str, Any]]:
    """Render every region of ``plans`` (default: the project's render plans); returns one
    result dict per region (status ok / skipped / failed). Writes each as-of's manifest.json and
    reports/index.html. Unknown plan ids are an InputError naming them; a PDF without a
    browser, a busy lock or an unwritable reports/ stop the run before any kernel starts."""
    plans = list(plans or project.render_plans)
    known = plan_ids(project)
    unknown = [p for p in plans if p not in known]
    if unknown:
        raise InputError(
            "--plans", f"unknown plan(s) {', '.join(unknown)}", "one of " + ", ".join(known)
        )
    if cluster:  # the workers print the PDFs; this machine needs Dask
        from .cluster import require_distributed

        require_distributed()
    else:
        check_browser(formats)
    if log is None:
        log = RunLog("render-all", "verbose" if verbose else "quiet")
    jobs = max(1, jobs) if cluster else checked_jobs(jobs, log)  # kernels on this machine
    root = str(project.root)
    requests = [  # the edge: every plan's parameters checked before any work starts
        Request.check(
            dict(plan=plan, as_of=as_of, lang=lang, n_sims=n_sims, seed=seed, project=root),
            project,
        )
        for plan in plans
    ]
    options = Options(formats, force, progress, cluster, cell_timeout)
    with run_lock(project):
        engine = Engine(
            slots=max(1, jobs), pdf="pdf" in formats, on_event=log.detail, sweep=project.reports
        )
        try:
            return _render_plans(project, requests, options, log, engine)
        finally:
            engine.close()


@dataclass(frozen=True)
class Options:
    """How a render-all run goes (the same for every plan of it)."""

    formats: tuple[str, ...]
    force: bool = False
    progress: bool = True
    cluster: str = ""  # a Dask scheduler's address, or "" for this machine's engine
    cell_timeout: float = 600


def _render_plans(
    project: Project, requests: list[Request], options: Options, log: RunLog, engine: Engine
) -> list[dict[str, Any]]:
    from tqdm import tqdm

    formats, force, cluster = options.formats, options.force, options.cluster
    results: list[dict[str, Any]] = []
    todo: list[tuple[Job, str, dict]] = []  # (job, key, plan_info)
    manifests: dict[str, dict] = {}
    plan_failures: list[tuple[str, str]] = []  # (plan, error): failed before any region
    if force and not cluster:
        engine.start()  # kernels start while the forecasts are made sure of
    for request in requests:
        plan = request.plan
        regions = plan_regions(plan, project)
        try:
            request, info = prepare(request, project)
            if info.get("forecast"):  # what the index shows per region
                info["summary"] = plan_summaries(
                    project, plan, project.root / info["forecast"], regions, request.as_of
                )
        except Exception as exc:  # a broken plan (inputs or forecast) must not stop the others
            error = (
                f"inputs/forecast: {exc}"
                if isinstance(exc, OntrackError)
                else (f"inputs/forecast: {type(exc).__name__}: {exc}")
            )
            plan_failures.append((plan, error))
            log.error(f"FAILED plan {plan}: {error} / 计划无法生成简报")
            results += [
                dict(plan=plan, region=r, as_of=request.as_of, status="failed", error=error)
                for r in regions
            ]
            continue
        m = manifests.setdefault(request.as_of, read_manifest(project, request.as_of))
        entry = m["plans"].get(plan)
        if entry:  # a failure of the whole plan recorded by an earlier run is over
            for k in ("status", "error", "failed_at"):
                entry.pop(k, None)
        for region in regions:
            r = request.but(region=region)
            key = job_key(r.params(), formats, info["inputs"], info["code"])
            if not force and is_fresh(project, m, plan, r.stem, key):
                results.append(dict(plan=plan, region=region, as_of=r.as_of, status="skipped"))
                log.detail(f"up to date {plan}/{region}")
                continue
            todo.append((make_job(project, r, formats, options.cell_timeout), key, info))
    for plan, error in plan_failures:
        month = _failure_month(project, requests[0].as_of, manifests)
        m = manifests.setdefault(month, read_manifest(project, month))
        entry = m["plans"].setdefault(plan, {"regions": {}})
        entry.update(
            status="failed",
            error=error,
            failed_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        )
        write_manifest(project, m)
    bar = tqdm(
        total=len(todo),
        file=sys.stderr,
        unit="briefing",
        disable=not options.progress or None,
        leave=False,
    )
    keys = {(j.request.plan, j.stem): (k, info) for j, k, info in todo}

    def done(res: dict) -> None:
        key, info = keys[(res["plan"], res.get("name") or res["region"])]
        m = manifests[res["as_of"]]
        record(m, info, res, key)
        write_manifest(project, m)
        results.append(res)
        bar.update(1)
        secs = res.get("seconds", {})
        what = f"{res['plan']}/{res.get('name') or res['region']}"
        if res["status"] == "ok":
            log.info(f"ok     {what} {secs.get('total', '')} s")
            log.detail("       " + ", ".join(f"{k} {v}" for k, v in secs.items()))
        else:
            log.error(f"FAILED {what}: {res.get('error')} / 生成失败，原报告保留")

    try:
        if todo and cluster:
            from .cluster import render_on_cluster

            render_on_cluster(cluster, project, [j for j, _, _ in todo], done, log)
        elif todo:
            _render_local(project, [j for j, _, _ in todo], engine, done)
    finally:
        bar.close()
        for m in manifests.values():
            write_manifest(project, m)
        write_index(project)
    return results


def _render_local(
    project: Project, todo: list[Job], engine: Engine, done: Callable[[dict], None]
) -> None:
    """The jobs on this machine's warm engine, in the order given (plan by plan)."""
    from concurrent.futures import as_completed

    if engine.tmp is None:  # not started early: no more kernels than briefings
        engine.slots = max(1, min(engine.slots, len(todo)))
    engine.start()
    futures = {engine.submit(job): job for job in todo}
    for fut in as_completed(futures):
        job = futures[fut]
        try:
            rendered = fut.result()
        except Exception as exc:  # the engine failed this job: the others go on
            res = failed_result(job, f"{type(exc).__name__}: {exc}")
        else:
            try:
                res = commit(project, rendered)
            finally:
                engine.discard(rendered)
        done(res)


def _failure_month(project: Project, as_of: str, manifests: dict[str, dict]) -> str:
    """The as-of month under which a plan that failed before any region is recorded: the month
    asked for; for 'latest', the month the other plans of the run resolved to, else the last
    month of the progress table, else 'latest' itself (so that the failure is never lost)."""
    if as_of != "latest":
        return as_of
    if manifests:
        return max(manifests)
    try:
        from ..forecast.store import read_progress_table

        months = read_progress_table(project.progress_csv)["month"].dropna().astype(str)
        if not months.empty:
            return str(months.max())
    except Exception:  # no progress at all: the failure is recorded under 'latest'
        pass
    return "latest"


#: memory a warm kernel and its share of the browser take while rendering (measured by `make
#: bench-scale`: about 530 MiB per worker)
KERNEL_BYTES = 600 * 2**20


def available_memory() -> int | None:
    """Bytes of memory available for new processes (Linux: MemAvailable), or None."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def job_limit() -> tuple[int, str]:
    """How many kernels this machine can run at once (cores, and available memory at
    :data:`KERNEL_BYTES` each), and why."""
    cores = os.cpu_count() or 1
    mem = available_memory()
    by_mem = max(1, int(mem // KERNEL_BYTES)) if mem is not None else cores
    why = f"{cores} cores" + (f", {mem / 2**30:.1f} GB memory available" if mem else "")
    return max(1, min(cores, by_mem)), why


def checked_jobs(jobs: int, log: RunLog | None = None) -> int:
    """``--jobs`` within what the machine can run: below 1 is an error, above the limit is
    capped with a line saying so (a cron job keeps running on a smaller machine)."""
    if jobs < 1:
        raise InputError("--jobs", f"{jobs} is below 1", "1 or more parallel kernels")
    limit, why = job_limit()
    if jobs > limit:
        if log is not None:
            log.info(f"--jobs {jobs} capped to {limit} ({why}; about 0.6 GB per kernel)")
        return limit
    return jobs


def run(args: argparse.Namespace) -> int:
    formats = parse_formats(args.format)
    project = find_project(getattr(args, "project", None))
    level = level_of(args)
    log = RunLog("render-all", level, project.reports / LOG_NAME)
    t0 = time.perf_counter()
    try:
        with stop_on_sigterm():
            results = render_all(
                project,
                as_of=args.as_of,
                plans=args.plans,
                jobs=args.jobs,
                formats=formats,
                lang=args.lang or project.lang,
                n_sims=args.sims,
                seed=args.seed,
                force=args.force,
                progress=level != "quiet",
                log=log,
                cluster=args.cluster,
                cell_timeout=args.cell_timeout,
            )
    except OSError as exc:
        log.error(f"error: {io_problem(exc, project)}")
        return 2
    except OntrackError as exc:  # refused before any work: one clear line, in the log too
        log.error(f"error: {exc}")
        return 2
    n = {s: sum(r["status"] == s for r in results) for s in ("ok", "skipped", "failed")}
    secs = time.perf_counter() - t0
    each = f" ({secs / n['ok']:.2f} s per briefing)" if n["ok"] else ""
    log.summary(
        f"summary: {n['ok']} rendered, {n['skipped']} up to date, {n['failed']} failed "
        f"in {secs:.1f} s{each}; index: {project.reports / 'index.html'}"
        f" / 汇总：已生成{n['ok']}份、未变{n['skipped']}份、失败{n['failed']}份，用时{secs:.1f}秒"
    )
    return 0 if n["failed"] == 0 else 1
