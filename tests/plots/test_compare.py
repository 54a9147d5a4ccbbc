"""plots.compare: the host table and the command line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from plots import compare
from plots.load import load_results

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures_reproduce" / "results" / "fixturehost"
A_DIR = FIXTURES / "20260101T000000Z-seed"
B_DIR = FIXTURES / "20260101T000100Z-seed-nodelay"


@pytest.fixture
def dirs(tmp_path):
    a = tmp_path / A_DIR.name
    b = tmp_path / B_DIR.name
    shutil.copytree(A_DIR, a)
    shutil.copytree(B_DIR, b)
    return a, b


def test_host_table_has_both_hosts_facts():
    table = compare.host_table(load_results(A_DIR), load_results(B_DIR))
    assert list(table.columns) == ["fact", "A", "B"]
    facts = table.set_index("fact")
    for fact in ("hostname", "CPU model", "cores", "memory", "kernel", "virtualisation", "pinning"):
        assert fact in facts.index
    assert facts.loc["hostname", "A"] == "fixturehost"
    assert facts.loc["scenario", "A"] == "seed"
    assert facts.loc["scenario", "B"] == "seed-nodelay"
    assert facts.loc["CPU model", "B"] == "Fixture CPU"
    assert facts.loc["cores", "A"] == "2 online, 2 allowed (0-1)"
    assert facts.loc["memory", "A"] == "23.5 GiB"  # 24105.5625 MiB
    assert facts.loc["kernel", "A"] == "6.18.44-fc-v595 x86_64"
    assert "docker" in facts.loc["virtualisation", "A"]
    assert facts.loc["pinning", "A"] == "server=0 wrk=1 (split)"


def test_host_table_missing_facts_are_dashes(dirs):
    a, b = dirs
    import json

    meta = json.loads((b / "meta.json").read_text())
    del meta["host"]["cpu_model"], meta["host"]["memory_total_mib"], meta["pinning"]
    (b / "meta.json").write_text(json.dumps(meta))
    facts = compare.host_table(load_results(a), load_results(b)).set_index("fact")
    assert facts.loc["CPU model", "B"] == "–"
    assert facts.loc["memory", "B"] == "–"
    assert facts.loc["pinning", "B"] == "–"


def test_cli_prints_tables_and_writes_compare_figures(dirs, capsys):
    a, b = dirs
    assert compare.main([str(a), str(b)]) == 0
    out = capsys.readouterr().out
    assert "## Hosts" in out and "Fixture CPU" in out
    assert "## B / A per server and metric" in out
    assert "rps_median" in out
    written = sorted(p.name for p in (b / "plots").iterdir())
    assert any(name.startswith("compare-") and name.endswith(".png") for name in written)
    assert any(name.startswith("compare-") and name.endswith(".svg") for name in written)
    assert not (a / "plots").exists()


def test_cli_missing_directory_exits_2(dirs, tmp_path, capsys):
    a, _ = dirs
    assert compare.main([str(a), str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("compare: ")
    assert err.count("\n") == 1


def test_cli_malformed_directory_exits_2(dirs, capsys):
    a, b = dirs
    (b / "meta.json").write_text("{not json")
    assert compare.main([str(a), str(b)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("compare: ") and "meta.json" in err
    assert err.count("\n") == 1
