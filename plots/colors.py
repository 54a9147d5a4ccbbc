"""One colour per server label, the same in every figure and every run.

Colours come from a fixed table, not from the order servers appear in, so
prefork-epoll is the same blue in seed, in the sweep and in a comparison of
two hosts. Labels not in the table (a new scenario's, or peers measured
later) get a colour from a second palette chosen by a checksum of the label:
stable across runs and machines, and never one of the table's.
"""

from __future__ import annotations

import zlib

# matplotlib's tab10, spelled out so a matplotlib style cannot change it.
KNOWN = {
    "prefork-epoll": "#1f77b4",
    "threadpool": "#ff7f0e",
    "accept-mutex-epoll": "#2ca02c",
    "prefork-reuseport": "#17becf",
    "prefork-shared": "#9467bd",
    "accept-mutex-blocking-512": "#8c564b",
    "published": "#000000",
}

# Darker, distinct tones for everything else (e.g. other servers measured as peers).
OTHERS = ("#d62728", "#e377c2", "#7f7f7f", "#bcbd22", "#393b79", "#637939", "#843c39", "#7b4173")


def color_for(label: str) -> str:
    """A hex colour for a server label; the same label always gets the same colour."""
    if label in KNOWN:
        return KNOWN[label]
    return OTHERS[zlib.crc32(label.encode("utf-8")) % len(OTHERS)]
