"""`ontrack render`: one region's briefing → reports/<as-of>/<plan>/<region>.{html,pdf,ipynb}.

The parameters are checked before any kernel starts; the forecast is computed (or read from the
run cache) in this process and handed to the notebook as a pickle; the notebook is executed by
papermill, exported to offline HTML and printed to PDF. All outputs are replaced together and
only on success: a failed render keeps the previous report and writes <region>.failed.ipynb
(the executed notebook up to the failing cell).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .. import paths, registry
from ..errors import InputError, OntrackError
from ..fileio import atomic_path, write_text
from .params import PARAMS, validate_params

NOTEBOOK = "04_briefing.ipynb"
FORMATS = ("html", "pdf")


def notebook_path() -> Path:
    return paths.NOTEBOOKS_DIR / NOTEBOOK


def out_dir(as_of: str, plan: str) -> Path:
    return paths.REPORTS_DIR / as_of / plan


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


def render_one(job: dict[str, Any]) -> dict[str, Any]:
    """Execute and export one briefing. ``job``: params (validated, as_of resolved, cache set),
    formats. Returns a result dict (status ok/failed, outputs, seconds, error); never raises for
    a failure of this region, so that render-all carries on with the others."""
    import nbformat
    import papermill as pm

    from .export import export_html, print_pdf

    t0 = time.perf_counter()
    params, formats = job["params"], tuple(job["formats"])
    plan, region, as_of, lang = params["plan"], params["region"], params["as_of"], params["lang"]
    odir = out_dir(as_of, plan)
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
            with _quiet_fd2(Path(tmp) / "kernel.log"):
                pm.execute_notebook(
                    str(notebook_path()),
                    str(tmp_nb),
                    parameters=params,
                    kernel_name="python3",
                    language="python",
                    progress_bar=False,
                    log_output=False,
                    request_save_on_cell_execute=False,
                    cwd=str(paths.PROJ_ROOT),
                    start_timeout=120,
                    execution_timeout=job.get("cell_timeout", 600),
                )
        except pm.PapermillExecutionError as exc:
            if tmp_nb.is_file():
                with atomic_path(failed_nb) as t:
                    shutil.copyfile(tmp_nb, t)
                result["failed_notebook"] = _rel(failed_nb)
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
            title = registry.region_name(region, lang) + (" 简报" if lang == "zh" else " briefing")
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
    result.update(status="ok", outputs={k: _rel(v) for k, v in final.items()}, seconds=seconds)
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


def _rel(p: Path) -> str:
    try:
        return str(p.relative_to(paths.REPORTS_DIR))
    except ValueError:
        return str(p)


# ---------------------------------------------------------------------------- manifest
def manifest_path(as_of: str) -> Path:
    return paths.REPORTS_DIR / as_of / "manifest.json"


def read_manifest(as_of: str) -> dict[str, Any]:
    p = manifest_path(as_of)
    if p.is_file():
        try:
            return json.loads(p.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            pass
    return {"as_of": as_of, "plans": {}}


def write_manifest(manifest: dict[str, Any]) -> Path:
    manifest["updated"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    return write_text(
        manifest_path(manifest["as_of"]), json.dumps(manifest, ensure_ascii=False, indent=2)
    )


def job_key(params: dict[str, Any], formats: tuple[str, ...], inputs: dict, code: dict) -> str:
    """What a region's outputs depend on: parameters, formats, input checksums, code."""
    import hashlib

    p = {k: v for k, v in params.items() if k != "cache"}
    blob = json.dumps([p, sorted(formats), inputs, code.get("fingerprint")], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def record(manifest: dict, plan_info: dict, result: dict, key: str) -> None:
    plan = manifest["plans"].setdefault(result["plan"], {"regions": {}})
    plan.update(plan_info)
    entry = dict(result)
    entry["key"] = key
    entry["rendered_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    name = result.get("name", result["region"])
    prev = plan["regions"].get(name, {})
    if result["status"] != "ok" and prev.get("status") == "ok":
        entry["previous_outputs"] = prev.get("outputs")  # still in place, still good
    plan["regions"][name] = entry


def is_fresh(manifest: dict, plan: str, region: str, key: str) -> bool:
    """A region can be skipped: same key, rendered ok, and its outputs still exist."""
    e = manifest.get("plans", {}).get(plan, {}).get("regions", {}).get(region)
    if not e or e.get("status") != "ok" or e.get("key") != key:
        return False
    return all((paths.REPORTS_DIR / p).is_file() for p in e.get("outputs", {}).values())


# ---------------------------------------------------------------------------- CLI
def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--plan", default=PARAMS["plan"].default, help="plan id (default %(default)s)")
    p.add_argument(
        "--region", default=PARAMS["region"].default, help="region id (default %(default)s)"
    )
    p.add_argument("--as-of", default="latest", help="month YYYY-MM or 'latest' (default)")
    p.add_argument("--format", default="html,pdf", help="html, pdf or html,pdf (default)")
    p.add_argument("--lang", default="zh", choices=["zh", "en"], help="briefing language")
    p.add_argument("--scenario", default="", help="scenario YAML (default: baseline)")
    p.add_argument("--sims", type=int, default=PARAMS["n_sims"].default, help="simulated paths")
    p.add_argument("--seed", type=int, default=0, help="random seed")
    p.add_argument(
        "--force",
        action="store_true",
        help="render even if inputs, parameters and code are unchanged",
    )


def prepare(params: dict[str, Any]) -> tuple[dict[str, Any], Any, Path]:
    """Validated params with as_of resolved and the run cache path; and the plan's data."""
    from .data import cached_plan_data

    params = validate_params(params)
    data, cache = cached_plan_data(
        params["plan"], params["as_of"], params["scenario"], params["n_sims"], params["seed"]
    )
    params = dict(params, as_of=data.as_of, cache=str(cache))
    return params, data, cache


def run(args: argparse.Namespace) -> int:
    formats = parse_formats(args.format)
    raw = dict(
        plan=args.plan,
        region=args.region,
        as_of=args.as_of,
        scenario=args.scenario,
        lang=args.lang,
        n_sims=args.sims,
        seed=args.seed,
    )
    validate_params(raw)  # fail fast, before the forecast and any kernel
    t0 = time.perf_counter()
    try:
        params, data, _ = prepare(raw)
    except OntrackError:
        raise
    except Exception as exc:  # a bug or bad data in an earlier stage: one line, no traceback
        raise OntrackError(
            f"could not load the data or run the forecast: {type(exc).__name__}: {exc}"
        ) from None
    t_forecast = round(time.perf_counter() - t0, 2)
    key = job_key(params, formats, data.inputs, data.code)
    manifest = read_manifest(params["as_of"])
    stem = output_stem(params)
    if not args.force and is_fresh(manifest, params["plan"], stem, key):
        entry = manifest["plans"][params["plan"]]["regions"][stem]
        print(f"briefing {params['plan']}/{params['region']} as of {params['as_of']}: up to date")
        for fmt in (*formats, "ipynb"):
            print(f"  {fmt:5s} {paths.REPORTS_DIR / entry['outputs'][fmt]}")
        print(f"  index {paths.REPORTS_DIR / 'index.html'}  (--force renders again)")
        return 0
    result = render_one({"params": params, "formats": formats})
    plan_info = {
        "parameters": {k: v for k, v in params.items() if k not in ("region", "cache")},
        "inputs": data.inputs,
        "code": data.code,
        "forecast_seconds": t_forecast,
    }
    record(manifest, plan_info, result, key)
    write_manifest(manifest)
    from .render_all import write_index

    write_index()
    if result["status"] != "ok":
        print(
            f"ontrack render: FAILED {params['plan']}/{params['region']}: {result.get('error')}",
            file=sys.stderr,
        )
        if result.get("failed_notebook"):
            print(
                f"  executed notebook kept: {paths.REPORTS_DIR / result['failed_notebook']}",
                file=sys.stderr,
            )
        return 1
    secs = result["seconds"]["total"]
    print(f"briefing {params['plan']}/{params['region']} as of {params['as_of']} ({secs} s):")
    for fmt in (*formats, "ipynb"):
        print(f"  {fmt:5s} {paths.REPORTS_DIR / result['outputs'][fmt]}")
    print(f"  index {paths.REPORTS_DIR / 'index.html'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    from ..cli import main as cli_main

    return cli_main(["render", *(argv or [])])


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
