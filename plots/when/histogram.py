"""prefork-load's latency histograms (HdrHistogram's layout, microseconds,
3 significant digits), pooled exactly over the repetitions of a point: the
counts of equal slots add up, and a percentile of the pool is the nearest
rank, as the generator computes it (load/latency_histogram.hpp). Averaging
the runs' percentiles instead would be wrong for a tail."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np


def highest_equivalent(value_us: int) -> int:
    """The largest value stored in the slot of value_us: values below 2048
    have a slot each; above, bucket b spans [1024 << b, 2048 << b) in slots
    2^b wide."""
    if value_us < 2048:
        return int(value_us)
    width = 1 << (int(value_us).bit_length() - 11)
    return int(value_us) - int(value_us) % width + width - 1


def read_buckets(report: Path, key: str = "histogram") -> dict[int, int]:
    """{slot's lowest value in µs: count} of one load report (raw/run-NNN-load-report.json)."""
    data = json.loads(Path(report).read_text(encoding="utf-8"))
    return {int(value): int(count) for value, count in data[key]["buckets"]}


def pooled(buckets: list[dict[int, int]]) -> dict[int, int]:
    out: dict[int, int] = {}
    for one in buckets:
        for value, count in one.items():
            out[value] = out.get(value, 0) + count
    return out


def percentile_us(buckets: dict[int, int], p: float) -> float:
    """Nearest rank: the highest equivalent value of the first slot whose
    cumulative count reaches ceil(p/100 * count); NaN when empty."""
    if not buckets:
        return float("nan")
    values = np.array(sorted(buckets))
    counts = np.array([buckets[v] for v in values])
    total = counts.sum()
    rank = max(1, int(np.ceil(np.nextafter(p, 0) / 100 * total)))
    slot = int(np.searchsorted(np.cumsum(counts), min(rank, total)))
    return float(highest_equivalent(int(values[slot])))


def count(buckets: dict[int, int]) -> int:
    return int(sum(buckets.values()))
