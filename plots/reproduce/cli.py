"""python3 -m plots.reproduce: run seed and seed-nodelay, then print and write the report."""

from __future__ import annotations

import argparse
import socket
import sys
import textwrap
from pathlib import Path

from ..load import Results, ResultsError, latest_results, load_results
from .figure import published_vs_measured
from .harness import Failure, run_scenario
from .published import PUBLISHED_CSV, published_rows
from .report import PUBLISHED_NOTE, missing_peers_note, report_markdown, table_markdown
from .table import NODELAY, PEERS, PEERS_NODELAY, SEED, peers_problem, reproduce_table
from .verdict import verdict


def _relative(path: Path) -> Path:
    """path relative to the working directory when it lies below it."""
    try:
        return Path(path).resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return Path(path)


def newest_seeds(root: Path, host: str) -> tuple[Results, Results]:
    """The newest seed and seed-nodelay results of host below root."""
    loaded = []
    for name in (SEED, NODELAY):
        try:
            loaded.append(load_results(latest_results(root, scenario=name, host=host)))
        except ResultsError as error:
            raise Failure(
                f"no {name} results for host {host} under {root} ({error}); "
                f"run `python3 -m plots.reproduce` without --no-run, or pass --host"
            ) from None
    return loaded[0], loaded[1]


def newest_peers(root: Path, host: str, seed: Results) -> tuple[dict[str, Results], str]:
    """The newest peers and peers-nodelay results that fit seed's, and a note on those missing or left out."""
    peers, missing, problems = {}, [], []
    for name in (PEERS, PEERS_NODELAY):
        try:
            path = latest_results(root, scenario=name, host=host)
        except ResultsError:
            missing.append(name)
            continue
        results = load_results(path)
        problem = peers_problem(results, seed, waits=name == PEERS)
        if problem:
            problems.append(f"fasthttp rows of {name} left out: {problem}.")
        else:
            peers[name] = results
    return peers, " ".join(problems + ([missing_peers_note(missing)] if missing else []))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python3 -m plots.reproduce",
        description="Set fasthttp's published prefork figures beside the seed and seed-nodelay results.",
    )
    parser.add_argument("--no-run", action="store_true", help="use the newest existing results; run nothing")
    parser.add_argument("--results-root", default="results", type=Path, help="results root (default: results)")
    parser.add_argument("--build-dir", default="build", type=Path, help="build directory (default: build)")
    parser.add_argument("--scenarios-dir", default="scenarios", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--host", default=None, help="results of this host (default: this machine's name)")
    parser.add_argument("--published", default=PUBLISHED_CSV, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    host = args.host or socket.gethostname()

    try:
        if not args.no_run:
            for name in (SEED, NODELAY):
                run_scenario(args.build_dir, args.scenarios_dir / f"{name}.toml", args.results_root)
        published = published_rows(args.published)
        seed, nodelay = newest_seeds(args.results_root, host)
        peers, note = newest_peers(args.results_root, host, seed)
        table = reproduce_table(published, seed, nodelay, peers.get(PEERS), peers.get(PEERS_NODELAY))
        text = verdict(table)
        figures = published_vs_measured(table, nodelay.path / "plots")
        report = nodelay.path / "reproduce.md"
        report.write_text(report_markdown(table, seed, nodelay, figures, peers=list(peers.values()), note=note),
                          encoding="utf-8")
    except (Failure, ResultsError, OSError) as error:
        print(f"reproduce: {error}", file=sys.stderr)
        return 1

    print(f"Published: {_relative(args.published)}")
    print(f"Measured:  {seed.path}")
    print(f"           {nodelay.path}")
    for results in peers.values():
        print(f"           {results.path}")
    print()
    print(table_markdown(table))
    print(textwrap.fill(PUBLISHED_NOTE, width=78))
    print()
    if note:
        print(note)
        print()
    print("VERDICT")
    print()
    print(text)
    print("Written: " + ", ".join(str(p) for p in [report, *figures]))
    return 0
