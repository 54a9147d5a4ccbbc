"""The summary of an idle-connections scenario (mode = "idle-connections").

Its runs.csv rows leave wrk's columns empty and fill the idle_* ones
(harness/results/results_writer.cpp); summary.md shows one table of bytes
per held connection and new-connection probe latency instead of wrk's.
Each run below held 2,000 connections of a server whose PSS was 2 MiB before.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from plots import summary
from plots.figures import plot_all
from plots.load import RUNS_REQUIRED, load_results, load_runs
from plots.tables import IDLE_COLUMNS, idle_table, is_idle

# Cells of an idle table row, by position.
SERVER, KIND, CONNECTIONS, RUNS_OK, PER_CONNECTION, PSS_BEFORE, PSS_HELD, P50, P99, MAX, DROPPED, PROCESSES, \
    JAIN = range(13)


def idle_run(run_id: int, server: str, bytes_per_connection: float, p99_ms: float, **changes) -> dict:
    """One idle-connections row of runs.csv; wrk's columns empty, as the harness writes them."""
    row = {name: "" for name in RUNS_REQUIRED}
    before_kib = 2048
    row.update(run_id=run_id, server=server, kind="ours", model="prefork-epoll", flags="", repetition=run_id,
               connections=2000, delay_ms=0, work_ms=0, status="ok", reason="", jain_connections=1.0,
               mode="idle-connections", idle_held=2000, idle_pss_before_kib=before_kib,
               idle_pss_held_kib=before_kib + bytes_per_connection * 2000 / 1024,
               idle_bytes_per_connection=bytes_per_connection, idle_server_processes=3, idle_probes=50,
               idle_probe_p50_ms=0.05, idle_probe_p99_ms=p99_ms, idle_probe_max_ms=p99_ms + 1, idle_dropped=0)
    row.update(changes)
    return row


def dropped(run_id: int, server: str) -> dict:
    """A run that failed because the server closed 7 held connections: no PSS with all held."""
    return idle_run(run_id, server, 0, 0, status="failed", reason="the server closed 7 of the 2000 held connections",
                    idle_held="", idle_pss_held_kib="", idle_bytes_per_connection="", idle_server_processes="",
                    idle_probes=0, idle_probe_p50_ms="", idle_probe_p99_ms="", idle_probe_max_ms="", idle_dropped=7)


META = {"scenario": {"name": "idle-connections", "description": "What does a held connection cost?\n"},
        "host": {"hostname": "test-host"}, "started_utc": "2026-12-01T10:00:00Z", "mode": "idle-connections",
        "pinning": {"mode": "split", "description": "server=0 wrk=1"},
        "idle": {"connections": 2000, "batch": 100, "probes": 50, "settle": "2s", "settle_s": 2.0}}


def results_dir(tmp_path: Path, runs: list[dict]) -> Path:
    path = tmp_path / "results"
    path.mkdir()
    pd.DataFrame(runs).to_csv(path / "runs.csv", index=False)
    (path / "meta.json").write_text(json.dumps(META), encoding="utf-8")
    (path / "latency.csv").write_text("run_id,server,percentile,latency_ms\n", encoding="utf-8")
    (path / "workers.csv").write_text("run_id,server,worker,pid,connections,requests\n", encoding="utf-8")
    return path


RUNS = [
    idle_run(1, "prefork-epoll", 120, 0.25), idle_run(2, "threadpool", 1250, 1.9),
    idle_run(3, "prefork-epoll", 130, 0.35), idle_run(4, "threadpool", 1240, 1.7),
    idle_run(5, "prefork-epoll", 125, 0.30), dropped(6, "threadpool"),
]


def table_row(text: str, server: str) -> list[str]:
    for line in text.splitlines():
        if line.startswith(f"| {server} |"):
            return line[2:-2].split(" | ")
    return []


def test_idle_runs_are_recognised(tmp_path):
    results = load_runs(results_dir(tmp_path, RUNS))
    assert is_idle(results.runs)
    assert results.runs["mode"].dtype == object  # text, not a number


def test_wrk_results_without_a_mode_column_are_not_idle(results_a):
    assert not is_idle(results_a.runs)


def test_idle_table_has_medians_over_the_successful_runs(tmp_path):
    table = idle_table(load_runs(results_dir(tmp_path, RUNS)))
    assert tuple(table.columns) == IDLE_COLUMNS
    assert list(table["server"]) == ["prefork-epoll", "threadpool"]
    prefork = table.iloc[0]
    assert (prefork["runs_ok"], prefork["runs_total"]) == (3, 3)
    assert prefork["bytes_per_connection"] == 125
    assert (prefork["bytes_per_connection_min"], prefork["bytes_per_connection_max"]) == (120, 130)
    assert prefork["probe_p99_ms"] == 0.30
    assert prefork["probe_max_ms"] == 1.35  # the slowest probe of any run
    assert prefork["pss_before_mib"] == 2
    assert prefork["dropped"] == 0
    pool = table.iloc[1]
    assert (pool["runs_ok"], pool["runs_total"]) == (2, 3)
    assert pool["bytes_per_connection"] == 1245  # the failed run is not in the median
    assert pool["dropped"] == 7  # ... but its dropped connections show


def test_summary_shows_the_idle_table_its_parameters_and_the_failed_run(tmp_path):
    text = summary.summary_markdown(load_runs(results_dir(tmp_path, RUNS)))
    assert "| server | kind | connections | runs ok/total | bytes/connection median (min–max) |" in text
    assert "req/s" not in text
    assert "Each run opened 2,000 keep-alive connections, 100 at a time" in text
    assert "timed 50 requests each on a new connection" in text
    row = table_row(text, "prefork-epoll")
    assert len(row) == 13
    assert row[PER_CONNECTION] == "125 (120–130)"
    assert (row[P50], row[P99], row[MAX], row[DROPPED], row[PROCESSES], row[JAIN]) == (
        "0.05", "0.30", "1.35", "0", "3", "1.00")
    assert table_row(text, "threadpool")[DROPPED] == "7"
    assert "run 6 (threadpool, 2000 connections, repetition 6): failed — the server closed 7" in text


def test_summary_csv_is_the_idle_table(tmp_path):
    path = results_dir(tmp_path, RUNS)
    text = summary.summary_csv(load_runs(path))
    assert text.splitlines()[0] == ",".join(IDLE_COLUMNS)


def test_no_wrk_figures_for_an_idle_scenario(tmp_path):
    assert plot_all(load_results(results_dir(tmp_path, RUNS))) == []
