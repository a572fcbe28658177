#!/usr/bin/env python3
"""Which host model fits the measured eager wall times: per kernel and per torch call, or only one of them?

A diagnostic for issue 8. The committed time model (:mod:`llm_perf_opt.kernels.timing`) charges eager module code
``module_launch_us`` per launched kernel plus ``module_call_us`` per Python-level torch call (the calls of each
layer are the runtime profile's ``torch_calls``), both split from the host microbenchmarks of the same run
(:func:`llm_perf_opt.validation.host_split.module_host_split`). This script predicts the measured eager points of
a raw directory with that model and with the two one-term models the same microbenchmarks give, everything else
(kernel times, eager start, syncs) unchanged:

* ``per kernel only``: the LlamaModel cases' host time per kernel (``module_host_us_per_kernel``), no call cost;
* ``per torch call only``: their host time per torch call (``module_host_us_per_torch_call``), no kernel cost.

All constants come from the raw directory's own ``host-overhead.json`` (as ``report_runtimes.py
--lease-constants`` takes them), so each lease is judged with its own host. It prints the median and worst
absolute wall-time error per eager profile and model.

Usage::

    python scripts/gpu/compare_host_models.py --raw-dir reports/validation/h100
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections.abc import Sequence
from pathlib import Path

from attrs import evolve

from llm_perf_opt.hardware.rates import achievable_rates
from llm_perf_opt.hardware.registry import load_hardware
from llm_perf_opt.kernels.inventory import kernel_inventory
from llm_perf_opt.kernels.profiles import load_runtime
from llm_perf_opt.kernels.timing import MICRO, LaunchCosts, inventory_runtime, launch_costs
from llm_perf_opt.validation.lease import with_lease_constants
from llm_perf_opt.validation.points import analytic_layer, load_points

EAGER_VARIANTS = {"hf-sdpa": "raw-fused.json", "hf-eager": "raw-hf-eager.json"}
"""Eager runtime profile -> its measured raw file."""
VISION = ("sam", "clip", "projector")


def host_models(lease: LaunchCosts, per_kernel_us: float, per_call_us: float) -> dict[str, LaunchCosts]:
    """The three host models: ``lease`` (the committed two-term model with the run's constants) and the two
    one-term models with the given costs.

    Example
    -------
    >>> lease = LaunchCosts(launch_s=1e-5, min_kernel_s=1e-6, sync_s=1e-5, measured=True,
    ...                     module_launch_s=12e-6, module_call_s=13e-6)
    >>> m = host_models(lease, per_kernel_us=33.0, per_call_us=20.0)
    >>> [(round(c.module_launch_s * 1e6, 6), round(c.module_call_s * 1e6, 6)) for c in m.values()]
    [(12.0, 13.0), (33.0, 0.0), (0.0, 20.0)]
    """
    return {
        "per kernel and per call": lease,
        "per kernel only": evolve(lease, module_launch_s=per_kernel_us * MICRO, module_call_s=0.0),
        "per torch call only": evolve(lease, module_launch_s=0.0, module_call_s=per_call_us * MICRO),
    }


def errors(raw_dir: Path, hardware: str = "h100-sxm") -> dict[str, dict[str, list[float]]]:
    """Profile -> host model -> signed wall-time errors (%) over the profile's compared points."""
    spec = load_hardware(hardware)
    spec = with_lease_constants(spec, raw_dir)
    rates = achievable_rates(spec)
    host = json.loads((raw_dir / "host-overhead.json").read_text())
    models = host_models(launch_costs(spec), host["module_host_us_per_kernel"], host["module_host_us_per_torch_call"])
    out: dict[str, dict[str, list[float]]] = {}
    for profile_name, raw_name in EAGER_VARIANTS.items():
        profile = load_runtime(profile_name)
        rows: dict[str, list[float]] = {}
        for p in load_points(raw_dir / raw_name):
            if profile_name == "hf-eager" and p.stage in VISION:
                continue  # hf-eager's vision entries describe vendor code that was not measured
            layer = analytic_layer(p)
            inventory = kernel_inventory(layer, profile, path=p.stage)
            for name, costs in models.items():
                rt = inventory_runtime(layer, inventory, rates, costs, stage=p.stage, path=p.stage)
                rows.setdefault(name, []).append((rt.predicted_wall_s / p.measured_wall_s - 1) * 100)
        out[profile_name] = rows
    return out


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--raw-dir", type=Path, default=Path("reports/validation/h100"), help="measured raw files")
    p.add_argument("--hardware", default="h100-sxm", help="hardware entry whose curves and other constants are used")
    args = p.parse_args(argv)
    for profile_name, rows in errors(args.raw_dir, args.hardware).items():
        for model, errs in rows.items():
            absolute = [abs(e) for e in errs]
            print(
                f"{profile_name:9s} {model:24s} wall error median {statistics.median(absolute):5.1f} %  "
                f"worst {max(absolute):5.1f} %  ({len(errs)} points)"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
