"""fasthttp's published prefork figures beside what this harness measures.

    python3 -m plots.reproduce [--no-run] [--results-root results] [--build-dir build]

Without --no-run it first runs scenarios/seed.toml (the published command,
handler waits 100 ms) and scenarios/seed-nodelay.toml (the same, no wait).
Then it takes the newest results of both scenarios for this host, prints one
table (the published rows, then every measured server) and a verdict, and
writes both as reproduce.md, and a figure as plots/published-vs-measured.*,
into the seed-nodelay results directory.

fasthttp itself, measured here, joins the table when the newest results of
the peers scenarios (peers: with the wait, peers-nodelay: without) exist for
this host: their fasthttp rows (prefork, single, prefork-reuseport), not
their other servers. Those scenarios are not run from here (`make bench`
builds the peers they need); without their results the report says what to
run.

Every number it prints comes from a file: the published ones from
results/published/fasthttp-prefork-readme.csv, the rest from the results.
The published rows claim the handler and command that seed.toml reproduces,
so their Little's-law bound is the seed scenario's (512 connections / 100 ms).
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import re
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd

from .load import Results, ResultsError, latest_results, load_results
from .tables import format_markdown, little_bound, summary_table

REPO_ROOT = Path(__file__).resolve().parent.parent
PUBLISHED_CSV = REPO_ROOT / "results" / "published" / "fasthttp-prefork-readme.csv"

SEED = "seed"
NODELAY = "seed-nodelay"

# Which rows the verdict sets against each other: the published prefork and
# non-prefork fasthttp servers, and, measured here, the servers whose model
# (runs.csv's `model` column) corresponds to them.
PUBLISHED_PREFORK = "prefork"
PUBLISHED_NONPREFORK = "non-prefork"
MEASURED_PREFORK = "prefork-epoll"
MEASURED_NONPREFORK = "threadpool"

# fasthttp measured here, as a peer (runs.csv kind `peer`, model = peer name):
# the scenarios, the peers taken from them (in this order), and the two whose
# ratio is set against the published prefork/non-prefork one.
PEERS = "peers"
PEERS_NODELAY = "peers-nodelay"
FASTHTTP_PREFORK = "fasthttp-prefork"
FASTHTTP_SINGLE = "fasthttp-single"
FASTHTTP_MODELS = (FASTHTTP_PREFORK, FASTHTTP_SINGLE, "fasthttp-prefork-reuseport")
PEER_MARK = " (peer)"

# Two rates closer than this (relative) count as the same in the verdict.
SAME_RATE = 0.01

# wrk at or above this share of its CPU is the bottleneck, not the server.
CLIENT_BOUND_PERCENT = 90.0

PUBLISHED_COLUMNS = (
    "server", "requests_per_s", "latency_mean_ms", "latency_stdev_ms", "latency_max_ms",
    "latency_p50_ms", "latency_p75_ms", "latency_p90_ms", "latency_p99_ms",
    "requests", "duration_s", "read_mb", "errors_read",
)

TABLE_COLUMNS = (
    "source", "scenario", "delay_ms", "server", "model", "kind", "connections", "requests_per_s",
    "p50_ms", "p99_ms", "little_bound_rps", "efficiency", "server_cpu_us_per_request",
    "wrk_cpu_percent",
)

# Printed headers for the columns of the table as shown (model and kind are
# left out: model only picks the rows the verdict compares, and a peer's
# server gets " (peer)" instead of a column of its own).
PUBLISHED_NOTE = (
    "The published rows' delay is the handler their README names (the one seed.toml reproduces); "
    "their efficiency is their req/s divided by that handler's Little's-law bound."
)

DISPLAY_HEADERS = {
    "source": "source",
    "scenario": "scenario",
    "delay_ms": "delay ms",
    "server": "server",
    "requests_per_s": "req/s (median)",
    "p50_ms": "p50 ms",
    "p99_ms": "p99 ms",
    "little_bound_rps": "Little bound req/s",
    "efficiency": "efficiency %",
    "server_cpu_us_per_request": "server CPU µs/req",
    "wrk_cpu_percent": "wrk CPU %",
}

# --------------------------------------------------------------------------
# Data


def published_rows(path=PUBLISHED_CSV) -> pd.DataFrame:
    """The published figures, one row per server, numbers as numbers."""
    path = Path(path)
    if not path.is_file():
        raise ResultsError(f"{path}: no such file")
    try:
        frame = pd.read_csv(path)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as error:
        raise ResultsError(f"{path}: not a CSV file: {error}") from None
    missing = [name for name in PUBLISHED_COLUMNS if name not in frame.columns]
    if missing:
        raise ResultsError(f"{path}: missing columns {', '.join(missing)}")
    for column in PUBLISHED_COLUMNS[1:]:
        values = pd.to_numeric(frame[column], errors="coerce")
        if values.isna().any():
            raise ResultsError(f"{path}: column '{column}' holds something that is not a number")
        frame[column] = values
    frame["server"] = frame["server"].astype(str)
    for wanted in (PUBLISHED_PREFORK, PUBLISHED_NONPREFORK):
        if wanted not in set(frame["server"]):
            raise ResultsError(f"{path}: no row for server '{wanted}'")
    return frame


def _single(results: Results, column: str) -> float:
    values = results.runs[column].dropna().unique()
    if len(values) != 1:
        raise ResultsError(
            f"{results.path}: expected one value of {column} across the runs, found {sorted(values)}"
        )
    return float(values[0])


def _measured_rows(results: Results, peer_models=None) -> list[dict]:
    """One row per server of results; with peer_models, only the peers whose model is one of them, in that order."""
    runs = results.runs
    models = {}
    if "model" in runs.columns:
        models = dict(zip(runs["server"], runs["model"].fillna("")))
    delay = _single(results, "delay_ms")
    work = _single(results, "work_ms")
    summary = summary_table(results)
    if peer_models is not None:
        summary = summary[(summary["kind"] == "peer") & summary["server"].map(models).isin(peer_models)]
        order = {model: i for i, model in enumerate(peer_models)}
        summary = summary.sort_values("server", key=lambda s: s.map(models).map(order), kind="stable")
    rows = []
    for _, row in summary.iterrows():
        bound = little_bound(row["connections"], delay, work)
        rps = float(row["rps_median"])
        rows.append({
            "source": "measured",
            "scenario": results.scenario,
            "delay_ms": delay,
            "server": row["server"],
            "model": models.get(row["server"], ""),
            "kind": row["kind"],
            "connections": int(row["connections"]),
            "requests_per_s": rps,
            "p50_ms": float(row["p50_ms"]),
            "p99_ms": float(row["p99_ms"]),
            "little_bound_rps": math.nan if bound is None else bound,
            "efficiency": math.nan if bound is None else rps / bound,
            "server_cpu_us_per_request": float(row["server_cpu_us_per_request"]),
            "wrk_cpu_percent": float(row["wrk_cpu_percent"]),
        })
    return rows


def peers_problem(peers: Results, seed: Results, waits: bool) -> str | None:
    """Why these peers results cannot sit beside seed's, or None when they can.

    They must have fasthttp rows, the seed scenario's single connection count,
    and a wait (the same as seed's) for peers, none for peers-nodelay.
    """
    runs = peers.runs
    if "model" in runs.columns and "kind" in runs.columns:
        fasthttp = runs[(runs["kind"] == "peer") & runs["model"].isin(FASTHTTP_MODELS)]
    else:
        fasthttp = runs.iloc[0:0]
    if fasthttp.empty:
        return f"{peers.path} has no fasthttp peer ({', '.join(FASTHTTP_MODELS)})"
    for column in ("connections", "delay_ms", "work_ms"):
        if fasthttp[column].dropna().nunique() != 1:
            return f"{peers.path}: its fasthttp runs do not share one {column}"
    connections = float(fasthttp["connections"].dropna().iloc[0])
    delay = float(fasthttp["delay_ms"].dropna().iloc[0])
    if connections != _single(seed, "connections"):
        return (f"{peers.path}: fasthttp ran with {connections:g} connections, "
                f"the {seed.scenario} results with {_single(seed, 'connections'):g}")
    if waits and delay != _single(seed, "delay_ms"):
        return (f"{peers.path}: the handler waits {delay:g} ms, "
                f"in the {seed.scenario} results {_single(seed, 'delay_ms'):g} ms")
    if not waits and delay != 0:
        return f"{peers.path}: the handler waits {delay:g} ms; expected no wait"
    return None


def _fasthttp_rows(peers: Results | None, seed: Results, waits: bool) -> list[dict]:
    if peers is None:
        return []
    problem = peers_problem(peers, seed, waits)
    if problem:
        raise ResultsError(problem)
    fasthttp = peers.runs[(peers.runs["kind"] == "peer") & peers.runs["model"].isin(FASTHTTP_MODELS)]
    return _measured_rows(dataclasses.replace(peers, runs=fasthttp), peer_models=FASTHTTP_MODELS)


def reproduce_table(published: pd.DataFrame, seed: Results, nodelay: Results,
                    peers: Results | None = None, peers_nodelay: Results | None = None) -> pd.DataFrame:
    """The published rows, then every measured server of seed and of seed-nodelay.

    The published rows' bound and efficiency are those of the handler they
    claim, which the seed scenario reproduces: its connections and delay.
    With peers (with the wait) and peers_nodelay results, their fasthttp rows
    follow seed's and seed-nodelay's rows respectively; results that do not
    fit (peers_problem) are an error.
    """
    for results, name in ((seed, SEED), (nodelay, NODELAY)):
        if results.ok_runs().empty:
            raise ResultsError(f"{results.path}: no run of the {name} results succeeded")
    connections = _single(seed, "connections")
    delay = _single(seed, "delay_ms")
    work = _single(seed, "work_ms")
    bound = little_bound(connections, delay, work)
    if bound is None:
        raise ResultsError(f"{seed.path}: the {seed.scenario} scenario has no wait (delay_ms {delay:g}); "
                           "expected the waiting handler the published figures claim")
    if _single(nodelay, "delay_ms") != 0:
        raise ResultsError(f"{nodelay.path}: the {nodelay.scenario} scenario waits "
                           f"{_single(nodelay, 'delay_ms'):g} ms; expected no wait")
    rows = []
    for name in (PUBLISHED_PREFORK, PUBLISHED_NONPREFORK):
        row = published[published["server"] == name].iloc[0]
        rps = float(row["requests_per_s"])
        rows.append({
            "source": "published",
            "scenario": "fasthttp README",
            "delay_ms": delay,
            "server": name,
            "model": name,
            "kind": "",
            "connections": int(connections),
            "requests_per_s": rps,
            "p50_ms": float(row["latency_p50_ms"]),
            "p99_ms": float(row["latency_p99_ms"]),
            "little_bound_rps": bound,
            "efficiency": rps / bound,
            "server_cpu_us_per_request": math.nan,
            "wrk_cpu_percent": math.nan,
        })
    rows += _measured_rows(seed) + _fasthttp_rows(peers, seed, waits=True)
    rows += _measured_rows(nodelay) + _fasthttp_rows(peers_nodelay, seed, waits=False)
    return pd.DataFrame(rows, columns=list(TABLE_COLUMNS))


def missing_peers_note(missing: list[str]) -> str:
    """One line: which peers scenarios to run for the fasthttp rows (missing: scenario names)."""
    if not missing:
        return ""
    what = {PEERS: "with the wait", PEERS_NODELAY: "no wait"}
    commands = " and ".join(f"`make bench SCENARIO=scenarios/{name}.toml` ({what.get(name, name)})"
                            for name in missing)
    return (f"No fasthttp rows from {' and '.join(missing)} measured here: they need {commands}; "
            f"then run this report again.")


# --------------------------------------------------------------------------
# Text


def _rps(value: float) -> str:
    return f"{value:,.0f}"


def _ms(value: float) -> str:
    return f"{value:.2f}" if value < 10 else f"{value:.1f}"


def _percent(fraction: float) -> str:
    return f"{fraction * 100:,.1f}"


def display_table(table: pd.DataFrame) -> pd.DataFrame:
    """The table as shown: the printed headers, efficiency in percent, model and kind left out, peers marked."""
    shown = table[list(DISPLAY_HEADERS)].copy()
    shown["efficiency"] = shown["efficiency"] * 100
    if "kind" in table.columns:
        peer = table["kind"] == "peer"
        shown["server"] = shown["server"].where(~peer, shown["server"].astype(str) + PEER_MARK)
    return shown.rename(columns=DISPLAY_HEADERS)


def table_markdown(table: pd.DataFrame) -> str:
    """The table as Markdown (tables.format_markdown: "–" where a value does not apply)."""
    return format_markdown(display_table(table))


def _one(table: pd.DataFrame, source: str, what: str, value: str, delay_zero: bool | None = None) -> pd.Series:
    rows = table[(table["source"] == source) & (table[what] == value)]
    if delay_zero is not None:
        rows = rows[(rows["delay_ms"] == 0) == delay_zero]
    if rows.empty:
        where = "" if delay_zero is None else (" with no wait" if delay_zero else " with the wait")
        raise ResultsError(f"no {source} row with {what} '{value}'{where}")
    return rows.iloc[0]


_UNIT = re.compile(r"(\d) (ms|%|µs|req/s)")


def _fill(paragraph: str) -> str:
    """Wrap at 78 columns, never between a number and its unit or inside a hyphenated name."""
    glued = _UNIT.sub(lambda m: f"{m.group(1)}\0{m.group(2)}", paragraph)
    return textwrap.fill(glued, width=78, break_on_hyphens=False).replace("\0", " ")


def _times(value: float) -> str:
    return f"{value:.1f}×"


def _join(items: list[str], separator: str = ", ") -> str:
    if len(items) <= 1:
        return "".join(items)
    return separator.join(items[:-1]) + separator.rstrip() + " and " + items[-1]


def _fasthttp_pair(table: pd.DataFrame, waits: bool):
    """The measured fasthttp prefork and single rows, with or without the wait, or None."""
    measured = table[(table["source"] == "measured") & ((table["delay_ms"] > 0) == waits)]
    if "kind" in measured.columns:
        measured = measured[measured["kind"] == "peer"]
    pre = measured[measured["model"] == FASTHTTP_PREFORK]
    single = measured[measured["model"] == FASTHTTP_SINGLE]
    if pre.empty or single.empty:
        return None
    pre, single = pre.iloc[0], single.iloc[0]
    if not (math.isfinite(pre["requests_per_s"]) and math.isfinite(single["requests_per_s"])
            and single["requests_per_s"] > 0):
        return None
    return pre, single


def _fasthttp_sentence(table: pd.DataFrame, published_ratio: float) -> str:
    """fasthttp's own prefork/single ratio measured here, beside the published one; "" without those rows."""
    parts, names = [], None
    for waits in (False, True):
        pair = _fasthttp_pair(table, waits)
        if pair is None:
            continue
        pre, single = pair
        names = names or f"{pre['server']}/{single['server']}"
        when = "with no wait" if not waits else f"with the {pre['delay_ms']:g} ms wait"
        parts.append(f"{pre['requests_per_s'] / single['requests_per_s']:.3f} {when} "
                     f"({_rps(pre['requests_per_s'])} / {_rps(single['requests_per_s'])} req/s)")
    if not parts:
        return ""
    return (f" Measured here, fasthttp's own {names} = {' and '.join(parts)}, "
            f"against the published prefork/non-prefork {published_ratio:.3f}.")


def verdict(table: pd.DataFrame) -> str:
    """A few plain sentences, every number taken from the table."""
    pre = _one(table, "published", "server", PUBLISHED_PREFORK)
    non = _one(table, "published", "server", PUBLISHED_NONPREFORK)
    connections = int(pre["connections"])
    delay = float(pre["delay_ms"])
    bound = float(pre["little_bound_rps"])
    paragraphs = []

    if pre["efficiency"] > 1 and non["efficiency"] > 1:
        shares = f"{_times(pre['efficiency'])} and {_times(non['efficiency'])} that bound"
    else:
        shares = f"{_percent(pre['efficiency'])} % and {_percent(non['efficiency'])} % of that bound"

    p50_max = max(pre["p50_ms"], non["p50_ms"])
    text = (
        f"Little's law: {connections} connections that each wait {delay:g} ms cannot exceed "
        f"{_rps(bound)} req/s. The published figures are {_rps(pre['requests_per_s'])} (prefork) and "
        f"{_rps(non['requests_per_s'])} (non-prefork) req/s, {shares}, with a median latency (p50) "
        f"of {_ms(pre['p50_ms'])} and {_ms(non['p50_ms'])} ms."
    )
    if p50_max < delay:
        text += (
            f" A handler that waits {delay:g} ms cannot answer in {_ms(p50_max)} ms, so these figures "
            f"match a handler that does not wait."
        )
    paragraphs.append(text)

    waited = table[(table["source"] == "measured") & (table["delay_ms"] > 0)]
    if not waited.empty:
        delays = sorted(waited["delay_ms"].unique())
        parts = [
            f"{r.server} {_rps(r.requests_per_s)} req/s = {_percent(r.efficiency)} % of the bound, "
            f"p50 {_ms(r.p50_ms)} ms"
            for r in waited.itertuples()
        ]
        paragraphs.append(
            f"Measured here with the {_join([f'{d:g}' for d in delays])} ms handler: {_join(parts, '; ')}."
        )

    free = table[(table["source"] == "measured") & (table["delay_ms"] == 0)]
    published_ratio = pre["requests_per_s"] / non["requests_per_s"]
    mp = _one(table, "measured", "model", MEASURED_PREFORK, delay_zero=True)
    mt = _one(table, "measured", "model", MEASURED_NONPREFORK, delay_zero=True)
    ratio = mp["requests_per_s"] / mt["requests_per_s"]
    text = (
        f"With no wait, measured {mp['server']}/{mt['server']} = {ratio:.3f} "
        f"({_rps(mp['requests_per_s'])} / {_rps(mt['requests_per_s'])} req/s, p50 {_ms(mp['p50_ms'])} and "
        f"{_ms(mt['p50_ms'])} ms); published prefork/non-prefork = {published_ratio:.3f}."
    )
    waited_p = waited[waited["model"] == MEASURED_PREFORK]
    waited_t = waited[waited["model"] == MEASURED_NONPREFORK]
    if not waited_p.empty and not waited_t.empty:
        waited_ratio = waited_p.iloc[0]["requests_per_s"] / waited_t.iloc[0]["requests_per_s"]
        text += f" With the wait the same ratio is {waited_ratio:.3f}"
        if abs(waited_ratio - 1) < SAME_RATE:
            text += ": there the bound, not the concurrency model, sets the rate."
        else:
            text += "."
    text += _fasthttp_sentence(table, published_ratio)
    paragraphs.append(text)

    cpu = free.dropna(subset=["server_cpu_us_per_request"])
    cpu = cpu.sort_values("server_cpu_us_per_request", kind="stable")
    if not cpu.empty:
        shown = [f"{value:.1f}" for value in cpu["server_cpu_us_per_request"]]
        ranking = f"{cpu.iloc[0]['server']} {shown[0]} µs"
        for (_, r), previous, this in zip(cpu.iloc[1:].iterrows(), shown, shown[1:]):
            ranking += f" {'≈' if this == previous else '<'} {r['server']} {this} µs"
        text = f"Server CPU time per request with no wait, lowest first: {ranking}."
        busy = free[free["wrk_cpu_percent"] >= CLIENT_BOUND_PERCENT]["wrk_cpu_percent"]
        if not busy.empty:
            low, high = busy.min(), busy.max()
            span = f"{low:.1f} %" if round(low, 1) == round(high, 1) else f"{low:.1f}–{high:.1f} %"
            who = "with every server" if len(busy) == len(free) else "with " + _join(
                [str(s) for s in free[free["wrk_cpu_percent"] >= CLIENT_BOUND_PERCENT]["server"]])
            text += (
                f" wrk's own CPU was {span} busy {who} (median of the runs): the client, not the "
                f"server, was the bottleneck, so with no wait the req/s figures measure wrk as much "
                f"as the servers; CPU time per request ranks the servers."
            )
        paragraphs.append(text)

    return "\n\n".join(_fill(p) for p in paragraphs) + "\n"


def report_markdown(table: pd.DataFrame, seed: Results, nodelay: Results, figures=(), peers=(),
                    note: str = "") -> str:
    """reproduce.md: where the numbers come from, the table, the verdict.

    peers: the peers results the fasthttp rows come from; note: what to run for
    those that are missing (missing_peers_note), or why some were left out.
    """
    measured = [seed, nodelay, *peers]
    sources = ", ".join(f"`{r.path}`" for r in measured[:-1]) + f" and `{measured[-1].path}`"
    lines = [
        "# Published fasthttp prefork figures vs measured here",
        "",
        f"Published: fasthttp's prefork README (results/published/). Measured: {sources} on "
        f"{nodelay.host}. Written by `python3 -m plots.reproduce`.",
        "",
        table_markdown(table),
        PUBLISHED_NOTE,
        "",
    ]
    if note:
        lines += [note, ""]
    lines += [
        "## Verdict",
        "",
        verdict(table),
    ]
    for figure in figures:
        if Path(figure).suffix == ".png":
            lines += [f"![published vs measured](plots/{Path(figure).name})", ""]
    return "\n".join(lines)


# --------------------------------------------------------------------------
# Figure


def _log_floor(values) -> float:
    """A power of ten at least half a decade below the smallest value, so short bars stay visible."""
    smallest = min(v for v in values if v > 0)
    return 10 ** math.floor(math.log10(smallest) - 0.5)


def published_vs_measured(table: pd.DataFrame, out_dir) -> list[Path]:
    """Bars of req/s (log scale, with the Little bound) and of p50 (log scale, with the wait).

    One bar per row of the table, grouped: published, measured with the
    wait, measured without. Written as published-vs-measured.png and .svg.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from .colors import color_for

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = [row for _, row in table.iterrows()]
    limit = "#c0392b"

    def group_of(row) -> str:
        if row["source"] == "published":
            return f"published (fasthttp README)\nclaims a {row['delay_ms']:g} ms handler"
        if row["delay_ms"] > 0:
            return f"measured here\nhandler waits {row['delay_ms']:g} ms"
        return "measured here\nhandler does not wait"

    groups = list(dict.fromkeys(group_of(r) for r in rows))
    positions, x, previous = [], 0.0, None
    for row in rows:
        if previous is not None and group_of(row) != previous:
            x += 0.8
        positions.append(x)
        previous = group_of(row)
        x += 1.0

    published_color = color_for("published")
    style = []
    for row in rows:
        if row["source"] == "published":
            style.append(dict(color="white", hatch="//", edgecolor=published_color))
        elif row.get("kind") == "peer":
            style.append(dict(color=color_for(row["server"], peer=True, model=row["model"]), hatch="...",
                              edgecolor="black"))
        else:
            style.append(dict(color=color_for(row["server"]), hatch="", edgecolor="black"))
    peers_shown = any(row.get("kind") == "peer" for row in rows)

    label_box = dict(boxstyle="square,pad=0.1", facecolor="white", edgecolor="none", alpha=0.85)

    def draw_bars(ax, column, label_of):
        for position, row, st in zip(positions, rows, style):
            ax.bar(position, row[column], width=0.8, linewidth=0.8, zorder=2, **st)
            ax.annotate(label_of(row), (position, row[column]), xytext=(0, 4), textcoords="offset points",
                        ha="center", va="bottom", fontsize=8, bbox=label_box, zorder=4)
        ax.set_yscale("log")
        ax.set_ylim(_log_floor(table[column]), table[column].max() * 8)
        ax.grid(axis="y", which="major", alpha=0.3, zorder=0)
        ax.set_axisbelow(True)

    def span(select):
        chosen = [p for p, r in zip(positions, rows) if select(r)]
        return (chosen[0] - 0.5, chosen[-1] + 0.5) if chosen else None

    # 11 inches hold the published rows and three servers with and without the wait; more bars need more.
    fig, (ax_rps, ax_p50) = plt.subplots(2, 1, figsize=(max(11.0, 0.95 * (x + 1)), 8.6 if peers_shown else 8),
                                         sharex=True)

    def rps_label(row) -> str:
        label = _rps(row["requests_per_s"])
        e = row["efficiency"]
        if math.isfinite(e):
            label += f"\n{_times(e)}\nthe bound" if e >= 2 else f"\n{_percent(e)} %\nof the bound"
        return label

    draw_bars(ax_rps, "requests_per_s", rps_label)
    ax_rps.set_ylabel("requests per second, log scale\n(measured: median of the runs)")
    handles = [Patch(facecolor="white", hatch="//", edgecolor=published_color,
                     label="published by fasthttp (another machine, not measured here)")]
    if peers_shown:
        handles.append(Patch(facecolor="0.8", hatch="...", edgecolor="black",
                             label="fasthttp measured here (a peer: the same wrk command on this machine)"))
    bounded = span(lambda r: math.isfinite(r["little_bound_rps"]))
    if bounded:
        first = next(r for r in rows if math.isfinite(r["little_bound_rps"]))
        bound = first["little_bound_rps"]
        ax_rps.hlines(bound, *bounded, colors=limit, linestyles="--", linewidth=1.6, zorder=3)
        handles.insert(0, Line2D([], [], color=limit, linestyle="--", linewidth=1.6,
                                 label=f"Little's-law bound for a {first['delay_ms']:g} ms handler: "
                                       f"{int(first['connections'])} connections / {first['delay_ms']:g} ms "
                                       f"= {_rps(bound)} req/s"))
    if peers_shown:
        # Three entries inside the axes would cover the bars' labels: above it instead.
        ax_rps.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 1.01), fontsize=8.5, ncols=2,
                      frameon=False)
    else:
        ax_rps.legend(handles=handles, loc="upper center", fontsize=8.5, framealpha=0.95)

    draw_bars(ax_p50, "p50_ms", lambda row: f"{_ms(row['p50_ms'])} ms")
    ax_p50.set_ylabel("median latency p50, ms\n(log scale)")
    waiting = span(lambda r: r["delay_ms"] > 0)
    if waiting:
        delay = next(r for r in rows if r["delay_ms"] > 0)["delay_ms"]
        ax_p50.hlines(delay, *waiting, colors=limit, linestyles="--", linewidth=1.6, zorder=3)
        ax_p50.legend(handles=[Line2D([], [], color=limit, linestyle="--", linewidth=1.6,
                                      label=f"the handler's wait, {delay:g} ms: no response can come sooner")],
                      loc="upper right", fontsize=8.5, framealpha=0.95)

    ax_p50.set_xticks(positions)
    ax_p50.set_xticklabels([r["server"] for r in rows], rotation=20, ha="right")
    for label, row in zip(ax_p50.get_xticklabels(), rows):
        if row.get("kind") == "peer":
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
    paths = []
    for suffix in (".png", ".svg"):
        path = out_dir / f"published-vs-measured{suffix}"
        fig.savefig(path, dpi=120 if suffix == ".png" else None)
        paths.append(path)
    plt.close(fig)
    return paths


# --------------------------------------------------------------------------
# Command line


class Failure(Exception):
    """A step failed; the message says which and what to do."""


def run_scenario(build_dir: Path, scenario: Path, results_root: Path) -> None:
    binary = build_dir / "harness" / "prefork-bench"
    if not binary.is_file():
        raise Failure(f"{binary} not found: build it first (make build)")
    command = [str(binary), "run", str(scenario), "--out", str(results_root)]
    print(f"reproduce: {' '.join(command)}", flush=True)
    try:
        status = subprocess.run(command).returncode
    except OSError as error:
        raise Failure(f"cannot run {binary}: {error}") from None
    if status != 0:
        raise Failure(f"`{' '.join(command)}` failed (exit status {status}); see its output above")


def _relative(path: Path) -> Path:
    """path relative to the working directory when it lies below it."""
    try:
        return Path(path).resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return Path(path)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python3 -m plots.reproduce",
        description="Set fasthttp's published prefork figures beside the seed and seed-nodelay results.",
    )
    parser.add_argument("--no-run", action="store_true", help="use the newest existing results; run nothing")
    parser.add_argument("--results-root", default="results", type=Path, help="results root (default: results)")
    parser.add_argument("--build-dir", default="build", type=Path, help="build directory (default: build)")
    parser.add_argument("--scenarios-dir", default="scenarios", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--host", default=None, help="results of this host (default: this machine's name)")
    parser.add_argument("--published", default=PUBLISHED_CSV, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    host = args.host or socket.gethostname()

    try:
        if not args.no_run:
            for name in (SEED, NODELAY):
                run_scenario(args.build_dir, args.scenarios_dir / f"{name}.toml", args.results_root)
        published = published_rows(args.published)
        loaded = {}
        for name in (SEED, NODELAY):
            try:
                loaded[name] = load_results(latest_results(args.results_root, scenario=name, host=host))
            except ResultsError as error:
                raise Failure(
                    f"no {name} results for host {host} under {args.results_root} ({error}); "
                    f"run `python3 -m plots.reproduce` without --no-run, or pass --host"
                ) from None
        seed, nodelay = loaded[SEED], loaded[NODELAY]
        peers, missing, problems = {}, [], []
        for name in (PEERS, PEERS_NODELAY):
            try:
                path = latest_results(args.results_root, scenario=name, host=host)
            except ResultsError:
                missing.append(name)
                continue
            results = load_results(path)
            problem = peers_problem(results, seed, waits=name == PEERS)
            if problem:
                problems.append(f"fasthttp rows of {name} left out: {problem}.")
            else:
                peers[name] = results
        note = " ".join(problems + ([missing_peers_note(missing)] if missing else []))
        table = reproduce_table(published, seed, nodelay, peers.get(PEERS), peers.get(PEERS_NODELAY))
        text = verdict(table)
        figures = published_vs_measured(table, nodelay.path / "plots")
        report = nodelay.path / "reproduce.md"
        report.write_text(report_markdown(table, seed, nodelay, figures, peers=list(peers.values()), note=note),
                          encoding="utf-8")
    except (Failure, ResultsError, OSError) as error:
        print(f"reproduce: {error}", file=sys.stderr)
        return 1

    print(f"Published: {_relative(args.published)}")
    print(f"Measured:  {seed.path}")
    print(f"           {nodelay.path}")
    for results in peers.values():
        print(f"           {results.path}")
    print()
    print(table_markdown(table))
    print(textwrap.fill(PUBLISHED_NOTE, width=78))
    print()
    if note:
        print(note)
        print()
    print("VERDICT")
    print()
    print(text)
    print("Written: " + ", ".join(str(p) for p in [report, *figures]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
