"""The figures of a results directory, and of two side by side, each written as PNG (to look at) and SVG (to print).

One module per figure family; each draws with a function that takes loaded
Results and returns a matplotlib Figure, or None when the results hold
nothing it could draw. frame and marks hold what they share, plots.style how
each server (and a peer) looks.

FIGURES and COMPARISONS draw wrk's runs only: open-loop runs (prefork-load,
generator `open` in runs.csv) are left out of them and drawn by OPEN_FIGURES
(load-latency: latency against offered load), which draw nothing without any.

Peers (kind `peer` in runs.csv) are drawn apart from our servers, after them,
the way plots.style says. The fairness figure leaves them out: peers have no
per-worker counters.
"""

from __future__ import annotations

from pathlib import Path

from ..load import Results
from ..tables import is_idle
from . import comparison, cpu, fairness, latency, load_latency, sweep, throughput
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

# The figures of the open-loop runs, each given all the results; after FIGURES.
OPEN_FIGURES = {
    "load-latency": load_latency.draw,
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
    wrk = results.wrk_only()
    # Every run open loop: nothing for wrk's figures (an empty runs.csv still goes to them, as before).
    only_open = wrk.runs.empty and not results.runs.empty
    drawn = [] if only_open else [(name, draw, wrk) for name, draw in FIGURES.items()]
    drawn += [(name, draw, results) for name, draw in OPEN_FIGURES.items()]
    for name, draw, given in drawn:
        fig = draw(given)
        if fig is not None:
            written += save(fig, out_dir, name)
    return written


def compare_all(a: Results, b: Results, out_dir: Path) -> list[Path]:
    """Both comparison figures of a and b that apply, into out_dir; the files written."""
    written = []
    # wrk's runs of each: open-loop runs have no comparison figure yet.
    only_open = [r for r in (a, b) if r.wrk_only().runs.empty and not r.runs.empty]
    if only_open:
        return written
    a, b = a.wrk_only(), b.wrk_only()
    for name, draw in COMPARISONS.items():
        fig = draw(a, b)
        if fig is not None:
            written += save(fig, out_dir, name)
    return written
