"""``Lab``: the scenario being edited (:mod:`.state`) and its numbers (:mod:`.model`) together.

Every change (a pace factor, a pipeline project, a target override) is checked, applied to the
state, and re-simulated at once (only what it reaches); a refused change changes nothing. The
notebook's parameters, the widgets (:mod:`.widgets`) and a loaded scenario all go through the
same methods, so everything the widgets do can be done, and is tested, without them.
"""

from __future__ import annotations

import copy
import os
import re
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import InputError, InputErrors, raise_errors
from ..forecast.scenario import load_scenario, reserved_name, save_scenario
from ..project import Project, find_project
from .model import LabModel
from .state import (
    KEY,
    PROJECT_FIELDS,
    ChartData,
    LabInputError,
    NeedsConfirmation,
    ScenarioState,
    number,
)


class Lab:
    """What-if analysis for one plan and region (and its sub-regions, e.g. townships).

    ``project`` is a :class:`~ontrack.project.Project` or its folder; None (or "") finds it as a
    command does (``$ONTRACK_PROJECT``, else the nearest ``ontrack.toml`` above the current
    folder). ``plan`` "" is the project's first plan, ``region`` "" the plan's own region.
    ``as_of`` is ``"latest"`` (the last month with progress in any region of the plan, as in the
    briefing) or a ``YYYY-MM`` month. ``targets`` / ``progress`` default to the project's
    processed tables; pass DataFrames (or paths, relative ones from the project folder) to work
    on other data. For the same scenario, ``n_sims`` and ``seed`` the lab shows the briefing's
    numbers.
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
        name: str = "情景",
        description: str = "",
    ) -> None:
        t0 = time.perf_counter()
        self.project = project if isinstance(project, Project) else find_project(project or None)
        self.model = LabModel(self.project, plan, region, as_of, n_sims, seed, targets, progress)
        self.state = ScenarioState(self.model.scope, str(name), str(description))
        self.timings: list[dict[str, Any]] = []
        self.scenario_table = self.model.baseline
        #: goes up by one with every recomputation (views redraw when it moved)
        self.version = 0
        #: the file the scenario was last saved to (None before the first save)
        self.saved_path: Path | None = None
        self._deferred = False
        self._dirty = False
        self._record("打开 open", "读取、拟合、基线 load, fit, baseline", time.perf_counter() - t0)

    # ------------------------------------------------------------------ what the lab covers

    # read-only views of what the model loaded (the model owns them)
    scope = property(lambda self: self.model.scope, doc="what the lab covers (state.Scope)")
    reg = property(lambda self: self.model.reg, doc="the project's registry")
    plan = property(lambda self: self.model.plan)
    region = property(lambda self: self.model.scope.region)
    as_of = property(lambda self: self.model.scope.as_of)
    years = property(lambda self: self.model.scope.years)
    n_sims = property(lambda self: self.model.n_sims)
    seed = property(lambda self: self.model.seed)
    baseline = property(lambda self: self.model.baseline, doc="the baseline attainment table")
    fitted = property(lambda self: self.model.fitted, doc="the forecast's fit (made once)")
    targets = property(lambda self: self.model.targets, doc="the targets of the lab's regions")
    plan_targets = property(lambda self: self.model.plan_targets, doc="the plan's targets")
    progress = property(lambda self: self.model.progress, doc="the plan's regions' progress")

    @property
    def regions(self) -> list[str]:
        return list(self.scope.regions)

    @property
    def indicators(self) -> list[str]:
        return list(self.scope.indicators)

    @property
    def first_month(self) -> str:
        """The first month a scenario can change: the month after as_of (within the plan)."""
        return self.scope.first_month

    @property
    def last_month(self) -> str:
        return self.scope.last_month

    def months(self) -> list[str]:
        """Months a pace change or a project may fall in: after as_of, up to the plan's end."""
        return self.scope.months()

    @property
    def illustrative(self) -> bool:
        """True when the progress is illustrative (示例数据)."""
        return self.model.illustrative

    def target_keys(self) -> pd.DataFrame:
        """The targets a scenario can name (those the forecast covers here), their baseline
        value, and ``closed``: the period is over, its target can no longer be changed."""
        k = self.scope.keys.copy()
        k["closed"] = k["year_end"].map(self.scope.closed).astype(bool)
        return k

    # ------------------------------------------------------------------ the scenario

    name = property(
        lambda self: self.state.name,
        lambda self, v: setattr(self.state, "name", str(v)),
        doc="the scenario's name (the briefing shows it)",
    )
    description = property(
        lambda self: self.state.description,
        lambda self, v: setattr(self.state, "description", str(v)),
        doc="one line on what the scenario assumes",
    )

    @property
    def pace(self) -> list[dict[str, Any]]:
        return copy.deepcopy(self.state.pace)

    @property
    def pipeline(self) -> list[dict[str, Any]]:
        return copy.deepcopy(self.state.pipeline)

    @property
    def overrides(self) -> list[dict[str, Any]]:
        return copy.deepcopy(self.state.overrides)

    def scenario_dict(self) -> dict[str, Any]:
        """The scenario as the plain dict of the scenario YAML."""
        return self.state.to_dict()

    @property
    def scenario(self):
        """The current scenario (an ``ontrack.forecast.Scenario``)."""
        return self.state.scenario()

    def is_empty(self) -> bool:
        return self.state.is_empty()

    def pace_factor(
        self, region: str, indicator: str, from_month: str | None = None
    ) -> tuple[float, str]:
        """(factor, from) of exactly this region × indicator (the rule from ``from_month``, else
        its earliest rule); (1.0, the first open month) if there is none."""
        return self.state.pace_factor(region, indicator, from_month)

    def target_value(self, region: str, indicator: str, y0: int, y1: int, level: str) -> float:
        """The scenario's value of a target: its override, else the plan's."""
        v = self.state.override_value(region, indicator, y0, y1, level)
        if v is not None:
            return v
        row = self.scope.key_row(region, indicator, y0, y1, level)
        return float("nan") if row is None else float(row["target"])

    # ------------------------------------------------------------------ changes

    @contextmanager
    def _change(self, what: str) -> Iterator[None]:
        """Apply a change to the state; re-simulate; undo it if anything fails."""
        saved = self.state.snapshot()
        try:
            yield
            if self._deferred:
                self._dirty = True
            else:
                self._recompute(what)
        except BaseException:
            self.state.restore(saved)
            raise

    @contextmanager
    def batch(self, what: str = "一组调整 batch of changes") -> Iterator[Lab]:
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
        rule = self.state.check_pace(region, indicator, from_month, factor)
        what = f"节奏 pace {rule['region']} × {rule['indicator']} = {rule['factor']:g}"
        with self._change(f"{what} ({rule['from']})"):
            self.state.set_pace(region, indicator, from_month, factor)

    def remove_pace(self, region: str, indicator: str, from_month: str | None = None) -> int:
        """Remove the pace rules of ``region`` × ``indicator`` (only the one from ``from_month``
        if given); returns how many were removed."""
        saved = self.state.snapshot()
        n = self.state.remove_pace(region, indicator, from_month)
        if n:
            self.state.restore(saved)
            with self._change(f"节奏规则删除 pace {region} × {indicator} removed"):
                self.state.remove_pace(region, indicator, from_month)
        return n

    def clear_pace(self) -> None:
        """Remove every pace change."""
        with self._change("节奏复原 pace cleared"):
            self.state.pace = []

    def add_project(
        self,
        region: str,
        indicator: str,
        month: str,
        amount: float,
        probability: float = 1.0,
        label: str = "",
        confirm: bool = False,
    ) -> int:
        """Add a pipeline project (e.g. a building completing in ``month``, ``amount`` in the
        indicator's unit); returns its index. An amount far beyond the region's yearly target
        raises :class:`~ontrack.lab.state.NeedsConfirmation` unless ``confirm``."""
        fields = dict(region=region, indicator=indicator, month=month, amount=amount)
        fields.update(probability=probability, label=label)
        project = self.state.check_project(fields, confirm)
        with self._change(f"项目添加 project added: {project['label']}"):
            self.state.pipeline = [*self.state.pipeline, project]
        return len(self.state.pipeline) - 1

    def edit_project(self, index: int, confirm: bool = False, **fields: Any) -> None:
        """Change some fields of pipeline project ``index`` (e.g. ``month='2027-03'``)."""
        index = self.state.check_index(index)
        self.state.check_project({**self.state.pipeline[index], **fields}, confirm)
        with self._change(f"项目修改 project {index} edited: {', '.join(sorted(fields))}"):
            self.state.edit_project(index, confirm, **fields)

    def remove_project(self, index: int) -> None:
        """Remove pipeline project ``index``."""
        index = self.state.check_index(index)
        with self._change(f"项目删除 project {index} removed"):
            self.state.remove_project(index)

    def override_target(
        self,
        region: str,
        indicator: str,
        year_start: int,
        year_end: int | None = None,
        level: str = "baseline",
        value: float | None = None,
        confirm: bool = False,
    ) -> None:
        """Replace one target's value in the scenario (``value=None`` restores the plan's).

        A target whose period is over is refused; a value far above the plan's target raises
        :class:`~ontrack.lab.state.NeedsConfirmation` unless ``confirm``."""
        what = f"目标 target {region} {indicator} {year_start}-{year_end or year_start} {level}"
        what += f" = {value}" if value is not None else " 恢复 restored"
        with self._change(what):
            self.state.override_target(
                region, indicator, year_start, year_end, level, value, confirm
            )

    def set_name(self, name: str, description: str | None = None) -> None:
        """Name (and describe) the scenario; the briefing shows both."""
        self.state.set_name(name, description)

    def reset(self) -> None:
        """Back to the baseline (an empty scenario)."""
        with self._change("复原 reset"):
            self.state.reset()

    def apply(
        self,
        pace: Iterable[dict] = (),
        pipeline: Iterable[dict] = (),
        targets: Iterable[dict] = (),
        *,
        name: str | None = None,
        description: str | None = None,
        confirm: bool = False,
    ) -> None:
        """Apply plain lists of changes (notebook parameters, a loaded scenario) in one go.

        Each entry goes through the same method a widget calls (:meth:`set_pace`,
        :meth:`add_project`, :meth:`override_target`); every bad entry is reported, naming it
        (``pipeline[1] ...``), and nothing is applied if any entry is bad. An entry may carry
        ``confirm: true`` to keep an implausible amount (``confirm`` here: all of them).
        """
        errors: list[InputError] = []

        def run(at: str, fn, kwargs: Any, allowed: tuple[str, ...]) -> None:
            if not isinstance(kwargs, dict):
                errors.append(InputError(at, f"{kwargs!r} is not a mapping", "a dict"))
                return
            extra = set(kwargs) - set(allowed)
            if extra:
                errors.append(
                    InputError(at, f"unknown key(s) {', '.join(sorted(extra))}", ", ".join(allowed))
                )
                return
            try:
                fn(**kwargs)
            except InputErrors as exc:
                errors.extend(
                    InputError(f"{at} {e.where}", e.problem, e.expected) for e in exc.errors
                )
            except InputError as exc:
                errors.append(InputError(f"{at} {exc.where}", exc.problem, exc.expected))
            except TypeError as exc:
                errors.append(InputError(at, str(exc), ", ".join(allowed)))

        def pace_entry(region="*", indicator="*", factor=1.0, **kw):
            self.set_pace(region, indicator, kw.get("from", kw.get("from_month")), factor)

        def project_entry(confirm_entry=False, **kw):
            self.add_project(**kw, confirm=confirm or confirm_entry)

        def target_entry(plan=None, region=None, indicator=None, year_start=None, **kw):
            if plan not in (None, self.plan):
                raise InputError("plan", f"{plan!r} is not the lab's plan", self.plan)
            kw["confirm"] = confirm or kw.get("confirm", False)
            self.override_target(region, indicator, year_start, **kw)

        saved = self.state.snapshot()
        with self.batch("参数已应用 parameters applied"):
            if name is not None:
                run(
                    "name",
                    self.set_name,
                    {"name": name, "description": description},
                    ("name", "description"),
                )
            elif description is not None:
                self.state.description = str(description)
            for i, p in enumerate(pace or ()):
                run(
                    f"pace[{i}]",
                    pace_entry,
                    p,
                    ("region", "indicator", "from", "from_month", "factor"),
                )
            for i, p in enumerate(pipeline or ()):
                if isinstance(p, dict) and "confirm" in p:
                    p = {
                        **{k: v for k, v in p.items() if k != "confirm"},
                        "confirm_entry": bool(p["confirm"]),
                    }
                run(f"pipeline[{i}]", project_entry, p, (*PROJECT_FIELDS, "confirm_entry"))
            for i, t in enumerate(targets or ()):
                run(
                    f"targets[{i}]",
                    target_entry,
                    t,
                    (
                        "plan",
                        "region",
                        "indicator",
                        "year_start",
                        "year_end",
                        "level",
                        "value",
                        "confirm",
                    ),
                )
            if errors:
                self.state.restore(saved)
                self._dirty = False
        raise_errors(errors)

    def load(self, path_or_dict: str | os.PathLike | dict) -> None:
        """Replace the lab's scenario by a saved one (checked like every other change; its
        amounts count as confirmed). A relative path is read from the project folder."""
        if not isinstance(path_or_dict, dict):
            path_or_dict = self.model.in_project(path_or_dict)
        d = load_scenario(path_or_dict).to_dict()
        saved = self.state.snapshot()
        try:
            with self.batch("情景已载入 scenario loaded"):
                self.state.reset()
                self._dirty = True
                self.apply(
                    d.get("pace") or [],
                    d.get("pipeline") or [],
                    d.get("targets") or [],
                    name=d.get("name") or self.name,
                    description=d.get("description") or "",
                    confirm=True,
                )
        except BaseException:
            self.state.restore(saved)
            self._recompute("载入失败,已复原 load failed, restored")
            raise

    # ------------------------------------------------------------------ simulation

    def _recompute(self, what: str) -> None:
        self._dirty = False
        t0 = time.perf_counter()
        if self.state.is_empty():
            self.scenario_table = self.model.baseline
            done = "无需重算(空情景即基线) nothing: an empty scenario is the baseline"
        else:
            self.scenario_table, n = self.model.run(self.scenario)
            total = len(self.model.baseline)
            done = (
                f"重算 {n}/{total} 个目标 scenario re-simulated, {n} of {total} targets "
                f"({self.n_sims:,} draws)"
                if n
                else "沿用已算结果 nothing re-simulated (numbers reused)"
            )
        self.version += 1
        self._record(what, done, time.perf_counter() - t0)

    def _record(self, change: str, recomputed: str, seconds: float) -> None:
        self.timings.append({"change": change, "recomputed": recomputed, "seconds": seconds})

    def timings_table(self) -> pd.DataFrame:
        """What was recomputed for each change and how long it took."""
        return pd.DataFrame(self.timings, columns=["change", "recomputed", "seconds"])

    # ------------------------------------------------------------------ results

    def results(self) -> pd.DataFrame:
        """Baseline and scenario side by side for the lab's region and its sub-regions: one row
        per target with target, p_meet, proj_p50 (and change), status colour (rag) of both,
        ``closed`` (the period is over) and ``changed`` (the scenario moves the row)."""
        return self.model.results(self.scenario_table)

    def changed(self) -> pd.DataFrame:
        """The rows of :meth:`results` the scenario changes."""
        r = self.results()
        return r[r["changed"]].reset_index(drop=True)

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
        """How much faster must a region go? The smallest pace factor (× the usual pace, from
        ``from_month`` on, on top of the rest of the scenario) that brings the probability of
        meeting its ``year`` target to ``p``. For a target already at ``p`` or above that factor
        is below 1 (the pace it could slow to). Found by bisection, re-simulating only that
        series; within Monte-Carlo noise.

        Returns a dict: factor (None if even ``max_factor`` is not enough), p_meet at that
        factor, p_meet now, p wanted, from, target. Does not change the scenario (apply it with
        :meth:`set_pace`).
        """
        s = self.scope
        region = s.check_region(region, "地区 region")
        indicator = s.check_indicator(indicator, "指标 indicator")
        from_month = self.state.check_pace(region, indicator, from_month, 1.0)["from"]
        year = int(number(year, "年度 year"))
        if year not in s.years or s.closed(year):
            raise LabInputError(
                "年度 year",
                f"{year}年已结束或不在计划内",
                f"{year} is over or not a plan year",
                "、".join(f"{y}年" for y in s.open_years) or "无",
                ", ".join(map(str, s.open_years)) or "none",
            )
        if int(from_month[:4]) > year:
            raise LabInputError(
                "起始月份 from-month", f"{from_month}晚于{year}年", f"{from_month} is after {year}"
            )
        p = number(p, "把握 probability")
        if not 0 < p <= 1:
            raise LabInputError(
                "把握 probability",
                f"{p:g}不在0到1之间",
                f"{p:g} is outside (0, 1]",
                "如0.8",
                "e.g. 0.8",
            )
        t0 = time.perf_counter()
        result = self.model.required_pace(
            self.scenario_dict(),
            self.scenario_table,
            region,
            indicator,
            year,
            p,
            from_month,
            str(level),
            float(max_factor),
            float(tol),
        )
        self._record(
            f"需多快 required pace {region} {indicator} {year} p≥{p:g}",
            "该序列二分重算 series re-simulated by bisection",
            time.perf_counter() - t0,
        )
        return result

    # ------------------------------------------------------------------ charts and views

    def chart_key(self, region: str, indicator: str, year: int) -> tuple:
        """What the chart of one target depends on: equal keys, equal charts."""
        sc = None if self.is_empty() else self.scenario
        same = self.model.same_trajectory(region, indicator, sc)
        sig = "" if same else repr((sc.pace, sc.pipeline, sc.targets))
        p = self._p_meet(region, indicator, int(year))
        return (region, indicator, int(year), sig, p, self.name)

    def trajectories(
        self, region: str, indicator: str, year: int
    ) -> tuple[pd.DataFrame, pd.DataFrame | None]:
        """(baseline, scenario) running-total fans of one target; the scenario's is None when
        the scenario leaves that series as it is."""
        sc = None if self.is_empty() else self.scenario
        base = self.model.trajectory(region, indicator, year, None)
        if self.model.same_trajectory(region, indicator, sc):
            return base, None
        return base, self.model.trajectory(region, indicator, year, sc)

    def _p_meet(self, region: str, indicator: str, year: int) -> tuple[float, float] | None:
        """Baseline and scenario p_meet of the yearly baseline-level target, if there is one."""
        b, s = self.model.baseline, self.scenario_table

        def pick(t: pd.DataFrame) -> pd.Series:
            return t[
                (t["region_id"] == region)
                & (t["indicator_id"] == indicator)
                & (t["year_start"] == year)
                & (t["year_end"] == year)
                & (t["level"] == "baseline")
            ]["p_meet"]

        pb, ps = pick(b), pick(s)
        if pb.empty or ps.empty:
            return None
        return float(pb.iloc[0]), float(ps.iloc[0])

    def chart_data(
        self, indicator: str | None = None, year: int | None = None, region: str | None = None
    ):
        """Everything one trajectory chart shows (:class:`~ontrack.lab.state.ChartData`).

        Defaults: the first indicator, the first open year, the lab's region."""
        s = self.scope
        region = s.check_region(region or s.region, "图 地区 chart region")
        indicator = s.check_indicator(indicator or s.indicators[0], "图 指标 chart indicator")
        default_year = s.open_years[0] if s.open_years else max(s.years)
        year = int(number(year or default_year, "图 年度 chart year"))
        if year not in s.years:
            raise LabInputError(
                "图 年度 chart year",
                f"{year}不是计划年度",
                f"{year} is not a plan year",
                "、".join(map(str, s.years)),
                ", ".join(map(str, s.years)),
            )
        t0 = time.perf_counter()
        base, scen = self.trajectories(region, indicator, year)
        self._record(
            f"图 chart {region} {indicator} {year}", "轨迹 trajectories", time.perf_counter() - t0
        )
        return ChartData(
            region=self.reg.region_name(region),
            indicator=self.reg.indicator_name(indicator),
            unit=s.unit(indicator),
            year=year,
            as_of=s.as_of,
            base=base,
            scen=scen,
            p_meet=self._p_meet(region, indicator, year),
            scenario_empty=self.is_empty(),
        )

    # ------------------------------------------------------------------ saving

    def default_path(self, name: str | None = None) -> Path:
        """Where :meth:`save` writes without a path: ``data/raw/scenarios/<name>.yml`` (the
        scenario's name, or ``name``, made a safe file name)."""
        name = self.name if name is None else str(name)
        stem = re.sub(r'[\s/\\:*?"<>|{}]+', "-", name).strip("-.") or "scenario"
        return self.project.scenarios_dir / f"{stem}.yml"

    def save(self, path: str | os.PathLike | None = None, overwrite: bool = False) -> Path:
        """Write the scenario YAML read by ``ontrack forecast/render --scenario``.

        No path (or ""): :meth:`default_path`, in the project's ``data/raw/scenarios/``. A
        relative path is taken from the project folder; a path outside the project is refused
        (nothing is ever written outside it), as is a name that is not ``.yml``/``.yaml``. A file
        that is already there (another scenario, an example) is replaced only with ``overwrite``
        (:class:`~ontrack.lab.state.NeedsConfirmation` otherwise), unless this lab wrote it."""
        if path is None or str(path).strip() == "":
            path = self.default_path()
        path = self.model.in_project(str(path).strip())
        if reserved_name(path):
            raise LabInputError(
                "文件 scenario path",
                f"“{path.name}”与简报的文件重名（<地区>.{path.stem}.html），请换一个名字",
                f"{path.name!r} would collide with the briefing's own files; another name",
            )
        if path.suffix.lower() not in (".yml", ".yaml"):
            raise LabInputError(
                "文件 scenario path",
                f"“{path.name}”不是 .yml 文件",
                f"{path.name!r} is not a .yml/.yaml file",
                "以 .yml 结尾的文件名",
                "*.yml",
            )
        if not self.project.contains(path):
            rel = self.project.relative(self.default_path())
            raise LabInputError(
                "文件 scenario path",
                f"{path} 在项目文件夹之外,不予写入",
                f"{path} is outside the project {self.project.root}",
                f"项目内的路径,如 {rel}",
                f"a file inside the project, e.g. {rel}",
            )
        if path.exists() and not overwrite and path != self.saved_path:
            raise NeedsConfirmation(
                "文件 scenario path",
                f"{self.project.relative(path)} 已存在,确认后将被覆盖",
                f"{self.project.relative(path)} exists; confirm to replace it",
            )
        t0 = time.perf_counter()
        save_scenario(self.scenario, path)
        self.saved_path = path
        self._record(f"保存 saved {path.name}", "无 nothing", time.perf_counter() - t0)
        return path

    def __repr__(self) -> str:
        return (
            f"Lab(plan={self.plan!r}, region={self.region!r}, as_of={self.as_of!r}, "
            f"n_sims={self.n_sims}, pace={len(self.state.pace)}, "
            f"pipeline={len(self.state.pipeline)}, targets={len(self.state.overrides)})"
        )


__all__ = ["KEY", "Lab"]
