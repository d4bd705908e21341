# ruff: noqa: E501  (HTML snippets read better unbroken)
"""`ontrack render-all`: every region's briefing of the default plans (what cron runs).

The forecast of each plan is computed once (or read from the run cache keyed by input
checksums, parameters and code) and shared by every region's notebook; regions are rendered
in parallel worker processes; one failing region does not stop the others; the exit status is
0 only if all succeeded. Regions whose inputs, parameters and code match the manifest and whose
outputs exist are skipped, so a rerun with unchanged inputs is quick.
"""

from __future__ import annotations

import argparse
import contextlib
import html
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from datetime import datetime, timedelta, timezone
from typing import Any

from .. import paths, registry
from ..errors import OntrackError
from ..fileio import write_text
from .params import PARAMS, plan_regions, validate_params
from .render import (
    is_fresh,
    job_key,
    output_stem,
    parse_formats,
    prepare,
    read_manifest,
    record,
    render_one,
    write_manifest,
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--as-of", default="latest", help="month YYYY-MM or 'latest' (default)")
    p.add_argument("--plans", nargs="+", default=list(registry.DEFAULT_PLANS), help="plan ids")
    p.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1), help="parallel workers")
    p.add_argument("--format", default="html,pdf", help="html, pdf or html,pdf (default)")
    p.add_argument("--lang", default="zh", choices=["zh", "en"], help="briefing language")
    p.add_argument("--sims", type=int, default=PARAMS["n_sims"].default, help="simulated paths")
    p.add_argument("--seed", type=int, default=0, help="random seed")
    p.add_argument("--force", action="store_true", help="render even regions that are up to date")


def render_all(
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
    """Render every region of ``plans``; returns one result dict per region (status ok /
    skipped / failed). Writes each as-of's manifest.json and reports/index.html."""
    plans = list(plans or registry.DEFAULT_PLANS)
    with _run_lock():
        return _render_all(
            plans, as_of, jobs, formats, lang, n_sims, seed, force, progress, verbose
        )


@contextlib.contextmanager
def _run_lock():
    """One render-all at a time (two overlapping cron runs would race on the manifest)."""
    paths.REPORTS_DIR.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # Windows: no lock
        yield
        return
    with open(paths.REPORTS_DIR / ".render-all.lock", "w") as f:
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


def _render_all(plans, as_of, jobs, formats, lang, n_sims, seed, force, progress, verbose):
    from tqdm import tqdm

    for plan in plans:  # all parameters checked before any work starts
        validate_params(
            dict(
                plan=plan,
                region=plan_regions(plan)[0],
                as_of=as_of,
                lang=lang,
                n_sims=n_sims,
                seed=seed,
            )
        )
    results: list[dict[str, Any]] = []
    todo: list[tuple[dict, str, dict]] = []  # (job, key, plan_info)
    manifests: dict[str, dict] = {}
    plan_failures: list[tuple[str, str]] = []  # (plan, error): failed before any region
    for plan in plans:
        regions = plan_regions(plan)
        t0 = time.perf_counter()
        base = dict(plan=plan, region=regions[0], as_of=as_of, lang=lang, n_sims=n_sims, seed=seed)
        try:
            params0, data, _ = prepare(base)
        except Exception as exc:  # a broken plan (inputs or forecast) must not stop the others
            error = f"inputs/forecast: {type(exc).__name__}: {exc}"
            plan_failures.append((plan, error))
            for region in regions:
                results.append(
                    dict(plan=plan, region=region, as_of=as_of, status="failed", error=error)
                )
            continue
        info = {
            "parameters": {k: v for k, v in params0.items() if k not in ("region", "cache")},
            "inputs": data.inputs,
            "code": data.code,
            "forecast_seconds": round(time.perf_counter() - t0, 2),
        }
        m = manifests.setdefault(params0["as_of"], read_manifest(params0["as_of"]))
        entry = m["plans"].get(plan)
        if entry:  # a failure of the whole plan recorded by an earlier run is over
            for k in ("status", "error", "failed_at"):
                entry.pop(k, None)
        for region in regions:
            params = dict(params0, region=region)
            key = job_key(params, formats, data.inputs, data.code)
            if not force and is_fresh(m, plan, output_stem(params), key):
                results.append(
                    dict(plan=plan, region=region, as_of=params["as_of"], status="skipped")
                )
                continue
            todo.append(({"params": params, "formats": formats}, key, info))
    for plan, error in plan_failures:
        month = _failure_month(as_of, manifests)
        m = manifests.setdefault(month, read_manifest(month))
        entry = m["plans"].setdefault(plan, {"regions": {}})
        entry.update(
            status="failed",
            error=error,
            failed_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        )
        write_manifest(m)
    bar = tqdm(
        total=len(todo), file=sys.stderr, unit="briefing", disable=not progress or None, leave=False
    )
    keys = {(j["params"]["plan"], j["params"]["region"]): (k, info) for j, k, info in todo}
    # the manifest names entries by output stem (= region for the Chinese baseline)

    def done(res: dict) -> None:
        key, info = keys[(res["plan"], res["region"])]
        m = manifests[res["as_of"]]
        record(m, info, res, key)
        write_manifest(m)
        results.append(res)
        bar.update(1)
        if not verbose:
            return
        bar.write(
            f"{res['status']:6s} {res['plan']}/{res['region']} {res.get('seconds', {}).get('total', '')} s"
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
        write_manifest(m)
    write_index()
    return results


def _failure_month(as_of: str, manifests: dict[str, dict]) -> str:
    """The as-of month under which a plan that failed before any region is recorded: the month
    asked for; for 'latest', the month the other plans of the run resolved to, else the last
    month of the progress table, else 'latest' itself (so that the failure is never lost)."""
    if as_of != "latest":
        return as_of
    if manifests:
        return max(manifests)
    try:
        from .data import load_progress

        months = load_progress()["month"].dropna().astype(str)
        if not months.empty:
            return str(months.max())
    except Exception:  # no progress at all: the failure is recorded under 'latest'
        pass
    return "latest"


# ---------------------------------------------------------------------------- index
_INDEX_CSS = """
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei","PingFang SC",sans-serif;
margin:2em auto;max-width:60em;color:#1d2733;line-height:1.5}
h1{color:#1f3a5f}h2{color:#1f3a5f;border-bottom:1px solid #1f3a5f}
table{border-collapse:collapse;width:100%;margin:.5em 0 1.5em}th,td{border:1px solid #d5dbe2;
padding:.3em .6em;text-align:left}th{background:#eef2f6}.ok{color:#145a32}.failed{color:#b03a2e;
font-weight:bold}.note{color:#5b6673;font-size:.9em}
"""


def write_index() -> str:
    """reports/index.html: every as-of month's briefings with links and status (offline)."""
    esc = html.escape
    parts = ["<h1>大孵化器集群目标进展简报</h1>"]
    dirs = sorted((p for p in paths.REPORTS_DIR.glob("*/manifest.json")), reverse=True)
    if not dirs:
        parts.append("<p>尚无简报。运行 <code>make render-all</code>。</p>")
    for mp_ in dirs:
        try:
            m = json.loads(mp_.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        as_of = m.get("as_of", mp_.parent.name)
        parts.append(f"<h2>数据截至 {esc(as_of)}</h2>")
        parts.append(
            f'<p class="note">更新于 {esc(m.get("updated", ""))} UTC · <a href="{esc(as_of)}/manifest.json">manifest.json</a></p>'
        )
        for plan, info in m.get("plans", {}).items():
            p = registry.PLANS.get(plan)
            parts.append(f"<h3>{esc(p.name_zh if p else plan)}</h3>")
            if info.get("status") == "failed":
                parts.append(
                    '<p><span class="failed">整个计划生成失败</span>，未能生成任何地区的简报：'
                    f"{esc(str(info.get('error', ''))[:300])}"
                    f"<span class='note'>（{esc(info.get('failed_at', ''))} UTC）</span></p>"
                )
                if not info.get("regions"):
                    continue
                parts.append('<p class="note">以下为此前生成的简报。</p>')
            rows = []
            order = {r: i for i, r in enumerate(plan_regions(plan))}
            for name, e in sorted(
                info.get("regions", {}).items(),
                key=lambda kv: (order.get(kv[1].get("region", kv[0]), 99), kv[0]),
            ):
                region = e.get("region", name)
                label = registry.region_name(region) + (
                    f"（{name[len(region) + 1 :]}）" if name != region else ""
                )
                ok = e.get("status") == "ok"
                outs = e.get("outputs") or e.get("previous_outputs") or {}
                links = " ".join(
                    f'<a href="{esc(v)}">{esc(k.upper())}</a>' for k, v in outs.items()
                )
                status = (
                    '<span class="ok">成功</span>' if ok else '<span class="failed">失败</span>'
                )
                if not ok:
                    status += f" {esc(str(e.get('error', ''))[:200])}"
                    if e.get("failed_notebook"):
                        status += f' <a href="{esc(e["failed_notebook"])}">失败记录</a>'
                    if outs:
                        status += "（以下为上次成功的简报）"
                rows.append(
                    f"<tr><td>{esc(label)}</td><td>{status}</td><td>{links}</td>"
                    f"<td>{esc(e.get('rendered_at', ''))}</td></tr>"
                )
            parts.append(
                "<table><tr><th>地区</th><th>状态</th><th>文件</th><th>生成时间 (UTC)</th></tr>"
                + "".join(rows)
                + "</table>"
            )
    now = datetime.now(timezone(timedelta(hours=8))).strftime("%Y-%m-%d %H:%M")
    parts.append(f'<p class="note">索引生成于 {now}（北京时间）</p>')
    doc = (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8"><title>简报索引</title>'
        f"<style>{_INDEX_CSS}</style></head><body>{''.join(parts)}</body></html>\n"
    )
    write_text(paths.REPORTS_DIR / "index.html", doc)
    return doc


def run(args: argparse.Namespace) -> int:
    formats = parse_formats(args.format)
    t0 = time.perf_counter()
    results = render_all(
        as_of=args.as_of,
        plans=args.plans,
        jobs=max(1, args.jobs),
        formats=formats,
        lang=args.lang,
        n_sims=args.sims,
        seed=args.seed,
        force=args.force,
        verbose=True,
    )
    n = {s: sum(r["status"] == s for r in results) for s in ("ok", "skipped", "failed")}
    secs = time.perf_counter() - t0
    print(
        f"render-all: {n['ok']} rendered, {n['skipped']} up to date, {n['failed']} failed "
        f"in {secs:.1f} s; index: {paths.REPORTS_DIR / 'index.html'}"
    )
    for r in results:
        if r["status"] == "failed":
            print(f"  FAILED {r['plan']}/{r['region']}: {r.get('error')}", file=sys.stderr)
    return 0 if n["failed"] == 0 else 1
