"""notebooks/analysis.ipynb: committed bare, and when run top to bottom it shows the committed results.

The notebook is executed here (nbconvert's ExecutePreprocessor, the same as
`jupyter nbconvert --execute`) on the newest seed results under results/, and
its outputs are checked against those results' own files.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbconvert.preprocessors import ExecutePreprocessor

from plots.load import latest_results

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK = REPO / "notebooks" / "analysis.ipynb"


def servers_of(directory: Path) -> list[str]:
    return list(dict.fromkeys(pd.read_csv(directory / "runs.csv")["server"]))


@pytest.fixture(scope="module")
def executed():
    """The notebook's code cells after a run, each with its outputs."""
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    ExecutePreprocessor(timeout=300, kernel_name="python3").preprocess(
        notebook, {"metadata": {"path": str(NOTEBOOK.parent)}})
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def outputs(cell, kind: str) -> list[str]:
    """The cell's outputs of a MIME type ("text/markdown", "image/png") or its printed text ("stream")."""
    if kind == "stream":
        return [o["text"] for o in cell.outputs if o["output_type"] == "stream" and o["name"] == "stdout"]
    return [o["data"][kind] for o in cell.outputs if o["output_type"] == "display_data" and kind in o["data"]]


def first_cells(table: str) -> list[str]:
    """The first cell of each row of a Markdown table, below its header and alignment lines."""
    rows = [line for line in table.splitlines() if line.startswith("| ")][2:]
    return [row.split(" | ")[0][2:] for row in rows]


def cell_calling(cells, call: str):
    (cell,) = [c for c in cells if call in c.source]
    return cell


def test_notebook_is_committed_without_outputs():
    notebook = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    assert notebook["nbformat"] == 4
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    assert code, "the notebook has no code cells"
    for number, cell in enumerate(code, 1):
        assert cell["outputs"] == [], f"code cell {number} has outputs"
        assert cell["execution_count"] is None, f"code cell {number} has an execution count"


def test_no_cell_fails_or_complains(executed):
    for cell in executed:
        assert not [o for o in cell.outputs if o["output_type"] == "error"], cell.source
        assert not [o for o in cell.outputs if o["output_type"] == "stream" and o["name"] == "stderr"], cell.source


def test_it_shows_the_newest_seed_run_and_its_summary(executed):
    seed = latest_results(REPO / "results", scenario="seed")
    (heading,) = outputs(cell_calling(executed, "load_results(RESULTS_DIR)"), "text/markdown")
    assert heading.startswith(f"**seed** on **{seed.parent.name}**")
    runs = pd.read_csv(seed / "runs.csv")
    # ok_runs() counts the measured runs: ok and suspect.
    assert f"{runs['status'].isin(['ok', 'suspect']).sum()} of {len(runs)} runs ok." in heading
    (table,) = outputs(cell_calling(executed, "summary = summary_table(results)"), "text/markdown")
    assert first_cells(table) == servers_of(seed)


def test_it_computes_the_bound_from_the_configuration(executed):
    seed = latest_results(REPO / "results", scenario="seed")
    first = pd.read_csv(seed / "runs.csv").iloc[0]
    bound = first["connections"] / ((first["delay_ms"] + first["work_ms"]) / 1000)
    (printed,) = outputs(cell_calling(executed, "little_bound(connections, delay, work)"), "stream")
    assert f"= {bound:,.0f} req/s" in printed


def test_it_shows_every_figure_of_the_run(executed):
    cell = cell_calling(executed, "figures.plot_all(")
    names = [re.sub(r"`(.*)`", r"\1", text) for text in outputs(cell, "text/markdown")]
    # One connection count: no connection-sweep.
    assert names == ["throughput.png", "latency-spectrum.png", "latency-cdf.png", "fairness.png", "cpu.png"]
    assert len(outputs(cell, "image/png")) == len(names)


def test_it_sets_the_published_figures_beside_the_measured_ones(executed):
    seed = latest_results(REPO / "results", scenario="seed")
    (measured, table) = outputs(cell_calling(executed, "reproduce.reproduce_table("), "text/markdown")
    assert str(seed.relative_to(REPO)) in measured
    assert "| published | fasthttp README | 100 | prefork |" in table
    for server in servers_of(seed):
        assert f"| measured | seed | 100 | {server} |" in table
    verdict_cell = cell_calling(executed, "reproduce.verdict(comparison)")
    (verdict,) = outputs(verdict_cell, "stream")
    assert verdict.startswith("Little's law: 512 connections that each wait 100 ms cannot exceed 5,120 req/s.")
    assert len(outputs(verdict_cell, "image/png")) == 1


def test_it_sets_ours_beside_the_peers(executed):
    cell = cell_calling(executed, "def peers_summary(")
    tables = outputs(cell, "text/markdown")
    for scenario, table in zip(("peers", "peers-nodelay"), tables[1::2]):
        peers = latest_results(REPO / "results", scenario=scenario)
        assert first_cells(table) == servers_of(peers)
    printed = "".join(outputs(cell, "stream"))
    assert len(re.findall(r"^prefork-\S+ / fasthttp-prefork: req/s ", printed, flags=re.M)) == 2
    assert len(re.findall(r"^prefork-\S+ / nginx-reuseport: req/s ", printed, flags=re.M)) == 2


def test_it_shows_the_when_map_and_its_verdict(executed):
    cell = cell_calling(executed, "draw(when_points")
    (table,) = outputs(cell, "text/markdown")
    committed = pd.read_csv(REPO / "results" / "vm" / "when" / "when-map.csv")
    assert "| workload | util. | threadpool p99 ms (sim.)" in table
    assert sum(line.startswith("| ") for line in table.splitlines()) == len(committed) + 1, "a row per cell, header"
    (printed,) = outputs(cell, "stream")
    assert printed.startswith("Prefork (SO_REUSEPORT, one process per worker) has the lower p99")
    assert len(outputs(cell, "image/png")) >= 2, "the map and the experiments' figures"
