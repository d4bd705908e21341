"""Calibration evidence on a synthetic hierarchical world with a known truth.

``python -m ontrack_evidence.evaluate`` draws a world (:mod:`.world`), forecasts it at as-of
March, June and September of every plan year with the model (``fit`` + ``simulate_attainment``,
exactly as ``ontrack forecast``), with the oracle (:mod:`.oracle`: the exact posterior
predictive of the world, knowing its parameters) and with 时间过半任务过半, and scores every
target that is still open at the as-of month: the yearly targets of the as-of year and the
three-year targets, of townships and of counties (the sum of their townships). The outcome is
the window's true total.

Scores, by level (township / county) and as-of month:

* Brier score of p_meet (0/1 outcome: met or not);
* log score: mean log probability given to what happened (p clipped to [0.001, 0.999]; higher
  is better; the 0/1 verdict has none);
* coverage of the 10–90% projection interval (nominal 80%): the share of outcomes inside it
  (``coverage``), and the same for the whole predictive distribution, with the randomized
  probability integral transform (``pit_coverage``, :func:`pit_coverage`). Both are 80% for a
  forecast with continuous outcomes; with counts an outcome often falls on an end of the
  interval, so an exact forecast covers more than 80% by the first measure (the oracle's
  0.86–0.88 for townships) and exactly 80% by the second, which is the one to hold to
  0.78–0.82;
* Brier ratios: model / oracle (1 = the best any model of this world can do) and model /
  时间过半任务过半.

:func:`calibration_table` bins p_meet by decile against the share met. The output of the
default run is pasted in docs/methods.md (*Evidence: a synthetic hierarchical world*).
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import pandas as pd

from ontrack.forecast.model import fit
from ontrack.forecast.simulate import series_params, simulate_attainment
from ontrack.schema import TARGET_KEY
from ontrack_evidence.world import WORLD_B, WORLD_C, World, WorldParams, make_world, open_targets

ORIGIN_MONTHS = (3, 6, 9)
LOG_CLIP = 1e-3
WORLDS = {"a": WorldParams(), "b": WORLD_B, "c": WORLD_C}


def outcomes(world: World) -> dict[tuple[str, str, int, int], float]:
    """True total of every target window (townships from the truth, counties as sums)."""
    tr = world.truth
    year = tr["month"].str[:4].astype(int)
    by_year = tr.assign(year=year).groupby(["region_id", "indicator_id", "year"])["value"].sum()
    parent = world.reg.parents()
    tot: dict[tuple[str, str, int], float] = {}
    for (r, i, y), v in by_year.items():
        for reg in (r, parent.get(r)):
            if reg is not None:
                tot[(reg, i, y)] = tot.get((reg, i, y), 0.0) + float(v)
    out = {}
    for r, i, ys, ye in world.targets[
        ["region_id", "indicator_id", "year_start", "year_end"]
    ].itertuples(index=False):
        out[(r, i, int(ys), int(ye))] = sum(tot.get((r, i, y), 0.0) for y in range(ys, ye + 1))
    return out


WINDOW = ["region_id", "indicator_id", "year_start", "year_end"]


def model_forecast(
    world: World, as_of: str, n_sims: int, seed: int, outcome: dict | None = None
) -> pd.DataFrame:
    """The model's attainment rows at ``as_of`` (all targets inform the priors, as in
    ``ontrack forecast``). With ``outcome`` (:func:`outcomes`), also the model's predictive
    distribution at each row's outcome *y*: ``cdf_below`` = P(total < y) and ``cdf_at`` =
    P(total <= y), read from the same draws as the row's p_meet: the draws of a series do not
    depend on the targets' values once the priors are set (``params``, from the real targets),
    so p_meet of a target of *y* is P(total >= y) and of a target just above *y* is
    P(total > y) (a test checks the invariance)."""
    fitted = fit(world.progress, as_of, reg=world.reg)
    params = series_params(fitted, world.targets)
    t = open_targets(world, int(as_of[:4]))
    att = simulate_attainment(fitted, t, n_sims=n_sims, seed=seed, params=params)
    if outcome is None:
        return att
    y = np.array([outcome[k] for k in t[WINDOW].itertuples(index=False, name=None)], float)
    above = y + 1e-6 * np.maximum(1.0, np.abs(y))  # above y, below any other value a draw takes
    cdf = {}
    for col, value in (("cdf_below", y), ("cdf_at", above)):
        at = simulate_attainment(
            fitted, t.assign(value=value), n_sims=n_sims, seed=seed, params=params
        )
        cdf[col] = at[[*TARGET_KEY, "p_meet"]].rename(columns={"p_meet": col})
        cdf[col][col] = 1.0 - cdf[col][col]
    return att.merge(cdf["cdf_below"], on=TARGET_KEY, how="left").merge(
        cdf["cdf_at"], on=TARGET_KEY, how="left"
    )


def pit_parts(
    below, at, lo: float = 0.1, hi: float = 0.9
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(below ``lo``, within [lo, hi], above ``hi``): the probabilities that the randomized PIT
    of an outcome falls there. The PIT is uniform on [F(y−), F(y)] (``below``, ``at``; a point
    where they are equal), and a forecast whose distribution is right has it uniform on [0, 1],
    so the middle one's mean is hi − lo whether the outcomes are counts or not, and the tails'
    are lo and 1 − hi (Czado, Gneiting and Held 2009, *Predictive model assessment for count
    data*): a forecast too narrow has both tails too large, a biased one one of them."""
    a = np.asarray(below, float)
    b = np.maximum(np.asarray(at, float), a)
    width = b - a
    spread = width > 1e-12
    safe = np.where(spread, width, 1.0)

    def share(x0, x1, point):
        return np.where(spread, np.clip(np.minimum(b, x1) - np.maximum(a, x0), 0.0, None) / safe,
                        point).astype(float)  # fmt: skip

    return (
        share(-np.inf, lo, a < lo),
        share(lo, hi, (a >= lo) & (a <= hi)),
        share(hi, np.inf, a > hi),
    )


def pit_coverage(below, at, lo: float = 0.1, hi: float = 0.9) -> np.ndarray:
    """The probability that the randomized PIT of an outcome falls in [lo, hi]
    (:func:`pit_parts`)."""
    return pit_parts(below, at, lo, hi)[1]


def pit_tails(below, at, lo: float = 0.1, hi: float = 0.9) -> tuple[np.ndarray, np.ndarray]:
    """The probabilities that the randomized PIT falls below ``lo`` and above ``hi``
    (:func:`pit_parts`)."""
    under, _, over = pit_parts(below, at, lo, hi)
    return under, over


def oracle_table(
    world: World,
    *,
    n_sims: int = 2000,
    seed: int = 0,
    origins: tuple[int, ...] = ORIGIN_MONTHS,
    years: tuple[int, ...] | None = None,
) -> pd.DataFrame:
    """The oracle's forecasts at every as-of month (:func:`.oracle.oracle_forecast`)."""
    from ontrack_evidence.oracle import oracle_forecast

    truth = outcomes(world)
    out = []
    for y in years or world.params.years:
        for mo in origins:
            as_of = f"{y}-{mo:02d}"
            out.append(
                oracle_forecast(world, as_of, n_sims=n_sims, seed=seed, outcome=truth).assign(
                    as_of=as_of
                )
            )
    return pd.concat(out, ignore_index=True)


def evaluate(
    world: World,
    *,
    n_sims: int = 4000,
    seed: int = 0,
    origins: tuple[int, ...] = ORIGIN_MONTHS,
    oracle: bool | pd.DataFrame = True,
    oracle_sims: int = 2000,
    years: tuple[int, ...] | None = None,
) -> pd.DataFrame:
    """One row per (as-of month, open target): the model's, the oracle's and the verdict's
    forecasts beside the outcome. ``oracle``: compute it, skip it (False), or its table
    (:func:`oracle_table`, computed before)."""
    out = outcomes(world)
    parent = world.reg.parents()
    if oracle is True:
        oracle = oracle_table(world, n_sims=oracle_sims, seed=seed, origins=origins, years=years)
    rows = []
    for y in years or world.params.years:
        for mo in origins:
            as_of = f"{y}-{mo:02d}"
            att = model_forecast(world, as_of, n_sims, seed, outcome=out)
            att["outcome"] = [
                out[(r, i, ys, ye)]
                for r, i, ys, ye in att[
                    ["region_id", "indicator_id", "year_start", "year_end"]
                ].itertuples(index=False)
            ]
            if isinstance(oracle, pd.DataFrame):
                orc = oracle[oracle["as_of"] == as_of]
                key = ["region_id", "indicator_id", "year_start", "year_end"]
                att = att.merge(
                    orc.rename(
                        columns={
                            "p_meet": "p_oracle",
                            "proj_p10": "oracle_p10",
                            "proj_p90": "oracle_p90",
                            "cdf_below": "oracle_cdf_below",
                            "cdf_at": "oracle_cdf_at",
                        }
                    ).reindex(
                        columns=[
                            *key,
                            "p_oracle",
                            "oracle_p10",
                            "oracle_p90",
                            "oracle_cdf_below",
                            "oracle_cdf_at",
                        ]
                    ),
                    on=key,
                    how="left",
                )
            att["origin_month"] = mo
            att["level_kind"] = np.where(att["region_id"].isin(parent), "township", "county")
            att["window"] = np.where(att["year_start"] == att["year_end"], "yearly", "three-year")
            rows.append(att)
    bt = pd.concat(rows, ignore_index=True)
    tol = 1e-9 * np.maximum(1.0, bt["target"].abs())
    bt["met"] = (bt["outcome"] >= bt["target"] - tol).astype(int)
    bt["decided"] = bt["actual_to_date"] >= bt["target"] - tol
    bt["p_linear"] = (bt["linear_pace"] == "ahead").astype(float)
    bt["covered"] = (bt["outcome"] >= bt["proj_p10"] - tol) & (
        bt["outcome"] <= bt["proj_p90"] + tol
    )
    bt["pit_under"], bt["pit_covered"], bt["pit_over"] = pit_parts(bt["cdf_below"], bt["cdf_at"])
    if "p_oracle" in bt:
        bt["oracle_covered"] = (bt["outcome"] >= bt["oracle_p10"] - tol) & (
            bt["outcome"] <= bt["oracle_p90"] + tol
        )
        bt["oracle_pit_covered"] = pit_coverage(bt["oracle_cdf_below"], bt["oracle_cdf_at"])
    return bt


def synthetic_scores(
    n_counties: int = 6,
    *,
    world: str = "a",
    seed: int = 1,
    n_sims: int = 2000,
    oracle: bool = False,
) -> pd.DataFrame:
    """:func:`evaluate` on a world of ``n_counties`` counties (``WORLDS[world]``): the
    per-target rows that :func:`summarize` and :func:`calibration_table` read."""
    from dataclasses import replace

    w = make_world(replace(WORLDS[world], n_counties=n_counties), seed=seed)
    return evaluate(w, n_sims=n_sims, oracle=oracle)


def world_key(params: WorldParams, seed: int) -> str:
    """A fingerprint of a world (its parameters and seed) and of the oracle's settings: a
    cached oracle table is used only for the world it was computed on."""
    import hashlib

    text = repr((params, int(seed), ORIGIN_MONTHS, 2000, 0))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _brier(p, y) -> float:
    return float(np.mean((np.asarray(p, float) - y) ** 2))


def _log(p, y) -> float:
    p = np.clip(np.asarray(p, float), LOG_CLIP, 1 - LOG_CLIP)
    return float(np.mean(np.where(y == 1, np.log(p), np.log(1 - p))))


def summarize(
    bt: pd.DataFrame, by: tuple[str, ...] = ("level_kind", "origin_month")
) -> pd.DataFrame:
    """Scores by level and as-of month (and over all rows of each level)."""
    rows = []
    groups = [(k if isinstance(k, tuple) else (k,), g) for k, g in bt.groupby(list(by))]
    for lvl, g in bt.groupby("level_kind"):
        groups.append(((lvl, "all"), g))
    for key, g in groups:
        y = g["met"].to_numpy()
        row = dict(zip(by, key, strict=True))
        row.update(
            n=len(g),
            met=float(y.mean()),
            mean_p=float(g["p_meet"].mean()),
            brier=_brier(g["p_meet"], y),
            brier_linear=_brier(g["p_linear"], y),
            log_score=_log(g["p_meet"], y),
            coverage=float(g["covered"].mean()),
            pit_coverage=float(g["pit_covered"].mean()) if "pit_covered" in g else np.nan,
            pit_under=float(g["pit_under"].mean()) if "pit_under" in g else np.nan,
            pit_over=float(g["pit_over"].mean()) if "pit_over" in g else np.nan,
        )
        if "p_oracle" in g:
            row.update(
                brier_oracle=_brier(g["p_oracle"], y),
                log_oracle=_log(g["p_oracle"], y),
                coverage_oracle=float(g["oracle_covered"].mean()),
                pit_oracle=float(g["oracle_pit_covered"].mean()),
            )
            row["ratio_oracle"] = row["brier"] / row["brier_oracle"]
        row["ratio_linear"] = row["brier"] / row["brier_linear"]
        rows.append(row)
    return (
        pd.DataFrame(rows).sort_values(list(by), key=lambda s: s.astype(str)).reset_index(drop=True)
    )


def calibration_table(bt: pd.DataFrame, p_col: str = "p_meet", bins: int = 10) -> pd.DataFrame:
    """p_meet decile (0–0.1, …, 0.9–1) against the share of targets met, with the count."""
    edges = np.linspace(0, 1, bins + 1)
    k = np.clip(np.digitize(bt[p_col].to_numpy(float), edges[1:-1], right=False), 0, bins - 1)
    out = []
    for j in range(bins):
        g = bt[k == j]
        out.append(
            {
                "p_meet": f"{edges[j]:.1f}–{edges[j + 1]:.1f}",
                "n": len(g),
                "mean p_meet": float(g[p_col].mean()) if len(g) else np.nan,
                "share met": float(g["met"].mean()) if len(g) else np.nan,
            }
        )
    return pd.DataFrame(out)


def revision_table(
    world: World,
    year: int,
    *,
    months: tuple[int, ...] = tuple(range(2, 12)),
    n_sims: int = 4000,
    oracle_sims: int = 2000,
    seed: int = 0,
) -> pd.DataFrame:
    """p_meet of every target open in ``year`` at each as-of month of ``months``, by the model
    and by the oracle: one row per (target, month), the input of :func:`revision_summary`."""
    from ontrack_evidence.oracle import oracle_forecast

    key = ["region_id", "indicator_id", "year_start", "year_end"]
    parent = world.reg.parents()
    rows = []
    for mo in months:
        as_of = f"{year}-{mo:02d}"
        att = model_forecast(world, as_of, n_sims, seed)[[*key, "p_meet"]]
        orc = oracle_forecast(world, as_of, n_sims=oracle_sims, seed=seed)
        att = att.merge(orc[[*key, "p_meet"]].rename(columns={"p_meet": "p_oracle"}), on=key)
        rows.append(att.assign(month=mo))
    out = pd.concat(rows, ignore_index=True)
    out["level_kind"] = np.where(out["region_id"].isin(parent), "township", "county")
    return out


def revision_summary(rev: pd.DataFrame) -> pd.DataFrame:
    """How far p_meet moves from one month to the next, the model against the oracle.

    The oracle's p_meet is the probability given everything reported, so its moves are what the
    new month's information warrants; a model whose moves are larger is jumpier than the data,
    one whose moves are smaller is slow to react. Per level: the number of month-to-month moves,
    the mean and 90th percentile of |change| for each, the share of moves over 0.25, and the
    ratio of the root mean squared moves (model / oracle; 1 = as jumpy as the information)."""
    key = ["region_id", "indicator_id", "year_start", "year_end"]
    r = rev.sort_values([*key, "month"])
    g = r.groupby(key)
    r = r.assign(
        d_model=g["p_meet"].diff().abs(),
        d_oracle=g["p_oracle"].diff().abs(),
        step=g["month"].diff(),
    )
    r = r[r["step"] == 1]
    out = []
    for lvl, d in [*r.groupby("level_kind"), ("all", r)]:
        out.append(
            {
                "level_kind": lvl,
                "moves": len(d),
                "mean_model": d["d_model"].mean(),
                "mean_oracle": d["d_oracle"].mean(),
                "p90_model": d["d_model"].quantile(0.9),
                "p90_oracle": d["d_oracle"].quantile(0.9),
                "over_0.25_model": (d["d_model"] > 0.25).mean(),
                "over_0.25_oracle": (d["d_oracle"] > 0.25).mean(),
                "rms_ratio": float(
                    np.sqrt((d["d_model"] ** 2).mean() / (d["d_oracle"] ** 2).mean())
                ),
            }
        )
    return pd.DataFrame(out)


def _fmt(df: pd.DataFrame) -> str:
    return df.to_string(index=False, float_format=lambda x: f"{x:.3f}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m ontrack_evidence.evaluate", description=__doc__.splitlines()[0]
    )
    p.add_argument("--world", choices=sorted(WORLDS), default="a", help="world parameters")
    p.add_argument("--counties", type=int, default=None, help="counties (default: the world's)")
    p.add_argument("--seed", type=int, default=1, help="seed of the world")
    p.add_argument("--sims", type=int, default=4000, help="model draws per forecast")
    p.add_argument("--no-oracle", action="store_true", help="skip the oracle")
    p.add_argument("--detail", default=None, help="write the per-target rows to this CSV")
    p.add_argument(
        "--oracle-cache",
        default=None,
        help="CSV of the oracle's forecasts: read if it exists, else computed and written",
    )
    p.add_argument(
        "--revision",
        type=int,
        default=None,
        metavar="YEAR",
        help="instead: the revision measure, p_meet at every as-of month Feb..Nov of YEAR",
    )
    args = p.parse_args(argv)
    params = WORLDS[args.world]
    if args.counties:
        from dataclasses import replace

        params = replace(params, n_counties=args.counties)
    t0 = time.perf_counter()
    world = make_world(params, seed=args.seed)
    if args.revision is not None:
        rev = revision_table(world, args.revision, n_sims=args.sims)
        print(
            f"world {args.world}, seed {args.seed}: {params.n_counties} counties, revisions of "
            f"p_meet in {args.revision} ({time.perf_counter() - t0:.0f} s)"
        )
        print(_fmt(revision_summary(rev)))
        if args.detail:
            rev.to_csv(args.detail, index=False)
        return 0
    oracle: bool | pd.DataFrame = not args.no_oracle
    if oracle and args.oracle_cache:
        from pathlib import Path

        cache = Path(args.oracle_cache)
        key = world_key(params, args.seed)
        oracle = None
        if cache.exists():
            oracle = pd.read_csv(cache, dtype={"region_id": str, "indicator_id": str})
            if "world_key" not in oracle or set(oracle["world_key"].astype(str)) != {key}:
                print(f"{cache}: the oracle of another world (its parameters or seed changed): "
                      "computed again")  # fmt: skip
                oracle = None
            elif "cdf_at" not in oracle:
                print(f"{cache}: made before the oracle gave its distribution at the outcome "
                      "(PIT coverage): computed again")  # fmt: skip
                oracle = None
        if oracle is None:
            oracle = oracle_table(world).assign(world_key=key)
            oracle.to_csv(cache, index=False)
    bt = evaluate(world, n_sims=args.sims, oracle=oracle)
    s = summarize(bt)
    with pd.option_context("display.width", 200, "display.max_columns", 30):
        print(
            f"world {args.world}, seed {args.seed}: {params.n_counties} counties, "
            f"{len(bt):,} forecasts ({time.perf_counter() - t0:.0f} s)"
        )
        print(_fmt(s))
        print()
        print("by window (all as-of months)")
        print(_fmt(summarize(bt, by=("level_kind", "window"))))
        print()
        print("calibration (all rows): model")
        print(_fmt(calibration_table(bt)))
        if "p_oracle" in bt:
            print("calibration (all rows): oracle")
            print(_fmt(calibration_table(bt, "p_oracle")))
    if args.detail:
        bt.to_csv(args.detail, index=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
