"""A small, made-up plan dataset (示例数据) for tests and benchmarks of the briefing alone.

It follows the contracts (targets, progress, attainment + extras, trajectories) so that a
briefing can be rendered without running the other stages: :func:`write_sample` writes the
tables into a project (one holding the example plans' registry) as the stages would, with a
forecast folder whose forecast.json records the checksums of the sample's inputs, so that
``ontrack render`` finds it current and reads it. Every row is marked illustrative.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from ontrack.fileio import write_csv
from ontrack.forecast import store as ft
from ontrack.forecast.verdicts import eurostat_class, linear_pace, rag
from ontrack.project import Project

PLAN = "pingyang-2025-2027"
AS_OF = "2026-09"
SIMS = 1000
REGIONS = ("pingyang", "pingyang-kunyang", "pingyang-aojiang", "pingyang-shuitou")
#: county yearly targets for 2026 (baseline, stretch) and units
COUNTY = {
    "space": (25.0, 30.0, "万平方米"),
    "firms": (300.0, 350.0, "个"),
    "talent": (3000.0, 3500.0, "人"),
    "tech_firms": (40.0, 45.0, "家"),
    "incubators_20": (1.0, 2.0, "家"),
}
#: share of the county target per township, and each region's completion pace (share of
#: the yearly target done by September)
SHARE = {
    "pingyang": 1.0,
    "pingyang-kunyang": 0.4,
    "pingyang-aojiang": 0.35,
    "pingyang-shuitou": 0.25,
}
PACE = {
    "space": 0.35,
    "firms": 0.8,
    "talent": 0.7,
    "tech_firms": 0.68,
    "incubators_20": 0.0,
}
TILT = {"pingyang": 1.0, "pingyang-kunyang": 1.15, "pingyang-aojiang": 0.9, "pingyang-shuitou": 0.8}


def _phi(x: float) -> float:
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def sample_tables(as_of: str = AS_OF) -> dict[str, pd.DataFrame]:
    """Illustrative tables for the Pingyang plan (county + 3 townships), as of September 2026:
    targets, progress, attainment, trajectories, quality, cleaning."""
    trows, prows, arows, jrows = [], [], [], []
    year = int(as_of[:4])
    k = int(as_of[5:])
    for r in REGIONS:
        for ind, (base, stretch, unit) in COUNTY.items():
            target = (
                round(base * SHARE[r], 1)
                if ind != "incubators_20"
                else (1.0 if r == "pingyang" else 0.0)
            )
            levels = [("baseline", target)]
            if r == "pingyang":
                levels.append(("stretch", stretch))
            for level, value in levels:
                trows.append(
                    dict(
                        plan_id=PLAN,
                        region_id=r,
                        indicator_id=ind,
                        year_start=year,
                        year_end=year,
                        level=level,
                        value=value,
                        unit=unit,
                        source="附件2 平阳县大孵化器集群建设任务分解表",
                        quote=f"{value:g}",
                    )
                )
            # monthly progress: an even pace (one completion in month 6 for lumpy space)
            done = round(target * min(PACE[ind] * TILT[r], 1.5), 1)
            monthly = [done / k] * k
            for m, v in enumerate(monthly, start=1):
                prows.append(
                    dict(
                        region_id=r,
                        indicator_id=ind,
                        month=f"{year}-{m:02d}",
                        value=v,
                        source="示例数据",
                        illustrative=True,
                    )
                )
            left = 12 - k
            pace = done / k
            for level, value in levels:
                p50 = done + pace * left * 1.3  # a year-end rush of 30 %
                sd = max(0.12 * p50, 0.3)
                p_meet = 1 - _phi((value - p50) / sd) if value > 0 else 1.0
                p_meet = round(min(max(p_meet, 0.0), 1.0), 3)
                share_done = done / value if value else 1.0
                share_time = k / 12
                required = max(value - done, 0) / left if left else 0.0
                arows.append(
                    dict(
                        plan_id=PLAN,
                        region_id=r,
                        indicator_id=ind,
                        year_start=year,
                        year_end=year,
                        level=level,
                        target=value,
                        actual_to_date=done,
                        p_meet=p_meet,
                        proj_p10=p50 - 1.28 * sd,
                        proj_p50=p50,
                        proj_p90=p50 + 1.28 * sd,
                        required_per_month=required,
                        as_of=as_of,
                        months_left=left,
                        share_done=share_done,
                        share_time=share_time,
                        pace_ratio=pace / required if required else float("inf"),
                        seasonal_verdict="ahead" if p50 >= value else "behind",
                        method="sample",
                        assumed=False,
                        illustrative=True,
                        scenario="baseline",
                        n_sims=SIMS,
                        seed=0,
                    )
                )
                running = 0.0
                for m in range(1, 13):
                    key = dict(
                        plan_id=PLAN,
                        region_id=r,
                        indicator_id=ind,
                        year_start=year,
                        year_end=year,
                        level=level,
                        month=f"{year}-{m:02d}",
                        target=value,
                    )
                    if m <= k:
                        running += pace
                        jrows.append(
                            dict(key, actual=running, p10=running, p50=running, p90=running)
                        )
                    else:
                        frac = (m - k) / left
                        mid = done + pace * left * 1.3 * frac
                        sd = max(0.12 * mid, 0.3) * frac
                        jrows.append(
                            dict(
                                key,
                                actual=float("nan"),
                                p10=max(done, mid - 1.28 * sd),
                                p50=mid,
                                p90=mid + 1.28 * sd,
                            )
                        )
    attainment = pd.DataFrame(arows)
    # the verdicts exactly as the forecast derives them (ontrack.forecast.verdicts)
    attainment["linear_pace"] = linear_pace(attainment["share_done"], attainment["share_time"])
    attainment["rag"] = rag(attainment["p_meet"])
    attainment["eurostat_class"] = eurostat_class(attainment["pace_ratio"])
    return {
        "targets": pd.DataFrame(trows),
        "progress": pd.DataFrame(prows),
        "attainment": attainment,
        "trajectories": pd.DataFrame(jrows),
        "quality": pd.DataFrame(
            [
                dict(
                    severity="warning",
                    plan_id=PLAN,
                    check="body vs table",
                    message="示例：正文与附表数值不一致",
                ),
                dict(severity="info", plan_id=PLAN, check="parsed", message="示例：已读取"),
                dict(
                    severity="warning", plan_id="lucheng-2025-2027", check="x", message="其他计划"
                ),
            ]
        ),
        "cleaning": pd.DataFrame(
            [
                dict(
                    level="warning",
                    file="示例.xlsx",
                    sheet="1-9月",
                    cell="C5",
                    message="示例：单位换算",
                )
            ]
        ),
    }


def write_sample(project: Project, as_of: str = AS_OF) -> Path:
    """Write the sample tables into ``project`` (a project with the example plans): targets.csv,
    progress.csv, quality_report.csv, cleaning_log.csv, and the forecast folder of
    (as_of, baseline, :data:`SIMS` draws, seed 0) whose forecast.json is current for them.
    Returns that folder. Render with ``n_sims=SIMS``."""
    t = sample_tables(as_of)
    write_csv(t["targets"], project.targets_csv)
    write_csv(t["progress"], project.progress_csv)
    write_csv(t["quality"], project.quality_csv)
    write_csv(t["cleaning"], project.cleaning_log_csv)
    tables = ft.ForecastTables(
        t["attainment"],
        t["trajectories"],
        {
            "format": ft.FORMAT,
            "parameters": {
                "as_of": as_of,
                "scenario": "baseline",
                "n_sims": SIMS,
                "seed": 0,
                "path_sims": SIMS,
            },
            "as_of": {PLAN: as_of},
            "inputs": ft.checksums(ft.project_input_files(project)),
            "code": ft.code_version(),
            "sample": "示例数据: made-up tables (ontrack_evidence.sample), not a forecast",
        },
    )
    folder = ft.folder_for(project, as_of, None, SIMS, 0)
    ft.write(tables, folder)
    return folder
