"""What the plan parsers share: the row layout, reading a document, numbers, body sentences.

Every value a parser reads is kept twice: as a *value* (one per place in the document, before any
de-duplication; the quality checks compare these) and, after de-duplication, as a *target row*
(one per key of the targets contract).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import InputError
from ..registry import Registry
from ..schema import TARGET_COLUMNS as CONTRACT_COLUMNS
from ..schema import TARGET_KEY
from ..text import normalize

#: The columns of the targets contract (docs/data-contracts.md), in order.
TARGET_COLUMNS: list[str] = CONTRACT_COLUMNS
#: Extra columns this stage adds: flow (new within the years) or stock (level reached by the end),
#: whether the value is an assumption (a derived yearly split), the document file, its section,
#: and the public address of the document.
EXTRA_COLUMNS: list[str] = ["measure", "assumed", "document", "section", "address"]
ROW_COLUMNS: list[str] = TARGET_COLUMNS + EXTRA_COLUMNS
#: The key of a target row: no two rows of the targets table share one.
KEY: list[str] = TARGET_KEY
#: Every value read, one per place in a document (before de-duplication).
VALUE_COLUMNS: list[str] = [
    "plan_id",
    "document",
    "section",
    "kind",  # table | body | sheet
    "region_id",
    "indicator_id",
    "year_start",
    "year_end",
    "level",
    "value",
    "unit_written",  # the unit as the document writes it ("" if it gives none)
    "measure",
    "place",  # where, in words: section, row and column
    "quote",
]
#: Columns of a quality finding (see ontrack.quality).
FINDING_COLUMNS: list[str] = [
    "severity",
    "plan_id",
    "check",
    "message",  # plain Chinese, the primary text (shown in the Chinese briefing)
    "message_en",  # the same in English (shown in the English briefing)
    "place_a",
    "place_b",
    "value_a",
    "value_b",
]

_NUMBER = re.compile(r"^\d+(?:\.\d+)?$")


@dataclass
class ParsedPlan:
    """One plan document read: its target rows, every value read, and the parser's own notes."""

    plan_id: str
    document: str  # file name under data/raw/plans/
    rows: pd.DataFrame  # ROW_COLUMNS, one per key
    values: pd.DataFrame  # VALUE_COLUMNS, one per place in the document
    notes: list[dict] = field(default_factory=list)  # FINDING_COLUMNS dicts
    document_number: str = ""
    years: tuple[int, ...] = ()


def norm(s: str) -> str:
    """Text for matching labels: NFKC, no white space, no quotation marks."""
    return normalize(s, quotes="drop")


def is_number(cell: str) -> bool:
    return bool(_NUMBER.match(norm(cell)))


def to_number(cell: str) -> float:
    return float(norm(cell))


def read_document(path: Path) -> str:
    """The text of a plan document; InputError if it is missing or not UTF-8 text."""
    path = Path(path)
    if not path.is_file():
        raise InputError(str(path), "plan document not found", "a UTF-8 text file")
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(path.name, f"not UTF-8 text ({exc.reason})", "UTF-8 text") from None


def document_number(text: str, where: str) -> str:
    """The document number (文号) such as 平政办〔2025〕49号: its first occurrence in the text."""
    m = re.search(r"[\u4e00-\u9fff]{1,8}[〔\[]\d{4}[〕\]]\d+号", text)
    if not m:
        raise InputError(where, "no document number (文号) found", "e.g. 平政办〔2025〕49号")
    return m.group(0)


def plan_period(text: str, where: str) -> tuple[int, ...]:
    """The plan's years from the first '(2025—2027年)' in the text (the title)."""
    m = re.search(r"[（(]\s*(\d{4})\s*[-—–~至]\s*(\d{4})\s*年\s*[)）]", text)
    if not m:
        raise InputError(where, "no plan period such as (2025—2027年) found in the title")
    start, end = int(m.group(1)), int(m.group(2))
    if not 2000 <= start <= end <= 2100:
        raise InputError(where, f"implausible plan period {start}-{end}")
    return tuple(range(start, end + 1))


def unit_in_label(label: str) -> str:
    """The unit written in a table label's last parentheses: 新增在孵企业(项目)(个) → 个."""
    m = re.search(r"[(（]([^()（）]+)[)）]\s*$", unicodedata.normalize("NFKC", label))
    return m.group(1) if m else ""


def match_label(cell: str, labels: dict[str, str]) -> str | None:
    """The indicator id whose label pattern (regex on :func:`norm` text) matches the cell."""
    key = norm(cell)
    for indicator_id, pattern in labels.items():
        if re.search(pattern, key):
            return indicator_id
    return None


# --- body text --------------------------------------------------------------------------------

_HEADING = re.compile(r"(?<![^\s。])([一二三四五六七八九十]+)、([^\s，,。:：;；()（）]{2,40})")
_SUBHEADING = re.compile(r"[（(]([一二三四五六七八九十]+)[)）]([^\s。，,:：;；()（）]{2,20})")


def sections(text: str) -> list[tuple[str, int, int]]:
    """Top-level headings (一、目标要求 ...) of a body text, each with the span it covers."""
    found = [(f"{m.group(1)}、{m.group(2)}", m.start()) for m in _HEADING.finditer(text)]
    return [
        (name, start, found[i + 1][1] if i + 1 < len(found) else len(text))
        for i, (name, start) in enumerate(found)
    ]


def section_span(
    text: str, prefix: str, where: str, end: int | None = None
) -> tuple[str, int, int]:
    """The heading and span of the first section whose heading starts with ``prefix``."""
    for name, start, stop in sections(text[:end] if end else text):
        if name.startswith(prefix):
            return name, start, stop
    raise InputError(where, f"section {prefix}… not found in the body text")


def subsection_name(text: str, start: int, pos: int) -> str:
    """The last sub-heading such as (二)强化能级提升 between ``start`` and ``pos`` ("" if none)."""
    last = ""
    for m in _SUBHEADING.finditer(text, start, pos):
        last = f"({m.group(1)}){m.group(2)}"
    return last


def clause(text: str, start: int, end: int) -> str:
    """The clause of ``text`` around [start, end): from the previous to the next delimiter."""
    delims = "。；;，,：:\n"
    a = max(text.rfind(d, 0, start) for d in delims) + 1
    nexts = [i for i in (text.find(d, end) for d in "。；;，,\n") if i != -1]
    b = min(nexts) if nexts else len(text)
    return re.sub(r"\s+", " ", text[a:b]).strip().lstrip("—-").strip()


@dataclass(frozen=True)
class BodySpec:
    """A target stated in a sentence of the body text.

    ``pattern`` is a regex on the original text with one group, the number; ``years`` is
    "period" (one row for the whole plan period) or "each" (one row for every year).
    """

    indicator_id: str
    pattern: str
    section: str  # heading prefix, e.g. "一、"
    years: str = "period"
    measure: str = "flow"
    level: str = "baseline"
    unit_written: str = ""
    scale: float = 1.0  # e.g. 10000 for a figure written in 万人


def read_body(
    text: str,
    specs: Sequence[BodySpec],
    *,
    plan_id: str,
    document: str,
    years: Sequence[int],
    body_end: int | None = None,
) -> list[dict]:
    """Every value the specs find in the body; InputError naming document and section if not."""
    out: list[dict] = []
    for spec in specs:
        name, start, stop = section_span(text, spec.section, document, body_end)
        m = re.compile(spec.pattern).search(text, start, stop)
        if not m:
            raise InputError(
                f"{document} {name}",
                f"the {spec.indicator_id} target was not found",
                f"text matching {spec.pattern!r}",
            )
        sub = subsection_name(text, start, m.start())
        section = f"{name} {sub}".strip()
        value = float(m.group(1)) * spec.scale
        quote = clause(text, m.start(), m.end())
        spans = [(years[0], years[-1])] if spec.years == "period" else [(y, y) for y in years]
        for y0, y1 in spans:
            out.append(
                {
                    "plan_id": plan_id,
                    "document": document,
                    "section": section,
                    "kind": "body",
                    "region_id": None,  # filled in by the caller
                    "indicator_id": spec.indicator_id,
                    "year_start": y0,
                    "year_end": y1,
                    "level": spec.level,
                    "value": value,
                    "unit_written": spec.unit_written,
                    "measure": spec.measure,
                    "place": f"{document} {section}",
                    "quote": f"{section}: {quote}",
                }
            )
    return out


# --- from values to rows ----------------------------------------------------------------------


def merge_values(
    values: Iterable[dict],
    *,
    source_prefix: str,
    address: str,
    reg: Registry,
    skip_conflicts: bool = True,
) -> pd.DataFrame:
    """One target row per key from the values read, in the order given (first = preferred).

    Values of one key that agree become one row: the source is the first place, the quote cites
    every place. A value that disagrees with the preferred one is left out of the rows (it stays
    in the values, where ontrack.quality reports the conflict).
    """
    rows: dict[tuple, dict] = {}
    for v in values:
        key = tuple(v[k] for k in KEY)
        if key in rows:
            row = rows[key]
            if row["value"] == v["value"]:
                if v["quote"] not in row["quote"]:
                    row["quote"] += f" | {v['quote']}"
            elif not skip_conflicts:
                raise ValueError(f"conflicting values for {key}")
            continue
        indicator = reg.indicators.get(v["indicator_id"])
        rows[key] = {
            **{k: v[k] for k in KEY},
            "value": float(v["value"]),
            "unit": indicator.unit if indicator else v["unit_written"],
            "source": v.get("source") or f"{source_prefix} {v['section']}".strip(),
            "quote": v["quote"],
            "measure": v["measure"],
            "assumed": bool(v.get("assumed", False)),
            "document": v["document"],
            "section": v["section"],
            "address": address,
        }
    return pd.DataFrame(list(rows.values()), columns=ROW_COLUMNS)


def values_frame(values: Iterable[dict]) -> pd.DataFrame:
    return pd.DataFrame(
        [{k: v.get(k) for k in VALUE_COLUMNS} for v in values], columns=VALUE_COLUMNS
    )


def finding(
    severity: str,
    plan_id: str,
    check: str,
    message: str,
    place_a: str = "",
    place_b: str = "",
    value_a: object = None,
    value_b: object = None,
    *,
    message_en: str = "",
) -> dict:
    """A quality finding as a dict of FINDING_COLUMNS: ``message`` in plain Chinese (the
    primary text), ``message_en`` the same in English."""
    return dict(
        zip(
            FINDING_COLUMNS,
            [severity, plan_id, check, message, message_en, place_a, place_b, value_a, value_b],
            strict=True,
        )
    )
