"""The queueing theory beside the measured curves: the closed forms against
published figures, the simulator against the closed forms, and the dispatch
policies reducing to each other where they must."""
import math

import numpy as np
import pytest

from plots.theory import closed_forms as cf
from plots.theory import dispatch

MILLION = 1_000_000


def exponential(mean):
    return lambda rng, n: rng.exponential(mean, size=n)


def within(measured, expected, share):
    return abs(measured - expected) <= share * expected


def test_mm1_quantiles_are_the_issues_figures():
    assert cf.mm1_quantile(1.0, 0.5, 0.5) == pytest.approx(1.386, abs=1e-3)
    assert cf.mm1_quantile(1.0, 0.5, 0.99) == pytest.approx(9.21, abs=1e-2)


@pytest.mark.parametrize("rho", [0.1, 0.5, 0.8, 0.95])
def test_erlang_c_for_two_servers_is_the_closed_form(rho):
    assert cf.erlang_c(2, rho) == pytest.approx(2 * rho**2 / (1 + rho), rel=1e-12)


def test_one_server_erlang_c_is_the_utilisation_and_mmk_is_mm1():
    assert cf.erlang_c(1, 0.7) == pytest.approx(0.7)
    for p in (0.5, 0.9, 0.99, 0.999):
        assert cf.mmk_quantile(1.0, 1, 0.7, p) == pytest.approx(cf.mm1_quantile(1.0, 0.7, p), rel=1e-9)


@pytest.mark.parametrize("rho, partitioned, shared", [(0.5, 9.2, 5.7), (0.8, 23.0, 11.9), (0.9, 46, 23)])
def test_p99_of_two_mm1_against_mm2_as_published(rho, partitioned, shared):
    # ../shared/when-prefork-wins.md: "rho 0.5: 9.2 S vs 5.7 S; rho 0.8: 23.0 S vs 11.9 S; rho 0.9: 46 S vs 23 S".
    assert cf.mm1_quantile(1.0, rho, 0.99) == pytest.approx(partitioned, rel=0.01)
    assert cf.mmk_quantile(1.0, 2, rho, 0.99) == pytest.approx(shared, rel=0.02)


def test_pollaczek_khinchine_exponential_is_mm1_and_fixed_is_md1():
    assert cf.mg1_mean_response(1.0, 0.6, 1.0) == pytest.approx(1 / (1 - 0.6))
    assert cf.mg1_mean_response(1.0, 0.5, 0.0) == pytest.approx(1.5)


def test_an_unstable_queue_is_refused():
    with pytest.raises(ValueError, match="utilisation"):
        cf.mm1_quantile(1.0, 1.0, 0.99)
    with pytest.raises(ValueError, match="utilisation"):
        cf.mmk_quantile(1.0, 2, 1.2, 0.99)


@pytest.mark.parametrize("rho", [0.5, 0.8])
def test_one_shared_queue_over_one_worker_is_mm1_within_three_percent(rho):
    arrivals, costs = dispatch.poisson_schedule(rho, MILLION, exponential(1.0), seed=3)
    response = dispatch.shared_queue(arrivals, costs, 1)
    for p in (0.5, 0.99):
        assert within(np.quantile(response, p), cf.mm1_quantile(1.0, rho, p), 0.03), p


@pytest.mark.parametrize("rho", [0.5, 0.8])
def test_one_shared_queue_over_two_workers_is_mm2_within_three_percent(rho):
    arrivals, costs = dispatch.poisson_schedule(2 * rho, MILLION, exponential(1.0), seed=4)
    response = dispatch.shared_queue(arrivals, costs, 2)
    for p in (0.5, 0.99):
        assert within(np.quantile(response, p), cf.mmk_quantile(1.0, 2, rho, p), 0.03), p


def test_random_dispatch_to_two_workers_is_two_mm1_within_three_percent():
    # A random split of a Poisson stream is Poisson: each worker is an M/M/1.
    arrivals, costs = dispatch.poisson_schedule(2 * 0.8, MILLION, exponential(1.0), seed=5)
    response = dispatch.random_dispatch(arrivals, costs, 2, seed=6)
    for p in (0.5, 0.99):
        assert within(np.quantile(response, p), cf.mm1_quantile(1.0, 0.8, p), 0.03), p


def test_the_shared_queue_beats_the_partitioned_one_by_about_two_at_rho_point_eight():
    arrivals, costs = dispatch.poisson_schedule(2 * 0.8, MILLION, exponential(1.0), seed=7)
    shared = np.quantile(dispatch.shared_queue(arrivals, costs, 2), 0.99)
    split = np.quantile(dispatch.random_dispatch(arrivals, costs, 2, seed=8), 0.99)
    assert 1.7 < split / shared < 2.2


def test_with_one_worker_every_policy_is_the_same_queue():
    arrivals, costs = dispatch.poisson_schedule(0.7, 50_000, exponential(1.0), seed=9)
    reference = dispatch.one_worker(arrivals, costs)
    np.testing.assert_array_equal(dispatch.shared_queue(arrivals, costs, 1), reference)
    np.testing.assert_array_equal(dispatch.random_dispatch(arrivals, costs, 1), reference)
    np.testing.assert_array_equal(dispatch.partitioned(arrivals, costs, [64]), reference)


def test_partitioned_with_every_connection_on_one_worker_is_one_worker():
    arrivals, costs = dispatch.poisson_schedule(0.4, 50_000, exponential(1.0), seed=10)
    np.testing.assert_array_equal(dispatch.partitioned(arrivals, costs, [64, 0]), dispatch.one_worker(arrivals, costs))


def test_a_fixed_cost_queue_has_the_md1_mean():
    arrivals, costs = dispatch.poisson_schedule(0.5, MILLION, lambda rng, n: np.ones(n), seed=11)
    mean = dispatch.one_worker(arrivals, costs).mean()
    assert within(mean, cf.mg1_mean_response(1.0, 0.5, 0.0), 0.02)


def test_no_time_runs_backwards():
    arrivals, costs = dispatch.poisson_schedule(1.5, 10_000, exponential(1.0), seed=12)
    for response in (dispatch.shared_queue(arrivals, costs, 2), dispatch.random_dispatch(arrivals, costs, 2),
                     dispatch.partitioned(arrivals, costs, [3, 5])):
        assert (response >= costs - 1e-12).all(), "a response is never shorter than its own service"
        assert math.isfinite(response.max())


def test_the_pause_delay_is_the_wait_in_the_pause_plus_the_stretched_work():
    # P^2/(2T) for landing in a pause, P S/T for the pauses the work crosses.
    assert cf.pause_mean_delay(5.0, 50.0, 1.0) == pytest.approx(0.25 + 0.1)
    assert cf.pause_mean_delay(0.0, 50.0, 1.0) == 0.0
    with pytest.raises(ValueError, match="pause"):
        cf.pause_mean_delay(50.0, 50.0, 1.0)
