"""The record: data/raw/progress/ holds every report as received; progress.csv is rebuilt from
all of it (docs/data-contracts.md, *Progress: the raw reports are the record*).

:func:`ingest` adds reports to the record and rebuilds: each file is copied in under its own
name (a folder under the folder's name), refusing a name already used by different content
(the same content again is a no-op); then the whole record, new files included, is read; only
if that succeeds are the files copied in and progress.csv and cleaning_log.csv written. A file
that fails is not added and nothing changes: not the record, not progress.csv, not the cleaning
log. A rebuild that reads no values is an error, never an empty table.

When each file entered the record is kept in ``data/raw/progress/.ingested.csv`` (file,
sha256, added UTC time, original name): of two reports of the same region, indicator and
month, the later one wins (a later 填报日期 first; files put in the folder by hand count from
their modification time).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .. import stamps
from ..errors import InputError, InputErrors, OntrackError
from ..fileio import atomic_path, read_csv, sha256, write_csv
from ..lock import data_lock
from ..project import Project
from ..schema import PROGRESS, validate

LEDGER = ".ingested.csv"
LEDGER_COLUMNS = ["file", "sha256", "added", "original", "options"]
#: ledger ``options``: the file's rows of unknown regions or indicators are left out
SKIP_UNKNOWN = "skip-unknown"


@dataclass
class Addition:
    """One file named to ``ontrack ingest``: where it goes in the record and what happens."""

    source: Path
    dest: Path  # a skipped file has none in the record: the folder it was found in
    name: str  # its name in the record (relative to data/raw/progress); skipped: as found
    status: str  # "new" (copied in), "same" (already there, same content), "inside" (in place),
    # "skipped" (found in a folder named but not a report: README, PDF ...; ``note`` says why)
    note: str = ""


@dataclass
class IngestResult:
    progress: pd.DataFrame
    log: pd.DataFrame
    additions: list[Addition]
    written: list[Path]


def ledger_path(project: Project) -> Path:
    return project.progress_dir / LEDGER


def read_ledger(project: Project) -> pd.DataFrame:
    """The record's ledger (empty when there is none or it cannot be read)."""
    path = ledger_path(project)
    if not path.is_file():
        return pd.DataFrame(columns=LEDGER_COLUMNS)
    try:
        df = read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError, pd.errors.ParserError):
        return pd.DataFrame(columns=LEDGER_COLUMNS)
    if not set(LEDGER_COLUMNS[:4]) <= set(df.columns):
        return pd.DataFrame(columns=LEDGER_COLUMNS)
    if "options" not in df.columns:  # a ledger written before options were kept
        df["options"] = ""
    return df[LEDGER_COLUMNS]


def _skip_unknown_files(ledger: pd.DataFrame) -> set[str]:
    """The record's files ingested with --skip-unknown (they keep it at every rebuild)."""
    opts = ledger["options"].astype(str).str.split("|")
    return {str(f) for f, o in zip(ledger["file"], opts, strict=True) if SKIP_UNKNOWN in o}


def _added_times(ledger: pd.DataFrame) -> dict[str, float]:
    out: dict[str, float] = {}
    for name, added in zip(ledger["file"], ledger["added"], strict=True):
        with contextlib.suppress(ValueError):
            out[str(name)] = dt.datetime.fromisoformat(str(added)).timestamp()
    return out


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


def plan_additions(project: Project, paths: list[Path]) -> list[Addition]:
    """Where each file named goes in the record; InputErrors (nothing done) for a missing
    file, or a name in the record already used by different content."""
    from .log import CleaningLog
    from .readers import find_files

    record = project.progress_dir
    errors: list[InputError] = []
    additions: list[Addition] = []
    known = _record_checksums(project)
    # as typed, made absolute and without '..' (a folder named 'x/sub/..' is x: its name, not
    # '..', is the name in the record); symbolic links are kept as links (checked below)
    paths = [Path(os.path.normpath(os.path.abspath(p))) for p in paths]
    for p in paths:
        if not p.exists():
            errors.append(InputError(str(p), "文件或文件夹不存在\n      no such file or folder"))
            continue
        if _inside(p, record) and not p.is_symlink():
            additions.append(Addition(p, p, project.relative(p), "inside"))
            continue
        if p.is_dir():
            log = CleaningLog()
            files = [f for f, _ in find_files([p], log)]
            targets = [(f, record / p.name / f.relative_to(p)) for f in files]
            additions += [
                Addition(p, p, r["file"], "skipped", f"{r['message']} / {r['message_en']}")
                for r in log.rows
                if r["level"] == "info"
            ]
        else:
            targets = [(p, record / p.name)]
        for f, dest in targets:
            name = dest.relative_to(record).as_posix()
            digest = sha256(f)
            if dest.exists() or dest.is_symlink():
                if dest.is_file() and sha256(dest) == digest:
                    additions.append(Addition(f, dest, name, "same"))
                else:
                    errors.append(
                        InputError(
                            str(f),
                            f"记录中已有同名但内容不同的文件 data/raw/progress/{name}，未导入"
                            f"\n      a different file named data/raw/progress/{name} is "
                            "already in the record: not added",
                            "改用新文件名（如加上日期）后再导入 / the new file under a name of "
                            "its own (e.g. with its date)",
                        )
                    )
            elif digest in known:
                additions.append(
                    Addition(f, record / known[digest], known[digest], "same", "同内容已在记录中")
                )
            elif any(a.dest == dest for a in additions):
                errors.append(
                    InputError(
                        str(f),
                        f"与本次导入的另一个文件同名（{name}）\n      another file added now "
                        f"has the same name ({name})",
                    )
                )
            else:
                additions.append(Addition(f, dest, name, "new"))
                known[digest] = name
    if errors:
        raise InputErrors(errors)
    return additions


def _record_checksums(project: Project) -> dict[str, str]:
    """sha256 → name of every progress file already in the record."""
    from .log import CleaningLog
    from .readers import display_name, find_files

    record = project.progress_dir
    if not record.is_dir():
        return {}
    out = {}
    for f, under in find_files([record], CleaningLog(), project.raw, record):
        if f.is_file():
            with contextlib.suppress(OSError):
                out.setdefault(sha256(f), display_name(f, record, under))
    return out


def load_targets_for_checks(project: Project) -> tuple[pd.DataFrame | None, str]:
    """The targets the plausibility check compares with: targets.csv, else the plans read
    now; (None, why) when neither can be had (the check is then skipped, and the log says so)."""
    from ..targets import build_targets, read_targets

    try:
        if project.targets_csv.is_file():
            return read_targets(project.targets_csv), ""
        return build_targets(project.registry()), ""
    except (OntrackError, OSError, ValueError) as exc:
        return None, str(exc).splitlines()[0]


def rebuild(
    project: Project,
    additions: list[Addition] | None = None,
    *,
    split_jan_feb: str | None = None,
    today: dt.date | None = None,
    skip_unknown: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(progress, cleaning log) of the whole record, plus ``additions`` not yet copied in
    (read from where they are, named as they will be). Raises ReadErrors, nothing written.

    Rows of unknown regions or indicators are left out (flagged) in the files ingested with
    --skip-unknown (the ledger keeps it) and, with ``skip_unknown``, in ``additions``."""
    from . import read_files
    from .log import CleaningLog
    from .readers import display_name, find_files

    record = project.progress_dir
    log = CleaningLog()
    named: list[tuple[str, Path, float | None]] = []
    ledger = read_ledger(project)
    skip = _skip_unknown_files(ledger)
    if record.is_symlink() and not _inside(record, project.raw):
        log.error(
            "data/raw/progress",
            "",
            "",
            "data/raw/progress 是指向 data/raw 之外的符号链接，未读取",
            "data/raw/progress is a symbolic link pointing outside data/raw: not read",
        )
    elif record.is_dir():
        added = _added_times(ledger)
        for f, under in find_files([record], log, project.raw, record):
            name = display_name(f, record, under)
            named.append((name, f, added.get(name)))
    now = dt.datetime.now(dt.timezone.utc).timestamp()
    for a in additions or []:
        if a.status == "new":
            named.append((a.name, a.source, now))
            if skip_unknown:
                skip.add(a.name)
    targets, why = load_targets_for_checks(project)
    if targets is None:
        log.info(
            "",
            "",
            "",
            f"未能读取计划目标，跳过数值量级核对（{why}）",
            f"plan targets unavailable: the magnitude check was skipped ({why})",
        )
    return read_files(
        named, project.registry(), split_jan_feb=split_jan_feb, targets=targets, today=today,
        log=log, skip_unknown=skip,
    )  # fmt: skip


def ingest(
    project: Project,
    paths: list[Path] | None = None,
    *,
    split_jan_feb: str | None = None,
    today: dt.date | None = None,
    out: Path | None = None,
    log_path: Path | None = None,
    skip_unknown: bool = False,
) -> IngestResult:
    """Add ``paths`` to the record (none: rebuild only) and write progress.csv and
    cleaning_log.csv (``out`` / ``log_path``: elsewhere in the project). All or nothing.

    With ``skip_unknown`` the new files' rows of regions or indicators the project does not
    know are left out (listed in the cleaning log as flags) instead of refusing the file; the
    ledger keeps the option, so later rebuilds read the file the same way.

    Holds the project's data lock (:mod:`ontrack.lock`: refused while a render runs). Killed
    at any point (even SIGKILL), the next ingest finds the record as it was or with the whole
    addition: the files being added are listed in a journal first, the ledger written (the
    commit) after them, and a journal left behind rolls back the files the ledger does not
    list; progress.csv, made from the record, is then out of date and rebuilt (ontrack.stamps).
    """
    with data_lock(project, "ontrack ingest"):
        recover(project)
        return _ingest(project, paths, split_jan_feb, today, out, log_path, skip_unknown)


JOURNAL = ".ingest-journal.txt"


def recover(project: Project) -> list[str]:
    """After an ingest that was killed: remove the files its journal lists that the ledger does
    not (never committed), the journal, and the temporary files of unfinished atomic writes in
    the record and data/processed. Returns what was removed (paths in the project)."""
    removed: list[str] = []
    journal = project.progress_dir / JOURNAL
    if journal.is_file():
        committed = set(read_ledger(project)["file"].astype(str))
        for name in journal.read_text(encoding="utf-8").splitlines():
            f = project.progress_dir / name
            if name and name not in committed and _inside(f, project.progress_dir) and (
                f.is_file() or f.is_symlink()
            ):  # fmt: skip
                f.unlink()
                removed.append(project.relative(f))
        journal.unlink()
    for folder in (project.progress_dir, project.processed):
        if not folder.is_dir():
            continue
        for root, _, files in os.walk(folder):
            for name in files:
                if name.startswith(".") and name.endswith(".tmp"):  # fileio.atomic_path's
                    with contextlib.suppress(OSError):
                        (Path(root) / name).unlink()
                        removed.append(project.relative(Path(root) / name))
    return removed


def _ingest(project, paths, split_jan_feb, today, out, log_path, skip_unknown) -> IngestResult:
    additions = plan_additions(project, list(paths or []))
    progress, log = rebuild(
        project, additions, split_jan_feb=split_jan_feb, today=today, skip_unknown=skip_unknown
    )
    progress = validate(progress, PROGRESS)
    out = Path(out or project.progress_csv)
    log_path = Path(log_path or project.cleaning_log_csv)
    new = [a for a in additions if a.status == "new"]
    keep = {p: (p.read_bytes() if p.is_file() else None) for p in (out, log_path)}
    ledger = ledger_path(project)
    keep[ledger] = ledger.read_bytes() if ledger.is_file() else None
    copied: list[Path] = []
    made_dirs: list[Path] = []
    journal = project.progress_dir / JOURNAL
    try:
        if new:  # what is being added, before it is: a kill from here on is rolled back
            project.progress_dir.mkdir(parents=True, exist_ok=True)
            journal.write_text("\n".join(a.name for a in new) + "\n", encoding="utf-8")
        for a in new:
            for d in reversed(a.dest.parents):
                if not d.exists() and _inside(d, project.progress_dir.parent):
                    made_dirs.append(d)
            with atomic_path(a.dest) as tmp:
                shutil.copyfile(a.source, tmp)
            copied.append(a.dest)
        if new:
            stamp = dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds")
            rows = [
                {
                    "file": a.name,
                    "sha256": sha256(a.dest),
                    "added": stamp,
                    "original": a.source.name,
                    "options": SKIP_UNKNOWN if skip_unknown else "",
                }
                for a in new
            ]
            ledger_df = pd.concat([read_ledger(project), pd.DataFrame(rows)], ignore_index=True)
            write_csv(ledger_df[LEDGER_COLUMNS], ledger, escape=False)  # read by ontrack only
        write_csv(progress, out)
        write_csv(log, log_path)
    except BaseException:
        _restore(keep, copied, made_dirs)
        with contextlib.suppress(OSError):
            journal.unlink()
        raise
    with contextlib.suppress(OSError):
        journal.unlink()
    if out == project.progress_csv and log_path == project.cleaning_log_csv:
        # what the table was made from, and how (ontrack.stamps)
        stamps.record(project, "progress", opts={"split_jan_feb": split_jan_feb})
    return IngestResult(progress, log, additions, [*copied, out, log_path])


def _restore(keep: dict[Path, bytes | None], copied: list[Path], made_dirs: list[Path]) -> None:
    """Undo a half-done ingest: files copied in removed, outputs put back as they were."""
    for p in copied:
        with contextlib.suppress(OSError):
            p.unlink()
    for d in sorted(set(made_dirs), key=lambda d: len(d.parts), reverse=True):
        with contextlib.suppress(OSError):
            d.rmdir()
    for p, data in keep.items():
        with contextlib.suppress(OSError):
            if data is None:
                if p.exists():
                    p.unlink()
            else:
                with atomic_path(p) as tmp:
                    tmp.write_bytes(data)
