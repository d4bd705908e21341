"""`ontrack render`: one region's briefing → reports/<as-of>/<plan>/<region>.{html,pdf,ipynb}.

The parameters are checked before any kernel starts. The forecast tables of the parameters are
made sure to exist and to be current (computed with the forecast stage's function into
data/processed/forecast/<as-of>/<variant>/ when missing or stale: ontrack.forecast.tables); the
notebook (the project's own notebooks/04_briefing.ipynb, else the packaged one) is executed by
papermill in the project folder and only reads tables. It is exported to offline HTML and
printed to PDF. All outputs are replaced together and only on success: a failed render keeps
the previous report and writes <region>.failed.ipynb (the executed notebook up to the failing
cell).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ..errors import InputError, OntrackError
from ..fileio import atomic_path
from ..project import Project, find_project, open_project
from .manifest import is_fresh, job_key, read_manifest, record, write_index, write_manifest
from .params import PARAMS, validate_params

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


def output_stem(params: dict[str, Any]) -> str:
    """File name stem: the region id; '.en' for English, '.<scenario>' for a scenario run, so a
    variant never replaces the baseline Chinese briefing."""
    stem = params["region"]
    if params.get("lang", "zh") != "zh":
        stem += f".{params['lang']}"
    if params.get("scenario"):
        stem += f".{Path(params['scenario']).stem}"
    return stem


@contextlib.contextmanager
def _kernel_env():
    """The kernel must not import modules from the project folder it runs in (its working
    folder): PYTHONSAFEPATH keeps the working folder off sys.path (Python 3.11+)."""
    saved = os.environ.get("PYTHONSAFEPATH")
    os.environ["PYTHONSAFEPATH"] = "1"
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("PYTHONSAFEPATH", None)
        else:
            os.environ["PYTHONSAFEPATH"] = saved


def render_one(job: dict[str, Any]) -> dict[str, Any]:
    """Execute and export one briefing. ``job``: params (validated, as_of resolved, project the
    project's root), formats. Returns a result dict (status ok/failed, outputs, seconds, error);
    never raises for a failure of this region, so that render-all carries on with the others."""
    import nbformat
    import papermill as pm

    from .export import export_html, print_pdf

    t0 = time.perf_counter()
    params, formats = job["params"], tuple(job["formats"])
    project = open_project(params["project"])
    plan, region, as_of, lang = params["plan"], params["region"], params["as_of"], params["lang"]
    odir = out_dir(project, as_of, plan)
    stem = output_stem(params)
    final = {"ipynb": odir / f"{stem}.ipynb"} | {f: odir / f"{stem}.{f}" for f in formats}
    failed_nb = odir / f"{stem}.failed.ipynb"
    result: dict[str, Any] = {
        "plan": plan,
        "region": region,
        "as_of": as_of,
        "status": "failed",
        "name": stem,
    }
    seconds: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="ontrack-render-") as tmp:
        tmp_nb = Path(tmp) / f"{stem}.ipynb"
        try:
            with _quiet_fd2(Path(tmp) / "kernel.log"), _kernel_env():
                pm.execute_notebook(
                    str(notebook_path(project)),
                    str(tmp_nb),
                    parameters=params,
                    kernel_name="python3",
                    language="python",
                    progress_bar=False,
                    log_output=False,
                    request_save_on_cell_execute=False,
                    cwd=str(project.root),
                    start_timeout=120,
                    execution_timeout=job.get("cell_timeout", 600),
                )
        except pm.PapermillExecutionError as exc:
            if tmp_nb.is_file():
                with atomic_path(failed_nb) as t:
                    shutil.copyfile(tmp_nb, t)
                result["failed_notebook"] = _rel(failed_nb, project)
            result["error"] = f"cell {exc.exec_count}: {exc.ename}: {exc.evalue}"
            result["seconds"] = {"total": round(time.perf_counter() - t0, 2)}
            return result
        except Exception as exc:  # kernel died, timeout, ...: this region fails, others go on
            result["error"] = f"{type(exc).__name__}: {exc}"
            result["seconds"] = {"total": round(time.perf_counter() - t0, 2)}
            return result
        seconds["execute"] = round(time.perf_counter() - t0, 2)
        try:
            nb = nbformat.read(tmp_nb, as_version=4)
            stderr = sum(
                1
                for c in nb.cells
                for o in c.get("outputs", [])
                if o.get("output_type") == "stream" and o.get("name") == "stderr"
            )
            result["stderr_outputs"] = stderr
            t1 = time.perf_counter()
            name = project.registry().region_name(region, lang)
            title = name + (" 简报" if lang == "zh" else " briefing")
            html = export_html(nb, lang=lang, title=f"{title} {as_of}")
            tmp_html = Path(tmp) / f"{stem}.html"
            tmp_html.write_text(html, encoding="utf-8")
            seconds["html"] = round(time.perf_counter() - t1, 2)
            if "pdf" in formats:
                t2 = time.perf_counter()
                print_pdf(tmp_html, Path(tmp) / f"{stem}.pdf")
                seconds["pdf"] = round(time.perf_counter() - t2, 2)
            # everything is ready: replace the previous outputs together
            with contextlib.ExitStack() as stack:
                for fmt, dest in final.items():
                    t = stack.enter_context(atomic_path(dest))
                    shutil.copyfile(Path(tmp) / f"{stem}.{fmt}", t)
        except Exception as exc:
            result["error"] = f"{type(exc).__name__}: {exc}"
            result["seconds"] = {"total": round(time.perf_counter() - t0, 2)}
            return result
    with contextlib.suppress(FileNotFoundError):
        failed_nb.unlink()
    seconds["total"] = round(time.perf_counter() - t0, 2)
    result.update(
        status="ok", outputs={k: _rel(v, project) for k, v in final.items()}, seconds=seconds
    )
    return result


@contextlib.contextmanager
def _quiet_fd2(log: Path):
    """Send file descriptor 2 to ``log`` while the kernel runs, so the kernel's own chatter
    ('Kernel is running over TCP ...') does not flood the CLI's stderr or the cron log."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except OSError:  # no real fd 2 (e.g. some IDEs): leave it
        yield
        return
    with open(log, "ab") as f:
        os.dup2(f.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def _rel(p: Path, project: Project) -> str:
    try:
        return p.relative_to(project.reports).as_posix()
    except ValueError:
        return str(p)


# ---------------------------------------------------------------------------- preparing a plan
def prepare(params: dict[str, Any], project: Project) -> tuple[dict[str, Any], dict[str, Any]]:
    """Validated params with as_of resolved; the forecast tables of the parameters made sure to
    exist and be current (computed when missing or stale; the targets and progress tables are
    built first where missing). Returns (params, plan info for the manifest: parameters, inputs
    read by the briefing, code, forecast folder and seconds, tables built)."""
    from ..forecast import tables as ft
    from .data import NOTEBOOK as NB
    from .data import code_version, input_checksums, resolve_as_of

    t0 = time.perf_counter()
    params = validate_params(params, project)
    built = ft.build_missing_inputs(project)  # a fresh project: as `ontrack targets` / `ingest`
    as_of = resolve_as_of(project, params["plan"], params["as_of"])
    params = dict(params, as_of=as_of)
    folder, computed = ft.ensure(
        project,
        as_of,
        scenario=params["scenario"] or None,
        n_sims=params["n_sims"],
        seed=params["seed"],
    )
    info = {
        "parameters": {k: v for k, v in params.items() if k not in ("region", "project")},
        "inputs": input_checksums(project, folder, params["scenario"]),
        "code": code_version(project.notebook(NB)),
        "forecast": project.relative(folder),
        "forecast_computed": computed,
        "forecast_seconds": round(time.perf_counter() - t0, 2),
    }
    if built:
        info["built"] = built
    return params, info


# ---------------------------------------------------------------------------- CLI
def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--plan", default="", help="plan id (default: the project's first plan)")
    p.add_argument("--region", default="", help="region id (default: the plan's own region)")
    p.add_argument("--as-of", default="latest", help="month YYYY-MM or 'latest' (default)")
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


def run(args: argparse.Namespace) -> int:
    formats = parse_formats(args.format)
    project = find_project(getattr(args, "project", None))
    raw = dict(
        plan=args.plan or project.default_plan(),
        region=args.region,
        as_of=args.as_of,
        scenario=args.scenario,
        lang=args.lang or project.lang,
        n_sims=args.sims,
        seed=args.seed,
        project=str(project.root),
    )
    validate_params(raw, project)  # fail fast, before the forecast and any kernel
    try:
        params, info = prepare(raw, project)
    except OntrackError:
        raise
    except Exception as exc:  # a bug or bad data in an earlier stage: one line, no traceback
        raise OntrackError(
            f"could not load the data or run the forecast: {type(exc).__name__}: {exc}"
        ) from None
    for path in info.get("built", []):
        print(f"built {path} (from data/raw, as `ontrack targets` / `ontrack ingest` would)")
    key = job_key(params, formats, info["inputs"], info["code"])
    manifest = read_manifest(project, params["as_of"])
    stem = output_stem(params)
    reports = project.reports
    if not args.force and is_fresh(project, manifest, params["plan"], stem, key):
        entry = manifest["plans"][params["plan"]]["regions"][stem]
        print(f"briefing {params['plan']}/{params['region']} as of {params['as_of']}: up to date")
        for fmt in (*formats, "ipynb"):
            print(f"  {fmt:5s} {reports / entry['outputs'][fmt]}")
        print(f"  index {reports / 'index.html'}  (--force renders again)")
        return 0
    result = render_one({"params": params, "formats": formats})
    record(manifest, info, result, key)
    write_manifest(project, manifest)
    write_index(project)
    if result["status"] != "ok":
        print(
            f"ontrack render: FAILED {params['plan']}/{params['region']}: {result.get('error')}",
            file=sys.stderr,
        )
        if result.get("failed_notebook"):
            print(
                f"  executed notebook kept: {reports / result['failed_notebook']}",
                file=sys.stderr,
            )
        return 1
    secs = result["seconds"]["total"]
    print(f"briefing {params['plan']}/{params['region']} as of {params['as_of']} ({secs} s):")
    for fmt in (*formats, "ipynb"):
        print(f"  {fmt:5s} {reports / result['outputs'][fmt]}")
    print(f"  index {reports / 'index.html'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    from ..cli import main as cli_main

    return cli_main(["render", *(argv or [])])


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
