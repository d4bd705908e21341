"""Reports that mislead (issue 11): the hand-made files of fixtures/progress/cases/ (made by
make_fixtures.py), each refused with a clear reason naming file, sheet and cell, or read to the
values worked out by hand below. No test depends on the real date: ``today`` is given."""

from __future__ import annotations

import datetime as dt
import io
import os
import struct
import zipfile

import pandas as pd
import pytest
from conftest import FIXTURES
from openpyxl import Workbook

from ontrack.errors import InputErrors
from ontrack.progress import read_progress
from ontrack.progress.checks import IMPLAUSIBLE_FACTOR
from ontrack.progress.log import MAX_ERRORS_PER_FILE

CASES = FIXTURES / "progress" / "cases"
TODAY = dt.date(2026, 11, 15)  # the "November 2026"


def _read(reg, name, **kw):
    kw.setdefault("today", TODAY)
    return read_progress([CASES / name], reg, **kw)


def _values(df: pd.DataFrame) -> dict:
    return {(r.region_id, r.indicator_id, r.month): (r.value, r.covers) for r in df.itertuples()}


def _refused(reg, name, **kw) -> list[str]:
    with pytest.raises(InputErrors) as ei:
        _read(reg, name, **kw)
    return [str(e) for e in ei.value.errors]


# --------------------------------------------------------------------------- refusals
# (file, [(place, Chinese words, English words) per error])
REFUSALS = [
    # a formula with no calculated value (openpyxl wrote '=12+3' and no result)
    ("formula_uncached.xlsx", [("督查表 | B3", "没有计算结果", "'=12+3' has no calculated value")]),
    # '12.5%' typed in a 个 column; 0.125 formatted as 12.5% in Excel
    ("percent.xlsx", [("督查表 | B3", "百分比 '12.5%' 不是数量", "'12.5%' is not an amount"),
                      ("督查表 | B4", "单元格格式为百分比", "formatted as a percentage (12.5%)")]),
    # people where firms are counted: 人 and 万人 are person units, firms' unit 个 a thing unit
    ("persons_in_count.xlsx", [("督查表 | B3", "单位“人”与指标", "'人' does not fit firms"),
                               ("督查表 | B4", "单位“万人”与指标", "'万人' does not fit firms")]),
    ("space_in_number.csv", [("line 2", "数字中间有空格", "a space inside the number '1 2'")]),
    ("nonfinite.csv", [("line 2", "大得不合理", "the value 1e308 is implausibly large"),
                       ("line 3", "不是数字", "not a number: 'inf'"),
                       ("line 4", "不是数字", "not a number: 'nan'")]),
    # 2027-06 in November 2026 (line 3); the 2026-10 row on line 2 is fine
    ("future_month.csv", [("line 3", "晚于当前月份 2026年11月", "after the current month")]),
    # every plan of the example project is 2025-2027
    ("before_plans.csv", [("line 2", "不在任何计划的年份内（2025–2027）", "outside the years")]),
    # the only data sheet is hidden: the message says where the data may be
    ("hidden_data.xlsx", [("hidden_data.xlsx:", "隐藏的工作表（数据）", "hidden sheet(s): 数据")]),
    ("empty.xlsx", [("empty.xlsx:", "文件是空的", "the file is empty")]),
    ("header_only.csv", [("header_only.csv:", "未读到任何数值", "a header only")]),
    ("wps.et", [("wps.et:", "另存为 .xlsx", "save as .xlsx")]),
    ("web_page.xls", [("web_page.xls:", "网页（HTML）", "web page (HTML)")]),
    # 60 MB of zeros inside: refused from the zip directory, before anything is decompressed
    ("bomb.xlsx", [("bomb.xlsx:", "超过上限 50 MB，未打开", "expands to 60 MB (at most 50 MB)")]),
]  # fmt: skip


@pytest.mark.parametrize("name, expected", REFUSALS, ids=[r[0] for r in REFUSALS])
def test_misleading_reports_are_refused_naming_the_place(example_registry, name, expected):
    msgs = _refused(example_registry, name)
    assert len(msgs) == len(expected), msgs
    for msg, (place, zh, en) in zip(msgs, expected, strict=True):
        assert msg.startswith(f"{name} | {place}" if not place.endswith(":") else place), msg
        assert zh in msg and en in msg, msg  # Chinese first, English beside it


def test_no_refusal_is_a_traceback(example_registry):
    # every refusal is an InputErrors (the CLI prints it as one message), never another error
    for name, _ in REFUSALS:
        with pytest.raises(InputErrors):
            _read(example_registry, name)


def test_the_future_month_refusal_follows_the_date_given(example_registry):
    # in July 2027, 2027-06 has passed: the same file is read (2026-10: 3, 2027-06: 4)
    df, _ = _read(example_registry, "future_month.csv", today=dt.date(2027, 7, 1))
    assert _values(df) == {
        ("pingyang-kunyang", "firms", "2026-10"): (3.0, 1),
        ("pingyang-kunyang", "firms", "2027-06"): (4.0, 1),
    }


def test_error_lists_are_capped_per_file(example_registry):
    # 25 cells '十二' (lines 2-26): the first 10 listed, then "and 15 more"; the total is said
    with pytest.raises(InputErrors) as ei:
        _read(example_registry, "many_errors.csv")
    msgs = [str(e) for e in ei.value.errors]
    assert MAX_ERRORS_PER_FILE == 10
    assert len(msgs) == 11
    assert all("not a number: '十二'" in m for m in msgs[:10])
    assert msgs[0].startswith("many_errors.csv | line 2:")
    assert msgs[9].startswith("many_errors.csv | line 11:")
    assert "另有 15 个错误未列出" in msgs[10] and "and 15 more error(s)" in msgs[10]
    assert "共 25 个错误 / 25 error(s)" in str(ei.value)
    assert (ei.value.log["level"] == "error").sum() == 25  # the log keeps every one


# --------------------------------------------------------------------------- read right
def test_semicolon_separated_csv(example_registry):
    df, log = _read(example_registry, "semicolon.csv")
    assert _values(df) == {
        ("pingyang-kunyang", "firms", "2026-03"): (4.0, 1),
        ("pingyang-aojiang", "firms", "2026-03"): (2.0, 1),
    }
    assert log["message_en"].str.contains("delimiter semicolon").any()


def test_excel_unicode_text_utf16_tab_separated(example_registry):
    # 萧江镇 新增在孵企业 2026-04 6 (header 区域 / 指标 / 月份 / 数值)
    df, log = _read(example_registry, "unicode_text.txt")
    assert _values(df) == {("pingyang-xiaojiang", "firms", "2026-04"): (6.0, 1)}
    assert log["message_en"].str.contains("text encoding utf-16, delimiter tab").any()


@pytest.mark.parametrize(
    "encoding, delimiter",
    [("utf-16-le", "\t"), ("utf-16-be", ","), ("gb18030", ","), ("utf-8", "\t"), ("utf-8", "|")],
)
def test_encodings_and_delimiters_without_a_byte_order_mark(
    tmp_path, example_registry, encoding, delimiter
):
    text = delimiter.join(["区域", "指标", "月份", "数值"]) + "\n"
    text += delimiter.join(["麻步镇", "新增在孵企业", "2026-05", "8"]) + "\n"
    path = tmp_path / "x.csv"
    path.write_bytes(text.encode(encoding))
    df, _ = read_progress([path], example_registry, today=TODAY)
    assert _values(df) == {("pingyang-mabu", "firms", "2026-05"): (8.0, 1)}


def test_old_xls_workbook(example_registry):
    # title 2026年1-3月 (running totals): 昆阳镇 firms 12, space 5000 平方米 = 0.5 万平方米;
    # 鳌江镇 firms 7, space '—' (nothing); 完成率 (30.0%) not read; the hidden sheet 旧表 not read
    df, log = _read(example_registry, "legacy.xls")
    assert _values(df) == {
        ("pingyang-kunyang", "firms", "2026-03"): (12.0, 3),
        ("pingyang-kunyang", "space", "2026-03"): (0.5, 3),
        ("pingyang-aojiang", "firms", "2026-03"): (7.0, 3),
    }
    assert ((log["sheet"] == "旧表") & log["message_en"].str.contains("hidden")).any()


def test_people_written_with_units_in_a_talent_column(example_registry):
    # talent counts people; a (个) header is allowed for people (the plans write 人才数(个)):
    # '0.2万人' = 2000, '1200人' = 1200 (running totals 1-9月)
    df, _ = _read(example_registry, "persons_for_talent.xlsx")
    assert _values(df) == {
        ("pingyang-kunyang", "talent", "2026-09"): (2000.0, 9),
        ("pingyang-aojiang", "talent", "2026-09"): (1200.0, 9),
    }


def test_month_columns_beside_descriptive_columns(example_registry):
    # sheet 在孵企业 (monthly, 单位 个): 昆阳 1月 2, 2月 3, 3月 '—'; 鳌江 1月 1, 2月 blank, 3月 4
    # sheet 孵化空间: 昆阳 in 平方米 5000 / 0 / 2500 → 0.5 / 0 / 0.25; 鳌江 in 万平方米 0.2 in 1月
    # 序号, 完成率 ('12.5%' is not read as an amount there) and 备注 are not read
    df, _ = _read(example_registry, "extra_columns.xlsx")
    assert _values(df) == {
        ("pingyang-kunyang", "firms", "2026-01"): (2.0, 1),
        ("pingyang-kunyang", "firms", "2026-02"): (3.0, 1),
        ("pingyang-aojiang", "firms", "2026-01"): (1.0, 1),
        ("pingyang-aojiang", "firms", "2026-03"): (4.0, 1),
        ("pingyang-kunyang", "space", "2026-01"): (0.5, 1),
        ("pingyang-kunyang", "space", "2026-02"): (0.0, 1),
        ("pingyang-kunyang", "space", "2026-03"): (0.25, 1),
        ("pingyang-aojiang", "space", "2026-01"): (0.2, 1),
    }


def test_a_unit_column_that_contradicts_the_indicator_is_refused(tmp_path, example_registry):
    wb = Workbook()
    ws = wb.active
    ws.cell(1, 1, "2026年新增在孵企业当月完成情况")
    for r, row in enumerate([["区域", "单位", "1月"], ["昆阳镇", "人", 3]], start=2):
        for c, v in enumerate(row, start=1):
            ws.cell(r, c, v)
    wb.save(tmp_path / "u.xlsx")
    with pytest.raises(InputErrors) as ei:
        read_progress([tmp_path / "u.xlsx"], example_registry, today=TODAY)
    msg = str(ei.value.errors[0])
    assert msg.startswith("u.xlsx | Sheet | C3: 单位“人”") and "unit '人' does not fit firms" in msg


def test_long_table_with_a_running_total_column(example_registry):
    # 累计完成值 = running totals: 水头 firms 1-3月 9, 1-5月 15 → Mar 9 (covers 3), May 6
    # (covers 2: April absent); 萧江 talent 1-5月 120 → May 120 (covers 5)
    df, _ = _read(example_registry, "long_cumulative.csv")
    assert _values(df) == {
        ("pingyang-shuitou", "firms", "2026-03"): (9.0, 3),
        ("pingyang-shuitou", "firms", "2026-05"): (15.0 - 9.0, 2),
        ("pingyang-xiaojiang", "talent", "2026-05"): (120.0, 5),
    }


def test_long_table_with_a_monthly_column_and_units(example_registry):
    # 当月数 = the month's own: 万全 space 2026年4月 3000 平方米 = 0.3, 5月 0.5 万平方米
    df, _ = _read(example_registry, "long_monthly.xlsx")
    assert _values(df) == {
        ("pingyang-wanquan", "space", "2026-04"): (0.3, 1),
        ("pingyang-wanquan", "space", "2026-05"): (0.5, 1),
    }


def test_long_table_with_both_reads_the_running_total(example_registry):
    # 本月完成 3, 4 beside 累计数 5, 9: the running totals are read → Feb 5 (1-2月), Mar 9 − 5
    df, log = _read(example_registry, "long_both.csv")
    assert _values(df) == {
        ("pingyang-tengjiao", "firms", "2026-02"): (5.0, 2),
        ("pingyang-tengjiao", "firms", "2026-03"): (4.0, 1),
    }
    assert log["message_en"].str.contains("column '累计数' read; 本月完成 not read").any()


def test_long_layouts_are_a_declared_table_a_maintainer_extends(
    monkeypatch, tmp_path, example_registry
):
    from ontrack.progress import layouts

    path = tmp_path / "new.csv"
    path.write_text("区域,指标,月份,完成量\n昆阳镇,firms,2026-03,4\n", encoding="utf-8")
    with pytest.raises(InputErrors, match="unknown indicator '完成量'"):
        read_progress([path], example_registry, today=TODAY)  # 完成量 is not a value word yet
    monkeypatch.setitem(layouts.LONG_VALUE_COLUMNS, "完成量", "monthly")
    df, _ = read_progress([path], example_registry, today=TODAY)
    assert _values(df) == {("pingyang-kunyang", "firms", "2026-03"): (4.0, 1)}


# --------------------------------------------------------------------------- magnitudes
def _targets():
    from ontrack.plans.folder import load_registry
    from ontrack.targets import build_targets

    return build_targets(load_registry(FIXTURES.parents[1] / "data" / "raw"))


@pytest.fixture(scope="module")
def example_targets():
    return _targets()


def test_a_value_far_beyond_the_targets_is_flagged_for_its_region(
    example_registry, example_targets
):
    # 昆阳镇's yearly space targets are 2 / 3 / 5 万平方米 (附件2): 12500 > 10 × 5 = 50 → flagged,
    # kept (a flag, not a refusal); 鳌江镇's 2 (targets 3 / 5 / 5) is not
    df, log = _read(example_registry, "space_wrong_unit.xlsx", targets=example_targets)
    assert _values(df)[("pingyang-kunyang", "space", "2026-09")] == (12500.0, 9)
    flags = log[log["level"] == "flag"]
    assert len(flags) == 1
    f = flags.iloc[0]
    assert (f["file"], f["sheet"], f["cell"]) == ("space_wrong_unit.xlsx", "督查表", "B3")
    assert (f["region_id"], f["indicator_id"], f["month"]) == (
        "pingyang-kunyang",
        "space",
        "2026-09",
    )
    assert "largest yearly target (5 万平方米)" in f["message_en"]
    assert "最大年度目标 5万平方米 的 10 倍" in f["message"] and "平方米与万平方米" in f["message"]


def test_the_magnitude_threshold(tmp_path, example_registry, example_targets):
    # 鳌江镇's largest yearly firms target is 20: 10 × 20 = 200 is accepted, 201 flagged
    assert IMPLAUSIBLE_FACTOR == 10
    path = tmp_path / "m.csv"
    rows = "region,indicator,month,value\n鳌江镇,firms,2026-03,200\n鳌江镇,firms,2026-04,201\n"
    path.write_text(rows, encoding="utf-8")
    _, log = read_progress([path], example_registry, targets=example_targets, today=TODAY)
    flags = log[log["level"] == "flag"]
    assert flags["month"].tolist() == ["2026-04"]
    # without targets to compare with (no plan's targets given), nothing is flagged
    _, log = read_progress([path], example_registry, targets=None, today=TODAY)
    assert not (log["level"] == "flag").any()


# --------------------------------------------------------------------------- guards
def _report(path):
    wb = Workbook()
    ws = wb.active
    ws.cell(1, 1, "2026年1-9月孵化器建设督查表")
    ws.cell(2, 1, "区域")
    ws.cell(2, 2, "新增在孵企业累计完成(个)")
    ws.cell(3, 1, "昆阳镇")
    ws.cell(3, 2, 30)
    wb.save(path)
    return path


def test_a_zip_whose_directory_understates_its_size_is_refused(tmp_path, example_registry):
    # a report with 2 MB of zeros whose zip directory claims 100 bytes (local header and
    # central directory both patched): the declared total passes the limit, but no member is
    # ever decompressed beyond its declared size (zipfile's CRC check fails): refused
    buf = io.BytesIO()
    _report(buf)
    with zipfile.ZipFile(buf, "a", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/worksheets/pad.xml", bytes(2 * 2**20))
    data = bytearray(buf.getvalue())
    for sig, size_at, name_len_at, name_at in (
        (b"PK\x01\x02", 24, 28, 46),
        (b"PK\x03\x04", 22, 26, 30),
    ):
        pos = data.find(sig)
        while pos >= 0:
            n = struct.unpack_from("<H", data, pos + name_len_at)[0]
            if data[pos + name_at : pos + name_at + n] == b"xl/worksheets/pad.xml":
                struct.pack_into("<I", data, pos + size_at, 100)
            pos = data.find(sig, pos + 4)
    path = tmp_path / "liar.xlsx"
    path.write_bytes(bytes(data))
    with zipfile.ZipFile(path) as zf:
        assert sum(i.file_size for i in zf.infolist()) < 2**20  # the lie
    with pytest.raises(InputErrors, match="damaged workbook: Bad CRC-32"):
        read_progress([path], example_registry, today=TODAY)


def test_file_and_sheet_size_limits(tmp_path, example_registry, monkeypatch):
    from ontrack.progress import files

    path = _report(tmp_path / "r.xlsx")
    df, _ = read_progress([path], example_registry, today=TODAY)
    assert len(df) == 1  # within the limits: read
    monkeypatch.setattr(files, "MAX_CELLS", 3)  # the sheet uses 3 rows × 2 columns = 6 cells
    with pytest.raises(InputErrors, match=r"sheet too large \(3 rows × 2 columns\)"):
        read_progress([path], example_registry, today=TODAY)
    monkeypatch.setattr(files, "MAX_FILE_BYTES", 1000)
    with pytest.raises(InputErrors, match="file too large"):
        read_progress([path], example_registry, today=TODAY)


def test_the_used_range_is_the_same_through_openpyxls_public_interface():
    """Where openpyxl keeps no cell map (``_cells``), the used range comes from its public
    extent and rows: the same answer, styled empty cells aside; a styled extent beyond the limit
    is refused without iterating it."""
    from openpyxl.styles import Font

    from ontrack.progress import files

    wb = Workbook()
    ws = wb.active
    ws["A1"], ws["B3"] = "指标", 12.5
    ws["F9"].font = Font(bold=True)  # styled, empty: not part of the used range

    class Public:  # the worksheet as seen through its public attributes only
        max_row, max_column = ws.max_row, ws.max_column

        def iter_rows(self, values_only=False):
            return ws.iter_rows(values_only=values_only)

    assert files._used_extent(ws) == (3, 2)  # 3 rows × 2 columns, worked out by hand
    assert files._used_extent(Public()) == (3, 2)
    Public.max_row = 2_000_000  # styled down to the sheet's end
    assert files._used_extent(Public()) == (2_000_000, 6)  # refused by its size, not read


def test_a_stray_cell_far_away_does_not_blow_up_the_grid(tmp_path, example_registry):
    # a value at XFD1048576 would make a 17-billion-cell grid: the used range is refused
    path = _report(tmp_path / "far.xlsx")
    from openpyxl import load_workbook

    wb = load_workbook(path)
    wb.active["XFD1048576"] = "x"
    wb.save(path)
    with pytest.raises(InputErrors, match="sheet too large"):
        read_progress([path], example_registry, today=TODAY)


def test_encrypted_or_renamed_workbooks(tmp_path, example_registry):
    # an encrypted .xlsx is an OLE container; a text file named .xlsx is not a workbook
    (tmp_path / "locked.xlsx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600))
    with pytest.raises(InputErrors, match="encrypted"):
        read_progress([tmp_path / "locked.xlsx"], example_registry, today=TODAY)
    (tmp_path / "text.xlsx").write_text("region,indicator\n", encoding="utf-8")
    with pytest.raises(InputErrors, match="not an Excel workbook"):
        read_progress([tmp_path / "text.xlsx"], example_registry, today=TODAY)
    # an .xls that is really an .xlsx is read as what it is
    path = _report(tmp_path / "renamed.xlsx")
    os.replace(path, tmp_path / "renamed.xls")
    df, _ = read_progress([tmp_path / "renamed.xls"], example_registry, today=TODAY)
    assert df["value"].tolist() == [30.0]


def test_a_symlink_pointing_outside_the_record_is_not_followed(tmp_path, example_registry):
    raw = tmp_path / "data" / "raw"
    record = raw / "progress"
    record.mkdir(parents=True)
    secret = _report(tmp_path / "elsewhere.xlsx")
    (record / "link.xlsx").symlink_to(secret)
    (record / "linkdir").symlink_to(tmp_path, target_is_directory=True)
    _report(record / "real.xlsx")
    with pytest.raises(InputErrors) as ei:
        read_progress([record], example_registry, base=record, confine=raw, today=TODAY)
    msgs = sorted(str(e) for e in ei.value.errors)
    assert len(msgs) == 2
    assert msgs[0].startswith("link.xlsx: 符号链接指向 data/raw 之外")
    assert "pointing outside data/raw: not followed" in msgs[0]
    assert msgs[1].startswith("linkdir: 符号链接指向 data/raw 之外")
    # a link to a file inside data/raw is read where it points
    (record / "link.xlsx").unlink()
    (record / "linkdir").unlink()
    (record / "inside.xlsx").symlink_to(record / "real.xlsx")
    df, _ = read_progress([record / "inside.xlsx"], example_registry, confine=raw, today=TODAY)
    assert df["value"].tolist() == [30.0]


def test_other_files_in_a_folder_are_noted_not_read(tmp_path, example_registry):
    _report(tmp_path / "r.xlsx")
    (tmp_path / "README.md").write_text("说明", encoding="utf-8")
    (tmp_path / "photo.png").write_bytes(b"\x89PNG")
    df, log = read_progress([tmp_path], example_registry, today=TODAY)
    assert len(df) == 1
    skipped = log[log["message_en"].str.contains("not a progress report")]
    assert sorted(skipped["file"].str.split("/").str[-1]) == ["README.md", "photo.png"]


def test_a_folder_of_xls_files_is_read_not_skipped(tmp_path, example_registry):
    import shutil

    shutil.copy(CASES / "legacy.xls", tmp_path / "a.xls")
    df, _ = read_progress([tmp_path], example_registry, today=TODAY)
    assert len(df) == 3


def test_people_in_a_count_column_of_a_long_table(tmp_path, example_registry):
    # the unit column says 个 (firms), the cells say 人 / 万人: refused, never stored as firms
    path = tmp_path / "long.csv"
    path.write_text(
        "区域,指标,月份,数值,单位\n昆阳镇,firms,2026-03,1200人,个\n鳌江镇,firms,2026-03,0.5万人,个\n",
        encoding="utf-8",
    )
    with pytest.raises(InputErrors) as ei:
        read_progress([path], example_registry, today=TODAY)
    msgs = [str(e) for e in ei.value.errors]
    assert len(msgs) == 2
    assert msgs[0].startswith("long.csv | line 2: 单位“人”")
    assert "'人' does not fit firms" in msgs[0]
    assert msgs[1].startswith("long.csv | line 3: 单位“万人”")
