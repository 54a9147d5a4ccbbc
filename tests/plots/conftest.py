"""Shared fixtures: the hand-made results directories in tests/plots/fixtures/.

Tests that write (figures, the command) work on copies in tmp_path so the
committed fixtures never grow a plots/ folder.
"""

import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from plots.load import load_results  # noqa: E402


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture
def copy_fixture(tmp_path):
    """copy_fixture("fixture-a") → a writable copy under tmp_path/<host>/<name>."""

    def copy(name: str, host: str = "fixture-host", as_name: str | None = None) -> Path:
        target = tmp_path / host / (as_name or name)
        shutil.copytree(FIXTURES / name, target)
        return target

    return copy


@pytest.fixture
def results_a():
    return load_results(FIXTURES / "fixture-a")


@pytest.fixture
def results_sweep():
    return load_results(FIXTURES / "fixture-sweep")


@pytest.fixture
def results_peers():
    """Two of our servers and two peers (fasthttp-prefork, and nginx-reuseport labelled nginx)."""
    return load_results(FIXTURES / "fixture-peers")
