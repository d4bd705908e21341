"""Working out a sheet's layout from its words, never from fixed cell addresses.

The layouts the reader knows are declared in the tables below; a maintainer adds a word to a
table to read a new variant (docs/data-contracts.md, *Progress reports: the layouts read*).

* **wide report** (督查 sheet): regions down a column (found as the column whose cells name the
  most known regions), one or two header rows above them (an indicator name merged over
  年度目标 / 累计完成 / 完成率, or month columns 1月 … 12月 under a sheet-level indicator), title
  rows above that naming the period (2026年1-9月, 第三季度, 截至9月底) and 填报单位 / 填报日期.
  Descriptive columns beside the values (序号, 备注, 完成率 …: :data:`SKIP_COLUMN_WORDS`) are
  not read; a 单位 column (:data:`UNIT_COLUMN_WORDS`) gives each row's unit. The suite's own
  fill-in template (:data:`TEMPLATE_MARK` in its title) is a wide report of monthly values whose
  February cell holds January and February together when January is left blank (its 填写说明).
* **long** (tidy) table: one row per value, its columns found by the header words of
  :data:`LONG_COLUMNS`; the value column by :data:`LONG_VALUE_COLUMNS`, whose words also say
  whether the values are running totals (累计完成值, 累计数) or the month's own (本月完成, 当月数).

Each value column of a wide report is described by a :class:`Column`: which indicator, which
unit, which months.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from openpyxl.utils import get_column_letter

from ..registry import Registry
from ..text import normalize
from ..units import find_unit
from .log import CleaningLog
from .periods import Period, find_year, parse_date, parse_period
from .values import CellError, Formula, Percent, ValueProblem, parse_cell

# ------------------------------------------------------------------ the declared layouts
#: Words in a region column's header cell.
REGION_HEADER_WORDS = (
    "区域",
    "地区",
    "乡镇",
    "镇街",
    "单位名称",
    "单位",
    "县市区",
    "地方",
    "region",
)
#: Row labels meaning "the total of the rows above".
TOTAL_WORDS = frozenset(
    {"合计", "总计", "小计", "汇总", "全县", "全区", "全市", "全县合计", "合计数"}
)
#: Row labels of notes under a table.
NOTE_PREFIXES = (
    "注",
    "备注",
    "说明",
    "填表人",
    "审核",
    "制表",
    "联系人",
    "数据来源",
    "负责人",
    "填报人",
)
#: Column headers that are not achieved values (descriptive columns beside them).
SKIP_COLUMN_WORDS = (
    "序号",
    "备注",
    "说明",
    "完成率",
    "完成比例",
    "进度",
    "比例",
    "占比",
    "目标",
    "任务",
    "计划",
    "排名",
    "联系人",
    "电话",
    "同比",
    "增幅",
    "增速",
    "差额",
    "缺口",
    "合计",
    "小计",
    "总计",
    "全年",
    "得分",
    "评价",
    "责任",
)
#: Header words of a value column even when a skip word is in the header too (年度目标 / 累计完成).
VALUE_COLUMN_WORDS = ("累计完成", "本月完成", "当月完成")
#: A column whose header is one of these (brackets aside) holds each row's unit (个, 万平方米).
UNIT_COLUMN_WORDS = ("单位", "计量单位", "unit")
#: Words saying a value is a running total from January (1..month 累计).
CUMULATIVE_WORDS = ("累计", "截至", "截止", "累积")
#: Words saying a value is the month's own amount.
MONTHLY_WORDS = ("本月", "当月", "月度新增", "单月")
#: In a title: the sheet is the suite's own fill-in template (``ontrack template``).
TEMPLATE_MARK = "进度填报表"

#: Long tables: the header words of each column (compared without spaces, brackets aside,
#: lower case). region, indicator, month and a value column are required.
LONG_COLUMNS: dict[str, tuple[str, ...]] = {
    "region": ("region", "region_id", "地区", "区域", "乡镇", "镇街", "单位名称", "县市区"),
    "indicator": ("indicator", "indicator_id", "指标", "指标名称", "指标项目", "考核指标"),
    "month": ("month", "月份", "期间", "period", "时间", "统计月份", "填报月份", "统计期", "年月"),
    "basis": ("basis", "口径", "统计口径"),
    "unit": ("unit", "单位", "计量单位"),
}
#: Long tables: value column header → what its numbers are: "ytd" (running total from
#: January), "monthly" (the month's own), None (said by a basis column, else monthly).
LONG_VALUE_COLUMNS: dict[str, str | None] = {
    "value": None,
    "数值": None,
    "值": None,
    "完成值": None,
    "完成数": None,
    "完成情况": None,
    "累计完成值": "ytd",
    "累计完成": "ytd",
    "累计完成数": "ytd",
    "累计数": "ytd",
    "累计值": "ytd",
    "累计": "ytd",
    "年度累计": "ytd",
    "本年累计": "ytd",
    "本月完成": "monthly",
    "本月完成值": "monthly",
    "本月数": "monthly",
    "本月新增": "monthly",
    "当月数": "monthly",
    "当月完成": "monthly",
    "当月值": "monthly",
    "当月新增": "monthly",
}
#: Basis column values.
BASIS_WORDS: dict[str, str] = {
    "monthly": "monthly",
    "month": "monthly",
    "当月": "monthly",
    "本月": "monthly",
    "ytd": "ytd",
    "累计": "ytd",
    "cumulative": "ytd",
}


def cell_ref(row: int, col: int) -> str:
    """'F7' for 0-based row 6, column 5."""
    return f"{get_column_letter(col + 1)}{row + 1}"


def text(v: object) -> str:
    """A cell as normalized text ('' for empty): NFKC, no white space, no trailing footnote
    mark (昆阳镇① → 昆阳镇, 2.1* → 2.1). A formula without a value reads as empty."""
    if v is None or isinstance(v, Formula):
        return ""
    if isinstance(v, float) and v != v:
        return ""
    return normalize(v, footnotes=True)


def header_key(v: object) -> str:
    """A header cell as compared with the declared words: text, brackets aside, lower case."""
    return re.sub(r"[(\[（【][^)\]）】]*[)\]）】]", "", text(v)).lower()


def load_grid(
    ws,
    uncached: dict[tuple[int, int], str] | None = None,
    rows: int | None = None,
    cols: int | None = None,
) -> list[list]:
    """The sheet's values as rows of cells (openpyxl worksheet loaded with data_only=True),
    merged ranges filled with their top-left value.

    A number formatted as a percentage becomes a :class:`~.values.Percent`, an error value a
    :class:`~.values.CellError`, and a formula without a calculated value (``uncached``:
    (row, column) 1-based → formula) a :class:`~.values.Formula`, so that reading it as an
    amount is refused with the reason. ``rows`` / ``cols`` bound the range read (default: the
    sheet's dimensions)."""
    uncached = uncached or {}
    grid: list[list] = []
    for row in ws.iter_rows(min_row=1, min_col=1, max_row=rows, max_col=cols):
        out = []
        for cell in row:
            v = cell.value
            if v is None and uncached:
                f = uncached.get((cell.row, cell.column))
                if f is not None:
                    v = Formula(f)
            elif cell.data_type == "e":
                v = CellError(str(v))
            elif (
                isinstance(v, (int, float))
                and not isinstance(v, bool)
                and "%" in str(cell.number_format or "")
            ):
                v = Percent(v)
            out.append(v)
        grid.append(out)
    width = max((len(r) for r in grid), default=0)
    for r in grid:
        r.extend([None] * (width - len(r)))
    for rng in ws.merged_cells.ranges:
        v = grid[rng.min_row - 1][rng.min_col - 1] if rng.min_row <= len(grid) else None
        for r in range(rng.min_row - 1, min(rng.max_row, len(grid))):
            for c in range(rng.min_col - 1, min(rng.max_col, width)):
                grid[r][c] = v
    return grid


@dataclass
class Column:
    """One column of achieved values."""

    col: int
    header: str
    indicator_id: str
    unit: str | None
    period: Period  # with year


@dataclass
class Sheet:
    """A wide report's layout."""

    region_col: int
    first_data_row: int
    header_rows: list[int]
    titles: list[str]
    columns: list[Column] = field(default_factory=list)
    reported: dt.date | None = None
    unit_col: int | None = None  # a 单位 column: each row's unit
    template: bool = False  # the suite's fill-in template (1-2月 in the February cell)


def example_regions(reg: Registry) -> str:
    """Two of the project's own region names, for messages (never another project's)."""
    names = [r.name_zh for r in reg.regions.values() if r.parent][:2] or [
        r.name_zh for r in reg.regions.values()
    ][:2]
    return " / ".join(names) if names else "某某镇"


def is_total_label(label: str) -> bool:
    return label in TOTAL_WORDS or (label.endswith(("合计", "总计")) and len(label) <= 6)


def _is_region_label(label: str, reg: Registry) -> bool:
    """A declared region's name (one region or several) or a total row's label."""
    return bool(label) and (bool(reg.region_candidates(label)) or is_total_label(label))


def _find_region_col(grid: list[list], reg: Registry) -> int | None:
    best, best_n = None, 0
    width = len(grid[0]) if grid else 0
    for c in range(width):
        n = sum(1 for row in grid if _is_region_label(text(row[c]), reg))
        if n > best_n:
            best, best_n = c, n
    return best


def _is_number(v: object) -> bool:
    try:
        return parse_cell(v)[0] is not None
    except ValueProblem:
        return False


def sheet_context(titles: list[str], sheet: str, file: str) -> tuple[Period | None, int | None]:
    """The period and year a sheet is about: title rows first, then sheet name, then file name."""
    period = None
    for t in [*titles, sheet, file]:
        p = parse_period(t)
        if p is not None:
            period = p
            break
    year = period.year if period and period.year else None
    if year is None:
        for t in [*titles, sheet, file]:
            year = find_year(t)
            if year:
                break
    return period, year


def detect(
    grid: list[list], file: str, sheet: str, log: CleaningLog, reg: Registry
) -> Sheet | None:
    """The layout of a wide report sheet, or None when the sheet holds no region table.

    Regions and indicators are those ``reg`` declares. Problems a user must fix (no period,
    unknown indicator, undeterminable unit) go to ``log``.
    """
    if not grid:
        return None
    rc = _find_region_col(grid, reg)
    if rc is None:
        if any(_is_number(v) for row in grid for v in row):
            log.error(
                file,
                sheet,
                "",
                "找不到区域列（没有单元格写有已登记的区域名称）",
                "no region column found (no cell names a known region)",
                "一列区域名称，如 " + example_regions(reg),
                "a column of region names such as " + example_regions(reg),
            )
        else:
            log.info(file, sheet, "", "跳过：没有区域表格", "sheet skipped: no table of regions")
        return None
    first_match = next(r for r, row in enumerate(grid) if _is_region_label(text(row[rc]), reg))
    # header: from the row holding the region column's header word down to the first region row
    h = None
    for r in range(first_match - 1, -1, -1):
        t = text(grid[r][rc])
        if (
            any(w in t for w in REGION_HEADER_WORDS)
            and len(t) <= 8
            and not any(x in t for x in ("填报", ":", "："))
        ):
            h = r
            while h > 0 and text(grid[h - 1][rc]) == t:  # merged over two header rows
                h -= 1
            break
    if h is not None:
        header_word = text(grid[h][rc])
        first_data = h + 1
        while first_data < len(grid) and text(grid[first_data][rc]) in ("", header_word):
            first_data += 1
        header_rows = list(range(h, first_data))
    else:
        first_data = first_match
        header_rows = []
        r = first_match - 1
        while r >= 0 and len(header_rows) < 2:
            vals = {text(v) for v in grid[r] if text(v)}
            if len(vals) <= 1 or any(v.startswith("填报") for v in vals):
                break
            header_rows.insert(0, r)
            r -= 1
    top = header_rows[0] if header_rows else first_data
    titles: list[str] = []
    reported = None
    for r in range(top):
        for v in dict.fromkeys(grid[r]):  # merged titles repeat; keep one
            t = text(v)
            if t:
                titles.append(t)
                if "填报日期" in t or "日期" in t or isinstance(v, (dt.date, dt.datetime)):
                    reported = reported or parse_date(v)
    sheet_period, sheet_year = sheet_context(titles, sheet, file)
    sheet_cumulative = any(w in t for t in [*titles, sheet] for w in CUMULATIVE_WORDS)
    sheet_monthly = any(w in t for t in [*titles, sheet] for w in MONTHLY_WORDS)
    sheet_ind, sheet_unit = None, None
    for t in [sheet, *titles]:
        if sheet_ind is None:
            sheet_ind = reg.match_indicator(t)
            if sheet_ind and find_unit(t):
                sheet_unit = find_unit(t)
    for t in titles:
        m = re.search(r"(?:计量)?单位[:：](.+)", t)
        if m and find_unit(m.group(1)):
            sheet_unit = find_unit(m.group(1))
    template = any(TEMPLATE_MARK in t for t in titles)
    layout = Sheet(rc, first_data, header_rows, titles, reported=reported, template=template)
    width = len(grid[0])
    data_rows = grid[first_data:]
    for c in range(width):
        if c == rc:
            continue
        parts = list(dict.fromkeys(text(grid[r][c]) for r in header_rows if text(grid[r][c])))
        header = " / ".join(parts)
        ref = cell_ref(header_rows[-1] if header_rows else first_data, c)
        has_numbers = any(_is_number(row[c]) for row in data_rows)
        if not parts:
            if has_numbers:
                log.flag(
                    file,
                    sheet,
                    ref,
                    "没有表头的一列数字未读取",
                    "column without a header not read",
                )
            continue
        if len(parts) == 1 and header_key(parts[0]) in UNIT_COLUMN_WORDS:
            layout.unit_col = c
            log.info(
                file,
                sheet,
                ref,
                f"“{header}”列为各行的计量单位",
                f"column '{header}' gives each row's unit",
            )
            continue
        ind = next((i for i in (reg.match_indicator(p) for p in parts) if i), None)
        col_period = next((p for p in (parse_period(x) for x in parts) if p), None)
        joined = "".join(parts)
        skip_text = re.sub(r"\d{1,2}\s*[-~]?\s*\d{0,2}月", "", joined)
        if any(w in skip_text for w in SKIP_COLUMN_WORDS) and not any(
            w in skip_text for w in VALUE_COLUMN_WORDS
        ):
            # a 年度目标 / 完成率 / 序号 / 备注 column: not achieved values
            if ind is None and col_period is None and not any(w in joined for w in ("序号",)):
                log.info(file, sheet, ref, f"“{header}”列未读取", f"column '{header}' not read")
            continue
        if ind is None:
            ind = sheet_ind
        if ind is None:
            if col_period is not None or has_numbers:
                near = reg.suggest_indicators(parts[0]) or ["space", "firms"]
                log.unknown(
                    file,
                    sheet,
                    ref,
                    f"未知指标“{header}”",
                    f"unknown indicator '{header}'",
                    "以下之一：" + "、".join(near),
                    "one of: " + ", ".join(near),
                )
            continue
        unit = next((u for u in (find_unit(p) for p in parts) if u), None) or sheet_unit
        cumulative = any(w in joined for w in CUMULATIVE_WORDS)
        monthly = any(w in joined for w in MONTHLY_WORDS)
        period = col_period or sheet_period
        if period is None:
            log.error(
                file,
                sheet,
                ref,
                f"“{header}”找不到统计期",
                f"no period found for '{header}'",
                "标题写明如 2026年1-9月，或按月分列 1月 … 12月",
                "a title such as 2026年1-9月 or month columns 1月 … 12月",
                indicator_id=ind,
            )
            continue
        year = period.year or (col_period and sheet_year) or sheet_year
        if year is None:
            log.error(
                file,
                sheet,
                ref,
                f"“{header}”找不到年份",
                f"no year found for '{header}'",
                "标题、工作表名或文件名写明年份，如 2026年",
                "a title, sheet or file name with the year, such as 2026年",
                indicator_id=ind,
            )
            continue
        period = period.with_year(year)
        if cumulative or (not monthly and sheet_cumulative and not sheet_monthly):
            period = period.as_ytd()
        elif monthly:
            period = Period(year, period.end, period.end, False)
        elif period.single and period.end > 1 and col_period is None:
            log.error(
                file,
                sheet,
                ref,
                f"“{header}”（{period.label()}）看不出是当月数还是1月以来的累计数",
                f"'{header}' for {period.label()}: cannot tell whether it is that month alone "
                "or the year-to-date total",
                "标题或表头写明“累计”或“本月 / 当月”",
                "累计 (year to date) or 本月 / 当月 (the month alone) in the title or header",
                indicator_id=ind,
            )
            continue
        layout.columns.append(Column(c, header, ind, unit, period))
    # 本月完成 beside 累计完成 for the same indicator: both are read; they agree (a note), or the
    # running total wins and the month's figure is flagged (ontrack.progress.reconcile)
    return layout
