import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run(*args):
    return subprocess.run([sys.executable, "-m", "plots", *map(str, args)], cwd=REPO, capture_output=True,
                          text=True, timeout=120)


def test_writes_the_figures_and_prints_them(copy_fixture):
    path = copy_fixture("fixture-a")
    result = run(path)
    assert result.returncode == 0, result.stderr
    printed = result.stdout.split()
    assert printed and all(line.startswith(str(path / "plots")) for line in printed)
    assert (path / "plots" / "throughput.png").stat().st_size > 0
    assert (path / "plots" / "throughput.svg").stat().st_size > 0
    assert not any("compare" in line for line in printed)


def test_two_directories_also_compare_into_the_second(copy_fixture):
    a, b = copy_fixture("fixture-a"), copy_fixture("fixture-sweep")
    result = run(a, b)
    assert result.returncode == 0, result.stderr
    for name in ("compare-throughput", "compare-spectrum"):
        assert (b / "plots" / f"{name}.png").is_file()
        assert (b / "plots" / f"{name}.svg").is_file()
        assert not (a / "plots" / f"{name}.png").exists()
    assert (b / "plots" / "connection-sweep.png").is_file()


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
