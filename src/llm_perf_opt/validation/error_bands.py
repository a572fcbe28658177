"""The measured error of each prediction basis, from the committed validation reports
(:mod:`llm_perf_opt.data.error_bands`; ``python -m llm_perf_opt.regen`` writes the packaged table).

calibrated, per runtime profile
    for ``hf-eager`` the vendor's own code on the calibrated H200 (every stage call and every ``generate()`` page
    of :data:`llm_perf_opt.regen.VENDOR_REPORTS`); for the other measured profiles every stage point of the
    project's reference in the runtime reports of the calibrated GPUs (:data:`CALIBRATED_RUNS`), kernel and wall
    time pooled;
portable
    the leave-one-GPU-out points of the portable report (each calibrated GPU predicted from the other's curves,
    its own datasheet and the other's host constants), every measured variant pooled.

Example
-------
>>> band = _band([1.0, -3.0, 2.0], [4.0, -5.0, 6.0], "x")
>>> band.wall_median_pct, band.wall_signed_median_pct
(5.0, 4.0)
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable, Sequence
from typing import Any

from attrs import define, evolve

from llm_perf_opt.contracts.converter import unstructure
from llm_perf_opt.data.error_bands import BANDS_FILE, ErrorBand, ErrorBands

CALIBRATED_RUNS: tuple[tuple[str, str], ...] = (
    ("reports/validation/h100/runtimes-summary.json", "H100 SXM"),
    ("reports/validation/h200/runtimes-summary.json", "H200"),
)
"""The runtime reports of the calibrated GPUs (summary file, GPU)."""
PORTABLE_SUMMARY = "reports/validation/portable-summary.json"
"""The portable report's summary (its ``leave_one_out`` points)."""
OUTPUT = "src/llm_perf_opt/" + "/".join(BANDS_FILE)
"""The packaged table, relative to the checkout."""


def _abs_stats(errors: Sequence[float]) -> tuple[float, float]:
    values = [abs(e) for e in errors]
    return round(statistics.median(values), 1), round(max(values), 1)


def _signed_median(errors: Sequence[float]) -> float:
    return round(statistics.median(errors), 1)


def _band(kernel: Sequence[float], wall: Sequence[float], measured_on: str) -> ErrorBand:
    km, kw = _abs_stats(kernel)
    wm, ww = _abs_stats(wall)
    return ErrorBand(
        kernel_median_pct=km,
        kernel_worst_pct=kw,
        wall_median_pct=wm,
        wall_worst_pct=ww,
        points=len(wall),
        measured_on=measured_on,
        wall_signed_median_pct=_signed_median(wall),
    )


@define(frozen=True, kw_only=True)
class VendorErrors:
    """Errors (percent) of a profile's predictions against the code it describes, run by its own vendor:
    stage calls' kernel and wall time, and ``generate()`` pages (``measured_on`` says where)."""

    kernel: tuple[float, ...]
    wall: tuple[float, ...]
    pages: tuple[float, ...]
    measured_on: str


def calibrated_bands(read: Callable[[str], str], vendor: dict[str, VendorErrors]) -> dict[str, ErrorBand]:
    """Runtime profile -> its band on the calibrated GPUs: from ``vendor`` where the profile's own code was
    measured (``hf-eager``: the vendor's), else from the project's reference in the runtime reports."""
    kernel: dict[str, list[float]] = {}
    wall: dict[str, list[float]] = {}
    gpus: dict[str, list[str]] = {}
    for rel, gpu in CALIBRATED_RUNS:
        summary: dict[str, Any] = json.loads(read(rel))
        for runtime, prof in summary["profiles"].items():
            points = prof["points"]
            kernel.setdefault(runtime, []).extend(p["kernel_error_pct"] for p in points)
            wall.setdefault(runtime, []).extend(p["wall_error_pct"] for p in points)
            gpus.setdefault(runtime, []).append(gpu)
    out = {}
    for runtime in sorted(set(kernel) | set(vendor)):
        measured = vendor.get(runtime)
        if measured is None:
            out[runtime] = _band(
                kernel[runtime],
                wall[runtime],
                f"the project's reference on the calibrated {' and '.join(gpus[runtime])}",
            )
            continue
        band = _band(measured.kernel, measured.wall, measured.measured_on)
        if measured.pages:
            pm, pw = _abs_stats(measured.pages)
            band = evolve(
                band,
                page_median_pct=pm,
                page_worst_pct=pw,
                page_points=len(measured.pages),
                page_signed_median_pct=_signed_median(measured.pages),
            )
        out[runtime] = band
    return out


def portable_band(read: Callable[[str], str]) -> ErrorBand:
    """The leave-one-GPU-out band (every measured variant, both directions)."""
    summary: dict[str, Any] = json.loads(read(PORTABLE_SUMMARY))
    runs = summary["leave_one_out"]
    points = [p for run in runs for p in run["points"]]
    pairs = " and ".join(f"{run['target']} from {run['reference']}" for run in runs)
    return _band(
        [p["kernel_error_pct"] for p in points],
        [p["wall_error_pct"] for p in points],
        f"leave one GPU out, {pairs}, with the other GPU's host constants",
    )


def error_bands(read: Callable[[str], str], vendor: dict[str, VendorErrors]) -> ErrorBands:
    """The whole table (``read``: a checkout-relative path -> the text of that report summary)."""
    return ErrorBands(calibrated=calibrated_bands(read, vendor), portable=portable_band(read))


def bands_json(bands: ErrorBands) -> str:
    """The packaged file's text."""
    return json.dumps(unstructure(bands), indent=2, sort_keys=True) + "\n"
