"""One colour per server label, the same in every figure and every run.

Colours come from a fixed table, not from the order servers appear in, so
prefork-epoll is the same blue in seed, in the sweep and in a comparison of
two hosts. Labels not in the table (a new scenario's) get a colour from a
second palette chosen by a checksum of the label: stable across runs and
machines, and never one of the table's.

Peers (well-known servers measured beside ours, kind `peer` in runs.csv) take
their colours from a separate, muted palette (Paul Tol's "muted" scheme), one
family of tones per project, so a peer never wears one of our servers' colours.
The figures also hatch their bars and dash their lines.
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

# Darker, distinct tones for everything else of ours.
OTHERS = ("#d62728", "#e377c2", "#7f7f7f", "#bcbd22", "#393b79", "#637939", "#843c39", "#7b4173")

# The peers by name (peers/<project>/<name>.toml): fasthttp blue-green,
# nginx red-purple, Apache olive-sand-indigo.
PEERS = {
    "fasthttp-single": "#88ccee",
    "fasthttp-prefork": "#44aa99",
    "fasthttp-prefork-reuseport": "#117733",
    "nginx-reuseport": "#cc6677",
    "nginx-accept-mutex": "#882255",
    "nginx-shared": "#aa4499",
    "apache-prefork-256": "#ddcc77",
    "apache-prefork-512": "#999933",
    "apache-event": "#332288",
}

# A peer under another label, or one not in the table: the same muted scheme.
PEER_OTHERS = tuple(dict.fromkeys(PEERS.values())) + ("#bbbbbb",)


def _pick(label: str, palette: tuple[str, ...]) -> str:
    return palette[zlib.crc32(label.encode("utf-8")) % len(palette)]


def color_for(label: str, peer: bool = False, model: str | None = None) -> str:
    """A hex colour for a server label; the same label always gets the same colour.

    For a peer (peer=True) the colour comes from the peers' palette: by its
    label, else by its peer name (model, when the scenario gave it another
    label), else by a checksum of the label.
    """
    if peer:
        if label in PEERS:
            return PEERS[label]
        if model in PEERS:
            return PEERS[model]
        return _pick(label, PEER_OTHERS)
    if label in KNOWN:
        return KNOWN[label]
    return _pick(label, OTHERS)
