"""The scenario lab in a real browser: JupyterLab on 127.0.0.1, the lab notebook driven in the
system's Chromium (Playwright, executable_path=/usr/bin/chromium; no browser is downloaded).

One JupyterLab serves everything (a copy of the example project with its data built): the test
runs the notebook from the Run menu as a researcher would, moves a pace slider, adds and removes
a project, tries an invalid and an implausible amount, overrides a target (the value box follows
the selection), saves, and checks the table, the messages and the saved file; it measures, in the
page, the time from a change (the key press or click) to the new table and the new chart, and
prints it. Then it runs the command the lab shows, from another folder, and compares that
briefing's numbers with a baseline render. The same lab as a page without code (Voilà, served by
the same server) shows its controls and no code.

Latency aims (the issue): table within 0.3 s, chart within 0.8 s after a change, also with target
overrides. Asserted with 3× those bounds (0.9 s, 2.4 s): CI machines vary and this one is shared;
the measurements are printed (pytest -s) and `make bench` times the kernel's part.

Screenshots at 1366×768 and 1440×900 go to $ONTRACK_LAB_SHOTS (default: the test's tmp folder).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, copy_example_project
from playwright.sync_api import expect

from ontrack.launch import JUPYTER_DATA, OFFLINE_MATHJAX

pytestmark = [pytest.mark.slow, pytest.mark.render]

CHROMIUM = "/usr/bin/chromium"
TABLE_AIM, CHART_AIM = 0.3, 0.8  # seconds, the aims
SLACK = 3  # asserted bound = SLACK × aim (shared CI machines); measurements are printed
PLAN, COUNTY, KUNYANG = "pingyang-2025-2027", "pingyang", "pingyang-kunyang"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening_addresses(port: int) -> set[str]:
    """Local addresses with a listening TCP socket on ``port`` (Linux /proc/net/tcp{,6})."""
    found = set()
    for name, width in (("tcp", 8), ("tcp6", 32)):
        path = Path("/proc/net") / name
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            addr, p = local.split(":")
            if state == "0A" and int(p, 16) == port:  # 0A: LISTEN
                if width == 8:
                    found.add(".".join(str(int(addr[i : i + 2], 16)) for i in (6, 4, 2, 0)))
                else:
                    found.add(addr)
    return found


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A copy of the example project with targets and progress built, and the lab notebooks."""
    proj = copy_example_project(tmp_path_factory.mktemp("lab-browser") / "project")
    for step in (["targets"], ["ingest"]):
        done = subprocess.run(
            [sys.executable, "-m", "ontrack", "--project", str(proj.root), *step],
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
    (proj.root / "notebooks").mkdir()
    for name in ("05_scenario_lab.ipynb", "05_scenario_lab_app.ipynb"):
        (proj.root / "notebooks" / name).write_bytes((ROOT / "notebooks" / name).read_bytes())
    return proj


@pytest.fixture(scope="module")
def server(project, tmp_path_factory):
    """JupyterLab on 127.0.0.1 (as `make lab` starts it); yields (base url, token)."""
    home = tmp_path_factory.mktemp("jupyter")
    settings = home / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    # no "get notified about Jupyter news?" toast over the lab in the screenshots
    (settings / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false"}))
    env = {k: v for k, v in os.environ.items() if k != "ONTRACK_PROJECT"}
    env.update(
        JUPYTER_PATH=str(JUPYTER_DATA),  # the suite's offline Voilà template, as `make lab` has it
        JUPYTER_CONFIG_DIR=str(home / "config"),
        JUPYTER_RUNTIME_DIR=str(home / "runtime"),
        JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"),
        JUPYTERLAB_SETTINGS_DIR=str(home / "settings"),
    )
    port = _free_port()
    cmd = [str(Path(sys.executable).with_name("jupyter")), "lab", "--ip=127.0.0.1"]
    cmd += [f"--port={port}", "--port-retries=0", "--no-browser"]
    cmd += [f"--ServerApp.root_dir={project.root}", "--VoilaConfiguration.template=ontrack"]
    cmd += [OFFLINE_MATHJAX]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    log = home / "server.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        url = None
        deadline = time.monotonic() + 120
        while url is None and time.monotonic() < deadline and proc.poll() is None:
            # the address with its token, as JupyterLab prints it
            m = re.search(r"http://127\.0\.0\.1:(\d+)/lab\?token=(\w+)", log.read_text())
            url = m and (f"http://127.0.0.1:{m.group(1)}", m.group(2))
            time.sleep(0.2)
        assert url, log.read_text()[-3000:]
        # it listens on this machine only
        assert _listening_addresses(port) <= {"127.0.0.1"}, _listening_addresses(port)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=30_000)

    args = ["--disable-background-networking", "--disable-component-update", "--no-first-run"]
    args.append("--disable-sync")
    if os.geteuid() == 0:
        args.append("--no-sandbox")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=args)
        yield b
        b.close()


@pytest.fixture
def shots(tmp_path) -> Path:
    out = Path(os.environ.get("ONTRACK_LAB_SHOTS") or tmp_path / "shots")
    out.mkdir(parents=True, exist_ok=True)
    return out


# ----------------------------------------------------------------------------- the page


# Records, in the page, when a change starts (the key press or click) and when the new table
# (its data-version goes up) and the new chart (its image source changes) are in the page.
_PROBE = """() => {
  const ui = document.querySelector('.otl-ui');
  window.__otl = {armed: false};
  const start = () => {
    const o = window.__otl;
    if (o.armed && o.t0 === null) o.t0 = performance.now();
  };
  document.addEventListener('keydown', start, true);
  document.addEventListener('click', start, true);
  new MutationObserver(() => {
    const o = window.__otl;
    if (!o.armed || o.t0 === null) return;
    const t = ui.querySelector('.otl-right table.otl-table');
    if (o.table === null && t && +t.dataset.version > o.v0) {
      o.table = -1; requestAnimationFrame(() => { o.table = performance.now(); });
    }
    const img = ui.querySelector('.otl-right img');
    if (o.chart === null && img && img.src !== o.src0) {
      o.chart = -1; requestAnimationFrame(() => { o.chart = performance.now(); });
    }
  }).observe(ui, {subtree: true, childList: true, attributes: true,
                  attributeFilter: ['src', 'data-version']});
}"""

_ARM = """() => {
  const ui = document.querySelector('.otl-ui');
  const t = ui.querySelector('.otl-right table.otl-table');
  window.__otl = {armed: true, t0: null, table: null, chart: null,
                  v0: +t.dataset.version, src0: ui.querySelector('.otl-right img').src};
}"""


class Lab:
    """The lab's widgets in the page, found by what a person reads on them."""

    def __init__(self, page, shots: Path) -> None:
        self.page = page
        self.shots = shots
        self.timings: list[tuple[str, float, float | None]] = []

    def tab(self, title: str) -> None:
        self.page.locator(".otl-left .lm-TabBar-tab", has_text=title).click()

    def _control(self, kind: str, label: str):
        return (
            self.page.locator(f".otl-left .{kind}:visible")
            .filter(has=self.page.locator(".widget-label", has_text=re.compile(f"^{label}$")))
            .first
        )

    def select(self, label: str, option_label: str) -> None:
        self._control("widget-dropdown", label).locator("select").select_option(label=option_label)

    def selected(self, label: str) -> str:
        sel = self._control("widget-dropdown", label).locator("select")
        return sel.evaluate("s => s.options[s.selectedIndex].text")

    def number(self, label: str):
        return self._control("widget-text", label).locator("input")

    def type_number(self, label: str, value: str) -> None:
        box = self.number(label)
        box.fill(value)
        box.press("Enter")

    def text(self, label: str, value: str) -> None:
        box = self._control("widget-text", label).locator("input")
        box.fill(value)
        box.press("Enter")

    def button(self, text: str):
        return self.page.locator(".otl-left button:visible", has_text=text).first

    def msg(self, kind: str = ""):
        """The message under the controls of the tab in view (``kind``: error, ask, ok)."""
        return self.page.locator(f".otl-left .otl-msg{'-' + kind if kind else ''}:visible")

    def table(self):
        return self.page.locator(".otl-right table.otl-table")

    def version(self) -> int:
        return int(self.table().get_attribute("data-version"))

    def wait_version(self, v: int) -> None:
        self.page.wait_for_function(
            "v => +document.querySelector('.otl-right table.otl-table').dataset.version >= v",
            arg=v,
            timeout=60_000,
        )

    def settle(self, quiet: float = 1.0) -> None:
        """Wait until the kernel has sent everything (the table's version stays put)."""
        v, since = self.version(), time.monotonic()
        while time.monotonic() - since < quiet:
            self.page.wait_for_timeout(100)
            if self.version() != v:
                v, since = self.version(), time.monotonic()

    def timed(self, what: str, action, chart: bool = True) -> None:
        """Do ``action`` (one key press or click) and measure, in the page, the time to the new
        table and (``chart``) the new chart."""
        self.settle()
        v = self.version()
        self.page.evaluate(_ARM)
        action()
        try:
            self.wait_version(v + 1)
            self.page.wait_for_function("() => window.__otl.table > 0", timeout=60_000)
            if chart:
                self.page.wait_for_function("() => window.__otl.chart > 0", timeout=60_000)
        except Exception:
            self.page.screenshot(path=str(self.shots / f"failed-{what}.png"))
            print(self.page.evaluate("() => window.__otl"))
            raise
        o = self.page.evaluate("() => window.__otl")
        table = (o["table"] - o["t0"]) / 1000
        chart_s = (o["chart"] - o["t0"]) / 1000 if chart else None
        self.timings.append((what, table, chart_s))
        shown = f"{chart_s:.3f} s" if chart_s is not None else "unchanged"
        print(f"latency in the page, {what}: table {table:.3f} s, chart {shown}")

    def rows(self, changed: bool = False) -> dict[str, list[str]]:
        """The table's rows by their target key: their cells' texts."""
        sel = ".otl-right tr.chg[data-key]" if changed else ".otl-right tr[data-key]"
        return self.page.eval_on_selector_all(
            sel,
            "rs => Object.fromEntries(rs.map(r => [r.dataset.key, "
            "[...r.cells].map(c => c.innerText.trim())]))",
        )


def _open_lab(page, base: str, token: str, shots: Path) -> Lab:
    page.goto(f"{base}/lab/tree/notebooks/05_scenario_lab.ipynb?token={token}")
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=120_000)
    # the kernel is up (the status bar says Idle): Run All Cells before that runs nothing
    page.wait_for_selector(".jp-StatusBar-TextItem:has-text('Idle')", timeout=120_000)
    page.get_by_role("menuitem", name="Run").click()
    page.get_by_text("Run All Cells", exact=True).click()
    page.wait_for_selector(".otl-ui .otl-right table.otl-table", timeout=180_000)
    page.wait_for_selector(".otl-ui .otl-right img[src]", timeout=60_000)
    page.evaluate("document.querySelector('.otl-ui').scrollIntoView({block: 'start'})")
    page.evaluate(_PROBE)
    return Lab(page, shots)


def _shot(page, path: Path, width: int, height: int) -> None:
    page.set_viewport_size({"width": width, "height": height})
    page.evaluate("document.querySelector('.otl-ui').scrollIntoView({block: 'start'})")
    page.wait_for_timeout(300)
    page.screenshot(path=str(path))
    print(f"screenshot {path}")


def test_the_lab_in_jupyterlab_in_chromium(server, browser, project, shots, tmp_path):
    from ontrack.forecast.scenario import load_scenario

    base, token = server
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    lab = _open_lab(page, base, token, shots)
    reg = project.registry()

    # the page opens on the baseline: nothing changed, no changed row
    assert "情景为空" in page.locator(".otl-right .otl-summary").inner_text()
    assert lab.rows(changed=True) == {}
    # the table speaks the briefing's words: no code names, units in the group titles
    head = page.locator(".otl-right table.otl-table thead").inner_text()
    assert "完成概率" in head and "状态" in head and "Δ" in head and "p_meet" not in head
    assert "万平方米" in page.locator(".otl-right table.otl-table").inner_text()
    _shot(page, shots / "lab-1366-baseline.png", 1366, 768)

    # --- a pace slider: 昆阳镇, all indicators, from the first open month -----------------------
    lab.tab("节奏")
    lab.select("地区", reg.region_name(KUNYANG))
    lab.select("指标", "全部指标")
    handle = page.locator(".otl-left .widget-slider:visible .noUi-handle").first
    handle.focus()
    for _ in range(9):  # 1.00 → 1.45, one step (0.05) a key press
        handle.press("ArrowRight")
    # (quick presses are merged into fewer messages by the widgets: wait for the kernel's rule)
    rules = page.locator(".otl-left .widget-select:visible select").first
    expect(rules).to_contain_text("×1.45", timeout=60_000)
    lab.timed("pace slider", lambda: handle.press("ArrowRight"))  # → 1.50
    readout = page.locator(".otl-left .widget-slider:visible .widget-readout").first
    assert readout.inner_text().strip() == "1.50"
    # the rule is listed; the county's rows move (a township's pace reaches the county's total)
    expect(rules).to_contain_text("昆阳 · 全部指标 · 自2026-11 ×1.50")
    changed = lab.rows(changed=True)
    assert changed and all(k.startswith(f"{COUNTY}|") for k in changed)
    assert "情景改变了" in page.locator(".otl-right .otl-summary").inner_text()
    # Δ is shown in percentage points on the changed rows (▲/▼ n, or ±0)
    assert all(re.fullmatch(r"[▲▼]\d+|±0", cells[6]) for cells in changed.values()), changed
    baseline_rows = lab.rows()

    # --- a project: an invalid amount, an implausible one, then a good one; removed again -----
    lab.tab("项目")
    lab.select("地区", reg.region_name(KUNYANG))
    lab.select("指标", reg.indicator_name("space"))
    lab.select("完成月份", "2027-03")
    # the amount's unit is beside it, with the township's yearly target for scale
    # (昆阳镇's 2027 space target in the plan: 5 万㎡)
    expect(page.locator(".otl-left .otl-unit:visible").first).to_have_text("万平方米")
    expect(page.locator(".otl-left .otl-help:visible").nth(1)).to_have_text(
        "对照:昆阳镇2027年目标 5万平方米"
    )
    lab.type_number("数量", "-3")
    lab.button("添加").click()
    expect(lab.msg("error")).to_contain_text("项目数量:须为大于0的数")
    lab.type_number("数量", "25000")  # ㎡ typed into a 万㎡ field
    lab.button("添加").click()
    expect(lab.msg("ask")).to_contain_text("请核对")
    expect(lab.msg("ask")).to_contain_text("若填的是平方米,应为2.5万平方米")
    expect(lab.button("确认")).to_be_visible()
    _shot(page, shots / "lab-1366-asks-again.png", 1366, 768)
    lab.button("取消").click()
    expect(lab.msg()).to_have_count(0)
    projects = page.locator(".otl-left .widget-select:visible select").first
    expect(projects.locator("option")).to_have_count(0)  # nothing was added
    # a building completing in December 2026 (in the chart's year: the chart moves too)
    lab.select("完成月份", "2026-12")
    lab.type_number("数量", "2.5")
    lab.text("名称", "昆阳B栋")
    lab.timed("add a project", lambda: lab.button("添加").click())
    expect(projects.locator("option")).to_have_count(1)
    expect(projects).to_contain_text("昆阳B栋 · 2026-12 · +2.5万平方米")
    expect(lab.msg()).to_have_count(0)
    projects.select_option(index=0)
    lab.timed("remove the project", lambda: lab.button("删除所选").click())
    expect(projects.locator("option")).to_have_count(0)
    lab.settle()
    # removing it gives back the table of the pace change alone
    assert lab.rows() == baseline_rows

    # --- a target override: the value box follows the selection ------------------------------
    lab.tab("目标")
    options = page.locator(".otl-left .widget-dropdown:visible select").first
    texts = options.locator("option").all_inner_texts()
    assert texts and not any("2025年" in t for t in texts), "closed years are not offered"
    space_2027 = f"{reg.short_name(COUNTY)} · {reg.indicator_name('space')} · 2027年"
    firms_2026 = f"{reg.short_name(COUNTY)} · {reg.indicator_name('firms')} · 2026年"
    value = lab.number("新目标")
    lab.select("目标", firms_2026)
    expect(value).to_have_value("200")  # the plan: 200 firms in 2026
    lab.select("目标", space_2027)
    expect(value).to_have_value("32")  # the plan: 32 万㎡ in 2027
    expect(page.locator(".otl-left .otl-unit:visible").first).to_have_text("万平方米")
    expect(page.locator(".otl-left .otl-help:visible").nth(1)).to_have_text("计划原目标 32万平方米")
    lab.type_number("新目标", "36")
    # the year 2027 in view: the chart shows the target changed (its 2026 draws may not move)
    year = page.locator(".otl-right .widget-dropdown select").nth(1)
    year.select_option(label="2027年")
    lab.timed("override a target", lambda: lab.button("改目标").click())
    expect(lab.msg()).to_have_count(0)
    lab.select("目标", firms_2026)
    expect(value).to_have_value("200")
    lab.select("目标", space_2027)
    expect(value).to_have_value("36")  # the override, not the plan
    # the table shows the new target beside the plan's
    target_cell = page.locator("tr[data-key='pingyang|space|2027|2027|baseline'] td").nth(1)
    expect(target_cell).to_have_text("32 36")  # <s>32</s> 36
    year.select_option(label="2026年")
    expect(page.locator("tr[data-key='pingyang|firms|2026|2026|baseline']")).to_have_count(1)
    _shot(page, shots / "lab-1366-target.png", 1366, 768)

    # --- "how fast?": an answer in words, for the county's firms this year --------------------
    lab.tab("需多快")
    lab.select("地区", reg.region_name(COUNTY))
    lab.select("指标", reg.indicator_name("firms"))
    lab.select("年度", "2026年")
    lab.button("求解").click()
    expect(lab.msg("ok")).to_contain_text("2026年(目标200个)目前完成概率", timeout=60_000)
    _shot(page, shots / "lab-1366-how-fast.png", 1366, 768)

    # --- latency with an override in place: the slider again ----------------------------------
    lab.tab("节奏")
    handle.focus()
    lab.timed("pace slider, with an override", lambda: handle.press("ArrowLeft"))  # → 1.45
    lab.timed("pace slider, with an override (again)", lambda: handle.press("ArrowRight"))
    _shot(page, shots / "lab-1366-changed.png", 1366, 768)
    _shot(page, shots / "lab-1440-changed.png", 1440, 900)
    assert page.evaluate(_OVERRUN) == []  # the left panel's controls inside its column
    page.set_viewport_size({"width": 1366, "height": 768})

    # --- save: outside the project refused; the default place; the command to render ---------
    lab.tab("保存")
    lab.text("名称", "浏览器测试")
    lab.text("文件", "/nonexistent/dir/x.yml")
    lab.button("保存情景").click()
    expect(lab.msg("error")).to_contain_text("在项目文件夹之外,不予写入")
    assert not Path("/nonexistent").exists()
    lab.text("文件", "")
    lab.button("保存情景").click()
    expect(lab.msg("ok")).to_contain_text("已保存:data/raw/scenarios/浏览器测试.yml")
    command = page.locator(".otl-left .otl-cmd:visible").inner_text().strip()
    _shot(page, shots / "lab-1366-saved.png", 1366, 768)
    saved = project.scenarios_dir / "浏览器测试.yml"
    sc = load_scenario(saved)
    assert sc.name == "浏览器测试" and sc.pipeline == ()
    assert [(p.region, p.indicator, p.factor) for p in sc.pace] == [(KUNYANG, "*", 1.5)]
    assert [(t.region, t.indicator, t.year_start, t.value) for t in sc.targets] == [
        (COUNTY, "space", 2027, 36.0)
    ]
    assert not errors, errors

    # --- latency: within the generous bounds ---------------------------------------------------
    for what, table, chart in lab.timings:
        assert table <= SLACK * TABLE_AIM, (what, table)
        assert chart is None or chart <= SLACK * CHART_AIM, (what, chart)

    # --- the briefing with the saved scenario, by the command the lab showed -----------------
    county_rows = {k: v for k, v in lab.rows(changed=True).items() if "|2026|2026|" in k}
    _briefing_shows_the_scenario(project, command, county_rows, tmp_path)
    page.close()


#: elements of the lab's left panel that reach past its right edge (clipped: a dropdown or a
#: box without its right border)
_OVERRUN = """() => {
  const left = document.querySelector('.otl-left');
  const edge = left.getBoundingClientRect().right + 0.5;
  return [...left.querySelectorAll('*')].filter(el => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.right > edge;
  }).map(el => el.tagName + '.' + String(el.className).slice(0, 40)).slice(0, 5);
}"""


def _render(args: list[str], cwd: Path) -> str:
    """Run an `ontrack` command line (as typed: the command the lab shows) and return the path
    of the HTML it printed."""
    exe = str(Path(sys.executable).with_name("ontrack"))
    done = subprocess.run([exe, *args], cwd=cwd, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    html = [
        ln.split(None, 1)[1] for ln in done.stdout.splitlines() if ln.strip().startswith("html")
    ]
    assert len(html) == 1, done.stdout
    return html[0].strip()


def _numbers(html: str) -> list[str]:
    """The numbers a page shows (text between tags): 1,234 / 56.7 / 89% / <1% …"""
    text = re.sub(r"<style.*?</style>|<script.*?</script>", " ", html, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", text).replace("&lt;", "<").replace("&gt;", ">")
    return re.findall(r"[<>]?\d[\d,]*(?:\.\d+)?%?", text)


def _briefing_shows_the_scenario(project, command: str, page_rows: dict, tmp_path: Path) -> None:
    """The command the lab showed renders the briefing with the scenario, from any folder; its
    numbers differ from a baseline render's where the scenario acts, and are the lab's."""
    from ontrack.briefing.fmt import fmt_num, fmt_pct
    from ontrack.lab import Lab

    args = shlex.split(command)
    # the ontrack that runs the lab: its name when on PATH, else its path (it runs as shown)
    here = Path(sys.executable).with_name("ontrack")
    assert args[0] in ("ontrack", str(here)) and "--scenario" in args
    if args[0] != "ontrack":
        assert Path(args[0]).is_file() and os.access(args[0], os.X_OK)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    html_s = Path(_render(args[1:], elsewhere))
    html_s = html_s if html_s.is_absolute() else project.root / html_s
    i = args.index("--scenario")
    baseline_args = [*args[1:i], *args[i + 2 :], "--format", "html"]
    html_b = Path(_render(baseline_args, elsewhere))
    html_b = html_b if html_b.is_absolute() else project.root / html_b
    assert html_s != html_b
    page_s, page_b = html_s.read_text(encoding="utf-8"), html_b.read_text(encoding="utf-8")
    assert "浏览器测试" in page_s and "浏览器测试" not in page_b
    nums_s, nums_b = _numbers(page_s), _numbers(page_b)

    # the lab on the same project, with the saved file: the numbers the briefing should show
    lab = Lab(PLAN, COUNTY, args[args.index("--as-of") + 1], project=project)
    lab.load(args[i + 1])
    r = lab.results()
    r = r[(r["region_id"] == COUNTY) & (r["year_start"] == 2026) & (r["year_end"] == 2026)]
    differ = 0
    for row in r.itertuples(index=False):
        ps, pb = fmt_pct(row.p_meet_scenario, prob=True), fmt_pct(row.p_meet_baseline, prob=True)
        ms, mb = fmt_num(row.proj_p50_scenario), fmt_num(row.proj_p50_baseline)
        # each render shows its own numbers
        assert ps in nums_s and ms in nums_s, (row.indicator_id, ps, ms)
        assert pb in nums_b and mb in nums_b, (row.indicator_id, pb, mb)
        if (ps, ms) != (pb, mb):
            differ += 1
            # and the page's table showed the same scenario numbers for the row
            cells = page_rows[f"{COUNTY}|{row.indicator_id}|2026|2026|baseline"]
            assert cells[5] == ps and cells[4] == pb and cells[3] == ms, cells
    # 昆阳 at 1.5 × its pace from November moves the county's 2026 projections
    assert differ >= 1


def test_the_lab_as_a_page_without_code(server, browser, shots):
    """The same lab served by Voilà with the suite's template (make lab-app uses it): the
    controls and the table, no code, no traceback, nothing fetched from another address; on a
    390 px phone the controls stack above the table and nothing runs off the screen."""
    base, token = server
    url = f"{base}/voila/render/notebooks/05_scenario_lab_app.ipynb?x=1"
    for width, height in ((1366, 768), (390, 1400)):
        page = browser.new_page(viewport={"width": width, "height": height})
        requests: list[str] = []
        page.on("request", lambda r, requests=requests: requests.append(r.url))
        page.goto(f"{url}&token={token}")
        page.wait_for_selector(".otl-ui .otl-right table.otl-table", timeout=180_000)
        page.wait_for_selector(".otl-ui .otl-right img[src]", timeout=60_000)
        page.screenshot(path=str(shots / f"lab-app-{width}.png"), full_page=True)
        print(f"screenshot {shots / f'lab-app-{width}.png'}")
        text = page.locator("body").inner_text()
        assert "情景实验室" in text and "完成概率" in text
        # no code (the cells' sources are stripped) and no traceback
        for code in ("from ontrack", "app(project", "Traceback"):
            assert code not in text
        assert page.locator(".jp-CodeMirrorEditor:visible, .cm-editor:visible").count() == 0
        # offline: every request went to the server itself (no CDN stylesheet or script)
        elsewhere = [u for u in requests if not u.startswith((base, "data:", "blob:"))]
        assert elsewhere == []
        assert page.evaluate(_OVERRUN) == []  # the controls inside the left column
        if width == 390:
            left = page.locator(".otl-left").bounding_box()
            right = page.locator(".otl-right").bounding_box()
            assert right["y"] >= left["y"] + left["height"] - 1  # stacked, not side by side
            assert right["width"] >= 330 and right["x"] + right["width"] <= 391
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.close()
