#!/usr/bin/env python3
"""What if the eager host cost were paid per Python-level torch call instead of per kernel?

A diagnostic for issue 8, not a prediction: it reads the *measured* Python-level torch calls of each
point (``torch_calls_per_call`` in ``raw-fused.json`` / ``raw-hf-eager.json``, counted by
``measure_stages.py`` under a ``TorchFunctionMode``), which the kernel inventories do not carry,
spreads them evenly over the point's host launches, and prices each at the LlamaModel
microbenchmark's host time per torch call (``module_host_us_per_torch_call`` of
``host-overhead.json``). Everything else is the committed time model
(:func:`llm_perf_opt.kernels.timing.inventory_runtime`, the hardware entry's constants). It prints
the median and worst absolute wall-time error of three host models per eager profile: per kernel (the
model as committed), per torch call with the eager start, per torch call without it.

Usage::

    python scripts/gpu/what_if_host_per_call.py --raw-dir reports/validation/h100
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
from llm_perf_opt.kernels.timing import LaunchCosts, inventory_runtime, launch_costs
from llm_perf_opt.validation.points import analytic_layer, load_points

EAGER_VARIANTS = {"hf-sdpa": "raw-fused.json", "hf-eager": "raw-hf-eager.json"}
"""Eager runtime profile -> its measured raw file."""
VISION = ("sam", "clip", "projector")


def host_models(base: LaunchCosts, per_call_s: float, calls: int, launches: int) -> dict[str, LaunchCosts]:
    """The three host models' launch costs for one point with ``calls`` torch calls over ``launches``.

    Example
    -------
    >>> base = LaunchCosts(launch_s=1e-5, min_kernel_s=1e-6, sync_s=1e-5, measured=True, eager_start_s=9e-5)
    >>> m = host_models(base, per_call_s=2e-5, calls=6, launches=3)
    >>> round(m["per torch call"].module_launch_s * 1e6, 6), m["per torch call, no start"].eager_start_s
    (40.0, None)
    """
    per_call = evolve(base, module_launch_s=per_call_s * calls / launches)
    return {
        "per kernel": base,
        "per torch call": per_call,
        "per torch call, no start": evolve(per_call, eager_start_s=None),
    }


def errors(raw_dir: Path, hardware: str = "h100-sxm") -> dict[str, dict[str, list[float]]]:
    """Profile -> host model -> signed wall-time errors (%) over the profile's compared points."""
    spec = load_hardware(hardware)
    rates, base = achievable_rates(spec), launch_costs(spec)
    host = json.loads((raw_dir / "host-overhead.json").read_text())
    per_call_s = host["module_host_us_per_torch_call"] * 1e-6
    out: dict[str, dict[str, list[float]]] = {}
    for profile_name, raw_name in EAGER_VARIANTS.items():
        profile = load_runtime(profile_name)
        raw = json.loads((raw_dir / raw_name).read_text())["points"]
        by_key = {(r["stage"], r["mode"], r["batch"], r["kv_len"]): r for r in raw}
        rows: dict[str, list[float]] = {}
        for p in load_points(raw_dir / raw_name):
            if profile_name == "hf-eager" and p.stage in VISION:
                continue  # hf-eager's vision entries describe vendor code that was not measured
            calls = by_key[(p.stage, p.mode, p.batch, p.kv_len)]["torch_calls_per_call"]
            layer = analytic_layer(p)
            inventory = kernel_inventory(layer, profile, path=p.stage)
            for name, costs in host_models(base, per_call_s, calls, inventory.host_launches).items():
                rt = inventory_runtime(layer, inventory, rates, costs, stage=p.stage, path=p.stage)
                rows.setdefault(name, []).append((rt.predicted_wall_s / p.measured_wall_s - 1) * 100)
        out[profile_name] = rows
    return out


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--raw-dir", type=Path, default=Path("reports/validation/h100"), help="measured raw files")
    p.add_argument("--hardware", default="h100-sxm", help="hardware entry whose constants time the points")
    args = p.parse_args(argv)
    for profile_name, rows in errors(args.raw_dir, args.hardware).items():
        for model, errs in rows.items():
            absolute = [abs(e) for e in errs]
            print(
                f"{profile_name:9s} {model:26s} wall error median {statistics.median(absolute):5.1f} %  "
                f"worst {max(absolute):5.1f} %  ({len(errs)} points)"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
