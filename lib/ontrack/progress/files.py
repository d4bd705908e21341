"""Opening a progress file safely: which files are read, size guards, encodings, delimiters.

A file becomes :class:`Tables` (one grid of cells per sheet, hidden sheets named) or its problem
goes to the cleaning log as an error naming the file. The rules, each a declared constant:

* **Types** (:data:`READ_SUFFIXES`): .xlsx / .xlsm (openpyxl), .xls (xlrd), .csv / .tsv / .txt
  (delimited text). WPS (.et), OpenDocument, Numbers and binary workbooks are refused with
  "save as .xlsx" (:data:`SAVE_AS_XLSX`). What a file is comes from its bytes, not only its
  name: an .xls that is really an .xlsx is read as one; a web page or an encrypted workbook
  saved under a spreadsheet name is refused with the reason.
* **Size** before anything is decompressed or parsed: the file itself (:data:`MAX_FILE_BYTES`),
  an .xlsx's uncompressed size as its zip directory declares it (:data:`MAX_UNCOMPRESSED_BYTES`:
  a zip bomb stops here; a directory that understates it fails zipfile's CRC check), and each
  sheet's used range (:data:`MAX_CELLS`: one stray cell at XFD1048576 would otherwise make a
  grid of 17 billion cells).
* **Text**: the encoding from the byte-order mark (UTF-8, UTF-16 as Excel's "Unicode text"
  writes it), else UTF-8, else GB18030; the delimiter (comma, tab, semicolon, |) from the lines
  themselves.
* **Formulas** whose value was never calculated are marked (:class:`~.values.Formula`) so that
  reading them is refused; so are numbers formatted as percentages and Excel error values.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .layouts import load_grid
from .log import CleaningLog
from .values import CellError, Percent

#: Files read as progress reports.
READ_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv", ".tsv", ".txt")
#: Spreadsheet formats refused with "save as .xlsx" (format named in the message).
SAVE_AS_XLSX = {
    ".et": "WPS 表格",
    ".ett": "WPS 表格模板",
    ".ods": "OpenDocument",
    ".numbers": "Numbers",
    ".xlsb": "Excel 二进制工作簿",
    ".xltx": "Excel 模板",
    ".xltm": "Excel 模板",
    ".xlt": "Excel 模板",
}
#: Largest progress file accepted (a monthly report is tens of KB).
MAX_FILE_BYTES = 20 * 2**20
#: Largest uncompressed content of an .xlsx (its XML): beyond this it is refused before it is
#: parsed (an 840 KB file may expand to 420 MB).
MAX_UNCOMPRESSED_BYTES = 50 * 2**20
#: Largest used range of one sheet (rows × columns).
MAX_CELLS = 1_000_000
#: Delimiters a text table may use, in order of preference on a tie.
DELIMITERS = (",", "\t", ";", "|")
_DELIMITER_NAMES = {",": ("逗号", "comma"), "\t": ("制表符", "tab"), ";": ("分号", "semicolon"),
                    "|": ("竖线", "|")}  # fmt: skip

_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_FORMULA_TAG = re.compile(rb"<(?:[A-Za-z0-9_]+:)?f[\s>/]")


@dataclass
class Tables:
    """A file's sheets as grids of cells (a text file: one sheet named '')."""

    grids: dict[str, list[list]] = field(default_factory=dict)
    hidden: list[str] = field(default_factory=list)
    text: bool = False  # a delimited text file (rows are named 'line N')


def _mib(n: float) -> str:
    return f"{n / 2**20:.0f} MB"


def _refuse(log: CleaningLog, file: str, zh: str, en: str, exp_zh: str = "", exp_en: str = ""):
    log.error(file, "", "", zh, en, exp_zh, exp_en)
    return None


def kind_of_bytes(head: bytes) -> str:
    """'zip', 'ole', 'html', 'xml' or 'text' from a file's first bytes."""
    if head.startswith(_ZIP):
        return "zip"
    if head.startswith(_OLE):
        return "ole"
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith((b"<html", b"<!doctype html", b"<table", b"<meta")):
        return "html"
    if start.startswith(b"<?xml"):
        return "xml"
    return "text"


def load_tables(path: Path, file: str, log: CleaningLog) -> Tables | None:
    """The sheets of one file, or None (the reason logged as an error naming ``file``)."""
    suffix = path.suffix.lower()
    if suffix in SAVE_AS_XLSX:
        return _refuse(
            log,
            file,
            f"不支持 {SAVE_AS_XLSX[suffix]} 格式（{suffix}）：请在 WPS 或 Excel 中另存为 .xlsx",
            f"{SAVE_AS_XLSX[suffix]} files ({suffix}) are not read: save as .xlsx",
            ".xlsx、.xls 或 .csv 文件",
            "an .xlsx, .xls or .csv file",
        )
    if suffix not in READ_SUFFIXES:
        return _refuse(
            log,
            file,
            f"不支持的文件类型“{suffix or '（无扩展名）'}”",
            f"unsupported file type '{suffix}'",
            ".xlsx、.xls 或 .csv 文件",
            "an .xlsx, .xls or .csv file",
        )
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            head = f.read(512)
    except OSError as exc:
        return _refuse(log, file, f"无法读取文件：{exc.strerror}", f"cannot read: {exc.strerror}")
    if size > MAX_FILE_BYTES:
        return _refuse(
            log,
            file,
            f"文件过大（{_mib(size)}，上限 {_mib(MAX_FILE_BYTES)}）",
            f"file too large ({_mib(size)}; at most {_mib(MAX_FILE_BYTES)})",
            "一份月度进度报表",
            "one monthly progress report",
        )
    kind = kind_of_bytes(head)
    if kind == "html":
        return _refuse(
            log,
            file,
            "这是网页（HTML）文件，只是用了表格的扩展名",
            "this is a web page (HTML) saved under a spreadsheet name",
            "在 Excel 中打开后另存为 .xlsx",
            "open it in Excel and save as .xlsx",
        )
    if kind == "xml":
        return _refuse(
            log,
            file,
            "这是 XML 表格（Excel 2003 XML 格式）",
            "this is an XML spreadsheet (Excel 2003 XML)",
            "在 Excel 中打开后另存为 .xlsx",
            "open it in Excel and save as .xlsx",
        )
    if suffix in (".xlsx", ".xlsm") and kind == "ole":
        return _refuse(
            log,
            file,
            "工作簿已加密（设有打开密码），无法读取",
            "the workbook is encrypted (password to open)",
            "取消密码后另存为 .xlsx",
            "the workbook saved without a password",
        )
    if kind == "zip":
        return _load_xlsx(path, file, log)
    if kind == "ole":
        return _load_xls(path, file, log)
    if suffix in (".xlsx", ".xlsm", ".xls"):
        return _refuse(
            log,
            file,
            "文件内容不是 Excel 工作簿（可能已损坏，或是改了扩展名的文本文件）",
            "the content is not an Excel workbook (damaged, or a renamed text file)",
            "在 Excel 中另存为 .xlsx",
            "the workbook saved again as .xlsx",
        )
    return _load_text(path, file, log)


# ------------------------------------------------------------------------------- .xlsx
def _check_zip(path: Path, file: str, log: CleaningLog) -> tuple[bool, bool]:
    """(within the size limit, has formulas), from the sizes the zip directory declares: a
    member is never decompressed beyond its declared size (zipfile stops there and the CRC
    check fails), so the declared total bounds what opening the workbook can take."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            declared = sum(i.file_size for i in infos)
            if declared > MAX_UNCOMPRESSED_BYTES:
                _too_big(log, file, declared)
                return False, False
            formulas = False
            for info in infos:
                if not info.filename.startswith("xl/worksheets/") or formulas:
                    continue
                tail = b""
                with zf.open(info) as f:
                    while chunk := f.read(1 << 16):
                        if _FORMULA_TAG.search(tail + chunk):
                            formulas = True
                            break
                        tail = chunk[-16:]
    except (
        zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, zlib.error
    ) as exc:  # zlib.error: a damaged deflate stream  # fmt: skip
        _refuse(
            log,
            file,
            f"工作簿已损坏，无法打开（{type(exc).__name__}）",
            f"damaged workbook: {exc}",
            "在 Excel 中重新另存为 .xlsx",
            "the workbook saved again as .xlsx",
        )
        return False, False
    return True, formulas


def _too_big(log: CleaningLog, file: str, n: int) -> None:
    log.error(
        file,
        "",
        "",
        f"工作簿解压后达 {_mib(n)}，超过上限 {_mib(MAX_UNCOMPRESSED_BYTES)}，未打开",
        f"the workbook expands to {_mib(n)} (at most {_mib(MAX_UNCOMPRESSED_BYTES)}): not opened",
        "一份月度进度报表（删除多余的工作表或格式）",
        "one monthly progress report (remove stray sheets or formatting)",
    )


def _used_extent(ws) -> tuple[int, int]:
    """(rows, columns) up to the last cell holding a value (styled empty cells aside).

    openpyxl has no public way to visit only the cells a file holds: iterating a worksheet
    creates every cell of its extent (a sheet styled down to row 1,048,576 would fill memory).
    So the worksheet's cell map is read where it is the dict openpyxl has kept since 2.x; any
    other openpyxl is read through the public extent, bounded by :data:`MAX_CELLS` first."""
    held = getattr(ws, "_cells", None)
    if isinstance(held, dict):
        rows = cols = 0
        for (r, c), cell in held.items():  # the cells the file holds, nothing created
            if cell.value is not None:
                rows, cols = max(rows, r), max(cols, c)
        return rows, cols
    if ws.max_row * ws.max_column > MAX_CELLS:
        return ws.max_row, ws.max_column  # refused by the caller, nothing iterated
    rows = cols = 0
    for r, values in enumerate(ws.iter_rows(values_only=True), start=1):
        for c, v in enumerate(values, start=1):
            if v is not None:
                rows, cols = max(rows, r), max(cols, c)
    return rows, cols


def _uncached_formulas(path: Path) -> dict[str, dict[tuple[int, int], str]]:
    """Sheet title → (row, column) → formula, for every formula cell (read-only pass)."""
    from openpyxl import load_workbook

    out: dict[str, dict[tuple[int, int], str]] = {}
    with open(path, "rb") as fh:  # a file object: openpyxl then ignores the name's extension
        wb = load_workbook(fh, read_only=True, data_only=False)
        for ws in wb.worksheets:
            found: dict[tuple[int, int], str] = {}
            for row in ws.iter_rows():
                for cell in row:
                    if getattr(cell, "data_type", None) == "f":
                        v = cell.value
                        found[(cell.row, cell.column)] = str(getattr(v, "text", v))
            out[ws.title] = found
        wb.close()
    return out


def _load_xlsx(path: Path, file: str, log: CleaningLog) -> Tables | None:
    from openpyxl import load_workbook

    ok, has_formulas = _check_zip(path, file, log)
    if not ok:
        return None
    try:
        with open(path, "rb") as fh:  # a file object: openpyxl then ignores the extension
            wb = load_workbook(fh, data_only=True)
        formulas = _uncached_formulas(path) if has_formulas else {}
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        return _refuse(
            log,
            file,
            f"无法打开工作簿（{type(exc).__name__}）",
            f"cannot open workbook: {type(exc).__name__}: {exc}",
            "在 Excel 中重新另存为 .xlsx",
            "the workbook saved again as .xlsx",
        )
    tables = Tables()
    for ws in wb.worksheets:
        if ws.sheet_state != "visible":
            tables.hidden.append(ws.title)
            continue
        if not hasattr(ws, "merged_cells"):  # a chart sheet
            continue
        rows, cols = _used_extent(ws)
        if rows * cols > MAX_CELLS:
            log.error(
                file,
                ws.title,
                "",
                f"工作表过大（{rows} 行 × {cols} 列），未读取",
                f"sheet too large ({rows} rows × {cols} columns): not read",
                f"不超过 {MAX_CELLS:,} 个单元格的报表",
                f"a report of at most {MAX_CELLS:,} cells",
            )
            continue
        grid = load_grid(ws, formulas.get(ws.title), rows, cols) if rows and cols else []
        tables.grids[ws.title] = grid
    return tables


# ------------------------------------------------------------------------------- .xls
def _load_xls(path: Path, file: str, log: CleaningLog) -> Tables | None:
    import xlrd

    try:
        try:
            book = xlrd.open_workbook(path, formatting_info=True, on_demand=True)
        except NotImplementedError:  # formats xlrd reads without their formatting
            book = xlrd.open_workbook(path, on_demand=True)
    except Exception as exc:  # xlrd raises XLRDError, struct.error, ... for damaged files
        return _refuse(
            log,
            file,
            f"无法打开 .xls 工作簿（{type(exc).__name__}）",
            f"cannot open the .xls workbook: {exc}",
            "在 Excel 中另存为 .xlsx",
            "the workbook saved as .xlsx",
        )
    tables = Tables()
    try:
        for i in range(book.nsheets):
            sh = book.sheet_by_index(i)
            if sh.visibility != 0:
                tables.hidden.append(sh.name)
                continue
            if sh.nrows * sh.ncols > MAX_CELLS:
                log.error(
                    file,
                    sh.name,
                    "",
                    f"工作表过大（{sh.nrows} 行 × {sh.ncols} 列），未读取",
                    f"sheet too large ({sh.nrows} rows × {sh.ncols} columns): not read",
                )
                continue
            tables.grids[sh.name] = _xls_grid(book, sh)
    finally:
        book.release_resources()
    return tables


def _xls_grid(book, sh) -> list[list]:
    import xlrd

    grid: list[list] = []
    for r in range(sh.nrows):
        row = []
        for c in range(sh.ncols):
            cell = sh.cell(r, c)
            t, v = cell.ctype, cell.value
            if t in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                v = None
            elif t == xlrd.XL_CELL_DATE:
                try:
                    v = xlrd.xldate.xldate_as_datetime(v, book.datemode)
                except (ValueError, OverflowError, xlrd.xldate.XLDateError):
                    v = CellError(f"date {v}")
            elif t == xlrd.XL_CELL_ERROR:
                v = CellError(xlrd.error_text_from_code.get(v, "#ERR"))
            elif t == xlrd.XL_CELL_BOOLEAN:
                v = bool(v)
            elif t == xlrd.XL_CELL_NUMBER and _xls_percent(book, cell):
                v = Percent(v)
            row.append(v)
        grid.append(row)
    for rlo, rhi, clo, chi in sh.merged_cells:
        v = grid[rlo][clo]
        for r in range(rlo, min(rhi, len(grid))):
            for c in range(clo, min(chi, sh.ncols)):
                grid[r][c] = v
    return grid


def _xls_percent(book, cell) -> bool:
    try:
        xf = book.xf_list[cell.xf_index]
        return "%" in book.format_map[xf.format_key].format_str
    except (AttributeError, IndexError, KeyError, TypeError):
        return False


# ------------------------------------------------------------------------------- text
def decode(data: bytes) -> tuple[str, str] | None:
    """(text, encoding name) of a text file's bytes, or None when no encoding fits."""
    if data.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    elif b"\x00" in data[:4096]:
        # UTF-16 without a mark: the zero bytes of ASCII characters say which half
        even = data[0:4096:2].count(0)
        odd = data[1:4096:2].count(0)
        candidates = ["utf-16-be" if even > odd else "utf-16-le"]
    else:
        candidates = ["utf-8", "gb18030"]
    for enc in candidates:
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError:
            continue
    return None


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first lines into the most rows of the same width > 1."""
    lines = [ln for ln in text.splitlines() if ln.strip()][:30]
    best, best_score = ",", (0, 0)
    for d in DELIMITERS:
        try:
            widths = [len(r) for r in csv.reader(lines, delimiter=d)]
        except csv.Error:
            continue
        if not widths:
            continue
        width, n = Counter(widths).most_common(1)[0]
        score = (n, width) if width > 1 else (0, 0)
        if score > best_score:
            best, best_score = d, score
    return best


def _load_text(path: Path, file: str, log: CleaningLog) -> Tables | None:
    data = path.read_bytes()
    got = decode(data)
    if got is None:
        return _refuse(
            log,
            file,
            "文本编码无法识别",
            "cannot decode the text (not UTF-8, UTF-16 or GB18030)",
            "UTF-8 编码的 CSV（Excel：另存为“CSV UTF-8”）",
            "a UTF-8 CSV (Excel: save as 'CSV UTF-8')",
        )
    text, enc = got
    d = sniff_delimiter(text)
    try:
        rows = [list(r) for r in csv.reader(io.StringIO(text, newline=""), delimiter=d)]
    except csv.Error as exc:
        return _refuse(log, file, f"CSV 格式有误：{exc}", f"malformed CSV: {exc}")
    width = max((len(r) for r in rows), default=0)
    for r in rows:
        r.extend([""] * (width - len(r)))
    if enc not in ("utf-8", "utf-8-sig") or d != ",":
        zh_d, en_d = _DELIMITER_NAMES[d]
        log.info(
            file,
            "",
            "",
            f"文本编码 {enc}，分隔符为{zh_d}",
            f"text encoding {enc}, delimiter {en_d}",
        )
    return Tables({"": rows}, text=True)
