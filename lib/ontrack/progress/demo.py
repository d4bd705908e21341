"""`ontrack demo`: illustrative (示例数据) progress reports from a documented, seeded model.

No public monthly progress data exists for the example plans (see /work/shared/reference/facts.md),
so the suite ships with generated data, always labelled 示例数据 (illustrative). `ontrack demo`
makes such data for the plans of any project (by default those `render-all` renders), under
the project's data/raw/progress/demo/.

The generative model, month by month from January of each plan's first year:

* **Yearly pace**, from the project's targets (core indicators, baseline level). A plan whose
  regions.csv declares regions under the plan's region is simulated region by region (Pingyang's
  nine townships follow their yearly targets in the plan's 附件2, 平阳县大孵化器集群建设任务分解表);
  otherwise the plan's own region is. A region follows the yearly targets the plan states; where
  it states only a total for the plan's years (Lucheng: space 160 万㎡, firms 1600, talent 16000,
  tech_firms 150, incubators_20 6 for 2025-2027), the total is split 25 / 33 / 42 % over a
  three-year plan (evenly over a plan of another length). Yearly splits the targets stage
  assumed (``assumed``) are not followed.
* **Performance.** Each region draws a factor (log-normal, σ 0.25, kept within 0.55–1.6) times a
  small per-indicator factor (σ 0.1): some regions run ahead of their targets, some behind.
* **Season.** Monthly weights ``SEASON``: a Spring Festival lull in January–February and a
  year-end rush (年底冲刺) in November–December. The expected value of a month is
  ``yearly pace × performance × weight / sum of weights``.
* **Lumpy indicators** (space) arrive as whole buildings: a Poisson number of completions a
  month (mean = the expected area / the mean building size), each of 0.5–3 万㎡ (uniform, to
  0.01 万㎡).
* **Counts** (firms, talent, tech_firms) are negative binomial around the seasonal mean
  (dispersion ``DISPERSION``: variance = μ + μ²/k).
* **Small counts** ("20" incubators) are rare Poisson events with weights ``LATE``, mostly late
  in the year.

Writing (as monitoring offices would send it): for a plan simulated region by region (Pingyang)
one 督查 workbook per month for the current year and one workbook with a sheet per month for the
earlier years, each with a title naming the period, 填报单位 / 填报日期 lines, a two-row merged
header (indicator over 年度目标 / 累计完成 / 完成率), year-to-date 累计 values, 1-2月 combined, a
合计 or 全县 row, space in 平方米 in the plan's first year and 万平方米 later, and the quirks of
real sheets (full-width digits, thousands separators, percentages as text, footnote marks,
township names with or without 镇, trailing spaces, a 备注 column). For a plan simulated as one
region (Lucheng) a tidy monthly CSV. :func:`generate` gives the true monthly values (kept out of
data/raw, where the ingest would read them) so that tests can compare.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ..fileio import atomic_path, write_csv, write_text
from ..project import Project, find_project
from ..registry import Registry
from ..targets import build_targets
from . import project_output
from .periods import month_str
from .template import sub_regions

#: Monthly weights, January … December: Spring Festival lull, year-end rush.
SEASON = np.array([0.35, 0.45, 0.9, 1.0, 1.0, 1.0, 0.9, 0.9, 1.0, 1.1, 1.5, 2.0])
#: Monthly weights of small counts ("20" incubator recognitions): mostly late in the year.
LATE = np.array([0.0, 0.0, 0.2, 0.3, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0, 1.5, 2.5])
BUILDING_MIN, BUILDING_MAX = 0.5, 3.0  # 万平方米 per completed building
#: Negative binomial dispersion k per count indicator (others: DEFAULT_DISPERSION).
DISPERSION = {"firms": 4.0, "talent": 6.0, "tech_firms": 3.0}
DEFAULT_DISPERSION = 4.0
#: Yearly shares of a plan-period total over a three-year plan (other lengths: even).
SPLIT_3 = (0.25, 0.33, 0.42)
MARK = "示例数据"
AREA_UNIT = "万平方米"
PACE_COLUMNS = ["plan_id", "region_id", "indicator_id", "year", "target"]


def _split(n: int) -> tuple[float, ...]:
    return SPLIT_3 if n == 3 else tuple(1.0 / n for _ in range(n))


def yearly_pace(reg: Registry, targets: pd.DataFrame, plans: Iterable[str]) -> pd.DataFrame:
    """The yearly pace the model follows (plan_id, region_id, indicator_id, year, target), from
    the targets table of the plans named (see the module docstring for the rules).

    A region already paced by an earlier plan of ``plans`` is not paced again."""
    rows: list[tuple] = []
    paced: set[str] = set()
    assumed = (
        targets["assumed"].astype(bool)
        if "assumed" in targets
        else pd.Series(False, index=targets.index)
    )
    for plan_id in plans:
        if plan_id not in reg.plans:
            raise InputError("--plan", f"unknown plan '{plan_id}'", " or ".join(reg.plans))
        plan = reg.plans[plan_id]
        years = list(plan.years)
        y0, y1 = years[0], years[-1]
        t = targets[(targets["plan_id"] == plan_id) & (targets["level"] == "baseline")]
        subs = sub_regions(reg, plan_id)
        regions = subs if subs and t["region_id"].isin(subs).any() else [plan.region_id]
        for rid in regions:
            if rid in paced:
                continue
            paced.add(rid)
            for ind in reg.core_indicators:
                ti = t[(t["region_id"] == rid) & (t["indicator_id"] == ind)]
                yearly = ti[(ti["year_start"] == ti["year_end"]) & ~assumed.loc[ti.index]]
                stated = {int(r.year_start): float(r.value) for r in yearly.itertuples()}
                total = ti[(ti["year_start"] == y0) & (ti["year_end"] == y1)]
                if all(y in stated for y in years):
                    pace = [stated[y] for y in years]
                elif y1 > y0 and len(total) == 1:
                    v = float(total["value"].iloc[0])
                    pace = [v * s for s in _split(len(years))]
                else:
                    continue
                rows += [(plan_id, rid, ind, y, p) for y, p in zip(years, pace, strict=True)]
    return pd.DataFrame(rows, columns=PACE_COLUMNS)


def project_pace(project: Project, plans: Iterable[str] | None = None) -> pd.DataFrame:
    """:func:`yearly_pace` of a project's plans (default: those render-all renders), from its
    targets as the plan folders give them now (``ontrack.targets.build_targets``)."""
    reg = project.registry()
    return yearly_pace(reg, build_targets(reg), list(plans or project.render_plans))


def _parse_as_of(as_of: str, first: int, last: int) -> tuple[int, int]:
    try:
        y, m = (int(x) for x in str(as_of).split("-"))
        if first <= y <= last and 1 <= m <= 12:
            return y, m
    except ValueError:
        pass
    raise InputError(
        "--as-of", f"not a month of the plans: {as_of!r}", f"YYYY-MM, {first}-01 … {last}-12"
    )


def _as_of(pace: pd.DataFrame, as_of: str) -> tuple[int, int]:
    if pace.empty:
        raise InputError(
            "plans",
            "no core-indicator targets to pace illustrative data on",
            "plans with yearly or plan-period targets of the core indicators",
        )
    return _parse_as_of(as_of, int(pace["year"].min()), int(pace["year"].max()))


def generate(
    pace: pd.DataFrame, reg: Registry, as_of: str = "2026-10", seed: int = 0
) -> pd.DataFrame:
    """True monthly values (region_id, indicator_id, month, value) from January of each
    region's first paced year to ``as_of``, following ``pace`` (:func:`yearly_pace`); ``reg``
    gives each indicator's nature (lumpy, count, small_count)."""
    end_y, end_m = _as_of(pace, as_of)
    rng = np.random.default_rng(seed)
    target = pace.set_index(["region_id", "indicator_id", "year"])["target"]
    regions = list(dict.fromkeys(pace["region_id"]))
    perf = {r: float(np.clip(rng.lognormal(0.0, 0.25), 0.55, 1.6)) for r in regions}
    rows = []
    for r in regions:
        pr = pace[pace["region_id"] == r]
        years = sorted(y for y in set(pr["year"]) if y <= end_y)
        for ind in dict.fromkeys(pr["indicator_id"]):
            f = perf[r] * float(np.exp(rng.normal(0.0, 0.1)))
            nature = reg.nature(ind)
            for y in years:
                yearly = float(target[(r, ind, y)]) * f
                weights = LATE if nature == "small_count" else SEASON
                for m in range(1, 13):
                    mu = yearly * weights[m - 1] / weights.sum()
                    if nature == "lumpy":
                        n = rng.poisson(mu / ((BUILDING_MIN + BUILDING_MAX) / 2))
                        sizes = np.round(rng.uniform(BUILDING_MIN, BUILDING_MAX, n), 2)
                        v = round(float(sizes.sum()), 2)
                    elif nature == "small_count":
                        v = float(rng.poisson(mu))
                    else:
                        k = DISPERSION.get(ind, DEFAULT_DISPERSION)
                        v = float(rng.negative_binomial(k, k / (k + mu))) if mu > 0 else 0.0
                    if (y, m) <= (end_y, end_m):
                        rows.append((r, ind, month_str(y, m), v))
    return pd.DataFrame(rows, columns=["region_id", "indicator_id", "month", "value"])


# --------------------------------------------------------------------------- writing

_FULLWIDTH = str.maketrans("0123456789.-,%", "０１２３４５６７８９．－，％")


def _label(reg: Registry, rid: str, k: int) -> str:
    """Region names as different offices write them (with / without 镇, spaces). A long name
    (平阳经济开发区) is mostly written short (经开区)."""
    r = reg.regions.get(rid)
    if r is None:
        return rid
    short = r.short_zh or r.name_zh
    if len(r.name_zh) > 4 and r.short_zh:
        return [short, r.name_zh, short + " "][k % 3]
    return [r.name_zh, short, r.name_zh + " "][(k + len(short)) % 3] if k % 2 else r.name_zh


def _title_period(year: int, m: int, k: int) -> str:
    span = f"{year}年1-{m}月"
    if k % 4 == 1:
        span = f"{year}年1—{m}月".translate(_FULLWIDTH)
    elif k % 4 == 3 and m > 2:
        span = f"{year}年截至{m}月底"
    return span


def _fmt(v: float, unit_sq_m: bool, k: int, is_area: bool) -> object:
    """A cell value as an office might type it."""
    if is_area and unit_sq_m:
        x = round(v * 10000)
        return f"{x:,}" if (x >= 1000 and k % 2) else x
    x = round(v, 2) if is_area else round(v)
    if k % 7 == 3:
        return str(x).translate(_FULLWIDTH)
    if not is_area and x >= 1000 and k % 3 == 0:
        return f"{x:,}"
    return x


def _write_report(
    ws,
    reg: Registry,
    region_id: str,
    towns: list[str],
    inds: list[str],
    year: int,
    m: int,
    ytd: dict,
    pace: pd.Series,
    k: int,
    sq_m: bool,
) -> None:
    """One 督查 sheet of ``region_id``: YTD 累计完成 of its ``towns`` for 1..m of ``year``
    (area in 平方米 when ``sq_m``)."""
    from openpyxl.styles import Alignment, Font

    name = reg.region_name(region_id)
    units = {i: reg.unit(i) or "" for i in inds}
    area = {i: units[i] == AREA_UNIT for i in inds}
    if sq_m:
        for i in inds:
            if area[i]:
                units[i] = "平方米" if k % 2 else "㎡"
    ncol = 2 + 3 * len(inds) + 1
    title = f"{name}大孵化器集群建设进展督查表({_title_period(year, m, k)})【{MARK}】"
    ws.cell(1, 1, title).font = Font(bold=True, size=13)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncol)
    ws.cell(2, 1, f"填报单位：{name}科技局（{MARK}，illustrative）")
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=8)
    ny, nm = (year, m + 1) if m < 12 else (year + 1, 1)
    ws.cell(2, 10, f"填报日期：{ny}年{nm}月{5 + k % 5}日")
    ws.merge_cells(start_row=2, start_column=10, end_row=2, end_column=ncol)
    for c, h in ((1, "序号"), (2, "区域"), (ncol, "备注")):
        ws.cell(3, c, h)
        ws.merge_cells(start_row=3, start_column=c, end_row=4, end_column=c)
    for j, ind in enumerate(inds):
        c = 3 + 3 * j
        ind_name = reg.indicator_name(ind).replace('"', "“", 1).replace('"', "”", 1)
        ws.cell(3, c, f"{ind_name}({units[ind]})")
        ws.merge_cells(start_row=3, start_column=c, end_row=3, end_column=c + 2)
        for i, sub in enumerate(("年度目标", "累计完成", "完成率")):
            ws.cell(4, c + i, sub)
    for row in ws.iter_rows(min_row=3, max_row=4):
        for cell in row:
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            cell.font = Font(bold=True)
    totals = {ind: 0.0 for ind in inds}
    targets = {ind: 0.0 for ind in inds}
    r = 5
    for n, rid in enumerate(towns, start=1):
        ws.cell(r, 1, n)
        ws.cell(r, 2, _label(reg, rid, k + n))
        for j, ind in enumerate(inds):
            c = 3 + 3 * j
            if (rid, ind, year) not in pace.index:  # not paced: not reported
                for i in range(3):
                    ws.cell(r, c + i, "—")
                continue
            tgt = float(pace[(rid, ind, year)])
            v = float(ytd.get((rid, ind), 0.0))
            is_area = area[ind]
            v_written = round(v * 10000) / 10000 if is_area and sq_m else v
            totals[ind] += v_written
            targets[ind] += tgt
            ws.cell(r, c, tgt * 10000 if is_area and sq_m else tgt)
            cell = _fmt(v, sq_m, k + n + j, is_area)
            if (k + n + j) % 11 == 5 and not isinstance(cell, str):
                cell = f"{cell}*"  # footnote mark, explained under the table
            ws.cell(r, c + 1, cell)
            ws.cell(r, c + 2, f"{100 * v / tgt:.1f}%" if tgt else "—")
        if (k + n) % 4 == 0:
            ws.cell(r, ncol, "按时报送")
        r += 1
    whole = {"县": "全县", "区": "全区", "市": "全市"}.get(name[-1:], "合计")
    ws.cell(r, 2, whole if k % 2 else "合计")
    for j, ind in enumerate(inds):
        c = 3 + 3 * j
        is_area = area[ind]
        tot = totals[ind]
        ws.cell(r, c, targets[ind] * 10000 if is_area and sq_m else targets[ind])
        ws.cell(r, c + 1, round(tot * 10000) if is_area and sq_m else round(tot, 2))
        ws.cell(r, c + 2, f"{100 * tot / targets[ind]:.1f}%" if targets[ind] else "—")
    ws.cell(
        r + 1, 1, f"注：标*的数据含已竣工待验收项目；本表为{MARK}（illustrative），非真实统计。"
    )
    ws.column_dimensions["B"].width = 16


def _clear(folder: Path, patterns: tuple[str, ...]) -> None:
    """Remove the files an earlier run wrote (other as-of), and nothing else."""
    for pattern in patterns:
        for f in folder.glob(pattern):
            if f.is_file():
                f.unlink()


def _write_reports(
    out: Path,
    reg: Registry,
    plan_id: str,
    towns: list[str],
    truth: pd.DataFrame,
    pace: pd.Series,
    end: tuple[int, int],
) -> list[Path]:
    """A plan simulated region by region: 督查 workbooks under ``out/<plan region>/``."""
    from openpyxl import Workbook

    plan = reg.plans[plan_id]
    rid = plan.region_id
    folder = out / rid
    _clear(folder, (f"{rid}-*-督查表.xlsx", f"{rid}-*-督查汇总.xlsx"))
    end_y, end_m = end
    first = plan.years[0]
    paced = {ind for (r, ind, _y) in pace.index if r in towns}
    inds = [i for i in reg.core_indicators if i in paced]
    pt = truth[truth["region_id"].isin(towns)].copy()
    pt["year"] = pt["month"].str[:4].astype(int)
    pt["m"] = pt["month"].str[5:].astype(int)
    written: list[Path] = []
    for year in range(first, min(end_y, plan.years[-1]) + 1):
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
            _write_report(ws, reg, rid, towns, inds, year, m, ytd, pace, k + year, year == first)
            if not one_book:
                path = folder / f"{rid}-{year}-{m:02d}-督查表.xlsx"
                with atomic_path(path) as tmp:
                    wb1.save(tmp)
                written.append(path)
        if one_book:
            path = folder / f"{rid}-{year}-督查汇总.xlsx"
            with atomic_path(path) as tmp:
                wb.save(tmp)
            written.append(path)
    return written


def _write_tidy(
    out: Path, reg: Registry, plan_id: str, truth: pd.DataFrame, end_y: int
) -> list[Path]:
    """A plan simulated as its own region: a tidy monthly CSV under ``out/<region>/``."""
    rid = reg.plans[plan_id].region_id
    folder = out / rid
    _clear(folder, (f"{rid}-progress-*.csv",))
    name = reg.region_name(rid)
    label = name if reg.match_region(name) == rid else rid
    lc = truth[truth["region_id"] == rid]
    df = pd.DataFrame(
        {
            "region": label,
            "indicator": lc["indicator_id"],
            "month": lc["month"],
            "value": lc["value"].round(2),
            "basis": "monthly",
            "unit": lc["indicator_id"].map(lambda i: reg.unit(i) or ""),
            "note": f"{MARK} illustrative",
        }
    )
    first = reg.plans[plan_id].years[0]
    return [write_csv(df, folder / f"{rid}-progress-{first}-{end_y}.csv")]


def write_demo(
    project: Project,
    as_of: str = "2026-10",
    seed: int = 0,
    out: str | Path | None = None,
    plans: Iterable[str] | None = None,
    *,
    targets: pd.DataFrame | None = None,
) -> list[Path]:
    """Write the illustrative reports of ``plans`` (default: the plans render-all renders)
    under ``out`` (default: the project's data/raw/progress/demo/); return the files written.

    The pace comes from ``targets`` (default: the project's targets as its plan folders give
    them now)."""
    reg = project.registry()
    plans = list(plans or project.render_plans)
    if targets is None:
        targets = build_targets(reg)
    pace_df = yearly_pace(reg, targets, plans)
    end = _as_of(pace_df, as_of)
    truth = generate(pace_df, reg, as_of, seed)
    pace = pace_df.set_index(["region_id", "indicator_id", "year"])["target"]
    out = Path(out) if out else project.progress_dir / "demo"
    written: list[Path] = []
    for plan_id in dict.fromkeys(pace_df["plan_id"]):
        plan = reg.plans[plan_id]
        regions = list(dict.fromkeys(pace_df.loc[pace_df["plan_id"] == plan_id, "region_id"]))
        if regions == [plan.region_id]:
            written += _write_tidy(out, reg, plan_id, truth, end[0])
        else:
            written += _write_reports(out, reg, plan_id, regions, truth, pace, end)
    readme = out / "README.md"
    write_text(readme, _readme(as_of, seed, list(dict.fromkeys(pace_df["plan_id"]))))
    written.append(readme)
    return written


def _readme(as_of: str, seed: int, plans: list[str]) -> str:
    doc = __doc__.split("\n\n", 2)[2]
    return (
        "# 示例数据 — illustrative progress reports\n\n"
        "**These files are generated, not real statistics.** No public monthly progress data "
        "exists for these plans; the suite ships with this illustrative data so that every "
        "briefing runs out of the box. Every file says 示例数据 in its title or note column, and "
        "every progress row read from here carries `illustrative = True`.\n\n"
        f"Generated by `ontrack demo --as-of {as_of} --seed {seed}` "
        f"(module `ontrack.progress.demo`) for the plans {', '.join(plans)}. Re-running with "
        "the same arguments and targets gives the same numbers; "
        "`ontrack.progress.demo.generate(pace, reg, as_of, seed)` returns the true monthly "
        "values (not written here, because the ingest reads every file in this folder).\n\n"
        "## Model and file quirks\n\n" + doc.strip() + "\n\n"
        "## Parameters\n\n"
        f"- `SEASON` (Jan … Dec): {', '.join(f'{w:g}' for w in SEASON)}\n"
        f"- `LATE` (Jan … Dec): {', '.join(f'{w:g}' for w in LATE)}\n"
        f"- building size: uniform {BUILDING_MIN:g}–{BUILDING_MAX:g} 万㎡\n"
        f"- `DISPERSION`: {', '.join(f'{k} {v:g}' for k, v in DISPERSION.items())} "
        f"(other counts {DEFAULT_DISPERSION:g})\n"
        f"- three-year split of a plan-period total: {' / '.join(f'{s:g}' for s in SPLIT_3)}\n"
        f"- seed: {seed}; as of: {as_of}\n"
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--as-of", default="2026-10", help="last month generated (YYYY-MM)")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.add_argument(
        "--plan",
        action="append",
        default=None,
        help="a plan to generate reports for (repeatable; default: the plans render-all renders)",
    )
    parser.add_argument(
        "--out",
        default=None,
        help="output folder inside the project (default data/raw/progress/demo)",
    )


def run(args: argparse.Namespace) -> int:
    project = find_project(getattr(args, "project", None))
    out = project_output(project, args.out, project.progress_dir / "demo", "--out", raw_ok=True)
    written = write_demo(project, args.as_of, args.seed, out, args.plan)
    print(f"wrote {len(written)} illustrative (示例数据) files under {project.relative(out)}")
    return 0
