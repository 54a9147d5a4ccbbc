"""The event simulation behind plots.theory.simulator.simulate: the path
for a per-process lock and for process-wide pauses, which the fast paths
(Lindley recursion, heaps) cannot express because lock requests from
different workers' queues arrive out of request order. simulate() checks
its inputs and picks the route; this module only runs it.
"""
from __future__ import annotations

import bisect
import heapq
import math
from collections import deque

import numpy as np


# ---------------------------------------------------------------- pauses

class PauseClock:
    """The pause schedule of one process: paused during [a, a + P) with
    a = phase + n T. All three functions compute a pause start by the same
    expression, so unpause is idempotent and advance(unpause(t)) ==
    advance(t); with P = 0 they are the identity and t + r exactly."""

    def __init__(self, phase: float, length: float, period: float):
        self.phase, self.length, self.period = float(phase), float(length), float(period)
        self.gap = self.period - self.length

    def unpause(self, t: float) -> float:
        """The first time >= t at which the process runs."""
        phase, period = self.phase, self.period
        a = phase + math.floor((t - phase) / period) * period
        if a <= t < a + self.length:
            return a + self.length
        return t

    def paused(self, t: float) -> bool:
        return self.unpause(t) != t

    def advance(self, t: float, work: float) -> float:
        """When `work` started (or resumed) at t ends, frozen across pauses:
        t0 + work + m P, m the pause starts it crosses."""
        phase, period, length = self.phase, self.period, self.length
        n = math.floor((t - phase) / period)
        a = phase + n * period
        if t < a:  # rounding put t just before the pause starting at a
            following = a
        else:
            if t < a + length:
                t = a + length
            following = phase + (n + 1) * period
        room = following - t
        if work <= room:
            return t + work
        crossed = math.ceil((work - room) / self.gap)
        return t + work + crossed * length


# ---------------------------------------------------------------- events

# event kinds; priority at equal times: ends (0) before wake-ups (1) before
# the client's dispatches and sends (2)
_CRITICAL_END, _DONE, _WAKE, _CLIENT = 0, 1, 2, 3
_IDLE, _BUSY = 0, 1


def run_events(send: np.ndarray, work: np.ndarray, k: int, route: str, picks, owners, u,
            process_of_worker: list[int], critical_work: np.ndarray, clocks: list[PauseClock] | None) -> np.ndarray:
    """The event simulation. route: "shared" (one FIFO), "worker" (request i
    to worker picks[i]) or "client" (owners, draws u: the keep-alive
    client)."""
    n = len(send)
    s = send.tolist()
    critical = critical_work.tolist()
    rest = (work - critical_work).tolist()
    locking = bool((critical_work > 0).any())
    done = [0.0] * n
    heap: list = []
    push, pop = heapq.heappush, heapq.heappop
    seq = 0
    process = list(process_of_worker)
    processes = max(process) + 1
    lock_busy = [False] * processes
    lock_wait = [deque() for _ in range(processes)]
    state = [_IDLE] * k
    current = [-1] * k
    queues = [deque() for _ in range(k)]
    shared: deque = deque()
    idle_workers = list(range(k))  # for the shared route
    if clocks is not None:
        clock_of = [clocks[p] for p in process]
        advances = [c.advance for c in clock_of]
        unpauses = [c.unpause for c in clock_of]
    else:
        advances = unpauses = None
    # keep-alive client
    if route == "client":
        idle_connections = list(range(len(owners)))
        connection_of = [0] * n
        waiting: deque = deque()
        draws = u.tolist()
    client_pending = False
    insort = bisect.insort
    picks_list = picks.tolist() if route == "worker" else None

    def start(w, i, now):
        nonlocal seq
        current[w] = i
        if locking and critical[i] > 0:
            p = process[w]
            if lock_busy[p]:
                lock_wait[p].append(w)
                return
            lock_busy[p] = True
            end = advances[w](now, critical[i]) if advances else now + critical[i]
            seq += 1
            push(heap, (end, 0, seq, _CRITICAL_END, w))
        else:
            end = advances[w](now, rest[i]) if advances else now + rest[i]
            seq += 1
            push(heap, (end, 0, seq, _DONE, w))

    def next_work(w, now):
        """Worker w is free at now: take its next request, or idle."""
        nonlocal seq
        if unpauses is not None:
            resume = unpauses[w](now)
            if resume != now:
                state[w] = _BUSY  # waking: takes no request until resume
                seq += 1
                push(heap, (resume, 1, seq, _WAKE, w))
                return
        queue = shared if route == "shared" else queues[w]
        if queue:
            state[w] = _BUSY
            start(w, queue.popleft(), now)
        else:
            state[w] = _IDLE
            if route == "shared":
                idle_workers.append(w)

    def to_worker(w, i, now):
        nonlocal seq
        if state[w] == _IDLE:
            if unpauses is not None:
                resume = unpauses[w](now)
                if resume != now:
                    state[w] = _BUSY
                    queues[w].append(i)
                    seq += 1
                    push(heap, (resume, 1, seq, _WAKE, w))
                    return
            state[w] = _BUSY
            start(w, i, now)
        else:
            queues[w].append(i)

    def to_shared(i, now):
        nonlocal seq
        if idle_workers:
            if unpauses is None:
                w = idle_workers.pop(0)
                state[w] = _BUSY
                start(w, i, now)
                return
            for position, w in enumerate(idle_workers):
                if unpauses[w](now) == now:
                    del idle_workers[position]
                    state[w] = _BUSY
                    start(w, i, now)
                    return
            for w in idle_workers:  # every idle worker is paused: wake them at their resume
                state[w] = _BUSY
                seq += 1
                push(heap, (unpauses[w](now), 1, seq, _WAKE, w))
            idle_workers.clear()
        shared.append(i)

    def client_dispatch(now):
        while waiting and idle_connections:
            i = waiting.popleft()
            c = idle_connections.pop(int(draws[i] * len(idle_connections)))
            connection_of[i] = c
            to_worker(owners[c], i, now)

    def finish(w, now):
        nonlocal seq, client_pending
        i = current[w]
        done[i] = now
        if route == "client":
            insort(idle_connections, connection_of[i])
            if waiting and not client_pending:
                client_pending = True
                seq += 1
                push(heap, (now, 2, seq, _CLIENT, 0))
        next_work(w, now)

    i = 0
    while True:
        if heap and (i >= n or heap[0][0] < s[i] or (heap[0][0] == s[i] and heap[0][1] < 2)):
            now, _, _, kind, w = pop(heap)
            if kind == _DONE:
                finish(w, now)
            elif kind == _CRITICAL_END:
                p = process[w]
                if lock_wait[p]:
                    other = lock_wait[p].popleft()
                    c = critical[current[other]]
                    end = advances[other](now, c) if advances else now + c
                    seq += 1
                    push(heap, (end, 0, seq, _CRITICAL_END, other))
                else:
                    lock_busy[p] = False
                r = rest[current[w]]
                if r > 0:
                    end = advances[w](now, r) if advances else now + r
                    seq += 1
                    push(heap, (end, 0, seq, _DONE, w))
                else:
                    finish(w, now)
            elif kind == _WAKE:
                next_work(w, now)
            else:
                client_pending = False
                client_dispatch(now)
        elif i < n:
            now = s[i]
            if route == "shared":
                to_shared(i, now)
            elif route == "worker":
                to_worker(picks_list[i], i, now)
            else:
                waiting.append(i)
                client_dispatch(now)
            i += 1
        else:
            break
    return np.asarray(done) - send
