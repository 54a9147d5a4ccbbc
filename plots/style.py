"""How a server looks wherever it is shown: its colour, and what sets a peer apart.

Colours come from a fixed table, not from the order servers appear in, so
prefork-epoll is the same blue in seed, in the sweep and in a comparison of
two hosts. Labels not in the table (a new scenario's) get a colour from a
second palette chosen by a checksum of the label: stable across runs and
machines, and never one of the table's.

Peers (well-known servers measured beside ours, kind `peer` in runs.csv) take
their colours from a separate, muted palette (Paul Tol's "muted" scheme), one
family of tones per project, so a peer never wears one of our servers' colours.
Everything else that marks a peer is decided here too, so that every figure
and table says it the same way: dotted hatching on bars, dashed lines, square
markers, a grey band behind them where servers sit side by side, and " (peer)"
after the label.
"""

from __future__ import annotations

import zlib

import pandas as pd

from .run_selection import PEER, peer_servers

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
# nginx red-purple, Apache olive-sand-indigo; the floor below.
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

# The floor (peers/floor: the kernel's floor for an HTTP responder, no
# project's server) in a dark grey of its own. Added after PEER_OTHERS so the
# colours other peers' labels are picked from stay what they were.
PEERS["floor"] = "#4d4d4d"

PEER_HATCH = "..."
PEER_LINE = (0, (5, 2))  # dashed
PEER_BAND = "0.93"
def _patch(**kwargs):
    """A legend patch. matplotlib is imported here, not above, so that tables
    and the summary (which import this module) need only pandas."""
    from matplotlib.patches import Patch

    return Patch(**kwargs)


PEER_MARK = " (peer)"


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


def peer_label(server: str) -> str:
    return server + PEER_MARK


def marked_labels(servers: pd.Series, kinds: pd.Series) -> pd.Series:
    """Server labels as a table shows them: a peer's (kind `peer`) followed by " (peer)"."""
    return servers.where(kinds != PEER, servers.astype(str) + PEER_MARK)


class Looks:
    """The look of each server named in some frames (runs.csv's, or any with `server`, perhaps `kind` and `model`).

    A label is a peer when any frame says so; its colour is the one the
    first frame that names it gives.
    """

    def __init__(self, *frames: pd.DataFrame):
        self.peers = set().union(*(peer_servers(frame) for frame in frames))
        self._colors = {}
        for frame in frames:
            peers = peer_servers(frame)
            for server, rows in frame.groupby("server", sort=False):
                if server in self._colors:
                    continue
                model = rows["model"].iloc[0] if "model" in rows.columns else None
                self._colors[server] = color_for(server, peer=True, model=model) if server in peers \
                    else color_for(server)

    def is_peer(self, server: str) -> bool:
        return server in self.peers

    def color(self, server: str) -> str:
        return self._colors.get(server) or color_for(server)

    def label(self, server: str) -> str:
        """The label in a legend or a table: a peer's says so."""
        return peer_label(server) if self.is_peer(server) else server

    def hatch(self, server: str) -> str | None:
        return PEER_HATCH if self.is_peer(server) else None

    def linestyle(self, server: str, ours="-"):
        return PEER_LINE if self.is_peer(server) else ours

    def markers(self, server: str) -> dict:
        """Keyword arguments for plot(): squares for a peer, dots for ours."""
        return dict(marker="s", markersize=5) if self.is_peer(server) else dict(marker="o")

    def ours_first(self, servers) -> list:
        """servers in their order, ours before the peers."""
        servers = list(servers)
        return [s for s in servers if not self.is_peer(s)] + [s for s in servers if self.is_peer(s)]

    def legend_patch(self, server: str):
        """A server's legend entry for bars; a peer's is hatched like its bars."""
        if not self.is_peer(server):
            return _patch(color=self.color(server), alpha=0.6, label=server)
        color = self.color(server)
        return _patch(facecolor=color, edgecolor=color, alpha=0.6, hatch=PEER_HATCH, label=self.label(server))

    def legend_handles(self, servers) -> list:
        """Legend entries that say how peers are drawn, when any of servers is one."""
        if not any(self.is_peer(s) for s in servers):
            return []
        return [_patch(facecolor="white", edgecolor="0.4", hatch=PEER_HATCH, label="peer (well-known server, not ours)")]

    def band(self, ax, positions, servers, step: float = 1.0) -> None:
        """A grey band behind the peers' bars at positions, labelled at its top.

        Peers follow our servers (ours_first), so it is one band.
        """
        xs = [x for x, server in zip(positions, servers) if self.is_peer(server)]
        if not xs:
            return
        left, right = min(xs) - step / 2, max(xs) + step / 2
        ax.axvspan(left, right, facecolor=PEER_BAND, edgecolor="none", zorder=0)
        ax.text((left + right) / 2, 0.985, "peers: well-known servers, not ours", transform=ax.get_xaxis_transform(),
                ha="center", va="top", fontsize="small", color="0.25", zorder=5)
