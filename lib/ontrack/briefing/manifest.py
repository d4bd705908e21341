# ruff: noqa: E501  (HTML snippets read better unbroken)
"""The record of rendered briefings: reports/<as-of>/manifest.json and reports/index.html.

Used by both ``ontrack render`` and ``ontrack render-all`` (it imports neither): what each
region's outputs depend on (:func:`job_key`), whether they can be skipped (:func:`is_fresh`),
the manifest entries, and the offline index page. Every path is inside the project's reports/.
"""

from __future__ import annotations

import hashlib
import html
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from ..fileio import write_text
from ..project import Project
from .params import plan_regions

INDEX = "index.html"


def manifest_path(project: Project, as_of: str) -> Path:
    return project.reports / as_of / "manifest.json"


def read_manifest(project: Project, as_of: str) -> dict[str, Any]:
    p = manifest_path(project, as_of)
    if p.is_file():
        try:
            m = json.loads(p.read_text(encoding="utf-8"))
            if isinstance(m, dict) and isinstance(m.get("plans"), dict):
                return m
        except (OSError, json.JSONDecodeError):
            pass
    return {"as_of": as_of, "plans": {}}


def write_manifest(project: Project, manifest: dict[str, Any]) -> Path:
    manifest["updated"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    return write_text(
        manifest_path(project, manifest["as_of"]),
        json.dumps(manifest, ensure_ascii=False, indent=2),
    )


def job_key(params: dict[str, Any], formats: tuple[str, ...], inputs: dict, code: dict) -> str:
    """What a region's outputs depend on: parameters, formats, input checksums, code."""
    p = {k: v for k, v in params.items() if k != "project"}
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


def is_fresh(project: Project, manifest: dict, plan: str, region: str, key: str) -> bool:
    """A region can be skipped: same key, rendered ok, and its outputs still exist."""
    e = manifest.get("plans", {}).get(plan, {}).get("regions", {}).get(region)
    if not e or e.get("status") != "ok" or e.get("key") != key:
        return False
    return all((project.reports / p).is_file() for p in e.get("outputs", {}).values())


def looks_fresh(project: Project, manifest: dict, plan: str, region: str) -> bool:
    """A region was rendered ok and its outputs still exist (whatever its key): it may well be
    skipped, so a run does not start kernels before it knows."""
    e = manifest.get("plans", {}).get(plan, {}).get("regions", {}).get(region)
    if not e or e.get("status") != "ok":
        return False
    return all((project.reports / p).is_file() for p in e.get("outputs", {}).values())


# ---------------------------------------------------------------------------- index
_INDEX_CSS = """
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei","PingFang SC",sans-serif;
margin:2em auto;max-width:60em;color:#1d2733;line-height:1.5}
h1{color:#1f3a5f}h2{color:#1f3a5f;border-bottom:1px solid #1f3a5f}
table{border-collapse:collapse;width:100%;margin:.5em 0 1.5em}th,td{border:1px solid #d5dbe2;
padding:.3em .6em;text-align:left}th{background:#eef2f6}.ok{color:#145a32}.failed{color:#b03a2e;
font-weight:bold}.note{color:#5b6673;font-size:.9em}
"""


def write_index(project: Project) -> str:
    """reports/index.html: every as-of month's briefings with links and status (offline).
    Names of plans and regions come from the project's registry (an unknown id shows as itself)."""
    esc = html.escape
    reg = project.registry()
    parts = [f"<h1>{esc(project.name)}：目标进展简报</h1>"]
    dirs = sorted((p for p in project.reports.glob("*/manifest.json")), reverse=True)
    if not dirs:
        parts.append("<p>尚无简报。运行 <code>ontrack render-all</code>。</p>")
    for mp_ in dirs:
        try:
            m = json.loads(mp_.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        if not isinstance(m, dict):
            continue
        as_of = m.get("as_of", mp_.parent.name)
        parts.append(f"<h2>数据截至 {esc(as_of)}</h2>")
        parts.append(
            f'<p class="note">更新于 {esc(m.get("updated", ""))} UTC · <a href="{esc(as_of)}/manifest.json">manifest.json</a></p>'
        )
        for plan, info in (m.get("plans") or {}).items():
            parts.append(f"<h3>{esc(reg.plan_name(plan))}</h3>")
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
            order = {r: i for i, r in enumerate(plan_regions(plan, project))}
            for name, e in sorted(
                info.get("regions", {}).items(),
                key=lambda kv: (order.get(kv[1].get("region", kv[0]), 99), kv[0]),
            ):
                region = e.get("region", name)
                label = reg.region_name(region) + (
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
    write_text(project.reports / INDEX, doc)
    return doc
