"""Which runs of a runs.csv frame are which: the values of its status, kind,
generator and client_bound columns, and the selections the tables and
figures make by them (measured runs, open-loop runs, peers). plots.load reads
and checks the files; this module only selects.
"""

from __future__ import annotations

import pandas as pd

# runs.csv's `status`. A suspect run measured normally, all its numbers are
# there, but something in the measurement went wrong (its `reason` says
# what): it counts as measured, beside ok. A failed or interrupted run's
# numbers are partial and count nowhere.
OK = "ok"
SUSPECT = "suspect"
MEASURED = (OK, SUSPECT)


# runs.csv's `client_bound`: wrk used at least 90 % of the CPUs it could run
# on, so req/s ranks the client. Empty, or no such column (results written
# before it existed, an idle-connections run): not known.
CLIENT_BOUND_VALUES = {"true": True, "false": False, "": None}


# runs.csv's `kind`: one of our servers, or a peer (a well-known server run in
# the same scenario, peers/). Results written before peers existed have no
# such column; their servers are all ours.
OURS = "ours"
PEER = "peer"
KINDS = (OURS, PEER)


# runs.csv's `generator`: which load generator ran: wrk (closed loop, what
# every run was before), or prefork-load in open loop (`[load] generator =
# "open"`), one run per server, offered rate and repetition. Results written
# before the column existed, and an empty value, are wrk.
WRK = "wrk"
OPEN = "open"
GENERATORS = (WRK, OPEN)


def measured(runs: pd.DataFrame) -> pd.DataFrame:
    """The runs whose numbers count: status ok or suspect (MEASURED), in the frame's order."""
    return runs[runs["status"].isin(MEASURED)]


def is_suspect(runs: pd.DataFrame) -> pd.Series:
    """Per run, whether its status is suspect."""
    return runs["status"] == SUSPECT


def client_bound(runs: pd.DataFrame) -> pd.Series:
    """Per run, True or False from runs.csv's client_bound, None where not known (or no such column)."""
    if "client_bound" not in runs.columns:
        return pd.Series([None] * len(runs), index=runs.index, dtype=object)
    text = runs["client_bound"].fillna("").astype(str).str.strip().str.lower()
    return pd.Series([CLIENT_BOUND_VALUES.get(value) for value in text], index=runs.index, dtype=object)


def is_open(runs: pd.DataFrame) -> pd.Series:
    """Per run, whether prefork-load ran it in open loop (generator `open`)."""
    if "generator" not in runs.columns:
        return pd.Series(False, index=runs.index)
    return runs["generator"] == OPEN


def open_runs(runs: pd.DataFrame) -> pd.DataFrame:
    """The open-loop runs (generator `open`), in the frame's order; none for results without the column."""
    return runs[is_open(runs)]


def wrk_runs(runs: pd.DataFrame) -> pd.DataFrame:
    """The runs wrk measured (every run but the open-loop ones), in the frame's order."""
    return runs[~is_open(runs)]


def peer_servers(runs: pd.DataFrame) -> set[str]:
    """The server labels of runs (any frame with `server` and perhaps `kind`) that are peers."""
    if "kind" not in runs.columns:
        return set()
    return set(runs.loc[runs["kind"] == PEER, "server"])
