"""Writing outputs safely: atomic replacement, UTF-8 with BOM for Excel users, checksums, and
no live formulas: a text cell that a spreadsheet would take for a formula (it starts with =, +,
-, @, a tab or a carriage return: the OWASP rule for CSV injection) is written as text, in every
CSV and workbook the suite writes (a region named ``=HYPERLINK(…)`` in a plan's regions.csv
stays a name in the template offices fill in)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import yaml


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it into place only if the block succeeds.

    A failure inside the block leaves any previous file at ``path`` untouched and removes the
    temporary file, so a reader never sees a half-written output.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # the name is recorded before the file exists and forgotten after it is gone, so a run
    # stopped at any point (SIGTERM raises wherever the interpreter is) can remove what it
    # left (:func:`remove_pending`)
    # (one segment between the output's name and .tmp: errors.io_problem maps it back)
    tmp_path = path.parent / f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp"
    _PENDING.add(tmp_path)
    try:
        # private while written (O_EXCL: never another's file), then as readable as any file
        # the user writes (the umask decides), so a web server or a colleague can read it
        os.close(os.open(tmp_path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        os.chmod(tmp_path, 0o666 & ~_umask())
        yield tmp_path
        os.replace(tmp_path, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
        _PENDING.discard(tmp_path)


#: temporary files of atomic writes in progress (this process)
_PENDING: set[Path] = set()


def remove_pending() -> None:
    """Remove the temporary files of atomic writes this process has not finished (a run being
    stopped): whatever was being written, the previous file stays in place."""
    for tmp in list(_PENDING):
        with contextlib.suppress(OSError):
            tmp.unlink()
        _PENDING.discard(tmp)


def _umask() -> int:
    """The process's umask (read by setting it and putting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write UTF-8 text atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


#: what a spreadsheet reads as the start of a formula
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"-?\d+(\.\d*)?([eE][+-]?\d+)?")


def as_text(value: object) -> object:
    """A text cell that would start a formula, with a leading apostrophe (shown as text by
    every spreadsheet); anything else unchanged (a negative number written as text stays)."""
    formula = isinstance(value, str) and value.startswith(FORMULA_START)
    return "'" + value if formula and not _PLAIN_NUMBER.fullmatch(value) else value


def text_safe(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with :func:`as_text` applied to its text columns."""
    out = df.copy()
    for c in out.columns:
        if out[c].dtype == object or pd.api.types.is_string_dtype(out[c].dtype):
            out[c] = out[c].map(as_text)
    return out


def write_csv(df: pd.DataFrame, path: str | os.PathLike, *, escape: bool = True) -> Path:
    """Write a CSV as UTF-8 with BOM (so Excel shows the Chinese), atomically, without index;
    text cells that would start a formula are written as text (``escape=False``: a file only
    the suite reads, such as the record's ledger)."""
    with atomic_path(path) as tmp:
        (text_safe(df) if escape else df).to_csv(
            tmp, index=False, encoding="utf-8-sig", lineterminator="\n"
        )
    return Path(path)


def read_csv(path: str | os.PathLike, **kwargs) -> pd.DataFrame:
    """Read a CSV written by :func:`write_csv` (or any UTF-8 CSV, BOM or not)."""
    return pd.read_csv(path, encoding="utf-8-sig", **kwargs)


def write_xlsx(sheets: dict[str, pd.DataFrame], path: str | os.PathLike) -> Path:
    """Write one or more tables to an .xlsx atomically (one sheet per key), every text cell as
    text (never a formula)."""
    with atomic_path(path) as tmp, pd.ExcelWriter(tmp, engine="openpyxl") as xw:
        for name, df in sheets.items():
            df.to_excel(xw, sheet_name=name[:31], index=False)
        no_formulas(xw.book)
    return Path(path)


def no_formulas(wb) -> None:
    """Make every cell of an openpyxl workbook that openpyxl would write as a formula (a text
    starting with =) a text cell: what an office opens shows it, never runs it."""
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"
                    cell.quotePrefix = True


def sha256(path: str | os.PathLike) -> str:
    """Hex sha256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# ---------------------------------------------------------------------------- YAML as data
#: the largest YAML file the suite reads (plan.yml, a scenario: a few KB)
MAX_YAML_BYTES = 256 * 1024


class YAMLRefused(yaml.YAMLError):
    """A YAML file refused before it could cost time or memory (too big, or using aliases)."""


class _NoAliases(yaml.SafeLoader):
    """``yaml.SafeLoader`` without aliases (``*name``): a 405-byte 'billion laughs' expands
    into gigabytes through them, and no file of a project needs them."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise YAMLRefused(
                f"line {mark.line + 1}: an alias (*name) is not allowed: write the value out"
            )
        return super().compose_node(parent, index)


def load_yaml(text: str) -> object:
    """YAML text as data (safe: no Python objects, no aliases, at most MAX_YAML_BYTES);
    :class:`YAMLRefused` (a ``yaml.YAMLError``) otherwise."""
    if len(text.encode("utf-8", "replace")) > MAX_YAML_BYTES:
        raise YAMLRefused(f"larger than {MAX_YAML_BYTES // 1024} KB")
    return yaml.load(text, Loader=_NoAliases)


def read_yaml(path: str | os.PathLike, encoding: str = "utf-8") -> object:
    """:func:`load_yaml` of a file, its size checked before it is read."""
    size = os.path.getsize(path)
    if size > MAX_YAML_BYTES:
        raise YAMLRefused(f"{size // 1024} KB, larger than {MAX_YAML_BYTES // 1024} KB")
    return load_yaml(Path(path).read_text(encoding=encoding))
