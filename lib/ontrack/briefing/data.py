"""The one place where the briefing calls the other stages (targets, progress, forecast).

Everything a briefing shows comes from a :class:`BriefingData` for a whole plan: computed once
per run (the forecast is the slow part), pickled to a run cache, and shared by every region's
notebook. To wire a different forecast in, change :func:`_forecast` only.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .. import __version__, paths, registry
from ..errors import InputError, OntrackError
from ..fileio import atomic_path, read_csv, sha256

CACHE_DIR = paths.DATA_PROCESSED / "cache"
QUALITY_CSV = paths.DATA_PROCESSED / "quality_report.csv"
CLEANING_CSV = paths.DATA_PROCESSED / "cleaning_log.csv"


@dataclass
class BriefingData:
    """All tables behind the briefings of one plan, for one as-of month and scenario."""

    plan: str
    as_of: str  # resolved YYYY-MM
    scenario: str  # path of the scenario YAML, "" = baseline
    n_sims: int
    seed: int
    targets: pd.DataFrame
    progress: pd.DataFrame
    attainment: pd.DataFrame
    trajectories: pd.DataFrame  # region_id, indicator_id, month, p10, p50, p90, actual (+ keys)
    quality: pd.DataFrame | None = None
    cleaning: pd.DataFrame | None = None
    inputs: dict[str, str] = field(default_factory=dict)  # name → sha256
    code: dict[str, str] = field(default_factory=dict)
    scenario_meta: dict[str, Any] = field(default_factory=dict)

    @property
    def illustrative(self) -> bool:
        """True when any number shown comes from illustrative (示例数据) progress."""
        for df in (self.attainment, self.progress):
            if "illustrative" in df and df["illustrative"].fillna(False).astype(bool).any():
                return True
        return False


# ---------------------------------------------------------------------------- code version
def _git_hash() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=paths.PROJ_ROOT,
            capture_output=True,
            text=True,
            timeout=5,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.strip() if out.returncode == 0 else ""


#: The code a briefing's numbers and layout depend on (relative to lib/ontrack). Other stages
#: (plans, progress) reach the briefing only through their outputs, whose checksums are inputs.
FINGERPRINT_PARTS = (
    "__init__.py",
    "registry.py",
    "schema.py",
    "targets.py",
    "forecast",
    "briefing",
)


def code_fingerprint() -> str:
    """sha256 over the briefing's code (:data:`FINGERPRINT_PARTS`, templates included) and the
    briefing notebook (12 hex digits). Edits elsewhere in the package do not invalidate reports."""
    pkg = Path(__file__).resolve().parents[1]
    files: list[Path] = []
    for part in FINGERPRINT_PARTS:
        p = pkg / part
        if p.is_file():
            files.append(p)
        elif p.is_dir():
            files += sorted(
                f
                for f in p.rglob("*")
                if f.is_file() and f.suffix in {".py", ".j2", ".css", ".json"}
            )
    nb = paths.NOTEBOOKS_DIR / "04_briefing.ipynb"
    h = hashlib.sha256()
    for p in [*files, nb]:
        if p.is_file():
            h.update(p.name.encode())
            h.update(p.read_bytes())
    return h.hexdigest()[:12]


def code_version() -> dict[str, str]:
    """ontrack version, git short hash (if any) and source fingerprint."""
    return {"version": __version__, "git": _git_hash(), "fingerprint": code_fingerprint()}


def code_label(code: dict[str, str]) -> str:
    """e.g. 'ontrack 0.1.0 (git 9056b69)'."""
    s = f"ontrack {code.get('version', __version__)}"
    if code.get("git"):
        s += f" (git {code['git']})"
    return s


# ---------------------------------------------------------------------------- inputs
def input_files(scenario: str = "") -> dict[str, Path]:
    """The files a briefing depends on (those that exist)."""
    files = {
        "targets.csv": paths.TARGETS_CSV,
        "progress.csv": paths.PROGRESS_CSV,
        "quality_report.csv": QUALITY_CSV,
        "cleaning_log.csv": CLEANING_CSV,
    }
    for p in sorted(paths.PLANS_DIR.glob("*.provenance.yml")):
        files[p.name] = p
    if scenario:
        files["scenario:" + Path(scenario).name] = Path(scenario)
    return {k: v for k, v in files.items() if v.is_file()}


def input_checksums(scenario: str = "") -> dict[str, str]:
    return {k: sha256(v) for k, v in input_files(scenario).items()}


def load_targets() -> pd.DataFrame:
    try:
        from ..targets import load_targets as _load
    except ImportError:
        _load = None
    if _load is not None:
        return _load()
    if not paths.TARGETS_CSV.is_file():
        raise InputError(str(paths.TARGETS_CSV), "not found", "run `make targets` first")
    return read_csv(paths.TARGETS_CSV)


def load_progress() -> pd.DataFrame:
    if not paths.PROGRESS_CSV.is_file():
        raise InputError(str(paths.PROGRESS_CSV), "not found", "run `make progress` first")
    df = read_csv(paths.PROGRESS_CSV, dtype={"month": str})
    if "illustrative" in df:
        df["illustrative"] = df["illustrative"].astype(str).str.lower().isin(["true", "1", "yes"])
    return df


def resolve_as_of(as_of: str, progress: pd.DataFrame, regions: list[str]) -> str:
    """'latest' → the last month with progress for any of the regions; a month stays itself."""
    if as_of != "latest":
        return as_of
    months = progress.loc[progress["region_id"].isin(regions), "month"]
    if months.empty:
        raise InputError(
            "progress.csv", "no progress rows for the plan's regions", "`make progress`"
        )
    return str(months.max())


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
        meta = yaml.safe_load(Path(scenario).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"scenario {scenario}", f"cannot be read: {exc}", "a YAML file") from None
    return meta if isinstance(meta, dict) else {"value": meta}


def _plan_inputs(
    targets: pd.DataFrame, progress: pd.DataFrame, plan: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(targets, progress) of the plan, chosen as the forecast chooses a plan's peer group."""
    try:
        from ..forecast import plan_inputs
    except ImportError as exc:
        raise OntrackError(f"the forecast stage is not available ({exc})") from None
    plan_progress, plan_targets = plan_inputs(progress, targets, plan)
    return plan_targets, plan_progress


def _forecast(
    progress: pd.DataFrame,
    targets: pd.DataFrame,
    as_of: str,
    scenario: str,
    n_sims: int,
    seed: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """attainment + trajectories from ontrack.forecast (the only calls into that stage).

    The model is fitted once; the attainment table is simulated from it, then the projection
    fan of every region × core indicator (baseline target of the as-of year, or the multi-year
    window containing it) with the same scenario, sims and seed.
    """
    try:
        from .. import forecast
        from ..schema import ATTAINMENT, validate
    except ImportError as exc:
        raise OntrackError(f"the forecast stage is not available ({exc})") from None
    sc = scenario or None
    fitted = forecast.fit(progress, as_of)
    # the plan's peer group fitted once; the attainment table and every fan use the same
    params = forecast.scenario_params(fitted, targets, sc)
    att = forecast.simulate_attainment(
        fitted, targets, scenario=sc, n_sims=n_sims, seed=seed, params=params
    )
    att = validate(att, ATTAINMENT)
    year = int(as_of[:4])
    parts = []
    keys = att[
        (att["level"] == "baseline") & (att["year_start"] <= year) & (att["year_end"] >= year)
    ]
    keys = keys[keys["indicator_id"].isin(registry.CORE_INDICATORS)]
    for (plan_id, region, ind), _ in keys.groupby(
        ["plan_id", "region_id", "indicator_id"], sort=False
    ):
        try:
            t = forecast.trajectories(
                fitted,
                targets,
                plan_id,
                region,
                ind,
                year,
                scenario=sc,
                n_sims=n_sims,
                seed=seed,
                params=params,
            )
        except InputError:  # no progress for that series: the chart falls back to the table
            continue
        parts.append(
            t.assign(plan_id=plan_id, region_id=region, indicator_id=ind, level="baseline")
        )
    traj = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    return att, traj


def compute_plan_data(
    plan: str, as_of: str, scenario: str = "", n_sims: int = 10_000, seed: int = 0
) -> BriefingData:
    """Load targets and progress and run the forecast for every region of ``plan``.

    The inputs are the plan's own (``ontrack.forecast.plan_inputs``: its targets, the progress of
    its peer group), from which the forecast gives exactly the numbers of ``ontrack forecast``
    on all plans' inputs. 'latest' is the last month of the plan's progress.
    """
    targets, progress = _plan_inputs(load_targets(), load_progress(), plan)
    regions = sorted(progress["region_id"].astype(str).unique())
    as_of = resolve_as_of(as_of, progress, regions)
    att, traj = _forecast(progress, targets, as_of, scenario, n_sims, seed)
    if "plan_id" in att:
        att = att[att["plan_id"] == plan].reset_index(drop=True)
    return BriefingData(
        plan=plan,
        as_of=as_of,
        scenario=scenario,
        n_sims=n_sims,
        seed=seed,
        targets=targets,
        progress=progress,
        attainment=att,
        trajectories=traj,
        quality=_read_optional(QUALITY_CSV),
        cleaning=_read_optional(CLEANING_CSV),
        inputs=input_checksums(scenario),
        code=code_version(),
        scenario_meta=read_scenario_meta(scenario),
    )


def cache_key(
    plan: str, as_of: str, scenario: str, n_sims: int, seed: int, inputs: dict, code: dict
) -> str:
    blob = json.dumps(
        [plan, as_of, scenario, n_sims, seed, inputs, code.get("fingerprint")], sort_keys=True
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def cached_plan_data(
    plan: str, as_of: str, scenario: str = "", n_sims: int = 10_000, seed: int = 0
) -> tuple[BriefingData, Path]:
    """The plan's data from the run cache (data/processed/cache/), computing it if missing.

    The key covers input checksums, parameters and the code fingerprint, so a stale cache is
    never used. 'latest' is keyed as given and resolved inside.
    """
    inputs = input_checksums(scenario)
    code = code_version()
    key = cache_key(plan, as_of, scenario, n_sims, seed, inputs, code)
    path = CACHE_DIR / f"briefing-{plan}-{key}.pkl"
    if path.is_file():
        try:
            return read_cache(path), path
        except Exception:  # a corrupt cache is recomputed, never trusted
            pass
    data = compute_plan_data(plan, as_of, scenario, n_sims, seed)
    write_cache(data, path)
    prune_cache()
    return data, path


def prune_cache(keep: int = 20) -> None:
    """Keep the ``keep`` most recent run caches (each code or input change makes a new one)."""
    files = sorted(CACHE_DIR.glob("briefing-*.pkl"), key=lambda p: p.stat().st_mtime, reverse=True)
    for p in files[keep:]:
        p.unlink(missing_ok=True)


def write_cache(data: BriefingData, path: str | Path) -> Path:
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        pickle.dump(data, f, protocol=pickle.HIGHEST_PROTOCOL)
    return Path(path)


def read_cache(path: str | Path) -> BriefingData:
    with open(path, "rb") as f:
        data = pickle.load(f)
    if not isinstance(data, BriefingData):
        raise OntrackError(f"{path}: not a briefing run cache")
    return data


def load_briefing_data(
    plan: str,
    region: str,
    as_of: str,
    scenario: str = "",
    n_sims: int = 10_000,
    seed: int = 0,
    cache: str = "",
) -> BriefingData:
    """The data behind one region's briefing: from ``cache`` if given, else computed (cached)."""
    data = read_cache(cache) if cache else cached_plan_data(plan, as_of, scenario, n_sims, seed)[0]
    if region not in set(data.targets["region_id"]) | {
        registry.PLANS[plan].region_id if plan in registry.PLANS else region
    }:
        raise InputError("parameter 'region'", f"no targets for {region!r} in plan {plan!r}")
    return data
