"""cpu: server and wrk CPU side by side, and the server's CPU time per request.

A side at its CPU ceiling was the bottleneck, not the other: the figure marks
which, from how many CPUs each side could use (the pinning in meta.json).
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from .. import tables
from ..load import Results
from ..style import Looks
from .frame import MANY, figure, heading, largest_connections, tilt
from .marks import BOX, label_above, paired_bar, paired_handles, points, run_flags, runs_flag_handles

SATURATED = 0.9  # of a side's CPUs: above it, that side set the pace


def cpu_ceilings(meta: dict) -> dict[str, int]:
    """How many CPUs the server and wrk could use: 100 % per CPU is where each saturates.

    With split pinning each side has its own CPUs (meta pinning "server=0
    wrk=1"); without, both share every allowed CPU.
    """
    description = meta.get("pinning", {}).get("description", "none")
    ceilings = {}
    for part in description.split():
        side, _, cpus = part.partition("=")
        if side in ("server", "wrk") and cpus:
            ceilings[side] = count_cpus(cpus)
    if len(ceilings) == 2:
        return ceilings
    shared = meta.get("host", {}).get("allowed_cpu_count") or meta.get("host", {}).get("online_cpus") or 1
    return {"server": int(shared), "wrk": int(shared)}


def count_cpus(cpu_list: str) -> int:
    """'0-3,6' → 5."""
    count = 0
    for part in cpu_list.split(","):
        low, _, high = part.partition("-")
        count += int(high or low) - int(low) + 1
    return count


def saturated(row: pd.Series, ceilings: dict[str, int]) -> str:
    """Which side ran at its CPU limit: the one that capped req/s."""
    sides = [side for side, column in (("server", "server_cpu_percent"), ("wrk", "wrk_cpu_percent"))
             if row[column] >= SATURATED * 100 * ceilings[side]]
    if not sides:
        return "neither at its CPU limit"
    return f"{sides[0]} at its CPU limit" if len(sides) == 1 else "both at their CPU limit"


def ceiling_lines(ax, ceilings: dict[str, int], pinned: bool) -> None:
    if ceilings["server"] == ceilings["wrk"]:
        n = ceilings["server"]
        cpus = f"{n} CPU{'s' if n > 1 else ''}"
        lines = {n * 100: f"saturated: {cpus} each (server and wrk pinned apart)" if pinned
                              else f"saturated: all {cpus} (server and wrk share them)"}
    else:
        lines = {ceilings[side] * 100: f"{side} saturated: {ceilings[side]} CPUs" for side in ("server", "wrk")}
    for level, text in lines.items():
        ax.axhline(level, color="black", linestyle="--", linewidth=1)
        ax.text(0.99, level, text, transform=ax.get_yaxis_transform(), ha="right", va="bottom", fontsize="x-small")


def usage_bars(ax, i: int, row: pd.Series, runs: pd.DataFrame, color: str, top: float) -> None:
    """Server (solid) and wrk (hatched) CPU of one server, each with its repetitions and its number."""
    width = 0.38
    for offset, column, hatched in ((-width / 2, "server_cpu_percent", False), (width / 2, "wrk_cpu_percent", True)):
        paired_bar(ax, i + offset, row[column], width * 0.92, color, hatched)
        points(ax, i + offset, runs[column], color, width, size=14, **run_flags(runs))
        if row[column] > 0.3 * top:
            ax.text(i + offset, row[column] / 2, f"{row[column]:.0f} %", ha="center", va="center",
                    fontsize="x-small", bbox=BOX)
        else:
            label_above(ax, i + offset, list(runs[column]) + [row[column]], f"{row[column]:.0f} %",
                        0.015 * top, fontsize="x-small")


def draw(results: Results) -> Figure | None:
    """Who was busy (left or above) and what a request cost the server (right or below); None without a success."""
    connections = largest_connections(results)
    if connections is None:
        return None
    looks = Looks(results.runs)
    summary = tables.summary_table(results)
    summary = summary[(summary["runs_ok"] > 0) & (summary["connections"] == connections)]
    summary = summary.set_index("server").loc[looks.ours_first(summary["server"])].reset_index()
    servers = list(summary["server"])
    many = len(servers) > MANY
    ceilings = cpu_ceilings(results.meta)
    top = max(max(ceilings.values()) * 100, summary[["server_cpu_percent", "wrk_cpu_percent"]].max().max()) * 1.22

    if many:
        # One above the other, each the full width: side by side, a dozen servers' labels collide.
        fig = figure(max(12, 1.25 * len(servers) + 3), 10)
        usage_ax, cost_ax = fig.subplots(2, 1)
    else:
        fig = figure(max(10, 2.2 * len(servers) + 5), 5)
        usage_ax, cost_ax = fig.subplots(1, 2, width_ratios=(3, 2))
    for i, server in enumerate(servers):
        color = looks.color(server)
        runs = results.ok_runs(server, connections)
        row = summary.iloc[i]
        usage_bars(usage_ax, i, row, runs, color, top)
        cost = tables.server_cpu_us_per_request(runs)
        cost_ax.bar(i, row["server_cpu_us_per_request"], 0.6, color=color, alpha=0.45, edgecolor=color, zorder=2,
                    hatch=looks.hatch(server))
        points(cost_ax, i, cost, color, 0.6, **run_flags(runs))
        label_above(cost_ax, i, list(cost) + [row["server_cpu_us_per_request"]],
                    f"{row['server_cpu_us_per_request']:.1f} µs", 0.02 * summary["server_cpu_us_per_request"].max(),
                    fontsize="small")
    pinning = results.meta.get("pinning", {}).get("description", "none")
    usage_ax.set_ylim(0, top)
    ceiling_lines(usage_ax, ceilings, pinned=pinning != "none")
    usage_ax.set_xlim(-0.5, len(servers) - 0.5)
    if many:
        # Tilted two-line labels run into each other: the verdict goes into the plot, shortened.
        usage_ax.set_xticks(range(len(servers)), servers)
        for i in range(len(servers)):
            verdict = saturated(summary.iloc[i], ceilings).replace(" its CPU limit", " limit").replace(
                " their CPU limit", " limit")
            usage_ax.text(i, 0.02 * top, verdict, ha="center", va="bottom", fontsize="x-small", bbox=BOX, zorder=5)
    else:
        usage_ax.set_xticks(range(len(servers)), [f"{s}\n({saturated(summary.iloc[i], ceilings)})"
                                                  for i, s in enumerate(servers)])
    looks.band(usage_ax, list(range(len(servers))), servers)
    usage_ax.set_ylabel("CPU used (%, 100 = one CPU)")
    usage_ax.set_xlabel(f"at its CPU limit: ≥ {SATURATED:.0%} of its CPUs, the side that set the pace",
                        fontsize="small")
    usage_ax.set_title(f"who was busy — pinning: {pinning}", fontsize="medium")
    usage_ax.grid(axis="y", alpha=0.3)
    flags = runs_flag_handles(results.ok_runs(connections=connections))
    usage_ax.legend(handles=paired_handles("server (median)", "wrk (median)") + flags, loc="upper left",
                    fontsize="small", ncols=3, frameon=False)
    cost_ax.set_xticks(range(len(servers)), servers)
    cost_ax.set_xlim(-0.5, len(servers) - 0.5)
    looks.band(cost_ax, list(range(len(servers))), servers)
    cost_ax.set_ylim(0, summary["server_cpu_us_per_request"].max() * 1.3)
    cost_ax.set_ylabel("server CPU time per request (µs)")
    cost_ax.set_title("cost of a request to the server", fontsize="medium")
    cost_ax.grid(axis="y", alpha=0.3)
    if many:
        for ax in (usage_ax, cost_ax):
            tilt(ax, len(servers))
    elif len(servers) > 3:
        for ax in (usage_ax, cost_ax):
            ax.tick_params(axis="x", labelrotation=20)
    fig.suptitle(heading(results, "CPU: server and load generator (wrk)", [connections]))
    return fig
