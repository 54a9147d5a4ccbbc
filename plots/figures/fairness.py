"""fairness: how each of our servers spreads connections and requests over its workers (workers.csv).

Peers are left out, and the title says so: they expose no per-worker counters.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FixedLocator, FuncFormatter

from .. import tables
from ..load import Results
from ..style import Looks
from .frame import figure, grid_size, heading, largest_connections, panel_grid
from .marks import BOX, HATCH, paired_bar, paired_handles, points


def worker_shares(workers: pd.DataFrame) -> pd.DataFrame:
    """Each run's workers ranked busiest first, with their share of the run's connections and requests (%).

    Ranked rather than by worker id: which process wins the accept race changes
    from run to run, how unevenly the work is spread is what repeats.
    """
    frames = []
    for _, run in workers.groupby("run_id", sort=True):
        run = run.sort_values(["connections", "requests"], ascending=False).reset_index(drop=True)
        total_c, total_r = run["connections"].sum(), run["requests"].sum()
        frames.append(pd.DataFrame({
            "run_id": run["run_id"],
            "rank": np.arange(len(run)),
            "connections": run["connections"],
            "requests": run["requests"],
            "connections_share": run["connections"] / total_c * 100 if total_c else np.nan,
            "requests_share": run["requests"] / total_r * 100 if total_r else np.nan,
        }))
    if not frames:
        return pd.DataFrame(columns=["run_id", "rank", "connections", "requests", "connections_share",
                                     "requests_share"])
    return pd.concat(frames, ignore_index=True)


def jain_over_runs(workers: pd.DataFrame, column: str) -> float:
    """The median over the runs of each run's Jain's index of column."""
    return tables.median(tables.jain_index(run[column]) for _, run in workers.groupby("run_id"))


def count_text(value: float) -> str:
    if value >= 1_000_000:
        return f"{value / 1e6:.2f}M"
    return f"{value / 1000:,.0f}k" if value >= 10_000 else f"{value:,.0f}"


def panel(ax, workers: pd.DataFrame, server: str, color: str) -> None:
    """One server's workers, busiest first: the median share of each rank, every run a point."""
    shares = worker_shares(workers)
    ranks = int(shares["rank"].max()) + 1
    width = 0.4
    few = ranks <= 16
    for offset, column, hatched in ((-width / 2, "connections", False), (width / 2, "requests", True)):
        by_rank = shares.groupby("rank")
        medians = by_rank[f"{column}_share"].median()
        if not few:
            # Hundreds of bars alias into stripes; the same shapes as areas read cleanly.
            ax.fill_between(medians.index, medians, step="mid", facecolor="none" if hatched else color,
                            edgecolor=color, hatch=HATCH if hatched else None, alpha=0.8 if hatched else 0.5)
            continue
        paired_bar(ax, medians.index + offset, medians, width * 0.95, color, hatched, linewidth=0.8)
        for rank, values in by_rank[f"{column}_share"]:
            points(ax, rank + offset, list(values), color, width, size=14)
        if ranks <= 4:
            # The counts behind the shares: "513 connections" says more than "100 %".
            for rank, count in by_rank[column].median().items():
                ax.text(rank + offset, 4, count_text(count), ha="center", va="bottom", fontsize="x-small",
                        bbox=BOX, zorder=4)
    ax.axhline(100 / ranks, color="0.3", linestyle=":", linewidth=1.2, zorder=1)
    jain = {column: jain_over_runs(workers, column) for column in ("connections", "requests")}
    jain_text = ", ".join(f"{column} {value:.2f}" if math.isfinite(value) else f"{column} –"
                          for column, value in jain.items())
    ax.set_title(f"{server}\nJain's index: {jain_text}", fontsize="medium")
    # 0–112 % for a few workers, so panels compare at a glance; zoomed in for
    # many (512 processes at 0.2 % each would not show).
    highest = shares[["connections_share", "requests_share"]].max().max()
    ax.set_ylim(0, 112 if not highest < 20 else highest * 1.25)
    ax.set_xlim(-0.6, ranks - 0.4)
    if few:
        ax.set_xticks(range(ranks), [str(r + 1) for r in range(ranks)])
    else:
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v + 1:.0f}"))
        ax.xaxis.set_major_locator(FixedLocator([r for r in (0, *range(99, ranks, 100)) if r < ranks]))
    ax.set_xlabel("worker, busiest first")
    ax.grid(axis="y", alpha=0.3)


def draw(results: Results) -> Figure | None:
    """A panel per server of ours at the largest connection count; None without worker rows."""
    connections = largest_connections(results)
    if connections is None or results.workers.empty:
        return None
    looks = Looks(results.runs)
    ok = results.ok_runs(connections=connections)
    peers = [s for s in tables.servers(ok) if looks.is_peer(s)]
    servers = [s for s in tables.servers(ok) if s not in peers
               and results.workers["run_id"].isin(ok.loc[ok["server"] == s, "run_id"]).any()]
    if not servers:
        return None
    fig = figure(*grid_size(len(servers), 4.6, 3.9))
    for i, (ax, server) in enumerate(zip(panel_grid(fig, len(servers)), servers)):
        run_ids = ok.loc[ok["server"] == server, "run_id"]
        panel(ax, results.workers[results.workers["run_id"].isin(run_ids)], server, looks.color(server))
        if i % 3 == 0:
            ax.set_ylabel("share of the run's total (%)")
    handles = paired_handles("connections (median)", "requests (median)") + [
               Line2D([], [], color="0.3", linestyle=":", label="even share"),
               Patch(facecolor="white", edgecolor="none", label="numbers in bars: median count")]
    fig.legend(handles=handles, loc="lower center", ncols=5, frameon=False, fontsize="small",
               bbox_to_anchor=(0.5, 0))
    fig.get_layout_engine().set(rect=(0, 0.07, 1, 0.93))
    text = heading(results, "Connections and requests per worker", [connections])
    if peers:
        text += (f"\n{len(peers)} peer{'s' if len(peers) > 1 else ''} not shown: "
                 f"peers expose no per-worker counters")
    fig.suptitle(text)
    return fig
