"""Issue 12's measurement checks on the Python side: suspect runs, client-bound runs, and what measuring cost.

fixture-suspect is fixture-a with what the harness writes since: runs.csv's
client_bound, client_bound_reason and wrk_cpus columns and meta.json's
`harness` and `sampling`. Run 3 (prefork-epoll, repetition 2, 5,100 req/s) is
suspect; threadpool's two measured runs were client-bound, prefork-epoll's
three were not; the failed run 6 says nothing. Results written before (every
other fixture, results/vm/*) have none of it and come out as they did.
"""

from __future__ import annotations

import dataclasses
import json

import pandas as pd
import pytest
from matplotlib.colors import to_hex

import drawn
import test_idle_summary as idle_tests
import test_summary as wrk_tests
from drawn import bars, legend_labels, texts
from plots import figures, summary
from plots.figures import comparison, cpu, sweep, throughput
from plots.figures.marks import CLIENT_BOUND_LABEL, SUSPECT_LABEL
from plots.load import ResultsError, load_results, load_runs
from plots.run_selection import client_bound, measured
from plots.style import KNOWN, OTHERS, PEER_OTHERS, PEERS, Looks, color_for
from plots.tables import idle_table, summary_table

SUSPECT_REASON = "sampling the server: open or read /proc/123/task/124/stat: Permission denied"
WHITE = "#ffffff"


@pytest.fixture
def suspect_dir(fixtures_dir):
    return fixtures_dir / "fixture-suspect"


@pytest.fixture
def results_suspect(suspect_dir):
    return load_results(suspect_dir)


@pytest.fixture
def suspect_md(suspect_dir) -> str:
    return summary.summary_markdown(load_runs(suspect_dir))


def named_cells(text: str, server: str) -> dict[str, str]:
    """The server's table row, each cell under its header's name."""
    header = next(line for line in text.splitlines() if line.startswith("| server |"))
    return dict(zip(header[2:-2].split(" | "), wrk_tests.table_row(text, server), strict=True))


# ---- reading ----------------------------------------------------------------

def test_suspect_runs_are_measured(results_suspect):
    assert list(results_suspect.ok_runs()["run_id"]) == [1, 2, 3, 4, 5]
    assert list(results_suspect.ok_runs("prefork-epoll")["status"]) == ["ok", "suspect", "ok"]
    assert list(measured(results_suspect.runs)["run_id"]) == [1, 2, 3, 4, 5]  # not the failed run 6


def test_client_bound_is_true_false_or_not_known(results_suspect):
    runs = results_suspect.runs
    assert client_bound(runs).tolist() == [False, True, False, True, False, None]
    assert runs.loc[runs["run_id"] == 2, "client_bound_reason"].item() == (
        "wrk used 98.9 % of its 2 CPUs (at least 90 %)")
    assert runs["client_bound_reason"].iloc[0] == ""  # text, not NaN
    assert runs["wrk_cpus"].dtype.kind in "iu" and set(runs["wrk_cpus"]) == {2}


def test_client_bound_not_known_without_the_column(results_a):
    assert "client_bound" not in results_a.runs.columns
    assert client_bound(results_a.runs).tolist() == [None] * 6


def test_a_client_bound_that_is_no_boolean_names_its_line(copy_fixture):
    path = copy_fixture("fixture-suspect")
    lines = (path / "runs.csv").read_text().splitlines()
    assert lines[3].endswith(",false,,2")  # run 3
    lines[3] = lines[3][: -len(",false,,2")] + ",maybe,,2"
    (path / "runs.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(ResultsError, match=r"runs.csv: column 'client_bound' line 4: 'maybe' is not true, false"):
        load_runs(path)


# ---- summary_table ----------------------------------------------------------

def test_a_suspect_run_enters_the_medians_and_is_counted(results_suspect):
    table = summary_table(results_suspect).set_index("server")
    prefork = table.loc["prefork-epoll"]
    assert (prefork["runs_ok"], prefork["runs_total"], prefork["runs_suspect"]) == (3, 3, 1)
    # 5,000, 5,100 (suspect) and 5,050: without the suspect run it would be 5,025.
    assert prefork["rps_median"] == 5050 and prefork["rps_max"] == 5100
    assert table.loc["threadpool", "runs_suspect"] == 0


def test_client_bound_counts_of_the_measured_runs(results_suspect, results_a):
    table = summary_table(results_suspect).set_index("server")
    assert tuple(table.loc["prefork-epoll", ["client_bound_runs", "client_bound_known"]]) == (0, 3)
    assert tuple(table.loc["threadpool", ["client_bound_runs", "client_bound_known"]]) == (2, 2)  # run 6 failed
    old = summary_table(results_a)
    assert list(old["client_bound_known"]) == [0, 0] and list(old["runs_suspect"]) == [0, 0]


# ---- summary.md -------------------------------------------------------------

def test_runs_cell_shows_the_suspect_run_and_keeps_its_row(suspect_md):
    prefork = named_cells(suspect_md, "prefork-epoll")
    assert prefork["runs ok/total"] == "3/3 (1 suspect)"
    assert prefork["req/s median (min–max)"] == "5,050 (5,000–5,100)"
    assert named_cells(suspect_md, "threadpool")["runs ok/total"] == "2/3"


def test_client_bound_column_after_wrk_cpu(suspect_md):
    assert "| wrk CPU % | client-bound | server CPU µs/req |" in suspect_md
    alignment = next(line for line in suspect_md.splitlines() if line.startswith("| --- |"))
    assert alignment == "| --- | --- |" + " --: |" * 16  # 18 columns, the new one a number
    assert named_cells(suspect_md, "prefork-epoll")["client-bound"] == "0/3"
    assert named_cells(suspect_md, "threadpool")["client-bound"] == "2/2"


def test_the_notes_say_what_client_bound_and_suspect_mean(suspect_md):
    notes = suspect_md[suspect_md.index(summary.LEGEND[:40]):]
    assert "*client-bound*" in notes and "wrk used at least 90 % of the CPUs it could run on" in notes
    assert "req/s ranks the client, compare server CPU µs/req instead" in notes
    assert "A *suspect* run measured normally" in notes
    assert notes.index("*client-bound*") < notes.index("\n## ")  # in the paragraph under the table


def test_suspect_run_listed_with_its_reason(suspect_md):
    section = suspect_md.index("\n## Runs that did not succeed or are suspect\n\n")
    suspect = suspect_md.index(f"- run 3 (prefork-epoll, 512 connections, repetition 2): suspect — {SUSPECT_REASON}\n")
    failed = suspect_md.index("- run 6 (threadpool, 512 connections, repetition 3): failed — server exited")
    assert section < suspect < failed


def test_only_suspect_runs_are_listed_as_such(tmp_path):
    text = wrk_tests.markdown(tmp_path, [wrk_tests.run(1, "prefork", 5000, 110, status="suspect", reason="why")])
    assert text.endswith("\n## Suspect runs\n\n- run 1 (prefork, 512 connections, repetition 1): suspect — why\n")
    assert wrk_tests.table_row(text, "prefork")[wrk_tests.RUNS_OK] == "1/1 (1 suspect)"


def test_the_harness_and_sampling_line(suspect_md):
    assert ("CPU pinning: server=0-1 wrk=2-3 (wrk and the server on disjoint CPUs).\n\n"
            "Harness threads on CPU 1; one /proc sample cost 85 µs wall, 60 µs CPU on average "
            "(max 400 µs wall, 300 µs CPU), every 100 ms (1,234 samples).\n\n| server |") in suspect_md


@pytest.mark.parametrize("meta, line", [
    ({"harness": {"cpus": [0, 1, 2, 3], "pinned": False}}, "Harness threads not pinned (on CPUs 0-3)."),
    ({"harness": {"cpus": [1, 3], "pinned": True}}, "Harness threads on CPUs 1,3."),
    ({"sampling": {"samples": 10, "interval_ms": 250, "wall_us_mean": 4.31, "wall_us_max": 12.5}},
     "One /proc sample cost 4.3 µs wall on average (max 12 µs wall), every 250 ms (10 samples)."),
])
def test_the_line_says_what_meta_json_records(tmp_path, meta, line):
    text = wrk_tests.markdown(tmp_path, [wrk_tests.run(1, "prefork", 5000, 110)], {**wrk_tests.context(), **meta})
    assert f"(wrk and the server on disjoint CPUs).\n\n{line}\n\n| server |" in text


def test_no_harness_line_without_the_keys(tmp_path):
    text = wrk_tests.markdown(tmp_path, [wrk_tests.run(1, "prefork", 5000, 110)])
    assert "Harness" not in text and "/proc sample" not in text
    assert "(wrk and the server on disjoint CPUs).\n\n| server |" in text


def test_without_the_column_the_table_is_as_before(tmp_path):
    text = wrk_tests.markdown(tmp_path, [wrk_tests.run(1, "prefork", 5000, 110)])
    assert "client-bound" not in text
    assert len(wrk_tests.table_row(text, "prefork")) == 17
    assert text.endswith(summary.LEGEND)  # no note about a column that is not there


def test_client_bound_not_known_is_a_dash(tmp_path):
    runs = [wrk_tests.run(1, "prefork", 5000, 110, client_bound=""),
            wrk_tests.run(2, "threadpool", 4000, 110, client_bound="true"),
            wrk_tests.run(3, "threadpool", 4100, 110)]  # no value: not known
    text = wrk_tests.markdown(tmp_path, runs)
    assert named_cells(text, "prefork")["client-bound"] == "–"
    assert named_cells(text, "threadpool")["client-bound"] == "1/1 (1 not known)"


def test_a_suspect_idle_run_is_measured(tmp_path):
    runs = [idle_tests.idle_run(1, "prefork", 1000, 0.2), idle_tests.idle_run(2, "prefork", 3000, 0.3,
                                                                              status="suspect", reason="why")]
    results = load_runs(idle_tests.results_dir(tmp_path, runs))
    row = idle_table(results).iloc[0]
    assert (row["runs_ok"], row["runs_suspect"], row["bytes_per_connection"]) == (2, 1, 2000)
    text = summary.summary_markdown(results)
    assert wrk_tests.table_row(text, "prefork")[idle_tests.RUNS_OK] == "2/2 (1 suspect)"
    assert "A *suspect* run measured normally" in text
    assert text.endswith("- run 2 (prefork, 2000 connections, repetition 2): suspect — why\n")


# ---- figures ----------------------------------------------------------------

def test_throughput_marks_client_bound_hollow_and_suspect_crossed(results_suspect, suspect_dir):
    (ax,) = throughput.draw(results_suspect).axes
    assert [b.get_height() for b in bars(ax)] == pytest.approx(
        drawn.medians(suspect_dir, "requests_per_s", ["prefork-epoll", "threadpool"]))
    # prefork-epoll's bar filled as before; threadpool's median, of client-bound runs, hollow.
    assert [to_hex(b.get_facecolor()) for b in bars(ax)] == [KNOWN["prefork-epoll"], WHITE]
    circles, crossed, hollow = ax.collections[:3]
    assert list(circles.get_offsets()[:, 1]) == [5000, 5050]
    assert list(crossed.get_offsets()[:, 1]) == [5100]  # run 3, suspect, between the others
    assert crossed.get_offsets()[0, 0] == pytest.approx(bars(ax)[0].get_x() + bars(ax)[0].get_width() / 2)
    assert list(crossed.get_sizes()) == [44]  # a larger mark than the dots
    assert list(hollow.get_offsets()[:, 1]) == [4000, 5000]
    assert {to_hex(c) for c in hollow.get_facecolors()} == {WHITE}
    assert {to_hex(c) for c in circles.get_facecolors()} == {KNOWN["prefork-epoll"]}
    labels = legend_labels(ax.get_legend())
    assert CLIENT_BOUND_LABEL in labels and SUSPECT_LABEL in labels
    bar_texts = [t for t in texts(ax) if t.startswith("median")]
    assert bar_texts[0].endswith("\n1 of 3 runs suspect")
    assert bar_texts[1].endswith("\n2 of 3 runs ok\n2 of 2 runs client-bound")


def test_no_marks_and_no_legend_entries_without_the_checks(results_a):
    (ax,) = throughput.draw(results_a).axes
    labels = legend_labels(ax.get_legend())
    assert CLIENT_BOUND_LABEL not in labels and SUSPECT_LABEL not in labels
    assert WHITE not in {to_hex(b.get_facecolor()) for b in bars(ax)}


def test_runs_that_are_all_fine_draw_as_before(copy_fixture, tmp_path):
    """client_bound false and wrk_cpus on every run change no figure: the same files as fixture-a's."""
    plain = load_results(copy_fixture("fixture-a"))
    path = copy_fixture("fixture-a", as_name="checked")
    lines = (path / "runs.csv").read_text().splitlines()
    lines = [line + (",client_bound,client_bound_reason,wrk_cpus" if i == 0 else ",false,,2")
             for i, line in enumerate(lines)]
    (path / "runs.csv").write_text("\n".join(lines) + "\n")
    checked = load_results(path)
    assert set(client_bound(checked.runs)) == {False}
    for a, b in zip(figures.plot_all(plain, tmp_path / "plain"), figures.plot_all(checked, tmp_path / "checked"),
                    strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_cpu_and_comparison_mark_the_runs_and_say_so(results_suspect, results_a):
    usage_ax, cost_ax = cpu.draw(results_suspect).axes
    assert {CLIENT_BOUND_LABEL, SUSPECT_LABEL} <= set(legend_labels(usage_ax.get_legend()))
    # prefork-epoll's cost: its two ok runs as dots, then the suspect run crossed; threadpool's hollow.
    assert [len(c.get_offsets()) for c in cost_ax.collections] == [2, 1, 2]
    assert {to_hex(c) for c in cost_ax.collections[2].get_facecolors()} == {WHITE}
    (ax,) = comparison.draw_throughput(results_a, results_suspect).axes
    assert {CLIENT_BOUND_LABEL, SUSPECT_LABEL} <= set(legend_labels(ax.get_legend()))
    (plain,) = comparison.draw_throughput(results_a, results_a).axes
    assert not {CLIENT_BOUND_LABEL, SUSPECT_LABEL} & set(legend_labels(plain.get_legend()))


def test_sweep_draws_client_bound_medians_hollow(results_sweep):
    runs = results_sweep.runs
    bound = (runs["server"] == "threadpool") & (runs["connections"] == 64)
    flagged = dataclasses.replace(results_sweep, runs=runs.assign(client_bound=bound.map({True: "true",
                                                                                         False: "false"})))
    rps_ax, p99_ax = sweep.draw(flagged).axes
    (hollow,) = [line for line in rps_ax.lines if line.get_label() == "_client-bound median"]
    expected = runs.loc[bound & (runs["status"] == "ok"), "requests_per_s"].median()
    assert list(hollow.get_xdata()) == [64]
    assert list(hollow.get_ydata()) == pytest.approx([expected])
    assert to_hex(hollow.get_markerfacecolor()) == WHITE
    assert CLIENT_BOUND_LABEL in legend_labels(rps_ax.get_legend())
    assert SUSPECT_LABEL not in legend_labels(rps_ax.get_legend())
    assert not [line for line in sweep.draw(results_sweep).axes[0].lines if line.get_label().startswith("_client")]


# ---- style ------------------------------------------------------------------

def test_the_floor_peer_has_a_colour_of_its_own():
    floor = color_for("floor", peer=True)
    assert floor == PEERS["floor"]
    others = [colour for name, colour in PEERS.items() if name != "floor"]
    assert floor not in others and floor not in set(KNOWN.values()) | set(OTHERS)
    # Not among the colours other labels are picked from, so theirs did not move.
    assert floor not in PEER_OTHERS and len(PEER_OTHERS) == len(others) + 1
    looks = Looks(pd.DataFrame({"server": ["floor"], "kind": ["peer"], "model": ["floor"]}))
    assert looks.color("floor") == floor


def test_fixture_meta_json_holds_the_new_keys(suspect_dir):
    """The fixture says what the tests above rely on (so they fail for the right reason if it changes)."""
    meta = json.loads((suspect_dir / "meta.json").read_text())
    assert meta["harness"] == {"cpus": [1], "pinned": True}
    assert meta["sampling"]["wall_us_mean"] == 85.2
