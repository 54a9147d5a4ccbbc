"""A discrete-event simulator of the servers' dispatch policies, each run on
the same arrivals and costs so that their differences are the policies'
alone (common random numbers, as prefork-load sends every server the same
schedule). Every policy is FCFS and non-preemptive; a worker is busy for a
request's cost.

- shared_queue: one FCFS queue over k workers (the thread pool);
- random_dispatch: each request to a worker drawn at random (reuseport with
  a new connection per request);
- partitioned: each request on a random connection of a fixed
  connection -> worker map (keep-alive partitioning, the counts measured in
  a run);
- one_worker: every request to one worker (the accept mutex as measured).

Returns response times (completion minus arrival) in the unit of the input.
"""
import heapq

import numpy as np


def _fcfs(arrivals: np.ndarray, costs: np.ndarray) -> np.ndarray:
    """One FCFS queue by the Lindley recursion: a request starts when it
    arrives or when the one before it ends, whichever is later."""
    response = np.empty_like(arrivals, dtype=float)
    free_at = -np.inf
    for i, (arrival, cost) in enumerate(zip(arrivals.tolist(), costs.tolist())):
        start = arrival if arrival > free_at else free_at
        free_at = start + cost
        response[i] = free_at - arrival
    return response


def _by_worker(arrivals: np.ndarray, costs: np.ndarray, workers: np.ndarray, k: int) -> np.ndarray:
    """k independent FCFS queues, request i on queue workers[i]."""
    response = np.empty(len(arrivals), dtype=float)
    for worker in range(k):
        mine = workers == worker
        if mine.any():
            response[mine] = _fcfs(arrivals[mine], costs[mine])
    return response


def shared_queue(arrivals: np.ndarray, costs: np.ndarray, k: int) -> np.ndarray:
    """The next request goes to the first worker to be free (a min-heap of
    the times the workers become free)."""
    if k < 1:
        raise ValueError("at least one worker")
    free = [0.0] * k
    response = np.empty(len(arrivals), dtype=float)
    for i, (arrival, cost) in enumerate(zip(arrivals.tolist(), costs.tolist())):
        earliest = free[0]
        start = arrival if arrival > earliest else earliest
        heapq.heapreplace(free, start + cost)
        response[i] = start + cost - arrival
    return response


def random_dispatch(arrivals: np.ndarray, costs: np.ndarray, k: int, seed: int = 1) -> np.ndarray:
    workers = np.random.default_rng(seed).integers(0, k, size=len(arrivals))
    return _by_worker(arrivals, costs, workers, k)


def partitioned(arrivals: np.ndarray, costs: np.ndarray, connections_per_worker: list[int], seed: int = 1) -> np.ndarray:
    """Each request on a connection drawn at random; the connection belongs
    to the worker that accepted it. With every connection on one worker it is
    one_worker; with one connection per worker, random_dispatch."""
    owners = np.repeat(np.arange(len(connections_per_worker)), connections_per_worker)
    if len(owners) == 0:
        raise ValueError("at least one connection")
    picks = np.random.default_rng(seed).integers(0, len(owners), size=len(arrivals))
    return _by_worker(arrivals, costs, owners[picks], len(connections_per_worker))


def one_worker(arrivals: np.ndarray, costs: np.ndarray) -> np.ndarray:
    return _fcfs(arrivals, costs)


def poisson_schedule(rate: float, count: int, cost_sampler, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Arrival times (Poisson at `rate`) and costs from cost_sampler(rng, n),
    for tests and for runs without a schedule of their own."""
    rng = np.random.default_rng(seed)
    arrivals = np.cumsum(rng.exponential(1 / rate, size=count))
    return arrivals, np.asarray(cost_sampler(rng, count), dtype=float)
