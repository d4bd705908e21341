"""Errors a user can act on: each names the file, sheet, row, cell or parameter at fault."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


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
