"""python3 -m plots RESULTS_DIR [RESULTS_DIR ...]: the figures of each results directory.

python3 -m plots --latest ROOT --scenario NAME: the newest run of NAME on this
host below ROOT (what `make bench` draws after its run)."""

from __future__ import annotations

import argparse
import socket
import sys

from .figures import compare_all, plot_all
from .load import ResultsError, latest_results, load_results


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python3 -m plots",
        description="Draw the figures of prefork-bench results directories into DIR/plots/ "
        "(PNG and SVG). With exactly two directories, also compare them (compare-*.png/svg, "
        "in the second directory's plots/).",
    )
    parser.add_argument("dirs", nargs="*", metavar="RESULTS_DIR",
                        help="a directory written by prefork-bench run (results/<host>/<stamp>-<scenario>)")
    parser.add_argument("--latest", metavar="ROOT",
                        help="instead of RESULTS_DIR: the newest run below ROOT for this host (needs --scenario)")
    parser.add_argument("--scenario", help="the scenario name for --latest")
    args = parser.parse_args(argv)
    if bool(args.latest) == bool(args.dirs):
        parser.error("give either RESULTS_DIR arguments or --latest ROOT --scenario NAME")
    if args.latest and not args.scenario:
        parser.error("--latest needs --scenario")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    # Every directory is read before anything is drawn, so a typo in the
    # last one does not leave the first half plotted.
    try:
        dirs = args.dirs or [latest_results(args.latest, scenario=args.scenario, host=socket.gethostname())]
        loaded = [load_results(d) for d in dirs]
    except ResultsError as error:
        print(f"plots: {error}", file=sys.stderr)
        return 2
    written = []
    for results in loaded:
        written += plot_all(results)
    if len(loaded) == 2:
        written += compare_all(loaded[0], loaded[1], loaded[1].path / "plots")
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
