"""load-latency: latency against offered load, for the open-loop runs (prefork-load, generator `open`).

Three panels, p50, p99 and p99.9 in ms on a log scale, against the offered
load: the utilization (offered rate / capacity) when every measured
open-loop run has one, else the offered rate in req/s. One line per server,
the median over the repetitions at each offered rate, a band from their
minimum to their maximum, and every repetition a faint dot. As in the other
figures (marks), a client-bound run's dot, and a median of mostly
client-bound runs, are hollow (here prefork-load's own verdict: it could not
keep to its schedule: send lateness or unanswered requests); a suspect
run's dot is a cross. With utilization on x, a dotted line marks the
capacity (1) once the load comes near it.
"""

from __future__ import annotations

import math

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from .. import open_tables, tables
from ..load import Results
from ..run_selection import measured, open_runs
from ..style import Looks
from .frame import SIDE_LEGEND, THOUSANDS, figure, log_axis, side_legend
from .marks import runs_flag_handles
from .sweep import hollow_medians, repetitions

# (runs.csv column, open_table column, panel title)
PANELS = (
    ("latency_p50_ms", "p50_ms", "median (p50) latency"),
    ("latency_p99_ms", "p99_ms", "99th percentile latency"),
    ("latency_p99_9_ms", "p99_9_ms", "99.9th percentile latency"),
)
PANEL_WIDTH, HEIGHT = 5.0, 4.6
CLIENT_BOUND_LABEL = "client-bound (prefork-load fell behind)"
BAND_LABEL = "min–max of repetitions"
UTILIZATION = "utilization"
OFFERED = "offered_rps"


def x_column(runs: pd.DataFrame) -> str:
    """utilization when every one of these (measured open-loop) runs has one, else offered_rps."""
    values = pd.to_numeric(runs[UTILIZATION], errors="coerce")
    return UTILIZATION if len(values) and values.map(math.isfinite).all() else OFFERED


def subtitle(results: Results) -> str:
    """What every open-loop run shared, for the title.

    "open loop (prefork-load), Poisson arrivals, cost work=exp:1ms, 64 connections"
    """
    shared = open_tables.open_conditions(results)
    parts = ["open loop (prefork-load)"]
    if shared["arrival"]:
        parts.append(f"{shared['arrival'].capitalize()} arrivals")
    if shared["cost"] is not None:
        parts.append(f"cost {shared['cost'].replace(';', ', ')}" if shared["cost"] else "no request cost")
    if shared["connections"] is not None:
        parts.append(f"{shared['connections']:,} connections")
    return ", ".join(parts)


def band(ax, results: Results, rows: pd.DataFrame, column: str, x: str, color: str) -> None:
    """The min–max of the measured repetitions at each row's offered rate, a faint band."""
    lows, highs = [], []
    for _, row in rows.iterrows():
        runs = measured(open_tables.open_group(results.runs, row["server"], row["cost"], row["offered_rps"]))
        spread = tables.spread(runs[column])
        lows.append(spread[1] if spread else math.nan)
        highs.append(spread[2] if spread else math.nan)
    ax.fill_between(rows[x], lows, highs, color=color, alpha=0.18, linewidth=0, zorder=1)


def draw(results: Results) -> Figure | None:
    """Three panels (p50, p99, p99.9), a line per server; None without measured open-loop runs."""
    runs = measured(open_runs(results.runs))
    if runs.empty:
        return None
    x = x_column(runs)
    table = open_tables.open_table(results)
    table = table[(table["runs_ok"] > 0) & table[x].notna()]
    if table.empty:
        return None
    several_costs = table["cost"].nunique() > 1
    # The capacity drawn where the load comes near it.
    near_capacity = x == UTILIZATION and table[x].max() >= 0.8
    looks = Looks(results.runs)
    fig = figure(PANEL_WIDTH * len(PANELS) + SIDE_LEGEND, HEIGHT)
    axes = fig.subplots(1, len(PANELS))
    for server in tables.servers(table):
        color = looks.color(server)
        for cost in dict.fromkeys(table.loc[table["server"] == server, "cost"]):
            rows = table[(table["server"] == server) & (table["cost"] == cost)].sort_values(x)
            mine = runs[(runs["server"] == server) & (runs["cost"] == cost)]
            label = looks.label(server) + (f" ({cost or 'no cost'})" if several_costs else "")
            line = dict(color=color, linewidth=2, label=label, linestyle=looks.linestyle(server),
                        **looks.markers(server))
            for ax, (column, median, _) in zip(axes, PANELS):
                band(ax, results, rows, column, x, color)
                ax.plot(rows[x], rows[median], zorder=2, **line)
                repetitions(ax, mine, column, color, x=x)
                hollow_medians(ax, rows, median, color, looks.markers(server), x=x)
    for ax, (_, _, title) in zip(axes, PANELS):
        ax.set_yscale("log")
        log_axis(ax.yaxis)
        ax.set_ylabel("latency (ms), from the intended send")
        ax.set_title(title, fontsize="medium")
        ax.grid(alpha=0.3)
        ax.set_xlim(left=0)
        if x == UTILIZATION:
            ax.set_xlabel("utilization (offered rate / capacity)")
            if near_capacity:
                ax.axvline(1.0, color="0.4", linestyle=":", linewidth=1.2, zorder=0)
                ax.set_xlim(right=max(ax.get_xlim()[1], 1.05))
        else:
            ax.set_xlabel("offered load (requests/s)")
            ax.xaxis.set_major_formatter(THOUSANDS)
    handles = axes[0].get_legend_handles_labels()[0]
    handles.append(Patch(facecolor="0.6", alpha=0.35, edgecolor="none", label=BAND_LABEL))
    if near_capacity:
        handles.append(Line2D([], [], color="0.4", linestyle=":", linewidth=1.2, label="capacity (utilization 1)"))
    handles += runs_flag_handles(runs, CLIENT_BOUND_LABEL)
    side_legend(fig, handles, PANEL_WIDTH * len(PANELS), "lines: median of repetitions")
    fig.suptitle(f"Latency against offered load — {results.scenario} on {results.host}\n{subtitle(results)}")
    return fig
