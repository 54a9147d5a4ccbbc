"""plots.summary: summary.md and summary.csv of one results directory, as the harness asks for them.

The runs are written as runs.csv the way the harness writes it. Each run
(run()) lasts 10 s with 512 connections and a handler that waits 100 ms, so
the Little bound is 5,120 req/s; its server used 2 s of CPU (20 % of the
10 s) and 10 MiB, wrk 5 s (50 %); wrk counted `id` timeouts; its two workers
accepted 256 connections each (Jain 1.00, nothing unserved).
"""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from plots import summary
from plots.load import load_runs
from plots.tables import SUMMARY_COLUMNS

REPO = Path(__file__).resolve().parents[2]
# The reference runs, and the check runs of issue 10: two of those were
# summarised by the C++ harness before the summary moved here.
COMMITTED = sorted((REPO / "results" / "vm").glob("*/summary.md")) + sorted(
    (REPO / "results" / "checks").glob("*/vm/*/summary.md"))

# Cells of a table row, by position.
SERVER, KIND, CONNECTIONS, RUNS_OK, REQUESTS, P50, P99, P99_9, EFFICIENCY, BOUND, ERRORS, UNSERVED, \
    SERVER_CPU, WRK_CPU, CPU_PER_REQUEST, RSS, JAIN = range(17)


def run(run_id: int, server: str, requests_per_s: float, p99_ms: float, **changes) -> dict:
    """One row of runs.csv; changes override any column (connections=256, delay_ms=0, ...)."""
    row = dict(run_id=run_id, server=server, kind="ours", model="prefork-epoll", flags="", repetition=run_id,
               connections=512, threads=4, delay_ms=100, work_ms=0, status="ok", reason="", duration_s=10,
               requests=requests_per_s * 10, latency_p50_ms=100.5, latency_p99_ms=p99_ms,
               latency_p99_9_ms=p99_ms + 10, errors_connect=0, errors_read=0, errors_write=0, errors_status=0,
               errors_timeout=run_id, server_cpu_s=2, server_rss_mib=10, workers=(256, 256), listen_queue_median=None)
    row.update(changes)
    return row


def failed(run_id: int, server: str, reason: str) -> dict:
    """A run that failed after measuring values that must not reach a median."""
    return run(run_id, server, 99999, 9999, status="failed", reason=reason)


def runs_csv_row(row: dict) -> dict:
    """The derived columns the harness writes beside what it measured."""
    row = dict(row)
    workers = row.pop("workers")
    queue = row.pop("listen_queue_median")
    bound = row["connections"] / ((row["delay_ms"] + row["work_ms"]) / 1000) if row["delay_ms"] > 0 else None
    rps = row["requests"] / row["duration_s"]
    accepted = sum(workers)
    row.update(
        requests_per_s=rps,
        server_cpu_percent=100 * row["server_cpu_s"] / row["duration_s"],
        wrk_cpu_percent=100 * 5 / row["duration_s"],
        jain_connections=accepted ** 2 / (len(workers) * sum(w * w for w in workers)) if accepted else None,
        unserved_connections=queue if row["kind"] == "peer" else
        (max(row["connections"] - accepted, 0) if workers else None),
        little_bound_rps=bound,
        efficiency=rps / bound if bound else None,
    )
    return row


def context(pinning="server=0-1 wrk=2-3", started="2024-05-01T10:00:00Z",
            description="Does prefork beat a thread pool?\n") -> dict:
    meta = {"scenario": {"name": "fasthttp-claim", "description": description},
            "host": {"hostname": "test-host (4 CPUs)"}, "started_utc": started}
    if pinning is not None:
        meta["pinning"] = {"mode": "split", "description": pinning}
    return meta


def results_dir(tmp_path: Path, runs: list[dict], meta: dict | None = None, name: str = "results") -> Path:
    """A results directory holding runs as runs.csv, and meta.json."""
    path = tmp_path / name
    path.mkdir()
    pd.DataFrame([runs_csv_row(r) for r in runs]).to_csv(path / "runs.csv", index=False)
    (path / "meta.json").write_text(json.dumps(meta or context()), encoding="utf-8")
    return path


def markdown(tmp_path: Path, runs: list[dict], meta: dict | None = None) -> str:
    return summary.summary_markdown(load_runs(results_dir(tmp_path, runs, meta)))


def table_row(text: str, server: str) -> list[str]:
    """The cells of the table row whose first cell is server."""
    for line in text.splitlines():
        if line.startswith(f"| {server} |"):
            return line[2:-2].split(" | ")
    return []


def cells(text: str, server: str, *positions: int) -> tuple[str, ...]:
    """The server's table cells at these positions (of all 17)."""
    row = table_row(text, server)
    assert len(row) == 17
    return tuple(row[i] for i in positions)


def rows_starting_with(text: str, prefix: str) -> int:
    return sum(line.startswith(prefix) for line in text.splitlines())


THREE_SERVERS = [
    run(1, "prefork", 5000, 110), run(2, "threadpool", 4000, 200),
    failed(3, "accept-mutex", "server exited with status 1"),
    run(4, "prefork", 5100, 130), run(5, "threadpool", 4200, 300), run(6, "accept-mutex", 3000, 400),
    run(7, "prefork", 4900, 120), run(8, "threadpool", 4100, 250), run(9, "accept-mutex", 3200, 500),
]


@pytest.fixture
def three_servers(tmp_path) -> str:
    return markdown(tmp_path, THREE_SERVERS)


# ---- the document -----------------------------------------------------------

def test_title_start_description_and_pinning(three_servers):
    assert three_servers.splitlines()[:7] == [
        "# fasthttp-claim on test-host (4 CPUs)", "",
        "Started 2024-05-01 10:00 UTC.", "",
        "Does prefork beat a thread pool?", "",  # the description's own line break trimmed
        "CPU pinning: server=0-1 wrk=2-3 (wrk and the server on disjoint CPUs).",
    ]


@pytest.mark.parametrize("pinning, sentence", [
    ("none", "wrk and the server were not pinned: they shared all CPUs."),
    (None, "CPU pinning was not recorded."),
])
def test_pinning_sentence_without_split_pinning(tmp_path, pinning, sentence):
    text = markdown(tmp_path, [run(1, "prefork", 5000, 110)], context(pinning=pinning))
    assert f"\n\n{sentence}\n\n| server |" in text


def test_no_start_line_without_a_start_time(tmp_path):
    text = markdown(tmp_path, [run(1, "prefork", 5000, 110)], context(started=None))
    assert "Started" not in text
    assert text.startswith("# fasthttp-claim on test-host (4 CPUs)\n\nDoes prefork")


def test_one_table_row_per_server_in_first_appearance_order(three_servers):
    servers = ("prefork", "threadpool", "accept-mutex")
    assert [rows_starting_with(three_servers, f"| {s} |") for s in servers] == [1, 1, 1]
    assert three_servers.index("| prefork |") < three_servers.index("| threadpool |") < three_servers.index(
        "| accept-mutex |")
    assert rows_starting_with(three_servers, "|") == 5  # header, alignment and three rows: one table


def test_header_and_alignment(three_servers):
    lines = [line for line in three_servers.splitlines() if line.startswith("|")]
    assert lines[0] == ("| server | kind | connections | runs ok/total | req/s median (min–max) | p50 ms | p99 ms "
                        "| p99.9 ms | efficiency % | Little bound req/s | errors | unserved conns | server CPU % "
                        "| wrk CPU % | server CPU µs/req | RSS MiB | Jain |")
    assert lines[1] == "| --- | --- |" + " --: |" * 15


def test_medians_over_three_runs(three_servers):
    row = table_row(three_servers, "prefork")
    assert len(row) == 17
    assert row[KIND] == "ours"
    assert row[CONNECTIONS] == "512"
    assert row[RUNS_OK] == "3/3"
    assert row[REQUESTS] == "5,000 (4,900–5,100)"
    assert row[P50] == "100.5"
    assert row[P99] == "120.0"
    assert row[P99_9] == "130.0"
    assert row[EFFICIENCY] == "97.7"  # 5,000 / 5,120
    assert row[BOUND] == "5,120"
    assert row[ERRORS] == "4"  # timeouts 1, 4, 7
    assert row[UNSERVED] == "0"
    assert row[SERVER_CPU] == "20.0"  # 2 s of CPU in 10 s
    assert row[WRK_CPU] == "50.0"
    assert row[CPU_PER_REQUEST] == "40.0"  # 2 s / 50,000 requests
    assert row[RSS] == "10.0"
    assert row[JAIN] == "1.00"


def test_failed_run_counted_but_not_in_medians(three_servers):
    # The mean of the two middle values; errors: timeouts 6 and 9.
    assert cells(three_servers, "accept-mutex", RUNS_OK, REQUESTS, P99, ERRORS) == (
        "2/3", "3,100 (3,000–3,200)", "450.0", "7.5")


def test_failed_run_listed_with_its_reason(three_servers):
    section = three_servers.index("\n## Runs that did not succeed\n\n")
    entry = three_servers.index(
        "- run 3 (accept-mutex, 512 connections, repetition 3): failed — server exited with status 1\n")
    assert entry > section
    assert three_servers.endswith("server exited with status 1\n")


def test_failed_run_without_a_reason_says_so(tmp_path):
    text = markdown(tmp_path, [failed(1, "prefork", "")])
    assert "- run 1 (prefork, 512 connections, repetition 1): failed — no reason given\n" in text


def test_no_failure_section_when_all_succeeded(tmp_path):
    text = markdown(tmp_path, [run(1, "prefork", 5000, 110)])
    assert "did not succeed" not in text
    assert text.endswith(summary.LEGEND)


def test_legend_follows_the_table(three_servers):
    assert "| 1.00 |\n\n" + summary.LEGEND + "\n## Runs that did not succeed" in three_servers


def test_runs_that_several_wrk_loaded_say_their_latency_is_merged(tmp_path):
    from plots.summary.notes import MERGED_LATENCY_NOTE

    def noted(name: str, **changes) -> bool:
        results = results_dir(tmp_path, [run(1, "prefork", 50000, 1.5, **changes)], name=name)
        return MERGED_LATENCY_NOTE in summary.summary_markdown(load_runs(results))

    assert noted("merged", latency_exact="false", clients=2)
    assert not noted("one-wrk", latency_exact="true")
    assert not noted("older")  # a runs.csv from before the column


def test_no_bound_without_delay(tmp_path):
    text = markdown(tmp_path, [run(1, "prefork", 50000, 1.5, delay_ms=0)])
    assert cells(text, "prefork", EFFICIENCY, BOUND, REQUESTS, P99) == (
        "–", "–", "50,000 (50,000–50,000)", "1.50")


def test_numbers_formatted_for_reading(tmp_path):
    text = markdown(tmp_path, [run(1, "prefork", 1234567, 1224.5, errors_connect=12345)])
    assert cells(text, "prefork", REQUESTS, P99, P99_9, ERRORS) == (
        "1,234,567 (1,234,567–1,234,567)", "1,224.5", "1,234.5", "12,346")


def test_a_row_per_connection_count(tmp_path):
    text = markdown(tmp_path, [run(1, "prefork", 5000, 110), run(2, "prefork", 2500, 110, connections=256)])
    assert rows_starting_with(text, "| prefork |") == 2
    assert text.index("| prefork | ours | 256 |") < text.index("| prefork | ours | 512 |")
    assert "| prefork | ours | 256 | 1/1 | 2,500 (2,500–2,500) |" in text


def test_peer_row_is_marked_and_counts_the_listen_queue_as_unserved(tmp_path):
    peer = run(1, "apache-prefork-256", 2500, 110, kind="peer", workers=(), listen_queue_median=256)
    text = markdown(tmp_path, [peer])
    # A peer has no per-worker counts: no Jain's index.
    assert cells(text, "apache-prefork-256", KIND, UNSERVED, JAIN) == ("peer", "256", "–")
    assert "*peer*" in text  # the legend explains peers


def test_peers_stand_where_the_scenario_put_them(tmp_path):
    text = markdown(tmp_path, [run(1, "nginx", 5000, 110, kind="peer", workers=()), run(2, "prefork", 5000, 110)])
    assert text.index("| nginx | peer |") < text.index("| prefork | ours |")


def test_all_runs_failed_leaves_dashes(tmp_path):
    text = markdown(tmp_path, [failed(1, "prefork", "no ready line")])
    # The bound comes from the configuration, which a failed run has too.
    assert cells(text, "prefork", RUNS_OK, REQUESTS, P99, BOUND) == ("0/1", "–", "–", "5,120")


def test_bars_and_line_breaks_do_not_break_the_table(tmp_path):
    text = markdown(tmp_path, [failed(1, "a|b", "exit 1 | see\nthe log")])
    assert table_row(text, "a\\|b")[SERVER] == "a\\|b"
    assert "- run 1 (a\\|b, 512 connections, repetition 1): failed — exit 1 \\| see the log\n" in text


def test_no_runs(tmp_path):
    path = results_dir(tmp_path, [run(1, "prefork", 5000, 110)])
    header = (path / "runs.csv").read_text().splitlines()[0]
    (path / "runs.csv").write_text(header + "\n")
    assert summary.summary_markdown(load_runs(path)).endswith(
        "CPU pinning: server=0-1 wrk=2-3 (wrk and the server on disjoint CPUs).\n\nNo runs.\n")


# ---- summary.csv ------------------------------------------------------------

def test_summary_csv_is_the_table_unformatted(tmp_path):
    table = pd.read_csv(io.StringIO(summary.summary_csv(load_runs(results_dir(tmp_path, THREE_SERVERS)))),
                        keep_default_na=False)
    assert tuple(table.columns) == SUMMARY_COLUMNS
    assert list(table["server"]) == ["prefork", "threadpool", "accept-mutex"]
    mutex = table.set_index("server").loc["accept-mutex"]
    assert (mutex["runs_ok"], mutex["runs_total"]) == (2, 3)
    assert (mutex["rps_median"], mutex["rps_min"], mutex["rps_max"]) == (3100, 3000, 3200)
    assert mutex["efficiency"] == pytest.approx(3100 / 5120)  # a fraction, not a percentage
    assert mutex["errors"] == 7.5


def test_summary_csv_leaves_no_value_empty(tmp_path):
    text = summary.summary_csv(load_runs(results_dir(tmp_path, [failed(1, "prefork", "no ready line")])))
    row = dict(zip(*(line.split(",") for line in text.splitlines())))
    assert row["rps_median"] == "" and row["p99_ms"] == "" and row["jain"] == ""
    assert float(row["little_bound"]) == 5120


# ---- writing ----------------------------------------------------------------

def test_write_summary_replaces_both_files_and_leaves_no_temporary(tmp_path):
    path = results_dir(tmp_path, THREE_SERVERS)
    (path / "summary.md").write_text("an older summary\n")
    results = load_runs(path)
    assert summary.write_summary(results) == [path / "summary.md", path / "summary.csv"]
    assert (path / "summary.md").read_text(encoding="utf-8") == summary.summary_markdown(results)
    assert (path / "summary.csv").read_text(encoding="utf-8") == summary.summary_csv(results)
    assert sorted(p.name for p in path.iterdir()) == ["meta.json", "runs.csv", "summary.csv", "summary.md"]


def test_summary_files_are_readable_like_the_other_results_files(tmp_path):
    path = results_dir(tmp_path, THREE_SERVERS)
    umask = os.umask(0o022)
    try:
        summary.write_summary(load_runs(path))
    finally:
        os.umask(umask)
    for name in ("summary.md", "summary.csv"):
        assert stat.S_IMODE((path / name).stat().st_mode) == 0o644, name


def test_a_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "summary.md"
    target.write_text("the old summary\n")

    def no_rename(source, destination):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(summary.os, "replace", no_rename)
    with pytest.raises(OSError):
        summary.write_atomically(target, "the new summary\n")
    assert target.read_text() == "the old summary\n"
    assert [p.name for p in tmp_path.iterdir()] == ["summary.md"]


# ---- the command ------------------------------------------------------------

def command(*args):
    return subprocess.run([sys.executable, "-m", "plots.summary", *map(str, args)], cwd=REPO, capture_output=True,
                          text=True, timeout=60)


def test_command_writes_both_files_and_prints_nothing(tmp_path):
    path = results_dir(tmp_path, THREE_SERVERS)
    result = command(path)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert (path / "summary.md").read_text(encoding="utf-8") == summary.summary_markdown(load_runs(path))
    assert (path / "summary.csv").is_file()


def test_command_help():
    result = command("--help")
    assert result.returncode == 0
    assert "RESULTS_DIR" in result.stdout and "summary.md" in result.stdout


@pytest.mark.parametrize("damage, named", [
    (lambda path: (path / "runs.csv").unlink(), "runs.csv: no such file"),
    (lambda path: (path / "meta.json").unlink(), "meta.json: no such file"),
    (lambda path: (path / "meta.json").write_text('{"scenario": '), "meta.json: not valid JSON"),
    (lambda path: (path / "runs.csv").write_text("run_id,server\n1,prefork\n"), "runs.csv: missing columns"),
    (lambda path: (path / "meta.json").write_text(json.dumps(context(started="yesterday"))),
     "meta.json: started_utc 'yesterday' is not YYYY-MM-DDTHH:MM:SSZ"),
])
def test_command_unreadable_directory_is_one_line_and_exit_2(tmp_path, damage, named):
    path = results_dir(tmp_path, THREE_SERVERS)
    damage(path)
    result = command(path)
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(f"summary: {path}/") and named in result.stderr
    assert not (path / "summary.md").exists()


def test_command_missing_directory(tmp_path):
    result = command(tmp_path / "nowhere")
    assert result.returncode == 2
    assert result.stderr == f"summary: {tmp_path / 'nowhere'}: no such directory\n"


# ---- the committed runs -----------------------------------------------------

# Added to summary.md when peers came: the kind column and the legend's last sentence.
PEER_SENTENCE = summary.LEGEND[summary.LEGEND.index(" Rows of kind *peer*"):].rstrip("\n")


def without_kind(text: str) -> str:
    lines = []
    for line in text.splitlines(keepends=True):
        if line.startswith("|"):
            cells = line.split(" | ")
            line = " | ".join(cells[:1] + cells[2:])
        lines.append(line)
    return "".join(lines).replace(PEER_SENTENCE, "")


@pytest.mark.parametrize("committed", COMMITTED, ids=lambda p: p.parent.name)
def test_the_committed_summaries_come_out_the_same(committed):
    """What the harness wrote; summaries written before peers existed lack the kind column and its legend."""
    written = summary.summary_markdown(load_runs(committed.parent))
    expected = committed.read_text(encoding="utf-8")
    if "| server | kind |" in expected:
        assert written == expected
    else:
        assert without_kind(written) == expected
