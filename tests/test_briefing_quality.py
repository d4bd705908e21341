"""The briefing's data-quality section shows the cleaning log's warnings of its region (issue
11: a running total that fell was flagged in the log while the briefing said 无警告或错误)."""

from __future__ import annotations

import datetime as dt

from conftest import FIXTURES

from ontrack.briefing.notes import cleaning_flags, quality_section
from ontrack.fileio import read_csv, write_csv
from ontrack.progress import read_progress

COUNTY = ["pingyang", "pingyang-kunyang", "pingyang-haixi", "pingyang-aojiang"]


def _log(tmp_path, example_registry):
    """The cleaning log of good/ as ingest writes it (CSV, read back as a briefing reads it).

    good/tidy_ytd.csv: 海西镇 talent running total 90 (1-5月) then 85 (1-6月): a revision flag
    for pingyang-haixi; good/report_ytd.xlsx: the 3月 合计 3.40 ≠ 3.35: a flag for pingyang."""
    _, log = read_progress(
        [FIXTURES / "progress" / "good"], example_registry, today=dt.date(2026, 11, 15)
    )
    write_csv(log, tmp_path / "cleaning_log.csv")
    return read_csv(tmp_path / "cleaning_log.csv")


def test_a_county_briefing_lists_its_own_and_its_townships_flags(tmp_path, example_registry):
    log = _log(tmp_path, example_registry)
    rows, info = cleaning_flags(log, COUNTY)
    assert sorted(rows["region_id"]) == ["pingyang", "pingyang-haixi"]
    # the notes counted are those of these regions or of no region (lucheng's are not)
    mine = log["region_id"].isna() | log["region_id"].isin(COUNTY)
    assert info == int(((log["level"] == "info") & mine).sum())
    assert info < int((log["level"] == "info").sum())
    html = str(quality_section(None, log, COUNTY, "zh"))
    assert "无警告或错误" not in html
    assert "数据修订：海西镇“新增创新创业人才”累计数从 90" in html
    assert "各区域（D5, D6, D7）之和为 3.35" in html
    assert "警告" in html  # the level, in Chinese
    assert f"另有{info}条一般信息记录未列出" in html


def test_a_township_briefing_lists_only_its_own(tmp_path, example_registry):
    log = _log(tmp_path, example_registry)
    rows, _ = cleaning_flags(log, ["pingyang-haixi"])
    assert rows["region_id"].tolist() == ["pingyang-haixi"]
    rows, _ = cleaning_flags(log, ["pingyang-kunyang"])  # no flag of its own
    assert rows.empty
    assert "无警告或错误" in str(quality_section(None, log, ["pingyang-kunyang"], "zh"))
    # another plan's region sees none of these
    assert cleaning_flags(log, ["lucheng"])[0].empty


def test_the_english_briefing_shows_the_english_message(tmp_path, example_registry):
    log = _log(tmp_path, example_registry)
    html = str(quality_section(None, log, ["pingyang-haixi"], "en"))
    assert "revision: pingyang-haixi talent running total fell from 90" in html
    assert "数据修订" not in html


def test_flags_without_a_region_are_shown_to_every_briefing():
    import pandas as pd

    log = pd.DataFrame(
        [
            dict(level="flag", file="a.xlsx", sheet="s", cell="F3", region_id=None,
                 message="没有表头的一列数字未读取", message_en="column without a header not read"),
            dict(level="info", file="a.xlsx", sheet="s", cell="", region_id="pingyang",
                 message="读取 3 个数值", message_en="3 values read"),
        ]
    )  # fmt: skip
    rows, info = cleaning_flags(log, ["pingyang"])
    assert rows["cell"].tolist() == ["F3"] and info == 1
