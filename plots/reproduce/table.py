"""The reproduce table's rows: the published ones, then every measured server, as numbers.

The published rows claim the handler and command that seed.toml reproduces,
so their Little's-law bound is the seed scenario's (512 connections / 100 ms).
fasthttp measured here joins from the peers scenarios (peers: with the wait,
peers-nodelay: without), their fasthttp rows only.
"""

from __future__ import annotations

import dataclasses
import math

import pandas as pd

from ..load import Results, ResultsError
from ..tables import little_bound, summary_table
from .published import PUBLISHED_NONPREFORK, PUBLISHED_PREFORK

SEED = "seed"
NODELAY = "seed-nodelay"

# Measured here, the servers whose model (runs.csv's `model` column)
# corresponds to the published prefork and non-prefork servers.
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

TABLE_COLUMNS = (
    "source", "scenario", "delay_ms", "server", "model", "kind", "connections", "requests_per_s",
    "p50_ms", "p99_ms", "little_bound_rps", "efficiency", "server_cpu_us_per_request",
    "wrk_cpu_percent",
)


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
