"""`ontrack render-all`: every region's briefing of the project's plans (what cron runs).

The plans are those ontrack.toml names under [render] plans, else every plan (``--plans``
overrides). Each plan's forecast tables are made sure to exist and be current once (see
ontrack.briefing.render.prepare) and read by every region's notebook; regions are rendered in
parallel worker processes; one failing region does not stop the others; the exit status is 0
only if all succeeded. Regions whose inputs, parameters and code match the manifest and whose
outputs exist are skipped, so a rerun with unchanged inputs is quick.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from datetime import datetime, timezone
from typing import Any

from ..errors import InputError, OntrackError
from ..project import Project, find_project
from .manifest import is_fresh, job_key, read_manifest, record, write_index, write_manifest
from .params import PARAMS, plan_ids, plan_regions, validate_params
from .render import output_stem, parse_formats, prepare, render_one


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
) -> list[dict[str, Any]]:
    """Render every region of ``plans`` (default: the project's render plans); returns one
    result dict per region (status ok / skipped / failed). Writes each as-of's manifest.json and
    reports/index.html. Unknown plan ids are an InputError naming them."""
    plans = list(plans or project.render_plans)
    known = plan_ids(project)
    unknown = [p for p in plans if p not in known]
    if unknown:
        raise InputError(
            "--plans", f"unknown plan(s) {', '.join(unknown)}", "one of " + ", ".join(known)
        )
    with _run_lock(project):
        return _render_all(
            project, plans, as_of, jobs, formats, lang, n_sims, seed, force, progress, verbose
        )


@contextlib.contextmanager
def _run_lock(project: Project):
    """One render-all at a time (two overlapping cron runs would race on the manifest)."""
    project.reports.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # Windows: no lock
        yield
        return
    with open(project.reports / ".render-all.lock", "w") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise OntrackError(
                "another `ontrack render-all` is running (reports/.render-all.lock)"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _render_all(project, plans, as_of, jobs, formats, lang, n_sims, seed, force, progress, verbose):
    from tqdm import tqdm

    root = str(project.root)
    for plan in plans:  # all parameters checked before any work starts
        validate_params(
            dict(plan=plan, as_of=as_of, lang=lang, n_sims=n_sims, seed=seed, project=root),
            project,
        )
    results: list[dict[str, Any]] = []
    todo: list[tuple[dict, str, dict]] = []  # (job, key, plan_info)
    manifests: dict[str, dict] = {}
    plan_failures: list[tuple[str, str]] = []  # (plan, error): failed before any region
    for plan in plans:
        regions = plan_regions(plan, project)
        base = dict(
            plan=plan,
            region=regions[0],
            as_of=as_of,
            lang=lang,
            n_sims=n_sims,
            seed=seed,
            project=root,
        )
        try:
            params0, info = prepare(base, project)
        except Exception as exc:  # a broken plan (inputs or forecast) must not stop the others
            error = f"inputs/forecast: {type(exc).__name__}: {exc}"
            plan_failures.append((plan, error))
            for region in regions:
                results.append(
                    dict(plan=plan, region=region, as_of=as_of, status="failed", error=error)
                )
            continue
        m = manifests.setdefault(params0["as_of"], read_manifest(project, params0["as_of"]))
        entry = m["plans"].get(plan)
        if entry:  # a failure of the whole plan recorded by an earlier run is over
            for k in ("status", "error", "failed_at"):
                entry.pop(k, None)
        for region in regions:
            params = dict(params0, region=region)
            key = job_key(params, formats, info["inputs"], info["code"])
            if not force and is_fresh(project, m, plan, output_stem(params), key):
                results.append(
                    dict(plan=plan, region=region, as_of=params["as_of"], status="skipped")
                )
                continue
            todo.append(({"params": params, "formats": formats}, key, info))
    for plan, error in plan_failures:
        month = _failure_month(project, as_of, manifests)
        m = manifests.setdefault(month, read_manifest(project, month))
        entry = m["plans"].setdefault(plan, {"regions": {}})
        entry.update(
            status="failed",
            error=error,
            failed_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        )
        write_manifest(project, m)
    bar = tqdm(
        total=len(todo), file=sys.stderr, unit="briefing", disable=not progress or None, leave=False
    )
    keys = {(j["params"]["plan"], j["params"]["region"]): (k, info) for j, k, info in todo}
    # the manifest names entries by output stem (= region for the Chinese baseline)

    def done(res: dict) -> None:
        key, info = keys[(res["plan"], res["region"])]
        m = manifests[res["as_of"]]
        record(m, info, res, key)
        write_manifest(project, m)
        results.append(res)
        bar.update(1)
        if not verbose:
            return
        secs = res.get("seconds", {}).get("total", "")
        bar.write(
            f"{res['status']:6s} {res['plan']}/{res['region']} {secs} s"
            + (f"  {res.get('error')}" if res["status"] != "ok" else ""),
            file=sys.stdout,
        )

    if jobs <= 1 or len(todo) <= 1:
        for job, _, _ in todo:
            done(render_one(job))
    else:
        import multiprocessing as mp

        with ProcessPoolExecutor(max_workers=jobs, mp_context=mp.get_context("spawn")) as pool:
            futures = {pool.submit(render_one, job): job for job, _, _ in todo}
            for fut in as_completed(futures):
                job = futures[fut]
                try:
                    res = fut.result()
                except Exception as exc:  # a worker crash fails that region only
                    p = job["params"]
                    res = dict(
                        plan=p["plan"],
                        region=p["region"],
                        as_of=p["as_of"],
                        status="failed",
                        error=repr(exc),
                    )
                done(res)
    bar.close()
    for m in manifests.values():
        write_manifest(project, m)
    write_index(project)
    return results


def _failure_month(project: Project, as_of: str, manifests: dict[str, dict]) -> str:
    """The as-of month under which a plan that failed before any region is recorded: the month
    asked for; for 'latest', the month the other plans of the run resolved to, else the last
    month of the progress table, else 'latest' itself (so that the failure is never lost)."""
    if as_of != "latest":
        return as_of
    if manifests:
        return max(manifests)
    try:
        from ..forecast.tables import read_progress_table

        months = read_progress_table(project.progress_csv)["month"].dropna().astype(str)
        if not months.empty:
            return str(months.max())
    except Exception:  # no progress at all: the failure is recorded under 'latest'
        pass
    return "latest"


def run(args: argparse.Namespace) -> int:
    formats = parse_formats(args.format)
    project = find_project(getattr(args, "project", None))
    t0 = time.perf_counter()
    results = render_all(
        project,
        as_of=args.as_of,
        plans=args.plans,
        jobs=max(1, args.jobs),
        formats=formats,
        lang=args.lang or project.lang,
        n_sims=args.sims,
        seed=args.seed,
        force=args.force,
        verbose=True,
    )
    n = {s: sum(r["status"] == s for r in results) for s in ("ok", "skipped", "failed")}
    secs = time.perf_counter() - t0
    print(
        f"render-all: {n['ok']} rendered, {n['skipped']} up to date, {n['failed']} failed "
        f"in {secs:.1f} s; index: {project.reports / 'index.html'}"
    )
    for r in results:
        if r["status"] == "failed":
            print(f"  FAILED {r['plan']}/{r['region']}: {r.get('error')}", file=sys.stderr)
    return 0 if n["failed"] == 0 else 1
