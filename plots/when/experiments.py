"""The six experiments of scenarios/when/ and the rows of the when map:
which scenario files each runs, and how its points are drawn and compared.
Everything that names a scenario, a model label or a workload is here."""

from __future__ import annotations

from dataclasses import dataclass, field

# The two sides of the question, and the control (prefork's queues in one
# process) that separates processes from queue layout.
THREADPOOL, PREFORK, CONTROL = "threadpool", "prefork-epoll", "reuseport-threads"


@dataclass(frozen=True)
class Experiment:
    key: str
    title: str
    scenarios: tuple[str, ...]   # scenario names (scenarios/when/<file>.toml's name)
    files: tuple[str, ...]       # their files, run in this order
    # QUICK=1: `prefork-bench run` overrides that shorten it to minutes.
    quick: tuple[str, ...] = ("--reps", "1", "--requests", "2000")


EXPERIMENTS = (
    Experiment("dispersion", "1. Dispersion of the costs, keep-alive",
               ("when-dispersion", "when-dispersion-shape"),
               ("scenarios/when/dispersion.toml", "scenarios/when/dispersion-shape.toml")),
    Experiment("churn", "2. Churn: a new connection per request", ("when-churn",), ("scenarios/when/churn.toml",)),
    Experiment("global-state", "3. Process-global state: a critical section per request",
               ("when-global-state",), ("scenarios/when/global-state.toml",)),
    Experiment("pauses", "4. Process-wide pauses (5 ms every 100 ms)", ("when-pauses",), ("scenarios/when/pauses.toml",)),
    Experiment("few-connections", "5. Few connections",
               ("when-few-connections", "when-few-connections-closed"),
               ("scenarios/when/few-connections.toml", "scenarios/when/few-connections-closed.toml"),
               quick=("--reps", "1", "--requests", "2000")),
    Experiment("restart", "6. Restarts under load", ("when-restart", "when-restart-churn"),
               ("scenarios/when/restart.toml", "scenarios/when/restart-churn.toml"),
               quick=("--reps", "1", "--duration", "11s")),
)

# Scenario-specific QUICK overrides where a request count means nothing.
QUICK_BY_SCENARIO = {"when-few-connections-closed": ("--reps", "1", "--duration", "1s")}


@dataclass(frozen=True)
class MapRow:
    """One workload of the when map: the points of `scenario` matching `where`."""

    label: str
    scenario: str
    where: dict = field(default_factory=dict)


MAP_ROWS = (
    MapRow("fixed, keep-alive", "when-dispersion-shape", {"cost_kind": "fixed"}),
    MapRow("exponential, keep-alive", "when-dispersion", {"cost_kind": "exp"}),
    MapRow("bimodal-1, keep-alive", "when-dispersion-shape", {"cost_kind": "bimodal-1"}),
    MapRow("bimodal-2, keep-alive", "when-dispersion-shape", {"cost_kind": "bimodal-2"}),
    MapRow("exponential, new connection per request", "when-churn", {"cost_kind": "exp"}),
    MapRow("bimodal-1, new connection per request", "when-churn", {"cost_kind": "bimodal-1"}),
    MapRow("critical section 25 %", "when-global-state", {"critical_share": 0.25}),
    MapRow("critical section 50 %", "when-global-state", {"critical_share": 0.5}),
    MapRow("pauses 5 ms / 100 ms", "when-pauses", {}),
    *(MapRow(f"{n} connection{'s' if n > 1 else ''}, fixed", "when-few-connections", {"connections": n})
      for n in (1, 2, 4, 8, 16)),
)
MAP_UTILIZATIONS = (0.5, 0.7, 0.8)

# Differences within this factor are a tie: the repetitions' own spread.
TIE = 1.10
