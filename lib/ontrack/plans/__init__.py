"""Stage 1a: the plan documents as data (targets rows), one parser per document.

* :func:`parse_pingyang` — 平政办〔2025〕49号 (body, 附件1, 附件2)
* :func:`parse_lucheng` — 温鹿政办〔2025〕21号 (body only; assumed yearly split)
* :func:`read_sheet` — any hand-filled ``<plan_id>.targets.csv`` (e.g. the city plan)

Each returns a :class:`ParsedPlan`: the target rows (one per key) and every value read (for
ontrack.quality). ontrack.targets assembles them into data/processed/targets.csv.
"""

from ._common import EXTRA_COLUMNS, KEY, ROW_COLUMNS, TARGET_COLUMNS, ParsedPlan
from .lucheng import parse_lucheng
from .pingyang import parse_pingyang
from .sheet import read_sheet

__all__ = [
    "EXTRA_COLUMNS",
    "KEY",
    "ROW_COLUMNS",
    "TARGET_COLUMNS",
    "ParsedPlan",
    "parse_lucheng",
    "parse_pingyang",
    "read_sheet",
]
