import dataclasses

import pandas as pd
import pytest

from plots import figures
from plots.colors import KNOWN, OTHERS, PEER_OTHERS, PEERS, color_for
from plots.load import load_results

SINGLE = [figures.throughput, figures.latency_spectrum, figures.latency_cdf, figures.fairness, figures.cpu]


def assert_images(paths, name):
    assert [p.name for p in paths] == [f"{name}.png", f"{name}.svg"]
    png, svg = paths
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 5000
    assert svg.read_text().lstrip().startswith("<?xml")
    assert "</svg>" in svg.read_text()


@pytest.mark.parametrize("figure", SINGLE, ids=lambda f: f.__name__)
@pytest.mark.parametrize("fixture", ["results_a", "results_sweep"])
def test_each_figure_writes_png_and_svg(figure, fixture, request, tmp_path):
    results = request.getfixturevalue(fixture)
    paths = figure(results, tmp_path / "out")
    assert_images(paths, figure.__name__.replace("_", "-"))


def test_connection_sweep_only_with_several_connection_counts(results_a, results_sweep, tmp_path):
    assert figures.connection_sweep(results_a, tmp_path) == []
    assert_images(figures.connection_sweep(results_sweep, tmp_path), "connection-sweep")


@pytest.mark.parametrize("figure", [figures.compare_throughput, figures.compare_spectrum],
                         ids=lambda f: f.__name__)
def test_compare_figures(figure, results_a, results_sweep, tmp_path):
    assert_images(figure(results_a, results_a, tmp_path), figure.__name__.replace("_", "-"))
    assert_images(figure(results_sweep, results_a, tmp_path / "mixed"), figure.__name__.replace("_", "-"))


def test_plot_all_defaults_to_the_results_plots_folder(copy_fixture):
    results = load_results(copy_fixture("fixture-sweep"))
    paths = figures.plot_all(results)
    assert {p.parent for p in paths} == {results.path / "plots"}
    assert sorted(p.stem for p in paths if p.suffix == ".png") == sorted(
        ["throughput", "latency-spectrum", "latency-cdf", "fairness", "connection-sweep", "cpu"])
    assert all(p.stat().st_size > 0 for p in paths)


def test_plot_all_skips_what_does_not_apply(results_a, tmp_path):
    paths = figures.plot_all(results_a, tmp_path)
    assert "connection-sweep.png" not in {p.name for p in paths}
    no_data = dataclasses.replace(results_a, latency=results_a.latency.iloc[0:0], workers=results_a.workers.iloc[0:0])
    names = {p.name for p in figures.plot_all(no_data, tmp_path / "bare")}
    assert names == {"throughput.png", "throughput.svg", "cpu.png", "cpu.svg"}


def test_nothing_to_draw_when_every_run_failed(results_a, tmp_path):
    runs = results_a.runs.assign(status="failed")
    assert figures.plot_all(dataclasses.replace(results_a, runs=runs), tmp_path) == []


def test_same_results_give_the_same_files(results_a, tmp_path):
    first = figures.throughput(results_a, tmp_path / "1")
    second = figures.throughput(results_a, tmp_path / "2")
    for a, b in zip(first, second):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_nines():
    assert list(figures.nines([0, 90, 99, 99.9])) == pytest.approx([0, 1, 2, 3])


def test_worker_shares_rank_busiest_first(results_a):
    shares = figures.worker_shares(results_a.workers[results_a.workers["run_id"] == 4])
    assert list(shares["connections"]) == [512, 0]  # worker 1 took them all in run 4
    assert list(shares["connections_share"]) == [100, 0]
    assert list(shares["rank"]) == [0, 1]


@pytest.mark.parametrize("pinning, host, expected", [
    ("server=0 wrk=1", {}, {"server": 1, "wrk": 1}),
    ("server=0-1 wrk=2-3", {}, {"server": 2, "wrk": 2}),
    ("server=0-2,5 wrk=3-4", {}, {"server": 4, "wrk": 2}),
    ("none", {"allowed_cpu_count": 8}, {"server": 8, "wrk": 8}),
])
def test_cpu_ceilings(pinning, host, expected):
    assert figures.cpu_ceilings({"pinning": {"description": pinning}, "host": host}) == expected


def test_run_labels_say_what_differs(results_a, results_sweep):
    assert figures.run_labels(results_a, results_sweep) == ("fixture-a", "fixture-sweep")
    other_host = dataclasses.replace(results_a, meta={**results_a.meta, "host": {"hostname": "box"}})
    assert figures.run_labels(results_a, other_host) == ("fixture-host", "box")
    assert figures.run_labels(results_a, results_a) == ("fixture-a", "fixture-a")


def test_colours_are_stable_and_distinct():
    assert color_for("prefork-epoll") == color_for("prefork-epoll")
    assert len(set(KNOWN.values())) == len(KNOWN)
    unknown = color_for("some-peer-server")
    assert unknown == color_for("some-peer-server")
    assert unknown not in KNOWN.values()


def test_fairness_with_many_workers(results_a, tmp_path):
    """accept-mutex-blocking-512 has 512 processes: bars too thin for points, still a figure."""
    rows = [{"run_id": run_id, "server": server, "worker": w, "connections": 1, "requests": 100 + w}
            for run_id, server in zip(results_a.ok_runs()["run_id"], results_a.ok_runs()["server"])
            for w in range(512)]
    many = dataclasses.replace(results_a, workers=pd.DataFrame(rows))
    assert_images(figures.fairness(many, tmp_path), "fairness")


# ---- peers ------------------------------------------------------------------

PEER_NAMES = ["fasthttp-single", "fasthttp-prefork", "fasthttp-prefork-reuseport", "nginx-reuseport",
              "nginx-accept-mutex", "nginx-shared", "apache-prefork-256", "apache-prefork-512", "apache-event"]


def many_servers(results, connections=(512,)):
    """results' two servers of ours and nine peers (copies of fasthttp-prefork's runs), at each connection count."""
    runs, latency, workers = [], [], []
    base = results.runs[results.runs["server"].isin(["prefork-epoll", "threadpool", "fasthttp-prefork"])]
    next_id = 1
    for count in connections:
        for label in ["prefork-epoll", "threadpool", *PEER_NAMES]:
            source = base[base["server"] == ("fasthttp-prefork" if label in PEER_NAMES else label)]
            for i, (_, run) in enumerate(source.iterrows()):
                scale = 1 + 0.02 * len(runs)  # every server a little apart
                copy = run.copy()
                copy[["run_id", "server", "connections"]] = [next_id, label, count]
                if label in PEER_NAMES:
                    copy[["model", "kind"]] = [label, "peer"]
                copy[["requests_per_s", "requests"]] = copy[["requests_per_s", "requests"]] * scale
                runs.append(copy)
                spectrum = results.latency[results.latency["run_id"] == run["run_id"]].assign(
                    run_id=next_id, server=label)
                latency.append(spectrum.assign(latency_ms=spectrum["latency_ms"] * scale))
                workers.append(results.workers[results.workers["run_id"] == run["run_id"]].assign(
                    run_id=next_id, server=label))
                next_id += 1
    return dataclasses.replace(results, runs=pd.DataFrame(runs).reset_index(drop=True),
                               latency=pd.concat(latency, ignore_index=True),
                               workers=pd.concat(workers, ignore_index=True))


@pytest.mark.parametrize("figure", SINGLE, ids=lambda f: f.__name__)
def test_each_figure_with_peers(figure, results_peers, tmp_path):
    assert_images(figure(results_peers, tmp_path), figure.__name__.replace("_", "-"))


def test_plot_all_with_peers_draws_every_figure(results_peers, tmp_path):
    names = sorted(p.stem for p in figures.plot_all(results_peers, tmp_path) if p.suffix == ".png")
    assert names == sorted(["throughput", "latency-spectrum", "latency-cdf", "fairness", "cpu"])


def test_fairness_leaves_peers_out(results_peers, tmp_path, monkeypatch):
    drawn = []
    panel = figures._fairness_panel
    monkeypatch.setattr(figures, "_fairness_panel", lambda ax, workers, server: (drawn.append(server),
                                                                                 panel(ax, workers, server)))
    assert_images(figures.fairness(results_peers, tmp_path), "fairness")
    assert drawn == ["prefork-epoll", "threadpool"]


def test_only_peers(results_peers, tmp_path):
    """A run of peers alone: no workers.csv rows, so no fairness figure, and every other figure."""
    runs = results_peers.runs[results_peers.runs["kind"] == "peer"]
    latency = results_peers.latency[results_peers.latency["run_id"].isin(runs["run_id"])]
    peers_only = dataclasses.replace(results_peers, runs=runs, latency=latency, workers=results_peers.workers.iloc[0:0])
    assert figures.fairness(peers_only, tmp_path) == []
    names = {p.stem for p in figures.plot_all(peers_only, tmp_path)}
    assert names == {"throughput", "latency-spectrum", "latency-cdf", "cpu"}


@pytest.mark.parametrize("figure", figures.FIGURES, ids=lambda f: f.__name__)
def test_a_dozen_servers_with_peers(figure, results_peers, tmp_path):
    """Two of ours and nine peers, at one and at two connection counts: every figure still draws."""
    one = many_servers(results_peers)
    two = many_servers(results_peers, connections=(256, 512))
    name = figure.__name__.replace("_", "-")
    if figure is figures.connection_sweep:
        assert figure(one, tmp_path / "one") == []
    else:
        assert_images(figure(one, tmp_path / "one"), name)
    assert_images(figure(two, tmp_path / "two"), name)


@pytest.mark.parametrize("figure", [figures.compare_throughput, figures.compare_spectrum],
                         ids=lambda f: f.__name__)
def test_compare_figures_with_peers(figure, results_a, results_peers, tmp_path):
    name = figure.__name__.replace("_", "-")
    assert_images(figure(results_a, results_peers, tmp_path / "mixed"), name)
    many = many_servers(results_peers)
    assert_images(figure(many, many, tmp_path / "many"), name)


def test_peers_are_told_apart(results_peers):
    assert figures._is_peer(results_peers, "nginx")
    assert not figures._is_peer(results_peers, "prefork-epoll")
    assert figures._shown(results_peers, "nginx") == "nginx (peer)"
    assert figures._shown(results_peers, "threadpool") == "threadpool"
    # nginx is the scenario's label for the nginx-reuseport peer: the peer's colour, by its name.
    assert figures._color(results_peers, "nginx") == PEERS["nginx-reuseport"]
    assert figures._color(results_peers, "prefork-epoll") == KNOWN["prefork-epoll"]


def test_peer_colours_are_their_own():
    ours = set(KNOWN.values()) | set(OTHERS)
    assert len(set(PEERS.values())) == len(PEERS)
    assert not set(PEERS.values()) & ours
    assert not set(PEER_OTHERS) & ours
    assert color_for("fasthttp-prefork", peer=True) == PEERS["fasthttp-prefork"]
    assert color_for("my-nginx", peer=True, model="nginx-shared") == PEERS["nginx-shared"]
    assert color_for("something", peer=True) in PEER_OTHERS
    assert color_for("something", peer=True) == color_for("something", peer=True)


def test_an_empty_kind_column_draws_as_before(copy_fixture, tmp_path):
    """A kind column saying ours everywhere changes nothing: the figures are the same files."""
    plain = load_results(copy_fixture("fixture-a"))
    path = copy_fixture("fixture-a", as_name="with-kind")
    lines = (path / "runs.csv").read_text().splitlines()
    lines = [line.replace("run_id,server,", "run_id,server,kind,", 1) if i == 0 else
             ",".join(line.split(",")[:2] + ["" if i % 2 else "ours"] + line.split(",")[2:])
             for i, line in enumerate(lines)]
    (path / "runs.csv").write_text("\n".join(lines) + "\n")
    with_kind = load_results(path)
    assert set(with_kind.runs["kind"]) == {"ours"}
    for figure in SINGLE:
        for a, b in zip(figure(plain, tmp_path / "plain"), figure(with_kind, tmp_path / "kind")):
            if a.suffix == ".png":
                assert a.read_bytes() == b.read_bytes(), a.name
