"""The forecast judged on real series: ontrack against seasonal naive, ETS and 时间过半任务过半.

``python -m ontrack_evidence.realbench`` (``make evaluate``) reads the real monthly series of
:mod:`.realdata` and, for every plan, every target year ``y`` with three complete years before
it (at most the last :data:`MAX_YEARS`), every as-of month of :data:`ORIGINS` and every target
growth of :data:`GROWTH`:

* gives the model the plan's months from January of ``y - 3`` to the as-of month (all its
  regions: peers inform each other as a county's townships do; months a source leaves empty
  are gaps, as unreported months are) and yearly targets for ``y - 3 .. y``, each the previous
  year's total × (1 + growth) (a plan's total region: the sum of its regions' totals);
* forecasts it exactly as ``ontrack forecast`` does (``fit``, ``series_params``,
  ``simulate_attainment``);
* scores the target of year ``y`` of every region complete from ``y - 3`` to ``y`` (and of the
  plan's total when all its regions are), against the outcome, beside the baselines of
  :mod:`.baselines` fitted to the same months of the same series (the total: to the sum).

Scores by part (tuning / held out: :data:`.realdata.HELD_OUT`) and as-of month: Brier score of
p_meet, log score, coverage of the 10–90% interval (nominal 80%), its width (relative to the
outcome, median), and a reliability table (p_meet decile against the share met). The output
is pasted in docs/methods.md (*Evidence: real series*).
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

import ontrack_evidence.realdata as realdata
from ontrack.forecast.model import fit
from ontrack.forecast.simulate import series_params, simulate_attainment
from ontrack.registry import Indicator, Plan, Region, Registry
from ontrack_evidence.baselines import ets, seasonal_naive
from ontrack_evidence.evaluate import _brier, _log, calibration_table

ORIGINS = (3, 6, 9)
GROWTH = (-0.05, 0.0, 0.05, 0.10)
HISTORY_YEARS = 3
MAX_YEARS = 8
METHODS = ("model", "snaive", "ets")


def _totals(p: pd.DataFrame) -> dict[tuple[str, str, int], float]:
    """Complete years' totals of every series of a plan, and of the plan's total region (the
    sum of its regions, where all of them are complete)."""
    y = p["month"].str[:4].astype(int)
    g = p.assign(year=y).groupby(["region_id", "indicator_id", "year"])["value"]
    n, s = g.count(), g.sum()
    out = {k: float(v) for k, v in s[n == 12].items()}
    parent = str(p["parent_id"].iloc[0])
    if parent:
        regions = sorted(set(p["region_id"]))
        for ind in sorted(set(p["indicator_id"])):
            for yr in sorted(set(y)):
                vals = [out.get((r, ind, yr)) for r in regions]
                if all(v is not None for v in vals):
                    out[(parent, ind, yr)] = float(sum(vals))
    return out


def _series(p: pd.DataFrame, region: str, ind: str) -> pd.Series:
    """Monthly amounts of a region (the plan's total: the sum of its regions), by month."""
    if region == str(p["parent_id"].iloc[0]):
        q = p[p["indicator_id"] == ind].groupby("month")["value"].sum()
    else:
        q = p[(p["region_id"] == region) & (p["indicator_id"] == ind)].set_index("month")["value"]
    return q.sort_index()


def _months(y0: int, y1: int, last: int = 12) -> list[str]:
    return [f"{y}-{m:02d}" for y in range(y0, y1 + 1) for m in range(1, 13) if y < y1 or m <= last]


def target_years(p: pd.DataFrame, tot=None) -> list[int]:
    """Years scored for a plan: some series complete over the year and the three before."""
    tot = _totals(p) if tot is None else tot
    keys = {(r, i) for r, i, _ in tot}
    years = sorted(
        {
            y
            for (r, i, y) in tot
            if all((r, i, y - k) in tot for k in range(HISTORY_YEARS + 1)) and (r, i) in keys
        }
    )
    return years[-MAX_YEARS:]


def _registry(p: pd.DataFrame, years: range) -> Registry:
    parent = str(p["parent_id"].iloc[0])
    plan_id = str(p["plan_id"].iloc[0])
    regions = [Region(r, r, parent=parent or None) for r in sorted(set(p["region_id"]))]
    if parent:
        regions.append(Region(parent, parent))
    inds = [Indicator(i, i, "", "count", i) for i in sorted(set(p["indicator_id"]))]
    root = parent or regions[0].id
    return Registry(regions, inds, [Plan(plan_id, plan_id, root, tuple(years))])


def _targets(p: pd.DataFrame, tot, year: int, g: float) -> pd.DataFrame:
    plan_id = str(p["plan_id"].iloc[0])
    rows = []
    for r, i in sorted({(r, i) for r, i, _ in tot}):
        for y in range(year - HISTORY_YEARS, year + 1):
            if (r, i, y - 1) in tot:
                rows.append((plan_id, r, i, y, y, tot[(r, i, y - 1)] * (1 + g)))
    t = pd.DataFrame(
        rows, columns=["plan_id", "region_id", "indicator_id", "year_start", "year_end", "value"]
    )
    return t.assign(level="baseline", unit="", source="realbench", quote="")


def _scored(p: pd.DataFrame, tot, year: int) -> list[tuple[str, str]]:
    """(region, indicator) scored in ``year``: complete from ``year - 3`` to ``year``."""
    return sorted(
        (r, i)
        for r, i, y in tot
        if y == year and all((r, i, year - k) in tot for k in range(HISTORY_YEARS + 1))
    )


def _cases(p: pd.DataFrame):
    """(year, as-of month, scored series, the model's window of progress) of a plan."""
    tot = _totals(p)
    for year in target_years(p, tot):
        scored = _scored(p, tot, year)
        if not scored:
            continue
        for mo in ORIGINS:
            window = sorted(set(_months(year - HISTORY_YEARS, year, mo)))
            yield tot, year, mo, scored, window


def baseline_rows(p: pd.DataFrame, *, seed: int = 0) -> pd.DataFrame:
    """Seasonal naive and ETS for every scored (series, year, as-of month, growth) of a plan:
    they depend on the series alone, so they are computed once and cached (``--baselines``)."""
    plan_id = str(p["plan_id"].iloc[0])
    out = []
    for tot, year, mo, scored, window in _cases(p):
        for r, i in scored:
            y = _series(p, r, i).reindex(window).to_numpy(float)
            fs = (seasonal_naive(y, 12 - mo), ets(y, 12 - mo, seed=seed))
            for g in GROWTH:
                target = tot[(r, i, year - 1)] * (1 + g)
                row = dict(
                    plan_id=plan_id, region_id=r, indicator_id=i, year=year, origin_month=mo,
                    growth=g,
                )  # fmt: skip
                for name, f in zip(("snaive", "ets"), fs, strict=True):
                    q = f.quantiles()
                    row.update(
                        {
                            f"p_{name}": f.p_meet(target),
                            f"p10_{name}": float(q[0]),
                            f"p50_{name}": float(q[1]),
                            f"p90_{name}": float(q[2]),
                            f"method_{name}": f.method,
                        }
                    )
                out.append(row)
    return pd.DataFrame(out)


def model_rows(p: pd.DataFrame, *, n_sims: int = 2000, seed: int = 0) -> pd.DataFrame:
    """The model's forecast of every scored (series, year, as-of month, growth) of a plan."""
    plan_id = str(p["plan_id"].iloc[0])
    parent = str(p["parent_id"].iloc[0])
    out = []
    for tot, year, mo, scored, window in _cases(p):
        reg = _registry(p, range(year - HISTORY_YEARS, year + 1))
        prog = p[p["month"].isin(set(window))][["region_id", "indicator_id", "month", "value"]]
        fitted = fit(prog.assign(source="realbench"), f"{year}-{mo:02d}", reg=reg)
        for g in GROWTH:
            t = _targets(p, tot, year, g)
            params = series_params(fitted, t)
            now = t[(t["year_start"] == year) & (t["year_end"] == year)]
            att = simulate_attainment(fitted, now, n_sims=n_sims, seed=seed, params=params)
            att = att.set_index(["region_id", "indicator_id"])
            for r, i in scored:
                if (r, i) not in att.index:
                    continue
                a = att.loc[(r, i)]
                out.append(
                    dict(
                        plan_id=plan_id,
                        region_id=r,
                        indicator_id=i,
                        level_kind="total" if r == parent else ("region" if parent else "single"),
                        part="held-out" if plan_id in realdata.HELD_OUT else "tuning",
                        year=year,
                        origin_month=mo,
                        growth=g,
                        target=float(a["target"]),
                        outcome=tot[(r, i, year)],
                        done=float(a["actual_to_date"]),
                        p_model=float(a["p_meet"]),
                        p10_model=float(a["proj_p10"]),
                        p50_model=float(a["proj_p50"]),
                        p90_model=float(a["proj_p90"]),
                        p_linear=float(a["linear_pace"] == "ahead"),
                        method_model=str(a["method"]),
                    )
                )
    return pd.DataFrame(out)


def _one(args) -> pd.DataFrame:
    p, what, n_sims, seed = args
    if what == "baselines":
        return baseline_rows(p, seed=seed)
    return model_rows(p, n_sims=n_sims, seed=seed)


def _pool(work: list, jobs: int) -> list[pd.DataFrame]:
    """:func:`_one` of each piece of work, in the order given."""
    if jobs > 1:
        with ProcessPoolExecutor(max_workers=jobs) as ex:
            return list(ex.map(_one, work))
    return [_one(w) for w in work]


_KEY = ["plan_id", "region_id", "indicator_id", "year", "origin_month", "growth"]


def baseline_key(seed: int) -> str:
    """A fingerprint of what the baselines' rows depend on (the protocol, the seed, the code
    of :mod:`.baselines` and :mod:`.realdata`): a cached row of another is not used."""
    import hashlib

    import ontrack_evidence.baselines as bl

    h = hashlib.sha256(repr((ORIGINS, GROWTH, HISTORY_YEARS, MAX_YEARS, seed)).encode())
    for mod in (bl, realdata):
        h.update(Path(mod.__file__).read_bytes())
    return h.hexdigest()[:16]


def run(
    data: pd.DataFrame | None = None,
    *,
    plans: list[str] | None = None,
    part: str | None = None,
    n_sims: int = 2000,
    seed: int = 0,
    jobs: int = 1,
    baselines: str | Path | None = None,
) -> pd.DataFrame:
    """Every scored forecast of every plan (or of ``plans``, or of one ``part``). ``baselines``:
    a CSV of the baselines' rows, read where it holds a plan, else computed and written."""
    data = realdata.load() if data is None else data
    ids = plans or list(dict.fromkeys(data["plan_id"]))
    if part is not None:
        ids = [i for i in ids if (i in realdata.HELD_OUT) == (part == "held-out")]
    plan_data = {pid: data[data["plan_id"] == pid].reset_index(drop=True) for pid in ids}
    key = baseline_key(seed)
    cached = pd.DataFrame()
    if baselines is not None and Path(baselines).exists():
        cached = pd.read_csv(baselines, dtype={"plan_id": str, "region_id": str})
        # rows of another protocol, other draws or other baseline code are computed again
        cached = cached[cached["key"].astype(str) == key] if "key" in cached else cached.iloc[0:0]
    have = set(cached["plan_id"]) if len(cached) else set()
    todo = [pid for pid in ids if pid not in have]
    work = [(plan_data[pid], "model", n_sims, seed) for pid in ids]
    work += [(plan_data[pid], "baselines", n_sims, seed) for pid in todo]
    work.sort(key=lambda w: -len(w[0]))  # the largest plans first
    done = list(zip(work, _pool(work, jobs), strict=True))
    models = [x for w, x in done if w[1] == "model" and len(x)]
    fresh = [x.assign(key=key) for w, x in done if w[1] == "baselines" and len(x)]
    if fresh and baselines is not None:
        Path(baselines).parent.mkdir(parents=True, exist_ok=True)
        pd.concat([cached, *fresh], ignore_index=True).to_csv(baselines, index=False)
    base = pd.concat([cached, *fresh], ignore_index=True).drop(columns="key", errors="ignore")
    bt = pd.concat(models, ignore_index=True).merge(base, on=_KEY, how="left")
    tol = 1e-9 * np.maximum(1.0, bt["target"].abs())
    bt["met"] = (bt["outcome"] >= bt["target"] - tol).astype(int)
    for m in METHODS:
        bt[f"covered_{m}"] = (bt["outcome"] >= bt[f"p10_{m}"] - tol) & (
            bt["outcome"] <= bt[f"p90_{m}"] + tol
        )
        bt[f"width_{m}"] = (bt[f"p90_{m}"] - bt[f"p10_{m}"]) / bt["outcome"].abs().clip(lower=1e-9)
    return bt.sort_values(_KEY).reset_index(drop=True)


def summarize(bt: pd.DataFrame, by: tuple[str, ...] = ("part", "origin_month")) -> pd.DataFrame:
    """Brier, log score, coverage and width of every method, by part and as-of month."""
    rows = []
    groups = [(k if isinstance(k, tuple) else (k,), g) for k, g in bt.groupby(list(by))]
    for part, g in bt.groupby(by[0]):
        groups.append(((part, "all"), g))
    for key, g in groups:
        y = g["met"].to_numpy()
        row = dict(zip(by, key, strict=True))
        row.update(n=len(g), met=float(y.mean()))
        for m in METHODS:
            row[f"brier_{m}"] = _brier(g[f"p_{m}"], y)
        row["brier_linear"] = _brier(g["p_linear"], y)
        for m in METHODS:
            row[f"log_{m}"] = _log(g[f"p_{m}"], y)
        for m in METHODS:
            row[f"cover_{m}"] = float(g[f"covered_{m}"].mean())
        for m in METHODS:
            row[f"width_{m}"] = float(g[f"width_{m}"].median())
        rows.append(row)
    return (
        pd.DataFrame(rows).sort_values(list(by), key=lambda s: s.astype(str)).reset_index(drop=True)
    )


def sampling_error(
    bt: pd.DataFrame, *, n_boot: int = 2000, seed: int = 0, level: float = 0.9
) -> pd.DataFrame:
    """How far the scores could move with other plans: by part and as-of month, the model's
    10–90% coverage and its Brier score minus the best baseline's (seasonal naive or ETS,
    whichever scores lower there), each with a ``level`` interval from resampling whole plans
    (the series of a plan, the years of a series and the four growths of a year share their
    shocks, so rows are not independent; a plan is)."""
    rng = np.random.default_rng(seed)
    q = ((1 - level) / 2, (1 + level) / 2)
    rows = []
    for (part, month), g in bt.groupby(["part", "origin_month"]):
        best = min(("snaive", "ets"), key=lambda m: _brier(g[f"p_{m}"], g["met"].to_numpy()))
        by = g.assign(
            sq=(g["p_model"] - g["met"]) ** 2 - (g[f"p_{best}"] - g["met"]) ** 2,
            cov=g["covered_model"].astype(float),
        ).groupby("plan_id")[["sq", "cov"]]
        sums, counts = by.sum().to_numpy(), by.size().to_numpy()
        pick = rng.integers(0, len(counts), size=(n_boot, len(counts)))
        boot = sums[pick].sum(1) / counts[pick].sum(1)[:, None]
        point = sums.sum(0) / counts.sum()
        lo, hi = np.quantile(boot, q, axis=0)
        rows.append(
            {
                "part": part, "origin_month": month, "plans": len(counts), "best": best,
                "brier_minus_best": point[0], "low": lo[0], "high": hi[0],
                "cover_model": point[1], "cover_low": lo[1], "cover_high": hi[1],
            }
        )  # fmt: skip
    return pd.DataFrame(rows)


def _fmt(df: pd.DataFrame) -> str:
    return df.to_string(index=False, float_format=lambda x: f"{x:.3f}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m ontrack_evidence.realbench", description=__doc__.splitlines()[0]
    )
    p.add_argument("--plans", nargs="*", default=None, help="only these plans")
    p.add_argument("--sims", type=int, default=2000, help="model draws per forecast")
    p.add_argument("--jobs", type=int, default=2, help="processes")
    p.add_argument("--part", choices=["tuning", "held-out"], default=None, help="only one part")
    p.add_argument("--detail", default=None, help="write the per-forecast rows to this CSV")
    p.add_argument(
        "--baselines",
        default=None,
        help="CSV of the baselines' forecasts: read for the plans it holds, else computed and "
        "written (they do not depend on the model)",
    )
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    bt = run(
        plans=args.plans, part=args.part, n_sims=args.sims, jobs=args.jobs,
        baselines=args.baselines,
    )  # fmt: skip
    if args.detail:
        Path(args.detail).parent.mkdir(parents=True, exist_ok=True)
        bt.to_csv(args.detail, index=False)
    n_series = bt.groupby(["plan_id", "region_id", "indicator_id"]).ngroups
    n_sy = bt.groupby(["plan_id", "region_id", "indicator_id", "year"]).ngroups
    with pd.option_context("display.width", 250, "display.max_columns", 40):
        print(
            f"real series: {bt['plan_id'].nunique()} plans, {n_series} series, {n_sy:,} "
            f"series-years, {len(bt):,} forecasts ({time.perf_counter() - t0:.0f} s)"
        )
        print(_fmt(summarize(bt)))
        print()
        print(_fmt(summarize(bt, ("level_kind", "origin_month"))))
        print("\nsampling error: 90% intervals from resampling whole plans")
        print(_fmt(sampling_error(bt)))
        for part, g in bt.groupby("part"):
            print(f"\nreliability ({part}): model / ETS")
            a = calibration_table(g.assign(p_meet=g["p_model"]))
            b = calibration_table(g.assign(p_meet=g["p_ets"]))
            print(_fmt(a.merge(b, on="p_meet", suffixes=(" model", " ets"))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
