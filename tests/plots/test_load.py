import dataclasses
import json
import math

import pytest

from plots.load import ResultsError, latest_results, load_results, load_runs


def test_loads_every_file_with_numbers_as_numbers(results_a):
    runs = results_a.runs
    assert len(runs) == 6
    assert runs["requests_per_s"].dtype.kind == "f"
    assert runs["connections"].dtype.kind in "iu"
    assert list(runs["server"].unique()) == ["prefork-epoll", "threadpool"]
    assert results_a.latency["percentile"].tolist()[:5] == [50, 90, 99, 99.9, 100]
    assert results_a.workers["connections"].sum() == 5 * 512
    assert results_a.meta["pinning"]["description"] == "server=0-1 wrk=2-3"


def test_empty_fields_of_a_failed_run_are_nan_and_text_stays_text(results_a):
    failed = results_a.runs[results_a.runs["status"] == "failed"].iloc[0]
    assert math.isnan(failed["requests_per_s"])
    assert math.isnan(failed["latency_p99_ms"])
    assert failed["reason"] == "server exited with status 1 before its ready line"
    assert results_a.runs.iloc[1]["flags"] == ""


def test_scenario_host_and_ok_runs(results_a):
    assert results_a.scenario == "fixture-a"
    assert results_a.host == "fixture-host"
    assert len(results_a.ok_runs()) == 5
    assert set(results_a.ok_runs()["status"]) == {"ok"}


def test_ok_runs_of_one_server_or_connection_count_in_run_order(results_sweep):
    runs = results_sweep.runs
    shuffled = dataclasses.replace(results_sweep, runs=runs.iloc[::-1])
    ok = shuffled.ok_runs("threadpool", 64)
    expected = runs[(runs["status"] == "ok") & (runs["server"] == "threadpool") & (runs["connections"] == 64)]
    assert list(ok["run_id"]) == sorted(expected["run_id"]) and len(ok) == 2
    assert set(shuffled.ok_runs(connections=16)["connections"]) == {16}
    assert list(shuffled.ok_runs()["run_id"]) == sorted(runs.loc[runs["status"] == "ok", "run_id"])


def test_load_runs_reads_only_runs_and_meta(copy_fixture):
    path = copy_fixture("fixture-a")
    (path / "latency.csv").unlink()
    (path / "workers.csv").unlink()
    results = load_runs(path)
    assert len(results.runs) == 6 and results.scenario == "fixture-a"
    assert results.latency.empty and results.workers.empty
    with pytest.raises(ResultsError, match="latency.csv: no such file"):
        load_results(path)


@pytest.mark.parametrize("fixture, told", [
    ("fixture-missing-column", ["fixture-missing-column/runs.csv", "missing column 'requests_per_s'"]),
    ("fixture-non-numeric", ["fixture-non-numeric/latency.csv", "'latency_ms'", "line 4", "'fast'"]),
])
def test_a_malformed_file_is_named_with_what_is_wrong(fixtures_dir, fixture, told):
    """The file, then the column (and for a bad value its line and the value itself)."""
    with pytest.raises(ResultsError) as error:
        load_results(fixtures_dir / fixture)
    for part in told:
        assert part in str(error.value)


def test_missing_directory(tmp_path):
    with pytest.raises(ResultsError, match="no such directory") as error:
        load_results(tmp_path / "nowhere")
    assert str(tmp_path / "nowhere") in str(error.value)


@pytest.mark.parametrize("name", ["runs.csv", "latency.csv", "workers.csv", "meta.json"])
def test_missing_file(copy_fixture, name):
    path = copy_fixture("fixture-a")
    (path / name).unlink()
    with pytest.raises(ResultsError, match=f"{name}: no such file"):
        load_results(path)


def test_empty_csv(copy_fixture):
    path = copy_fixture("fixture-a")
    (path / "workers.csv").write_text("")
    with pytest.raises(ResultsError, match="workers.csv: empty file"):
        load_results(path)


def test_bad_json(copy_fixture):
    path = copy_fixture("fixture-a")
    (path / "meta.json").write_text('{"scenario": ')
    with pytest.raises(ResultsError, match="meta.json: not valid JSON"):
        load_results(path)


def test_meta_without_scenario_name(copy_fixture):
    path = copy_fixture("fixture-a")
    meta = json.loads((path / "meta.json").read_text())
    del meta["scenario"]["name"]
    (path / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(ResultsError, match=r"meta.json: missing scenario.name"):
        load_results(path)


def test_header_only_files_load_as_empty_tables(copy_fixture):
    path = copy_fixture("fixture-a")
    for name in ("latency.csv", "workers.csv"):
        header = (path / name).read_text().splitlines()[0]
        (path / name).write_text(header + "\n")
    results = load_results(path)
    assert results.latency.empty and results.workers.empty


def make_results_tree(root, names):
    for relative in names:
        d = root / relative
        d.mkdir(parents=True)
        (d / "runs.csv").write_text("run_id\n1\n")


def test_latest_results_orders_by_the_stamp_in_the_name(tmp_path):
    make_results_tree(tmp_path, [
        "vm/20261123T123017Z-seed",
        "vm/20261123T123320Z-seed-nodelay",
        "box/20250101T000000Z-seed",
        "box/20261201T000000Z-seed",
    ])
    (tmp_path / "vm/20270101T000000Z-seed").mkdir()  # no runs.csv: a run still going
    (tmp_path / "vm/20270102T000000Z-seed").mkdir()
    (tmp_path / "vm/20270102T000000Z-seed/runs.csv").write_text("run_id\n")  # header only: stopped before a run
    assert latest_results(tmp_path) == tmp_path / "box/20261201T000000Z-seed"
    assert latest_results(tmp_path, host="vm") == tmp_path / "vm/20261123T123320Z-seed-nodelay"
    assert latest_results(tmp_path, scenario="seed", host="vm") == tmp_path / "vm/20261123T123017Z-seed"
    assert latest_results(str(tmp_path), scenario="seed-nodelay") == tmp_path / "vm/20261123T123320Z-seed-nodelay"


def test_latest_results_none_found(tmp_path):
    make_results_tree(tmp_path, ["vm/20261123T123017Z-seed"])
    with pytest.raises(ResultsError, match="no results directory for scenario 'sweep'"):
        latest_results(tmp_path, scenario="sweep")
    with pytest.raises(ResultsError, match="no results directory"):
        latest_results(tmp_path, host="elsewhere")
    with pytest.raises(ResultsError):
        latest_results(tmp_path / "missing")


# ---- kind: ours or peer -----------------------------------------------------

def test_kind_defaults_to_ours_for_files_without_the_column(results_a, fixtures_dir):
    assert "kind" not in (fixtures_dir / "fixture-a" / "runs.csv").read_text().splitlines()[0].split(",")
    columns = list(results_a.runs.columns)
    assert columns[columns.index("server") + 1] == "kind"  # where the harness writes it
    assert set(results_a.runs["kind"]) == {"ours"}
    assert results_a.peers() == set()
    assert not results_a.is_peer("prefork-epoll")


def test_kind_read_as_text(results_peers):
    runs = results_peers.runs
    assert runs["kind"].tolist() == ["peer", "ours", "ours", "peer"] * 2
    assert results_peers.peers() == {"fasthttp-prefork", "nginx"}
    assert results_peers.is_peer("nginx") and not results_peers.is_peer("threadpool")
    # A peer has no per-worker counters: empty, so NaN, never 0.
    peers = runs[runs["kind"] == "peer"]
    for column in ("workers_conn_min", "workers_conn_max", "jain_connections"):
        assert peers[column].isna().all(), column
    # unserved_connections: the listen queue at the end, when the harness could read it.
    assert peers["unserved_connections"].tolist()[:2] == [0, 3]
    assert math.isnan(runs.loc[runs["run_id"] == 5, "unserved_connections"].iloc[0])
    assert set(results_peers.workers["server"]) == {"prefork-epoll", "threadpool"}


def test_empty_kind_is_ours(copy_fixture):
    path = copy_fixture("fixture-peers")
    runs = path / "runs.csv"
    lines = runs.read_text().splitlines()
    lines[1] = lines[1].replace(",fasthttp-prefork,peer,", ",fasthttp-prefork,,", 1)
    assert ",fasthttp-prefork,," in lines[1]
    runs.write_text("\n".join(lines) + "\n")
    results = load_results(path)
    assert results.runs.loc[0, "kind"] == "ours"
    assert results.peers() == {"fasthttp-prefork", "nginx"}  # its second run still says peer


def test_unknown_kind_names_file_line_and_value(copy_fixture):
    path = copy_fixture("fixture-peers")
    runs = path / "runs.csv"
    runs.write_text(runs.read_text().replace(",nginx,peer,", ",nginx,theirs,", 1))
    with pytest.raises(ResultsError) as error:
        load_results(path)
    message = str(error.value)
    assert "runs.csv: column 'kind' line 5: 'theirs'" in message
    assert "ours, peer" in message
