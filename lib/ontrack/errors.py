"""Errors a user can act on: each names the file, sheet, row, cell or parameter at fault."""

from __future__ import annotations

import errno
import re
from collections.abc import Iterable, Sequence
from pathlib import Path


class OntrackError(Exception):
    """Base class for errors shown to users as one clear message (no traceback)."""


class InputError(OntrackError):
    """An input file or parameter is not what was expected.

    ``where`` names the place (file, sheet, cell, section or parameter); ``expected`` says what
    should have been there.
    """

    def __init__(self, where: str, problem: str, expected: str | None = None):
        self.where = where
        self.problem = problem
        self.expected = expected
        msg = f"{where}: {problem}"
        if expected:
            msg += f" (expected {expected})"
        super().__init__(msg)


class InputErrors(OntrackError):
    """Several input errors, reported all at once rather than only the first."""

    def __init__(self, errors: Iterable[InputError]):
        self.errors = list(errors)
        lines = [f"{len(self.errors)} error(s):"] + [f"  - {e}" for e in self.errors]
        super().__init__("\n".join(lines))


def raise_errors(errors: Sequence[InputError]) -> None:
    """Raise what was collected: the one error as itself, several together as InputErrors;
    nothing when the list is empty."""
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise InputErrors(errors)


#: errors of a write the user can act on (a disk or folder problem, not a bug)
WRITE_ERRNOS = (errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM, errno.EDQUOT)
_ATOMIC_TMP = re.compile(r"^\.(.+)\.[^.]+\.tmp$")  # fileio.atomic_path's temporary name


def io_problem(exc: OSError, relative=None) -> str:
    """One line for a failed write, Chinese / English: the file (the output a temporary file
    was for, not the temporary file: relative to the project with ``relative``) and the
    system's reason."""
    where = exc.filename or ""
    if where:
        p = Path(where)
        m = _ATOMIC_TMP.match(p.name)
        if m:  # .progress.csv.x1y2.tmp: the write of progress.csv
            p = p.with_name(m.group(1))
        where = relative(p) if relative is not None else str(p)
    reason = exc.strerror or str(exc)
    hint = {
        errno.ENOSPC: (
            "磁盘已满，请清理空间后重试",
            "the disk is full: free some space and run again",
        ),
        errno.EROFS: ("文件系统只读", "the file system is read-only"),
        errno.EACCES: ("没有写入权限", "no permission to write there"),
        errno.EPERM: ("没有写入权限", "no permission to write there"),
        errno.EDQUOT: ("磁盘配额已用完", "the disk quota is used up"),
    }.get(exc.errno or 0, ("", ""))
    zh = f"无法写入 {where or '输出文件'}" + (f"：{hint[0]}" if hint[0] else "")
    en = f"cannot write {where or 'the outputs'}: {reason}" + (f" ({hint[1]})" if hint[1] else "")
    return f"{zh} / {en}"  # one line: a render's result and the cron log keep one per briefing
