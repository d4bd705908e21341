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

from ..briefing.palette import css_vars
from ..briefing.params import plan_regions
from ..fileio import read_yaml, write_text
from ..project import Project

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
    plan.update({k: v for k, v in plan_info.items() if k != "summary"})
    # what the index shows per region: kept for the regions rendered before too
    plan.setdefault("summary", {}).update(plan_info.get("summary") or {})
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
margin:0 auto;padding:1.2em 1em 2em;max-width:60em;color:var(--ink);line-height:1.5;font-size:15px}
h1{color:var(--accent);font-size:1.45em;line-height:1.3}h2{color:var(--accent);border-bottom:1px solid var(--accent);
font-size:1.2em}h3{font-size:1.05em;margin:1em 0 .3em}
table{border-collapse:collapse;width:100%;margin:.5em 0 1.2em}th,td{border:1px solid var(--line);
padding:.35em .6em;text-align:left;vertical-align:top}th{background:var(--head-bg)}.ok{color:var(--green)}
.failed{color:var(--demo);font-weight:bold}.note{color:var(--muted);font-size:.88em}
a.doc{display:inline-block;margin:0 .5em .2em 0;padding:.1em .6em;border:1px solid var(--accent);
border-radius:4px;text-decoration:none;color:var(--accent)}
details{margin:.3em 0 1.2em;color:var(--muted);font-size:.88em}summary{cursor:pointer}
details li{overflow-wrap:anywhere}
.scenario{background:var(--scenario-bg)}
.chip{display:inline-block;border-radius:3px;padding:0 .45em;margin:0 .25em .15em 0;white-space:nowrap}
.g{background:var(--green-bg);color:var(--green)}.a{background:var(--amber-bg);color:var(--amber)}.r{background:var(--red-bg);color:var(--red)}
.n{background:var(--none-bg);color:var(--none)}.miss{color:var(--down)}
td,th{overflow-wrap:anywhere}
@media (max-width:640px){table,tbody,tr,td,th[scope=row]{display:block}tr:first-child{display:none}
tr{border:1px solid var(--line);border-radius:4px;margin:0 0 .6em;padding:.3em .5em}
td{border:0;padding:.1em 0}th[scope=row]{border:0;padding:.1em 0;background:none;font-size:1.05em}
td[data-label]::before{content:attr(data-label) "：";color:var(--muted);font-size:.88em}}
"""

_BEIJING = timezone(timedelta(hours=8))


def _summary_cells(s: dict | None) -> str:
    """The index's cells of one region: its targets of the year by status (绿 / 黄 / 红, and
    无数据), the one most at risk, the reports of the month still missing (未报)."""
    esc = html.escape
    if not s:
        return "<td>—</td><td>—</td><td>—</td>"  # rendered before the index showed these
    chips = "".join(
        f'<span class="chip {c}">{w} {int(s.get(k, 0))}</span>'
        for k, c, w in (
            ("green", "g", "绿"),
            ("amber", "a", "黄"),
            ("red", "r", "红"),
            ("no_data", "n", "无数据"),
            ("suspect", "n", "待核实"),
        )
        if int(s.get(k, 0)) or k not in ("no_data", "suspect")
    )
    w = s.get("worst")
    worst = (
        f"{esc(w['indicator'])}<span class='note'>（{esc(w['period'])}，完成概率 "
        f"{_pct(w['p_meet'])}）</span>"
        if w
        else "<span class='note'>无</span>"
    )
    due, miss = int(s.get("due", 0)), int(s.get("missing", 0))
    if not due:
        rep = "<span class='note'>—</span>"
    elif miss:
        names = "、".join(s.get("missing_offices") or [])
        rep = (
            f"<span class='miss'>未报 {miss}/{due}</span><span class='note'>（{esc(names)}）</span>"
        )
    else:
        rep = f"<span class='ok'>已报齐（{due}项）</span>"
    return (
        f"<td data-label='目标状态'>{chips}</td><td data-label='风险最大'>{worst}</td>"
        f"<td data-label='本月报送'>{rep}</td>"
    )


def _pct(p: float) -> str:
    """A probability as the briefings show it: whole percent, under 1% / over 99% said so."""
    if p < 0.01:
        return "不足1%"
    if p > 0.99:
        return "超过99%"
    return f"{int(p * 100 + 0.5)}%"


def beijing(stamp: str) -> str:
    """An ISO time (UTC as the manifest records it) as Beijing time, 'YYYY-MM-DD HH:MM';
    text that is not a time is returned as it is."""
    try:
        t = datetime.fromisoformat(str(stamp))
    except ValueError:
        return str(stamp)
    if t.tzinfo is None:
        t = t.replace(tzinfo=timezone.utc)
    return t.astimezone(_BEIJING).strftime("%Y-%m-%d %H:%M")


def _variant(name: str, entry: dict) -> tuple[str, str]:
    """(lang, scenario) of a manifest entry: from its own fields where it records them, else
    from its output name, region[.en][.<scenario>] (see briefing.params.Request.stem)."""
    region = entry.get("region", name)
    lang = entry.get("lang") or ""
    scenario = entry.get("scenario") or ""
    rest = name[len(region) + 1 :].split(".") if name.startswith(region + ".") else []
    if rest and rest[0] == "en":
        lang = lang or "en"
        rest = rest[1:]
    if rest and not scenario:
        scenario = ".".join(rest)
    return lang or "zh", Path(str(scenario)).stem if scenario else ""


def _scenario_title(project: Project, stem: str) -> str:
    """A scenario's name for readers: its YAML's title or name (read as data), else its stem."""
    for ext in (".yml", ".yaml"):
        f = project.scenarios_dir / f"{stem}{ext}"
        if f.is_file():
            try:
                import yaml

                meta = read_yaml(f)
            except (OSError, ValueError, yaml.YAMLError):
                break
            if isinstance(meta, dict):
                for k in ("title", "name"):
                    if isinstance(meta.get(k), str) and meta[k].strip():
                        return meta[k].strip()
            break
    return stem


def write_index(project: Project) -> str:
    """reports/index.html: every as-of month's briefings (offline, readable on a phone). For
    readers: the region, status, HTML and PDF, the time in Beijing time; scenario briefings in a
    table of their own; the executed notebooks and manifest.json (audit records) tucked away
    under 审计记录. Names come from the project's registry (an unknown id shows as itself)."""
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
        as_of = str(m.get("as_of", mp_.parent.name))
        try:
            when = f"{int(as_of[:4])}年{int(as_of[5:7])}月"
        except ValueError:
            when = as_of
        parts.append(f"<h2>数据截至{esc(when)}</h2>")
        audit: list[str] = [f'<a href="{esc(as_of)}/manifest.json">manifest.json</a>（生成记录）']
        for plan, info in (m.get("plans") or {}).items():
            parts.append(f"<h3>{esc(reg.plan_name(plan))}</h3>")
            if info.get("status") == "failed":
                parts.append(
                    '<p><span class="failed">整个计划生成失败</span>，未能生成任何地区的简报：'
                    f"{esc(str(info.get('error', ''))[:300])}"
                    f"<span class='note'>（{esc(beijing(info.get('failed_at', '')))} 北京时间）</span></p>"
                )
                if not info.get("regions"):
                    continue
                parts.append('<p class="note">以下为此前生成的简报。</p>')
            official: list[str] = []
            scenarios: list[str] = []
            order = {r: i for i, r in enumerate(plan_regions(plan, project))}
            for name, e in sorted(
                info.get("regions", {}).items(),
                key=lambda kv: (order.get(kv[1].get("region", kv[0]), 99), kv[0]),
            ):
                region = e.get("region", name)
                lang, scenario = _variant(name, e)
                label = reg.region_name(region) + ("（英文版）" if lang == "en" else "")
                ok = e.get("status") == "ok"
                outs = e.get("outputs") or e.get("previous_outputs") or {}
                links = " ".join(
                    f'<a class="doc" href="{esc(outs[k])}">{label_}</a>'
                    for k, label_ in (("html", "网页版"), ("pdf", "PDF"))
                    if k in outs
                )
                # the render's own status only when it failed (officials read 成功 as "target met")
                status = ""
                if not ok:
                    status = (
                        '<br><span class="failed">本期简报生成失败</span> '
                        f"<span class='note'>{esc(str(e.get('error', ''))[:200])}"
                        + ("（链接为上次成功的简报）" if outs else "")
                        + "</span>"
                    )
                if "ipynb" in outs:
                    audit.append(
                        f'<a href="{esc(outs["ipynb"])}">{esc(label)}'
                        f"{'·' + esc(scenario) if scenario else ''}（执行记录）</a>"
                    )
                if e.get("failed_notebook"):
                    audit.append(
                        f'<a href="{esc(e["failed_notebook"])}">{esc(label)}（失败记录）</a>'
                    )
                when_cell = (
                    f"<td data-label='生成时间'>{esc(beijing(e.get('rendered_at', '')))}</td>"
                )
                if scenario:
                    row = (
                        f"<td>{esc(label)}</td><td>{esc(_scenario_title(project, scenario))}</td>"
                        f"<td>{links}{status}</td>{when_cell}"
                    )
                    scenarios.append(f"<tr>{row}</tr>")
                    continue
                summ = (info.get("summary") or {}).get(region)
                row = (
                    f"<th scope='row'>{esc(label)}</th>{_summary_cells(summ)}"
                    f"<td data-label='简报'>{links}{status}</td>{when_cell}"
                )
                official.append(f"<tr>{row}</tr>")
            if official:
                parts.append(
                    "<table><tr><th scope='col'>地区</th><th scope='col'>目标状态</th>"
                    "<th scope='col'>风险最大</th><th scope='col'>本月报送</th>"
                    "<th scope='col'>简报</th><th scope='col'>生成时间（北京时间）</th></tr>"
                    + "".join(official)
                    + "</table>"
                )
            if scenarios:
                parts.append(
                    '<h3 class="scenario-h">情景分析简报<span class="note">'
                    "（假设情景下的推演，不是正式预测口径）</span></h3>"
                    '<table class="scenario"><tr><th>地区</th><th>情景</th><th>简报</th>'
                    "<th>生成时间（北京时间）</th></tr>" + "".join(scenarios) + "</table>"
                )
        parts.append(
            f"<p class='note'>本期更新于 {esc(beijing(m.get('updated', '')))}（北京时间）</p>"
            "<details><summary>审计记录（执行记录与生成记录）</summary><ul>"
            + "".join(f"<li>{a}</li>" for a in audit)
            + "</ul></details>"
        )
    now = datetime.now(_BEIJING).strftime("%Y-%m-%d %H:%M")
    # landmarks: the title a header, the briefings the main part, the time a footer
    body = (
        f"<header>{parts[0]}</header><main>{''.join(parts[1:])}</main>"
        f'<footer><p class="note">索引生成于 {now}（北京时间）</p></footer>'
    )
    doc = (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(project.name)}：简报索引</title>"
        f"<style>{css_vars()}{_INDEX_CSS}</style></head><body>{body}</body></html>\n"
    )
    write_text(project.reports / INDEX, doc)
    return doc
