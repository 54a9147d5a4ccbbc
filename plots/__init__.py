"""Plots and tables from prefork-bench results directories.

    /usr/bin/python3 -m plots results/<host>/<stamp>-<scenario> [...]
    /usr/bin/python3 -m plots.summary results/<host>/<stamp>-<scenario>
    /usr/bin/python3 -m plots.compare A_DIR B_DIR
    /usr/bin/python3 -m plots.reproduce [--no-run]

load reads and checks a results directory, tables computes the numbers,
summary writes summary.md and summary.csv (summary-open.csv for open-loop runs) from them, figures draws them,
style keeps one look per server (and marks the peers) across all of them,
compare and reproduce set two runs, or the published figures, beside each
other; theory holds the queueing closed forms and the dispatch simulator that
the measured curves are set against.
"""

from .load import Results, ResultsError, latest_results, load_results

__all__ = ["Results", "ResultsError", "latest_results", "load_results"]
