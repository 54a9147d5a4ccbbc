"""The when map: for each workload and utilisation, which of the thread
pool and prefork (SO_REUSEPORT) has the lower p99, by what factor, measured
and simulated on the same requests; the reuseport threads twin beside them
says whether a difference comes from the queues or from the processes."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure

from .experiments import CONTROL, MAP_ROWS, MAP_UTILIZATIONS, PREFORK, THREADPOOL, TIE

COLUMNS = ["workload", "utilization", "threadpool_p99_ms", "prefork_p99_ms", "control_p99_ms",
           "threadpool_theory_p99_ms", "prefork_theory_p99_ms", "control_theory_p99_ms",
           "factor", "theory_factor", "winner", "theory_winner", "saturated", "requests"]


def _pick(points: pd.DataFrame, row, utilization: float, series: str) -> pd.Series | None:
    chosen = points[(points["scenario"] == row.scenario) & (points["series"] == series)
                    & np.isclose(points["utilization"], utilization) & ~points["closed_loop"]]
    for column, value in row.where.items():
        chosen = chosen[np.isclose(chosen[column], value)] if isinstance(value, float) else chosen[chosen[column] == value]
    return chosen.iloc[0] if len(chosen) else None


def winner(factor: float) -> str:
    """factor = threadpool p99 / prefork p99."""
    if not math.isfinite(factor):
        return ""
    if factor > TIE:
        return "prefork"
    if factor < 1 / TIE:
        return "threadpool"
    return "tie"


def map_table(points: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for row in MAP_ROWS:
        for utilization in MAP_UTILIZATIONS:
            tp, pe, ctl = (_pick(points, row, utilization, s) for s in (THREADPOOL, PREFORK, CONTROL))
            if tp is None or pe is None:
                continue
            get = lambda p, c: float(p[c]) if p is not None else np.nan  # noqa: E731
            factor = get(tp, "p99_ms") / get(pe, "p99_ms")
            theory = get(tp, "theory_p99_ms") / get(pe, "theory_p99_ms")
            rows.append({
                "workload": row.label, "utilization": utilization,
                "threadpool_p99_ms": get(tp, "p99_ms"), "prefork_p99_ms": get(pe, "p99_ms"),
                "control_p99_ms": get(ctl, "p99_ms"),
                "threadpool_theory_p99_ms": get(tp, "theory_p99_ms"), "prefork_theory_p99_ms": get(pe, "theory_p99_ms"),
                "control_theory_p99_ms": get(ctl, "theory_p99_ms"),
                "factor": factor, "theory_factor": theory,
                "winner": winner(factor), "theory_winner": winner(theory),
                "saturated": ", ".join(s for s, p in ((THREADPOOL, tp), (PREFORK, pe)) if bool(p["saturated"])),
                "requests": int(min(tp["requests"], pe["requests"])),
            })
    return pd.DataFrame(rows, columns=COLUMNS)


def _factor_text(factor: float, theory: float) -> str:
    def one(f):
        if not math.isfinite(f):
            return "–"
        return f"×{f:.2f}" if f >= 1 else f"×{1 / f:.2f}"
    return f"{one(factor)}\n(theory {one(theory)})"


def map_figure(table: pd.DataFrame, out: Path) -> Path | None:
    """A heatmap: rows the workloads, columns the utilisations; blue where
    prefork has the lower p99, orange where the thread pool has, the factor
    measured and (below) simulated."""
    if table.empty:
        return None
    workloads = list(dict.fromkeys(table["workload"]))
    utilizations = list(MAP_UTILIZATIONS)
    grid = np.full((len(workloads), len(utilizations)), np.nan)
    fig = Figure(figsize=(7.5, 0.55 * len(workloads) + 1.8), layout="constrained")
    ax = fig.subplots()
    for _, row in table.iterrows():
        i, j = workloads.index(row["workload"]), utilizations.index(row["utilization"])
        grid[i, j] = math.log2(row["factor"]) if row["factor"] > 0 else np.nan
        text = _factor_text(row["factor"], row["theory_factor"])
        if row["saturated"]:
            text += "\nsaturated: " + row["saturated"]
        ax.text(j, i, text, ha="center", va="center", fontsize=7)
    limit = max(1.0, float(np.nanmax(np.abs(grid)))) if np.isfinite(grid).any() else 1.0
    image = ax.imshow(grid, cmap="PuOr_r", norm=TwoSlopeNorm(0, -limit, limit), aspect="auto")
    ax.set_xticks(range(len(utilizations)), [f"utilisation {u:g}" for u in utilizations])
    ax.set_yticks(range(len(workloads)), workloads, fontsize=8)
    bar = fig.colorbar(image, ax=ax, shrink=0.8)
    bar.set_label("log2(threadpool p99 / prefork p99)\n> 0: prefork wins", fontsize=8)
    ax.set_title("When does prefork win? p99 of threadpool vs prefork-epoll (SO_REUSEPORT)", fontsize=10)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "when-map.png"
    fig.savefig(path, dpi=110)
    return path
