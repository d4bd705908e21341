"""`ontrack template`: the suite's own fill-in progress workbook for a plan and a year.

One sheet per core indicator (regions as rows, months 1月 … 12月 as columns, each cell the value
achieved IN that month), the unit in the title and header, data validation rejecting negative or
non-numeric entries, and a 填写说明 sheet. :func:`ontrack.progress.read_progress` reads it back.
Regions and indicators come from the project's registry: the plan's region and the regions its
regions.csv declares under it, and the core indicators.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from ..errors import InputError
from ..project import Project, find_project
from ..registry import Registry
from . import project_output


def instructions(reg: Registry, indicators: Sequence[str], total: str | None) -> list[str]:
    """The 填写说明 sheet's lines: the units of ``indicators``; the ``total`` row's label (None
    when the template has no total row)."""
    units = "，".join(f"{reg.indicator_name(i)}为{reg.unit(i)}" for i in indicators)
    lines = [
        "填写说明",
        "每个指标一张工作表；每行一个区域，每列一个月份。",
        "每格填写该区域在该月当月新增的数值（当月数），不要填写1月起的合计数。",
        f"单位见各表标题和表头（{units}）。",
        "未报送或暂无数据的月份请留空（留空表示未报送，不是0）；确实为0的请填0。",
        "1-2月合并统计的，请将1-2月合计数填在2月列，1月留空。",
    ]
    if total:
        lines.append(f"“{total}”行可不填；如填写，系统会与上面各区域之和核对。")
    lines.append("请勿改动表头、区域名称和工作表名称；备注列可自由填写。")
    return [lines[0], *(f"{n}. {line}" for n, line in enumerate(lines[1:], start=1))]


def sub_regions(reg: Registry, plan_id: str) -> list[str]:
    """The regions a plan's regions.csv declares under the plan's own region (its order)."""
    plan = reg.plans[plan_id]
    return [r for r in plan.regions if r != plan.region_id and reg.parent(r) == plan.region_id]


def template_regions(reg: Registry, plan_id: str) -> list[tuple[str, str]]:
    """(region_id, row label) of a plan's template: its sub-regions + a 全县 / 合计 total row,
    or the plan's region alone."""
    plan = reg.plans[plan_id]
    kids = sub_regions(reg, plan_id)
    name = reg.region_name(plan.region_id)
    if not kids:
        return [(plan.region_id, name)]
    total = "全县" if name.endswith("县") else "合计"
    return [(k, reg.region_name(k)) for k in kids] + [(plan.region_id, total)]


def sheet_name(reg: Registry, indicator_id: str) -> str:
    """The worksheet name of an indicator (Excel: ≤ 31 characters, no []:*?/\\)."""
    name = reg.indicator_name(indicator_id)
    for ch in "[]:*?/\\":
        name = name.replace(ch, "")
    return name[:31]


def build_template(reg: Registry, plan_id: str, year: int, indicators: Sequence[str] | None = None):
    """The template as an openpyxl Workbook: a sheet per indicator (default: the core ones)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    if plan_id not in reg.plans:
        raise InputError(
            "--plan", f"unknown plan '{plan_id}'", " or ".join(reg.plans) or "a plan folder"
        )
    plan = reg.plans[plan_id]
    if year not in plan.years:
        years = f"{plan.years[0]} … {plan.years[-1]}" if plan.years else "a year of the plan"
        raise InputError("--year", f"{year} is not a year of {plan_id}", years)
    indicators = list(indicators or reg.core_indicators)
    unknown = [i for i in indicators if i not in reg.indicators]
    if unknown:
        raise InputError(
            "--indicator",
            f"unknown indicator {', '.join(map(repr, unknown))}",
            "an indicator id: " + ", ".join(reg.indicators),
        )
    regions = template_regions(reg, plan_id)
    wb = Workbook()
    ws0 = wb.active
    ws0.title = "填写说明"
    total = regions[-1][1] if len(regions) > 1 else None
    for i, line in enumerate(instructions(reg, indicators, total), start=1):
        ws0.cell(i, 1, line)
    ws0["A1"].font = Font(bold=True, size=14)
    ws0.column_dimensions["A"].width = 90
    ncol = 2 + 12 + 1
    for ind in indicators:
        unit = reg.unit(ind)
        ws = wb.create_sheet(sheet_name(reg, ind))
        title = f"{plan.name_zh} 进度填报表：{reg.indicator_name(ind)}({unit}) {year}年 当月新增数"
        ws.cell(1, 1, title).font = Font(bold=True, size=13)
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncol)
        ws.cell(2, 1, "填报单位：")
        ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=7)
        ws.cell(2, 8, "填报日期：")
        ws.merge_cells(start_row=2, start_column=8, end_row=2, end_column=ncol)
        ws.cell(3, 1, f"单位：{unit}；每格填当月新增数，未报送留空。")
        ws.merge_cells(start_row=3, start_column=1, end_row=3, end_column=ncol)
        header = ["序号", "区域"] + [f"{m}月({unit})" for m in range(1, 13)] + ["备注"]
        fill = PatternFill("solid", fgColor="DDEBF7")
        for c, h in enumerate(header, start=1):
            cell = ws.cell(4, c, h)
            cell.font = Font(bold=True)
            cell.fill = fill
            cell.alignment = Alignment(horizontal="center", wrap_text=True)
        for i, (_rid, label) in enumerate(regions, start=1):
            ws.cell(4 + i, 1, i)
            ws.cell(4 + i, 2, label)
        last = 4 + len(regions)
        dv = DataValidation(
            type="decimal",
            operator="greaterThanOrEqual",
            formula1="0",
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="输入有误",
            error=f"请输入不小于0的数字（单位：{unit}）；未报送请留空。",
        )
        ws.add_data_validation(dv)
        dv.add(f"C5:N{last}")
        ws.column_dimensions["B"].width = 16
        ws.freeze_panes = "C5"
    return wb


def default_path(project: Project, plan_id: str, year: int) -> Path:
    """Where ``ontrack template`` writes by default: data/processed/templates/PLAN-YEAR.xlsx."""
    return project.processed / "templates" / f"{plan_id}-{year}.xlsx"


def write_template(
    reg: Registry,
    plan_id: str,
    year: int,
    out: str | Path,
    indicators: Sequence[str] | None = None,
) -> Path:
    """Write the template workbook to ``out`` (atomically) and return its path."""
    from ..fileio import atomic_path, no_formulas

    out = Path(out)
    wb = build_template(reg, plan_id, year, indicators)
    no_formulas(wb)  # a region named =HYPERLINK(…) stays a name
    with atomic_path(out) as tmp:
        wb.save(tmp)
    return out


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--plan", default=None, help="plan id (default: the first plan render-all renders)"
    )
    parser.add_argument("--year", type=int, required=True, help="the year to fill in")
    parser.add_argument(
        "--indicator",
        action="append",
        default=None,
        help="an indicator id to include (repeatable; default: the core indicators)",
    )
    parser.add_argument(
        "--out",
        default=None,
        help="output .xlsx inside the project (default data/processed/templates/PLAN-YEAR.xlsx)",
    )


def run(args: argparse.Namespace) -> int:
    project = find_project(getattr(args, "project", None))
    plan_id = args.plan or project.default_plan()
    out = project_output(project, args.out, default_path(project, plan_id, args.year), "--out")
    path = write_template(project.registry(), plan_id, args.year, out, args.indicator)
    print(f"wrote {project.relative(path)}")
    return 0
