#!/usr/bin/env python3
"""Probe (issue 8): how a CUDA-graph replay's cost beyond its kernels depends on what was replayed
just before it. Evidence for ``scripts/gpu/calibrate_graphs.py``'s protocol, not a calibration.

Four generic graphs, ``calibrate_graphs.py``'s chains (1 and 256 dependent ``x.add_(1)`` on 4,096
floats; 1 and 256 dependent 1280-wide bf16 matrix-vector products), are timed in 30 interleaved
rounds (CUDA events around one replay, the queue drained before, garbage collector off), each timed
replay preceded (untimed) by:
nothing; 200 eager one-element adds; a different graph of 256, 1,024 or 4,096 adds; 4 or 16
different graphs of 256 adds. Also each graph replayed back to back. The report gives each graph's
median wall time less its profiled kernel time (us). The committed
``reports/validation/h100/probe-graph-before.json`` was written by this probe before it reused
``calibrate_graphs.py``'s chains and timing loop; it built the same kernels with its own copies.

Usage::

    python3 scripts/gpu/probe_graph_before.py --output reports/validation/h100/probe-graph-before.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Callable
from pathlib import Path

from llm_perf_opt.utils.script_module import load_script
from llm_perf_opt.validation.cuda_timing import capture_graph, device_environment, event_seconds, profiled_kernels

cg = load_script(Path(__file__).with_name("calibrate_graphs.py"))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--output", type=Path, required=True, help="path of the JSON report")
    p.add_argument("--runs", type=int, default=30, help="interleaved rounds (median taken)")
    args = p.parse_args()
    import torch

    if not torch.cuda.is_available():
        print("probe_graph_before: no CUDA device", file=sys.stderr)
        return 2
    made = cg.chains(torch, 0)  # calibrate_graphs.py's chains; the bodies hold their tensors: keep them alive
    add, gemv = made["add_f32_4096"], made[f"gemv_bf16_{cg.GEMV_SIZE}"]
    other = cg.chains(torch, 1)["add_f32_4096"]  # the graphs replayed before: another tensor
    graphs = {
        "add_1": capture_graph(torch, add(1), 3),
        "add_256": capture_graph(torch, add(256), 3),
        "gemv_1": capture_graph(torch, gemv(1), 3),
        "gemv_256": capture_graph(torch, gemv(256), 3),
    }
    kernel_us = {n: profiled_kernels(torch, g.replay, 3)[0] * 1e6 for n, g in graphs.items()}
    y = torch.zeros(1, device="cuda", dtype=torch.int64)
    one = {n: capture_graph(torch, other(n), 2) for n in (256, 1024, 4096)}
    many = {n: [capture_graph(torch, other(256), 2) for _ in range(n)] for n in (4, 16)}

    def rounds(before: Callable[[], object] | None) -> dict[str, float]:
        walls = cg.interleaved_walls(torch, graphs, args.runs, 0, before)
        return {n: wall * 1e6 - kernel_us[n] for n, wall in walls.items()}

    excess: dict[str, dict[str, float]] = {
        "nothing": rounds(None),
        "eager_200_adds": rounds(lambda: [y.add_(1) for _ in range(200)]),
    }
    for n, g in one.items():
        excess[f"one_graph_of_{n}"] = rounds(g.replay)
    for n, gs in many.items():
        excess[f"{n}_graphs_of_256"] = rounds(lambda gs=gs: [q.replay() for q in gs])
    excess["same_graph_back_to_back"] = {
        n: statistics.median(event_seconds(torch, g.replay) for _ in range(args.runs)) * 1e6 - kernel_us[n]
        for n, g in graphs.items()
    }
    report = {
        "environment": device_environment(torch),
        "how_measured": __doc__,
        "kernel_us": kernel_us,
        "excess_us_by_what_ran_before": excess,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    for k, row in excess.items():
        print(f"  {k:26s} " + "  ".join(f"{n} {e:7.1f}" for n, e in row.items()), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
