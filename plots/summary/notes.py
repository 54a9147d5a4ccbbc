"""The sentences around summary.md's tables: when the run started, how it was
pinned, what the harness's sampling cost, and the runs that did not succeed.
"""

from __future__ import annotations

import math
from datetime import datetime

import pandas as pd

from ..load import Results, ResultsError
from ..run_selection import SUSPECT, is_open
from .cells import NONE, cell, markdown_cell, microseconds, missing, thousands

def _run_number(value) -> str:
    return f"{int(value)}" if not missing(value) else NONE


def not_ok_runs(runs: pd.DataFrame) -> str:
    """The runs that are not ok (failed, interrupted, or suspect though measured), each with its reason.

    "" when all are ok.
    """
    lines = []
    others = runs[runs["status"] != "ok"]
    opened = is_open(others)
    for run, open_loop in zip(others.itertuples(), opened):
        reason = markdown_cell(run.reason) if str(run.reason).strip() else "no reason given"
        load = (f"{cell(run.offered_rps, thousands)} req/s offered" if open_loop
                else f"{_run_number(run.connections)} connections")
        lines.append(f"- run {_run_number(run.run_id)} ({markdown_cell(run.server)}, "
                     f"{load}, repetition {_run_number(run.repetition)}): "
                     f"{markdown_cell(run.status)} — {reason}\n")
    if not lines:
        return ""
    suspect = others["status"] == SUSPECT
    if not suspect.any():
        title = "Runs that did not succeed"
    elif suspect.all():
        title = "Suspect runs"
    else:
        title = "Runs that did not succeed or are suspect"
    return f"## {title}\n\n" + "".join(lines)


def started(results: Results) -> str:
    """meta.json's started_utc "2026-11-23T13:41:22Z" as "2026-11-23 13:41 UTC"; "" when not recorded."""
    stamp = results.meta.get("started_utc")
    if stamp is None or stamp == "":
        return ""
    try:
        when = datetime.strptime(str(stamp), "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        raise ResultsError(f"{results.path / 'meta.json'}: started_utc {stamp!r} is not YYYY-MM-DDTHH:MM:SSZ") from None
    return when.strftime("%Y-%m-%d %H:%M UTC")


def pinning_note(meta: dict) -> str:
    """How server and wrk were placed on CPUs, as the harness says it; "" when not recorded."""
    pinning = meta.get("pinning")
    description = pinning.get("description") if isinstance(pinning, dict) else None
    if not isinstance(description, str) or not description:
        return ""
    if description == "none":
        return "wrk and the server were not pinned: they shared all CPUs."
    return f"CPU pinning: {description} (wrk and the server on disjoint CPUs)."


def _number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def cpu_list(cpus) -> str:
    """[0, 1, 2, 5] → "0-2,5"."""
    numbers = sorted({int(cpu) for cpu in cpus})
    parts, start = [], None
    for i, cpu in enumerate(numbers):
        if start is None:
            start = cpu
        if i + 1 == len(numbers) or numbers[i + 1] != cpu + 1:
            parts.append(f"{start}" if start == cpu else f"{start}-{cpu}")
            start = None
    return ",".join(parts)


def harness_part(meta: dict) -> str:
    """Where the harness's own threads ran, from meta.json's `harness`; "" when not recorded."""
    harness = meta.get("harness")
    cpus = harness.get("cpus") if isinstance(harness, dict) else None
    if not isinstance(cpus, list) or not cpus or not all(_number(cpu) for cpu in cpus):
        return ""
    listed = cpu_list(cpus)
    plural = "s" if len(set(int(cpu) for cpu in cpus)) > 1 else ""
    if harness.get("pinned") is True:
        return f"Harness threads on CPU{plural} {listed}"
    return f"Harness threads not pinned (on CPU{plural} {listed})"


def sampling_part(meta: dict) -> str:
    """What one /proc sample cost, from meta.json's `sampling`; "" when not recorded or nothing was sampled."""
    sampling = meta.get("sampling")
    if not isinstance(sampling, dict) or not _number(sampling.get("wall_us_mean")):
        return ""
    if _number(sampling.get("samples")) and sampling["samples"] == 0:
        return ""
    text = f"one /proc sample cost {microseconds(sampling['wall_us_mean'])} µs wall"
    if _number(sampling.get("cpu_us_mean")):
        text += f", {microseconds(sampling['cpu_us_mean'])} µs CPU"
    text += " on average"
    worst = [f"{microseconds(sampling[key])} µs {what}"
             for key, what in (("wall_us_max", "wall"), ("cpu_us_max", "CPU")) if _number(sampling.get(key))]
    if worst:
        text += f" (max {', '.join(worst)})"
    if _number(sampling.get("interval_ms")):
        text += f", every {sampling['interval_ms']:g} ms"
    if _number(sampling.get("samples")):
        text += f" ({thousands(sampling['samples'])} samples)"
    return text


def measurement_note(meta: dict) -> str:
    """One sentence on the harness's threads and the cost of sampling /proc; "" when meta.json has neither.

    "Harness threads on CPU 1; one /proc sample cost 85 µs wall, 60 µs CPU on
    average (max 400 µs wall, 300 µs CPU), every 100 ms (1,234 samples)."
    """
    harness, sampling = harness_part(meta), sampling_part(meta)
    if harness and sampling:
        return f"{harness}; {sampling}."
    if sampling:
        return sampling[0].upper() + sampling[1:] + "."
    return f"{harness}." if harness else ""


MERGED_LATENCY_NOTE = (
    " *Several wrk:* a run that several wrk processes loaded (runs.csv `latency_exact` = false) sums their "
    "requests per second exactly, but its latency is merged from the percentiles each wrk reported, weighted "
    "by its requests: an estimate, not exact, since wrk keeps no histogram to merge. Each wrk's own "
    "percentiles are in latency-clients.csv."
)


def merged_latency_note(runs: pd.DataFrame) -> list[str]:
    """[MERGED_LATENCY_NOTE] when some run's latency was merged from several wrk, else []."""
    if "latency_exact" not in runs.columns:
        return []
    merged = runs["latency_exact"].fillna("").astype(str).str.strip().str.lower() == "false"
    return [MERGED_LATENCY_NOTE] if merged.any() else []
