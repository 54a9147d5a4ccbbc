"""when.md: the when map, its table, each experiment's figure and points,
the restarts, and the verdict, every figure traceable to the results
directories listed at its top (their runs.csv, raw/ load reports)."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from .verdict import verdict


def _ms(value: float) -> str:
    return f"{value:.2f}" if isinstance(value, float) and math.isfinite(value) else "–"


def _us(value: float) -> str:
    return f"{value:.0f}" if isinstance(value, float) and math.isfinite(value) else "–"


def _factor(f: float) -> str:
    if not math.isfinite(f):
        return "–"
    return f"×{f:.2f}" if f >= 1 else f"×{1 / f:.2f}"


def map_markdown(table: pd.DataFrame) -> str:
    lines = ["| workload | util. | threadpool p99 ms (sim.) | prefork-epoll p99 ms (sim.) | threads twin p99 ms (sim.) | winner | factor | theory factor |",
             "|---|--:|--:|--:|--:|---|--:|--:|"]
    for _, r in table.iterrows():
        winner = r["winner"] + (f" (saturated: {r['saturated']})" if r["saturated"] else "")
        lines.append(f"| {r['workload']} | {r['utilization']:g} | {_ms(r['threadpool_p99_ms'])} ({_ms(r['threadpool_theory_p99_ms'])}) "
                     f"| {_ms(r['prefork_p99_ms'])} ({_ms(r['prefork_theory_p99_ms'])}) "
                     f"| {_ms(r['control_p99_ms'])} ({_ms(r['control_theory_p99_ms'])}) "
                     f"| {winner} | {_factor(r['factor'])} | {_factor(r['theory_factor'])} |")
    return "\n".join(lines) + "\n"


def points_markdown(points: pd.DataFrame) -> str:
    lines = ["| scenario | server | cost | util. | conn. | requests | p50 ms (sim.) | p99 ms (sim.; work alone) | p99 range | CPU/request beyond the work µs | achieved req/s | errors | client-bound runs | policy simulated |",
             "|---|---|---|--:|--:|--:|--:|--:|---|--:|--:|--:|--:|---|"]
    for _, r in points.iterrows():
        util = f"{r['utilization']:g}" if math.isfinite(r["utilization"]) else "closed"
        lines.append(f"| {r['scenario']} | {r['server']} | {r['cost_kind']} | {util} | {r['connections']} | {r['requests']:,} "
                     f"| {_ms(r['p50_ms'])} ({_ms(r['theory_p50_ms'])}) "
                     f"| {_ms(r['p99_ms'])} ({_ms(r['theory_p99_ms'])}; {_ms(r['work_only_p99_ms'])}) "
                     f"| {_ms(r['p99_min_ms'])}–{_ms(r['p99_max_ms'])} | {_us(r['overhead_us'])} | {r['achieved_rps']:,.0f} | {r['errors']} "
                     f"| {r['client_bound_runs']}/{r['repetitions']} | {r['policy'] or r['theory_error'] or '–'} |")
    return "\n".join(lines) + "\n"


def restart_markdown(points: pd.DataFrame) -> str:
    rows = points[points["scenario"].isin(["when-restart", "when-restart-churn"])]
    if rows.empty:
        return "No restart runs.\n"
    lines = ["| scenario | server | signal | sysctl | restarts | errors | errors per restart | in flight per worker (Little) | reconnects |",
             "|---|---|---|---|--:|--:|--:|--:|--:|"]
    for _, r in rows.iterrows():
        per = r["errors"] / r["restarts"] if r["restarts"] else float("nan")
        lines.append(f"| {r['scenario']} | {r['server']} | {r['restart_signal'] or '–'} | {r['sysctl'] or '–'} | {r['restarts']} "
                     f"| {r['errors']} | {_ms(per)} | {_ms(r.get('expected_lost', float('nan')))} | {r['reconnects']} |")
    return "\n".join(lines) + "\n"


def report_markdown(points: pd.DataFrame, table: pd.DataFrame, figures: list[Path], sources: list[Path],
                    out: Path, machine: str) -> str:
    rel = lambda p: Path(p).resolve().relative_to(out.resolve()) if Path(p).resolve().is_relative_to(out.resolve()) \
        else Path("..") / Path(p).name  # noqa: E731
    parts = [
        "# When does prefork win?\n",
        f"{machine}\n",
        "Measured: the results directories below (runs.csv, raw/*-load-report.json). Percentiles are pooled over the "
        "repetitions from the generator's histograms; the simulated policy ran on the very requests each run sent "
        "(prefork-load --schedule-only rebuilt them from the command each run recorded), warm-up included, then dropped. "
        "Each simulated request costs its work plus the CPU the run measured per request beyond the work: the server's "
        "(system calls, parsing, the thread pool's hand-offs) and, since they share the CPUs, the generator's. That is "
        "a measured input of the model, not a fit to any latency; the same policy with the work alone is beside it. "
        "Latency is timed from each request's intended send (open loop).\n",
        "\n".join(f"- `{Path(s).name}`" for s in sources) + "\n",
        "## The map\n",
        *(f"![{p.stem}]({rel(p)})\n" for p in figures if p.name == "when-map.png"),
        map_markdown(table),
        "## Verdict\n",
        verdict(table, points),
        "## Experiments\n",
        *(f"![{p.stem}]({rel(p)})\n" for p in figures if p.name != "when-map.png"),
        "## Restarts\n",
        restart_markdown(points),
        "## Every point\n",
        points_markdown(points),
    ]
    return "\n".join(parts)
