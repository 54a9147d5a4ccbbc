"""The frame every figure shares: its size and layout, its title, panels, legends, axes and files.

Figures are built on matplotlib.figure.Figure, never pyplot: no global state,
no window, and the files render with Agg whatever backend a notebook chose.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

from .. import tables
from ..load import Results

# Above this many servers, legends move out of the axes and x labels tilt.
MANY = 6
THOUSANDS = FuncFormatter(lambda value, _: f"{value:,.0f}")
SIDE_LEGEND = 3.0  # inches added to the right of a grid of panels for one legend


def figure(width: float, height: float) -> Figure:
    return Figure(figsize=(width, height), layout="constrained")


def save(fig: Figure, out_dir, name: str) -> list[Path]:
    """NAME.png (to look at) and NAME.svg (to print) in out_dir."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    png, svg = out_dir / f"{name}.png", out_dir / f"{name}.svg"
    # No dates and a fixed id salt: re-plotting the same results gives the same files.
    with matplotlib.rc_context({"svg.hashsalt": "prefork-bench"}):
        fig.savefig(png, dpi=120, metadata={"Software": None})
        fig.savefig(svg, metadata={"Date": None})
    return [png, svg]


# ---- headings ---------------------------------------------------------------


def handler_text(runs: pd.DataFrame) -> str:
    first = runs.iloc[0]
    text = f"handler waits {first['delay_ms']:g} ms"
    if first["work_ms"] > 0:
        text += f" + {first['work_ms']:g} ms CPU"
    return text


def connections_text(counts: list[int]) -> str:
    if len(counts) == 1:
        return f"{counts[0]:,} connections"
    return f"{counts[0]:,}–{counts[-1]:,} connections"


def heading(results: Results, what: str, counts: list[int] | None = None) -> str:
    counts = counts if counts is not None else tables.connection_counts(results.runs)
    return f"{what} — {results.scenario} on {results.host}\n{connections_text(counts)}, {handler_text(results.runs)}"


def largest_connections(results: Results) -> int | None:
    counts = tables.connection_counts(results.ok_runs())
    return counts[-1] if counts else None


# ---- panels and legends -----------------------------------------------------


def panel_grid(fig: Figure, count: int, max_columns: int = 3):
    columns = min(count, max_columns)
    rows = math.ceil(count / columns)
    axes = np.atleast_1d(fig.subplots(rows, columns, squeeze=False).ravel())
    for ax in axes[count:]:
        ax.set_visible(False)
    return axes[:count]


def grid_size(count: int, width: float, height: float, max_columns: int = 3) -> tuple[float, float]:
    columns = min(count, max_columns)
    return width * columns, height * math.ceil(count / columns) + 0.6


def legend_outside(ax, handles) -> None:
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize="small")


def line_legend(ax, handles, loc: str) -> None:
    """The servers' lines: inside the axes for a few, beside them for many (they would hide the lines)."""
    if len(handles) > MANY + 1:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize="small",
                  title="median of repetitions", title_fontsize="small", alignment="left")
    else:
        ax.legend(handles=handles, loc=loc, fontsize="small", title="median of repetitions",
                  title_fontsize="small")


def side_legend(fig: Figure, handles, grid_width: float, title: str = "median of repetitions") -> None:
    """One legend right of a grid of panels that share it (matplotlib 3.6 has no loc="outside ...")."""
    right = grid_width / (grid_width + SIDE_LEGEND)
    fig.get_layout_engine().set(rect=(0, 0, right, 1))
    fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(right, 0.93), frameon=False, fontsize="small",
               title=title, title_fontsize="small", alignment="left")


# ---- axes -------------------------------------------------------------------


def tilt(ax, labels: int) -> None:
    if labels > MANY:
        ax.tick_params(axis="x", labelrotation=30)
        for label in ax.get_xticklabels():
            label.set_horizontalalignment("right")
            label.set_rotation_mode("anchor")


def log_axis(axis, formatter=None) -> None:
    """A log scale labelled at 1, 2, 5 of each decade: two labels per plot are not enough to read it."""
    axis.set_major_locator(LogLocator(base=10, subs=(1, 2, 5)))
    axis.set_major_formatter(formatter or FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_locator(NullLocator())


def spans_decades(values, ratio: float = 100) -> bool:
    values = [v for v in values if v > 0 and math.isfinite(v)]
    return bool(values) and max(values) / min(values) > ratio


def use_log_latency(ax, values) -> None:
    """Log scale when the data spans two decades, else the sub-ms head is a flat line."""
    if spans_decades(values):
        ax.set_yscale("log")
        log_axis(ax.yaxis)
