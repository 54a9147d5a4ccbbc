"""The figures of two results directories side by side (plots.figures.comparison)."""

import dataclasses

import pytest

import drawn
from drawn import centres, hatches, heights, legend_labels, medians, texts, tick_labels
from plots.figures import comparison
from plots.style import PEER_HATCH

OURS = ["prefork-epoll", "threadpool"]


def faster(results, factor=2):
    """The same runs at factor times the req/s, from another host."""
    runs = results.runs.assign(requests_per_s=results.runs["requests_per_s"] * factor)
    return dataclasses.replace(results, runs=runs, meta={**results.meta, "host": {"hostname": "box"}})


def test_run_labels_say_what_differs(results_a, results_sweep):
    assert comparison.run_labels(results_a, results_sweep) == ("fixture-a", "fixture-sweep")
    assert comparison.run_labels(results_a, faster(results_a)) == ("fixture-host", "box")
    assert comparison.run_labels(results_a, results_a) == ("fixture-a", "fixture-a")


def test_throughput_pairs_a_and_b_and_writes_their_ratio(results_a, fixtures_dir):
    (ax,) = comparison.draw_throughput(results_a, faster(results_a)).axes
    a = medians(fixtures_dir / "fixture-a", "requests_per_s", OURS)
    assert heights(ax) == pytest.approx([a[0], 2 * a[0], a[1], 2 * a[1]])
    assert hatches(ax) == [None, "///", None, "///"]  # b hatched
    assert centres(ax) == pytest.approx([-0.19, 0.19, 0.81, 1.19])
    assert [t for t in texts(ax) if t.startswith("b/a")] == ["b/a ×2.00", "b/a ×2.00"]
    assert f"{a[0]:,.0f}" in texts(ax) and f"{2 * a[0]:,.0f}" in texts(ax)
    assert tick_labels(ax) == OURS
    assert legend_labels(ax.get_legend()) == ["a: fixture-host", "b: box", "one repetition"]


def test_throughput_of_different_connection_counts_names_them(results_a, results_sweep):
    (ax,) = comparison.draw_throughput(results_a, results_sweep).axes
    assert tick_labels(ax) == ["prefork-epoll\n512 connections", "threadpool\n512 connections",
                               "prefork-epoll\n16 connections", "prefork-epoll\n64 connections",
                               "threadpool\n16 connections", "threadpool\n64 connections"]
    assert not [t for t in texts(ax) if t.startswith("b/a")]  # nothing measured by both
    assert ax.get_yscale() == "linear"  # the medians lie within a factor of 20


def test_throughput_on_a_log_scale_when_the_medians_are_far_apart(results_a):
    (ax,) = comparison.draw_throughput(results_a, faster(results_a, 100)).axes
    assert ax.get_yscale() == "log"
    assert [t for t in texts(ax) if t.startswith("b/a")] == ["b/a ×100.00", "b/a ×100.00"]


def test_throughput_puts_the_peers_last(results_a, results_peers):
    (ax,) = comparison.draw_throughput(results_a, results_peers).axes
    assert tick_labels(ax) == ["prefork-epoll", "threadpool", "fasthttp-prefork", "nginx"]
    assert PEER_HATCH not in hatches(ax)  # hatching says a or b here; a peer's mark is its band
    assert len([p for p in ax.patches if p not in drawn.bars(ax)]) == 1


def test_spectrum_draws_a_solid_and_b_dashed(results_a, fixtures_dir):
    (ax,) = comparison.draw_spectrum(results_a, faster(results_a)).axes
    # The medians only: a's two servers solid, then b's dashed.
    assert [(line.get_label(), line.get_linestyle()) for line in ax.lines] == [
        ("prefork-epoll", "-"), ("threadpool", "-"), ("prefork-epoll", "--"), ("threadpool", "--")]
    for line in ax.lines:
        expected = drawn.spectrum(fixtures_dir / "fixture-a", line.get_label())  # latency unchanged in b
        assert list(line.get_ydata()) == pytest.approx(list(expected))
    assert legend_labels(ax.get_legend()) == OURS + ["a: fixture-host", "b: box"]


def test_spectrum_marks_peers_in_its_legend(results_a, results_peers):
    (ax,) = comparison.draw_spectrum(results_a, results_peers).axes
    assert legend_labels(ax.get_legend())[:4] == ["prefork-epoll", "threadpool", "fasthttp-prefork (peer)",
                                                  "nginx (peer)"]


def test_nothing_to_compare(results_a):
    failed = dataclasses.replace(results_a, runs=results_a.runs.assign(status="failed"))
    assert comparison.draw_throughput(failed, failed) is None
    no_latency = dataclasses.replace(results_a, latency=results_a.latency.iloc[0:0])
    assert comparison.draw_spectrum(no_latency, no_latency) is None

