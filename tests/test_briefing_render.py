"""End-to-end: a briefing rendered by papermill to offline HTML and an A4 PDF in Chinese.

Rendered from the illustrative sample data (ontrack.briefing.sample) through a run cache, so
these tests do not depend on the other stages. They need chromium and fonts-noto-cjk (CI
installs them).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import pytest

from ontrack import paths
from ontrack.briefing.data import write_cache
from ontrack.briefing.export import external_refs, find_browser
from ontrack.briefing.render import render_one
from ontrack.briefing.sample import sample_data
from ontrack.errors import OntrackError

ROOT = Path(__file__).resolve().parents[1]


def _have_browser() -> bool:
    try:
        find_browser()
    except OntrackError:
        return False
    return True


pytestmark = [
    pytest.mark.render,
    pytest.mark.skipif(not _have_browser(), reason="no Chromium-family browser"),
]


def _params(cache: Path, region: str = "pingyang", lang: str = "zh") -> dict:
    return dict(
        plan="pingyang-2025-2027", region=region, as_of="2026-09", scenario="", lang=lang,
        n_sims=1000, seed=0, cache=str(cache),
    )  # fmt: skip


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("reports")
    cache = tmp / "run.pkl"
    write_cache(sample_data(), cache)
    mp = pytest.MonkeyPatch()
    mp.setattr(paths, "REPORTS_DIR", tmp / "reports")
    t0 = time.perf_counter()
    result = render_one({"params": _params(cache), "formats": ("html", "pdf")})
    result["wall"] = time.perf_counter() - t0
    yield result, tmp, cache, mp
    mp.undo()


def _out(rendered, fmt: str) -> Path:
    result, tmp, _, _ = rendered
    return tmp / "reports" / result["outputs"][fmt]


def test_render_succeeds_without_stderr(rendered):
    result = rendered[0]
    assert result["status"] == "ok", result.get("error")
    assert result["stderr_outputs"] == 0  # no warning printed by any cell
    assert result["outputs"]["html"] == "2026-09/pingyang-2025-2027/pingyang.html"


def test_html_has_no_code_and_no_prompts(rendered):
    html = _out(rendered, "html").read_text(encoding="utf-8")
    for code in ("open_briefing", "b.cover()", "import ", "plan: str"):
        assert code not in html
    assert not re.search(r"In\s*(&nbsp;)?\[\d*\]", html)
    assert "jp-InputArea-editor" not in html


def test_html_is_offline_and_simplified_chinese(rendered):
    html = _out(rendered, "html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html, re.I)
    assert external_refs(html) == []
    assert "<script" not in html  # no require.js, MathJax or mermaid
    assert html.count("data:image/png;base64,") >= 6  # 5 indicator charts + heat map


def test_html_has_the_headline_table_and_demo_marks(rendered):
    html = _out(rendered, "html").read_text(encoding="utf-8")
    # sample: 5 core indicators with a 2026 baseline target for the county
    assert "截至2026年9月，平阳县纳入评估的5项目标（基线）中" in html
    assert '<table class="targets">' in html and "新增孵化空间面积" in html
    first_screen = html[html.index("<main>") : html.index('<table class="targets">')]
    assert "示例数据" in first_screen
    assert "平政办〔2025〕49号" in html  # the plan document's number, in the footer
    assert (
        "## " not in html
        and "目标完成情况</h2>" in html.replace('<a class="anchor-link"', "").split("¶")[0]
    ) or "目标完成情况" in html
    assert "示例：正文与附表数值不一致" in html and "示例：单位换算" in html  # quality notes
    assert "其他计划" not in html  # another plan's quality rows are left out
    assert "另有1条一般信息记录未列出" in html  # info rows are counted, not listed
    assert "Targets</h2>" not in html  # English headings are dropped from a Chinese briefing


def test_pdf_is_a4_with_chinese_text_and_page_numbers(rendered):
    from pypdf import PdfReader

    reader = PdfReader(_out(rendered, "pdf"))
    box = reader.pages[0].mediabox
    assert abs(float(box.width) - 595.3) < 2 and abs(float(box.height) - 841.9) < 2  # A4 in pt
    # pypdf maps some glyphs of Noto CJK to Kangxi radicals (⼤ for 大); NFKC folds them back
    text = unicodedata.normalize("NFKC", "".join(page.extract_text() for page in reader.pages))
    assert "平阳县" in text and "完成概率" in text and "示例数据" in text
    # page numbers from the CSS @page footer (页 may come out as the radical ⻚)
    assert re.search(r"第 1 [页⻚] / 共 \d+ [页⻚]", text)


def test_failed_render_keeps_the_previous_report(rendered):
    tmp = rendered[1]
    html, pdf = _out(rendered, "html"), _out(rendered, "pdf")
    before = (html.read_bytes(), pdf.read_bytes())
    bad = tmp / "broken.pkl"
    bad.write_bytes(b"not a pickle")
    res = render_one({"params": _params(bad), "formats": ("html", "pdf")})
    assert res["status"] == "failed"
    assert "UnpicklingError" in res["error"] or "pickle" in res["error"].lower()
    failed = tmp / "reports" / res["failed_notebook"]
    assert failed.name == "pingyang.failed.ipynb" and failed.is_file()
    assert (html.read_bytes(), pdf.read_bytes()) == before  # untouched
    leftovers = [p.name for p in html.parent.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def test_bad_parameters_are_rejected_before_any_kernel_starts():
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "ontrack", "render", "--plan", "pingyang-2025-2027",
         "--region", "nowhere", "--as-of", "2026-13"],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=60,
    )  # fmt: skip
    elapsed = time.perf_counter() - t0
    assert proc.returncode == 2
    assert "region" in proc.stderr and "as_of" in proc.stderr
    assert "pingyang-kunyang" in proc.stderr or "pingyang" in proc.stderr  # choices listed
    assert "Traceback" not in proc.stderr
    assert elapsed < 5  # a kernel start alone takes longer


def test_english_briefing(tmp_path, monkeypatch):
    cache = tmp_path / "run.pkl"
    write_cache(sample_data(), cache)
    monkeypatch.setattr(paths, "REPORTS_DIR", tmp_path / "reports")
    res = render_one({"params": _params(cache, "pingyang-kunyang", "en"), "formats": ("html",)})
    assert res["status"] == "ok", res.get("error")
    html = (tmp_path / "reports" / res["outputs"]["html"]).read_text(encoding="utf-8")
    assert '<html lang="en">' in html
    assert "As of September 2026, of the" in html and "Kunyang" in html
    assert "目标完成情况" not in html


def test_render_all_in_parallel_skips_unchanged_and_survives_a_failure(tmp_path, monkeypatch):
    """Two workers; a region that fails does not stop the others; a rerun skips the good ones."""
    import ontrack.briefing.render_all as ra

    root = tmp_path / "root"
    (root / "notebooks").mkdir(parents=True)
    shutil.copy(ROOT / "notebooks" / "04_briefing.ipynb", root / "notebooks")
    monkeypatch.setenv("ONTRACK_ROOT", str(root))  # the spawned workers write under root
    monkeypatch.setattr(paths, "REPORTS_DIR", root / "reports")
    monkeypatch.setattr(paths, "NOTEBOOKS_DIR", root / "notebooks")
    cache = tmp_path / "run.pkl"
    data = sample_data()
    write_cache(data, cache)
    regions = ["pingyang", "pingyang-kunyang", "pingyang-nowhere"]  # the last has no targets
    monkeypatch.setattr(ra, "plan_regions", lambda plan, *a: regions)
    monkeypatch.setattr(ra, "validate_params", lambda p, *a: p)

    def fake_prepare(params):
        return dict(params, as_of="2026-09", scenario="", cache=str(cache)), data, cache

    monkeypatch.setattr(ra, "prepare", fake_prepare)
    res = ra.render_all(
        as_of="2026-09", plans=["pingyang-2025-2027"], jobs=2, formats=("html",), progress=False
    )
    status = {r["region"]: r["status"] for r in res}
    assert status == {"pingyang": "ok", "pingyang-kunyang": "ok", "pingyang-nowhere": "failed"}
    out = root / "reports" / "2026-09" / "pingyang-2025-2027"
    assert (out / "pingyang.html").is_file() and (out / "pingyang-kunyang.ipynb").is_file()
    assert (out / "pingyang-nowhere.failed.ipynb").is_file()
    import json

    manifest = json.loads(
        (root / "reports" / "2026-09" / "manifest.json").read_text(encoding="utf-8")
    )
    entry = manifest["plans"]["pingyang-2025-2027"]["regions"]["pingyang"]
    assert entry["status"] == "ok" and entry["key"] and entry["seconds"]["total"] > 0
    index = (root / "reports" / "index.html").read_text(encoding="utf-8")
    assert "2026-09/pingyang-2025-2027/pingyang.html" in index and "失败" in index
    res2 = ra.render_all(
        as_of="2026-09", plans=["pingyang-2025-2027"], jobs=2, formats=("html",), progress=False
    )
    status2 = {r["region"]: r["status"] for r in res2}
    assert status2["pingyang"] == "skipped" and status2["pingyang-kunyang"] == "skipped"
    assert status2["pingyang-nowhere"] == "failed"  # a failure is retried


def test_render_all_records_a_plan_that_fails_before_any_region(tmp_path, monkeypatch):
    """A plan whose inputs fail (here: no progress) is in the manifest and the index, under the
    month the other plans resolved 'latest' to; a later run where it works clears the mark."""
    import json

    import ontrack.briefing.render_all as ra
    from ontrack.errors import InputError

    root = tmp_path / "root"
    (root / "notebooks").mkdir(parents=True)
    shutil.copy(ROOT / "notebooks" / "04_briefing.ipynb", root / "notebooks")
    monkeypatch.setenv("ONTRACK_ROOT", str(root))
    monkeypatch.setattr(paths, "REPORTS_DIR", root / "reports")
    monkeypatch.setattr(paths, "NOTEBOOKS_DIR", root / "notebooks")
    cache = tmp_path / "run.pkl"
    data = sample_data()
    write_cache(data, cache)
    regions = {"pingyang-2025-2027": ["pingyang"], "lucheng-2025-2027": ["lucheng"]}
    monkeypatch.setattr(ra, "plan_regions", lambda plan, *a: regions[plan])
    monkeypatch.setattr(ra, "validate_params", lambda p, *a: p)
    broken = {"lucheng-2025-2027"}

    def fake_prepare(params):
        if params["plan"] in broken:
            raise InputError("progress.csv", "no progress rows for the plan's regions")
        return dict(params, as_of="2026-09", scenario="", cache=str(cache)), data, cache

    monkeypatch.setattr(ra, "prepare", fake_prepare)
    plans = ["pingyang-2025-2027", "lucheng-2025-2027"]
    res = ra.render_all(as_of="latest", plans=plans, jobs=1, formats=("html",), progress=False)
    assert {(r["region"], r["status"]) for r in res} == {("pingyang", "ok"), ("lucheng", "failed")}
    mpath = root / "reports" / "2026-09" / "manifest.json"  # 'latest' of pingyang = 2026-09
    lu = json.loads(mpath.read_text(encoding="utf-8"))["plans"]["lucheng-2025-2027"]
    assert lu["status"] == "failed" and "no progress rows" in lu["error"] and lu["failed_at"]
    assert lu["regions"] == {}  # no region got as far as rendering
    index = (root / "reports" / "index.html").read_text(encoding="utf-8")
    lu_part = index[index.index("鹿城区大孵化器") :]
    assert "整个计划生成失败" in lu_part and "no progress rows" in lu_part
    assert "2026-09/pingyang-2025-2027/pingyang.html" in index

    broken.clear()  # the progress arrives: the plan-level failure is no longer shown
    ra.render_all(as_of="latest", plans=plans, jobs=1, formats=("html",), progress=False)
    lu = json.loads(mpath.read_text(encoding="utf-8"))["plans"]["lucheng-2025-2027"]
    assert "error" not in lu and lu.get("status") != "failed"
    assert "整个计划生成失败" not in (root / "reports" / "index.html").read_text(encoding="utf-8")


def test_render_skips_an_unchanged_briefing_unless_forced(tmp_path, monkeypatch):
    """`make briefing` twice: the second run finds the same inputs, parameters and code in the
    manifest and the outputs in place, so it renders nothing; --force renders again, and a
    deleted output is rendered again."""
    import argparse

    import ontrack.briefing.render as rd

    monkeypatch.setattr(paths, "REPORTS_DIR", tmp_path / "reports")
    cache = tmp_path / "run.pkl"
    data = sample_data()
    write_cache(data, cache)
    monkeypatch.setattr(
        rd, "prepare", lambda p: (dict(p, as_of="2026-09", cache=str(cache)), data, cache)
    )
    calls = []

    def counting_render_one(job):
        calls.append(job["params"]["region"])
        return render_one(job)

    monkeypatch.setattr(rd, "render_one", counting_render_one)
    args = argparse.Namespace(
        plan="pingyang-2025-2027", region="pingyang", as_of="2026-09", format="html",
        lang="zh", scenario="", sims=1000, seed=0, force=False,
    )  # fmt: skip
    assert rd.run(args) == 0 and len(calls) == 1
    assert rd.run(args) == 0 and len(calls) == 1  # up to date: nothing rendered
    args.force = True
    assert rd.run(args) == 0 and len(calls) == 2
    args.force = False
    (tmp_path / "reports" / "2026-09" / "pingyang-2025-2027" / "pingyang.html").unlink()
    assert rd.run(args) == 0 and len(calls) == 3  # an output went missing: rendered again
