"""The oracle: the exact posterior predictive of the synthetic world (:mod:`.world`).

It knows every parameter of the world (:class:`~.world.WorldParams`: the response to target
growth, the spreads of plans, shocks, townships and drifts, the stall probability and depth,
the NB2 shapes, the building-size distribution, the season) but, like the model, sees only the
progress reported up to the as-of month. Its probabilities are therefore the best that any
forecast of this world can give (up to Monte Carlo and grid error): the model's Brier score is
compared with it.

For one county and indicator, with ``x = log(level / b_jy)`` (``b_jy`` the township's target
pace with the world's response to growth):

* per township and year, the likelihood of the year's reports on a grid of ``x`` and of stall
  states (none, or a start month and depth), exact for single months (NB2, Poisson, compound
  Poisson with lognormal sizes, n-fold convolutions by FFT) and moment-matched NB2 for merged
  months;
* ``x_jy = D_y + theta_j + e_jy``: the own drift ``e`` is integrated by convolution, the
  persistent ``theta_j`` on a grid, the county-year effects ``D`` (shared, correlated through
  the plan's persistent gap) on a grid refined around its posterior;
* draws: ``D`` from its grid posterior, then each township's ``theta``, this year's ``e`` and
  stall state given its data, then the rest of this year and the later years from the world's
  process (a stall not yet seen may still start).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
from scipy.ndimage import gaussian_filter1d
from scipy.special import gammaln

from ontrack.forecast.model import month_index
from ontrack_evidence.world import (
    TARGET_FLOOR,
    WORLD_INDICATORS,
    World,
    WorldParams,
    open_targets,
    size_scale,
)

X = np.linspace(-4.5, 3.0, 241)  # log level relative to the target pace
HX = X[1] - X[0]
N_DEPTH = 6  # stall depths on a grid (midpoints of uniform 0..depth)
STALL_STARTS = np.arange(2, 11)  # 0-based start month: March .. November
N_THETA = 61
N_D = 25
N_MAX = 80  # completions per report at most (lumpy)


def _states(params: WorldParams) -> tuple[np.ndarray, np.ndarray]:
    """(multiplier per state and month (n_states x 12), prior of each state)."""
    if params.stall_p <= 0:
        return np.ones((1, 12)), np.ones(1)
    depths = (np.arange(N_DEPTH) + 0.5) / N_DEPTH * params.stall_depth
    mult = [np.ones(12)]
    for m in STALL_STARTS:
        for d in depths:
            row = np.ones(12)
            row[m:] = d
            mult.append(row)
    n = len(mult) - 1
    prior = np.r_[1 - params.stall_p, np.full(n, params.stall_p / n)]
    return np.array(mult), prior


@lru_cache(maxsize=4)
def _size_table(sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """(z grid, density of the sum of n mean-one lognormal sizes, n = 1..N_MAX)."""
    dz, zmax, nfft = 0.005, 300.0, 2**17
    z = np.arange(0, zmax, dz)
    mu = -(sigma**2) / 2
    with np.errstate(divide="ignore"):
        f1 = np.where(
            z > 0,
            np.exp(-((np.log(np.maximum(z, 1e-300)) - mu) ** 2) / (2 * sigma**2))
            / (np.maximum(z, 1e-300) * sigma * np.sqrt(2 * np.pi)),
            0.0,
        )
    f1 = f1 / (f1.sum() * dz)
    F = np.fft.rfft(f1 * dz, nfft)
    out = np.empty((N_MAX, len(z)))
    P = np.ones_like(F)
    for n in range(N_MAX):
        P = P * F
        out[n] = np.fft.irfft(P, nfft)[: len(z)] / dz
    return z, np.maximum(out, 0.0)


def _loglik_groups(nature, k, groups, base, mult, season, msize, sigma) -> np.ndarray:
    """Log-likelihood (n_states x len(X)) of one township-year's reports."""
    ll = np.zeros((mult.shape[0], len(X)))
    lev = base * np.exp(X)[None, :]  # level at season 1
    for months, y in groups:
        w = (season[months][None, :] * mult[:, months]).sum(1)  # n_states
        mu = w[:, None] * lev
        if k == "poisson":
            ll += y * np.log(mu) - mu - gammaln(y + 1)
        elif nature == "count":
            w2 = ((season[months][None, :] * mult[:, months]) ** 2).sum(1)
            r = (k * w**2 / w2)[:, None]
            ll += (
                gammaln(y + r)
                - gammaln(r)
                - gammaln(y + 1)
                + r * np.log(r / (r + mu))
                + y * np.log(mu / (r + mu))
            )
        else:  # lumpy
            nu = mu / msize
            if y <= 0:
                ll += -nu
            else:
                zg, table = _size_table(sigma)
                fz = np.array([np.interp(y / msize, zg, table[n]) for n in range(N_MAX)])
                n = np.arange(1, N_MAX + 1)
                logp = (
                    n[None, None, :] * np.log(nu)[:, :, None]
                    - nu[:, :, None]
                    - gammaln(n + 1)[None, None, :]
                )
                ll += np.log(np.exp(logp) @ fz + 1e-300)
    return ll


def _township_data(world: World, town: str, ind: str, a_idx: int):
    """Reports up to the as-of month by year: {year: [(month positions, value), ...]}, and the
    last month covered (month index)."""
    p = world.progress
    rows = p[(p["region_id"] == town) & (p["indicator_id"] == ind)]
    out: dict[int, list] = {}
    last = -1
    for month, value, covers in rows[["month", "value", "covers"]].itertuples(index=False):
        idx = month_index(month)
        if idx > a_idx:
            continue
        y = idx // 12
        m = np.arange(idx % 12 - int(covers) + 1, idx % 12 + 1)
        out.setdefault(y, []).append((m, float(value)))
        last = max(last, idx)
    return out, last


def _interp_rows(H: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """H (on X) at the points ``pts`` (any shape), 0 outside the grid."""
    return np.interp(pts, X, H, left=0.0, right=0.0)


def _sample_grid(rng, prob: np.ndarray, grid: np.ndarray, n: int) -> np.ndarray:
    """n draws from a distribution on a uniform grid (cell probabilities), jittered in the cell."""
    c = np.cumsum(prob.ravel())
    idx = np.minimum(np.searchsorted(c, rng.random(n) * c[-1]), len(c) - 1)
    h = grid[1] - grid[0] if len(grid) > 1 else 0.0
    return grid[idx] + (rng.random(n) - 0.5) * h


def _county_draws(world: World, county: str, ind: str, as_of: str, n: int, seed: int):
    """Per township: (actual by year up to as_of, draws of each year's remaining total)."""
    prm = world.params
    nature, typical = WORLD_INDICATORS[ind]
    season = np.asarray(prm.season, float)
    years = list(prm.years)
    y0 = years[0]
    a_idx = month_index(as_of)
    Y = a_idx // 12
    obs_years = [y for y in years if y <= Y]
    mult, sprior = _states(prm)
    k = prm.nb_k.get(ind) if nature == "count" else "poisson"
    if nature == "lumpy":
        k = None
    towns = world.towns(county)
    t = world.targets
    tt = t[(t["indicator_id"] == ind) & (t["year_start"] == t["year_end"])]
    rng = np.random.default_rng([seed, int(county[1:]), list(WORLD_INDICATORS).index(ind), a_idx])
    info = []
    for town in towns:
        ty = tt[tt["region_id"] == town].set_index("year_start")["value"]
        tgt = {y: max(float(ty[y]), TARGET_FLOOR * typical) for y in years}
        base0 = tgt[y0] / 12.0
        b = {y: base0 * (tgt[y] / tgt[y0]) ** prm.beta for y in years}
        msize = size_scale(float(ty[y0]), typical, prm) if nature == "lumpy" else 0.0
        data, last = _township_data(world, town, ind, a_idx)
        H, G = {}, None
        for y in obs_years:
            ll = _loglik_groups(
                nature, k, data.get(y, []), b[y], mult, season, msize, prm.size_sigma
            )
            lg = ll + np.log(sprior)[:, None]
            lg -= lg.max()
            Gy = np.exp(lg)
            L = Gy.sum(0)
            H[y] = gaussian_filter1d(L, prm.drift_sd / HX, mode="constant")
            if y == Y:
                G = Gy
        info.append(dict(town=town, b=b, msize=msize, H=H, G=G, last=last))
    # shared county-year effects D (one per observed year): prior N(mu, sd_p^2 J + sd_s^2 I)
    nd = len(obs_years)
    theta = np.linspace(-4.5, 4.5, N_THETA) * prm.town_sd
    wt = np.exp(-0.5 * (theta / prm.town_sd) ** 2)
    wt /= wt.sum()
    cov = prm.plan_sd**2 * np.ones((nd, nd)) + prm.shock_sd**2 * np.eye(nd)
    icov = np.linalg.inv(cov)

    def log_post(grids):
        mesh = np.meshgrid(*grids, indexing="ij")
        dev = np.stack([m - prm.plan_mu for m in mesh], -1)
        lp = -0.5 * np.einsum("...i,ij,...j->...", dev, icov, dev)
        for tw in info:
            A = [
                _interp_rows(tw["H"][y], theta[:, None] + grids[q][None, :])
                for q, y in enumerate(obs_years)
            ]
            if nd == 1:
                M = wt @ A[0]
            elif nd == 2:
                M = np.einsum("t,ta,tb->ab", wt, A[0], A[1])
            else:
                M = np.einsum("t,ta,tb,tc->abc", wt, A[0], A[1], A[2])
            lp = lp + np.log(M + 1e-300)
        return lp

    sd0 = np.sqrt(prm.plan_sd**2 + prm.shock_sd**2)
    grids = [np.linspace(prm.plan_mu - 4.5 * sd0, prm.plan_mu + 4.5 * sd0, N_D)] * nd
    for _ in range(2):  # coarse, then refined around the posterior
        lp = log_post(grids)
        P = np.exp(lp - lp.max())
        P /= P.sum()
        new = []
        for q in range(nd):
            marg = P.sum(axis=tuple(a for a in range(nd) if a != q))
            m = float(marg @ grids[q])
            s = float(np.sqrt(max(marg @ (grids[q] - m) ** 2, (grids[q][1] - grids[q][0]) ** 2)))
            new.append(np.linspace(m - 5 * s, m + 5 * s, N_D))
        grids = new
    lp = log_post(grids)
    P = np.exp(lp - lp.max())
    P /= P.sum()
    flat = np.searchsorted(np.cumsum(P.ravel()), rng.random(n) * 1.0)
    flat = np.minimum(flat, P.size - 1)
    cells = np.unravel_index(flat, P.shape)
    D = np.stack(
        [
            grids[q][cells[q]] + (rng.random(n) - 0.5) * (grids[q][1] - grids[q][0])
            for q in range(nd)
        ],
        1,
    )
    # the plan's persistent gap given D, for later years
    prec = 1 / prm.plan_sd**2 + nd / prm.shock_sd**2
    m_mean = (prm.plan_mu / prm.plan_sd**2 + D.sum(1) / prm.shock_sd**2) / prec
    m_draw = m_mean + rng.normal(0, 1 / np.sqrt(prec), n)
    future_D = {y: m_draw + rng.normal(0, prm.shock_sd, n) for y in years if y > Y}
    e_grid = np.linspace(-4, 4, 33) * prm.drift_sd
    we = np.exp(-0.5 * (e_grid / prm.drift_sd) ** 2)
    out = []
    for tw in info:
        # theta | D, data
        lw = np.log(wt)[None, :] + np.zeros((n, N_THETA))
        for q, y in enumerate(obs_years):
            lw = lw + np.log(_interp_rows(tw["H"][y], theta[None, :] + D[:, q : q + 1]) + 1e-300)
        pw = np.exp(lw - lw.max(1, keepdims=True))
        c = np.cumsum(pw, 1)
        j = np.minimum((c < rng.random(n)[:, None] * c[:, -1:]).sum(1), N_THETA - 1)
        th = theta[j] + (rng.random(n) - 0.5) * (theta[1] - theta[0])
        # this year's drift and stall state given the data
        base_x = th + D[:, -1]
        G = tw["G"]
        g = G.sum(0)
        pe = we[None, :] * _interp_rows(g, base_x[:, None] + e_grid[None, :]) + 1e-300
        c = np.cumsum(pe, 1)
        j = np.minimum((c < rng.random(n)[:, None] * c[:, -1:]).sum(1), len(e_grid) - 1)
        x = base_x + e_grid[j] + (rng.random(n) - 0.5) * (e_grid[1] - e_grid[0])
        pos = np.clip((x - X[0]) / HX, 0, len(X) - 1.000001)
        i0 = pos.astype(int)
        f = pos - i0
        ps = G[:, i0] * (1 - f) + G[:, i0 + 1] * f + 1e-300  # states x draws
        c = np.cumsum(ps, 0)
        s = np.minimum((c < rng.random(n)[None, :] * c[-1:, :]).sum(0), len(sprior) - 1)
        rem = {}
        first = tw["last"] % 12 + 1 if tw["last"] // 12 == Y else 0
        months = np.arange(first, 12)
        lev = tw["b"][Y] * np.exp(x)
        rem[Y] = _noise(rng, nature, k, lev[:, None] * season[months] * mult[s][:, months], tw, prm)
        for y in years:
            if y <= Y:
                continue
            xy = th + future_D[y] + rng.normal(0, prm.drift_sd, n)
            sy = rng.choice(len(sprior), size=n, p=sprior)
            lev = tw["b"][y] * np.exp(xy)
            rem[y] = _noise(rng, nature, k, lev[:, None] * season[None, :] * mult[sy], tw, prm)
        out.append((tw["town"], rem))
    return out


def _noise(rng, nature, k, mu: np.ndarray, tw, prm: WorldParams) -> np.ndarray:
    """Total of months with expected amounts ``mu`` (draws x months), with the world's noise."""
    if mu.shape[1] == 0:
        return np.zeros(mu.shape[0])
    if nature == "count":
        return rng.poisson(mu * rng.gamma(k, 1.0 / k, mu.shape)).sum(1).astype(float)
    if nature == "small_count":
        return rng.poisson(mu).sum(1).astype(float)
    cnt = rng.poisson(mu / tw["msize"]).sum(1)
    s2 = prm.size_sigma**2
    sizes = rng.lognormal(np.log(tw["msize"]) - s2 / 2, prm.size_sigma, int(cnt.sum()))
    owner = np.repeat(np.arange(mu.shape[0]), cnt)
    return np.bincount(owner, weights=sizes, minlength=mu.shape[0])


def oracle_forecast(
    world: World, as_of: str, *, n_sims: int = 2000, seed: int = 0, outcome: dict | None = None
) -> pd.DataFrame:
    """p_meet and the 10/50/90% projection of every open target at ``as_of`` (townships and
    their counties), from the world's exact posterior predictive; with ``outcome`` (the true
    total of each window, keyed by region, indicator, first and last year), also the predictive
    distribution at it: ``cdf_below`` = P(total < y), ``cdf_at`` = P(total <= y)."""
    a_idx = month_index(as_of)
    Y = a_idx // 12
    t = open_targets(world, Y)
    p = world.progress
    pidx = p["month"].map(month_index)
    rows = []
    for county in world.counties:
        for ind in WORLD_INDICATORS:
            draws = _county_draws(world, county, ind, as_of, n_sims, seed)
            total = {}
            for town, rem in draws:
                total[town] = rem
                for y, v in rem.items():
                    total.setdefault(county, {})
                    total[county][y] = total[county].get(y, 0.0) + v
            tc = t[(t["indicator_id"] == ind) & (t["plan_id"] == f"{county}-plan")]
            for r, ys, ye, value in tc[["region_id", "year_start", "year_end", "value"]].itertuples(
                index=False
            ):
                regs = [r] if r != county else [tw for tw, _ in draws]
                sel = (
                    p["region_id"].isin(regs)
                    & (p["indicator_id"] == ind)
                    & (pidx >= ys * 12)
                    & (pidx <= min(ye * 12 + 11, a_idx))
                )
                actual = float(p.loc[sel, "value"].sum())
                proj = actual + sum(total[r][y] for y in range(max(ys, Y), ye + 1))
                q = np.quantile(proj, [0.1, 0.5, 0.9])
                cdf = {}
                if outcome is not None:
                    y = outcome[(r, ind, int(ys), int(ye))]
                    tol = 1e-9 * max(1.0, abs(y))
                    cdf = {
                        "cdf_below": float(np.mean(proj < y - tol)),
                        "cdf_at": float(np.mean(proj <= y + tol)),
                    }
                rows.append(
                    {
                        "region_id": r,
                        "indicator_id": ind,
                        "year_start": int(ys),
                        "year_end": int(ye),
                        "target": float(value),
                        "actual_to_date": actual,
                        "p_meet": float(np.mean(proj >= value - 1e-9 * max(1.0, value))),
                        "proj_p10": float(q[0]),
                        "proj_p50": float(q[1]),
                        "proj_p90": float(q[2]),
                        **cdf,
                    }
                )
    return pd.DataFrame(rows)
