"""The log of ``ontrack render`` and ``render-all``, written for cron and for the person who
reads it the next morning.

Every line starts with the local time and its UTC offset (``2026-11-03T06:15:02+08:00``); the
levels are ``quiet`` (failures and the summary line only), ``normal`` (a line per briefing) and
``verbose`` (also the engine's events: kernels started or replaced, time per step). Whatever the
level on the terminal, every line of ``normal`` level is also appended to the project's
``reports/render.log`` (kept by ``make clean``), so a cron job needs no redirection to keep a
record. Failures go to stderr, the rest to stdout.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from datetime import datetime
from pathlib import Path

LOG_NAME = "render.log"
LEVELS = {"quiet": 0, "normal": 1, "verbose": 2}


def stamp() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


class RunLog:
    """Timestamped lines to the terminal (by level) and to the log file (``normal`` level)."""

    def __init__(self, command: str, level: str = "normal", file: Path | None = None):
        self.command = command
        self.level = LEVELS[level]
        self.file = file
        self._lock = threading.Lock()
        self.file_error: str | None = None  # the last failure to append to the file

    def _write(self, text: str, level: int, error: bool, plain: bool = False) -> None:
        line = f"{stamp()} {self.command}: {text}"
        with self._lock:
            if level <= self.level or error:
                stream = sys.stderr if error else sys.stdout
                print(text if plain else line, file=stream, flush=True)
            if self.file is not None and level <= LEVELS["normal"] and self.file.parent.is_dir():
                try:
                    # one write of whole lines, appended (O_APPEND): never a torn line
                    fd = os.open(self.file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
                    with contextlib.closing(os.fdopen(fd, "a", encoding="utf-8")) as f:
                        f.write(line + "\n")
                except OSError as exc:  # the log is a convenience: never the cause of a failure
                    self.file_error = f"{self.file}: {exc.strerror or exc}"

    def info(self, text: str) -> None:
        self._write(text, LEVELS["normal"], False)

    def plain(self, text: str) -> None:
        """A line for a person at the terminal (``ontrack render``'s list of files), printed as
        it is; the log file still gets it with the time."""
        self._write(text, LEVELS["normal"], False, plain=True)

    def detail(self, text: str) -> None:
        self._write(text, LEVELS["verbose"], False)

    def summary(self, text: str) -> None:
        self._write(text, LEVELS["quiet"], False)

    def error(self, text: str) -> None:
        self._write(text, LEVELS["quiet"], True)


def add_log_arguments(p) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument(
        "--quiet", "-q", action="store_true", help="print only failures and the summary line"
    )
    g.add_argument(
        "--verbose", "-v", action="store_true", help="also print the engine's steps and timings"
    )


def level_of(args) -> str:
    if getattr(args, "quiet", False):
        return "quiet"
    if getattr(args, "verbose", False):
        return "verbose"
    return "normal"
