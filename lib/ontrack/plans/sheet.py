"""Hand-filled targets sheets: ``data/raw/plans/<plan_id>.targets.csv``.

Any user can add a plan this way (the city plan, whose document is not available, is one). The
sheet has the targets contract's columns plus ``address`` (where the quote can be checked), and
optionally ``measure`` (flow | stock; flow when the column is absent) and ``assumed``
(true | false; false when absent). Format and example: data/raw/plans/README.md.

Every row is checked; all the bad rows are reported at once, each naming the file and row.
"""

from __future__ import annotations

import csv
import math
import re
from pathlib import Path

from ..errors import InputError, InputErrors
from ..registry import INDICATORS
from ._common import KEY, TARGET_COLUMNS, ParsedPlan, merge_values, values_frame

SUFFIX = ".targets.csv"
REQUIRED: list[str] = [*TARGET_COLUMNS, "address"]
#: Optional columns and their value when the column is absent.
OPTIONAL: dict[str, str] = {"measure": "flow", "assumed": "false"}
_TRUE = {"true", "yes", "1", "是"}
_FALSE = {"false", "no", "0", "否", ""}
_REGION = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_INDICATOR = re.compile(r"^[a-z0-9][a-z0-9_]*$")


def sheet_plan_id(path: Path) -> str:
    """The plan id a sheet's file name declares: ``<plan_id>.targets.csv``."""
    name = Path(path).name
    if not name.endswith(SUFFIX) or len(name) == len(SUFFIX):
        raise InputError(name, "not a targets sheet name", f"<plan_id>{SUFFIX}")
    return name[: -len(SUFFIX)]


def _int(s: str) -> int | None:
    return int(s) if re.fullmatch(r"\d{4}", s) else None


def _check_row(row: dict[str, str], n: int, where: str, plan_id: str) -> tuple[dict, list[str]]:
    """The row as typed values, and the problems found in it."""
    problems: list[str] = []
    for col in REQUIRED:
        if not row.get(col, "").strip():
            problems.append(f"{col} is empty")
    r = {k: (row.get(k) or "").strip() for k in [*REQUIRED, *OPTIONAL]}
    if r["plan_id"] and r["plan_id"] != plan_id:
        problems.append(f"plan_id {r['plan_id']!r} differs from the file name's {plan_id!r}")
    if r["region_id"] and not _REGION.match(r["region_id"]):
        problems.append(f"region_id {r['region_id']!r} is not an id (lower-case a-z, 0-9, -)")
    if r["indicator_id"] and not _INDICATOR.match(r["indicator_id"]):
        problems.append(f"indicator_id {r['indicator_id']!r} is not an id (lower-case a-z, 0-9, _)")
    y0, y1 = _int(r["year_start"]), _int(r["year_end"])
    for col, y in (("year_start", y0), ("year_end", y1)):
        if r[col] and (y is None or not 2000 <= y <= 2100):
            problems.append(f"{col} {r[col]!r} is not a year (2000-2100)")
    if y0 is not None and y1 is not None and y1 < y0:
        problems.append(f"year_end {y1} is before year_start {y0}")
    if r["level"] and r["level"] not in ("baseline", "stretch"):
        problems.append(f"level {r['level']!r} is not baseline or stretch")
    value = None
    if r["value"]:
        try:
            value = float(r["value"].replace(",", ""))
        except ValueError:
            problems.append(f"value {r['value']!r} is not a number")
        else:
            if not math.isfinite(value) or value < 0:
                problems.append(f"value {r['value']!r} is not a number ≥ 0")
    ind = INDICATORS.get(r["indicator_id"])
    if ind and r["unit"] and r["unit"] != ind.unit:
        problems.append(f"unit {r['unit']!r} for {ind.id}: convert to its unit {ind.unit!r}")
    measure = r["measure"] or OPTIONAL["measure"]
    if measure not in ("flow", "stock"):
        problems.append(f"measure {r['measure']!r} is not flow or stock")
    assumed = r["assumed"].lower()
    if assumed not in _TRUE | _FALSE:
        problems.append(f"assumed {r['assumed']!r} is not true or false")
    typed = {
        **r,
        "year_start": y0,
        "year_end": y1,
        "value": value,
        "measure": measure,
        "assumed": assumed in _TRUE,
    }
    return typed, problems


def read_sheet(path: Path) -> ParsedPlan:
    """Read and validate a targets sheet; InputError(s) name the file and each bad row."""
    path = Path(path)
    name = path.name
    plan_id = sheet_plan_id(path)
    if not path.is_file():
        raise InputError(str(path), "targets sheet not found")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(name, f"not UTF-8 ({exc.reason})", "a CSV saved as UTF-8") from None
    reader = csv.DictReader(text.splitlines())
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    unknown = [c for c in header if c not in REQUIRED and c not in OPTIONAL]
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"missing columns {missing}")
        if unknown:
            parts.append(f"unknown columns {unknown}")
        raise InputError(
            f"{name} header", "; ".join(parts), f"columns {REQUIRED} (+ optional {list(OPTIONAL)})"
        )
    reader.fieldnames = header
    errors: list[InputError] = []
    values: list[dict] = []
    seen: dict[tuple, int] = {}
    for row in reader:
        n = reader.line_num
        if None in row:
            errors.append(InputError(f"{name} row {n}", "more cells than columns"))
            continue
        if not any((v or "").strip() for v in row.values()):
            continue
        typed, problems = _check_row(row, n, name, plan_id)
        key = tuple(typed[k] for k in KEY)
        if not problems and key in seen:
            problems.append(f"same key as row {seen[key]} ({', '.join(map(str, key[1:]))})")
        errors.extend(InputError(f"{name} row {n}", p) for p in problems)
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
                "address": typed["address"],
            }
        )
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise InputErrors(errors)
    if not values:
        raise InputError(name, "the sheet has no target rows", "one row per target")
    rows = merge_values(values, source_prefix="", address="")
    rows["address"] = [v["address"] for v in values]
    return ParsedPlan(plan_id, name, rows, values_frame(values), [], "", ())
