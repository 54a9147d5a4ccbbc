"""fasthttp's published prefork figures beside what this harness measures.

    python3 -m plots.reproduce [--no-run] [--results-root results] [--build-dir build]

Without --no-run it first runs scenarios/seed.toml (the published command,
handler waits 100 ms) and scenarios/seed-nodelay.toml (the same, no wait).
Then it takes the newest results of both scenarios for this host, prints one
table (the published rows, then every measured server) and a verdict, and
writes both as reproduce.md, and a figure as plots/published-vs-measured.*,
into the seed-nodelay results directory.

Every number it prints comes from a file: the published ones from
results/published/fasthttp-prefork-readme.csv, the rest from the results.
The published rows claim the handler and command that seed.toml reproduces,
so their Little's-law bound is the seed scenario's (512 connections / 100 ms).
"""

from __future__ import annotations

import argparse
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
    "source", "scenario", "delay_ms", "server", "model", "connections", "requests_per_s",
    "p50_ms", "p99_ms", "little_bound_rps", "efficiency", "server_cpu_us_per_request",
    "wrk_cpu_percent",
)

# Printed headers for the columns of the table as shown (model is left out:
# it only picks the rows the verdict compares).
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


def _measured_rows(results: Results) -> list[dict]:
    runs = results.runs
    models = {}
    if "model" in runs.columns:
        models = dict(zip(runs["server"], runs["model"].fillna("")))
    delay = _single(results, "delay_ms")
    work = _single(results, "work_ms")
    rows = []
    for _, row in summary_table(results).iterrows():
        bound = little_bound(row["connections"], delay, work)
        rps = float(row["rps_median"])
        rows.append({
            "source": "measured",
            "scenario": results.scenario,
            "delay_ms": delay,
            "server": row["server"],
            "model": models.get(row["server"], ""),
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


def reproduce_table(published: pd.DataFrame, seed: Results, nodelay: Results) -> pd.DataFrame:
    """The published rows, then every measured server of seed and of seed-nodelay.

    The published rows' bound and efficiency are those of the handler they
    claim, which the seed scenario reproduces: its connections and delay.
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
            "connections": int(connections),
            "requests_per_s": rps,
            "p50_ms": float(row["latency_p50_ms"]),
            "p99_ms": float(row["latency_p99_ms"]),
            "little_bound_rps": bound,
            "efficiency": rps / bound,
            "server_cpu_us_per_request": math.nan,
            "wrk_cpu_percent": math.nan,
        })
    rows += _measured_rows(seed) + _measured_rows(nodelay)
    return pd.DataFrame(rows, columns=list(TABLE_COLUMNS))


# --------------------------------------------------------------------------
# Text


def _rps(value: float) -> str:
    return f"{value:,.0f}"


def _ms(value: float) -> str:
    return f"{value:.2f}" if value < 10 else f"{value:.1f}"


def _percent(fraction: float) -> str:
    return f"{fraction * 100:,.1f}"


def display_table(table: pd.DataFrame) -> pd.DataFrame:
    """The table as shown: the printed headers, efficiency in percent, model left out."""
    shown = table[list(DISPLAY_HEADERS)].copy()
    shown["efficiency"] = shown["efficiency"] * 100
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


def report_markdown(table: pd.DataFrame, seed: Results, nodelay: Results, figures=()) -> str:
    """reproduce.md: where the numbers come from, the table, the verdict."""
    lines = [
        "# Published fasthttp prefork figures vs measured here",
        "",
        f"Published: fasthttp's prefork README (results/published/). Measured: `{seed.path}` and "
        f"`{nodelay.path}` on {nodelay.host}. Written by `python3 -m plots.reproduce`.",
        "",
        table_markdown(table),
        PUBLISHED_NOTE,
        "",
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
        else:
            style.append(dict(color=color_for(row["server"]), hatch="", edgecolor="black"))

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

    fig, (ax_rps, ax_p50) = plt.subplots(2, 1, figsize=(11, 8), sharex=True)

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
    bounded = span(lambda r: math.isfinite(r["little_bound_rps"]))
    if bounded:
        first = next(r for r in rows if math.isfinite(r["little_bound_rps"]))
        bound = first["little_bound_rps"]
        ax_rps.hlines(bound, *bounded, colors=limit, linestyles="--", linewidth=1.6, zorder=3)
        handles.insert(0, Line2D([], [], color=limit, linestyle="--", linewidth=1.6,
                                 label=f"Little's-law bound for a {first['delay_ms']:g} ms handler: "
                                       f"{int(first['connections'])} connections / {first['delay_ms']:g} ms "
                                       f"= {_rps(bound)} req/s"))
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
    for g in groups:
        xs = [p for p, r in zip(positions, rows) if group_of(r) == g]
        ax_p50.annotate(g, (sum(xs) / len(xs), 0), xycoords=("data", "axes fraction"), xytext=(0, -58),
                        textcoords="offset points", ha="center", va="top", fontsize=9, fontweight="bold")
    for g_prev in groups[:-1]:
        last = max(p for p, r in zip(positions, rows) if group_of(r) == g_prev)
        for ax in (ax_rps, ax_p50):
            ax.axvline(last + 0.9, color="grey", linewidth=0.8, alpha=0.6)

    connections = int(table["connections"].iloc[0])
    fig.suptitle(f"fasthttp's published prefork figures vs measured here: the same wrk command, "
                 f"{connections} connections")
    fig.tight_layout()
    fig.subplots_adjust(bottom=0.17)
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
        table = reproduce_table(published, seed, nodelay)
        text = verdict(table)
        figures = published_vs_measured(table, nodelay.path / "plots")
        report = nodelay.path / "reproduce.md"
        report.write_text(report_markdown(table, seed, nodelay, figures), encoding="utf-8")
    except (Failure, ResultsError, OSError) as error:
        print(f"reproduce: {error}", file=sys.stderr)
        return 1

    print(f"Published: {_relative(args.published)}")
    print(f"Measured:  {seed.path}")
    print(f"           {nodelay.path}")
    print()
    print(table_markdown(table))
    print(textwrap.fill(PUBLISHED_NOTE, width=78))
    print()
    print("VERDICT")
    print()
    print(text)
    print("Written: " + ", ".join(str(p) for p in [report, *figures]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
