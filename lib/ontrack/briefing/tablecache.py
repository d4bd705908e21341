"""The stage tables a briefing reads, read once per process and handed out as copies.

Every briefing of a plan reads the same tables: the project's progress and targets and the
forecast folder of its parameters (attainment.csv, trajectories.csv, forecast.json). For a
province those are large (a trajectories table of half a million rows), and reading and
checking them is most of a briefing's time. A warm kernel (:mod:`.engine`) renders briefing
after briefing, so it reads them once: this cache keys each table by its files' paths and
sha256 (a file that changed is read again: the key is the content, never a guess from a time
stamp) and hands out copies (a briefing that changed a table in place changes nothing for the
next). It keeps the last few entries only.

The warm kernel's reset keeps this module (and its entries) while every other ontrack module is
imported afresh; so the entries are plain pandas tables and dicts, and the callers wrap them in
their own (fresh) classes.
"""

from __future__ import annotations

import copy as _copymod
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..fileio import sha256

MAX_ENTRIES = 6

_entries: OrderedDict[tuple, Any] = OrderedDict()
_lock = threading.Lock()
stats = {"hits": 0, "misses": 0}


def cached(kind: str, files: tuple[Path, ...], read: Callable[[], Any], copy: bool = True) -> Any:
    """``read()``'s value for these files' contents, from the cache when they are unchanged;
    a deep copy (tables and dicts), unless ``copy=False`` for a value nobody can change (tuples
    of strings)."""
    take = _copy if copy else (lambda v: v)
    key = (kind, *((str(Path(f).resolve()), sha256(f)) for f in files))
    with _lock:
        if key in _entries:
            _entries.move_to_end(key)
            stats["hits"] += 1
            return take(_entries[key])
    value = read()
    with _lock:
        stats["misses"] += 1
        _entries[key] = take(value)
        while len(_entries) > MAX_ENTRIES:
            _entries.popitem(last=False)
    return value


def _copy(value: Any) -> Any:
    if isinstance(value, tuple):
        return tuple(_copy(v) for v in value)
    if hasattr(value, "copy") and hasattr(value, "columns"):  # a DataFrame
        return value.copy(deep=True)
    return _copymod.deepcopy(value)


def clear() -> None:
    with _lock:
        _entries.clear()
