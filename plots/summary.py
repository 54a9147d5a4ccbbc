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
import math
import os
import sys
import tempfile
from datetime import datetime
from pathlib import Path

import pandas as pd

from .load import SUSPECT, Results, ResultsError, is_open, load_runs, open_runs, wrk_runs
from .open_tables import open_conditions, open_table
from .tables import idle_table, is_idle, summary_table

NONE = "–"  # en dash: no value

# ---- formatting for reading -------------------------------------------------


def thousands(value: float) -> str:
    """1234567.5 → "1,234,568": digits grouped whatever the locale."""
    return f"{value:,.0f}"


def milliseconds(ms: float) -> str:
    """Two decimals below 10 ms (1.36), one above (100.4, 1,234.5)."""
    return f"{ms:.2f}" if ms < 10 else f"{ms:,.1f}"


def count(value: float) -> str:
    """Whole numbers as such; a median of two counts can end in .5."""
    return thousands(value) if value == math.floor(value) else f"{value:,.1f}"


def one_decimal(value: float) -> str:
    return f"{value:.1f}"


def two_decimals(value: float) -> str:
    return f"{value:.2f}"


def markdown_cell(text: str) -> str:
    """A '|' would end the table cell, a line break the row."""
    return str(text).replace("|", "\\|").replace("\n", " ").replace("\r", " ")


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def cell(value, format) -> str:
    return NONE if _missing(value) else format(float(value))


# ---- the document -----------------------------------------------------------

HEADER = (
    "server", "kind", "connections", "runs ok/total", "req/s median (min–max)", "p50 ms", "p99 ms", "p99.9 ms",
    "efficiency %", "Little bound req/s", "errors", "unserved conns", "server CPU %", "wrk CPU %",
    "server CPU µs/req", "RSS MiB", "Jain",
)
# Text left, numbers right.
ALIGNMENT = ("---", "---") + ("--:",) * (len(HEADER) - 2)

# Added after "wrk CPU %" when runs.csv has a client_bound column (results
# written before it existed keep their table as it was).
CLIENT_BOUND = "client-bound"

LEGEND = (
    "Medians over the runs that succeeded. *efficiency* is req/s divided by the Little's-law bound "
    "(connections / (delay + work)); *errors* are wrk's connect, read, write, status and timeout errors "
    "together; *unserved conns* are wrk connections no worker accepted (largest over the runs); "
    "*server CPU µs/req* is the server's CPU time per response; *Jain* is the fairness of connections "
    "over workers (1 = even, 1/n = one worker took all). Rows of kind *peer* are well-known servers (peers/) "
    "run the same way; they expose no per-worker counters, so their *unserved conns* is the median length "
    "of their listen queue over the run and their *Jain* is –.\n"
)

# Appended to the legend's paragraph when the table has the client-bound column.
CLIENT_BOUND_NOTE = (
    " *client-bound* counts the measured runs in which wrk used at least 90 % of the CPUs it could run on "
    "(– when not known): req/s ranks the client, compare server CPU µs/req instead."
)

# Appended to a legend's paragraph when any run is suspect.
SUSPECT_NOTE = (
    " A *suspect* run measured normally but something in its measurement went wrong (listed below with why); "
    "its numbers are in the medians and *runs ok/total* counts it as measured."
)


def legend(text: str, *notes: str) -> str:
    """A legend paragraph with notes appended to it, before its closing line break."""
    return text.rstrip("\n") + "".join(notes) + "\n"


def runs_cell(row) -> str:
    """Measured runs of all, with how many of them were suspect: "3/3", "3/3 (1 suspect)"."""
    text = f"{row['runs_ok']}/{row['runs_total']}"
    suspect = row.get("runs_suspect", 0)
    return text + (f" ({int(suspect)} suspect)" if not _missing(suspect) and suspect > 0 else "")


def client_bound_cell(row) -> str:
    """Client-bound runs of those it is known for, "2/3"; – when runs.csv does not say."""
    known = row["client_bound_known"]
    if _missing(known) or known == 0:
        return NONE
    text = f"{int(row['client_bound_runs'])}/{int(known)}"
    unknown = int(row["runs_ok"]) - int(known)
    return text + (f" ({unknown} not known)" if unknown > 0 else "")


def _requests(row) -> str:
    if _missing(row["rps_median"]):
        return NONE
    return f"{thousands(row['rps_median'])} ({thousands(row['rps_min'])}–{thousands(row['rps_max'])})"


def table_cells(row) -> list[str]:
    """One row of summary_table as summary.md's cells, in HEADER's order."""
    return [
        markdown_cell(row["server"]),
        str(row["kind"]),
        thousands(row["connections"]),
        runs_cell(row),
        _requests(row),
        cell(row["p50_ms"], milliseconds),
        cell(row["p99_ms"], milliseconds),
        cell(row["p99_9_ms"], milliseconds),
        cell(row["efficiency"] * 100, one_decimal),
        cell(row["little_bound"], thousands),
        cell(row["errors"], count),
        cell(row["unserved_max"], thousands),
        cell(row["server_cpu_percent"], one_decimal),
        cell(row["wrk_cpu_percent"], one_decimal),
        cell(row["server_cpu_us_per_request"], one_decimal),
        cell(row["rss_mib"], one_decimal),
        cell(row["jain"], two_decimals),
    ]


def _table_line(cells) -> str:
    return "|" + "".join(f" {c} |" for c in cells) + "\n"


def _with_client_bound(cells, value) -> list:
    """cells (in HEADER's order) with value inserted after "wrk CPU %"."""
    at = HEADER.index("wrk CPU %") + 1
    return list(cells[:at]) + [value] + list(cells[at:])


def markdown_table(table: pd.DataFrame, client_bound: bool = False) -> str:
    """summary_table as a Markdown table; client_bound adds its column after "wrk CPU %"."""
    header, alignment = HEADER, ALIGNMENT
    if client_bound:
        header, alignment = _with_client_bound(HEADER, CLIENT_BOUND), _with_client_bound(ALIGNMENT, "--:")
    lines = [_table_line(header), _table_line(alignment)]
    for _, row in table.iterrows():
        cells = table_cells(row)
        lines.append(_table_line(_with_client_bound(cells, client_bound_cell(row)) if client_bound else cells))
    return "".join(lines)


# ---- an idle-connections scenario ----------------------------------------------

IDLE_HEADER = (
    "server", "kind", "connections", "runs ok/total", "bytes/connection median (min–max)", "PSS before MiB",
    "PSS held MiB", "probe p50 ms", "probe p99 ms", "probe max ms", "dropped", "processes", "Jain",
)
IDLE_ALIGNMENT = ("---", "---") + ("--:",) * (len(IDLE_HEADER) - 2)

IDLE_LEGEND = (
    "Medians over the runs that succeeded. *bytes/connection* is (the server's PSS with every connection held "
    "− its PSS before the first) / connections held: PSS is the Pss of /proc/PID/smaps_rollup summed over the "
    "server's processes (user-space memory; socket buffers in the kernel are not in it). A *probe* is one request "
    "on a new connection (connect, request, whole response), one at a time, while all are held; *probe max* is "
    "the slowest of any run. *dropped* is the most held connections the server closed or reset in any run; a run "
    "in which any were dropped before the PSS was read fails. *Jain* is the fairness of connections over workers "
    "(1 = even, 1/n = one worker took all); a peer's is –.\n"
)


def _per_connection(row) -> str:
    if _missing(row["bytes_per_connection"]):
        return NONE
    return (f"{thousands(row['bytes_per_connection'])} "
            f"({thousands(row['bytes_per_connection_min'])}–{thousands(row['bytes_per_connection_max'])})")


def idle_table_cells(row) -> list[str]:
    """One row of idle_table as summary.md's cells, in IDLE_HEADER's order."""
    return [
        markdown_cell(row["server"]),
        str(row["kind"]),
        thousands(row["connections"]),
        runs_cell(row),
        _per_connection(row),
        cell(row["pss_before_mib"], one_decimal),
        cell(row["pss_held_mib"], one_decimal),
        cell(row["probe_p50_ms"], two_decimals),
        cell(row["probe_p99_ms"], two_decimals),
        cell(row["probe_max_ms"], two_decimals),
        cell(row["dropped"], count),
        cell(row["processes"], count),
        cell(row["jain"], two_decimals),
    ]


def idle_markdown_table(table: pd.DataFrame) -> str:
    lines = [_table_line(IDLE_HEADER), _table_line(IDLE_ALIGNMENT)]
    lines += [_table_line(idle_table_cells(row)) for _, row in table.iterrows()]
    return "".join(lines)


def idle_parameters(meta: dict) -> str:
    """What each run did, from meta.json's `idle`; "" when not recorded."""
    idle = meta.get("idle")
    if not isinstance(idle, dict) or not all(k in idle for k in ("connections", "batch", "probes", "settle")):
        return ""
    return (f"Each run opened {thousands(idle['connections'])} keep-alive connections, {thousands(idle['batch'])} "
            f"at a time, each with one request answered, held them, waited {idle['settle']}, read the server's PSS, "
            f"then timed {thousands(idle['probes'])} requests each on a new connection.\n\n")


# ---- open-loop runs (prefork-load, generator `open`) ---------------------------

OPEN_TITLE = "## Open loop: latency against offered load"

OPEN_HEADER = (
    "server", "kind", "offered req/s", "utilization", "runs ok/total", "achieved req/s median", "p50 ms", "p99 ms",
    "p99.9 ms", "send lateness p99 µs", "client-bound", "errors",
)
OPEN_ALIGNMENT = ("---", "---") + ("--:",) * (len(OPEN_HEADER) - 2)
# Inserted after "kind" when the open-loop runs do not all have the same cost.
COST = "cost"

OPEN_LEGEND = (
    "Medians over the runs that succeeded, one row per server and offered rate. Open loop: prefork-load sends "
    "each request at its scheduled time whether or not the earlier ones were answered, and times it from that "
    "intended send, so time spent waiting for a busy server or a free connection counts in the latency. "
    "*utilization* is the offered rate / the server's capacity (its CPUs, at most its workers, / the mean work "
    "cost), – when not defined; *achieved req/s* is the rate answered; *send lateness p99* is how late "
    "prefork-load sent a request after its intended time (99th percentile). *client-bound* counts the measured "
    "runs prefork-load judged itself the bottleneck (p99 send lateness above max(100 µs, 5 % of the p50 latency), "
    "or over 1 % of the scheduled requests unanswered): their latency is partly the client's. *errors* are "
    "connect, read, write, status and timeout errors together.\n"
)


def _cost_text(cost: str) -> str:
    return f"cost {cost.replace(';', ', ')}" if cost else "no request cost"


def open_parameters(results: Results) -> str:
    """What every open-loop run shared, as a sentence before the table; "" when nothing was."""
    shared = open_conditions(results)
    parts = []
    if shared["arrival"]:
        parts.append(f"{shared['arrival'].capitalize()} arrivals")
    if shared["cost"] is not None:
        parts.append(_cost_text(shared["cost"]))
    if shared["connections"] is not None:
        parts.append(f"{thousands(shared['connections'])} connections")
    if not parts:
        return ""
    return f"Each run offered one rate with prefork-load in open loop: {', '.join(parts)}.\n\n"


def open_table_cells(row, with_cost: bool = False) -> list[str]:
    """One row of open_table as summary.md's cells, in OPEN_HEADER's order (cost after kind if with_cost)."""
    cells = [
        markdown_cell(row["server"]),
        str(row["kind"]),
        cell(row["offered_rps"], thousands),
        cell(row["utilization"], two_decimals),
        runs_cell(row),
        cell(row["achieved_rps_median"], thousands),
        cell(row["p50_ms"], milliseconds),
        cell(row["p99_ms"], milliseconds),
        cell(row["p99_9_ms"], milliseconds),
        cell(row["send_lateness_p99_us"], microseconds),
        client_bound_cell(row),
        cell(row["errors"], count),
    ]
    if with_cost:
        cells.insert(2, markdown_cell(row["cost"]) if row["cost"] else NONE)
    return cells


def open_markdown_table(table: pd.DataFrame, with_cost: bool = False) -> str:
    """open_table as a Markdown table; with_cost adds a cost column after kind."""
    header, alignment = list(OPEN_HEADER), list(OPEN_ALIGNMENT)
    if with_cost:
        header.insert(2, COST)
        alignment.insert(2, "---")
    lines = [_table_line(header), _table_line(alignment)]
    lines += [_table_line(open_table_cells(row, with_cost)) for _, row in table.iterrows()]
    return "".join(lines)


def open_section(results: Results) -> str:
    """The open-loop runs' table under its own title, the sentence on what they shared before it, the legend after."""
    table = open_table(results)
    runs = open_runs(results.runs)
    with_cost = open_conditions(results)["cost"] is None
    suspect = [SUSPECT_NOTE] if (runs["status"] == SUSPECT).any() else []
    return (f"{OPEN_TITLE}\n\n" + open_parameters(results) + open_markdown_table(table, with_cost) + "\n"
            + legend(OPEN_LEGEND, *suspect))


def _run_number(value) -> str:
    return f"{int(value)}" if not _missing(value) else NONE


def not_ok_runs(runs: pd.DataFrame) -> str:
    """The runs that are not ok (failed, interrupted, or suspect though measured), each with its reason.

    "" when all are ok.
    """
    lines = []
    others = runs[runs["status"] != "ok"]
    opened = is_open(others)
    for run, open_loop in zip(others.itertuples(), opened):
        reason = markdown_cell(run.reason) if str(run.reason).strip() else "no reason given"
        load = (f"{cell(run.offered_rps, thousands)} req/s offered" if open_loop
                else f"{_run_number(run.connections)} connections")
        lines.append(f"- run {_run_number(run.run_id)} ({markdown_cell(run.server)}, "
                     f"{load}, repetition {_run_number(run.repetition)}): "
                     f"{markdown_cell(run.status)} — {reason}\n")
    if not lines:
        return ""
    suspect = others["status"] == SUSPECT
    if not suspect.any():
        title = "Runs that did not succeed"
    elif suspect.all():
        title = "Suspect runs"
    else:
        title = "Runs that did not succeed or are suspect"
    return f"## {title}\n\n" + "".join(lines)


def started(results: Results) -> str:
    """meta.json's started_utc "2026-11-23T13:41:22Z" as "2026-11-23 13:41 UTC"; "" when not recorded."""
    stamp = results.meta.get("started_utc")
    if stamp is None or stamp == "":
        return ""
    try:
        when = datetime.strptime(str(stamp), "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        raise ResultsError(f"{results.path / 'meta.json'}: started_utc {stamp!r} is not YYYY-MM-DDTHH:MM:SSZ") from None
    return when.strftime("%Y-%m-%d %H:%M UTC")


def pinning_note(meta: dict) -> str:
    """How server and wrk were placed on CPUs, as the harness says it; "" when not recorded."""
    pinning = meta.get("pinning")
    description = pinning.get("description") if isinstance(pinning, dict) else None
    if not isinstance(description, str) or not description:
        return ""
    if description == "none":
        return "wrk and the server were not pinned: they shared all CPUs."
    return f"CPU pinning: {description} (wrk and the server on disjoint CPUs)."


def _number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def cpu_list(cpus) -> str:
    """[0, 1, 2, 5] → "0-2,5"."""
    numbers = sorted({int(cpu) for cpu in cpus})
    parts, start = [], None
    for i, cpu in enumerate(numbers):
        if start is None:
            start = cpu
        if i + 1 == len(numbers) or numbers[i + 1] != cpu + 1:
            parts.append(f"{start}" if start == cpu else f"{start}-{cpu}")
            start = None
    return ",".join(parts)


def microseconds(value: float) -> str:
    """85.2 → "85", 4.31 → "4.3": whole µs from 10 up."""
    return f"{value:,.0f}" if value >= 10 else f"{value:.1f}"


def harness_part(meta: dict) -> str:
    """Where the harness's own threads ran, from meta.json's `harness`; "" when not recorded."""
    harness = meta.get("harness")
    cpus = harness.get("cpus") if isinstance(harness, dict) else None
    if not isinstance(cpus, list) or not cpus or not all(_number(cpu) for cpu in cpus):
        return ""
    listed = cpu_list(cpus)
    plural = "s" if len(set(int(cpu) for cpu in cpus)) > 1 else ""
    if harness.get("pinned") is True:
        return f"Harness threads on CPU{plural} {listed}"
    return f"Harness threads not pinned (on CPU{plural} {listed})"


def sampling_part(meta: dict) -> str:
    """What one /proc sample cost, from meta.json's `sampling`; "" when not recorded or nothing was sampled."""
    sampling = meta.get("sampling")
    if not isinstance(sampling, dict) or not _number(sampling.get("wall_us_mean")):
        return ""
    if _number(sampling.get("samples")) and sampling["samples"] == 0:
        return ""
    text = f"one /proc sample cost {microseconds(sampling['wall_us_mean'])} µs wall"
    if _number(sampling.get("cpu_us_mean")):
        text += f", {microseconds(sampling['cpu_us_mean'])} µs CPU"
    text += " on average"
    worst = [f"{microseconds(sampling[key])} µs {what}"
             for key, what in (("wall_us_max", "wall"), ("cpu_us_max", "CPU")) if _number(sampling.get(key))]
    if worst:
        text += f" (max {', '.join(worst)})"
    if _number(sampling.get("interval_ms")):
        text += f", every {sampling['interval_ms']:g} ms"
    if _number(sampling.get("samples")):
        text += f" ({thousands(sampling['samples'])} samples)"
    return text


def measurement_note(meta: dict) -> str:
    """One sentence on the harness's threads and the cost of sampling /proc; "" when meta.json has neither.

    "Harness threads on CPU 1; one /proc sample cost 85 µs wall, 60 µs CPU on
    average (max 400 µs wall, 300 µs CPU), every 100 ms (1,234 samples)."
    """
    harness, sampling = harness_part(meta), sampling_part(meta)
    if harness and sampling:
        return f"{harness}; {sampling}."
    if sampling:
        return sampling[0].upper() + sampling[1:] + "."
    return f"{harness}." if harness else ""


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
                + legend(LEGEND, *([CLIENT_BOUND_NOTE] if bound else []), *suspect))
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


# ---- writing ----------------------------------------------------------------


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


if __name__ == "__main__":
    sys.exit(main())
