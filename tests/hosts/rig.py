"""A rig of hosts on one machine: network namespaces joined to a bridge, each
running its own sshd, so that the harness's SSH path runs end to end here
and in CI.

    with Rig(["server", "client1", "client2"]) as rig:
        rig.hosts["server"].url          # "ssh://root@198.18.7.2"
        rig.ssh_options                  # what a scenario's [hosts] needs

Every name the rig creates carries its creator's PID (pbh<PID>...), so a rig
left by a process that died (SIGKILL) is found and removed by the next one
(remove_stale); a live one is never touched. Addresses come from the
benchmarking range 198.18.0.0/15 (RFC 2544), one /24 per rig, so no traffic
leaves the namespaces and the bridge. The keys (one host key, one client
key) are generated for the rig in a directory of its own and removed with
it: ~/.ssh and /etc/ssh are never read or written. Everything started is
stopped by PID.

    /usr/bin/python3 tests/hosts/rig.py --help
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import ClassVar
from pathlib import Path

PREFIX = "pbh"
NETWORK = ipaddress.ip_network("198.18.0.0/15")
SSHD = Path("/usr/sbin/sshd")
PRIVSEP_DIR = Path("/run/sshd")  # sshd refuses to start without it
READY_TIMEOUT_S = 10.0


class RigError(RuntimeError):
    """The rig cannot be built here; the message says which step failed."""


def run(*argv: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(argv, capture_output=True, text=True)
    if check and done.returncode != 0:
        raise RigError(f"{' '.join(argv)}: exit {done.returncode}: {done.stderr.strip() or done.stdout.strip()}")
    return done


def why_not_possible() -> str | None:
    """Why namespaces and sshd cannot be used on this machine; None when they can."""
    if os.geteuid() != 0:
        return "not root: creating network namespaces needs root"
    if shutil.which("ip") is None:
        return "no ip(8) (iproute2)"
    if not SSHD.exists():
        return f"no {SSHD} (openssh-server)"
    probe = f"{PREFIX}probe{os.getpid()}"
    made = run("ip", "netns", "add", probe, check=False)
    if made.returncode != 0:
        return f"ip netns add failed: {made.stderr.strip()}"
    run("ip", "netns", "del", probe, check=False)
    return None


@dataclass
class Host:
    name: str
    namespace: str
    address: str
    sshd: subprocess.Popen | None = None
    log: Path | None = None

    @property
    def url(self) -> str:
        return f"ssh://root@{self.address}"

    def pids(self) -> list[int]:
        """Every process in the host's network namespace (as this machine numbers them)."""
        listed = run("ip", "netns", "pids", self.namespace, check=False).stdout.split()
        return [int(pid) for pid in listed if pid.isdigit()]

    def own_pids(self) -> set[int]:
        """The rig's own processes of the host: unshare and its sshd."""
        if self.sshd is None:
            return set()
        children = Path(f"/proc/{self.sshd.pid}/task/{self.sshd.pid}/children")
        try:
            return {self.sshd.pid, *map(int, children.read_text().split())}
        except OSError:
            return {self.sshd.pid}

    def others(self) -> list[int]:
        """What else runs on the host: the processes a test started there."""
        return [pid for pid in self.pids() if pid not in self.own_pids()]


def netem_missing() -> str | None:
    """Why round-trip time cannot be added here (no netem qdisc); None when it can."""
    probe = f"{PREFIX}{os.getpid()}nm"
    if run("ip", "link", "add", probe, "type", "veth", "peer", "name", probe + "p", check=False).returncode != 0:
        return "cannot create a veth pair to try netem on"
    try:
        tried = run("tc", "qdisc", "add", "dev", probe, "root", "netem", "delay", "1ms", check=False)
        return None if tried.returncode == 0 else f"tc qdisc add ... netem: {tried.stderr.strip()}"
    finally:
        run("ip", "link", "del", probe, check=False)


@dataclass
class Rig:
    names: list[str]
    # Round-trip time added on a host's link (netem on its side of the veth
    # pair: every packet it sends waits this long), in ms.
    rtt_ms: dict[str, float] = field(default_factory=dict)
    hosts: dict[str, Host] = field(default_factory=dict)
    directory: Path | None = None
    bridge: str = ""
    subnet: ipaddress.IPv4Network | None = None
    tag: str = ""  # every name's start: pbh<PID>x<N>, N counting this process's rigs
    _made_privsep: bool = False
    _made: ClassVar[int] = 0

    # ---- the rig's life --------------------------------------------------

    def __enter__(self) -> Rig:
        try:
            self.up()
        except BaseException:
            self.down()
            raise
        return self

    def __exit__(self, *_) -> None:
        self.down()

    def up(self) -> None:
        remove_stale()
        Rig._made += 1
        self.tag = tag = f"{PREFIX}{os.getpid()}x{Rig._made}"
        self.bridge = f"{tag}br"
        if len(f"{tag}v{len(self.names)}") > 15:
            raise RigError(f"interface name {self.bridge} is longer than 15 characters")
        self.subnet = free_subnet()
        addresses = list(self.subnet.hosts())
        self.directory = Path(tempfile.mkdtemp(prefix=f"{tag}-keys-"))
        self._keys()
        run("ip", "link", "add", self.bridge, "type", "bridge")
        run("ip", "addr", "add", f"{addresses[0]}/{self.subnet.prefixlen}", "dev", self.bridge)
        run("ip", "link", "set", self.bridge, "up")
        for i, name in enumerate(self.names):
            host = Host(name, f"{tag}-{name}", str(addresses[i + 1]))
            self.hosts[name] = host
            self._namespace(host, i)
        if not PRIVSEP_DIR.exists():
            PRIVSEP_DIR.mkdir(mode=0o755)
            self._made_privsep = True
        self._known_hosts()
        for host in self.hosts.values():
            self._start_sshd(host)

    def down(self) -> None:
        """Stops every sshd and whatever is still in the namespaces (by PID), removes them, the bridge and the keys."""
        for host in self.hosts.values():
            if host.sshd is not None and host.sshd.poll() is None:
                host.sshd.terminate()
                try:
                    host.sshd.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    host.sshd.kill()
                    host.sshd.wait()
            for pid in host.pids():
                kill(pid)
            run("ip", "netns", "del", host.namespace, check=False)
        if self.bridge:
            run("ip", "link", "del", self.bridge, check=False)
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
        if self._made_privsep:
            shutil.rmtree(PRIVSEP_DIR, ignore_errors=True)

    # ---- what a scenario needs -------------------------------------------

    @property
    def identity(self) -> Path:
        return self.directory / "client_key"

    @property
    def known_hosts(self) -> Path:
        return self.directory / "known_hosts"

    @property
    def ssh_options(self) -> list[str]:
        """ssh -o options: only the rig's known_hosts, checked strictly."""
        return [f"UserKnownHostsFile={self.known_hosts}", "StrictHostKeyChecking=yes", "GlobalKnownHostsFile=/dev/null"]

    def ssh(self, name: str, *command: str) -> subprocess.CompletedProcess:
        """Runs command on a host of the rig over SSH, with the rig's keys."""
        argv = ["ssh", "-F", "/dev/null", "-i", str(self.identity), "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes"]
        for option in self.ssh_options:
            argv += ["-o", option]
        return subprocess.run([*argv, f"root@{self.hosts[name].address}", *command], capture_output=True, text=True,
                              timeout=30)

    # ---- building it -----------------------------------------------------

    def _keys(self) -> None:
        for key in ("host_key", "client_key"):
            run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"prefork-bench rig {key}",
                "-f", str(self.directory / key))
        shutil.copy(self.directory / "client_key.pub", self.directory / "authorized_keys")

    def _namespace(self, host: Host, i: int) -> None:
        outside, inside = f"{self.tag}v{i}", f"{self.tag}p{i}"
        run("ip", "netns", "add", host.namespace)
        run("ip", "link", "add", outside, "type", "veth", "peer", "name", inside)
        run("ip", "link", "set", outside, "master", self.bridge)
        run("ip", "link", "set", outside, "up")
        run("ip", "link", "set", inside, "netns", host.namespace)
        inns = ("ip", "-n", host.namespace)
        run(*inns, "link", "set", "lo", "up")
        run(*inns, "addr", "add", f"{host.address}/{self.subnet.prefixlen}", "dev", inside)
        run(*inns, "link", "set", inside, "up")
        if self.rtt_ms.get(host.name):
            if (why := netem_missing()) is not None:
                raise RigError(f"rtt for {host.name}: {why}")
            run("ip", "netns", "exec", host.namespace, "tc", "qdisc", "add", "dev", inside, "root", "netem", "delay",
                f"{self.rtt_ms[host.name]}ms")

    def _known_hosts(self) -> None:
        key = (self.directory / "host_key.pub").read_text().split()
        lines = [f"{host.address} {key[0]} {key[1]}\n" for host in self.hosts.values()]
        self.known_hosts.write_text("".join(lines))

    def _start_sshd(self, host: Host) -> None:
        config = self.directory / f"sshd-{host.name}.conf"
        config.write_text(
            f"ListenAddress {host.address}\n"
            f"HostKey {self.directory / 'host_key'}\n"
            f"AuthorizedKeysFile {self.directory / 'authorized_keys'}\n"
            f"PidFile {self.directory / f'sshd-{host.name}.pid'}\n"
            "PermitRootLogin prohibit-password\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
            "UsePAM no\nStrictModes no\nMaxStartups 100\nMaxSessions 100\nLogLevel INFO\n"
            # The harness's environment marker must reach the processes it starts.
            "AcceptEnv PREFORK_BENCH_*\n"
        )
        host.log = self.directory / f"sshd-{host.name}.log"
        log = open(host.log, "w")
        # A PID namespace (and its own /proc) too: a host sees only its own
        # processes, as another machine would. sshd is its PID 1; when
        # unshare goes, the kernel ends everything in the namespace.
        host.sshd = subprocess.Popen(["ip", "netns", "exec", host.namespace, "unshare", "--pid", "--fork", "--mount-proc",
                                      "--kill-child", str(SSHD), "-D", "-e", "-f", str(config)],
                                     stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + READY_TIMEOUT_S
        while "Server listening on" not in host.log.read_text():
            if host.sshd.poll() is not None:
                raise RigError(f"sshd in {host.namespace} exited {host.sshd.returncode}: {host.log.read_text().strip()}")
            if time.monotonic() > deadline:
                raise RigError(f"sshd in {host.namespace} did not say it listens within {READY_TIMEOUT_S:g} s")
            time.sleep(0.02)


def kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def free_subnet() -> ipaddress.IPv4Network:
    """A /24 of 198.18.0.0/15 that no interface of this machine has an address in."""
    used = {ipaddress.ip_interface(a).network for a in re.findall(r"inet (\S+)", run("ip", "-o", "-4", "addr").stdout)}
    start = os.getpid() % 500
    candidates = list(NETWORK.subnets(new_prefix=24))
    for k in range(len(candidates)):
        subnet = candidates[(start + k) % len(candidates)]
        if not any(subnet.overlaps(other) for other in used):
            return subnet
    raise RigError("no free /24 in 198.18.0.0/15")


def remove_stale() -> list[str]:
    """Removes the namespaces, bridges and key directories of rigs whose creator is gone; returns what it removed."""
    removed = []
    pattern = re.compile(rf"^{PREFIX}(\d+)")
    for line in run("ip", "netns", "list", check=False).stdout.splitlines():
        name = line.split()[0] if line.split() else ""
        match = pattern.match(name)
        if match and not _alive(int(match.group(1))):
            for pid in run("ip", "netns", "pids", name, check=False).stdout.split():
                kill(int(pid))
            run("ip", "netns", "del", name, check=False)
            removed.append(name)
    for line in run("ip", "-o", "link", "show", "type", "bridge", check=False).stdout.splitlines():
        name = line.split(":")[1].strip().split("@")[0] if ":" in line else ""
        match = pattern.match(name)
        if match and not _alive(int(match.group(1))):
            run("ip", "link", "del", name, check=False)
            removed.append(name)
    for directory in Path(tempfile.gettempdir()).glob(f"{PREFIX}*-keys-*"):
        match = pattern.match(directory.name)
        if match and not _alive(int(match.group(1))):
            shutil.rmtree(directory, ignore_errors=True)
            removed.append(str(directory))
    return removed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="tests/hosts/rig.py",
        description="Network namespaces with an sshd each, joined to a bridge (198.18.0.0/15): hosts for the "
                    "harness's SSH path on one machine. 'shell' builds the rig, prints its hosts and ssh options, "
                    "runs COMMAND (or waits for Ctrl-C) and removes it; 'clean' removes rigs left by dead processes.")
    sub = parser.add_subparsers(dest="action", required=True)
    shell = sub.add_parser("shell", help="build a rig, run a command with it, remove it")
    shell.add_argument("--hosts", default="server,client1,client2", help="comma-separated host names")
    shell.add_argument("--rtt", action="append", default=[], metavar="HOST=MS",
                       help="add this round-trip time (ms) on HOST's link (needs the netem qdisc); repeatable")
    shell.add_argument("command", nargs=argparse.REMAINDER,
                       help="run with PB_RIG_<NAME>=ssh://... PB_RIG_SSH_OPTIONS and PB_RIG_IDENTITY in its environment")
    sub.add_parser("clean", help="remove rigs whose creator is gone")
    args = parser.parse_args(argv)
    command = getattr(args, "command", None) or []
    if command[:1] == ["--"]:
        command = command[1:]
    if (reason := why_not_possible()) is not None:
        print(f"rig: cannot build a rig here: {reason}", file=sys.stderr)
        return 2
    if args.action == "clean":
        for name in remove_stale():
            print(f"removed {name}")
        return 0
    try:
        rtt = {}
        for entry in args.rtt:
            name, _, value = entry.partition("=")
            try:
                rtt[name] = float(value)
            except ValueError:
                print(f"rig: --rtt {entry}: expected HOST=MS, MS a number", file=sys.stderr)
                return 2
        with Rig([n for n in args.hosts.split(",") if n], rtt_ms=rtt) as rig:
            env = dict(os.environ, PB_RIG_SSH_OPTIONS=" ".join(rig.ssh_options), PB_RIG_IDENTITY=str(rig.identity))
            for host in rig.hosts.values():
                env[f"PB_RIG_{host.name.upper()}"] = host.url
                print(f"{host.name}: {host.url} (namespace {host.namespace})")
            if command:
                return subprocess.run(command, env=env).returncode
            print("rig up; Ctrl-C removes it")
            try:
                signal.pause()
            except KeyboardInterrupt:
                pass
    except RigError as error:
        print(f"rig: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
