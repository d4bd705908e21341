"""The forecast stage's tables: the one place that makes them and the one place that reads them.

A forecast folder holds (docs/data-contracts.md, *Forecast outputs*):

* ``attainment.csv``: one row per target the progress covers (the contract's columns, plus
  ``as_of``, ``scenario``, ``n_sims``, ``seed`` and the extensions of :mod:`.simulate`);
* ``trajectories.csv``: per target and month of its window, the running total to date and the
  10/50/90% quantiles of the projected running total (the last month equals the attainment
  row's projection: the same draws);
* ``history.csv``: the baseline forecast of every target as it stood at the end of each month
  from the December before the as-of year up to the as-of month (p_meet by as-of month: what
  a briefing's 较上月变化 and "probability over the year" show), made from the same data cut
  at that month, so it is there on the first run (:func:`compute_history`);
* ``forecast.json``: the parameters, the as-of month each plan was resolved to, checksums of
  the input tables and of the tables, and the code version.

:func:`compute` makes them, :func:`write` writes them (forecast.json last, so a folder whose
tables do not match its forecast.json is never taken as current), :func:`read` reads and
validates them. ``ontrack forecast`` writes the project's tables to data/processed/;
``ontrack render`` keeps one folder per set of parameters under data/processed/forecast/
(:func:`ensure`). Everything here is data (CSV, JSON): nothing is ever unpickled or imported.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from .. import __version__
from ..build import ensure_tables
from ..errors import InputError, OntrackError, raise_errors
from ..fileio import read_csv, sha256, write_csv, write_text
from ..months import check_month, resolve_as_of
from ..project import Project
from ..registry import Registry
from ..schema import ATTAINMENT_TABLE, PROGRESS, TRAJECTORIES, validate
from ..stamps import code_fingerprint as fp
from ..stamps import outputs
from ..targets import read_targets
from .model import default_registry, fit, month_index, month_label, plan_inputs
from .scenario import Scenario, as_scenario, check_scenario
from .simulate import NOT_FORECAST_COLUMNS as NF_COLUMNS
from .simulate import PATH_SIMS, simulate_all, simulate_attainment, simulate_tables
from .verdicts import RAG, RagThresholds

ATTAINMENT_CSV = "attainment.csv"
TRAJECTORIES_CSV = "trajectories.csv"
NOT_FORECAST_CSV = "not_forecast.csv"
HISTORY_CSV = "history.csv"
FORECAST_JSON = "forecast.json"
#: version of the folder's layout (forecast.json "format")
FORMAT = 1
DEFAULT_SIMS = 10_000
DEFAULT_SEED = 0

_STR = {"plan_id": str, "region_id": str, "indicator_id": str, "level": str}


@dataclass
class ForecastTables:
    """The tables of one forecast run and its forecast.json (``meta``)."""

    attainment: pd.DataFrame
    trajectories: pd.DataFrame
    meta: dict[str, Any] = field(default_factory=dict)
    history: pd.DataFrame | None = None  # history.csv (None: a folder written without it)
    #: not_forecast.csv: targets whose windows hold years without data (empty: none)
    not_forecast: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=NF_COLUMNS))

    def as_of(self, plan_id: str) -> str | None:
        """The month a plan was forecast as of ('latest' resolved on the plan's own progress)."""
        return self.meta.get("as_of", {}).get(plan_id)

    def plan(self, plan_id: str) -> ForecastTables:
        """The rows of one plan."""
        a = self.attainment[self.attainment["plan_id"] == plan_id].reset_index(drop=True)
        t = self.trajectories[self.trajectories["plan_id"] == plan_id].reset_index(drop=True)
        h = self.history
        if h is not None:
            h = h[h["plan_id"] == plan_id].reset_index(drop=True)
        nf = self.not_forecast[self.not_forecast["plan_id"] == plan_id].reset_index(drop=True)
        return ForecastTables(a, t, self.meta, h, nf)


# ---------------------------------------------------------------------------- code version
def code_fingerprint(extra: tuple[Path, ...] = ()) -> str:
    """The fingerprint of the code the tables depend on: every file of the installed ontrack
    package and the versions of its libraries (:func:`ontrack.stamps.code_fingerprint`), and
    the ``extra`` files (a project's own briefing notebook)."""
    return fp(extra)


def _git_hash() -> str:
    """The short commit of the suite's own checkout (empty for an installed wheel)."""
    checkout = Path(__file__).resolve().parents[3]
    if not (checkout / ".git").exists():
        return ""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=checkout,
            capture_output=True,
            text=True,
            timeout=5,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.strip() if out.returncode == 0 else ""


def code_version(extra: tuple[Path, ...] = ()) -> dict[str, str]:
    """ontrack version, git short hash (if a checkout) and the code's fingerprint."""
    return {
        "version": __version__,
        "git": _git_hash(),
        "fingerprint": code_fingerprint(extra),
    }


# ------------------------------------------------------------------------ compute, write, read
def compute(
    progress: pd.DataFrame,
    targets: pd.DataFrame,
    *,
    as_of: str = "latest",
    reg: Registry | None = None,
    scenario: Scenario | dict | str | None = None,
    n_sims: int = DEFAULT_SIMS,
    seed: int = DEFAULT_SEED,
    inputs: dict[str, str] | None = None,
    rag_thresholds: RagThresholds = RAG,
    history: bool = False,
) -> ForecastTables:
    """Fit once and simulate every target: the attainment and trajectories tables, validated,
    and their forecast.json (``inputs``: name → sha256 of the input files, recorded as given);
    with ``history``, also the baseline forecasts as of the earlier months
    (:func:`compute_history`).

    ``reg`` gives the regions' parents and the indicators' natures (none: no parents, core
    indicators); ``as_of`` 'latest' is each plan's last month of progress.
    """
    if n_sims < 1:
        raise InputError("n_sims", f"{n_sims} is below 1", "a positive number of draws")
    if seed < 0:
        raise InputError("seed", f"{seed} is negative", "0 or more")
    sc = as_scenario(scenario)
    if sc is not None:
        check_scenario(
            sc,
            reg or default_registry(),
            regions=set(progress["region_id"].astype(str)) | set(targets["region_id"].astype(str)),
            indicators=set(progress["indicator_id"].astype(str))
            | set(targets["indicator_id"].astype(str)),
            plans=set(targets["plan_id"].astype(str)),
            source=Path(scenario).name if isinstance(scenario, (str, Path)) else sc.name,
        )
    fitted = fit(progress, as_of, reg=reg)
    att, traj, nf = simulate_all(
        fitted,
        targets,
        scenario=sc,
        n_sims=n_sims,
        seed=seed,
        rag_thresholds=rag_thresholds,
    )
    att = att.assign(n_sims=int(n_sims), seed=int(seed))
    att = validate(att, ATTAINMENT_TABLE)
    traj = validate(traj, TRAJECTORIES)
    resolved = {
        str(p): str(m) for p, m in att.groupby("plan_id", sort=True)["as_of"].first().items()
    }
    meta = {
        "format": FORMAT,
        "parameters": {
            "as_of": str(as_of),
            "scenario": sc.name if sc is not None else "baseline",
            "n_sims": int(n_sims),
            "seed": int(seed),
            "path_sims": min(int(n_sims), PATH_SIMS),
        },
        "as_of": resolved,
        "inputs": dict(sorted((inputs or {}).items())),
        "code": code_version(),
    }
    hist = None
    if history:
        base = att if sc is None else None  # a scenario's history is the baseline's
        hist = compute_history(
            progress,
            targets,
            resolved,
            reg=reg,
            n_sims=n_sims,
            seed=seed,
            current=base,
            rag_thresholds=rag_thresholds,
        )
    return ForecastTables(att, traj, meta, hist, nf)


def write(tables: ForecastTables, folder: str | Path) -> dict[str, Path]:
    """Write attainment.csv, trajectories.csv, then forecast.json (with the tables' checksums)
    into ``folder``; each file is replaced atomically."""
    folder = Path(folder)
    out = {
        ATTAINMENT_CSV: write_csv(tables.attainment, folder / ATTAINMENT_CSV),
        TRAJECTORIES_CSV: write_csv(tables.trajectories, folder / TRAJECTORIES_CSV),
        NOT_FORECAST_CSV: write_csv(tables.not_forecast, folder / NOT_FORECAST_CSV),
    }
    if tables.history is not None:
        out[HISTORY_CSV] = write_csv(tables.history, folder / HISTORY_CSV)
    meta = dict(tables.meta)
    meta["outputs"] = {name: sha256(path) for name, path in out.items()}
    meta["written"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    tables.meta = meta
    out[FORECAST_JSON] = write_text(
        folder / FORECAST_JSON, json.dumps(meta, ensure_ascii=False, indent=2) + "\n"
    )
    return out


def read_meta(folder: str | Path) -> dict[str, Any]:
    """A folder's forecast.json (InputError naming it when missing or not JSON)."""
    path = Path(folder) / FORECAST_JSON
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(
            str(path), "not found", "a forecast folder written by `ontrack forecast`"
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(str(path), f"unreadable ({exc})", "JSON written by ontrack") from None
    if not isinstance(meta, dict):
        raise InputError(str(path), "not a JSON object", "JSON written by ontrack")
    return meta


def read(folder: str | Path) -> ForecastTables:
    """The tables of a forecast folder, checked: their checksums must be those forecast.json
    records (a table changed or half-written since is an error), and each table must meet its
    contract (pandera schemas in ontrack.schema)."""
    folder = Path(folder)
    meta = read_meta(folder)
    recorded = meta.get("outputs") or {}
    frames = {}
    for name, schema in ((ATTAINMENT_CSV, ATTAINMENT_TABLE), (TRAJECTORIES_CSV, TRAJECTORIES)):
        path = folder / name
        if not path.is_file():
            raise InputError(str(path), "not found", "run `ontrack forecast` again")
        if recorded.get(name) != sha256(path):
            raise InputError(
                str(path),
                f"does not match the checksum in {FORECAST_JSON} (changed since it was written)",
                "run `ontrack forecast` again",
            )
        try:
            df = read_csv(path, dtype={**_STR, "as_of": str, "month": str, "scenario": str})
        except (ValueError, pd.errors.ParserError) as exc:
            raise InputError(str(path), f"unreadable ({exc})") from None
        for col in ("assumed", "illustrative"):
            if col in df:
                df[col] = df[col].astype(str).str.lower().isin(["true", "1", "yes"])
        frames[name] = validate(df, schema, str(path))
    hist = read_history(folder, recorded) if HISTORY_CSV in recorded else None
    return ForecastTables(
        frames[ATTAINMENT_CSV], frames[TRAJECTORIES_CSV], meta, hist, read_not_forecast(folder)
    )


def read_not_forecast(folder: str | Path) -> pd.DataFrame:
    """A folder's not_forecast.csv, checked against its forecast.json (empty when the folder
    has none)."""
    folder = Path(folder)
    path = folder / NOT_FORECAST_CSV
    recorded = (read_meta(folder).get("outputs") or {}).get(NOT_FORECAST_CSV)
    if recorded is None:
        return pd.DataFrame(columns=NF_COLUMNS)
    if recorded != sha256(path) if path.is_file() else True:
        raise InputError(
            str(path),
            f"missing or does not match the checksum in {FORECAST_JSON}",
            "run `ontrack forecast` again",
        )
    try:
        df = read_csv(path, dtype={**_STR, "as_of": str, "scenario": str, "missing": str},
                      keep_default_na=False)  # fmt: skip
    except (ValueError, pd.errors.ParserError) as exc:
        raise InputError(str(path), f"unreadable ({exc})") from None
    missing = set(NF_COLUMNS) - set(df.columns)
    if missing:
        raise InputError(str(path), f"missing column(s) {sorted(missing)}")
    for c in ("year_start", "year_end"):
        df[c] = pd.to_numeric(df[c]).astype(int)
    for c in ("target", "actual_known"):
        df[c] = pd.to_numeric(df[c]).astype(float)
    return df[NF_COLUMNS]


def staleness(folder: str | Path, parameters: dict[str, Any], inputs: dict[str, str]) -> str | None:
    """Why the folder's tables are not those of these parameters and input checksums made by
    this code (None when they are): missing, other parameters, changed inputs or code, or
    tables that are not those its forecast.json describes."""
    folder = Path(folder)
    try:
        meta = read_meta(folder)
    except InputError as exc:
        return exc.problem
    if meta.get("format") != FORMAT:
        return f"written in another format ({meta.get('format')!r})"
    want = {k: parameters[k] for k in ("as_of", "scenario", "n_sims", "seed")}
    have = {k: (meta.get("parameters") or {}).get(k) for k in want}
    if have != want:
        return f"made for other parameters ({have})"
    recorded = meta.get("inputs") or {}
    changed = sorted(k for k in set(inputs) | set(recorded) if inputs.get(k) != recorded.get(k))
    if changed:
        return "out of date: changed since: " + ", ".join(changed[:5])
    if (meta.get("code") or {}).get("fingerprint") != code_fingerprint():
        return "out of date: made by another version of the forecast code"
    outputs = meta.get("outputs") or {}
    for name in (
        ATTAINMENT_CSV,
        TRAJECTORIES_CSV,
        *([HISTORY_CSV] if HISTORY_CSV in outputs else []),
        *([NOT_FORECAST_CSV] if NOT_FORECAST_CSV in outputs else []),
    ):
        path = folder / name
        if not path.is_file():
            return f"{name} is missing"
        if outputs.get(name) != sha256(path):
            return f"{name} does not match the checksum in {FORECAST_JSON}"
    return None


def is_current(folder: str | Path, parameters: dict[str, Any], inputs: dict[str, str]) -> bool:
    """True when the folder holds tables for these parameters and input checksums, made by this
    code, and the tables are those its forecast.json describes (see :func:`staleness`)."""
    return staleness(folder, parameters, inputs) is None


# ---------------------------------------------------------------------------- inputs
def read_progress_table(path: str | Path) -> pd.DataFrame:
    """A progress table (docs/data-contracts.md), ids and months as text, checked."""
    path = Path(path)
    if not path.is_file():
        raise InputError(str(path), "not found", "a progress table (run `ontrack ingest` first)")
    try:
        df = read_csv(path, dtype={"region_id": str, "indicator_id": str, "month": str})
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(str(path), f"unreadable progress table ({exc})") from None
    if "illustrative" in df:
        df["illustrative"] = df["illustrative"].astype(str).str.lower().isin(["true", "1", "yes"])
    missing = [c for c in ("region_id", "indicator_id", "month", "value") if c not in df]
    if missing:
        raise InputError(
            str(path), f"missing column(s) {', '.join(missing)}", "docs/data-contracts.md"
        )
    if "source" not in df:
        df["source"] = ""
    return validate(df, PROGRESS, str(path))


def read_targets_table(path: str | Path) -> pd.DataFrame:
    """A targets table (docs/data-contracts.md), checked."""
    path = Path(path)
    if not path.is_file():
        raise InputError(str(path), "not found", "a targets table (run `ontrack targets` first)")
    try:
        return read_targets(path)
    except OntrackError as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(str(path), str(exc)) from None


def project_input_files(project: Project, scenario: str | Path | None = None) -> dict[str, Path]:
    """The files a project's forecast depends on, by their path in the project: the targets
    and progress tables, the files the registry is read from (parents, natures) and the
    scenario."""
    files = [project.targets_csv, project.progress_csv, project.indicators_csv]
    if project.plans_dir.is_dir():
        for plan in sorted(p for p in project.plans_dir.iterdir() if p.is_dir()):
            files += [plan / "plan.yml", plan / "regions.csv"]
    if scenario:
        files.append(Path(scenario))
    return {project.relative(f): f for f in files if f.is_file()}


def checksums(files: dict[str, Path]) -> dict[str, str]:
    """name → sha256 of each file."""
    return {name: sha256(path) for name, path in sorted(files.items())}


def load_inputs(project: Project) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(progress, targets) of a project (data/processed), checked."""
    return read_progress_table(project.progress_csv), read_targets_table(project.targets_csv)


def check_as_of(as_of: str, progress: pd.DataFrame, where: str = "--as-of", of: str = "") -> str:
    """The month a forecast may be as of, by the suite's one rule
    (:func:`ontrack.months.resolve_as_of`) over the months of ``progress``: 'latest' is the last
    month with data, a month after it is refused (``of`` names whose data, e.g. a plan)."""
    months = progress["month"].astype(str) if "month" in progress else ()
    return resolve_as_of(as_of, months, where=where, of=of)


def check_plans_as_of(
    as_of: str, progress: pd.DataFrame, targets: pd.DataFrame, reg: Registry
) -> None:
    """:func:`check_as_of` for each plan of ``targets`` that has progress (each plan is
    forecast from its own regions' data); InputErrors naming every plan it fails for."""
    errors = []
    for plan in sorted(set(targets["plan_id"].astype(str))):
        plan_progress, _ = plan_inputs(progress, targets, plan, reg)
        if plan_progress.empty:
            continue
        try:
            check_as_of(as_of, plan_progress, "--as-of", f"plan {plan}")
        except InputError as exc:
            errors.append(exc)
    raise_errors(errors)


def build_missing_inputs(project: Project) -> list[str]:
    """Build the targets and progress tables of a project where they are missing or out of
    date (a plan folder, a report, the indicators, ontrack or a library changed since they were
    made: :mod:`ontrack.stamps`), as ``ontrack targets`` and ``ontrack ingest`` (no arguments)
    would, from its data/raw. Returns the tables built (paths in the project)."""
    return [project.relative(outputs(project, t)[0]) for t, _ in ensure_tables(project)]


def resolve_scenario(scenario: str | Path | None, project: Project | None = None) -> Path | None:
    """A scenario path as given, else relative to the project root; InputError if neither."""
    if not scenario:
        return None
    for cand in (Path(scenario), *([project.root / scenario] if project else [])):
        if cand.is_file():
            return cand.resolve()
    raise InputError("--scenario", f"{scenario} not found", "a scenario YAML file")


def forecast_project(
    project: Project,
    *,
    as_of: str = "latest",
    scenario: str | Path | None = None,
    n_sims: int = DEFAULT_SIMS,
    seed: int = DEFAULT_SEED,
    out: str | Path | None = None,
) -> tuple[ForecastTables, dict[str, Path]]:
    """``ontrack forecast`` on a project: its tables and registry in (built first where missing:
    :func:`build_missing_inputs`), the tables written to ``out`` (default: the project's
    data/processed/)."""
    sc_path = resolve_scenario(scenario, project)
    build_missing_inputs(project)
    progress, targets = load_inputs(project)
    check_plans_as_of(as_of, progress, targets, project.registry())
    inputs = checksums(project_input_files(project, sc_path))
    tables = compute(
        progress,
        targets,
        as_of=as_of,
        reg=project.registry(),
        scenario=sc_path,
        n_sims=n_sims,
        seed=seed,
        inputs=inputs,
    )
    return tables, write(tables, Path(out) if out else project.forecast_dir)


# ---------------------------------------------------------------------------- briefing folders
def variant_name(scenario: str | Path | None, n_sims: int, seed: int) -> str:
    """'baseline' or the scenario file's stem, with '-n<sims>-s<seed>' unless the defaults."""
    name = "baseline"
    if scenario:
        name = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(scenario).stem).strip("._") or "scenario"
        if name == "baseline":
            name = "scenario-baseline"
    if (int(n_sims), int(seed)) != (DEFAULT_SIMS, DEFAULT_SEED):
        name += f"-n{int(n_sims)}-s{int(seed)}"
    return name


def folder_for(
    project: Project, as_of: str, scenario: str | Path | None, n_sims: int, seed: int
) -> Path:
    """data/processed/forecast/<as_of>/<variant>/ (see :func:`variant_name`)."""
    check_month(as_of)
    return project.processed / "forecast" / str(as_of) / variant_name(scenario, n_sims, seed)


def ensure(
    project: Project,
    as_of: str,
    *,
    scenario: str | Path | None = None,
    n_sims: int = DEFAULT_SIMS,
    seed: int = DEFAULT_SEED,
) -> tuple[Path, bool]:
    """The forecast folder for these parameters, computed (all plans, with history.csv) when
    missing or stale (inputs, parameters or code changed since its forecast.json); returns
    (folder, computed)."""
    sc_path = resolve_scenario(scenario, project)
    folder = folder_for(project, as_of, sc_path, n_sims, seed)
    inputs = checksums(project_input_files(project, sc_path))
    sc = as_scenario(sc_path)
    params = {
        "as_of": str(as_of),
        "scenario": sc.name if sc is not None else "baseline",
        "n_sims": int(n_sims),
        "seed": int(seed),
    }
    if is_current(folder, params, inputs):
        return folder, False
    progress, targets = load_inputs(project)
    tables = compute(
        progress,
        targets,
        as_of=as_of,
        reg=project.registry(),
        scenario=sc,
        n_sims=n_sims,
        seed=seed,
        inputs=inputs,
        history=True,  # a briefing's 较上月变化 and probability over the year
    )
    write(tables, folder)
    return folder, True


def plan_as_of(
    progress: pd.DataFrame, targets: pd.DataFrame, plan_id: str, reg: Registry, as_of: str
) -> str:
    """The month a plan is forecast as of: ``as_of`` itself (a month), or for 'latest' the last
    month of the progress of the plan's regions (:func:`ontrack.months.resolve_as_of`)."""
    if as_of != "latest":
        return check_month(as_of)
    plan_progress, _ = plan_inputs(progress, targets, plan_id, reg)
    return resolve_as_of(as_of, plan_progress["month"].astype(str), of=f"plan {plan_id}")


# ---------------------------------------------------------------------------- history
#: history.csv: a target's baseline forecast as it stood at the end of ``month``
HISTORY_COLUMNS: list[str] = [
    "plan_id",
    "region_id",
    "indicator_id",
    "year_start",
    "year_end",
    "level",
    "month",  # the as-of month of that forecast
    "target",
    "actual_to_date",
    "p_meet",
    "proj_p10",
    "proj_p50",
    "proj_p90",
    "rag",
    "next_p50",  # previous month only: median projected running total at the following month
]


#: draws behind the history's months other than the as-of month and the one before it
HISTORY_SIMS = 2_000


def history_months(as_of: str, first_progress: str | None = None) -> list[str]:
    """The as-of months of a plan's history: the December before the as-of year (the forecast
    at the start of the year) up to the as-of month, none before the first month of progress.
    2026-10 → 2025-12, 2026-01 … 2026-10."""
    end = month_index(as_of)
    start = month_index(f"{int(as_of[:4]) - 1}-12")
    if first_progress:
        start = max(start, month_index(first_progress))
    return [month_label(i) for i in range(start, end + 1)]


def compute_history(
    progress: pd.DataFrame,
    targets: pd.DataFrame,
    as_of: dict[str, str],
    *,
    reg: Registry | None = None,
    n_sims: int = DEFAULT_SIMS,
    seed: int = DEFAULT_SEED,
    current: pd.DataFrame | None = None,
    rag_thresholds: RagThresholds = RAG,
) -> pd.DataFrame:
    """The baseline forecast of every target of each plan as it stood at the end of each month
    of :func:`history_months` (plan id → its resolved as-of month in ``as_of``): the progress
    cut at that month, fitted and simulated as the forecast stage does (:func:`fit`,
    :func:`simulate_tables`), same draws and seed. The month before the as-of month also
    carries ``next_p50``, what that forecast expected the running total to be one month later
    (by the as-of month). The as-of month and the month before it use ``n_sims`` draws (their
    changes are read in 百分点); the earlier months, only drawn as a line over the year, use at
    most :data:`HISTORY_SIMS`. ``current``: the baseline attainment table as of the as-of month
    when already computed (rows copied, not simulated again)."""
    if not as_of:
        return pd.DataFrame(columns=HISTORY_COLUMNS)
    months = progress["month"].astype(str)
    first = str(months.min()) if len(months) else None
    wanted: dict[str, set[str]] = {}  # month → plans whose history includes it
    prev_of: dict[str, str] = {}  # plan → its previous month
    for plan, m in as_of.items():
        for h in history_months(m, first):
            wanted.setdefault(h, set()).add(plan)
        prev_of[plan] = month_label(month_index(m) - 1)
    frames = []
    for month in sorted(wanted):
        plans = wanted[month]
        is_current = {p for p in plans if as_of[p] == month}
        need = plans - is_current if current is not None else plans
        if current is not None and is_current:
            frames.append(current[current["plan_id"].isin(is_current)].assign(month=month))
        if not need:
            continue
        try:
            fitted = fit(progress, month, reg=reg)
        except (InputError, ValueError):
            continue  # no progress to fit as of that month
        t = targets[targets["plan_id"].astype(str).isin(need)]
        with_next = any(prev_of[p] == month for p in need)
        if with_next:
            att, traj = simulate_tables(
                fitted, t, n_sims=n_sims, seed=seed, rag_thresholds=rag_thresholds
            )
            nxt = month_label(month_index(month) + 1)
            key = ["plan_id", "region_id", "indicator_id", "year_start", "year_end", "level"]
            p50 = traj[traj["month"].astype(str) == nxt][[*key, "p50"]].rename(
                columns={"p50": "next_p50"}
            )
            att = att.merge(p50, on=key, how="left")
            prev_plans = {p for p in need if prev_of[p] == month}
            att.loc[~att["plan_id"].isin(prev_plans), "next_p50"] = float("nan")
        else:
            exact = any(as_of[p] == month for p in need)
            sims = n_sims if exact else min(n_sims, HISTORY_SIMS)
            att = simulate_attainment(
                fitted, t, n_sims=sims, seed=seed, rag_thresholds=rag_thresholds
            )
        frames.append(att[att["plan_id"].isin(need)].assign(month=month))
    if not frames:
        return pd.DataFrame(columns=HISTORY_COLUMNS)
    out = pd.concat(frames, ignore_index=True)
    if "next_p50" not in out:
        out["next_p50"] = float("nan")
    out = out.reindex(columns=HISTORY_COLUMNS)
    return out.sort_values(["plan_id", "region_id", "indicator_id", "year_start", "year_end",
                            "level", "month"], kind="stable").reset_index(drop=True)  # fmt: skip


def read_history(folder: str | Path, recorded: dict[str, str] | None = None) -> pd.DataFrame:
    """A folder's history.csv, checked against the checksum its forecast.json records."""
    path = Path(folder) / HISTORY_CSV
    if not path.is_file():
        raise InputError(str(path), "not found", "run `ontrack forecast` again")
    if recorded is not None and recorded.get(HISTORY_CSV) != sha256(path):
        raise InputError(
            str(path),
            f"does not match the checksum in {FORECAST_JSON} (changed since it was written)",
            "run `ontrack forecast` again",
        )
    try:
        df = read_csv(path, dtype={**_STR, "month": str, "rag": str})
    except (ValueError, pd.errors.ParserError) as exc:
        raise InputError(str(path), f"unreadable ({exc})") from None
    missing = [c for c in HISTORY_COLUMNS if c not in df]
    if missing:
        raise InputError(str(path), f"missing column(s) {', '.join(missing)}", "history.csv")
    return df
