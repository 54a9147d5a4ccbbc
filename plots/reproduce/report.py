"""reproduce.md: where the numbers come from, the table as shown, the verdict, and what to run for missing rows."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..load import Results
from ..style import marked_labels
from ..tables import format_markdown
from .table import PEERS, PEERS_NODELAY
from .verdict import verdict

PUBLISHED_NOTE = (
    "The published rows' delay is the handler their README names (the one seed.toml reproduces); "
    "their efficiency is their req/s divided by that handler's Little's-law bound."
)

# Printed headers for the columns of the table as shown (model and kind are
# left out: model only picks the rows the verdict compares, and a peer's
# server gets " (peer)" instead of a column of its own).
DISPLAY_HEADERS = {
    "source": "source",
    "scenario": "scenario",
    "delay_ms": "delay ms",
    "server": "server",
    "requests_per_s": "req/s (median)",
    "p50_ms": "p50 ms",
    "p99_ms": "p99 ms",
    "little_bound_rps": "Little bound req/s",
    "efficiency": "efficiency %",
    "server_cpu_us_per_request": "server CPU µs/req",
    "wrk_cpu_percent": "wrk CPU %",
}


def display_table(table: pd.DataFrame) -> pd.DataFrame:
    """The table as shown: the printed headers, efficiency in percent, model and kind left out, peers marked."""
    shown = table[list(DISPLAY_HEADERS)].copy()
    shown["efficiency"] = shown["efficiency"] * 100
    if "kind" in table.columns:
        shown["server"] = marked_labels(table["server"], table["kind"])
    return shown.rename(columns=DISPLAY_HEADERS)


def table_markdown(table: pd.DataFrame) -> str:
    """The table as Markdown (tables.format_markdown: "–" where a value does not apply)."""
    return format_markdown(display_table(table))


def missing_peers_note(missing: list[str]) -> str:
    """One line: which peers scenarios to run for the fasthttp rows (missing: scenario names)."""
    if not missing:
        return ""
    what = {PEERS: "with the wait", PEERS_NODELAY: "no wait"}
    commands = " and ".join(f"`make bench SCENARIO=scenarios/{name}.toml` ({what.get(name, name)})"
                            for name in missing)
    return (f"No fasthttp rows from {' and '.join(missing)} measured here: they need {commands}; "
            f"then run this report again.")


def report_markdown(table: pd.DataFrame, seed: Results, nodelay: Results, figures=(), peers=(),
                    note: str = "") -> str:
    """reproduce.md: where the numbers come from, the table, the verdict.

    peers: the peers results the fasthttp rows come from; note: what to run for
    those that are missing (missing_peers_note), or why some were left out.
    """
    measured = [seed, nodelay, *peers]
    sources = ", ".join(f"`{r.path}`" for r in measured[:-1]) + f" and `{measured[-1].path}`"
    lines = [
        "# Published fasthttp prefork figures vs measured here",
        "",
        f"Published: fasthttp's prefork README (results/published/). Measured: {sources} on "
        f"{nodelay.host}. Written by `python3 -m plots.reproduce`.",
        "",
        table_markdown(table),
        PUBLISHED_NOTE,
        "",
    ]
    if note:
        lines += [note, ""]
    lines += [
        "## Verdict",
        "",
        verdict(table),
    ]
    for figure in figures:
        if Path(figure).suffix == ".png":
            lines += [f"![published vs measured](plots/{Path(figure).name})", ""]
    return "\n".join(lines)
