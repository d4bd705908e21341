"""One headless Chromium kept open for every PDF of a run, driven by the DevTools protocol.

The browser is the system's (``export.find_browser``: chromium, Chrome, Edge; never a
download). It is started once with ``--remote-debugging-pipe``: the DevTools protocol runs over
two pipes (file descriptors 3 and 4 of the browser), so no port is opened that another user of
the machine could connect to, and no driver process or extra package is needed. Each PDF gets a
fresh tab (no state carried from one briefing to the next), waits for the page's load event and
its fonts, and is printed with ``Page.printToPDF`` using the page's CSS size (A4) and the same
settings as ``chromium --headless --print-to-pdf``. A print may bring fonts of its own
(:mod:`.printfonts`: TrueType copies of the page's CJK font), added to the page as web fonts
before it is printed; if they cannot be loaded, the page is printed with the system's fonts and
the reason kept in :attr:`Browser.font_errors`. Prints may run from several threads at once.

A browser that dies or stops answering is started again for the next PDF; the PDF that was
printing is tried once more on the new browser.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any

from ..errors import OntrackError
from .export import BROWSER_FLAGS, find_browser, print_pdf
from .printfonts import Copy

#: Page.printToPDF settings: those of ``--print-to-pdf`` (backgrounds, the CSS @page size and
#: margins, no header or footer of the browser's own: the page numbers come from the CSS).
PRINT = {
    "printBackground": True,
    "preferCSSPageSize": True,
    "displayHeaderFooter": False,
    "transferMode": "ReturnAsBase64",
}


#: adds the print's fonts to the page (all or none), then waits for every font the page uses
_ADD_FONTS = """(async (faces) => {
  const loaded = await Promise.all(faces.map(
    (f) => new FontFace(f.family, `url("${f.url}")`, {weight: String(f.weight)}).load()));
  loaded.forEach((f) => document.fonts.add(f));
  document.body.getBoundingClientRect();
  await document.fonts.ready;
  return true;
})(%s)"""

_WAIT_FONTS = "document.fonts.ready.then(() => true)"


_TRAMPOLINE = (
    "import os, sys\n"
    "r, w = int(sys.argv[1]), int(sys.argv[2])\n"
    "os.dup2(r, 3); os.dup2(w, 4); os.close(r); os.close(w)\n"
    "os.execv(sys.argv[3], sys.argv[3:])\n"
)


class BrowserError(OntrackError):
    """The browser failed, died or did not answer."""


class Browser:
    """A headless Chromium over a DevTools pipe. ``on_start(pid)`` is called with the browser's
    process id (its own process group) as soon as it runs, so that a watchdog can end it."""

    def __init__(
        self,
        profile_dir: str | os.PathLike,
        executable: str | None = None,
        on_start: Callable[[int], None] | None = None,
        timeout: float = 120,
        env: dict[str, str] | None = None,
    ):
        self.executable = executable or find_browser()
        self.profile_dir = Path(profile_dir)
        self.on_start = on_start
        self.timeout = timeout
        self.env = env
        self._lock = threading.Lock()  # start / stop
        self._send_lock = threading.Lock()
        self._ids = itertools.count(1)
        self._pending: dict[int, Future] = {}
        self._waiters: dict[tuple[str, str], list[Future]] = {}
        self._proc: subprocess.Popen | None = None
        self._out: int | None = None  # we write commands here (the browser's fd 3)
        self._reader: threading.Thread | None = None
        self._generation = 0
        self._closed = False
        self.starts = 0
        self.start_seconds = 0.0
        #: why a print's own fonts were not used (the page was printed with the system's)
        self.font_errors: list[str] = []

    # ------------------------------------------------------------------ process
    def start(self) -> None:
        with self._lock:
            if self._proc is not None and self._proc.poll() is None:
                return
            self._start()

    def _start(self) -> None:
        if self._closed:
            raise BrowserError("the browser was closed (the run is ending)")
        t0 = time.perf_counter()
        self.profile_dir.mkdir(parents=True, exist_ok=True)
        cmd_r, cmd_w = os.pipe()  # commands: we write, the browser reads on fd 3
        res_r, res_w = os.pipe()  # responses: the browser writes on fd 4, we read
        import fcntl

        # a two-line trampoline puts the two pipe ends on fds 3 and 4, then becomes the browser
        hi_r = fcntl.fcntl(cmd_r, fcntl.F_DUPFD_CLOEXEC, 10)
        hi_w = fcntl.fcntl(res_w, fcntl.F_DUPFD_CLOEXEC, 10)
        os.close(cmd_r)
        os.close(res_w)
        args = [
            *BROWSER_FLAGS,
            "--remote-debugging-pipe",
            f"--user-data-dir={self.profile_dir}",
            "about:blank",
        ]
        cmd = [sys.executable, "-I", "-S", "-c", _TRAMPOLINE, str(hi_r), str(hi_w)]
        cmd += [self.executable, *args]
        log = open(self.profile_dir.parent / "chromium.log", "ab")  # noqa: SIM115
        try:
            self._proc = subprocess.Popen(
                cmd,
                pass_fds=(hi_r, hi_w),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,  # its own process group: ended as a whole
                env=self.env,
            )
        except OSError as exc:
            raise BrowserError(f"could not start {self.executable}: {exc}") from None
        finally:
            log.close()
            os.close(hi_r)
            os.close(hi_w)
        if self.on_start:
            self.on_start(self._proc.pid)
        self._out = cmd_w
        self._generation += 1
        self._reader = threading.Thread(
            target=self._read, args=(res_r, self._generation), daemon=True, name="cdp-reader"
        )
        self._reader.start()
        self.starts += 1
        try:
            self.call("Browser.getVersion", timeout=30)
        except BrowserError:
            self._stop()
            raise
        self.start_seconds += time.perf_counter() - t0

    def _read(self, fd: int, generation: int) -> None:
        buf = b""
        try:
            while True:
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    break
                buf += chunk
                while b"\0" in buf:
                    raw, buf = buf.split(b"\0", 1)
                    self._dispatch(json.loads(raw))
        except (OSError, ValueError):
            pass
        finally:
            os.close(fd)
            if generation == self._generation:
                self._fail_all(BrowserError("the browser closed its DevTools pipe (it died)"))

    def _dispatch(self, msg: dict[str, Any]) -> None:
        if "id" in msg:
            fut = self._pending.pop(msg["id"], None)
            if fut is not None and not fut.done():
                if "error" in msg:
                    fut.set_exception(BrowserError(f"DevTools error: {msg['error']}"))
                else:
                    fut.set_result(msg.get("result", {}))
            return
        key = (msg.get("sessionId", ""), msg.get("method", ""))
        for fut in self._waiters.pop(key, []):
            if not fut.done():
                fut.set_result(msg.get("params", {}))

    def _fail_all(self, exc: Exception) -> None:
        pending, self._pending = self._pending, {}
        waiters, self._waiters = self._waiters, {}
        for fut in [*pending.values(), *(f for fs in waiters.values() for f in fs)]:
            if not fut.done():
                fut.set_exception(exc)

    def close(self) -> None:
        self._closed = True
        with self._lock:
            self._stop()

    def _stop(self) -> None:
        proc, self._proc = self._proc, None
        if self._out is not None:
            with contextlib.suppress(OSError):
                os.close(self._out)
            self._out = None
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, 15)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(proc.pid, 9)
                proc.wait(timeout=5)
        if proc is not None:
            # the browser's helpers (renderers, zygotes) share its process group
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, 9)
        self._fail_all(BrowserError("the browser was stopped"))

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    # ------------------------------------------------------------------ protocol
    def call(
        self, method: str, params: dict | None = None, session: str = "", timeout: float = 60
    ) -> dict[str, Any]:
        fut = self.send(method, params, session)
        try:
            return fut.result(timeout=timeout)
        except FutureTimeout:
            raise BrowserError(
                f"the browser did not answer {method} within {timeout:.0f} s"
            ) from None

    def send(self, method: str, params: dict | None = None, session: str = "") -> Future:
        fut: Future = Future()
        msg: dict[str, Any] = {"id": next(self._ids), "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        data = json.dumps(msg).encode() + b"\0"
        with self._send_lock:
            if self._out is None:
                raise BrowserError("the browser is not running")
            self._pending[msg["id"]] = fut
            try:
                view = memoryview(data)
                while view:
                    n = os.write(self._out, view)
                    view = view[n:]
            except OSError as exc:
                self._pending.pop(msg["id"], None)
                raise BrowserError(f"the browser's DevTools pipe is closed ({exc})") from None
        return fut

    def expect(self, session: str, method: str) -> Future:
        """A future for the next event ``method`` of ``session`` (register before causing it)."""
        fut: Future = Future()
        self._waiters.setdefault((session, method), []).append(fut)
        return fut

    # ------------------------------------------------------------------ printing
    def print_pdf(
        self,
        html_path: str | os.PathLike,
        pdf_path: str | os.PathLike,
        fonts: Sequence[Copy] | None = None,
    ) -> Path:
        """Print ``html_path`` to ``pdf_path`` (A4 from the CSS), with ``fonts`` added to the
        page when given; one retry on a new browser."""
        try:
            return self._print(Path(html_path), Path(pdf_path), fonts)
        except BrowserError:
            with self._lock:
                self._stop()
                self._start()
            return self._print(Path(html_path), Path(pdf_path), fonts)

    def _add_fonts(self, session: str, fonts: Sequence[Copy] | None, name: str) -> None:
        """Add ``fonts`` to the page and wait for its fonts; without them if they fail."""
        if fonts:
            faces = [{"family": f.family, "url": f.url, "weight": f.weight} for f in fonts]
            res = self.call(
                "Runtime.evaluate",
                {"expression": _ADD_FONTS % json.dumps(faces), "awaitPromise": True},
                session=session,
                timeout=self.timeout,
            )
            if "exceptionDetails" not in res:
                return
            detail = res["exceptionDetails"].get("exception", {}).get("description", "")
            self.font_errors.append(f"{name}: {detail or res['exceptionDetails'].get('text')}")
        self.call(
            "Runtime.evaluate",
            {"expression": _WAIT_FONTS, "awaitPromise": True},
            session=session,
            timeout=self.timeout,
        )

    def _print(self, html_path: Path, pdf_path: Path, fonts: Sequence[Copy] | None) -> Path:
        self.start()
        t = self.timeout
        target = self.call("Target.createTarget", {"url": "about:blank"}, timeout=t)["targetId"]
        try:
            session = self.call(
                "Target.attachToTarget", {"targetId": target, "flatten": True}, timeout=t
            )["sessionId"]
            self.call("Page.enable", session=session, timeout=t)
            loaded = self.expect(session, "Page.loadEventFired")
            nav = self.call(
                "Page.navigate", {"url": html_path.resolve().as_uri()}, session=session, timeout=t
            )
            if nav.get("errorText"):
                raise BrowserError(f"could not open {html_path.name}: {nav['errorText']}")
            try:
                loaded.result(timeout=t)
            except FutureTimeout:
                raise BrowserError(f"{html_path.name} did not load within {t:.0f} s") from None
            self._add_fonts(session, fonts, html_path.name)
            data = self.call("Page.printToPDF", PRINT, session=session, timeout=t)["data"]
        finally:
            with contextlib.suppress(BrowserError):
                self.send("Target.closeTarget", {"targetId": target})
        pdf = base64.b64decode(data)
        if not pdf.startswith(b"%PDF"):
            raise BrowserError("the browser returned something that is not a PDF")
        pdf_path.write_bytes(pdf)
        return pdf_path


class OneShot:
    """Where the DevTools pipe is not available (Windows): a fresh browser per PDF, as
    ``chromium --headless --print-to-pdf`` (export.print_pdf)."""

    def __init__(self, *args, **kwargs):
        self.starts = 0
        self.font_errors: list[str] = []

    def start(self) -> None:
        pass

    def close(self) -> None:
        pass

    def print_pdf(
        self,
        html_path: str | os.PathLike,
        pdf_path: str | os.PathLike,
        fonts: Sequence[Copy] | None = None,
    ) -> Path:
        self.starts += 1  # the system's fonts: the command line cannot add any
        return print_pdf(html_path, pdf_path)
