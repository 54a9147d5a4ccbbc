import dataclasses
import math

import pandas as pd
import pytest

from plots.tables import (
    SUMMARY_COLUMNS, format_markdown, jain_index, little_bound, mark_peers, ratio_table, servers, spread,
    summary_table,
)


# ---- the maths on hand-checked inputs ---------------------------------------

def test_spread_odd_and_even_counts():
    assert spread([1, 2, 3]) == (2, 1, 3)
    assert spread([3, 1, 2]) == (2, 1, 3)
    assert spread([1, 2, 3, 4]) == (2.5, 1, 4)
    assert spread([5]) == (5, 5, 5)


def test_spread_skips_missing_values():
    assert spread([1, float("nan"), 3, None]) == (2, 1, 3)
    assert spread([]) is None
    assert spread([float("nan")]) is None


@pytest.mark.parametrize("values, expected", [
    ([1, 1, 1, 1], 1.0),
    ([1, 0, 0, 0], 0.25),
    ([512, 0], 0.5),
    ([256, 256], 1.0),
    ([3, 1], 16 / 20),  # (3+1)² / (2·(9+1))
])
def test_jain_index(values, expected):
    assert jain_index(values) == pytest.approx(expected)


def test_jain_index_without_a_value():
    assert jain_index([]) is None
    assert jain_index([0, 0]) is None


def test_little_bound():
    assert little_bound(512, 100, 0) == pytest.approx(5120)
    assert little_bound(16, 10, 0) == pytest.approx(1600)
    assert little_bound(512, 100, 28) == pytest.approx(4000)  # 512 / 0.128 s
    assert little_bound(512, 0, 0) is None
    assert little_bound(512, 0, 1) is None  # CPU bound: no ceiling claimed
    assert little_bound(512, float("nan"), 0) is None


# ---- summary_table ----------------------------------------------------------

def row(table, server, connections=None):
    rows = table[table["server"] == server]
    if connections is not None:
        rows = rows[rows["connections"] == connections]
    assert len(rows) == 1
    return rows.iloc[0]


def test_summary_table_columns_and_order(results_a):
    table = summary_table(results_a)
    assert tuple(table.columns) == SUMMARY_COLUMNS
    assert list(table.columns[:3]) == ["server", "kind", "connections"]  # summary.md's first columns
    assert list(table["server"]) == ["prefork-epoll", "threadpool"]


def test_summary_table_prefork_by_hand(results_a):
    r = row(summary_table(results_a), "prefork-epoll")
    assert (r["runs_ok"], r["runs_total"]) == (3, 3)
    assert (r["rps_median"], r["rps_min"], r["rps_max"]) == (5050, 5000, 5100)
    assert r["p50_ms"] == pytest.approx(100.2)  # median of 100.2, 100.3, 100.1
    assert r["p99_ms"] == pytest.approx(101.5)
    assert r["little_bound"] == pytest.approx(5120)
    assert r["efficiency"] == pytest.approx(5050 / 5120)
    assert r["server_cpu_us_per_request"] == pytest.approx(10)  # 0.5 s / 50,000 requests
    assert r["errors"] == 0
    assert r["rss_mib"] == 12
    assert r["jain"] == pytest.approx(0.999755918965096)  # median of 1, 0.99945, 0.99976


def test_summary_table_leaves_the_failed_run_out(results_a):
    r = row(summary_table(results_a), "threadpool")
    assert (r["runs_ok"], r["runs_total"]) == (2, 3)
    assert r["rps_median"] == 4500  # median of 4000 and 5000; the failed run has none
    assert (r["rps_min"], r["rps_max"]) == (4000, 5000)
    assert r["errors"] == 1.5  # median of 0 and 3
    assert r["server_cpu_us_per_request"] == pytest.approx(20)
    assert r["jain"] == 0.5  # all 512 connections on one of two workers
    assert r["server_cpu_percent"] == 21
    assert r["wrk_cpu_percent"] == 9.5


def test_summary_table_sweep_rows_per_connection_count(results_sweep):
    table = summary_table(results_sweep)
    assert list(zip(table["server"], table["connections"])) == [
        ("prefork-epoll", 16), ("prefork-epoll", 64), ("threadpool", 16), ("threadpool", 64)]
    assert list(table["little_bound"]) == pytest.approx([1600, 6400, 1600, 6400])
    assert list(table["runs_ok"]) == [2, 2, 2, 2]


def test_summary_table_without_delay_has_no_bound_or_efficiency(results_a):
    runs = results_a.runs.copy()
    runs["delay_ms"] = 0
    table = summary_table(dataclasses.replace(results_a, runs=runs))
    assert table["little_bound"].isna().all()
    assert table["efficiency"].isna().all()


# ---- ratio_table ------------------------------------------------------------

def scaled(results, factor, drop_server=None):
    runs = results.runs.copy()
    runs["requests_per_s"] *= factor
    if drop_server:
        runs = runs[runs["server"] != drop_server]
    return dataclasses.replace(results, runs=runs)


def test_ratio_table_is_b_over_a(results_a):
    table = ratio_table(results_a, scaled(results_a, 2))
    assert list(table.columns) == ["server", "connections", "metric", "value_a", "value_b", "ratio"]
    rps = table[table["metric"] == "rps_median"].set_index("server")
    assert rps.at["prefork-epoll", "value_a"] == 5050
    assert rps.at["prefork-epoll", "value_b"] == 10100
    assert rps.at["prefork-epoll", "ratio"] == 2
    assert rps.at["threadpool", "ratio"] == 2
    p99 = table[table["metric"] == "p99_ms"]
    assert list(p99["ratio"]) == [1, 1]


def test_ratio_table_only_servers_in_both(results_a):
    table = ratio_table(results_a, scaled(results_a, 1, drop_server="threadpool"))
    assert set(table["server"]) == {"prefork-epoll"}
    assert list(table["metric"]) == ["rps_median", "p50_ms", "p99_ms", "server_cpu_us_per_request", "efficiency"]


def test_ratio_over_zero_or_missing_is_nan(results_a):
    table = ratio_table(scaled(results_a, 0), results_a)
    assert table[table["metric"] == "rps_median"]["ratio"].isna().all()


def test_ratio_table_nothing_in_common(results_a, results_sweep):
    table = ratio_table(results_a, results_sweep)  # 512 vs 16/64 connections
    assert table.empty


# ---- format_markdown --------------------------------------------------------

def test_format_markdown_aligns_and_formats():
    frame = pd.DataFrame({"server": ["a|b", "c"], "connections": [512, 1024],
                          "rps": [117453.3, float("nan")], "p50_ms": [0.623, 100.42]})
    assert format_markdown(frame).splitlines() == [
        "| server | connections | rps | p50_ms |",
        "| --- | --: | --: | --: |",
        "| a\\|b | 512 | 117,453 | 0.62 |",
        "| c | 1,024 | – | 100.4 |",
    ]


def test_format_markdown_with_a_format_spec():
    frame = pd.DataFrame({"x": [1.23456, 2.0]})
    assert format_markdown(frame, floatfmt=".3f").splitlines()[2:] == ["| 1.235 |", "| 2.000 |"]


def test_format_markdown_summary_table_has_one_line_per_row(results_sweep):
    text = format_markdown(summary_table(results_sweep))
    assert len(text.splitlines()) == 2 + 4
    assert "| prefork-epoll | ours | 16 | 2 | 2 |" in text
    assert not math.isnan(summary_table(results_sweep)["rps_median"].iloc[0])


# ---- peers ------------------------------------------------------------------

def test_summary_table_old_results_are_all_ours(results_a):
    table = summary_table(results_a)
    assert list(table["kind"]) == ["ours", "ours"]
    assert mark_peers(table)["server"].tolist() == ["prefork-epoll", "threadpool"]


def test_the_summary_keeps_the_scenario_order_and_servers_put_ours_first(results_peers):
    # runs.csv names fasthttp-prefork first: so does the summary (summary.md's
    # order), while servers(), the figures' order, puts our servers first.
    assert list(dict.fromkeys(results_peers.runs["server"])) == ["fasthttp-prefork", "prefork-epoll", "threadpool",
                                                                 "nginx"]
    table = summary_table(results_peers)
    assert list(zip(table["server"], table["kind"])) == [
        ("fasthttp-prefork", "peer"), ("prefork-epoll", "ours"), ("threadpool", "ours"), ("nginx", "peer")]
    assert servers(results_peers.runs) == ["prefork-epoll", "threadpool", "fasthttp-prefork", "nginx"]


def test_peer_rows_have_their_numbers_and_no_worker_numbers(results_peers):
    table = summary_table(results_peers)
    fasthttp = row(table, "fasthttp-prefork")
    assert fasthttp["rps_median"] == 5050  # median of 5060 and 5040
    # The median of 0.4 s / 50,600 and 0.42 s / 50,400 requests.
    assert fasthttp["server_cpu_us_per_request"] == pytest.approx((0.4 / 50600 + 0.42 / 50400) / 2 * 1e6)
    assert fasthttp["rss_mib"] == 30
    assert math.isnan(fasthttp["jain"])
    assert fasthttp["unserved_max"] == 0  # 0 and an empty value
    nginx = row(table, "nginx")
    assert (nginx["runs_ok"], nginx["runs_total"]) == (1, 2)
    assert nginx["unserved_max"] == 3
    assert math.isnan(nginx["jain"])
    assert row(table, "threadpool")["jain"] == 0.5


def test_markdown_marks_peers_and_shows_a_dash_for_their_worker_numbers(results_peers):
    shown = mark_peers(summary_table(results_peers))
    assert "kind" not in shown.columns
    assert shown["server"].tolist() == ["fasthttp-prefork (peer)", "prefork-epoll", "threadpool", "nginx (peer)"]
    lines = format_markdown(shown).splitlines()
    assert lines[2].startswith("| fasthttp-prefork (peer) | 512 | 2 | 2 | 5,050 |")
    # rss 30 MiB, no Jain's index; then no suspect run, none client-bound of none known.
    assert lines[2].endswith("| 30 | – | 0 | 0 | 0 |")
    assert lines[5].startswith("| nginx (peer) | 512 | 1 | 2 |")
    assert lines[5].endswith("| 6.50 | – | 0 | 0 | 0 |")
    text = format_markdown(summary_table(results_peers))
    assert "nan" not in text.lower()
    assert text.splitlines()[2].startswith("| fasthttp-prefork | peer | 512 |")


def test_ratio_table_with_peers(results_peers):
    table = ratio_table(results_peers, scaled(results_peers, 2))
    rps = table[table["metric"] == "rps_median"].set_index("server")
    assert list(rps.index) == ["fasthttp-prefork", "prefork-epoll", "threadpool", "nginx"]
    assert rps.at["nginx", "ratio"] == 2
