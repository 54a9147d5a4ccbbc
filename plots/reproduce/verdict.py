"""The verdict: a few plain sentences on the published figures against the measured ones.

Every number in them comes from the reproduce table.
"""

from __future__ import annotations

import math
import re
import textwrap

import pandas as pd

from ..load import ResultsError
from .numbers import ms, percent, rps, times
from .published import PUBLISHED_NONPREFORK, PUBLISHED_PREFORK
from .table import FASTHTTP_PREFORK, FASTHTTP_SINGLE, MEASURED_NONPREFORK, MEASURED_PREFORK

# Two rates closer than this (relative) count as the same in the verdict.
SAME_RATE = 0.01

# wrk at or above this share of its CPU is the bottleneck, not the server.
CLIENT_BOUND_PERCENT = 90.0


def _one(table: pd.DataFrame, source: str, what: str, value: str, delay_zero: bool | None = None) -> pd.Series:
    rows = table[(table["source"] == source) & (table[what] == value)]
    if delay_zero is not None:
        rows = rows[(rows["delay_ms"] == 0) == delay_zero]
    if rows.empty:
        where = "" if delay_zero is None else (" with no wait" if delay_zero else " with the wait")
        raise ResultsError(f"no {source} row with {what} '{value}'{where}")
    return rows.iloc[0]


_UNIT = re.compile(r"(\d) (ms|%|µs|req/s)")


def _fill(paragraph: str) -> str:
    """Wrap at 78 columns, never between a number and its unit or inside a hyphenated name."""
    glued = _UNIT.sub(lambda m: f"{m.group(1)}\0{m.group(2)}", paragraph)
    return textwrap.fill(glued, width=78, break_on_hyphens=False).replace("\0", " ")


def _join(items: list[str], separator: str = ", ") -> str:
    if len(items) <= 1:
        return "".join(items)
    return separator.join(items[:-1]) + separator.rstrip() + " and " + items[-1]


def _fasthttp_pair(table: pd.DataFrame, waits: bool):
    """The measured fasthttp prefork and single rows, with or without the wait, or None."""
    measured = table[(table["source"] == "measured") & ((table["delay_ms"] > 0) == waits)]
    if "kind" in measured.columns:
        measured = measured[measured["kind"] == "peer"]
    pre = measured[measured["model"] == FASTHTTP_PREFORK]
    single = measured[measured["model"] == FASTHTTP_SINGLE]
    if pre.empty or single.empty:
        return None
    pre, single = pre.iloc[0], single.iloc[0]
    if not (math.isfinite(pre["requests_per_s"]) and math.isfinite(single["requests_per_s"])
            and single["requests_per_s"] > 0):
        return None
    return pre, single


def _fasthttp_sentence(table: pd.DataFrame, published_ratio: float) -> str:
    """fasthttp's own prefork/single ratio measured here, beside the published one; "" without those rows."""
    parts, names = [], None
    for waits in (False, True):
        pair = _fasthttp_pair(table, waits)
        if pair is None:
            continue
        pre, single = pair
        names = names or f"{pre['server']}/{single['server']}"
        when = "with no wait" if not waits else f"with the {pre['delay_ms']:g} ms wait"
        parts.append(f"{pre['requests_per_s'] / single['requests_per_s']:.3f} {when} "
                     f"({rps(pre['requests_per_s'])} / {rps(single['requests_per_s'])} req/s)")
    if not parts:
        return ""
    return (f" Measured here, fasthttp's own {names} = {' and '.join(parts)}, "
            f"against the published prefork/non-prefork {published_ratio:.3f}.")


def verdict(table: pd.DataFrame) -> str:
    """A few plain sentences, every number taken from the table."""
    pre = _one(table, "published", "server", PUBLISHED_PREFORK)
    non = _one(table, "published", "server", PUBLISHED_NONPREFORK)
    connections = int(pre["connections"])
    delay = float(pre["delay_ms"])
    bound = float(pre["little_bound_rps"])
    paragraphs = []

    if pre["efficiency"] > 1 and non["efficiency"] > 1:
        shares = f"{times(pre['efficiency'])} and {times(non['efficiency'])} that bound"
    else:
        shares = f"{percent(pre['efficiency'])} % and {percent(non['efficiency'])} % of that bound"

    p50_max = max(pre["p50_ms"], non["p50_ms"])
    text = (
        f"Little's law: {connections} connections that each wait {delay:g} ms cannot exceed "
        f"{rps(bound)} req/s. The published figures are {rps(pre['requests_per_s'])} (prefork) and "
        f"{rps(non['requests_per_s'])} (non-prefork) req/s, {shares}, with a median latency (p50) "
        f"of {ms(pre['p50_ms'])} and {ms(non['p50_ms'])} ms."
    )
    if p50_max < delay:
        text += (
            f" A handler that waits {delay:g} ms cannot answer in {ms(p50_max)} ms, so these figures "
            f"match a handler that does not wait."
        )
    paragraphs.append(text)

    waited = table[(table["source"] == "measured") & (table["delay_ms"] > 0)]
    if not waited.empty:
        delays = sorted(waited["delay_ms"].unique())
        parts = [
            f"{r.server} {rps(r.requests_per_s)} req/s = {percent(r.efficiency)} % of the bound, "
            f"p50 {ms(r.p50_ms)} ms"
            for r in waited.itertuples()
        ]
        paragraphs.append(
            f"Measured here with the {_join([f'{d:g}' for d in delays])} ms handler: {_join(parts, '; ')}."
        )

    free = table[(table["source"] == "measured") & (table["delay_ms"] == 0)]
    published_ratio = pre["requests_per_s"] / non["requests_per_s"]
    mp = _one(table, "measured", "model", MEASURED_PREFORK, delay_zero=True)
    mt = _one(table, "measured", "model", MEASURED_NONPREFORK, delay_zero=True)
    ratio = mp["requests_per_s"] / mt["requests_per_s"]
    text = (
        f"With no wait, measured {mp['server']}/{mt['server']} = {ratio:.3f} "
        f"({rps(mp['requests_per_s'])} / {rps(mt['requests_per_s'])} req/s, p50 {ms(mp['p50_ms'])} and "
        f"{ms(mt['p50_ms'])} ms); published prefork/non-prefork = {published_ratio:.3f}."
    )
    waited_p = waited[waited["model"] == MEASURED_PREFORK]
    waited_t = waited[waited["model"] == MEASURED_NONPREFORK]
    if not waited_p.empty and not waited_t.empty:
        waited_ratio = waited_p.iloc[0]["requests_per_s"] / waited_t.iloc[0]["requests_per_s"]
        text += f" With the wait the same ratio is {waited_ratio:.3f}"
        if abs(waited_ratio - 1) < SAME_RATE:
            text += ": there the bound, not the concurrency model, sets the rate."
        else:
            text += "."
    text += _fasthttp_sentence(table, published_ratio)
    paragraphs.append(text)

    cpu = free.dropna(subset=["server_cpu_us_per_request"])
    cpu = cpu.sort_values("server_cpu_us_per_request", kind="stable")
    if not cpu.empty:
        shown = [f"{value:.1f}" for value in cpu["server_cpu_us_per_request"]]
        ranking = f"{cpu.iloc[0]['server']} {shown[0]} µs"
        for (_, r), previous, this in zip(cpu.iloc[1:].iterrows(), shown, shown[1:]):
            ranking += f" {'≈' if this == previous else '<'} {r['server']} {this} µs"
        text = f"Server CPU time per request with no wait, lowest first: {ranking}."
        busy = free[free["wrk_cpu_percent"] >= CLIENT_BOUND_PERCENT]["wrk_cpu_percent"]
        if not busy.empty:
            low, high = busy.min(), busy.max()
            span = f"{low:.1f} %" if round(low, 1) == round(high, 1) else f"{low:.1f}–{high:.1f} %"
            who = "with every server" if len(busy) == len(free) else "with " + _join(
                [str(s) for s in free[free["wrk_cpu_percent"] >= CLIENT_BOUND_PERCENT]["server"]])
            text += (
                f" wrk's own CPU was {span} busy {who} (median of the runs): the client, not the "
                f"server, was the bottleneck, so with no wait the req/s figures measure wrk as much "
                f"as the servers; CPU time per request ranks the servers."
            )
        paragraphs.append(text)

    return "\n\n".join(_fill(p) for p in paragraphs) + "\n"
