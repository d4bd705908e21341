"""Hand-filled targets sheets: ``data/raw/plans/<plan_id>/targets.csv`` or ``targets.xlsx``.

Any plan can be added this way (the city plan, whose document is not available here, is one).
Columns: the targets contract without ``plan_id`` (implied by the folder; a ``plan_id`` column is
allowed if it names the same plan), plus optional ``address`` (where the quote can be checked),
``measure`` (flow | stock; flow when absent) and ``assumed`` (true | false; false when absent).
Format and example: data/raw/plans/README.md.

Every row is checked against the plan (its regions.csv and years) and the indicators (their
units): all bad rows are reported at once, each naming the file, row and column.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from ..errors import InputError, raise_errors
from ..registry import Plan, Registry, read_csv_rows
from ..units import factor
from ._common import KEY, ParsedPlan, merge_values, values_frame

REQUIRED: list[str] = [
    "region_id",
    "indicator_id",
    "year_start",
    "year_end",
    "level",
    "value",
    "unit",
    "source",
    "quote",
]
#: Optional columns and their value when the column is absent.
OPTIONAL: dict[str, str] = {"plan_id": "", "address": "", "measure": "flow", "assumed": "false"}
_TRUE = {"true", "yes", "1", "是"}
_FALSE = {"false", "no", "0", "否", ""}


def _year(s: str) -> int | None:
    s = re.sub(r"\.0$", "", s)
    return int(s) if re.fullmatch(r"\d{4}", s) else None


def _read_xlsx(path: Path) -> tuple[list[str], list[tuple[int, dict]]]:
    """Header and rows of the first sheet (or the sheet named 'targets'), cells as text."""
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise InputError(
            str(path), f"not a readable .xlsx workbook ({type(exc).__name__})"
        ) from None
    try:
        ws = wb["targets"] if "targets" in wb.sheetnames else wb.worksheets[0]
        it = ws.iter_rows(values_only=True)
        head = next(it, None) or ()
        header = [str(h).strip() if h is not None else "" for h in head]
        rows: list[tuple[int, dict]] = []
        for n, cells in enumerate(it, start=2):
            # 15 significant digits: every digit a user typed ({c:g} kept only 6: 123456.5 → 123456)
            vals = [
                "" if c is None else (f"{c:.15g}" if isinstance(c, float) else str(c))
                for c in cells
            ]
            row = {h: vals[k].strip() if k < len(vals) else "" for k, h in enumerate(header) if h}
            if any(row.values()):
                rows.append((n, row))
    finally:
        wb.close()
    return header, rows


def _check_row(
    row: dict[str, str], where: str, plan: Plan, reg: Registry
) -> tuple[dict, list[str]]:
    """The row as typed values, and the problems found in it (each naming its column)."""
    problems: list[str] = []
    r = {k: row.get(k, "") or "" for k in [*REQUIRED, *OPTIONAL]}
    for col in REQUIRED:
        if not r[col]:
            problems.append(f"column {col}: empty")
    if r["plan_id"] and r["plan_id"] != plan.id:
        problems.append(f"column plan_id: {r['plan_id']!r} is not this folder's plan {plan.id!r}")
    rid, iid = r["region_id"], r["indicator_id"]
    if rid and rid not in plan.regions:
        problems.append(
            f"column region_id: {rid!r} is not a region of this plan "
            f"(declare it in regions.csv; declared: {', '.join(plan.regions)})"
        )
    ind = reg.indicators.get(iid)
    if iid and ind is None:
        near = reg.suggest_indicators(iid)
        hint = f"; did you mean {', '.join(near)}?" if near else ""
        problems.append(
            f"column indicator_id: unknown indicator {iid!r} (declare it in "
            f"data/raw/indicators.csv{hint})"
        )
    y0, y1 = _year(r["year_start"]), _year(r["year_end"])
    for col, y in (("year_start", y0), ("year_end", y1)):
        if r[col] and y is None:
            problems.append(f"column {col}: {r[col]!r} is not a year")
        elif y is not None and y not in plan.years:
            problems.append(
                f"column {col}: {y} is outside the plan's years {plan.years[0]}–{plan.years[-1]}"
            )
    if y0 is not None and y1 is not None and y1 < y0:
        problems.append(f"column year_end: {y1} is before year_start {y0}")
    if r["level"] and r["level"] not in ("baseline", "stretch"):
        problems.append(f"column level: {r['level']!r} is not baseline or stretch")
    value = None
    if r["value"]:
        try:
            value = float(r["value"].replace(",", ""))
        except ValueError:
            problems.append(f"column value: {r['value']!r} is not a number")
        else:
            if not math.isfinite(value) or value < 0:
                problems.append(f"column value: {r['value']!r} is not a number ≥ 0")
                value = None
    unit = r["unit"]
    if ind is not None and unit and value is not None:
        f = factor(unit, ind.unit)
        if f is None:
            problems.append(
                f"column unit: {unit!r} does not fit {ind.id} (its unit is {ind.unit!r})"
            )
        elif f != 1.0:
            value = round(value * f, 10)
    measure = r["measure"] or OPTIONAL["measure"]
    if measure not in ("flow", "stock"):
        problems.append(f"column measure: {r['measure']!r} is not flow or stock")
    assumed = r["assumed"].lower()
    if assumed not in _TRUE | _FALSE:
        problems.append(f"column assumed: {r['assumed']!r} is not true or false")
    typed = {
        **r,
        "plan_id": plan.id,
        "year_start": y0,
        "year_end": y1,
        "value": value,
        "measure": measure,
        "assumed": assumed in _TRUE,
    }
    return typed, problems


def read_sheet(path: Path, plan: Plan, reg: Registry) -> ParsedPlan:
    """Read and check a plan's targets sheet; InputError(s) name the file, row and column."""
    path = Path(path)
    if not path.is_file():
        raise InputError(str(path), "targets sheet not found")
    if path.suffix.lower() == ".xlsx":
        header, rows = _read_xlsx(path)
    else:
        header, rows = read_csv_rows(path)
    missing = [c for c in REQUIRED if c not in header]
    unknown = [c for c in header if c and c not in REQUIRED and c not in OPTIONAL]
    if missing or unknown:
        parts = [f"missing columns {missing}"] if missing else []
        parts += [f"unknown columns {unknown}"] if unknown else []
        raise InputError(
            f"{path} header",
            "; ".join(parts),
            f"columns {REQUIRED} (+ optional {[c for c in OPTIONAL if c != 'plan_id']})",
        )
    errors: list[InputError] = []
    values: list[dict] = []
    seen: dict[tuple, int] = {}
    name = f"{plan.id}/{path.name}"
    for n, row in rows:
        where = f"{path} row {n}"
        typed, problems = _check_row(row, where, plan, reg)
        key = tuple(typed[k] for k in KEY)
        if not problems and key in seen:
            problems.append(
                f"same target as row {seen[key]} ({', '.join(map(str, key[1:]))}): "
                "one row per region, indicator, years and level"
            )
        errors.extend(InputError(where, p) for p in problems)
        if problems:
            continue
        seen[key] = n
        values.append(
            {
                **{k: typed[k] for k in KEY},
                "document": name,
                "section": "targets sheet",
                "kind": "sheet",
                "value": typed["value"],
                "unit_written": typed["unit"],
                "measure": typed["measure"],
                "assumed": typed["assumed"],
                "place": f"{name} row {n}",
                "quote": typed["quote"],
                "source": typed["source"],
                "address": typed["address"] or plan.source_url,
            }
        )
    raise_errors(errors)
    if not values:
        raise InputError(str(path), "the sheet has no target rows", "one row per target")
    rows_df = merge_values(values, source_prefix="", address="", reg=reg)
    rows_df["address"] = [v["address"] for v in values]
    return ParsedPlan(plan.id, name, rows_df, values_frame(values), [], plan.doc_no, plan.years)
