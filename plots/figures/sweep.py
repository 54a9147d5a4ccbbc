"""connection-sweep: req/s and p99 against the number of connections, when the scenario varies it.

As in the other figures (marks), a client-bound run's dot and a median of
mostly client-bound runs are hollow, a suspect run's dot is a cross.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from .. import tables
from ..load import Results
from ..style import Looks
from .frame import MANY, SIDE_LEGEND, THOUSANDS, figure, heading, side_legend, use_log_latency
from .marks import HOLLOW, SUSPECT_MARKER, mostly_client_bound, run_flags, runs_flag_handles


def repetitions(ax, runs: pd.DataFrame, column: str, color: str, x: str = "connections") -> None:
    """Every repetition a faint dot at its connection count (or runs[x]): hollow if client-bound, a cross if suspect."""
    flags = run_flags(runs)
    if not any(flags["hollow"]) and not any(flags["suspect"]):
        ax.scatter(runs[x], runs[column], color=color, s=12, alpha=0.5)
        return
    hollow, suspect = np.array(flags["hollow"]), np.array(flags["suspect"])
    for crossed, marker, size in ((False, "o", 12), (True, SUSPECT_MARKER, 30)):
        chosen = suspect == crossed
        if not chosen.any():
            continue
        ax.scatter(runs[x][chosen], runs[column][chosen], s=size, marker=marker, alpha=0.5,
                   facecolors=[HOLLOW if h else color for h in hollow[chosen]], edgecolors=color)


def hollow_medians(ax, rows: pd.DataFrame, column: str, color: str, marker: dict, x: str = "connections") -> None:
    """The medians of mostly client-bound runs drawn again, hollow, over the line's filled markers (at rows[x])."""
    bound = rows[[mostly_client_bound(row) for _, row in rows.iterrows()]]
    if bound.empty:
        return
    ax.plot(bound[x], bound[column], linestyle="", markerfacecolor=HOLLOW, markeredgecolor=color,
            markeredgewidth=1.4, label="_client-bound median", **marker)


def log2_connections_axis(ax, counts: list[int]) -> None:
    ax.set_xscale("log", base=2)
    ax.xaxis.set_major_locator(FixedLocator(counts))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xlabel("connections (log₂ scale)")


def draw(results: Results) -> Figure | None:
    """Two panels, throughput and p99, a line per server; None with fewer than two connection counts."""
    counts = tables.connection_counts(results.ok_runs())
    if len(counts) < 2:
        return None
    summary = tables.summary_table(results)
    summary = summary[summary["runs_ok"] > 0]
    looks = Looks(results.runs)
    many = len(tables.servers(summary)) > MANY
    fig = figure(12 + SIDE_LEGEND if many else 12, 4.8)
    rps_ax, p99_ax = fig.subplots(1, 2)
    for server in tables.servers(summary):
        rows = summary[summary["server"] == server].sort_values("connections")
        runs = results.ok_runs(server)
        color = looks.color(server)
        line = dict(color=color, linewidth=2, label=looks.label(server), linestyle=looks.linestyle(server),
                    **looks.markers(server))
        rps_ax.plot(rows["connections"], rows["rps_median"], **line)
        repetitions(rps_ax, runs, "requests_per_s", color)
        p99_ax.plot(rows["connections"], rows["p99_ms"], **line)
        repetitions(p99_ax, runs, "latency_p99_ms", color)
        for ax, column in ((rps_ax, "rps_median"), (p99_ax, "p99_ms")):
            hollow_medians(ax, rows, column, color, looks.markers(server))
    first = results.runs.iloc[0]
    bounds = [tables.little_bound(c, first["delay_ms"], first["work_ms"]) for c in counts]
    if all(b is not None for b in bounds):
        rps_ax.plot(counts, bounds, color="black", linestyle="--", linewidth=1.2, label="Little's-law bound")
    for ax in (rps_ax, p99_ax):
        log2_connections_axis(ax, counts)
        ax.grid(alpha=0.3)
    rps_ax.set_ylim(bottom=0)
    rps_ax.set_ylabel("throughput (requests/s)")
    rps_ax.yaxis.set_major_formatter(THOUSANDS)
    rps_ax.set_title("throughput (line: median, dots: repetitions)", fontsize="medium")
    p99_ax.set_ylabel("p99 latency (ms)")
    use_log_latency(p99_ax, list(summary["p99_ms"].dropna()))
    p99_ax.set_title("99th percentile latency", fontsize="medium")
    flags = runs_flag_handles(results.ok_runs())
    if many:
        side_legend(fig, rps_ax.get_legend_handles_labels()[0] + flags, 12, "lines: median of repetitions")
    elif flags:
        rps_ax.legend(handles=rps_ax.get_legend_handles_labels()[0] + flags, loc="upper left", fontsize="small")
    else:
        rps_ax.legend(loc="upper left", fontsize="small")
    fig.suptitle(heading(results, "Connection sweep"))
    return fig
