"""A discrete-event simulator of the servers' dispatch policies, run on the
arrivals and costs a load generator really sent (intended send times and CPU
work per request, in seconds, or any one unit), so that the differences
between the curves are the policies' alone (common random numbers). It gives
per-request response time = completion - intended send; it is computed from
a run's parameters, never fitted to its measurements.

Every worker is FCFS and non-preemptive and is busy for a request's work.
Policies (Policy):

- SHARED: one FCFS queue over the workers; the next request goes to the
  first free worker (the thread pool; a shared accept queue);
- RANDOM: each request to a uniformly random worker's own FCFS queue
  (reuseport with a new connection per request);
- PARTITIONED: keep-alive; C client connections, connection c owned by one
  worker (connections_per_worker counts them, worker 0 first). Each request
  takes a uniformly random IDLE connection (busy from its dispatch until its
  response); with none idle it waits in the client's FIFO until one frees,
  its response time still counted from its intended send (the load
  generator's behaviour); then it joins the owner worker's FCFS queue;
- ONE_WORKER: every request to worker 0 (the accept mutex with every
  connection in one worker). With one worker the number of connections
  cannot change any response time (the worker is busy whenever a connection
  is), so none is asked for.

Options on every policy:

- critical_share F: the first F of each request's work is done holding the
  lock of the worker's process (FCFS among waiters; a worker waiting for it
  is held), the remaining 1 - F outside it. process_of_worker groups workers
  into processes; by default the SHARED policy is one process (a thread
  pool) and the others one process per worker (prefork); partitioned
  dispatch in one process is the "threads with own listeners" control;
- pause (Pauses): every process stops for P every T, process p during
  [phase_p + nT, phase_p + nT + P) for every integer n; no worker of a
  paused process starts or progresses a request (work in progress is frozen
  and resumes after, a lock held stays held, an idle worker of a paused
  process takes no request from a shared queue). Time in a pause counts in
  the response time.

Without lock and pauses the fast paths run (Lindley recursion, a min-heap of
free times, the client's connection heap); otherwise, or with
engine="events", the event simulation (event_simulation.py: a heap of events, needed because
lock requests from different workers' queues arrive out of request order).
Both give bit-identical results where both apply.
"""
from __future__ import annotations

import bisect
import enum
import heapq
import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from plots.theory.event_simulation import PauseClock, run_events


class Policy(enum.Enum):
    SHARED = "shared"
    RANDOM = "random"
    PARTITIONED = "partitioned"
    ONE_WORKER = "one_worker"


@dataclass(frozen=True)
class Pauses:
    """Process-wide pauses of `length` every `period` (0 <= length < period).
    phases: one per process in [0, period), or None to draw them uniformly
    from the simulation's seed."""
    length: float
    period: float
    phases: Sequence[float] | None = None


# ---------------------------------------------------------------- fast paths

def fcfs(arrivals: np.ndarray, costs: np.ndarray) -> np.ndarray:
    """One FCFS queue by the Lindley recursion: a request starts when it
    arrives or when the one before it ends, whichever is later."""
    response = np.empty(len(arrivals), dtype=float)
    free_at = -math.inf
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
            response[mine] = fcfs(arrivals[mine], costs[mine])
    return response


def _min_heap(arrivals: np.ndarray, costs: np.ndarray, k: int) -> np.ndarray:
    """The next request goes to the first worker to be free."""
    free = [-math.inf] * k
    response = np.empty(len(arrivals), dtype=float)
    replace = heapq.heapreplace
    for i, (arrival, cost) in enumerate(zip(arrivals.tolist(), costs.tolist())):
        earliest = free[0]
        start = arrival if arrival > earliest else earliest
        end = start + cost
        replace(free, end)
        response[i] = end - arrival
    return response


def _keep_alive(arrivals: np.ndarray, costs: np.ndarray, owners: list[int], k: int, u: np.ndarray) -> np.ndarray:
    """The load generator's connections: request i is dispatched at
    d = max(send, previous dispatch) if a connection is idle then, else when
    the first one frees; it takes the int(u_i * idle) -th idle connection by
    number, and joins its owner's FCFS queue."""
    idle = list(range(len(owners)))
    busy: list[tuple[float, int]] = []
    free = [-math.inf] * k
    previous = -math.inf
    response = np.empty(len(arrivals), dtype=float)
    push, pop, insort = heapq.heappush, heapq.heappop, bisect.insort
    for i, (send, cost, draw) in enumerate(zip(arrivals.tolist(), costs.tolist(), u.tolist())):
        now = send if send > previous else previous
        while busy and busy[0][0] <= now:
            insort(idle, pop(busy)[1])
        if not idle:
            now = busy[0][0]
            while busy and busy[0][0] <= now:
                insort(idle, pop(busy)[1])
        previous = now
        connection = idle.pop(int(draw * len(idle)))
        worker = owners[connection]
        f = free[worker]
        start = now if now > f else f
        end = start + cost
        free[worker] = end
        push(busy, (end, connection))
        response[i] = end - send
    return response


# ---------------------------------------------------------------- the API

def _default_processes(policy: Policy, workers: int) -> list[int]:
    return [0] * workers if policy is Policy.SHARED else list(range(workers))


def simulate(send_at, work, policy: Policy | str, workers: int, *, seed: int = 1,
             connections_per_worker: Sequence[int] | None = None,
             process_of_worker: Sequence[int] | None = None,
             critical_share: float = 0.0, pause: Pauses | tuple | None = None,
             critical_work=None,
             engine: str = "auto") -> np.ndarray:
    """Response times (completion - intended send), one per request, in the
    unit of the inputs.

    send_at: intended send times, non-decreasing; work: CPU work per request.
    policy: a Policy or its value ("shared", "random", "partitioned",
    "one_worker"); workers: k. seed: the random worker (RANDOM), the random
    idle connection (PARTITIONED) and pause phases not given. connections_per_worker:
    PARTITIONED's connection counts, one per worker. process_of_worker: the
    process of each worker (default: SHARED one process, else one each).
    critical_share: F in [0, 1]. pause: Pauses or (length, period[, phases]).
    critical_work: instead of F, the locked part of each request's work
    (0 <= critical_work <= work), e.g. when work holds costs the lock does
    not cover.
    engine: "auto" (fast paths without lock and pauses), "fast" or "events".
    """
    send = np.asarray(send_at, dtype=float)
    work = np.asarray(work, dtype=float)
    policy = Policy(policy)
    if send.ndim != 1 or send.shape != work.shape:
        raise ValueError("send_at and work must be 1-D arrays of one length")
    if workers < 1:
        raise ValueError("at least one worker")
    if len(send) and (np.diff(send) < 0).any():
        raise ValueError("send_at must be non-decreasing")
    if (work < 0).any() or not np.isfinite(work).all() or not np.isfinite(send).all():
        raise ValueError("work must be finite and non-negative, send_at finite")
    if not 0.0 <= critical_share <= 1.0:
        raise ValueError(f"critical_share must be in [0, 1], got {critical_share}")
    if critical_work is not None:
        if critical_share:
            raise ValueError("either critical_share or critical_work, not both")
        critical_work = np.asarray(critical_work, dtype=float)
        if critical_work.shape != work.shape or (critical_work < 0).any() or (critical_work > work).any():
            raise ValueError("critical_work: one value per request, between 0 and its work")
    else:
        critical_work = work * critical_share
    processes = list(process_of_worker) if process_of_worker is not None else _default_processes(policy, workers)
    if len(processes) != workers or min(processes) < 0:
        raise ValueError("process_of_worker needs one non-negative process number per worker")
    if isinstance(pause, tuple):
        pause = Pauses(*pause)
    clocks = None
    if pause is not None:
        if not 0.0 <= pause.length < pause.period:
            raise ValueError("a pause needs 0 <= length < period")
        count = max(processes) + 1
        if pause.phases is None:
            phases = np.random.default_rng([seed, 7]).uniform(0.0, pause.period, size=count).tolist()
        else:
            phases = [float(x) for x in pause.phases]
            if len(phases) != count:
                raise ValueError(f"one pause phase per process: {count}, got {len(phases)}")
        clocks = [PauseClock(phase, pause.length, pause.period) for phase in phases]

    picks = owners = u = None
    if policy is Policy.SHARED:
        route = "shared"
    elif policy is Policy.RANDOM:
        route = "worker"
        picks = np.random.default_rng(seed).integers(0, workers, size=len(send))
    elif policy is Policy.ONE_WORKER:
        route = "worker"
        picks = np.zeros(len(send), dtype=np.int64)
    else:
        route = "client"
        if connections_per_worker is None or len(connections_per_worker) != workers:
            raise ValueError("PARTITIONED needs connections_per_worker, one count per worker")
        if min(connections_per_worker) < 0 or sum(connections_per_worker) < 1:
            raise ValueError("at least one connection, and no negative count")
        owners = np.repeat(np.arange(workers), connections_per_worker).tolist()
        u = np.random.default_rng(seed).random(len(send))

    if engine not in ("auto", "fast", "events"):
        raise ValueError(f"engine is auto, fast or events, got {engine!r}")
    plain = not (critical_work > 0).any() and clocks is None
    if engine == "fast" and not plain:
        raise ValueError("the fast paths have no lock and no pauses")
    if engine == "events" or not plain:
        return run_events(send, work, workers, route, picks, owners, u, processes, critical_work, clocks)
    if route == "shared":
        return _min_heap(send, work, workers)
    if route == "worker":
        return _by_worker(send, work, picks, workers)
    return _keep_alive(send, work, owners, workers, u)
