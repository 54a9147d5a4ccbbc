"""Two results directories side by side: the hosts, then B against A.

    python3 -m plots.compare A_DIR B_DIR

Prints the host facts of both meta.json files, then the ratio of every metric
(B / A, per server) as Markdown, and draws the comparison figures into
B_DIR/plots/. An unreadable directory is one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from .load import Results, ResultsError, load_results
from .tables import format_markdown, ratio_table

DASH = "–"


def _get(meta: dict, *keys):
    value = meta
    for key in keys:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def _text(value) -> str:
    if value is None or value == "":
        return DASH
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _cores(meta: dict) -> str:
    online = _get(meta, "host", "online_cpus")
    allowed = _get(meta, "host", "allowed_cpu_count")
    cpus = _get(meta, "host", "allowed_cpus")
    if online is None and allowed is None:
        return DASH
    text = f"{_text(online)} online"
    if allowed is not None:
        text += f", {allowed} allowed"
        if cpus:
            text += f" ({cpus})"
    return text


def _memory(meta: dict) -> str:
    mib = _get(meta, "host", "memory_total_mib")
    if not isinstance(mib, (int, float)):
        return DASH
    return f"{mib / 1024:.1f} GiB"


def _kernel(meta: dict) -> str:
    release = _get(meta, "host", "kernel", "release")
    machine = _get(meta, "host", "kernel", "machine")
    return " ".join(str(part) for part in (release, machine) if part) or DASH


def _virtualisation(meta: dict) -> str:
    virt = _get(meta, "host", "virtualisation")
    if not isinstance(virt, dict):
        return DASH
    parts = []
    if virt.get("systemd_detect_virt"):
        parts.append(f"systemd-detect-virt: {virt['systemd_detect_virt']}")
    if virt.get("hypervisor_flag") is not None:
        parts.append(f"hypervisor flag: {_text(virt['hypervisor_flag'])}")
    product = " ".join(str(virt[k]) for k in ("sys_vendor", "product_name") if virt.get(k))
    if product:
        parts.append(product)
    return "; ".join(parts) or DASH


def _pinning(meta: dict) -> str:
    description = _get(meta, "pinning", "description")
    mode = _get(meta, "pinning", "mode")
    if description and mode:
        return f"{description} ({mode})"
    return _text(description or mode)


def _git(meta: dict) -> str:
    commit = _get(meta, "git", "commit")
    if not commit:
        return DASH
    dirty = _get(meta, "git", "dirty")
    return str(commit)[:12] + (" (dirty)" if dirty else "")


FACTS = (
    ("directory", lambda r: r.path.name),
    ("scenario", lambda r: r.scenario),
    ("started (UTC)", lambda r: _text(_get(r.meta, "started_utc"))),
    ("hostname", lambda r: r.host),
    ("CPU model", lambda r: _text(_get(r.meta, "host", "cpu_model"))),
    ("cores", lambda r: _cores(r.meta)),
    ("memory", lambda r: _memory(r.meta)),
    ("kernel", lambda r: _kernel(r.meta)),
    ("OS", lambda r: _text(_get(r.meta, "host", "os"))),
    ("virtualisation", lambda r: _virtualisation(r.meta)),
    ("CPU governor", lambda r: _text(_get(r.meta, "host", "cpu_governor"))),
    ("pinning", lambda r: _pinning(r.meta)),
    ("wrk", lambda r: _text(_get(r.meta, "versions", "wrk"))),
    ("git commit", lambda r: _git(r.meta)),
)


def host_table(a: Results, b: Results) -> pd.DataFrame:
    """One row per host fact: fact, A, B (text; "–" where meta.json does not say)."""
    return pd.DataFrame(
        [{"fact": name, "A": value(a), "B": value(b)} for name, value in FACTS],
        columns=["fact", "A", "B"],
    )


def _markdown(df: pd.DataFrame) -> str:
    text = format_markdown(df)
    return text if text.endswith("\n") else text + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python3 -m plots.compare",
        description="Compare two results directories: host facts, B/A ratios, comparison figures in B/plots/.",
    )
    parser.add_argument("a", type=Path, metavar="A_DIR", help="the reference results directory")
    parser.add_argument("b", type=Path, metavar="B_DIR", help="the results directory compared with A")
    args = parser.parse_args(argv)

    from .figures import compare_all

    try:
        a = load_results(args.a)
        b = load_results(args.b)
        hosts = host_table(a, b)
        ratios = ratio_table(a, b)
        out_dir = b.path / "plots"
        out_dir.mkdir(parents=True, exist_ok=True)
        written = compare_all(a, b, out_dir)
    except (ResultsError, OSError, ValueError, KeyError) as error:
        message = str(error) if not isinstance(error, KeyError) else f"missing {error}"
        print(f"compare: {message}", file=sys.stderr)
        return 2

    print(f"A: {a.path}")
    print(f"B: {b.path}")
    print()
    print("## Hosts")
    print()
    print(_markdown(hosts))
    print("## B / A per server and metric")
    print()
    if ratios.empty:
        print("A and B have no (server, connections) in common.\n")
    else:
        print(_markdown(ratios.rename(columns={"value_a": "A", "value_b": "B", "ratio": "B / A"})))
    if written:
        print("Written: " + ", ".join(str(p) for p in written))
    else:
        print(f"Written into {out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
