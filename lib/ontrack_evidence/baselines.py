"""Baselines a forecast of a year's total must beat: seasonal naive and ETS (statsmodels).

Both answer what ontrack answers for one series: given its months up to the as-of month, the
distribution of the year's total (the months reported plus the months still to come), hence
the probability that a target is met and the 10 / 50 / 90% quantiles.

* **Seasonal naive**: the months still to come repeat the same months a year earlier. Its
  uncertainty is empirical: the log ratio of every earlier window of the same length to the
  same window a year before it (the error the rule made in the series' own past), read as a
  normal on the log scale.
* **ETS**: statsmodels' ``ETSModel`` (error, trend, season) chosen by AICc between a
  multiplicative season without trend and with a damped trend (a series with a zero or a
  negative month: their additive forms), fitted by maximum likelihood; the months still to come are
  simulated from the fitted model (``simulate(anchor="end")``). A fit that fails falls back to
  the next candidate; none left: seasonal naive (``method`` says which).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

_ETS_SPECS = (
    ("mul", None, False, "mul"),
    ("mul", "add", True, "mul"),
)
_ETS_ADDITIVE = (
    ("add", None, False, "add"),
    ("add", "add", True, "add"),
)


@dataclass
class YearForecast:
    """Draws (or a log-normal) of the months still to come, and what is known."""

    done: float  # the amount reported so far this year
    draws: np.ndarray | None = None  # draws of the rest of the year
    log_mean: float = 0.0  # else: log-normal rest of the year
    log_sd: float = 0.0
    method: str = ""

    def p_meet(self, target: float) -> float:
        need = target - self.done
        if need <= 0:
            return 1.0
        if self.draws is not None:
            return float((self.draws >= need - 1e-9 * max(1.0, abs(target))).mean())
        if self.log_sd <= 0:
            return float(np.exp(self.log_mean) >= need)
        return float(norm.sf((np.log(need) - self.log_mean) / self.log_sd))

    def quantiles(self, q=(0.1, 0.5, 0.9)) -> np.ndarray:
        if self.draws is not None:
            return self.done + np.quantile(self.draws, q)
        return self.done + np.exp(self.log_mean + self.log_sd * norm.ppf(q))


def seasonal_naive(y: np.ndarray, months_left: int) -> YearForecast:
    """``y``: the monthly amounts up to the as-of month (the last ``12 - months_left`` are this
    year's; at least a year before them)."""
    y = np.asarray(y, float)
    k = 12 - months_left  # months of this year reported
    done = float(y[len(y) - k :].sum()) if k else 0.0
    if months_left == 0:
        return YearForecast(done, log_mean=-np.inf, method="snaive")
    h = months_left
    # the same months a year before: y[T - 12 + 1 .. T - 12 + h] (T = last index)
    T = len(y) - 1
    rest = float(y[T - 12 + 1 : T - 12 + 1 + h].sum())
    errs = []
    for t in range(12 + h - 1, T + 1):  # windows ending at t, all inside the history
        a = y[t - h + 1 : t + 1].sum()
        b = y[t - h + 1 - 12 : t + 1 - 12].sum()
        if a > 0 and b > 0:
            errs.append(np.log(a / b))
    sd = float(np.std(errs, ddof=1)) if len(errs) >= 3 else 0.2
    return YearForecast(done, log_mean=np.log(max(rest, 1e-12)), log_sd=sd, method="snaive")


def ets(y: np.ndarray, months_left: int, *, n_sims: int = 2000, seed: int = 0) -> YearForecast:
    """The year's total from the ETS model of the series with the lowest AICc."""
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    y = np.asarray(y, float)
    k = 12 - months_left
    done = float(y[len(y) - k :].sum()) if k else 0.0
    if months_left == 0:
        return YearForecast(done, draws=np.zeros(1), method="ets")
    positive = bool((y > 0).all())
    best = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for err, trend, damped, season in _ETS_SPECS if positive else _ETS_ADDITIVE:
            try:
                m = ETSModel(
                    y,
                    error=err,
                    trend=trend,
                    damped_trend=damped,
                    seasonal=season,
                    seasonal_periods=12,
                ).fit(disp=False, maxiter=200)
            except Exception:
                continue
            if np.isfinite(m.aicc) and (best is None or m.aicc < best[0]):
                best = (m.aicc, m, f"ets({err[0].upper()},{_t(trend, damped)},{season[0].upper()})")
        if best is None:
            f = seasonal_naive(y, months_left)
            f.method = "ets→snaive"
            return f
        _, m, name = best
        try:
            sim = m.simulate(
                months_left, repetitions=n_sims, anchor="end", rng=np.random.default_rng(seed)
            )
        except Exception:
            f = seasonal_naive(y, months_left)
            f.method = "ets→snaive"
            return f
    sims = np.asarray(sim, float).reshape(months_left, -1)
    rest = np.where(np.isfinite(sims), sims, 0.0).sum(0)
    return YearForecast(done, draws=rest, method=name)


def _t(trend, damped) -> str:
    return "N" if trend is None else ("Ad" if damped else "A")
