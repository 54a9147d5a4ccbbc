"""python3 -m plots.when: run the when experiments (or not), then draw the
figures and the map and write when.md with the verdict.

make when            the full set (about 80 minutes here)
make when QUICK=1    every experiment shortened (minutes), into results/quick/
make when NO_RUN=1   redraw from the newest results of each scenario"""

from __future__ import annotations

import argparse
import socket
import sys
import textwrap
from pathlib import Path

import pandas as pd

from ..load import ResultsError, latest_results
from ..reproduce.harness import Failure, run_scenario
from ..theory.simulator import Policy  # noqa: F401  (the theory's import fails here, not mid-report)
from . import figures
from .experiments import EXPERIMENTS, QUICK_BY_SCENARIO
from .points import point_table
from .report import map_markdown, report_markdown
from .theory import TheoryError
from .verdict import verdict
from .when_map import map_figure, map_table


def run_all(build_dir: Path, root: Path, quick: bool) -> None:
    for experiment in EXPERIMENTS:
        for name, file in zip(experiment.scenarios, experiment.files):
            extra = list(QUICK_BY_SCENARIO.get(name, experiment.quick)) if quick else []
            run_scenario(build_dir, Path(file), root, extra, who="when")


def newest(root: Path, host: str) -> list[Path]:
    found = []
    for experiment in EXPERIMENTS:
        for name in experiment.scenarios:
            try:
                found.append(latest_results(root, scenario=name, host=host))
            except ResultsError:
                print(f"when: no {name} results for host {host} under {root}: left out", file=sys.stderr)
    return found


def _expected_in_flight(points: pd.DataFrame) -> pd.DataFrame:
    """Restarts: the requests in flight on one worker when it is signalled,
    by Little's law with the simulated mean response: lambda / k * W."""
    workers = points["flags"].str.extract(r"--workers\s+(\d+)")[0].astype(float).fillna(2)
    points["expected_lost"] = points["offered_rps"] / workers * points["theory_mean_ms"] / 1e3
    return points


def points_of(sources: list[Path], prefork_load: Path | None) -> pd.DataFrame:
    """Every point of these results directories, with its theory (none without prefork_load)."""
    points = pd.concat([point_table(s, prefork_load) for s in sources], ignore_index=True)
    return _expected_in_flight(points)


def read_points(path: Path) -> pd.DataFrame:
    """when-points.csv as points_of gave it (the notebook reads the committed one)."""
    points = pd.read_csv(path, keep_default_na=True)
    for column in ("closed_loop", "connect_per_request", "saturated"):
        points[column] = points[column].astype(str).str.lower() == "true"
    for column in ("policy", "theory_error", "restart_signal", "sysctl", "flags", "cost", "worker_connections"):
        points[column] = points[column].fillna("").astype(str)
    return points


def build(sources: list[Path], prefork_load: Path, out: Path) -> tuple[pd.DataFrame, pd.DataFrame, list[Path]]:
    points = points_of(sources, prefork_load)
    table, drawn = draw(points, out)
    return points, table, drawn


def draw(points: pd.DataFrame, out: Path) -> tuple[pd.DataFrame, list[Path]]:
    """The when map's table, and every figure drawn into out."""
    table = map_table(points)
    out.mkdir(parents=True, exist_ok=True)
    drawn = [
        map_figure(table, out),
        figures.dispersion(points, out),
        figures.per_cost(points[points["scenario"] == "when-churn"], out, "churn",
                        "When 2: a new connection per request"),
        figures.global_state(points[points["scenario"] == "when-global-state"], out),
        figures.pauses(points[points["scenario"] == "when-pauses"], out),
        figures.few_connections(points[points["scenario"] == "when-few-connections"],
                                points[points["scenario"] == "when-few-connections-closed"], out),
        figures.restart(points[points["scenario"].isin(["when-restart", "when-restart-churn"])], out),
    ]
    return table, [p for p in drawn if p is not None]


def machine_line(sources: list[Path]) -> str:
    import json
    try:
        meta = json.loads((sources[0] / "meta.json").read_text(encoding="utf-8"))
        host = meta["host"]
        return (f"Host `{host.get('hostname')}`: {host.get('cpu_model', '?')}, {host.get('online_cpus', '?')} CPUs, "
                f"kernel {(host.get('kernel') or {}).get('release', '?')}; server and prefork-load share both CPUs (pin none), the generator "
                "under SCHED_FIFO (--realtime).")
    except (OSError, KeyError, ValueError, IndexError):
        return ""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m plots.when", description=__doc__.splitlines()[0])
    parser.add_argument("--no-run", action="store_true", help="use the newest existing results; run nothing")
    parser.add_argument("--quick", action="store_true", help="a shortened set (1 repetition, 2,000 requests a run)")
    parser.add_argument("--results-root", type=Path, default=None,
                        help="results root (default: results, or results/quick with --quick)")
    parser.add_argument("--build-dir", default="build", type=Path, help="build directory (default: build)")
    parser.add_argument("--host", default=None, help="results of this host (default: this machine's name)")
    parser.add_argument("--out", type=Path, default=None, help="where when.md goes (default: ROOT/HOST/when)")
    args = parser.parse_args(argv)
    host = args.host or socket.gethostname()
    root = args.results_root or (Path("results/quick") if args.quick else Path("results"))
    out = args.out or root / host / "when"
    try:
        if not args.no_run:
            run_all(args.build_dir, root, args.quick)
        sources = newest(root, host)
        if not sources:
            raise Failure(f"no when-* results for host {host} under {root}: run `make when` first")
        points, table, drawn = build(sources, args.build_dir / "load" / "prefork-load", out)
        points.to_csv(out / "when-points.csv", index=False)
        table.to_csv(out / "when-map.csv", index=False)
        (out / "when.md").write_text(report_markdown(points, table, drawn, sources, out, machine_line(sources)),
                                     encoding="utf-8")
    except (Failure, ResultsError, TheoryError, OSError) as error:
        print(f"when: {error}", file=sys.stderr)
        return 1
    print(map_markdown(table))
    print("VERDICT\n")
    for paragraph in verdict(table, points).split("\n\n"):
        print(textwrap.fill(paragraph, width=100) + "\n")
    print("Written: " + ", ".join(str(p) for p in [out / "when.md", *drawn]))
    return 0
