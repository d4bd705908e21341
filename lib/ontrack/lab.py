"""The scenario lab: explore what-ifs for one plan and region while you think.

A :class:`Lab` loads the targets and progress once, fits the forecast once and keeps the baseline
attainment. Every change (a pace factor, a pipeline project, a target override) is validated,
then only the scenario is re-simulated with the same seed, so baseline and scenario differ by the
scenario alone (common random numbers), not by Monte-Carlo noise. The scenario is saved as the
YAML that ``ontrack forecast --scenario`` and ``ontrack render --scenario`` read.

A lab works on a project (:class:`ontrack.project.Project`, found as every command finds it):
the project's targets and progress tables, its registry (region and indicator names, parents),
and its ``data/raw/scenarios/`` folder, where scenarios are saved; it never writes outside the
project.

The widget layer (:func:`ontrack.lab_widgets.widget`) only calls the public methods here, so
everything it does can be done, and is tested, without widgets. This module does not import it.
"""

from __future__ import annotations

import copy
import math
import os
import re
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import InputError, InputErrors
from .project import Project, find_project
from .registry import Registry
from .schema import TARGET_KEY
from .text import normalize

KEY = TARGET_KEY
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_PROJECT_FIELDS = ("region", "indicator", "month", "amount", "probability", "label")


# --------------------------------------------------------------------------- helpers


def _month_index(month: str) -> int:
    y, m = month.split("-")
    return int(y) * 12 + int(m) - 1


def _month_str(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _number(value: Any, where: str) -> float:
    """``value`` as a finite float, or an InputError naming ``where``."""
    if isinstance(value, bool):
        raise InputError(where, f"{value!r} is not a number", "a number")
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise InputError(where, f"{value!r} is not a number", "a number") from None
    if not math.isfinite(x):
        raise InputError(where, f"{value!r} is not a finite number", "a finite number")
    return x


def _forecast():
    """The forecast module (imported lazily: it is the slow, heavy part)."""
    from . import forecast

    return forecast


def _scenario_module():
    from .forecast import scenario

    return scenario


# --------------------------------------------------------------------------- the lab


class Lab:
    """What-if analysis for one plan and region (and its sub-regions, e.g. townships).

    ``project`` is a :class:`~ontrack.project.Project` or its folder; None (or "") finds it as
    a command does (``$ONTRACK_PROJECT``, else the nearest ``ontrack.toml`` above the current
    folder). ``plan`` "" is the project's first plan (``ontrack.toml``), ``region`` "" the plan's
    own region. ``as_of`` is ``"latest"`` (the last month with progress in any region of the
    plan, as in the briefing) or a ``YYYY-MM`` month. ``targets`` / ``progress`` default to the
    project's ``data/processed/targets.csv`` (built first if missing) and
    ``data/processed/progress.csv``; pass DataFrames (or paths; relative ones are read from the
    project folder) to work on other data. The inputs are those of the briefing (the plan's
    targets, the progress of the plan's regions), so for the same scenario, ``n_sims`` and
    ``seed`` the lab shows the briefing's numbers.
    """

    def __init__(
        self,
        plan: str = "",
        region: str = "",
        as_of: str = "latest",
        n_sims: int = 10_000,
        seed: int = 0,
        *,
        project: Project | str | os.PathLike | None = None,
        targets: pd.DataFrame | str | os.PathLike | None = None,
        progress: pd.DataFrame | str | os.PathLike | None = None,
        name: str = "scenario",
        description: str = "",
    ) -> None:
        self.project = project if isinstance(project, Project) else find_project(project or None)
        #: the project's ids: names, parents (regions.csv), units and natures of indicators
        self.reg: Registry = self.project.registry()
        self.plan = str(plan).strip() or self.project.default_plan()
        self.n_sims = int(_number(n_sims, "n_sims"))
        if self.n_sims < 100:
            raise InputError("n_sims", f"{n_sims} draws are too few", "at least 100")
        self.seed = int(_number(seed, "seed"))
        self.name = str(name)
        self.description = str(description)
        self.timings: list[dict[str, Any]] = []

        t0 = time.perf_counter()
        all_targets = self._load_targets(targets)
        plan_targets = all_targets[all_targets["plan_id"] == self.plan]
        if plan_targets.empty:
            plans = sorted(all_targets["plan_id"].astype(str).unique())
            raise InputError("plan", f"no targets for plan {plan!r}", f"one of {', '.join(plans)}")
        if not str(region).strip() and self.plan in self.reg.plans:
            region = self.reg.plans[self.plan].region_id
        self.region = self._resolve_region_arg(region, plan_targets)
        self.regions = self._scope(plan_targets)
        # The same inputs as the briefing (ontrack.briefing.data) and the same peer group as
        # `ontrack forecast`: the plan's targets inform the forecast's prior (pooled pace ratios)
        # and the progress of the plan's regions its fit (ontrack.forecast.plan_inputs), so the
        # lab's numbers equal the briefing's and the CLI's for the same scenario, draws and seed.
        self.progress, _ = _forecast().plan_inputs(
            self._load_progress(progress), all_targets, self.plan, self.reg
        )
        #: every target of the plan (for the prior); ``targets``: the lab's regions (simulated)
        self.plan_targets = plan_targets.reset_index(drop=True)
        self.targets = plan_targets[plan_targets["region_id"].isin(self.regions)].reset_index(
            drop=True
        )
        self.years = self._plan_years(plan_targets)
        self.as_of = self._resolve_as_of(as_of)
        self._record("load", "targets and progress read", time.perf_counter() - t0)

        fc = _forecast()
        t0 = time.perf_counter()
        self.fitted = fc.fit(self.progress, self.as_of, reg=self.reg)
        self._record("fit", "forecast model fitted (once)", time.perf_counter() - t0)

        t0 = time.perf_counter()
        self._base_params = self._params(None)
        self.baseline = self._simulate(None)
        self._record("baseline", "baseline simulated (once)", time.perf_counter() - t0)
        if self.baseline.empty:
            raise InputError(
                "progress",
                f"no progress covers the targets of {self.region} in plan {self.plan}",
                "monthly progress rows for the region or its townships",
            )
        self.indicators = self._indicators()

        self._pace: list[dict[str, Any]] = []
        self._pipeline: list[dict[str, Any]] = []
        self._overrides: list[dict[str, Any]] = []
        self._deferred = False
        self._dirty = False
        self.scenario_table = self.baseline
        self._baseline_traj: dict[tuple, pd.DataFrame] = {}

    # ------------------------------------------------------------------ loading

    def _in_project(self, path: str | os.PathLike) -> Path:
        """``path``, a relative one taken from the project folder."""
        p = Path(path).expanduser()
        return p if p.is_absolute() else self.project.root / p

    def _load_targets(self, targets) -> pd.DataFrame:
        from .targets import load_targets, read_targets

        if isinstance(targets, pd.DataFrame):
            return targets.copy()
        if targets is None or str(targets) == "":
            return load_targets(self.project)
        path = self._in_project(targets)
        if not path.is_file():
            raise InputError(str(path), "file not found", "a targets CSV (ontrack targets)")
        return read_targets(path)

    def _load_progress(self, progress) -> pd.DataFrame:
        if isinstance(progress, pd.DataFrame):
            return progress.copy()
        from .fileio import read_csv

        if progress is None or str(progress) == "":
            path = self.project.progress_csv
        else:
            path = self._in_project(progress)
        if not path.is_file():
            raise InputError(
                str(path), "file not found", "the progress table (run `ontrack ingest`)"
            )
        df = read_csv(path, dtype={"month": str, "region_id": str, "indicator_id": str})
        if "illustrative" in df:  # as the briefing reads it: "True"/"False" text → bool
            df["illustrative"] = (
                df["illustrative"].astype(str).str.lower().isin(["true", "1", "yes"])
            )
        return df

    def _resolve_region_arg(self, region: str, plan_targets: pd.DataFrame) -> str:
        known = set(plan_targets["region_id"].astype(str))
        if region in known:
            return region
        rid = self.reg.match_region(str(region))
        if rid in known:
            return rid
        raise InputError(
            "region",
            f"{region!r} has no targets in plan {self.plan}",
            f"one of {', '.join(sorted(known))}",
        )

    def _scope(self, plan_targets: pd.DataFrame) -> list[str]:
        """The lab's region first, then its sub-regions (regions.csv parents) that have targets,
        in registry order."""
        present = list(dict.fromkeys(plan_targets["region_id"].astype(str)))
        subs = [r for r in present if r != self.region and self.reg.parent(r) == self.region]
        order = {r: i for i, r in enumerate(self.reg.regions)}
        subs.sort(key=lambda r: (order.get(r, len(order)), r))
        return [self.region, *subs]

    def _plan_years(self, plan_targets: pd.DataFrame) -> tuple[int, ...]:
        if self.plan in self.reg.plans:
            return tuple(self.reg.plans[self.plan].years)
        lo, hi = int(plan_targets["year_start"].min()), int(plan_targets["year_end"].max())
        return tuple(range(lo, hi + 1))

    def _resolve_as_of(self, as_of: str) -> str:
        as_of = str(as_of).strip()
        months = self.progress["month"]
        if as_of in ("", "latest"):
            if months.empty:
                raise InputError(
                    "progress",
                    f"no progress rows for the regions of plan {self.plan}",
                    "monthly progress (run `ontrack ingest`)",
                )
            return str(max(months.astype(str)))
        if not _MONTH.match(as_of):
            raise InputError("as_of", f"{as_of!r} is not a month", "'latest' or YYYY-MM")
        return as_of

    def _indicators(self) -> list[str]:
        """Indicators the forecast covers here (core ones first, in registry order)."""
        found = set(self.baseline["indicator_id"].astype(str))
        core = list(self.reg.core_indicators)
        order = core + [i for i in self.reg.indicators if i not in core]
        return [i for i in order if i in found] + sorted(found - set(order))

    # ------------------------------------------------------------------ months

    @property
    def first_month(self) -> str:
        """The first month a scenario can change: the month after as_of (within the plan)."""
        start = max(_month_index(self.as_of) + 1, min(self.years) * 12)
        return _month_str(start)

    @property
    def last_month(self) -> str:
        return f"{max(self.years)}-12"

    def months(self) -> list[str]:
        """Months a pace change or a project may fall in: after as_of, up to the plan's end."""
        lo, hi = _month_index(self.first_month), _month_index(self.last_month)
        return [_month_str(i) for i in range(lo, hi + 1)]

    # ------------------------------------------------------------------ validation

    def _check_region(self, region: Any, where: str, star: bool = False) -> str:
        r = str(region).strip()
        if star and r in ("*", "all", "全部"):
            return "*"
        if r in self.regions:
            return r
        rid = self.reg.match_region(r)
        if rid in self.regions:
            return rid
        allowed = (["*"] if star else []) + self.regions
        raise InputError(where, f"unknown region {region!r}", f"one of {', '.join(allowed)}")

    def _check_indicator(self, indicator: Any, where: str, star: bool = False) -> str:
        i = str(indicator).strip()
        if star and i in ("*", "all", "全部"):
            return "*"
        if i in self.indicators:
            return i
        key = normalize(i, footnotes=True)
        for ind in self.indicators:
            if normalize(self.reg.indicator_name(ind), footnotes=True) == key:
                return ind
        allowed = (["*"] if star else []) + self.indicators
        raise InputError(
            where,
            f"unknown indicator {indicator!r} (or no forecast for it here)",
            f"one of {', '.join(allowed)}",
        )

    def _months_text(self) -> str:
        if not self.months():
            return f"none: as_of {self.as_of} is at or after the plan's last month"
        return f"a month from {self.first_month} to {self.last_month}"

    def _check_month(self, month: Any, where: str) -> str:
        m = str(month).strip()
        if not _MONTH.match(m):
            raise InputError(where, f"{month!r} is not a month", "YYYY-MM, e.g. 2026-09")
        if int(m[:4]) not in self.years:
            raise InputError(
                where,
                f"{m} is outside the plan's years {min(self.years)}–{max(self.years)}",
                self._months_text(),
            )
        if _month_index(m) <= _month_index(self.as_of):
            raise InputError(
                where,
                f"{m} is not after as_of {self.as_of} (the past is already in the progress data)",
                self._months_text(),
            )
        return m

    # ------------------------------------------------------------------ scenario state

    @property
    def pace(self) -> list[dict[str, Any]]:
        return copy.deepcopy(self._pace)

    @property
    def pipeline(self) -> list[dict[str, Any]]:
        return copy.deepcopy(self._pipeline)

    @property
    def overrides(self) -> list[dict[str, Any]]:
        return copy.deepcopy(self._overrides)

    def scenario_dict(self) -> dict[str, Any]:
        """The scenario as the plain dict of the scenario YAML."""
        return {
            "name": self.name,
            "description": self.description,
            "pace": copy.deepcopy(self._pace),
            "pipeline": copy.deepcopy(self._pipeline),
            "targets": copy.deepcopy(self._overrides),
        }

    @property
    def scenario(self):
        """The current scenario (an ``ontrack.forecast.scenario.Scenario``)."""
        return _scenario_module().load_scenario(self.scenario_dict())

    def is_empty(self) -> bool:
        return not (self._pace or self._pipeline or self._overrides)

    def pace_factor(self, region: str, indicator: str) -> tuple[float, str]:
        """The first rule (by from-month) of exactly this region × indicator: (factor, from);
        (1.0, first month) if there is none."""
        rules = [p for p in self._pace if (p["region"], p["indicator"]) == (region, indicator)]
        if not rules:
            return 1.0, self.first_month
        first = min(rules, key=lambda p: p["from"])
        return float(first["factor"]), str(first["from"])

    # ------------------------------------------------------------------ changes

    @contextmanager
    def _change(self, what: str) -> Iterator[None]:
        """Apply a change to the scenario state; re-simulate; undo it if anything fails."""
        saved = (copy.deepcopy(self._pace), copy.deepcopy(self._pipeline))
        saved += (copy.deepcopy(self._overrides), self.name, self.description)
        try:
            yield
            if self._deferred:
                self._dirty = True
            else:
                self._recompute(what)
        except BaseException:
            self._pace, self._pipeline, self._overrides, self.name, self.description = saved
            raise

    @contextmanager
    def batch(self, what: str = "batch of changes") -> Iterator[Lab]:
        """Make several changes, re-simulating once at the end."""
        outer = self._deferred
        self._deferred = True
        try:
            yield self
        finally:  # also after an error: the tables must match the changes that were made
            self._deferred = outer
            if not outer and self._dirty:
                self._recompute(what)

    def set_pace(
        self, region: str, indicator: str, from_month: str | None = None, factor: float = 1.0
    ) -> None:
        """Future monthly pace of ``region`` × ``indicator`` (``'*'`` for all) × ``factor``.

        Applies from ``from_month`` (default: the month after as_of) until a later rule takes
        over: a series can have several rules (e.g. 0 from 2026-11, 1 again from 2027-01). A rule
        for the same region, indicator and from-month replaces the old one in place; new rules
        are added at the end. A county's rule applies to its townships too. Where rules overlap,
        the forecast uses the one with the latest ``from``, then the later in the list. A factor
        of 1 that overlaps no other rule changes nothing and is dropped.
        """
        region = self._check_region(region, "pace region", star=True)
        indicator = self._check_indicator(indicator, "pace indicator", star=True)
        from_month = self._check_month(
            self.first_month if from_month in (None, "") else from_month, "pace from-month"
        )
        factor = _number(factor, "pace factor")
        if factor < 0:
            raise InputError("pace factor", f"{factor:g} is negative", "a factor ≥ 0 (1 = as now)")
        rule = {"region": region, "indicator": indicator, "from": from_month, "factor": factor}
        key = (region, indicator, from_month)
        with self._change(f"pace {region} × {indicator} = {factor:g} from {from_month}"):
            keys = [(p["region"], p["indicator"], p["from"]) for p in self._pace]
            if key in keys:
                self._pace[keys.index(key)] = rule
            else:
                self._pace.append(rule)
            self._pace = self._tidy_pace(self._pace)

    def remove_pace(self, region: str, indicator: str, from_month: str | None = None) -> int:
        """Remove the pace rules of ``region`` × ``indicator`` (only the one from ``from_month``
        if given); returns how many were removed."""
        region = self._check_region(region, "pace region", star=True)
        indicator = self._check_indicator(indicator, "pace indicator", star=True)

        def hit(p: dict[str, Any]) -> bool:
            same = (p["region"], p["indicator"]) == (region, indicator)
            return same and from_month in (None, "", p["from"])

        n = sum(hit(p) for p in self._pace)
        if n:
            with self._change(f"pace {region} × {indicator} removed"):
                self._pace = self._tidy_pace([p for p in self._pace if not hit(p)])
        return n

    def _overlaps(self, a: dict[str, Any], b: dict[str, Any]) -> bool:
        ra, rb = a["region"], b["region"]
        region = "*" in (ra, rb) or ra == rb or self.region in (ra, rb)
        return region and (
            "*" in (a["indicator"], b["indicator"]) or a["indicator"] == b["indicator"]
        )

    def _tidy_pace(self, rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Drop factor-1 rules that overlap no other rule (they change nothing); keep order."""
        return [
            r
            for r in rules
            if r["factor"] != 1.0
            or any(o is not r and o["factor"] != 1.0 and self._overlaps(r, o) for o in rules)
        ]

    def clear_pace(self) -> None:
        """Remove every pace change."""
        with self._change("pace cleared"):
            self._pace = []

    def _check_project(self, fields: dict[str, Any]) -> dict[str, Any]:
        unknown = set(fields) - set(_PROJECT_FIELDS)
        if unknown:
            raise InputError(
                "project",
                f"unknown field(s) {', '.join(sorted(unknown))}",
                ", ".join(_PROJECT_FIELDS),
            )
        missing = [f for f in _PROJECT_FIELDS[:5] if fields.get(f) in (None, "")]
        if missing:
            raise InputError("project", f"missing {', '.join(missing)}", ", ".join(_PROJECT_FIELDS))
        region = self._check_region(fields["region"], "project region")
        indicator = self._check_indicator(fields["indicator"], "project indicator")
        month = self._check_month(fields["month"], "project month")
        amount = _number(fields["amount"], "project amount")
        if amount <= 0:
            unit = self.reg.unit(indicator) or "the indicator's unit"
            raise InputError(
                "project amount", f"{amount:g} is not positive", f"a positive amount in {unit}"
            )
        probability = _number(fields["probability"], "project probability")
        if not 0 <= probability <= 1:
            raise InputError(
                "project probability", f"{probability:g} is outside 0..1", "a probability in 0..1"
            )
        label = str(fields.get("label") or "").strip()
        return {
            "region": region,
            "indicator": indicator,
            "month": month,
            "amount": amount,
            "probability": probability,
            "label": label
            or f"{self.reg.region_name(region)} {self.reg.indicator_name(indicator)} {month}",
        }

    def add_project(
        self,
        region: str,
        indicator: str,
        month: str,
        amount: float,
        probability: float = 1.0,
        label: str = "",
    ) -> int:
        """Add a pipeline project (e.g. a building completing in ``month``); returns its index."""
        project = self._check_project(
            {
                "region": region,
                "indicator": indicator,
                "month": month,
                "amount": amount,
                "probability": probability,
                "label": label,
            }
        )
        with self._change(f"project added: {project['label']}"):
            self._pipeline.append(project)
        return len(self._pipeline) - 1

    def _check_index(self, index: Any) -> int:
        if isinstance(index, bool) or not isinstance(index, int):
            raise InputError("project", f"{index!r} is not a project number", "an integer")
        if not 0 <= index < len(self._pipeline):
            n = len(self._pipeline)
            raise InputError(
                "project",
                f"no project number {index}",
                f"0..{n - 1}" if n else "add a project first",
            )
        return index

    def edit_project(self, index: int, **fields: Any) -> None:
        """Change some fields of pipeline project ``index`` (e.g. ``month='2027-03'``)."""
        index = self._check_index(index)
        project = self._check_project({**self._pipeline[index], **fields})
        with self._change(f"project {index} edited: {', '.join(sorted(fields))}"):
            self._pipeline[index] = project

    def remove_project(self, index: int) -> None:
        """Remove pipeline project ``index``."""
        index = self._check_index(index)
        with self._change(f"project {index} removed"):
            del self._pipeline[index]

    def target_keys(self) -> pd.DataFrame:
        """The target rows a scenario can override (those the forecast covers here)."""
        return self.baseline[[*KEY, "target"]].reset_index(drop=True)

    def override_target(
        self,
        region: str,
        indicator: str,
        year_start: int,
        year_end: int | None = None,
        level: str = "baseline",
        value: float | None = None,
    ) -> None:
        """Replace one target's value in the scenario (``value=None`` removes the override)."""
        region = self._check_region(region, "target region")
        indicator = self._check_indicator(indicator, "target indicator")
        y0 = int(_number(year_start, "target year_start"))
        y1 = y0 if year_end in (None, "") else int(_number(year_end, "target year_end"))
        level = str(level).strip()
        keys = self.target_keys()
        hit = keys[
            (keys["region_id"] == region)
            & (keys["indicator_id"] == indicator)
            & (keys["year_start"].astype(int) == y0)
            & (keys["year_end"].astype(int) == y1)
            & (keys["level"] == level)
        ]
        if hit.empty:
            span = f"{y0}" if y0 == y1 else f"{y0}–{y1}"
            raise InputError(
                "target",
                f"plan {self.plan} has no {level} target for {region} {indicator} {span}",
                "one of the rows of lab.target_keys()",
            )
        if value is not None:
            v = _number(value, "target value")
            if v < 0:
                raise InputError("target value", f"{v:g} is negative", "a target ≥ 0")
        entry = {
            "plan": self.plan,
            "region": region,
            "indicator": indicator,
            "year_start": y0,
            "year_end": y1,
            "level": level,
        }
        what = f"target {region} {indicator} {y0}-{y1} {level}"
        with self._change(f"{what} = {value}" if value is not None else f"{what} restored"):
            self._overrides = [o for o in self._overrides if {k: o[k] for k in entry} != entry]
            if value is not None:
                self._overrides.append({**entry, "value": v})

    def set_name(self, name: str, description: str | None = None) -> None:
        """Name (and describe) the scenario; the briefing shows both."""
        name = str(name).strip()
        if not name:
            raise InputError("scenario name", "is empty", "a short name, e.g. 鳌江两栋楼推迟")
        self.name = name
        if description is not None:
            self.description = str(description)

    def reset(self) -> None:
        """Back to the baseline (an empty scenario)."""
        with self._change("reset"):
            self._pace, self._pipeline, self._overrides = [], [], []

    def apply(
        self,
        pace: Iterable[dict] = (),
        pipeline: Iterable[dict] = (),
        targets: Iterable[dict] = (),
        *,
        name: str | None = None,
        description: str | None = None,
    ) -> None:
        """Apply plain lists of changes (notebook parameters, a loaded scenario) in one go.

        Each entry goes through the same method a widget calls (:meth:`set_pace`,
        :meth:`add_project`, :meth:`override_target`); every bad entry is reported, naming it
        (``pipeline[1] ...``), and nothing is applied if any entry is bad.
        """
        errors: list[InputError] = []

        def run(where: str, fn, kwargs: Any, allowed: tuple[str, ...]) -> None:
            if not isinstance(kwargs, dict):
                errors.append(InputError(where, f"{kwargs!r} is not a mapping", "a dict"))
                return
            extra = set(kwargs) - set(allowed)
            if extra:
                errors.append(
                    InputError(
                        where, f"unknown key(s) {', '.join(sorted(extra))}", ", ".join(allowed)
                    )
                )
                return
            try:
                fn(**kwargs)
            except InputError as exc:
                errors.append(InputError(f"{where} {exc.where}", exc.problem, exc.expected))
            except TypeError as exc:
                errors.append(InputError(where, str(exc), ", ".join(allowed)))

        def pace_entry(region="*", indicator="*", factor=1.0, **kw):
            self.set_pace(region, indicator, kw.get("from", kw.get("from_month")), factor)

        def target_entry(plan=None, region=None, indicator=None, year_start=None, **kw):
            if plan not in (None, self.plan):
                raise InputError("plan", f"{plan!r} is not the lab's plan", self.plan)
            self.override_target(region, indicator, year_start, **kw)

        saved = (copy.deepcopy(self._pace), copy.deepcopy(self._pipeline))
        saved += (copy.deepcopy(self._overrides), self.name, self.description)
        with self.batch("parameters applied"):
            if name is not None:
                run(
                    "name",
                    self.set_name,
                    {"name": name, "description": description},
                    ("name", "description"),
                )
            elif description is not None:
                self.description = str(description)
            for i, p in enumerate(pace or ()):
                run(
                    f"pace[{i}]",
                    pace_entry,
                    p,
                    ("region", "indicator", "from", "from_month", "factor"),
                )
            for i, p in enumerate(pipeline or ()):
                run(f"pipeline[{i}]", self.add_project, p, _PROJECT_FIELDS)
            for i, t in enumerate(targets or ()):
                run(
                    f"targets[{i}]",
                    target_entry,
                    t,
                    ("plan", "region", "indicator", "year_start", "year_end", "level", "value"),
                )
            if errors:
                self._pace, self._pipeline, self._overrides, self.name, self.description = saved
                self._dirty = False
        if errors:
            raise errors[0] if len(errors) == 1 else InputErrors(errors)

    def load(self, path_or_dict: str | os.PathLike | dict) -> None:
        """Replace the lab's scenario by a saved one (validated like every other change).

        A relative path is read from the project folder."""
        if not isinstance(path_or_dict, dict):
            path_or_dict = self._in_project(path_or_dict)
        sc = _scenario_module().load_scenario(path_or_dict)
        d = sc.to_dict()
        with self.batch("scenario loaded"):
            self.reset()
            self.apply(
                d.get("pace") or [],
                d.get("pipeline") or [],
                d.get("targets") or [],
                name=d.get("name") or self.name,
                description=d.get("description") or "",
            )

    # ------------------------------------------------------------------ simulation

    def _params(self, scenario) -> dict:
        """Per-series posteriors; they depend on the targets, so only on the target overrides."""
        if (scenario is None or not scenario.targets) and hasattr(self, "_base_params"):
            return self._base_params
        from .forecast.scenario import apply_target_overrides
        from .forecast.simulate import prepare_targets, series_params

        t = prepare_targets(apply_target_overrides(prepare_targets(self.plan_targets), scenario))
        return series_params(self.fitted, t)

    def _trajectory_params(self, scenario) -> dict:
        """:meth:`_params`, cached for the baseline and the current scenario's overrides."""
        if scenario is None or not scenario.targets:
            return self._params(None)
        key = repr(scenario.targets)
        cached = getattr(self, "_traj_params", None)
        if cached is None or cached[0] != key:
            self._traj_params = (key, self._params(scenario))
        return self._traj_params[1]

    def _simulate(self, scenario, targets: pd.DataFrame | None = None) -> pd.DataFrame:
        table = _forecast().simulate_attainment(
            self.fitted,
            self.targets if targets is None else targets,
            scenario=scenario,
            n_sims=self.n_sims,
            seed=self.seed,
            params=self._params(scenario),
        )
        return table[table["region_id"].isin(self.regions)].reset_index(drop=True)

    def _touched(self, scenario) -> set[tuple[str, str]] | None:
        """The (region, indicator) series a scenario can change; None: possibly all of them.

        Every series has its own random stream and the baseline's draws are reused, so a series
        no pace rule or project reaches has exactly its baseline numbers. A rule for the lab's
        region (a county) reaches its townships; a township's rule reaches the county's total.
        Target overrides change the forecast's prior (pooled over regions): all series.
        """
        if scenario.targets:
            return None
        keys: set[tuple[str, str]] = set()
        for rule in [*scenario.pace, *scenario.pipeline]:
            inds = self.indicators if rule.indicator == "*" else [rule.indicator]
            everywhere = rule.region in ("*", self.region)
            regs = self.regions if everywhere else [rule.region, self.region]
            keys |= {(r, i) for r in regs for i in inds}
        return keys

    def _recompute(self, what: str) -> None:
        self._dirty = False
        t0 = time.perf_counter()
        if self.is_empty():
            self.scenario_table = self.baseline
            self._record(what, "nothing (empty scenario = baseline)", time.perf_counter() - t0)
            return
        sc = self.scenario
        touched = self._touched(sc)
        if touched is None:
            self.scenario_table = self._simulate(sc)
            done = f"scenario re-simulated, all {len(self.baseline)} targets"
        else:
            pairs = list(zip(self.targets["region_id"], self.targets["indicator_id"], strict=True))
            mask = [p in touched for p in pairs]
            sub = self._simulate(sc, self.targets[mask])
            bpairs = zip(self.baseline["region_id"], self.baseline["indicator_id"], strict=True)
            keep = self.baseline[[p not in touched for p in bpairs]].assign(scenario=sc.name)
            self.scenario_table = (
                pd.concat([keep, sub], ignore_index=True)
                .sort_values(KEY, kind="stable")
                .reset_index(drop=True)
            )
            done = f"scenario re-simulated, {len(sub)} of {len(self.baseline)} targets"
        self._record(what, f"{done} ({self.n_sims:,} draws)", time.perf_counter() - t0)

    def _record(self, change: str, recomputed: str, seconds: float) -> None:
        self.timings.append({"change": change, "recomputed": recomputed, "seconds": seconds})

    def timings_table(self) -> pd.DataFrame:
        """What was recomputed for each change and how long it took."""
        return pd.DataFrame(self.timings, columns=["change", "recomputed", "seconds"])

    # ------------------------------------------------------------------ results

    def required_pace(
        self,
        region: str,
        indicator: str,
        year: int,
        p: float = 0.8,
        from_month: str | None = None,
        level: str = "baseline",
        max_factor: float = 5.0,
        tol: float = 0.01,
    ) -> dict[str, Any]:
        """How much faster must a region go? The smallest pace factor (from ``from_month``, on
        top of the current scenario) that brings the probability of meeting its ``year`` target
        to ``p``. Found by bisection, re-simulating only that series; within Monte-Carlo noise.

        Returns a dict: factor (None if even ``max_factor`` is not enough), p_meet at that
        factor, p_meet now, from, target, and the scenario's current factor for comparison.
        Does not change the lab's scenario (apply it with :meth:`set_pace`).
        """
        region = self._check_region(region, "region")
        indicator = self._check_indicator(indicator, "indicator")
        from_month = self._check_month(
            self.first_month if from_month in (None, "") else from_month, "from-month"
        )
        year = int(_number(year, "year"))
        p = _number(p, "probability")
        if not 0 < p <= 1:
            raise InputError("probability", f"{p:g} is outside (0, 1]", "e.g. 0.8")
        t = self.scenario_table
        row = t[
            (t["region_id"] == region)
            & (t["indicator_id"] == indicator)
            & (t["year_start"].astype(int) == year)
            & (t["year_end"].astype(int) == year)
            & (t["level"] == level)
        ]
        if row.empty:
            raise InputError(
                "year", f"no {level} target for {region} {indicator} in {year}", "a plan year"
            )
        if int(from_month[:4]) > year:
            raise InputError("from-month", f"{from_month} is after {year}", f"a month in {year}")
        rows = self.targets[
            (self.targets["region_id"] == region) & (self.targets["indicator_id"] == indicator)
        ]
        base = self.scenario_dict()
        sc_mod = _scenario_module()

        def p_meet(factor: float) -> float:
            rule = {"region": region, "indicator": indicator, "from": from_month, "factor": factor}
            sc = sc_mod.load_scenario(
                {**base, "name": base["name"] or "solve", "pace": [*base["pace"], rule]}
            )
            out = self._simulate(sc, rows)
            hit = out[
                (out["region_id"] == region)
                & (out["year_start"] == year)
                & (out["year_end"] == year)
                & (out["level"] == level)
            ]
            return float(hit["p_meet"].iloc[0])

        t0 = time.perf_counter()
        now = float(row["p_meet"].iloc[0])
        result = {
            "region": region,
            "indicator": indicator,
            "year": year,
            "from": from_month,
            "target": float(row["target"].iloc[0]),
            "p_wanted": p,
            "p_meet_now": now,
            "factor": None,
            "p_meet_at_factor": None,
        }
        lo, hi = 0.0, float(max_factor)
        p_hi = p_meet(hi)
        if p_hi < p:
            result["p_meet_at_factor"] = p_hi
        elif (p_lo := p_meet(lo)) >= p:
            result.update(factor=0.0, p_meet_at_factor=p_lo)
        else:
            while hi - lo > tol:
                mid = (lo + hi) / 2
                p_mid = p_meet(mid)
                if p_mid >= p:
                    hi, p_hi = mid, p_mid
                else:
                    lo = mid
            result.update(factor=hi, p_meet_at_factor=p_hi)
        self._record(
            f"required pace {region} {indicator} {year} p≥{p:g}",
            "series re-simulated by bisection",
            time.perf_counter() - t0,
        )
        return result

    def results(self) -> pd.DataFrame:
        """Baseline and scenario side by side for the lab's region and its townships.

        One row per target the forecast covers: p_meet and proj_p50 of both, and the change.
        """
        b = self.baseline
        s = self.scenario_table
        cols = ["target", "actual_to_date", "p_meet", "proj_p10", "proj_p50", "proj_p90", "rag"]
        m = b[KEY + cols].merge(
            s[KEY + [c for c in cols if c in s.columns]],
            on=KEY,
            how="left",
            suffixes=("_baseline", "_scenario"),
        )
        m["p_meet_change"] = m["p_meet_scenario"] - m["p_meet_baseline"]
        m["proj_p50_change"] = m["proj_p50_scenario"] - m["proj_p50_baseline"]
        m.insert(2, "region", m["region_id"].map(self.reg.region_name))
        m.insert(4, "indicator", m["indicator_id"].map(self.reg.indicator_name))
        order = {r: i for i, r in enumerate(self.regions)}
        iorder = {r: i for i, r in enumerate(self.indicators)}
        m = m.sort_values(
            ["region_id", "indicator_id", "year_start", "year_end", "level"],
            key=lambda c: (
                c.map(order)
                if c.name == "region_id"
                else c.map(iorder)
                if c.name == "indicator_id"
                else c
            ),
        )
        keep = [
            *KEY[:2],
            "region",
            "indicator_id",
            "indicator",
            *KEY[3:],
            "target_baseline",
            "target_scenario",
            "actual_to_date_baseline",
            "p_meet_baseline",
            "p_meet_scenario",
            "p_meet_change",
            "proj_p50_baseline",
            "proj_p50_scenario",
            "proj_p50_change",
            "rag_baseline",
            "rag_scenario",
        ]
        out = m[keep].rename(columns={"actual_to_date_baseline": "actual_to_date"})
        return out.reset_index(drop=True)

    def changed(self, tol: float = 1e-9) -> pd.DataFrame:
        """The rows of :meth:`results` the scenario changes."""
        r = self.results()
        moved = (r["p_meet_change"].abs() > tol) | (r["proj_p50_change"].abs() > tol)
        moved |= (r["target_scenario"] - r["target_baseline"]).abs() > tol
        return r[moved].reset_index(drop=True)

    def _trajectory(self, region: str, indicator: str, year: int, scenario) -> pd.DataFrame:
        return _forecast().trajectories(
            self.fitted,
            self.plan_targets,
            self.plan,
            region,
            indicator,
            year,
            scenario=scenario,
            n_sims=self.n_sims,
            seed=self.seed,
            params=self._trajectory_params(scenario),
        )

    def trajectory_figure(
        self, indicator: str | None = None, year: int | None = None, region: str | None = None
    ):
        """Running total vs target for one indicator and year: baseline fan vs scenario fan.

        Defaults: the first indicator, the year of the first month after as_of, the lab's region.
        """
        # pyplot (not a bare Figure) so that Jupyter's inline backend knows how to show it; the
        # figure is closed at once so that it is shown once, as the value returned.
        import matplotlib.pyplot as plt

        region = self._check_region(region or self.region, "chart region")
        indicator = self._check_indicator(indicator or self.indicators[0], "chart indicator")
        default_year = min(int(self.first_month[:4]), max(self.years))
        year = int(_number(year or default_year, "chart year"))
        if year not in self.years:
            raise InputError("chart year", f"{year} is not a plan year", f"one of {self.years}")
        t0 = time.perf_counter()
        key = (region, indicator, year)
        if key not in self._baseline_traj:
            self._baseline_traj[key] = self._trajectory(region, indicator, year, None)
        base = self._baseline_traj[key]
        touched = None if self.is_empty() else self._touched(self.scenario)
        if self.is_empty() or (touched is not None and (region, indicator) not in touched):
            scen = base  # the scenario leaves this series' draws as they are
        else:
            scen = self._trajectory(region, indicator, year, self.scenario)

        tgt = float(base["target"].iloc[0]) if "target" in base.columns else None
        tgt_s = float(scen["target"].iloc[0]) if "target" in scen.columns else None

        with _cjk_rc():
            fig = plt.figure(figsize=(7.5, 4.2), dpi=100)
            plt.close(fig)
            ax = fig.add_subplot()
            x = list(range(len(base)))
            ax.fill_between(
                x,
                base["p10"],
                base["p90"],
                color="#9e9e9e",
                alpha=0.30,
                label="基线 baseline p10–p90",
            )
            ax.plot(x, base["p50"], color="#616161", lw=1.5, ls="--", label="基线 baseline p50")
            if scen is not base:
                ax.fill_between(
                    x,
                    scen["p10"],
                    scen["p90"],
                    color="#1f77b4",
                    alpha=0.25,
                    label=f"情景 {self.name} p10–p90",
                )
                ax.plot(x, scen["p50"], color="#1f77b4", lw=2, label=f"情景 {self.name} p50")
            if "actual" in base.columns:
                ax.plot(
                    x, base["actual"], color="black", lw=2.2, marker="o", ms=3, label="实际 actual"
                )
            if tgt is not None:
                ax.axhline(tgt, color="#d62728", lw=1.2, label=f"目标 target {tgt:g}")
            if tgt_s is not None and tgt_s != tgt:
                ax.axhline(
                    tgt_s,
                    color="#d62728",
                    lw=1.2,
                    ls=":",
                    label=f"情景目标 scenario target {tgt_s:g}",
                )
            ax.set_xticks(x)
            ax.set_xticklabels([str(m)[-2:] for m in base["month"]])
            unit = self.reg.unit(indicator) or ""
            ax.set_xlabel(f"{year} 月份 month")
            ax.set_ylabel(f"累计 running total ({unit})" if unit else "累计 running total")
            title = (
                f"{self.reg.region_name(region)} · {self.reg.indicator_name(indicator)} · {year}"
            )
            title += f"  (as of {self.as_of})"
            p = self._p_meet(region, indicator, year)
            if p is not None:
                pb, ps = p
                title += f"\n完成概率 p_meet: 基线 baseline {pb:.0%}"
                if scen is not base:
                    title += f" → 情景 scenario {ps:.0%}"
                elif not self.is_empty():
                    title += " (情景未涉及 not changed by the scenario)"
            ax.set_title(title, fontsize=11)
            ax.legend(fontsize=8, loc="upper left")
            ax.grid(alpha=0.3)
            fig.tight_layout()
        self._record(
            f"chart {region} {indicator} {year}", "trajectories simulated", time.perf_counter() - t0
        )
        return fig

    def _p_meet(self, region: str, indicator: str, year: int) -> tuple[float, float] | None:
        """Baseline and scenario p_meet of the yearly baseline-level target, if there is one."""
        r = self.results()
        r = r[
            (r["region_id"] == region)
            & (r["indicator_id"] == indicator)
            & (r["year_start"] == year)
            & (r["year_end"] == year)
            & (r["level"] == "baseline")
        ]
        if r.empty:
            return None
        return float(r["p_meet_baseline"].iloc[0]), float(r["p_meet_scenario"].iloc[0])

    # ------------------------------------------------------------------ saving

    def default_path(self) -> Path:
        """Where :meth:`save` writes without a path: ``data/raw/scenarios/<name>.yml``."""
        stem = re.sub(r'[\s/\\:*?"<>|]+', "-", self.name).strip("-.") or "scenario"
        return self.project.scenarios_dir / f"{stem}.yml"

    def save(self, path: str | os.PathLike | None = None) -> Path:
        """Write the scenario YAML read by ``ontrack forecast/render --scenario``.

        No path (or ""): :meth:`default_path`, in the project's ``data/raw/scenarios/``. A
        relative path is taken from the project folder; a path outside the project is refused
        (nothing is ever written outside it)."""
        if path is None or str(path).strip() == "":
            path = self.default_path()
        path = self._in_project(str(path).strip())
        if path.suffix.lower() not in (".yml", ".yaml"):
            raise InputError("scenario path", f"{path.name!r} is not a .yml/.yaml file", "*.yml")
        if not self.project.contains(path):
            raise InputError(
                "scenario path",
                f"{path} is outside the project {self.project.root}",
                f"a file inside the project, e.g. {self.project.relative(self.default_path())}",
            )
        t0 = time.perf_counter()
        _scenario_module().save_scenario(self.scenario, path)
        self._record(f"saved {path.name}", "nothing (file written)", time.perf_counter() - t0)
        return path

    def __repr__(self) -> str:
        return (
            f"Lab(plan={self.plan!r}, region={self.region!r}, as_of={self.as_of!r}, "
            f"n_sims={self.n_sims}, pace={len(self._pace)}, pipeline={len(self._pipeline)}, "
            f"targets={len(self._overrides)})"
        )


# --------------------------------------------------------------------------- charts


@contextmanager
def _cjk_rc() -> Iterator[None]:
    """Matplotlib settings for Chinese labels, only inside the block (no global side effects)."""
    import matplotlib as mpl

    from .errors import OntrackError
    from .fonts import cjk_family

    try:
        cjk = [cjk_family()]
    except OntrackError:
        cjk = []
    # Concrete family names (not "sans-serif"): text keeps them after the block, at draw time.
    with mpl.rc_context({"font.family": [*cjk, "DejaVu Sans"], "axes.unicode_minus": False}):
        yield


# --------------------------------------------------------------------------- bench


def bench_lab(
    plan: str = "",
    region: str = "",
    as_of: str = "latest",
    n_sims: int = 10_000,
    project: Project | str | os.PathLike | None = None,
) -> list[tuple[str, float, str]]:
    """Timings of the lab on a project's processed data: (what, seconds, note) for `make bench`.

    Defaults: the project found from the current folder, its first plan and that plan's
    region."""
    t0 = time.perf_counter()
    lab = Lab(plan, region, as_of, n_sims=n_sims, project=project)
    total = time.perf_counter() - t0
    by = {t["change"]: t["seconds"] for t in lab.timings}
    out = [
        ("lab: open (load + fit + baseline)", total, f"{lab.plan} {lab.region} as of {lab.as_of}"),
        ("lab: fit", by.get("fit", float("nan")), "once per lab"),
        ("lab: baseline", by.get("baseline", float("nan")), f"{n_sims:,} draws, once"),
    ]
    sub = lab.regions[1] if len(lab.regions) > 1 else lab.region
    ind = lab.indicators[0]
    month = lab.months()[min(len(lab.months()) - 1, 3)]
    key = lab.target_keys().iloc[0]
    changes = [
        ("township project", lambda: lab.add_project(sub, ind, month, 1.0, 0.8, "bench")),
        ("edit project", lambda: lab.edit_project(0, probability=0.5)),
        ("township pace", lambda: lab.set_pace(sub, ind, None, 1.2)),
        ("pace everywhere, all indicators", lambda: lab.set_pace("*", "*", None, 0.9)),
        (
            "target override",
            lambda: lab.override_target(
                key["region_id"],
                key["indicator_id"],
                int(key["year_start"]),
                int(key["year_end"]),
                key["level"],
                float(key["target"]) * 1.1,
            ),
        ),
    ]
    for name, fn in changes:
        t0 = time.perf_counter()
        fn()
        out.append(
            (f"lab: one change ({name})", time.perf_counter() - t0, lab.timings[-1]["recomputed"])
        )
    t0 = time.perf_counter()
    lab.trajectory_figure(ind, int(month[:4]), sub)
    out.append(("lab: trajectory chart", time.perf_counter() - t0, "baseline + scenario fans"))
    t0 = time.perf_counter()
    lab.trajectory_figure(ind, int(month[:4]), sub)
    out.append(("lab: trajectory chart again", time.perf_counter() - t0, "baseline fan cached"))
    return out


__all__ = ["KEY", "Lab", "bench_lab"]
