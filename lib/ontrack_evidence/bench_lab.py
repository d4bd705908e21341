"""Timings of the scenario lab for ``make bench`` (called by ``ontrack_evidence.bench``)."""

from __future__ import annotations

import os
import time

from ontrack.lab.core import Lab
from ontrack.project import Project


def bench_lab(
    plan: str = "",
    region: str = "",
    as_of: str = "latest",
    n_sims: int = 10_000,
    project: Project | str | os.PathLike | None = None,
) -> list[tuple[str, float, str]]:
    """Timings of the lab on a project's processed data: (what, seconds, note).

    What a researcher waits for after a change, in the kernel: the recomputation, the table
    (results + HTML) and the chart (trajectories + drawing into the reused figure + PNG). The
    browser adds its round trip (measured by tests/test_lab_browser.py). Defaults: the project
    found from the current folder, its first plan and that plan's region."""
    from ontrack.lab.views import ChartView, results_table_html

    t0 = time.perf_counter()
    lab = Lab(plan, region, as_of, n_sims=n_sims, project=project)
    total = time.perf_counter() - t0
    out = [
        ("lab: open (load + fit + baseline)", total, f"{lab.plan} {lab.region} as of {lab.as_of}")
    ]
    sub = lab.regions[1] if len(lab.regions) > 1 else lab.region
    ind = lab.indicators[0]
    months = lab.months()
    month = months[min(len(months) - 1, 3)]
    year = int(month[:4])
    keys = lab.target_keys()
    key = keys[~keys["closed"] & (keys["region_id"] == lab.region)].iloc[0]
    view = ChartView()

    def table() -> float:
        t = time.perf_counter()
        results_table_html(lab.results(), lab, lab.region, year)
        return time.perf_counter() - t

    def chart() -> float:
        t = time.perf_counter()
        view.draw(lab.chart_data(ind, year, lab.region))
        view.png()
        return time.perf_counter() - t

    chart()  # the first drawing loads the fonts: not what a change costs
    changes = [
        ("township project", lambda: lab.add_project(sub, ind, month, 0.1, 0.8, "bench", True)),
        ("edit project", lambda: lab.edit_project(0, probability=0.5)),
        ("township pace", lambda: lab.set_pace(sub, ind, None, 1.2)),
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
        ("township pace, with an override", lambda: lab.set_pace(sub, ind, None, 1.4)),
        ("pace everywhere, all indicators", lambda: lab.set_pace("*", "*", None, 0.9)),
    ]
    for name, fn in changes:
        t0 = time.perf_counter()
        fn()
        sim = time.perf_counter() - t0
        tab = table()
        out.append((f"lab: {name}: recompute + table", sim + tab, lab.timings[-1]["recomputed"]))
        out.append((f"lab: {name}: chart", chart(), "trajectories + redraw + PNG"))
    return out


__all__ = ["bench_lab"]
