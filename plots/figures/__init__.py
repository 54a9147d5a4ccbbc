"""The figures of a results directory, and of two side by side, each written as PNG (to look at) and SVG (to print).

One module per figure family; each draws with a function that takes loaded
Results and returns a matplotlib Figure, or None when the results hold
nothing it could draw. frame and marks hold what they share, plots.style how
each server (and a peer) looks.

Peers (kind `peer` in runs.csv) are drawn apart from our servers, after them,
the way plots.style says. The fairness figure leaves them out: peers have no
per-worker counters.
"""

from __future__ import annotations

from pathlib import Path

from ..load import Results
from ..tables import is_idle
from . import comparison, cpu, fairness, latency, sweep, throughput
from .frame import save

# File name → drawing function, in the order plot_all writes them.
FIGURES = {
    "throughput": throughput.draw,
    "latency-spectrum": latency.draw_spectrum,
    "latency-cdf": latency.draw_cdf,
    "fairness": fairness.draw,
    "connection-sweep": sweep.draw,
    "cpu": cpu.draw,
}

COMPARISONS = {
    "compare-throughput": comparison.draw_throughput,
    "compare-spectrum": comparison.draw_spectrum,
}


def plot_all(results: Results, out_dir: Path | None = None) -> list[Path]:
    """Every figure that applies to these results, into out_dir (default RESULTS_DIR/plots); the files written."""
    out_dir = Path(out_dir) if out_dir is not None else results.path / "plots"
    written = []
    # Every figure draws wrk's load: none applies to an idle-connections
    # scenario, whose figures are its summary.md table.
    if is_idle(results.runs):
        return written
    for name, draw in FIGURES.items():
        fig = draw(results)
        if fig is not None:
            written += save(fig, out_dir, name)
    return written


def compare_all(a: Results, b: Results, out_dir: Path) -> list[Path]:
    """Both comparison figures of a and b that apply, into out_dir; the files written."""
    written = []
    for name, draw in COMPARISONS.items():
        fig = draw(a, b)
        if fig is not None:
            written += save(fig, out_dir, name)
    return written
