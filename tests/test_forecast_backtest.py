"""The backtest: the model must beat both simple verdicts on data with a known process."""

from __future__ import annotations

import argparse

import pytest

from ontrack.fileio import read_csv, write_csv
from ontrack.forecast import backtest as bt_mod
from ontrack_evidence.synthetic import make_synthetic, synthetic_registry


@pytest.fixture(scope="module")
def result():
    prog, targ = make_synthetic(n_counties=2, n_towns=6, years=(2025, 2026), seed=7)
    bt = bt_mod.backtest(prog, targ, reg=synthetic_registry(2, 6), n_sims=1500)
    return bt, bt_mod.summarize(bt)


def test_origins_and_completed_years(result):
    bt, _ = result
    assert sorted(bt["as_of"].unique()) == [
        "2025-03",
        "2025-06",
        "2025-09",
        "2026-03",
        "2026-06",
        "2026-09",
    ]
    assert set(bt["year_end"]) == {2025, 2026}
    assert bt["outcome"].notna().all()


def test_model_beats_both_baselines_with_calibrated_intervals(result):
    _, s = result
    allrows = s[s["subset"] == "all"].set_index("method")
    assert allrows.loc["model", "brier"] < allrows.loc["linear_pace", "brier"]
    assert allrows.loc["model", "brier"] < allrows.loc["seasonal_share", "brier"]
    assert 0.65 <= allrows.loc["model", "coverage_10_90"] <= 0.92


def test_cli_writes_summary_and_detail(tmp_path, capsys):
    # ad hoc, outside any project: the regions table gives the townships' county
    prog, targ = make_synthetic(n_counties=1, n_towns=3, years=(2025,), seed=2)
    write_csv(prog, tmp_path / "progress.csv")
    write_csv(targ, tmp_path / "targets.csv")
    rows = [(r.id, r.parent or "") for r in synthetic_registry(1, 3).regions.values()]
    regions = "region_id,parent_id\n" + "".join(f"{r},{p}\n" for r, p in rows)
    (tmp_path / "regions.csv").write_text(regions, encoding="utf-8")
    p = argparse.ArgumentParser()
    bt_mod.add_arguments(p)
    args = p.parse_args(
        [
            "--progress",
            str(tmp_path / "progress.csv"),
            "--targets",
            str(tmp_path / "targets.csv"),
            "--regions",
            str(tmp_path / "regions.csv"),
            "--out",
            str(tmp_path / "bt.csv"),
            "--sims",
            "300",
        ]
    )
    assert bt_mod.run(args) == 0
    s = read_csv(tmp_path / "bt.csv")
    assert set(s["method"]) == {"model", "linear_pace", "seasonal_share"}
    detail = read_csv(tmp_path / "bt_detail.csv")
    county = detail[(detail["region_id"] == "cty0") & (detail["indicator_id"] == "firms")]
    assert county["method"].str.startswith("sum of 3 sub-regions").all()
    assert "brier" in capsys.readouterr().out
