"""The briefing notebook's parameters, checked once at the edge into a typed :class:`Request`.

Every way in builds a :class:`Request` with :meth:`Request.check` where the values arrive (the
command line, the notebook's parameters cell, render-all's plans) and passes it inward;
nothing further in checks them again. The render machinery hands the notebook
:meth:`Request.params` (plain values, as papermill injects them).

papermill only warns about an unknown parameter and never checks values; a scheduled run would
then burn a kernel start and fail deep inside a cell. :meth:`Request.check` fails at once with
the valid choices listed, and refuses any parameter the notebook does not declare. It reads
targets.csv with the csv module (no pandas) to stay fast.

No parameter names a file that is loaded as code: ``project`` is a folder (its tables are read
as CSV and JSON), ``scenario`` a YAML file (read as data: ``ontrack.fileio.read_yaml``).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from ..errors import InputError, raise_errors
from ..months import MONTH
from ..project import NotAProject, Project, find_project, open_project


@dataclass(frozen=True)
class Param:
    name: str
    type: type
    default: Any
    help: str


#: The parameters cell of the briefing notebook, in order (a test keeps them in step).
PARAMS: dict[str, Param] = {
    p.name: p
    for p in [
        Param("plan", str, "", "plan id (empty: the project's first plan)"),
        Param(
            "region",
            str,
            "",
            "region id: the plan's region or one of its townships (empty: the plan's region)",
        ),
        Param("as_of", str, "latest", "data as of month YYYY-MM, or 'latest'"),
        Param("scenario", str, "", "path to a scenario YAML (empty: baseline)"),
        Param("lang", str, "zh", "briefing language: zh or en"),
        Param("n_sims", int, 10_000, "number of simulated paths"),
        Param("seed", int, 0, "random seed"),
        Param("project", str, "", "project folder (empty: found from the working folder)"),
    ]
}

LANGS = ("zh", "en")


def _targets_pairs(targets_csv: Path) -> tuple[tuple[str, str], ...]:
    """(plan_id, region_id) of every row of targets.csv, read once per content (a province's
    table is read by every plan's and every briefing's check: tablecache keys it by sha256)."""
    if not targets_csv.is_file():
        return ()
    from .tablecache import cached

    def read() -> tuple[tuple[str, str], ...]:
        with open(targets_csv, encoding="utf-8-sig", newline="") as f:
            return tuple(
                (r.get("plan_id") or "", r.get("region_id") or "") for r in csv.DictReader(f)
            )

    return cached("targets-pairs", (targets_csv,), read, copy=False)


def plan_ids(project: Project) -> list[str]:
    """Plans known to the project's registry or present in its targets.csv."""
    pairs = _targets_pairs(project.targets_csv)
    ids = list(project.registry().plans)
    ids += sorted({p for p, _ in pairs if p} - set(ids))
    return ids


def plan_regions(plan: str, project: Project) -> list[str]:
    """Regions of a plan that get a briefing: the plan's region, then the regions its
    regions.csv declares that have targets in targets.csv (in that order), then any other
    region of the plan's targets (ids the registry does not know, alphabetically). Without a
    targets.csv: the plan's region and its declared regions."""
    reg = project.registry()
    rows = [r for p, r in _targets_pairs(project.targets_csv) if p == plan]
    in_targets = {r for r in rows if r}
    declared = reg.plan_regions(plan)  # plan region first
    if not declared:
        return sorted(in_targets)
    root, others = declared[0], declared[1:]
    if not rows:
        return declared
    known = [r for r in others if r in in_targets]
    rest = sorted(in_targets - set(known) - {root})
    return [root, *known, *rest]


def _choices(items: list[str], n: int = 20) -> str:
    shown = ", ".join(items[:n])
    return shown + (", ..." if len(items) > n else "")


def params_project(params: Mapping[str, Any]) -> Project:
    """The project a set of parameters names (``project``), else the one found from the working
    folder; InputError naming the parameter when it is not a project."""
    root = params.get("project") or ""
    if not isinstance(root, str):
        raise InputError("parameter 'project'", f"{root!r} is not text", "a folder")
    try:
        return open_project(root) if root else find_project()
    except NotAProject as exc:
        raise InputError("parameter 'project'", str(exc).splitlines()[0]) from None


@dataclass(frozen=True)
class Request:
    """One briefing asked for: the notebook's parameters (:data:`PARAMS`, in that order),
    checked. ``project`` is the project's absolute root, ``scenario`` an absolute path or "",
    ``as_of`` a month or 'latest' (``ontrack render`` resolves it to the month with data)."""

    plan: str
    region: str
    as_of: str
    scenario: str
    lang: str
    n_sims: int
    seed: int
    project: str

    @classmethod
    def check(cls, raw: Mapping[str, Any], project: Project | None = None) -> Request:
        """The request ``raw`` asks for, defaults filled in and every value checked; InputErrors
        naming each parameter that is wrong (all of them at once). Unknown parameters (e.g.
        the run cache ``cache`` of old versions) are refused. ``project``: the project already
        opened (else the one ``raw['project']`` names, or the working folder's)."""
        return cls(**_checked(raw, project))

    def params(self) -> dict[str, Any]:
        """The notebook's parameters: plain values, as papermill injects them."""
        return asdict(self)

    def but(self, **changes: Any) -> Request:
        """This request with some parameters changed (e.g. another region of the same plan,
        the as-of month resolved): values the caller has already checked."""
        return replace(self, **changes)

    @property
    def stem(self) -> str:
        """File name stem: the region id; '.en' for English, '.<scenario>' for a scenario run,
        so that a variant never replaces the baseline Chinese briefing."""
        stem = self.region
        if self.lang != "zh":
            stem += f".{self.lang}"
        if self.scenario:
            stem += f".{Path(self.scenario).stem}"
        return stem


def _checked(params: Mapping[str, Any], project: Project | None = None) -> dict[str, Any]:
    """:meth:`Request.check`'s work: a dict of every parameter of :data:`PARAMS`, checked."""
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
    raise_errors(errors)
    project = project or params_project(out)
    out["project"] = str(project.root)
    reg = project.registry()

    plans = plan_ids(project)
    if not out["plan"]:
        out["plan"] = project.default_plan()
    if out["plan"] not in plans:
        errors.append(
            InputError("parameter 'plan'", f"unknown plan {out['plan']!r}", _choices(plans))
        )
    else:
        regions = plan_regions(out["plan"], project)
        if not out["region"]:
            out["region"] = regions[0] if regions else ""
        if out["region"] not in regions:
            hint = [r for r in regions if r.endswith("-" + out["region"])]
            matched = reg.match_region(out["region"])
            hint += [matched] if matched in regions and matched not in hint else []
            hint = hint or reg.suggest_regions(out["region"])
            problem = f"region {out['region']!r} is not part of plan {out['plan']!r}"
            if hint:
                problem += f" (did you mean {', '.join(hint)}?)"
            errors.append(InputError("parameter 'region'", problem, "one of " + _choices(regions)))
    m = MONTH.match(out["as_of"])
    if out["as_of"] != "latest" and not m:
        errors.append(
            InputError(
                "parameter 'as_of'", f"{out['as_of']!r} is not a month", "YYYY-MM or 'latest'"
            )
        )
    elif m and out["plan"] in reg.plans:
        years = reg.plans[out["plan"]].years
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
    if out["scenario"]:
        path = _resolve(out["scenario"], project)
        if path is None:
            errors.append(
                InputError(
                    "parameter 'scenario'",
                    f"file not found: {out['scenario']}",
                    "an existing file",
                )
            )
        elif path.suffix.lower() not in (".yml", ".yaml"):
            errors.append(
                InputError("parameter 'scenario'", "not a YAML file", "a .yml or .yaml file")
            )
        else:
            out["scenario"] = str(path)
    raise_errors(errors)
    return out


def _resolve(p: str, project: Project) -> Path | None:
    for cand in (Path(p), project.root / p):
        if cand.is_file():
            return cand.resolve()
    return None


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
