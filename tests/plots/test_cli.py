import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from matplotlib.image import imread
from matplotlib.patches import Rectangle

from plots import figures
from plots.__main__ import main

REPO = Path(__file__).resolve().parents[2]


def run(*args):
    return subprocess.run([sys.executable, "-m", "plots", *map(str, args)], cwd=REPO, capture_output=True,
                          text=True, timeout=120)


FIGURES = ["throughput", "latency-spectrum", "latency-cdf", "fairness", "cpu"]  # fixture-a has one count


def written(directory: Path) -> set[str]:
    return {p.name for p in (directory / "plots").iterdir()}


def test_writes_the_figures_and_prints_them(copy_fixture):
    path = copy_fixture("fixture-a")
    result = run(path)
    assert result.returncode == 0, result.stderr
    expected = [path / "plots" / f"{name}.{ext}" for name in FIGURES for ext in ("png", "svg")]
    assert result.stdout.splitlines() == [str(p) for p in expected]
    assert written(path) == {p.name for p in expected}
    for png in expected[::2]:
        assert imread(png).shape[2] == 4, png.name  # each PNG decodes (RGBA)


def test_the_command_draws_the_results_it_is_given(copy_fixture, monkeypatch, capsys):
    """In process, through the command's own path: the throughput bars are the runs' medians."""
    path = copy_fixture("fixture-a")
    drawn = {}
    save = figures.save
    monkeypatch.setattr(figures, "save", lambda fig, out_dir, name: (drawn.setdefault(name, fig),
                                                                     save(fig, out_dir, name))[1])
    assert main([str(path)]) == 0
    assert list(drawn) == FIGURES
    runs = pd.read_csv(path / "runs.csv")
    ok = runs[runs["status"].isin(["ok", "suspect"])]  # the measured runs
    (ax,) = drawn["throughput"].axes
    assert [p.get_height() for p in ax.patches if type(p) is Rectangle] == pytest.approx(
        [ok.loc[ok["server"] == s, "requests_per_s"].median() for s in ("prefork-epoll", "threadpool")])
    assert capsys.readouterr().out.splitlines()[0] == str(path / "plots" / "throughput.png")


def test_two_directories_also_compare_into_the_second(copy_fixture):
    a, b = copy_fixture("fixture-a"), copy_fixture("fixture-sweep")
    result = run(a, b)
    assert result.returncode == 0, result.stderr
    compared = {f"compare-{name}.{ext}" for name in ("throughput", "spectrum") for ext in ("png", "svg")}
    assert compared <= written(b)
    assert not compared & written(a)
    assert "connection-sweep.png" in written(b)
    assert result.stdout.splitlines()[-4:] == [str(b / "plots" / name) for name in (
        "compare-throughput.png", "compare-throughput.svg", "compare-spectrum.png", "compare-spectrum.svg")]


def test_missing_directory_is_one_line_and_exit_2(tmp_path, copy_fixture):
    good = copy_fixture("fixture-a")
    result = run(good, tmp_path / "nowhere")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [f"plots: {tmp_path / 'nowhere'}: no such directory"]
    assert not (good / "plots").exists()  # nothing drawn when any directory is bad


def test_malformed_directory_names_file_and_column(copy_fixture):
    result = run(copy_fixture("fixture-missing-column"))
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("plots: ")
    assert "runs.csv: missing column 'requests_per_s'" in result.stderr


def test_help():
    result = run("--help")
    assert result.returncode == 0
    assert "RESULTS_DIR" in result.stdout


def test_no_arguments_is_a_usage_error():
    assert run().returncode == 2


def test_latest_draws_the_newest_run_of_the_scenario_on_this_host(copy_fixture):
    import socket
    older = copy_fixture("fixture-a", host=socket.gethostname(), as_name="20260101T000000Z-seed")
    newer = copy_fixture("fixture-a", host=socket.gethostname(), as_name="20260102T000000Z-seed")
    result = run("--latest", newer.parent.parent, "--scenario", "seed")
    assert result.returncode == 0, result.stderr
    assert (newer / "plots" / "throughput.png").is_file()
    assert not (older / "plots").exists()


def test_latest_needs_a_scenario():
    assert run("--latest", "results").returncode == 2
