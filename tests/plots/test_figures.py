"""The figures of one results directory: what each one draws, checked against the fixture's CSV files.

fixture-a: prefork-epoll (3 runs) and threadpool (2 ok, 1 failed), 512
connections, 100 ms handler, split pinning of 2 CPUs each. fixture-sweep: the
same two servers at 16 and 64 connections, 10 ms handler. fixture-peers: two
of ours and two peers (fasthttp-prefork, and nginx-reuseport labelled nginx).
"""

import dataclasses

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from matplotlib.image import imread

import drawn
from drawn import bars, centres, hatches, heights, labelled_lines, legend_labels, medians, texts, tick_labels
from plots import figures
from plots.figures import cpu, fairness, latency, sweep, throughput
from plots.load import load_results
from plots.style import KNOWN, PEER_HATCH, PEERS

OURS = ["prefork-epoll", "threadpool"]
PEERS_FIXTURE = ["prefork-epoll", "threadpool", "fasthttp-prefork", "nginx"]  # ours first, then the peers


@pytest.fixture
def dir_a(fixtures_dir):
    return fixtures_dir / "fixture-a"


# ---- throughput -------------------------------------------------------------

def test_throughput_bars_are_medians_and_every_repetition_a_point(results_a, dir_a):
    fig = throughput.draw(results_a)
    (ax,) = fig.axes
    assert heights(ax) == pytest.approx(medians(dir_a, "requests_per_s", OURS))
    assert centres(ax) == pytest.approx([-0.2, 0.2])  # two bars of 0.4 around the one connection count
    assert drawn.colours(ax) == [KNOWN[s] for s in OURS]
    ok = drawn.ok_runs(dir_a)
    for (x, _), offsets, server in zip(zip(centres(ax), OURS), drawn.points(ax), OURS):
        assert list(offsets[:, 1]) == list(ok.loc[ok["server"] == server, "requests_per_s"])
        assert list(offsets[:, 0]) == pytest.approx(list(x + np.linspace(-0.1, 0.1, len(offsets))))
    assert tick_labels(ax) == OURS
    assert drawn.segments(ax) == [[[-0.45, 5120], [0.45, 5120]]]  # 512 connections / 0.1 s
    assert ax.get_ylim() == pytest.approx((0, 5120 * 1.1))
    assert fig._suptitle.get_text() == ("Throughput per server — fixture-a on fixture-host\n"
                                        "512 connections, handler waits 100 ms")


def test_throughput_writes_median_range_and_share_of_the_bound_on_each_bar(results_a, dir_a):
    (ax,) = throughput.draw(results_a).axes
    ok = drawn.ok_runs(dir_a)
    expected = []
    for server in OURS:
        runs = ok[ok["server"] == server]
        text = (f"median {runs['requests_per_s'].median():,.0f}\nmin {runs['requests_per_s'].min():,.0f}\n"
                f"max {runs['requests_per_s'].max():,.0f}\n{runs['efficiency'].median() * 100:.1f} % of bound")
        expected.append(text)
    expected[1] += "\n2 of 3 runs ok"  # threadpool's third run failed
    assert [t for t in texts(ax) if t.startswith("median")] == expected
    assert " Little's-law bound 5,120 req/s" in texts(ax)


def test_throughput_groups_bars_by_connection_count(results_sweep, fixtures_dir):
    (ax,) = throughput.draw(results_sweep).axes
    directory = fixtures_dir / "fixture-sweep"
    assert heights(ax) == pytest.approx(medians(directory, "requests_per_s", OURS, 16)
                                        + medians(directory, "requests_per_s", OURS, 64))
    assert tick_labels(ax) == ["16", "64"]
    assert drawn.segments(ax) == [[[-0.45, 1600], [0.45, 1600]], [[0.55, 6400], [1.45, 6400]]]  # N / 10 ms
    assert not [t for t in texts(ax) if t.startswith("median")]  # no numbers on the bars of a sweep
    assert legend_labels(ax.get_legend()) == OURS + ["median of repetitions", "one repetition",
                                                     "Little's-law bound (req/s)"]


def test_throughput_puts_the_peers_last_hatched_in_their_colours(results_peers, fixtures_dir):
    (ax,) = throughput.draw(results_peers).axes
    assert tick_labels(ax) == PEERS_FIXTURE
    assert heights(ax) == pytest.approx(medians(fixtures_dir / "fixture-peers", "requests_per_s", PEERS_FIXTURE))
    assert hatches(ax) == [None, None, PEER_HATCH, PEER_HATCH]
    assert drawn.colours(ax) == [KNOWN["prefork-epoll"], KNOWN["threadpool"], PEERS["fasthttp-prefork"],
                                 PEERS["nginx-reuseport"]]
    (band,) = [p for p in ax.patches if p not in bars(ax)]
    # Behind the two peers' bars (0.2 wide each, the bar width 0.8 / 4 servers), edge to edge.
    assert (band.get_xy()[:, 0].min(), band.get_xy()[:, 0].max()) == pytest.approx((centres(ax)[2] - 0.1,
                                                                                   centres(ax)[3] + 0.1))
    assert "peer (well-known server, not ours)" in legend_labels(ax.get_legend())
    assert "1 of 2 runs ok" in [t for t in texts(ax) if t.startswith("median")][3]


def test_throughput_nothing_to_draw_when_every_run_failed(results_a):
    runs = results_a.runs.assign(status="failed")
    assert throughput.draw(dataclasses.replace(results_a, runs=runs)) is None


# ---- latency ----------------------------------------------------------------

def test_nines():
    assert list(latency.nines([0, 90, 99, 99.9])) == pytest.approx([0, 1, 2, 3])


def test_spectrum_draws_each_repetition_and_the_median_on_a_nines_axis(results_a, dir_a):
    (ax,) = latency.draw_spectrum(results_a).axes
    lines = labelled_lines(ax)
    assert list(lines) == OURS
    for server in OURS:
        median = drawn.spectrum(dir_a, server)
        assert lines[server].get_xdata() == pytest.approx(drawn.nines(median.index))
        assert lines[server].get_ydata() == pytest.approx(median.to_numpy())
    faint = [line for line in ax.lines if line.get_label().startswith("_")]
    assert len(faint) == len(drawn.ok_runs(dir_a))  # one per repetition that succeeded
    assert tick_labels(ax) == ["0", "50", "90", "99", "99.9"]
    assert legend_labels(ax.get_legend()) == OURS + ["each repetition"]


def test_spectrum_dashes_the_peers_and_marks_them_in_the_legend(results_peers):
    (ax,) = latency.draw_spectrum(results_peers).axes
    lines = labelled_lines(ax)
    assert list(lines) == ["prefork-epoll", "threadpool", "fasthttp-prefork (peer)", "nginx (peer)"]
    assert [line.get_linestyle() for line in lines.values()] == ["-", "-", "--", "--"]
    assert lines["nginx (peer)"].get_color() == PEERS["nginx-reuseport"]


def test_cdf_is_the_fraction_of_requests_within_each_latency(results_a, dir_a):
    (ax,) = latency.draw_cdf(results_a).axes
    lines = labelled_lines(ax)
    assert list(lines) == OURS
    for server in OURS:
        median = drawn.spectrum(dir_a, server, below_100=False)
        assert lines[server].get_xdata() == pytest.approx(median.to_numpy())
        assert lines[server].get_ydata() == pytest.approx(median.index / 100)
    assert ax.get_ylim() == (0, 1.02)
    assert ax.get_xlabel() == "latency (ms)"


def test_latency_panels_one_per_connection_count(results_sweep, fixtures_dir):
    fig = latency.draw_spectrum(results_sweep)
    assert [ax.get_title() for ax in fig.axes if ax.get_visible()] == ["16 connections", "64 connections"]
    line = labelled_lines(fig.axes[1])["threadpool"]
    assert line.get_ydata() == pytest.approx(drawn.spectrum(fixtures_dir / "fixture-sweep", "threadpool", 64))


def test_no_latency_figures_without_latency_rows(results_a):
    bare = dataclasses.replace(results_a, latency=results_a.latency.iloc[0:0])
    assert latency.draw_spectrum(bare) is None and latency.draw_cdf(bare) is None


# ---- fairness ---------------------------------------------------------------

def ranked_shares(workers: pd.DataFrame, run_ids, column: str) -> list[float]:
    """The median share of each rank (busiest first) of column over the runs."""
    shares = []
    for run_id in run_ids:
        run = workers[workers["run_id"] == run_id].sort_values(["connections", "requests"], ascending=False)
        shares.append(list(run[column] / run[column].sum() * 100))
    return list(np.median(shares, axis=0))


def test_worker_shares_rank_busiest_first(results_a):
    shares = fairness.worker_shares(results_a.workers[results_a.workers["run_id"] == 4])
    assert list(shares["connections"]) == [512, 0]  # worker 1 took them all in run 4
    assert list(shares["connections_share"]) == [100, 0]
    assert list(shares["rank"]) == [0, 1]


def test_fairness_panels_show_each_ranks_share_and_jains_index(results_a, dir_a):
    fig = fairness.draw(results_a)
    workers = pd.read_csv(dir_a / "workers.csv")
    ok = drawn.ok_runs(dir_a)
    for ax, server in zip(fig.axes, OURS):
        run_ids = list(ok.loc[ok["server"] == server, "run_id"])
        expected = ranked_shares(workers, run_ids, "connections") + ranked_shares(workers, run_ids, "requests")
        assert heights(ax) == pytest.approx(expected)
        assert hatches(ax) == [None, None, "///", "///"]  # connections solid, requests hatched
        jains = [np.median([drawn.jain(workers.loc[workers["run_id"] == r, column]) for r in run_ids])
                 for column in ("connections", "requests")]
        assert ax.get_title() == f"{server}\nJain's index: connections {jains[0]:.2f}, requests {jains[1]:.2f}"
        assert [list(line.get_ydata()) for line in ax.lines] == [[50, 50]]  # the even share of two workers
    assert fig._suptitle.get_text().startswith("Connections and requests per worker — fixture-a")


def test_fairness_leaves_the_peers_out_and_says_so(results_peers):
    fig = fairness.draw(results_peers)
    assert [ax.get_title().split("\n")[0] for ax in fig.axes if ax.get_visible()] == OURS
    assert fig._suptitle.get_text().endswith("\n2 peers not shown: peers expose no per-worker counters")


def test_fairness_with_many_workers_draws_areas(results_a):
    """accept-mutex-blocking-512 has 512 processes: bars too thin for points, the shares as areas instead."""
    rows = [{"run_id": run_id, "server": server, "worker": w, "connections": 1, "requests": 100 + w}
            for run_id, server in zip(results_a.ok_runs()["run_id"], results_a.ok_runs()["server"])
            for w in range(512)]
    fig = fairness.draw(dataclasses.replace(results_a, workers=pd.DataFrame(rows)))
    ax = fig.axes[0]
    assert bars(ax) == [] and len(ax.collections) == 2  # connections and requests, each one area
    assert ax.get_xlim() == (-0.6, 511.6)
    assert [list(line.get_ydata()) for line in ax.lines] == [[100 / 512, 100 / 512]]


def test_no_fairness_without_worker_rows(results_a, results_peers):
    assert fairness.draw(dataclasses.replace(results_a, workers=results_a.workers.iloc[0:0])) is None
    runs = results_peers.runs[results_peers.runs["kind"] == "peer"]
    assert fairness.draw(dataclasses.replace(results_peers, runs=runs)) is None  # no server of ours to show


# ---- connection sweep -------------------------------------------------------

def test_sweep_draws_median_req_s_and_p99_per_connection_count(results_sweep, fixtures_dir):
    rps_ax, p99_ax = sweep.draw(results_sweep).axes
    directory = fixtures_dir / "fixture-sweep"
    for ax, column in ((rps_ax, "requests_per_s"), (p99_ax, "latency_p99_ms")):
        lines = labelled_lines(ax)
        for server in OURS:
            assert list(lines[server].get_xdata()) == [16, 64]
            assert list(lines[server].get_ydata()) == pytest.approx(
                [medians(directory, column, [server], c)[0] for c in (16, 64)])
            assert lines[server].get_marker() == "o"
        assert ax.get_xscale() == "log" and list(ax.get_xticks()) == [16, 64]
    assert list(labelled_lines(rps_ax)["Little's-law bound"].get_ydata()) == pytest.approx([1600, 6400])


def test_sweep_only_with_several_connection_counts(results_a):
    assert sweep.draw(results_a) is None


# ---- CPU --------------------------------------------------------------------

@pytest.mark.parametrize("pinning, host, expected", [
    ("server=0 wrk=1", {}, {"server": 1, "wrk": 1}),
    ("server=0-1 wrk=2-3", {}, {"server": 2, "wrk": 2}),
    ("server=0-2,5 wrk=3-4", {}, {"server": 4, "wrk": 2}),
    ("none", {"allowed_cpu_count": 8}, {"server": 8, "wrk": 8}),
])
def test_cpu_ceilings(pinning, host, expected):
    assert cpu.cpu_ceilings({"pinning": {"description": pinning}, "host": host}) == expected


@pytest.mark.parametrize("server, wrk, verdict", [
    (179, 50, "neither at its CPU limit"), (180, 50, "server at its CPU limit"),
    (20, 195, "wrk at its CPU limit"), (190, 190, "both at their CPU limit"),
])
def test_saturated_is_90_percent_of_a_sides_cpus(server, wrk, verdict):
    row = pd.Series({"server_cpu_percent": server, "wrk_cpu_percent": wrk})
    assert cpu.saturated(row, {"server": 2, "wrk": 2}) == verdict


def test_cpu_draws_both_sides_usage_and_the_cost_of_a_request(results_a, dir_a):
    usage_ax, cost_ax = cpu.draw(results_a).axes
    server = medians(dir_a, "server_cpu_percent", OURS)
    wrk = medians(dir_a, "wrk_cpu_percent", OURS)
    assert heights(usage_ax) == pytest.approx([server[0], wrk[0], server[1], wrk[1]])
    assert hatches(usage_ax) == [None, "///", None, "///"]  # wrk hatched
    ok = drawn.ok_runs(dir_a).assign(cost=lambda r: r["server_cpu_s"] / r["requests"] * 1e6)
    assert heights(cost_ax) == pytest.approx([ok.loc[ok["server"] == s, "cost"].median() for s in OURS])
    assert [list(line.get_ydata()) for line in usage_ax.lines] == [[200, 200]]  # 2 CPUs per side
    assert "saturated: 2 CPUs each (server and wrk pinned apart)" in texts(usage_ax)
    assert tick_labels(usage_ax) == [f"{s}\n(neither at its CPU limit)" for s in OURS]
    assert usage_ax.get_title() == "who was busy — pinning: server=0-1 wrk=2-3"
    assert tick_labels(cost_ax) == OURS


def test_cpu_with_peers_hatches_their_cost_and_bands_them(results_peers):
    usage_ax, cost_ax = cpu.draw(results_peers).axes
    assert tick_labels(cost_ax) == PEERS_FIXTURE
    assert hatches(cost_ax) == [None, None, PEER_HATCH, PEER_HATCH]
    for ax in (usage_ax, cost_ax):
        assert len([p for p in ax.patches if p not in bars(ax)]) == 1  # the peers' band


# ---- a dozen servers --------------------------------------------------------

PEER_NAMES = ["fasthttp-single", "fasthttp-prefork", "fasthttp-prefork-reuseport", "nginx-reuseport",
              "nginx-accept-mutex", "nginx-shared", "apache-prefork-256", "apache-prefork-512", "apache-event"]


def many_servers(results, connections=(512,)):
    """results' two servers of ours and nine peers (copies of fasthttp-prefork's runs), at each connection count."""
    runs, spectra, workers = [], [], []
    base = results.runs[results.runs["server"].isin(["prefork-epoll", "threadpool", "fasthttp-prefork"])]
    next_id = 1
    for count in connections:
        for label in ["prefork-epoll", "threadpool", *PEER_NAMES]:
            source = base[base["server"] == ("fasthttp-prefork" if label in PEER_NAMES else label)]
            for _, run in source.iterrows():
                scale = 1 + 0.02 * len(runs)  # every server a little apart
                copy = run.copy()
                copy[["run_id", "server", "connections"]] = [next_id, label, count]
                if label in PEER_NAMES:
                    copy[["model", "kind"]] = [label, "peer"]
                copy[["requests_per_s", "requests"]] = copy[["requests_per_s", "requests"]] * scale
                runs.append(copy)
                spectrum = results.latency[results.latency["run_id"] == run["run_id"]].assign(
                    run_id=next_id, server=label)
                spectra.append(spectrum.assign(latency_ms=spectrum["latency_ms"] * scale))
                workers.append(results.workers[results.workers["run_id"] == run["run_id"]].assign(
                    run_id=next_id, server=label))
                next_id += 1
    return dataclasses.replace(results, runs=pd.DataFrame(runs).reset_index(drop=True),
                               latency=pd.concat(spectra, ignore_index=True),
                               workers=pd.concat(workers, ignore_index=True))


def test_a_dozen_servers_at_one_connection_count(results_peers):
    one = many_servers(results_peers)
    (ax,) = throughput.draw(one).axes
    assert tick_labels(ax) == ["prefork-epoll", "threadpool", *PEER_NAMES]
    assert len(bars(ax)) == 11
    assert all(label.get_rotation() == 30 for label in ax.get_xticklabels())  # tilted to fit
    assert "numbers on a bar: median,\nmin–max req/s, % of the bound" in legend_labels(ax.get_legend())
    usage_ax, cost_ax = cpu.draw(one).axes
    assert usage_ax.get_subplotspec().get_geometry() == (2, 1, 0, 0)  # one above the other
    assert sweep.draw(one) is None


def test_a_dozen_servers_at_two_connection_counts_share_one_legend(results_peers):
    two = many_servers(results_peers, connections=(256, 512))
    fig = latency.draw_spectrum(two)
    (legend,) = fig.legends
    assert legend_labels(legend)[:2] == ["prefork-epoll", "threadpool"]
    assert len(legend_labels(legend)) == 12  # eleven servers and "each repetition"
    assert all(ax.get_legend() is None for ax in fig.axes)
    sweep_fig = sweep.draw(two)
    lines = labelled_lines(sweep_fig.axes[0])
    assert lines["apache-event (peer)"].get_marker() == "s" and lines["apache-event (peer)"].get_linestyle() == "--"
    assert len(sweep_fig.legends) == 1


# ---- plot_all ---------------------------------------------------------------

def test_plot_all_writes_each_figure_as_png_and_svg_into_the_results_plots_folder(copy_fixture):
    results = load_results(copy_fixture("fixture-sweep"))
    paths = figures.plot_all(results)
    names = ["throughput", "latency-spectrum", "latency-cdf", "fairness", "connection-sweep", "cpu"]
    assert paths == [results.path / "plots" / f"{n}.{ext}" for n in names for ext in ("png", "svg")]
    for png in paths[::2]:
        assert imread(png).ndim == 3  # decodes as an image
    for svg in paths[1::2]:
        assert "</svg>" in svg.read_text()


def test_plot_all_skips_what_does_not_apply(results_a, tmp_path):
    assert "connection-sweep.png" not in {p.name for p in figures.plot_all(results_a, tmp_path)}
    no_data = dataclasses.replace(results_a, latency=results_a.latency.iloc[0:0], workers=results_a.workers.iloc[0:0])
    names = {p.name for p in figures.plot_all(no_data, tmp_path / "bare")}
    assert names == {"throughput.png", "throughput.svg", "cpu.png", "cpu.svg"}
    every_run_failed = dataclasses.replace(results_a, runs=results_a.runs.assign(status="failed"))
    assert figures.plot_all(every_run_failed, tmp_path / "failed") == []


def test_same_results_give_the_same_files(results_a, tmp_path):
    first = figures.plot_all(results_a, tmp_path / "1")
    second = figures.plot_all(results_a, tmp_path / "2")
    for a, b in zip(first, second):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_an_empty_kind_column_draws_as_before(copy_fixture, tmp_path):
    """A kind column saying ours (or nothing) everywhere changes nothing: the figures are the same files."""
    plain = load_results(copy_fixture("fixture-a"))
    path = copy_fixture("fixture-a", as_name="with-kind")
    lines = (path / "runs.csv").read_text().splitlines()
    lines = [line.replace("run_id,server,", "run_id,server,kind,", 1) if i == 0 else
             ",".join(line.split(",")[:2] + ["" if i % 2 else "ours"] + line.split(",")[2:])
             for i, line in enumerate(lines)]
    (path / "runs.csv").write_text("\n".join(lines) + "\n")
    with_kind = load_results(path)
    assert set(with_kind.runs["kind"]) == {"ours"}
    for a, b in zip(figures.plot_all(plain, tmp_path / "plain"), figures.plot_all(with_kind, tmp_path / "kind")):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_every_figure_is_a_figure(results_sweep):
    for name, draw in figures.FIGURES.items():
        assert isinstance(draw(results_sweep), Figure), name
