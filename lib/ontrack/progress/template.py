"""`ontrack template`: the suite's own fill-in progress workbook for a plan and a year.

One sheet per core indicator (regions as rows, months 1月 … 12月 as columns, each cell the value
achieved IN that month), the unit in the title and header, data validation rejecting negative or
non-numeric entries, and a 填写说明 sheet. :func:`ontrack.progress.read_progress` reads it back.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .. import paths
from ..errors import InputError
from ..registry import CORE_INDICATORS, INDICATORS, PLANS, REGIONS, children

INSTRUCTIONS = [
    "填写说明",
    "1. 每个指标一张工作表；每行一个区域，每列一个月份。",
    "2. 每格填写该区域在该月当月新增的数值（当月数），不要填写1月起的合计数。",
    "3. 单位见各表标题和表头（新增孵化空间面积为万平方米，其余为个、人、家）。",
    "4. 未报送或暂无数据的月份请留空（留空表示未报送，不是0）；确实为0的请填0。",
    "5. 1-2月合并统计的，请将1-2月合计数填在2月列，1月留空。",
    "6. “全县”行可不填；如填写，系统会与各乡镇之和核对。",
    "7. 请勿改动表头、区域名称和工作表名称；备注列可自由填写。",
]


def template_regions(plan_id: str) -> list[tuple[str, str]]:
    """(region_id, row label) of a plan's template: its sub-regions + a 全县 total, or itself."""
    plan = PLANS[plan_id]
    kids = children(plan.region_id)
    if not kids:
        return [(plan.region_id, REGIONS[plan.region_id].name_zh)]
    total = "全县" if REGIONS[plan.region_id].name_zh.endswith("县") else "合计"
    return [(k, REGIONS[k].name_zh) for k in kids] + [(plan.region_id, total)]


def sheet_name(indicator_id: str) -> str:
    """The worksheet name of an indicator (Excel: ≤ 31 characters, no []:*?/\\)."""
    name = INDICATORS[indicator_id].name_zh
    for ch in "[]:*?/\\":
        name = name.replace(ch, "")
    return name[:31]


def build_template(plan_id: str, year: int):
    """The template as an openpyxl Workbook."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    if plan_id not in PLANS:
        raise InputError("--plan", f"unknown plan '{plan_id}'", " or ".join(PLANS))
    plan = PLANS[plan_id]
    if year not in plan.years:
        raise InputError("--year", f"{year} is not a year of {plan_id}", str(plan.years))
    regions = template_regions(plan_id)
    wb = Workbook()
    ws0 = wb.active
    ws0.title = "填写说明"
    for i, line in enumerate(INSTRUCTIONS, start=1):
        ws0.cell(i, 1, line)
    ws0["A1"].font = Font(bold=True, size=14)
    ws0.column_dimensions["A"].width = 90
    ncol = 2 + 12 + 1
    for ind in CORE_INDICATORS:
        unit = INDICATORS[ind].unit
        ws = wb.create_sheet(sheet_name(ind))
        title = f"{plan.name_zh} 进度填报表：{INDICATORS[ind].name_zh}({unit}) {year}年 当月新增数"
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


def write_template(plan_id: str, year: int, out: str | Path | None = None) -> Path:
    """Write the template workbook (atomically) and return its path."""
    from ..fileio import atomic_path

    out = Path(out) if out else paths.DATA_PROCESSED / "templates" / f"{plan_id}-{year}.xlsx"
    wb = build_template(plan_id, year)
    with atomic_path(out) as tmp:
        wb.save(tmp)
    return out


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--plan", default="pingyang-2025-2027", help="plan id")
    parser.add_argument("--year", type=int, required=True, help="the year to fill in")
    parser.add_argument(
        "--out", default=None, help="output .xlsx (default data/processed/templates/PLAN-YEAR.xlsx)"
    )


def run(args: argparse.Namespace) -> int:
    path = write_template(args.plan, args.year, args.out)
    print(f"wrote {path}")
    return 0
