"""`ontrack forecast` end to end: on a project, and ad hoc on any data (ids of any shape)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from ontrack.cli import main
from ontrack.fileio import read_csv, write_csv
from ontrack.forecast import store as ft
from ontrack.schema import TARGET_KEY
from ontrack_evidence.synthetic import make_synthetic

TRAJECTORY_COLUMNS = [
    "plan_id", "region_id", "indicator_id", "year_start", "year_end", "level",
    "month", "actual", "p10", "p50", "p90", "target",
]  # fmt: skip


@pytest.fixture
def outside(tmp_path, monkeypatch):
    """A working folder that is in no project (no ontrack.toml above it, no ONTRACK_PROJECT)."""
    monkeypatch.delenv("ONTRACK_PROJECT", raising=False)
    monkeypatch.chdir(tmp_path)
    assert not any((d / "ontrack.toml").exists() for d in (tmp_path, *tmp_path.parents))
    return tmp_path


def _adhoc_data(folder):
    """County R0012 with townships R0017 and R0018 (ids say nothing about the hierarchy).

    Firms, January–June 2026: R0017 reports 2 a month (12 in all), R0018 3 a month (18), and the
    county reports its own total, 5 a month (30 = 12 + 18). Yearly 2026 targets: R0017 30,
    R0018 40, the county 70.
    """
    months = [f"2026-{m:02d}" for m in range(1, 7)]
    rows = [(r, m, v) for r, v in (("R0017", 2.0), ("R0018", 3.0), ("R0012", 5.0)) for m in months]
    progress = pd.DataFrame(
        {
            "region_id": [r for r, _, _ in rows],
            "indicator_id": "firms",
            "month": [m for _, m, _ in rows],
            "value": [v for _, _, v in rows],
            "source": "hand-made",
        }
    )
    targets = pd.DataFrame(
        {
            "plan_id": "P1",
            "region_id": ["R0012", "R0017", "R0018"],
            "indicator_id": "firms",
            "year_start": 2026,
            "year_end": 2026,
            "level": "baseline",
            "value": [70.0, 30.0, 40.0],
            "unit": "个",
            "source": "test",
            "quote": "test",
        }
    )
    write_csv(progress, folder / "progress.csv")
    write_csv(targets, folder / "targets.csv")
    (folder / "regions.csv").write_text(
        "region_id,name_zh,parent_id\nR0012,某县,\nR0017,甲镇,R0012\nR0018,乙镇,R0012\n",
        encoding="utf-8",
    )


def _adhoc(folder, out, *extra):
    args = ["forecast", "--progress", str(folder / "progress.csv")]
    args += ["--targets", str(folder / "targets.csv"), "--sims", "2000", "--out", str(out)]
    return main([*args, *extra])


def test_adhoc_forecast_sums_a_county_from_the_regions_table(outside, capsys):
    _adhoc_data(outside)
    assert _adhoc(outside, outside / "with", "--regions", str(outside / "regions.csv")) == 0
    assert "3 targets forecast as of 2026-06" in capsys.readouterr().out
    a = read_csv(outside / "with" / "attainment.csv").set_index("region_id")
    # the county's actual to date is its townships' sum: 12 + 18 = 30
    assert a.loc["R0017", "actual_to_date"] == 12 and a.loc["R0018", "actual_to_date"] == 18
    assert a.loc["R0012", "actual_to_date"] == 30
    # its draws are the sum of its townships' draws: the median of the sum lies between the sums
    # of the townships' 10% and 90% quantiles
    assert a.loc["R0012", "method"].startswith("sum of 2 sub-regions")
    towns = a.loc[["R0017", "R0018"]]
    assert towns["proj_p10"].sum() <= a.loc["R0012", "proj_p50"] <= towns["proj_p90"].sum()
    # the contract's extra columns of attainment.csv
    assert (a["as_of"] == "2026-06").all() and (a["scenario"] == "baseline").all()
    assert (a["n_sims"] == 2000).all() and (a["seed"] == 0).all()


def test_adhoc_forecast_without_regions_has_no_parents(outside):
    _adhoc_data(outside)
    assert _adhoc(outside, outside / "without") == 0
    a = read_csv(outside / "without" / "attainment.csv").set_index("region_id")
    # R0012 is forecast from its own rows (5 a month), not as the sum of R0017 and R0018
    assert not a.loc["R0012", "method"].startswith("sum of")
    assert a.loc["R0012", "actual_to_date"] == 30  # 6 x 5, its own reports
    meta = json.loads((outside / "without" / "forecast.json").read_text(encoding="utf-8"))
    assert meta["as_of"] == {"P1": "2026-06"}
    assert set(meta["inputs"]) == {
        f"progress: {outside / 'progress.csv'}",
        f"targets: {outside / 'targets.csv'}",
    }


def test_trajectories_columns_and_last_month_equal_to_attainment(outside):
    _adhoc_data(outside)
    assert _adhoc(outside, outside / "o", "--regions", str(outside / "regions.csv")) == 0
    tables = ft.read(outside / "o")  # validated against the schemas, checksums checked
    traj, att = tables.trajectories, tables.attainment
    assert list(traj.columns) == TRAJECTORY_COLUMNS
    # every target has its 12 months of 2026; the actual running total stops at June
    assert len(traj) == 3 * 12
    county = traj[traj["region_id"] == "R0012"]
    assert list(county["actual"].iloc[:6]) == [5.0, 10.0, 15.0, 20.0, 25.0, 30.0]
    assert county["actual"].iloc[6:].isna().all()
    assert (county["target"] == 70).all()
    last = traj.groupby(TARGET_KEY, as_index=False).tail(1).merge(att, on=TARGET_KEY)
    assert len(last) == len(att) == 3 and (last["month"] == "2026-12").all()
    np.testing.assert_array_equal(last["p50"], last["proj_p50"])
    np.testing.assert_array_equal(last["p10"], last["proj_p10"])
    np.testing.assert_array_equal(last["p90"], last["proj_p90"])


def test_adhoc_forecast_needs_an_out_folder_outside_a_project(outside, capsys):
    _adhoc_data(outside)
    rc = main(["forecast", "--progress", "progress.csv", "--targets", "targets.csv"])
    assert rc == 2 and "--out" in capsys.readouterr().err
    rc = main(["forecast", "--targets", "targets.csv", "--out", "o"])
    assert rc == 2 and "--progress" in capsys.readouterr().err
    rc = main(["forecast"])  # no project here, no inputs given
    err = capsys.readouterr().err
    assert rc == 2 and "ontrack init" in err and "Traceback" not in err


def test_forecast_cli_names_bad_inputs(outside, capsys):
    rc = main(["forecast", "--progress", "missing.csv", "--targets", "t.csv", "--out", "o"])
    assert rc == 2
    assert "--progress" in capsys.readouterr().err
    prog, targ = make_synthetic(n_counties=1, n_towns=2, years=(2026,), last_month="2026-05")
    write_csv(prog, outside / "p.csv")
    write_csv(targ, outside / "t.csv")
    args = ["forecast", "--progress", "p.csv", "--targets", "t.csv", "--out", "o"]
    assert main([*args, "--as-of", "2026-13"]) == 2
    assert "2026-13" in capsys.readouterr().err
    assert main([*args, "--regions", "nowhere.csv"]) == 2
    assert "--regions" in capsys.readouterr().err


def test_as_of_is_limited_to_months_with_data(outside, capsys):
    # synthetic progress to 2026-05: an as-of after it would present June ... as known
    prog, targ = make_synthetic(n_counties=1, n_towns=2, years=(2025, 2026), last_month="2026-05")
    write_csv(prog, outside / "p.csv")
    write_csv(targ, outside / "t.csv")
    args = ["forecast", "--progress", "p.csv", "--targets", "t.csv", "--sims", "200"]
    assert main([*args, "--out", "o", "--as-of", "2026-09"]) == 2
    err = capsys.readouterr().err
    assert "2026-09 is after the last month with data (2026-05)" in err
    assert "2026-09 晚于最后一个有数据的月份 2026-05" in err
    assert not (outside / "o").exists()
    assert main([*args, "--out", "o", "--as-of", "2026-05"]) == 0
    assert main([*args, "--out", "o2", "--as-of", "latest"]) == 0
    assert ft.read(outside / "o2").attainment["as_of"].unique().tolist() == ["2026-05"]


def test_check_as_of_per_plan():
    # plan A's regions report to 2026-08, plan B's to 2026-10: 2026-09 is refused for A only
    progress = pd.DataFrame(
        {
            "region_id": ["a", "a", "b"],
            "indicator_id": "firms",
            "month": ["2026-07", "2026-08", "2026-10"],
            "value": 1.0,
        }
    )
    targets = pd.DataFrame(
        {"plan_id": ["A", "B"], "region_id": ["a", "b"], "indicator_id": "firms",
         "year_start": 2026, "year_end": 2026, "level": "baseline", "value": 10.0}
    )  # fmt: skip
    from ontrack.errors import InputError
    from ontrack.registry import Registry

    assert ft.check_as_of("latest", progress) == "2026-10"
    assert ft.check_as_of("2026-10", progress) == "2026-10"
    ft.check_plans_as_of("2026-08", progress, targets, Registry())
    with pytest.raises(InputError) as ei:
        ft.check_plans_as_of("2026-09", progress, targets, Registry())
    assert "after the last month with data (2026-08 of plan A)" in str(ei.value)
    with pytest.raises(InputError, match="no progress data"):
        ft.check_as_of("latest", progress.iloc[0:0])


@pytest.fixture
def copy(built_project, tmp_path):
    """A copy of the built example project this test may write into."""
    import shutil

    from ontrack.project import open_project

    shutil.copytree(built_project.root, tmp_path / "p")
    return open_project(tmp_path / "p")


def test_project_forecast_refuses_an_as_of_after_the_data(copy, capsys):
    # the illustrative data of both plans end in 2026-10
    out = copy.processed / "out"
    rc = main(["--project", str(copy.root), "forecast", "--as-of", "2026-11", "--out", str(out)])
    assert rc == 2
    err = capsys.readouterr().err
    assert "2026-11 is after the last month with data (2026-10 of plan lucheng-2025-2027)" in err
    assert "(2026-10 of plan pingyang-2025-2027)" in err
    assert not out.exists()


def test_project_forecast_writes_inside_the_project_only(copy, tmp_path, capsys):
    """--out outside the project, or into data/raw (where the next ingest would read it as a
    report), is refused before anything is computed or written (issue 23)."""
    for out, why in (
        (tmp_path / "elsewhere", "is outside the project"),
        (copy.progress_dir, "is inside data/raw"),
        (copy.processed / ".." / "raw" / "x", "is inside data/raw"),
    ):
        rc = main(["--project", str(copy.root), "forecast", "--sims", "200", "--out", str(out)])
        assert rc == 2 and why in capsys.readouterr().err
    assert not (tmp_path / "elsewhere").exists()
    assert not (copy.progress_dir / "attainment.csv").exists()
    assert not (copy.raw / "x").exists()


def test_project_forecast_writes_its_tables(copy):
    out = copy.processed / "out"
    rc = main(["--project", str(copy.root), "forecast", "--sims", "1000", "--out", str(out)])
    assert rc == 0
    assert {p.name for p in out.iterdir()} == {
        "attainment.csv",
        "trajectories.csv",
        "not_forecast.csv",
        "forecast.json",
    }
    tables = ft.read(out)
    meta = tables.meta
    assert meta["parameters"] == {
        "as_of": "latest", "scenario": "baseline", "n_sims": 1000, "seed": 0, "path_sims": 1000,
    }  # fmt: skip
    # each plan resolved 'latest' on its own progress (the illustrative data end in 2026-10)
    assert meta["as_of"] == {"lucheng-2025-2027": "2026-10", "pingyang-2025-2027": "2026-10"}
    assert "data/processed/targets.csv" in meta["inputs"]
    assert "data/raw/plans/pingyang-2025-2027/regions.csv" in meta["inputs"]
    assert set(tables.attainment["plan_id"]) == set(meta["as_of"])


def test_a_changed_table_is_refused_when_read(copy):
    out = copy.processed / "out"
    assert main(["--project", str(copy.root), "forecast", "--sims", "200", "--out", str(out)]) == 0
    path = out / "attainment.csv"
    path.write_text(path.read_text(encoding="utf-8-sig").replace("green", "red"), encoding="utf-8")
    with pytest.raises(Exception, match="checksum"):
        ft.read(out)


def test_each_series_is_drawn_once_for_every_target_it_serves(built_project, monkeypatch):
    """Every target of the example project, with its trajectories, from one draw of each
    township series (its own targets and its county's re-use it): what keeps the forecast fast
    (about 0.4 s, measured by `make bench`; a forecast that stopped re-using its draws took
    twice as long). Counted, not timed: no wall-clock bound in the tests."""
    from ontrack.forecast import simulate

    calls: list[tuple[str, str]] = []
    real = simulate.series_paths

    def counting(p, *a, **k):
        calls.append((p.region_id, p.indicator_id))
        return real(p, *a, **k)

    monkeypatch.setattr(simulate, "series_paths", counting)
    progress, targets = ft.load_inputs(built_project)
    tables = ft.compute(progress, targets, reg=built_project.registry(), n_sims=500)
    assert len(tables.attainment) > 200 and len(tables.trajectories) > 3000
    assert len(calls) == len(set(calls))  # no series drawn twice


# ------------------------------------------------------------ the ad hoc run with the ingest's care
def test_adhoc_running_totals_are_read_as_running_totals(outside, capsys):
    """A table of running totals with basis=cumulative was read as monthly amounts: the year
    came out 6.4 times too big, p_meet 1.0, no warning (issue 20)."""
    _adhoc_data(outside)
    rows = ["region_id,indicator_id,month,value,basis"]
    rows += [f"R0017,firms,2026-{m:02d},{2 * m},cumulative" for m in range(1, 7)]  # 2, 4 … 12
    (outside / "progress.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert _adhoc(outside, outside / "o") == 0
    a = read_csv(outside / "o" / "attainment.csv").set_index("region_id")
    assert a.loc["R0017", "actual_to_date"] == 12  # the running total, not 2 + 4 + … + 12 = 42
    out = capsys.readouterr().out
    # the targets of R0012 and R0018 have no progress now: listed, not dropped in silence
    assert "2 target(s) without any progress" in out
    assert "P1 R0012 firms 2026 baseline" in out and "P1 R0018 firms 2026 baseline" in out


def test_adhoc_undeclared_indicators_and_units_are_refused(outside, capsys):
    _adhoc_data(outside)
    p = read_csv(outside / "progress.csv")
    p.loc[0, "indicator_id"] = "patents"
    write_csv(p, outside / "progress.csv")
    assert _adhoc(outside, outside / "o") == 2
    assert "indicator(s) patents not declared" in capsys.readouterr().err
    _adhoc_data(outside)
    t = read_csv(outside / "targets.csv")
    t.loc[1, "unit"] = "人"  # firms are counted in 个
    write_csv(t, outside / "targets.csv")
    assert _adhoc(outside, outside / "o") == 2
    err = capsys.readouterr().err
    assert "targets.csv row 3 column unit: '人' does not fit firms" in err
    assert not (outside / "o").exists()


def test_adhoc_bad_years_and_months_are_one_line_each(outside, capsys):
    _adhoc_data(outside)
    t = read_csv(outside / "targets.csv")
    t.loc[0, ["year_start", "year_end"]] = 1999
    write_csv(t, outside / "targets.csv")
    assert _adhoc(outside, outside / "o") == 2
    err = capsys.readouterr().err
    assert "row 2, column year_start: 1999 (expected a year from 2000 to 2100)" in err
    assert "Column" not in err and "schema_context" not in err  # no pandera table dump
    _adhoc_data(outside)
    p = read_csv(outside / "progress.csv", dtype={"month": str})
    p.loc[3, "month"] = "2024-8"
    write_csv(p, outside / "progress.csv")
    assert _adhoc(outside, outside / "o") == 2
    assert "row 5, column month: '2024-8' (expected a month YYYY-MM" in capsys.readouterr().err


def test_the_summary_counts_open_targets_only(outside, capsys):
    _adhoc_data(outside)
    t = read_csv(outside / "targets.csv")
    past = t.iloc[[0]].assign(year_start=2025, year_end=2025, value=10.0)
    write_csv(pd.concat([t, past], ignore_index=True), outside / "targets.csv")
    p = read_csv(outside / "progress.csv", dtype={"month": str})
    p2025 = p[p.region_id == "R0012"].assign(month=lambda d: d.month.str.replace("2026", "2025"))
    write_csv(pd.concat([p, p2025], ignore_index=True), outside / "progress.csv")
    assert _adhoc(outside, outside / "o") == 0
    out = capsys.readouterr().out
    assert "4 targets forecast as of 2026-06 (baseline); of the 3 still open" in out
    assert "(1 of past years)" in out
