"""Stage 1a: plans as data. Each plan is a folder (:mod:`.folder`); its targets come from a
hand-filled targets sheet (:mod:`.sheet`), or from its published document through one of the
built-in document readers (:data:`READERS`), which keep every quote:

* ``pingyang-2025-2027`` — 平政办〔2025〕49号 (body, 附件1, 附件2)
* ``lucheng-2025-2027`` — 温鹿政办〔2025〕21号 (body only; assumed yearly split)

Each gives a :class:`ParsedPlan`: the target rows (one per key) and every value read (for
ontrack.quality). ontrack.targets assembles them into data/processed/targets.csv.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable
from typing import Any

from ..errors import InputError
from ..registry import Plan, Registry
from ._common import EXTRA_COLUMNS, KEY, ROW_COLUMNS, TARGET_COLUMNS, ParsedPlan
from .folder import PLAN_FILE, TARGETS_FILES
from .lucheng import SPLITS, parse_lucheng
from .pingyang import parse_pingyang
from .sheet import read_sheet


def _pingyang(plan: Plan, reg: Registry) -> ParsedPlan:
    return parse_pingyang(plan.folder / plan.document, reg, address=plan.source_url)


def _lucheng(plan: Plan, reg: Registry, split: str = "city", city_plan: str = "") -> ParsedPlan:
    if split not in SPLITS:
        raise InputError(
            f"{plan.folder / PLAN_FILE} reader_options split",
            f"unknown value {split!r}",
            " or ".join(SPLITS),
        )
    city = plan.folder.parent / city_plan / "targets.csv" if city_plan else None
    return parse_lucheng(
        plan.folder / plan.document, reg, split=split, city_sheet=city, address=plan.source_url
    )


#: Built-in document readers, by the name a plan.yml gives in ``reader``.
READERS: dict[str, Callable[..., ParsedPlan]] = {
    "pingyang-2025-2027": _pingyang,
    "lucheng-2025-2027": _lucheng,
}


def read_plan_targets(
    plan: Plan, reg: Registry, options: dict[str, Any] | None = None
) -> ParsedPlan:
    """The targets of one plan folder: from its document reader, or from its targets sheet.

    ``options`` override the plan.yml ``reader_options`` (e.g. ``{"split": "even"}``)."""
    yml = plan.folder / PLAN_FILE
    sheets = [plan.folder / f for f in TARGETS_FILES if (plan.folder / f).is_file()]
    if plan.reader:
        if plan.reader not in READERS:
            near = difflib.get_close_matches(plan.reader, list(READERS), 1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            raise InputError(
                f"{yml} key 'reader'",
                f"no built-in reader {plan.reader!r}{hint}",
                "one of " + ", ".join(READERS) + ", or no reader and a targets.csv",
            )
        if not plan.document:
            raise InputError(f"{yml} key 'document'", "a reader needs the document's file name")
        if sheets:
            raise InputError(
                str(sheets[0]),
                f"{plan.id} is already read from {plan.document} by its reader",
                "one source of targets per plan: the document (reader) or a targets sheet",
            )
        reader = READERS[plan.reader]
        opts = {**plan.reader_options, **(options or {})}
        allowed = [k for k in inspect.signature(reader).parameters if k not in ("plan", "reg")]
        unknown = [k for k in opts if k not in allowed]
        if unknown:
            raise InputError(
                f"{yml} key 'reader_options'",
                f"unknown option(s) {', '.join(unknown)} for reader {plan.reader}",
                ", ".join(allowed) or "no options",
            )
        return reader(plan, reg, **opts)
    if len(sheets) > 1:
        raise InputError(
            str(plan.folder), "both targets.csv and targets.xlsx", "one targets sheet per plan"
        )
    if not sheets:
        raise InputError(
            str(plan.folder),
            f"plan {plan.id} has no targets",
            "targets.csv or targets.xlsx (data/raw/plans/README.md), or a document reader",
        )
    return read_sheet(sheets[0], plan, reg)


__all__ = [
    "EXTRA_COLUMNS",
    "KEY",
    "READERS",
    "ROW_COLUMNS",
    "TARGET_COLUMNS",
    "ParsedPlan",
    "read_plan_targets",
]
