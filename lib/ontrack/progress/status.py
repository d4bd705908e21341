"""报送情况: who has reported, and who has not (未报), from the monthly progress table.

Monitoring offices chase reports (催报) with it; a briefing shows it beside the numbers. For a
region and an as-of month, every *office* is listed: each lowest region of the plan under the
region (a township with targets; the region itself when it has none below it), for every
indicator the plan's regions report at all (an indicator nobody reports is not chased here: its
targets say 尚无进度数据). A month is reported when a progress row covers it (its month, or a
row spanning it: 1-2月, a running total after a skipped month); 截至 a day of the as-of month
counts as reported so far.

Columns of :func:`reporting_status`: region_id, indicator_id, last_month (the last month
reported, '' for none), through_day (of last_month, 0 for the whole month), reported (the
as-of month), missing (months of the as-of year up to the as-of month that no row covers).
"""

from __future__ import annotations

import pandas as pd

from ..registry import Registry

STATUS_COLUMNS = ["region_id", "indicator_id", "last_month", "through_day", "reported", "missing"]


def _idx(month: str) -> int:
    return int(month[:4]) * 12 + int(month[5:7]) - 1


def _label(idx: int) -> str:
    return f"{idx // 12:04d}-{idx % 12 + 1:02d}"


def offices(targets: pd.DataFrame, reg: Registry, region: str) -> list[str]:
    """The lowest regions with targets at or under ``region`` (its townships; the region itself
    when no target region lies below it), in the plan's order."""
    with_targets = list(dict.fromkeys(targets["region_id"].astype(str)))
    under = [r for r in with_targets if r == region or region in reg.ancestors(r)]
    return [r for r in under if not any(r in reg.ancestors(o) for o in under)]


def reporting_status(
    progress: pd.DataFrame,
    targets: pd.DataFrame,
    reg: Registry,
    region: str,
    as_of: str,
) -> pd.DataFrame:
    """Every office under ``region`` and indicator it is expected to report (see the module
    docstring) with its last month reported and whether the as-of month is in."""
    t = targets
    if "measure" in t.columns:
        t = t[t["measure"].fillna("flow").astype(str).str.lower() != "stock"]
    offs = offices(t, reg, region)
    p = progress[progress["month"].astype(str) <= as_of]
    reported_inds = set(p["indicator_id"].astype(str))
    a = _idx(as_of)
    y0 = a - a % 12
    known: dict[tuple[str, str], dict[int, int]] = {}
    cov = p["covers"] if "covers" in p.columns else pd.Series(1, index=p.index)
    day = p["through_day"] if "through_day" in p.columns else pd.Series(0, index=p.index)
    for r, i, m, c, d in zip(
        p["region_id"].astype(str), p["indicator_id"].astype(str), p["month"].astype(str),
        pd.to_numeric(cov, errors="coerce").fillna(1).astype(int),
        pd.to_numeric(day, errors="coerce").fillna(0).astype(int), strict=True,
    ):  # fmt: skip
        months = known.setdefault((r, i), {})
        end = _idx(m)
        for k in range(end - max(c, 1) + 1, end + 1):
            months[k] = d if k == end else 0
    rows = []
    for r in offs:
        inds = [
            i
            for i in dict.fromkeys(t.loc[t["region_id"].astype(str) == r, "indicator_id"])
            if str(i) in reported_inds
        ]
        for i in inds:
            months = known.get((r, str(i)), {})
            last = max(months, default=None)
            rows.append(
                {
                    "region_id": r,
                    "indicator_id": str(i),
                    "last_month": _label(last) if last is not None else "",
                    "through_day": months.get(last, 0) if last is not None else 0,
                    "reported": a in months,
                    "missing": sum(1 for k in range(y0, a + 1) if k not in months),
                }
            )
    return pd.DataFrame(rows, columns=STATUS_COLUMNS)


def missing_count(status: pd.DataFrame) -> int:
    """How many (office, indicator) reports of the as-of month are missing (未报)."""
    return int((~status["reported"].astype(bool)).sum()) if len(status) else 0
