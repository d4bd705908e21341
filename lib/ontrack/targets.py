"""Stage 1a: every plan's targets in one table, data/processed/targets.csv, and its quality report.

``ontrack targets [--lucheng-split even|city] [--out-dir DIR]`` writes targets.csv (UTF-8 with
BOM), targets.xlsx (a targets sheet and a quality sheet), quality_report.csv and
quality_report.md. Columns: docs/data-contracts.md, plus measure, assumed, document, section,
address (see ontrack.plans).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import fileio, quality, stamps
from .errors import InputError, InputErrors, OntrackError, raise_errors
from .plans import KEY, ROW_COLUMNS, ParsedPlan, read_plan_targets
from .plans.lucheng import SPLITS
from .project import Project, find_project
from .registry import Registry
from .schema import TARGETS, validate


@dataclass
class TargetsBuild:
    """The targets table, the documents it was read from, and the quality findings."""

    targets: pd.DataFrame
    documents: list[ParsedPlan]
    findings: pd.DataFrame


def parse_plans(reg: Registry, lucheng_split: str | None = None) -> list[ParsedPlan]:
    """Read every plan of the registry (document reader or targets sheet); all the plans'
    errors are reported together. ``lucheng_split`` overrides the Lucheng reader's split."""
    if lucheng_split is not None and lucheng_split not in SPLITS:
        raise InputError("lucheng_split", f"unknown value {lucheng_split!r}", " or ".join(SPLITS))
    out: list[ParsedPlan] = []
    errors: list[InputError] = []
    for plan in reg.plans.values():
        opts = (
            {"split": lucheng_split}
            if lucheng_split is not None and plan.reader == "lucheng-2025-2027"
            else None
        )
        try:
            out.append(read_plan_targets(plan, reg, opts))
        except InputErrors as exc:
            errors += exc.errors
        except InputError as exc:
            errors.append(exc)
    # a sheet read by two plans (the city sheet gives Lucheng its yearly shape) is reported once
    errors = list({str(e): e for e in errors}.values())
    raise_errors(errors)
    return out


def _order(df: pd.DataFrame, reg: Registry) -> pd.DataFrame:
    plans = {p: i for i, p in enumerate(reg.plans)}
    regions = {r: i for i, r in enumerate(reg.regions)}
    inds = {k: i for i, k in enumerate(reg.indicators)}
    key = pd.DataFrame(
        {
            "p": df.plan_id.map(plans).fillna(len(plans)),
            "pid": df.plan_id,
            "r": df.region_id.map(regions).fillna(len(regions)),
            "rid": df.region_id,
            "i": df.indicator_id.map(inds).fillna(len(inds)),
            "iid": df.indicator_id,
            "span": df.year_end - df.year_start,
            "y": df.year_start,
            "lv": df.level,
        }
    )
    order = key.sort_values(list(key.columns), kind="stable").index
    return df.loc[order].reset_index(drop=True)


def assemble(documents: list[ParsedPlan], reg: Registry) -> pd.DataFrame:
    """One validated targets table from the parsed plans (contract columns first)."""
    frames = [d.rows for d in documents if not d.rows.empty]
    df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=ROW_COLUMNS)
    df = _order(df[ROW_COLUMNS], reg)
    dup = df[df.duplicated(KEY, keep=False)]
    if not dup.empty:
        raise OntrackError(f"duplicate target keys:\n{dup[[*KEY, 'source']].to_string()}")
    df = validate(df, TARGETS)
    df["assumed"] = df["assumed"].astype(bool)
    return df


def build(reg: Registry, lucheng_split: str | None = None) -> TargetsBuild:
    """Read every plan, assemble the targets table and check its quality."""
    documents = parse_plans(reg, lucheng_split)
    targets = assemble(documents, reg)
    return TargetsBuild(targets, documents, quality.check_targets(targets, documents, reg))


def build_targets(reg: Registry, lucheng_split: str | None = None) -> pd.DataFrame:
    """The targets of every plan of the registry, validated against ontrack.schema.TARGETS."""
    return assemble(parse_plans(reg, lucheng_split), reg)


OUTPUTS = ("targets.csv", "targets.xlsx", "quality_report.csv", "quality_report.md")


def write_outputs(result: TargetsBuild, out_dir: Path) -> dict[str, Path]:
    """Write targets.csv/.xlsx and quality_report.csv/.md into ``out_dir``."""
    out_dir = Path(out_dir)
    return {
        "targets.csv": fileio.write_csv(result.targets, out_dir / "targets.csv"),
        "targets.xlsx": fileio.write_xlsx(
            {"targets": result.targets, "quality": result.findings}, out_dir / "targets.xlsx"
        ),
        "quality_report.csv": fileio.write_csv(result.findings, out_dir / "quality_report.csv"),
        "quality_report.md": fileio.write_text(
            out_dir / "quality_report.md", quality.quality_markdown(result.findings)
        ),
    }


def refresh(project: Project, lucheng_split: str | None = None) -> TargetsBuild:
    """Build the project's targets into data/processed (targets.csv, .xlsx, the quality
    report) and record what they were made from (:mod:`ontrack.stamps`)."""
    inputs = stamps.checksums(stamps.stage_inputs(project, "targets"))
    result = build(project.registry(), lucheng_split)
    write_outputs(result, project.processed)
    stamps.record(project, "targets", inputs, {"lucheng_split": lucheng_split})
    return result


def ensure_targets(project: Project) -> str | None:
    """Rebuild the targets when out of date (a plan folder or the indicators changed, another
    ontrack: :mod:`ontrack.stamps`), with the options they were last built with; why, or None
    when they were current."""
    why = stamps.staleness(project, "targets")
    if why:
        refresh(project, stamps.options(project, "targets").get("lucheng_split"))
    return why


def load_targets(project: Project) -> pd.DataFrame:
    """The project's processed targets table; built and written first if it is missing or out
    of date (:func:`ensure_targets`)."""
    ensure_targets(project)
    return read_targets(project.targets_csv)


def read_targets(path: Path) -> pd.DataFrame:
    """A targets table (docs/data-contracts.md), checked against its contract."""
    path = Path(path)
    try:
        df = fileio.read_csv(
            path,
            dtype={"plan_id": str, "region_id": str, "indicator_id": str},
            keep_default_na=False,
        )
    except (OSError, ValueError) as exc:
        raise InputError(str(path), f"unreadable targets table ({exc})") from None
    missing = [c for c in KEY if c not in df.columns]
    if missing:
        raise InputError(str(path), f"missing columns {missing}", "docs/data-contracts.md")
    if "assumed" in df:
        df["assumed"] = df["assumed"].astype(str).str.lower().isin(["true", "1", "yes"])
    return validate(df, TARGETS, str(path))


# --- display helpers (for the notebooks) --------------------------------------------------------


def targets_table(targets: pd.DataFrame, plan: str, reg: Registry) -> pd.DataFrame:
    """The targets of one plan, in readable columns (region and indicator names, years)."""
    t = targets[targets.plan_id == plan]
    if t.empty:
        raise InputError(
            "plan", f"no targets for {plan!r}", ", ".join(sorted(set(targets.plan_id)))
        )
    return pd.DataFrame(
        {
            "region": t.region_id.map(reg.region_name),
            "indicator": t.indicator_id,
            "years": [
                f"{a}" if a == b else f"{a}–{b}"
                for a, b in zip(t.year_start, t.year_end, strict=True)
            ],
            "level": t.level,
            "value": t.value,
            "unit": t.unit,
            "measure": t.measure,
            "assumed": t.assumed,
            "source": t.source,
        }
    ).reset_index(drop=True)


def target_matrix(
    targets: pd.DataFrame, plan: str, indicator: str, reg: Registry, level: str = "baseline"
) -> pd.DataFrame:
    """Regions × years of one indicator (yearly columns, then the multi-year ones)."""
    t = targets[
        (targets.plan_id == plan) & (targets.indicator_id == indicator) & (targets.level == level)
    ]
    if t.empty:
        raise InputError(
            "indicator",
            f"no {level} targets for {indicator!r} in {plan!r}",
            ", ".join(sorted(set(targets[targets.plan_id == plan].indicator_id))),
        )
    t = _order(t.reset_index(drop=True), reg)
    cols = [f"{a}" if a == b else f"{a}–{b}" for a, b in zip(t.year_start, t.year_end, strict=True)]
    m = pd.DataFrame({"region": t.region_id.map(reg.region_name), "years": cols, "value": t.value})
    out = m.pivot(index="region", columns="years", values="value")
    out = out.reindex(
        index=list(dict.fromkeys(m.region)),
        columns=sorted(set(cols), key=lambda c: (len(c) > 4, c)),
    )
    out.columns.name = f"{indicator} ({t.unit.iloc[0]})"
    return out


def summary(result: TargetsBuild) -> str:
    """Rows per plan and findings per severity, for the command line."""
    per_plan = result.targets.groupby("plan_id", sort=False).size()
    assumed = result.targets.groupby("plan_id", sort=False).assumed.sum()
    lines = [f"targets: {len(result.targets)} rows"]
    for plan, n in per_plan.items():
        lines.append(f"  {plan}: {n} rows ({int(assumed[plan])} assumed)")
    counts = result.findings.severity.value_counts()
    words = {"error": "错误", "warning": "注意", "info": "说明"}
    lines.append(
        f"质量检查 / quality: {len(result.findings)} findings ("
        + ", ".join(f"{int(counts.get(s, 0))} {words[s]} {s}" for s in quality.SEVERITIES)
        + ")"
    )
    return "\n".join(lines)


# --- command line -------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--lucheng-split",
        choices=SPLITS,
        default=None,
        help="override the yearly split of Lucheng's three-year totals (an assumption; the "
        "plan.yml default is 'city' = the city plan's 300/400/500 shape; 'even' = a third a year)",
    )
    parser.add_argument(
        "--out-dir",
        type=Path,
        default=None,
        help="where to write targets.csv etc. (default: the project's data/processed)",
    )


def run(args: argparse.Namespace) -> int:
    project = find_project(args.project)
    if args.out_dir:
        result = build(project.registry(), args.lucheng_split)
        paths = write_outputs(result, args.out_dir)
    else:
        result = refresh(project, args.lucheng_split)
        paths = {n: project.processed / n for n in OUTPUTS}
    print(summary(result))
    # every error and warning named, Chinese then English (a count alone says nothing)
    f = result.findings
    shown = f[f["severity"].isin(["error", "warning"])]
    for _, r in shown.iterrows():
        mark = "错误 error" if r["severity"] == "error" else "注意 warning"
        print(f"  ! [{mark}] {r['message']}\n      {r['message_en']}")
    print("wrote " + ", ".join(project.relative(p) for p in paths.values()))
    n_err = int((f["severity"] == "error").sum())
    if n_err:
        print(
            f"{n_err} 个错误：请核对计划文件后再用这些目标 / {n_err} error(s): check the plan "
            "files before relying on these targets",
            file=sys.stderr,
        )
        return 1
    return 0
