"""ontrack: are the plan's targets on track?

Stages (one module each): plans → targets, progress → tidy monthly table, forecast → attainment,
briefing → HTML/PDF. Importing the package has no side effects (no logging, no I/O).
"""

__version__ = "0.1.0"
