"""Every path the suite uses, in one place."""

from __future__ import annotations

import os
from pathlib import Path

#: The project root: the folder holding data/, notebooks/, reports/. Override with ONTRACK_ROOT
#: (tests and scheduled jobs use it to work on a copy).
PROJ_ROOT = Path(os.environ.get("ONTRACK_ROOT", Path(__file__).resolve().parents[2]))

DATA_RAW = PROJ_ROOT / "data" / "raw"
PLANS_DIR = DATA_RAW / "plans"
PROGRESS_DIR = DATA_RAW / "progress"
DEMO_DIR = PROGRESS_DIR / "demo"
DATA_PROCESSED = PROJ_ROOT / "data" / "processed"
NOTEBOOKS_DIR = PROJ_ROOT / "notebooks"
REPORTS_DIR = PROJ_ROOT / "reports"

TARGETS_CSV = DATA_PROCESSED / "targets.csv"
PROGRESS_CSV = DATA_PROCESSED / "progress.csv"
ATTAINMENT_CSV = DATA_PROCESSED / "attainment.csv"
