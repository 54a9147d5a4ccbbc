"""throughput: req/s per server, the median a bar, every repetition a point, the Little bound a line.

A client-bound run's point is hollow, and so is the bar of a median of mostly
client-bound runs (req/s there ranks wrk, not the server); a suspect run's
point is a cross (marks).
"""

from __future__ import annotations

import math

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from .. import tables
from ..load import Results
from ..style import Looks
from .frame import MANY, THOUSANDS, figure, heading, legend_outside, tilt
from .marks import BOX, HOLLOW, flag_handles, mostly_client_bound, points, repetition_handles, run_flags


def bar_label(ax, x: float, row: pd.Series, top: float, compact: bool = False) -> None:
    """Median and range in numbers: at this scale the points of a tight spread overlap.

    compact, for many bars: the numbers alone, one per line (median, min–max, % of bound).
    """
    if compact:
        text = f"{row['rps_median']:,.0f}\n{row['rps_min']:,.0f}–\n{row['rps_max']:,.0f}"
        if math.isfinite(row["efficiency"]):
            text += f"\n{row['efficiency'] * 100:.1f} %"
        if row["runs_ok"] < row["runs_total"]:
            text += f"\n{row['runs_ok']}/{row['runs_total']} ok"
        if row["client_bound_runs"] > 0:
            text += f"\n{row['client_bound_runs']}/{row['client_bound_known']} client-bound"
        if row["runs_suspect"] > 0:
            text += f"\n{row['runs_suspect']} suspect"
    else:
        text = f"median {row['rps_median']:,.0f}\nmin {row['rps_min']:,.0f}\nmax {row['rps_max']:,.0f}"
        if math.isfinite(row["efficiency"]):
            text += f"\n{row['efficiency'] * 100:.1f} % of bound"
        if row["runs_ok"] < row["runs_total"]:
            text += f"\n{row['runs_ok']} of {row['runs_total']} runs ok"
        if row["client_bound_runs"] > 0:
            text += f"\n{row['client_bound_runs']} of {row['client_bound_known']} runs client-bound"
        if row["runs_suspect"] > 0:
            text += f"\n{row['runs_suspect']} of {row['runs_ok']} runs suspect"
    inside = row["rps_median"] > 0.3 * top
    y = row["rps_median"] / 2 if inside else row["rps_max"] + 0.02 * top
    ax.text(x, y, text, ha="center", va="center" if inside else "bottom", fontsize="small", bbox=BOX)


def bound_line(ax, left: float, right: float, bound: float, long_label: bool) -> None:
    ax.hlines(bound, left, right, colors="black", linestyles="dashed", linewidth=1.2, zorder=4)
    text = f"Little's-law bound {bound:,.0f} req/s" if long_label else f"{bound:,.0f}"
    ax.text(left, bound, " " + text, ha="left", va="bottom", fontsize="small")


def draw(results: Results) -> Figure | None:
    """One group of bars per connection count, one bar per server (ours, then the peers); None without a success."""
    summary = tables.summary_table(results)
    summary = summary[summary["runs_ok"] > 0]
    if summary.empty:
        return None
    looks = Looks(results.runs)
    servers = looks.ours_first(dict.fromkeys(summary["server"]))
    counts = sorted(summary["connections"].unique())
    width = 0.8 / len(servers)
    bounds = summary["little_bound"].dropna()
    top = max(summary["rps_max"].max(), bounds.max() if not bounds.empty else 0) * 1.1
    # Numbers on the bars only for one connection count: with several, the
    # short bars' labels would sit on the bound line (connection-sweep has them).
    single = len(counts) == 1
    flagged = {"hollow": False, "suspect": False}

    fig = figure(min(16, max(6.5, (2.0 if single else 0.5) * len(summary) + 3)), 5)
    ax = fig.subplots()
    for g, connections in enumerate(counts):
        for i, server in enumerate(servers):
            row = summary[(summary["server"] == server) & (summary["connections"] == connections)]
            if row.empty:
                continue
            row = row.iloc[0]
            x = g + (i - (len(servers) - 1) / 2) * width
            color = looks.color(server)
            if mostly_client_bound(row):
                ax.bar(x, row["rps_median"], width * 0.9, facecolor=HOLLOW, edgecolor=color, linewidth=1.6,
                       zorder=2, hatch=looks.hatch(server))
            else:
                ax.bar(x, row["rps_median"], width * 0.9, color=color, alpha=0.45, edgecolor=color, zorder=2,
                       hatch=looks.hatch(server))
            runs = results.ok_runs(server, connections)
            flags = run_flags(runs)
            flagged = {name: flagged[name] or any(flags[name]) for name in flagged}
            points(ax, x, runs["requests_per_s"], color, width, **flags)
            if single:
                bar_label(ax, x, row, top, compact=len(servers) > MANY)
        bound = summary.loc[summary["connections"] == connections, "little_bound"].iloc[0]
        if math.isfinite(bound):
            bound_line(ax, g - 0.45, g + 0.45, bound, long_label=single)

    if single:
        positions = [(i - (len(servers) - 1) / 2) * width for i in range(len(servers))]
        ax.set_xticks(positions, servers)
        tilt(ax, len(servers))
        looks.band(ax, positions, servers, width)
        ax.set_xlabel("server")
    else:
        ax.set_xticks(range(len(counts)), [f"{c:,}" for c in counts])
        ax.set_xlabel("connections")
    ax.set_xlim(-0.5, len(counts) - 0.5)
    ax.set_ylim(0, top)
    ax.set_ylabel("throughput (requests/s)")
    ax.yaxis.set_major_formatter(THOUSANDS)
    ax.grid(axis="y", alpha=0.3)
    handles = (repetition_handles() + flag_handles(flagged["hollow"], flagged["suspect"])
               + looks.legend_handles(servers))
    if single and len(servers) > MANY:
        bound_part = ", % of the bound" if not bounds.empty else ""
        handles.append(Patch(facecolor="white", edgecolor="none",
                             label=f"numbers on a bar: median,\nmin–max req/s{bound_part}"))
    if not single:
        handles = [looks.legend_patch(s) for s in servers] + handles
        if not bounds.empty:
            handles.append(Line2D([], [], color="black", linestyle="--", label="Little's-law bound (req/s)"))
    legend_outside(ax, handles)
    fig.suptitle(heading(results, "Throughput per server"))
    return fig
