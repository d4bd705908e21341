"""The briefing notebook's parameters, checked before any kernel starts.

papermill only warns about an unknown parameter and never checks values; a scheduled run would
then burn a kernel start and fail deep inside a cell. :func:`validate_params` fails at once with
the valid choices listed. It reads targets.csv with the csv module (no pandas) to stay fast.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import paths, registry
from ..errors import InputError, InputErrors


@dataclass(frozen=True)
class Param:
    name: str
    type: type
    default: Any
    help: str


#: The parameters cell of notebooks/04_briefing.ipynb, in order (a test keeps them in step).
PARAMS: dict[str, Param] = {
    p.name: p
    for p in [
        Param("plan", str, "pingyang-2025-2027", "plan id"),
        Param("region", str, "pingyang", "region id: the plan's region or one of its townships"),
        Param("as_of", str, "latest", "data as of month YYYY-MM, or 'latest'"),
        Param("scenario", str, "", "path to a scenario YAML (empty: baseline)"),
        Param("lang", str, "zh", "briefing language: zh or en"),
        Param("n_sims", int, 10_000, "number of simulated paths"),
        Param("seed", int, 0, "random seed"),
        Param("cache", str, "", "internal: run cache written by `ontrack render`; leave empty"),
    ]
}

LANGS = ("zh", "en")
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def _targets_rows(targets_csv: Path) -> list[dict[str, str]]:
    if not targets_csv.is_file():
        return []
    with open(targets_csv, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def plan_ids(targets_csv: Path | None = None) -> list[str]:
    """Plans known to the registry or present in targets.csv."""
    rows = _targets_rows(targets_csv or paths.TARGETS_CSV)
    ids = list(registry.PLANS)
    ids += sorted({r["plan_id"] for r in rows if r.get("plan_id")} - set(ids))
    return ids


def plan_regions(plan: str, targets_csv: Path | None = None) -> list[str]:
    """Regions of a plan that get a briefing: the plan's region, then its sub-regions.

    Sub-regions are those that appear in the plan's targets (registry order first, then unknown
    ids alphabetically); without a targets.csv, the registry's children.
    """
    rows = [r for r in _targets_rows(targets_csv or paths.TARGETS_CSV) if r.get("plan_id") == plan]
    p = registry.PLANS.get(plan)
    root = p.region_id if p else None
    in_targets = {r["region_id"] for r in rows if r.get("region_id")}
    if root is None:
        return sorted(in_targets)
    kids = registry.children(root)
    if rows:
        known = [k for k in kids if k in in_targets]
        others = sorted(in_targets - set(kids) - {root})
        return [root, *known, *others]
    return [root, *kids]


def _choices(items: list[str], n: int = 20) -> str:
    shown = ", ".join(items[:n])
    return shown + (", ..." if len(items) > n else "")


def validate_params(params: dict[str, Any], targets_csv: Path | None = None) -> dict[str, Any]:
    """Defaults filled in and every value checked; raises InputError(s) naming the parameter.

    Returns a new dict holding every parameter of :data:`PARAMS` (scenario/cache as absolute
    paths, or "").
    """
    targets_csv = targets_csv or paths.TARGETS_CSV
    errors: list[InputError] = []
    unknown = sorted(set(params) - set(PARAMS))
    for name in unknown:
        errors.append(
            InputError(f"parameter {name!r}", "unknown parameter", _choices(list(PARAMS)))
        )
    out = {name: params.get(name, p.default) for name, p in PARAMS.items()}
    for name, p in PARAMS.items():
        v = out[name]
        if p.type is int and (isinstance(v, bool) or not isinstance(v, int)):
            errors.append(
                InputError(f"parameter {name!r}", f"{v!r} is not a whole number", "an int")
            )
        elif p.type is str and not isinstance(v, str):
            errors.append(InputError(f"parameter {name!r}", f"{v!r} is not text", "a string"))
    if errors:
        _raise(errors)

    plans = plan_ids(targets_csv)
    if out["plan"] not in plans:
        errors.append(
            InputError("parameter 'plan'", f"unknown plan {out['plan']!r}", _choices(plans))
        )
    else:
        regions = plan_regions(out["plan"], targets_csv)
        if out["region"] not in regions:
            hint = [r for r in regions if r.endswith("-" + out["region"])]
            matched = registry.match_region(out["region"])
            hint += [matched] if matched in regions and matched not in hint else []
            hint = hint or registry.suggest_regions(out["region"])
            problem = f"region {out['region']!r} is not part of plan {out['plan']!r}"
            if hint:
                problem += f" (did you mean {', '.join(hint)}?)"
            errors.append(InputError("parameter 'region'", problem, "one of " + _choices(regions)))
    m = _MONTH.match(out["as_of"])
    if out["as_of"] != "latest" and not m:
        errors.append(
            InputError(
                "parameter 'as_of'", f"{out['as_of']!r} is not a month", "YYYY-MM or 'latest'"
            )
        )
    elif m and out["plan"] in registry.PLANS:
        years = registry.PLANS[out["plan"]].years
        if int(m.group(1)) not in years:
            errors.append(
                InputError(
                    "parameter 'as_of'",
                    f"{out['as_of']} is outside the plan's years",
                    f"a month of {years[0]}–{years[-1]}",
                )
            )
    if out["lang"] not in LANGS:
        errors.append(
            InputError("parameter 'lang'", f"unknown language {out['lang']!r}", "zh or en")
        )
    if not 100 <= out["n_sims"] <= 1_000_000:
        errors.append(
            InputError("parameter 'n_sims'", f"{out['n_sims']} is out of range", "100 … 1000000")
        )
    if out["seed"] < 0:
        errors.append(InputError("parameter 'seed'", f"{out['seed']} is negative", "0 or more"))
    for name in ("scenario", "cache"):
        if out[name]:
            path = _resolve(out[name])
            if path is None:
                errors.append(
                    InputError(
                        f"parameter {name!r}", f"file not found: {out[name]}", "an existing file"
                    )
                )
            else:
                out[name] = str(path)
    if out["scenario"] and not out["scenario"].endswith((".yml", ".yaml")):
        errors.append(InputError("parameter 'scenario'", "not a YAML file", "a .yml or .yaml file"))
    if errors:
        _raise(errors)
    return out


def _resolve(p: str) -> Path | None:
    for cand in (Path(p), paths.PROJ_ROOT / p):
        if cand.is_file():
            return cand.resolve()
    return None


def _raise(errors: list[InputError]) -> None:
    if len(errors) == 1:
        raise errors[0]
    raise InputErrors(errors)


def parameters_cell() -> str:
    """Source of the notebook's parameters cell (annotated literals with comments)."""
    lines = []
    for p in PARAMS.values():
        value = (
            json.dumps(p.default, ensure_ascii=False)
            if isinstance(p.default, str)
            else repr(p.default)
        )
        lines.append(f"{p.name}: {p.type.__name__} = {value}  # {p.help}")
    return "\n".join(lines)
