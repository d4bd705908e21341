"""The tables of the data contract as pandera schemas, checked on every write.

Column meanings: docs/data-contracts.md. Extra columns are allowed (the contract may be
extended), the contract's columns are required with these types and ranges.
"""

from __future__ import annotations

import re

import pandas as pd
import pandera.pandas as pa

from .errors import OntrackError
from .months import MONTH_PATTERN

TARGETS = pa.DataFrameSchema(
    {
        "plan_id": pa.Column(str),
        "region_id": pa.Column(str),
        "indicator_id": pa.Column(str),
        "year_start": pa.Column(int, pa.Check.in_range(2000, 2100)),
        "year_end": pa.Column(int, pa.Check.in_range(2000, 2100)),
        "level": pa.Column(str, pa.Check.isin(["baseline", "stretch"])),
        "value": pa.Column(float, pa.Check.ge(0)),
        "unit": pa.Column(str),
        "source": pa.Column(str),
        "quote": pa.Column(str),
    },
    checks=[pa.Check(lambda d: d["year_end"] >= d["year_start"], error="year_end < year_start")],
    strict=False,
    coerce=True,
    name="targets",
)

PROGRESS = pa.DataFrameSchema(
    {
        "region_id": pa.Column(str),
        "indicator_id": pa.Column(str),
        "month": pa.Column(str, pa.Check.str_matches(MONTH_PATTERN)),
        "value": pa.Column(float, nullable=False),
        "source": pa.Column(str),
    },
    unique=["region_id", "indicator_id", "month"],
    strict=False,
    coerce=True,
    name="progress",
)

ATTAINMENT = pa.DataFrameSchema(
    {
        "plan_id": pa.Column(str),
        "region_id": pa.Column(str),
        "indicator_id": pa.Column(str),
        "year_start": pa.Column(int),
        "year_end": pa.Column(int),
        "level": pa.Column(str, pa.Check.isin(["baseline", "stretch"])),
        "target": pa.Column(float),
        "actual_to_date": pa.Column(float),
        "p_meet": pa.Column(float, pa.Check.in_range(0, 1)),
        "proj_p10": pa.Column(float),
        "proj_p50": pa.Column(float),
        "proj_p90": pa.Column(float),
        "required_per_month": pa.Column(float),
        "linear_pace": pa.Column(str, pa.Check.isin(["ahead", "behind"])),
        "rag": pa.Column(str, pa.Check.isin(["green", "amber", "red"])),
    },
    strict=False,
    coerce=True,
    name="attainment",
)

#: attainment.csv as ``ontrack forecast`` writes it: the contract's columns and the run's
#: as-of month, scenario name, number of draws and seed (docs/data-contracts.md).
ATTAINMENT_TABLE = ATTAINMENT.add_columns(
    {
        "as_of": pa.Column(str, pa.Check.str_matches(MONTH_PATTERN)),
        "scenario": pa.Column(str),
        "n_sims": pa.Column(int, pa.Check.ge(1)),
        "seed": pa.Column(int, pa.Check.ge(0)),
    }
)

#: trajectories.csv: per target and month of its window, the running total (``actual``, empty
#: after the as-of month) and the 10/50/90% quantiles of the projected running total.
TRAJECTORIES = pa.DataFrameSchema(
    {
        "plan_id": pa.Column(str),
        "region_id": pa.Column(str),
        "indicator_id": pa.Column(str),
        "year_start": pa.Column(int),
        "year_end": pa.Column(int),
        "level": pa.Column(str, pa.Check.isin(["baseline", "stretch"])),
        "month": pa.Column(str, pa.Check.str_matches(MONTH_PATTERN)),
        "actual": pa.Column(float, nullable=True),
        "p10": pa.Column(float),
        "p50": pa.Column(float),
        "p90": pa.Column(float),
        "target": pa.Column(float),
    },
    checks=[
        pa.Check(lambda d: d["p10"] <= d["p50"] + 1e-9, error="p10 > p50"),
        pa.Check(lambda d: d["p50"] <= d["p90"] + 1e-9, error="p50 > p90"),
    ],
    unique=["plan_id", "region_id", "indicator_id", "year_start", "year_end", "level", "month"],
    strict=False,
    coerce=True,
    name="trajectories",
)


#: The key of a target (and of an attainment row): no two rows share one.
TARGET_KEY: list[str] = ["plan_id", "region_id", "indicator_id", "year_start", "year_end", "level"]
#: The contract's columns, in order.
TARGET_COLUMNS: list[str] = list(TARGETS.columns)
PROGRESS_COLUMNS: list[str] = list(PROGRESS.columns)
ATTAINMENT_COLUMNS: list[str] = list(ATTAINMENT.columns)
TRAJECTORY_COLUMNS: list[str] = list(TRAJECTORIES.columns)


#: failures listed per table (the rest counted)
MAX_FAILURES = 10


def _expected(check: str) -> str:
    """A pandera check in words (what the cell should have been)."""
    if check.startswith("str_matches") and "(0[1-9]|1[0-2])" in check:
        return "a month YYYY-MM, e.g. 2026-08"
    m = re.match(r"in_range\((\d+), (\d+)\)", check)
    if m:
        return f"a year from {m.group(1)} to {m.group(2)}"
    if "float" in check:
        return "a number"
    if "int" in check:
        return "a whole number"
    if check.startswith("isin"):
        return "one of " + check[len("isin(") : -1]
    if check.startswith("greater_than_or_equal_to"):
        return "0 or more"
    return check


def validate(df: pd.DataFrame, schema: pa.DataFrameSchema, where: str = "") -> pd.DataFrame:
    """Validate ``df`` against ``schema``; raise one readable OntrackError listing every failure
    as a row and column of the file (``where``: its name; row 2 is the first under the header),
    the value found and what was expected, at most :data:`MAX_FAILURES` of them."""
    try:
        return schema.validate(df, lazy=True)
    except (pa.errors.SchemaErrors, pa.errors.SchemaError) as exc:
        cases = getattr(exc, "failure_cases", None)
        name = where or f"the {schema.name} table"
        if cases is None or cases.empty:
            raise OntrackError(f"{name} breaks its contract: {exc}") from None
        lines = []
        seen = set()
        for _, c in cases.iterrows():
            row = c.get("index")
            at = f"row {int(row) + 2}" if pd.notna(row) else "header"
            key = (at, c.get("column"))
            if key in seen:
                continue  # a value that fails coercion fails the type check too: once
            seen.add(key)
            col = c.get("column") if pd.notna(c.get("column")) else "(table)"
            lines.append(f"  - {at}, column {col}: {c.get('failure_case')!r} "
                         f"(expected {_expected(str(c.get('check')))})")  # fmt: skip
        more = f"\n  … and {len(lines) - MAX_FAILURES} more" if len(lines) > MAX_FAILURES else ""
        raise OntrackError(
            f"{name} breaks its contract (docs/data-contracts.md):\n"
            + "\n".join(lines[:MAX_FAILURES])
            + more
        ) from None
