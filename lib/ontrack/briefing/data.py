"""What a briefing reads: tables, never code, and never a forecast of its own.

Everything a briefing shows comes from a :class:`BriefingData` for a whole plan, read from
files the earlier stages wrote (CSV and JSON only; nothing is unpickled or imported):

* the forecast folder of the parameters (``data/processed/forecast/<as_of>/<variant>/``:
  attainment.csv, trajectories.csv, history.csv, forecast.json; ontrack.forecast.store), which
  ``ontrack render`` computes with the forecast stage's function when missing or stale;
  history.csv holds the baseline forecast as of every earlier month of the year (较上月变化,
  probability over the year, and the baseline a scenario is compared with);
* the previous month's baseline forecast folder, when an earlier render left one (what was
  published then: a revised figure or a changed target shows as such in 较上月变化);
* the project's targets.csv and progress.csv (the targets a region has, with or without
  progress; whether the data are illustrative), quality_report.csv and cleaning_log.csv;
* the project's registry (names, parents, plan.yml provenance) and the scenario YAML (read with
  ``ontrack.fileio.read_yaml``: data, no aliases, size-limited).

A forecast folder that is missing, or older than its inputs, is an error that says how to make
it: the notebook never recomputes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .. import __version__
from ..errors import InputError
from ..fileio import read_csv, read_yaml, sha256
from ..forecast import store as ft
from ..forecast.coverage import complete_years
from ..forecast.model import plan_members
from ..forecast.scenario import as_scenario
from ..months import is_month, previous_month
from ..project import Project
from ..registry import Registry

NOTEBOOK = "04_briefing.ipynb"


@dataclass
class BriefingData:
    """All tables behind the briefings of one plan, for one as-of month and scenario."""

    plan: str
    as_of: str  # resolved YYYY-MM
    scenario: str  # path of the scenario YAML, "" = baseline
    n_sims: int
    seed: int
    targets: pd.DataFrame  # the plan's targets (all of them, with or without progress)
    progress: pd.DataFrame  # the progress of the plan's regions
    attainment: pd.DataFrame  # the plan's rows of attainment.csv
    trajectories: pd.DataFrame  # the plan's rows of trajectories.csv
    quality: pd.DataFrame | None = None
    cleaning: pd.DataFrame | None = None
    inputs: dict[str, str] = field(default_factory=dict)  # file → sha256 (what was read)
    code: dict[str, str] = field(default_factory=dict)
    scenario_meta: dict[str, Any] = field(default_factory=dict)
    reg: Registry = field(default_factory=Registry)
    forecast: dict[str, Any] = field(default_factory=dict)  # the folder's forecast.json
    #: history.csv of the folder (baseline forecasts as of each month; empty if none)
    history: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: the previous month's published baseline attainment rows (None: no such folder)
    previous: pd.DataFrame | None = None
    #: the plan's targets the data do not cover (not_forecast.csv: years without data)
    not_forecast: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: complete region-years in the whole project's progress by as_of when the plan has none
    #: (the project's season, the prior of the plan's, has seen a whole year when > 0)
    project_complete_years: int | None = None
    #: the project's progress holds regions beyond the plan's (their months inform its season)
    other_plans_progress: bool = False

    @property
    def illustrative(self) -> bool:
        """True when any number shown comes from illustrative (示例数据) progress."""
        for df in (self.attainment, self.progress):
            if "illustrative" in df and df["illustrative"].fillna(False).astype(bool).any():
                return True
        return False


# ---------------------------------------------------------------------------- code version
def code_version(notebook: Path | None = None) -> dict[str, str]:
    """ontrack version, git short hash (if any) and the fingerprint of the code a briefing
    depends on: the whole installed package, the libraries' versions (fonts and charts come
    from them too) and the notebook executed (:mod:`ontrack.stamps`)."""
    extra = (notebook,) if notebook is not None else ()
    return ft.code_version(extra)


def code_label(code: dict[str, str]) -> str:
    """e.g. 'ontrack 0.1.0 (git 9056b69)'."""
    s = f"ontrack {code.get('version', __version__)}"
    if code.get("git"):
        s += f" (git {code['git']})"
    return s


# ---------------------------------------------------------------------------- inputs
def forecast_folder(
    project: Project, as_of: str, scenario: str = "", n_sims: int = 10_000, seed: int = 0
) -> Path:
    """The folder holding the forecast tables of these parameters (``as_of`` resolved)."""
    return ft.folder_for(project, as_of, scenario or None, n_sims, seed)


def input_files(project: Project, folder: Path, scenario: str = "") -> dict[str, Path]:
    """The files a briefing reads (those that exist), by their path in the project."""
    files = [
        folder / ft.ATTAINMENT_CSV,
        folder / ft.TRAJECTORIES_CSV,
        folder / ft.FORECAST_JSON,
        project.targets_csv,
        project.progress_csv,
        project.quality_csv,
        project.cleaning_log_csv,
    ]
    out = {project.relative(f): f for f in files}
    for name in (ft.HISTORY_CSV, ft.NOT_FORECAST_CSV):
        if (folder / name).is_file():
            out[project.relative(folder / name)] = folder / name
    prev = previous_folder(project, folder)
    if prev is not None:
        out[project.relative(prev / ft.ATTAINMENT_CSV)] = prev / ft.ATTAINMENT_CSV
    out.update(ft.project_input_files(project))  # registry files: names, parents, provenance
    if scenario:
        out["scenario:" + Path(scenario).name] = Path(scenario)
    return {k: v for k, v in sorted(out.items()) if v.is_file()}


def previous_folder(project: Project, folder: Path) -> Path | None:
    """The baseline forecast folder of the month before ``folder``'s as-of month (same draws and
    seed), if an earlier run wrote one with its tables; else None."""
    as_of, variant = folder.parent.name, folder.name
    if not is_month(as_of):
        return None
    suffix = re.search(r"-n\d+-s\d+$", variant)
    base = "baseline" + (suffix.group(0) if suffix else "")
    prev = folder.parent.parent / previous_month(as_of) / base
    if (prev / ft.FORECAST_JSON).is_file() and (prev / ft.ATTAINMENT_CSV).is_file():
        return prev
    return None


def read_previous(folder: Path | None, plan: str) -> pd.DataFrame | None:
    """The plan's rows of the previous month's published attainment table (None when there is
    none or it cannot be read as written: a damaged earlier folder is not an error here). The
    folder is read once per process, like the current one (tablecache)."""
    if folder is None:
        return None
    from . import tablecache

    att = tablecache.cached("previous", _forecast_files(folder), lambda: _read_attainment(folder))
    if att is None:
        return None
    return att[att["plan_id"] == plan].reset_index(drop=True)


def _read_attainment(folder: Path) -> pd.DataFrame | None:
    try:
        return ft.read(folder).attainment
    except (InputError, OSError, ValueError):
        return None


def input_checksums(project: Project, folder: Path, scenario: str = "") -> dict[str, str]:
    return {k: sha256(v) for k, v in input_files(project, folder, scenario).items()}


def project_tables(project: Project) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(progress, targets) of the project, checked (``ft.load_inputs``), read once per process
    while their contents stay the same (tablecache; a warm kernel: once per run): every plan's
    month check and every briefing read them."""
    if not (project.progress_csv.is_file() and project.targets_csv.is_file()):
        return ft.load_inputs(project)  # the error that says which table to build
    from . import tablecache

    files = (project.progress_csv, project.targets_csv)
    return tablecache.cached("inputs", files, lambda: ft.load_inputs(project))


def _read_optional(path: Path) -> pd.DataFrame | None:
    if not path.is_file():
        return None
    try:
        return read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError):
        return None


def read_scenario_meta(scenario: str) -> dict[str, Any]:
    """The scenario YAML as a dict (for the briefing's 'scenario used' section)."""
    if not scenario:
        return {}
    import yaml

    try:
        meta = read_yaml(scenario)
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"scenario {scenario}", f"cannot be read: {exc}", "a YAML file") from None
    return meta if isinstance(meta, dict) else {"value": meta}


def resolve_as_of(project: Project, plan: str, as_of: str) -> str:
    """'latest' → the last month of progress of the plan's regions (as the forecast resolves it);
    a month stays itself."""
    if as_of != "latest":
        return as_of
    progress, targets = ft.load_inputs(project)
    return ft.plan_as_of(progress, targets, plan, project.registry(), as_of)


def missing_forecast(
    project: Project, folder: Path, params: dict[str, Any], why: str
) -> InputError:
    """The error for a forecast folder the briefing cannot use, saying how to make it."""
    cmd = f"ontrack forecast --as-of {params['as_of']}"
    if params.get("scenario"):
        cmd += f" --scenario {project.relative(params['scenario'])}"
    cmd += f" --sims {params['n_sims']} --seed {params['seed']} --out {project.relative(folder)}"
    return InputError(
        f"forecast tables {project.relative(folder)}",
        why,
        f"tables made by `ontrack render` (which computes them) or by `{cmd}`",
    )


def _forecast_files(folder: Path) -> tuple[Path, ...]:
    """The files of a forecast folder that :func:`ft.read` reads (those that exist)."""
    names = (
        ft.ATTAINMENT_CSV, ft.TRAJECTORIES_CSV, ft.FORECAST_JSON, ft.HISTORY_CSV,
        ft.NOT_FORECAST_CSV,
    )  # fmt: skip
    return tuple(folder / n for n in names if (folder / n).is_file())


def _read_forecast(folder: Path) -> tuple:
    t = ft.read(folder)
    return t.attainment, t.trajectories, t.meta, t.history, t.not_forecast


def load_briefing_data(
    project: Project,
    plan: str,
    region: str,
    as_of: str,
    scenario: str = "",
    n_sims: int = 10_000,
    seed: int = 0,
) -> BriefingData:
    """The data behind one region's briefing, read from the project's tables (see the module
    docstring). The forecast folder must exist and be current for the inputs: the briefing
    does not compute a forecast."""
    from . import tablecache

    reg = project.registry()
    progress, targets = project_tables(project)
    as_of = ft.plan_as_of(progress, targets, plan, reg, as_of) if as_of == "latest" else as_of
    folder = forecast_folder(project, as_of, scenario, n_sims, seed)
    params = dict(as_of=as_of, scenario=scenario, n_sims=n_sims, seed=seed)
    if not (folder / ft.FORECAST_JSON).is_file():
        raise missing_forecast(project, folder, params, "not found")
    sc = as_scenario(scenario or None)
    why = ft.staleness(
        folder,
        {
            "as_of": as_of,
            "scenario": sc.name if sc is not None else "baseline",
            "n_sims": n_sims,
            "seed": seed,
        },
        ft.checksums(ft.project_input_files(project, scenario or None)),
    )
    if why:
        raise missing_forecast(project, folder, params, why)
    # plain tables in the cache (it outlives this module in a warm kernel), wrapped afresh here
    att, traj, meta, hist, nf = tablecache.cached(
        "forecast", _forecast_files(folder), lambda: _read_forecast(folder)
    )
    tables = ft.ForecastTables(att, traj, meta, hist, nf).plan(plan)
    plan_targets = targets[targets["plan_id"] == plan].reset_index(drop=True)
    regions = set(progress["region_id"].astype(str))
    members = plan_members(regions, targets, plan, reg)
    plan_progress = progress[progress["region_id"].astype(str).isin(members)]
    own = {reg.plans[plan].region_id} if plan in reg.plans else set()
    if region not in set(plan_targets["region_id"]) | own:
        raise InputError("parameter 'region'", f"no targets for {region!r} in plan {plan!r}")
    return BriefingData(
        plan=plan,
        as_of=as_of,
        scenario=scenario,
        n_sims=n_sims,
        seed=seed,
        targets=plan_targets,
        progress=plan_progress.reset_index(drop=True),
        other_plans_progress=bool(regions - members),
        project_complete_years=(
            complete_years(progress, as_of) if complete_years(plan_progress, as_of) == 0 else None
        ),
        attainment=tables.attainment,
        trajectories=tables.trajectories,
        quality=_read_optional(project.quality_csv),
        cleaning=_read_optional(project.cleaning_log_csv),
        inputs=input_checksums(project, folder, scenario),
        code=code_version(project.notebook(NOTEBOOK)),
        scenario_meta=read_scenario_meta(scenario),
        reg=reg,
        forecast=tables.meta,
        history=tables.history if tables.history is not None else pd.DataFrame(),
        previous=read_previous(previous_folder(project, folder), plan),
        not_forecast=tables.not_forecast,
    )
