"""``attainment()``: fit + simulate in one call, validated against the contract."""

from __future__ import annotations

import pandas as pd

from ..registry import Registry
from ..schema import ATTAINMENT, validate
from .model import fit
from .scenario import Scenario
from .simulate import simulate_attainment
from .verdicts import RAG, RagThresholds


def attainment(
    progress: pd.DataFrame,
    targets: pd.DataFrame,
    as_of: str,
    *,
    reg: Registry | None = None,
    scenario: Scenario | dict | str | None = None,
    n_sims: int = 10_000,
    seed: int = 0,
    rag_thresholds: RagThresholds = RAG,
    season_prior: dict | None = None,
) -> pd.DataFrame:
    """The attainment table (docs/data-contracts.md) for every target the progress covers.

    ``as_of`` is 'YYYY-MM' or 'latest' (the last month in ``progress``); ``scenario`` a
    :class:`Scenario`, a dict or a YAML path (None = baseline); ``reg`` gives the regions'
    parents (regions.csv) and the indicators' natures (without it: no parents, core indicators);
    ``season_prior`` the project's profiles when ``progress`` is one plan's
    (:func:`~ontrack.forecast.model.plan_season_prior`).
    """
    fitted = fit(progress, as_of, reg=reg, season_prior=season_prior)
    out = simulate_attainment(
        fitted, targets, scenario=scenario, n_sims=n_sims, seed=seed, rag_thresholds=rag_thresholds
    )
    return validate(out, ATTAINMENT)
