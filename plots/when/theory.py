"""The theory beside each measured point: the simulated policy of the run's
model on the very requests the generator sent (its schedule, rebuilt with
prefork-load --schedule-only from the command the run recorded), never
fitted to the measurement.

Which policy a model is (../../shared/when-prefork-wins.md):
- threadpool: one shared FCFS queue over its threads;
- keep-alive, any model with its own connections per worker (prefork-epoll,
  its threads twin, the accept mutex): partitioned, each request on a random
  idle connection, with the connections each worker accepted in the run;
- a new connection per request: SO_REUSEPORT hashes each anew (random
  dispatch); a shared listener or accept queue hands the next connection to
  the first free worker (shared queue).
The critical section and the pauses the server was given are simulated as
given: one lock per process, P every T per process at random phases."""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..theory.schedule_file import read_schedule
from ..theory.simulator import Pauses, Policy, simulate
from .runs import Layout


class TheoryError(Exception):
    """A run's schedule could not be rebuilt."""


@dataclass(frozen=True)
class PolicyChoice:
    policy: Policy
    workers: int
    connections_per_worker: tuple[int, ...] | None
    process_of_worker: tuple[int, ...] | None
    critical_share: float
    pause: tuple[float, float] | None

    def describe(self) -> str:
        words = {Policy.SHARED: "shared queue", Policy.RANDOM: "random dispatch",
                 Policy.PARTITIONED: "partitioned", Policy.ONE_WORKER: "one worker"}[self.policy]
        if self.policy == Policy.PARTITIONED and self.connections_per_worker:
            words += " " + ":".join(str(c) for c in self.connections_per_worker)
        if self.critical_share:
            processes = len(set(self.process_of_worker))
            words += f", lock {self.critical_share:g} in {processes} process{'es' if processes > 1 else ''}"
        if self.pause:
            words += f", pauses {self.pause[0] * 1e3:g}/{self.pause[1] * 1e3:g} ms"
        return words


def policy_for(layout: Layout, connect_per_request: bool, connections: list[int],
               client_connections: int | None = None) -> PolicyChoice:
    """client_connections: the generator's keep-alive connections. A
    keep-alive connection carries one request at a time, so with C of them
    a shared queue never has more than C requests in service: C < k
    connections are C servers fed by the client's FIFO (M/G/C)."""
    k = layout.workers
    processes = tuple([0] * k) if layout.one_process else tuple(range(k))
    if layout.model == "threadpool":
        policy, counts = Policy.SHARED, None
        if client_connections is not None and not connect_per_request and client_connections < k:
            k, processes = client_connections, processes[:client_connections]
    elif connect_per_request:
        # An epoll worker on a shared listener accepts the whole backlog at
        # once (accept_all): batches, not the next connection to the first
        # free worker. Blocking accept() is that shared FIFO.
        blocking = layout.model == "accept-mutex-fork" and layout.io == "blocking"
        if layout.listener != "reuseport" and not blocking:
            raise TheoryError(f"{layout.model} on a shared listener with a new connection per request: "
                              "no simulated policy (an epoll worker accepts the whole backlog at once)")
        policy = Policy.RANDOM if layout.listener == "reuseport" else Policy.SHARED
        counts = None
    else:
        policy = Policy.PARTITIONED
        counts = tuple(connections) if len(connections) == k and sum(connections) > 0 else None
        if counts is None:
            raise TheoryError(f"no connection counts for {k} workers (got {connections})")
    return PolicyChoice(policy, k, counts, processes, layout.critical_share, layout.pause_s)


def schedule_command(command: list[str], prefork_load: Path, out: Path) -> list[str]:
    """The run's prefork-load command, to write its schedule and exit: the
    same schedule flags, without its output file, CPUs or priority."""
    drop_with_value = {"--json", "--cpus", "--progress"}
    kept, skip = [str(prefork_load)], False
    for word in command[1:]:
        if skip:
            skip = False
            continue
        if word in drop_with_value:
            skip = True
            continue
        if word == "--realtime" or any(word.startswith(flag + "=") for flag in drop_with_value):
            continue
        kept.append(word)
    # The URL stays last (the positional): the flags go before it.
    return kept[:-1] + ["--write-schedule", str(out), "--schedule-only"] + kept[-1:]


def run_schedule(command: list[str], prefork_load: Path) -> tuple[np.ndarray, np.ndarray, float]:
    """(send_at_s, work_s, warmup_s) of a run, rebuilt by prefork-load."""
    if not prefork_load.is_file():
        raise TheoryError(f"{prefork_load} not found: build it first (make build)")
    with tempfile.TemporaryDirectory(prefix="pb-when-") as directory:
        out = Path(directory) / "schedule.bin"
        argv = schedule_command(command, prefork_load, out)
        done = subprocess.run(argv, capture_output=True, text=True)
        if done.returncode != 0:
            raise TheoryError(f"`{' '.join(argv)}` failed: {done.stderr.strip()}")
        send_at, work, _delay, warmup = read_schedule(out)
    return send_at, work, warmup


def simulated_responses(choice: PolicyChoice, send_at: np.ndarray, work: np.ndarray, warmup_s: float,
                        seed: int, overhead_s: float = 0.0) -> np.ndarray:
    """The measured requests' simulated response times in seconds: the
    warm-up is simulated too (the queue it leaves), then dropped. Each
    request costs its work plus overhead_s; the lock covers the critical
    share of the work alone, as the server's does (servers/http/critical_section)."""
    pause = Pauses(*choice.pause) if choice.pause else None
    response = simulate(send_at, work + overhead_s, choice.policy, choice.workers, seed=seed,
                        connections_per_worker=choice.connections_per_worker,
                        process_of_worker=choice.process_of_worker,
                        critical_work=work * choice.critical_share, pause=pause)
    return response[send_at >= warmup_s]
