"""The figures fasthttp's prefork README publishes, as committed in results/published/."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..load import ResultsError

REPO_ROOT = Path(__file__).resolve().parents[2]
PUBLISHED_CSV = REPO_ROOT / "results" / "published" / "fasthttp-prefork-readme.csv"

# The published rows the verdict sets against each other: fasthttp's prefork
# and non-prefork servers.
PUBLISHED_PREFORK = "prefork"
PUBLISHED_NONPREFORK = "non-prefork"

PUBLISHED_COLUMNS = (
    "server", "requests_per_s", "latency_mean_ms", "latency_stdev_ms", "latency_max_ms",
    "latency_p50_ms", "latency_p75_ms", "latency_p90_ms", "latency_p99_ms",
    "requests", "duration_s", "read_mb", "errors_read",
)


def published_rows(path=PUBLISHED_CSV) -> pd.DataFrame:
    """The published figures, one row per server, numbers as numbers."""
    path = Path(path)
    if not path.is_file():
        raise ResultsError(f"{path}: no such file")
    try:
        frame = pd.read_csv(path)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as error:
        raise ResultsError(f"{path}: not a CSV file: {error}") from None
    missing = [name for name in PUBLISHED_COLUMNS if name not in frame.columns]
    if missing:
        raise ResultsError(f"{path}: missing columns {', '.join(missing)}")
    for column in PUBLISHED_COLUMNS[1:]:
        values = pd.to_numeric(frame[column], errors="coerce")
        if values.isna().any():
            raise ResultsError(f"{path}: column '{column}' holds something that is not a number")
        frame[column] = values
    frame["server"] = frame["server"].astype(str)
    for wanted in (PUBLISHED_PREFORK, PUBLISHED_NONPREFORK):
        if wanted not in set(frame["server"]):
            raise ResultsError(f"{path}: no row for server '{wanted}'")
    return frame
