"""The lab's numbers: load once, fit once, then re-simulate only what a scenario reaches.

:class:`LabModel` reads a project's targets and progress (the briefing's inputs: the plan's targets
for the prior, the progress of the plan's regions for the fit), fits the forecast once and keeps
the baseline. For a scenario it re-simulates only the series the scenario reaches, with the same
seed, so the baseline and the scenario differ by the scenario alone (common random numbers), and
the numbers are those of ``ontrack forecast --scenario`` for the same draws and seed.

Caches (all keyed by what they depend on, so a change recomputes only what it reaches):

* the series parameters for each set of target overrides (``forecast.scenario_params``);
* the table of the overrides alone: a pace rule or a project added on top of overrides
  re-simulates only its series, the others keep the overrides' numbers;
* trajectories (chart fans) per target and scenario.

Only the forecast's public API is used (``fit``, ``plan_inputs``, ``scenario_params``,
``simulate_attainment``, ``trajectories``, ``Scenario``).
"""

from __future__ import annotations

import os
from collections import OrderedDict
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import InputError
from ..project import Project
from ..registry import Registry
from .state import KEY, LabInputError, Scope, number

#: results() columns, in order
RESULT_COLUMNS = [
    "plan_id",
    "region_id",
    "region",
    "indicator_id",
    "indicator",
    "year_start",
    "year_end",
    "level",
    "target_baseline",
    "target_scenario",
    "actual_to_date",
    "p_meet_baseline",
    "p_meet_scenario",
    "p_meet_change",
    "proj_p10_scenario",
    "proj_p50_baseline",
    "proj_p50_scenario",
    "proj_p50_change",
    "proj_p90_scenario",
    "rag_baseline",
    "rag_scenario",
    "closed",
    "changed",
]


def _forecast():
    """The forecast package (imported when a lab opens: it is the heavy part)."""
    from .. import forecast

    return forecast


class _Lru(OrderedDict):
    """A small least-recently-used cache."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def get_or(self, key: Any, make):
        if key in self:
            self.move_to_end(key)
            return self[key]
        value = make()
        self[key] = value
        while len(self) > self.size:
            self.popitem(last=False)
        return value


class LabModel:
    """Loads, fits and simulates for one plan and region; see :class:`ontrack.lab.Lab`."""

    def __init__(
        self,
        project: Project,
        plan: str,
        region: str,
        as_of: str,
        n_sims: int,
        seed: int,
        targets: pd.DataFrame | str | os.PathLike | None = None,
        progress: pd.DataFrame | str | os.PathLike | None = None,
    ) -> None:
        fc = _forecast()
        from ..forecast.model import parse_as_of

        self.project = project
        self.reg: Registry = project.registry()
        self.plan = str(plan).strip() or project.default_plan()
        self.n_sims = int(number(n_sims, "模拟次数 n_sims"))
        if self.n_sims < 100:
            raise LabInputError(
                "模拟次数 n_sims",
                f"{n_sims}次太少",
                f"{n_sims} draws are too few",
                "至少100",
                "≥ 100",
            )
        self.seed = int(number(seed, "随机种子 seed"))
        all_targets = self._load_targets(targets)
        plan_targets = all_targets[all_targets["plan_id"] == self.plan]
        if plan_targets.empty:
            plans = ", ".join(sorted(all_targets["plan_id"].astype(str).unique()))
            raise LabInputError(
                "计划 plan",
                f"没有计划“{plan}”的目标",
                f"no targets for plan {plan!r}",
                plans,
                plans,
            )
        if not str(region).strip() and self.plan in self.reg.plans:
            region = self.reg.plans[self.plan].region_id
        region = self._resolve_region(region, plan_targets)
        regions = self._scope_regions(region, plan_targets)
        # the briefing's inputs and the CLI's peer group: the same numbers for the same scenario
        all_progress = self._load_progress(progress)
        self.progress, _ = fc.plan_inputs(all_progress, all_targets, self.plan, self.reg)
        #: every target of the plan (the forecast's prior); ``targets``: the lab's regions
        self.plan_targets = plan_targets.reset_index(drop=True)
        self.targets = self.plan_targets[self.plan_targets["region_id"].isin(regions)]
        self.targets = self.targets.reset_index(drop=True)
        if self.progress.empty:
            raise LabInputError(
                "进度 progress",
                f"计划{self.plan}的地区没有进度数据",
                f"no progress rows for the regions of plan {self.plan}",
                "月度进度(先运行 ontrack ingest)",
                "monthly progress (run `ontrack ingest`)",
            )
        as_of = parse_as_of(str(as_of).strip() or "latest", self.progress, "as_of")

        # the project's seasonal profiles, the prior of the plan's own (as in the forecast)
        prior = fc.plan_season_prior(all_progress, all_targets, self.plan, as_of, self.reg)
        self.fitted = fc.fit(self.progress, as_of, reg=self.reg, season_prior=prior)
        self._params = _Lru(4)
        self._tables = _Lru(4)
        self._traj = _Lru(64)
        self.baseline = self._simulate(None, self.targets)
        if self.baseline.empty:
            raise LabInputError(
                "进度 progress",
                f"进度数据不涵盖{self.reg.region_name(region)}的目标",
                f"no progress covers the targets of {region} in plan {self.plan}",
                "该地区或其下辖乡镇的月度进度",
                "monthly progress rows for the region or its townships",
            )
        years = (
            tuple(self.reg.plans[self.plan].years)
            if self.plan in self.reg.plans
            else tuple(
                range(
                    int(plan_targets["year_start"].min()), int(plan_targets["year_end"].max()) + 1
                )
            )
        )
        self.scope = Scope(
            plan=self.plan,
            region=region,
            regions=tuple(regions),
            indicators=tuple(self._indicators()),
            years=years,
            as_of=as_of,
            reg=self.reg,
            keys=self.baseline[[*KEY, "target"]].reset_index(drop=True),
        )

    # ------------------------------------------------------------------ loading

    def in_project(self, path: str | os.PathLike) -> Path:
        """``path``, a relative one taken from the project folder."""
        p = Path(path).expanduser()
        return p if p.is_absolute() else self.project.root / p

    def _load_targets(self, targets) -> pd.DataFrame:
        from ..targets import load_targets, read_targets

        if isinstance(targets, pd.DataFrame):
            return targets.copy()
        if targets is None or str(targets) == "":
            return load_targets(self.project)
        path = self.in_project(targets)
        if not path.is_file():
            raise InputError(str(path), "file not found", "a targets CSV (ontrack targets)")
        return read_targets(path)

    def _load_progress(self, progress) -> pd.DataFrame:
        from ..forecast.store import build_missing_inputs, read_progress_table

        if isinstance(progress, pd.DataFrame):
            return progress.copy()
        if progress is None or str(progress) == "":
            build_missing_inputs(self.project)  # a new project: its tables from data/raw
            return read_progress_table(self.project.progress_csv)
        return read_progress_table(self.in_project(progress))

    def _resolve_region(self, region: str, plan_targets: pd.DataFrame) -> str:
        known = set(plan_targets["region_id"].astype(str))
        if region in known:
            return region
        rid = self.reg.match_region(str(region))
        if rid in known:
            return rid
        raise LabInputError(
            "地区 region",
            f"“{region}”在计划{self.plan}中没有目标",
            f"{region!r} has no targets in plan {self.plan}",
            "、".join(self.reg.short_name(r) for r in sorted(known)),
            ", ".join(sorted(known)),
        )

    def _scope_regions(self, region: str, plan_targets: pd.DataFrame) -> list[str]:
        """The lab's region first, then its sub-regions with targets, in registry order."""
        present = list(dict.fromkeys(plan_targets["region_id"].astype(str)))
        subs = [r for r in present if r != region and self.reg.parent(r) == region]
        order = {r: i for i, r in enumerate(self.reg.regions)}
        subs.sort(key=lambda r: (order.get(r, len(order)), r))
        return [region, *subs]

    def _indicators(self) -> list[str]:
        """Indicators the forecast covers here (core ones first, in registry order)."""
        found = set(self.baseline["indicator_id"].astype(str))
        core = list(self.reg.core_indicators)
        order = core + [i for i in self.reg.indicators if i not in core]
        return [i for i in order if i in found] + sorted(found - set(order))

    @property
    def illustrative(self) -> bool:
        p = self.progress
        return "illustrative" in p and bool(p["illustrative"].fillna(False).astype(bool).any())

    # ------------------------------------------------------------------ simulation

    def params(self, scenario) -> dict:
        """Per-series parameters; they depend on the targets, so only on the overrides."""
        key = repr(scenario.targets) if scenario is not None and scenario.targets else ""
        return self._params.get_or(
            key,
            lambda: _forecast().scenario_params(
                self.fitted, self.plan_targets, scenario if key else None
            ),
        )

    def _simulate(self, scenario, targets: pd.DataFrame) -> pd.DataFrame:
        table = _forecast().simulate_attainment(
            self.fitted,
            targets,
            scenario=scenario,
            n_sims=self.n_sims,
            seed=self.seed,
            params=self.params(scenario),
        )
        regions = set(self.targets["region_id"])
        return table[table["region_id"].isin(regions)].reset_index(drop=True)

    def touched(self, scenario) -> set[tuple[str, str]]:
        """The (region, indicator) series the scenario's pace rules and projects reach.

        Every series has its own random stream and reuses its draws, so a series none of them
        reaches has exactly the numbers of the scenario's target overrides alone. A rule for the
        lab's region (a county) reaches its townships; a township's reaches the county's total.
        """
        sc = self.scope
        keys: set[tuple[str, str]] = set()
        for rule in [*scenario.pace, *scenario.pipeline]:
            inds = sc.indicators if rule.indicator == "*" else (rule.indicator,)
            everywhere = rule.region in ("*", sc.region)
            regs = sc.regions if everywhere else (rule.region, sc.region)
            keys |= {(r, i) for r in regs for i in inds}
        return keys

    def _overrides_table(self, scenario) -> tuple[pd.DataFrame, int]:
        """The table of the scenario's target overrides alone (all series: the overrides move the
        pooled prior of every series of the plan), and how many targets were simulated for it."""
        if not scenario.targets:
            return self.baseline, 0
        from ..forecast import Scenario

        key = repr(scenario.targets)
        fresh = key not in self._tables
        only = Scenario(scenario.name, targets=scenario.targets)
        table = self._tables.get_or(key, lambda: self._simulate(only, self.targets))
        return table, len(table) if fresh else 0

    def run(self, scenario) -> tuple[pd.DataFrame, int]:
        """The scenario's attainment table for the lab's regions, and how many targets were
        simulated for it (0: every number was reused)."""
        if scenario is None:
            return self.baseline, 0
        base, simulated = self._overrides_table(scenario)
        touched = self.touched(scenario)
        if not touched:
            return base.assign(scenario=scenario.name), simulated
        pairs = list(zip(self.targets["region_id"], self.targets["indicator_id"], strict=True))
        sub = self._simulate(scenario, self.targets[[p in touched for p in pairs]])
        # the forecast adds a target override's row when the targets given lack it: keep only the
        # series simulated here (the others are in ``base``)
        spairs = zip(sub["region_id"], sub["indicator_id"], strict=True)
        sub = sub[[p in touched for p in spairs]]
        bpairs = zip(base["region_id"], base["indicator_id"], strict=True)
        keep = base[[p not in touched for p in bpairs]].assign(scenario=scenario.name)
        table = pd.concat([keep, sub], ignore_index=True).sort_values(KEY, kind="stable")
        return table.reset_index(drop=True), max(simulated, len(sub))

    def trajectory(self, region: str, indicator: str, year: int, scenario) -> pd.DataFrame:
        """Monthly running-total quantiles (month, p10, p50, p90, actual, target) of one target
        under ``scenario`` (None: the baseline); cached by everything they depend on."""
        if (
            scenario is not None
            and not scenario.targets
            and (region, indicator) not in (self.touched(scenario))
        ):
            scenario = None  # the scenario leaves this series' draws as they are
        sig = "" if scenario is None else repr((scenario.pace, scenario.pipeline, scenario.targets))
        return self._traj.get_or(
            (region, indicator, int(year), sig),
            lambda: _forecast().trajectories(
                self.fitted,
                self.plan_targets,
                self.plan,
                region,
                indicator,
                int(year),
                scenario=scenario,
                n_sims=self.n_sims,
                seed=self.seed,
                params=self.params(scenario),
            ),
        )

    def same_trajectory(self, region: str, indicator: str, scenario) -> bool:
        """True when ``scenario`` leaves this series' chart as the baseline's."""
        return scenario is None or (
            not scenario.targets and (region, indicator) not in self.touched(scenario)
        )

    # ------------------------------------------------------------------ results

    def results(self, table: pd.DataFrame) -> pd.DataFrame:
        """Baseline and ``table`` (a scenario's) side by side, one row per target; ``closed``:
        the period is over; ``changed``: the scenario moves its target, probability or median."""
        b, s = self.baseline, table
        cols = ["target", "actual_to_date", "p_meet", "proj_p10", "proj_p50", "proj_p90", "rag"]
        m = b[KEY + cols].merge(
            s[KEY + cols], on=KEY, how="left", suffixes=("_baseline", "_scenario")
        )
        m["p_meet_change"] = m["p_meet_scenario"] - m["p_meet_baseline"]
        m["proj_p50_change"] = m["proj_p50_scenario"] - m["proj_p50_baseline"]
        m["region"] = m["region_id"].map(self.reg.region_name)
        m["indicator"] = m["indicator_id"].map(self.reg.indicator_name)
        m["closed"] = m["year_end"].map(self.scope.closed).astype(bool)
        tol = 1e-9
        m["changed"] = (
            (m["p_meet_change"].abs() > tol)
            | (m["proj_p50_change"].abs() > tol)
            | ((m["target_scenario"] - m["target_baseline"]).abs() > tol)
        )
        order = {r: i for i, r in enumerate(self.scope.regions)}
        iorder = {r: i for i, r in enumerate(self.scope.indicators)}
        m = m.assign(
            _r=m["region_id"].map(order),
            _i=m["indicator_id"].map(iorder),
            _multi=(m["year_end"] != m["year_start"]).astype(int),
            _lvl=(m["level"] != "baseline").astype(int),
        ).sort_values(["_r", "_i", "_multi", "year_start", "_lvl"], kind="stable")
        m = m.rename(columns={"actual_to_date_baseline": "actual_to_date"})
        return m[RESULT_COLUMNS].reset_index(drop=True)

    # ------------------------------------------------------------------ how fast?

    def required_pace(
        self,
        scenario_dict: dict[str, Any],
        table: pd.DataFrame,
        region: str,
        indicator: str,
        year: int,
        p: float,
        from_month: str,
        level: str,
        max_factor: float,
        tol: float,
    ) -> dict[str, Any]:
        """See :meth:`ontrack.lab.Lab.required_pace` (inputs already checked)."""
        from ..forecast.scenario import load_scenario

        t = table
        row = t[
            (t["region_id"] == region)
            & (t["indicator_id"] == indicator)
            & (t["year_start"].astype(int) == year)
            & (t["year_end"].astype(int) == year)
            & (t["level"] == level)
        ]
        if row.empty:
            raise LabInputError(
                "年度 year",
                f"{self.reg.region_name(region)}{year}年没有{self.reg.indicator_name(indicator)}"
                "年度目标",
                f"no {level} target for {region} {indicator} in {year}",
                "有年度目标的年份",
                "a plan year with a yearly target",
            )

        def scenario(factor: float):
            rule = {"region": region, "indicator": indicator, "from": from_month, "factor": factor}
            return load_scenario(
                {
                    **scenario_dict,
                    "name": scenario_dict.get("name") or "solve",
                    "pace": [*scenario_dict.get("pace", []), rule],
                }
            )

        # the series' family: a township and the county summed from it, or a county and all of
        # its townships (a county's total is simulated from its townships' draws)
        reach = self.touched(scenario(1.0))
        pairs = zip(self.targets["region_id"], self.targets["indicator_id"], strict=True)
        rows = self.targets[[p in reach for p in pairs]]

        def p_meet(factor: float) -> float:
            out = self._simulate(scenario(factor), rows)
            hit = out[
                (out["region_id"] == region)
                & (out["year_start"] == year)
                & (out["year_end"] == year)
                & (out["level"] == level)
            ]
            return float(hit["p_meet"].iloc[0])

        result: dict[str, Any] = {
            "region": region,
            "indicator": indicator,
            "year": year,
            "from": from_month,
            "target": float(row["target"].iloc[0]),
            "p_wanted": p,
            "p_meet_now": float(row["p_meet"].iloc[0]),
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
        return result


__all__ = ["RESULT_COLUMNS", "LabModel"]
