"""notebooks/analysis.ipynb is committed without outputs.

Running it is `make test`'s job (jupyter nbconvert --execute); this only
checks that what is committed is the bare notebook: no outputs, no execution
counts, so a diff shows code and text, not images.
"""

from __future__ import annotations

import json
from pathlib import Path

NOTEBOOK = Path(__file__).resolve().parent.parent.parent / "notebooks" / "analysis.ipynb"


def cells():
    notebook = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    assert notebook["nbformat"] == 4
    return notebook["cells"]


def test_notebook_has_no_outputs():
    code = [cell for cell in cells() if cell["cell_type"] == "code"]
    assert code, "the notebook has no code cells"
    for number, cell in enumerate(code, 1):
        assert cell["outputs"] == [], f"code cell {number} has outputs"
        assert cell["execution_count"] is None, f"code cell {number} has an execution count"


def test_notebook_uses_the_package():
    source = "\n".join("".join(cell["source"]) for cell in cells() if cell["cell_type"] == "code")
    for call in ("summary_table(", "plot_all(", "reproduce_table(", "verdict(", "published_vs_measured(",
                 "PREFORK_BENCH_RESULTS", 'latest_results("results", scenario="seed")'):
        assert call in source, f"the notebook does not call {call}"
