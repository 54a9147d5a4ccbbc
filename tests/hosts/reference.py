"""A scenario run twice, the reference of issue 15: on this machine as the
file says, then through the namespace rig (rig.py) with a [hosts] table
added: the server in one namespace, one prefork-load in each of two others.

    /usr/bin/python3 tests/hosts/reference.py scenarios/hosts/across-hosts.toml --out results

The second run's scenario is the file with its name suffixed "-rig" and the
[hosts] table appended; meta.json keeps the text that ran.

With --rtt MS (repeatable) the scenario runs through the rig only, once per
value, with that round-trip time added on each client's link (netem; 0: none),
its name suffixed "-rig-rtt<MS>ms". Where the kernel has no netem it refuses
before running anything, saying so.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import rig as rigmod  # noqa: E402

REPO = Path(__file__).resolve().parents[2]


def with_hosts(text: str, rig: rigmod.Rig, suffix: str = "-rig") -> str:
    renamed, count = re.subn(r'^name\s*=\s*"([^"]*)"', rf'name = "\1{suffix}"', text, count=1, flags=re.M)
    if count != 1:
        raise SystemExit("reference: the scenario needs a name = \"...\" line")
    return (renamed.rstrip("\n") + "\n\n[hosts]\n"
            f'server = "{rig.hosts["server"].url}"\n'
            f'clients = ["{rig.hosts["client1"].url}", "{rig.hosts["client2"].url}"]\n'
            f"ssh_options = {json.dumps(rig.ssh_options)}\n"
            f'identity = "{rig.identity}"\n')


def run(harness: Path, scenario: Path, out: Path, build: Path) -> int:
    print(f"reference: {scenario.name}", flush=True)
    return subprocess.run([str(harness), "run", str(scenario), "--out", str(out), "--build-dir", str(build)]).returncode


def round_trips(harness: Path, scenario: Path, out: Path, build: Path, rtts: list[float]) -> int:
    if any(ms > 0 for ms in rtts) and (why := rigmod.netem_missing()) is not None:
        print(f"reference: --rtt needs the netem qdisc, which this kernel lacks: {why}", file=sys.stderr)
        return 2
    status = 0
    for ms in rtts:
        added = {"client1": ms, "client2": ms} if ms > 0 else {}
        with rigmod.Rig(["server", "client1", "client2"], rtt_ms=added) as rig, tempfile.TemporaryDirectory() as tmp:
            suffix = f"-rig-rtt{ms:g}ms"
            file = Path(tmp) / (scenario.stem + suffix + ".toml")
            file.write_text(with_hosts(scenario.read_text(), rig, suffix))
            status = run(harness, file, out, build) or status
    return status


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="tests/hosts/reference.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("scenario", type=Path)
    parser.add_argument("--out", type=Path, default=REPO / "results")
    parser.add_argument("--build-dir", type=Path, default=REPO / "build")
    parser.add_argument("--rtt", type=float, action="append", default=[], metavar="MS",
                        help="through the rig only, with this round trip on each client's link (repeatable; 0: none)")
    args = parser.parse_args(argv)
    if any(ms < 0 for ms in args.rtt):
        parser.error("--rtt: expected milliseconds, 0 or more")
    if (reason := rigmod.why_not_possible()) is not None:
        print(f"reference: no rig here: {reason}", file=sys.stderr)
        return 2
    build = args.build_dir.resolve()
    harness = build / "harness" / "prefork-bench"
    if args.rtt:
        return round_trips(harness, args.scenario, args.out, build, args.rtt)
    local = run(harness, args.scenario, args.out, build)
    with rigmod.Rig(["server", "client1", "client2"]) as rig, tempfile.TemporaryDirectory() as tmp:
        scenario = Path(tmp) / (args.scenario.stem + "-rig.toml")
        scenario.write_text(with_hosts(args.scenario.read_text(), rig))
        across = run(harness, scenario, args.out, build)
    return local or across


if __name__ == "__main__":
    sys.exit(main())
