"""One row per point (a server at one cost, offered load and connection
count), pooled over its repetitions: the measured percentiles from the
generator's histograms merged exactly, the spread of the repetitions' own
p99, and the simulated policy's percentiles on the same requests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from . import histogram
from ..load import ResultsError
from .runs import connections_per_worker, cost_kind, load_commands, mean_work_ms, report_path, when_runs
from .theory import TheoryError, policy_for, run_schedule, simulated_responses

POINT_KEYS = ["scenario", "server", "cost", "utilization", "connections"]


def series_of(server: str) -> str:
    """The model a label names, without the variant after it ("threadpool cs=0.5" -> "threadpool")."""
    return server.split(" cs=")[0]


def _report(results, run_id: int) -> dict:
    import json
    return json.loads(report_path(results, run_id).read_text(encoding="utf-8"))


def _run_row(results, run, commands, prefork_load: Path | None) -> dict:
    run_id = int(run["run_id"])
    path = report_path(results, run_id)
    try:
        report = _report(results, run_id)
        buckets = {int(value): int(count) for value, count in report["histogram"]["buckets"]}
        max_us = float(report["histogram"]["max_us"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ResultsError(f"{path}: not a prefork-load report this can read: {error!r}") from None
    counts = connections_per_worker(results, run_id)
    row = {
        "run_id": run_id,
        "repetition": int(run["repetition"]),
        "buckets": buckets,
        "max_us": max_us,
        "p99_ms": histogram.percentile_us(buckets, 99) / 1e3,
        "achieved_rps": float(run["requests_per_s"]),
        "offered_rps": float(run["offered_rps"]) if pd.notna(run.get("offered_rps")) else np.nan,
        "errors": int(sum(int(run.get(c, 0) or 0) for c in
                          ("errors_connect", "errors_read", "errors_write", "errors_status", "errors_timeout"))),
        "timeouts": int(run.get("errors_timeout", 0) or 0),
        "client_bound": str(run.get("client_bound", "")).lower() == "true",
        "suspect": run["status"] == "suspect",
        "worker_connections": counts,
        "theory": None,
        "theory_work_only": None,
        "overhead_us": np.nan,
        "policy": "",
        "theory_error": "",
        "reconnects": int(report.get("reconnects", 0)),
        "client_queued": int((report.get("client_queue") or {}).get("queued", 0)),
        "completed": int(report.get("completed", 0)),
        "scheduled": int(report.get("scheduled", 0)),
    }
    if bool(run["closed_loop"]):
        row["theory_rps"] = closed_loop_rate(run["layout"], int(run["connections"]), counts, mean_work_ms(run["cost"]))
        return row
    if prefork_load is None:
        return row
    try:
        choice = policy_for(run["layout"], bool(run["connect_per_request"]), counts, int(run["connections"]))
        send_at, work, warmup = run_schedule(commands[run_id], prefork_load)
        overhead = overhead_per_request(run, report, float(np.mean(work)))
        row["overhead_us"] = overhead * 1e6
        row["theory"] = simulated_responses(choice, send_at, work, warmup, seed=run_id, overhead_s=overhead)
        row["theory_work_only"] = simulated_responses(choice, send_at, work, warmup, seed=run_id)
        row["policy"] = choice.describe()
    except (TheoryError, KeyError, ValueError) as error:
        row["theory_error"] = str(error)
    return row


def overhead_per_request(run, report: dict, mean_work_s: float) -> float:
    """The CPU a request costs beyond its work, in seconds, as the run
    measured it: the server's CPU time per request sent less the mean work,
    and, when the generator shares the server's CPUs (pinning none), the
    generator's CPU time per request too (capacity it takes from the
    workers). Both are sampled over the generator's whole run, warm-up
    included, as `sent` counts it. It is an input of the simulation (the
    service demand), measured, not fitted to any latency."""
    sent = max(1, int(report.get("sent", 0)))
    server = float(run.get("server_cpu_s", np.nan)) / sent - mean_work_s
    generator = float(report.get("generator_cpu_s", 0.0)) / sent if str(run.get("pinning", "")) == "none" else 0.0
    if not np.isfinite(server):
        server = 0.0
    return max(0.0, server) + generator


def closed_loop_rate(layout, connections: int, counts: list[int], mean_ms: float) -> float:
    """Closed loop, each connection one request at a time: a shared queue
    keeps min(N, k) workers busy; partitioned, a worker is busy when it owns
    a connection (the split the run measured)."""
    if layout.model == "threadpool":
        busy = min(connections, layout.workers)
    else:
        busy = sum(1 for c in counts if c > 0) if counts else np.nan
    return busy * 1e3 / mean_ms


def uneven_split_chance(connections: int, workers: int = 2) -> float:
    """The chance that a uniform hash leaves some worker without any of N
    connections (k = 2: 2 * 0.5^N), the binomial case of SO_REUSEPORT."""
    if workers != 2:
        raise ValueError("the closed form here is for two workers")
    return min(1.0, 2 * 0.5 ** connections)


def _p(values, p: float) -> float:
    """A percentile in ms of response times in s; NaN for none."""
    return float(np.percentile(values, p, method="inverted_cdf") * 1e3) if values is not None else np.nan


def _mean(values: list[float]) -> float:
    finite = [v for v in values if np.isfinite(v)]
    return float(np.mean(finite)) if finite else np.nan


def _spread(values: list[float]) -> tuple[float, float]:
    finite = [v for v in values if np.isfinite(v)]
    return (min(finite), max(finite)) if finite else (np.nan, np.nan)


def point_table(path, prefork_load: Path | None) -> pd.DataFrame:
    """The points of one results directory (prefork_load None: no theory)."""
    results, runs = when_runs(path)
    commands = load_commands(results)
    scenario = results.scenario
    rows = []
    runs = runs.assign(utilization=runs["utilization"].round(3))
    for (server, cost, utilization, connections), group in runs.groupby(
            ["server", "cost", "utilization", "connections"], dropna=False, sort=False):
        per_run = [_run_row(results, run, commands, prefork_load) for _, run in group.iterrows()]
        pool = histogram.pooled([r["buckets"] for r in per_run])
        pool_max = max(r["max_us"] for r in per_run)
        pct = lambda p: min(histogram.percentile_us(pool, p), pool_max) / 1e3  # noqa: E731  (capped, as the generator does)
        theory = [r["theory"] for r in per_run if r["theory"] is not None]
        simulated = np.concatenate(theory) if len(theory) == len(per_run) and theory else None
        bare = [r["theory_work_only"] for r in per_run if r["theory_work_only"] is not None]
        work_only = np.concatenate(bare) if len(bare) == len(per_run) and bare else None
        first = group.iloc[0]
        low, high = _spread([r["p99_ms"] for r in per_run])
        offered = _mean([r["offered_rps"] for r in per_run])
        achieved = float(np.mean([r["achieved_rps"] for r in per_run]))
        rows.append({
            "scenario": scenario,
            "results": str(results.path),
            "server": server,
            "model": first["model"],
            "flags": first["flags"],
            "cost": cost,
            "cost_kind": cost_kind(cost),
            "utilization": utilization,
            "connections": int(connections),
            "closed_loop": bool(first["closed_loop"]),
            "connect_per_request": bool(first["connect_per_request"]),
            "repetitions": len(per_run),
            "run_ids": " ".join(str(r["run_id"]) for r in per_run),
            "requests": histogram.count(pool),
            "p50_ms": pct(50),
            "p99_ms": pct(99),
            "p999_ms": pct(99.9),
            "p99_min_ms": low,
            "p99_max_ms": high,
            "offered_rps": offered,
            "achieved_rps": achieved,
            # Falling behind shows as fewer answers than requests scheduled
            # (not the nominal rate: a Poisson count varies), timeouts, or
            # requests waiting at the client for a connection (every one busy).
            "saturated": sum(r["completed"] for r in per_run) < 0.97 * sum(r["scheduled"] for r in per_run)
                         or sum(r["timeouts"] for r in per_run) > 0
                         or sum(r["client_queued"] for r in per_run) > 0.01 * max(1, sum(r["completed"] for r in per_run)),
            "client_queued": sum(r["client_queued"] for r in per_run),
            "errors": sum(r["errors"] for r in per_run),
            "client_bound_runs": sum(r["client_bound"] for r in per_run),
            "suspect_runs": sum(r["suspect"] for r in per_run),
            "worker_connections": " ".join(":".join(str(c) for c in r["worker_connections"]) for r in per_run),
            "policy": "; ".join(sorted({r["policy"] for r in per_run if r["policy"]})),
            "theory_p50_ms": float(np.percentile(simulated, 50, method="inverted_cdf") * 1e3) if simulated is not None else np.nan,
            "theory_p99_ms": float(np.percentile(simulated, 99, method="inverted_cdf") * 1e3) if simulated is not None else np.nan,
            "theory_p999_ms": float(np.percentile(simulated, 99.9, method="inverted_cdf") * 1e3) if simulated is not None else np.nan,
            "theory_mean_ms": float(simulated.mean() * 1e3) if simulated is not None else np.nan,
            "work_only_p99_ms": _p(work_only, 99),
            "work_only_p50_ms": _p(work_only, 50),
            "overhead_us": _mean([r["overhead_us"] for r in per_run]),
            "theory_error": "; ".join(sorted({r["theory_error"] for r in per_run if r["theory_error"]})),
            "theory_rps": _mean([r.get("theory_rps", np.nan) for r in per_run]),
            "mean_work_ms": mean_work_ms(cost),
            "critical_share": first["layout"].critical_share,
            "series": series_of(server),
            "restart_signal": first.get("restart_signal", ""),
            "restarts": int(pd.to_numeric(group.get("restarts"), errors="coerce").fillna(0).sum()) if "restarts" in group else 0,
            "sysctl": first.get("sysctl", ""),
            "reconnects": sum(r["reconnects"] for r in per_run),
        })
    return pd.DataFrame(rows)
