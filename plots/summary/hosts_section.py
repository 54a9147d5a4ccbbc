"""The hosts of a run across machines ([hosts], meta.json's "hosts"), as a
table under summary.md's first paragraphs: each host's part, how it got the
build, its CPU, kernel, governor and network interfaces, and the SSH link the
harness measured to it. Nothing for a run on one machine.
"""

from __future__ import annotations

from .cells import NONE, markdown_cell, table_line

HOSTS_TITLE = "## Hosts"
HOSTS_HEADER = ("host", "roles", "build", "CPU", "CPUs", "kernel", "governor", "network", "SSH round trip ms",
                "SSH command ms", "clock offset ms")
HOSTS_ALIGNMENT = ("---",) * 4 + ("--:",) + ("---",) * 3 + ("--:",) * 3
HOSTS_NOTE = (
    "Each host as meta.json's `hosts` records it (this machine is *local*). *build*: checked (the binaries' SHA-256 "
    "matched the local build's), copied, or built there. *SSH round trip*: the median of 7 lines through one open "
    "channel of the harness's master connection and back; *SSH command*: one whole command over it (a session's "
    "setup included), median of 7; *clock offset*: the host's clock minus this one's, from the fastest round trip, "
    "known to within half of it (±). The clients started together at a wall-clock moment shifted by each "
    "host's offset; each run's start skew is in meta.json's `runs`.\n"
)


def _text(value) -> str:
    return NONE if value is None or value == "" else markdown_cell(value)


def _network(facts: dict) -> str:
    nics = facts.get("network_interfaces")
    if not isinstance(nics, list) or not nics:
        return NONE
    parts = []
    for nic in nics:
        speed = nic.get("speed_mbps")
        detail = ", ".join(x for x in (nic.get("driver"), f"{speed:,} Mb/s" if speed else None) if x)
        parts.append(f"{nic.get('name')}" + (f" ({detail})" if detail else ""))
    return markdown_cell("; ".join(parts))


def _row(name: str, entry: dict) -> list[str]:
    facts = entry.get("facts") if isinstance(entry.get("facts"), dict) else {}
    kernel = facts.get("kernel") if isinstance(facts.get("kernel"), dict) else {}
    ssh = entry.get("ssh") if isinstance(entry.get("ssh"), dict) else None
    offset = NONE
    if ssh and ssh.get("clock_offset_ms") is not None:
        offset = f"{ssh['clock_offset_ms']:+.3f} (± {ssh.get('clock_offset_uncertainty_ms', 0):.3f})"
    return [
        markdown_cell(name),
        markdown_cell(", ".join(entry.get("roles") or [])) or NONE,
        _text(entry.get("prepared") or ("this build" if name == "local" else None)),
        _text(facts.get("cpu_model")),
        _text(facts.get("online_cpus")),
        _text(kernel.get("release")),
        _text(facts.get("cpu_governor")),
        _network(facts),
        f"{ssh['rtt_ms']:.3f}" if ssh and ssh.get("rtt_ms") is not None else NONE,
        f"{ssh['command_ms']:.0f}" if ssh and ssh.get("command_ms") is not None else NONE,
        offset,
    ]


def hosts_section(meta: dict) -> str:
    """The hosts table with its note; "" when meta.json has no hosts."""
    hosts = meta.get("hosts")
    if not isinstance(hosts, dict) or not hosts:
        return ""
    rows = [table_line(_row(name, entry)) for name, entry in hosts.items() if isinstance(entry, dict)]
    return (f"{HOSTS_TITLE}\n\n" + table_line(HOSTS_HEADER) + table_line(HOSTS_ALIGNMENT) + "".join(rows) + "\n"
            + HOSTS_NOTE + "\n")
