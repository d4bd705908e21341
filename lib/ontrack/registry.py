"""Regions, indicators and plans: read from the project's files, never written in code.

* indicators: the five core ones shipped with the suite (``ontrack/data/indicators.csv``), plus
  the project's ``data/raw/indicators.csv``;
* plans and their regions: one folder per plan under ``data/raw/plans/`` (``plan.yml``,
  ``regions.csv``), read by :mod:`ontrack.plans.folder`.

A :class:`Registry` answers every question the stages ask about ids: display names, parents
and children, units, the statistical nature of an indicator, and which id a name written in a
spreadsheet means (昆阳 / 昆阳镇 / 昆阳镇① …). Any region id that is not declared is still valid
(its name is the id itself) and has no parent. Formats: docs/data-contracts.md.
"""

from __future__ import annotations

import csv
import difflib
import functools
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from .errors import InputError, raise_errors
from .text import normalize

#: Statistical natures an indicator may declare (how its monthly amounts are simulated).
NATURES = ("lumpy", "count", "small_count", "other")
#: Suffixes a region name may be written with or without (昆阳 / 昆阳镇).
_SUFFIXES = ("街道", "镇", "乡", "区", "县", "市")
#: Total-row words that never name a region.
_TOTAL_WORDS = frozenset({"合计", "总计", "小计", "汇总"})


@dataclass(frozen=True)
class Region:
    id: str
    name_zh: str
    short_zh: str = ""
    parent: str | None = None
    aliases: tuple[str, ...] = ()
    name_en: str = ""


@dataclass(frozen=True)
class Indicator:
    id: str
    name_zh: str
    unit: str
    nature: str  # one of NATURES
    name_en: str = ""
    aliases: tuple[str, ...] = ()  # header words offices use for it (| separated in the CSV)
    core: bool = False


@dataclass(frozen=True)
class Plan:
    """A plan's metadata (``plan.yml``) and the ids of its regions (``regions.csv`` order)."""

    id: str
    name_zh: str
    region_id: str
    years: tuple[int, ...]
    regions: tuple[str, ...] = ()
    folder: Path | None = None
    document: str = ""  # file name of the published text in the folder ("" if none)
    reader: str = ""  # built-in document reader that turns the text into targets
    reader_options: Mapping[str, object] = field(default_factory=dict)
    meta: Mapping[str, object] = field(default_factory=dict)  # source_url, issued, doc_no ...

    @property
    def source_url(self) -> str:
        return str(self.meta.get("source_url") or "")

    @property
    def doc_no(self) -> str:
        return str(self.meta.get("doc_no") or "")


class Registry:
    """The ids of one project (or of an ad-hoc run): regions, indicators, plans."""

    def __init__(
        self,
        regions: Iterable[Region] = (),
        indicators: Iterable[Indicator] = (),
        plans: Iterable[Plan] = (),
    ):
        self.regions: dict[str, Region] = {r.id: r for r in regions}
        self.indicators: dict[str, Indicator] = {i.id: i for i in indicators}
        self.plans: dict[str, Plan] = {p.id: p for p in plans}
        self._children: dict[str, list[str]] = {}
        for r in self.regions.values():
            if r.parent:
                self._children.setdefault(r.parent, []).append(r.id)
        self._names: dict[str, list[str]] | None = None

    def __repr__(self) -> str:
        return (
            f"Registry({len(self.regions)} regions, {len(self.indicators)} indicators, "
            f"{len(self.plans)} plans)"
        )

    # ------------------------------------------------------------------ indicators
    @property
    def core_indicators(self) -> tuple[str, ...]:
        return tuple(i.id for i in self.indicators.values() if i.core)

    def indicator_name(self, indicator_id: str, lang: str = "zh") -> str:
        """Display name of an indicator; an unknown id is shown as itself."""
        i = self.indicators.get(indicator_id)
        if i is None:
            return indicator_id
        return i.name_zh if lang == "zh" else (i.name_en or i.id)

    def unit(self, indicator_id: str) -> str | None:
        i = self.indicators.get(indicator_id)
        return i.unit if i else None

    def nature(self, indicator_id: str) -> str:
        """How an indicator's monthly amounts behave: lumpy, count or small_count.

        Unknown indicators and those declared ``other`` are treated as counts."""
        i = self.indicators.get(indicator_id)
        nat = i.nature if i else "count"
        return nat if nat in ("lumpy", "count", "small_count") else "count"

    def match_indicator(self, text: object) -> str | None:
        """The indicator a header or cell names: its id, its name, or one of its aliases
        (the longest alias found in the text wins; core indicators first on a tie)."""
        if text is None:
            return None
        s = normalize(text, quotes="straight")
        if not s:
            return None
        if s in self.indicators:
            return s
        s_core = _strip_brackets(s)
        for ind in self.indicators.values():
            if normalize(ind.name_zh, quotes="straight") in (s, s_core):
                return ind.id
        bare = s.replace('"', "").replace("'", "")
        best: tuple[int, int, str] | None = None
        for order, ind in enumerate(self.indicators.values()):
            for alias in ind.aliases:
                a = normalize(alias, quotes="straight")
                if a and (a in s or a in bare):
                    cand = (-len(a), order, ind.id)
                    best = cand if best is None or cand < best else best
        return best[2] if best else None

    def suggest_indicators(self, text: object, n: int = 3) -> list[str]:
        """Closest indicator names and ids, for 'did you mean' messages."""
        names = [i.name_zh for i in self.indicators.values()] + list(self.indicators)
        return difflib.get_close_matches(normalize(text), names, n=n, cutoff=0.2)

    # ------------------------------------------------------------------ regions
    def region_name(self, region_id: str, lang: str = "zh") -> str:
        """Display name of a region; an unknown id is shown as itself."""
        r = self.regions.get(region_id)
        if r is None:
            return region_id
        return r.name_zh if lang == "zh" else (r.name_en or r.id)

    def short_name(self, region_id: str) -> str:
        r = self.regions.get(region_id)
        return (r.short_zh or r.name_zh) if r else region_id

    def parent(self, region_id: str) -> str | None:
        r = self.regions.get(region_id)
        return r.parent if r else None

    def parents(self) -> dict[str, str]:
        """child id → parent id for every region that has a parent."""
        return {r.id: r.parent for r in self.regions.values() if r.parent}

    def children(self, region_id: str) -> list[str]:
        """Declared sub-regions, in the order their plan lists them."""
        return list(self._children.get(region_id, ()))

    def ancestors(self, region_id: str) -> list[str]:
        """Parent, grandparent, ... (nearest first); stops at a cycle."""
        out: list[str] = []
        r = self.parent(region_id)
        while r is not None and r not in out and r != region_id:
            out.append(r)
            r = self.parent(r)
        return out

    def _name_index(self) -> dict[str, list[str]]:
        if self._names is None:
            keys: dict[str, list[str]] = {}
            for r in self.regions.values():
                for name in (r.id, r.name_zh, r.short_zh, *r.aliases):
                    k = normalize(name, footnotes=True)
                    if k and r.id not in keys.setdefault(k, []):
                        keys[k].append(r.id)
            self._names = keys
        return self._names

    def region_candidates(self, name: object) -> list[str]:
        """Every region id a name may mean (one when the name is unambiguous)."""
        key = normalize(name, footnotes=True)
        if not key or key in _TOTAL_WORDS:
            return []
        keys = self._name_index()
        if key in keys:
            return list(keys[key])
        for suf in _SUFFIXES:
            if key.endswith(suf) and key[: -len(suf)] in keys:
                return list(keys[key[: -len(suf)]])
        return []

    def match_region(self, name: object) -> str | None:
        """The region id for a name as written (昆阳 / 昆阳镇 / 昆阳镇① / the id), or None when
        the name is unknown or ambiguous (see :meth:`region_candidates`). 合计 / 总计 match
        nothing: callers treat total rows separately."""
        found = self.region_candidates(name)
        return found[0] if len(found) == 1 else None

    def suggest_regions(self, name: object, n: int = 3) -> list[str]:
        """The closest declared region names, for 'did you mean' messages."""
        names = sorted(
            {r.name_zh for r in self.regions.values()}
            | {r.short_zh for r in self.regions.values() if r.short_zh}
        )
        return difflib.get_close_matches(normalize(name), names, n=n, cutoff=0.3)

    # ------------------------------------------------------------------ plans
    def plan_regions(self, plan_id: str) -> list[str]:
        """A plan's region first, then the other regions its regions.csv declares."""
        p = self.plans.get(plan_id)
        if p is None:
            return []
        return [p.region_id, *(r for r in p.regions if r != p.region_id)]

    def plan_name(self, plan_id: str) -> str:
        p = self.plans.get(plan_id)
        return p.name_zh if p else plan_id

    def with_regions(self, regions: Iterable[Region]) -> Registry:
        """A copy whose regions are ``regions`` (indicators and plans kept)."""
        return Registry(regions, self.indicators.values(), self.plans.values())


def _strip_brackets(s: str) -> str:
    return re.sub(r"[(\[（【][^)\]）】]*[)\]）】]", "", s)


# ---------------------------------------------------------------------------- reading files
def split_list(cell: object) -> tuple[str, ...]:
    """'a|b| c' → ('a', 'b', 'c'); '' → ()."""
    return tuple(x.strip() for x in str(cell or "").split("|") if x.strip())


def read_csv_rows(path: Path, text: str | None = None) -> tuple[list[str], list[tuple[int, dict]]]:
    """(header, [(line number, row)]) of a small UTF-8 CSV (BOM or not); blank rows skipped.

    InputError naming the file when it is not UTF-8 or a row has more cells than the header."""
    path = Path(path)
    if text is None:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InputError(
                str(path), f"not UTF-8 text ({exc.reason})", "a CSV saved as UTF-8"
            ) from None
        except OSError as exc:
            raise InputError(str(path), f"cannot be read ({exc.strerror})") from None
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    rows: list[tuple[int, dict]] = []
    for row in reader:
        n = reader.line_num
        if None in row:
            raise InputError(f"{path} row {n}", "more cells than columns")
        clean = {k: (v or "").strip() for k, v in row.items()}
        if any(clean.values()):
            rows.append((n, clean))
    return header, rows


_INDICATOR_REQUIRED = ("indicator_id", "name_zh", "unit", "nature")
_INDICATOR_OPTIONAL = ("name_en", "aliases")


def read_indicators(path: Path, core: bool = False) -> list[Indicator]:
    """Indicators from an indicators.csv; every bad row reported (file, row, column)."""
    header, rows = read_csv_rows(path)
    missing = [c for c in _INDICATOR_REQUIRED if c not in header]
    if missing:
        raise InputError(
            f"{path} header",
            f"missing column(s) {', '.join(missing)}",
            "columns " + ", ".join(_INDICATOR_REQUIRED) + " (+ optional name_en, aliases)",
        )
    out: list[Indicator] = []
    errors: list[InputError] = []
    seen: dict[str, int] = {}
    for n, row in rows:
        where = f"{path} row {n}"
        iid = row["indicator_id"]
        problems = []
        if not re.fullmatch(r"[a-z][a-z0-9_]*", iid):
            problems.append(
                f"column indicator_id: {iid!r} is not an id "
                "(lower-case a-z, 0-9, _; a letter first)"
            )
        elif iid in seen:
            problems.append(f"column indicator_id: {iid!r} is already declared in row {seen[iid]}")
        for col in ("name_zh", "unit"):
            if not row[col]:
                problems.append(f"column {col} is empty")
        if row["nature"] not in NATURES:
            problems.append(f"column nature: {row['nature']!r} is not one of {', '.join(NATURES)}")
        errors += [InputError(where, p) for p in problems]
        if problems:
            continue
        seen[iid] = n
        out.append(
            Indicator(
                iid,
                row["name_zh"],
                row["unit"],
                row["nature"],
                row.get("name_en", ""),
                split_list(row.get("aliases")),
                core,
            )
        )
    raise_errors(errors)
    return out


@functools.cache
def core_indicators() -> tuple[Indicator, ...]:
    """The five core indicators shipped with the suite (ontrack/data/indicators.csv)."""
    ref = resources.files("ontrack") / "data" / "indicators.csv"
    return tuple(read_indicators(Path(str(ref)), core=True))


def merge_indicators(
    core: Iterable[Indicator], extra: Iterable[Indicator], where: Path
) -> list[Indicator]:
    """Core indicators, then the project's. A project row for a core id may only add aliases
    (same unit); it may not redefine it."""
    out = {i.id: i for i in core}
    errors: list[InputError] = []
    for i in extra:
        if i.id in out:
            c = out[i.id]
            if i.unit != c.unit:
                errors.append(
                    InputError(
                        f"{where}",
                        f"indicator {i.id!r} is a core indicator in {c.unit}; "
                        f"this file declares it in {i.unit}",
                        f"its unit {c.unit} (a row for a core indicator may only add aliases)",
                    )
                )
                continue
            out[i.id] = Indicator(
                c.id,
                c.name_zh,
                c.unit,
                c.nature,
                c.name_en,
                tuple(dict.fromkeys((*c.aliases, *i.aliases))),
                True,
            )
        else:
            out[i.id] = i
    raise_errors(errors)
    project_aliases = {i.id: i.aliases for i in extra}
    raise_errors(_captured_words(list(out.values()), project_aliases, where))
    return list(out.values())


def _captured_words(
    indicators: list[Indicator], aliases: dict[str, tuple[str, ...]], where: Path
) -> list[InputError]:
    """A project alias that names another indicator (its name, one of its aliases, or words of
    its name): office headers of that indicator would be read as this one (a `patents` alias
    新增在孵企业 relabelled the firms column as patents). One error per alias."""
    errors = []
    for iid, words in aliases.items():
        others = Registry(indicators=[i for i in indicators if i.id != iid])
        for a in words:
            na = normalize(a, quotes="straight")
            if not na:
                continue
            hit = others.match_indicator(na)
            if hit is None:
                hit = next(
                    (
                        i.id
                        for i in others.indicators.values()
                        if na in normalize(i.name_zh, quotes="straight")
                    ),
                    None,
                )
            if hit is not None:
                errors.append(
                    InputError(
                        f"{where} indicator {iid!r} column aliases",
                        f"'{a}' names indicator {hit!r} ({others.indicator_name(hit)}): its "
                        f"columns would be read as {iid!r}",
                        "words that name only this indicator",
                    )
                )
    return errors


def merge_regions(declared: list[tuple[Region, str]]) -> list[Region]:
    """One Region per id from every plan's regions.csv (``(region, where)`` pairs).

    The same id may appear in several plans (a county in its own plan and in its city's): the
    names must agree; the parent is the one any plan declares (two different parents are an
    error); aliases are pooled."""
    out: dict[str, Region] = {}
    first: dict[str, str] = {}
    errors: list[InputError] = []
    for r, where in declared:
        if r.id not in out:
            out[r.id] = r
            first[r.id] = where
            continue
        o = out[r.id]
        if o.name_zh != r.name_zh:
            errors.append(
                InputError(
                    where,
                    f"region {r.id!r} is named {r.name_zh!r} here "
                    f"and {o.name_zh!r} in {first[r.id]}",
                    "one name per region id",
                )
            )
            continue
        if o.parent and r.parent and o.parent != r.parent:
            errors.append(
                InputError(
                    where,
                    f"region {r.id!r} has parent {r.parent!r} here "
                    f"and {o.parent!r} in {first[r.id]}",
                    "one parent per region",
                )
            )
            continue
        out[r.id] = Region(
            o.id,
            o.name_zh,
            o.short_zh or r.short_zh,
            o.parent or r.parent,
            tuple(dict.fromkeys((*o.aliases, *r.aliases))),
            o.name_en or r.name_en,
        )
    raise_errors(errors)
    return list(out.values())


def regions_from_table(path: Path) -> list[Region]:
    """Regions of an ad-hoc regions table (``ontrack forecast --regions``): ``region_id`` and
    ``parent_id`` required; ``name_zh``, ``short_zh``, ``aliases``, ``name_en`` optional."""
    header, rows = read_csv_rows(path)
    missing = [c for c in ("region_id", "parent_id") if c not in header]
    if missing:
        raise InputError(
            f"{path} header", f"missing column(s) {', '.join(missing)}", "region_id, parent_id"
        )
    out: list[Region] = []
    errors: list[InputError] = []
    seen: dict[str, int] = {}
    for n, row in rows:
        rid = row["region_id"]
        if not rid:
            errors.append(InputError(f"{path} row {n}", "column region_id is empty"))
            continue
        if rid in seen:
            errors.append(
                InputError(f"{path} row {n}", f"region {rid!r} is already in row {seen[rid]}")
            )
            continue
        seen[rid] = n
        out.append(
            Region(
                rid,
                row.get("name_zh") or rid,
                row.get("short_zh", ""),
                row["parent_id"] or None,
                split_list(row.get("aliases")),
                row.get("name_en", ""),
            )
        )
    raise_errors(errors)
    check_no_cycles(out, str(path))
    return out


def check_no_cycles(regions: Iterable[Region], where: str) -> None:
    """A parent chain that comes back to itself is an error naming the regions."""
    parent = {r.id: r.parent for r in regions}
    for start in parent:
        seen = [start]
        r = parent.get(start)
        while r is not None:
            if r in seen:
                raise InputError(where, "parent_id forms a cycle: " + " → ".join([*seen, r]))
            seen.append(r)
            r = parent.get(r)
