"""prefork-load's open-loop runs under their own title: one row per server
and offered rate (open_tables.open_table's figures), the sentence on what
the runs shared, and the legend.
"""

from __future__ import annotations

import pandas as pd

from ..load import Results
from ..run_selection import SUSPECT, open_runs
from ..open_tables import open_conditions, open_table
from .cells import NONE, SUSPECT_NOTE, cell, client_bound_cell, count, legend, markdown_cell, microseconds, milliseconds, runs_cell, table_line, thousands, two_decimals

OPEN_TITLE = "## Open loop: latency against offered load"


OPEN_HEADER = (
    "server", "kind", "offered req/s", "utilization", "runs ok/total", "achieved req/s median", "p50 ms", "p99 ms",
    "p99.9 ms", "send lateness p99 µs", "client-bound", "errors",
)


OPEN_ALIGNMENT = ("---", "---") + ("--:",) * (len(OPEN_HEADER) - 2)


# Inserted after "kind" when the open-loop runs do not all have the same cost.
COST = "cost"


OPEN_LEGEND = (
    "Medians over the runs that succeeded, one row per server and offered rate. Open loop: prefork-load sends "
    "each request at its scheduled time whether or not the earlier ones were answered, and times it from that "
    "intended send, so time spent waiting for a busy server or a free connection counts in the latency. "
    "*utilization* is the offered rate / the server's capacity (its CPUs, at most its workers, / the mean work "
    "cost), – when not defined; *achieved req/s* is the rate answered; *send lateness p99* is how late "
    "prefork-load sent a request after its intended time (99th percentile). *client-bound* counts the measured "
    "runs prefork-load judged itself the bottleneck (p99 send lateness above max(100 µs, 5 % of the p50 latency), "
    "or over 1 % of the scheduled requests unanswered): their latency is partly the client's. *errors* are "
    "connect, read, write, status and timeout errors together.\n"
)


def _cost_text(cost: str) -> str:
    return f"cost {cost.replace(';', ', ')}" if cost else "no request cost"


def open_parameters(results: Results) -> str:
    """What every open-loop run shared, as a sentence before the table; "" when nothing was."""
    shared = open_conditions(results)
    parts = []
    if shared["arrival"]:
        parts.append(f"{shared['arrival'].capitalize()} arrivals")
    if shared["cost"] is not None:
        parts.append(_cost_text(shared["cost"]))
    if shared["connections"] is not None:
        parts.append(f"{thousands(shared['connections'])} connections")
    if not parts:
        return ""
    return f"Each run offered one rate with prefork-load in open loop: {', '.join(parts)}.\n\n"


def open_table_cells(row, with_cost: bool = False) -> list[str]:
    """One row of open_table as summary.md's cells, in OPEN_HEADER's order (cost after kind if with_cost)."""
    cells = [
        markdown_cell(row["server"]),
        str(row["kind"]),
        cell(row["offered_rps"], thousands),
        cell(row["utilization"], two_decimals),
        runs_cell(row),
        cell(row["achieved_rps_median"], thousands),
        cell(row["p50_ms"], milliseconds),
        cell(row["p99_ms"], milliseconds),
        cell(row["p99_9_ms"], milliseconds),
        cell(row["send_lateness_p99_us"], microseconds),
        client_bound_cell(row),
        cell(row["errors"], count),
    ]
    if with_cost:
        cells.insert(2, markdown_cell(row["cost"]) if row["cost"] else NONE)
    return cells


def open_markdown_table(table: pd.DataFrame, with_cost: bool = False) -> str:
    """open_table as a Markdown table; with_cost adds a cost column after kind."""
    header, alignment = list(OPEN_HEADER), list(OPEN_ALIGNMENT)
    if with_cost:
        header.insert(2, COST)
        alignment.insert(2, "---")
    lines = [table_line(header), table_line(alignment)]
    lines += [table_line(open_table_cells(row, with_cost)) for _, row in table.iterrows()]
    return "".join(lines)


def open_section(results: Results) -> str:
    """The open-loop runs' table under its own title, the sentence on what they shared before it, the legend after."""
    table = open_table(results)
    runs = open_runs(results.runs)
    with_cost = open_conditions(results)["cost"] is None
    suspect = [SUSPECT_NOTE] if (runs["status"] == SUSPECT).any() else []
    return (f"{OPEN_TITLE}\n\n" + open_parameters(results) + open_markdown_table(table, with_cost) + "\n"
            + legend(OPEN_LEGEND, *suspect))
