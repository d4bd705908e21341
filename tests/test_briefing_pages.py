"""The rendered pages as readers see them, in a real browser: the system's Chromium driven by
Playwright (never a downloaded browser). The county and a township briefing and the index fit a
390 px phone screen; 较上月变化 is there with its changes in 百分点; a scenario briefing shows the
baseline beside the scenario and the index lists it apart; no parameter dump, path or code id
reaches the visible text.

The pages are rendered from a copy of the example project (its plans and illustrative progress)
by `ontrack render`, as a user would: the forecast stage computes the tables (history.csv too)
on this first run.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import copy_example_project

from ontrack.cli import main

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
PHONE = 390
PLAN = "pingyang-2025-2027"

playwright = pytest.importorskip("playwright.sync_api")
pytestmark = [
    pytest.mark.render,
    pytest.mark.skipif(not CHROMIUM.is_file(), reason="no /usr/bin/chromium"),
]

SCENARIO = """\
name: 空间目标下调
description: 2026年新增孵化空间目标由22万㎡下调为20万㎡。
targets:
  - plan: pingyang-2025-2027
    region: pingyang
    indicator: space
    year_start: 2026
    year_end: 2026
    level: baseline
    value: 20
"""


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """Render the county, a township and a scenario briefing (HTML) and the index."""
    project = copy_example_project(tmp_path_factory.mktemp("pages") / "project")
    root = str(project.root)
    (project.scenarios_dir / "space-cut.yml").write_text(SCENARIO, encoding="utf-8")
    scenario = ["--scenario", "data/raw/scenarios/space-cut.yml"]
    for extra in ([], ["--region", "pingyang-kunyang"], scenario):
        rc = main(["--project", root, "render", "--plan", PLAN, "--format", "html", *extra])
        assert rc == 0, extra
    out = {
        "county": next(project.reports.glob(f"*/{PLAN}/pingyang.html")),
        "township": next(project.reports.glob(f"*/{PLAN}/pingyang-kunyang.html")),
        "scenario": next(project.reports.glob(f"*/{PLAN}/pingyang.space-cut.html")),
        "index": project.reports / "index.html",
    }
    return out, project


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def _open(browser, path: Path, width: int):
    page = browser.new_page(viewport={"width": width, "height": 800})
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page


#: every visible element that reaches past the right edge of the screen
_TOO_WIDE = """(w) => {
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    if (r.right > w + 0.5 || r.left < -0.5)
      out.push(el.tagName + '.' + el.className + ' ' + Math.round(r.right));
  }
  return out.slice(0, 10);
}"""


@pytest.mark.parametrize("which", ["county", "township", "index"])
def test_the_page_fits_a_phone_screen(pages, browser, which):
    page = _open(browser, pages[0][which], PHONE)
    try:
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE
        assert page.evaluate(_TOO_WIDE, PHONE) == []
        # the index declares a viewport, so a phone shows it at its own width, not at 40%
        assert page.evaluate(
            "document.querySelector('meta[name=viewport]').getAttribute('content')"
        ).startswith("width=device-width")
    finally:
        page.close()


def test_the_targets_table_keeps_target_done_probability_and_status_on_a_phone(pages, browser):
    page = _open(browser, pages[0]["county"], PHONE)
    try:
        # the first row of the targets table (a forecast target): its cells and their labels
        # each cell of the first row: its column, whether it is on screen, the label drawn above
        # its value (CSS ::before; the header row is hidden on a phone)
        cells = page.evaluate(
            """() => [...document.querySelector('table.targets tbody tr').cells].map(td => {
                 const r = td.getBoundingClientRect();
                 return [td.dataset.label || '', r.width > 0 && r.right <= innerWidth,
                         getComputedStyle(td, '::before').content];
               })"""
        )
        by = {label.split("（")[0]: (on, before) for label, on, before in cells}
        for column in ("目标", "已完成", "完成概率", "状态"):
            assert by[column][0], column  # on screen
        for column in ("目标", "已完成", "完成概率"):
            assert by[column][1].strip('"').startswith(column)  # labelled
        assert page.is_hidden("table.targets thead")
    finally:
        page.close()


def test_change_since_last_month_is_there_in_percentage_points(pages, browser):
    page = _open(browser, pages[0]["county"], 1280)
    try:
        text = page.inner_text("body")
        assert "较上月变化" in text
        assert "与2026年9月的预测相比" in text  # the example's data run to October 2026
        # at least one change, in 百分点, with a reason from the data
        assert re.search(r"[+−]\d+个百分点", text)
        assert re.search(r"本月(新增|无新增)", text)
        assert "完成概率逐月变化" in text and "差距在哪里" in text and "计划全部目标" in text
    finally:
        page.close()


_URL = re.compile(r"https?://\S+")
_SNAKE = re.compile(r"\b[a-z][a-z0-9]*_[a-z0-9_]+\b")
# a folder/file path (letters on both sides of the slash: "2/1" in a note is a fraction), or a
# file name with a code or data extension
_PATH = re.compile(r"[A-Za-z_][\w.-]*/[A-Za-z_][\w.-]*|\.(?:py|md|csv|json|ipynb|ya?ml)\b")
_CODE = ("n_sims", "seed=", "plan=", "region=", "as_of", "git ", "docs/", "ontrack ", "IPYNB",
         "manifest", "UTC", "P(meet)", "negbin", "poisson-gamma", "pingyang-2025-2027",
         "pingyang-kunyang")  # fmt: skip


@pytest.mark.parametrize("which", ["county", "township", "scenario", "index"])
def test_no_code_like_text_reaches_a_reader(pages, browser, which):
    page = _open(browser, pages[0][which], 1280)
    try:
        text = page.inner_text("body")
    finally:
        page.close()
    words = _URL.sub(" ", text)  # the plan's web address is a reader's link, not a path
    assert not _SNAKE.findall(words)
    assert not _PATH.findall(words), _PATH.findall(words)[:5]
    found = [c for c in _CODE if c in words]
    assert found == []


def test_a_scenario_briefing_sets_the_scenario_beside_the_baseline(pages, browser):
    page = _open(browser, pages[0]["scenario"], 1280)
    try:
        text = page.inner_text("body")
        compare = page.inner_text("table.compare")
    finally:
        page.close()
    assert "情景分析" in text.splitlines()[0]  # the title says it is a scenario
    assert "情景“空间目标下调”与基准相比：" in text  # the headline says what it changes
    assert "“新增孵化空间面积”2026年目标由22调整为20" in text  # the override, shown
    assert "基准概率" in compare and "情景概率" in compare and "22 → 20" in compare


def test_the_index_lists_scenarios_apart_and_tucks_audit_links_away(pages, browser):
    page = _open(browser, pages[0]["index"], PHONE)
    try:
        text = page.inner_text("body")
        official = page.locator("table:not(.scenario)").first.inner_text()
        scenario = page.inner_text("table.scenario")
        ipynb = page.locator("a[href$='.ipynb']")
        visible = [ipynb.nth(i).is_visible() for i in range(ipynb.count())]
        page.click("summary")  # the audit records open on request
        opened = [ipynb.nth(i).is_visible() for i in range(ipynb.count())]
    finally:
        page.close()
    assert "情景分析简报" in text and "空间目标下调" in scenario
    assert "空间目标下调" not in official
    assert "网页版" in official and "北京时间" in text
    assert visible and not any(visible) and all(opened)
