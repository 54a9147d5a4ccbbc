"""The verdict, computed from the when map and the points: where prefork
wins, where the thread pool wins, by how much, and where the measurement
and the simulated policy disagree. No figure in it is typed by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .experiments import PREFORK, THREADPOOL

AGREE = 0.20  # the issue's bar: measured p99 within 20 % of its simulated policy


def _cell(row) -> str:
    return f"{row['workload']} at {row['utilization']:g}"


def _factor(f: float) -> str:
    return f"×{f:.2f}" if f >= 1 else f"×{1 / f:.2f}"


def _group(table: pd.DataFrame, who: str) -> str:
    rows = table[table["winner"] == who]
    if rows.empty:
        return "nowhere"
    parts = []
    for _, row in rows.iterrows():
        parts.append(f"{_cell(row)} ({_factor(row['factor'])}, theory {_factor(row['theory_factor'])})"
                     if math.isfinite(row["theory_factor"]) else f"{_cell(row)} ({_factor(row['factor'])})")
    return "; ".join(parts)


def off_by(measured: float, theory: float) -> float:
    return measured / theory - 1 if theory > 0 and math.isfinite(theory) else float("nan")


def agreement_rows(points: pd.DataFrame) -> pd.DataFrame:
    """The done-when cells: exponential keep-alive at 0.5 and 0.8, threadpool and prefork-epoll."""
    chosen = points[(points["scenario"] == "when-dispersion") & points["series"].isin([THREADPOOL, PREFORK])
                    & points["utilization"].isin([0.5, 0.8])].copy()
    chosen["off"] = [off_by(m, t) for m, t in zip(chosen["p99_ms"], chosen["theory_p99_ms"])]
    chosen["within"] = chosen["off"].abs() <= AGREE
    return chosen[["series", "utilization", "p99_ms", "theory_p99_ms", "off", "within", "requests", "policy"]]


def disagreements(points: pd.DataFrame) -> pd.DataFrame:
    """Every point (not saturated) whose measured p99 is off its simulated policy by more than AGREE."""
    rows = points[np.isfinite(points["theory_p99_ms"]) & ~points["saturated"]].copy()
    rows["off"] = [off_by(m, t) for m, t in zip(rows["p99_ms"], rows["theory_p99_ms"])]
    return rows[rows["off"].abs() > AGREE]


def verdict(table: pd.DataFrame, points: pd.DataFrame) -> str:
    if table.empty:
        return "No when-map cell has both threadpool and prefork-epoll measured: nothing to conclude yet.\n"
    lines = [
        f"Prefork (SO_REUSEPORT, one process per worker) has the lower p99 by more than 10 % in: {_group(table, 'prefork')}.",
        f"The thread pool has it in: {_group(table, 'threadpool')}.",
        f"Within 10 % (a tie): {_group(table, 'tie')}.",
    ]
    contrary = table[(table["winner"] != table["theory_winner"]) & (table["theory_winner"] != "")]
    if not contrary.empty:
        lines.append("Measurement and theory name different winners in: "
                     + "; ".join(f"{_cell(r)} (measured {r['winner']}, theory {r['theory_winner']})"
                                 for _, r in contrary.iterrows()) + ".")
    control = table[np.isfinite(table["control_p99_ms"])]
    if not control.empty:
        parts = [f"{_cell(r)}: threads twin p99 {r['control_p99_ms']:.2f} ms vs prefork {r['prefork_p99_ms']:.2f} ms"
                 for _, r in control.iterrows()]
        lines.append("The reuseport threads twin (prefork's queues in one process) separates queues from processes: "
                     + "; ".join(parts) + ".")
    agree = agreement_rows(points)
    if not agree.empty:
        parts = [f"{r['series']} at {r['utilization']:g}: measured {r['p99_ms']:.2f} ms, simulated {r['theory_p99_ms']:.2f} ms "
                 f"({r['off']:+.0%}, {'within' if r['within'] else 'outside'} 20 %)" for _, r in agree.iterrows()]
        lines.append("Exponential keep-alive against its simulated policy: " + "; ".join(parts) + ".")
    off = disagreements(points)
    if not off.empty:
        lines.append(f"{len(off)} of {int(np.isfinite(points['theory_p99_ms']).sum())} points are off their simulated "
                     "policy by more than 20 % at p99: "
                     + "; ".join(f"{r['scenario']} {r['server']} {r['cost_kind']} at {r['utilization']:g} ({r['off']:+.0%}"
                                 + (f"; {r['client_bound_runs']} of {r['repetitions']} runs client-bound: the generator "
                                    "could not send on time, a disturbance of the machine, not the server"
                                    if r.get('client_bound_runs', 0) else "") + ")"
                                 for _, r in off.iterrows()) + ".")
    return "\n\n".join(lines) + "\n"
