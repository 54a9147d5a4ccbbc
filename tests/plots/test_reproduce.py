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

and, under fixtures_reproduce/peers/ (copied in by the tests that want them),
the peers scenarios: our prefork-epoll (not taken), three fasthttp peers
(taken, in the order prefork, single, prefork-reuseport) and nginx-reuseport
(not taken):

  peers (delay 100 ms)
    fasthttp-prefork            req/s 4950, 5050 -> median 5000
    fasthttp-single             req/s 3950, 4050 -> median 4000   prefork/single 1.25
    fasthttp-prefork-reuseport  req/s 5100
  peers-nodelay (delay 0)
    fasthttp-prefork            req/s 100000, 120000 -> median 110000, 7 µs CPU per request
    fasthttp-single             req/s  95000, 105000 -> median 100000, 9 µs   prefork/single 1.1
    fasthttp-prefork-reuseport  req/s 115000, 6 µs
"""

from __future__ import annotations

import dataclasses
import math
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from matplotlib.colors import to_hex
from matplotlib.image import imread

from plots.load import ResultsError, load_results
from plots.reproduce.cli import main
from plots.reproduce.figure import draw as draw_figure, published_vs_measured
from plots.reproduce.published import PUBLISHED_COLUMNS, published_rows
from plots.reproduce.report import DISPLAY_HEADERS, display_table, missing_peers_note, table_markdown
from plots.reproduce.table import peers_problem, reproduce_table
from plots.reproduce.verdict import verdict
from plots.style import PEERS

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures_reproduce" / "results"
HOST = "fixturehost"
SEED_DIR = FIXTURES / HOST / "20260101T000000Z-seed"
NODELAY_DIR = FIXTURES / HOST / "20260101T000100Z-seed-nodelay"
PUBLISHED = HERE.parent.parent / "results" / "published" / "fasthttp-prefork-readme.csv"
PEERS_FIXTURES = HERE / "fixtures_reproduce" / "peers"
PEERS_DIR = PEERS_FIXTURES / HOST / "20260101T000200Z-peers"
PEERS_NODELAY_DIR = PEERS_FIXTURES / HOST / "20260101T000300Z-peers-nodelay"


@pytest.fixture
def published():
    return published_rows(PUBLISHED)


@pytest.fixture
def table(published):
    return reproduce_table(published, load_results(SEED_DIR), load_results(NODELAY_DIR))


@pytest.fixture
def results_root(tmp_path):
    """A copy of the fixtures, so that the command line can write into it."""
    root = tmp_path / "results"
    shutil.copytree(FIXTURES, root)
    return root


def test_published_rows_reads_the_quoted_figures(published):
    assert list(published["server"]) == ["prefork", "non-prefork"]
    assert list(published.columns) == list(PUBLISHED_COLUMNS)
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
        published_rows(tmp_path / "nope.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("server,requests_per_s\nprefork,1\nnon-prefork,2\n")
    with pytest.raises(ResultsError, match="missing columns"):
        published_rows(bad)


PUBLISHED_SERVERS = ("prefork", "non-prefork")
OURS = ("prefork-epoll", "threadpool")
FASTHTTP = ("fasthttp-prefork", "fasthttp-single", "fasthttp-prefork-reuseport")


def rows(*groups) -> list[tuple[str, str, str]]:
    """(scenario, server, kind) of each row, from (scenario, kind, servers) groups."""
    return [(scenario, server, kind) for scenario, kind, servers in groups for server in servers]


def test_table_rows_in_order(table):
    assert list(zip(table["scenario"], table["server"], table["kind"])) == rows(
        ("fasthttp README", "", PUBLISHED_SERVERS), ("seed", "ours", OURS), ("seed-nodelay", "ours", OURS))
    assert list(table["source"]) == ["published"] * 2 + ["measured"] * 4
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
    shown = display_table(table)
    assert list(shown.columns) == list(DISPLAY_HEADERS.values())
    assert shown.loc[0, "efficiency %"] == pytest.approx(2048.0777, rel=1e-6)
    lines = table_markdown(table).splitlines()
    assert len(lines) == 2 + len(table)
    assert lines[2] == ("| published | fasthttp README | 100 | prefork | 104,862 | 4.55 | 15.5 | 5,120 | 2,048 "
                        "| – | – |")
    # tables.format_markdown writes whole numbers without decimals; 1 s CPU / 50,000 requests = 20 µs.
    assert lines[4] == "| measured | seed | 100 | prefork-epoll | 5,000 | 100.5 | 102 | 5,120 | 97.7 | 20 | 6 |"
    assert lines[7] == "| measured | seed-nodelay | 0 | threadpool | 100,000 | 2 | 12 | – | – | 8 | 95 |"


def test_verdict_numbers_come_from_the_table(table):
    text = verdict(table)
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
    flat = " ".join(verdict(table).split())
    assert "the same ratio is 1.002: there the bound, not the concurrency model, sets the rate." in flat


def test_verdict_published_within_the_bound(table):
    # Had the published figures been possible, the verdict would not call them impossible.
    table = table.copy()
    table.loc[0:1, "requests_per_s"] = [5000.0, 4608.0]
    table.loc[0:1, "efficiency"] = [5000 / 5120, 0.9]
    table.loc[0:1, "p50_ms"] = [100.5, 101.0]
    flat = " ".join(verdict(table).split())
    assert "97.7 % and 90.0 % of that bound" in flat
    assert "cannot answer" not in flat


def test_verdict_equal_cpu_is_not_ranked(table):
    table = table.copy()
    table.loc[5, "server_cpu_us_per_request"] = 5.04  # shows as 5.0, like prefork-epoll's 5.0
    flat = " ".join(verdict(table).split())
    assert "prefork-epoll 5.0 µs ≈ threadpool 5.0 µs" in flat


def test_verdict_without_busy_client_says_nothing_about_wrk(table):
    table = table.copy()
    table.loc[table["delay_ms"] == 0, "wrk_cpu_percent"] = 50.0
    flat = " ".join(verdict(table).split())
    assert "busy" not in flat
    assert "lowest first: prefork-epoll 5.0 µs < threadpool 8.0 µs." in flat


def test_verdict_needs_both_models(table):
    table = table[table["model"] != "threadpool"]
    with pytest.raises(ResultsError, match="threadpool"):
        verdict(table)


def test_table_rejects_swapped_scenarios(published):
    with pytest.raises(ResultsError, match="no wait"):
        reproduce_table(published, load_results(NODELAY_DIR), load_results(NODELAY_DIR))
    with pytest.raises(ResultsError, match="expected no wait"):
        reproduce_table(published, load_results(SEED_DIR), load_results(SEED_DIR))


def medians(directory: Path, column: str) -> list[float]:
    """Each server's median of column over its ok runs, read straight from runs.csv, servers in file order."""
    runs = pd.read_csv(directory / "runs.csv")
    ok = runs[runs["status"].isin(["ok", "suspect"])]  # the measured runs
    return [ok.loc[ok["server"] == s, column].median() for s in dict.fromkeys(ok["server"])]


def bar_centres(ax) -> list[float]:
    return [p.get_x() + p.get_width() / 2 for p in ax.patches]


def test_figure_draws_a_bar_per_row_in_three_groups(published, table):
    rps_ax, p50_ax = draw_figure(table).axes
    expected_rps = list(published["requests_per_s"]) + medians(SEED_DIR, "requests_per_s") + medians(
        NODELAY_DIR, "requests_per_s")
    assert [p.get_height() for p in rps_ax.patches] == pytest.approx(expected_rps)
    expected_p50 = list(published["latency_p50_ms"]) + medians(SEED_DIR, "latency_p50_ms") + medians(
        NODELAY_DIR, "latency_p50_ms")
    assert [p.get_height() for p in p50_ax.patches] == pytest.approx(expected_p50)
    # A bar a step apart, with a gap of 0.8 between published, with the wait and without.
    assert bar_centres(rps_ax) == pytest.approx([0, 1, 2.8, 3.8, 5.6, 6.6])
    assert [t.get_text() for t in p50_ax.get_xticklabels()] == ["prefork", "non-prefork"] + ["prefork-epoll",
                                                                                             "threadpool"] * 2
    assert [p.get_hatch() for p in rps_ax.patches] == ["//", "//", None, None, None, None]
    assert rps_ax.get_yscale() == p50_ax.get_yscale() == "log"


def test_figure_labels_each_bar_with_its_share_of_the_bound(table):
    rps_ax, p50_ax = draw_figure(table).axes
    labels = [t.get_text() for t in rps_ax.texts]
    # 104861.58 / 5120 = 20.5 times the bound; 5000 / 5120 = 97.7 %; no bound without a wait.
    assert labels[0] == "104,862\n20.5×\nthe bound"
    assert labels[2] == "5,000\n97.7 %\nof the bound"
    assert labels[4] == "120,000"
    assert [t.get_text() for t in p50_ax.texts][:3] == ["4.55 ms", "4.53 ms", "100.5 ms"]


def test_figure_draws_the_bound_and_the_wait_over_the_rows_they_apply_to(table):
    rps_ax, p50_ax = draw_figure(table).axes
    # 512 connections / 0.1 s, from the published rows' left edge to seed's right edge.
    assert [s.tolist() for s in rps_ax.collections[0].get_segments()] == [[[-0.5, 5120], [4.3, 5120]]]
    assert [s.tolist() for s in p50_ax.collections[0].get_segments()] == [[[-0.5, 100], [4.3, 100]]]
    legend = [t.get_text() for t in rps_ax.get_legend().get_texts()]
    assert legend[0] == "Little's-law bound for a 100 ms handler: 512 connections / 100 ms = 5,120 req/s"


def test_figure_marks_the_fasthttp_peers(peers_table):
    rps_ax, p50_ax = draw_figure(peers_table).axes
    peers = [i for i, kind in enumerate(peers_table["kind"]) if kind == "peer"]
    assert [p.get_hatch() for i, p in enumerate(rps_ax.patches) if i in peers] == ["..."] * 6
    assert [to_hex(rps_ax.patches[i].get_facecolor()) for i in peers] == [PEERS[m] for m in
                                                                          peers_table["model"][peers]]
    italic = [t.get_text() for t in p50_ax.get_xticklabels() if t.get_fontstyle() == "italic"]
    assert italic == list(FASTHTTP) * 2
    legend = [t.get_text() for t in rps_ax.get_legend().get_texts()]
    assert "fasthttp measured here (a peer: the same wrk command on this machine)" in legend


def test_figure_written_as_png_and_svg(table, tmp_path):
    paths = published_vs_measured(table, tmp_path / "plots")
    assert [p.name for p in paths] == ["published-vs-measured.png", "published-vs-measured.svg"]
    assert imread(paths[0]).shape == (8 * 120, 11 * 120, 4)  # 11 × 8 inches at 120 dpi
    assert "</svg>" in paths[1].read_text()


def test_main_no_run_prints_table_and_verdict(results_root, capsys):
    status = main(["--no-run", "--results-root", str(results_root), "--host", HOST,
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
    status = main(["--no-run", "--results-root", str(results_root), "--host", HOST])
    assert status == 0
    assert (results_root / HOST / NODELAY_DIR.name / "reproduce.md").is_file()
    assert not (older / "reproduce.md").exists()


def test_main_missing_scenario_is_a_clear_error(results_root, capsys):
    shutil.rmtree(results_root / HOST / NODELAY_DIR.name)
    status = main(["--no-run", "--results-root", str(results_root), "--host", HOST])
    err = capsys.readouterr().err
    assert status != 0
    assert err.startswith("reproduce: no seed-nodelay results for host fixturehost")
    assert "without --no-run" in err


def test_main_unknown_host_is_a_clear_error(results_root, capsys):
    status = main(["--no-run", "--results-root", str(results_root), "--host", "elsewhere"])
    assert status != 0
    assert "no seed results for host elsewhere" in capsys.readouterr().err


def test_main_run_fails_without_the_harness(results_root, tmp_path, capsys):
    status = main(["--results-root", str(results_root), "--build-dir", str(tmp_path / "nobuild"),
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
    status = main(["--results-root", str(results_root), "--build-dir", str(tmp_path / "build"),
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
    status = main(["--results-root", str(results_root), "--build-dir", str(tmp_path / "build"),
                             "--host", HOST])
    assert status == 0
    calls = log.read_text().splitlines()
    assert calls == [f"run scenarios/seed.toml --out {results_root}",
                     f"run scenarios/seed-nodelay.toml --out {results_root}"]


# ---- fasthttp measured here (the peers scenarios) ---------------------------

@pytest.fixture
def peers_table(published):
    return reproduce_table(published, load_results(SEED_DIR), load_results(NODELAY_DIR),
                                     load_results(PEERS_DIR), load_results(PEERS_NODELAY_DIR))


def with_peers(results_root, *names):
    for name in names:
        shutil.copytree(PEERS_FIXTURES / HOST / name, results_root / HOST / name)


def test_table_without_peers_is_as_before(table):
    assert "fasthttp" not in " ".join(table["server"][2:])
    assert set(table["kind"][2:]) == {"ours"}


def test_table_adds_the_fasthttp_rows_after_each_scenario(peers_table):
    assert list(zip(peers_table["scenario"], peers_table["server"], peers_table["kind"])) == rows(
        ("fasthttp README", "", PUBLISHED_SERVERS), ("seed", "ours", OURS), ("peers", "peer", FASTHTTP),
        ("seed-nodelay", "ours", OURS), ("peers-nodelay", "peer", FASTHTTP))
    assert list(peers_table["requests_per_s"][4:7]) == [5000, 4000, 5100]
    assert list(peers_table["requests_per_s"][9:]) == [110000, 100000, 115000]
    assert peers_table.loc[4, "efficiency"] == pytest.approx(5000 / 5120)
    assert peers_table.loc[9, "server_cpu_us_per_request"] == pytest.approx(7.0)


def test_table_markdown_marks_the_peers(peers_table):
    lines = table_markdown(peers_table).splitlines()
    assert len(lines) == 2 + 12
    assert lines[6] == ("| measured | peers | 100 | fasthttp-prefork (peer) | 5,000 | 100.4 | 102 | 5,120 | 97.7 "
                        "| 10 | 6 |")
    assert lines[12].startswith("| measured | peers-nodelay | 0 | fasthttp-single (peer) | 100,000 | 1.50 |")


def test_verdict_sets_fasthttp_beside_the_published_ratio(peers_table):
    flat = " ".join(verdict(peers_table).split())
    # 110000 / 100000 = 1.1 with no wait; 5000 / 4000 = 1.25 with the wait; 104861.58 / 97553.34 = 1.075.
    assert ("Measured here, fasthttp's own fasthttp-prefork/fasthttp-single = 1.100 with no wait "
            "(110,000 / 100,000 req/s) and 1.250 with the 100 ms wait (5,000 / 4,000 req/s), "
            "against the published prefork/non-prefork 1.075.") in flat
    # Our ratio is still there, unchanged.
    assert "prefork-epoll/threadpool = 1.200" in flat
    # The fasthttp rows are measured rows like the others.
    assert "fasthttp-prefork 5,000 req/s = 97.7 % of the bound" in flat
    assert ("prefork-epoll 5.0 µs < fasthttp-prefork-reuseport 6.0 µs < fasthttp-prefork 7.0 µs < "
            "threadpool 8.0 µs < fasthttp-single 9.0 µs") in flat
    assert all(len(line) <= 78 for line in verdict(peers_table).splitlines())


def test_verdict_with_fasthttp_only_without_the_wait(published):
    table = reproduce_table(published, load_results(SEED_DIR), load_results(NODELAY_DIR),
                                      peers_nodelay=load_results(PEERS_NODELAY_DIR))
    flat = " ".join(verdict(table).split())
    assert ("fasthttp-prefork/fasthttp-single = 1.100 with no wait (110,000 / 100,000 req/s), "
            "against the published prefork/non-prefork 1.075.") in flat
    assert "with the 100 ms wait (" not in flat


def test_verdict_without_fasthttp_rows_says_nothing_of_them(table):
    assert "fasthttp's own" not in verdict(table)


def test_table_rejects_peers_results_that_do_not_fit(published):
    seed, nodelay = load_results(SEED_DIR), load_results(NODELAY_DIR)
    with pytest.raises(ResultsError, match="expected no wait"):
        reproduce_table(published, seed, nodelay, peers_nodelay=load_results(PEERS_DIR))
    with pytest.raises(ResultsError, match="the handler waits 0 ms, in the seed results 100 ms"):
        reproduce_table(published, seed, nodelay, peers=load_results(PEERS_NODELAY_DIR))
    no_fasthttp = load_results(PEERS_DIR)
    no_fasthttp = dataclasses.replace(no_fasthttp, runs=no_fasthttp.runs[no_fasthttp.runs["model"] == "prefork-epoll"])
    assert "has no fasthttp peer" in peers_problem(no_fasthttp, seed, waits=True)


def test_missing_peers_note():
    assert missing_peers_note([]) == ""
    note = missing_peers_note(["peers", "peers-nodelay"])
    assert "`make bench SCENARIO=scenarios/peers.toml` (with the wait)" in note
    assert "`make bench SCENARIO=scenarios/peers-nodelay.toml` (no wait)" in note
    assert "\n" not in note
    only = missing_peers_note(["peers-nodelay"])
    assert "scenarios/peers-nodelay.toml" in only and "scenarios/peers.toml" not in only


def test_main_without_peers_says_what_to_run(results_root, capsys):
    status = main(["--no-run", "--results-root", str(results_root), "--host", HOST])
    out = capsys.readouterr().out
    assert status == 0
    note = [line for line in out.splitlines() if line.startswith("No fasthttp rows")]
    assert len(note) == 1
    assert "make bench SCENARIO=scenarios/peers.toml" in note[0]
    assert "make bench SCENARIO=scenarios/peers-nodelay.toml" in note[0]
    assert "(peer)" not in out
    report = (results_root / HOST / NODELAY_DIR.name / "reproduce.md").read_text()
    assert note[0] in report


def test_main_with_peers_adds_the_fasthttp_rows(results_root, capsys):
    with_peers(results_root, PEERS_DIR.name, PEERS_NODELAY_DIR.name)
    status = main(["--no-run", "--results-root", str(results_root), "--host", HOST])
    out = capsys.readouterr().out
    assert status == 0
    assert "No fasthttp rows" not in out
    assert str(results_root / HOST / PEERS_DIR.name) in out
    assert "| measured | peers-nodelay | 0 | fasthttp-prefork (peer) | 110,000 |" in out
    assert "nginx" not in out
    report = (results_root / HOST / NODELAY_DIR.name / "reproduce.md").read_text()
    assert f"`{results_root / HOST / PEERS_NODELAY_DIR.name}`" in report
    assert "1.100 with no wait" in " ".join(report.split())
    assert (results_root / HOST / NODELAY_DIR.name / "plots" / "published-vs-measured.png").is_file()
    assert not (results_root / HOST / PEERS_DIR.name / "reproduce.md").exists()


def test_main_with_one_peers_scenario_names_the_other(results_root, capsys):
    with_peers(results_root, PEERS_DIR.name)
    assert main(["--no-run", "--results-root", str(results_root), "--host", HOST]) == 0
    out = capsys.readouterr().out
    assert "| measured | peers | 100 | fasthttp-single (peer) | 4,000 |" in out
    note = [line for line in out.splitlines() if line.startswith("No fasthttp rows")]
    assert len(note) == 1 and "peers-nodelay.toml" in note[0] and "scenarios/peers.toml" not in note[0]
    assert "1.250 with the 100 ms wait" in " ".join(out.split())


def test_main_leaves_out_peers_results_that_do_not_fit(results_root, capsys):
    # A peers-nodelay run whose handler waited: left out with a line saying why, not a failure.
    with_peers(results_root, PEERS_DIR.name)
    shutil.copytree(PEERS_FIXTURES / HOST / PEERS_DIR.name, results_root / HOST / "20260101T000400Z-peers-nodelay")
    assert main(["--no-run", "--results-root", str(results_root), "--host", HOST]) == 0
    out = capsys.readouterr().out
    assert "fasthttp rows of peers-nodelay left out:" in out
    assert "expected no wait" in out
    assert "| measured | peers | 100 | fasthttp-prefork (peer) | 5,000 |" in out
    assert "peers-nodelay | 0 | fasthttp" not in out
