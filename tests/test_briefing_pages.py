"""The rendered pages as readers see them, in a real browser: the system's Chromium driven by
Playwright (never a downloaded browser). The county and a township briefing and the index fit a
390 px phone screen; 较上月变化 is there with its changes in 百分点; a scenario briefing shows the
baseline beside the scenario and the index lists it apart; no parameter dump, path or code id
reaches the visible text.

A page cannot contradict itself: every figure the county, a township, the English and a scenario
briefing mark (``data-key`` / ``data-fact``) is read back from the page and compared with the
page's facts table (``Briefing.facts()``), no probability or share is printed outside such a
mark, the top figures and the index name the targets the facts name, the reasons of 较上月变化
point the way the probability moved, every probability of a scenario briefing says whether it is
the scenario's (情景) or the baseline's (基准), and no text, chart labels included, is under 11 px
on a 390 px screen.

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
description: 2026年新增孵化空间目标由22万㎡下调为20万㎡，在孵企业目标由200个下调为180个。
targets:
  - plan: pingyang-2025-2027
    region: pingyang
    indicator: space
    year_start: 2026
    year_end: 2026
    level: baseline
    value: 20
  - plan: pingyang-2025-2027
    region: pingyang
    indicator: firms
    year_start: 2026
    year_end: 2026
    level: baseline
    value: 180
"""


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """Render the county, a township and a scenario briefing (HTML) and the index."""
    project = copy_example_project(tmp_path_factory.mktemp("pages") / "project")
    root = str(project.root)
    (project.scenarios_dir / "space-cut.yml").write_text(SCENARIO, encoding="utf-8")
    scenario = ["--scenario", "data/raw/scenarios/space-cut.yml"]
    for extra in ([], ["--region", "pingyang-kunyang"], ["--lang", "en"], scenario):
        rc = main(["--project", root, "render", "--plan", PLAN, "--format", "html", *extra])
        assert rc == 0, extra
    out = {
        "county": next(project.reports.glob(f"*/{PLAN}/pingyang.html")),
        "township": next(project.reports.glob(f"*/{PLAN}/pingyang-kunyang.html")),
        "english": next(project.reports.glob(f"*/{PLAN}/pingyang.en.html")),
        "scenario": next(project.reports.glob(f"*/{PLAN}/pingyang.space-cut.html")),
        "index": project.reports / "index.html",
    }
    return out, project


#: the briefing parameters of each page
BRIEFINGS = {
    "county": {"region": "pingyang"},
    "township": {"region": "pingyang-kunyang"},
    "english": {"region": "pingyang", "lang": "en"},
    "scenario": {"region": "pingyang", "scenario": "data/raw/scenarios/space-cut.yml"},
}


@pytest.fixture(scope="module")
def facts(pages):
    """Each page's facts table, from the same forecast tables the render read."""
    from ontrack.briefing.report import open_briefing

    project = pages[1]
    return {
        which: open_briefing(PLAN, project=str(project.root), **kw).facts()
        for which, kw in BRIEFINGS.items()
    }


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


@pytest.mark.parametrize("which", ["county", "township", "english", "scenario", "index"])
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


# ---------------------------------------------------------------------------- facts
#: every marked figure: its key (its own, else its figure's), its fact and the text it shows
_MARKS = """() => [...document.querySelectorAll('[data-fact]')].map(e => [
    e.dataset.key || e.closest('[data-key]').dataset.key, e.dataset.fact, e.textContent])"""

#: a probability or a share (12%, <1%, >99%) printed in a text node outside any mark, in the
#: parts of the page that state figures (headers, notes and the charts' own axes aside)
_UNMARKED = r"""() => {
  const out = [];
  const roots = document.querySelectorAll(
    '.cover, table.targets tbody, table.changes tbody, table.compare tbody, table.heat tbody, ' +
    'table.overview tbody, table.verdicts tbody, .slip');
  for (const root of roots) {
    const walk = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    let n;
    while ((n = walk.nextNode())) {
      const el = n.parentElement;
      if (el.closest('[data-fact]') || el.closest('.note')) continue;
      const m = n.textContent.match(/[<>]?\d[\d,.]*%/g);
      if (m) out.push(m.join(' ') + ' in: ' + n.textContent.slice(0, 50));
    }
  }
  return out;
}"""


@pytest.mark.parametrize("which", ["county", "township", "english", "scenario"])
def test_every_figure_on_the_page_agrees_with_the_facts_table(pages, facts, browser, which):
    from ontrack.briefing.facts import lookup

    page = _open(browser, pages[0][which], 1280)
    try:
        marks = page.evaluate(_MARKS)
        unmarked = page.evaluate(_UNMARKED)
        text = page.inner_text("body")
    finally:
        page.close()
    known = lookup(facts[which])
    wrong = [
        (k, f, shown, known.get((k, f))) for k, f, shown in marks if known.get((k, f)) != shown
    ]
    assert wrong == []
    # the marks cover the page: the headline, the top strip, the tables, the township table
    fields = {f for _, f, _ in marks}
    assert {"p_meet", "target", "actual", "needed", "rag", "n_assessed", "n_risk"} <= fields
    assert len(marks) >= 100, len(marks)
    assert unmarked == []
    assert not re.search("[\ue000-\ue002]", text)  # no mark left unconverted


def test_a_wrong_figure_would_be_caught(pages, facts, browser):
    """The comparison can fail: the county page checked against the township's facts."""
    from ontrack.briefing.facts import lookup

    page = _open(browser, pages[0]["county"], 1280)
    try:
        marks = page.evaluate(_MARKS)
    finally:
        page.close()
    other = lookup(facts["township"])
    assert any(other.get((k, f)) != shown for k, f, shown in marks)


@pytest.mark.parametrize("which", ["county", "english", "scenario"])
def test_the_top_figures_and_the_charts_name_the_targets_the_facts_name(
    pages, facts, browser, which
):
    from ontrack.briefing.facts import lookup

    page = _open(browser, pages[0][which], 1280)
    try:
        kpi_keys = page.evaluate(
            "() => [...document.querySelectorAll('.kpi[data-key]')].map(k => k.dataset.key)"
        )
        charts = page.evaluate(
            """() => [...document.querySelectorAll('.charts figure[data-key]')].map(f => [
                 f.dataset.key, [...f.querySelectorAll('svg text')].map(t => t.textContent)
                 .join(' ')])"""
        )
    finally:
        page.close()
    known = lookup(facts[which])
    page_key = "pingyang|page"
    # the strip shows the target most at risk and the one that moved most, as the facts say
    assert kpi_keys == [known[(page_key, "worst")], known[(page_key, "moved")]]
    # each indicator chart's title states its target's probability as the facts do
    assert len(charts) >= 4
    for key, svg_text in charts:
        said = re.search(r"(?:完成概率|probability) ([<>]?\d+%)", svg_text)
        assert said and said.group(1) == known[(key, "p_meet")], (key, svg_text[:80])


@pytest.mark.parametrize("which", ["county", "township", "english"])
def test_the_reasons_point_the_way_the_probability_moved(pages, facts, browser, which):
    """较上月变化: where the month's pace (快于/慢于 last month's forecast) points against the
    probability's change, the reason says what moved it the other way (概率仍上升/下降)."""
    page = _open(browser, pages[0][which], 1280)
    try:
        rows = page.evaluate(
            """() => [...document.querySelectorAll('table.changes tbody tr')].map(tr => [
                 tr.querySelector('[data-fact=change_pp]').textContent,
                 (tr.querySelector('[data-fact=pace_dir]') || {}).textContent || '',
                 tr.cells[tr.cells.length - 1].textContent])"""
        )
    finally:
        page.close()
    assert rows
    zh = which != "english"
    faster, slower = ("快于", "慢于") if zh else ("more than", "less than")
    rose, fell = ("概率仍上升", "概率仍下降") if zh else ("rose all the same", "fell all the same")
    for change, pace, why in rows:
        up, down = change.startswith("+"), change.startswith("−")
        if (pace == faster and down) or (pace == slower and up):
            assert (fell if down else rose) in why, (change, why)
        else:
            assert rose not in why and fell not in why, (change, why)


def test_every_probability_of_a_scenario_briefing_says_whose_it_is(pages, browser):
    """情景 or 基准 beside every probability (and change of one) of a scenario briefing: in its
    column's header, its figure's title, its box's tag or its own sentence."""
    page = _open(browser, pages[0]["scenario"], 1280)
    try:
        labelled = page.evaluate(
            """() => [...document.querySelectorAll('[data-fact]')]
              .filter(e => ['p_meet', 'p_base', 'p_prev', 'p_now', 'change_pp', 'change',
                            'scen_pp'].includes(e.dataset.fact))
              .map(e => {
                const td = e.closest('td');
                let where = '';
                if (td) {
                  const table = td.closest('table');
                  const th = table.tHead ? table.tHead.rows[0].cells[td.cellIndex] : null;
                  where = (th ? th.textContent : '') + ' ' + td.textContent + ' ' +
                          (table.closest('figure') ? table.closest('figure').textContent : '');
                } else {
                  const box = e.closest('.kpi, p, li, figure');
                  where = box ? box.textContent : '';
                  if (box && box.tagName === 'LI') where += box.closest('.slip').textContent;
                }
                return [e.dataset.fact, e.textContent, where];
              })"""
        )
    finally:
        page.close()
    assert len(labelled) >= 20
    for field, shown, where in labelled:
        if field == "p_meet":
            assert "情景" in where, (field, shown, where[:80])
        elif field == "scen_pp":
            assert "情景" in where and "基准" in where, (field, shown, where[:80])
        else:
            assert "基准" in where, (field, shown, where[:80])


#: every element with text of its own that is visible, and its size in CSS px on the screen
#: (an SVG text scaled by its drawing's transform)
_SIZES = """() => {
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    const svgText = el.tagName.toLowerCase() === 'text';
    if (el.closest('svg') && !svgText) continue;
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    const r = el.getBoundingClientRect();
    if (!own || r.width === 0 || r.height === 0) continue;
    let px = parseFloat(getComputedStyle(el).fontSize);
    if (svgText) { const m = el.getScreenCTM(); px *= Math.hypot(m.a, m.b); }
    out.push([el.tagName, el.textContent.trim().slice(0, 30), Math.round(px * 10) / 10]);
  }
  return out;
}"""


@pytest.mark.parametrize("which", ["county", "township", "english", "scenario", "index"])
def test_no_text_is_under_11_px_on_a_phone(pages, browser, which):
    page = _open(browser, pages[0][which], PHONE)
    try:
        sizes = page.evaluate(_SIZES)
    finally:
        page.close()
    small = [s for s in sizes if s[2] < 11]
    assert small == [], small[:10]
    if which != "index":  # the charts are there and were measured
        assert sum(1 for tag, _, _ in sizes if tag == "text") >= 30


def test_long_reference_sections_fold_on_a_phone_and_open_in_print(pages, browser):
    page = _open(browser, pages[0]["county"], PHONE)
    try:
        bodies = page.locator(".fold-body")
        assert bodies.count() >= 2
        assert not any(bodies.nth(i).is_visible() for i in range(bodies.count()))
        page.locator(".fold-label").first.click()  # a tap opens it
        assert bodies.first.is_visible()
        page.emulate_media(media="print")  # printed from a phone: everything there
        assert all(bodies.nth(i).is_visible() for i in range(bodies.count()))
    finally:
        page.close()
    wide = _open(browser, pages[0]["county"], 1280)
    try:
        bodies = wide.locator(".fold-body")
        assert all(bodies.nth(i).is_visible() for i in range(bodies.count()))
        assert not wide.locator(".fold-label").first.is_visible()
    finally:
        wide.close()


def test_the_index_shows_each_regions_targets_by_status_as_the_facts_count_them(
    pages, facts, browser
):
    from ontrack.briefing.facts import lookup

    page = _open(browser, pages[0]["index"], 1280)
    try:
        row = page.evaluate(
            """() => { const a = [...document.querySelectorAll('a')].find(
                         a => a.getAttribute('href').endsWith('/pingyang.html'));
                       return a.closest('tr').textContent; }"""
        )
    finally:
        page.close()
    # rendered after the county's, the scenario (whose figures differ) left the row alone
    known = lookup(facts["county"])
    scen = lookup(facts["scenario"])
    assert any(
        known[("pingyang|page", f)] != scen[("pingyang|page", f)] for f in ("n_green", "n_red")
    )
    for word, field in (("绿", "n_green"), ("黄", "n_amber"), ("红", "n_red")):
        assert f"{word} {known[('pingyang|page', field)]}" in row, (word, row)
    worst = known[("pingyang|page", "worst")]
    assert f"完成概率 {known[(worst, 'p_meet')]}" in row, row


@pytest.mark.parametrize("which", ["county", "township", "english", "scenario"])
def test_every_image_and_chart_has_a_text_alternative(pages, browser, which):
    """The pages are exported without nbconvert's closing pass that gives an <img> without alt
    a placeholder (render.export): the briefing must give every one its own."""
    page = _open(browser, pages[0][which], 1280)
    try:
        missing = page.evaluate(
            """() => [
              ...document.querySelectorAll('img:not([alt])'),
              ...[...document.querySelectorAll('svg')].filter(
                (s) => !s.parentElement.closest('svg')
                  && !(s.getAttribute('role') === 'img' && s.getAttribute('aria-label'))
                  && s.getAttribute('aria-hidden') !== 'true'),
            ].map((e) => e.outerHTML.slice(0, 80))"""
        )
        charts = page.locator("svg[role=img][aria-label]").count()
    finally:
        page.close()
    assert missing == []
    assert charts >= 2
