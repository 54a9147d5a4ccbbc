"""compare-throughput and compare-spectrum: two results directories in one figure, a against b."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from .. import tables
from ..load import Results
from ..style import Looks
from .frame import (
    MANY, THOUSANDS, connections_text, figure, grid_size, handler_text, legend_outside, log_axis, panel_grid,
    spans_decades, tilt, use_log_latency,
)
from .latency import draw_spectra, nines_axis
from .marks import label_above, paired_bar, paired_handles, points, run_flags, runs_flag_handles


def run_labels(a: Results, b: Results) -> tuple[str, str]:
    """What tells the two apart in a legend: the host, else the scenario, else the directory."""
    parts_a, parts_b = [], []
    if a.host != b.host:
        parts_a.append(a.host)
        parts_b.append(b.host)
    if a.scenario != b.scenario:
        parts_a.append(a.scenario)
        parts_b.append(b.scenario)
    if not parts_a:
        return a.path.name, b.path.name
    return " · ".join(parts_a), " · ".join(parts_b)


def compare_heading(a: Results, b: Results, what: str) -> str:
    def side(name: str, r: Results) -> str:
        counts = tables.connection_counts(r.runs)
        return f"{name}: {r.scenario} on {r.host}, {connections_text(counts)}, {handler_text(r.runs)}"
    return f"{what}\n{side('a', a)}\n{side('b', b)}"


def draw_throughput(a: Results, b: Results) -> Figure | None:
    """Both results' req/s per server side by side, with b/a written over each pair; None without a success."""
    table_a = tables.summary_table(a).set_index(["server", "connections"])
    table_b = tables.summary_table(b).set_index(["server", "connections"])
    looks = Looks(a.runs, b.runs)
    keys = list(dict.fromkeys([k for k in table_a.index if table_a.at[k, "runs_ok"] > 0]
                              + [k for k in table_b.index if table_b.at[k, "runs_ok"] > 0]))
    if not keys:
        return None
    keys = [k for k in keys if not looks.is_peer(k[0])] + [k for k in keys if looks.is_peer(k[0])]
    several = len({c for _, c in keys}) > 1
    label_a, label_b = run_labels(a, b)
    width = 0.38
    medians = [t.at[k, "rps_median"] for t in (table_a, table_b) for k in keys
               if k in t.index and t.at[k, "runs_ok"] > 0]
    log = spans_decades(medians, ratio=20)
    highest = max(t.at[k, "rps_max"] for t in (table_a, table_b) for k in keys
                  if k in t.index and t.at[k, "runs_ok"] > 0)

    fig = figure(max(7, (1.5 if len(keys) > MANY else 1.9) * len(keys) + 3.5), 5.4)
    ax = fig.subplots()
    for i, key in enumerate(keys):
        server, connections = key
        color = looks.color(server)
        values, tops = {}, []
        for offset, name, results, table in ((-width / 2, "a", a, table_a), (width / 2, "b", b, table_b)):
            if key not in table.index or table.at[key, "runs_ok"] == 0:
                continue
            value = table.at[key, "rps_median"]
            runs = results.ok_runs(server, connections)
            reps = list(runs["requests_per_s"])
            values[name] = value
            tops += reps + [value]
            paired_bar(ax, i + offset, value, width * 0.92, color, hatched=name == "b")
            points(ax, i + offset, reps, color, width, size=14, **run_flags(runs))
            label_above(ax, i + offset, reps + [value], f"{value:,.0f}", 1.06 if log else 0.015 * highest,
                        log=log, fontsize="x-small")
        if len(values) == 2 and values["a"] > 0:
            label_above(ax, i, tops, f"b/a ×{values['b'] / values['a']:.2f}", 1.45 if log else 0.09 * highest,
                        log=log, fontsize="small", fontweight="bold")
    names = [f"{s}\n{c:,} connections" if several else s for s, c in keys]
    ax.set_xticks(range(len(keys)), names)
    ax.set_xlim(-0.6, len(keys) - 0.4)
    tilt(ax, len(keys))
    looks.band(ax, list(range(len(keys))), [s for s, _ in keys])
    if log:
        ax.set_yscale("log")
        log_axis(ax.yaxis, THOUSANDS)
        ax.set_ylim(min(medians) / 2, highest * 3)
        ax.set_ylabel("throughput (requests/s, log scale)")
    else:
        ax.set_ylim(0, highest * 1.25)
        ax.yaxis.set_major_formatter(THOUSANDS)
        ax.set_ylabel("throughput (requests/s)")
    ax.grid(axis="y", alpha=0.3)
    flags = runs_flag_handles(pd.concat([a.ok_runs(), b.ok_runs()], ignore_index=True))
    legend_outside(ax, paired_handles(f"a: {label_a}", f"b: {label_b}") + flags)
    fig.suptitle(compare_heading(a, b, "Throughput per server (bar: median)"))
    return fig


def draw_spectrum(a: Results, b: Results) -> Figure | None:
    """Both results' median latency spectra on one nines axis: a solid, b dashed; None without spectra."""
    counts = sorted(set(tables.connection_counts(a.ok_runs())) | set(tables.connection_counts(b.ok_runs())))
    if not counts or (a.latency.empty and b.latency.empty):
        return None
    looks = Looks(a.runs, b.runs)
    label_a, label_b = run_labels(a, b)
    fig = figure(*grid_size(len(counts), 7.5, 4.6, max_columns=2))
    drew = False
    for ax, connections in zip(panel_grid(fig, len(counts), max_columns=2), counts):
        handles_a, highest_a, values_a = draw_spectra(ax, a, connections, "-", faint=False, peers_dashed=False)
        handles_b, highest_b, values_b = draw_spectra(ax, b, connections, "--", faint=False, peers_dashed=False)
        if not handles_a and not handles_b:
            ax.set_visible(False)
            continue
        drew = True
        nines_axis(ax, max(highest_a, highest_b))
        use_log_latency(ax, values_a + values_b)
        ax.set_ylabel("latency (ms)")
        ax.grid(alpha=0.3)
        if len(counts) > 1:
            ax.set_title(f"{connections:,} connections", fontsize="medium")
        servers = looks.ours_first(dict.fromkeys(h.get_label() for h in handles_a + handles_b))
        handles = [Line2D([], [], color=looks.color(s), linewidth=2, label=looks.label(s)) for s in servers]
        handles += [Line2D([], [], color="0.3", linestyle="-", label=f"a: {label_a}"),
                    Line2D([], [], color="0.3", linestyle="--", label=f"b: {label_b}")]
        legend_outside(ax, handles)
    if not drew:
        return None
    fig.suptitle(compare_heading(a, b, "Latency spectrum (median of repetitions)"))
    return fig
