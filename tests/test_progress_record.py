"""The record (docs/data-contracts.md, *Progress: the raw reports are the record*): `ontrack
ingest FILE` adds reports to data/raw/progress/ and rebuilds progress.csv from all of them;
later reports replace earlier ones with the change logged; a refused file changes nothing;
a rebuild that reads nothing is an error. Expected values worked out by hand."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, copy_example_project

from ontrack.cli import main
from ontrack.fileio import read_csv
from ontrack.project import open_project

CASES = FIXTURES / "progress" / "cases"
BASE = """region,indicator,month,value
昆阳镇,firms,2026-01,3
昆阳镇,firms,2026-02,4
鳌江镇,space,2026-03,0.5
鹿城区,firms,2026-03,20
"""


@pytest.fixture(autouse=True)
def november_2026(monkeypatch):
    """The month checks see 15 November 2026, whatever the real date."""
    from ontrack.progress import checks

    monkeypatch.setattr(checks, "current_date", lambda: dt.date(2026, 11, 15))


@pytest.fixture(scope="session")
def small_template(tmp_path_factory) -> Path:
    """The example project with its targets built and a record of one small report (base.csv,
    4 values) in place of the demo: quick to rebuild."""
    root = tmp_path_factory.mktemp("record") / "project"
    project = copy_example_project(root)
    shutil.rmtree(project.progress_dir)
    project.progress_dir.mkdir()
    (project.progress_dir / "base.csv").write_text(BASE, encoding="utf-8")
    assert main(["--project", str(root), "targets"]) == 0
    return root


@pytest.fixture
def project(small_template, tmp_path):
    root = tmp_path / "p"
    shutil.copytree(small_template, root, symlinks=True)
    return open_project(root)


def _ingest(project, *paths) -> int:
    return main(["--project", str(project.root), "ingest", *map(str, paths)])


def _values(project) -> dict:
    df = read_csv(project.progress_csv, dtype={"month": str})
    return {(r.region_id, r.indicator_id, r.month): r.value for r in df.itertuples()}


def _state(project) -> dict[str, str]:
    """sha256 of progress.csv, the cleaning log and every file of the record (by path)."""
    files = [project.progress_csv, project.cleaning_log_csv]
    files += sorted(p for p in project.progress_dir.rglob("*") if p.is_file() or p.is_symlink())
    out = {}
    for f in files:
        key = project.relative(f) if not f.is_symlink() else f"{f} -> link"
        out[key] = hashlib.sha256(f.read_bytes()).hexdigest() if f.exists() else "absent"
    return out


def _csv(path: Path, rows: str) -> Path:
    path.write_text("region,indicator,month,value\n" + rows, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- adding
BASE_VALUES = {
    ("pingyang-kunyang", "firms", "2026-01"): 3.0,
    ("pingyang-kunyang", "firms", "2026-02"): 4.0,
    ("pingyang-aojiang", "space", "2026-03"): 0.5,
    ("lucheng", "firms", "2026-03"): 20.0,
}


def test_one_file_is_added_to_the_record_not_put_in_its_place(project, tmp_path, capsys):
    assert _ingest(project) == 0
    assert _values(project) == BASE_VALUES
    # this month's report: 2 values. The table keeps the 4 it had and gains 2 (the issue's
    # "one file replaces everything": 1,010 values became that file's 2)
    sep = _csv(tmp_path / "2026-09.csv", "昆阳镇,firms,2026-09,5\n鳌江镇,firms,2026-09,2\n")
    assert _ingest(project, sep) == 0
    assert _values(project) == {
        **BASE_VALUES,
        ("pingyang-kunyang", "firms", "2026-09"): 5.0,
        ("pingyang-aojiang", "firms", "2026-09"): 2.0,
    }
    assert (project.progress_dir / "2026-09.csv").read_bytes() == sep.read_bytes()
    out = capsys.readouterr().out
    assert "added to the record: data/raw/progress/2026-09.csv" in out
    # the ledger says when it came in and what it was called
    ledger = read_csv(project.progress_dir / ".ingested.csv", dtype=str)
    assert ledger["file"].tolist() == ["2026-09.csv"]
    assert ledger["original"].tolist() == ["2026-09.csv"]


def test_a_folder_is_added_under_its_own_name(project, tmp_path):
    folder = tmp_path / "月报"
    folder.mkdir()
    _csv(folder / "a.csv", "水头镇,firms,2026-04,1\n")
    assert _ingest(project, folder) == 0
    assert (project.progress_dir / "月报" / "a.csv").is_file()
    assert _values(project)[("pingyang-shuitou", "firms", "2026-04")] == 1.0


def test_what_a_folder_holds_besides_reports_is_named_on_screen(project, tmp_path, capsys):
    folder = tmp_path / "月报"
    folder.mkdir()
    _csv(folder / "a.csv", "水头镇,firms,2026-04,1\n")
    (folder / "说明.pdf").write_bytes(b"%PDF-1.4")
    (folder / "README.txt").write_text("说明", encoding="utf-8")
    capsys.readouterr()
    assert _ingest(project, folder) == 0
    out = capsys.readouterr().out
    assert "added to the record: data/raw/progress/月报/a.csv" in out
    skipped = [line for line in out.splitlines() if line.startswith("未导入 / not added")]
    assert len(skipped) == 2
    assert any("月报/说明.pdf" in line and "file type" in line for line in skipped)
    assert any("月报/README.txt" in line and "README" in line for line in skipped)
    # neither went into the record
    assert sorted(f.name for f in (project.progress_dir / "月报").iterdir()) == ["a.csv"]


def test_a_later_report_replaces_an_earlier_one_with_the_change_logged(project, tmp_path):
    # z.csv first, then a.csv (a later report whatever the names' order): a.csv's 7 wins
    first = _csv(tmp_path / "z.csv", "昆阳镇,firms,2026-03,6\n")
    second = _csv(tmp_path / "a.csv", "昆阳镇,firms,2026-03,7\n")
    assert _ingest(project, first) == 0
    assert _values(project)[("pingyang-kunyang", "firms", "2026-03")] == 6.0
    assert _ingest(project, second) == 0
    assert _values(project)[("pingyang-kunyang", "firms", "2026-03")] == 7.0
    log = read_csv(project.cleaning_log_csv, dtype=str, keep_default_na=False)
    rep = log[log["message_en"].str.contains("from the later report")]
    assert len(rep) == 1
    r = rep.iloc[0]
    assert r["level"] == "flag"  # the value changed: a warning the briefing shows
    assert (r["region_id"], r["indicator_id"], r["month"]) == (
        "pingyang-kunyang",
        "firms",
        "2026-03",
    )
    # old value, new value and both sources
    assert (
        "6 (z.csv | line 2) replaced by 7 from the later report (a.csv | line 2)" in r["message_en"]
    )
    assert "较早报告的 6（z.csv | line 2）被较晚报告的 7（a.csv | line 2）替换" in r["message"]
    # the record keeps both reports (nothing is ever lost)
    assert {p.name for p in project.progress_dir.iterdir()} >= {"z.csv", "a.csv", "base.csv"}


def test_two_reports_added_at_once_that_disagree_are_refused(project, tmp_path):
    a = _csv(tmp_path / "a.csv", "昆阳镇,firms,2026-03,6\n")
    b = _csv(tmp_path / "b.csv", "昆阳镇,firms,2026-03,7\n")
    assert _ingest(project) == 0
    before = _state(project)
    assert _ingest(project, a, b) == 2  # same time, no 填报日期: which is later cannot be told
    assert _state(project) == before


def test_the_same_content_again_is_a_no_op_and_a_taken_name_is_refused(project, tmp_path, capsys):
    sep = _csv(tmp_path / "sep.csv", "昆阳镇,firms,2026-09,5\n")
    assert _ingest(project, sep) == 0
    before = _state(project)
    capsys.readouterr()
    assert _ingest(project, sep) == 0  # the same file again
    assert "already in the record (same content)" in capsys.readouterr().out
    copy = tmp_path / "copy"
    copy.mkdir()
    shutil.copy(sep, copy / "renamed.csv")  # the same content under another name
    assert _ingest(project, copy / "renamed.csv") == 0
    assert _state(project) == before
    other = tmp_path / "other"
    other.mkdir()
    _csv(other / "sep.csv", "昆阳镇,firms,2026-09,6\n")  # a different file, the same name
    assert _ingest(project, other / "sep.csv") == 2
    err = capsys.readouterr().err
    assert "a different file named data/raw/progress/sep.csv is already in the record" in err
    assert "记录中已有同名但内容不同的文件" in err
    assert _state(project) == before


# --------------------------------------------------------------------------- refusals
REFUSED = [
    "formula_uncached.xlsx",
    "percent.xlsx",
    "persons_in_count.xlsx",
    "space_in_number.csv",
    "nonfinite.csv",
    "future_month.csv",
    "before_plans.csv",
    "hidden_data.xlsx",
    "empty.xlsx",
    "header_only.csv",
    "wps.et",
    "web_page.xls",
    "bomb.xlsx",
    "many_errors.csv",
]


@pytest.mark.parametrize("name", REFUSED)
def test_a_refused_file_changes_nothing(project, name, capsys):
    assert _ingest(project) == 0
    before = _state(project)
    assert _ingest(project, CASES / name) == 2
    err = capsys.readouterr().err
    assert "Nothing was changed" in err and "未作任何更改" in err
    assert "Traceback" not in err
    # progress.csv, the cleaning log and the record: byte for byte as they were
    assert _state(project) == before
    assert not (project.progress_dir / name).exists()


def test_a_refused_file_beside_a_good_one_adds_neither(project, tmp_path):
    assert _ingest(project) == 0
    before = _state(project)
    good = _csv(tmp_path / "good.csv", "昆阳镇,firms,2026-09,5\n")
    assert _ingest(project, good, CASES / "percent.xlsx") == 2
    assert _state(project) == before


def test_a_failed_write_puts_everything_back(project, tmp_path, monkeypatch, capsys):
    from ontrack.progress import record

    assert _ingest(project) == 0
    before = _state(project)
    real = record.write_csv

    def fail_on_the_log(df, path, **kw):
        if Path(path).name == "cleaning_log.csv":
            raise OSError(28, "No space left on device", str(path))
        return real(df, path, **kw)

    monkeypatch.setattr(record, "write_csv", fail_on_the_log)
    sep = _csv(tmp_path / "sep.csv", "昆阳镇,firms,2026-09,5\n")
    assert _ingest(project, sep) == 2  # one line naming the file, no traceback
    err = capsys.readouterr().err
    assert "无法写入" in err and "cleaning_log.csv" in err and "磁盘已满" in err
    assert _state(project) == before  # the copied report and the new progress.csv undone


def test_a_rebuild_that_reads_nothing_is_an_error_and_writes_nothing(project, capsys):
    (project.progress_dir / "base.csv").unlink()
    assert _ingest(project) == 2
    assert "no progress values read" in capsys.readouterr().err
    assert not project.progress_csv.exists() and not project.cleaning_log_csv.exists()


def test_an_old_table_stays_when_the_record_becomes_unreadable(project):
    assert _ingest(project) == 0
    before = _state(project)
    # a report dropped into the folder by hand, with its data sheet hidden
    shutil.copy(CASES / "hidden_data.xlsx", project.progress_dir / "hidden_data.xlsx")
    assert _ingest(project) == 2
    after = _state(project)
    after.pop("data/raw/progress/hidden_data.xlsx")
    assert after == before  # progress.csv and the cleaning log untouched


def test_a_symlink_in_the_record_pointing_outside_is_refused(project, tmp_path, capsys):
    assert _ingest(project) == 0
    before = _state(project)
    secret = _csv(tmp_path / "secret.csv", "昆阳镇,firms,2026-09,999\n")
    (project.progress_dir / "link.csv").symlink_to(secret)
    assert _ingest(project) == 2
    err = capsys.readouterr().err
    assert "link.csv: 符号链接指向 data/raw 之外" in err
    assert _values(project) == BASE_VALUES  # its content never reached the table
    after = _state(project)
    after.pop(f"{project.progress_dir / 'link.csv'} -> link")
    assert after == before


def test_ingest_without_files_rebuilds_the_same_table(project):
    assert _ingest(project) == 0
    first = project.progress_csv.read_bytes()
    project.progress_csv.unlink()
    assert _ingest(project) == 0
    assert project.progress_csv.read_bytes() == first


def test_flags_are_printed_and_carry_their_region(project, tmp_path, capsys):
    # 12500 万平方米 for 昆阳镇 (largest yearly space target 5): flagged, and printed
    shutil.copy(CASES / "space_wrong_unit.xlsx", tmp_path / "s.xlsx")
    assert _ingest(project, tmp_path / "s.xlsx") == 0
    out = capsys.readouterr().out
    # one flag: 昆阳镇's 12500. 鳌江镇's March 0.5 (base.csv) lies inside the later report's
    # 1-9月 running total 2 and does not contradict it (2 >= 0.5): a note, not a flag
    assert "1 条警告 flag(s)" in out
    assert "! s.xlsx | 督查表 | B3: 昆阳镇“新增孵化空间面积”2026年1-9月为 12500万平方米" in out
    log = read_csv(project.cleaning_log_csv, dtype=str, keep_default_na=False)
    flags = log[log["level"] == "flag"]
    about = zip(flags["region_id"], flags["indicator_id"], flags["month"], strict=True)
    assert sorted(about) == [("pingyang-kunyang", "space", "2026-09")]
    assert list(log.columns) == [
        "level", "file", "sheet", "cell", "region_id", "indicator_id", "month", "message",
        "message_en", "check",
    ]  # fmt: skip
    assert flags["check"].tolist() == ["magnitude"]


def test_output_read_by_a_reader_that_stops_early_ends_quietly(project, tmp_path):
    """`ontrack ingest … | head -1`: the reader is gone; no traceback, the shell's 141, and
    the record is written all the same (the output is only the report of what was done)."""
    folder = tmp_path / "月报"
    folder.mkdir()
    _csv(folder / "a.csv", "水头镇,firms,2026-04,1\n")
    read_end, write_end = os.pipe()
    os.close(read_end)  # nobody will read: the first write fails with EPIPE
    try:
        done = subprocess.run(
            [sys.executable, "-m", "ontrack.cli", "--project", str(project.root), "ingest",
             str(folder)],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )  # fmt: skip
    finally:
        os.close(write_end)
    assert done.returncode == 141, done.stderr
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr
    assert _values(project)[("pingyang-shuitou", "firms", "2026-04")] == 1.0


def test_unknown_rows_are_left_out_only_when_asked_and_stay_out_at_every_rebuild(
    project, tmp_path, capsys
):
    """A county file of good rows and one township the project does not know: refused (with
    the way out named), then taken with --skip-unknown, the row left out listed on screen and
    in the cleaning log; a later plain `ontrack ingest` reads the file the same way."""
    f = _csv(tmp_path / "county.csv", "昆阳镇,firms,2026-10,3\n青街乡,firms,2026-10,2\n")
    before = _state(project)
    assert _ingest(project, f) == 2
    err = capsys.readouterr().err
    assert "未知区域“青街乡”" in err and "ontrack ingest --skip-unknown" in err
    assert _state(project) == before
    assert main(["--project", str(project.root), "ingest", "--skip-unknown", str(f)]) == 0
    out = capsys.readouterr().out
    assert "rows left out: 1" in out and "青街乡" in out
    values = _values(project)
    assert values[("pingyang-kunyang", "firms", "2026-10")] == 3
    log = read_csv(project.cleaning_log_csv, dtype=str, keep_default_na=False)
    assert log["message"].str.contains("青街乡").any()
    assert _ingest(project) == 0  # a rebuild keeps the option (the ledger says so)
    assert _values(project) == values
