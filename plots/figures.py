"""The figures of a results directory, each written as PNG (to look at) and SVG (to print).

Figures are built on matplotlib.figure.Figure, never pyplot: no global state,
no window, and the files render with Agg whatever backend a notebook chose.
Every function takes loaded Results and an output folder and returns the
files it wrote, or [] when the results hold nothing it could draw.

Peers (kind `peer` in runs.csv) are drawn apart from our servers: muted
colours (colors.PEERS), dotted hatching on their bars, dashed lines, a grey
band behind them where servers sit side by side on the x axis, and "(peer)"
after their label in legends. The fairness figure leaves them out: peers have
no per-worker counters.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FixedFormatter, FixedLocator, FuncFormatter, LogLocator, NullLocator

from . import tables
from .colors import color_for
from .load import Results, peer_servers

NINES_TICKS = (0, 50, 90, 99, 99.9, 99.99, 99.999)
HATCH = "///"
PEER_HATCH = "..."
PEER_LINE = (0, (5, 2))  # dashed
PEER_BAND = "0.93"
PEER_MARK = " (peer)"
# Above this many servers, legends move out of the axes and x labels tilt.
MANY = 6
THOUSANDS = FuncFormatter(lambda value, _: f"{value:,.0f}")
BOX = dict(boxstyle="round,pad=0.2", facecolor="white", edgecolor="none", alpha=0.85)


# ---- shared pieces ----------------------------------------------------------


def _is_peer(results: Results, server: str) -> bool:
    return server in peer_servers(results.runs)


def _color(results: Results, server: str) -> str:
    """The server's colour: colors.color_for, from the peers' palette for a peer."""
    runs = results.runs
    if not _is_peer(results, server):
        return color_for(server)
    models = runs.loc[runs["server"] == server, "model"] if "model" in runs.columns else pd.Series(dtype=str)
    return color_for(server, peer=True, model=models.iloc[0] if not models.empty else None)


def _shown(results: Results, server: str) -> str:
    """The label in a legend: a peer's says so."""
    return server + PEER_MARK if _is_peer(results, server) else server


def _peer_band(ax, positions: list[float], peers: list[bool], step: float = 1.0) -> None:
    """A grey band behind the peers' bars, labelled at its top; peers follow our servers, so it is one band."""
    xs = [x for x, peer in zip(positions, peers) if peer]
    if not xs:
        return
    left, right = min(xs) - step / 2, max(xs) + step / 2
    ax.axvspan(left, right, facecolor=PEER_BAND, edgecolor="none", zorder=0)
    ax.text((left + right) / 2, 0.985, "peers: well-known servers, not ours", transform=ax.get_xaxis_transform(),
            ha="center", va="top", fontsize="small", color="0.25", zorder=5)


def _peer_handles(results: Results, servers) -> list:
    """Legend entries that say how peers are drawn, when there are any."""
    if not any(_is_peer(results, s) for s in servers):
        return []
    return [Patch(facecolor="white", edgecolor="0.4", hatch=PEER_HATCH, label="peer (well-known server, not ours)")]


def _peers_of(*results: Results) -> set[str]:
    """The labels that are peers in any of these results."""
    return set().union(*(peer_servers(r.runs) for r in results))


def _color_of(server: str, *results: Results) -> str:
    """The server's colour in the first of these results that has it."""
    for r in results:
        if (r.runs["server"] == server).any():
            return _color(r, server)
    return color_for(server)


def _tilt(ax, labels: int) -> None:
    if labels > MANY:
        ax.tick_params(axis="x", labelrotation=30)
        for label in ax.get_xticklabels():
            label.set_horizontalalignment("right")
            label.set_rotation_mode("anchor")


def nines(percentile):
    """Distance in "nines": 90 → 1, 99 → 2, 99.9 → 3, so the tail gets room."""
    return -np.log10(1 - np.asarray(percentile, dtype=float) / 100)


def _save(fig: Figure, out_dir: Path, name: str) -> list[Path]:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    png, svg = out_dir / f"{name}.png", out_dir / f"{name}.svg"
    # No dates and a fixed id salt: re-plotting the same results gives the same files.
    with matplotlib.rc_context({"svg.hashsalt": "prefork-bench"}):
        fig.savefig(png, dpi=120, metadata={"Software": None})
        fig.savefig(svg, metadata={"Date": None})
    return [png, svg]


def _figure(width: float, height: float) -> Figure:
    return Figure(figsize=(width, height), layout="constrained")


def _handler(runs: pd.DataFrame) -> str:
    first = runs.iloc[0]
    text = f"handler waits {first['delay_ms']:g} ms"
    if first["work_ms"] > 0:
        text += f" + {first['work_ms']:g} ms CPU"
    return text


def _connections_text(counts: list[int]) -> str:
    if len(counts) == 1:
        return f"{counts[0]:,} connections"
    return f"{counts[0]:,}–{counts[-1]:,} connections"


def _title(results: Results, what: str, counts: list[int] | None = None) -> str:
    counts = counts if counts is not None else tables.connection_counts(results.runs)
    return f"{what} — {results.scenario} on {results.host}\n{_connections_text(counts)}, {_handler(results.runs)}"


def _ok(results: Results, server: str | None = None, connections: int | None = None) -> pd.DataFrame:
    runs = results.ok_runs()
    if server is not None:
        runs = runs[runs["server"] == server]
    if connections is not None:
        runs = runs[runs["connections"] == connections]
    return runs.sort_values("run_id")


def _offsets(count: int, width: float) -> np.ndarray:
    """Where a group's repetitions sit inside its bar: spread out, fixed, no random jitter."""
    if count <= 1:
        return np.zeros(count)
    return np.linspace(-width / 4, width / 4, count)


def _points(ax, x: float, values, color: str, width: float, size: float = 22) -> None:
    values = [v for v in values if math.isfinite(v)]
    ax.scatter(x + _offsets(len(values), width), values, s=size, color=color, edgecolor="black",
               linewidth=0.6, zorder=3)


def _label_above(ax, x: float, values, text: str, pad: float, log: bool = False, **style) -> None:
    """Text over a bar and its points, so the two never overlap; pad is in data units (a factor on log axes)."""
    top = max(v for v in values if math.isfinite(v))
    ax.text(x, top * pad if log else top + pad, text, ha="center", va="bottom", **style)


def _paired_bar(ax, x, height, width: float, color: str, hatched: bool, **style) -> None:
    """Two quantities of one server side by side: same colour, the second hatched."""
    ax.bar(x, height, width, color="white" if hatched else color, edgecolor=color, hatch=HATCH if hatched else None,
           alpha=0.8, zorder=2, **style)


def _paired_handles(solid: str, hatched: str) -> list:
    return [Patch(facecolor="0.6", edgecolor="0.3", label=solid),
            Patch(facecolor="white", edgecolor="0.3", hatch=HATCH, label=hatched),
            Line2D([], [], marker="o", linestyle="", markerfacecolor="0.6", markeredgecolor="black",
                   label="one repetition")]


def _repetition_handles() -> list:
    return [
        Patch(facecolor="0.75", edgecolor="0.3", label="median of repetitions"),
        Line2D([], [], marker="o", linestyle="", markerfacecolor="0.75", markeredgecolor="black",
               label="one repetition"),
    ]


def _legend_outside(ax, handles) -> None:
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize="small")


def _largest_connections(results: Results) -> int | None:
    counts = tables.connection_counts(results.ok_runs())
    return counts[-1] if counts else None


def _panel_grid(fig: Figure, count: int, max_columns: int = 3):
    columns = min(count, max_columns)
    rows = math.ceil(count / columns)
    axes = np.atleast_1d(fig.subplots(rows, columns, squeeze=False).ravel())
    for ax in axes[count:]:
        ax.set_visible(False)
    return axes[:count]


def _grid_size(count: int, width: float, height: float, max_columns: int = 3) -> tuple[float, float]:
    columns = min(count, max_columns)
    return width * columns, height * math.ceil(count / columns) + 0.6


# ---- throughput -------------------------------------------------------------


def _bar_label(ax, x: float, row: pd.Series, top: float, compact: bool = False) -> None:
    """Median and range in numbers: at this scale the points of a tight spread overlap.

    compact, for many bars: the numbers alone, one per line (median, min–max, % of bound).
    """
    if compact:
        text = f"{row['rps_median']:,.0f}\n{row['rps_min']:,.0f}–\n{row['rps_max']:,.0f}"
        if math.isfinite(row["efficiency"]):
            text += f"\n{row['efficiency'] * 100:.1f} %"
        if row["runs_ok"] < row["runs_total"]:
            text += f"\n{row['runs_ok']}/{row['runs_total']} ok"
    else:
        text = f"median {row['rps_median']:,.0f}\nmin {row['rps_min']:,.0f}\nmax {row['rps_max']:,.0f}"
        if math.isfinite(row["efficiency"]):
            text += f"\n{row['efficiency'] * 100:.1f} % of bound"
        if row["runs_ok"] < row["runs_total"]:
            text += f"\n{row['runs_ok']} of {row['runs_total']} runs ok"
    inside = row["rps_median"] > 0.3 * top
    y = row["rps_median"] / 2 if inside else row["rps_max"] + 0.02 * top
    ax.text(x, y, text, ha="center", va="center" if inside else "bottom", fontsize="small", bbox=BOX)


def _bound_line(ax, left: float, right: float, bound: float, long_label: bool) -> None:
    ax.hlines(bound, left, right, colors="black", linestyles="dashed", linewidth=1.2, zorder=4)
    text = f"Little's-law bound {bound:,.0f} req/s" if long_label else f"{bound:,.0f}"
    ax.text(left, bound, " " + text, ha="left", va="bottom", fontsize="small")


def _server_patch(results: Results, server: str, peer: bool) -> Patch:
    """A server's legend entry for bars; a peer's is hatched like its bars and says it is a peer."""
    if not peer:
        return Patch(color=color_for(server), alpha=0.6, label=server)
    color = _color(results, server)
    return Patch(facecolor=color, edgecolor=color, alpha=0.6, hatch=PEER_HATCH, label=_shown(results, server))


def throughput(results: Results, out_dir: Path) -> list[Path]:
    """Req/s per server: median bar, every repetition a point, the Little bound as a line."""
    summary = tables.summary_table(results)
    summary = summary[summary["runs_ok"] > 0]
    if summary.empty:
        return []
    servers = list(dict.fromkeys(summary["server"]))
    peers = [_is_peer(results, s) for s in servers]
    counts = sorted(summary["connections"].unique())
    width = 0.8 / len(servers)
    bounds = summary["little_bound"].dropna()
    top = max(summary["rps_max"].max(), bounds.max() if not bounds.empty else 0) * 1.1
    # Numbers on the bars only for one connection count: with several, the
    # short bars' labels would sit on the bound line (connection-sweep has them).
    single = len(counts) == 1

    fig = _figure(min(16, max(6.5, (2.0 if single else 0.5) * len(summary) + 3)), 5)
    ax = fig.subplots()
    for g, connections in enumerate(counts):
        for i, server in enumerate(servers):
            row = summary[(summary["server"] == server) & (summary["connections"] == connections)]
            if row.empty:
                continue
            row = row.iloc[0]
            x = g + (i - (len(servers) - 1) / 2) * width
            color = _color(results, server)
            ax.bar(x, row["rps_median"], width * 0.9, color=color, alpha=0.45, edgecolor=color, zorder=2,
                   hatch=PEER_HATCH if peers[i] else None)
            _points(ax, x, _ok(results, server, connections)["requests_per_s"], color, width)
            if single:
                _bar_label(ax, x, row, top, compact=len(servers) > MANY)
        bound = summary.loc[summary["connections"] == connections, "little_bound"].iloc[0]
        if math.isfinite(bound):
            _bound_line(ax, g - 0.45, g + 0.45, bound, long_label=single)

    if single:
        positions = [(i - (len(servers) - 1) / 2) * width for i in range(len(servers))]
        ax.set_xticks(positions, servers)
        _tilt(ax, len(servers))
        _peer_band(ax, positions, peers, width)
        ax.set_xlabel("server")
    else:
        ax.set_xticks(range(len(counts)), [f"{c:,}" for c in counts])
        ax.set_xlabel("connections")
    ax.set_xlim(-0.5, len(counts) - 0.5)
    ax.set_ylim(0, top)
    ax.set_ylabel("throughput (requests/s)")
    ax.yaxis.set_major_formatter(THOUSANDS)
    ax.grid(axis="y", alpha=0.3)
    handles = _repetition_handles() + _peer_handles(results, servers)
    if single and len(servers) > MANY:
        bound_part = ", % of the bound" if not bounds.empty else ""
        handles.append(Patch(facecolor="white", edgecolor="none",
                             label=f"numbers on a bar: median,\nmin–max req/s{bound_part}"))
    if not single:
        handles = [_server_patch(results, s, peer) for s, peer in zip(servers, peers)] + handles
        if not bounds.empty:
            handles.append(Line2D([], [], color="black", linestyle="--", label="Little's-law bound (req/s)"))
    _legend_outside(ax, handles)
    fig.suptitle(_title(results, "Throughput per server"))
    return _save(fig, out_dir, "throughput")


# ---- latency ----------------------------------------------------------------


def _spectra(results: Results, server: str, connections: int) -> pd.DataFrame:
    """The ok runs' spectra for one server: rows = percentile, one column per run."""
    run_ids = _ok(results, server, connections)["run_id"]
    rows = results.latency[results.latency["run_id"].isin(run_ids)]
    if rows.empty:
        return pd.DataFrame()
    return rows.pivot_table(index="percentile", columns="run_id", values="latency_ms").sort_index()


def _log_axis(axis, formatter=None) -> None:
    """A log scale labelled at 1, 2, 5 of each decade: two labels per plot are not enough to read it."""
    axis.set_major_locator(LogLocator(base=10, subs=(1, 2, 5)))
    axis.set_major_formatter(formatter or FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_locator(NullLocator())


def _spans_decades(values, ratio: float = 100) -> bool:
    values = [v for v in values if v > 0 and math.isfinite(v)]
    return bool(values) and max(values) / min(values) > ratio


def _use_log_latency(ax, values) -> None:
    """Log scale when the data spans two decades, else the sub-ms head is a flat line."""
    if _spans_decades(values):
        ax.set_yscale("log")
        _log_axis(ax.yaxis)


def _nines_axis(ax, highest: float) -> None:
    ticks = [p for p in NINES_TICKS if p <= highest + 1e-9]
    ax.xaxis.set_major_locator(FixedLocator(nines(ticks)))
    ax.xaxis.set_major_formatter(FixedFormatter([f"{p:g}" for p in ticks]))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xlim(0, nines(highest) * 1.03)
    ax.set_xlabel("percentile (%), spaced by nines")


def _draw_spectra(ax, results: Results, connections: int, linestyle="-",
                  faint: bool = True, peers_dashed: bool = True) -> tuple[list, float, list[float]]:
    """Each repetition faint, the median per percentile bold; returns handles, highest percentile, values.

    The handles' labels are the server labels; peers_dashed draws peers dashed (not
    in a comparison, where the line style tells the two results apart).
    """
    handles, highest, values = [], 0.0, []
    for server in tables.servers(_ok(results, connections=connections)):
        spectra = _spectra(results, server, connections)
        spectra = spectra[spectra.index < 100]  # the 100th is the maximum: infinitely many nines
        if spectra.empty:
            continue
        x = nines(spectra.index)
        color = _color(results, server)
        style = PEER_LINE if peers_dashed and _is_peer(results, server) else linestyle
        if faint:
            for run_id in spectra.columns:
                ax.plot(x, spectra[run_id], color=color, alpha=0.3, linewidth=0.8, linestyle=style)
        (line,) = ax.plot(x, spectra.median(axis=1), color=color, linewidth=2, linestyle=style,
                          label=server)
        handles.append(line)
        highest = max(highest, float(spectra.index.max()))
        values += list(spectra.to_numpy().ravel())
    return handles, highest, values


def _line_legend(ax, handles, loc: str) -> None:
    """The servers' lines: inside the axes for a few, beside them for many (they would hide the lines)."""
    if len(handles) > MANY + 1:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize="small",
                  title="median of repetitions", title_fontsize="small", alignment="left")
    else:
        ax.legend(handles=handles, loc=loc, fontsize="small", title="median of repetitions",
                  title_fontsize="small")


SIDE_LEGEND = 3.0  # inches added to the right of a grid of panels for one legend


def _side_legend(fig: Figure, handles, grid_width: float, title: str = "median of repetitions") -> None:
    """One legend right of a grid of panels that share it (matplotlib 3.6 has no loc="outside ...")."""
    right = grid_width / (grid_width + SIDE_LEGEND)
    fig.get_layout_engine().set(rect=(0, 0, right, 1))
    fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(right, 0.93), frameon=False, fontsize="small",
               title=title, title_fontsize="small", alignment="left")


def _latency_panels(results: Results, out_dir: Path, draw_panel, title: str, name: str,
                    legend_loc: str) -> list[Path]:
    """One panel per connection count; draw_panel(ax, connections) returns its legend handles, [] for nothing.

    Each panel has its own legend, unless there are several panels and many
    servers: then one legend beside them all, not the same long list in each.
    """
    counts = tables.connection_counts(results.ok_runs())
    if results.latency.empty or not counts:
        return []
    width, height = _grid_size(len(counts), 6.5, 4.2)
    shared_legend = len(counts) > 1 and len(tables.servers(results.ok_runs())) > MANY
    fig = _figure(width + SIDE_LEGEND if shared_legend else width, height)
    panels = {}
    for ax, connections in zip(_panel_grid(fig, len(counts)), counts):
        handles = draw_panel(ax, connections)
        if not handles:
            ax.set_visible(False)
            continue
        panels[ax] = handles
        ax.grid(alpha=0.3)
        if len(counts) > 1:
            ax.set_title(f"{connections:,} connections", fontsize="medium")
    if not panels:
        return []
    if shared_legend:
        every = {h.get_label(): h for handles in panels.values() for h in handles}
        _side_legend(fig, list(every.values()), width)
    else:
        for ax, handles in panels.items():
            _line_legend(ax, handles, legend_loc)
    fig.suptitle(_title(results, title))
    return _save(fig, out_dir, name)


def latency_spectrum(results: Results, out_dir: Path) -> list[Path]:
    """Latency by percentile on a nines axis, so the tail (99.9 %, 99.99 %) is not a vertical wall."""

    def draw(ax, connections) -> list:
        handles, highest, values = _draw_spectra(ax, results, connections)
        if not handles:
            return []
        _nines_axis(ax, highest)
        _use_log_latency(ax, values)
        ax.set_ylabel("latency (ms)")
        for handle in handles:
            handle.set_label(_shown(results, handle.get_label()))
        return handles + [Line2D([], [], color="0.5", alpha=0.4, linewidth=0.8, label="each repetition")]

    return _latency_panels(results, out_dir, draw, "Latency percentile spectrum", "latency-spectrum", "upper left")


def latency_cdf(results: Results, out_dir: Path) -> list[Path]:
    """The same spectrum read the other way: what fraction of requests finished within x ms."""

    def draw(ax, connections) -> list:
        values = []
        for server in tables.servers(_ok(results, connections=connections)):
            spectra = _spectra(results, server, connections)
            if spectra.empty:
                continue
            latency = spectra.median(axis=1)
            ax.plot(latency, spectra.index / 100, color=_color(results, server), linewidth=2,
                    linestyle=PEER_LINE if _is_peer(results, server) else "-", label=_shown(results, server))
            values += list(latency)
        if not values:
            return []
        if _spans_decades(values):
            ax.set_xscale("log")
            _log_axis(ax.xaxis)
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("latency (ms)")
        ax.set_ylabel("fraction of requests")
        return ax.get_legend_handles_labels()[0]

    return _latency_panels(results, out_dir, draw, "Latency CDF", "latency-cdf", "lower right")


# ---- fairness ---------------------------------------------------------------


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


def _jain_over_runs(workers: pd.DataFrame, column: str) -> float:
    return tables.median(tables.jain_index(run[column]) for _, run in workers.groupby("run_id"))


def _count_text(value: float) -> str:
    if value >= 1_000_000:
        return f"{value / 1e6:.2f}M"
    return f"{value / 1000:,.0f}k" if value >= 10_000 else f"{value:,.0f}"


def _fairness_panel(ax, workers: pd.DataFrame, server: str) -> None:
    shares = worker_shares(workers)
    ranks = int(shares["rank"].max()) + 1
    color = color_for(server)
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
        _paired_bar(ax, medians.index + offset, medians, width * 0.95, color, hatched, linewidth=0.8)
        for rank, values in by_rank[f"{column}_share"]:
            _points(ax, rank + offset, list(values), color, width, size=14)
        if ranks <= 4:
            # The counts behind the shares: "513 connections" says more than "100 %".
            for rank, count in by_rank[column].median().items():
                ax.text(rank + offset, 4, _count_text(count), ha="center", va="bottom", fontsize="x-small",
                        bbox=BOX, zorder=4)
    ax.axhline(100 / ranks, color="0.3", linestyle=":", linewidth=1.2, zorder=1)
    jain = {column: _jain_over_runs(workers, column) for column in ("connections", "requests")}
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


def fairness(results: Results, out_dir: Path) -> list[Path]:
    """How each model spreads connections and requests over its workers (workers.csv).

    Peers are left out (they expose no per-worker counters), and the title says so.
    """
    connections = _largest_connections(results)
    if connections is None or results.workers.empty:
        return []
    ok = _ok(results, connections=connections)
    peers = [s for s in tables.servers(ok) if _is_peer(results, s)]
    servers = [s for s in tables.servers(ok) if s not in peers
               and results.workers["run_id"].isin(ok.loc[ok["server"] == s, "run_id"]).any()]
    if not servers:
        return []
    fig = _figure(*_grid_size(len(servers), 4.6, 3.9))
    for i, (ax, server) in enumerate(zip(_panel_grid(fig, len(servers)), servers)):
        run_ids = ok.loc[ok["server"] == server, "run_id"]
        _fairness_panel(ax, results.workers[results.workers["run_id"].isin(run_ids)], server)
        if i % 3 == 0:
            ax.set_ylabel("share of the run's total (%)")
    handles = _paired_handles("connections (median)", "requests (median)") + [
               Line2D([], [], color="0.3", linestyle=":", label="even share"),
               Patch(facecolor="white", edgecolor="none", label="numbers in bars: median count")]
    fig.legend(handles=handles, loc="lower center", ncols=5, frameon=False, fontsize="small",
               bbox_to_anchor=(0.5, 0))
    fig.get_layout_engine().set(rect=(0, 0.07, 1, 0.93))
    title = _title(results, "Connections and requests per worker", [connections])
    if peers:
        title += (f"\n{len(peers)} peer{'s' if len(peers) > 1 else ''} not shown: "
                  f"peers expose no per-worker counters")
    fig.suptitle(title)
    return _save(fig, out_dir, "fairness")


# ---- connection sweep -------------------------------------------------------


def _log2_connections_axis(ax, counts: list[int]) -> None:
    ax.set_xscale("log", base=2)
    ax.xaxis.set_major_locator(FixedLocator(counts))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xlabel("connections (log₂ scale)")


def connection_sweep(results: Results, out_dir: Path) -> list[Path]:
    """Req/s and p99 against the number of connections, when the scenario varies it."""
    counts = tables.connection_counts(results.ok_runs())
    if len(counts) < 2:
        return []
    summary = tables.summary_table(results)
    summary = summary[summary["runs_ok"] > 0]
    many = len(tables.servers(summary)) > MANY
    fig = _figure(12 + SIDE_LEGEND if many else 12, 4.8)
    rps_ax, p99_ax = fig.subplots(1, 2)
    for server in tables.servers(summary):
        rows = summary[summary["server"] == server].sort_values("connections")
        runs = _ok(results, server)
        color = _color(results, server)
        peer = _is_peer(results, server)
        line = dict(color=color, linewidth=2, label=_shown(results, server))
        if peer:
            line.update(marker="s", markersize=5, linestyle=PEER_LINE)
        else:
            line.update(marker="o")
        rps_ax.plot(rows["connections"], rows["rps_median"], **line)
        rps_ax.scatter(runs["connections"], runs["requests_per_s"], color=color, s=12, alpha=0.5)
        p99_ax.plot(rows["connections"], rows["p99_ms"], **line)
        p99_ax.scatter(runs["connections"], runs["latency_p99_ms"], color=color, s=12, alpha=0.5)
    first = results.runs.iloc[0]
    bounds = [tables.little_bound(c, first["delay_ms"], first["work_ms"]) for c in counts]
    if all(b is not None for b in bounds):
        rps_ax.plot(counts, bounds, color="black", linestyle="--", linewidth=1.2, label="Little's-law bound")
    for ax in (rps_ax, p99_ax):
        _log2_connections_axis(ax, counts)
        ax.grid(alpha=0.3)
    rps_ax.set_ylim(bottom=0)
    rps_ax.set_ylabel("throughput (requests/s)")
    rps_ax.yaxis.set_major_formatter(THOUSANDS)
    rps_ax.set_title("throughput (line: median, dots: repetitions)", fontsize="medium")
    p99_ax.set_ylabel("p99 latency (ms)")
    _use_log_latency(p99_ax, list(summary["p99_ms"].dropna()))
    p99_ax.set_title("99th percentile latency", fontsize="medium")
    if many:
        _side_legend(fig, rps_ax.get_legend_handles_labels()[0], 12, "lines: median of repetitions")
    else:
        rps_ax.legend(loc="upper left", fontsize="small")
    fig.suptitle(_title(results, "Connection sweep"))
    return _save(fig, out_dir, "connection-sweep")


# ---- CPU --------------------------------------------------------------------

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
            ceilings[side] = _count_cpus(cpus)
    if len(ceilings) == 2:
        return ceilings
    shared = meta.get("host", {}).get("allowed_cpu_count") or meta.get("host", {}).get("online_cpus") or 1
    return {"server": int(shared), "wrk": int(shared)}


def _count_cpus(cpu_list: str) -> int:
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


def _cpu_ceiling_lines(ax, ceilings: dict[str, int], pinned: bool) -> None:
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


def cpu(results: Results, out_dir: Path) -> list[Path]:
    """Server and wrk CPU side by side: a side at its ceiling was the bottleneck, not the other."""
    connections = _largest_connections(results)
    if connections is None:
        return []
    summary = tables.summary_table(results)
    summary = summary[(summary["runs_ok"] > 0) & (summary["connections"] == connections)]
    servers = list(summary["server"])
    peers = [_is_peer(results, s) for s in servers]
    many = len(servers) > MANY
    ceilings = cpu_ceilings(results.meta)
    width = 0.38
    top = max(max(ceilings.values()) * 100, summary[["server_cpu_percent", "wrk_cpu_percent"]].max().max()) * 1.22

    if many:
        # One above the other, each the full width: side by side, a dozen servers' labels collide.
        fig = _figure(max(12, 1.25 * len(servers) + 3), 10)
        usage_ax, cost_ax = fig.subplots(2, 1)
    else:
        fig = _figure(max(10, 2.2 * len(servers) + 5), 5)
        usage_ax, cost_ax = fig.subplots(1, 2, width_ratios=(3, 2))
    for i, server in enumerate(servers):
        color = _color(results, server)
        runs = _ok(results, server, connections)
        row = summary[summary["server"] == server].iloc[0]
        for offset, column, hatched in ((-width / 2, "server_cpu_percent", False),
                                        (width / 2, "wrk_cpu_percent", True)):
            _paired_bar(usage_ax, i + offset, row[column], width * 0.92, color, hatched)
            _points(usage_ax, i + offset, runs[column], color, width, size=14)
            if row[column] > 0.3 * top:
                usage_ax.text(i + offset, row[column] / 2, f"{row[column]:.0f} %", ha="center", va="center",
                              fontsize="x-small", bbox=BOX)
            else:
                _label_above(usage_ax, i + offset, list(runs[column]) + [row[column]], f"{row[column]:.0f} %",
                             0.015 * top, fontsize="x-small")
        cost = tables.server_cpu_us_per_request(runs)
        cost_ax.bar(i, row["server_cpu_us_per_request"], 0.6, color=color, alpha=0.45, edgecolor=color, zorder=2,
                    hatch=PEER_HATCH if peers[i] else None)
        _points(cost_ax, i, cost, color, 0.6)
        _label_above(cost_ax, i, list(cost) + [row["server_cpu_us_per_request"]],
                     f"{row['server_cpu_us_per_request']:.1f} µs", 0.02 * summary["server_cpu_us_per_request"].max(),
                     fontsize="small")
    pinning = results.meta.get("pinning", {}).get("description", "none")
    usage_ax.set_ylim(0, top)
    _cpu_ceiling_lines(usage_ax, ceilings, pinned=pinning != "none")
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
    _peer_band(usage_ax, list(range(len(servers))), peers)
    usage_ax.set_ylabel("CPU used (%, 100 = one CPU)")
    usage_ax.set_xlabel(f"at its CPU limit: ≥ {SATURATED:.0%} of its CPUs, the side that set the pace",
                        fontsize="small")
    usage_ax.set_title(f"who was busy — pinning: {pinning}", fontsize="medium")
    usage_ax.grid(axis="y", alpha=0.3)
    usage_ax.legend(handles=_paired_handles("server (median)", "wrk (median)"), loc="upper left",
                    fontsize="small", ncols=3, frameon=False)
    cost_ax.set_xticks(range(len(servers)), servers)
    cost_ax.set_xlim(-0.5, len(servers) - 0.5)
    _peer_band(cost_ax, list(range(len(servers))), peers)
    cost_ax.set_ylim(0, summary["server_cpu_us_per_request"].max() * 1.3)
    cost_ax.set_ylabel("server CPU time per request (µs)")
    cost_ax.set_title("cost of a request to the server", fontsize="medium")
    cost_ax.grid(axis="y", alpha=0.3)
    if many:
        for ax in (usage_ax, cost_ax):
            _tilt(ax, len(servers))
    elif len(servers) > 3:
        for ax in (usage_ax, cost_ax):
            ax.tick_params(axis="x", labelrotation=20)
    fig.suptitle(_title(results, "CPU: server and load generator (wrk)", [connections]))
    return _save(fig, out_dir, "cpu")


# ---- two results ------------------------------------------------------------


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


def _compare_title(a: Results, b: Results, what: str) -> str:
    def side(name: str, r: Results) -> str:
        counts = tables.connection_counts(r.runs)
        return f"{name}: {r.scenario} on {r.host}, {_connections_text(counts)}, {_handler(r.runs)}"
    return f"{what}\n{side('a', a)}\n{side('b', b)}"


def compare_throughput(a: Results, b: Results, out_dir: Path) -> list[Path]:
    """Both results' req/s per server side by side, with b/a written over each pair."""
    table_a = tables.summary_table(a).set_index(["server", "connections"])
    table_b = tables.summary_table(b).set_index(["server", "connections"])
    keys = list(dict.fromkeys([k for k in table_a.index if table_a.at[k, "runs_ok"] > 0]
                              + [k for k in table_b.index if table_b.at[k, "runs_ok"] > 0]))
    if not keys:
        return []
    peers = _peers_of(a, b)
    keys = [k for k in keys if k[0] not in peers] + [k for k in keys if k[0] in peers]
    several = len({c for _, c in keys}) > 1
    label_a, label_b = run_labels(a, b)
    width = 0.38
    medians = [t.at[k, "rps_median"] for t in (table_a, table_b) for k in keys
               if k in t.index and t.at[k, "runs_ok"] > 0]
    log = _spans_decades(medians, ratio=20)
    highest = max(t.at[k, "rps_max"] for t in (table_a, table_b) for k in keys
                  if k in t.index and t.at[k, "runs_ok"] > 0)

    fig = _figure(max(7, (1.5 if len(keys) > MANY else 1.9) * len(keys) + 3.5), 5.4)
    ax = fig.subplots()
    for i, key in enumerate(keys):
        server, connections = key
        color = _color_of(server, a, b)
        values, tops = {}, []
        for offset, name, results, table in ((-width / 2, "a", a, table_a), (width / 2, "b", b, table_b)):
            if key not in table.index or table.at[key, "runs_ok"] == 0:
                continue
            value = table.at[key, "rps_median"]
            reps = list(_ok(results, server, connections)["requests_per_s"])
            values[name] = value
            tops += reps + [value]
            _paired_bar(ax, i + offset, value, width * 0.92, color, hatched=name == "b")
            _points(ax, i + offset, reps, color, width, size=14)
            _label_above(ax, i + offset, reps + [value], f"{value:,.0f}", 1.06 if log else 0.015 * highest,
                         log=log, fontsize="x-small")
        if len(values) == 2 and values["a"] > 0:
            _label_above(ax, i, tops, f"b/a ×{values['b'] / values['a']:.2f}", 1.45 if log else 0.09 * highest,
                         log=log, fontsize="small", fontweight="bold")
    names = [f"{s}\n{c:,} connections" if several else s for s, c in keys]
    ax.set_xticks(range(len(keys)), names)
    ax.set_xlim(-0.6, len(keys) - 0.4)
    _tilt(ax, len(keys))
    _peer_band(ax, list(range(len(keys))), [s in peers for s, _ in keys])
    if log:
        ax.set_yscale("log")
        _log_axis(ax.yaxis, THOUSANDS)
        ax.set_ylim(min(medians) / 2, highest * 3)
        ax.set_ylabel("throughput (requests/s, log scale)")
    else:
        ax.set_ylim(0, highest * 1.25)
        ax.yaxis.set_major_formatter(THOUSANDS)
        ax.set_ylabel("throughput (requests/s)")
    ax.grid(axis="y", alpha=0.3)
    _legend_outside(ax, _paired_handles(f"a: {label_a}", f"b: {label_b}"))
    fig.suptitle(_compare_title(a, b, "Throughput per server (bar: median)"))
    return _save(fig, out_dir, "compare-throughput")


def compare_spectrum(a: Results, b: Results, out_dir: Path) -> list[Path]:
    """Both results' median latency spectra on one nines axis: a solid, b dashed."""
    counts = sorted(set(tables.connection_counts(a.ok_runs())) | set(tables.connection_counts(b.ok_runs())))
    if not counts or (a.latency.empty and b.latency.empty):
        return []
    label_a, label_b = run_labels(a, b)
    fig = _figure(*_grid_size(len(counts), 7.5, 4.6, max_columns=2))
    drew = False
    for ax, connections in zip(_panel_grid(fig, len(counts), max_columns=2), counts):
        handles_a, highest_a, values_a = _draw_spectra(ax, a, connections, "-", faint=False, peers_dashed=False)
        handles_b, highest_b, values_b = _draw_spectra(ax, b, connections, "--", faint=False, peers_dashed=False)
        if not handles_a and not handles_b:
            ax.set_visible(False)
            continue
        drew = True
        _nines_axis(ax, max(highest_a, highest_b))
        _use_log_latency(ax, values_a + values_b)
        ax.set_ylabel("latency (ms)")
        ax.grid(alpha=0.3)
        if len(counts) > 1:
            ax.set_title(f"{connections:,} connections", fontsize="medium")
        servers = list(dict.fromkeys(h.get_label() for h in handles_a + handles_b))
        peers = _peers_of(a, b)
        servers = [s for s in servers if s not in peers] + [s for s in servers if s in peers]
        handles = [Line2D([], [], color=_color_of(s, a, b), linewidth=2, label=s + PEER_MARK if s in peers else s)
                   for s in servers]
        handles += [Line2D([], [], color="0.3", linestyle="-", label=f"a: {label_a}"),
                    Line2D([], [], color="0.3", linestyle="--", label=f"b: {label_b}")]
        _legend_outside(ax, handles)
    if not drew:
        return []
    fig.suptitle(_compare_title(a, b, "Latency spectrum (median of repetitions)"))
    return _save(fig, out_dir, "compare-spectrum")


# ---- everything -------------------------------------------------------------

FIGURES = (throughput, latency_spectrum, latency_cdf, fairness, connection_sweep, cpu)


def plot_all(results: Results, out_dir: Path | None = None) -> list[Path]:
    """Every figure that applies to these results, into out_dir (default RESULTS_DIR/plots)."""
    out_dir = Path(out_dir) if out_dir is not None else results.path / "plots"
    written = []
    for figure in FIGURES:
        written += figure(results, out_dir)
    return written


def compare_all(a: Results, b: Results, out_dir: Path) -> list[Path]:
    return compare_throughput(a, b, out_dir) + compare_spectrum(a, b, out_dir)
