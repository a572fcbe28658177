"""Speed of sweeps timed under a runtime profile (each point walks every stage's kernel inventory).

Usage:
    python scripts/bench/bench_runtime_sweep.py [--repeats N] [--output reports/bench/runtime-sweep.json]

Measures, each repetition in a fresh Python process (so no cache survives between them), and reports medians of
the engine alone (:func:`llm_perf_opt.planning.sweep.evaluate_sweep`: no files, no plots), after the imports:

``ocr_v1_vs_v2``
    the packaged sweep ``ocr-v1-vs-v2`` (25 points under ``hf-sdpa``: two models, five page sizes, one-view and
    cropping modes);
``output_length_hf_eager``
    the packaged sweep ``output-length`` with every point timed under ``hf-eager`` (what ``--runtime hf-eager``
    does): the vision stages and the prefill repeat at every output length;
``worst_100_mixed``, ``worst_100_hf_eager``
    100 DeepSeek-OCR-2 points with nothing in common between two workloads (the batch size changes every layer of
    every stage): 10 batch sizes under the five packaged runtime profiles on a calibrated and a portable GPU, and
    100 batch sizes under ``hf-eager`` (the profile with the most kernels) on one GPU. The most runtime-timed points
    a sweep may hold (:data:`llm_perf_opt.data.sweep.MAX_RUNTIME_POINTS`) at their slowest;
``worst_2000_roofline``
    2,000 DeepSeek-OCR points timed with the roofline, no two sharing a workload (20 prompt lengths times 100 batch
    sizes): the most distinct workloads a sweep may time with the roofline
    (:data:`llm_perf_opt.data.sweep.MAX_ROOFLINE_WORKLOADS`). The two bounds the hostile-input promise (any input
    under 1 MB within 10 s) rests on.

Each figure is the CPU time of the measuring process (``time.process_time``), which other processes taking the
core do not inflate, with the wall-clock median beside it. The load average before and after is recorded. Prints a
table; writes the JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]

_WORST = """
name: worst-case
description: points sharing no stage
cartesian:
  models: [{model}]
  resolution_modes: [{mode}]
  crop_grids: [3x2]
  prompt_tokens: [{prompts}]
  max_new_tokens: [8000]
  batch_sizes: [{batches}]
  hardware: [{hardware}]
  runtimes: [{runtimes}]
plots: false
"""

CASES: dict[str, tuple[str, str | None]] = {
    "ocr_v1_vs_v2": ("packaged:ocr-v1-vs-v2", None),
    "output_length_hf_eager": ("packaged:output-length", "hf-eager"),
    "worst_100_mixed": (
        _WORST.format(
            model="deepseek-ocr-2",
            mode="dynamic",
            prompts=4000,
            batches=", ".join(map(str, range(1, 11))),
            hardware="h100-sxm, l4",
            runtimes="hf-eager, hf-sdpa, hf-fa2, hf-sdpa-graph, fused",
        ),
        None,
    ),
    "worst_100_hf_eager": (
        _WORST.format(
            model="deepseek-ocr-2",
            mode="dynamic",
            prompts=4000,
            batches=", ".join(map(str, range(1, 101))),
            hardware="l4",
            runtimes="hf-eager",
        ),
        None,
    ),
    "worst_2000_roofline": (
        _WORST.format(
            model="deepseek-ocr",
            mode="gundam",
            prompts=", ".join(str(100 * i) for i in range(1, 21)),
            batches=", ".join(map(str, range(1, 101))),
            hardware="h100-sxm",
            runtimes="roofline",
        ),
        None,
    ),
}
"""Case -> (sweep: ``packaged:NAME`` or YAML text, runtime replacing the sweep's or ``None``)."""

_CHILD = r"""
import json, sys, time
from llm_perf_opt.planning.sweep import evaluate_sweep, load_sweep_spec, parse_sweep_spec, with_runtime
from llm_perf_opt.utils.packaged_defaults import sweep_file
source, runtime = sys.argv[1], sys.argv[2]
if source.startswith("packaged:"):
    spec = load_sweep_spec(sweep_file(source.removeprefix("packaged:")))
else:
    spec = parse_sweep_spec(source)
if runtime:
    spec = with_runtime(spec, runtime)
w0, c0 = time.perf_counter(), time.process_time()
points = evaluate_sweep(spec, progress=False)
print(json.dumps({"points": len(points), "seconds": time.perf_counter() - w0, "cpu_seconds": time.process_time() - c0}))
"""


def _child(source: str, runtime: str | None) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, source, runtime or ""], capture_output=True, text=True, check=True, cwd=REPO
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def measure(repeats: int) -> dict[str, Any]:
    """Every case, ``repeats`` fresh processes each, cases alternating (the load is shared between them)."""
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in CASES}
    load_before = os.getloadavg()
    for _ in range(repeats):
        for name, (source, runtime) in CASES.items():
            runs[name].append(_child(source, runtime))
    cases = {
        name: {
            "points": rows[0]["points"],
            "cpu_seconds": statistics.median(r["cpu_seconds"] for r in rows),
            "seconds": statistics.median(r["seconds"] for r in rows),
            "cpu_ms_per_point": statistics.median(r["cpu_seconds"] for r in rows) / rows[0]["points"] * 1e3,
        }
        for name, rows in runs.items()
    }
    return {
        "repeats": repeats,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
        "cases": cases,
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print a table, write the JSON."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--repeats", type=int, default=3, help="fresh processes per case (default 3)")
    p.add_argument("--output", type=Path, default=REPO / "reports" / "bench" / "runtime-sweep.json")
    args = p.parse_args(argv)
    result = measure(args.repeats)
    print(f"{'case':<24} {'points':>6} {'cpu s':>8} {'wall s':>8} {'cpu ms/pt':>10}")
    for name, c in result["cases"].items():
        print(
            f"{name:<24} {c['points']:>6} {c['cpu_seconds']:>8.2f} {c['seconds']:>8.2f} {c['cpu_ms_per_point']:>10.1f}"
        )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
