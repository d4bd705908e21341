"""The lab's scope and the scenario being edited: what a change may touch, and every check.

:class:`Scope` says what one lab covers (a plan, a region and its sub-regions, the indicators the
forecast covers there, the months still open after ``as_of``) and turns what a researcher types
into ids, refusing what cannot be a scenario of this lab: an unknown region, a month already in
the data, a target of a year that is over. :class:`ScenarioState` holds the scenario being
edited (pace rules, pipeline projects, target overrides, name) as plain dicts and edits it.

The field checks (a number, a month, 0..1, ≥ 0) are the forecast's own: each entry goes through
:func:`ontrack.forecast.scenario.load_scenario`, the reader of the scenario files, so the lab and
``ontrack forecast --scenario`` accept exactly the same entries. Month arithmetic is the
forecast's (:func:`ontrack.forecast.model.month_index`). Messages are Chinese first, English
beside (:class:`LabInputError`); an amount far beyond the region's yearly target is not refused
but asks again (:class:`NeedsConfirmation`), as a unit slip (㎡ typed into a 万㎡ field) looks
exactly like that.

Nothing here simulates; :mod:`.model` does.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..errors import InputError, InputErrors
from ..forecast.model import month_index, month_label
from ..registry import Registry
from ..schema import TARGET_KEY
from ..text import normalize

KEY = TARGET_KEY
PROJECT_FIELDS = ("region", "indicator", "month", "amount", "probability", "label")
#: an amount (or a target) more than this many times the region's yearly target asks again
PLAUSIBLE_TIMES = 3.0
ALL = ("*", "all", "全部", "全部地区", "全部指标")


class LabInputError(InputError):
    """An input the lab refuses, said in Chinese (``zh``) with the English beside (``en``)."""

    def __init__(
        self,
        where: str,
        zh: str,
        en: str,
        expected_zh: str = "",
        expected_en: str = "",
    ) -> None:
        expected = " ".join(x for x in (expected_zh, expected_en) if x) or None
        super().__init__(where, f"{zh}({en})" if en else zh, expected)
        self.zh = zh + (f";应为{expected_zh}" if expected_zh else "")
        self.en = en + (f" (expected {expected_en})" if expected_en else "")


class NeedsConfirmation(LabInputError):
    """Not refused, but implausible: the same call with ``confirm=True`` goes through."""


# the forecast validator's field names → how the lab names them (Chinese, English)
_FIELD = {
    "region": ("地区", "region"),
    "indicator": ("指标", "indicator"),
    "month": ("月份", "month"),
    "from": ("起始月份", "from-month"),
    "factor": ("节奏系数", "factor"),
    "amount": ("数量", "amount"),
    "probability": ("概率", "probability"),
    "label": ("名称", "label"),
    "value": ("目标值", "value"),
    "year_start": ("起始年", "year_start"),
    "year_end": ("截止年", "year_end"),
    "level": ("档次", "level"),
    "plan": ("计划", "plan"),
}
_WHAT_ZH = {
    "amount": "须为大于0的数",
    "probability": "须在0到1之间",
    "month": "格式应为YYYY-MM(如2027-03)",
    "from": "格式应为YYYY-MM(如2027-03)",
    "factor": "须为不小于0的数(1=照旧)",
    "value": "须为不小于0的数",
    "year_start": "须为年份",
    "year_end": "须为年份",
    "level": "须为基准(baseline)或高线(stretch)",
}
_KIND = {"pace": ("节奏", "pace"), "pipeline": ("项目", "project"), "targets": ("目标", "target")}


def where(kind: str, fld: str) -> str:
    """'项目数量 project amount': how a message names a field."""
    k_zh, k_en = _KIND[kind]
    f_zh, f_en = _FIELD.get(fld, (fld, fld))
    return f"{'' if k_zh in f_zh else k_zh}{f_zh} {k_en} {f_en}"


def number(value: Any, at: str, what_zh: str = "须为数字") -> float:
    """``value`` as a finite float, or a :class:`LabInputError` naming ``at``."""
    try:
        if isinstance(value, bool):
            raise TypeError
        x = float(value)
    except (TypeError, ValueError):
        raise LabInputError(at, f"“{value}”不是数字", f"{value!r} is not a number") from None
    if not math.isfinite(x):
        raise LabInputError(at, f"“{value}”{what_zh}", f"{value!r} is not a finite number")
    return x


def checked_entry(kind: str, item: dict[str, Any]):
    """One pace rule / pipeline item / target override, checked by the forecast's scenario reader
    (:func:`~ontrack.forecast.scenario.load_scenario`); its errors said the lab's way."""
    from ..forecast.scenario import load_scenario

    try:
        sc = load_scenario({"name": "lab", kind: [item]})
    except InputErrors as exc:
        raise InputErrors([_translate(kind, e) for e in exc.errors]) from None
    except InputError as exc:
        raise _translate(kind, exc) from None
    return getattr(sc, kind)[0]


def _translate(kind: str, exc: InputError) -> InputError:
    fld = exc.where.rsplit(".", 1)[-1] if "." in exc.where else ""
    if fld not in _FIELD:
        return exc
    what = _WHAT_ZH.get(fld, "有误")
    en = exc.problem + (f" (expected {exc.expected})" if exc.expected else "")
    return LabInputError(where(kind, fld), what, en)


def _months_between(first: str, last: str) -> list[str]:
    lo, hi = month_index(first), month_index(last)
    return [month_label(i) for i in range(lo, hi + 1)]


@dataclass(eq=False)
class Scope:
    """What one lab covers; turns what a researcher types into ids, or refuses it.

    ``keys``: the target rows the forecast covers here (:data:`KEY` + ``target``, the baseline
    value), the only targets a scenario of this lab can override.
    """

    plan: str
    region: str
    regions: tuple[str, ...]
    indicators: tuple[str, ...]
    years: tuple[int, ...]
    as_of: str
    reg: Registry
    keys: pd.DataFrame = field(repr=False)

    # ------------------------------------------------------------------ months and years

    @property
    def first_month(self) -> str:
        """The first month a scenario can change: the month after as_of (within the plan)."""
        return month_label(max(month_index(self.as_of) + 1, min(self.years) * 12))

    @property
    def last_month(self) -> str:
        return f"{max(self.years)}-12"

    def months(self) -> list[str]:
        """Months a pace change or a project may fall in: after as_of, up to the plan's end."""
        if month_index(self.first_month) > month_index(self.last_month):
            return []
        return _months_between(self.first_month, self.last_month)

    @property
    def open_years(self) -> tuple[int, ...]:
        """Plan years with months still to come (a year whose December is in the data is over)."""
        first = int(self.first_month[:4])
        return tuple(y for y in self.years if y >= first and self.months())

    def closed(self, year_end: int) -> bool:
        """True when a target period ending in ``year_end`` is over (its December is data)."""
        return int(year_end) not in self.open_years

    def as_of_zh(self) -> str:
        return f"{self.as_of[:4]}年{int(self.as_of[5:7])}月"

    def _months_text(self) -> tuple[str, str]:
        if not self.months():
            return "无(计划各月已在数据中)", f"none: as_of {self.as_of} is at the plan's end"
        return (
            f"{self.first_month}至{self.last_month}之间的月份",
            f"a month from {self.first_month} to {self.last_month}",
        )

    # ------------------------------------------------------------------ names → ids

    def check_region(self, region: Any, at: str, star: bool = False) -> str:
        r = str(region).strip()
        if star and r in ALL:
            return "*"
        if r in self.regions:
            return r
        rid = self.reg.match_region(r)
        if rid in self.regions:
            return rid
        names = "、".join(self.reg.short_name(x) for x in self.regions)
        raise LabInputError(
            at,
            f"“{region}”不是本实验室的地区",
            f"unknown region {region!r}",
            f"{'全部(*)、' if star else ''}{names}",
            f"one of {', '.join((['*'] if star else []) + list(self.regions))}",
        )

    def check_indicator(self, indicator: Any, at: str, star: bool = False) -> str:
        i = str(indicator).strip()
        if star and i in ALL:
            return "*"
        if i in self.indicators:
            return i
        key = normalize(i, footnotes=True)
        for ind in self.indicators:
            if normalize(self.reg.indicator_name(ind), footnotes=True) == key:
                return ind
        raise LabInputError(
            at,
            f"“{indicator}”不是本实验室预测的指标",
            f"unknown indicator {indicator!r} (or no forecast for it here)",
            "、".join(self.reg.indicator_name(x) for x in self.indicators),
            f"one of {', '.join((['*'] if star else []) + list(self.indicators))}",
        )

    def check_month(self, month: str, at: str) -> str:
        """A well-formed month (already checked by the scenario reader) that is still open."""
        exp = self._months_text()
        if int(month[:4]) not in self.years:
            raise LabInputError(
                at,
                f"{month}不在计划年度{min(self.years)}—{max(self.years)}年内",
                f"{month} is outside the plan's years {min(self.years)}–{max(self.years)}",
                *exp,
            )
        if month_index(month) <= month_index(self.as_of):
            raise LabInputError(
                at,
                f"{month}已有数据(数据截至{self.as_of}),过去的月份不能假设",
                f"{month} is not after as_of {self.as_of} (the past is already in the data)",
                *exp,
            )
        return month

    # ------------------------------------------------------------------ targets

    def unit(self, indicator: str) -> str:
        return self.reg.unit(indicator) or ""

    def key_row(
        self, region: str, indicator: str, y0: int, y1: int, level: str
    ) -> pd.Series | None:
        k = self.keys
        hit = k[
            (k["region_id"] == region)
            & (k["indicator_id"] == indicator)
            & (k["year_start"].astype(int) == y0)
            & (k["year_end"].astype(int) == y1)
            & (k["level"] == level)
        ]
        return None if hit.empty else hit.iloc[0]

    def yearly_target(self, region: str, indicator: str, year: int) -> float | None:
        """The region's baseline target for ``year`` (the largest yearly one if that year has
        none; a multi-year one spread over its years if there is no yearly one)."""
        k = self.keys
        k = k[(k["region_id"] == region) & (k["indicator_id"] == indicator)]
        k = k[k["level"] == "baseline"]
        yearly = k[k["year_start"] == k["year_end"]]
        same = yearly[yearly["year_start"].astype(int) == int(year)]
        if len(same):
            return float(same["target"].iloc[0])
        if len(yearly):
            return float(yearly["target"].max())
        if len(k):
            span = (k["year_end"].astype(int) - k["year_start"].astype(int) + 1).clip(lower=1)
            return float((k["target"] / span).max())
        return None


@dataclass
class ScenarioState:
    """The scenario being edited, as the plain lists of the scenario YAML; every edit is checked
    against the :class:`Scope` first and changes nothing when it is refused."""

    scope: Scope
    name: str = "情景"
    description: str = ""
    pace: list[dict[str, Any]] = field(default_factory=list)
    pipeline: list[dict[str, Any]] = field(default_factory=list)
    overrides: list[dict[str, Any]] = field(default_factory=list)

    # ------------------------------------------------------------------ whole state

    def snapshot(self) -> tuple:
        return copy.deepcopy(
            (self.pace, self.pipeline, self.overrides, self.name, self.description)
        )

    def restore(self, snap: tuple) -> None:
        self.pace, self.pipeline, self.overrides, self.name, self.description = copy.deepcopy(snap)

    def is_empty(self) -> bool:
        return not (self.pace or self.pipeline or self.overrides)

    def to_dict(self) -> dict[str, Any]:
        """The scenario as the plain dict of the scenario YAML."""
        return copy.deepcopy(
            {
                "name": self.name,
                "description": self.description,
                "pace": self.pace,
                "pipeline": self.pipeline,
                "targets": self.overrides,
            }
        )

    def scenario(self):
        """The scenario as the forecast reads it (:class:`~ontrack.forecast.scenario.Scenario`)."""
        from ..forecast.scenario import load_scenario

        return load_scenario(self.to_dict())

    def set_name(self, name: str, description: str | None = None) -> None:
        name = str(name).strip()
        if not name:
            raise LabInputError(
                "情景名称 scenario name", "名称为空", "is empty", "简短的名称,如“鳌江两栋楼推迟”"
            )
        self.name = name
        if description is not None:
            self.description = str(description)

    def reset(self) -> None:
        self.pace, self.pipeline, self.overrides = [], [], []

    # ------------------------------------------------------------------ pace

    def pace_factor(self, region: str, indicator: str, from_month: str | None = None):
        """(factor, from) of this exact region × indicator: the rule from ``from_month`` if
        given, else its earliest rule; (1.0, ``from_month`` or the first open month) if none."""
        rules = [p for p in self.pace if (p["region"], p["indicator"]) == (region, indicator)]
        if from_month:
            rules = [p for p in rules if p["from"] == from_month]
        if not rules:
            return 1.0, from_month or self.scope.first_month
        first = min(rules, key=lambda p: p["from"])
        return float(first["factor"]), str(first["from"])

    def check_pace(self, region: Any, indicator: Any, from_month: Any, factor: Any) -> dict:
        s = self.scope
        region = s.check_region(region, where("pace", "region"), star=True)
        indicator = s.check_indicator(indicator, where("pace", "indicator"), star=True)
        if from_month in (None, ""):
            from_month = s.first_month
        rule = checked_entry(
            "pace",
            {"region": region, "indicator": indicator, "from": from_month, "factor": factor},
        )
        s.check_month(rule.from_, where("pace", "from"))
        return rule.to_dict()

    def set_pace(self, region, indicator, from_month=None, factor=1.0) -> dict:
        """Add or replace (same region, indicator, from) a pace rule; see :meth:`Lab.set_pace`."""
        rule = self.check_pace(region, indicator, from_month, factor)
        key = (rule["region"], rule["indicator"], rule["from"])
        keys = [(p["region"], p["indicator"], p["from"]) for p in self.pace]
        pace = list(self.pace)
        if key in keys:
            pace[keys.index(key)] = rule
        else:
            pace.append(rule)
        self.pace = self._tidy_pace(pace)
        return rule

    def remove_pace(self, region, indicator, from_month: str | None = None) -> int:
        s = self.scope
        region = s.check_region(region, where("pace", "region"), star=True)
        indicator = s.check_indicator(indicator, where("pace", "indicator"), star=True)

        def hit(p: dict[str, Any]) -> bool:
            same = (p["region"], p["indicator"]) == (region, indicator)
            return same and from_month in (None, "", p["from"])

        n = sum(hit(p) for p in self.pace)
        self.pace = self._tidy_pace([p for p in self.pace if not hit(p)])
        return n

    def _overlaps(self, a: dict[str, Any], b: dict[str, Any]) -> bool:
        ra, rb = a["region"], b["region"]
        region = "*" in (ra, rb) or ra == rb or self.scope.region in (ra, rb)
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

    # ------------------------------------------------------------------ pipeline

    def check_project(self, fields: dict[str, Any], confirm: bool = False) -> dict[str, Any]:
        s = self.scope
        unknown = set(fields) - set(PROJECT_FIELDS)
        if unknown:
            raise LabInputError(
                "项目 project",
                f"未知字段 {', '.join(sorted(unknown))}",
                f"unknown field(s) {', '.join(sorted(unknown))}",
                "、".join(PROJECT_FIELDS),
                ", ".join(PROJECT_FIELDS),
            )
        missing = [f for f in PROJECT_FIELDS[:5] if fields.get(f) in (None, "")]
        if missing:
            zh = "、".join(_FIELD[f][0] for f in missing)
            raise LabInputError(
                "项目 project", f"缺少{zh}", f"missing {', '.join(missing)}", "", ""
            )
        region = s.check_region(fields["region"], where("pipeline", "region"))
        indicator = s.check_indicator(fields["indicator"], where("pipeline", "indicator"))
        item = checked_entry(
            "pipeline",
            {
                "region": region,
                "indicator": indicator,
                "month": fields["month"],
                "amount": fields["amount"],
                "probability": fields["probability"],
                "label": fields.get("label") or "",
            },
        )
        month = s.check_month(item.month, where("pipeline", "month"))
        unit = s.unit(indicator)
        if not confirm:
            ref = s.yearly_target(region, indicator, int(month[:4]))
            self._plausible(
                item.amount,
                ref,
                where("pipeline", "amount"),
                f"{s.reg.region_name(region)}{month[:4]}年{s.reg.indicator_name(indicator)}目标",
                f"the {month[:4]} target of {region} {indicator}",
                unit,
            )
        return {
            "region": region,
            "indicator": indicator,
            "month": month,
            "amount": item.amount,
            "probability": item.probability,
            "label": item.label
            or f"{s.reg.region_name(region)}{s.reg.indicator_name(indicator)}项目",
        }

    @staticmethod
    def _plausible(
        value: float, ref: float | None, at: str, ref_zh: str, ref_en: str, unit: str
    ) -> None:
        """Ask again (:class:`NeedsConfirmation`) when ``value`` is far beyond ``ref``."""
        if ref is None or ref <= 0 or value <= PLAUSIBLE_TIMES * ref:
            return
        times = value / ref
        zh = (
            f"{value:g}{unit}是{ref_zh}({ref:g}{unit})的{times:,.0f}倍,请核对数量和单位"
            if times >= 10
            else f"{value:g}{unit}是{ref_zh}({ref:g}{unit})的{times:.1f}倍,请核对"
        )
        en = f"{value:g} is {times:,.1f} times {ref_en} ({ref:g})"
        if unit.startswith("万") and value >= 1000:
            zh += f";若填的是平方米,应为{value / 10_000:g}{unit}"
            en += f"; if that was m², it is {value / 10_000:g} {unit}"
        raise NeedsConfirmation(at, zh + "。确认无误请点“确认”", en + ". Confirm to keep it.")

    def add_project(self, confirm: bool = False, **fields: Any) -> int:
        self.pipeline = [*self.pipeline, self.check_project(fields, confirm)]
        return len(self.pipeline) - 1

    def check_index(self, index: Any) -> int:
        n = len(self.pipeline)
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < n:
            raise LabInputError(
                "项目 project",
                f"没有第{index}号项目",
                f"no project number {index!r}",
                f"0至{n - 1}" if n else "先添加一个项目",
                f"0..{n - 1}" if n else "add a project first",
            )
        return index

    def edit_project(self, index: int, confirm: bool = False, **fields: Any) -> None:
        index = self.check_index(index)
        project = self.check_project({**self.pipeline[index], **fields}, confirm)
        self.pipeline = [*self.pipeline[:index], project, *self.pipeline[index + 1 :]]

    def remove_project(self, index: int) -> None:
        index = self.check_index(index)
        self.pipeline = [p for i, p in enumerate(self.pipeline) if i != index]

    # ------------------------------------------------------------------ targets

    def override_value(self, region, indicator, y0, y1, level) -> float | None:
        for o in self.overrides:
            if (o["region"], o["indicator"], o["year_start"], o["year_end"], o["level"]) == (
                region,
                indicator,
                y0,
                y1,
                level,
            ):
                return float(o["value"])
        return None

    def override_target(
        self,
        region,
        indicator,
        year_start,
        year_end=None,
        level="baseline",
        value=None,
        confirm: bool = False,
    ) -> None:
        """Set (``value``) or remove (``value=None``) one target's override."""
        s = self.scope
        region = s.check_region(region, where("targets", "region"))
        indicator = s.check_indicator(indicator, where("targets", "indicator"))
        y0 = number(year_start, where("targets", "year_start"))
        y1 = y0 if year_end in (None, "") else number(year_end, where("targets", "year_end"))
        entry = {
            "plan": s.plan,
            "region": region,
            "indicator": indicator,
            "year_start": int(y0),
            "year_end": int(y1),
            "level": str(level).strip(),
        }
        # the forecast's own checks (years, level, value ≥ 0); a removal checks the key only
        checked = checked_entry("targets", {**entry, "value": 0 if value is None else value})
        y0, y1, level = checked.year_start, checked.year_end, checked.level
        span = f"{y0}年" if y0 == y1 else f"{y0}—{y1}年"
        row = s.key_row(region, indicator, y0, y1, level)
        if row is None:
            raise LabInputError(
                "目标 target",
                f"计划中没有{s.reg.region_name(region)}{s.reg.indicator_name(indicator)}{span}的"
                f"{'高线' if level == 'stretch' else '基准'}目标",
                f"plan {s.plan} has no {level} target for {region} {indicator} {span}",
                "目标下拉列表中的一项",
                "one of the rows of lab.target_keys()",
            )
        if value is not None and s.closed(y1):
            raise LabInputError(
                "目标 target",
                f"{span}已结束(数据截至{s.as_of_zh()}),已结束年度的目标不能调整",
                f"{span} is over (data to {s.as_of}); a closed year's target cannot be changed",
                f"{'、'.join(f'{y}年' for y in s.open_years) or '无'}的目标",
                f"a target of {', '.join(map(str, s.open_years)) or 'no year'}",
            )
        if value is not None and not confirm:
            self._plausible(
                checked.value,
                float(row["target"]),
                where("targets", "value"),
                f"{s.reg.region_name(region)}{span}{s.reg.indicator_name(indicator)}原目标",
                "the plan's target",
                s.unit(indicator),
            )
        key = {k: entry[k] for k in ("plan", "region", "indicator", "level")}
        key.update(year_start=y0, year_end=y1)
        kept = [o for o in self.overrides if {k: o[k] for k in key} != key]
        self.overrides = kept + ([{**key, "value": checked.value}] if value is not None else [])


__all__ = [
    "KEY",
    "PLAUSIBLE_TIMES",
    "PROJECT_FIELDS",
    "LabInputError",
    "NeedsConfirmation",
    "ScenarioState",
    "Scope",
    "checked_entry",
    "number",
    "where",
]


@dataclass
class ChartData:
    """Everything one trajectory chart shows (``Lab.chart_data``; drawn by
    :class:`ontrack.lab.views.ChartView`)."""

    region: str
    indicator: str
    unit: str
    year: int
    as_of: str
    base: pd.DataFrame
    scen: pd.DataFrame | None
    p_meet: tuple[float, float] | None
    scenario_empty: bool
