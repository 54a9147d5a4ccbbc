"""The marks several figures draw alike: every repetition a point, two quantities as paired bars, numbers over bars.

A repetition's point also says how far to trust it: hollow when wrk was the
bottleneck (client-bound: req/s ranks the client), a cross when the run is
suspect (measured, but something in the measurement went wrong; summary.md
lists why). A median of mostly client-bound runs is hollow too.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ..run_selection import client_bound, is_suspect

HATCH = "///"  # the second of two paired quantities
BOX = dict(boxstyle="round,pad=0.2", facecolor="white", edgecolor="none", alpha=0.85)
SUSPECT_MARKER = "X"
HOLLOW = "white"  # the face of a client-bound point or median
CLIENT_BOUND_LABEL = "client-bound (wrk used ≥ 90 % of its CPUs)"
SUSPECT_LABEL = "suspect run (see summary.md)"


def offsets(count: int, width: float) -> np.ndarray:
    """Where a group's repetitions sit inside its bar: spread out, fixed, no random jitter."""
    if count <= 1:
        return np.zeros(count)
    return np.linspace(-width / 4, width / 4, count)


def run_flags(runs: pd.DataFrame) -> dict:
    """points()' hollow and suspect for these runs, in their order: client-bound, status suspect."""
    return dict(hollow=[flag is True for flag in client_bound(runs)], suspect=list(is_suspect(runs)))


def mostly_client_bound(row) -> bool:
    """A summary_table row whose median is of client-bound runs: more than half its measured runs were."""
    return row["client_bound_runs"] * 2 > row["runs_ok"]


def points(ax, x: float, values, color: str, width: float, size: float = 22, hollow=(), suspect=()) -> None:
    """One point per repetition over a bar at x (missing values left out).

    hollow and suspect, when given, say per value (in its order) whether that
    run was client-bound (a hollow point) or suspect (a cross in its own
    scatter, drawn after the others).
    """
    values = list(values)
    hollow = list(hollow) or [False] * len(values)
    suspect = list(suspect) or [False] * len(values)
    kept = [i for i, v in enumerate(values) if math.isfinite(v)]
    xs = x + offsets(len(kept), width)
    if not any(hollow[i] or suspect[i] for i in kept):
        ax.scatter(xs, [values[i] for i in kept], s=size, color=color, edgecolor="black", linewidth=0.6, zorder=3)
        return
    for flagged, marker, scale in ((False, "o", 1), (True, SUSPECT_MARKER, 2)):
        chosen = [n for n, i in enumerate(kept) if suspect[i] == flagged]
        if not chosen:
            continue
        faces = [HOLLOW if hollow[kept[n]] else color for n in chosen]
        edges = [color if hollow[kept[n]] else "black" for n in chosen]
        ax.scatter(xs[chosen], [values[kept[n]] for n in chosen], s=size * scale, marker=marker, facecolors=faces,
                   edgecolors=edges, linewidths=[1.4 if hollow[kept[n]] else 0.6 for n in chosen], zorder=3)


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


def flag_handles(client_bound: bool, suspect: bool, client_bound_label: str = CLIENT_BOUND_LABEL) -> list:
    """Legend entries for the hollow (client-bound) and crossed (suspect) marks, those drawn.

    client_bound_label says who judged the run client-bound (wrk's CPU, by default).
    """
    handles = []
    if client_bound:
        handles.append(Line2D([], [], marker="o", linestyle="", markerfacecolor=HOLLOW, markeredgecolor="0.3",
                              markeredgewidth=1.4, label=client_bound_label))
    if suspect:
        handles.append(Line2D([], [], marker=SUSPECT_MARKER, linestyle="", markersize=8, markerfacecolor="0.6",
                              markeredgecolor="black", label=SUSPECT_LABEL))
    return handles


def runs_flag_handles(runs: pd.DataFrame, client_bound_label: str = CLIENT_BOUND_LABEL) -> list:
    """flag_handles for what these (measured) runs need."""
    flags = run_flags(runs)
    return flag_handles(any(flags["hollow"]), any(flags["suspect"]), client_bound_label)
