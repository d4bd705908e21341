"""`ontrack forecast` end to end on small files."""

from __future__ import annotations

from ontrack.cli import main
from ontrack.fileio import read_csv, write_csv
from ontrack.forecast.synthetic import make_synthetic


def test_forecast_cli_writes_a_valid_table(tmp_path, capsys):
    prog, targ = make_synthetic(n_counties=1, n_towns=2, years=(2026,), last_month="2026-05")
    write_csv(prog, tmp_path / "p.csv")
    write_csv(targ, tmp_path / "t.csv")
    rc = main(
        [
            "forecast",
            "--as-of",
            "latest",
            "--progress",
            str(tmp_path / "p.csv"),
            "--targets",
            str(tmp_path / "t.csv"),
            "--sims",
            "200",
            "--out",
            str(tmp_path / "a.csv"),
        ]
    )
    assert rc == 0
    a = read_csv(tmp_path / "a.csv")
    assert (a["as_of"] == "2026-05").all()
    assert a["p_meet"].between(0, 1).all()
    assert "targets forecast as of 2026-05" in capsys.readouterr().out


def test_forecast_cli_names_bad_inputs(tmp_path, capsys):
    rc = main(["forecast", "--progress", str(tmp_path / "missing.csv")])
    assert rc == 2
    assert "--progress" in capsys.readouterr().err
    prog, targ = make_synthetic(n_counties=1, n_towns=2, years=(2026,), last_month="2026-05")
    write_csv(prog, tmp_path / "p.csv")
    write_csv(targ, tmp_path / "t.csv")
    rc = main(
        [
            "forecast",
            "--as-of",
            "2026-13",
            "--progress",
            str(tmp_path / "p.csv"),
            "--targets",
            str(tmp_path / "t.csv"),
        ]
    )
    assert rc == 2
    assert "2026-13" in capsys.readouterr().err
