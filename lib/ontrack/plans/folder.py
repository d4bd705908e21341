"""A plan as data: ``data/raw/plans/<plan_id>/`` with plan.yml and regions.csv.

    plan.yml      id, name_zh, region_id, years [first, last]; optional name_en, document,
                  reader (a built-in document reader), reader_options, source_url, issued
                  (YYYY-MM-DD), doc_no, issuer, published, document_sha256, document_format
    regions.csv   region_id, name_zh, parent_id (empty for the plan's own region);
                  optional short_zh, aliases (| separated), name_en
    targets.csv | targets.xlsx   the targets (ontrack.plans.sheet), unless a reader reads the
                  document

:func:`load_registry` builds the project's :class:`~ontrack.registry.Registry` from every plan
folder and the indicators. Every problem names the file, row and column; several are reported
together. Format and examples: data/raw/plans/README.md and docs/data-contracts.md.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from pathlib import Path

import yaml

from ..errors import InputError, InputErrors, raise_errors
from ..fileio import YAMLRefused, read_yaml
from ..registry import (
    Plan,
    Region,
    Registry,
    check_no_cycles,
    core_indicators,
    merge_indicators,
    merge_regions,
    read_csv_rows,
    read_indicators,
    split_list,
)

PLAN_FILE = "plan.yml"
REGIONS_FILE = "regions.csv"
TARGETS_FILES = ("targets.csv", "targets.xlsx")

_REQUIRED_KEYS = ("id", "name_zh", "region_id", "years")
_OPTIONAL_KEYS = (
    "name_en",
    "document",
    "reader",
    "reader_options",
    "source_url",
    "issued",
    "doc_no",
    "issuer",
    "published",
    "document_sha256",
    "document_format",
)
#: Region ids: letters, digits, '-', '_' and '.', a letter or digit first (R0017, pingyang-aojiang).
REGION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
PLAN_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
_REGION_REQUIRED = ("region_id", "name_zh", "parent_id")
_REGION_OPTIONAL = ("short_zh", "aliases", "name_en")


def read_plan_yml(folder: Path) -> dict:
    """plan.yml as checked values; InputError(s) name the file and key."""
    path = Path(folder) / PLAN_FILE
    if not path.is_file():
        raise InputError(
            str(folder),
            "a plan folder without plan.yml",
            "plan.yml with id, name_zh, region_id, years (data/raw/plans/README.md)",
        )
    try:
        meta = read_yaml(path, encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(str(path), f"not UTF-8 text ({exc.reason})") from None
    except YAMLRefused as exc:
        raise InputError(
            str(path), f"refused: {exc}", "a short plan.yml of key: value lines"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark else ""
        raise InputError(f"{path}{line}", "not valid YAML", "key: value lines") from None
    if not isinstance(meta, dict):
        raise InputError(str(path), "not a mapping of keys to values", "key: value lines")
    errors: list[InputError] = []
    for key in _REQUIRED_KEYS:
        if meta.get(key) in (None, ""):
            errors.append(InputError(f"{path} key {key!r}", "missing or empty"))
    for key in meta:
        if key not in _REQUIRED_KEYS and key not in _OPTIONAL_KEYS:
            near = difflib.get_close_matches(str(key), [*_REQUIRED_KEYS, *_OPTIONAL_KEYS], 1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            errors.append(InputError(f"{path} key {key!r}", f"unknown key{hint}"))
    raise_errors(errors)
    pid = str(meta["id"])
    if pid != Path(folder).name:
        errors.append(
            InputError(
                f"{path} key 'id'",
                f"{pid!r} differs from the folder name {Path(folder).name!r}",
                "the folder named after the plan id",
            )
        )
    elif not PLAN_ID.match(pid):
        errors.append(
            InputError(f"{path} key 'id'", f"{pid!r} is not an id", "lower-case a-z, 0-9, - _ .")
        )
    years = meta["years"]
    if (
        not isinstance(years, list)
        or len(years) != 2
        or not all(isinstance(y, int) and 2000 <= y <= 2100 for y in years)
        or years[1] < years[0]
    ):
        errors.append(
            InputError(
                f"{path} key 'years'", f"{years!r} is not [first, last]", "e.g. [2025, 2027]"
            )
        )
    for key in ("issued", "published"):
        v = meta.get(key)
        if v is not None and not isinstance(v, dt.date):
            errors.append(InputError(f"{path} key {key!r}", f"{v!r} is not a date", "YYYY-MM-DD"))
    opts = meta.get("reader_options")
    if opts is not None and not isinstance(opts, dict):
        errors.append(InputError(f"{path} key 'reader_options'", "not a mapping", "key: value"))
    raise_errors(errors)
    return meta


def read_regions_csv(folder: Path, plan_region: str) -> list[Region]:
    """regions.csv of a plan folder, checked; the plan's own region must be declared."""
    path = Path(folder) / REGIONS_FILE
    if not path.is_file():
        raise InputError(
            str(folder),
            "a plan folder without regions.csv",
            "regions.csv with region_id, name_zh, parent_id",
        )
    header, rows = read_csv_rows(path)
    missing = [c for c in _REGION_REQUIRED if c not in header]
    unknown = [c for c in header if c not in _REGION_REQUIRED and c not in _REGION_OPTIONAL]
    if missing or unknown:
        parts = [f"missing column(s) {', '.join(missing)}"] if missing else []
        parts += [f"unknown column(s) {', '.join(unknown)}"] if unknown else []
        raise InputError(
            f"{path} header",
            "; ".join(parts),
            "columns " + ", ".join(_REGION_REQUIRED) + " (+ optional short_zh, aliases, name_en)",
        )
    errors: list[InputError] = []
    out: list[Region] = []
    seen: dict[str, int] = {}
    for n, row in rows:
        where = f"{path} row {n}"
        rid = row["region_id"]
        if not REGION_ID.match(rid):
            errors.append(
                InputError(
                    f"{where} column region_id",
                    f"{rid!r} is not an id",
                    "letters, digits, - _ . (e.g. pingyang-aojiang)",
                )
            )
            continue
        if rid in seen:
            errors.append(
                InputError(f"{where} column region_id", f"{rid!r} is already in row {seen[rid]}")
            )
            continue
        if not row["name_zh"]:
            errors.append(InputError(f"{where} column name_zh", "empty", "the region's name"))
            continue
        seen[rid] = n
        out.append(
            Region(
                rid,
                row["name_zh"],
                row.get("short_zh", ""),
                row["parent_id"] or None,
                split_list(row.get("aliases")),
                row.get("name_en", ""),
            )
        )
    for r in out:
        if r.parent and r.parent not in seen and r.id != plan_region:
            errors.append(
                InputError(
                    f"{path} row {seen[r.id]} column parent_id",
                    f"{r.parent!r} is not a region of this file",
                    "the id of a region declared here, or empty for the plan's own region",
                )
            )
    if plan_region not in seen:
        errors.append(
            InputError(
                str(path),
                f"the plan's own region {plan_region!r} (plan.yml region_id) is not declared",
                f"a row for {plan_region} with an empty parent_id",
            )
        )
    raise_errors(errors)
    check_no_cycles(out, str(path))
    return out


def read_plan(folder: Path) -> tuple[Plan, list[Region]]:
    """One plan folder: its :class:`Plan` and the regions it declares."""
    folder = Path(folder)
    meta = read_plan_yml(folder)
    regions = read_regions_csv(folder, str(meta["region_id"]))
    document = str(meta.get("document") or "")
    if document and not (folder / document).is_file():
        raise InputError(
            f"{folder / PLAN_FILE} key 'document'",
            f"{document} is not in the plan folder",
            "the file name of the published text beside plan.yml",
        )
    extra = {k: meta[k] for k in _OPTIONAL_KEYS if k in meta and k not in ("document", "reader")}
    for k in ("issued", "published"):
        if k in extra:
            extra[k] = extra[k].isoformat()
    y0, y1 = meta["years"]
    plan = Plan(
        id=str(meta["id"]),
        name_zh=str(meta["name_zh"]),
        region_id=str(meta["region_id"]),
        years=tuple(range(y0, y1 + 1)),
        regions=tuple(r.id for r in regions),
        folder=folder,
        document=document,
        reader=str(meta.get("reader") or ""),
        reader_options=dict(meta.get("reader_options") or {}),
        meta=extra,
    )
    return plan, regions


def plan_folders(plans_dir: Path, order: list[str] | tuple[str, ...] = ()) -> list[Path]:
    """The plan folders of a project: those named in ``order`` first, then alphabetically.

    A flat ``*.targets.csv`` (the layout before plans were folders) is an error that says
    how to move it."""
    plans_dir = Path(plans_dir)
    if not plans_dir.is_dir():
        return []
    flat = sorted(p.name for p in plans_dir.glob("*.targets.csv"))
    if flat:
        raise InputError(
            str(plans_dir / flat[0]),
            "a targets sheet outside a plan folder",
            "data/raw/plans/<plan_id>/ holding plan.yml, regions.csv and targets.csv",
        )
    found = {p.name: p for p in plans_dir.iterdir() if p.is_dir() and not p.name.startswith(".")}
    ordered = [found[n] for n in order if n in found]
    return ordered + [found[n] for n in sorted(found) if n not in order]


def links_outside(raw_dir: Path) -> list[InputError]:
    """Symbolic links among the project's plan files (indicators.csv, the plan folders and their
    files) whose targets lie outside data/raw: refused and never read, as in the record (a plan
    folder must not read a file from elsewhere on the machine)."""
    root = Path(raw_dir).resolve()
    cands = [Path(raw_dir) / "indicators.csv"]
    plans = Path(raw_dir) / "plans"
    if plans.is_dir():
        for folder in sorted(plans.iterdir()):
            cands.append(folder)
            if folder.is_dir() and not folder.is_symlink():
                cands += sorted(folder.iterdir())
    out = []
    for p in cands:
        if not p.is_symlink():
            continue
        target = p.resolve()
        if target != root and root not in target.parents:
            out.append(
                InputError(
                    str(p),
                    f"a symbolic link pointing outside data/raw ({target}): not followed",
                    "the file itself, copied into the plan folder",
                )
            )
    return out


def load_registry(raw_dir: Path, order: list[str] | tuple[str, ...] = ()) -> Registry:
    """The registry of a project from its ``data/raw``: core and declared indicators, and the
    plans and regions of every plan folder."""
    raw_dir = Path(raw_dir)
    raise_errors(links_outside(raw_dir))
    indicators = core_indicators()
    extra = raw_dir / "indicators.csv"
    if extra.is_file():
        indicators = merge_indicators(indicators, read_indicators(extra), extra)
    plans: list[Plan] = []
    declared: list[tuple[Region, str]] = []
    errors: list[InputError] = []
    for folder in plan_folders(raw_dir / "plans", order):
        try:
            plan, regions = read_plan(folder)
        except InputErrors as exc:
            errors += exc.errors
            continue
        except InputError as exc:
            errors.append(exc)
            continue
        plans.append(plan)
        declared += [(r, str(folder / REGIONS_FILE)) for r in regions]
    raise_errors(errors)
    regions = merge_regions(declared)
    check_no_cycles(regions, str(raw_dir / "plans"))
    return Registry(regions, indicators, plans)
