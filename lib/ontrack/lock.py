"""One writer of a project's data at a time: ``data/processed/.data.lock``.

``ontrack ingest`` (which changes the record and progress.csv) and ``ontrack render`` /
``render-all`` (which read them for the whole run, and rebuild them first when they are out of
date) hold it, so that an ingest during a render is refused with a message instead of changing
the tables under the briefings being rendered (every one of them then failed its check). A
process that already holds it (a render rebuilding the tables before it renders) goes on.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from .errors import OntrackError
from .project import Project

LOCK = ".data.lock"
_held: set[str] = set()  # the lock files this process holds


@contextlib.contextmanager
def data_lock(project: Project, who: str) -> Iterator[None]:
    """Hold the project's data lock while the block runs (``who``: the command, for the message
    another one gets); OntrackError at once when another process holds it."""
    path = project.processed / LOCK
    key = str(project.processed.resolve() / LOCK)
    if key in _held:
        yield
        return
    try:
        import fcntl
    except ImportError:  # Windows: no lock
        yield
        return
    try:
        project.processed.mkdir(parents=True, exist_ok=True)
        f = open(path, "a+", encoding="utf-8")  # noqa: SIM115
    except OSError:
        yield  # a folder that cannot be written: the command's own write says so
        return
    try:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            f.seek(0)
            other = f.read().strip() or "another ontrack command"
            raise OntrackError(
                f"项目数据正被占用（{other}），请待其结束后再试 / this project's data is in use "
                f"by {other}: try again when it has finished"
            ) from None
        with contextlib.suppress(OSError):
            f.seek(0)
            f.truncate()
            f.write(f"{who} (pid {os.getpid()})\n")
            f.flush()
        _held.add(key)
        try:
            yield
        finally:
            _held.discard(key)
            fcntl.flock(f, fcntl.LOCK_UN)
    finally:
        f.close()
