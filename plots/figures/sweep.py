"""connection-sweep: req/s and p99 against the number of connections, when the scenario varies it."""

from __future__ import annotations

from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from .. import tables
from ..load import Results
from ..style import Looks
from .frame import MANY, SIDE_LEGEND, THOUSANDS, figure, heading, side_legend, use_log_latency


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
        rps_ax.scatter(runs["connections"], runs["requests_per_s"], color=color, s=12, alpha=0.5)
        p99_ax.plot(rows["connections"], rows["p99_ms"], **line)
        p99_ax.scatter(runs["connections"], runs["latency_p99_ms"], color=color, s=12, alpha=0.5)
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
    if many:
        side_legend(fig, rps_ax.get_legend_handles_labels()[0], 12, "lines: median of repetitions")
    else:
        rps_ax.legend(loc="upper left", fontsize="small")
    fig.suptitle(heading(results, "Connection sweep"))
    return fig
