"""Files → observations: one reported number each, with its place, period and region.

An :class:`Obs` is what a cell says (e.g. 1-9月 累计 of 昆阳镇's firms = 35); turning running
totals into monthly values, checking 合计 rows and duplicates happens in :mod:`.clean`.

Regions and indicators are matched against a :class:`~ontrack.registry.Registry` (the project's
plans and indicators). A region name must name one declared region: an unknown name is an error
with the closest declared names, a name several regions share (two plans each with a 城关镇) is
an error listing their ids unless the other rows of the sheet settle it (the one whose parent
the sheet's other regions belong to). In a tidy table a region cell that is already an id
(letters, digits, - _ .) is read as that id even when no plan declares it (data contract: any
region id is valid; it has no name and no parent).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pandas as pd

from ..plans.folder import REGION_ID
from ..registry import Registry
from ..text import normalize
from ..units import factor, find_unit
from .layouts import NOTE_PREFIXES, cell_ref, detect, is_total_label, load_grid, text
from .log import CleaningLog, where
from .periods import Period, parse_period
from .values import ValueProblem, parse_cell

ILLUSTRATIVE_MARK = "示例数据"
SUFFIXES = (".xlsx", ".xlsm", ".csv")


@dataclass
class Obs:
    """One reported value in canonical units, for months ``start``..``end`` of ``year``."""

    file: str
    sheet: str
    cell: str
    label: str  # the region as written
    region_id: str | None  # None for a 合计 row whose region is worked out later
    is_total: bool
    indicator_id: str
    year: int
    start: int
    end: int
    value: float
    illustrative: bool
    reported: tuple  # (填报日期 or date.min, file mtime): larger is newer

    @property
    def source(self) -> str:
        span = f"{self.start}月" if self.start == self.end else f"{self.start}-{self.end}月"
        return f"{where(self.file, self.sheet, self.cell)} ({self.year}年{span})"


def display_name(path: Path, base: Path | None = None, under: Path | None = None) -> str:
    """How a file is named in sources and messages: relative to ``base`` (the project's
    data/raw/progress) when inside it, else relative to the parent of the folder it was found in
    (``under``: ``good/report.xlsx``), else its name. Never depends on the current folder."""
    path = Path(path).resolve()
    for b in (base, under.parent if under is not None else None):
        if b is None:
            continue
        try:
            return path.relative_to(Path(b).resolve()).as_posix()
        except ValueError:
            continue
    return path.name


def _mtime(path: Path) -> float:
    try:
        return os.path.getmtime(path)
    except OSError:
        return 0.0


def _in_demo(name: str) -> bool:
    """A file under a ``demo/`` folder (by its display name): illustrative by construction."""
    return "demo" in PurePosixPath(name).parts[:-1]


# --------------------------------------------------------------------------- wide reports


def region_context(labels: Iterable[str], reg: Registry) -> set[str]:
    """The regions that a sheet's unambiguous labels name, and their parents: what settles a
    name several regions share (城关镇 beside other townships of one county). Total rows
    (合计, 全县) say nothing about which county a sheet is of."""
    out: set[str] = set()
    for label in labels:
        found = [] if is_total_label(label) else reg.region_candidates(label)
        if len(found) == 1:
            out.add(found[0])
            parent = reg.parent(found[0])
            if parent:
                out.add(parent)
    return out


def _known_region(label: str, reg: Registry) -> str:
    """'a known region, e.g. 昆阳镇 / 昆阳' (the closest declared names, else the first ones)."""
    names = reg.suggest_regions(label) or [r.name_zh for r in list(reg.regions.values())[:2]]
    return "a known region" + (f", e.g. {' / '.join(names)}" if names else "")


def resolve_region(
    label: str,
    reg: Registry,
    where_: tuple[str, str, str],
    log: CleaningLog,
    *,
    context: set[str] | frozenset[str] = frozenset(),
    accept_ids: bool = False,
    seen: set[str] | None = None,
) -> str | None:
    """The region id a row label names, or None (the problem logged as an error at
    ``where_`` = (file, sheet, cell)).

    A name several regions share is settled by ``context`` (:func:`region_context`) when
    exactly one of them lies in it; with ``accept_ids`` an undeclared label that is an id
    (letters, digits, - _ .) is that id (noted once per label in ``seen``)."""
    file, sheet, ref = where_
    found = reg.region_candidates(label)
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        near = [c for c in found if reg.parent(c) in context]
        if len(near) == 1:
            others = ", ".join(c for c in found if c != near[0])
            log.info(
                file,
                sheet,
                ref,
                f"'{label}' read as {near[0]}, the one in {reg.parent(near[0])} like the "
                f"sheet's other regions (also the name of {others})",
            )
            return near[0]
        log.error(
            file,
            sheet,
            ref,
            f"ambiguous region '{label}': it may be {' or '.join(found)}",
            "the region id in place of the name (" + " / ".join(found) + ")",
        )
        return None
    if accept_ids and REGION_ID.fullmatch(label):
        if seen is not None and label not in seen:
            seen.add(label)
            log.info(
                file,
                sheet,
                ref,
                f"region '{label}' is declared by no plan: read as a region id "
                "(no name, no parent)",
            )
        return label
    expected = _known_region(label, reg)
    if accept_ids:
        expected += ", or a region id (letters, digits, - _ .)"
    log.error(file, sheet, ref, f"unknown region '{label}'", expected)
    return None


def read_wide_sheet(
    grid: list[list],
    file: str,
    sheet: str,
    log: CleaningLog,
    reg: Registry,
    illustrative: bool,
    mtime: float,
) -> list[Obs]:
    """Observations from a wide report sheet (督查 sheet or the suite's template)."""
    layout = detect(grid, file, sheet, log, reg)
    if layout is None or not layout.columns:
        if layout is not None:
            log.info(file, sheet, "", "sheet skipped: no column of achieved values")
        return []
    reported = (layout.reported or dt.date.min, mtime)
    illustrative = illustrative or any(ILLUSTRATIVE_MARK in t for t in layout.titles)
    factors = {}
    for col in layout.columns:
        canon = reg.unit(col.indicator_id)
        f = factor(col.unit, canon)
        ref = cell_ref(
            layout.header_rows[-1] if layout.header_rows else layout.first_data_row, col.col
        )
        if f is None:
            if col.unit is None:
                log.error(
                    file,
                    sheet,
                    ref,
                    f"unit of '{col.header}' not stated",
                    f"the unit in the header or title, e.g. ({canon}) or (平方米)",
                )
            else:
                log.error(
                    file,
                    sheet,
                    ref,
                    f"unit '{col.unit}' does not fit {col.indicator_id}",
                    f"{canon} or a unit convertible to it",
                )
        elif col.unit is None:
            log.info(file, sheet, ref, f"'{col.header}': no unit stated; counted in {canon}")
        elif f != 1.0:
            log.info(file, sheet, ref, f"'{col.header}': {col.unit} × {f:g} → {canon}")
        factors[col.col] = f
    out: list[Obs] = []
    rows: dict[int, tuple[str, str | None, bool]] = {}  # row → (label, region id, is total)
    labels = [text(grid[r][layout.region_col]) for r in range(layout.first_data_row, len(grid))]
    context = region_context(labels, reg)
    for r in range(layout.first_data_row, len(grid)):
        label = text(grid[r][layout.region_col])
        if not label or label.startswith(NOTE_PREFIXES):
            continue
        if is_total_label(label):
            rows[r] = (label, None, True)
            continue
        ref_r = cell_ref(r, layout.region_col)
        rid = resolve_region(label, reg, (file, sheet, ref_r), log, context=context)
        if rid is not None:
            rows[r] = (label, rid, False)
    # a total row (合计 / 全县) is for the one parent of the sheet's regions, whether or not they
    # reported (全县 may be another county's alias); else for the region its label names
    ids = {rid for _, rid, total in rows.values() if not total}
    parents = {reg.parent(rid) for rid in ids} - {None}
    # a county row among its townships (平阳县 and its 镇) is a total row too (see clean)
    parents = {reg.parent(rid) for rid in ids - parents} - {None}
    sheet_parent = next(iter(parents)) if len(parents) == 1 else None
    for r, (label, rid, total) in rows.items():
        row = grid[r]
        if total:
            rid = sheet_parent or reg.match_region(label)  # None: worked out in clean
        for col in layout.columns:
            ref = cell_ref(r, col.col)
            raw = row[col.col]
            try:
                v, cell_unit = parse_cell(raw)
            except ValueProblem as exc:
                log.error(file, sheet, ref, str(exc), "a number ≥ 0, or blank / — for none")
                continue
            if v is None:
                continue
            f = factors[col.col]
            if cell_unit is not None:
                f = factor(find_unit(cell_unit), reg.unit(col.indicator_id))
                if f is None:
                    log.error(
                        file,
                        sheet,
                        ref,
                        f"unit '{cell_unit}' does not fit {col.indicator_id}",
                        reg.unit(col.indicator_id),
                    )
                    continue
            if f is None:
                continue
            # a cell read as something else than it says (12,500; 85%; 2.1* or 0.6① unmarked)
            if isinstance(raw, str) and normalize(raw) != text(v if v % 1 else int(v)):
                log.info(file, sheet, ref, f"read '{raw}' as {v:g}")
            p = col.period
            out.append(
                Obs(
                    file,
                    sheet,
                    ref,
                    label,
                    rid,
                    total,
                    col.indicator_id,
                    p.year,
                    p.start,
                    p.end,
                    v * f,
                    illustrative,
                    reported,
                )
            )
    return out


# --------------------------------------------------------------------------- tidy tables

_TIDY_ALIASES = {
    "region": ("region", "region_id", "地区", "区域", "乡镇", "镇街"),
    "indicator": ("indicator", "indicator_id", "指标", "指标名称"),
    "month": ("month", "月份", "期间", "period", "时间"),
    "value": ("value", "数值", "值", "完成值", "完成数"),
    "basis": ("basis", "口径", "统计口径"),
    "unit": ("unit", "单位", "计量单位"),
}
_BASIS = {
    "monthly": "monthly",
    "month": "monthly",
    "当月": "monthly",
    "本月": "monthly",
    "ytd": "ytd",
    "累计": "ytd",
    "cumulative": "ytd",
}


def tidy_columns(header: list) -> dict[str, int] | None:
    """Column positions of a tidy table's header, or None when it is not one."""
    names = [text(h).lower() for h in header]
    found: dict[str, int] = {}
    for key, aliases in _TIDY_ALIASES.items():
        for i, n in enumerate(names):
            if n in aliases and key not in found:
                found[key] = i
    if all(k in found for k in ("region", "indicator", "month", "value")):
        return found
    return None


def _cell(row: list, c: int) -> object:
    return row[c] if c < len(row) else None


def read_tidy_rows(
    rows: list[list],
    cols: dict[str, int],
    file: str,
    sheet: str,
    log: CleaningLog,
    reg: Registry,
    illustrative: bool,
    mtime: float,
    ref_of,
) -> list[Obs]:
    """Observations from a tidy table's data rows (``ref_of(i, col)`` names a cell).

    A region cell is a declared region's name or id, or an undeclared region id."""
    out: list[Obs] = []
    reported = (dt.date.min, mtime)
    logged_units: set = set()
    undeclared: set[str] = set()
    context = region_context((text(_cell(row, cols["region"])) for row in rows), reg)
    for i, row in enumerate(rows):
        if not any(text(v) for v in row):
            continue
        get = {k: _cell(row, c) for k, c in cols.items()}
        label = text(get["region"])
        rid = resolve_region(
            label,
            reg,
            (file, sheet, ref_of(i, cols["region"])),
            log,
            context=context,
            accept_ids=True,
            seen=undeclared,
        )
        if rid is None:
            continue
        ind = reg.match_indicator(get["indicator"])
        if ind is None:
            log.error(
                file,
                sheet,
                ref_of(i, cols["indicator"]),
                f"unknown indicator '{get['indicator']}'",
                "one of: " + ", ".join(reg.suggest_indicators(get["indicator"]) or ["space"]),
            )
            continue
        p: Period | None = parse_period(get["month"])
        if p is None or p.year is None:
            log.error(
                file,
                sheet,
                ref_of(i, cols["month"]),
                f"not a month: '{get['month']}'",
                "YYYY-MM or 2026年1-2月",
            )
            continue
        basis = _BASIS.get(text(get.get("basis")).lower()) if "basis" in cols else None
        if "basis" in cols and text(get.get("basis")) and basis is None:
            log.error(
                file,
                sheet,
                ref_of(i, cols["basis"]),
                f"unknown basis '{get['basis']}'",
                "monthly or ytd",
            )
            continue
        if basis == "ytd":
            p = p.as_ytd()
        try:
            v, cell_unit = parse_cell(get["value"])
        except ValueProblem as exc:
            log.error(file, sheet, ref_of(i, cols["value"]), str(exc), "a number ≥ 0")
            continue
        if v is None:
            continue
        unit = cell_unit or (find_unit(get.get("unit")) if "unit" in cols else None)
        if unit is None and "unit" in cols and text(get.get("unit")):
            unit = text(get.get("unit"))
        canon = reg.unit(ind)
        f = factor(unit, canon) if unit else 1.0  # the contract's tidy form is in canonical units
        if f is None:
            log.error(
                file,
                sheet,
                ref_of(i, cols.get("unit", cols["value"])),
                f"unit '{unit}' does not fit {ind}",
                canon,
            )
            continue
        if unit is None and (ind, "nounit") not in logged_units:
            logged_units.add((ind, "nounit"))
            log.info(
                file,
                sheet,
                "",
                f"{ind}: no unit column; values taken in {canon} (the contract's unit)",
            )
        elif f != 1.0 and (ind, unit) not in logged_units:
            logged_units.add((ind, unit))
            log.info(file, sheet, "", f"{ind}: {unit} × {f:g} → {canon}")
        out.append(
            Obs(
                file,
                sheet,
                ref_of(i, cols["value"]),
                label,
                rid,
                False,
                ind,
                p.year,
                p.start,
                p.end,
                v * f,
                illustrative,
                reported,
            )
        )
    return out


def _read_csv(path: Path) -> pd.DataFrame:
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return pd.read_csv(path, dtype=str, keep_default_na=False, encoding=enc, header=None)
        except UnicodeDecodeError:
            continue
    raise ValueError("not UTF-8 nor GB18030 text")


# --------------------------------------------------------------------------- files


def read_file(path: Path, log: CleaningLog, reg: Registry, name: str | None = None) -> list[Obs]:
    """Every observation in one file (.xlsx / .xlsm / .csv); problems go to ``log``.

    ``name`` is how sources and messages name the file (:func:`display_name`; default: the
    file's name)."""
    from openpyxl import load_workbook

    path = Path(path)
    file = name or path.name
    mtime = _mtime(path)
    demo = _in_demo(file)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        try:
            df = _read_csv(path)
        except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            log.error(file, "", "", f"cannot read as CSV: {exc}", "a UTF-8 CSV file")
            return []
        rows = df.values.tolist()
        illustrative = demo or any(ILLUSTRATIVE_MARK in str(v) for r in rows for v in r)
        for h, header in enumerate(rows[:10]):
            cols = tidy_columns(header)
            if cols:
                log.info(file, "", "", f"tidy table, header on line {h + 1}")
                return read_tidy_rows(
                    rows[h + 1 :],
                    cols,
                    file,
                    "",
                    log,
                    reg,
                    illustrative,
                    mtime,
                    lambda i, c, h=h: f"line {h + 2 + i}",
                )
        # a wide report saved as CSV
        return read_wide_sheet(rows, file, "", log, reg, illustrative, mtime)
    if suffix not in (".xlsx", ".xlsm"):
        log.error(
            file,
            "",
            "",
            f"unsupported file type '{suffix}'",
            "an .xlsx or .csv file (save .xls / .et files as .xlsx)",
        )
        return []
    try:
        wb = load_workbook(path, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        log.error(
            file, "", "", f"cannot open workbook: {type(exc).__name__}: {exc}", "an .xlsx file"
        )
        return []
    grids = {ws.title: load_grid(ws) for ws in wb.worksheets if ws.sheet_state == "visible"}
    hidden = [ws.title for ws in wb.worksheets if ws.sheet_state != "visible"]
    for name in hidden:
        log.info(file, name, "", "hidden sheet not read")
    illustrative = demo or any(
        ILLUSTRATIVE_MARK in str(v) for g in grids.values() for r in g[:6] for v in r if v
    )
    out: list[Obs] = []
    for sheet, grid in grids.items():
        cols = None
        for h, header in enumerate(grid[:10]):
            cols = tidy_columns(header)
            if cols:
                log.info(file, sheet, "", f"tidy table, header on row {h + 1}")
                out += read_tidy_rows(
                    grid[h + 1 :],
                    cols,
                    file,
                    sheet,
                    log,
                    reg,
                    illustrative,
                    mtime,
                    lambda i, c, h=h: cell_ref(h + 1 + i, c),
                )
                break
        if cols is None:
            out += read_wide_sheet(grid, file, sheet, log, reg, illustrative, mtime)
    return out


def find_files(paths_: list[Path]) -> list[Path]:
    """The progress files named, folders searched recursively (hidden and ~$ lock files skipped)."""
    found: list[Path] = []
    for p in paths_:
        p = Path(p)
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                rel = f.relative_to(p).parts
                if (
                    f.is_file()
                    and f.suffix.lower() in SUFFIXES
                    and not any(x.startswith((".", "~$")) for x in rel)
                ):
                    found.append(f)
        else:
            found.append(p)
    return found
