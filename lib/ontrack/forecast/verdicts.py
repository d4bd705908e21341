"""Verdicts beside the probability: RAG, 时间过半任务过半, Eurostat classes, seasonal share.

All thresholds are module-level dataclasses so a briefing can quote them and a user can change
them (``attainment(..., rag=RagThresholds(green=0.9, red=0.6))``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class RagThresholds:
    """``green`` when p_meet ≥ green; ``red`` when p_meet < red; ``amber`` between."""

    green: float = 0.8
    red: float = 0.5

    def __post_init__(self) -> None:
        if not 0 <= self.red <= self.green <= 1:
            raise ValueError("RagThresholds: need 0 ≤ red ≤ green ≤ 1")


@dataclass(frozen=True)
class EurostatThresholds:
    """Eurostat / Open SDG classes on R = observed pace / required pace (methods.md)."""

    on_track: float = 0.95  # R ≥ 0.95
    acceleration_needed: float = 0.60  # 0.60 ≤ R < 0.95 ; 0 ≤ R < 0.60 limited ; R < 0 moving away


RAG = RagThresholds()
EUROSTAT = EurostatThresholds()


def rag(p_meet: np.ndarray, thresholds: RagThresholds = RAG) -> np.ndarray:
    """Red / amber / green from the probability of meeting the target."""
    p = np.asarray(p_meet, float)
    return np.where(p >= thresholds.green, "green", np.where(p < thresholds.red, "red", "amber"))


def linear_pace(share_done: np.ndarray, share_time: np.ndarray) -> np.ndarray:
    """时间过半、任务过半: ``ahead`` when the share of the target done ≥ the share of time gone."""
    return np.where(np.asarray(share_done) >= np.asarray(share_time) - 1e-12, "ahead", "behind")


def eurostat_class(pace_ratio: np.ndarray, thresholds: EurostatThresholds = EUROSTAT) -> np.ndarray:
    """on_track / acceleration_needed / limited / moving_away from R (R = inf when met)."""
    r = np.asarray(pace_ratio, float)
    return np.select(
        [r >= thresholds.on_track, r >= thresholds.acceleration_needed, r >= 0],
        ["on_track", "acceleration_needed", "limited"],
        "moving_away",
    )


def seasonal_share(season: np.ndarray, start_idx: int, end_idx: int, as_of_idx: int) -> float:
    """Expected share of a window's total done by ``as_of`` under a seasonal profile."""
    months = np.arange(start_idx, end_idx + 1)
    w = np.asarray(season)[months % 12]
    total = w.sum()
    if total <= 0:
        return float(np.clip((as_of_idx - start_idx + 1) / len(months), 0, 1))
    return float(w[months <= as_of_idx].sum() / total)
