"""The dispatch policies as simple functions over one schedule (arrivals and
costs in one unit), each the simulator's (simulator.simulate) policy without
lock or pauses, run on the same arrivals and costs so that their differences
are the policies' alone (common random numbers, as prefork-load sends every
server the same schedule). Every policy is FCFS and non-preemptive; a worker
is busy for a request's cost.

- shared_queue: one FCFS queue over k workers (the thread pool);
- random_dispatch: each request to a worker drawn at random (reuseport with
  a new connection per request);
- partitioned: keep-alive; each request on a random idle connection of a
  fixed connection -> worker map (the counts measured in a run), waiting in
  the client's FIFO when none is idle, as the load generator does;
- one_worker: every request to one worker (the accept mutex as measured).

Returns response times (completion minus arrival) in the unit of the input.
"""
import numpy as np

from .simulator import Policy, fcfs, simulate


def shared_queue(arrivals: np.ndarray, costs: np.ndarray, k: int) -> np.ndarray:
    """The next request goes to the first worker to be free (a min-heap of
    the times the workers become free)."""
    return simulate(arrivals, costs, Policy.SHARED, k)


def random_dispatch(arrivals: np.ndarray, costs: np.ndarray, k: int, seed: int = 1) -> np.ndarray:
    return simulate(arrivals, costs, Policy.RANDOM, k, seed=seed)


def partitioned(arrivals: np.ndarray, costs: np.ndarray, connections_per_worker: list[int], seed: int = 1) -> np.ndarray:
    """Each request on an idle connection drawn at random (or, none idle,
    the first to free); the connection belongs to the worker that accepted
    it. With every connection on one worker it is one_worker; with many
    connections at low load, nearly random dispatch weighted by the counts."""
    return simulate(arrivals, costs, Policy.PARTITIONED, len(connections_per_worker),
                    connections_per_worker=connections_per_worker, seed=seed)


def one_worker(arrivals: np.ndarray, costs: np.ndarray) -> np.ndarray:
    return fcfs(np.asarray(arrivals, dtype=float), np.asarray(costs, dtype=float))


def poisson_schedule(rate: float, count: int, cost_sampler, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Arrival times (Poisson at `rate`) and costs from cost_sampler(rng, n),
    for tests and for runs without a schedule of their own."""
    rng = np.random.default_rng(seed)
    arrivals = np.cumsum(rng.exponential(1 / rate, size=count))
    return arrivals, np.asarray(cost_sampler(rng, count), dtype=float)
