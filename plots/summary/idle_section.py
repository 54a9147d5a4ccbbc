"""An idle-connections scenario's table (tables.idle_table's figures), the
sentence on what each run did, and its legend.
"""

from __future__ import annotations

import pandas as pd

from .cells import NONE, cell, count, markdown_cell, missing, one_decimal, runs_cell, table_line, thousands, two_decimals

IDLE_HEADER = (
    "server", "kind", "connections", "runs ok/total", "bytes/connection median (min–max)", "PSS before MiB",
    "PSS held MiB", "probe p50 ms", "probe p99 ms", "probe max ms", "dropped", "processes", "Jain",
)


IDLE_ALIGNMENT = ("---", "---") + ("--:",) * (len(IDLE_HEADER) - 2)


IDLE_LEGEND = (
    "Medians over the runs that succeeded. *bytes/connection* is (the server's PSS with every connection held "
    "− its PSS before the first) / connections held: PSS is the Pss of /proc/PID/smaps_rollup summed over the "
    "server's processes (user-space memory; socket buffers in the kernel are not in it). A *probe* is one request "
    "on a new connection (connect, request, whole response), one at a time, while all are held; *probe max* is "
    "the slowest of any run. *dropped* is the most held connections the server closed or reset in any run; a run "
    "in which any were dropped before the PSS was read fails. *Jain* is the fairness of connections over workers "
    "(1 = even, 1/n = one worker took all); a peer's is –.\n"
)


def _per_connection(row) -> str:
    if missing(row["bytes_per_connection"]):
        return NONE
    return (f"{thousands(row['bytes_per_connection'])} "
            f"({thousands(row['bytes_per_connection_min'])}–{thousands(row['bytes_per_connection_max'])})")


def idle_table_cells(row) -> list[str]:
    """One row of idle_table as summary.md's cells, in IDLE_HEADER's order."""
    return [
        markdown_cell(row["server"]),
        str(row["kind"]),
        thousands(row["connections"]),
        runs_cell(row),
        _per_connection(row),
        cell(row["pss_before_mib"], one_decimal),
        cell(row["pss_held_mib"], one_decimal),
        cell(row["probe_p50_ms"], two_decimals),
        cell(row["probe_p99_ms"], two_decimals),
        cell(row["probe_max_ms"], two_decimals),
        cell(row["dropped"], count),
        cell(row["processes"], count),
        cell(row["jain"], two_decimals),
    ]


def idle_markdown_table(table: pd.DataFrame) -> str:
    lines = [table_line(IDLE_HEADER), table_line(IDLE_ALIGNMENT)]
    lines += [table_line(idle_table_cells(row)) for _, row in table.iterrows()]
    return "".join(lines)


def idle_parameters(meta: dict) -> str:
    """What each run did, from meta.json's `idle`; "" when not recorded."""
    idle = meta.get("idle")
    if not isinstance(idle, dict) or not all(k in idle for k in ("connections", "batch", "probes", "settle")):
        return ""
    return (f"Each run opened {thousands(idle['connections'])} keep-alive connections, {thousands(idle['batch'])} "
            f"at a time, each with one request answered, held them, waited {idle['settle']}, read the server's PSS, "
            f"then timed {thousands(idle['probes'])} requests each on a new connection.\n\n")
