"""The render engine: warm kernels, one browser, and nothing left behind.

An :class:`Engine` renders briefing jobs (parameters + formats) with ``slots`` kernels working
at once. Each slot is a thread that owns one Jupyter kernel for the whole run: started once,
the libraries imported once (:mod:`.warm`), then briefing after briefing with the kernel put
back to the state of a fresh one before each (:func:`.warm.reset`). The notebook is
parameterized and executed by ``papermill.execute_notebook`` with the suite's papermill engine
(:mod:`.pmengine`, the entry point ``ontrack-warm``: papermill's own injected-parameters cell,
metadata, error cell and error check, on the slot's kernel), exported to HTML in the slot's
thread, and
printed to PDF by the engine's one headless browser (:class:`.browser.Browser`), which every
slot shares, with TrueType copies of the page's CJK font (:mod:`.printfonts`).

Faults: a kernel that dies during a briefing is replaced and the briefing is tried once more
on the new kernel; a cell that runs past ``cell_timeout`` fails that briefing (with the cell
named) and its kernel is replaced; a kernel that does not come back from the reset between two
briefings is replaced. The run goes on in every case.

Nothing is left behind: everything temporary (connection files, notebooks, pages, the
browser's profile) lives in one folder of the run; a watchdog process (:class:`Reaper`) that
the engine starts first ends the kernels' and the browser's process groups and removes that
folder when the process that owns the engine exits, however it exits (a normal end, SIGTERM,
or SIGKILL, which no ``finally`` can catch). Kernels also poll their parent and stop when it is
gone (ipykernel).

Results are data: :meth:`Engine.submit` returns a future of :class:`Rendered` (a result dict
for the manifest and the files made, in the run's folder), and the caller writes the files
where they belong (``single.commit``), so that the same engine serves ``ontrack render``,
``render-all`` and a Dask worker.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..briefing.params import Request
from ..errors import OntrackError
from ..project import open_project

log = logging.getLogger("ontrack.engine")

KERNEL = "python3"

#: The watchdog: reads "pgid N" / "path P" / "sweep D" lines until its stdin closes (its parent
#: is gone, or says "done" first), then ends those process groups, removes those folders and the
#: half-written files (.NAME.*.tmp, fileio.atomic_path's) under D: the render lock keeps every
#: other writer out of reports/ while a render runs.
_REAPER = r"""
import os, shutil, signal, sys, time
groups, paths, sweeps = set(), set(), set()
for line in sys.stdin:
    kind, _, arg = line.rstrip("\n").partition(" ")
    if kind == "pgid":
        groups.add(int(arg))
    elif kind == "-pgid":
        groups.discard(int(arg))
    elif kind == "path":
        paths.add(arg)
    elif kind == "-path":
        paths.discard(arg)
    elif kind == "sweep":
        sweeps.add(arg)
    elif kind == "done":
        groups.clear()
        paths.clear()
        sweeps.clear()
        break
for sig in (signal.SIGTERM, signal.SIGKILL):
    alive = False
    for g in groups:
        try:
            os.killpg(g, sig)
            alive = True
        except OSError:
            pass
    if alive and sig == signal.SIGTERM:
        time.sleep(0.5)
for _ in range(2):
    for p in paths:
        shutil.rmtree(p, ignore_errors=True)
    if paths:
        time.sleep(0.3)
for d in sweeps:
    for root, _, files in os.walk(d):
        for f in files:
            if f.startswith(".") and f.endswith(".tmp"):
                try:
                    os.unlink(os.path.join(root, f))
                except OSError:
                    pass
"""


class Reaper:
    """A small watchdog process that outlives its parent just long enough to clean up after it.

    The parent tells it which process groups and folders are its own; when the parent's end of
    the pipe closes (the parent exited, was killed, or crashed) it ends those groups (SIGTERM,
    then SIGKILL) and removes those folders. :meth:`close` after a clean shutdown tells it that
    there is nothing left to do. Not on Windows (there it does nothing).
    """

    def __init__(self) -> None:
        self._proc: subprocess.Popen | None = None
        self._lock = threading.Lock()
        if os.name != "posix":
            return
        self._proc = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", _REAPER],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # a Ctrl-C to the terminal's group does not stop it
            text=True,
        )

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def _say(self, line: str) -> None:
        with self._lock:
            if self._proc is None or self._proc.stdin is None:
                return
            with contextlib.suppress(OSError, ValueError):
                self._proc.stdin.write(line + "\n")
                self._proc.stdin.flush()

    def watch_group(self, pgid: int) -> None:
        self._say(f"pgid {pgid}")

    def forget_group(self, pgid: int) -> None:
        self._say(f"-pgid {pgid}")

    def watch_path(self, path: str | os.PathLike) -> None:
        self._say(f"path {path}")

    def sweep(self, folder: str | os.PathLike) -> None:
        """Remove atomic writes' temporary files under ``folder`` if the parent dies."""
        self._say(f"sweep {folder}")

    def close(self) -> None:
        """Everything is cleaned up: let the watchdog go without doing anything."""
        self._say("done")
        proc, self._proc = self._proc, None
        if proc is None:
            return
        with contextlib.suppress(OSError, ValueError):
            proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


# ---------------------------------------------------------------------------- kernels
class KernelFault(OntrackError):
    """A kernel died or stopped answering (it is replaced; the job may be tried again)."""


class WarmKernel:
    """One Jupyter kernel with the briefing's libraries imported, owned by one thread (its
    zmq sockets belong to that thread's event loop)."""

    _ids = itertools.count(1)

    def __init__(self, workdir: Path, env: dict[str, str], start_timeout: float = 120):
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        self.n = next(self._ids)
        self.workdir = workdir
        self.km = AsyncKernelManager(
            kernel_name=KERNEL, connection_file=str(workdir / f"kernel-{self.n}.json")
        )
        self.kc = None
        self.jobs = 0
        self._run_sync = run_sync
        t0 = time.perf_counter()
        self._log = open(workdir / f"kernel-{self.n}.log", "ab")  # noqa: SIM115
        run_sync(self.km.start_kernel)(
            env=env, cwd=str(workdir), stdout=self._log, stderr=self._log
        )
        self.pid = self.km.provisioner.pid if self.km.provisioner else None
        self.kc = self.km.client()
        self.kc.start_channels()
        try:
            run_sync(self.kc.wait_for_ready)(timeout=start_timeout)
        except RuntimeError as exc:
            raise KernelFault(f"the kernel did not start: {exc}") from None
        self.started = time.perf_counter() - t0
        t1 = time.perf_counter()
        self.run_silent(
            "import ontrack.render.warm as _w; _w.prepare(); del _w", timeout=start_timeout
        )
        self.warmed = time.perf_counter() - t1

    def run_silent(self, code: str, timeout: float) -> None:
        """Run ``code`` without a trace in the notebook (silent: no output, no count)."""
        msg_id = self.kc.execute(code, silent=True, store_history=False, allow_stdin=False)
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise KernelFault(f"the kernel did not answer within {timeout:.0f} s")
            if not self._run_sync(self.km.is_alive)():
                raise KernelFault("the kernel died")
            try:
                reply = self._run_sync(self.kc.get_shell_msg)(timeout=min(left, 1.0))
            except queue.Empty:
                continue
            if reply.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            content = reply.get("content", {})
            if content.get("status") != "ok":
                raise KernelFault(
                    f"{content.get('ename', 'error')}: {content.get('evalue', '')}".strip()
                )
            return

    def reset(self, cwd: str, timeout: float = 60) -> None:
        # the module is reached through sys.modules: the ontrack package itself was dropped
        code = f"__import__('sys').modules['ontrack.render.warm'].reset({cwd!r})"
        self.run_silent(code, timeout)

    def alive(self) -> bool:
        try:
            return bool(self._run_sync(self.km.is_alive)())
        except Exception:
            return False

    def shutdown(self) -> None:
        with contextlib.suppress(Exception):
            if self.kc is not None:
                self.kc.stop_channels()
        with contextlib.suppress(Exception):
            self._run_sync(self.km.shutdown_kernel)(now=True)
        if self.pid:
            with contextlib.suppress(OSError):
                os.killpg(self.pid, signal.SIGKILL)
        with contextlib.suppress(Exception):
            self._run_sync(self.km.cleanup_resources)()
        self._log.close()


# ---------------------------------------------------------------------------- jobs
@dataclass(frozen=True)
class Job:
    """One briefing for the engine: the checked :class:`~ontrack.briefing.params.Request`
    (as-of resolved), the formats, the notebook to run and the page's title (made by
    :func:`.single.make_job`)."""

    request: Request
    formats: tuple[str, ...]
    notebook: str
    title: str
    output_label: str = ""  # the executed notebook's name in papermill's metadata
    cell_timeout: float | None = None  # seconds a cell may run (None: the engine's)
    kernel: int | None = None  # the kernel that ran it (set by the engine)

    @property
    def stem(self) -> str:
        """The output files' stem: the request's (:attr:`Request.stem`)."""
        return self.request.stem


@dataclass
class Rendered:
    """What a job made: the result dict (status, seconds, error, ...) and its files by format
    ('ipynb', 'html', 'pdf'; or 'failed' for the executed notebook of a failed run), all in
    ``folder`` (removed with :meth:`Engine.discard`)."""

    result: dict[str, Any]
    files: dict[str, Path] = field(default_factory=dict)
    folder: Path | None = None


def kernel_env(tmp: Path) -> dict[str, str]:
    """The environment of every kernel: the working folder is not on sys.path
    (PYTHONSAFEPATH: nothing is imported from a project's folder), temporary files go to the
    run's folder."""
    env = dict(os.environ)
    env["PYTHONSAFEPATH"] = "1"
    env["TMPDIR"] = str(tmp)
    env.pop("MPLBACKEND", None)  # ipykernel chooses the inline backend
    return env


class Engine:
    """Warm kernels (``slots`` of them, working at once) and one browser for a run.

    Jobs are dicts (``render.make_job``): ``params`` (validated, as_of resolved, ``project`` the
    project's root), ``formats``, ``notebook`` (path), ``title`` and ``stem`` (file names),
    optionally ``cell_timeout``. Use as a context manager, or call :meth:`start` and
    :meth:`close`.
    """

    def __init__(
        self,
        slots: int = 1,
        pdf: bool = True,
        cell_timeout: float = 600,
        start_timeout: float = 120,
        reset_timeout: float = 60,
        on_event: Callable[[str], None] | None = None,
        sweep: str | os.PathLike | None = None,
    ):
        self.slots = max(1, int(slots))
        self.pdf = pdf
        self.cell_timeout = cell_timeout
        self.start_timeout = start_timeout
        self.reset_timeout = reset_timeout
        self.on_event = on_event or (lambda msg: log.info(msg))
        self.tmp: Path | None = None
        self.sweep = Path(sweep) if sweep is not None else None
        self._extra_tmp: list[Path] = []
        self.reaper: Reaper | None = None
        self.browser = None
        self.print_fonts = None
        self._queue: queue.Queue = queue.Queue()
        self._threads: list[threading.Thread] = []
        self._finishers: ThreadPoolExecutor | None = None
        self._jobs = itertools.count(1)
        self._closed = False
        self.stats: dict[str, Any] = {
            "kernel_starts": 0,
            "kernel_start_seconds": [],
            "kernel_warm_seconds": [],
            "kernels_replaced": 0,
        }
        self._stats_lock = threading.Lock()
        #: the kernel each slot holds now (for the benchmark's memory figures and the tests)
        self.kernels: dict[int, WarmKernel] = {}

    # ------------------------------------------------------------------ life
    def start(self) -> Engine:
        if self.tmp is not None:
            return self
        self.reaper = Reaper()
        self.tmp = Path(tempfile.mkdtemp(prefix="ontrack-run-"))
        self.reaper.watch_path(self.tmp)
        if self.sweep is not None:
            self.reaper.sweep(self.sweep)
        if self.pdf:
            from .browser import Browser, OneShot

            self.browser = (Browser if os.name == "posix" else OneShot)(
                self.tmp / "browser" / "profile",
                on_start=self.reaper.watch_group,
                env=kernel_env(self._browser_tmp()),
            )
            if os.name == "posix":
                from .printfonts import PrintFonts

                self.print_fonts = PrintFonts(on_event=self.on_event)
            threading.Thread(target=self._start_browser, daemon=True, name="browser").start()
        threading.Thread(target=_warm_exporter, daemon=True, name="exporter").start()
        self._finishers = ThreadPoolExecutor(max_workers=self.slots, thread_name_prefix="finish")
        for i in range(self.slots):
            t = threading.Thread(target=self._slot, args=(i,), daemon=True, name=f"slot-{i}")
            t.start()
            self._threads.append(t)
        return self

    def _browser_tmp(self) -> Path:
        """Chromium's temporary folder: the run's, unless its path is too long for the unix
        socket Chromium makes there (108 bytes with the socket's own name): then a short one
        under /tmp, named after this process and removed like the run's."""
        assert self.tmp is not None and self.reaper is not None
        if len(str(self.tmp)) <= 60 or not os.path.isdir("/tmp"):
            return self.tmp
        short = Path(tempfile.mkdtemp(prefix=f"ontrack-{os.getpid()}-", dir="/tmp"))
        self.reaper.watch_path(short)
        self._extra_tmp.append(short)
        return short

    def _start_browser(self) -> None:
        try:
            self.browser.start()
        except Exception as exc:  # the first print tries again and reports the error
            self.on_event(f"browser: {exc}")

    def __enter__(self) -> Engine:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Stop the slots (jobs not started are cancelled), the kernels and the browser; remove
        the run's folder."""
        if self._closed:
            return
        self._closed = True
        while True:  # cancel what has not started
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is not None:
                item[0].cancel()
        # a briefing still running is stopped, not waited for (SIGTERM must be quick): its
        # kernel is killed and, the engine closing, not replaced
        for k in list(self.kernels.values()):
            if k.pid:
                with contextlib.suppress(OSError):
                    os.killpg(k.pid, signal.SIGKILL)
        for _ in self._threads:
            self._queue.put(None)
        for t in self._threads:
            t.join(timeout=30)
        if self.browser is not None:  # first: a print in progress fails at once
            self.browser.close()
        if self._finishers is not None:
            self._finishers.shutdown(wait=True, cancel_futures=True)
        for folder in [self.tmp, *self._extra_tmp]:
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)
        if self.reaper is not None:
            self.reaper.close()

    # ------------------------------------------------------------------ jobs
    def submit(self, job: Job) -> Future:
        """Queue a job; the future's result is a :class:`Rendered`."""
        if self.tmp is None:
            self.start()
        if self._closed:
            raise OntrackError("the render engine is closed")
        fut: Future = Future()
        self._queue.put((fut, job))
        return fut

    def discard(self, rendered: Rendered) -> None:
        """Remove a job's files once they have been written where they belong."""
        if rendered.folder is not None:
            shutil.rmtree(rendered.folder, ignore_errors=True)

    def _slot(self, i: int) -> None:
        kernel: WarmKernel | None = None
        try:
            kernel = self._new_kernel(i)
        except Exception as exc:  # tried again by the first job
            self.on_event(f"slot {i}: kernel did not start: {exc}")
        try:
            while True:
                item = self._queue.get()
                if item is None:
                    return
                fut, job = item
                if not fut.set_running_or_notify_cancel():
                    continue
                try:
                    kernel, out = self._run(i, kernel, job)
                except BaseException as exc:  # the future carries it to the caller
                    fut.set_exception(exc)
                    continue
                if isinstance(out, Executed):  # export and print while the kernel goes on
                    self._finishers.submit(self._finish, out, fut)
                else:
                    fut.set_result(out)
        finally:
            if kernel is not None:
                self._drop(kernel)

    def _finish(self, ex: Executed, fut: Future) -> None:
        try:
            out = finish_job(ex, self)
            out.result["kernel"] = ex.job.kernel
            fut.set_result(out)
        except BaseException as exc:
            fut.set_exception(exc)

    def _new_kernel(self, i: int) -> WarmKernel:
        assert self.tmp is not None and self.reaper is not None
        if self._closed:
            raise KernelFault("the render engine is stopping")
        kdir = self.tmp / "kernels"
        kdir.mkdir(exist_ok=True)
        k = WarmKernel(kdir, kernel_env(self.tmp), self.start_timeout)
        if k.pid:
            self.reaper.watch_group(k.pid)
        self.kernels[i] = k
        with self._stats_lock:
            self.stats["kernel_starts"] += 1
            self.stats["kernel_start_seconds"].append(round(k.started, 2))
            self.stats["kernel_warm_seconds"].append(round(k.warmed, 2))
        self.on_event(
            f"slot {i}: kernel {k.n} ready ({k.started:.1f} s start, {k.warmed:.1f} s imports)"
        )
        return k

    def _drop(self, kernel: WarmKernel) -> None:
        for i, k in list(self.kernels.items()):
            if k is kernel:
                del self.kernels[i]
        kernel.shutdown()
        if kernel.pid and self.reaper is not None:
            self.reaper.forget_group(kernel.pid)

    def _replace(self, i: int, kernel: WarmKernel | None, why: str) -> WarmKernel:
        if kernel is not None:
            self.on_event(f"slot {i}: replacing kernel {kernel.n}: {why}")
            self._drop(kernel)
            with self._stats_lock:
                self.stats["kernels_replaced"] += 1
        return self._new_kernel(i)

    def _ready(self, i: int, kernel: WarmKernel | None, cwd: str) -> WarmKernel:
        """A kernel reset for the next briefing (replaced if dead or not answering)."""
        for attempt in range(2):
            if kernel is None or not kernel.alive():
                kernel = self._replace(i, kernel, "it is not running")
            try:
                kernel.reset(cwd, self.reset_timeout)
                return kernel
            except KernelFault as exc:
                if attempt:
                    raise
                kernel = self._replace(i, kernel, f"reset failed: {exc}")
        raise AssertionError("unreachable")

    def _run(
        self, i: int, kernel: WarmKernel | None, job: Job
    ) -> tuple[WarmKernel, Rendered | Executed]:
        from nbclient.exceptions import CellTimeoutError, DeadKernelError

        assert self.tmp is not None
        folder = self.tmp / "jobs" / f"{next(self._jobs)}"
        folder.mkdir(parents=True)
        for attempt in range(2):
            t0 = time.perf_counter()
            try:
                kernel = self._ready(i, kernel, job.request.project)
            except Exception as exc:  # no kernel to be had: this job fails, the run goes on
                return kernel, _failed(job, folder, f"no working kernel: {exc}")
            reset_s = time.perf_counter() - t0
            try:
                out = execute_job(job, kernel, folder, self)
                seconds = out.seconds if isinstance(out, Executed) else out.result["seconds"]
                seconds["reset"] = round(reset_s, 2)
                if isinstance(out, Executed):
                    out.job = replace(job, kernel=kernel.n)
                kernel.jobs += 1
                return kernel, out
            except DeadKernelError:
                why = "the kernel died while rendering"
                if attempt:
                    return kernel, _failed(job, folder, why + " (twice: on two fresh kernels)")
                self.on_event(f"slot {i}: {why}; trying again on a fresh kernel")
            except CellTimeoutError as exc:
                cell = getattr(exc, "cell_index", None)
                limit = job.cell_timeout or self.cell_timeout
                why = f"a cell ran longer than {limit:g} s" + (f" (cell {cell})" if cell else "")
                with contextlib.suppress(Exception):
                    kernel = self._replace(i, kernel, why)
                return kernel, _failed(job, folder, why)
            except KernelFault as exc:
                if attempt:
                    return kernel, _failed(job, folder, str(exc))
                self.on_event(f"slot {i}: {exc}; trying again on a fresh kernel")
            except Exception as exc:  # anything else fails this briefing only
                return kernel, _failed(job, folder, f"{type(exc).__name__}: {exc}")
            with contextlib.suppress(Exception):
                kernel = self._replace(i, kernel, "it failed during a briefing")
        raise AssertionError("unreachable")


def _warm_exporter() -> None:
    from .export import warm_up

    with contextlib.suppress(Exception):  # the first briefing would report a real problem
        warm_up()


def failed_result(job: Job, error: str) -> dict[str, Any]:
    """The result of a job that made no briefing, for the manifest (the engine's, a local
    run's or a cluster's failure alike)."""
    r = job.request
    return dict(
        plan=r.plan, region=r.region, as_of=r.as_of, status="failed", name=job.stem, error=error
    )


def _failed(job: Job, folder: Path, error: str) -> Rendered:
    return Rendered(failed_result(job, error), {}, folder)


# ---------------------------------------------------------------------------- one job
def execute_job(job: Job, kernel: WarmKernel, folder: Path, engine: Engine) -> Rendered | Executed:
    """Execute one briefing's notebook on a ready kernel through ``papermill.execute_notebook``
    and the suite's engine (:mod:`.pmengine`): an :class:`Executed` for :func:`finish_job`; a
    failing cell is a failed :class:`Rendered` (the executed notebook kept as 'failed'); a dead
    or hung kernel raises (the engine replaces it)."""
    import nbformat
    import papermill
    from papermill.exceptions import PapermillExecutionError
    from papermill.iorw import load_notebook_node

    from . import pmengine

    pmengine.ensure_registered()
    t0 = time.perf_counter()
    stem = job.stem
    seconds: dict[str, float] = {}
    executed: list = []
    try:
        # the notebook as an object: papermill formats no path with the parameters (a '{}' in a
        # scenario's file name is just a character) and writes nothing itself
        nb = papermill.execute_notebook(
            load_notebook_node(job.notebook),
            None,
            parameters=job.request.params(),
            engine_name=pmengine.NAME,
            kernel_name=KERNEL,
            language="python",
            progress_bar=False,
            log_output=False,
            start_timeout=engine.start_timeout,
            execution_timeout=job.cell_timeout or engine.cell_timeout,
            warm_kernel=kernel,
            source=job.notebook,
            label=job.output_label or f"{stem}.ipynb",
            executed=executed,
        )
    except PapermillExecutionError as exc:
        failed = folder / f"{stem}.failed.ipynb"
        nbformat.write(executed[-1], str(failed))
        out = _failed(job, folder, f"cell {exc.exec_count}: {exc.ename}: {exc.evalue}")
        out.files["failed"] = failed
        out.result["seconds"] = {"total": round(time.perf_counter() - t0, 2)}
        return out
    seconds["execute"] = round(time.perf_counter() - t0, 2)
    files = {"ipynb": folder / f"{stem}.ipynb"}
    nbformat.write(nb, str(files["ipynb"]))
    stderr = sum(
        1
        for c in nb.cells
        for o in c.get("outputs", [])
        if o.get("output_type") == "stream" and o.get("name") == "stderr"
    )
    return Executed(job, nb, folder, files, seconds, t0, stderr)


@dataclass
class Executed:
    """A notebook executed, waiting to be exported and printed (the kernel is free again)."""

    job: Job
    nb: Any
    folder: Path
    files: dict[str, Path]
    seconds: dict[str, float]
    t0: float
    stderr: int


def _likely_characters(job: Job) -> str:
    """What the pages of ``job``'s project will likely print (:mod:`.printfonts`): the
    suite's wording (its sources and the notebook), the project's names (its data/raw) and the
    tables a page quotes (the targets' sources and quotes, the quality report)."""
    from .printfonts import likely_characters

    project = open_project(job.request.project)
    code, notebook = Path(__file__).parents[1], Path(job.notebook)
    return likely_characters(
        [code, notebook, project.raw, project.targets_csv, project.quality_csv]
    )


def finish_job(ex: Executed, engine: Engine) -> Rendered:
    """Export an executed briefing to HTML and print it to PDF (off the kernel's thread)."""
    from .export import export_html

    job, folder, files, seconds, t0 = ex.job, ex.folder, ex.files, ex.seconds, ex.t0
    r, formats, stem = job.request, job.formats, job.stem
    try:
        t1 = time.perf_counter()
        html = export_html(ex.nb, lang=r.lang, title=job.title)
        files["html"] = folder / f"{stem}.html"
        files["html"].write_text(html, encoding="utf-8")
        seconds["html"] = round(time.perf_counter() - t1, 2)
        if "pdf" in formats:
            t2 = time.perf_counter()
            files["pdf"] = folder / f"{stem}.pdf"
            if engine.browser is None:
                raise OntrackError("no browser in this engine (it was started for HTML only)")
            fonts = None
            if engine.print_fonts is not None:
                fonts = engine.print_fonts.for_page(html, lambda: _likely_characters(job))
            seen = len(engine.browser.font_errors)
            engine.browser.print_pdf(files["html"], files["pdf"], fonts=fonts)
            for err in engine.browser.font_errors[seen:]:
                engine.on_event(f"print fonts not loaded ({err}): printed with the system's fonts")
            seconds["pdf"] = round(time.perf_counter() - t2, 2)
    except Exception as exc:
        out = _failed(job, folder, f"{type(exc).__name__}: {exc}")
        out.result["seconds"] = {"total": round(time.perf_counter() - t0, 2)}
        return out
    if "html" not in formats:
        files.pop("html")
    seconds["total"] = round(time.perf_counter() - t0, 2)
    result = dict(
        plan=r.plan,
        region=r.region,
        as_of=r.as_of,
        status="ok",
        name=stem,
        stderr_outputs=ex.stderr,
        seconds=seconds,
    )
    return Rendered(result, files, folder)
