"""Open-loop runs (prefork-load, runs.csv's generator `open`): how they are read, drawn and summarised.

fixture-open: prefork-epoll and threadpool, each at 500, 1,000 and 1,800
offered req/s (utilization 0.25, 0.5, 0.9 of a 2,000 req/s capacity), two
repetitions, cost work=exp:1ms, Poisson arrivals (the scenario's [load]), 64
connections. Run 3 (prefork-epoll, 1,000 req/s, repetition 1) is suspect;
run 12 (threadpool, 1,800 req/s, repetition 2) is client-bound (prefork-load
sent late). The expected numbers come from the CSV files with plain pandas.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest
from matplotlib.collections import PathCollection
from matplotlib.colors import to_hex

import drawn
from drawn import labelled_lines, legend_labels
from plots import figures, summary
from plots.figures import load_latency
from plots.figures.marks import SUSPECT_LABEL
from plots.load import ResultsError, load_results, load_runs
from plots.style import KNOWN

SERVERS = ["prefork-epoll", "threadpool"]
RATES = [500, 1000, 1800]
WHITE = "#ffffff"
PANEL_COLUMNS = ["latency_p50_ms", "latency_p99_ms", "latency_p99_9_ms"]


@pytest.fixture
def open_dir(fixtures_dir) -> Path:
    return fixtures_dir / "fixture-open"


@pytest.fixture
def results_open(open_dir):
    return load_results(open_dir)


@pytest.fixture
def open_md(open_dir) -> str:
    return summary.summary_markdown(load_runs(open_dir))


def csv_text(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


@pytest.fixture
def mixed_dir(fixtures_dir, tmp_path) -> Path:
    """fixture-suspect's wrk runs, then fixture-open's runs numbered after them, under fixture-suspect's meta.json."""
    wrk, opened = fixtures_dir / "fixture-suspect", fixtures_dir / "fixture-open"
    path = tmp_path / "mixed"
    path.mkdir()
    offset = len(csv_text(wrk / "runs.csv"))
    for name in ("runs.csv", "latency.csv", "workers.csv"):
        later = csv_text(opened / name)
        later["run_id"] = (later["run_id"].astype(int) + offset).astype(str)
        both = pd.concat([csv_text(wrk / name), later], ignore_index=True).fillna("")
        both.to_csv(path / name, index=False)
    (path / "meta.json").write_text((wrk / "meta.json").read_text())
    return path


def expected(directory: Path) -> pd.DataFrame:
    """Per (server, offered rate) of the open runs: medians of the measured runs, plain pandas."""
    runs = pd.read_csv(directory / "runs.csv")
    runs = runs[(runs["generator"] == "open") & runs["status"].isin(drawn.MEASURED)]
    return runs.groupby(["server", "offered_rps"]).median(numeric_only=True)


def table_lines(text: str, header_start: str) -> list[str]:
    """The lines of the Markdown table whose header starts with header_start."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header_start))
    out = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        out.append(line)
    return out


def cells(line: str) -> list[str]:
    return line[2:-2].split(" | ")


def number(cell: str) -> float:
    return float(cell.replace(",", ""))


OPEN_HEADER = "| server | kind | offered req/s |"
WRK_HEADER = "| server | kind | connections |"


# ---- reading ----------------------------------------------------------------

def test_the_new_columns_are_read_as_text_and_numbers(results_open):
    runs = results_open.runs
    assert set(runs["generator"]) == {"open"}
    assert set(runs["cost"]) == {"work=exp:1ms"}
    for column in ("offered_rps", "utilization", "send_lateness_p50_us", "send_lateness_p99_us"):
        assert runs[column].dtype.kind in "iuf", column
    assert sorted(runs["offered_rps"].unique()) == RATES
    assert sorted(runs["utilization"].unique()) == pytest.approx([0.25, 0.5, 0.9])


def test_older_results_are_wrk_runs_with_the_columns_empty(results_a):
    runs = results_a.runs
    assert set(runs["generator"]) == {"wrk"} and set(runs["cost"]) == {""}
    for column in ("offered_rps", "utilization", "send_lateness_p50_us", "send_lateness_p99_us"):
        assert runs[column].isna().all(), column
    assert results_a.wrk_only() is results_a


def test_empty_generator_is_wrk_and_an_unknown_one_names_its_line(copy_fixture):
    path = copy_fixture("fixture-open")
    runs = path / "runs.csv"
    lines = runs.read_text().splitlines()
    lines[1] = lines[1].replace(",open,work=exp:1ms,", ",,work=exp:1ms,", 1)
    runs.write_text("\n".join(lines) + "\n")
    assert load_runs(path).runs.loc[0, "generator"] == "wrk"
    lines[2] = lines[2].replace(",open,work=exp:1ms,", ",closed,work=exp:1ms,", 1)
    runs.write_text("\n".join(lines) + "\n")
    with pytest.raises(ResultsError, match=r"runs.csv: column 'generator' line 3: 'closed' is not one of wrk, open"):
        load_runs(path)


# ---- the figure -------------------------------------------------------------

def test_three_log_panels_one_line_per_server_against_utilization(results_open, open_dir):
    fig = load_latency.draw(results_open)
    assert len(fig.axes) == 3
    medians = expected(open_dir)
    for ax, column in zip(fig.axes, PANEL_COLUMNS):
        assert ax.get_yscale() == "log"
        assert ax.get_xlabel() == "utilization (offered rate / capacity)"
        lines = labelled_lines(ax)
        assert list(lines) == SERVERS
        for server in SERVERS:
            assert list(lines[server].get_xdata()) == pytest.approx([0.25, 0.5, 0.9])
            assert list(lines[server].get_ydata()) == pytest.approx(list(medians.loc[server, column]))
            assert lines[server].get_color() == KNOWN[server]
    title = fig._suptitle.get_text()
    assert title == ("Latency against offered load — fixture-open on fixture-host\n"
                     "open loop (prefork-load), Poisson arrivals, cost work=exp:1ms, 64 connections")


def test_a_min_max_band_and_every_repetition_a_dot(results_open, open_dir):
    fig = load_latency.draw(results_open)
    runs = drawn.ok_runs(open_dir)
    p99 = fig.axes[1]
    (band, *_) = [c for c in p99.collections if not isinstance(c, PathCollection)]
    ys = band.get_paths()[0].vertices[:, 1]
    mine = runs[runs["server"] == "prefork-epoll"]
    assert min(ys) == pytest.approx(mine["latency_p99_ms"].min())
    assert max(ys) == pytest.approx(mine["latency_p99_ms"].max())
    dots = [offset for c in p99.collections if isinstance(c, PathCollection) for offset in c.get_offsets().tolist()]
    assert sorted(map(tuple, dots)) == sorted(zip(runs["utilization"], runs["latency_p99_ms"]))


def test_client_bound_dots_hollow_suspect_crossed(results_open):
    fig = load_latency.draw(results_open)
    for ax, column in zip(fig.axes, PANEL_COLUMNS):
        runs = results_open.runs
        bound = runs.loc[runs["run_id"] == 12, column].iloc[0]
        suspect = runs.loc[runs["run_id"] == 3, column].iloc[0]
        faces = {}
        for c in ax.collections:
            if not isinstance(c, PathCollection):
                continue
            colours = c.get_facecolors()
            for i, (x, y) in enumerate(c.get_offsets().tolist()):
                faces[(x, y)] = (to_hex(colours[i % len(colours)]), c)
        assert faces[(0.9, bound)][0] == WHITE
        # Every other dot filled in its server's colour.
        assert {face for key, (face, _) in faces.items() if key != (0.9, bound)} <= set(KNOWN.values())
        crossed = faces[(0.5, suspect)][1]
        assert len(crossed.get_offsets()) == 1 and crossed.get_sizes()[0] == 30  # the sweep's cross
    labels = legend_labels(fig.legends[0])
    assert labels[:2] == SERVERS
    assert load_latency.CLIENT_BOUND_LABEL in labels and SUSPECT_LABEL in labels
    assert load_latency.BAND_LABEL in labels


def test_a_median_of_mostly_client_bound_runs_is_hollow(results_open, copy_fixture):
    path = copy_fixture("fixture-open")
    runs = pd.read_csv(path / "runs.csv", dtype=str, keep_default_na=False)
    runs.loc[runs["run_id"] == "6", "client_bound"] = "true"  # threadpool's first at 1,800 req/s too
    runs.to_csv(path / "runs.csv", index=False)
    ax = load_latency.draw(load_results(path)).axes[0]
    (hollow,) = [line for line in ax.lines if line.get_label() == "_client-bound median"]
    assert list(hollow.get_xdata()) == [0.9]
    assert to_hex(hollow.get_markerfacecolor()) == WHITE
    assert not [line for line in load_latency.draw(results_open).axes[0].lines
                if line.get_label() == "_client-bound median"]


def test_offered_req_s_on_x_when_a_run_has_no_utilization(copy_fixture):
    path = copy_fixture("fixture-open")
    runs = pd.read_csv(path / "runs.csv", dtype=str, keep_default_na=False)
    runs.loc[runs["run_id"] == "1", "utilization"] = ""
    runs.to_csv(path / "runs.csv", index=False)
    ax = load_latency.draw(load_results(path)).axes[0]
    assert ax.get_xlabel() == "offered load (requests/s)"
    assert list(labelled_lines(ax)["threadpool"].get_xdata()) == RATES


def test_no_figure_without_open_loop_runs(results_a, results_sweep):
    assert load_latency.draw(results_a) is None and load_latency.draw(results_sweep) is None


def test_the_command_draws_only_the_open_loop_figure(copy_fixture):
    path = copy_fixture("fixture-open")
    written = figures.plot_all(load_results(path))
    assert [p.name for p in written] == ["load-latency.png", "load-latency.svg"]


def test_wrk_figures_of_a_mixed_directory_are_those_of_its_wrk_runs(mixed_dir, fixtures_dir, tmp_path):
    wrk = figures.plot_all(load_results(fixtures_dir / "fixture-suspect"), tmp_path / "wrk")
    mixed = figures.plot_all(load_results(mixed_dir), tmp_path / "mixed")
    assert [p.name for p in mixed] == [p.name for p in wrk] + ["load-latency.png", "load-latency.svg"]
    for a, b in zip(wrk, mixed):
        assert a.read_bytes() == b.read_bytes(), a.name


# ---- summary.md ---------------------------------------------------------------

def test_the_open_loop_table_header_and_rows(open_md):
    lines = table_lines(open_md, OPEN_HEADER)
    assert lines[0] == ("| server | kind | offered req/s | utilization | runs ok/total | achieved req/s median "
                        "| p50 ms | p99 ms | p99.9 ms | send lateness p99 µs | client-bound | errors |")
    assert lines[1] == "| --- | --- |" + " --: |" * 10
    assert [cells(line)[:3] for line in lines[2:]] == [
        [server, "ours", f"{rate:,}"] for server in SERVERS for rate in RATES]


def test_the_open_loop_table_holds_the_medians(open_md, open_dir):
    medians = expected(open_dir)
    rows = {(c[0], int(number(c[2]))): c for c in map(cells, table_lines(open_md, OPEN_HEADER)[2:])}
    for (server, rate), row in rows.items():
        want = medians.loc[(server, rate)]
        assert number(row[3]) == pytest.approx(want["utilization"])
        assert number(row[5]) == pytest.approx(want["requests_per_s"], abs=0.5)
        for position, column in ((6, "latency_p50_ms"), (7, "latency_p99_ms"), (8, "latency_p99_9_ms")):
            assert number(row[position]) == pytest.approx(want[column]), (server, rate, column)
        assert number(row[9]) == pytest.approx(want["send_lateness_p99_us"], abs=0.5)
    assert rows[("threadpool", 1800)] == ["threadpool", "ours", "1,800", "0.90", "2/2", "1,778", "10.5", "140.0",
                                          "285.0", "205", "1/2", "1.5"]
    assert rows[("prefork-epoll", 1000)][4] == "2/2 (1 suspect)"
    assert rows[("prefork-epoll", 500)][10:] == ["0/2", "0"]


def test_only_open_runs_no_wrk_table_and_the_notes(open_md):
    assert WRK_HEADER not in open_md
    assert summary.LEGEND not in open_md
    assert ("## Open loop: latency against offered load\n\nEach run offered one rate with prefork-load in open loop: "
            "Poisson arrivals, cost work=exp:1ms, 64 connections.\n\n| server |") in open_md
    note = summary.OPEN_LEGEND.rstrip("\n")
    assert "\n\n" + note + summary.SUSPECT_NOTE + "\n" in open_md
    assert "from that intended send" in note and "*client-bound*" in note


def test_open_runs_that_are_not_ok_say_their_offered_rate(open_md):
    assert open_md.endswith(
        "## Suspect runs\n\n- run 3 (prefork-epoll, 1,000 req/s offered, repetition 1): suspect — sampling the "
        "server: open or read /proc/123/task/124/stat: Permission denied\n")


def test_a_mixed_directory_puts_each_generator_in_its_own_table(mixed_dir, fixtures_dir):
    wrk_md = summary.summary_markdown(load_runs(fixtures_dir / "fixture-suspect"))
    mixed_md = summary.summary_markdown(load_runs(mixed_dir))
    # wrk's part exactly as without the open runs, then the open-loop section.
    before = wrk_md[:wrk_md.index("\n## Runs that did not succeed or are suspect")]
    assert mixed_md.startswith(before + "\n## Open loop: latency against offered load\n\n")
    wrk_rows = table_lines(mixed_md, WRK_HEADER)[2:]
    assert [cells(line)[2] for line in wrk_rows] == ["512", "512"]  # prefork-epoll, threadpool: wrk's runs only
    assert len(table_lines(mixed_md, OPEN_HEADER)) == 2 + 6
    # No arrival in fixture-suspect's scenario: not said.
    assert "open loop: cost work=exp:1ms, 64 connections.\n" in mixed_md
    assert "- run 3 (prefork-epoll, 512 connections, repetition 2): suspect" in mixed_md
    assert "- run 9 (prefork-epoll, 1,000 req/s offered, repetition 1): suspect" in mixed_md


def test_a_cost_column_when_the_costs_differ(copy_fixture):
    path = copy_fixture("fixture-open")
    runs = pd.read_csv(path / "runs.csv", dtype=str, keep_default_na=False)
    runs.loc[runs["server"] == "threadpool", "cost"] = "work=exp:1ms;delay=fixed:10ms"
    runs.to_csv(path / "runs.csv", index=False)
    text = summary.summary_markdown(load_runs(path))
    lines = table_lines(text, "| server | kind | cost |")
    assert cells(lines[-1])[:4] == ["threadpool", "ours", "work=exp:1ms;delay=fixed:10ms", "1,800"]
    assert "open loop: Poisson arrivals, 64 connections.\n" in text
    labels = labelled_lines(load_latency.draw(load_results(path)).axes[0])
    assert list(labels) == ["prefork-epoll (work=exp:1ms)", "threadpool (work=exp:1ms;delay=fixed:10ms)"]


# ---- summary.csv and summary-open.csv -----------------------------------------

def test_summary_files_of_open_runs(copy_fixture, open_dir):
    path = copy_fixture("fixture-open")
    written = summary.write_summary(load_runs(path))
    assert [p.name for p in written] == ["summary.md", "summary.csv", "summary-open.csv"]
    assert len((path / "summary.csv").read_text().splitlines()) == 1  # wrk's table: its header alone
    table = pd.read_csv(path / "summary-open.csv", keep_default_na=False)
    assert list(table["offered_rps"]) == RATES * 2
    medians = expected(open_dir)
    for _, row in table.iterrows():
        want = medians.loc[(row["server"], row["offered_rps"])]
        assert row["p99_9_ms"] == pytest.approx(want["latency_p99_9_ms"])
        assert row["achieved_rps_median"] == pytest.approx(want["requests_per_s"])
    assert summary.open_csv(load_runs(path)) == (path / "summary-open.csv").read_text()


def test_wrk_results_write_no_open_loop_file(copy_fixture):
    path = copy_fixture("fixture-a")
    assert [p.name for p in summary.write_summary(load_runs(path))] == ["summary.md", "summary.csv"]
    assert "Open loop" not in (path / "summary.md").read_text()


def test_fixture_says_what_the_tests_rely_on(open_dir):
    runs = pd.read_csv(open_dir / "runs.csv", dtype={"client_bound": str}, keep_default_na=False)
    assert len(runs) == 12 and set(runs["generator"]) == {"open"}
    assert runs.loc[runs["run_id"] == 3, "status"].item() == "suspect"
    assert runs.loc[runs["run_id"] == 12, "client_bound"].item() == "true"
    assert (runs["client_bound"] == "true").sum() == 1
    assert 'arrival = "poisson"' in json.loads((open_dir / "meta.json").read_text())["scenario"]["content"]
    assert not math.isnan(runs["utilization"].astype(float).min())
