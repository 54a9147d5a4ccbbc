"""wrk's runs as summary.md's main table: one row per server and connection
count (tables.summary_table's figures), and its legend.
"""

from __future__ import annotations

import pandas as pd

from .cells import NONE, cell, client_bound_cell, count, markdown_cell, milliseconds, missing, one_decimal, runs_cell, table_line, thousands, two_decimals

HEADER = (
    "server", "kind", "connections", "runs ok/total", "req/s median (min–max)", "p50 ms", "p99 ms", "p99.9 ms",
    "efficiency %", "Little bound req/s", "errors", "unserved conns", "server CPU %", "wrk CPU %",
    "server CPU µs/req", "RSS MiB", "Jain",
)


# Text left, numbers right.
ALIGNMENT = ("---", "---") + ("--:",) * (len(HEADER) - 2)


# Added after "wrk CPU %" when runs.csv has a client_bound column (results
# written before it existed keep their table as it was).
CLIENT_BOUND = "client-bound"


LEGEND = (
    "Medians over the runs that succeeded. *efficiency* is req/s divided by the Little's-law bound "
    "(connections / (delay + work)); *errors* are wrk's connect, read, write, status and timeout errors "
    "together; *unserved conns* are wrk connections no worker accepted (largest over the runs); "
    "*server CPU µs/req* is the server's CPU time per response; *Jain* is the fairness of connections "
    "over workers (1 = even, 1/n = one worker took all). Rows of kind *peer* are well-known servers (peers/) "
    "run the same way; they expose no per-worker counters, so their *unserved conns* is the median length "
    "of their listen queue over the run and their *Jain* is –.\n"
)


# Appended to the legend's paragraph when the table has the client-bound column.
CLIENT_BOUND_NOTE = (
    " *client-bound* counts the measured runs in which wrk used at least 90 % of the CPUs it could run on "
    "(– when not known): req/s ranks the client, compare server CPU µs/req instead."
)


def _requests(row) -> str:
    if missing(row["rps_median"]):
        return NONE
    return f"{thousands(row['rps_median'])} ({thousands(row['rps_min'])}–{thousands(row['rps_max'])})"


def table_cells(row) -> list[str]:
    """One row of summary_table as summary.md's cells, in HEADER's order."""
    return [
        markdown_cell(row["server"]),
        str(row["kind"]),
        thousands(row["connections"]),
        runs_cell(row),
        _requests(row),
        cell(row["p50_ms"], milliseconds),
        cell(row["p99_ms"], milliseconds),
        cell(row["p99_9_ms"], milliseconds),
        cell(row["efficiency"] * 100, one_decimal),
        cell(row["little_bound"], thousands),
        cell(row["errors"], count),
        cell(row["unserved_max"], thousands),
        cell(row["server_cpu_percent"], one_decimal),
        cell(row["wrk_cpu_percent"], one_decimal),
        cell(row["server_cpu_us_per_request"], one_decimal),
        cell(row["rss_mib"], one_decimal),
        cell(row["jain"], two_decimals),
    ]


def _with_client_bound(cells, value) -> list:
    """cells (in HEADER's order) with value inserted after "wrk CPU %"."""
    at = HEADER.index("wrk CPU %") + 1
    return list(cells[:at]) + [value] + list(cells[at:])


def markdown_table(table: pd.DataFrame, client_bound: bool = False) -> str:
    """summary_table as a Markdown table; client_bound adds its column after "wrk CPU %"."""
    header, alignment = HEADER, ALIGNMENT
    if client_bound:
        header, alignment = _with_client_bound(HEADER, CLIENT_BOUND), _with_client_bound(ALIGNMENT, "--:")
    lines = [table_line(header), table_line(alignment)]
    for _, row in table.iterrows():
        cells = table_cells(row)
        lines.append(table_line(_with_client_bound(cells, client_bound_cell(row)) if client_bound else cells))
    return "".join(lines)
