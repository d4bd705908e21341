"""The warm render engine: a warm kernel gives the page a fresh one gives, a dead or hung kernel
is replaced without losing the run, and nothing is left behind when the parent is killed.

Renders are HTML only (the browser has its own test) of the illustrative sample tables
(ontrack_evidence.sample) in a copy of the example project, as in test_briefing_render.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import copy_example_project

from ontrack.briefing.params import Request
from ontrack.errors import OntrackError
from ontrack.project import open_project
from ontrack.render.engine import Engine
from ontrack.render.export import find_browser
from ontrack.render.single import commit, make_job, render_one
from ontrack_evidence.sample import AS_OF, PLAN, SIMS, write_sample

ROOT = Path(__file__).resolve().parents[1]


def _have_browser() -> bool:
    try:
        find_browser()
    except OntrackError:
        return False
    return True


pytestmark = [pytest.mark.render]
needs_browser = pytest.mark.skipif(not _have_browser(), reason="no Chromium-family browser")


def _params(project, region: str) -> Request:
    return Request.check(
        dict(plan=PLAN, region=region, as_of=AS_OF, n_sims=SIMS, project=str(project.root)),
        project,
    )


def _job(request: Request, formats: tuple[str, ...]):
    return make_job(open_project(request.project), request, formats)


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    project = copy_example_project(tmp_path_factory.mktemp("engine") / "project")
    write_sample(project)
    return project


# The one volatile bit of a page: its generation time (minutes, Beijing time) in the footer.
_GENERATED = re.compile(r"(生成时间</th><td>)\d{4}-\d\d-\d\d \d\d:\d\d")


def _page(project, result) -> str:
    html = (project.reports / result["outputs"]["html"]).read_text(encoding="utf-8")
    return _GENERATED.sub(r"\1(time)", html)


def _warm(project, regions: list[str]) -> tuple[dict[str, str], list[dict], dict]:
    """Render ``regions`` one after another on one warm kernel; (pages, results, stats)."""
    pages, results = {}, []
    with Engine(slots=1, pdf=False) as engine:
        for region in regions:
            res = render_one(_job(_params(project, region), ("html",)), engine)
            assert res["status"] == "ok", res.get("error")
            pages[region] = _page(project, res)
            results.append(res)
        stats = dict(engine.stats)
    return pages, results, stats


def test_a_warm_kernel_renders_the_page_a_fresh_kernel_renders(sample):
    """Two regions, warm in both orders, against a cold render of each (a fresh kernel and
    engine per briefing). Only the footer's generation time is normalised; the charts are PNG
    bytes inside the page, so any state carried from one briefing to the next (fonts, rcParams,
    seaborn theme, figures, warnings, namespace) would show as a difference."""
    a, b = "pingyang", "pingyang-kunyang"
    cold = {}
    for region in (a, b):
        res = render_one(_job(_params(sample, region), ("html",)))
        assert res["status"] == "ok", res.get("error")
        cold[region] = _page(sample, res)
    assert cold[a] != cold[b]  # the comparison can tell two briefings apart
    for order in ([a, b], [b, a]):
        warm, results, stats = _warm(sample, order)
        assert stats["kernel_starts"] == 1  # both on the one kernel
        assert {r["kernel"] for r in results} == {results[0]["kernel"]}
        for region in order:
            assert warm[region] == cold[region], f"{region} differs when rendered warm ({order})"
    # the executed notebooks count from 1, as on a fresh kernel
    nb = json.loads((sample.reports / results[1]["outputs"]["ipynb"]).read_text("utf-8"))
    counts = [c["execution_count"] for c in nb["cells"] if c["cell_type"] == "code"]
    assert counts[0] == 1 and counts == sorted(counts)


def test_reset_puts_back_what_a_briefing_changes(tmp_path):
    """warm.prepare records the state; a 'briefing' changes fonts, rcParams, warnings, the
    environment, sys.path, the working folder, the random state and an ontrack module; reset
    puts each back (run in a fresh interpreter: reset drops this process's ontrack modules)."""
    script = textwrap.dedent(
        f"""
        import os, random, sys, warnings
        import ontrack.render.warm as w
        w.prepare(("matplotlib", "matplotlib.pyplot", "numpy", "ontrack.fonts"))
        import matplotlib, numpy as np
        import logging, matplotlib.units
        def state():
            return (dict(matplotlib.rcParams)["font.family"], len(warnings.filters),
                    os.environ.get("ONTRACK_TEST_VAR"), list(sys.path), os.getcwd(),
                    random.random(), np.random.random(), os.umask(0o022),
                    logging.getLogger().level, len(matplotlib.units.registry))
        before = state()
        w.reset(os.getcwd())
        from ontrack.fonts import use_cjk_font
        use_cjk_font()
        import ontrack.fonts
        ontrack.fonts.MARK = 1
        warnings.simplefilter("ignore")
        os.environ["ONTRACK_TEST_VAR"] = "x"
        sys.path.insert(0, "/nowhere")
        os.chdir({str(tmp_path)!r})
        random.random(); np.random.random()
        os.umask(0o077)
        logging.getLogger().setLevel(logging.DEBUG)
        matplotlib.units.registry[int] = None
        w.reset({os.getcwd()!r})
        after = state()
        import ontrack.fonts as fresh
        assert not hasattr(fresh, "MARK"), "module state survived"
        assert before == after, (before, after)
        print("ok")
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr[-2000:]


def test_a_reset_runs_the_suites_modules_afresh_without_compiling_them_again(tmp_path, monkeypatch):
    """The code cache of a warm kernel: a module dropped and imported again runs afresh (its
    state is new) but is compiled once; an edited file is compiled again; other packages keep
    the standard loader."""
    from importlib.machinery import SourceFileLoader

    from ontrack.render.warm import CodeCache

    (tmp_path / "probe").mkdir()
    source = tmp_path / "probe" / "__init__.py"
    source.write_text("STATE = []\nVALUE = 1\n", encoding="utf-8")
    (tmp_path / "other.py").write_text("", encoding="utf-8")
    compiled: list[str] = []
    real = SourceFileLoader.source_to_code

    def counting(self, data, path, *, _optimize=-1):
        compiled.append(str(path))
        return real(self, data, path, _optimize=_optimize)

    monkeypatch.setattr(SourceFileLoader, "source_to_code", counting)
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    monkeypatch.setattr(sys, "meta_path", list(sys.meta_path))
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("probe", "other"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    CodeCache(("probe",)).install()

    import probe

    probe.STATE.append("from the last briefing")
    del sys.modules["probe"]
    import probe

    assert probe.STATE == [] and probe.VALUE == 1
    assert compiled == [str(source)]
    source.write_text("STATE = []\nVALUE = 22\n", encoding="utf-8")
    del sys.modules["probe"]
    import probe

    assert probe.VALUE == 22 and compiled == [str(source)] * 2
    import other

    assert type(other.__spec__.loader) is SourceFileLoader
    for name in ("probe", "other"):
        sys.modules.pop(name, None)


def test_nothing_is_imported_from_the_project_folder_without_pythonsafepath(tmp_path):
    """PYTHONSAFEPATH keeps the working folder off sys.path only from Python 3.11, and IPython
    adds it ("") otherwise: a kernel without it (as on 3.10) must still not import a module
    planted in the folder a briefing runs in (its project)."""
    from ontrack.render.engine import KernelFault, WarmKernel, kernel_env

    project = tmp_path / "project"
    project.mkdir()
    marker = tmp_path / "ran"
    (project / "planted.py").write_text(f"open({str(marker)!r}, 'w')\n", encoding="utf-8")
    run = tmp_path / "run"
    run.mkdir()
    env = kernel_env(run)
    del env["PYTHONSAFEPATH"]
    kernel = WarmKernel(run, env)
    try:
        kernel.reset(str(project))
        kernel.run_silent("import os; assert os.getcwd() == " + repr(str(project)), 30)
        with pytest.raises(KernelFault, match="ModuleNotFoundError"):
            kernel.run_silent("import planted", 30)
    finally:
        kernel.shutdown()
    assert not marker.exists()


def _faulty_notebook(project, cell: str):
    """The project's own copy of the briefing notebook with ``cell`` run first."""
    nb = json.loads(project.notebook("04_briefing.ipynb").read_text(encoding="utf-8"))
    at = next(i for i, c in enumerate(nb["cells"]) if "parameters" in c["metadata"].get("tags", []))
    nb["cells"].insert(
        at + 1,
        {"id": "fault", "cell_type": "code", "metadata": {}, "source": cell, "outputs": [],
         "execution_count": None},
    )  # fmt: skip
    project.notebooks_dir.mkdir(exist_ok=True)
    (project.notebooks_dir / "04_briefing.ipynb").write_text(json.dumps(nb), encoding="utf-8")


def test_a_dead_or_hung_kernel_is_replaced_and_the_run_goes_on(tmp_path):
    """One slot, four briefings: kunyang's notebook kills its kernel (every time: it fails,
    after one retry on a fresh kernel), aojiang's hangs (past the cell time limit: it fails),
    and between the others the kernel is killed from outside (the next briefing gets a new
    kernel and succeeds). Every other briefing is rendered."""
    project = copy_example_project(tmp_path / "project")
    write_sample(project)
    _faulty_notebook(
        project,
        "import os, signal, time\n"
        "if region == 'pingyang-kunyang':\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        "if region == 'pingyang-aojiang':\n"
        "    time.sleep(300)",
    )
    regions = ["pingyang", "pingyang-kunyang", "pingyang-aojiang", "pingyang-shuitou"]
    results = {}
    with Engine(slots=1, pdf=False, cell_timeout=8) as engine:
        for region in regions:
            job = make_job(project, _params(project, region), ("html",), cell_timeout=8)
            rendered = engine.submit(job).result(timeout=300)
            results[region] = commit(project, rendered)
            engine.discard(rendered)
            if region == "pingyang":  # killed from outside while idle
                os.killpg(engine.kernels[0].pid, signal.SIGKILL)
        stats = dict(engine.stats)
    status = {r: res["status"] for r, res in results.items()}
    assert status == {
        "pingyang": "ok",
        "pingyang-kunyang": "failed",
        "pingyang-aojiang": "failed",
        "pingyang-shuitou": "ok",
    }
    assert "kernel died" in results["pingyang-kunyang"]["error"]
    assert "longer than 8 s" in results["pingyang-aojiang"]["error"]
    # killed while idle → replaced at the reset; kunyang: two deaths; aojiang: one hang
    assert stats["kernel_starts"] >= 5 and stats["kernels_replaced"] >= 4
    out = project.reports / AS_OF / PLAN
    assert (out / "pingyang-shuitou.html").is_file()


# ------------------------------------------------------------------ killing the parent
def _descendants(pid: int) -> list:
    import psutil

    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


@pytest.fixture
def built_copy(built_project, tmp_path):
    import shutil

    root = tmp_path / "project"
    shutil.copytree(built_project.root, root)
    return open_project(root)


@pytest.mark.slow
@pytest.mark.parametrize(
    "sig, formats",
    [(signal.SIGKILL, "html,pdf"), (signal.SIGTERM, "html")],
    ids=["SIGKILL", "SIGTERM"],
)
def test_killing_render_all_leaves_no_process_and_no_temp_folder(
    built_copy, tmp_path, sig, formats
):
    import psutil

    if "pdf" in formats and not _have_browser():
        pytest.skip("no browser")
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = dict(os.environ, TMPDIR=str(tmp), PYTHONWARNINGS="ignore")
    proc = subprocess.Popen(
        [sys.executable, "-m", "ontrack", "--project", str(built_copy.root), "render-all",
         "--plans", PLAN, "--format", formats, "--jobs", "2", "--force"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=tmp_path,
    )  # fmt: skip
    out = built_copy.reports
    seen: dict[int, psutil.Process] = {}
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and proc.poll() is None:
        for p in _descendants(proc.pid):
            seen.setdefault(p.pid, p)
        kernels = [p for p in seen.values() if "ipykernel" in " ".join(_cmdline(p))]
        if len(kernels) >= 2 and list(out.glob("*/*/*.html")):
            break  # kernels warm and briefings being written: in the middle of the run
        time.sleep(0.2)
    assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
    for p in _descendants(proc.pid):
        seen.setdefault(p.pid, p)
    if "pdf" in formats:
        assert any("chromium" in " ".join(_cmdline(p)) for p in seen.values())
    proc.send_signal(sig)
    proc.wait(timeout=60)
    if sig == signal.SIGTERM:
        assert proc.returncode == 143
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        alive = [p for p in seen.values() if _alive(p)]
        if not alive and not list(tmp.iterdir()):
            break
        time.sleep(0.2)
    alive = [p for p in seen.values() if _alive(p)]
    assert not alive, [" ".join(_cmdline(p))[:120] for p in alive]
    assert list(tmp.iterdir()) == []  # the run's folder, profile and connection files: gone
    assert not list(Path("/tmp").glob(f"ontrack-{proc.pid}-*"))  # Chromium's short tmp
    assert not list(out.rglob("*.tmp"))  # no half-written report either
    # the lock died with the process: the next run starts
    from ontrack.render.single import run_lock

    with run_lock(built_copy):
        pass


def _cmdline(p) -> list[str]:
    try:
        return p.cmdline()
    except Exception:
        return []


def _alive(p) -> bool:
    import psutil

    try:
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _same_text_but_shared_glyphs(ours: str, theirs: str) -> bool:
    """``theirs`` is ``ours`` except where Chromium mapped a Type 3 glyph to another code point
    that shares it: a CJK radical (U+2E80–U+2FDF) for an ideograph (页 as ⻚, 大 as ⼤, 目 as ⽬),
    the figure dash U+2012 for the en dash, the horizontal bar U+2015 for the em dash."""
    if len(ours) != len(theirs):
        return False
    for a, b in zip(ours, theirs, strict=True):
        if a != b and not (
            (0x2E80 <= ord(b) <= 0x2FDF and 0x4E00 <= ord(a) <= 0x9FFF)
            or (a, b) in (("\u2013", "\u2012"), ("\u2014", "\u2015"))
        ):
            return False
    return True


@needs_browser
def test_one_browser_prints_every_pdf_like_the_command_line(sample, tmp_path):
    """The kept-open browser prints what `chromium --headless --print-to-pdf` prints: the same
    A4 pages and text, here for two briefings from one browser process."""
    from pypdf import PdfReader

    from ontrack.render.export import print_pdf

    with Engine(slots=1, pdf=True) as engine:
        res = [
            render_one(_job(_params(sample, r), ("html", "pdf")), engine)
            for r in ("pingyang", "pingyang-kunyang")
        ]
        assert engine.browser.starts == 1
    for r in res:
        assert r["status"] == "ok", r.get("error")
        html = sample.reports / r["outputs"]["html"]
        cli = print_pdf(html, tmp_path / f"{r['region']}.pdf")
        ours, theirs = PdfReader(sample.reports / r["outputs"]["pdf"]), PdfReader(cli)
        assert len(ours.pages) == len(theirs.pages)
        assert [p.mediabox for p in ours.pages] == [p.mediabox for p in theirs.pages]
        text = [p.extract_text() for p in ours.pages]
        # ours is printed with TrueType copies of the font (render.printfonts), the command
        # line with the system's CFF font, whose Type 3 glyphs Chromium maps to the first code
        # point using them: 页 comes out of that PDF as the radical ⻚. Otherwise the text is
        # the same, and ours has the page's own characters throughout.
        for page, other in zip(text, (p.extract_text() for p in theirs.pages), strict=True):
            assert _same_text_but_shared_glyphs(page, other), (page, other)
        assert not [c for page in text for c in page if 0x2E80 <= ord(c) <= 0x2FDF]
        assert "第 1 页" in text[0] and not {"\u2012", "\u2015"} & set("".join(text))


def test_the_table_cache_reads_a_file_again_when_it_changes_and_hands_out_copies(tmp_path):
    import pandas as pd

    from ontrack.briefing import tablecache

    f = tmp_path / "t.csv"
    f.write_text("a\n1\n", encoding="utf-8")
    reads = []

    def read():
        reads.append(1)
        return pd.read_csv(f), {"n": [1]}

    df, meta = tablecache.cached("test", (f,), read)
    df.loc[0, "a"] = 99  # a briefing changing its copy in place
    meta["n"].append(2)
    again, meta2 = tablecache.cached("test", (f,), read)
    assert len(reads) == 1  # same content: read once
    assert again["a"].tolist() == [1] and meta2 == {"n": [1]}  # untouched by the change above
    f.write_text("a\n2\n", encoding="utf-8")  # same size, other content
    changed, _ = tablecache.cached("test", (f,), read)
    assert len(reads) == 2 and changed["a"].tolist() == [2]


def test_papermill_finds_the_warm_engine_by_its_entry_point():
    """papermill's public registry knows ``ontrack-warm`` from the installed package's entry
    point (group ``papermill.engine``), the class the render runs."""
    from importlib.metadata import entry_points

    from papermill.engines import papermill_engines

    from ontrack.render.pmengine import NAME, WarmEngine

    names = {ep.name: ep.value for ep in entry_points(group="papermill.engine")}
    assert names.get(NAME) == "ontrack.render.pmengine:WarmEngine"
    assert papermill_engines.get_engine(NAME) is WarmEngine


@pytest.mark.parametrize("first", ["ontrack.render.pmengine", "papermill"])
def test_the_engine_module_imports_first_or_after_papermill(first):
    """papermill loads its entry points when it is first imported: when that happens from
    inside ontrack.render.pmengine (imported first), the half-made module must still give it
    the one class (before the fix: AttributeError, 'partially initialized module')."""
    code = (
        f"import {first}\n"
        "from papermill.engines import papermill_engines\n"
        "import ontrack.render.pmengine as p\n"
        "assert papermill_engines.get_engine(p.NAME) is p.WarmEngine\n"
        "print('ok')\n"
    )
    out = subprocess.run(
        [sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, check=False
    )
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr
