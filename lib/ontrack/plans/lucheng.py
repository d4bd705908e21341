"""Lucheng's plan 温鹿政办〔2025〕21号: body text only (its attachment table was published empty).

The targets are three-year totals (到2027年) in 二、工作目标, restated in 三、重点工作 (both are
read; the rows cite both, ontrack.quality compares them), plus 每年…创新创业活动100场次.

Lucheng publishes no yearly split, yet monitoring is yearly. The yearly rows of the flow targets
are therefore an explicit assumption (``assumed=True``, quote "assumed: …"), chosen with
``split``:

* ``"city"`` (default): the shape of the city plan 温政办〔2025〕30号 that Lucheng implements,
  300/400/500 万㎡ of space in 2025/2026/2027, i.e. 25% / 33.3% / 41.7%. Its shares are read from
  the city plan folder's targets sheet (data/raw/plans/wenzhou-2025-2027/targets.csv).
  Default because Lucheng's plan is the district's share of the city plan, and a rising
  (back-loaded) profile is what the published plans actually use (Pingyang's own split of space
  is 16/22/32); an even split would call Lucheng "behind" in 2025 by construction.
* ``"even"``: a third each year.

Counts are split by largest remainders (whole numbers that add up to the total; ties go to the
later year); space to 0.01 万平方米 the same way.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from ..errors import InputError
from ..registry import Registry
from ._common import (
    BodySpec,
    ParsedPlan,
    document_number,
    finding,
    merge_values,
    plan_period,
    read_body,
    read_document,
    values_frame,
)

PLAN_ID = "lucheng-2025-2027"
REGION = "lucheng"
CITY_PLAN_ID = "wenzhou-2025-2027"
SPLITS = ("city", "even")

_N = r"\s*(\d+(?:\.\d+)?)\s*"
_Q = r"[“”\"]?"
#: 二、工作目标: the three-year totals.
GOALS: tuple[BodySpec, ...] = (
    BodySpec("space", rf"新增孵化空间{_N}万平方米", "二、", unit_written="万平方米"),
    BodySpec("firms", rf"新增在孵企业[（(]项目[)）]{_N}家", "二、", unit_written="家"),
    BodySpec("talent", rf"新增创(?:业创新|新创业)人才{_N}人", "二、", unit_written="人"),
    BodySpec("provincial_incubators", rf"新增省级及以上孵化器{_N}家", "二、", unit_written="家"),
    BodySpec("incubators_20", rf"市级{_Q}20{_Q}示范孵化器{_N}家", "二、", unit_written="家"),
    BodySpec("tech_firms", rf"新培育省级及以上科技企业{_N}家", "二、", unit_written="家"),
    BodySpec("operators", rf"新增专业运营机构{_N}家", "二、", unit_written="家"),
)
#: 三、重点工作: the same totals restated in the tasks, and the yearly events.
TASKS: tuple[BodySpec, ...] = (
    *tuple(BodySpec(s.indicator_id, s.pattern, "三、", unit_written=s.unit_written) for s in GOALS),
    BodySpec(
        "events", rf"每年[^。；;]*?创新创业活动{_N}场次", "三、", years="each", unit_written="场次"
    ),
)
#: Flow targets given only as three-year totals: these get assumed yearly rows.
SPLIT_INDICATORS = tuple(s.indicator_id for s in GOALS)


def _attachment_notes(text: str, doc: str) -> tuple[int, list[dict]]:
    """Where the attachment starts, and a note that its table is empty (InputError otherwise)."""
    m = re.search(r"附件[:：]\s*(\S+?任务指标[^\s]*)", text)
    if not m:
        raise InputError(
            f"{doc} 附件",
            "the attachment line (附件:…任务指标…) was not found",
            "the document as published",
        )
    title = m.group(1)
    start = m.start()
    rest = text[m.end() :]
    t = re.search(r"附件\s+(\S*任务指标\S*)", rest)
    if not t:
        raise InputError(f"{doc} 附件", f"the attachment {title} is missing (document truncated?)")
    lines = [ln for ln in rest[t.end() :].splitlines() if "|" in ln]
    if not lines:
        raise InputError(
            f"{doc} 附件 {title}",
            "the attachment table is missing",
            "the table as published (a line of '|')",
        )
    cells = [c.strip() for ln in lines for c in ln.split("|")]
    content = [c for c in cells if c and not c.startswith("备注")]
    if content:
        raise InputError(
            f"{doc} 附件 {title}",
            f"the attachment table now has content ({content[:3]} …); this parser reads only "
            "the body text, which would silently ignore it",
            "the table as published (empty), or an update of ontrack.plans.lucheng",
        )
    note = finding(
        "warning",
        PLAN_ID,
        "attachment empty",
        f"附件《{title}》公布时为空表（只有一行表格线“|”）：鹿城区计划只给出三年累计目标，"
        "没有分年度、分街道的分解。目标表中的分年目标为假设值。",
        f"{doc} 附件 {title}",
        f"{doc} 附件:{title}",
        message_en=f"The attachment table {title} was published empty (a line of only '|'): "
        "Lucheng gives three-year totals only, no yearly or street-level split. Yearly rows are "
        "assumptions.",
    )
    return start, [note]


def _shares(split: str, years: tuple[int, ...], city_sheet: Path | None, reg: Registry):
    """The yearly shares for ``split`` and a description of where they come from."""
    if split == "even":
        n = len(years)
        return [1 / n] * n, [f"1/{n}"] * n, "lucheng_split='even': the same share each year"
    if split != "city":
        raise InputError("lucheng_split", f"unknown value {split!r}", " or ".join(SPLITS))
    from .sheet import read_sheet

    if city_sheet is None or not Path(city_sheet).is_file():
        raise InputError(
            "lucheng_split='city'",
            f"needs the city plan's targets sheet, not found: {city_sheet}",
            f"data/raw/plans/{CITY_PLAN_ID}/targets.csv, or lucheng_split='even'",
        )
    city_plan = reg.plans.get(Path(city_sheet).parent.name)
    if city_plan is None:
        raise InputError(
            "lucheng_split='city'",
            f"{city_sheet} is not in a plan folder of this project",
            f"data/raw/plans/{CITY_PLAN_ID}/ with plan.yml, regions.csv, targets.csv",
        )
    city = read_sheet(city_sheet, city_plan, reg).rows
    space = city[
        (city.indicator_id == "space")
        & (city.level == "baseline")
        & (city.year_start == city.year_end)
    ]
    by_year = dict(zip(space.year_start.astype(int), space.value.astype(float), strict=True))
    if any(y not in by_year for y in years) or sum(by_year[y] for y in years) <= 0:
        raise InputError(
            str(city_sheet),
            "lucheng_split='city' needs the city's yearly space targets for "
            + ", ".join(map(str, years)),
            "one space row per year",
        )
    total = sum(by_year[y] for y in years)
    shape = "/".join(f"{by_year[y]:g}" for y in years)
    desc = (
        f"lucheng_split='city': the city plan's yearly shape of 新增孵化空间 {shape} "
        f"({_sheet_name(city_sheet)})"
    )
    texts = [f"{by_year[y]:g}/{total:g}" for y in years]
    return [by_year[y] / total for y in years], texts, desc


def _sheet_name(path: Path) -> str:
    """'wenzhou-2025-2027/targets.csv': the plan folder and the file."""
    return f"{Path(path).parent.name}/{Path(path).name}"


def split_total(total: float, shares: list[float], decimals: int = 0) -> list[float]:
    """Split ``total`` by ``shares`` into parts of resolution 10**-decimals that add up to it.

    Largest remainders; ties go to the later year (plans are back-loaded).
    """
    unit = 10.0**-decimals
    units = round(total / unit)
    raw = [units * s for s in shares]
    parts = [math.floor(r + 1e-9) for r in raw]
    left = units - sum(parts)
    order = sorted(range(len(raw)), key=lambda i: (-(round(raw[i] - parts[i], 9)), -i))
    for i in order[:left]:
        parts[i] += 1
    return [round(p * unit, decimals) for p in parts]


def parse_lucheng(
    path: Path,
    reg: Registry,
    split: str = "city",
    city_sheet: Path | None = None,
    address: str = "",
) -> ParsedPlan:
    """Read Lucheng's plan document into target rows, with assumed yearly rows (see module doc).

    ``city_sheet`` (for ``split="city"``) defaults to the targets sheet of the city plan's folder
    beside this plan's folder; ``address`` is the document's public address (plan.yml).
    """
    path = Path(path)
    doc = path.name
    if split not in SPLITS:
        raise InputError("lucheng_split", f"unknown value {split!r}", " or ".join(SPLITS))
    text = read_document(path)
    years = plan_period(text, doc)
    number = document_number(text, doc)
    body_end, notes = _attachment_notes(text, doc)
    goals = read_body(text, GOALS, plan_id=PLAN_ID, document=doc, years=years, body_end=body_end)
    tasks = read_body(text, TASKS, plan_id=PLAN_ID, document=doc, years=years, body_end=body_end)
    for v in goals + tasks:
        v["region_id"] = REGION

    if city_sheet is None:
        city_sheet = path.parent.parent / CITY_PLAN_ID / "targets.csv"
    shares, texts, desc = _shares(split, years, city_sheet, reg)
    desc_zh = (
        "每年相同的比例"
        if split == "even"
        else "温州市计划“新增孵化空间”的分年比例（"
        + "/".join(t.split("/")[0] for t in texts)
        + "）"
    )
    source_of_shares = _sheet_name(city_sheet) if split == "city" else "lucheng_split='even'"
    assumed: list[dict] = []
    for g in goals:
        if g["indicator_id"] not in SPLIT_INDICATORS:
            continue
        ind = reg.indicators[g["indicator_id"]]
        decimals = 2 if ind.nature == "lumpy" else 0
        parts = split_total(g["value"], shares, decimals)
        for y, part, text_ in zip(years, parts, texts, strict=True):
            assumed.append(
                {
                    **g,
                    "year_start": y,
                    "year_end": y,
                    "value": part,
                    "assumed": True,
                    "source": f"{number} {g['section']}（年度目标为假设分解值）",
                    "quote": f"assumed: {g['value']:g} × {text_} ≈ {part:g} ({desc}); "
                    f"total from {g['quote']}",
                    "place": f"{g['place']} (assumed yearly split)",
                }
            )
    rows = merge_values(goals + tasks + assumed, source_prefix=number, address=address, reg=reg)
    notes.append(
        finding(
            "info",
            PLAN_ID,
            "assumed yearly split",
            f"目标表中{len(assumed)}条分年目标（"
            + "、".join(f"“{reg.indicator_name(i)}”" for i in SPLIT_INDICATORS)
            + f"）是假设值，不是计划原文：按{desc_zh}把三年累计目标分到各年。",
            f"{doc} 二、工作目标",
            source_of_shares,
            message_en=f"{len(assumed)} yearly rows of {', '.join(SPLIT_INDICATORS)} are "
            f"assumptions: the three-year totals split by {desc}.",
        )
    )
    return ParsedPlan(PLAN_ID, doc, rows, values_frame(goals + tasks), notes, number, years)
