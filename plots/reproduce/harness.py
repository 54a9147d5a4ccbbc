"""Running a scenario with the harness (build/harness/prefork-bench run), for the report to read afterwards."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


class Failure(Exception):
    """A step failed; the message says which and what to do."""


def run_scenario(build_dir: Path, scenario: Path, results_root: Path, extra: list[str] | None = None,
                 who: str = "reproduce") -> None:
    """prefork-bench run SCENARIO --out RESULTS_ROOT [EXTRA...], its output left on the terminal; Failure unless it succeeds."""
    binary = build_dir / "harness" / "prefork-bench"
    if not binary.is_file():
        raise Failure(f"{binary} not found: build it first (make build)")
    command = [str(binary), "run", str(scenario), "--out", str(results_root), *(extra or [])]
    print(f"{who}: {' '.join(command)}", flush=True)
    try:
        # The harness runs plots.summary: with this interpreter, which has pandas.
        env = {**os.environ, "PREFORK_BENCH_PYTHON": sys.executable}
        status = subprocess.run(command, env=env).returncode
    except OSError as error:
        raise Failure(f"cannot run {binary}: {error}") from None
    if status != 0:
        raise Failure(f"`{' '.join(command)}` failed (exit status {status}); see its output above")
