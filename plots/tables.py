"""The numbers behind summary.md, the figures and the notebook, as plain functions over DataFrames.

summary_table is the one implementation of summary.md's figures (plots.summary
formats it): medians over the measured runs (ok or suspect, load.measured), a
value a run did not measure left out rather than counted as zero, and the
Little's-law bound taken from the configuration, so failed runs give it too.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
import pandas as pd

from .load import Results
from .run_selection import OURS, client_bound, is_suspect, measured, peer_servers, wrk_runs
from .style import marked_labels

ERROR_COLUMNS = ("errors_connect", "errors_read", "errors_write", "errors_status", "errors_timeout")

RATIO_METRICS = ("rps_median", "p50_ms", "p99_ms", "server_cpu_us_per_request", "efficiency")


def _finite(values) -> list[float]:
    out = []
    for value in values:
        if value is None:
            continue
        number = float(value)
        if math.isfinite(number):
            out.append(number)
    return out


def little_bound(connections, delay_ms, work_ms) -> float | None:
    """At most N / W requests per second finish when each waits W.

    Without a wait the handler is CPU bound and the law gives no useful
    ceiling, so none is claimed (as in harness/results/metrics.cpp).
    """
    if delay_ms is None or not delay_ms > 0:
        return None
    work = 0.0 if work_ms is None or not math.isfinite(float(work_ms)) else float(work_ms)
    return float(connections) / ((float(delay_ms) + work) / 1000.0)


def jain_index(values) -> float | None:
    """(Σx)² / (n·Σx²): 1 when all share evenly, 1/n when one takes all."""
    xs = _finite(values)
    if not xs:
        return None
    squares = sum(x * x for x in xs)
    if squares == 0:
        return None
    return sum(xs) ** 2 / (len(xs) * squares)


def spread(values) -> tuple[float, float, float] | None:
    """(median, min, max) of the finite values; None when there are none.

    An even count's median is the mean of the two middle values.
    """
    xs = sorted(_finite(values))
    if not xs:
        return None
    n = len(xs)
    middle = xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2
    return (middle, xs[0], xs[-1])


def median(values) -> float:
    """The median, or NaN for no values, so table cells stay numeric."""
    s = spread(values)
    return s[0] if s else math.nan


def groups(runs: pd.DataFrame) -> list[tuple[str, int]]:
    """(server, connections) pairs: servers in the order runs.csv first names them, then connections ascending.

    summary.md's order, which is the scenario's: peers stand where the
    scenario put them (figures put them last, see servers()).
    """
    return [
        (server, int(c))
        for server in dict.fromkeys(runs["server"])
        for c in sorted(runs.loc[runs["server"] == server, "connections"].dropna().unique())
    ]


def connection_counts(runs: pd.DataFrame) -> list[int]:
    return sorted(int(c) for c in runs["connections"].dropna().unique())


def servers(runs: pd.DataFrame) -> list[str]:
    """Server labels in first-appearance order, our servers first, then the peers (the figures' order)."""
    labels = list(dict.fromkeys(runs["server"]))
    peers = peer_servers(runs)
    return [s for s in labels if s not in peers] + [s for s in labels if s in peers]


def server_cpu_us_per_request(runs: pd.DataFrame) -> pd.Series:
    """Server CPU time per response: the cost of a request, whoever was the bottleneck."""
    requests = runs["requests"].where(runs["requests"] > 0)
    return runs["server_cpu_s"] / requests * 1e6


def error_total(runs: pd.DataFrame) -> pd.Series:
    """All of wrk's error counts together; NaN where wrk wrote no report."""
    return runs[list(ERROR_COLUMNS)].sum(axis=1, min_count=1)


def client_bound_counts(runs: pd.DataFrame) -> tuple[int, int]:
    """(client-bound, known): of runs, how many were client-bound and of how many it is known."""
    known = [flag for flag in client_bound(runs) if flag is not None]
    return sum(known), len(known)


def row_counts(group: pd.DataFrame, ok: pd.DataFrame) -> dict:
    """A row's run counts: measured (ok), all, and the suspect ones among the measured."""
    return {"runs_ok": len(ok), "runs_total": len(group), "runs_suspect": int(is_suspect(ok).sum())}


def spread_columns(prefix: str, values) -> dict:
    """spread() as a row's PREFIX_median, PREFIX_min and PREFIX_max; NaN without finite values."""
    found = spread(values)
    return {f"{prefix}_{name}": found[i] if found else math.nan for i, name in enumerate(("median", "min", "max"))}


def latency_medians(ok: pd.DataFrame) -> dict:
    """The medians of runs.csv's latency percentiles, as a row's p50_ms, p99_ms and p99_9_ms."""
    return {f"{name}_ms": median(ok[f"latency_{name}_ms"]) for name in ("p50", "p99", "p99_9")}


def summary_row(all_runs: pd.DataFrame, server: str, connections: int) -> dict:
    group = all_runs[(all_runs["server"] == server) & (all_runs["connections"] == connections)]
    ok = measured(group)
    bound_runs, bound_known = client_bound_counts(ok)
    first = group.iloc[0]
    kind = first["kind"] if "kind" in group.columns else OURS
    bound = little_bound(first["connections"], first["delay_ms"], first["work_ms"])
    unserved = _finite(ok["unserved_connections"])
    return {
        "server": server,
        "kind": kind,
        "connections": connections,
        **row_counts(group, ok),
        **spread_columns("rps", ok["requests_per_s"]),
        **latency_medians(ok),
        "efficiency": median(ok["efficiency"]) if bound is not None else math.nan,
        "little_bound": bound if bound is not None else math.nan,
        "errors": median(error_total(ok)),
        "unserved_max": max(unserved) if unserved else math.nan,
        "server_cpu_percent": median(ok["server_cpu_percent"]),
        "wrk_cpu_percent": median(ok["wrk_cpu_percent"]),
        # Of the measured runs: how many were client-bound, of how many it is
        # known (0 known: runs.csv does not say).
        "client_bound_runs": bound_runs,
        "client_bound_known": bound_known,
        "server_cpu_us_per_request": median(server_cpu_us_per_request(ok)),
        "rss_mib": median(ok["server_rss_mib"]),
        # From the runs' worker counts: a peer has none, so its Jain's index
        # is missing, never a 0.
        "jain": median(ok["jain_connections"]),
    }


SUMMARY_COLUMNS = (
    "server", "kind", "connections", "runs_ok", "runs_total", "rps_median", "rps_min", "rps_max",
    "p50_ms", "p99_ms", "p99_9_ms", "efficiency", "little_bound", "errors", "unserved_max",
    "server_cpu_percent", "wrk_cpu_percent", "server_cpu_us_per_request", "rss_mib", "jain",
    # Added with the measurement checks (issue 12), last so that the columns before keep their places.
    "runs_suspect", "client_bound_runs", "client_bound_known",
)


def summary_table(results: Results) -> pd.DataFrame:
    """One row per (server, connections), the numbers of summary.md unformatted.

    Rows in summary.md's order (groups()). runs_ok counts the measured runs
    (ok or suspect), runs_suspect the suspect ones among them. efficiency is a
    fraction (0.989), not a percentage, as in runs.csv. `kind` says whether a server is ours
    or a peer; a peer's jain is NaN (it has no per-worker counters).
    """
    runs = wrk_runs(results.runs)
    rows = [summary_row(runs, server, c) for server, c in groups(runs)]
    return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))


# ---- open-loop runs (prefork-load, generator `open`) ---------------------------


IDLE = "idle-connections"


def idle_runs(runs: pd.DataFrame) -> pd.DataFrame:
    """The idle-connections runs of runs.csv; none when it has no `mode` column."""
    if "mode" not in runs.columns:
        return runs.iloc[0:0]
    return runs[runs["mode"] == IDLE]


def is_idle(runs: pd.DataFrame) -> bool:
    """Whether the runs are an idle-connections scenario's (a scenario has one mode)."""
    return not runs.empty and len(idle_runs(runs)) == len(runs)


def _idle_column(runs: pd.DataFrame, name: str) -> pd.Series:
    return runs[name] if name in runs.columns else pd.Series(math.nan, index=runs.index)


def idle_row(all_runs: pd.DataFrame, server: str, connections: int) -> dict:
    group = all_runs[(all_runs["server"] == server) & (all_runs["connections"] == connections)]
    ok = measured(group)
    first = group.iloc[0]
    per_connection = spread(_idle_column(ok, "idle_bytes_per_connection"))
    # Over every run, failed ones too: a run fails when the server dropped
    # held connections, and that must show.
    dropped = _finite(_idle_column(group, "idle_dropped"))
    worst = _finite(_idle_column(ok, "idle_probe_max_ms"))
    return {
        "server": server,
        "kind": first["kind"] if "kind" in group.columns else OURS,
        "connections": connections,
        **row_counts(group, ok),
        "bytes_per_connection": per_connection[0] if per_connection else math.nan,
        "bytes_per_connection_min": per_connection[1] if per_connection else math.nan,
        "bytes_per_connection_max": per_connection[2] if per_connection else math.nan,
        "pss_before_mib": median(_idle_column(ok, "idle_pss_before_kib") / 1024),
        "pss_held_mib": median(_idle_column(ok, "idle_pss_held_kib") / 1024),
        "probe_p50_ms": median(_idle_column(ok, "idle_probe_p50_ms")),
        "probe_p99_ms": median(_idle_column(ok, "idle_probe_p99_ms")),
        "probe_max_ms": max(worst) if worst else math.nan,
        "dropped": max(dropped) if dropped else math.nan,
        "processes": median(_idle_column(ok, "idle_server_processes")),
        "jain": median(ok["jain_connections"]),
    }


IDLE_COLUMNS = (
    "server", "kind", "connections", "runs_ok", "runs_total", "bytes_per_connection", "bytes_per_connection_min",
    "bytes_per_connection_max", "pss_before_mib", "pss_held_mib", "probe_p50_ms", "probe_p99_ms", "probe_max_ms",
    "dropped", "processes", "jain", "runs_suspect",
)


def idle_table(results: Results) -> pd.DataFrame:
    """One row per server of an idle-connections scenario, the numbers of its summary.md unformatted.

    bytes_per_connection is the median over the measured runs (ok or suspect) of
    (PSS with all held − PSS before) / connections held, with its min and
    max; the probes' p50 and p99 are medians over those runs, probe_max_ms
    the largest of any; dropped the most held connections any run (failed
    ones too) saw closed by the server.
    """
    runs = idle_runs(results.runs)
    rows = [idle_row(runs, server, c) for server, c in groups(runs)]
    return pd.DataFrame(rows, columns=list(IDLE_COLUMNS))


def mark_peers(table: pd.DataFrame) -> pd.DataFrame:
    """A table to show: each peer's server label followed by " (peer)", the kind column left out.

    Works on any table with `server` and `kind` columns (summary_table's);
    a table without `kind` is returned unchanged.
    """
    if "kind" not in table.columns:
        return table
    shown = table.copy()
    shown["server"] = marked_labels(shown["server"], shown["kind"])
    return shown.drop(columns="kind")


def ratio_table(a: Results, b: Results) -> pd.DataFrame:
    """b against a for each (server, connections) both measured: ratio = value_b / value_a.

    Rows follow a's order; a ratio over a zero or missing value is NaN.
    """
    table_a = summary_table(a).set_index(["server", "connections"])
    table_b = summary_table(b).set_index(["server", "connections"])
    rows = []
    for key in table_a.index:
        if key not in table_b.index:
            continue
        for metric in RATIO_METRICS:
            value_a = float(table_a.at[key, metric])
            value_b = float(table_b.at[key, metric])
            ratio = value_b / value_a if math.isfinite(value_a) and value_a != 0 else math.nan
            rows.append({"server": key[0], "connections": key[1], "metric": metric,
                         "value_a": value_a, "value_b": value_b, "ratio": ratio})
    return pd.DataFrame(rows, columns=["server", "connections", "metric", "value_a", "value_b", "ratio"])


def readable(value: float) -> str:
    """Digits a reader needs: 117,453 · 100.4 · 0.62 (summary.md's style)."""
    magnitude = abs(value)
    if value == int(value) and magnitude < 1e15:
        return f"{int(value):,}"
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _cell(value, floatfmt) -> str:
    if value is None or (not isinstance(value, str) and pd.api.types.is_scalar(value) and pd.isna(value)):
        return "–"
    if isinstance(value, bool | np.bool_):
        return str(bool(value)).lower()
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}"
    if isinstance(value, numbers.Real):
        if not math.isfinite(float(value)):
            return "–"
        return floatfmt(float(value)) if callable(floatfmt) else format(float(value), floatfmt)
    text = str(value)
    # A '|' would end the cell and a line break the row.
    return text.replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def _is_numeric(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def format_markdown(df: pd.DataFrame, floatfmt=readable) -> str:
    """A GitHub markdown table: text left, numbers right, '–' for no value.

    floatfmt is a format spec (".3f") or a function of one float; integers
    always get thousands separators. Written here so the package needs
    nothing beyond pandas and matplotlib.
    """
    header = [_cell(str(name), floatfmt) for name in df.columns]
    align = ["--:" if _is_numeric(df[name]) else "---" for name in df.columns]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |"]
    for row in df.itertuples(index=False, name=None):
        lines.append("| " + " | ".join(_cell(value, floatfmt) for value in row) + " |")
    return "\n".join(lines) + "\n"
