"""End-to-end: a briefing rendered by papermill to offline HTML and an A4 PDF in Chinese.

Most tests render the illustrative sample tables (ontrack_evidence.sample) written into a copy
of the example project, so that they do not depend on the other stages; the last ones render
from the built example project's own tables, with files planted in every folder the briefing
reads. They need chromium and fonts-noto-cjk (CI installs them).
"""

from __future__ import annotations

import pickle
import re
import shutil
import time
import unicodedata
from pathlib import Path

import pytest
from conftest import copy_example_project

from ontrack.briefing.params import Request
from ontrack.cli import main
from ontrack.errors import OntrackError
from ontrack.project import open_project
from ontrack.render.export import external_refs, find_browser
from ontrack.render.single import make_job, render_one
from ontrack_evidence.sample import AS_OF, PLAN, SIMS, write_sample

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


def _params(project, region: str = "pingyang", lang: str = "zh") -> Request:
    return Request.check(
        dict(plan=PLAN, region=region, as_of=AS_OF, lang=lang, n_sims=SIMS,
             project=str(project.root)),
        project,
    )  # fmt: skip


def _job(request: Request, formats: tuple[str, ...]):
    return make_job(open_project(request.project), request, formats)


def _sample_project(dest: Path):
    project = copy_example_project(dest)
    write_sample(project)
    return project


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    project = _sample_project(tmp_path_factory.mktemp("sample") / "project")
    t0 = time.perf_counter()
    result = render_one(_job(_params(project), ("html", "pdf")))
    result["wall"] = time.perf_counter() - t0
    return result, project


def _out(rendered, fmt: str) -> Path:
    result, project = rendered
    return project.reports / result["outputs"][fmt]


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
    # the charts inline as SVG (5 indicators), the township table as HTML: nothing to fetch,
    # labels that stay text
    assert html.count("<svg ") >= 5 and '<table class="heat">' in html
    assert "data:image/png" not in html


def test_html_has_the_headline_table_and_demo_marks(rendered):
    html = _out(rendered, "html").read_text(encoding="utf-8")
    # sample: 5 core indicators with a 2026 baseline target for the county
    assert "截至2026年9月，平阳县纳入评估的5项目标（基线）中" in re.sub(r"<[^>]+>", "", html)
    assert '<table class="targets cards">' in html and "新增孵化空间面积" in html
    first_screen = html[html.index("<main>") : html.index('<table class="targets cards">')]
    assert "示例数据" in first_screen
    # the plan's name, 文号 and address from its plan.yml (no provenance sidecar any more)
    assert "平阳县大孵化器集群建设三年行动计划" in html
    assert "平政办〔2025〕49号" in html and "http://www.zjpy.gov.cn/art/2025/7/10/" in html
    assert "目标完成情况" in html
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
    _, project = rendered
    html, pdf = _out(rendered, "html"), _out(rendered, "pdf")
    before = (html.read_bytes(), pdf.read_bytes())
    table = project.processed / "forecast" / AS_OF / f"baseline-n{SIMS}-s0" / "attainment.csv"
    saved = table.read_bytes()
    table.write_bytes(saved.replace(b"green", b"red"))  # no longer the table forecast.json names
    try:
        res = render_one(_job(_params(project), ("html", "pdf")))
    finally:
        table.write_bytes(saved)
    assert res["status"] == "failed"
    assert "checksum" in res["error"]
    failed = project.reports / res["failed_notebook"]
    assert failed.name == "pingyang.failed.ipynb" and failed.is_file()
    assert (html.read_bytes(), pdf.read_bytes()) == before  # untouched
    leftovers = [p.name for p in html.parent.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def test_bad_parameters_are_rejected_before_any_kernel_starts(example_project, monkeypatch, capsys):
    from ontrack.cli import main
    from ontrack.render.engine import Engine

    monkeypatch.setattr(Engine, "start", lambda self: pytest.fail("a kernel was started"))
    rc = main(["render", "--project", str(example_project.root), "--plan",
               "pingyang-2025-2027", "--region", "nowhere", "--as-of", "2026-13"])  # fmt: skip
    err = capsys.readouterr().err
    assert rc == 2
    assert "region" in err and "as_of" in err
    assert "pingyang-kunyang" in err or "pingyang" in err  # choices listed
    assert "Traceback" not in err
    assert not example_project.reports.exists()  # nothing written


def test_english_briefing(tmp_path):
    project = _sample_project(tmp_path / "project")
    res = render_one(_job(_params(project, "pingyang-kunyang", "en"), ("html",)))
    assert res["status"] == "ok", res.get("error")
    html = (project.reports / res["outputs"]["html"]).read_text(encoding="utf-8")
    assert '<html lang="en">' in html
    assert "As of September 2026, of the" in html and "Kunyang" in html
    assert "目标完成情况" not in html


def _fake_prepare(failing=()):
    from ontrack.briefing.data import NOTEBOOK, code_version

    def prepare(request, project):
        if request.plan in failing:
            from ontrack.errors import InputError

            raise InputError("progress.csv", "no progress rows for the plan's regions")
        request = request.but(as_of=AS_OF, scenario="", n_sims=SIMS)
        info = {"inputs": {"sample": "0"}, "code": code_version(project.notebook(NOTEBOOK))}
        return request, info

    return prepare


def test_render_all_in_parallel_skips_unchanged_and_survives_a_failure(tmp_path, monkeypatch):
    """Two workers; a region that fails does not stop the others; a rerun skips the good ones."""
    import json

    import ontrack.render.batch as ra

    project = _sample_project(tmp_path / "project")
    regions = ["pingyang", "pingyang-kunyang", "pingyang-nowhere"]  # the last has no targets
    monkeypatch.setattr(ra, "plan_regions", lambda plan, *a: regions)
    monkeypatch.setattr(ra, "prepare", _fake_prepare())
    res = ra.render_all(
        project, as_of=AS_OF, plans=[PLAN], jobs=2, formats=("html",), progress=False
    )
    status = {r["region"]: r["status"] for r in res}
    assert status == {"pingyang": "ok", "pingyang-kunyang": "ok", "pingyang-nowhere": "failed"}
    out = project.reports / AS_OF / PLAN
    assert (out / "pingyang.html").is_file() and (out / "pingyang-kunyang.ipynb").is_file()
    assert (out / "pingyang-nowhere.failed.ipynb").is_file()
    manifest = json.loads((project.reports / AS_OF / "manifest.json").read_text(encoding="utf-8"))
    entry = manifest["plans"][PLAN]["regions"]["pingyang"]
    assert entry["status"] == "ok" and entry["key"] and entry["seconds"]["total"] > 0
    index = (project.reports / "index.html").read_text(encoding="utf-8")
    assert f"{AS_OF}/{PLAN}/pingyang.html" in index and "失败" in index
    res2 = ra.render_all(
        project, as_of=AS_OF, plans=[PLAN], jobs=2, formats=("html",), progress=False
    )
    status2 = {r["region"]: r["status"] for r in res2}
    assert status2["pingyang"] == "skipped" and status2["pingyang-kunyang"] == "skipped"
    assert status2["pingyang-nowhere"] == "failed"  # a failure is retried


def test_render_all_records_a_plan_that_fails_before_any_region(tmp_path, monkeypatch):
    """A plan whose inputs fail (here: no progress) is in the manifest and the index, under the
    month the other plans resolved 'latest' to; a later run where it works clears the mark."""
    import json

    import ontrack.render.batch as ra

    project = _sample_project(tmp_path / "project")
    regions = {PLAN: ["pingyang"], "lucheng-2025-2027": ["lucheng"]}
    monkeypatch.setattr(ra, "plan_regions", lambda plan, *a: regions[plan])
    broken = {"lucheng-2025-2027"}
    monkeypatch.setattr(ra, "prepare", lambda p, proj: _fake_prepare(broken)(p, proj))
    plans = [PLAN, "lucheng-2025-2027"]
    res = ra.render_all(
        project, as_of="latest", plans=plans, jobs=1, formats=("html",), progress=False
    )
    assert {(r["region"], r["status"]) for r in res} == {("pingyang", "ok"), ("lucheng", "failed")}
    mpath = project.reports / AS_OF / "manifest.json"  # 'latest' of pingyang = 2026-09
    lu = json.loads(mpath.read_text(encoding="utf-8"))["plans"]["lucheng-2025-2027"]
    assert lu["status"] == "failed" and "no progress rows" in lu["error"] and lu["failed_at"]
    assert lu["regions"] == {}  # no region got as far as rendering
    index = (project.reports / "index.html").read_text(encoding="utf-8")
    lu_part = index[index.index("鹿城区大孵化器") :]  # the plan's name from its plan.yml
    assert "整个计划生成失败" in lu_part and "no progress rows" in lu_part
    assert f"{AS_OF}/{PLAN}/pingyang.html" in index

    broken.clear()  # the progress arrives: the plan-level failure is no longer shown
    ra.render_all(project, as_of="latest", plans=plans, jobs=1, formats=("html",), progress=False)
    lu = json.loads(mpath.read_text(encoding="utf-8"))["plans"]["lucheng-2025-2027"]
    assert "error" not in lu and lu.get("status") != "failed"
    assert "整个计划生成失败" not in (project.reports / "index.html").read_text(encoding="utf-8")


def test_render_all_refuses_unknown_plans_in_one_line(example_project, capsys):
    rc = main(["--project", str(example_project.root), "render-all", "--plans", "nope", "x-1"])
    err = capsys.readouterr().err
    assert rc == 2
    assert "unknown plan(s) nope, x-1" in err and "pingyang-2025-2027" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_render_skips_an_unchanged_briefing_unless_forced(tmp_path, monkeypatch):
    """`make briefing` twice: the second run finds the same inputs, parameters and code in the
    manifest and the outputs in place, so it renders nothing; --force renders again, and a
    deleted output is rendered again."""
    import ontrack.render.single as rd

    project = _sample_project(tmp_path / "project")
    calls = []

    def counting_render_one(job, engine=None):
        calls.append(job.request.region)
        return render_one(job, engine)

    monkeypatch.setattr(rd, "render_one", counting_render_one)
    args = ["--project", str(project.root), "render", "--format", "html", "--as-of", AS_OF]
    args += ["--sims", str(SIMS)]
    assert main(args) == 0 and calls == ["pingyang"]  # the plan's region by default
    assert main(args) == 0 and len(calls) == 1  # up to date: nothing rendered
    assert main([*args, "--force"]) == 0 and len(calls) == 2
    (project.reports / AS_OF / PLAN / "pingyang.html").unlink()
    assert main(args) == 0 and len(calls) == 3  # an output went missing: rendered again


def test_a_fresh_example_project_renders_at_once(tmp_path, capsys):
    """`ontrack init x --example && cd x && ontrack render`: the targets and progress tables are
    built from data/raw where missing (as `ontrack targets` and `ontrack ingest` would), then the
    forecast tables, then the briefing of the project's first plan and its region."""
    from ontrack.init import init_project

    root = init_project(tmp_path / "x", example=True)
    capsys.readouterr()
    assert main(["--project", str(root), "render", "--format", "html"]) == 0
    out = capsys.readouterr().out
    assert "built data/processed/targets.csv" in out and "built data/processed/progress.csv" in out
    project = open_project(root)
    html = next((project.reports).glob("*/pingyang-2025-2027/pingyang.html"))
    assert "平阳县大孵化器集群建设目标进展简报" in html.read_text(encoding="utf-8")
    assert list(project.processed.glob("forecast/*/baseline/forecast.json"))


# ------------------------------------------------------------------ from the project's tables


class Payload:
    """Unpickling this runs code: it writes the marker file (the test fails if it exists)."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return (exec, (f"open({self.marker!r}, 'w').write('code ran')",))


@pytest.fixture(scope="module")
def planted(built_project, tmp_path_factory):
    """A writable copy of the built example project with a malicious pickle (and .py files) in
    every folder the briefing reads, rendered with the defaults (`ontrack render --format
    html`); returns (project, marker, render exit code)."""
    root = tmp_path_factory.mktemp("planted") / "project"
    shutil.copytree(built_project.root, root)
    project = open_project(root)
    marker = root.parent / "MARKER-code-ran"
    blob = pickle.dumps(Payload(marker))
    # the payload is live: loading it elsewhere writes its marker
    probe = root.parent / "probe"
    pickle.loads(pickle.dumps(Payload(probe)))
    assert probe.is_file()
    progress = project.progress_csv.read_text(encoding="utf-8-sig")
    as_of = max(re.findall(r"\b(20\d\d-\d\d)\b", progress))  # the data's last month: 2026-10
    folders = [
        project.root,
        project.processed,
        project.processed / "cache",
        project.processed / "forecast",
        project.processed / "forecast" / as_of,
        project.processed / "forecast" / as_of / "baseline",
    ]
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "planted.pkl").write_bytes(blob)
        (folder / "sitecustomize.py").write_text(f"open({str(marker)!r}, 'w')\n")
    # the names the old run cache would have used
    (project.processed / "cache" / f"briefing-{PLAN}-0123456789abcdef.pkl").write_bytes(blob)
    (project.processed / "forecast" / as_of / "baseline" / "forecast.pkl").write_bytes(blob)
    rc = main(["--project", str(root), "render", "--format", "html"])
    return project, marker, rc, as_of


def test_rendering_runs_no_code_planted_in_the_data_folders(planted):
    project, marker, rc, as_of = planted
    assert rc == 0
    assert (project.reports / as_of / PLAN / "pingyang.html").is_file()
    assert not marker.exists(), "code planted in a data folder ran"


def test_papermill_cannot_hand_the_notebook_a_pickle(planted, tmp_path):
    import papermill as pm

    project, marker, _, as_of = planted
    nb = project.notebook("04_briefing.ipynb")
    assert "cache" not in pm.inspect_notebook(str(nb))  # no parameter takes a file to load
    out = tmp_path / "out.ipynb"
    pm.execute_notebook(
        str(nb), str(out), parameters=dict(cache=str(project.processed / "planted.pkl"),
        project=str(project.root), as_of=as_of), kernel_name="python3", progress_bar=False,
        cwd=str(project.root),
    )  # fmt: skip
    assert out.is_file() and not marker.exists()


def test_the_default_briefing_shows_the_numbers_of_ontrack_forecast(planted, tmp_path):
    from html import unescape

    from ontrack.briefing.fmt import fmt_pct
    from ontrack.fileio import read_csv

    project, _, _, as_of = planted
    out = project.processed / "cli"  # commands write inside their project only
    assert (
        main(["--project", str(project.root), "forecast", "--as-of", "latest", "--out", str(out)])
        == 0
    )
    cli = read_csv(out / "attainment.csv", dtype={"as_of": str})
    cli = cli[cli["plan_id"] == PLAN]
    assert set(cli["as_of"]) == {as_of}
    # the tables the briefing read are those numbers, exactly
    brief = read_csv(
        project.processed / "forecast" / as_of / "baseline" / "attainment.csv", dtype={"as_of": str}
    )
    brief = brief[brief["plan_id"] == PLAN].reset_index(drop=True)
    for col in ("p_meet", "proj_p10", "proj_p50", "proj_p90", "actual_to_date", "target"):
        assert brief[col].tolist() == cli[col].tolist(), col
    # and the page shows them: the county's probabilities of the as-of year, as formatted
    html = (project.reports / as_of / PLAN / "pingyang.html").read_text(encoding="utf-8")
    table = html[html.index('<table class="targets cards">') :]
    table = table[: table.index("</table>")]
    y = int(as_of[:4])
    rows = cli[
        (cli["region_id"] == "pingyang")
        & (cli["year_start"] <= y)
        & (cli["year_end"] >= y)
        & (cli["target"] != 0)
    ]
    shown = [unescape(x) for x in re.findall(r'data-fact="p_meet"[^>]*>([^<]*)<', table)]
    assert sorted(shown) == sorted(fmt_pct(p, prob=True) for p in rows["p_meet"])
    # every target of the county is listed, those without progress saying so
    assert "尚无进度数据" in table and "转化科研成果" in table
