"""Files → observations: one reported number each, with its place, period and region.

An :class:`Obs` is what a cell says (e.g. 1-9月 累计 of 昆阳镇's firms = 35); turning running
totals into monthly values, checking 合计 rows and duplicates happens in :mod:`.clean`; opening
files (types, size guards, encodings) in :mod:`.files`; the layouts in :mod:`.layouts`.

Regions and indicators are matched against a :class:`~ontrack.registry.Registry` (the project's
plans and indicators). A region name must name one declared region: an unknown name is an error
with the closest declared names, a name several regions share (two plans each with a 城关镇) is
an error listing their ids unless the other rows of the sheet settle it (the one whose parent
the sheet's other regions belong to). A region id must be declared too: a typo
(pingyang-aojaing) would otherwise become a region of its own whose figures never reach its
township or county; a near miss of a declared id is refused with "did you mean".
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..plans.folder import REGION_ID
from ..registry import Registry
from ..text import normalize
from ..units import factor, find_unit
from .files import READ_SUFFIXES, SAVE_AS_XLSX, load_tables
from .layouts import (
    BASIS_WORDS,
    LONG_COLUMNS,
    LONG_VALUE_COLUMNS,
    NOTE_PREFIXES,
    cell_ref,
    detect,
    example_regions,
    header_key,
    is_total_label,
    sheet_context,
    text,
)
from .log import CleaningLog, where
from .periods import Period, month_str, parse_date, parse_period
from .values import ValueProblem, parse_cell

ILLUSTRATIVE_MARK = "示例数据"
#: Files in a record folder that are documentation, not reports (skipped with a note).
DOC_NAMES = ("readme",)


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
    reported: dt.date | None  # 填报日期, when the sheet states one
    added: float  # when the file entered the record (POSIX time): later reports win
    #: a running total up to this day of month ``end`` (截至12月5日); None: the whole month
    through_day: int | None = None

    @property
    def source(self) -> str:
        day = f"{self.through_day}日" if self.through_day else ""
        span = f"{self.start}月" if self.start == self.end else f"{self.start}-{self.end}月"
        return f"{where(self.file, self.sheet, self.cell)} ({self.year}年{span}{day})"

    @property
    def month(self) -> str:
        return month_str(self.year, self.end)


def display_name(path: Path, base: Path | None = None, under: Path | None = None) -> str:
    """How a file is named in sources and messages: relative to ``base`` (the project's
    data/raw/progress) when inside it, else relative to the parent of the folder it was found in
    (``under``: ``good/report.xlsx``), else its name. Never depends on the current folder."""
    path = Path(path).absolute()
    for b in (base, under.parent if under is not None else None):
        if b is None:
            continue
        for p, q in ((path, Path(b).absolute()), (path.resolve(), Path(b).resolve())):
            try:
                return p.relative_to(q).as_posix()
            except ValueError:
                continue
    return path.name


def mtime(path: Path) -> float:
    try:
        return os.path.getmtime(path)
    except OSError:
        return 0.0


def _in_demo(name: str) -> bool:
    """A file under a ``demo/`` folder (by its display name): illustrative by construction."""
    return "demo" in PurePosixPath(name).parts[:-1]


# --------------------------------------------------------------------------- regions


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


def _known_region(label: str, reg: Registry) -> list[str]:
    """The closest declared names, else the first ones."""
    return reg.suggest_regions(label) or [r.name_zh for r in list(reg.regions.values())[:2]]


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
    exactly one of them lies in it. A label the project does not declare is refused (a near miss
    of a declared id gets "did you mean"); only with ``accept_ids`` and a registry that declares
    no region at all (an ad hoc run) is an id-like label (letters, digits, - _ .) that id (noted
    once per label in ``seen``)."""
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
                f"“{label}”按本表其他区域所属的 {reg.parent(near[0])} 读作 {near[0]}"
                f"（{others} 也用此名）",
                f"'{label}' read as {near[0]}, the one in {reg.parent(near[0])} like the "
                f"sheet's other regions (also the name of {others})",
                region_id=near[0],
            )
            return near[0]
        log.error(
            file,
            sheet,
            ref,
            f"区域名称“{label}”不明确：可能是 {' 或 '.join(found)}",
            f"ambiguous region '{label}': it may be {' or '.join(found)}",
            "用区域代码代替名称（" + " / ".join(found) + "）",
            "the region id in place of the name (" + " / ".join(found) + ")",
        )
        return None
    if accept_ids and REGION_ID.fullmatch(label) and not reg.regions:
        # a registry that declares no region at all (an ad hoc run): ids are taken as they are
        if seen is not None and label not in seen:
            seen.add(label)
            log.info(
                file,
                sheet,
                ref,
                f"区域“{label}”未在任何计划中登记：按区域代码读取（无名称、无上级）",
                f"region '{label}' is declared by no plan: read as a region id "
                "(no name, no parent)",
                region_id=label,
            )
        return label
    near_ids = difflib.get_close_matches(label, list(reg.regions), n=1, cutoff=0.8)
    if near_ids:  # a near miss of a declared id (pingyang-aojaing): did you mean …
        log.unknown(
            file,
            sheet,
            ref,
            f"未登记的区域代码“{label}”（是否应为 {near_ids[0]}？）",
            f"region id '{label}' is declared by no plan (did you mean {near_ids[0]}?)",
            "计划 regions.csv 中登记的区域代码",
            "an id declared in a plan's regions.csv",
        )
        return None
    names = " / ".join(_known_region(label, reg))
    exp_zh = f"已登记的区域，如 {names}" if names else "已登记的区域"
    exp_en = f"a known region, e.g. {names}" if names else "a known region"
    exp_zh += "（新的区域请先加入计划的 regions.csv）"
    exp_en += " (a new region goes into a plan's regions.csv first)"
    log.unknown(file, sheet, ref, f"未知区域“{label}”", f"unknown region '{label}'", exp_zh, exp_en)
    return None


def _unit_error(log, file, sheet, ref, unit, ind, canon, reg: Registry) -> None:
    log.error(
        file,
        sheet,
        ref,
        f"单位“{unit}”与指标“{reg.indicator_name(ind)}”（{canon}）不符",
        f"unit '{unit}' does not fit {ind} ({canon})",
        f"{canon}或可换算为{canon}的单位",
        f"{canon} or a unit convertible to it",
        indicator_id=ind,
    )


def _not_whole(log, file, sheet, ref, raw, v: float, ind: str, reg: Registry, **about) -> bool:
    """A count (firms, people, tech firms, incubators) that is not a whole number after its
    unit (0.353 firms; 1.25万人 is 12,500 people and fine): an error, True."""
    if reg.nature(ind) not in ("count", "small_count") or abs(v - round(v)) <= 1e-6:
        return False
    unit = reg.unit(ind) or ""
    log.error(
        file,
        sheet,
        ref,
        f"“{reg.indicator_name(ind)}”是个数，“{raw}”读作 {v:g}{unit}，不是整数",
        f"{ind} is a count: '{raw}' reads as {v:g} {unit}, not a whole number",
        f"整数（单位：{unit}）",
        f"a whole number ({unit})",
        **about,
    )
    return True


def _value_error(log, file, sheet, ref, exc: ValueProblem, **about) -> None:
    log.error(
        file,
        sheet,
        ref,
        exc.zh,
        exc.en,
        "不小于0的数字，未报送留空或填“—”",
        "a number ≥ 0, or blank / — for none",
        **about,
    )


# --------------------------------------------------------------------------- wide reports


def read_wide_sheet(
    grid: list[list],
    file: str,
    sheet: str,
    log: CleaningLog,
    reg: Registry,
    illustrative: bool,
    added: float,
) -> list[Obs]:
    """Observations from a wide report sheet (督查 sheet or the suite's template)."""
    layout = detect(grid, file, sheet, log, reg)
    if layout is None or not layout.columns:
        if layout is not None:
            log.info(
                file,
                sheet,
                "",
                "跳过：没有完成数的列",
                "sheet skipped: no column of achieved values",
            )
        return []
    illustrative = illustrative or any(ILLUSTRATIVE_MARK in t for t in layout.titles)
    head_row = layout.header_rows[-1] if layout.header_rows else layout.first_data_row
    factors: dict[int, float | None] = {}
    for col in layout.columns:
        canon = reg.unit(col.indicator_id)
        f = factor(col.unit, canon)
        ref = cell_ref(head_row, col.col)
        if f is None and not (col.unit is None and layout.unit_col is not None):
            if col.unit is None:
                log.error(
                    file,
                    sheet,
                    ref,
                    f"“{col.header}”未注明单位",
                    f"unit of '{col.header}' not stated",
                    f"在表头或标题注明单位，如（{canon}）或（平方米）",
                    f"the unit in the header or title, e.g. ({canon}) or (平方米)",
                    indicator_id=col.indicator_id,
                )
            else:
                _unit_error(log, file, sheet, ref, col.unit, col.indicator_id, canon, reg)
        elif col.unit is None and f is not None:
            log.info(
                file,
                sheet,
                ref,
                f"“{col.header}”未注明单位，按{canon}计",
                f"'{col.header}': no unit stated; counted in {canon}",
                indicator_id=col.indicator_id,
            )
        elif f is not None and f != 1.0:
            log.info(
                file,
                sheet,
                ref,
                f"“{col.header}”：{col.unit} × {f:g} → {canon}",
                f"'{col.header}': {col.unit} × {f:g} → {canon}",
                indicator_id=col.indicator_id,
            )
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
    # the template: a February value with January left blank is 1-2月 together (填写说明)
    jan = {
        (c.indicator_id, c.period.year): c.col
        for c in layout.columns
        if (c.period.start, c.period.end) == (1, 1)
    }
    for r, (label, rid, total) in rows.items():
        row = grid[r]
        if total:
            rid = sheet_parent or reg.match_region(label)  # None: worked out in clean
        row_unit = None
        if layout.unit_col is not None and text(row[layout.unit_col]):
            written = text(row[layout.unit_col])
            row_unit = find_unit(written)
            if row_unit is None:
                log.error(
                    file,
                    sheet,
                    cell_ref(r, layout.unit_col),
                    f"无法识别的单位“{written}”",
                    f"unknown unit '{written}'",
                    "个、家、人、万平方米、平方米 等",
                    "个, 家, 人, 万平方米, 平方米 ...",
                    region_id=rid or "",
                )
                continue
        for col in layout.columns:
            ref = cell_ref(r, col.col)
            raw = row[col.col]
            about = dict(region_id=rid or "", indicator_id=col.indicator_id)
            try:
                v, cell_unit = parse_cell(raw)
            except ValueProblem as exc:
                _value_error(log, file, sheet, ref, exc, **about)
                continue
            if v is None:
                continue
            canon = reg.unit(col.indicator_id)
            f = factors[col.col]
            unit = cell_unit or row_unit
            if unit is not None:
                if row_unit and col.unit and factor(row_unit, canon) != factor(col.unit, canon):
                    log.error(
                        file,
                        sheet,
                        cell_ref(r, layout.unit_col),
                        f"本行单位“{row_unit}”与表头单位“{col.unit}”不一致",
                        f"the row's unit '{row_unit}' differs from the header's '{col.unit}'",
                        "一致的单位",
                        "one unit",
                        **about,
                    )
                    continue
                f = factor(find_unit(unit), canon)
                if f is None:
                    _unit_error(log, file, sheet, ref, unit, col.indicator_id, canon, reg)
                    continue
            if f is None:
                continue
            # a cell read as something else than it says (12,500; 2.1* or 0.6① unmarked)
            if isinstance(raw, str) and normalize(raw) != text(v if v % 1 else int(v)):
                log.info(file, sheet, ref, f"“{raw}”读作 {v:g}", f"read '{raw}' as {v:g}", **about)
            p = col.period
            start = p.start
            if layout.template and (p.start, p.end) == (2, 2):
                jc = jan.get((col.indicator_id, p.year))
                if jc is not None and _blank(row[jc]):
                    start = 1
                    log.info(
                        file,
                        sheet,
                        ref,
                        "1月未填，按填写说明将2月数视为1-2月合计",
                        "January left blank: the February cell is January and February "
                        "together (the template's instructions)",
                        **about,
                        month=month_str(p.year, 2),
                    )
            if _not_whole(log, file, sheet, ref, raw, v * f, col.indicator_id, reg, **about):
                continue
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
                    start,
                    p.end,
                    v * f,
                    illustrative,
                    layout.reported,
                    added,
                    p.through_day,
                )
            )
    return out


def _blank(v: object) -> bool:
    try:
        return parse_cell(v)[0] is None
    except ValueProblem:
        return False


# --------------------------------------------------------------------------- long tables


#: period words in a value column's header (1-9月累计完成, 截至9月底累计): what is left is
#: compared with LONG_VALUE_COLUMNS
_PERIOD_TEXT = re.compile(
    r"(?:20\d{2}年)?(?:截[至止])?(?:\d{1,2}-)?\d{1,2}月(?:\d{1,2}[日号]|底|末)?|截[至止]|[前上下]半年"
)


def value_header(h: object) -> tuple[bool, str | None, Period | None]:
    """Whether a header names a long table's value column, what its numbers are ("ytd",
    "monthly", None: said elsewhere) and the period it names (1-12月累计完成: January to
    December, running totals), if any."""
    key = header_key(h)
    if key in LONG_VALUE_COLUMNS:
        return True, LONG_VALUE_COLUMNS[key], None
    p = parse_period(text(h))
    rest = _PERIOD_TEXT.sub("", key)
    if p is None or rest not in LONG_VALUE_COLUMNS or LONG_VALUE_COLUMNS[rest] is None:
        return False, None, None
    basis = LONG_VALUE_COLUMNS[rest]
    if basis == "ytd" and p.start != 1:
        return False, None, None
    return True, basis, p


def tidy_columns(header: list) -> dict[str, int] | None:
    """Column positions of a long table's header (keys of LONG_COLUMNS and 'value'), or None
    when it is not one.

    A long table has an indicator column and a value column, and says the month of each value
    in a month column or once for all in the value column's header (1-12月累计完成: a year-end
    table). Its region is a column, or, without one, the region its title names (a township's
    own sheet: :func:`read_file`)."""
    names = [header_key(h) for h in header]
    found: dict[str, int] = {}
    for key, aliases in LONG_COLUMNS.items():
        for i, n in enumerate(names):
            if n in aliases and key not in found and i not in found.values():
                found[key] = i
    # the value column: a running total wins over the month's own when a table has both
    values = [(i, *value_header(h)[1:]) for i, h in enumerate(header) if value_header(h)[0]]
    values = [v for v in values if v[0] not in found.values()]
    if values:
        i, _, period = next((v for v in values if v[1] == "ytd"), values[0])
        found["value"] = i
        if period is not None and "month" not in found:
            found["period_in_header"] = i
    if "indicator" in found and "value" in found:
        return found  # the region and the period, when not columns, from the title
    return None


def region_in_text(texts: Iterable[str], reg: Registry) -> list[str]:
    """The regions the first text naming any (a title such as 昆阳镇大孵化器集群建设进度表, a
    填报单位 line, a sheet or file name) names: the longest declared name (name, short name,
    alias; two characters at least) found in it."""
    names = []
    for r in reg.regions.values():
        for n in (r.name_zh, r.short_zh, *r.aliases):
            n = normalize(n or "", footnotes=True)
            if len(n) >= 2:
                names.append((n, r.id))
    names.sort(key=lambda x: -len(x[0]))
    for t in texts:
        t = normalize(t or "", footnotes=True)
        hits = [(n, rid) for n, rid in names if n in t]
        if hits:
            longest = len(hits[0][0])
            return sorted({rid for n, rid in hits if len(n) == longest})
    return []


def _cell(row: list, c: int) -> object:
    return row[c] if c < len(row) else None


def read_tidy_rows(
    header: list,
    rows: list[list],
    cols: dict[str, int],
    file: str,
    sheet: str,
    log: CleaningLog,
    reg: Registry,
    illustrative: bool,
    added: float,
    ref_of,
    *,
    region: str | None = None,
    period: Period | None = None,
    reported: dt.date | None = None,
) -> list[Obs]:
    """Observations from a long table's data rows (``ref_of(i, col)`` names a cell).

    A region cell is a declared region's name or id, or an undeclared region id; without a
    region column every row is ``region``'s. Without a month column every value is of
    ``period`` (with its year; the value column's header or the title says it)."""
    out: list[Obs] = []
    logged_units: set = set()
    undeclared: set[str] = set()
    _, value_basis, _ = value_header(header[cols["value"]])
    value_unit = find_unit(text(header[cols["value"]]))
    others = [text(h) for i, h in enumerate(header) if i != cols["value"] and value_header(h)[0]]
    if others:
        log.info(
            file,
            sheet,
            "",
            f"读取“{text(header[cols['value']])}”列；“{'”“'.join(others)}”列未读取",
            f"column '{text(header[cols['value']])}' read; {', '.join(others)} not read",
        )
    labels = (text(_cell(row, cols["region"])) for row in rows) if "region" in cols else ()
    context = region_context(labels, reg)
    for i, row in enumerate(rows):
        if not any(text(v) for v in row):
            continue
        get = {k: _cell(row, c) for k, c in cols.items()}
        first = text(row[0]) if row else ""
        if first.startswith(NOTE_PREFIXES) or text(get["indicator"]).startswith(NOTE_PREFIXES):
            continue
        total = False
        if "region" in cols:
            label = text(get["region"])
            if label.startswith(NOTE_PREFIXES):
                continue
            total = is_total_label(label)  # a 合计 row: checked against the regions (clean)
            rid = (
                None
                if total
                else resolve_region(
                    label,
                    reg,
                    (file, sheet, ref_of(i, cols["region"])),
                    log,
                    context=context,
                    accept_ids=True,
                    seen=undeclared,
                )
            )
        else:
            label, rid = reg.region_name(region), region
        if rid is None and not total:
            continue
        if not text(get["indicator"]) and _blank(get["value"]):
            continue
        ind = reg.match_indicator(get["indicator"])
        if ind is None:
            near = reg.suggest_indicators(get["indicator"]) or ["space"]
            log.unknown(
                file,
                sheet,
                ref_of(i, cols["indicator"]),
                f"未知指标“{get['indicator']}”",
                f"unknown indicator '{get['indicator']}'",
                "以下之一：" + "、".join(near),
                "one of: " + ", ".join(near),
                region_id=rid,
            )
            continue
        about = dict(region_id=rid, indicator_id=ind)
        p: Period | None = parse_period(get["month"]) if "month" in cols else period
        if p is None or p.year is None:
            log.error(
                file,
                sheet,
                ref_of(i, cols["month"]),
                f"不是月份：“{get['month']}”",
                f"not a month: '{get['month']}'",
                "YYYY-MM 或 2026年1-2月",
                "YYYY-MM or 2026年1-2月",
                **about,
            )
            continue
        basis = value_basis
        if "basis" in cols and text(get.get("basis")):
            basis = BASIS_WORDS.get(text(get.get("basis")).lower())
            if basis is None:
                log.error(
                    file,
                    sheet,
                    ref_of(i, cols["basis"]),
                    f"未知口径“{get['basis']}”",
                    f"unknown basis '{get['basis']}'",
                    "当月 或 累计",
                    "monthly or ytd",
                    **about,
                )
                continue
            if value_basis and basis != value_basis:
                log.error(
                    file,
                    sheet,
                    ref_of(i, cols["basis"]),
                    f"口径“{get['basis']}”与数值列“{text(header[cols['value']])}”矛盾",
                    f"basis '{get['basis']}' contradicts the value column "
                    f"'{text(header[cols['value']])}'",
                    **about,
                )
                continue
        if basis == "ytd":
            p = p.as_ytd()
        try:
            v, cell_unit = parse_cell(get["value"])
        except ValueProblem as exc:
            _value_error(log, file, sheet, ref_of(i, cols["value"]), exc, **about)
            continue
        if v is None:
            continue
        unit = cell_unit or (find_unit(get.get("unit")) if "unit" in cols else None)
        if unit is None and "unit" in cols and text(get.get("unit")):
            unit = text(get.get("unit"))
        unit = unit or value_unit
        canon = reg.unit(ind)
        f = factor(unit, canon) if unit else 1.0  # the contract's tidy form is in canonical units
        if f is None:
            _unit_error(
                log,
                file,
                sheet,
                ref_of(i, cols.get("unit", cols["value"])),
                unit,
                ind,
                canon,
                reg,
            )
            continue
        if unit is None and (ind, "nounit") not in logged_units:
            logged_units.add((ind, "nounit"))
            log.info(
                file,
                sheet,
                "",
                f"{ind}：无单位列，按合同单位{canon}计",
                f"{ind}: no unit column; values taken in {canon} (the contract's unit)",
                indicator_id=ind,
            )
        elif f != 1.0 and (ind, unit) not in logged_units:
            logged_units.add((ind, unit))
            log.info(
                file,
                sheet,
                "",
                f"{ind}：{unit} × {f:g} → {canon}",
                f"{ind}: {unit} × {f:g} → {canon}",
                indicator_id=ind,
            )
        ref = ref_of(i, cols["value"])
        if _not_whole(log, file, sheet, ref, get["value"], v * f, ind, reg, **about):
            continue
        out.append(
            Obs(
                file,
                sheet,
                ref_of(i, cols["value"]),
                label,
                rid,
                total,
                ind,
                p.year,
                p.start,
                p.end,
                v * f,
                illustrative,
                reported,
                added,
                p.through_day,
            )
        )
    return out


# --------------------------------------------------------------------------- files


def read_file(
    path: Path,
    log: CleaningLog,
    reg: Registry,
    name: str | None = None,
    added: float | None = None,
) -> list[Obs]:
    """Every observation in one file (.xlsx / .xlsm / .xls / .csv / .tsv / .txt); problems go
    to ``log``. A file that gives no value at all is an error (with what was skipped).

    ``name`` is how sources and messages name the file (:func:`display_name`; default: the
    file's name); ``added`` when it entered the record (default: its modification time)."""
    path = Path(path)
    file = name or path.name
    added = mtime(path) if added is None else added
    errors_before = log.errors_of(file)
    tables = load_tables(path, file, log)
    if tables is None:
        return []
    demo = _in_demo(file)
    illustrative = demo or any(
        ILLUSTRATIVE_MARK in str(v)
        for g in tables.grids.values()
        for r in (g if tables.text else g[:6])
        for v in r
        if v
    )
    for hidden in tables.hidden:
        log.info(file, hidden, "", "隐藏的工作表未读取", "hidden sheet not read")
    out: list[Obs] = []
    for sheet, grid in tables.grids.items():
        cols = None
        for h, header in enumerate(grid[:10]):
            cols = tidy_columns(header)
            if cols:
                if tables.text:
                    ref_of = lambda i, c, h=h: f"line {h + 2 + i}"  # noqa: E731
                else:
                    ref_of = lambda i, c, h=h: cell_ref(h + 1 + i, c)  # noqa: E731
                out += _read_long(
                    grid, h, cols, file, sheet, log, reg, illustrative, added, ref_of, tables.text
                )
                break
        if cols is None:
            out += read_wide_sheet(grid, file, sheet, log, reg, illustrative, added)
    if not out and log.errors_of(file) == errors_before:
        _no_values(log, file, tables)
    return out


def _read_long(
    grid, h, cols, file, sheet, log, reg, illustrative, added, ref_of, is_text
) -> list[Obs]:
    """A long table whose header is row ``h``: its region (a column, or the one its title
    names) and period (a month column, or the value column's header / the title) worked out,
    then its rows read."""
    header = grid[h]
    titles = [t for row in grid[:h] for t in dict.fromkeys(text(v) for v in row) if t]
    reported = next(
        (parse_date(t) for t in titles if ("日期" in t) and parse_date(t) is not None), None
    )
    what = "line" if is_text else "row"
    region = None
    if "region" not in cols:
        filled = [t for t in titles if "填报单位" in t]
        found = region_in_text([*filled, *titles, sheet, PurePosixPath(file).stem], reg)
        if len(found) != 1:
            names = " / ".join(reg.region_name(r) for r in found) or "—"
            log.error(
                file,
                sheet,
                "",
                f"表中没有区域列，标题、填报单位、工作表名和文件名也看不出是哪个区域（{names}）",
                f"no region column, and the title, 填报单位, sheet and file name do not name one "
                f"region ({', '.join(found) or 'none'})",
                "标题或填报单位写明区域，如 " + example_regions(reg),
                "the region in the title or 填报单位, e.g. " + example_regions(reg),
            )
            return []
        region = found[0]
    period = None
    if "month" not in cols:
        _, basis, period = value_header(header[cols["value"]])
        ctx_period, ctx_year = sheet_context(titles, sheet, file)
        period = period or ctx_period
        if period is None:
            log.error(
                file,
                sheet,
                cell_ref(h, cols["value"]) if not is_text else f"line {h + 1}",
                f"“{text(header[cols['value']])}”找不到统计期",
                f"no period found for '{text(header[cols['value']])}'",
                "表头或标题写明如 1-9月累计完成、2026年1-9月",
                "a header or title such as 1-9月累计完成 or 2026年1-9月",
            )
            return []
        period = period.with_year(ctx_year)
        if period.year is None:
            log.error(
                file,
                sheet,
                "",
                f"“{text(header[cols['value']])}”找不到年份",
                f"no year found for '{text(header[cols['value']])}'",
                "标题、工作表名或文件名写明年份，如 2026年",
                "a title, sheet or file name with the year, such as 2026年",
            )
            return []
        if basis == "ytd" or (basis is None and period.start == 1 and not period.single):
            period = period.as_ytd()
    log.info(
        file,
        sheet,
        "",
        f"长表（一行一个数值），表头在第 {h + 1} 行"
        + (f"，区域：{reg.region_name(region)}" if region else "")
        + (f"，统计期：{period.label()}" if period else ""),
        f"long table, header on {what} {h + 1}"
        + (f", region {region}" if region else "")
        + (f", period {period.label()}" if period else ""),
    )
    return read_tidy_rows(
        header, grid[h + 1 :], cols, file, sheet, log, reg, illustrative, added, ref_of,
        region=region, period=period, reported=reported,
    )  # fmt: skip


def _no_values(log: CleaningLog, file: str, tables) -> None:
    """The error for a file that gave no value, saying what the reader saw."""
    zh, en = "未读到任何数值", "no values read"
    empty = not any(any(text(v) for v in row) for g in tables.grids.values() for row in g)
    if tables.hidden and empty:
        zh += f"：看得见的工作表是空的，数据可能在隐藏的工作表（{'、'.join(tables.hidden)}）里"
        en += f": the visible sheets are empty; hidden sheet(s): {', '.join(tables.hidden)}"
        exp = ("取消隐藏数据所在的工作表", "the data sheet unhidden")
    elif empty:
        zh += "：文件是空的"
        en += ": the file is empty"
        exp = ("填好数据的报表", "a filled-in report")
    elif tables.hidden:
        zh += f"（隐藏的工作表 {'、'.join(tables.hidden)} 未读取）"
        en += f" (hidden sheet(s) {', '.join(tables.hidden)} not read)"
        exp = ("取消隐藏数据所在的工作表", "the data sheet unhidden")
    elif tables.text and all(len(r) <= 1 for r in next(iter(tables.grids.values()), [])):
        zh += "：每行只有一列（分隔符无法识别）"
        en += ": every line is a single column (delimiter not recognised)"
        exp = ("以逗号、制表符或分号分隔的表格", "a table separated by commas, tabs or semicolons")
    else:
        zh += "（只有表头，或没有一格填有数值）"
        en += " (a header only, or no cell holds a value)"
        exp = (
            "至少一个区域、指标和月份的数值",
            "a value for at least one region, indicator, month",
        )
    log.error(file, "", "", zh, en, *exp)


def _under(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
    except ValueError:
        return False
    return True


def find_files(
    paths_: Iterable[Path],
    log: CleaningLog | None = None,
    confine: Path | None = None,
    base: Path | None = None,
) -> list[tuple[Path, Path | None]]:
    """(file, the folder it was found in or None) for every progress file named or found in
    the folders named (recursively; hidden and ~$ lock files skipped).

    Problems go to ``log`` naming the file as ``base`` would: a symbolic link whose target
    lies outside ``confine`` (the project's data/raw) is refused and never read; a workbook of
    a format refused by :mod:`.files` is an error; other files (README, PDF ...) are skipped
    with a note."""
    log = log if log is not None else CleaningLog()
    found: list[tuple[Path, Path | None]] = []
    confine_r = Path(confine).resolve() if confine is not None else None

    def name_of(f: Path, under: Path | None) -> str:
        return display_name(f, base, under)

    def outside(f: Path) -> bool:
        return confine_r is not None and not _under(Path(f).resolve(), confine_r)

    def refuse_link(f: Path, under: Path | None) -> None:
        log.error(
            name_of(f, under),
            "",
            "",
            f"符号链接指向 data/raw 之外（{os.readlink(f) if f.is_symlink() else f.resolve()}），"
            "未读取",
            "a symbolic link pointing outside data/raw: not followed",
            "报表文件本身（复制进 data/raw/progress/，或用 ontrack ingest 导入）",
            "the report itself (copied in, or added with `ontrack ingest`)",
        )

    for p in map(Path, paths_):
        if p.is_dir() and not (p.is_symlink() and outside(p)):
            for folder, dirs, files in os.walk(p, followlinks=False):
                here = Path(folder)
                dirs[:] = sorted(d for d in dirs if not d.startswith((".", "~$")))
                for d in list(dirs):
                    if (here / d).is_symlink():
                        dirs.remove(d)
                        if outside(here / d):
                            refuse_link(here / d, p)
                        else:
                            log.info(
                                name_of(here / d, p),
                                "",
                                "",
                                "符号链接的文件夹未读取",
                                "symbolic link to a folder not followed",
                            )
                for fname in sorted(files):
                    if fname.startswith((".", "~$")):
                        continue
                    f = here / fname
                    _take(f, p, found, log, name_of, outside, refuse_link, listed=False)
        else:
            _take(p, None, found, log, name_of, outside, refuse_link, listed=True)
    return found


def _take(f, under, found, log, name_of, outside, refuse_link, listed: bool) -> None:
    if f.is_symlink() and outside(f):
        refuse_link(f, under)
        return
    suffix = f.suffix.lower()
    if listed or suffix in READ_SUFFIXES or suffix in SAVE_AS_XLSX:
        if suffix == ".txt" and f.stem.lower().startswith(DOC_NAMES) and not listed:
            log.info(name_of(f, under), "", "", "说明文件，跳过", "a README: skipped")
            return
        found.append((f, under))
    else:
        log.info(
            name_of(f, under),
            "",
            "",
            "不是进度报表（扩展名不符），跳过",
            "not a progress report (file type): skipped",
        )
