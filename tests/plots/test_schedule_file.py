"""The schedule file of prefork-load --write-schedule, read back: one written
by the real binary (build-load/load/prefork-load, or $PREFORK_LOAD) has the
planned count, rate and mean cost; the warm-up rule keeps a request intended
exactly at its end; a corrupted file is refused by name."""
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from plots.theory.schedule_file import HEADER_DTYPE, RECORD_DTYPE, measured_part, read_header, read_schedule

REPO = Path(__file__).resolve().parents[2]
BINARY = Path(os.environ.get("PREFORK_LOAD", REPO / "build-load" / "load" / "prefork-load"))

RATE, WARMUP_S, DURATION_S, WORK_MEAN_S = 2000.0, 1.0, 5.0, 0.001


def write_schedule(path, records, warmup_ns, length_ns):
    """A schedule file as the format says, without the binary."""
    header = np.zeros(1, dtype=HEADER_DTYPE)
    header[0] = (b"PBSCHED1", 1, RECORD_DTYPE.itemsize, len(records), warmup_ns, length_ns)
    body = np.array(records, dtype=RECORD_DTYPE)
    path.write_bytes(header.tobytes() + body.tobytes())
    return path


@pytest.fixture
def small_schedule(tmp_path):
    records = [(0, 10, 0), (999_999_999, 20, 5), (1_000_000_000, 30, 0), (1_500_000_000, 4_000_000, 7)]
    return write_schedule(tmp_path / "small.bin", records, 1_000_000_000, 2_000_000_000)


def test_a_written_file_reads_back_in_seconds(small_schedule):
    send_at_s, work_s, delay_s, warmup_s = read_schedule(small_schedule)
    np.testing.assert_array_equal(send_at_s, [0, 0.999999999, 1.0, 1.5])
    np.testing.assert_allclose(work_s, [10e-6, 20e-6, 30e-6, 4.0])
    np.testing.assert_allclose(delay_s, [0, 5e-6, 0, 7e-6])
    assert warmup_s == 1.0
    assert read_header(small_schedule).duration_s == 1.0


def test_the_measured_part_starts_at_the_warm_ups_end_inclusive(small_schedule):
    send_at_s, work_s, delay_s = measured_part(*read_schedule(small_schedule))
    np.testing.assert_array_equal(send_at_s, [1.0, 1.5], err_msg="1 ns before the end is warm-up; at the end, measured")
    np.testing.assert_allclose(work_s, [30e-6, 4.0])
    np.testing.assert_allclose(delay_s, [0, 7e-6])


@pytest.fixture(scope="module")
def schedule_path(tmp_path_factory):
    if not os.access(BINARY, os.X_OK):
        pytest.skip(f"prefork-load is not built at {BINARY} (build the target prefork-load in build-load/, "
                    f"or set PREFORK_LOAD to the binary)")
    path = tmp_path_factory.mktemp("schedule") / "schedule.bin"
    # Port 9 (discard): nothing need listen, --schedule-only connects nowhere.
    subprocess.run([str(BINARY), "--rate", str(RATE), "--warmup", f"{WARMUP_S:g}s", "--duration", f"{DURATION_S:g}s",
                    "--cost", "work=exp:1ms", "--seed", "5", "--schedule-only", "--write-schedule", str(path),
                    "http://127.0.0.1:9/"], check=True, capture_output=True, timeout=60)
    return path


def test_the_binarys_schedule_has_the_planned_count_rate_and_cost(schedule_path):
    send_at_s, work_s, delay_s, warmup_s = read_schedule(schedule_path)
    header = read_header(schedule_path)
    assert warmup_s == WARMUP_S
    assert header.length_s == WARMUP_S + DURATION_S
    assert len(send_at_s) == len(work_s) == len(delay_s) == header.count
    assert np.all(np.diff(send_at_s) >= 0), "in intended-send order"
    assert send_at_s[0] >= 0 and send_at_s[-1] < WARMUP_S + DURATION_S
    # Poisson counts: 12,000 expected over the whole run, sd about 110; 5 sd.
    expected = RATE * (WARMUP_S + DURATION_S)
    assert abs(header.count - expected) <= 5 * np.sqrt(expected)
    measured_at, measured_work, measured_delay = measured_part(send_at_s, work_s, delay_s, warmup_s)
    assert len(measured_at) == np.count_nonzero(send_at_s >= WARMUP_S)
    assert measured_at.min() >= WARMUP_S
    assert abs(len(measured_at) / DURATION_S - RATE) <= 5 * np.sqrt(RATE * DURATION_S) / DURATION_S
    # exp:1ms: the sample mean's sd is 1/sqrt(n) of it, under 1 %; 5 %.
    assert measured_work.mean() == pytest.approx(WORK_MEAN_S, rel=0.05)
    assert np.all(measured_delay == 0), "no delay= cost"


def test_a_bad_magic_is_refused_naming_the_file(small_schedule, tmp_path):
    bad = tmp_path / "bad-magic.bin"
    data = bytearray(small_schedule.read_bytes())
    data[0:8] = b"NOTSCHED"
    bad.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="bad-magic.bin.*magic"):
        read_schedule(bad)


def test_a_truncated_file_is_refused_naming_the_file(small_schedule, tmp_path):
    short = tmp_path / "truncated.bin"
    short.write_bytes(small_schedule.read_bytes()[:-8])
    with pytest.raises(ValueError, match="truncated.bin.*records"):
        read_schedule(short)
    stub = tmp_path / "stub.bin"
    stub.write_bytes(b"PBSCHED1")
    with pytest.raises(ValueError, match="stub.bin.*header"):
        read_schedule(stub)


def test_another_version_or_record_size_is_refused(small_schedule, tmp_path):
    for offset, name in ((8, "version"), (12, "record size")):
        changed = tmp_path / f"changed-{offset}.bin"
        data = bytearray(small_schedule.read_bytes())
        data[offset:offset + 4] = (99).to_bytes(4, "little")
        changed.write_bytes(bytes(data))
        with pytest.raises(ValueError, match=f"changed-{offset}.bin.*{name}"):
            read_schedule(changed)
