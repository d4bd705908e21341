"""Pingyang's plan 平政办〔2025〕49号: body text, 附件1 (county targets) and 附件2 (by township).

The published page gives each table cell on its own line (blank lines between). Every number is
read from the text; only the labels used to find them are written here. A table that is missing,
truncated or changed (a row with fewer cells, a non-numeric cell, a township missing, different
headers) raises InputError naming the document and the section: never a partial table.

De-duplication (one row per key, documented in data/raw/plans/README.md):

* 附件1 is the preferred source for county rows. 附件2's 全县 row gives the same four indicators
  with the same numbers: those become the quote's second citation, not second rows. 全县's
  新增温州"20"孵化器 (absent from 附件1) gives county rows of its own.
* The body text's targets with the same key and value (70 万㎡, 200 在孵企业 a year, 100 科技企业)
  are cited in the same row's quote. A body value that differs from the table (人才 超5000 vs
  附件1's 6000) is not a row: the table's value is kept, and ontrack.quality reports both.
* Township three-year rows are derived as the sum of their three yearly rows (quote: "derived:").
  The county three-year "20" incubator row is the body's 3家以上 (not the table's sum of 4,
  which the quality report compares).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ..errors import InputError
from ..registry import Registry
from ._common import (
    BodySpec,
    ParsedPlan,
    document_number,
    finding,
    is_number,
    match_label,
    merge_values,
    norm,
    plan_period,
    read_body,
    read_document,
    to_number,
    unit_in_label,
    values_frame,
)

PLAN_ID = "pingyang-2025-2027"
REGION = "pingyang"

#: Label patterns (regex on normalised cell text) of the table rows / columns.
LABELS: dict[str, str] = {
    "space": r"^新增孵化空间面积",
    "carriers": r"^新增市级及以上孵化载体",
    "firms": r"^新增在孵企业",
    "talent": r"^新增创新创业人才",
    "tech_firms": r"^(新培育|新增)省级及以上科技企业",
    "new_quality_incubators": r"^新建成新质孵化器",
    "incubators_20": r"^新增(温州市?)?20(示范)?孵化器",
}
ANNEX1_INDICATORS = ("space", "carriers", "firms", "talent", "tech_firms", "new_quality_incubators")
ANNEX2_INDICATORS = ("space", "firms", "talent", "tech_firms", "incubators_20")

_N = r"\s*(\d+(?:\.\d+)?)\s*"
_Q = r"[“”\"]?"
BODY: tuple[BodySpec, ...] = (
    BodySpec("space", rf"累计新增空间达到{_N}万平方米", "一、", unit_written="万平方米"),
    BodySpec("space", rf"[（(]高线{_N}万[)）]", "一、", level="stretch", unit_written="万平方米"),
    BodySpec("incubators_20", rf"新建温州市{_Q}20{_Q}孵化器{_N}家以上", "一、", unit_written="家"),
    BodySpec(
        "bases", rf"累计建成各类孵化基地{_N}个以上", "一、", measure="stock", unit_written="个"
    ),
    BodySpec("talent", rf"累计新增创新创业人才超{_N}人", "一、", unit_written="人"),
    BodySpec(
        "provincial_incubators",
        rf"省级及以上孵化器累计超{_N}家",
        "一、",
        measure="stock",
        unit_written="家",
    ),
    BodySpec(
        "provincial_makerspaces",
        rf"省级及以上众创空间超{_N}家",
        "一、",
        measure="stock",
        unit_written="家",
    ),
    BodySpec("firms", rf"每年新增在孵企业{_N}家以上", "一、", years="each", unit_written="家"),
    BodySpec("tech_firms", rf"三年新增[^。；;]*?企业{_N}家以上", "一、", unit_written="家"),
    BodySpec(
        "conversions", rf"每年转化[^。；;]*?{_N}项以上", "一、", years="each", unit_written="项"
    ),
    BodySpec(
        "high_energy_incubators",
        rf"每年培育{_N}家以上温州市高能级科技孵化器",
        "三、",
        years="each",
        unit_written="家",
    ),
)


class _Cells:
    """The non-empty lines of the document, with their line numbers."""

    def __init__(self, text: str):
        self.items = [(i + 1, ln.strip()) for i, ln in enumerate(text.splitlines()) if ln.strip()]

    def find(self, exact: str, start: int = 0) -> int | None:
        for k in range(start, len(self.items)):
            if norm(self.items[k][1]) == norm(exact):
                return k
        return None


def _years_header(cells: list[tuple[int, str]], where: str) -> tuple[list[str], list[int], int]:
    """Read a header of year columns ('2025年' '建设任务' or '2025年建设任务').

    Returns the header names, the years, and the index after the last year cell.
    """
    names: list[str] = []
    years: list[int] = []
    k = 0
    while k < len(cells):
        c = norm(cells[k][1])
        m = re.match(r"^(\d{4})年(建设任务)?$", c)
        if m:
            years.append(int(m.group(1)))
            names.append(c)
        elif c == "建设任务" and names and not names[-1].endswith("建设任务"):
            names[-1] += c
        else:
            break
        k += 1
    if not years:
        raise InputError(where, "no year columns in the header", "2025年建设任务 … columns")
    return names, years, k


def _check_years(years: list[int], plan_years: tuple[int, ...], where: str) -> None:
    if tuple(years) != plan_years:
        raise InputError(
            where,
            f"the header's years {years} do not match the plan period {list(plan_years)}",
            "one column per year of the plan",
        )


def _annex1(cells: list[tuple[int, str]], section: str, doc: str, years: tuple[int, ...]):
    where = f"{doc} {section}"
    if not cells:
        raise InputError(where, "the table is empty or missing")
    k = 0
    if re.match(r"^[(（]\d{4}.\d{4}年[)）]$", norm(cells[0][1])):
        k = 1
    if norm(cells[k][1]) != "序号" or k + 1 >= len(cells) or norm(cells[k + 1][1]) != "指标名称":
        raise InputError(where, f"header changed: starts with {cells[k][1]!r}", "序号, 指标名称")
    ynames, ycols, used = _years_header(cells[k + 2 :], where)
    _check_years(ycols, years, where)
    k += 2 + used
    if k >= len(cells) or norm(cells[k][1]) not in ("总计", "合计"):
        found = cells[k][1] if k < len(cells) else "end of table"
        raise InputError(
            where,
            f"header changed: {found!r} where the total column should be",
            "总计 after the year columns",
        )
    total_name = cells[k][1]
    body = cells[k + 1 :]
    # Every non-numeric cell must be an indicator name; the cell before it is its 序号.
    labels: list[int] = []
    for i, (line, c) in enumerate(body):
        if is_number(c):
            continue
        if match_label(c, {k_: LABELS[k_] for k_ in ANNEX1_INDICATORS}) is None:
            raise InputError(
                f"{where} (line {line})",
                f"cell {c!r} is neither a number nor a known indicator name",
                "numbers and the indicator names of 附件1",
            )
        labels.append(i)
    ncols = len(ycols) + 1
    values: list[dict] = []
    seen: dict[str, int] = {}
    for r, i in enumerate(labels):
        line, label = body[i]
        ind = match_label(label, LABELS)
        if ind in seen:
            raise InputError(f"{where} (line {line})", f"indicator {label!r} appears twice")
        seen[ind] = line
        if i == 0 or not is_number(body[i - 1][1]) or int(to_number(body[i - 1][1])) != r + 1:
            raise InputError(
                f"{where} (line {line})",
                f"row {label!r} has no 序号 {r + 1}",
                f"序号 {r + 1} before the indicator name",
            )
        stop = labels[r + 1] - 1 if r + 1 < len(labels) else len(body)
        cells_r = body[i + 1 : stop]
        if len(cells_r) != ncols:
            raise InputError(
                f"{where} (line {line})",
                f"row {label!r} has {len(cells_r)} value cells",
                f"{ncols}: {', '.join([*ynames, total_name])}",
            )
        unit = unit_in_label(label)
        for (_cline, cell), col, y in zip(
            cells_r, [*ynames, total_name], [*ycols, None], strict=True
        ):
            y0, y1 = (y, y) if y is not None else (years[0], years[-1])
            place = f"{section} {label} {col}"
            values.append(
                _value(
                    section,
                    doc,
                    REGION,
                    ind,
                    y0,
                    y1,
                    to_number(cell),
                    unit,
                    place,
                    f"{place}: {cell}",
                    "table",
                )
            )
    missing = [i for i in ANNEX1_INDICATORS if i not in seen]
    if missing:
        raise InputError(
            where,
            f"indicator rows missing: {', '.join(missing)} (table truncated?)",
            "all six indicators of 附件1",
        )
    return values


def _annex2(
    cells: list[tuple[int, str]], section: str, doc: str, years: tuple[int, ...], reg: Registry
):
    where = f"{doc} {section}"
    if not cells or norm(cells[0][1]) != "区域":
        found = cells[0][1] if cells else "nothing"
        raise InputError(where, f"header changed: starts with {found!r}", "区域")
    ynames, ycols, used = _years_header(cells[1:], where)
    _check_years(ycols, years, where)
    k = 1 + used
    heads: list[tuple[str, str]] = []  # (label, indicator)
    while k < len(cells) and not is_number(cells[k][1]) and reg.match_region(cells[k][1]) is None:
        line, c = cells[k]
        ind = match_label(c, {i: LABELS[i] for i in ANNEX2_INDICATORS})
        if ind is None:
            raise InputError(
                f"{where} (line {line})",
                f"unknown column header {c!r}",
                "the indicator names of 附件2",
            )
        heads.append((c, ind))
        k += 1
    per_year = len(ANNEX2_INDICATORS)
    if len(heads) != per_year * len(ycols):
        raise InputError(
            where,
            f"header changed: {len(heads)} indicator columns",
            f"{per_year} for each of the {len(ycols)} years",
        )
    groups = [heads[j * per_year : (j + 1) * per_year] for j in range(len(ycols))]
    for g in groups:
        if sorted(i for _, i in g) != sorted(ANNEX2_INDICATORS):
            raise InputError(
                where,
                "header changed: the years' indicator columns differ",
                ", ".join(ANNEX2_INDICATORS) + " under every year",
            )
    columns = [(ynames[j], ycols[j], label, ind) for j, g in enumerate(groups) for label, ind in g]
    body = cells[k:]
    starts: list[int] = []
    for i, (line, c) in enumerate(body):
        if is_number(c):
            continue
        rid = reg.match_region(c)
        if rid is None:
            raise InputError(
                f"{where} (line {line})",
                f"cell {c!r} is neither a number nor a known township",
                "numbers and the townships of 平阳县 (or 全县)",
            )
        starts.append(i)
    if not starts or starts[0] != 0:
        raise InputError(where, "the table has no township rows", "a township then its numbers")
    expected = [*reg.children(REGION), REGION]
    values: list[dict] = []
    seen: dict[str, int] = {}
    for r, i in enumerate(starts):
        line, name = body[i]
        rid = reg.match_region(name)
        if rid not in expected:
            raise InputError(f"{where} (line {line})", f"{name!r} is not a township of 平阳县")
        if rid in seen:
            raise InputError(f"{where} (line {line})", f"{name!r} appears twice")
        seen[rid] = line
        stop = starts[r + 1] if r + 1 < len(starts) else len(body)
        cells_r = body[i + 1 : stop]
        if len(cells_r) != len(columns):
            raise InputError(
                f"{where} (line {line})",
                f"row {name!r} has {len(cells_r)} value cells",
                f"{len(columns)}",
            )
        for (_cline, cell), (yname, y, label, ind) in zip(cells_r, columns, strict=True):
            place = f"{section} {name} {yname} {label}"
            v = _value(
                section,
                doc,
                rid,
                ind,
                y,
                y,
                to_number(cell),
                unit_in_label(label),
                place,
                f"{place}: {cell}",
                "table",
            )
            values.append({**v, "_row": name, "_col": label})
    missing = [r for r in expected if r not in seen]
    if missing:
        raise InputError(
            where,
            "township rows missing: "
            + ", ".join(f"{reg.region_name(r)} ({r})" for r in missing)
            + " (table truncated?)",
            "a row for each of the 9 townships and 全县",
        )
    return values


def _value(section, doc, region, ind, y0, y1, value, unit, place, quote, kind, measure="flow"):
    return {
        "plan_id": PLAN_ID,
        "document": doc,
        "section": section,
        "kind": kind,
        "region_id": region,
        "indicator_id": ind,
        "year_start": y0,
        "year_end": y1,
        "level": "baseline",
        "value": value,
        "unit_written": unit,
        "measure": measure,
        "place": f"{doc} {place}",
        "quote": quote,
    }


def _annex_cells(cells: _Cells, name: str, stop_names: tuple[str, ...], doc: str):
    """The cells of 附件N after its title, up to the next of ``stop_names`` (or the end)."""
    start = cells.find(name)
    if start is None or start + 1 >= len(cells.items):
        raise InputError(
            f"{doc} {name}",
            "section not found (document truncated?)",
            f"a line '{name}' followed by the table's title",
        )
    title = re.sub(r"[（(]\s*\d{4}.\d{4}\s*年\s*[)）]\s*$", "", cells.items[start + 1][1]).strip()
    section = f"{name} {title}"
    end = len(cells.items)
    for k in range(start + 2, len(cells.items)):
        c = norm(cells.items[k][1])
        if any(c == norm(s) or c.startswith(norm(s)) for s in stop_names):
            end = k
            break
    return section, cells.items[start + 2 : end], start


def parse_pingyang(path: Path, reg: Registry, address: str = "") -> ParsedPlan:
    """Read Pingyang's plan document into target rows (and every value read, for the checks).

    ``reg`` gives the townships of 平阳县 (the plan's regions.csv); ``address`` is the public
    address of the document (plan.yml source_url)."""
    path = Path(path)
    doc = path.name
    text = read_document(path)
    years = plan_period(text, doc)
    number = document_number(text, doc)
    cells = _Cells(text)
    s1, c1, a1 = _annex_cells(cells, "附件1", ("附件2",), doc)
    s2, c2, _ = _annex_cells(cells, "附件2", ("抄送",), doc)
    annex1 = _annex1(c1, s1, doc, years)
    annex2 = _annex2(c2, s2, doc, years, reg)
    body_end = sum(len(ln) for ln in text.splitlines(keepends=True)[: cells.items[a1][0] - 1])
    body = read_body(text, BODY, plan_id=PLAN_ID, document=doc, years=years, body_end=body_end)
    for v in body:
        v["region_id"] = REGION

    county2 = [v for v in annex2 if v["region_id"] == REGION]
    towns = [v for v in annex2 if v["region_id"] != REGION]
    derived = _township_totals(towns, years)
    ordered = annex1 + county2 + body + towns + derived
    rows = merge_values(ordered, source_prefix=number, address=address, reg=reg)
    notes = [
        finding(
            "info",
            PLAN_ID,
            "derived township totals",
            f"{s2.split()[0]}只列各乡镇（街道）的分年目标，未列三年合计；目标表中"
            f"{len(derived)}条乡镇三年累计目标由各年相加推算得出。",
            f"{doc} {s2} (yearly columns)",
            "targets.csv: township rows 2025–2027 (quote 'derived: …')",
            message_en=f"{len(derived)} township three-year rows are derived as the sum of the "
            f"township's yearly rows in {s2} (the table gives no three-year column).",
        )
    ]
    return ParsedPlan(
        PLAN_ID, doc, rows, values_frame(annex1 + annex2 + body), notes, number, years
    )


def _township_totals(towns: list[dict], years: tuple[int, ...]) -> list[dict]:
    out = []
    df = pd.DataFrame(towns)
    for _, g in df.groupby(["region_id", "indicator_id"], sort=False):
        g = g.sort_values("year_start")
        parts = " + ".join(f"{v:g}" for v in g["value"])
        total = float(g["value"].sum())
        first = g.iloc[0]
        out.append(
            {
                **first.to_dict(),
                "year_start": years[0],
                "year_end": years[-1],
                "value": total,
                "place": f"{first['document']} {first['section']} (derived)",
                "quote": f"derived: {first['section']} {first['_row']} {first['_col']}, "
                f"{years[0]}–{years[-1]}年建设任务: {parts} = {total:g}",
            }
        )
    return out
