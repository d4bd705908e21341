"""Charts and notebook helpers of the progress stage."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import matplotlib
import pandas as pd
import pytest

matplotlib.use("Agg")


def _progress() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "region_id": ["pingyang-kunyang"] * 3 + ["pingyang-aojiang"],
            "indicator_id": ["space", "space", "firms", "space"],
            "month": ["2026-02", "2026-05", "2026-03", "2026-05"],
            "value": [1.0, 2.5, 4.0, 3.0],
            "source": ["a.xlsx | s | D5"] * 3 + ["b.csv | line 2"],
            "illustrative": [True, True, True, False],
            "covers": [2, 1, 1, 1],
        }
    )


def test_running_totals_chart_has_one_panel_per_indicator(example_registry):
    from ontrack.progress.charts import plot_running_totals

    fig = plot_running_totals(_progress(), example_registry)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == 2  # space, firms
    space = next(ax for ax in visible if "孵化空间" in ax.get_title())
    # 昆阳镇's running total: 1.0 in February, 1.0 + 2.5 = 3.5 in May
    ys = sorted(max(line.get_ydata()) for line in space.lines if len(line.get_ydata()))
    assert ys == [3.0, 3.5]
    assert "(万平方米)" in space.get_title()  # the unit from the registry


def test_chart_names_an_undeclared_region_by_its_id(example_registry):
    from ontrack.progress.charts import plot_running_totals

    df = _progress().assign(region_id=["longwan"] * 3 + ["pingyang-aojiang"])
    fig = plot_running_totals(df, example_registry)
    labels = fig.legends[0].get_texts()
    assert sorted(t.get_text() for t in labels) == ["longwan", "鳌江镇"]


def test_inputs_summary_counts_values_per_file():
    from ontrack.progress.summary import inputs_summary

    s = inputs_summary(_progress()).set_index("file")
    assert s.loc["a.xlsx", "values"] == 3 and bool(s.loc["a.xlsx", "illustrative"])
    assert s.loc["b.csv", "values"] == 1 and not bool(s.loc["b.csv", "illustrative"])


def _code(notebook) -> str:
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")


@pytest.mark.slow
def test_notebook_runs_under_papermill(tmp_path, example_project):
    from conftest import FIXTURES, ROOT

    notebook = ROOT / "notebooks" / "02_progress.ipynb"
    if "project" not in _code(notebook):
        pytest.skip("notebook 02 still calls the progress stage without a project")
    papermill = ROOT / ".venv" / "bin" / "papermill"
    exe = [str(papermill)] if papermill.exists() else [sys.executable, "-m", "papermill"]
    good = str(FIXTURES / "progress" / "good")
    # run from inside the project: the notebook finds it as every command does
    r = subprocess.run(
        [*exe, str(notebook), str(tmp_path / "out.ipynb"),
         "-y", f"paths: ['{good}']", "-k", "python3", "--cwd", str(example_project.root)],
        capture_output=True, text=True, timeout=300,
        env={**os.environ, "ONTRACK_PROJECT": str(example_project.root)},
    )  # fmt: skip
    assert r.returncode == 0, r.stderr[-2000:]
