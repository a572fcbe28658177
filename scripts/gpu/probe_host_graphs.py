#!/usr/bin/env python3
"""Probe (issue 8): where CUDA-graph replays and eager host code spend the wall time that the
kernel model does not see. Not part of the calibration; its JSON is evidence for the time model.

1. **Replay protocol.** Generic graphs (1 and 256 dependent adds, a 256-kernel chain cycling
   through different kernel types, a 1-kernel ``torch.cat`` of three tensors) and four of the
   reference's stage graphs (projector and LM head at Tiny, CLIP at Tiny, decode KV 512 batch 1)
   are timed three ways: back to back (the same graph replayed ``runs`` times), interleaved
   (rounds over all graphs, each timed once per round), and after eager work (each timed replay
   preceded, untimed, by a 200-kernel eager chain and a sync).
2. **Replay timeline.** One profiled replay of each graph: host duration of ``cudaGraphLaunch``,
   time from its start to the first kernel's start, and from the first kernel's start to the last
   kernel's end.
3. **Host cost per Python-level torch call.** For eager stage calls (both profiles) the Python-level
   torch calls (``TorchFunctionMode``), ATen calls (``TorchDispatchMode``) and module calls, and
   three host microbenchmarks: 600 ``x.add_(1)`` in a plain loop, 600 ``x.view(-1)`` in a plain loop,
   200 one-add modules in ``nn.Sequential``; all timed in interleaved rounds with the stage calls.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from llm_perf_opt.utils.script_module import load_script
from llm_perf_opt.validation.cuda_timing import capture_graph, event_seconds, profiled_kernels

ms = load_script(Path(__file__).with_name("measure_stages.py"))


def generic_graphs(torch: Any) -> dict[str, Callable[[], None]]:
    """Bodies of the generic graphs."""
    x = torch.rand(4096, device="cuda")
    w = (torch.randn(1280, 1280, device="cuda") / 36).to(torch.bfloat16)
    v = [torch.randn(1, 1280, device="cuda").to(torch.bfloat16) for _ in range(2)]
    parts = [torch.randn(1, 283, 1280, device="cuda").to(torch.bfloat16) for _ in range(3)]
    out = torch.empty(1, 849, 1280, device="cuda", dtype=torch.bfloat16)
    h = torch.randn(1, 1280, device="cuda").to(torch.bfloat16)

    def add(k: int) -> Callable[[], None]:
        def body() -> None:
            for _ in range(k):
                x.add_(1)

        return body

    def mixed(k: int) -> Callable[[], None]:
        def body() -> None:
            for i in range(k):
                j = i % 8
                if j == 0:
                    x.add_(1)
                elif j == 1:
                    torch.matmul(v[0], w, out=v[1])
                elif j == 2:
                    torch.cat(parts, dim=1, out=out)
                elif j == 3:
                    h.mul_(torch.rsqrt(h.float().pow(2).mean(-1, keepdim=True) + 1e-6).to(h.dtype))
                elif j == 4:
                    v[1].copy_(torch.softmax(v[1].float(), -1))
                elif j == 5:
                    x.mul_(0.5)
                elif j == 6:
                    torch.matmul(v[1], w, out=v[0])
                else:
                    h.add_(v[0])

        return body

    def cat() -> None:
        torch.cat(parts, dim=1, out=out)

    return {"add_1": add(1), "add_256": add(256), "mixed_256": mixed(256), "cat_1": cat}


def stage_graphs(torch: Any, ref: Any) -> dict[str, Any]:
    """Eager cases of the fused reference whose graphs are probed (name -> Case)."""
    vision = ms.vision_cases(torch, ref, ["tiny"])
    text = ms.text_cases(torch, ref, "fused", ["tiny"], 0)
    picked: dict[str, Any] = {}
    for case in [*vision, *text]:
        r = case.row
        key = f"{r['stage']}_{r['mode'] or r['kv_len']}_{r['batch']}"
        if key in ("projector_tiny_1", "lm_head_tiny_1", "clip_tiny_1", "decode_512_1"):
            picked[key] = case
    return picked


def timeline(torch: Any, fn: Callable[[], object]) -> dict[str, float]:
    """One profiled call: cudaGraphLaunch host us, us from its start to the first kernel, kernel span us."""
    from torch.profiler import ProfilerActivity, profile

    torch.cuda.synchronize()
    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        fn()
        torch.cuda.synchronize()
    evs = list(prof.events())
    launch = [e for e in evs if e.name == "cudaGraphLaunch"]
    kern = sorted((e for e in evs if e.device_type == torch.autograd.DeviceType.CUDA), key=lambda e: e.time_range.start)
    if not launch or not kern:
        return {"found": 0.0}
    ln = launch[0]
    return {
        "graph_launch_host_us": ln.time_range.end - ln.time_range.start,
        "launch_start_to_first_kernel_us": kern[0].time_range.start - ln.time_range.start,
        "launch_end_to_first_kernel_us": kern[0].time_range.start - ln.time_range.end,
        "kernel_span_us": kern[-1].time_range.end - kern[0].time_range.start,
        "kernel_sum_us": sum(e.time_range.end - e.time_range.start for e in kern),
        "kernels": float(len(kern)),
    }


def protocols(torch: Any, graphs: dict[str, Any], runs: int) -> dict[str, dict[str, float]]:
    """Median replay wall (us) of each graph under the three protocols."""
    y = torch.zeros(1, device="cuda", dtype=torch.int64)

    def eager_work() -> None:
        for _ in range(200):
            y.add_(1)
        torch.cuda.synchronize()

    res: dict[str, dict[str, float]] = {k: {} for k in graphs}
    gc.disable()
    try:
        for name, g in graphs.items():
            for _ in range(3):
                g.replay()
            res[name]["back_to_back_us"] = statistics.median(event_seconds(torch, g.replay) for _ in range(runs)) * 1e6
        walls: dict[str, list[float]] = {k: [] for k in graphs}
        for _ in range(runs):
            for name, g in graphs.items():
                walls[name].append(event_seconds(torch, g.replay))
        for name in graphs:
            res[name]["interleaved_us"] = statistics.median(walls[name]) * 1e6
            res[name]["interleaved_min_us"] = min(walls[name]) * 1e6
        walls = {k: [] for k in graphs}
        for _ in range(runs):
            for name, g in graphs.items():
                eager_work()
                walls[name].append(event_seconds(torch, g.replay))
        for name in graphs:
            res[name]["after_eager_us"] = statistics.median(walls[name]) * 1e6
    finally:
        gc.enable()
    return res


def count_calls(torch: Any, case: Any, modules: list[Any]) -> dict[str, int]:
    """Python-level torch calls, ATen calls and module calls of one call of ``case``: ``measure_stages``'
    counters (:func:`count_ops`, which also counts the torch calls), under this probe's key names."""
    ms.count_ops(torch, case, modules)
    row = case.row
    by_module = row.pop("aten_ops_by_module")
    return {
        "torch_calls": row.pop("torch_calls_per_call"),
        "aten_ops": row.pop("aten_ops_per_call"),
        "module_calls": sum(calls for name, (calls, _ops) in by_module.items() if name != "<top>"),
    }


def host_micro(torch: Any) -> list[Any]:
    """Host microbenchmark cases."""
    from torch import nn

    x = torch.zeros(64, device="cuda")

    def adds() -> None:
        for _ in range(600):
            x.add_(1)

    def views() -> None:
        t = x
        for _ in range(600):
            t = t.view(-1)
        t.add_(1)

    class One(nn.Module):
        def forward(self, t: Any) -> Any:
            return t.add_(1)

    seq = nn.Sequential(*[One() for _ in range(200)])
    return [
        ms.Case(row={"host": "adds_600"}, fn=adds),
        ms.Case(row={"host": "views_600"}, fn=views),
        ms.Case(row={"host": "modules_200"}, fn=lambda: seq(x)),
        *ms.host_cases(torch),
    ]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--output", type=Path, required=True)
    p.add_argument("--runs", type=int, default=30)
    args = p.parse_args()
    import torch

    out: dict[str, Any] = {"environment": ms.environment(torch)}
    ref = ms.build(torch, "fused", 0)
    eager_cases = stage_graphs(torch, ref)
    graphs: dict[str, Any] = {}
    for name, body in generic_graphs(torch).items():
        graphs[name] = capture_graph(torch, body, warmup=3)
    for name, case in eager_cases.items():
        rc = ms.replay_case(torch, case)
        assert rc is not None, name
        graphs[name] = rc.fn.__self__
    out["timeline"] = {k: timeline(torch, g.replay) for k, g in graphs.items()}
    out["kernel_us"] = {k: profiled_kernels(torch, g.replay, 3)[0] * 1e6 for k, g in graphs.items()}
    out["protocols"] = protocols(torch, graphs, args.runs)
    print(json.dumps({k: out[k] for k in ("timeline", "kernel_us", "protocols")}, indent=1), flush=True)
    del graphs
    torch.cuda.synchronize()

    # host model: stage eager calls of both profiles + microbenchmarks, interleaved
    ref2 = ms.build(torch, "hf-eager", 0)
    cases = [*host_micro(torch)]
    cases += ms.vision_cases(torch, ref, ["tiny", "large"])
    for prof_name, r in (("fused", ref), ("hf-eager", ref2)):
        for c in ms.text_cases(torch, r, prof_name, ["tiny"], 0):
            c.row.setdefault("profile", prof_name)
            cases.append(c)
    margs = argparse.Namespace(warmup=3, profile_runs=3)
    modules = [*ref.modules(), *ref2.modules()]
    for c in cases:
        ms.measure_kernels(torch, c, margs)
        c.row.update(count_calls(torch, c, modules))
    ms.wall_rounds(torch, cases, args.runs)
    out["host"] = [{k: v for k, v in c.row.items() if k not in ("kernels_by_name",)} for c in cases]
    for c in cases:
        r = c.row
        print(
            r.get("host") or f"{r.get('profile', '')} {r['stage']} {r['mode']} {r['kv_len']} {r['batch']}",
            r["kernels_per_call"],
            r["torch_calls"],
            r["aten_ops"],
            r["module_calls"],
            round(r["measured_wall_s"] * 1e6),
            round(r["measured_kernel_s"] * 1e6),
            flush=True,
        )
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "probe-host-graphs.json").write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
