"""plots.reproduce: the published rows, the table, the verdict, the command line.

The fixtures under fixtures_reproduce/ are small results directories with
hand-picked numbers (see the comments on each test):

  seed (delay 100 ms, 512 connections, bound 5,120 req/s)
    prefork-epoll  req/s 5000, 5100, 4900 -> median 5000 = 97.65625 % of the bound
    threadpool     req/s 4608, 4600, 4700 -> median 4608 = 90 % of the bound
  seed-nodelay (delay 0)
    prefork-epoll  req/s 120000, 110000, 130000 -> median 120000, 5 µs CPU per request
    threadpool     req/s 100000,  90000, 105000 -> median 100000, 8 µs CPU per request
    wrk 95 % busy in every run
"""

from __future__ import annotations

import math
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from plots import reproduce
from plots.load import ResultsError, load_results

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures_reproduce" / "results"
HOST = "fixturehost"
SEED_DIR = FIXTURES / HOST / "20260101T000000Z-seed"
NODELAY_DIR = FIXTURES / HOST / "20260101T000100Z-seed-nodelay"
PUBLISHED = HERE.parent.parent / "results" / "published" / "fasthttp-prefork-readme.csv"


@pytest.fixture
def published():
    return reproduce.published_rows(PUBLISHED)


@pytest.fixture
def table(published):
    return reproduce.reproduce_table(published, load_results(SEED_DIR), load_results(NODELAY_DIR))


@pytest.fixture
def results_root(tmp_path):
    """A copy of the fixtures, so that the command line can write into it."""
    root = tmp_path / "results"
    shutil.copytree(FIXTURES, root)
    return root


def test_published_rows_reads_the_quoted_figures(published):
    assert list(published["server"]) == ["prefork", "non-prefork"]
    assert list(published.columns) == list(reproduce.PUBLISHED_COLUMNS)
    prefork = published.set_index("server").loc["prefork"]
    assert prefork["requests_per_s"] == pytest.approx(104861.58)
    assert prefork["latency_p50_ms"] == pytest.approx(4.55)
    assert prefork["requests"] == 1581916
    non = published.set_index("server").loc["non-prefork"]
    assert non["requests_per_s"] == pytest.approx(97553.34)
    assert non["latency_p99_ms"] == pytest.approx(74.54)
    assert non["errors_read"] == 265


def test_published_rows_missing_file_or_column(tmp_path):
    with pytest.raises(ResultsError, match="no such file"):
        reproduce.published_rows(tmp_path / "nope.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("server,requests_per_s\nprefork,1\nnon-prefork,2\n")
    with pytest.raises(ResultsError, match="missing columns"):
        reproduce.published_rows(bad)


def test_table_rows_in_order(table):
    assert list(zip(table["source"], table["scenario"], table["server"])) == [
        ("published", "fasthttp README", "prefork"),
        ("published", "fasthttp README", "non-prefork"),
        ("measured", "seed", "prefork-epoll"),
        ("measured", "seed", "threadpool"),
        ("measured", "seed-nodelay", "prefork-epoll"),
        ("measured", "seed-nodelay", "threadpool"),
    ]
    assert list(table["delay_ms"]) == [100, 100, 100, 100, 0, 0]
    assert list(table["model"][2:]) == ["prefork-epoll", "threadpool"] * 2


def test_table_bounds_and_efficiencies(table):
    # 512 connections / 0.1 s = 5120 req/s for the published rows (the handler
    # they claim) and for the seed rows; no bound without a wait.
    assert list(table["little_bound_rps"][:4]) == [5120.0] * 4
    assert table["little_bound_rps"][4:].isna().all()
    assert table["efficiency"][4:].isna().all()
    # 104861.58 / 5120 = 20.4807...; 97553.34 / 5120 = 19.0534...
    assert table.loc[0, "efficiency"] == pytest.approx(20.480777, rel=1e-6)
    assert table.loc[1, "efficiency"] == pytest.approx(19.053387, rel=1e-6)
    # 5000 / 5120 = 0.9765625; 4608 / 5120 = 0.9
    assert table.loc[2, "efficiency"] == pytest.approx(0.9765625)
    assert table.loc[3, "efficiency"] == pytest.approx(0.9)


def test_table_medians_latency_and_cpu(table):
    assert list(table["requests_per_s"][2:]) == [5000, 4608, 120000, 100000]
    assert table.loc[2, "p50_ms"] == pytest.approx(100.5)
    assert table.loc[3, "p99_ms"] == pytest.approx(110.0)
    assert table.loc[0, "p50_ms"] == pytest.approx(4.55)
    assert table.loc[4, "server_cpu_us_per_request"] == pytest.approx(5.0)
    assert table.loc[5, "server_cpu_us_per_request"] == pytest.approx(8.0)
    assert table.loc[4, "wrk_cpu_percent"] == pytest.approx(95.0)
    assert math.isnan(table.loc[0, "server_cpu_us_per_request"])


def test_table_markdown_dashes_and_formats(table):
    shown = reproduce.display_table(table)
    assert list(shown.columns) == list(reproduce.DISPLAY_HEADERS.values())
    assert shown.loc[0, "efficiency %"] == pytest.approx(2048.0777, rel=1e-6)
    lines = reproduce.table_markdown(table).splitlines()
    assert len(lines) == 2 + len(table)
    assert lines[2] == ("| published | fasthttp README | 100 | prefork | 104,862 | 4.55 | 15.5 | 5,120 | 2,048 "
                        "| – | – |")
    # tables.format_markdown writes whole numbers without decimals; 1 s CPU / 50,000 requests = 20 µs.
    assert lines[4] == "| measured | seed | 100 | prefork-epoll | 5,000 | 100.5 | 102 | 5,120 | 97.7 | 20 | 6 |"
    assert lines[7] == "| measured | seed-nodelay | 0 | threadpool | 100,000 | 2 | 12 | – | – | 8 | 95 |"


def test_verdict_numbers_come_from_the_table(table):
    text = reproduce.verdict(table)
    flat = " ".join(text.split())
    assert "512 connections that each wait 100 ms cannot exceed 5,120 req/s" in flat
    assert "104,862 (prefork) and 97,553 (non-prefork) req/s" in flat
    assert "20.5× and 19.1× that bound" in flat
    assert "4.55 and 4.53 ms" in flat
    # Measured with the wait: the fixture medians and their share of the bound.
    assert ("prefork-epoll 5,000 req/s = 97.7 % of the bound, p50 100.5 ms; and "
            "threadpool 4,608 req/s = 90.0 % of the bound, p50 101.0 ms.") in flat
    # 120000 / 100000 = 1.2 measured; 104861.58 / 97553.34 = 1.0749 published.
    assert "prefork-epoll/threadpool = 1.200" in flat
    assert "published prefork/non-prefork = 1.075" in flat
    # 5000 / 4608 = 1.0850: not the same rate, so no claim that the bound sets it.
    assert "the same ratio is 1.085." in flat
    assert "sets the rate" not in flat
    assert "prefork-epoll 5.0 µs < threadpool 8.0 µs" in flat
    assert "95.0 % busy with every server" in flat
    assert all(len(line) <= 78 for line in text.splitlines())
    # Never wrapped between a number and its unit.
    assert not re.search(r"\d\n(ms|%|µs|req/s)", text)


def test_verdict_equal_rates_with_the_wait(table):
    table = table.copy()
    table.loc[3, "requests_per_s"] = 4990.0  # 5000 / 4990 = 1.002
    flat = " ".join(reproduce.verdict(table).split())
    assert "the same ratio is 1.002: there the bound, not the concurrency model, sets the rate." in flat


def test_verdict_published_within_the_bound(table):
    # Had the published figures been possible, the verdict would not call them impossible.
    table = table.copy()
    table.loc[0:1, "requests_per_s"] = [5000.0, 4608.0]
    table.loc[0:1, "efficiency"] = [5000 / 5120, 0.9]
    table.loc[0:1, "p50_ms"] = [100.5, 101.0]
    flat = " ".join(reproduce.verdict(table).split())
    assert "97.7 % and 90.0 % of that bound" in flat
    assert "cannot answer" not in flat


def test_verdict_equal_cpu_is_not_ranked(table):
    table = table.copy()
    table.loc[5, "server_cpu_us_per_request"] = 5.04  # shows as 5.0, like prefork-epoll's 5.0
    flat = " ".join(reproduce.verdict(table).split())
    assert "prefork-epoll 5.0 µs ≈ threadpool 5.0 µs" in flat


def test_verdict_without_busy_client_says_nothing_about_wrk(table):
    table = table.copy()
    table.loc[table["delay_ms"] == 0, "wrk_cpu_percent"] = 50.0
    flat = " ".join(reproduce.verdict(table).split())
    assert "busy" not in flat
    assert "lowest first: prefork-epoll 5.0 µs < threadpool 8.0 µs." in flat


def test_verdict_needs_both_models(table):
    table = table[table["model"] != "threadpool"]
    with pytest.raises(ResultsError, match="threadpool"):
        reproduce.verdict(table)


def test_table_rejects_swapped_scenarios(published):
    with pytest.raises(ResultsError, match="no wait"):
        reproduce.reproduce_table(published, load_results(NODELAY_DIR), load_results(NODELAY_DIR))
    with pytest.raises(ResultsError, match="expected no wait"):
        reproduce.reproduce_table(published, load_results(SEED_DIR), load_results(SEED_DIR))


def test_figure_written(table, tmp_path):
    paths = reproduce.published_vs_measured(table, tmp_path / "plots")
    assert [p.name for p in paths] == ["published-vs-measured.png", "published-vs-measured.svg"]
    assert all(p.stat().st_size > 1000 for p in paths)
    assert paths[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_main_no_run_prints_table_and_verdict(results_root, capsys):
    status = reproduce.main(["--no-run", "--results-root", str(results_root), "--host", HOST,
                             "--published", str(PUBLISHED)])
    out = capsys.readouterr().out
    assert status == 0
    assert "| published | fasthttp README | 100 | prefork | 104,862 |" in out
    assert "| measured | seed-nodelay | 0 | threadpool | 100,000 |" in out
    assert "VERDICT" in out
    nodelay = results_root / HOST / NODELAY_DIR.name
    report = (nodelay / "reproduce.md").read_text()
    assert "## Verdict" in report and "104,862" in report
    assert (nodelay / "plots" / "published-vs-measured.png").is_file()
    assert (nodelay / "plots" / "published-vs-measured.svg").is_file()
    # Nothing written into the seed directory.
    assert not (results_root / HOST / SEED_DIR.name / "reproduce.md").exists()


def test_main_picks_the_latest_of_each_scenario(results_root, capsys):
    older = results_root / HOST / "20250101T000000Z-seed-nodelay"
    shutil.copytree(results_root / HOST / NODELAY_DIR.name, older)
    status = reproduce.main(["--no-run", "--results-root", str(results_root), "--host", HOST])
    assert status == 0
    assert (results_root / HOST / NODELAY_DIR.name / "reproduce.md").is_file()
    assert not (older / "reproduce.md").exists()


def test_main_missing_scenario_is_a_clear_error(results_root, capsys):
    shutil.rmtree(results_root / HOST / NODELAY_DIR.name)
    status = reproduce.main(["--no-run", "--results-root", str(results_root), "--host", HOST])
    err = capsys.readouterr().err
    assert status != 0
    assert err.startswith("reproduce: no seed-nodelay results for host fixturehost")
    assert "without --no-run" in err


def test_main_unknown_host_is_a_clear_error(results_root, capsys):
    status = reproduce.main(["--no-run", "--results-root", str(results_root), "--host", "elsewhere"])
    assert status != 0
    assert "no seed results for host elsewhere" in capsys.readouterr().err


def test_main_run_fails_without_the_harness(results_root, tmp_path, capsys):
    status = reproduce.main(["--results-root", str(results_root), "--build-dir", str(tmp_path / "nobuild"),
                             "--host", HOST])
    err = capsys.readouterr().err
    assert status != 0
    assert "prefork-bench not found" in err


def test_main_run_passes_failure_on(results_root, tmp_path, capsys):
    # A stand-in harness that fails: reproduce stops with its exit status in the message.
    harness = tmp_path / "build" / "harness" / "prefork-bench"
    harness.parent.mkdir(parents=True)
    harness.write_text("#!/bin/sh\necho \"fake harness $*\"\nexit 3\n")
    harness.chmod(0o755)
    status = reproduce.main(["--results-root", str(results_root), "--build-dir", str(tmp_path / "build"),
                             "--host", HOST])
    captured = capsys.readouterr()
    assert status != 0
    assert "exit status 3" in captured.err
    assert "seed.toml" in captured.err


def test_main_runs_both_scenarios_then_reports(results_root, tmp_path, capsys):
    # A stand-in harness that succeeds and logs its arguments.
    log = tmp_path / "calls.txt"
    harness = tmp_path / "build" / "harness" / "prefork-bench"
    harness.parent.mkdir(parents=True)
    harness.write_text(f"#!/bin/sh\necho \"$*\" >> {log}\nexit 0\n")
    harness.chmod(0o755)
    status = reproduce.main(["--results-root", str(results_root), "--build-dir", str(tmp_path / "build"),
                             "--host", HOST])
    assert status == 0
    calls = log.read_text().splitlines()
    assert calls == [f"run scenarios/seed.toml --out {results_root}",
                     f"run scenarios/seed-nodelay.toml --out {results_root}"]
