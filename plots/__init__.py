"""Plots and tables from prefork-bench results directories.

    /usr/bin/python3 -m plots results/<host>/<stamp>-<scenario> [...]

load reads and checks a results directory, tables computes the numbers,
figures draws them, colors keeps one colour per server across all of them.
"""

from .load import Results, ResultsError, latest_results, load_results

__all__ = ["Results", "ResultsError", "latest_results", "load_results"]
