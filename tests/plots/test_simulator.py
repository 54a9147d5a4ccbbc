"""The dispatch simulator (plots.theory.simulator): the event simulation
against the fast paths, the policies reducing to each other where they must,
the lock and the pauses against hand-worked cases and queueing results."""
import numpy as np
import pytest

from plots.theory import closed_forms as cf
from plots.theory import dispatch
from plots.theory.event_simulation import PauseClock
from plots.theory.simulator import Pauses, Policy, simulate

MILLION = 1_000_000


def exponential(mean):
    return lambda rng, n: rng.exponential(mean, size=n)


def bimodal(rng, n):
    # ZygOS bimodal-1: 90 % take S/2, 10 % take 5.5 S.
    return np.where(rng.random(n) < 0.9, 0.5, 5.5)


def within(measured, expected, share):
    return abs(measured - expected) <= share * expected


# the four policies over three workers, with the connections PARTITIONED needs;
# few connections, so that the client's FIFO is used at high load
POLICIES = {
    Policy.SHARED: {},
    Policy.RANDOM: {},
    Policy.PARTITIONED: {"connections_per_worker": [2, 3, 1]},
    Policy.ONE_WORKER: {},
}


def run(arrivals, costs, policy, k=3, **options):
    extra = dict(POLICIES[policy]) if k == 3 else {}
    extra.update(options)
    return simulate(arrivals, costs, policy, k, **extra)


# ---------------------------------------------------------------- the engines agree

def grid_schedule(count, spacing, seed):
    """Sends and work on a grid of 1/4 (`spacing` quarters apart on average
    per worker): many exact ties between sends and completions, where the
    engines' order of events must agree too."""
    rng = np.random.default_rng(seed)
    arrivals = np.cumsum(rng.integers(0, 3, size=count) * spacing) * 0.25
    return arrivals, rng.integers(1, 5, size=count) * 0.25  # rho 0.83 per worker


@pytest.mark.parametrize("policy", list(Policy))
@pytest.mark.parametrize("sampler", [exponential(1.0), bimodal, "grid"], ids=["exponential", "bimodal", "grid"])
def test_the_event_simulation_is_the_fast_path_exactly(policy, sampler):
    # Without lock and pauses both engines compute the same floats in the same
    # order; any difference is a bug in one of them.
    k = 1 if policy is Policy.ONE_WORKER else 3
    if sampler == "grid":
        arrivals, costs = grid_schedule(100_000, 1 if k == 3 else 3, seed=21)
    else:
        arrivals, costs = dispatch.poisson_schedule(0.85 * k, 100_000, sampler, seed=21)
    fast = run(arrivals, costs, policy, engine="fast", seed=5)
    events = run(arrivals, costs, policy, engine="events", seed=5)
    np.testing.assert_array_equal(events, fast)


def test_the_client_fifo_is_used_in_the_engine_check():
    # The check above means something for PARTITIONED only if requests did
    # wait for a connection: some are sent with all 6 connections in flight.
    arrivals, costs = dispatch.poisson_schedule(3 * 0.85, 100_000, exponential(1.0), seed=21)
    completion = np.sort(arrivals + run(arrivals, costs, Policy.PARTITIONED, seed=5))
    in_flight = np.arange(len(arrivals)) - np.searchsorted(completion, arrivals, side="right")
    assert (in_flight >= 6).mean() > 0.01


@pytest.mark.parametrize("policy", list(Policy))
def test_with_one_worker_every_policy_is_one_queue_even_with_lock_and_pauses(policy):
    arrivals, costs = dispatch.poisson_schedule(0.6, 50_000, exponential(1.0), seed=22)
    options = {"connections_per_worker": [5]} if policy is Policy.PARTITIONED else {}
    plain = simulate(arrivals, costs, policy, 1, **options)
    np.testing.assert_array_equal(plain, dispatch.one_worker(arrivals, costs))
    pauses = Pauses(3.0, 40.0, [11.0])
    reference = simulate(arrivals, costs, Policy.ONE_WORKER, 1, critical_share=0.4, pause=pauses)
    np.testing.assert_array_equal(simulate(arrivals, costs, policy, 1, critical_share=0.4, pause=pauses, **options),
                                  reference)


# ---------------------------------------------------------------- the keep-alive client

def test_one_connection_serialises_the_requests():
    arrivals, costs = dispatch.poisson_schedule(1.5, 20_000, exponential(1.0), seed=23)
    response = simulate(arrivals, costs, Policy.PARTITIONED, 2, connections_per_worker=[0, 1])
    completion = arrivals + response
    # request i is not sent before i - 1 answered: it ends at least its work after that
    assert (completion[1:] - completion[:-1] >= costs[1:] - 1e-9).all()
    # and it is then one FCFS queue
    np.testing.assert_allclose(response, dispatch.one_worker(arrivals, costs), rtol=0, atol=1e-9)


def test_one_connection_per_worker_is_the_shared_queue():
    # A request only takes an IDLE connection, so it finds its worker idle;
    # with none idle it waits in the client's FIFO for the first to free:
    # that FIFO is the thread pool's shared queue. Drawing among all
    # connections instead would queue requests behind busy workers.
    arrivals, costs = dispatch.poisson_schedule(2 * 0.8, 100_000, bimodal, seed=24)
    np.testing.assert_array_equal(simulate(arrivals, costs, Policy.PARTITIONED, 2, connections_per_worker=[1, 1]),
                                  dispatch.shared_queue(arrivals, costs, 2))


def test_many_idle_connections_are_random_dispatch_within_three_percent():
    # With 1000 connections almost all are idle, so a request's worker is
    # drawn nearly uniformly: random dispatch.
    arrivals, costs = dispatch.poisson_schedule(2 * 0.5, MILLION, exponential(1.0), seed=25)
    many = dispatch.partitioned(arrivals, costs, [500, 500], seed=26)
    spread = dispatch.random_dispatch(arrivals, costs, 2, seed=27)
    for p in (0.5, 0.99):
        assert within(np.quantile(many, p), np.quantile(spread, p), 0.03), p


def test_the_split_of_connections_weights_the_workers():
    # 900 of 1000 connections on worker 0 at low load: it takes about 90 %
    # of the requests, so it runs at rho ~ 0.9 * 2 * 0.3 = 0.54 and its p99 is M/M/1's.
    arrivals, costs = dispatch.poisson_schedule(2 * 0.3, 400_000, exponential(1.0), seed=28)
    response = dispatch.partitioned(arrivals, costs, [900, 100], seed=29)
    assert within(np.quantile(response, 0.99), cf.mm1_quantile(1.0, 0.54, 0.99), 0.05)


# ---------------------------------------------------------------- the lock

def test_a_hand_worked_lock_in_a_thread_pool():
    # Two workers, one process, half the work under the lock, work 1 each:
    # r0 holds 0-0.5, runs to 1; r1 waits for the lock 0.125-0.5, holds to 1,
    # runs to 1.5; r2 waits for a worker until 1, for the lock not at all
    # (r1 frees it at 1), holds to 1.5, runs to 2.
    response = simulate([0.0, 0.125, 0.25], [1.0, 1.0, 1.0], Policy.SHARED, 2, critical_share=0.5)
    np.testing.assert_array_equal(response, [1.0, 1.375, 1.75])


def test_a_whole_critical_section_in_one_process_is_one_queue():
    # Every request holds the one lock for all its work, FCFS in request
    # order: the thread pool is then one FCFS queue, bit for bit, also when
    # the process pauses.
    arrivals, costs = dispatch.poisson_schedule(0.5, 200_000, exponential(1.0), seed=30)
    pool = simulate(arrivals, costs, Policy.SHARED, 4, critical_share=1.0)
    np.testing.assert_array_equal(pool, dispatch.one_worker(arrivals, costs))
    pauses = Pauses(2.0, 30.0, [7.0])
    np.testing.assert_array_equal(simulate(arrivals, costs, Policy.SHARED, 4, critical_share=1.0, pause=pauses),
                                  simulate(arrivals, costs, Policy.ONE_WORKER, 1, pause=pauses))


@pytest.mark.parametrize("policy", [Policy.RANDOM, Policy.PARTITIONED])
def test_one_lock_over_partitioned_queues_has_the_pk_mean(policy):
    # The lock requests come out of request order, so this is not FCFS, but
    # the lock is still one work-conserving server that never looks at a
    # request's size: by the conservation law its mean response is M/G/1's
    # (Pollaczek-Khinchine), here M/M/1 at rho 0.5, 2 S.
    arrivals, costs = dispatch.poisson_schedule(0.5, MILLION, exponential(1.0), seed=31)
    options = {"connections_per_worker": [3, 5]} if policy is Policy.PARTITIONED else {}
    response = simulate(arrivals, costs, policy, 2, process_of_worker=[0, 0], critical_share=1.0, seed=32, **options)
    assert within(response.mean(), cf.mg1_mean_response(1.0, 0.5, 1.0), 0.02)
    order = np.argsort(arrivals + response, kind="stable")
    assert (np.diff(order) < 0).any(), "some lock requests were served out of request order"


@pytest.mark.parametrize("policy", list(Policy))
def test_a_lock_per_worker_process_changes_nothing(policy):
    # Each worker its own process: nobody else wants the lock.
    arrivals, costs = dispatch.poisson_schedule(3 * 0.8, 100_000, exponential(1.0), seed=33)
    locked = run(arrivals, costs, policy, process_of_worker=[0, 1, 2], critical_share=1.0, seed=6)
    np.testing.assert_array_equal(locked, run(arrivals, costs, policy, seed=6))


def test_the_lock_makes_the_thread_pool_lose_to_prefork():
    # The reason for the option: with 90 % of the work under a lock at 0.45
    # per worker the pool's lock runs at 0.81, prefork's at 0.45 each.
    arrivals, costs = dispatch.poisson_schedule(2 * 0.45, 200_000, exponential(1.0), seed=34)
    pool = simulate(arrivals, costs, Policy.SHARED, 2, critical_share=0.9)
    prefork = simulate(arrivals, costs, Policy.RANDOM, 2, critical_share=0.9, seed=35)
    assert np.quantile(pool, 0.99) > 1.5 * np.quantile(prefork, 0.99)
    unlocked = simulate(arrivals, costs, Policy.SHARED, 2)
    assert np.quantile(unlocked, 0.99) < np.quantile(prefork, 0.99)


# ---------------------------------------------------------------- the pauses

def test_the_pause_clock():
    clock = PauseClock(0.0, 1.0, 10.0)  # paused [0, 1), [10, 11), ...
    assert clock.advance(2.0, 3.0) == 5.0
    assert clock.advance(8.0, 2.0) == 10.0  # ends as the pause starts
    assert clock.advance(8.0, 3.0) == 12.0  # 2 before the pause, 1 after
    assert clock.advance(10.5, 1.0) == 12.0  # starts when the pause ends
    assert clock.advance(8.0, 21.0) == 32.0  # across three pauses
    assert clock.unpause(10.5) == 11.0 and clock.unpause(9.5) == 9.5 and clock.unpause(11.0) == 11.0
    assert not PauseClock(5.0, 1.0, 10.0).paused(1.0) and PauseClock(5.0, 1.0, 10.0).paused(-4.5)


def test_a_hand_worked_pause():
    # One worker, paused [0, 1) every 10: r0 sent in the pause starts at 1;
    # r1 runs 9.5-10, is frozen to 11, ends 11.5; r2, sent in the pause,
    # waits for r1 and runs 11.5-12.
    response = simulate([0.5, 9.5, 10.25], [1.0, 1.0, 0.5], Policy.ONE_WORKER, 1, pause=Pauses(1.0, 10.0, [0.0]))
    np.testing.assert_array_equal(response, [1.5, 2.0, 1.75])


def test_a_paused_idle_worker_takes_nothing_from_the_shared_queue():
    # Two prefork workers on one shared queue, process 0 paused [10, 11):
    # r2 arrives at 10.25 with worker 0 idle but paused and worker 1 busy to
    # 10.5; worker 1 takes it at 10.5 (0.5), not worker 0 at 11 (1.0).
    response = simulate([9.5, 9.625, 10.25], [0.25, 0.875, 0.25], Policy.SHARED, 2,
                        process_of_worker=[0, 1], pause=Pauses(1.0, 10.0, [0.0, 5.0]))
    np.testing.assert_array_equal(response, [0.25, 0.875, 0.5])


@pytest.mark.parametrize("policy", list(Policy))
def test_a_zero_pause_changes_nothing(policy):
    arrivals, costs = dispatch.poisson_schedule(3 * 0.8, 100_000, exponential(1.0), seed=36)
    for share in (0.0, 0.5):
        paused = run(arrivals, costs, policy, critical_share=share, pause=Pauses(0.0, 7.0), seed=7)
        np.testing.assert_array_equal(paused, run(arrivals, costs, policy, critical_share=share, engine="events", seed=7))


def test_pauses_add_the_vacation_delay_at_low_load():
    # rho 0.01, S = 1, P = 5 every T = 50: the low-load vacation model says
    # P^2/(2T) + P S/T = 0.25 + 0.1 (closed_forms.pause_mean_delay). The
    # queueing it leaves out adds about 1 % here (a request arriving in a
    # pause finds rho P/2 S of earlier ones: 0.1 * 0.025 = 0.0025, and the
    # load rises to rho T/(T - P)); the sampling error over 400k requests is
    # about 0.5 %. Pauses that only delayed starts (no frozen work) would
    # give 0.25, 29 % short.
    arrivals, costs = dispatch.poisson_schedule(0.01, 400_000, exponential(1.0), seed=37)
    plain = dispatch.one_worker(arrivals, costs)
    paused = simulate(arrivals, costs, Policy.ONE_WORKER, 1, pause=Pauses(5.0, 50.0), seed=38)
    assert within(paused.mean() - plain.mean(), cf.pause_mean_delay(5.0, 50.0, 1.0), 0.03)
    assert (paused >= plain - 1e-9).all(), "a pause never makes a request faster here"


def test_pauses_of_one_process_stall_the_pool_but_not_prefork_on_a_shared_queue():
    # Two workers on one shared queue at low load. One process: a request
    # arriving in the pause waits for it (P^2/(2T) + P S/T extra). Two
    # processes pausing half a period apart: the other one takes it, leaving
    # about the stretch P S/T, well under half.
    arrivals, costs = dispatch.poisson_schedule(0.02, 200_000, exponential(1.0), seed=39)
    plain = dispatch.shared_queue(arrivals, costs, 2)
    pool = simulate(arrivals, costs, Policy.SHARED, 2, pause=Pauses(5.0, 50.0, [0.0]))
    prefork = simulate(arrivals, costs, Policy.SHARED, 2, process_of_worker=[0, 1], pause=Pauses(5.0, 50.0, [0.0, 25.0]))
    assert within(pool.mean() - plain.mean(), cf.pause_mean_delay(5.0, 50.0, 1.0), 0.05)
    assert prefork.mean() - plain.mean() < 0.5 * (pool.mean() - plain.mean())


def test_random_pause_phases_come_from_the_seed():
    arrivals, costs = dispatch.poisson_schedule(2 * 0.5, 20_000, exponential(1.0), seed=40)
    one = simulate(arrivals, costs, Policy.RANDOM, 2, pause=Pauses(1.0, 20.0), seed=3)
    np.testing.assert_array_equal(one, simulate(arrivals, costs, Policy.RANDOM, 2, pause=Pauses(1.0, 20.0), seed=3))
    assert not np.array_equal(one, simulate(arrivals, costs, Policy.RANDOM, 2, pause=Pauses(1.0, 20.0), seed=4))


# ---------------------------------------------------------------- refusals

@pytest.mark.parametrize("call, message", [
    (lambda: simulate([1.0, 0.5], [1.0, 1.0], Policy.SHARED, 1), "non-decreasing"),
    (lambda: simulate([0.0], [-1.0], Policy.SHARED, 1), "non-negative"),
    (lambda: simulate([0.0], [1.0], Policy.SHARED, 0), "at least one worker"),
    (lambda: simulate([0.0], [1.0], Policy.SHARED, 1, critical_share=1.5), "critical_share"),
    (lambda: simulate([0.0], [1.0], Policy.SHARED, 1, pause=(2.0, 2.0)), "length < period"),
    (lambda: simulate([0.0], [1.0], Policy.RANDOM, 2, pause=(1.0, 5.0, [0.0])), "one pause phase per process"),
    (lambda: simulate([0.0], [1.0], Policy.PARTITIONED, 2), "connections_per_worker"),
    (lambda: simulate([0.0], [1.0], Policy.PARTITIONED, 2, connections_per_worker=[0, 0]), "at least one connection"),
    (lambda: simulate([0.0], [1.0], Policy.SHARED, 2, process_of_worker=[0]), "process_of_worker"),
    (lambda: simulate([0.0], [1.0], Policy.SHARED, 1, critical_share=0.5, engine="fast"), "fast paths"),
])
def test_what_cannot_be_simulated_is_refused(call, message):
    with pytest.raises(ValueError, match=message):
        call()
