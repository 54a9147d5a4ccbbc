"""The harness across hosts, on the namespace rig (rig.py): three hosts with
an sshd each, the harness in the root namespace. make test-hosts runs these
as root; where namespaces cannot be made they are skipped, saying why.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import rig as rigmod  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("PREFORK_BENCH_BUILD", REPO / "build")).resolve()
HARNESS = BUILD / "harness" / "prefork-bench"

REASON = rigmod.why_not_possible()
pytestmark = pytest.mark.skipif(REASON is not None, reason=f"no namespace rig here: {REASON}")


@pytest.fixture(scope="module")
def rig():
    if not HARNESS.exists():
        pytest.fail(f"{HARNESS} not built (make build)")
    with rigmod.Rig(["server", "client1", "client2"]) as built:
        yield built


@pytest.fixture(autouse=True)
def nothing_left_behind(request):
    """After each test: on every host of the rig, nothing runs but its sshd."""
    yield
    if "rig" not in request.fixturenames:
        return
    built = request.getfixturevalue("rig")
    for host in built.hosts.values():
        others = host.others()
        assert others == [], f"{host.name}: left behind: {[command_of(pid) for pid in others]}"


def command_of(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return f"{pid} (gone)"


def toml_list(items) -> str:
    return "[" + ", ".join(json.dumps(str(item)) for item in items) + "]"


def hosts_table(rig, server="server", clients=("client1", {"host": "client2", "processes": 2}), **keys) -> str:
    def url(name):
        return rig.hosts[name].url if name in rig.hosts else name

    entries = []
    for client in clients:
        if isinstance(client, dict):
            entries.append(f'{{host = "{url(client["host"])}", processes = {client["processes"]}}}')
        else:
            entries.append(json.dumps(url(client)))
    lines = [
        "[hosts]",
        f'server = "{url(server)}"',
        f"clients = [{', '.join(entries)}]",
        f"ssh_options = {toml_list(rig.ssh_options)}",
        f'identity = "{rig.identity}"',
    ]
    lines += [f"{key} = {json.dumps(str(value))}" for key, value in keys.items()]
    return "\n".join(lines) + "\n"


# Several clients, or clients on other hosts, run prefork-load.
SOME_LOAD = '[load]\ngenerator = "open"\nrates = [100]\nconnections = 8\n'


def scenario(tmp_path: Path, hosts: str, body: str = SOME_LOAD) -> Path:
    file = tmp_path / "hosts.toml"  # the results directory ends in -hosts
    file.write_text('description = "across the rig"\n' + body + hosts + '[[server]]\nmodel = "prefork-epoll"\n')
    return file


def harness(*args, timeout=300) -> subprocess.CompletedProcess:
    return subprocess.run([str(HARNESS), *map(str, args)], capture_output=True, text=True, timeout=timeout)


def test_hosts_reads_every_hosts_facts_and_link(rig, tmp_path):
    out = tmp_path / "hosts.json"
    done = harness("hosts", scenario(tmp_path, hosts_table(rig)), "--build-dir", BUILD, "--json", out)
    assert done.returncode == 0, done.stderr
    facts = json.loads(out.read_text())
    assert sorted(facts) == sorted(host.url for host in rig.hosts.values())
    server = facts[rig.hosts["server"].url]
    assert server["roles"] == ["server"]
    assert facts[rig.hosts["client2"].url]["roles"] == ["client"]
    for host in rig.hosts.values():
        entry = facts[host.url]
        assert entry["prepared"] == "checked"
        assert entry["build_dir"] == str(BUILD)
        for key in ("cpu_model", "online_cpus", "kernel", "cpu_governor", "network_interfaces"):
            assert key in entry["facts"], key
        # Each host sees only its own end of the rig's veth pair.
        index = list(rig.hosts).index(host.name)
        assert [nic["name"] for nic in entry["facts"]["network_interfaces"]] == [f"{rig.tag}p{index}"]
        link = entry["ssh"]
        assert link["rtt_ms"] > 0 and link["probes"] == 7
        # One machine, one clock: the true offset is 0, and the estimate is
        # off by at most half the fastest probe's round trip.
        assert abs(link["clock_offset_ms"]) <= link["clock_offset_uncertainty_ms"] + 1e-6
    assert "harness/pb-remote" in server["sha256"] and "servers/prefork_epoll/prefork-epoll" in server["sha256"]
    assert "load/prefork-load" in facts[rig.hosts["client1"].url]["sha256"]
    for host in rig.hosts.values():
        assert f"host {host.url}: connecting ... checked" in done.stdout


def test_copy_puts_the_build_on_a_host_and_check_then_finds_it(rig, tmp_path):
    remote = tmp_path / "remote-build"
    table = hosts_table(rig, server="server", clients=["client1"], prepare="copy", build_dir=remote)
    out = tmp_path / "copied.json"
    done = harness("hosts", scenario(tmp_path, table), "--build-dir", BUILD, "--json", out)
    assert done.returncode == 0, done.stderr
    copied = json.loads(out.read_text())
    assert {entry["prepared"] for entry in copied.values()} == {"copied"}
    for file in ("harness/pb-remote", "servers/threadpool/threadpool", "load/prefork-load", "harness/report.lua"):
        assert (remote / file).read_bytes() == (BUILD / file).read_bytes(), file
    table = hosts_table(rig, server="server", clients=["client1"], build_dir=remote)
    again = harness("hosts", scenario(tmp_path, table), "--build-dir", BUILD, "--json", out)
    assert again.returncode == 0, again.stderr
    assert {entry["prepared"] for entry in json.loads(out.read_text()).values()} == {"checked"}


def test_check_refuses_a_host_without_the_build_naming_host_and_file(rig, tmp_path):
    table = hosts_table(rig, server="server", clients=["client1"], build_dir=tmp_path / "nothing-here")
    done = harness("hosts", scenario(tmp_path, table), "--build-dir", BUILD)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"prefork-bench: {rig.hosts['server'].url}: in {tmp_path / 'nothing-here'}: "
                               "harness/pb-remote is missing there"), lines[0]


def test_a_host_that_cannot_be_reached_is_named(rig, tmp_path):
    closed = f"ssh://root@{rig.hosts['server'].address}:2"  # nothing listens on port 2
    done = harness("hosts", scenario(tmp_path, hosts_table(rig, server=closed, clients=["client1"])), "--build-dir", BUILD)
    assert done.returncode == 2
    assert f"prefork-bench: {closed}: cannot connect over SSH: " in done.stderr
    assert "Connection refused" in done.stderr, done.stderr


def test_processes_of_another_run_are_refused_then_ended_when_asked(rig, tmp_path):
    started = rig.ssh("client1", "PREFORK_BENCH_REMOTE_RUN=elsewhere.1.1 setsid sleep 300 </dev/null >/dev/null 2>&1 &")
    assert started.returncode == 0, started.stderr
    host, server = rig.hosts["client1"], rig.hosts["server"]
    sleeper = [pid for pid in host.others() if "sleep 300" in command_of(pid)]
    assert len(sleeper) == 1
    file = scenario(tmp_path, hosts_table(rig, server="server", clients=["client1"]))
    refused = harness("hosts", file, "--build-dir", BUILD)
    assert refused.returncode == 2
    # Named on its host alone (with the PID that host gives it).
    assert f"processes of another run are on the hosts: {host.url}: " in refused.stderr, refused.stderr
    assert "(sleep 300)" in refused.stderr and server.url not in refused.stderr
    assert host.others() == sleeper  # refused, not touched
    ended = harness("hosts", file, "--build-dir", BUILD, "--kill-leftovers")
    assert ended.returncode == 0, ended.stderr
    assert f"ended processes of another run: {host.url}: " in ended.stdout and "(sleep 300)" in ended.stdout


def test_a_rig_removes_everything_it_made():
    with rigmod.Rig(["only"]) as small:
        namespace, bridge, keys = small.hosts["only"].namespace, small.bridge, small.directory
        assert namespace in subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
        assert keys.exists()
    assert namespace not in subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert subprocess.run(["ip", "link", "show", bridge], capture_output=True).returncode != 0
    assert not keys.exists()


OPEN_LOAD = """repetitions = 1
pin = "none"
[handler]
delay = "0"
[load]
generator = "open"
rates = [600]
connections = 6
duration = "2s"
warmup = "1s"
"""


def results_dir(out: Path) -> Path:
    found = sorted(out.glob("*/*-hosts"))
    assert len(found) == 1, found
    return found[0]


def test_a_run_across_the_rig_merges_every_clients_load(rig, tmp_path):
    table = hosts_table(rig, server="server", clients=["client1", {"host": "client2", "processes": 2}])
    done = harness("run", scenario(tmp_path, table, OPEN_LOAD), "--build-dir", BUILD, "--out", tmp_path / "results")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    result = results_dir(tmp_path / "results")
    meta = json.loads((result / "meta.json").read_text())
    assert sorted(meta["hosts"]) == sorted(host.url for host in rig.hosts.values())
    for host in rig.hosts.values():
        assert meta["hosts"][host.url]["facts"]["kernel"]["release"], host.name
        assert meta["hosts"][host.url]["ssh"]["rtt_ms"] > 0
    run = meta["runs"][0]
    assert [line.split(":")[0] + ":" + line.split(":")[1] for line in run["clients"]] == [
        f"{rig.hosts['client1'].url}#1", f"{rig.hosts['client2'].url}#1", f"{rig.hosts['client2'].url}#2"]
    # One barrier for all: they started within a scheduling tick or two of it
    # (far inside the second of lead the harness gives), on one clock here.
    assert 0 <= run["start_skew_ms"] < 50, run["start_skew_ms"]
    # The run's report is the exact merge of the three clients' reports.
    merged = json.loads((result / "raw" / "run-001-load-report.json").read_text())
    parts = [json.loads((result / "raw" / f"run-001-client-{k}-load-report.json").read_text()) for k in (1, 2, 3)]
    assert merged["merged_from"] == 3
    assert merged["completed"] == sum(part["completed"] for part in parts)
    assert merged["offered_rate"] == pytest.approx(sum(part["offered_rate"] for part in parts))
    assert merged["connections"] == 6 and [part["connections"] for part in parts] == [2, 2, 2]
    assert len({part["seed"] for part in parts}) == 3
    assert merged["percentiles_us"]["100"] == max(part["percentiles_us"]["100"] for part in parts)
    # Every client answered from the server host, every request counted once.
    runs = (result / "runs.csv").read_text().splitlines()
    header = runs[0].split(",")
    first = dict(zip(header, runs[1].split(",")))
    assert first["status"] == "ok", first["reason"]
    assert int(first["requests"]) == merged["completed"]
    # Nothing of the scenario stays on a host: its directory there is gone.
    remote_dir = Path(run["clients"][0].split("--json ")[1].split()[0]).parent
    assert remote_dir.name.startswith("prefork-bench-")
    for name in rig.hosts:
        assert rig.ssh(name, "test -e " + str(remote_dir)).returncode == 1, name


WRK_LOAD = """repetitions = 1
pin = "none"
warmup = "500ms"
[handler]
delay = "5ms"
[wrk]
threads = 2
connections = 9
duration = "2s"
timeout = "2s"
"""


def test_wrk_across_the_rig_sums_the_clients_rates_and_keeps_each_spectrum(rig, tmp_path):
    table = hosts_table(rig, server="server", clients=["client1", "client2"])
    done = harness("run", scenario(tmp_path, table, WRK_LOAD), "--build-dir", BUILD, "--out", tmp_path / "results")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    result = results_dir(tmp_path / "results")
    meta = json.loads((result / "meta.json").read_text())
    for name in ("client1", "client2"):
        assert meta["hosts"][rig.hosts[name].url]["wrk"]["path"].endswith("/wrk"), name
    assert "wrk" not in meta["hosts"][rig.hosts["server"].url]
    run = meta["runs"][0]
    server = rig.hosts["server"].address
    assert [line.split(": ")[0] for line in run["clients"]] == [f"{rig.hosts['client1'].url}#1",
                                                                f"{rig.hosts['client2'].url}#1"]
    assert all(f"http://{server}:" in line for line in run["clients"]), run["clients"]
    assert [" -c 5 " in run["clients"][0], " -c 4 " in run["clients"][1]] == [True, True], run["clients"]
    assert 0 <= run["start_skew_ms"] < 50, run["start_skew_ms"]
    parts = [json.loads((result / "raw" / f"run-001-client-{k}-wrk-report.json").read_text()) for k in (1, 2)]
    assert all(part["requests"] > 0 for part in parts)
    for k in (1, 2):
        assert (result / "raw" / f"run-001-client-{k}-warmup-stdout.txt").exists()
    runs = (result / "runs.csv").read_text().splitlines()
    first = dict(zip(runs[0].split(","), runs[1].split(",")))
    assert first["status"] == "ok", first["reason"]
    assert first["clients"] == "2" and first["latency_exact"] == "false"
    assert int(first["requests"]) == sum(part["requests"] for part in parts)
    rate = sum(part["requests"] / (part["duration_us"] / 1e6) for part in parts)
    assert float(first["requests_per_s"]) == pytest.approx(rate, rel=1e-6)
    assert float(first["server_cpu_s"]) > 0, "the server was sampled on its host"
    assert first["client_bound"] in ("true", "false")
    spectra = (result / "latency-clients.csv").read_text().splitlines()
    assert spectra[0] == "run_id,server,client,client_name,percentile,latency_ms"
    names = {line.split(",")[3] for line in spectra[1:]}
    assert names == {f"{rig.hosts['client1'].url}#1", f"{rig.hosts['client2'].url}#1"}
    assert "*Several wrk:*" in (result / "summary.md").read_text()
    assert meta["remote_dir"].startswith("/tmp/prefork-bench-")
    for name in rig.hosts:
        assert rig.ssh(name, "test -e " + meta["remote_dir"]).returncode == 1, name


def test_a_local_server_with_remote_clients_is_reached_at_the_address_given(rig, tmp_path):
    bridge = str(next(rig.subnet.hosts()))  # this machine, as the namespaces reach it
    table = hosts_table(rig, server="local", clients=["client1", "client2"], server_address=bridge)
    done = harness("run", scenario(tmp_path, table, OPEN_LOAD), "--build-dir", BUILD, "--out", tmp_path / "results")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    meta = json.loads((results_dir(tmp_path / "results") / "meta.json").read_text())
    assert meta["hosts"]["local"]["roles"] == ["server"]
    assert all(f"http://{bridge}:" in line for line in meta["runs"][0]["clients"])


NETEM = rigmod.netem_missing() if REASON is None else REASON


@pytest.mark.skipif(NETEM is not None, reason=f"no round-trip time can be added here: {NETEM}")
def test_a_round_trip_time_on_a_clients_link_shows_in_its_measured_link(tmp_path):
    with rigmod.Rig(["server", "far"], rtt_ms={"far": 1.0}) as slow:
        out = tmp_path / "hosts.json"
        done = harness("hosts", scenario(tmp_path, hosts_table(slow, server="server", clients=["far"])),
                       "--build-dir", BUILD, "--json", out)
        assert done.returncode == 0, done.stderr
        hosts = json.loads(out.read_text())
        assert hosts[slow.hosts["far"].url]["ssh"]["rtt_min_ms"] >= 1.0


def test_asking_for_a_round_trip_time_without_netem_says_why():
    if NETEM is None:
        pytest.skip("netem exists here: the rig adds the time")
    with pytest.raises(rigmod.RigError, match="rtt for far: tc qdisc add ... netem: "):
        with rigmod.Rig(["far"], rtt_ms={"far": 1.0}):
            pass


def test_a_harness_killed_mid_run_leaves_nothing_on_any_host(rig, tmp_path):
    """SIGKILL: no cleanup code runs. The SSH clients die with the harness
    (PR_SET_PDEATHSIG), their channels close, and pb-remote ends every
    command on its host; the watchdog ends what is local."""
    long_load = OPEN_LOAD.replace('duration = "2s"', 'duration = "60s"')
    out = tmp_path / "results"
    harness_process = subprocess.Popen(
        [str(HARNESS), "run", str(scenario(tmp_path, hosts_table(rig, clients=["client1", "client2"]), long_load)),
         "--build-dir", str(BUILD), "--out", str(out)], stdout=(tmp_path / "harness.log").open("w"),
        stderr=subprocess.STDOUT)
    try:
        # Once the last client has said its PID the run's processes are on every host.
        raw = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            found = sorted(out.glob("*/*-hosts/raw/run-001-client-2-stdout.txt"))
            if found and "pb-remote: pid" in found[0].read_text():
                raw = found[0]
                break
            time.sleep(0.05)
        assert raw is not None, "the clients never started"
        running = {name: [command_of(pid) for pid in rig.hosts[name].others()] for name in ("server", "client1", "client2")}
        assert all(running.values()), running
    finally:
        harness_process.kill()
        harness_process.wait()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(host.others() for host in rig.hosts.values()):
        time.sleep(0.1)
    for host in rig.hosts.values():
        assert host.others() == [], f"{host.name}: {[command_of(pid) for pid in host.others()]}"
    # Its SSH control directory could not go with it; the next harness removes it.
    stale = Path(tempfile.gettempdir()) / f"pb-ssh-{harness_process.pid}-test"
    stale.mkdir()
    again = harness("hosts", scenario(tmp_path, hosts_table(rig, clients=["client1"])), "--build-dir", BUILD)
    assert again.returncode == 0, again.stderr
    assert not list(Path(tempfile.gettempdir()).glob(f"pb-ssh-{harness_process.pid}-*"))
