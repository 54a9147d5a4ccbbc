"""plots.style: one colour per server everywhere, and the marks that set a peer apart."""

import pandas as pd
from matplotlib.figure import Figure

from plots.style import KNOWN, OTHERS, PEER_HATCH, PEER_LINE, PEER_OTHERS, PEERS, Looks, color_for, marked_labels


def test_colours_are_stable_and_distinct():
    assert color_for("prefork-epoll") == KNOWN["prefork-epoll"]
    assert len(set(KNOWN.values())) == len(KNOWN)
    unknown = color_for("some-new-server")
    assert unknown == color_for("some-new-server")
    assert unknown in OTHERS and unknown not in KNOWN.values()


def test_peer_colours_are_their_own():
    ours = set(KNOWN.values()) | set(OTHERS)
    assert len(set(PEERS.values())) == len(PEERS)
    assert not set(PEERS.values()) & ours
    assert not set(PEER_OTHERS) & ours
    assert color_for("fasthttp-prefork", peer=True) == PEERS["fasthttp-prefork"]
    assert color_for("my-nginx", peer=True, model="nginx-shared") == PEERS["nginx-shared"]
    assert color_for("something", peer=True) in PEER_OTHERS
    assert color_for("something", peer=True) == color_for("something", peer=True)


def test_peers_are_told_apart(results_peers):
    looks = Looks(results_peers.runs)
    assert looks.is_peer("nginx") and not looks.is_peer("prefork-epoll")
    assert looks.label("nginx") == "nginx (peer)"
    assert looks.label("threadpool") == "threadpool"
    # nginx is the scenario's label for the nginx-reuseport peer: the peer's colour, by its name.
    assert looks.color("nginx") == PEERS["nginx-reuseport"]
    assert looks.color("prefork-epoll") == KNOWN["prefork-epoll"]
    assert (looks.hatch("nginx"), looks.hatch("threadpool")) == (PEER_HATCH, None)
    assert (looks.linestyle("nginx"), looks.linestyle("threadpool", ours="--")) == (PEER_LINE, "--")
    assert looks.markers("nginx")["marker"] == "s" and looks.markers("threadpool")["marker"] == "o"


def test_ours_first_keeps_each_side_in_order(results_peers):
    looks = Looks(results_peers.runs)
    assert looks.ours_first(["fasthttp-prefork", "prefork-epoll", "nginx", "threadpool"]) == [
        "prefork-epoll", "threadpool", "fasthttp-prefork", "nginx"]


def test_a_peer_in_any_frame_is_a_peer_and_the_first_frame_gives_the_colour():
    a = pd.DataFrame({"server": ["x"], "kind": ["ours"], "model": ["prefork-epoll"]})
    b = pd.DataFrame({"server": ["x", "y"], "kind": ["peer", "peer"], "model": ["nginx-shared", "apache-event"]})
    looks = Looks(a, b)
    assert looks.is_peer("x") and looks.is_peer("y")
    assert looks.color("x") == color_for("x")
    assert looks.color("y") == PEERS["apache-event"]


def test_legend_entries(results_peers):
    looks = Looks(results_peers.runs)
    patch = looks.legend_patch("nginx")
    assert (patch.get_label(), patch.get_hatch()) == ("nginx (peer)", PEER_HATCH)
    assert looks.legend_patch("threadpool").get_label() == "threadpool"
    assert [h.get_label() for h in looks.legend_handles(["threadpool", "nginx"])] == [
        "peer (well-known server, not ours)"]
    assert looks.legend_handles(["threadpool"]) == []


def test_band_behind_the_peers_only(results_peers):
    ax = Figure().subplots()
    Looks(results_peers.runs).band(ax, [0, 1, 2, 3], ["prefork-epoll", "threadpool", "fasthttp-prefork", "nginx"])
    (band,) = ax.patches
    xs = band.get_xy()[:, 0]
    assert (xs.min(), xs.max()) == (1.5, 3.5)
    assert [t.get_text() for t in ax.texts] == ["peers: well-known servers, not ours"]
    empty = Figure().subplots()
    Looks(results_peers.runs).band(empty, [0, 1], ["prefork-epoll", "threadpool"])
    assert not empty.patches and not empty.texts


def test_marked_labels():
    servers = pd.Series(["a", "b", "c"])
    assert marked_labels(servers, pd.Series(["ours", "peer", ""])).tolist() == ["a", "b (peer)", "c"]
