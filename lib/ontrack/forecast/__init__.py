"""Stage 2-3: probability that each target is met, scenarios, backtest.

Method: docs/methods.md (and the docstrings of :mod:`.model` and :mod:`.simulate`).
``attainment()`` = ``fit()`` once + ``simulate_attainment()``; the scenario lab calls the two
halves separately so a changed scenario only re-simulates. Every plan is forecast from its own
peer group (its regions' progress, its targets): ``plan_inputs(progress, targets, plan)`` gives
those inputs. Only its seasonal profiles look beyond them: they are shrunk towards the
project's, learned from all its progress (``plan_season_prior``); fitted with those, the
plan's numbers are the same from its own inputs as from all plans' inputs.

The stage's outputs are tables (:mod:`.store`: attainment.csv, trajectories.csv and
forecast.json); later stages read those and never recompute. Parents of regions come from a
:class:`~ontrack.registry.Registry` (``fit(..., reg=...)``), never from the shape of ids.
"""

from __future__ import annotations

from .attainment import attainment
from .model import Fitted, fit, plan_inputs, plan_members, plan_season_prior
from .scenario import Scenario, load_scenario, save_scenario
from .simulate import (
    PlanFit,
    projection_draws,
    scenario_params,
    series_params,
    simulate_attainment,
    simulate_tables,
    trajectories,
)
from .verdicts import EurostatThresholds, RagThresholds

__all__ = [
    "EurostatThresholds",
    "Fitted",
    "PlanFit",
    "RagThresholds",
    "Scenario",
    "attainment",
    "fit",
    "load_scenario",
    "plan_inputs",
    "plan_members",
    "plan_season_prior",
    "projection_draws",
    "save_scenario",
    "scenario_params",
    "series_params",
    "simulate_attainment",
    "simulate_tables",
    "trajectories",
]
