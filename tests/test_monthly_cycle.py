"""A replayed year as proof (issue 19): a project made by ``ontrack init``, a plan added as data,
and for every month of 2026 what the offices send (tests/monthly_cycle.py: year-to-date sheets,
month CSVs in GBK, a skipped month caught up by a running total, blank = not reported, a
correction, the county's overlapping 汇总, the previous year's year-end table, a township that
starts mid-way, a report up to a day of December), each file ingested with the CLI as it
arrives, then the forecast; the county's briefing rendered at three months.

Checked every month against the truth the generator made (never against ontrack's own output):
every known running total, no month nobody reported stored or counted as zero, the months
still to come and the pace required over them, and 未报 naming the right offices.
"""

from __future__ import annotations

import datetime as dt
import re

import monthly_cycle as mc
import pandas as pd
import pytest

from ontrack.cli import main
from ontrack.fileio import read_csv
from ontrack.project import open_project

pytestmark = [pytest.mark.slow]

RENDER_MONTHS = (4, 8, 11, 12)


def _today(m: int) -> dt.date:
    """When the reports about month ``m`` arrive: the 5th of the next month (December: the 21st,
    with only a report up to the 20th in)."""
    return dt.date(2026, 12, 21) if m == 12 else dt.date(2026, m + 1, 5)


def _run(root, *args) -> int:
    return main(["--project", str(root), *args])


def _series(progress: pd.DataFrame, region: str, ind: str, year: int = 2026):
    """(anchored running totals {k: C(k)}, months known alone {k: value}, part-month
    {k: (day, amount)}) as the progress table states them: a row continues the running total
    when it starts right after a known point (January's start is 0)."""
    d = progress[(progress.region_id == region) & (progress.indicator_id == ind)]
    d = d[d.month.str.startswith(str(year))].sort_values("month")
    cum, alone, part = {0: 0.0}, {}, {}
    for _, r in d.iterrows():
        k, c = int(r.month[5:7]), int(r.covers)
        day = int(r.get("through_day", 0) or 0)
        if day:
            part[k] = (day, float(r.value))
            continue
        if k - c in cum:
            cum[k] = cum[k - c] + float(r.value)
        else:
            assert c == 1, (region, ind, r.month, "a value over several months with no anchor")
            alone[k] = float(r.value)
    cum.pop(0)
    return cum, alone, part


@pytest.fixture(scope="module")
def year(tmp_path_factory, monkeypatch_module):
    """The replay: {month: (progress, attainment, status, rendered html or None)}."""
    from ontrack.progress import checks

    base = tmp_path_factory.mktemp("cycle")
    root = base / "jiangnan"
    assert main(["init", str(root)]) == 0
    tr = mc.truth()
    mc.write_plan(root, tr)
    out = base / "inbox"
    out.mkdir()
    assert _run(root, "template", "--plan", mc.PLAN, "--year", "2026",
                "--indicator", "firms", "--indicator", "talent", "--indicator", "space",
                "--out", str(root / "data" / "processed" / "template.xlsx")) == 0  # fmt: skip
    (root / "data" / "processed" / "template.xlsx").rename(out / mc.TEMPLATE)
    project = open_project(root)
    results, changed = {}, {}
    for m in range(1, 13):
        monkeypatch_module.setattr(checks, "current_date", lambda m=m: _today(m))
        changed[m] = mc.change_targets(root, m)  # the plan adjusted: before this month's reports
        month_dir = out / f"{m:02d}"
        month_dir.mkdir()
        files = mc.sends(month_dir, m, tr)
        for f in files:  # each file ingested as it arrives
            assert _run(root, "ingest", str(f)) == 0, (m, f.name)
        assert _run(root, "forecast", "--sims", "2000") == 0, m
        progress = read_csv(project.progress_csv, dtype={"month": str, "region_id": str})
        att = read_csv(project.root / "data/processed/attainment.csv",
                       dtype={"region_id": str, "as_of": str})  # fmt: skip
        nf = read_csv(project.root / "data/processed/not_forecast.csv", dtype={"region_id": str})
        log = read_csv(project.cleaning_log_csv, dtype=str, keep_default_na=False)
        from ontrack.progress.status import reporting_status
        from ontrack.targets import read_targets

        status = reporting_status(
            progress, read_targets(project.targets_csv), project.registry(), mc.COUNTY[0],
            f"2026-{m:02d}",
        )  # fmt: skip
        html = index = None
        if m in RENDER_MONTHS:
            assert _run(root, "render", "--plan", mc.PLAN, "--region", mc.COUNTY[0],
                        "--format", "html", "--sims", "2000") == 0, m  # fmt: skip
            html = (project.reports / f"2026-{m:02d}" / mc.PLAN / f"{mc.COUNTY[0]}.html").read_text(
                encoding="utf-8"
            )
            index = (project.reports / "index.html").read_text(encoding="utf-8")
        results[m] = (progress, att, nf, status, html, log, index)
    return tr, results, changed


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


MONTHS = list(range(1, 13))


@pytest.mark.parametrize("m", MONTHS)
def test_every_known_running_total_and_nothing_unreported(year, m):
    tr, results, _ = year
    progress = results[m][0]
    want = mc.expected_points(m, tr)
    alone_want = mc.floating(m, tr)
    part_want = mc.expected_partial(m, tr)
    for (region, ind), pts in want.items():
        cum, alone, part = _series(progress, region, ind)
        assert set(cum) == set(pts), (m, region, ind, sorted(cum), sorted(pts))
        for k, v in pts.items():
            assert cum[k] == pytest.approx(v, abs=1e-6), (m, region, ind, k)
        assert set(alone) == set(alone_want[(region, ind)]), (m, region, ind, alone)
        for k, v in alone_want[(region, ind)].items():
            assert alone[k] == pytest.approx(v, abs=1e-6)
        if (region, ind) in part_want:
            day, amount = part_want[(region, ind)]
            assert part == {12: (day, pytest.approx(amount, abs=1e-6))}
        else:
            assert part == {}
    # no row for a month nobody reported: every 2026 row is a known point or a month known alone
    for (region, ind), pts in want.items():
        rows = progress[(progress.region_id == region) & (progress.indicator_id == ind)
                        & progress.month.str.startswith("2026")]  # fmt: skip
        months = {int(x[5:7]) for x in rows.month}
        allowed = (
            set(pts)
            | set(alone_want[(region, ind)])
            | ({12} if (region, ind) in part_want else set())
        )
        assert months == allowed, (m, region, ind)
    # the county is never a row of its own (its townships report)
    assert mc.COUNTY[0] not in set(progress.region_id)


@pytest.mark.parametrize("m", MONTHS)
def test_the_months_still_to_come_and_the_pace_they_need(year, m):
    _, results, _ = year
    progress, att, nf = results[m][0], results[m][1], results[m][2]
    assert set(att.as_of) == {f"2026-{m:02d}"}
    yearly = att[(att.year_start == 2026) & (att.year_end == 2026) & (att.level == "baseline")]
    for ind in mc.INDICATORS:
        left = mc.months_to_come(m, ind)
        for region, n in left.items():
            row = yearly[(yearly.region_id == region) & (yearly.indicator_id == ind)]
            if region == "R0205" and m < 4:  # has not reported at all: its own target waits
                assert row.empty
                assert ((nf.region_id == region) & (nf.indicator_id == ind)).any()
                continue
            assert len(row) == 1, (m, region, ind)
            r = row.iloc[0]
            assert r.months_left == pytest.approx(n, abs=1e-6), (m, region, ind)
            # the pace needed: what is still missing over the months still to come
            target = float(r.target)
            done = _known_total(progress, region, ind)
            assert r.actual_to_date == pytest.approx(done, abs=1e-6), (m, region, ind)
            assert r.required_per_month == pytest.approx(max(target - done, 0) / n, rel=1e-6)


def _known_total(progress, region, ind) -> float:
    towns = list(mc.TOWNS) if region == mc.COUNTY[0] else [region]
    p = progress[progress.region_id.isin(towns) & (progress.indicator_id == ind)
                 & progress.month.str.startswith("2026")]  # fmt: skip
    return float(p.value.sum())


def test_a_township_s_silence_is_never_a_zero_month(year):
    """As of April, 丙街道 has sent nothing for April: its April is unknown, the county's
    months to come count it, and its 2026 target's pace is over 9 months, not 8."""
    tr, results, _ = year
    progress, att = results[4][0], results[4][1]
    rows = progress[(progress.region_id == "R0203") & (progress.month == "2026-04")]
    assert rows.empty
    r = att[(att.region_id == "R0203") & (att.indicator_id == "firms") & (att.year_start == 2026)
            & (att.year_end == 2026)].iloc[0]  # fmt: skip
    assert r.months_left == 9
    # as of May its 1-5月 running total covers April: April and May as one value
    p5 = results[5][0]
    may = p5[(p5.region_id == "R0203") & (p5.indicator_id == "firms") & (p5.month == "2026-05")]
    assert may.covers.tolist() == [2]
    assert may.value.iloc[0] == tr[("R0203", "firms", 2026)][3:5].sum()


@pytest.mark.parametrize("m", MONTHS)
def test_unreported_offices_are_named(year, m):
    _, results, _ = year
    status = results[m][3]
    missing = {(r, i) for r, i, ok in zip(status.region_id, status.indicator_id, status.reported,
                                          strict=True) if not ok}  # fmt: skip
    assert missing == mc.unreported(m), m
    assert set(status.region_id) == set(mc.TOWNS)


def test_years_without_data_are_not_counted_as_zero(year):
    """戊镇 reports from April 2026: until its 2025 opening figure (with May's report) the
    county's 2025 and 2025-2027 targets are not forecast (戊镇 2025年 has no data), never 0."""
    tr, results, _ = year
    for m in (1, 4):
        att, nf = results[m][1], results[m][2]
        county = att[att.region_id == mc.COUNTY[0]]
        assert not (county.year_start == 2025).any(), m
        rows = nf[(nf.region_id == mc.COUNTY[0]) & (nf.year_start == 2025)]
        assert len(rows) == 2 * len(mc.INDICATORS), m  # 2025 and 2025-2027, every indicator
        assert rows.missing.str.contains("戊镇 2025年").all()
    att = results[5][1]
    row = att[(att.region_id == mc.COUNTY[0]) & (att.indicator_id == "firms")
              & (att.year_start == 2025) & (att.year_end == 2025)].iloc[0]  # fmt: skip
    total_2025 = sum(float(tr[(t, "firms", 2025)].sum()) for t in mc.TOWNS)
    assert row.actual_to_date == pytest.approx(total_2025)


def test_the_overlapping_summary_and_the_correction_are_flagged_not_refused(year):
    tr, results, _ = year
    log6, log7 = results[6][5], results[7][5]
    flags6 = log6[(log6.level == "flag") & (log6.region_id == "R0202")]
    # the county's 1-6月 (true) against 乙镇's own months (March's talent too low): later wins
    assert flags6.message.str.contains("江南县-2026年1-6月汇总.xlsx").any()
    assert flags6.message.str.contains("乙镇-2026-03月报.csv").any()
    # the county's rows of its own townships that agree are notes, not flags
    assert not log6[(log6.level == "flag") & (log6.region_id == "R0201")].any().any()
    # as of July the corrected March replaces the slip (a flag naming both figures)
    fix = log7[(log7.level == "flag") & (log7.region_id == "R0202") & (log7.month == "2026-03")]
    march = tr[("R0202", "talent", 2026)][2]
    assert fix.message.str.contains(f"较早报告的 {march + mc.SLIP:g}").any()
    assert fix.message.str.contains(f"被较晚报告的 {march:g}").any()


def test_the_county_briefing_says_who_has_not_reported_and_what_it_takes(year):
    _, results, _ = year
    for m in RENDER_MONTHS:
        html = results[m][4]
        text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
        missing = mc.unreported(m)
        lead = re.search(r"(\d+)月应报(\d+)项.*?已报(\d+)项", text)
        assert lead, m
        assert int(lead.group(1)) == m
        n = len(mc.TOWNS) * len(mc.INDICATORS)
        assert (int(lead.group(2)), int(lead.group(3))) == (n, n - len(missing)), m
        lead_text = text[lead.start() : text.index("。", lead.start())]
        for region in {r for r, _ in missing}:
            assert mc.TOWNS[region] in lead_text, (m, region)
        # an office that sent nothing for the month is named once, among 全部未报
        silent = {r for r in mc.TOWNS if all((r, i) in missing for i in mc.INDICATORS)}
        if silent:
            listed = lead_text.split("全部未报：")[1].split("；")[0]
            assert set(listed.split("、")) == {mc.TOWNS[r] for r in silent}, (m, listed)
        assert "本月无新增" not in text or m not in (12,)
    # the index: per region its targets by status and the reports missing (who to chase)
    index = re.sub(r"<[^>]+>", " ", results[12][6])
    december = index[index.index("数据截至2026年12月") : index.index("数据截至2026年11月")]
    assert "未报 12/15" in december
    assert "（乙镇、丙街道、丁乡、戊镇）" in december
    assert "成功" not in index  # the render's own status is shown only when it failed
    # December: 甲镇's report up to the 20th leaves the year open; the others are 未报
    text12 = re.sub(r"<[^>]+>", " ", results[12][4])
    assert "截至20日" in text12
    assert "目标期已结束" not in text12


def test_a_target_changed_in_the_plan_reaches_the_next_briefing(year):
    """The plan folder's targets.csv edited before December (no command run by hand): the
    forecast uses the new targets, and 较上月变化 says 目标调整 with the old and new value."""
    _, results, changed = year
    (region, old, new) = next(c for c in changed[12] if c[0] == mc.COUNTY[0])
    att = results[12][1]
    row = att[(att.region_id == region) & (att.indicator_id == "firms") & (att.year_start == 2026)
              & (att.year_end == 2026)].iloc[0]  # fmt: skip
    assert row.target == new
    text = re.sub(r"<[^>]+>", " ", results[12][4])
    assert f"目标由{old:g}个调整为{new:g}个" in text
