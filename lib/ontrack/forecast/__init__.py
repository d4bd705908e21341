"""Stage 2-3: probability that each target is met, scenarios, backtest.

Method: docs/methods.md (and the docstrings of :mod:`.model` and :mod:`.simulate`).
``attainment()`` = ``fit()`` once + ``simulate_attainment()``; the scenario lab calls the two
halves separately so a changed scenario only re-simulates.
"""

from __future__ import annotations

from .attainment import attainment
from .model import Fitted, fit
from .scenario import Scenario, load_scenario, save_scenario
from .simulate import projection_draws, simulate_attainment, trajectories
from .verdicts import EurostatThresholds, RagThresholds

__all__ = [
    "EurostatThresholds",
    "Fitted",
    "RagThresholds",
    "Scenario",
    "attainment",
    "fit",
    "load_scenario",
    "projection_draws",
    "save_scenario",
    "simulate_attainment",
    "trajectories",
]
