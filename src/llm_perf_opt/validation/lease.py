"""The host and graph constants of one measuring run (one lease of a GPU machine), as a hardware entry carries them.

A stage run of ``scripts/gpu/measure_stages.py`` leaves, under its raw directory, ``host-overhead.json`` (the
host microbenchmarks) and the graph calibrations run just before and after it (``graph-costs.json``,
``graph-costs-after.json``, ``scripts/gpu/calibrate_graphs.py``). The hardware entry's host and graph constants
are derived from them by :func:`lease_constants`, and so is any other lease's prediction
(``scripts/gpu/report_runtimes.py --lease-constants``).

Example
-------
>>> from pathlib import Path
>>> raw = Path(__file__).resolve().parents[3] / "reports" / "validation" / "h100-repeat"
>>> lease_constants(raw)["host.module.call_us"]
7.354
"""

from __future__ import annotations

import json
from pathlib import Path

from attrs import evolve

from llm_perf_opt.data.hardware import HardwareSpec, with_constants
from llm_perf_opt.validation.host_split import module_host_split


def sig4(value: float) -> float:
    """``value`` to 4 significant digits, as the hardware entry carries its measured constants.

    Example
    -------
    >>> sig4(12.72262600772001)
    12.72
    """
    return float(f"{value:.4g}")


def lease_constants(raw_dir: Path) -> dict[str, float]:
    """The host and graph constants of the run under ``raw_dir``, by their place in the entry's calibration
    (:data:`~llm_perf_opt.data.hardware.CALIBRATION_CONSTANTS`): ``host.module.launch_us`` and ``call_us``
    (:func:`~llm_perf_opt.validation.host_split.module_host_split` of ``host-overhead.json``'s host cases) and
    ``host.eager_start_us`` from that file, the ``host.graph`` record the mean of ``graph-costs.json`` and
    ``graph-costs-after.json``; 4 significant digits."""
    host = json.loads((raw_dir / "host-overhead.json").read_text())
    graphs = [json.loads((raw_dir / f"{n}.json").read_text()) for n in ("graph-costs", "graph-costs-after")]
    split = module_host_split(host)
    return {
        "host.module.launch_us": sig4(split.launch_us),
        "host.module.call_us": sig4(split.call_us),
        "host.eager_start_us": sig4(host["eager_start_us"]),
        "host.graph.launch_us": sig4(sum(g["graph_launch_us"] for g in graphs) / 2),
        "host.graph.kernel_gap_us": sig4(sum(g["graph_kernel_gap_us"] for g in graphs) / 2),
    }


def with_lease_constants(spec: HardwareSpec, raw_dir: Path) -> HardwareSpec:
    """``spec`` with the host and graph constants of the run under ``raw_dir`` (:func:`lease_constants`) in
    place of its own; ``ValueError`` for an entry without a calibration block."""
    if spec.calibration is None:
        raise ValueError(f"{spec.name}: no calibration block to replace the host and graph constants of")
    return evolve(spec, calibration=with_constants(spec.calibration, lease_constants(raw_dir)))
