"""A replayed year of monitoring, as offices really send it (issue 19's acceptance test).

A county (江南县, id R0200) and five townships with ids that say nothing of the hierarchy
(R0201 … R0205), a plan written as data (plan.yml, regions.csv, targets.csv), and the true
monthly amounts of three indicators for 2025 and 2026 (seeded). Every month of 2026 the offices
send what they have, each in its own way; :data:`OFFICES` and :data:`COUNTY_SENDS` are the cases,
a list a maintainer extends by adding an office (a writer and the months it covers):

* 甲镇 R0201: its own year-to-date sheet (the township in the title, indicators as rows: 序号 /
  指标 / 单位 / 本年目标 / 1-N月累计完成 / 完成率), space in 平方米; in December a report up to
  the 20th (截至2026年12月20日);
* 乙镇 R0202: the month's own figures in a CSV encoded GBK; its March talent is 10 too low
  (:data:`SLIP`), corrected in the file it sends as of July;
* 丙街道 R0203: running totals (累计完成值) in a UTF-8 CSV; sends nothing for April (1-5月 covers
  it) and nothing for December;
* 丁乡 R0204: the suite's fill-in template (one sheet per indicator, the whole year so far each
  time): January left blank and February holding 1-2月 (as the template says), talent left
  blank for August until the file sent as of October (as of September the county's 1-9月 汇总
  less its own September already gives it);
* 戊镇 R0205: starts reporting with April (the month's own, a CSV), sends its 2025 total (an
  opening figure) with May's report;
* the county office: the previous year's year-end table (乡镇 / 指标 / 年度目标 / 1-12月累计完成 /
  完成率, 戊镇 blank: it did not report then; the 合计 includes it), and the 汇总 of all
  townships' running totals for 1-6月 and 1-9月 (overlapping the townships' own reports).

The plan changes too: :data:`TARGET_CHANGES` adjusts targets in the plan's targets.csv before
a month's reports come in (the county raises 甲镇's 2026 firms target, and its own, before
December's briefing).

What the record must then say is worked out here from the cases alone (never from ontrack):
:func:`expected_points` (the running totals every series' reports determine as of a month),
:func:`unreported` (the offices that have sent nothing for the month), :func:`months_to_come`.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from openpyxl import Workbook, load_workbook

YEAR = 2026
COUNTY = ("R0200", "江南县")
TOWNS = {"R0201": "甲镇", "R0202": "乙镇", "R0203": "丙街道", "R0204": "丁乡", "R0205": "戊镇"}
#: indicator → (name as offices write it, unit of the plan)
INDICATORS = {
    "firms": ("新增在孵企业(项目)", "个"),
    "talent": ("新增创新创业人才", "人"),
    "space": ("新增孵化空间面积", "万平方米"),
}
PLAN = "jiangnan-2025-2027"
#: 乙镇's slip: its March talent reported this much too low until its correction as of July
SLIP = -10.0
#: monthly shape of the true amounts (a Spring Festival lull, a year-end rush)
SHAPE = np.array([0.5, 0.6, 1.0, 1.0, 1.0, 1.0, 0.9, 0.9, 1.0, 1.1, 1.3, 1.7])
#: true monthly pace at shape 1, per indicator (space in 万平方米)
PACE = {"firms": 6.0, "talent": 40.0, "space": 0.4}


def truth(seed: int = 7) -> dict[tuple[str, str, int], np.ndarray]:
    """(town, indicator, year) → the 12 true monthly amounts (counts whole, space to 0.01)."""
    rng = np.random.default_rng(seed)
    out = {}
    for t in TOWNS:
        f = rng.uniform(0.6, 1.5)
        for ind, pace in PACE.items():
            for y in (2025, YEAR):
                mu = pace * f * SHAPE * (1.08 if y == YEAR else 1.0)
                if ind == "space":
                    v = np.round(rng.gamma(2.0, mu / 2.0), 2)
                else:
                    v = rng.poisson(mu).astype(float)
                out[(t, ind, y)] = v
    return out


def targets(tr) -> list[dict]:
    """Yearly targets (2025: 95% of the year's truth, met; 2026: 5% above it; 2027: 2026's +10%)
    and the three-year total, per township and for the county (their sums)."""
    rows = []
    for ind, (_, unit) in INDICATORS.items():
        by_year = {}
        for t in TOWNS:
            t25 = float(tr[(t, ind, 2025)].sum()) * 0.95
            t26 = float(tr[(t, ind, YEAR)].sum()) * 1.05
            vals = {2025: t25, 2026: t26, 2027: t26 * 1.1}
            vals = {y: round(v, 2) if ind == "space" else float(round(v)) for y, v in vals.items()}
            for y, v in vals.items():
                by_year.setdefault(y, 0.0)
                by_year[y] += v
                rows.append(_target(t, ind, y, y, v, unit))
            rows.append(_target(t, ind, 2025, 2027, round(sum(vals.values()), 2), unit))
        for y, v in by_year.items():
            rows.append(_target(COUNTY[0], ind, y, y, round(v, 2), unit))
        rows.append(_target(COUNTY[0], ind, 2025, 2027, round(sum(by_year.values()), 2), unit))
    return rows


def _target(region, ind, ys, ye, value, unit) -> dict:
    return {
        "region_id": region, "indicator_id": ind, "year_start": ys, "year_end": ye,
        "level": "baseline", "value": value, "unit": unit, "source": "江南县行动计划（测试）",
        "quote": f"{ys}-{ye} {ind} {value}",
    }  # fmt: skip


#: as-of month → (region, indicator, year, change) made to the plan's targets.csv then
TARGET_CHANGES = {12: [("R0201", "firms", 2026, 20.0), ("R0200", "firms", 2026, 20.0)]}


def change_targets(root: Path, m: int) -> list[tuple[str, float, float]]:
    """Apply :data:`TARGET_CHANGES` of month ``m`` to the plan's targets.csv; (region, old,
    new) of each yearly target changed."""
    path = root / "data" / "raw" / "plans" / PLAN / "targets.csv"
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    done = []
    for region, ind, year, delta in TARGET_CHANGES.get(m, []):
        for r in rows:
            if (r["region_id"], r["indicator_id"], r["year_start"], r["year_end"]) == (
                region,
                ind,
                str(year),
                str(year),
            ):
                old = float(r["value"])
                r["value"] = str(old + delta)
                done.append((region, old, old + delta))
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]))
    w.writeheader()
    w.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return done


def write_plan(root: Path, tr) -> Path:
    """The plan as data in a project: data/raw/plans/<plan>/ (plan.yml, regions.csv,
    targets.csv)."""
    folder = root / "data" / "raw" / "plans" / PLAN
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "plan.yml").write_text(
        f"id: {PLAN}\nname_zh: 江南县大孵化器集群建设三年行动计划(2025-2027年)\n"
        f"region_id: {COUNTY[0]}\nyears: [2025, 2027]\n",
        encoding="utf-8",
    )
    lines = ["region_id,name_zh,parent_id", f"{COUNTY[0]},{COUNTY[1]},"]
    lines += [f"{t},{n}," + COUNTY[0] for t, n in TOWNS.items()]
    (folder / "regions.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    cols = ["region_id", "indicator_id", "year_start", "year_end", "level", "value", "unit",
            "source", "quote"]  # fmt: skip
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols)
    w.writeheader()
    w.writerows(targets(tr))
    (folder / "targets.csv").write_text(buf.getvalue(), encoding="utf-8")
    return folder


# ------------------------------------------------------------------------------- the offices
@dataclass
class Office:
    """How one township reports: ``write(out_dir, month, truth)`` writes what it sends as of
    ``month`` (a list of files, possibly none); ``known(month, ind)`` the months of 2026 whose
    running total its own reports determine by then (anchored at January), ``floating`` those
    known only as the month's own figure (no January anchor yet)."""

    region: str
    write: object
    known: object
    floating: object = None
    #: months (as of) for which it sends nothing at all for an indicator: (month, ind)
    silent: object = None
    notes: list[str] = field(default_factory=list)


def _ytd_sheet(out: Path, m: int, tr, region="R0201") -> list[Path]:
    name = TOWNS[region]
    wb = Workbook()
    ws = wb.active
    ws.title = f"1-{m}月"
    day = 20 if m == 12 else None
    period = f"截至{YEAR}年12月20日" if day else f"{YEAR}年1-{m}月"
    ws.append([f"{name}大孵化器集群建设主要指标完成情况（{period}）"])
    ws.append([f"填报单位：{name}人民政府"])
    ws.append(
        [
            "序号",
            "指标",
            "单位",
            "本年目标",
            f"1-{m}月累计完成" if not day else "累计完成",
            "完成率",
        ]
    )
    for i, (ind, (label, unit)) in enumerate(INDICATORS.items(), start=1):
        v = float(tr[(region, ind, YEAR)][:m].sum())
        if day:  # up to the 20th: the first 20/31 of December's amount
            v = float(tr[(region, ind, YEAR)][:11].sum()) + _dec20(tr[(region, ind, YEAR)][11], ind)
        if ind == "space":  # this township writes space in 平方米
            unit, v = "平方米", round(v * 10000)
        ws.append([i, label, unit, None, v, None])
    ws.append(["注：空白表示未报送"])
    path = out / f"{name}-{YEAR}-1-{m}月累计.xlsx"
    wb.save(path)
    return [path]


def _dec20(dec: float, ind: str) -> float:
    """What 甲镇 had done by 20 December (a whole number of firms or people)."""
    v = dec * 20 / 31
    return round(v, 2) if ind == "space" else float(int(v))


def _month_csv_gbk(out: Path, m: int, tr, region="R0202") -> list[Path]:
    if m == 12:  # December not in yet (the replay's December is as of the 21st)
        return []
    name = TOWNS[region]
    rows = [["区域", "指标", "月份", "本月完成", "单位"]]
    for ind, (label, unit) in INDICATORS.items():
        v = float(tr[(region, ind, YEAR)][m - 1])
        if m == 3 and ind == "talent":
            assert v + SLIP >= 0
            v += SLIP  # a slip, corrected later
        rows.append([name, label, f"{YEAR}-{m:02d}", _num(v), unit])
    if m == 7:  # with July's figures, the corrected March
        v = float(tr[(region, "talent", YEAR)][2])
        rows.append([name, INDICATORS["talent"][0], f"{YEAR}-03", _num(v), "人"])
    path = out / f"{name}-{YEAR}-{m:02d}月报.csv"
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    path.write_bytes(buf.getvalue().encode("gbk"))
    return [path]


def _ytd_csv(out: Path, m: int, tr, region="R0203") -> list[Path]:
    if m in (4, 12):  # nothing sent for April (1-5月 covers it) nor for December
        return []
    name = TOWNS[region]
    lines = ["地区,指标名称,统计月份,累计完成值,计量单位"]
    for ind, (label, unit) in INDICATORS.items():
        v = float(tr[(region, ind, YEAR)][:m].sum())
        lines.append(f"{name},{label},{YEAR}年{m}月,{_num(v)},{unit}")
    path = out / f"{name}-{YEAR}年1-{m}月累计.csv"
    path.write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")
    return [path]


TEMPLATE = "template.xlsx"  # written by `ontrack template` into the replay's work folder


def _template(out: Path, m: int, tr, region="R0204") -> list[Path]:
    """The template with every month so far in 丁乡's row (January blank: 1-2月 in February;
    talent's August blank until the file sent as of October)."""
    if m in (1, 12):  # January left blank (nothing to send), December not in yet
        return []
    wb = load_workbook(out.parent / TEMPLATE)
    for ind, (label, _) in INDICATORS.items():
        ws = next(s for s in wb.worksheets if s.title.startswith(label[:6]))
        row = next(r for r in range(5, ws.max_row + 1) if ws.cell(r, 2).value == TOWNS[region])
        vals = tr[(region, ind, YEAR)]
        for k in range(1, m + 1):
            if k == 1:
                continue  # January blank: February holds 1-2月
            v = float(vals[0] + vals[1]) if k == 2 else float(vals[k - 1])
            if ind == "talent" and k == 8 and m < 10:
                continue  # August's talent left blank, sent in October's file
            ws.cell(row, 2 + k, v)
    path = out / f"{TOWNS[region]}-进度填报表-{m}月.xlsx"
    wb.save(path)
    return [path]


def _starts_in_april(out: Path, m: int, tr, region="R0205") -> list[Path]:
    if m < 4 or m == 12:
        return []
    name = TOWNS[region]
    lines = ["region,indicator,month,value,basis"]
    for ind in INDICATORS:
        lines.append(f"{name},{ind},{YEAR}-{m:02d},{_num(tr[(region, ind, YEAR)][m - 1])},当月")
    if m == 5:  # its 2025 total: the opening figure of the three-year targets
        for ind in INDICATORS:
            lines.append(f"{name},{ind},2025年1-12月,{_num(tr[(region, ind, 2025)].sum())},累计")
    path = out / f"wuzhen-{m:02d}.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [path]


def _num(v: float) -> str:
    return f"{v:.2f}".rstrip("0").rstrip(".")


# The months of 2026 whose running total C(k) each office's reports determine as of month m
# (anchored at January). December is replayed as of the 21st: only 甲镇 has sent anything, up to
# the 20th (a part of the month: expected_partial).
OFFICES: list[Office] = [
    Office("R0201", _ytd_sheet, lambda m, ind: set(range(1, min(m, 11) + 1))),
    Office(
        "R0202",
        _month_csv_gbk,
        lambda m, ind: set(range(1, min(m, 11) + 1)),
        silent=lambda m, ind: m == 12,
    ),
    Office(
        "R0203",
        _ytd_csv,
        lambda m, ind: {k for k in range(1, min(m, 11) + 1) if k != 4},
        silent=lambda m, ind: m in (4, 12),
    ),
    Office(
        "R0204",
        _template,
        # never January alone (1-2月 together); talent's August is not known as of August; as
        # of September the county's 1-9月 汇总 less its own September gives it
        lambda m, ind: {
            k for k in range(2, min(m, 11) + 1) if not (ind == "talent" and k == 8 and m == 8)
        },
        silent=lambda m, ind: m in (1, 12) or (ind == "talent" and m == 8),
    ),
    Office(
        "R0205",
        _starts_in_april,
        # anchored once the county's 1-6月 汇总 gives its running total: January-March as one
        lambda m, ind: set() if m < 6 else {3, *range(4, min(m, 11) + 1)},
        floating=lambda m, ind: set(range(4, m + 1)) if 4 <= m < 6 else set(),
        silent=lambda m, ind: m < 4 or m == 12,
    ),
]


# ------------------------------------------------------------------------ the county office
def _county_summary(out: Path, m: int, tr) -> list[Path]:
    """The county's 汇总 of every township's running totals (a wide 督查 sheet with 合计)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "汇总"
    ws.append([f"{COUNTY[1]}大孵化器集群建设进度汇总表（{YEAR}年1-{m}月累计）"])
    ws.append(["填报单位：江南县科技局"])
    ws.append(["乡镇"] + [f"{label}（{unit}）" for label, unit in INDICATORS.values()])
    total = np.zeros(len(INDICATORS))
    for t, name in TOWNS.items():
        vals = [float(tr[(t, ind, YEAR)][:m].sum()) for ind in INDICATORS]
        total += vals
        ws.append([name, *[_round(v, ind) for v, ind in zip(vals, INDICATORS, strict=True)]])
    ws.append(["合计", *[_round(v, ind) for v, ind in zip(total, INDICATORS, strict=True)]])
    path = out / f"{COUNTY[1]}-{YEAR}年1-{m}月汇总.xlsx"
    wb.save(path)
    return [path]


def _year_end(out: Path, tr) -> list[Path]:
    """The county's table of the previous year: 戊镇 blank (it did not report then)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "2025年度"
    ws.append([f"{COUNTY[1]}大孵化器集群建设2025年度目标完成情况"])
    ws.append(["乡镇", "指标", "年度目标", "1-12月累计完成", "完成率"])
    for ind, (label, _) in INDICATORS.items():
        total = 0.0
        for t, name in TOWNS.items():
            v = float(tr[(t, ind, 2025)].sum())
            total += v
            ws.append([name, label, None, None if t == "R0205" else _round(v, ind), None])
        ws.append(["合计", label, None, _round(total, ind), None])
    path = out / f"{COUNTY[1]}-2025年度完成情况.xlsx"
    wb.save(path)
    return [path]


def _round(v, ind):
    return round(float(v), 2) if ind == "space" else float(round(v))


#: the county office's files: as-of month → writer
COUNTY_SENDS = {
    1: lambda out, tr: _year_end(out, tr),
    6: lambda out, tr: _county_summary(out, 6, tr),
    9: lambda out, tr: _county_summary(out, 9, tr),
}
#: the months whose 汇总 covers every township's month
SUMMARY_MONTHS = (6, 9)


def sends(out: Path, m: int, tr) -> list[Path]:
    """Every file sent as of month ``m``, in the order they arrive (townships, then the
    county)."""
    files: list[Path] = []
    for o in OFFICES:
        files += o.write(out, m, tr)
    if m in COUNTY_SENDS:
        files += COUNTY_SENDS[m](out, tr)
    return files


# ------------------------------------------------------------------------------- the truth
def expected_points(m: int, tr) -> dict[tuple[str, str], dict[int, float]]:
    """(town, indicator) → {month k: the 2026 running total C(k) the record must hold} as of
    ``m``: the months each office's reports determine, at their true values, except 乙镇's
    March slip (:data:`SLIP` talent in C(3)..C(5) from March until its correction as of July;
    C(6) comes from the county's 1-6月 汇总, which is right)."""
    out = {}
    for o in OFFICES:
        for ind in INDICATORS:
            cum = np.cumsum(tr[(o.region, ind, YEAR)])
            pts = {k: float(cum[k - 1]) for k in o.known(m, ind)}
            if o.region == "R0202" and ind == "talent" and 3 <= m < 7:
                for k in pts:
                    if 3 <= k <= 5:
                        pts[k] += SLIP
            out[(o.region, ind)] = pts
    return out


def floating(m: int, tr) -> dict[tuple[str, str], dict[int, float]]:
    """Months known only as their own figure (no running total ties them to January yet)."""
    out = {}
    for o in OFFICES:
        for ind in INDICATORS:
            ks = o.floating(m, ind) if o.floating else set()
            out[(o.region, ind)] = {k: float(tr[(o.region, ind, YEAR)][k - 1]) for k in ks}
    return out


def unreported(m: int) -> set[tuple[str, str]]:
    """(town, indicator) that have sent nothing covering month ``m`` by then (未报)."""
    out = set()
    for o in OFFICES:
        for ind in INDICATORS:
            silent = o.silent(m, ind) if o.silent else False
            if silent and m not in SUMMARY_MONTHS:  # the county's 汇总 covers its month
                out.add((o.region, ind))
    return out


def expected_partial(m: int, tr) -> dict[tuple[str, str], tuple[int, float]]:
    """(town, indicator) → (day, December's amount up to that day) for 甲镇's report up to the
    20th, as of December."""
    if m != 12:
        return {}
    return {("R0201", ind): (20, _dec20(tr[("R0201", ind, YEAR)][11], ind)) for ind in INDICATORS}


def months_to_come(m: int, ind: str) -> dict[str, float]:
    """Per town and for the county: months of 2026 whose amount is not known yet as of ``m``:
    every month after the last running total a town's reports determine, except the months
    known as their own figure; 甲镇's report up to 20 December leaves 11/31 of December. The
    county's: a month counts when any town's is still to come."""
    out: dict[str, float] = {}
    county = np.zeros(12)
    for o in OFFICES:
        last = max(o.known(m, ind), default=0)  # every month up to it lies in a known value
        alone = o.floating(m, ind) if o.floating else set()
        w = np.array([0.0 if (k <= last or k in alone) else 1.0 for k in range(1, 13)])
        if o.region == "R0201" and m == 12:
            w[11] = 11 / 31
        out[o.region] = float(w.sum())
        county = np.maximum(county, w)
    out[COUNTY[0]] = float(county.sum())
    return out
