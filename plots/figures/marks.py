"""The marks several figures draw alike: every repetition a point, two quantities as paired bars, numbers over bars."""

from __future__ import annotations

import math

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

HATCH = "///"  # the second of two paired quantities
BOX = dict(boxstyle="round,pad=0.2", facecolor="white", edgecolor="none", alpha=0.85)


def offsets(count: int, width: float) -> np.ndarray:
    """Where a group's repetitions sit inside its bar: spread out, fixed, no random jitter."""
    if count <= 1:
        return np.zeros(count)
    return np.linspace(-width / 4, width / 4, count)


def points(ax, x: float, values, color: str, width: float, size: float = 22) -> None:
    """One point per repetition over a bar at x (missing values left out)."""
    values = [v for v in values if math.isfinite(v)]
    ax.scatter(x + offsets(len(values), width), values, s=size, color=color, edgecolor="black",
               linewidth=0.6, zorder=3)


def label_above(ax, x: float, values, text: str, pad: float, log: bool = False, **style) -> None:
    """Text over a bar and its points, so the two never overlap; pad is in data units (a factor on log axes)."""
    top = max(v for v in values if math.isfinite(v))
    ax.text(x, top * pad if log else top + pad, text, ha="center", va="bottom", **style)


def paired_bar(ax, x, height, width: float, color: str, hatched: bool, **style) -> None:
    """Two quantities of one server side by side: same colour, the second hatched."""
    ax.bar(x, height, width, color="white" if hatched else color, edgecolor=color, hatch=HATCH if hatched else None,
           alpha=0.8, zorder=2, **style)


def paired_handles(solid: str, hatched: str) -> list:
    return [Patch(facecolor="0.6", edgecolor="0.3", label=solid),
            Patch(facecolor="white", edgecolor="0.3", hatch=HATCH, label=hatched),
            Line2D([], [], marker="o", linestyle="", markerfacecolor="0.6", markeredgecolor="black",
                   label="one repetition")]


def repetition_handles() -> list:
    return [
        Patch(facecolor="0.75", edgecolor="0.3", label="median of repetitions"),
        Line2D([], [], marker="o", linestyle="", markerfacecolor="0.75", markeredgecolor="black",
               label="one repetition"),
    ]
