"""The scenario lab: explore what-ifs for one plan and region while you think.

A :class:`Lab` loads the targets and progress once, fits the forecast once and keeps the
baseline. Every change (a pace factor, a pipeline project, a target override) is checked, then
only what it reaches is re-simulated with the same seed, so baseline and scenario differ by the
scenario alone (common random numbers), not by Monte-Carlo noise. The scenario is saved, inside
the project (``data/raw/scenarios/``), as the YAML that ``ontrack render --scenario`` reads.

Modules, one job each:

* :mod:`.state`: what the lab covers (:class:`~.state.Scope`) and the scenario being edited,
  with every check (the forecast's own scenario checks, closed years, implausible amounts);
* :mod:`.model`: loading, the one fit, the baseline, partial re-simulation, caches;
* :mod:`.core`: :class:`Lab`, the two together (what notebooks and widgets call);
* :mod:`.views`: the table, the chart and the messages, in the briefing's words, and what a
  notebook shows of a lab without widgets (:func:`view`, :func:`trajectory_figure`,
  :func:`render_command`);
* :mod:`.widgets`: the JupyterLab/Voilà controls (``widget(lab)``; imports ipywidgets);
"""

from __future__ import annotations

from .core import Lab
from .state import KEY, LabInputError, NeedsConfirmation
from .views import render_command, trajectory_figure, view

__all__ = [
    "KEY",
    "Lab",
    "LabInputError",
    "NeedsConfirmation",
    "render_command",
    "trajectory_figure",
    "view",
]
