"""plots.when: the pooled percentiles, the model -> policy mapping, the
schedule command, the map's winner and factor, and the verdict's wording."""

import numpy as np
import pandas as pd
import pytest

from plots.theory.simulator import Policy
from plots.when import histogram
from plots.when.runs import cost_kind, layout_of, mean_work_ms
from plots.when.theory import TheoryError, policy_for, schedule_command
from plots.when.verdict import agreement_rows, verdict
from plots.when.when_map import map_table, winner


def test_slots_above_2048_are_as_wide_as_the_generators():
    assert histogram.highest_equivalent(2047) == 2047
    assert histogram.highest_equivalent(2048) == 2049
    assert histogram.highest_equivalent(4095) == 4095
    assert histogram.highest_equivalent(4096) == 4099
    assert histogram.highest_equivalent(1_000_000) - 1_000_000 < 1_000_000 / 1000


def test_a_pooled_percentile_is_the_nearest_rank_of_all_values_not_a_mean_of_percentiles():
    rng = np.random.default_rng(3)
    a, b = rng.integers(1, 2000, size=1000), rng.integers(1500, 2040, size=200)
    to_buckets = lambda v: {int(x): int(c) for x, c in zip(*np.unique(v, return_counts=True))}  # noqa: E731
    pool = histogram.pooled([to_buckets(a), to_buckets(b)])
    every = np.sort(np.concatenate([a, b]))
    assert histogram.count(pool) == 1200
    assert histogram.percentile_us(pool, 99) == every[int(np.ceil(0.99 * 1200)) - 1]
    mean_of_p99s = (histogram.percentile_us(to_buckets(a), 99) + histogram.percentile_us(to_buckets(b), 99)) / 2
    assert histogram.percentile_us(pool, 99) != mean_of_p99s


def test_flags_give_the_layout():
    layout = layout_of("prefork-epoll", "--workers 2 --listener reuseport --as threads --critical-section 0.25 --pause 5ms/100ms")
    assert (layout.workers, layout.threads, layout.listener, layout.critical_share) == (2, True, "reuseport", 0.25)
    assert layout.pause_s == pytest.approx((0.005, 0.1))
    assert layout.one_process
    assert not layout_of("prefork-epoll", "--workers 2").one_process
    assert layout_of("threadpool", "--workers 4").one_process


def test_each_model_is_the_policy_of_its_queues():
    tp = policy_for(layout_of("threadpool", "--workers 2"), False, [])
    assert tp.policy == Policy.SHARED
    assert policy_for(layout_of("threadpool", "--workers 2"), False, [], client_connections=1).workers == 1, \
        "one keep-alive connection carries one request at a time"
    assert policy_for(layout_of("threadpool", "--workers 2"), False, [], client_connections=64).workers == 2
    pe = policy_for(layout_of("prefork-epoll", "--workers 2 --listener reuseport"), False, [30, 34])
    assert (pe.policy, pe.connections_per_worker, pe.process_of_worker) == (Policy.PARTITIONED, (30, 34), (0, 1))
    twin = policy_for(layout_of("prefork-epoll", "--workers 2 --as threads --critical-section 0.5"), False, [30, 34])
    assert twin.process_of_worker == (0, 0) and twin.critical_share == 0.5
    assert policy_for(layout_of("prefork-epoll", "--workers 2"), True, []).policy == Policy.RANDOM
    blocking = policy_for(layout_of("accept-mutex-fork", "--workers 2 --io blocking"), True, [])
    assert blocking.policy == Policy.SHARED and blocking.process_of_worker == (0, 1), "a queue shared by two processes"
    with pytest.raises(TheoryError, match="whole backlog"):
        policy_for(layout_of("prefork-epoll", "--workers 2 --listener shared"), True, [])
    with pytest.raises(TheoryError):
        policy_for(layout_of("prefork-epoll", "--workers 2"), False, [64])
    assert layout_of("prefork-epoll", "", default_workers=8).workers == 8, "the servers' default: the host's CPUs"


def test_the_schedule_command_keeps_the_schedule_flags_and_drops_outputs_cpus_and_priority(tmp_path):
    recorded = ["/elsewhere/prefork-load", "--rate", "1600", "--duration", "20834ms", "--seed", "3", "--json", "r.json",
                "--cpus", "1", "--realtime", "--progress", "0", "--cost", "work=exp:1ms", "http://127.0.0.1:4000/"]
    argv = schedule_command(recorded, tmp_path / "prefork-load", tmp_path / "s.bin")
    assert argv[0] == str(tmp_path / "prefork-load")
    assert argv[-1] == "http://127.0.0.1:4000/"
    assert ["--rate", "1600"] == argv[1:3] and "--seed" in argv and "work=exp:1ms" in argv
    for gone in ("--json", "--cpus", "--realtime", "--progress", "r.json"):
        assert gone not in argv
    assert argv[-4:-1] == ["--write-schedule", str(tmp_path / "s.bin"), "--schedule-only"]


def test_costs_are_named_and_their_means_read():
    assert cost_kind("work=bimodal:0.9:500us:5500us") == "bimodal-1"
    assert cost_kind("work=bimodal:0.999:500us:500500us") == "bimodal-2"
    assert cost_kind("work=exp:1ms") == "exp"
    assert mean_work_ms("work=bimodal:0.999:500us:500500us") == pytest.approx(1.0)
    assert mean_work_ms("work=fixed:2ms") == pytest.approx(2.0)


def _point(series, p99, theory, scenario="when-dispersion", utilization=0.8, cost="exp", **extra):
    row = dict(scenario=scenario, series=series, server=series, utilization=utilization, cost_kind=cost, closed_loop=False,
               p99_ms=p99, theory_p99_ms=theory, saturated=False, requests=100_000, critical_share=0.0,
               connections=64, policy="")
    row.update(extra)
    return row


def test_the_map_names_the_lower_p99_and_the_factor_beside_the_theorys():
    points = pd.DataFrame([_point("threadpool", 10.0, 12.0), _point("prefork-epoll", 20.0, 23.0),
                           _point("threadpool", 5.0, 5.0, utilization=0.5), _point("prefork-epoll", 5.2, 5.0, utilization=0.5)])
    table = map_table(points)
    row = table[table["utilization"] == 0.8].iloc[0]
    assert row["winner"] == "threadpool" and row["factor"] == pytest.approx(0.5)
    assert row["theory_factor"] == pytest.approx(12 / 23)
    assert table[table["utilization"] == 0.5].iloc[0]["winner"] == "tie"
    assert winner(1.5) == "prefork" and winner(float("nan")) == ""


def test_the_verdict_groups_the_cells_and_checks_the_exponential_case_against_20_percent():
    points = pd.DataFrame([_point("threadpool", 10.0, 12.0), _point("prefork-epoll", 20.0, 23.0),
                           _point("threadpool", 4.0, 6.0, utilization=0.5), _point("prefork-epoll", 4.0, 4.1, utilization=0.5)])
    text = verdict(map_table(points), points)
    assert "The thread pool has it in: exponential, keep-alive at 0.8" in text
    rows = agreement_rows(points).set_index(["series", "utilization"])
    assert bool(rows.loc[("threadpool", 0.8), "within"]) and not bool(rows.loc[("threadpool", 0.5), "within"])
    assert "outside 20 %" in text


def test_the_overhead_is_the_measured_cpu_per_request_beyond_the_work():
    from plots.when.points import overhead_per_request
    report = {"sent": 1000, "generator_cpu_s": 0.04}
    shared = {"server_cpu_s": 1.05, "pinning": "none"}
    assert overhead_per_request(shared, report, 0.001) == pytest.approx(50e-6 + 40e-6)
    apart = {"server_cpu_s": 1.05, "pinning": "server=0 wrk=1"}
    assert overhead_per_request(apart, report, 0.001) == pytest.approx(50e-6), "a generator on its own CPUs takes none"
    assert overhead_per_request({"server_cpu_s": 0.9, "pinning": "x"}, report, 0.001) == 0, "never below the work"


def test_the_lock_covers_the_work_share_alone_not_the_measured_overhead():
    from plots.theory.simulator import simulate
    from plots.when.theory import simulated_responses
    send, work = np.array([0.0, 0.0]), np.array([1.0, 1.0])
    twin = policy_for(layout_of("threadpool", "--workers 2 --critical-section 1"), False, [])
    # Two requests at once, all their work under one lock, 0.5 more each outside it:
    # the second waits for the first's locked work only (1), not its overhead.
    assert list(simulated_responses(twin, send, work, 0.0, seed=1, overhead_s=0.5)) == [1.5, 2.5]
    assert list(simulate(send, work, "shared", 2, critical_work=work)) == list(simulate(send, work, "shared", 2, critical_share=1.0))
    with pytest.raises(ValueError):
        simulate(send, work, "shared", 2, critical_share=0.5, critical_work=work)
    with pytest.raises(ValueError):
        simulate(send, work, "shared", 2, critical_work=work * 2)
