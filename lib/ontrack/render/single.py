"""`ontrack render`: one region's briefing → reports/<as-of>/<plan>/<region>.{html,pdf,ipynb}.

Everything a user can get wrong is checked before any kernel starts: the parameters, the
browser when a PDF is asked for, that reports/ can be written (the render lock, shared with
``render-all``), the month (one with progress data) and the scenario's names. The forecast
tables of the parameters are made sure to exist and to be current (computed with the forecast
stage's function into data/processed/forecast/<as-of>/<variant>/ when missing or stale:
ontrack.forecast.store) while the kernel starts. The notebook (the project's own
notebooks/04_briefing.ipynb, else the packaged one) is executed on the render engine's kernel
(:mod:`.engine`, papermill's parameters and metadata) in the project folder, and only reads
tables; it is exported to offline HTML and printed to PDF. All outputs are replaced together and
only on success (:func:`commit`): a failed render keeps the previous report and writes
<region>.failed.ipynb (the executed notebook up to the failing cell).
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import os
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..briefing.params import PARAMS, Request
from ..briefing.status import plan_summaries
from ..errors import InputError, OntrackError, raise_errors
from ..errors import io_problem as _io_problem
from ..fileio import atomic_path, remove_pending
from ..lock import data_lock
from ..months import resolve_as_of
from ..project import Project, find_project, open_project
from .engine import Engine, Job
from .manifest import (
    is_fresh,
    job_key,
    looks_fresh,
    read_manifest,
    record,
    write_index,
    write_manifest,
)

NOTEBOOK = "04_briefing.ipynb"
FORMATS = ("html", "pdf")


def notebook_path(project: Project) -> Path:
    """The briefing notebook: the project's own copy if it keeps one, else the packaged one."""
    return project.notebook(NOTEBOOK)


def out_dir(project: Project, as_of: str, plan: str) -> Path:
    return project.reports / as_of / plan


def parse_formats(s: str) -> tuple[str, ...]:
    """'html,pdf' → ('html', 'pdf'); unknown formats are an InputError."""
    items = tuple(dict.fromkeys(x.strip().lower() for x in s.split(",") if x.strip()))
    bad = [x for x in items if x not in FORMATS]
    if bad or not items:
        raise InputError(
            "--format", f"unknown format(s) {', '.join(bad) or s!r}", "html, pdf or html,pdf"
        )
    return items


def check_scenario_name(scenario: str | Path, where: str = "--scenario") -> None:
    """InputError when a scenario's file name would collide with a briefing's own files."""
    from ..forecast.scenario import RESERVED_NAMES, reserved_name

    if reserved_name(scenario):
        stem = Path(scenario).stem
        raise InputError(
            where,
            f"the scenario file name {Path(scenario).name!r} would collide with the briefing's "
            f"own files (<region>.{stem}.html): 情景文件名与简报文件重名",
            "another name, without dots and not " + ", ".join(RESERVED_NAMES),
        )


# ---------------------------------------------------------------------------- jobs
def make_job(
    project: Project, request: Request, formats: tuple[str, ...], cell_timeout: float = 600
) -> Job:
    """A job for the engine: the checked request (as-of resolved), the formats, the notebook
    and the page title."""
    name = project.registry().region_name(request.region, request.lang)
    title = name + (" 简报" if request.lang == "zh" else " briefing")
    return Job(
        request=request,
        formats=tuple(formats),
        notebook=str(notebook_path(project)),
        title=f"{title} {request.as_of}",
        output_label=str(out_dir(project, request.as_of, request.plan) / f"{request.stem}.ipynb"),
        cell_timeout=cell_timeout,
    )


def commit(project: Project, rendered) -> dict[str, Any]:
    """Write a job's files into reports/<as-of>/<plan>/ and return its result for the manifest.

    ``rendered``: an engine.Rendered (files are paths) or anything with ``result`` and
    ``files`` (files may be bytes: what a cluster worker sends back). All outputs of a
    briefing are replaced together and only when every one of them could be written; a failed
    render keeps the previous report and writes <stem>.failed.ipynb. A write that fails (a
    read-only folder, a full disk) leaves the previous files as they were and makes the result
    a failure that says so in one line."""
    result = dict(rendered.result)
    files = dict(rendered.files)
    odir = out_dir(project, result["as_of"], result["plan"])
    stem = result.get("name") or result["region"]
    failed_nb = odir / f"{stem}.failed.ipynb"
    try:
        if result["status"] == "ok":
            order = ["ipynb", *(f for f in FORMATS if f in files)]
            final = {fmt: odir / f"{stem}.{fmt}" for fmt in order}
            with contextlib.ExitStack() as stack:
                for fmt, dest in final.items():
                    _put(files[fmt], stack.enter_context(atomic_path(dest)))
            with contextlib.suppress(FileNotFoundError):
                failed_nb.unlink()
            result["outputs"] = {k: _rel(v, project) for k, v in final.items()}
        elif files.get("failed") is not None:
            with atomic_path(failed_nb) as t:
                _put(files["failed"], t)
            result["failed_notebook"] = _rel(failed_nb, project)
    except OSError as exc:
        result.pop("outputs", None)
        result.update(status="failed", error=io_problem(exc, project))
    return result


def _put(src: Path | bytes, dest: Path) -> None:
    if isinstance(src, (bytes, bytearray)):
        dest.write_bytes(src)
    else:
        shutil.copyfile(src, dest)


def io_problem(exc: OSError, project: Project | None = None) -> str:
    """One line for a failed write: the file and the system's reason (no traceback)."""
    return _io_problem(exc, project.relative if project is not None else None)


def render_one(job: Job, engine: Engine | None = None) -> dict[str, Any]:
    """Render one briefing (a :func:`make_job` job) and write its files. Uses ``engine`` if
    given, else a one-kernel engine of its own. Returns the result dict for the manifest
    (status ok / failed, outputs, seconds, error); never raises for a failure of this region."""
    project = open_project(job.request.project)
    t0 = time.perf_counter()
    own = engine is None
    if own:
        engine = Engine(slots=1, pdf="pdf" in job.formats).start()
    try:
        rendered = engine.submit(job).result()
        try:
            result = commit(project, rendered)
        finally:
            engine.discard(rendered)
    finally:
        if own:
            engine.close()
    if own and result["status"] == "ok":
        result["seconds"]["wall"] = round(time.perf_counter() - t0, 2)
    return result


# ---------------------------------------------------------------------------- preparing a plan
def _rel(p: Path, project: Project) -> str:
    try:
        return p.relative_to(project.reports).as_posix()
    except ValueError:
        return str(p)


def check_browser(formats: tuple[str, ...]) -> str | None:
    """The browser that will print the PDFs, found before any kernel starts (OntrackError
    saying what to install otherwise); None when no PDF is asked for."""
    if "pdf" not in formats:
        return None
    from .export import find_browser

    return find_browser()


def data_months(project: Project, plan: str) -> list[str]:
    """The months that have progress data for a plan's regions (sorted)."""
    from ..briefing.data import project_tables
    from ..forecast.model import plan_inputs

    progress, targets = project_tables(project)
    plan_progress, _ = plan_inputs(progress, targets, plan, project.registry())
    return sorted(set(plan_progress["month"].astype(str)))


def check_as_of(project: Project, plan: str, as_of: str) -> str:
    """The month a briefing is made as of: ``as_of`` itself when the plan has progress data for
    it, 'latest' = the last month with data (:func:`ontrack.months.resolve_as_of`, the suite's
    one rule, with ``with_data``: a briefing of a month no report supports is refused too)."""
    return resolve_as_of(
        as_of, data_months(project, plan), where="--as-of", of=f"plan {plan}", with_data=True
    )


def check_scenario(project: Project, scenario: str) -> None:
    """A scenario's regions and indicators must be ones the project knows: a name that matches
    nothing would silently change nothing. InputErrors naming the rule, with did-you-mean."""
    if not scenario:
        return
    from ..forecast.scenario import load_scenario

    check_scenario_name(scenario)
    sc = load_scenario(scenario)
    reg = project.registry()
    src = Path(scenario).name
    errors: list[InputError] = []
    rules = [("pace", r) for r in sc.pace] + [("pipeline", r) for r in sc.pipeline]
    rules += [("targets", r) for r in sc.targets]
    counts: dict[str, int] = {}
    for kind, rule in rules:
        k = counts[kind] = counts.get(kind, -1) + 1
        where = f"scenario {src}: {kind}[{k}]"
        if rule.region != "*" and rule.region not in reg.regions:
            near = reg.match_region(rule.region)
            hint = [near] if near else difflib.get_close_matches(rule.region, list(reg.regions))
            hint = hint or reg.suggest_regions(rule.region)
            msg = f"unknown region {rule.region!r}"
            if hint:
                msg += f" (did you mean {', '.join(hint)}?)"
            errors.append(InputError(where, msg, "a region id of the project's plans"))
        if rule.indicator != "*" and rule.indicator not in reg.indicators:
            near = reg.match_indicator(rule.indicator)
            hint = [near] if near else reg.suggest_indicators(rule.indicator)
            msg = f"unknown indicator {rule.indicator!r}"
            if hint:
                msg += f" (did you mean {', '.join(hint)}?)"
            errors.append(InputError(where, msg, "one of " + ", ".join(reg.indicators)))
        if kind == "targets" and rule.plan not in reg.plans:
            errors.append(
                InputError(where, f"unknown plan {rule.plan!r}", "one of " + ", ".join(reg.plans))
            )
    raise_errors(errors)


def prepare(
    request: Request,
    project: Project,
    on_checked: Callable[[Request], None] | None = None,
) -> tuple[Request, dict[str, Any]]:
    """The request with its as-of month resolved, and the forecast tables of its parameters made
    sure to exist and be current (computed when missing or stale; the targets and progress
    tables are built first where missing). Returns (request, plan info for the manifest:
    parameters, inputs read by the briefing, code, forecast folder and seconds, tables built).

    What the request's check (:meth:`Request.check`, at the edge) cannot know is checked here,
    before any kernel starts: the month against the data (:func:`check_as_of`) and the
    scenario's names against the registry (:func:`check_scenario`). ``on_checked(request)`` is
    called once they pass, before the forecast is made sure of (the commands start their kernels
    there, so that kernel start and forecast overlap)."""
    from ..briefing.data import NOTEBOOK as NB
    from ..briefing.data import code_version, input_checksums
    from ..forecast import store as ft

    t0 = time.perf_counter()
    built = ft.build_missing_inputs(project)  # a fresh project: as `ontrack targets` / `ingest`
    check_scenario(project, request.scenario)
    request = request.but(as_of=check_as_of(project, request.plan, request.as_of))
    if on_checked is not None:
        on_checked(request)
    folder, computed = ft.ensure(
        project,
        request.as_of,
        scenario=request.scenario or None,
        n_sims=request.n_sims,
        seed=request.seed,
    )
    info = {
        "parameters": {k: v for k, v in request.params().items() if k not in ("region", "project")},
        "inputs": input_checksums(project, folder, request.scenario),
        "code": code_version(project.notebook(NB)),
        "forecast": project.relative(folder),
        "forecast_computed": computed,
        "forecast_seconds": round(time.perf_counter() - t0, 2),
    }
    if built:
        info["built"] = built
    return request, info


# ---------------------------------------------------------------------------- one run at a time
LOCK = ".render.lock"


@contextlib.contextmanager
def run_lock(project: Project):
    """One ``ontrack render`` or ``render-all`` at a time per project: they share
    reports/.render.lock (two runs would race on the same files and the manifest). A second run
    stops at once with a clear message; a reports/ folder that cannot be written stops the run
    here, before any work."""
    reports = project.reports
    try:
        reports.mkdir(parents=True, exist_ok=True)
        f = open(reports / LOCK, "a+")  # noqa: SIM115
    except OSError as exc:
        raise OntrackError(
            f"cannot write to {project.relative(reports)}/ ({exc.strerror or exc}): the "
            "briefings, the manifest and the log are written there"
        ) from None
    try:
        try:
            import fcntl
        except ImportError:  # Windows: no lock
            yield
            return
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise OntrackError(
                f"another `ontrack render` or `render-all` is running on this project "
                f"({project.relative(reports / LOCK)}); try again when it has finished"
            ) from None
        try:
            f.seek(0)
            f.truncate()
            f.write(f"{os.getpid()}\n")
            f.flush()
        except OSError:
            pass
        try:
            # and the data: no ingest changes the tables under the briefings of this run
            with data_lock(project, "ontrack render"):
                yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)
    finally:
        f.close()


@contextlib.contextmanager
def stop_on_sigterm():
    """SIGTERM (a cron timeout, `kill`) ends the run like Ctrl-C: the engine stops its kernels
    and browser and removes its temporary folder on the way out (exit status 143)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    except BaseException:
        # stopped (SIGTERM, Ctrl-C) or failed: no half-written file is left beside a report,
        # whichever instruction the signal interrupted
        remove_pending()
        raise
    finally:
        signal.signal(signal.SIGTERM, previous)


# ---------------------------------------------------------------------------- CLI
def add_arguments(p: argparse.ArgumentParser) -> None:
    from .runlog import add_log_arguments

    p.add_argument("--plan", default="", help="plan id (default: the project's first plan)")
    p.add_argument("--region", default="", help="region id (default: the plan's region)")
    p.add_argument(
        "--as-of", default="latest", help="month YYYY-MM with data, or 'latest' (default)"
    )
    p.add_argument("--format", default="html,pdf", help="html, pdf or html,pdf (default)")
    p.add_argument("--lang", default=None, choices=["zh", "en"], help="briefing language")
    p.add_argument("--scenario", default="", help="scenario YAML (default: baseline)")
    p.add_argument("--sims", type=int, default=PARAMS["n_sims"].default, help="simulated paths")
    p.add_argument("--seed", type=int, default=0, help="random seed")
    p.add_argument(
        "--force",
        action="store_true",
        help="render even if inputs, parameters and code are unchanged",
    )
    add_log_arguments(p)


def run(args: argparse.Namespace) -> int:
    from .runlog import LOG_NAME, RunLog, level_of

    started = time.perf_counter()  # the whole command is timed: data, forecast, briefing
    formats = parse_formats(args.format)
    project = find_project(getattr(args, "project", None))
    request = Request.check(  # the edge: checked once, before the forecast and any kernel
        dict(
            plan=args.plan or project.default_plan(),
            region=args.region,
            as_of=args.as_of,
            scenario=args.scenario,
            lang=args.lang or project.lang,
            n_sims=args.sims,
            seed=args.seed,
            project=str(project.root),
        ),
        project,
    )
    check_browser(formats)
    with stop_on_sigterm(), run_lock(project):
        log = RunLog("render", level_of(args), project.reports / LOG_NAME)
        try:
            return _run(project, request, formats, args.force, log, started)
        except OSError as exc:
            raise OntrackError(io_problem(exc, project)) from None


def _run(
    project: Project,
    request: Request,
    formats: tuple[str, ...],
    force: bool,
    log,
    started: float | None = None,
) -> int:
    engine = Engine(slots=1, pdf="pdf" in formats, on_event=log.detail, sweep=project.reports)

    def start_early(request: Request) -> None:
        """Start the kernel and the browser while the forecast is made sure of, unless the
        briefing looks up to date (then no kernel starts at all)."""
        manifest = read_manifest(project, request.as_of)
        if force or not looks_fresh(project, manifest, request.plan, request.stem):
            engine.start()

    try:
        return _render(project, request, formats, force, log, engine, start_early, started)
    finally:
        engine.close()


def _render(project, request, formats, force, log, engine, start_early, started=None) -> int:
    started = time.perf_counter() if started is None else started
    try:
        request, info = prepare(request, project, on_checked=start_early)
    except (OntrackError, OSError):
        raise
    except Exception as exc:  # a bug or bad data in an earlier stage: one line, no traceback
        raise OntrackError(
            f"could not load the data or run the forecast: {type(exc).__name__}: {exc}"
        ) from None
    for path in info.get("built", []):
        log.plain(
            f"已生成 / built {path} (from data/raw, as `ontrack targets` / `ontrack ingest` would)"
        )
    r = request
    if info.get("forecast") and not r.scenario:
        # what the index shows of the region: the baseline's (a scenario's figures are its own
        # briefing's, never the official row's)
        info["summary"] = plan_summaries(
            project, r.plan, project.root / info["forecast"], [r.region], r.as_of
        )
    key = job_key(r.params(), formats, info["inputs"], info["code"])
    manifest = read_manifest(project, r.as_of)
    reports = project.reports
    what = f"{r.plan}/{r.region} as of {r.as_of}"
    if not force and is_fresh(project, manifest, r.plan, r.stem, key):
        entry = manifest["plans"][r.plan]["regions"][r.stem]
        log.plain(f"briefing {what}: up to date (--force renders again) / 简报未变，无需重新生成")
        for fmt in (*formats, "ipynb"):
            log.detail(f"  {fmt:5s} {reports / entry['outputs'][fmt]}")
        first = reports / entry["outputs"][formats[0]]
        log.summary(f"summary: 0 rendered, 1 up to date, 0 failed; {first} / 汇总：未变1份")
        return 0
    t0 = time.perf_counter()
    result = render_one(make_job(project, r, formats), engine.start())
    result.setdefault("seconds", {})["wall"] = round(time.perf_counter() - t0, 2)
    # the whole command: building the tables and the forecast count too
    result["seconds"]["command"] = round(time.perf_counter() - started, 2)
    record(manifest, info, result, key)
    write_manifest(project, manifest)
    write_index(project)
    if result["status"] != "ok":
        log.error(f"FAILED {what}: {result.get('error')} / 生成失败，原报告保留")
        if result.get("failed_notebook"):
            log.error(
                "  executed notebook kept / 已执行的笔记本保存在: "
                f"{reports / result['failed_notebook']}"
            )
        log.summary("summary: 0 rendered, 0 up to date, 1 failed / 汇总：失败1份")
        return 1
    secs = result["seconds"]
    log.plain(f"briefing {what} ({secs['command']} s) / 简报已生成（用时{secs['command']}秒）:")
    for fmt in (*formats, "ipynb"):
        log.plain(f"  {fmt:5s} {reports / result['outputs'][fmt]}")
    log.plain(f"  index {reports / 'index.html'}")
    log.detail("  seconds: " + ", ".join(f"{k} {v}" for k, v in secs.items()))
    log.summary(
        f"summary: 1 rendered, 0 up to date, 0 failed in {secs['command']} s"
        f" / 汇总：已生成1份，用时{secs['command']}秒"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    from ..cli import main as cli_main

    return cli_main(["render", *(argv or [])])


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
