"""What-if scenarios: pace changes, pipeline projects and target overrides.

A scenario is a YAML file (or a dict of the same shape)::

    name: aojiang-slip
    description: 鳌江's two buildings slip to 2027; 萧江 at 80% pace
    pace:        # multiply the expected monthly amount from a month on
      - {region: pingyang-xiaojiang, indicator: '*', from: 2026-10, factor: 0.8}
    pipeline:    # a known project: amount added in a month with a probability
      - {region: pingyang-aojiang, indicator: space, month: 2027-03, amount: 1.5,
         probability: 0.9, label: 鳌江 building A}
    targets:     # override (or add) a target value
      - {plan: pingyang-2025-2027, region: pingyang, indicator: space,
         year_start: 2026, year_end: 2026, level: baseline, value: 20}

``pace`` rules: a month takes the factor of the matching rule with the latest ``from`` on or
before it (later rules in the list win ties); a rule for a county also applies to the townships
its total is summed from. ``region`` / ``indicator`` may be ``'*'``.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import InputError, raise_errors
from ..fileio import read_yaml, write_text
from ..months import is_month
from ..registry import Registry


@dataclass(frozen=True)
class PaceRule:
    region: str
    indicator: str
    from_: str
    factor: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "indicator": self.indicator,
            "from": self.from_,
            "factor": self.factor,
        }


@dataclass(frozen=True)
class PipelineItem:
    region: str
    indicator: str
    month: str
    amount: float
    probability: float = 1.0
    label: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class TargetOverride:
    plan: str
    region: str
    indicator: str
    year_start: int
    year_end: int
    level: str
    value: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Scenario:
    """A named what-if; the baseline is ``Scenario('baseline')`` (nothing changed)."""

    name: str
    description: str = ""
    pace: tuple[PaceRule, ...] = field(default_factory=tuple)
    pipeline: tuple[PipelineItem, ...] = field(default_factory=tuple)
    targets: tuple[TargetOverride, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (the YAML shape); ``load_scenario(s.to_dict()) == s``."""
        return {
            "name": self.name,
            "description": self.description,
            "pace": [p.to_dict() for p in self.pace],
            "pipeline": [p.to_dict() for p in self.pipeline],
            "targets": [t.to_dict() for t in self.targets],
        }

    def pace_factor(
        self, region: str, indicator: str, month: str, parents: tuple[str, ...] = ()
    ) -> float:
        """Factor for one series and month (1.0 when no rule matches)."""
        best: tuple[str, int] | None = None
        factor = 1.0
        for k, rule in enumerate(self.pace):
            if rule.indicator not in ("*", indicator):
                continue
            if rule.region not in ("*", region, *parents):
                continue
            if rule.from_ > month:
                continue
            key = (rule.from_, k)
            if best is None or key > best:
                best, factor = key, rule.factor
        return factor


#: scenario file names that would collide with a briefing's own files (<region>.en.html is the
#: English briefing, <region>.failed.ipynb a failed render's record): refused
RESERVED_NAMES = ("en", "zh", "failed")


def reserved_name(path: str | os.PathLike) -> bool:
    """Whether a scenario file's name would collide with a briefing's files (a reserved name,
    or a dot inside the stem)."""
    stem = Path(path).stem
    return stem.lower() in RESERVED_NAMES or "." in stem


def _num(
    v: Any,
    where: str,
    errors: list[InputError],
    *,
    lo: float | None = None,
    hi: float | None = None,
    positive: bool = False,
    expected: str = "a number",
) -> float:
    try:
        if isinstance(v, bool):
            raise TypeError
        x = float(v)
    except (TypeError, ValueError):
        errors.append(InputError(where, f"{v!r} is not a number", expected))
        return float("nan")
    if x != x:
        errors.append(InputError(where, "is not a number", expected))
    elif positive and x <= 0:
        errors.append(InputError(where, f"{v} is not above 0", expected))
    elif lo is not None and x < lo:
        errors.append(InputError(where, f"{v} is below {lo:g}", expected))
    elif hi is not None and x > hi:
        errors.append(InputError(where, f"{v} is above {hi:g}", expected))
    return x


def _month(v: Any, where: str, errors: list[InputError]) -> str:
    s = str(v).strip() if v is not None else ""
    if not is_month(s):
        errors.append(InputError(where, f"{v!r} is not a month", "YYYY-MM"))
    return s


def _text(v: Any, where: str, errors: list[InputError], *, required: bool = True) -> str:
    if v is None or (required and str(v).strip() == ""):
        if required:
            errors.append(InputError(where, "is missing"))
        return ""
    return str(v).strip()


def _list(d: dict, key: str, src: str, errors: list[InputError]) -> list:
    v = d.get(key) or []
    if not isinstance(v, list):
        errors.append(InputError(f"{src}: {key}", f"is a {type(v).__name__}", "a list"))
        return []
    return v


def load_scenario(source: str | os.PathLike | dict[str, Any]) -> Scenario:
    """Read a scenario from a YAML file or a dict; every problem is named (InputErrors)."""
    if isinstance(source, dict):
        src, d = "scenario", source
    else:
        path = Path(source)
        src = path.name
        if not path.exists():
            raise InputError(str(path), "file not found", "a scenario YAML file")
        try:
            d = read_yaml(path) or {}
        except yaml.YAMLError as exc:
            raise InputError(src, f"is not valid YAML ({exc})") from None
    if not isinstance(d, dict):
        raise InputError(src, "is not a mapping", "keys name, description, pace, pipeline, targets")
    errors: list[InputError] = []
    unknown = set(d) - {"name", "description", "pace", "pipeline", "targets"}
    if unknown:
        errors.append(
            InputError(
                src,
                f"unknown key(s) {sorted(unknown)}",
                "name, description, pace, pipeline, targets",
            )
        )
    name = _text(d.get("name"), f"{src}: name", errors)
    pace = []
    for k, item in enumerate(_list(d, "pace", src, errors)):
        w = f"{src}: pace[{k}]"
        if not isinstance(item, dict):
            errors.append(InputError(w, "is not a mapping", "region, indicator, from, factor"))
            continue
        pace.append(
            PaceRule(
                region=_text(item.get("region", "*"), f"{w}.region", errors),
                indicator=_text(item.get("indicator", "*"), f"{w}.indicator", errors),
                from_=_month(item.get("from"), f"{w}.from", errors),
                factor=_num(
                    item.get("factor"), f"{w}.factor", errors, lo=0, expected="a factor ≥ 0"
                ),
            )
        )
    pipeline = []
    for k, item in enumerate(_list(d, "pipeline", src, errors)):
        w = f"{src}: pipeline[{k}]"
        if not isinstance(item, dict):
            errors.append(
                InputError(w, "is not a mapping", "region, indicator, month, amount, probability")
            )
            continue
        pipeline.append(
            PipelineItem(
                region=_text(item.get("region"), f"{w}.region", errors),
                indicator=_text(item.get("indicator"), f"{w}.indicator", errors),
                month=_month(item.get("month"), f"{w}.month", errors),
                amount=_num(
                    item.get("amount"),
                    f"{w}.amount",
                    errors,
                    positive=True,
                    expected="an amount > 0",
                ),
                probability=_num(
                    item.get("probability", 1.0),
                    f"{w}.probability",
                    errors,
                    lo=0,
                    hi=1,
                    expected="0..1",
                ),
                label=_text(item.get("label", ""), f"{w}.label", errors, required=False),
            )
        )
    targets = []
    for k, item in enumerate(_list(d, "targets", src, errors)):
        w = f"{src}: targets[{k}]"
        if not isinstance(item, dict):
            errors.append(
                InputError(
                    w,
                    "is not a mapping",
                    "plan, region, indicator, year_start, year_end, level, value",
                )
            )
            continue
        ys = _num(
            item.get("year_start"), f"{w}.year_start", errors, lo=2000, hi=2100, expected="a year"
        )
        ye = _num(
            item.get("year_end", item.get("year_start")),
            f"{w}.year_end",
            errors,
            lo=2000,
            hi=2100,
            expected="a year",
        )
        if ys == ys and ye == ye and ye < ys:
            errors.append(InputError(f"{w}.year_end", f"{ye:g} is before year_start {ys:g}"))
        level = _text(item.get("level", "baseline"), f"{w}.level", errors)
        if level not in ("baseline", "stretch"):
            errors.append(
                InputError(f"{w}.level", f"{level!r} is not a level", "baseline or stretch")
            )
        targets.append(
            TargetOverride(
                plan=_text(item.get("plan"), f"{w}.plan", errors),
                region=_text(item.get("region"), f"{w}.region", errors),
                indicator=_text(item.get("indicator"), f"{w}.indicator", errors),
                year_start=int(ys) if ys == ys else 0,
                year_end=int(ye) if ye == ye else 0,
                level=level,
                value=_num(item.get("value"), f"{w}.value", errors, lo=0, expected="a value ≥ 0"),
            )
        )
    raise_errors(errors)
    return Scenario(
        name=name,
        description=_text(d.get("description", ""), f"{src}: description", errors, required=False),
        pace=tuple(pace),
        pipeline=tuple(pipeline),
        targets=tuple(targets),
    )


def _did_you_mean(value: str, known: Iterable[str], ids_of_name: list[str]) -> tuple[str, str]:
    """(Chinese, English) hints: the id of a name written in its place, else the closest ids."""
    if ids_of_name:
        ids = " / ".join(ids_of_name)
        return f"请写区域代码 {ids}", f"the id {ids} (names are not ids)"
    near = difflib.get_close_matches(value, sorted(known), n=3, cutoff=0.5)
    if near:
        return f"是否要写 {' / '.join(near)}？", f"did you mean {' / '.join(near)}?"
    some = ", ".join(sorted(known)[:6])
    return f"已知的有：{some}", f"known ones: {some}"


def check_scenario(
    scenario: Scenario,
    reg: Registry,
    *,
    regions: Iterable[str] = (),
    indicators: Iterable[str] = (),
    plans: Iterable[str] = (),
    source: str = "scenario",
) -> None:
    """Every region, indicator and plan the scenario names must be known: the registry's, or
    those of the progress and targets it is applied to (``regions`` ...); '*' matches all.
    A rule naming something unknown would silently do nothing, so it is refused (InputErrors,
    each with a did-you-mean)."""
    known = {
        "region": set(reg.regions) | set(map(str, regions)),
        "indicator": set(reg.indicators) | set(map(str, indicators)),
        "plan": set(reg.plans) | set(map(str, plans)),
    }
    words = {
        "region": ("区域", "region"),
        "indicator": ("指标", "indicator"),
        "plan": ("计划", "plan"),
    }
    errors: list[InputError] = []

    def check(kind: str, value: str, where: str, star: bool) -> None:
        if (star and value == "*") or value in known[kind]:
            return
        ids: list[str] = []
        if kind == "region":
            ids = reg.region_candidates(value)
        elif kind == "indicator":
            ids = [i for i in [reg.match_indicator(value)] if i]
        zh_hint, en_hint = _did_you_mean(value, known[kind], ids)
        zh, en = words[kind]
        errors.append(
            InputError(
                where,
                f"未知{zh}“{value}”：该规则不会起任何作用；{zh_hint}\n"
                f"      unknown {en} '{value}': the rule would change nothing",
                en_hint,
            )
        )

    for k, r in enumerate(scenario.pace):
        check("region", r.region, f"{source}: pace[{k}].region", True)
        check("indicator", r.indicator, f"{source}: pace[{k}].indicator", True)
    for k, it in enumerate(scenario.pipeline):
        check("region", it.region, f"{source}: pipeline[{k}].region", False)
        check("indicator", it.indicator, f"{source}: pipeline[{k}].indicator", False)
    for k, t in enumerate(scenario.targets):
        check("plan", t.plan, f"{source}: targets[{k}].plan", False)
        check("region", t.region, f"{source}: targets[{k}].region", False)
        check("indicator", t.indicator, f"{source}: targets[{k}].indicator", False)
    raise_errors(errors)


def save_scenario(scenario: Scenario, path: str | os.PathLike) -> Path:
    """Write a scenario as YAML that :func:`load_scenario` reads back identically."""
    text = yaml.safe_dump(scenario.to_dict(), allow_unicode=True, sort_keys=False)
    return write_text(path, text)


def as_scenario(scenario: Scenario | dict | str | os.PathLike | None) -> Scenario | None:
    """Accept a Scenario, a dict, a path, or None (baseline)."""
    if scenario is None or isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, (str, os.PathLike)) and str(scenario) == "":
        return None
    return load_scenario(scenario)


def apply_target_overrides(targets, scenario: Scenario | None):
    """Targets with the scenario's overrides applied (matching rows replaced, others added)."""
    import pandas as pd

    if scenario is None or not scenario.targets:
        return targets
    t = targets.copy()
    add = []
    for o in scenario.targets:
        m = (
            (t["plan_id"] == o.plan)
            & (t["region_id"] == o.region)
            & (t["indicator_id"] == o.indicator)
            & (t["year_start"].astype(int) == o.year_start)
            & (t["year_end"].astype(int) == o.year_end)
            & (t["level"] == o.level)
        )
        if m.any():
            t.loc[m, "value"] = float(o.value)
        else:
            add.append(
                {
                    "plan_id": o.plan,
                    "region_id": o.region,
                    "indicator_id": o.indicator,
                    "year_start": o.year_start,
                    "year_end": o.year_end,
                    "level": o.level,
                    "value": float(o.value),
                    "unit": "",
                    "source": f"scenario {scenario.name}",
                    "quote": "",
                }
            )
    if add:
        t = pd.concat([t, pd.DataFrame(add)], ignore_index=True)
    return t
