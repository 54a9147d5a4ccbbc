"""The cells every table of summary.md shares: numbers formatted for reading
(digits grouped whatever the locale, – for no value), Markdown escaping,
the runs and client-bound counts, and the legend's notes.
"""

from __future__ import annotations

import math

NONE = "–"  # en dash: no value


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


def microseconds(value: float) -> str:
    """85.2 → "85", 4.31 → "4.3": whole µs from 10 up."""
    return f"{value:,.0f}" if value >= 10 else f"{value:.1f}"


def markdown_cell(text: str) -> str:
    """A '|' would end the table cell, a line break the row."""
    return str(text).replace("|", "\\|").replace("\n", " ").replace("\r", " ")


def missing(value) -> bool:
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def cell(value, format) -> str:
    return NONE if missing(value) else format(float(value))


def table_line(cells) -> str:
    return "|" + "".join(f" {c} |" for c in cells) + "\n"


def runs_cell(row) -> str:
    """Measured runs of all, with how many of them were suspect: "3/3", "3/3 (1 suspect)"."""
    text = f"{row['runs_ok']}/{row['runs_total']}"
    suspect = row.get("runs_suspect", 0)
    return text + (f" ({int(suspect)} suspect)" if not missing(suspect) and suspect > 0 else "")


def client_bound_cell(row) -> str:
    """Client-bound runs of those it is known for, "2/3"; – when runs.csv does not say."""
    known = row["client_bound_known"]
    if missing(known) or known == 0:
        return NONE
    text = f"{int(row['client_bound_runs'])}/{int(known)}"
    unknown = int(row["runs_ok"]) - int(known)
    return text + (f" ({unknown} not known)" if unknown > 0 else "")


# Appended to a legend's paragraph when any run is suspect.
SUSPECT_NOTE = (
    " A *suspect* run measured normally but something in its measurement went wrong (listed below with why); "
    "its numbers are in the medians and *runs ok/total* counts it as measured."
)


def legend(text: str, *notes: str) -> str:
    """A legend paragraph with notes appended to it, before its closing line break."""
    return text.rstrip("\n") + "".join(notes) + "\n"
