"""published-vs-measured: one bar per row of the reproduce table, req/s above, p50 below, both on log scales.

Grouped: published, measured with the wait, measured without; the Little
bound and the handler's wait drawn where they apply.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ..figures.frame import save
from ..style import PEER_HATCH, Looks, color_for
from .numbers import ms, percent, rps, times

LIMIT = "#c0392b"  # the bound and the wait: what no bar can pass
PUBLISHED_HATCH = "//"
LABEL_BOX = dict(boxstyle="square,pad=0.1", facecolor="white", edgecolor="none", alpha=0.85)


def log_floor(values) -> float:
    """A power of ten at least half a decade below the smallest value, so short bars stay visible."""
    smallest = min(v for v in values if v > 0)
    return 10 ** math.floor(math.log10(smallest) - 0.5)


def group_of(row) -> str:
    if row["source"] == "published":
        return f"published (fasthttp README)\nclaims a {row['delay_ms']:g} ms handler"
    if row["delay_ms"] > 0:
        return f"measured here\nhandler waits {row['delay_ms']:g} ms"
    return "measured here\nhandler does not wait"


def bar_positions(rows) -> tuple[list[float], float]:
    """Each row's x, a gap between groups; and the width they take."""
    positions, x, previous = [], 0.0, None
    for row in rows:
        if previous is not None and group_of(row) != previous:
            x += 0.8
        positions.append(x)
        previous = group_of(row)
        x += 1.0
    return positions, x


def bar_style(row, looks: Looks) -> dict:
    """Published rows white and hatched in the published colour; measured ones in the server's look."""
    if row["source"] == "published":
        return dict(color="white", hatch=PUBLISHED_HATCH, edgecolor=color_for("published"))
    return dict(color=looks.color(row["server"]), hatch=looks.hatch(row["server"]), edgecolor="black")


def rps_label(row) -> str:
    label = rps(row["requests_per_s"])
    e = row["efficiency"]
    if math.isfinite(e):
        label += f"\n{times(e)}\nthe bound" if e >= 2 else f"\n{percent(e)} %\nof the bound"
    return label


def draw(table: pd.DataFrame) -> Figure:
    rows = [row for _, row in table.iterrows()]
    looks = Looks(table[table["source"] == "measured"])
    positions, width = bar_positions(rows)
    groups = list(dict.fromkeys(group_of(r) for r in rows))
    styles = [bar_style(row, looks) for row in rows]
    peers_shown = any(looks.is_peer(row["server"]) and row["source"] == "measured" for row in rows)

    def draw_bars(ax, column, label_of):
        for position, row, style in zip(positions, rows, styles):
            ax.bar(position, row[column], width=0.8, linewidth=0.8, zorder=2, **style)
            ax.annotate(label_of(row), (position, row[column]), xytext=(0, 4), textcoords="offset points",
                        ha="center", va="bottom", fontsize=8, bbox=LABEL_BOX, zorder=4)
        ax.set_yscale("log")
        ax.set_ylim(log_floor(table[column]), table[column].max() * 8)
        ax.grid(axis="y", which="major", alpha=0.3, zorder=0)
        ax.set_axisbelow(True)

    def span(select):
        chosen = [p for p, r in zip(positions, rows) if select(r)]
        return (chosen[0] - 0.5, chosen[-1] + 0.5) if chosen else None

    # 11 inches hold the published rows and three servers with and without the wait; more bars need more.
    fig = Figure(figsize=(max(11.0, 0.95 * (width + 1)), 8.6 if peers_shown else 8))
    ax_rps, ax_p50 = fig.subplots(2, 1, sharex=True)

    draw_bars(ax_rps, "requests_per_s", rps_label)
    ax_rps.set_ylabel("requests per second, log scale\n(measured: median of the runs)")
    handles = [Patch(facecolor="white", hatch=PUBLISHED_HATCH, edgecolor=color_for("published"),
                     label="published by fasthttp (another machine, not measured here)")]
    if peers_shown:
        handles.append(Patch(facecolor="0.8", hatch=PEER_HATCH, edgecolor="black",
                             label="fasthttp measured here (a peer: the same wrk command on this machine)"))
    bounded = span(lambda r: math.isfinite(r["little_bound_rps"]))
    if bounded:
        first = next(r for r in rows if math.isfinite(r["little_bound_rps"]))
        bound = first["little_bound_rps"]
        ax_rps.hlines(bound, *bounded, colors=LIMIT, linestyles="--", linewidth=1.6, zorder=3)
        handles.insert(0, Line2D([], [], color=LIMIT, linestyle="--", linewidth=1.6,
                                 label=f"Little's-law bound for a {first['delay_ms']:g} ms handler: "
                                       f"{int(first['connections'])} connections / {first['delay_ms']:g} ms "
                                       f"= {rps(bound)} req/s"))
    if peers_shown:
        # Three entries inside the axes would cover the bars' labels: above it instead.
        ax_rps.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 1.01), fontsize=8.5, ncols=2,
                      frameon=False)
    else:
        ax_rps.legend(handles=handles, loc="upper center", fontsize=8.5, framealpha=0.95)

    draw_bars(ax_p50, "p50_ms", lambda row: f"{ms(row['p50_ms'])} ms")
    ax_p50.set_ylabel("median latency p50, ms\n(log scale)")
    waiting = span(lambda r: r["delay_ms"] > 0)
    if waiting:
        delay = next(r for r in rows if r["delay_ms"] > 0)["delay_ms"]
        ax_p50.hlines(delay, *waiting, colors=LIMIT, linestyles="--", linewidth=1.6, zorder=3)
        ax_p50.legend(handles=[Line2D([], [], color=LIMIT, linestyle="--", linewidth=1.6,
                                      label=f"the handler's wait, {delay:g} ms: no response can come sooner")],
                      loc="upper right", fontsize=8.5, framealpha=0.95)

    ax_p50.set_xticks(positions)
    ax_p50.set_xticklabels([r["server"] for r in rows], rotation=20, ha="right")
    for label, row in zip(ax_p50.get_xticklabels(), rows):
        if row["source"] == "measured" and looks.is_peer(row["server"]):
            label.set_fontstyle("italic")
    for g in groups:
        xs = [p for p, r in zip(positions, rows) if group_of(r) == g]
        # Below the tilted server labels; the fasthttp peers' names are longer.
        ax_p50.annotate(g, (sum(xs) / len(xs), 0), xycoords=("data", "axes fraction"),
                        xytext=(0, -72 if peers_shown else -58), textcoords="offset points", ha="center", va="top",
                        fontsize=9, fontweight="bold")
    for g_prev in groups[:-1]:
        last = max(p for p, r in zip(positions, rows) if group_of(r) == g_prev)
        for ax in (ax_rps, ax_p50):
            ax.axvline(last + 0.9, color="grey", linewidth=0.8, alpha=0.6)

    connections = int(table["connections"].iloc[0])
    fig.suptitle(f"fasthttp's published prefork figures vs measured here: the same wrk command, "
                 f"{connections} connections")
    fig.tight_layout()
    fig.subplots_adjust(bottom=0.19 if peers_shown else 0.17)
    return fig


def published_vs_measured(table: pd.DataFrame, out_dir) -> list[Path]:
    """The figure as out_dir/published-vs-measured.png and .svg."""
    return save(draw(table), out_dir, "published-vs-measured")
