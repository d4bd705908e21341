"""The cleaning log: every conversion, flag and rejection made while reading progress files.

Each row names the place (file, sheet, cell) and, where known, the region, indicator and month
it concerns, so that a briefing can show a region's own flags. ``message`` is in Chinese (what
office staff read and act on), ``message_en`` the same in English. Levels: ``info`` (a note:
a conversion, a check passed), ``flag`` (a warning a reader of the briefing should see: a
revision, a total that does not add up, a replaced value, a value far beyond the plan's
targets) and ``error`` (the file is refused; errors are never written to cleaning_log.csv,
because a refused file changes nothing).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pandas as pd

from ..errors import InputError, InputErrors

LOG_COLUMNS = [
    "level",
    "file",
    "sheet",
    "cell",
    "region_id",
    "indicator_id",
    "month",
    "message",
    "message_en",
    "check",
]
#: ``check`` of a flag for a value far beyond the region's targets: a briefing shows the flag
#: where the number is and never leads with that target (ontrack.progress.checks)
MAGNITUDE = "magnitude"

#: Errors listed per file when a read is refused; the rest are counted ("and K more").
MAX_ERRORS_PER_FILE = 10


def where(file: str, sheet: str = "", cell: str = "") -> str:
    """'file | sheet | cell' — how every source and error names a place."""
    return " | ".join(p for p in (file, sheet, cell) if p)


def bilingual(zh: str, en: str) -> str:
    """A message as the command line prints it: Chinese, then English on the next line."""
    return f"{zh}\n      {en}" if en and en != zh else zh


class ReadErrors(InputErrors):
    """The errors that refused a read, at most :data:`MAX_ERRORS_PER_FILE` listed per file.

    ``total`` counts all of them; ``log`` (set by the reader) holds the whole cleaning log."""

    def __init__(self, errors: list[InputError], total: int | None = None):
        self.total = len(errors) if total is None else total
        self.log: pd.DataFrame | None = None
        super().__init__(errors)
        lines = [f"共 {self.total} 个错误 / {self.total} error(s):"]
        lines += [f"  - {e}" for e in self.errors]
        self.args = ("\n".join(lines),)

    def __str__(self) -> str:
        return self.args[0]


@dataclass
class CleaningLog:
    """Collects log rows and the user-fixable errors (all of them, not only the first)."""

    rows: list[dict] = field(default_factory=list)
    errors: list[tuple[str, InputError]] = field(default_factory=list)  # (file, error)
    #: files whose rows of regions or indicators the project does not know are left out
    #: (``ontrack ingest --skip-unknown``) instead of refusing the file
    skip_unknown: set[str] = field(default_factory=set)
    #: (file, sheet, cell, what) of every row or column left out that way
    skipped: list[tuple[str, str, str, str]] = field(default_factory=list)

    def _row(self, level: str, file, sheet, cell, zh, en, about) -> None:
        self.rows.append(
            dict(
                level=level,
                file=file,
                sheet=sheet,
                cell=cell,
                region_id=about.get("region_id") or "",
                indicator_id=about.get("indicator_id") or "",
                month=about.get("month") or "",
                message=zh,
                message_en=en,
                check=about.get("check") or "",
            )
        )

    def info(self, file: str, sheet: str, cell: str, zh: str, en: str, **about: str) -> None:
        """A note (``about``: region_id, indicator_id, month where known)."""
        self._row("info", file, sheet, cell, zh, en, about)

    def flag(self, file: str, sheet: str, cell: str, zh: str, en: str, **about: str) -> None:
        """A warning the briefing of ``about['region_id']`` shows."""
        self._row("flag", file, sheet, cell, zh, en, about)

    def error(
        self,
        file: str,
        sheet: str,
        cell: str,
        zh: str,
        en: str,
        expected_zh: str = "",
        expected_en: str = "",
        **about: str,
    ) -> None:
        """A problem that refuses the file: ``zh`` / ``en`` say what is wrong, ``expected_*``
        what should be there."""
        zh_full = zh + (f"（应为{expected_zh}）" if expected_zh else "")
        en_full = en + (f" (expected {expected_en})" if expected_en else "")
        self.errors.append(
            (file, InputError(where(file, sheet, cell), bilingual(zh_full, en_full)))
        )
        self._row("error", file, sheet, cell, zh_full, en_full, about)

    def unknown(
        self,
        file: str,
        sheet: str,
        cell: str,
        zh: str,
        en: str,
        expected_zh: str = "",
        expected_en: str = "",
        **about: str,
    ) -> None:
        """A row or column naming a region or indicator the project does not know: an error,
        or, for a file ingested with ``--skip-unknown``, a flag saying it was left out."""
        if file not in self.skip_unknown:
            self.error(file, sheet, cell, zh, en, expected_zh, expected_en, **about)
            return
        self.skipped.append((file, sheet, cell, zh))
        self.flag(
            file,
            sheet,
            cell,
            f"{zh}：此行（列）未读取（导入时选了 --skip-unknown）",
            f"{en}: left out (ingested with --skip-unknown)",
            **about,
        )

    def errors_of(self, file: str) -> int:
        return sum(1 for f, _ in self.errors if f == file)

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=LOG_COLUMNS).astype(str)

    def exception(self, cap: int = MAX_ERRORS_PER_FILE) -> ReadErrors:
        """The errors as one exception: the first ``cap`` of each file, then a count of the
        rest ("and K more"); ``log`` holds the whole log."""
        by_file: dict[str, list[InputError]] = defaultdict(list)
        for f, e in self.errors:
            by_file[f].append(e)
        shown: list[InputError] = []
        for f, errs in by_file.items():
            shown += errs[:cap]
            if len(errs) > cap:
                k = len(errs) - cap
                shown.append(
                    InputError(
                        f or "(files)",
                        bilingual(
                            f"另有 {k} 个错误未列出（先改正以上错误后再导入）",
                            f"and {k} more error(s) in this file (fix the ones above first)",
                        ),
                    )
                )
        exc = ReadErrors(shown, total=len(self.errors))
        exc.log = self.frame()
        return exc
