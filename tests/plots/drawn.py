"""Reading back what a figure drew, and what it should have drawn, straight from a fixture's CSV files.

The expected numbers are computed here with plain pandas from the files the
harness writes, not with plots.tables, so a figure test fails when the figure
and the files disagree.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.colors import to_hex
from matplotlib.patches import Rectangle

# runs.csv statuses whose numbers count, spelled out here rather than taken from plots.load.
MEASURED = ("ok", "suspect")


def bars(ax) -> list[Rectangle]:
    """The bars, in the order drawn (a peer band is a Polygon, not a bar)."""
    return [p for p in ax.patches if type(p) is Rectangle]


def heights(ax) -> list[float]:
    return [b.get_height() for b in bars(ax)]


def centres(ax) -> list[float]:
    return [b.get_x() + b.get_width() / 2 for b in bars(ax)]


def hatches(ax) -> list:
    return [b.get_hatch() for b in bars(ax)]


def colours(ax) -> list[str]:
    return [to_hex(b.get_facecolor()) for b in bars(ax)]


def points(ax) -> list[np.ndarray]:
    """Each scatter's (x, y) offsets, one array per scatter call."""
    return [c.get_offsets() for c in ax.collections if isinstance(c, PathCollection)]


def segments(ax) -> list[list[list[float]]]:
    """The hlines' segments, [[x0, y], [x1, y]] each."""
    return [s.tolist() for c in ax.collections if isinstance(c, LineCollection) for s in c.get_segments()]


def labelled_lines(ax) -> dict:
    """Lines that have a label of their own (matplotlib names the others _child…), by label."""
    return {line.get_label(): line for line in ax.lines if not line.get_label().startswith("_")}


def texts(ax) -> list[str]:
    return [t.get_text() for t in ax.texts]


def tick_labels(ax) -> list[str]:
    return [t.get_text() for t in ax.get_xticklabels()]


def legend_labels(legend) -> list[str]:
    return [t.get_text() for t in legend.get_texts()]


def ok_runs(directory: Path) -> pd.DataFrame:
    """The measured runs (status ok or suspect: a suspect run measured normally), in run order."""
    runs = pd.read_csv(directory / "runs.csv")
    return runs[runs["status"].isin(MEASURED)].sort_values("run_id")


def medians(directory: Path, column: str, servers, connections=None) -> list[float]:
    """Per server (in the order given), the median of column over its ok runs (at connections, if given)."""
    ok = ok_runs(directory)
    if connections is not None:
        ok = ok[ok["connections"] == connections]
    return [ok.loc[ok["server"] == s, column].median() for s in servers]


def spectrum(directory: Path, server: str, connections=None, below_100=True) -> pd.Series:
    """The median latency per percentile over the server's ok runs, by percentile."""
    ok = ok_runs(directory)
    if connections is not None:
        ok = ok[ok["connections"] == connections]
    latency = pd.read_csv(directory / "latency.csv")
    rows = latency[latency["run_id"].isin(ok.loc[ok["server"] == server, "run_id"])]
    if below_100:
        rows = rows[rows["percentile"] < 100]
    return rows.groupby("percentile")["latency_ms"].median()


def nines(percentiles) -> np.ndarray:
    return np.array([-math.log10(1 - p / 100) for p in percentiles])


def jain(values) -> float:
    values = list(values)
    return sum(values) ** 2 / (len(values) * sum(v * v for v in values))
