"""The runs of a when-* results directory, one row each, with what the
theory needs beside what was measured: the model's layout read from its
flags (workers, processes or threads, listener, critical section, pauses),
the cost, the offered load, the connections each worker accepted, the
generator's command, and the pooled-histogram inputs (the load reports)."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..load import Results, load_results
from ..run_selection import measured

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)$")
_SECONDS = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration_s(text: str) -> float:
    """"5ms" -> 0.005: the project's duration syntax (common/units.hpp)."""
    match = _DURATION.match(text.strip())
    if not match:
        raise ValueError(f"not a duration: {text!r}")
    return float(match.group(1)) * _SECONDS[match.group(2)]


@dataclass(frozen=True)
class Layout:
    """How a server's workers are laid out, from its model and flags."""

    model: str
    workers: int
    io: str                # accept-mutex-fork --io (epoll, blocking); "" otherwise
    threads: bool          # prefork-epoll --as threads: one process
    listener: str          # "reuseport", "shared" or "" (the threadpool's one acceptor)
    critical_share: float
    pause_s: tuple[float, float] | None  # (P, T)

    @property
    def one_process(self) -> bool:
        return self.model == "threadpool" or self.threads


def _flag(flags: list[str], name: str) -> str | None:
    for i, flag in enumerate(flags):
        if flag == name and i + 1 < len(flags):
            return flags[i + 1]
        if flag.startswith(name + "="):
            return flag[len(name) + 1:]
    return None


def layout_of(model: str, flags: str, default_workers: int = 2) -> Layout:
    """default_workers: the servers' default --workers, the host's online CPUs."""
    words = shlex.split(flags) if isinstance(flags, str) else []
    pause = _flag(words, "--pause")
    pause_s = None
    if pause:
        length, period = pause.split("/")
        pause_s = (parse_duration_s(length), parse_duration_s(period))
    listener = _flag(words, "--listener") or ("reuseport" if model == "prefork-epoll" else "")
    return Layout(
        model=model,
        workers=int(_flag(words, "--workers") or default_workers),
        io=_flag(words, "--io") or ("epoll" if model == "accept-mutex-fork" else ""),
        threads=_flag(words, "--as") == "threads",
        listener=listener,
        critical_share=float(_flag(words, "--critical-section") or 0),
        pause_s=pause_s,
    )


def load_commands(results: Results) -> dict[int, list[str]]:
    """run_id -> prefork-load's argv, as meta.json recorded it."""
    out = {}
    for run in results.meta.get("runs", []):
        command = run.get("wrk_command") or ""
        if "prefork-load" in command:
            out[int(run["run_id"])] = shlex.split(command)
    return out


def connections_per_worker(results: Results, run_id: int) -> list[int]:
    """Connections each worker accepted in the measured window, worker 0 first."""
    rows = results.workers[results.workers["run_id"] == run_id].sort_values("worker")
    return [int(c) for c in rows["connections"]]


def report_path(results: Results, run_id: int) -> Path:
    return results.path / "raw" / f"run-{run_id:03d}-load-report.json"


def when_runs(path) -> tuple[Results, pd.DataFrame]:
    """The results at path and their measured open-loop runs, with a Layout each."""
    results = load_results(path)
    runs = measured(results.runs)
    runs = runs[runs["generator"] == "open"].copy()
    cpus = int(results.meta.get("host", {}).get("online_cpus") or 2)
    runs["layout"] = [layout_of(m, f, cpus) for m, f in zip(runs["model"], runs["flags"].fillna(""))]
    commands = load_commands(results)
    runs["connect_per_request"] = runs["run_id"].map(lambda r: "--connect-per-request" in commands.get(int(r), []))
    runs["closed_loop"] = runs.get("loop", pd.Series("open", index=runs.index)).fillna("open") == "closed"
    return results, runs


_COST = re.compile(r"work=(\w+):")
_MEAN = re.compile(r"work=(?:fixed|exp):([0-9.]+\w+)")
_BIMODAL = re.compile(r"work=bimodal:([0-9.]+):([0-9.]+\w+):([0-9.]+\w+)")


def mean_work_ms(cost: str) -> float:
    """The mean work of a cost string (fixed, exp, bimodal), in ms; NaN otherwise."""
    if not isinstance(cost, str):
        return float("nan")
    if match := _BIMODAL.search(cost):
        p = float(match.group(1))
        return (p * parse_duration_s(match.group(2)) + (1 - p) * parse_duration_s(match.group(3))) * 1e3
    if match := _MEAN.search(cost):
        return parse_duration_s(match.group(1)) * 1e3
    return float("nan")


def cost_kind(cost: str) -> str:
    """"fixed", "exp", "bimodal-1", "bimodal-2" or the cost itself."""
    if not isinstance(cost, str):
        return ""
    if "bimodal:0.9:" in cost:
        return "bimodal-1"
    if "bimodal:0.999:" in cost:
        return "bimodal-2"
    match = _COST.search(cost)
    return match.group(1) if match else cost
