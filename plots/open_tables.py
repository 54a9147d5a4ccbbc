"""The open loop's table: one row per server, cost and offered rate, medians
over repetitions (runs.csv's open-loop columns), and the conditions the runs
share; tables.py holds the wrk and idle tables."""
from __future__ import annotations

import math

import pandas as pd

from .load import Results
from .run_selection import OURS, measured, open_runs
from .tables import client_bound_counts, error_total, latency_medians, median, row_counts, spread_columns


def _same(column: pd.Series, value) -> pd.Series:
    """column == value, where a missing value equals a missing value."""
    if pd.isna(value):
        return column.isna()
    return column == value


def open_groups(runs: pd.DataFrame) -> list[tuple[str, str, float]]:
    """(server, cost, offered req/s) of the open-loop runs: servers and costs in the order runs.csv first names
    them, then offered rates ascending (a run without one last)."""
    runs = open_runs(runs)
    out = []
    for server in dict.fromkeys(runs["server"]):
        mine = runs[runs["server"] == server]
        for cost in dict.fromkeys(mine["cost"]):
            rates = mine.loc[mine["cost"] == cost, "offered_rps"]
            out += [(server, cost, float(rate)) for rate in sorted(rates.dropna().unique())]
            if rates.isna().any():
                out.append((server, cost, math.nan))
    return out


def open_group(runs: pd.DataFrame, server: str, cost: str, offered: float) -> pd.DataFrame:
    """The open-loop runs of one open_groups() entry, in the frame's order."""
    runs = open_runs(runs)
    return runs[(runs["server"] == server) & (runs["cost"] == cost) & _same(runs["offered_rps"], offered)]


def open_row(all_runs: pd.DataFrame, server: str, cost: str, offered: float) -> dict:
    group = open_group(all_runs, server, cost, offered)
    ok = measured(group)
    bound_runs, bound_known = client_bound_counts(ok)
    return {
        "server": server,
        "kind": group.iloc[0]["kind"] if "kind" in group.columns else OURS,
        "cost": cost,
        "offered_rps": offered,
        # From the configuration (offered rate / capacity), so every run of the group has it, failed ones too.
        "utilization": median(group["utilization"]),
        **row_counts(group, ok),
        **spread_columns("achieved_rps", ok["requests_per_s"]),
        **latency_medians(ok),
        "send_lateness_p50_us": median(ok["send_lateness_p50_us"]),
        "send_lateness_p99_us": median(ok["send_lateness_p99_us"]),
        "errors": median(error_total(ok)),
        # Of the measured runs, by prefork-load's own verdict.
        "client_bound_runs": bound_runs,
        "client_bound_known": bound_known,
    }


OPEN_COLUMNS = (
    "server", "kind", "cost", "offered_rps", "utilization", "runs_ok", "runs_total", "runs_suspect",
    "achieved_rps_median", "achieved_rps_min", "achieved_rps_max", "p50_ms", "p99_ms", "p99_9_ms",
    "send_lateness_p50_us", "send_lateness_p99_us", "errors", "client_bound_runs", "client_bound_known",
)


def open_table(results: Results) -> pd.DataFrame:
    """One row per (server, cost, offered rate) of the open-loop runs, the numbers of summary.md unformatted.

    Medians over the measured runs (ok or suspect) of each; latency is timed
    from each request's intended send (prefork-load), so it includes any
    wait for a connection. utilization is a fraction (offered / capacity),
    NaN where the harness could not define the capacity. No rows without
    open-loop runs.
    """
    runs = results.runs
    rows = [open_row(runs, *key) for key in open_groups(runs)]
    return pd.DataFrame(rows, columns=list(OPEN_COLUMNS))


def _constant(values):
    """The one value of values (missing ones left out), None when there are several or none."""
    distinct = list(dict.fromkeys(v for v in values if not (v is None or (isinstance(v, float) and math.isnan(v)))))
    return distinct[0] if len(distinct) == 1 else None


def scenario_arrival(meta: dict) -> str | None:
    """The arrival process the scenario's [load] section names (meta.json keeps the scenario file), else None."""
    load = meta.get("load")
    if isinstance(load, dict) and isinstance(load.get("arrival"), str) and load["arrival"]:
        return load["arrival"]
    content = meta.get("scenario", {}).get("content")
    if not isinstance(content, str):
        return None
    import tomllib

    try:
        load = tomllib.loads(content).get("load")
    except tomllib.TOMLDecodeError:
        return None
    arrival = load.get("arrival") if isinstance(load, dict) else None
    return arrival if isinstance(arrival, str) and arrival else None


def open_conditions(results: Results) -> dict:
    """What every open-loop run shared: cost ("" none), arrival, connections; None for what varies or is unknown.

    The arrival process comes from runs.csv's `arrival` column when it has
    one, else from the scenario (scenario_arrival).
    """
    runs = open_runs(results.runs)
    named = [a for a in runs["arrival"].fillna("").astype(str).str.strip() if a] if "arrival" in runs.columns else []
    arrival = _constant(named) if named else scenario_arrival(results.meta)
    connections = _constant(runs["connections"].dropna())
    return {
        "cost": _constant(runs["cost"]),
        "arrival": arrival,
        "connections": int(connections) if connections is not None else None,
    }


# runs.csv's `mode` (harness/idle_run.cpp): an idle-connections run holds
# many keep-alive connections and measures memory, not wrk's load. Results
# written before the column existed are all wrk runs.
