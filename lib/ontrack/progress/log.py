"""The cleaning log: every conversion, flag and rejection made while reading progress files."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..errors import InputError

LOG_COLUMNS = ["level", "file", "sheet", "cell", "message"]


def where(file: str, sheet: str = "", cell: str = "") -> str:
    """'file | sheet | cell' — how every source and error names a place."""
    return " | ".join(p for p in (file, sheet, cell) if p)


@dataclass
class CleaningLog:
    """Collects log rows and the user-fixable errors (all of them, not only the first)."""

    rows: list[dict] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)

    def info(self, file: str, sheet: str, cell: str, message: str) -> None:
        self.rows.append(dict(level="info", file=file, sheet=sheet, cell=cell, message=message))

    def flag(self, file: str, sheet: str, cell: str, message: str) -> None:
        self.rows.append(dict(level="flag", file=file, sheet=sheet, cell=cell, message=message))

    def error(
        self, file: str, sheet: str, cell: str, problem: str, expected: str | None = None
    ) -> None:
        err = InputError(where(file, sheet, cell), problem, expected)
        self.errors.append(err)
        msg = problem + (f" (expected {expected})" if expected else "")
        self.rows.append(dict(level="error", file=file, sheet=sheet, cell=cell, message=msg))

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=LOG_COLUMNS).astype(str)
