"""summary.md and summary.csv of one results directory.

    python3 -m plots.summary RESULTS_DIR

The harness runs this at the end of every run and prints summary.md itself.
The figures of each row are tables.summary_table's (tables.idle_table's for
an idle-connections scenario); this module only lays them out: summary.md for reading (a title, the scenario's question, one table,
a legend, the runs that did not succeed or are suspect), summary.csv unformatted for tools.
Open-loop runs (prefork-load, generator `open`) are not in that table: they
get one of their own (open_tables.open_table's, one row per server and offered
rate) under "Open loop: latency against offered load", after wrk's (alone
when every run was open loop), and summary-open.csv.
All are written beside their target and renamed, so a reader never sees half
a file. An unreadable directory is one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from ..load import Results, ResultsError, load_runs
from ..run_selection import SUSPECT, is_open, wrk_runs
from ..open_tables import open_table
from ..tables import idle_table, is_idle, summary_table
from .cells import SUSPECT_NOTE, legend
from .hosts_section import hosts_section
from .idle_section import IDLE_LEGEND, idle_markdown_table, idle_parameters
from .notes import measurement_note, merged_latency_note, not_ok_runs, pinning_note, started
from .open_section import OPEN_LEGEND, open_section
from .wrk_table import CLIENT_BOUND_NOTE, LEGEND, markdown_table

__all__ = ["LEGEND", "OPEN_LEGEND", "SUSPECT_NOTE", "main", "open_csv", "summary_csv", "summary_markdown",
           "write_atomically", "write_summary"]


def summary_markdown(results: Results) -> str:
    """summary.md: the scenario's question, then one table that answers it at a glance."""
    out = f"# {results.scenario} on {results.host}\n\n"
    if started(results):
        out += f"Started {started(results)}.\n\n"
    # TOML's multi-line strings end in a line break; the document adds its own.
    description = str(results.meta["scenario"].get("description") or "").rstrip("\n\r ")
    if description:
        out += f"{description}\n\n"
    out += (pinning_note(results.meta) or "CPU pinning was not recorded.") + "\n\n"
    measurement = measurement_note(results.meta)
    if measurement:
        out += measurement + "\n\n"
    out += hosts_section(results.meta)
    if results.runs.empty:
        return out + "No runs.\n"
    wrk = wrk_runs(results.runs)
    suspect = [SUSPECT_NOTE] if (wrk["status"] == SUSPECT).any() else []
    if is_idle(results.runs):
        out += (idle_parameters(results.meta) + idle_markdown_table(idle_table(results)) + "\n"
                + legend(IDLE_LEGEND, *suspect))
    elif not wrk.empty:
        bound = "client_bound" in results.runs.columns
        out += (markdown_table(summary_table(results), client_bound=bound) + "\n"
                + legend(LEGEND, *([CLIENT_BOUND_NOTE] if bound else []), *merged_latency_note(wrk), *suspect))
    # prefork-load's runs (generator `open`) in a table of their own, after wrk's.
    if len(wrk) < len(results.runs):
        out += ("\n" if not wrk.empty else "") + open_section(results)
    failures = not_ok_runs(results.runs)
    return out + ("\n" + failures if failures else "")


def summary_csv(results: Results) -> str:
    """summary_table (idle_table for an idle-connections scenario) as CSV: numbers unformatted, an empty cell where there is no value."""
    table = idle_table(results) if is_idle(results.runs) else summary_table(results)
    return table.to_csv(index=False, na_rep="", lineterminator="\n")


def open_csv(results: Results) -> str:
    """open_table as CSV (summary-open.csv), like summary_csv: numbers unformatted, an empty cell for no value."""
    return open_table(results).to_csv(index=False, na_rep="", lineterminator="\n")


def write_atomically(file: Path, text: str) -> None:
    """Written to a temporary file beside the target, then renamed over it."""
    handle, temporary = tempfile.mkstemp(dir=file.parent, prefix=f".{file.name}.", suffix=".tmp")
    try:
        # mkstemp makes it 0600; the results' other files are 0666 less the umask.
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(handle, 0o666 & ~umask)
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        os.replace(temporary, file)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_summary(results: Results) -> list[Path]:
    """DIR/summary.md and DIR/summary.csv, and DIR/summary-open.csv when there are open-loop runs.

    summary.csv keeps its columns (wrk's runs only; a header alone when every
    run was open loop): the open-loop runs' numbers have other columns.
    """
    written = []
    files = [("summary.md", summary_markdown(results)), ("summary.csv", summary_csv(results))]
    if is_open(results.runs).any():
        files.append(("summary-open.csv", open_csv(results)))
    for name, text in files:
        file = results.path / name
        write_atomically(file, text)
        written.append(file)
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python3 -m plots.summary",
        description="Write RESULTS_DIR/summary.md (for reading) and RESULTS_DIR/summary.csv (the same "
                    "figures unformatted) from its runs.csv and meta.json. Prints nothing on success.",
    )
    parser.add_argument("dir", type=Path, metavar="RESULTS_DIR",
                        help="a directory written by prefork-bench run (results/<host>/<stamp>-<scenario>)")
    args = parser.parse_args(argv)
    try:
        write_summary(load_runs(args.dir))
    except ResultsError as error:
        print(f"summary: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"summary: cannot write into {args.dir}: {error.strerror or error}", file=sys.stderr)
        return 2
    return 0
