"""latency-spectrum and latency-cdf: latency by percentile, one panel per connection count.

The spectrum puts the percentiles on a "nines" axis, so the tail (99.9 %,
99.99 %) is not a vertical wall; the CDF reads the same spectrum the other
way, the fraction of requests that finished within x ms.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedFormatter, FixedLocator, NullLocator

from .. import tables
from ..load import Results
from ..style import Looks
from .frame import (
    MANY, SIDE_LEGEND, figure, grid_size, heading, line_legend, log_axis, panel_grid, side_legend, spans_decades,
    use_log_latency,
)

NINES_TICKS = (0, 50, 90, 99, 99.9, 99.99, 99.999)


def nines(percentile):
    """Distance in "nines": 90 → 1, 99 → 2, 99.9 → 3, so the tail gets room."""
    return -np.log10(1 - np.asarray(percentile, dtype=float) / 100)


def nines_axis(ax, highest: float) -> None:
    ticks = [p for p in NINES_TICKS if p <= highest + 1e-9]
    ax.xaxis.set_major_locator(FixedLocator(nines(ticks)))
    ax.xaxis.set_major_formatter(FixedFormatter([f"{p:g}" for p in ticks]))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xlim(0, nines(highest) * 1.03)
    ax.set_xlabel("percentile (%), spaced by nines")


def spectra(results: Results, server: str, connections: int) -> pd.DataFrame:
    """The ok runs' spectra for one server: rows = percentile, one column per run."""
    run_ids = results.ok_runs(server, connections)["run_id"]
    rows = results.latency[results.latency["run_id"].isin(run_ids)]
    if rows.empty:
        return pd.DataFrame()
    return rows.pivot_table(index="percentile", columns="run_id", values="latency_ms").sort_index()


def draw_spectra(ax, results: Results, connections: int, linestyle="-", faint: bool = True,
                 peers_dashed: bool = True) -> tuple[list, float, list[float]]:
    """Each repetition faint, the median per percentile bold; returns handles, highest percentile, values.

    The handles' labels are the server labels; peers_dashed draws peers dashed (not
    in a comparison, where the line style tells the two results apart).
    """
    looks = Looks(results.runs)
    handles, highest, values = [], 0.0, []
    for server in tables.servers(results.ok_runs(connections=connections)):
        spectrum = spectra(results, server, connections)
        spectrum = spectrum[spectrum.index < 100]  # the 100th is the maximum: infinitely many nines
        if spectrum.empty:
            continue
        x = nines(spectrum.index)
        color = looks.color(server)
        style = looks.linestyle(server, linestyle) if peers_dashed else linestyle
        if faint:
            for run_id in spectrum.columns:
                ax.plot(x, spectrum[run_id], color=color, alpha=0.3, linewidth=0.8, linestyle=style)
        (line,) = ax.plot(x, spectrum.median(axis=1), color=color, linewidth=2, linestyle=style, label=server)
        handles.append(line)
        highest = max(highest, float(spectrum.index.max()))
        values += list(spectrum.to_numpy().ravel())
    return handles, highest, values


def latency_panels(results: Results, draw_panel, what: str, legend_loc: str) -> Figure | None:
    """One panel per connection count; draw_panel(ax, connections) returns its legend handles, [] for nothing.

    Each panel has its own legend, unless there are several panels and many
    servers: then one legend beside them all, not the same long list in each.
    """
    counts = tables.connection_counts(results.ok_runs())
    if results.latency.empty or not counts:
        return None
    width, height = grid_size(len(counts), 6.5, 4.2)
    shared_legend = len(counts) > 1 and len(tables.servers(results.ok_runs())) > MANY
    fig = figure(width + SIDE_LEGEND if shared_legend else width, height)
    panels = {}
    for ax, connections in zip(panel_grid(fig, len(counts)), counts):
        handles = draw_panel(ax, connections)
        if not handles:
            ax.set_visible(False)
            continue
        panels[ax] = handles
        ax.grid(alpha=0.3)
        if len(counts) > 1:
            ax.set_title(f"{connections:,} connections", fontsize="medium")
    if not panels:
        return None
    if shared_legend:
        every = {h.get_label(): h for handles in panels.values() for h in handles}
        side_legend(fig, list(every.values()), width)
    else:
        for ax, handles in panels.items():
            line_legend(ax, handles, legend_loc)
    fig.suptitle(heading(results, what))
    return fig


def draw_spectrum(results: Results) -> Figure | None:
    """Latency by percentile on a nines axis: each repetition faint, the median bold."""
    looks = Looks(results.runs)

    def draw(ax, connections) -> list:
        handles, highest, values = draw_spectra(ax, results, connections)
        if not handles:
            return []
        nines_axis(ax, highest)
        use_log_latency(ax, values)
        ax.set_ylabel("latency (ms)")
        for handle in handles:
            handle.set_label(looks.label(handle.get_label()))
        return handles + [Line2D([], [], color="0.5", alpha=0.4, linewidth=0.8, label="each repetition")]

    return latency_panels(results, draw, "Latency percentile spectrum", "upper left")


def draw_cdf(results: Results) -> Figure | None:
    """The fraction of requests that finished within x ms, from the median spectrum."""
    looks = Looks(results.runs)

    def draw(ax, connections) -> list:
        values = []
        for server in tables.servers(results.ok_runs(connections=connections)):
            spectrum = spectra(results, server, connections)
            if spectrum.empty:
                continue
            latency = spectrum.median(axis=1)
            ax.plot(latency, spectrum.index / 100, color=looks.color(server), linewidth=2,
                    linestyle=looks.linestyle(server), label=looks.label(server))
            values += list(latency)
        if not values:
            return []
        if spans_decades(values):
            ax.set_xscale("log")
            log_axis(ax.xaxis)
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("latency (ms)")
        ax.set_ylabel("fraction of requests")
        return ax.get_legend_handles_labels()[0]

    return latency_panels(results, draw, "Latency CDF", "lower right")
