"""Files → observations: one reported number each, with its place, period and region.

An :class:`Obs` is what a cell says (e.g. 1-9月 累计 of 昆阳镇's firms = 35); turning running
totals into monthly values, checking 合计 rows and duplicates happens in :mod:`.clean`.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .. import paths
from ..registry import REGIONS, match_region, suggest_regions
from .layouts import NOTE_PREFIXES, cell_ref, detect, is_total_label, load_grid, text
from .log import CleaningLog, where
from .periods import Period, parse_period
from .units import canonical_unit, factor, find_unit, match_indicator, suggest_indicators
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


def display_name(path: Path) -> str:
    """How a file is named in sources and messages: relative to data/raw/progress when inside."""
    path = Path(path)
    for base in (paths.PROGRESS_DIR, Path.cwd()):
        try:
            return path.resolve().relative_to(base.resolve()).as_posix()
        except ValueError:
            continue
    return path.name


def _mtime(path: Path) -> float:
    try:
        return os.path.getmtime(path)
    except OSError:
        return 0.0


def _in_demo(path: Path) -> bool:
    return "demo" in Path(path).resolve().parts


# --------------------------------------------------------------------------- wide reports


def _region(label: str, file: str, sheet: str, ref: str, log: CleaningLog) -> str | None:
    rid = match_region(label)
    if rid is None:
        log.error(
            file,
            sheet,
            ref,
            f"unknown region '{label}'",
            "a known region, e.g. " + " / ".join(suggest_regions(label) or ["昆阳镇"]),
        )
    return rid


def read_wide_sheet(
    grid: list[list], file: str, sheet: str, log: CleaningLog, illustrative: bool, mtime: float
) -> list[Obs]:
    """Observations from a wide report sheet (督查 sheet or the suite's template)."""
    layout = detect(grid, file, sheet, log)
    if layout is None or not layout.columns:
        if layout is not None:
            log.info(file, sheet, "", "sheet skipped: no column of achieved values")
        return []
    reported = (layout.reported or dt.date.min, mtime)
    illustrative = illustrative or any(ILLUSTRATIVE_MARK in t for t in layout.titles)
    factors = {}
    for col in layout.columns:
        f = factor(col.unit, col.indicator_id)
        ref = cell_ref(
            layout.header_rows[-1] if layout.header_rows else layout.first_data_row, col.col
        )
        canon = canonical_unit(col.indicator_id)
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
    for r in range(layout.first_data_row, len(grid)):
        row = grid[r]
        label = text(row[layout.region_col])
        if not label or label.startswith(NOTE_PREFIXES):
            continue
        ref_r = cell_ref(r, layout.region_col)
        total = is_total_label(label)
        rid = match_region(label) if total else _region(label, file, sheet, ref_r, log)
        if rid is None and not total:
            continue
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
                f = factor(find_unit(cell_unit), col.indicator_id)
                if f is None:
                    log.error(
                        file,
                        sheet,
                        ref,
                        f"unit '{cell_unit}' does not fit {col.indicator_id}",
                        canonical_unit(col.indicator_id),
                    )
                    continue
            if f is None:
                continue
            if isinstance(raw, str) and text(raw) != text(v if v % 1 else int(v)):
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


def read_tidy_rows(
    rows: list[list],
    cols: dict[str, int],
    file: str,
    sheet: str,
    log: CleaningLog,
    illustrative: bool,
    mtime: float,
    ref_of,
) -> list[Obs]:
    """Observations from a tidy table's data rows (``ref_of(i, col)`` names a cell)."""
    out: list[Obs] = []
    reported = (dt.date.min, mtime)
    logged_units: set = set()
    for i, row in enumerate(rows):
        if not any(text(v) for v in row):
            continue
        get = {k: (row[c] if c < len(row) else None) for k, c in cols.items()}
        label = text(get["region"])
        rid = match_region(label) if is_total_label(label) else None
        rid = rid or (label if label in REGIONS else match_region(label))
        if rid is None:
            _region(label, file, sheet, ref_of(i, cols["region"]), log)
            continue
        ind = match_indicator(get["indicator"])
        if ind is None:
            log.error(
                file,
                sheet,
                ref_of(i, cols["indicator"]),
                f"unknown indicator '{get['indicator']}'",
                "one of: " + ", ".join(suggest_indicators(get["indicator"]) or ["space"]),
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
        f = factor(unit, ind) if unit else 1.0  # the contract's tidy form is in canonical units
        if f is None:
            log.error(
                file,
                sheet,
                ref_of(i, cols.get("unit", cols["value"])),
                f"unit '{unit}' does not fit {ind}",
                canonical_unit(ind),
            )
            continue
        if unit is None and (ind, "nounit") not in logged_units:
            logged_units.add((ind, "nounit"))
            log.info(
                file,
                sheet,
                "",
                f"{ind}: no unit column; values taken in "
                f"{canonical_unit(ind)} (the contract's unit)",
            )
        elif f != 1.0 and (ind, unit) not in logged_units:
            logged_units.add((ind, unit))
            log.info(file, sheet, "", f"{ind}: {unit} × {f:g} → {canonical_unit(ind)}")
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


def read_file(path: Path, log: CleaningLog) -> list[Obs]:
    """Every observation in one file (.xlsx / .xlsm / .csv); problems go to ``log``."""
    from openpyxl import load_workbook

    path = Path(path)
    file = display_name(path)
    mtime = _mtime(path)
    demo = _in_demo(path)
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
                    illustrative,
                    mtime,
                    lambda i, c, h=h: f"line {h + 2 + i}",
                )
        # a wide report saved as CSV
        return read_wide_sheet(rows, file, "", log, illustrative, mtime)
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
                    illustrative,
                    mtime,
                    lambda i, c, h=h: cell_ref(h + 1 + i, c),
                )
                break
        if cols is None:
            out += read_wide_sheet(grid, file, sheet, log, illustrative, mtime)
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
