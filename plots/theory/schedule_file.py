"""The schedule a prefork-load run planned (`--write-schedule FILE`), read
back for the simulator (dispatch) so that it replays exactly the requests the
run sent: every thread's, in intended-send order, warm-up included.

The format (load/schedule_file.hpp), all integers little-endian:

    offset  size  field
         0     8  magic b"PBSCHED1"
         8     4  uint32 version (1)
        12     4  uint32 record size (16)
        16     8  uint64 record count
        24     8  int64  warm-up, ns
        32     8  int64  the whole schedule's length, ns (warm-up + duration)
        40        records: int64 send_at_ns, uint32 work_us, uint32 delay_us
"""
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAGIC = b"PBSCHED1"
VERSION = 1

HEADER_DTYPE = np.dtype(
    [
        ("magic", "S8"),
        ("version", "<u4"),
        ("record_size", "<u4"),
        ("count", "<u8"),
        ("warmup_ns", "<i8"),
        ("length_ns", "<i8"),
    ]
)
RECORD_DTYPE = np.dtype([("send_at_ns", "<i8"), ("work_us", "<u4"), ("delay_us", "<u4")])


@dataclass(frozen=True)
class ScheduleHeader:
    count: int
    warmup_s: float
    length_s: float  # warm-up + measured duration

    @property
    def duration_s(self) -> float:
        """The measured window's length."""
        return self.length_s - self.warmup_s


def read_header(path) -> ScheduleHeader:
    """The header of a schedule file, checked against the file's size.
    Raises ValueError naming the path when the file is not one."""
    path = Path(path)
    size = path.stat().st_size
    if size < HEADER_DTYPE.itemsize:
        raise ValueError(f"{path}: not a prefork-load schedule ({size} bytes, shorter than the "
                         f"{HEADER_DTYPE.itemsize}-byte header)")
    header = np.fromfile(path, dtype=HEADER_DTYPE, count=1)[0]
    if bytes(header["magic"]) != MAGIC:
        raise ValueError(f"{path}: not a prefork-load schedule (magic {bytes(header['magic'])!r}, "
                         f"expected {MAGIC!r})")
    if int(header["version"]) != VERSION:
        raise ValueError(f"{path}: schedule version {int(header['version'])}, this reader knows {VERSION}")
    if int(header["record_size"]) != RECORD_DTYPE.itemsize:
        raise ValueError(f"{path}: record size {int(header['record_size'])}, expected {RECORD_DTYPE.itemsize}")
    count = int(header["count"])
    expected = HEADER_DTYPE.itemsize + count * RECORD_DTYPE.itemsize
    if size != expected:
        raise ValueError(f"{path}: {size} bytes, but {count} records make {expected} (truncated or corrupt)")
    return ScheduleHeader(count, int(header["warmup_ns"]) / 1e9, int(header["length_ns"]) / 1e9)


def read_schedule(path) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """(send_at_s, work_s, delay_s, warmup_s): every planned request's
    intended send time from the run's start, its work and delay costs (0
    when the run had no such --cost), in seconds, and the warm-up in seconds.
    Raises ValueError naming the path for a file that is not a schedule."""
    header = read_header(path)
    records = np.fromfile(path, dtype=RECORD_DTYPE, count=header.count, offset=HEADER_DTYPE.itemsize)
    send_at_s = records["send_at_ns"] / 1e9
    work_s = records["work_us"] / 1e6
    delay_s = records["delay_us"] / 1e6
    return send_at_s, work_s, delay_s, header.warmup_s


def measured_part(send_at_s: np.ndarray, work_s: np.ndarray, delay_s: np.ndarray,
                  warmup_s: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The requests the run measured: those intended at or after the end of
    the warm-up (send_at >= warmup), the rule of LoadWorker::assign and of the
    report's `scheduled` count; a request intended in the warm-up is dropped
    even if it was sent, or answered, after it. Times stay from the run's
    start. `measured_part(*read_schedule(path))`."""
    keep = send_at_s >= warmup_s
    return send_at_s[keep], work_s[keep], delay_s[keep]
