"""fasthttp's published prefork figures beside what this harness measures.

    python3 -m plots.reproduce [--no-run] [--results-root results] [--build-dir build]

Without --no-run it first runs scenarios/seed.toml (the published command,
handler waits 100 ms) and scenarios/seed-nodelay.toml (the same, no wait).
Then it takes the newest results of both scenarios for this host, prints one
table (the published rows, then every measured server) and a verdict, and
writes both as reproduce.md, and a figure as plots/published-vs-measured.*,
into the seed-nodelay results directory.

fasthttp itself, measured here, joins the table when the newest results of
the peers scenarios (peers: with the wait, peers-nodelay: without) exist for
this host: their fasthttp rows (prefork, single, prefork-reuseport), not
their other servers. Those scenarios are not run from here (`make bench`
builds the peers they need); without their results the report says what to
run.

Every number it prints comes from a file: the published ones from
results/published/fasthttp-prefork-readme.csv, the rest from the results.

published reads the published rows, table builds the rows measured here
beside them, verdict and report write the prose, figure draws them, harness
runs the scenarios, cli is the command line. The names below are what the
notebook uses.
"""

from .cli import main
from .figure import published_vs_measured
from .published import published_rows
from .report import table_markdown
from .table import NODELAY, SEED, reproduce_table
from .verdict import verdict

__all__ = ["NODELAY", "SEED", "main", "published_rows", "published_vs_measured", "reproduce_table",
           "table_markdown", "verdict"]
