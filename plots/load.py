"""Read a results directory written by `prefork-bench run`.

Everything downstream (tables, figures, the notebooks) trusts what this module
returns, so it checks the files once, here, and says which file and which
column is wrong instead of letting a KeyError surface three calls later.
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .run_selection import CLIENT_BOUND_VALUES, GENERATORS, KINDS, OURS, WRK, is_open, measured, peer_servers, wrk_runs


class ResultsError(Exception):
    """A results directory that cannot be read; the message names the file."""


# The columns the tables and figures use. Other columns are kept as read, so a
# harness that adds columns does not break older plotting code.
RUNS_REQUIRED = (
    "run_id", "server", "repetition", "connections", "delay_ms", "work_ms", "status",
    "requests_per_s", "requests", "latency_p50_ms", "latency_p99_ms", "latency_p99_9_ms",
    "errors_connect", "errors_read", "errors_write", "errors_status", "errors_timeout",
    "server_cpu_s", "server_cpu_percent", "wrk_cpu_percent", "server_rss_mib",
    "jain_connections", "unserved_connections", "efficiency",
)
LATENCY_REQUIRED = ("run_id", "server", "percentile", "latency_ms")
WORKERS_REQUIRED = ("run_id", "server", "worker", "connections", "requests")

# Columns that hold text; every other column the harness writes is a number
# (results_writer.cpp). server_killed and client_bound are "true"/"false" and
# stay text (client_bound may also be empty: not known). wrk_cpus, how many
# CPUs wrk could run on, is a number like the rest. An open-loop run's
# generator and cost (`work=exp:1ms`, several joined with `;`) are text, and
# so is arrival (poisson or uniform) should runs.csv carry it. loop (open or
# closed), restart_signal (KILL, TERM) and sysctl ("name=value ...") are
# text too, and so is latency_exact (false where several wrk's percentiles
# were merged).
TEXT_COLUMNS = frozenset({"server", "model", "kind", "flags", "status", "reason", "pinning", "server_killed", "mode",
                          "client_bound", "client_bound_reason", "generator", "cost", "arrival", "loop",
                          "restart_signal", "sysctl", "latency_exact"})


# The columns an open-loop run fills, and what a runs.csv without them reads
# as: text empty (cost: none), numbers NaN. utilization (offered rate /
# capacity) is empty when the capacity is not defined.
OPEN_TEXT_COLUMNS = ("cost",)
OPEN_NUMERIC_COLUMNS = ("offered_rps", "utilization", "send_lateness_p50_us", "send_lateness_p99_us")

STAMP_PATTERN = re.compile(r"^(\d{8}T\d{6}Z)-(.+)$")


@dataclass
class Results:
    path: Path
    runs: pd.DataFrame
    latency: pd.DataFrame
    workers: pd.DataFrame
    meta: dict

    @property
    def scenario(self) -> str:
        return self.meta["scenario"]["name"]

    @property
    def host(self) -> str:
        return self.meta["host"]["hostname"]

    def ok_runs(self, server: str | None = None, connections: int | None = None) -> pd.DataFrame:
        """The measured runs (measured(): ok or suspect), in run order, of one server or connection count if given.

        A failed run's numbers are partial, so medians and figures skip them.
        """
        runs = measured(self.runs)
        if server is not None:
            runs = runs[runs["server"] == server]
        if connections is not None:
            runs = runs[runs["connections"] == connections]
        return runs.sort_values("run_id")

    def wrk_only(self) -> Results:
        """These results without their open-loop runs (itself when there are none): what the wrk figures draw."""
        if not is_open(self.runs).any():
            return self
        return dataclasses.replace(self, runs=wrk_runs(self.runs))

    def peers(self) -> set[str]:
        """The server labels that are peers (kind `peer` in runs.csv)."""
        return peer_servers(self.runs)

    def is_peer(self, server: str) -> bool:
        return server in self.peers()


def read_csv(file: Path, required: tuple[str, ...]) -> pd.DataFrame:
    """Read one of the harness's CSV files: text columns as text, numbers as numbers.

    Everything is read as text first so that a stray word in a numeric column
    is reported with its line instead of silently turning the column into text.
    """
    if not file.is_file():
        raise ResultsError(f"{file}: no such file")
    try:
        frame = pd.read_csv(file, dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError:
        raise ResultsError(f"{file}: empty file (no header line)") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as error:
        raise ResultsError(f"{file}: not a CSV file the harness wrote: {error}") from None
    missing = [name for name in required if name not in frame.columns]
    if missing:
        names = ", ".join(f"'{name}'" for name in missing)
        raise ResultsError(f"{file}: missing column{'s' if len(missing) > 1 else ''} {names}")
    for column in frame.columns:
        if column in TEXT_COLUMNS:
            continue
        text = frame[column].str.strip()
        numbers = pd.to_numeric(text.where(text != ""), errors="coerce")
        bad = numbers.isna() & (text != "")
        if bad.any():
            row = bad.idxmax()
            # +2: the header is line 1 and the index counts from 0.
            raise ResultsError(
                f"{file}: column '{column}' line {row + 2}: {frame.at[row, column]!r} is not a number"
            )
        frame[column] = numbers
    return frame


def with_kind(runs: pd.DataFrame, file: Path | str = "runs.csv") -> pd.DataFrame:
    """runs with a text column `kind`: a missing column or an empty value is `ours`.

    A missing column is added where the harness writes it, right after `server`.
    """
    runs = runs.copy()
    if "kind" in runs.columns:
        kind = runs["kind"].fillna("").astype(str).str.strip().replace("", OURS)
        bad = ~kind.isin(KINDS)
        if bad.any():
            row = bad.idxmax()
            raise ResultsError(
                f"{file}: column 'kind' line {row + 2}: {runs.at[row, 'kind']!r} is not one of {', '.join(KINDS)}"
            )
        runs["kind"] = kind
        return runs
    runs.insert(runs.columns.get_loc("server") + 1, "kind", OURS)
    return runs


def with_generator(runs: pd.DataFrame, file: Path | str = "runs.csv") -> pd.DataFrame:
    """runs with `generator` (missing or empty: wrk) and the open-loop columns (missing: empty text, NaN).

    Missing columns are added at the end; a generator that is neither wrk nor
    open is reported with its line.
    """
    runs = runs.copy()
    if "generator" in runs.columns:
        generator = runs["generator"].fillna("").astype(str).str.strip().str.lower().replace("", WRK)
        bad = ~generator.isin(GENERATORS)
        if bad.any():
            row = bad.idxmax()
            raise ResultsError(
                f"{file}: column 'generator' line {row + 2}: {runs.at[row, 'generator']!r} is not one of "
                f"{', '.join(GENERATORS)}"
            )
        runs["generator"] = generator
    else:
        runs["generator"] = WRK
    for column in OPEN_TEXT_COLUMNS:
        runs[column] = runs[column].fillna("").astype(str).str.strip() if column in runs.columns else ""
    for column in OPEN_NUMERIC_COLUMNS:
        if column not in runs.columns:
            runs[column] = float("nan")
    return runs


def check_client_bound(runs: pd.DataFrame, file: Path | str = "runs.csv") -> pd.DataFrame:
    """runs as given; a client_bound that is not true, false or empty is reported with its line."""
    if "client_bound" not in runs.columns:
        return runs
    text = runs["client_bound"].fillna("").astype(str).str.strip().str.lower()
    bad = ~text.isin(CLIENT_BOUND_VALUES)
    if bad.any():
        row = bad.idxmax()
        raise ResultsError(
            f"{file}: column 'client_bound' line {row + 2}: {runs.at[row, 'client_bound']!r} is not true, false "
            f"or empty"
        )
    return runs


def read_meta(file: Path) -> dict:
    if not file.is_file():
        raise ResultsError(f"{file}: no such file")
    try:
        meta = json.loads(file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ResultsError(f"{file}: not valid JSON: {error}") from None
    if not isinstance(meta, dict):
        raise ResultsError(f"{file}: expected a JSON object")
    for section, key in (("scenario", "name"), ("host", "hostname")):
        if not isinstance(meta.get(section), dict) or not isinstance(meta[section].get(key), str):
            raise ResultsError(f"{file}: missing {section}.{key}")
    return meta


def _directory(path) -> Path:
    path = Path(path)
    if not path.is_dir():
        raise ResultsError(f"{path}: no such directory")
    return path


def read_runs(file: Path) -> pd.DataFrame:
    """runs.csv, checked, with its `kind` column (with_kind)."""
    return check_client_bound(with_generator(with_kind(read_csv(file, RUNS_REQUIRED), file), file), file)


def load_results(path) -> Results:
    """Load and check every file of a results directory (raw/ is not read)."""
    path = _directory(path)
    return Results(
        path=path,
        runs=read_runs(path / "runs.csv"),
        latency=read_csv(path / "latency.csv", LATENCY_REQUIRED),
        workers=read_csv(path / "workers.csv", WORKERS_REQUIRED),
        meta=read_meta(path / "meta.json"),
    )


def load_runs(path) -> Results:
    """Only runs.csv and meta.json of a results directory; latency and workers stay empty.

    For what reads nothing else (the summary), so that it cannot fail over a
    file it does not use.
    """
    path = _directory(path)
    return Results(
        path=path,
        runs=read_runs(path / "runs.csv"),
        latency=pd.DataFrame(columns=list(LATENCY_REQUIRED)),
        workers=pd.DataFrame(columns=list(WORKERS_REQUIRED)),
        meta=read_meta(path / "meta.json"),
    )


def _has_a_run(runs_csv: Path) -> bool:
    """runs.csv exists and holds a row below its header."""
    try:
        with open(runs_csv, encoding="utf-8") as lines:
            return next(lines, None) is not None and any(line.strip() for line in lines)
    except OSError:
        return False


def latest_results(root="results", scenario=None, host=None) -> Path:
    """The newest <root>/<host>/<stamp>-<scenario> directory, by the stamp in its name.

    The stamp, not the modification time, orders them: a checkout or a copy
    resets mtimes but not names. Directories without a run in runs.csv (a
    scenario still at its first run, or stopped before one finished) are
    passed over.
    """
    root = Path(root)
    hosts = [root / host] if host is not None else sorted(p for p in root.glob("*") if p.is_dir())
    found = []
    for host_dir in hosts:
        if not host_dir.is_dir():
            continue
        for candidate in host_dir.iterdir():
            match = STAMP_PATTERN.match(candidate.name)
            if not match or not _has_a_run(candidate / "runs.csv"):
                continue
            if scenario is not None and match.group(2) != scenario:
                continue
            found.append((match.group(1), candidate))
    if not found:
        wanted = " ".join(
            part for part in (f"scenario {scenario!r}" if scenario else "", f"host {host!r}" if host else "") if part
        )
        raise ResultsError(f"{root}: no results directory{' for ' + wanted if wanted else ''}")
    return max(found)[1]
