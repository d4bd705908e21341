"""`ontrack demo`: illustrative (示例数据) progress reports from a documented, seeded model.

No public monthly progress data exists for these plans (see /work/shared/reference/facts.md),
so the suite ships with generated data, always labelled 示例数据 (illustrative).

The generative model, month by month from January 2025:

* **Yearly pace.** Pingyang's nine townships follow their yearly targets in the plan's 附件2
  (平阳县大孵化器集群建设任务分解表); Lucheng's yearly pace is its 2027 three-year totals
  (space 160 万㎡, firms 1600, talent 16000, tech_firms 150, incubators_20 6) split 25 / 33 / 42 %.
* **Performance.** Each region draws a factor (log-normal, σ 0.25, kept within 0.55–1.6) times a
  small per-indicator factor (σ 0.1): some regions run ahead of their targets, some behind.
* **Season.** Monthly weights ``SEASON``: a Spring Festival lull in January–February and a
  year-end rush (年底冲刺) in November–December. The expected value of a month is
  ``yearly pace × performance × weight / sum of weights``.
* **Space** arrives as whole buildings: a Poisson number of completions a month (mean = the
  expected area / the mean building size), each of 0.5–3 万㎡ (uniform, to 0.01 万㎡).
* **Counts** (firms, talent, tech_firms) are negative binomial around the seasonal mean
  (dispersion ``DISPERSION``: variance = μ + μ²/k).
* **"20" incubators** are rare Poisson events with weights ``LATE``, mostly late in the year.

Writing (as monitoring offices would send it): for Pingyang one 督查 workbook per month for the
current year and one workbook with a sheet per month for 2025, each with a title naming the
period, 填报单位 / 填报日期 lines, a two-row merged header (indicator over 年度目标 / 累计完成 /
完成率), year-to-date 累计 values, 1-2月 combined, a 合计 or 全县 row, space in 平方米 in 2025 and
万平方米 in the current year, and the quirks of real sheets (full-width digits, thousands
separators, percentages as text, footnote marks, township names with or without 镇, trailing
spaces, a 备注 column). For Lucheng a tidy monthly CSV. :func:`generate` gives the true monthly
values (kept out of data/raw, where the ingest would read them) so that tests can compare.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from .. import paths
from ..registry import CORE_INDICATORS, INDICATORS, REGIONS, children
from .periods import month_str

#: Monthly weights, January … December: Spring Festival lull, year-end rush.
SEASON = np.array([0.35, 0.45, 0.9, 1.0, 1.0, 1.0, 0.9, 0.9, 1.0, 1.1, 1.5, 2.0])
#: Monthly weights of "20" incubator recognitions: mostly late in the year.
LATE = np.array([0.0, 0.0, 0.2, 0.3, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0, 1.5, 2.5])
BUILDING_MIN, BUILDING_MAX = 0.5, 3.0  # 万平方米 per completed building
DISPERSION = {"firms": 4.0, "talent": 6.0, "tech_firms": 3.0}
LUCHENG_TOTALS = {
    "space": 160,
    "firms": 1600,
    "talent": 16000,
    "tech_firms": 150,
    "incubators_20": 6,
}
LUCHENG_SPLIT = {2025: 0.25, 2026: 0.33, 2027: 0.42}
YEARS = (2025, 2026, 2027)
MARK = "示例数据"

# 附件2 平阳县大孵化器集群建设任务分解表(2025—2027年): per township, per year,
# (space 万平方米, firms 个, talent 个, tech_firms 家, incubators_20 个).
_ANNEX2 = {
    "pingyang-kunyang": [(2, 40, 400, 5, 1), (3, 40, 400, 5, 0), (5, 40, 400, 5, 0)],
    "pingyang-aojiang": [(3, 20, 200, 2, 1), (5, 20, 200, 2, 0), (5, 20, 200, 5, 0)],
    "pingyang-shuitou": [(2, 20, 200, 5, 0), (2, 20, 200, 5, 0), (4, 20, 200, 5, 0)],
    "pingyang-xiaojiang": [(1, 15, 150, 1, 0), (2, 15, 150, 1, 0), (3, 15, 150, 5, 0)],
    "pingyang-wanquan": [(3, 30, 300, 5, 0), (4, 30, 300, 5, 0), (5, 30, 300, 5, 0)],
    "pingyang-tengjiao": [(2, 25, 250, 5, 0), (2, 25, 250, 5, 0), (2, 25, 250, 5, 0)],
    "pingyang-mabu": [(1, 10, 100, 1, 0), (1, 10, 100, 1, 0), (2, 10, 100, 3, 1)],
    "pingyang-haixi": [(1, 10, 100, 1, 0), (1, 10, 100, 1, 0), (1, 10, 100, 2, 0)],
    "pingyang-jingkaiqu": [(1, 30, 300, 5, 0), (2, 30, 300, 5, 1), (5, 30, 300, 5, 0)],
}


def _township_targets() -> dict[tuple[str, str, int], float]:
    """Yearly targets of Pingyang's townships: {(region_id, indicator_id, year): value}.

    Parsed from the plan document by the targets stage (``ontrack.targets.build_targets``, which
    writes nothing) when it yields the full table, else the 附件2 numbers copied above.
    """
    try:
        from ..targets import build_targets  # the targets stage (stage 1a)

        df = build_targets()
        df = df[
            (df["plan_id"] == "pingyang-2025-2027")
            & (df["level"] == "baseline")
            & (df["year_start"] == df["year_end"])
            & (df["region_id"].isin(children("pingyang")))
            & (df["indicator_id"].isin(CORE_INDICATORS))
        ]
        if len(df) >= 9 * 5 * 3:
            return {
                (r.region_id, r.indicator_id, int(r.year_start)): float(r.value)
                for r in df.itertuples()
            }
    except Exception:  # the targets stage is absent or cannot parse: fall back
        pass
    return {
        (rid, ind, year): float(vals[i])
        for rid, rows in _ANNEX2.items()
        for year, vals in zip(YEARS, rows, strict=True)
        for i, ind in enumerate(CORE_INDICATORS)
    }


def yearly_pace() -> pd.DataFrame:
    """The yearly pace the model follows (region_id, indicator_id, year, target)."""
    t = _township_targets()
    rows = [(r, i, y, v) for (r, i, y), v in t.items()]
    rows += [
        ("lucheng", ind, y, LUCHENG_TOTALS[ind] * LUCHENG_SPLIT[y])
        for ind in CORE_INDICATORS
        for y in YEARS
    ]
    return pd.DataFrame(rows, columns=["region_id", "indicator_id", "year", "target"])


def _parse_as_of(as_of: str) -> tuple[int, int]:
    from ..errors import InputError

    try:
        y, m = (int(x) for x in str(as_of).split("-"))
        if 2025 <= y <= 2027 and 1 <= m <= 12:
            return y, m
    except ValueError:
        pass
    raise InputError(
        "--as-of", f"not a month of the plans: {as_of!r}", "YYYY-MM, 2025-01 … 2027-12"
    )


def generate(as_of: str = "2026-10", seed: int = 0) -> pd.DataFrame:
    """True monthly values (region_id, indicator_id, month, value) from 2025-01 to ``as_of``."""
    end_y, end_m = _parse_as_of(as_of)
    rng = np.random.default_rng(seed)
    pace = yearly_pace().set_index(["region_id", "indicator_id", "year"])["target"]
    regions = [*children("pingyang"), "lucheng"]
    perf = {r: float(np.clip(rng.lognormal(0.0, 0.25), 0.55, 1.6)) for r in regions}
    rows = []
    for r in regions:
        for ind in CORE_INDICATORS:
            f = perf[r] * float(np.exp(rng.normal(0.0, 0.1)))
            for y in range(2025, end_y + 1):
                yearly = float(pace[(r, ind, y)]) * f
                weights = LATE if ind == "incubators_20" else SEASON
                for m in range(1, 13):
                    mu = yearly * weights[m - 1] / weights.sum()
                    if ind == "space":
                        n = rng.poisson(mu / ((BUILDING_MIN + BUILDING_MAX) / 2))
                        sizes = np.round(rng.uniform(BUILDING_MIN, BUILDING_MAX, n), 2)
                        v = round(float(sizes.sum()), 2)
                    elif ind == "incubators_20":
                        v = float(rng.poisson(mu))
                    else:
                        k = DISPERSION[ind]
                        v = float(rng.negative_binomial(k, k / (k + mu))) if mu > 0 else 0.0
                    if (y, m) <= (end_y, end_m):
                        rows.append((r, ind, month_str(y, m), v))
    return pd.DataFrame(rows, columns=["region_id", "indicator_id", "month", "value"])


# --------------------------------------------------------------------------- writing

_FULLWIDTH = str.maketrans("0123456789.-,%", "０１２３４５６７８９．－，％")


def _label(rid: str, k: int) -> str:
    """Township names as different offices write them (with / without 镇, spaces)."""
    r = REGIONS[rid]
    if rid == "pingyang-jingkaiqu":
        return ["经开区", "平阳经济开发区", "经开区 "][k % 3]
    return (
        [r.name_zh, r.short_zh, r.name_zh + " "][(k + len(r.short_zh)) % 3] if k % 2 else r.name_zh
    )


def _title_period(year: int, m: int, k: int) -> str:
    span = f"{year}年1-{m}月"
    if k % 4 == 1:
        span = f"{year}年1—{m}月".translate(_FULLWIDTH)
    elif k % 4 == 3 and m > 2:
        span = f"{year}年截至{m}月底"
    return span


def _fmt(v: float, unit_sq_m: bool, k: int, is_space: bool) -> object:
    """A cell value as an office might type it."""
    if is_space and unit_sq_m:
        x = round(v * 10000)
        return f"{x:,}" if (x >= 1000 and k % 2) else x
    x = round(v, 2) if is_space else round(v)
    if k % 7 == 3:
        return str(x).translate(_FULLWIDTH)
    if not is_space and x >= 1000 and k % 3 == 0:
        return f"{x:,}"
    return x


def _write_report(ws, year: int, m: int, ytd: pd.DataFrame, pace: pd.Series, k: int) -> None:
    """One 督查 sheet: YTD 累计完成 of the townships for 1..m of ``year``."""
    from openpyxl.styles import Alignment, Font

    sq_m = year == 2025
    towns = children("pingyang")
    units = {i: INDICATORS[i].unit for i in CORE_INDICATORS}
    if sq_m:
        units["space"] = "平方米" if k % 2 else "㎡"
    ncol = 2 + 3 * len(CORE_INDICATORS) + 1
    title = f"平阳县大孵化器集群建设进展督查表({_title_period(year, m, k)})【{MARK}】"
    ws.cell(1, 1, title).font = Font(bold=True, size=13)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncol)
    ws.cell(2, 1, f"填报单位：平阳县科技局（{MARK}，illustrative）")
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=8)
    ny, nm = (year, m + 1) if m < 12 else (year + 1, 1)
    ws.cell(2, 10, f"填报日期：{ny}年{nm}月{5 + k % 5}日")
    ws.merge_cells(start_row=2, start_column=10, end_row=2, end_column=ncol)
    for c, h in ((1, "序号"), (2, "区域"), (ncol, "备注")):
        ws.cell(3, c, h)
        ws.merge_cells(start_row=3, start_column=c, end_row=4, end_column=c)
    for j, ind in enumerate(CORE_INDICATORS):
        c = 3 + 3 * j
        name = INDICATORS[ind].name_zh.replace('"', "“", 1).replace('"', "”", 1)
        ws.cell(3, c, f"{name}({units[ind]})")
        ws.merge_cells(start_row=3, start_column=c, end_row=3, end_column=c + 2)
        for i, sub in enumerate(("年度目标", "累计完成", "完成率")):
            ws.cell(4, c + i, sub)
    for row in ws.iter_rows(min_row=3, max_row=4):
        for cell in row:
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            cell.font = Font(bold=True)
    totals = {ind: 0.0 for ind in CORE_INDICATORS}
    targets = {ind: 0.0 for ind in CORE_INDICATORS}
    r = 5
    for n, rid in enumerate(towns, start=1):
        ws.cell(r, 1, n)
        ws.cell(r, 2, _label(rid, k + n))
        for j, ind in enumerate(CORE_INDICATORS):
            c = 3 + 3 * j
            tgt = float(pace[(rid, ind, year)])
            v = float(ytd.get((rid, ind), 0.0))
            is_space = ind == "space"
            v_written = round(v * 10000) / 10000 if is_space and sq_m else v
            totals[ind] += v_written
            targets[ind] += tgt
            ws.cell(r, c, tgt * 10000 if is_space and sq_m else tgt)
            cell = _fmt(v, sq_m, k + n + j, is_space)
            if (k + n + j) % 11 == 5 and not isinstance(cell, str):
                cell = f"{cell}*"  # footnote mark, explained under the table
            ws.cell(r, c + 1, cell)
            ws.cell(r, c + 2, f"{100 * v / tgt:.1f}%" if tgt else "—")
        if (k + n) % 4 == 0:
            ws.cell(r, ncol, "按时报送")
        r += 1
    ws.cell(r, 2, "全县" if k % 2 else "合计")
    for j, ind in enumerate(CORE_INDICATORS):
        c = 3 + 3 * j
        is_space = ind == "space"
        tot = totals[ind]
        ws.cell(r, c, targets[ind] * 10000 if is_space and sq_m else targets[ind])
        ws.cell(r, c + 1, round(tot * 10000) if is_space and sq_m else round(tot, 2))
        ws.cell(r, c + 2, f"{100 * tot / targets[ind]:.1f}%" if targets[ind] else "—")
    ws.cell(
        r + 1, 1, f"注：标*的数据含已竣工待验收项目；本表为{MARK}（illustrative），非真实统计。"
    )
    ws.column_dimensions["B"].width = 16


def write_demo(as_of: str = "2026-10", seed: int = 0, out: str | Path | None = None) -> list[Path]:
    """Write the illustrative reports under ``out`` (default data/raw/progress/demo/)."""
    from openpyxl import Workbook

    from ..fileio import atomic_path, write_csv, write_text

    out = Path(out) if out else paths.DEMO_DIR
    end_y, end_m = _parse_as_of(as_of)
    truth = generate(as_of, seed)
    pace = yearly_pace().set_index(["region_id", "indicator_id", "year"])["target"]
    for sub in ("pingyang", "lucheng"):  # earlier runs' files (other as-of) must not linger
        if (out / sub).is_dir():
            shutil.rmtree(out / sub)
    written: list[Path] = []
    pt = truth[truth["region_id"] != "lucheng"].copy()
    pt["year"] = pt["month"].str[:4].astype(int)
    pt["m"] = pt["month"].str[5:].astype(int)
    for year in range(2025, end_y + 1):
        last = 12 if year < end_y else end_m
        months = [m for m in range(2, last + 1)]  # 1-2月 reported together: no January report
        if not months:
            continue
        one_book = year < end_y
        wb = Workbook() if one_book else None
        if wb is not None:
            wb.remove(wb.active)
        for k, m in enumerate(months):
            sel = pt[(pt["year"] == year) & (pt["m"] <= m)]
            ytd = sel.groupby(["region_id", "indicator_id"])["value"].sum().to_dict()
            if one_book:
                ws = wb.create_sheet("1-2月" if m == 2 else f"{m}月")
            else:
                wb1 = Workbook()
                ws = wb1.active
                ws.title = "督查表"
            _write_report(ws, year, m, ytd, pace, k + year)
            if not one_book:
                path = out / "pingyang" / f"pingyang-{year}-{m:02d}-督查表.xlsx"
                with atomic_path(path) as tmp:
                    wb1.save(tmp)
                written.append(path)
        if one_book:
            path = out / "pingyang" / f"pingyang-{year}-督查汇总.xlsx"
            with atomic_path(path) as tmp:
                wb.save(tmp)
            written.append(path)
    lc = truth[truth["region_id"] == "lucheng"].copy()
    lc_out = pd.DataFrame(
        {
            "region": "鹿城区",
            "indicator": lc["indicator_id"],
            "month": lc["month"],
            "value": lc["value"].round(2),
            "basis": "monthly",
            "unit": lc["indicator_id"].map(lambda i: INDICATORS[i].unit),
            "note": f"{MARK} illustrative",
        }
    )
    path = out / "lucheng" / f"lucheng-progress-2025-{end_y}.csv"
    write_csv(lc_out, path)
    written.append(path)
    readme = out / "README.md"
    write_text(readme, _readme(as_of, seed))
    written.append(readme)
    return written


def _readme(as_of: str, seed: int) -> str:
    doc = __doc__.split("\n\n", 2)[2]
    return (
        "# 示例数据 — illustrative progress reports\n\n"
        "**These files are generated, not real statistics.** No public monthly progress data "
        "exists for these plans; the suite ships with this illustrative data so that every "
        "briefing runs out of the box. Every file says 示例数据 in its title or note column, and "
        "every progress row read from here carries `illustrative = True`.\n\n"
        f"Generated by `ontrack demo --as-of {as_of} --seed {seed}` "
        "(module `ontrack.progress.demo`). Re-running with the same arguments gives the same "
        "numbers; `ontrack.progress.demo.generate(as_of, seed)` returns the true monthly values "
        "(not written here, because the ingest reads every file in this folder).\n\n"
        "## Model and file quirks\n\n" + doc.strip() + "\n\n"
        "## Parameters\n\n"
        f"- `SEASON` (Jan … Dec): {', '.join(f'{w:g}' for w in SEASON)}\n"
        f"- `LATE` (Jan … Dec): {', '.join(f'{w:g}' for w in LATE)}\n"
        f"- building size: uniform {BUILDING_MIN:g}–{BUILDING_MAX:g} 万㎡\n"
        f"- `DISPERSION`: {', '.join(f'{k} {v:g}' for k, v in DISPERSION.items())}\n"
        f"- seed: {seed}; as of: {as_of}\n"
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--as-of", default="2026-10", help="last month generated (YYYY-MM)")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.add_argument(
        "--out", default=None, help="output folder (default data/raw/progress/demo)"
    )


def run(args: argparse.Namespace) -> int:
    written = write_demo(args.as_of, args.seed, args.out)
    print(f"wrote {len(written)} illustrative (示例数据) files under {written[0].parents[1]}")
    return 0
