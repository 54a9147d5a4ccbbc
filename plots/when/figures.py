"""The figures of the when experiments: each measured curve (solid, the
points pooled over repetitions, a bar from the lowest to the highest
repetition's own p99) beside its model's simulated policy on the same
requests (dashed, the same colour), each request costing its work plus the
CPU the run measured per request beyond it (server and generator); dotted,
the same policy with the work alone. Latency is in units of the mean cost S;
a point whose generator timed requests out, or that answered under 97 % of
the offered rate, is saturated and hollow."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ..style import color_for
from .experiments import CONTROL, PREFORK, THREADPOOL

ORDER = (THREADPOOL, PREFORK, CONTROL, "accept-mutex-epoll", "accept-mutex-blocking")
COST_ORDER = ("fixed", "exp", "bimodal-1", "bimodal-2")
PANEL = (4.6, 3.8)


def _series(points: pd.DataFrame) -> list[str]:
    present = list(dict.fromkeys(points["series"]))
    return [s for s in ORDER if s in present] + [s for s in present if s not in ORDER]


def _x_positions(values, categories):
    if categories is None:
        return np.asarray(values, dtype=float)
    return np.array([categories.index(v) for v in values], dtype=float)


def latency_panel(ax, points: pd.DataFrame, x: str, percentile: str = "p99", categories=None,
                  title: str = "", xlabel: str = "") -> None:
    """percentile/S against x, one solid line per model and its dashed theory."""
    for series in _series(points):
        rows = points[points["series"] == series]
        if categories is not None:
            rows = rows[rows[x].isin(categories)].assign(_order=lambda r: [categories.index(v) for v in r[x]])
            rows = rows.sort_values("_order")
        else:
            rows = rows.sort_values(x)
        if rows.empty:
            continue
        color = color_for(series)
        xs = _x_positions(rows[x], categories)
        scale = rows["mean_work_ms"].to_numpy()
        measured = rows[f"{percentile}_ms"].to_numpy() / scale
        ax.plot(xs, measured, "-o", color=color, label=series, markersize=5, zorder=3)
        saturated = rows["saturated"].to_numpy(dtype=bool)
        if saturated.any():
            ax.plot(xs[saturated], measured[saturated], "o", color="white", markeredgecolor=color, markersize=7, zorder=4)
        if percentile == "p99":
            low = rows["p99_min_ms"].to_numpy() / scale
            high = rows["p99_max_ms"].to_numpy() / scale
            ax.vlines(xs, low, high, color=color, alpha=0.5, linewidth=3, zorder=2)
        theory = rows[f"theory_{percentile}_ms"].to_numpy() / scale
        if np.isfinite(theory).any():
            ax.plot(xs, theory, "--", color=color, marker="x", markersize=5, alpha=0.9, zorder=3)
        bare = rows[f"work_only_{percentile}_ms"].to_numpy() / scale if f"work_only_{percentile}_ms" in rows else []
        if len(bare) and np.isfinite(bare).any():
            ax.plot(xs, bare, ":", color=color, linewidth=1, alpha=0.7, zorder=2)
    ax.set_yscale("log")
    ax.set_ylabel(f"{percentile} / S")
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(xlabel)
    if categories is not None:
        ax.set_xticks(range(len(categories)), categories)
        ax.set_xlim(-0.5, len(categories) - 0.5)
    ax.grid(True, which="both", alpha=0.25)


def legend(fig: Figure, points: pd.DataFrame) -> None:
    """The models and the marks, in the first panel (matplotlib 3.6 has no
    legend outside a constrained layout)."""
    handles = [Line2D([], [], color=color_for(s), marker="o", label=s) for s in _series(points)]
    handles += [Line2D([], [], color="0.3", linestyle="--", marker="x",
                       label="simulated policy, same requests, measured CPU/request"),
                Line2D([], [], color="0.3", linestyle=":", linewidth=1, label="simulated, the work alone"),
                Line2D([], [], color="0.3", marker="o", markerfacecolor="white", linestyle="", label="fell behind: timeouts, < 97 % answered, or requests waiting for a connection"),
                Line2D([], [], color="0.3", linewidth=3, alpha=0.5, label="p99 range of repetitions")]
    fig.axes[0].legend(handles=handles, loc="upper left", fontsize=7, framealpha=0.85)


def _figure(panels: int) -> tuple[Figure, list]:
    fig = Figure(figsize=(PANEL[0] * panels, PANEL[1] + 0.9), layout="constrained")
    axes = fig.subplots(1, panels, squeeze=False)[0]
    return fig, list(axes)


def save(fig: Figure, out: Path, name: str) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"when-{name}.png"
    fig.savefig(path, dpi=110)
    return path


def _utilization_panels(points, axes, title):
    latency_panel(axes[0], points, "utilization", "p99", title=f"{title}: p99", xlabel="utilisation")
    latency_panel(axes[1], points, "utilization", "p50", title=f"{title}: p50", xlabel="utilisation")


def dispersion(points: pd.DataFrame, out: Path) -> Path | None:
    exp = points[(points["scenario"] == "when-dispersion")]
    at_08 = points[(points["utilization"] == 0.8) & points["scenario"].isin(["when-dispersion", "when-dispersion-shape"])]
    if exp.empty and at_08.empty:
        return None
    fig, axes = _figure(3)
    _utilization_panels(exp, axes, "exponential")
    latency_panel(axes[2], at_08, "cost_kind", "p99", categories=[c for c in COST_ORDER if c in set(at_08["cost_kind"])],
                  title="p99 at utilisation 0.8, by cost", xlabel="cost (mean S = 1 ms)")
    fig.suptitle("When 1: dispersion of the costs, keep-alive, 2 workers on 2 CPUs")
    legend(fig, points[points["scenario"].isin(["when-dispersion", "when-dispersion-shape"])])
    return save(fig, out, "dispersion")


def per_cost(points: pd.DataFrame, out: Path, name: str, title: str) -> Path | None:
    """p99/S against utilisation, a panel per cost."""
    if points.empty:
        return None
    cats = [c for c in COST_ORDER if c in set(points["cost_kind"])]
    fig, axes = _figure(len(cats))
    for ax, cost in zip(axes, cats):
        latency_panel(ax, points[points["cost_kind"] == cost], "utilization", "p99", title=f"{cost}: p99",
                      xlabel="utilisation")
    fig.suptitle(title)
    legend(fig, points)
    return save(fig, out, name)


def global_state(points: pd.DataFrame, out: Path) -> Path | None:
    if points.empty:
        return None
    fig, axes = _figure(2)
    latency_panel(axes[0], points, "critical_share", "p99", title="p99", xlabel="share of the work under the lock")
    latency_panel(axes[1], points, "critical_share", "p50", title="p50", xlabel="share of the work under the lock")
    fig.suptitle("When 3: a per-request critical section (one mutex per process), utilisation 0.8")
    legend(fig, points)
    return save(fig, out, "global-state")


def pauses(points: pd.DataFrame, out: Path) -> Path | None:
    if points.empty:
        return None
    fig, axes = _figure(2)
    _utilization_panels(points, axes, "exponential, pauses 5/100 ms")
    fig.suptitle("When 4: process-wide pauses, each process on its own clock")
    legend(fig, points)
    return save(fig, out, "pauses")


def few_connections(open_points: pd.DataFrame, closed_points: pd.DataFrame, out: Path) -> Path | None:
    if open_points.empty and closed_points.empty:
        return None
    fig, axes = _figure(2)
    latency_panel(axes[0], open_points, "connections", "p99", title="open loop at 0.8: p99", xlabel="keep-alive connections")
    axes[0].set_xscale("log", base=2)
    ax = axes[1]
    for series in _series(closed_points):
        rows = closed_points[closed_points["series"] == series].sort_values("connections")
        color = color_for(series)
        ax.plot(rows["connections"], rows["achieved_rps"], "-o", color=color, label=series)
        ax.plot(rows["connections"], rows["theory_rps"], "--x", color=color)
    if not closed_points.empty:
        n = np.array(sorted(set(closed_points["connections"])), dtype=float)
        s = float(closed_points["mean_work_ms"].iloc[0])
        ax.plot(n, 2 * (1 - 0.5 ** n) * 1e3 / s, ":", color="0.4", label="expected with a uniform hash, 2 workers")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("keep-alive connections")
    ax.set_ylabel("requests/s")
    ax.set_title("closed loop: throughput (dashed: the run's own split)", fontsize=10)
    ax.grid(True, alpha=0.25)
    ax.legend(fontsize=7)
    fig.suptitle("When 5: few connections, fixed 1 ms work, 2 workers")
    legend(fig, open_points if not open_points.empty else closed_points)
    return save(fig, out, "few-connections")


def restart(points: pd.DataFrame, out: Path) -> Path | None:
    if points.empty:
        return None
    fig = Figure(figsize=(9, 4.2), layout="constrained")
    ax = fig.subplots()
    labels = list(dict.fromkeys(points["server"]))
    width = 0.38
    for i, (scenario, name) in enumerate((("when-restart", "keep-alive"), ("when-restart-churn", "new connection per request"))):
        rows = points[points["scenario"] == scenario].set_index("server")
        values = [rows["errors"].get(label, np.nan) / max(rows["restarts"].get(label, 1), 1) for label in labels]
        expected = [rows["expected_lost"].get(label, np.nan) for label in labels] if "expected_lost" in rows else []
        xs = np.arange(len(labels)) + (i - 0.5) * width
        ax.bar(xs, values, width, label=f"{name}: errors per restart", color=("#1f77b4", "#ff7f0e")[i], alpha=0.8)
        if expected:
            ax.plot(xs, expected, "_", color="black", markersize=18, markeredgewidth=2)
    ax.plot([], [], "_", color="black", markersize=12, markeredgewidth=2, label="in flight on the worker (Little, simulated W)")
    ax.set_xticks(range(len(labels)), labels, rotation=25, ha="right", fontsize=8)
    ax.set_ylabel("client errors per restart")
    ax.set_title("When 6: one worker killed or replaced every 10 s, utilisation 0.5", fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(True, axis="y", alpha=0.25)
    return save(fig, out, "restart")
