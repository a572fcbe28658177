"""Measure DeepSeek-OCR's stages on a CUDA GPU with the project's PyTorch reference.

The reference is :class:`llm_perf_opt.reference.model.DeepseekOCRReference`: the same real
modules the parity tests count (transformers' DeepseekOcr2 SAM encoder and text model,
transformers' CLIP blocks, the project's small CLIP-from-SAM embeddings and projector), with
random bf16 weights (no checkpoint), built twice, once per runtime profile:

``fused``
    SDPA attention (flash kernels on the GPU), MoE experts through one grouped GEMM per
    projection (transformers' ``grouped_mm`` experts implementation).
``hf-eager``
    eager attention (scores materialised, fp32 softmax), MoE experts in a Python loop over
    the experts that received tokens, as the vendor's ``moe_infer`` runs it (one host sync
    per MoE layer call; :mod:`llm_perf_opt.reference.vendor_moe`).

Points (issue 5 and issue 8): vision stages (``sam``, ``clip``, ``projector``) for Tiny,
Small, Base, Large and Gundam 2x2 (batch 1; the vision path is the same in both profiles,
measured once); ``prefill`` and ``lm_head`` at each mode's sequence length (batch 1); decode
steps at KV length 512 and 2048, batch 1 and 8.

The ``fused`` variant is also captured as CUDA graphs (``fused-graph``): each point's call is recorded
once with ``torch.cuda.graph`` (after two warm-up calls on a side stream, as PyTorch's documentation
prescribes) and its replay is timed like an eager call; the replay launches the same kernels with one
host launch for the whole call. A point whose call cannot be captured (a host sync inside) is left out
and its error recorded.

Each point is timed two ways:

* **kernel time**: the sum of the durations of the GPU kernels (and memcpy/memset) the call
  launches, from ``torch.profiler`` over ``--profile-runs`` calls, divided by the calls;
* **wall time**: CUDA events around one eager call (host launches, syncs and GPU work
  included; Python's garbage collector off while timing), median of ``--runs`` rounds; the
  rounds interleave every point of both profiles and the host microbenchmarks
  (``host-overhead.json``), so a slow or fast spell of the host falls on all of them alike.

Inputs are random, never zeros. The decode KV cache is a ``DynamicCache`` of ``kv_len - 1``
contiguous random past tokens, put back after each step so every timed step sees the same
length (the step's concatenation makes new tensors).

Output: one JSON per profile under ``--output`` (``raw-<profile>.json``) with the GPU name,
driver, torch, transformers and CUDA versions, and every point with its samples' median,
min and max. Run: ``python3 scripts/gpu/measure_stages.py --output reports/validation/h100`` (the script is this
module's command line; torch and transformers are imported only when it runs).
"""

from __future__ import annotations

import argparse
import functools
import gc
import itertools
import json
import platform
import statistics
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from llm_perf_opt.utils.atomic_output import check_output_path, write_file
from llm_perf_opt.utils.cli_boundary import DEBUG_FLAG, OneLineParser, run_command, wants_debug
from llm_perf_opt.utils.input_error import InputError
from llm_perf_opt.validation.cuda_timing import capture_graph, device_environment, event_seconds, profiled_kernels
from llm_perf_opt.validation.host_split import module_host_split
from llm_perf_opt.validation.points import GRAPH_VARIANT, MEASURED_MODES

SCHEMA = "llm-perf-opt/stage-measurements/v1"
MODES = MEASURED_MODES
PROFILES = {"fused": ("sdpa", "grouped_mm"), "hf-eager": ("eager", "vendor-loop")}
"""profile -> (attention implementation, experts implementation). ``vendor-loop`` is the
vendor's ``moe_infer`` (:mod:`llm_perf_opt.reference.vendor_moe`): one host sync per MoE
layer call, one SwiGLU per expert that received tokens."""
DECODE_POINTS = [(512, 1), (512, 8), (2048, 1), (2048, 8)]
PROMPT_TOKENS = 9


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Flags (see ``--help``), checked, the output directory included, before torch is imported; :class:`InputError`
    (one line) for a bad one."""
    p = OneLineParser(
        description="Time DeepSeek-OCR's stages (kernel time and wall time) with the project's reference on CUDA.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--output", type=Path, required=True, help="directory for raw-<profile>.json")
    p.add_argument("--profiles", default="fused,hf-eager", help="comma-separated runtime profiles to build")
    p.add_argument("--modes", default=",".join(MODES), help="comma-separated modes for vision/prefill points")
    p.add_argument("--warmup", type=int, default=3, help="untimed calls before timing each point")
    p.add_argument("--runs", type=int, default=30, help="interleaved rounds of timed calls for the wall-time medians")
    p.add_argument("--profile-runs", type=int, default=3, help="calls under torch.profiler for the kernel time")
    p.add_argument("--seed", type=int, default=0, help="random seed for weights and inputs")
    p.add_argument(
        "--graphs",
        action=argparse.BooleanOptionalAction,
        default=True,
        help=f"also time the fused variant's points replayed as CUDA graphs (raw-{GRAPH_VARIANT}.json)",
    )
    p.add_argument(DEBUG_FLAG, action="store_true", help="show the traceback of an unexpected error")
    args = p.parse_args(argv)
    for flag, given, allowed in (("--profiles", args.profiles, PROFILES), ("--modes", args.modes, MODES)):
        names = [n for n in given.split(",") if n]
        bad = [n for n in names if n not in allowed]
        if bad or not names:
            shown = repr(bad[0][:40]) if bad else "nothing"
            p.error(f"{flag}: unknown {shown}; allowed: {', '.join(allowed)} (comma-separated)")
    for flag, value, lowest in (("--warmup", args.warmup, 0), ("--runs", args.runs, 1),
                                ("--profile-runs", args.profile_runs, 1)):  # fmt: skip
        if value < lowest:
            p.error(f"{flag}: must be >= {lowest}, got {value}")
    check_output_path(args.output, flag="--output", directory=True)
    return args


def environment(torch: Any) -> dict[str, Any]:
    """GPU, driver and software versions."""
    import transformers

    driver = None
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=name,driver_version,memory.total,clocks.max.sm", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        driver = out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        driver = None
    props = torch.cuda.get_device_properties(0)
    return {
        **device_environment(torch),
        "nvidia_smi": driver,
        "multiprocessors": props.multi_processor_count,
        "transformers": transformers.__version__,
        "python": platform.python_version(),
    }


class Case:
    """One timed call: its report row, the call, what restores its inputs (run untimed), and its
    wall-time samples."""

    def __init__(self, row: dict[str, Any], fn: Callable[[], object], reset: Callable[[], None] | None = None) -> None:
        self.row = row
        self.fn = fn
        self.reset: Callable[[], None] = reset if reset is not None else (lambda: None)
        self.walls: list[float] = []


def measure_kernels(torch: Any, case: Case, args: argparse.Namespace) -> None:
    """Warm up, then the case's kernel time (``reset`` runs after each call; it launches no kernel)."""

    def call() -> object:
        out = case.fn()
        case.reset()
        return out

    with torch.inference_mode():
        for _ in range(args.warmup):
            call()
        kernel_s, kernels, by_name = profiled_kernels(torch, call, args.profile_runs)
    case.row.update(
        kernels_by_name={k: [round(v[0], 3), v[1]] for k, v in sorted(by_name.items())},
        measured_kernel_s=kernel_s,
        kernels_per_call=kernels,
        profile_runs=args.profile_runs,
    )


def count_ops(torch: Any, case: Case, modules: Sequence[Any]) -> None:
    """ATen operator calls of one call of the case (views and metadata ops included: each costs the host
    a dispatch), in total and per module class of the innermost module running (``<top>``: outside every
    module), as ``[calls, ops]``. Counted in a separate call under a dispatch mode (it slows the host)."""
    from torch.utils._python_dispatch import TorchDispatchMode

    stack: list[list[Any]] = []
    by_class: dict[str, list[int]] = {}

    class Count(TorchDispatchMode):  # type: ignore[no-untyped-call]  # torch's modes are untyped
        def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
            if stack:
                stack[-1][1] += 1
            else:
                by_class.setdefault("<top>", [0, 0])[1] += 1
            return func(*args, **(kwargs or {}))

    def pre(mod: Any, _inputs: Any) -> None:
        stack.append([type(mod).__name__, 0])

    def post(mod: Any, _inputs: Any, _out: Any) -> None:
        name, ops = stack.pop()
        entry = by_class.setdefault(name, [0, 0])
        entry[0] += 1
        entry[1] += ops

    handles = [h for m in modules for h in (m.register_forward_pre_hook(pre), m.register_forward_hook(post))]
    try:
        with torch.inference_mode(), Count():  # type: ignore[no-untyped-call]
            case.fn()
        torch.cuda.synchronize()
        case.reset()
    finally:
        for h in handles:
            h.remove()
    case.row["aten_ops_per_call"] = sum(ops for _, ops in by_class.values())
    case.row["aten_ops_by_module"] = dict(sorted(by_class.items()))
    case.row["torch_calls_per_call"] = count_torch_calls(torch, case)


def count_torch_calls(torch: Any, case: Case) -> int:
    """Python-level torch calls of one call of the case (functions and tensor methods, each costing the
    host Python argument parsing before any dispatch; calls made inside a torch call are not counted),
    in a separate call under a ``TorchFunctionMode``."""
    from torch.overrides import TorchFunctionMode

    calls = [0]

    class Count(TorchFunctionMode):
        def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
            calls[0] += 1
            return func(*args, **(kwargs or {}))

    with torch.inference_mode(), Count():
        case.fn()
    torch.cuda.synchronize()
    case.reset()
    return calls[0]


def wall_rounds(torch: Any, cases: Sequence[Case], runs: int) -> None:
    """Wall time of every case, interleaved: ``runs`` rounds, each timing every case once, so a
    slower or faster spell of the host falls on all cases alike. Each call is bracketed by CUDA
    events with the queue drained before it; ``reset`` runs after the end event, untimed; Python's
    garbage collector is off while timing, as ``timeit`` does."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        with torch.inference_mode():
            for _ in range(runs):
                for case in cases:
                    case.walls.append(event_seconds(torch, case.fn))
                    case.reset()
    finally:
        if enabled:
            gc.enable()
    for case in cases:
        case.row.update(
            measured_wall_s=statistics.median(case.walls),
            wall_min_s=min(case.walls),
            wall_max_s=max(case.walls),
            runs=len(case.walls),
        )


def host_cases(torch: Any) -> list[Case]:
    """Host cost of eager module code and the eager start, independent of DeepSeek-OCR: the calibration's host
    cases (:mod:`llm_perf_opt.calibrate.host`: a Linear/SiLU stack, one add, transformers' LlamaModel at toy
    size with eager and SDPA attention), timed here among the stages."""
    from llm_perf_opt.calibrate.host import host_calls

    return [Case(row={"host": name}, fn=fn) for name, fn in host_calls(torch, "cuda").items()]


def host_report(torch: Any, cases: Sequence[Case]) -> dict[str, Any]:
    """``host-overhead.json``: each host case's kernels, kernel and wall time, host us per kernel;
    ``module_host_us_per_op`` (the two LlamaModel cases' median walls over their ATen operator calls), the same
    per kernel and per torch call, ``module_launch_us`` and ``module_call_us`` (the hardware entry's split of the
    host cost of module code: :func:`~llm_perf_opt.validation.host_split.module_host_split`), and the profiled
    duration of one tiny kernel."""
    out: dict[str, Any] = {"how_measured": host_cases.__doc__, "wall": wall_rounds.__doc__}
    for case in cases:
        r = case.row
        out[r["host"]] = {
            "kernels_per_forward": r["kernels_per_call"],
            "kernel_s_per_forward": r["measured_kernel_s"],
            "wall_s_per_forward": r["measured_wall_s"],
            "wall_min_s": r["wall_min_s"],
            "wall_max_s": r["wall_max_s"],
            "host_us_per_kernel": r["measured_wall_s"] / r["kernels_per_call"] * 1e6,
            "aten_ops_per_forward": r["aten_ops_per_call"],
            "host_us_per_op": r["measured_wall_s"] / r["aten_ops_per_call"] * 1e6,
            "torch_calls_per_forward": r["torch_calls_per_call"],
            "host_us_per_torch_call": r["measured_wall_s"] / r["torch_calls_per_call"] * 1e6,
        }
    llama = [out["llama_eager"], out["llama_sdpa"]]
    walls = sum(c["wall_s_per_forward"] for c in llama)
    out["module_host_us_per_kernel"] = walls / sum(c["kernels_per_forward"] for c in llama) * 1e6
    out["module_host_us_per_op"] = walls / sum(c["aten_ops_per_forward"] for c in llama) * 1e6
    out["module_host_us_per_torch_call"] = walls / sum(c["torch_calls_per_forward"] for c in llama) * 1e6
    split = module_host_split(out)
    out["module_launch_us"], out["module_call_us"] = split.launch_us, split.call_us
    out["host_us_per_kernel"] = out["linear_silu"]["host_us_per_kernel"]
    one = out["one_add"]
    out["eager_start_us"] = (one["wall_s_per_forward"] - one["kernel_s_per_forward"]) * 1e6
    y = torch.zeros(1, device="cuda", dtype=torch.int64)
    tiny_s, tiny_kernels, _ = profiled_kernels(torch, lambda: [y.add_(1) for _ in range(1000)], 3)
    out["tiny_kernel_profiled_us"] = tiny_s / tiny_kernels * 1e6
    out["tiny_kernel_how"] = (
        "1000 x y.add_(1) on a one-element int64 tensor, launched eagerly; torch.profiler kernel durations "
        "summed / kernels (mean of 3 loops)"
    )
    return out


def randomize(torch: Any, module: Any, seed: int) -> None:
    """Overwrite every parameter with N(0, 0.02) (construction may leave memory uninitialised)."""
    gen = torch.Generator(device="cuda").manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.normal_(0.0, 0.02, generator=gen)


def build(torch: Any, profile: str, seed: int) -> Any:
    """The reference for ``profile`` on CUDA in bf16."""
    from llm_perf_opt.reference.model import DeepseekOCRReference
    from llm_perf_opt.reference.vendor_moe import use_vendor_moe_loop
    from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch

    attn, experts = PROFILES[profile]
    ref = DeepseekOCRReference(DeepseekOCRArch(), device="cuda", dtype=torch.bfloat16, attn_implementation=attn)
    if experts == "vendor-loop":
        use_vendor_moe_loop(ref.text.model)
    else:
        ref.text.model.config._experts_implementation = experts
    randomize(torch, ref, seed)
    return ref


def workload(mode: str, batch: int = 1) -> Any:
    from modelmeter.models.deepseek_ocr.workload import OCRWorkload

    m = MODES[mode]
    return OCRWorkload(prompt_tokens=PROMPT_TOKENS, batch_size=batch, **m)


def vision_cases(torch: Any, ref: Any, modes: list[str]) -> list[Case]:
    """sam, clip, projector per mode (batch 1)."""
    cases = []
    for mode in modes:
        w = workload(mode)
        inputs = ref.make_inputs(w)
        with torch.inference_mode():
            sam = ref.run_sam(*inputs.pixels)
            clip = ref.run_clip(sam)
        calls: dict[str, Callable[[], object]] = {
            "sam": functools.partial(ref.run_sam, *inputs.pixels),
            "clip": functools.partial(ref.run_clip, sam),
            "projector": functools.partial(ref.run_projector, sam, clip, w.crop_grid),
        }
        for stage, fn in calls.items():
            row = {"stage": stage, "mode": mode, "batch": 1, "kv_len": None, "seq_len": w.prefill_tokens}
            cases.append(Case(row=row, fn=fn))
    return cases


def text_cases(torch: Any, ref: Any, profile: str, modes: list[str], seed: int) -> list[Case]:
    """prefill and lm_head per mode (batch 1), then decode steps."""
    cases = []
    hidden_size = ref.arch.language.hidden_size
    for mode in modes:
        w = workload(mode)
        length = w.prefill_tokens
        embeds = torch.randn(1, length, hidden_size, device="cuda", dtype=torch.bfloat16) * 0.02
        with torch.inference_mode():
            hidden = ref.run_prefill(inputs_embeds=embeds)
        for stage, fn in {
            "prefill": lambda embeds=embeds: ref.run_prefill(inputs_embeds=embeds),
            "lm_head": lambda hidden=hidden: ref.run_lm_head(hidden),
        }.items():
            row = {"stage": stage, "mode": mode, "batch": 1, "kv_len": None, "seq_len": length, "profile": profile}
            cases.append(Case(row=row, fn=fn))
    for kv_len, batch in DECODE_POINTS:
        cache = ref.decode_cache(kv_len, batch)
        gen = torch.Generator(device="cuda").manual_seed(seed + kv_len + batch)
        for layer in cache.layers:
            layer.keys.normal_(generator=gen)
            layer.values.normal_(generator=gen)
        # the past as contiguous tensors, as a generation loop holds them; a step concatenates into new
        # tensors, so putting these back restores the cache without launching anything
        past = [(layer.keys, layer.values) for layer in cache.layers]

        def step(cache: Any = cache, batch: int = batch, kv_len: int = kv_len) -> object:
            return ref.run_decode_step(kv_len, batch, cache=cache)

        def reset(cache: Any = cache, past: list[tuple[Any, Any]] = past) -> None:
            for layer, (keys, values) in zip(cache.layers, past, strict=True):
                layer.keys, layer.values = keys, values

        row = {"stage": "decode", "mode": None, "batch": batch, "kv_len": kv_len, "seq_len": 1, "profile": profile}
        cases.append(Case(row=row, fn=step, reset=reset))
    return cases


def replay_case(torch: Any, case: Case) -> Case | None:
    """``case``'s call captured as one CUDA graph (:func:`llm_perf_opt.validation.cuda_timing.capture_graph`,
    two warm-up calls; ``reset`` runs after each call as in eager timing), as a case that replays it;
    ``None``, with the error in ``case.row["graph_error"]``, when the call cannot be captured. The replay
    reads the inputs the captured call read."""

    def call() -> None:
        case.fn()
        case.reset()

    try:
        with torch.inference_mode():
            graph = capture_graph(torch, call, warmup=2)
    except RuntimeError as exc:
        case.row["graph_error"] = " ".join(str(exc).split())[:300]
        torch.cuda.synchronize()
        return None
    row = {k: case.row[k] for k in ("stage", "mode", "batch", "kv_len", "seq_len")}
    row["profile"] = GRAPH_VARIANT
    return Case(row=row, fn=graph.replay)


def graph_gaps(torch: Any, case: Case) -> None:
    """Idle time between consecutive kernels of one profiled replay (``case.fn`` replays a graph):
    ``graph_gaps_us`` = count, sum, median and mean of the gaps, and the summed gap before each kernel
    name (the 8 largest)."""
    from torch.profiler import ProfilerActivity, profile

    torch.cuda.synchronize()
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        case.fn()
        torch.cuda.synchronize()
    events = sorted(
        (e for e in prof.events() if e.device_type == torch.autograd.DeviceType.CUDA),
        key=lambda e: e.time_range.start,
    )
    gaps: list[float] = []
    before: dict[str, float] = {}
    for prev, nxt in itertools.pairwise(events):
        gap = max(0.0, nxt.time_range.start - prev.time_range.end)
        gaps.append(gap)
        before[nxt.name[:100]] = before.get(nxt.name[:100], 0.0) + gap
    if not gaps:
        return
    top = dict(sorted(before.items(), key=lambda kv: -kv[1])[:8])
    case.row["graph_gaps_us"] = {
        "count": len(gaps),
        "sum": sum(gaps),
        "median": statistics.median(gaps),
        "mean": statistics.fmean(gaps),
        "before_kernel": top,
    }


def _print(case: Case) -> None:
    r = case.row
    what = r.get("host") or (
        f"decode    kv={r['kv_len']:<5d} b={r['batch']}"
        if r["stage"] == "decode"
        else f"{r['stage']:9s} {r['mode']:10s}"
    )
    print(
        f"  {r.get('profile', ''):8s} {what}  kernel {r['measured_kernel_s'] * 1e3:8.3f} ms  "
        f"wall {r['measured_wall_s'] * 1e3:8.3f} ms",
        flush=True,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """``scripts/gpu/measure_stages.py``: measure and write the raw JSON files. Behind the one boundary
    (:func:`~llm_perf_opt.utils.cli_boundary.run_command`): a bad flag, an unwritable output or no GPU is one
    line and exit 2."""
    return run_command("measure_stages.py", lambda: _main(argv), debug=wants_debug(argv))


def _main(argv: Sequence[str] | None) -> int:
    args = parse_args(argv)
    import torch

    if not torch.cuda.is_available():
        raise InputError("no CUDA device visible to torch (the stages are timed on a GPU)")
    torch.manual_seed(args.seed)
    env = environment(torch)
    modes = [m for m in args.modes.split(",") if m]
    profiles = [p for p in args.profiles.split(",") if p]
    refs = {}
    vision: list[Case] = []
    text: dict[str, list[Case]] = {}
    for profile in profiles:
        t0 = time.perf_counter()
        refs[profile] = build(torch, profile, args.seed)
        print(f"profile {profile}: built in {time.perf_counter() - t0:.1f} s", flush=True)
        if not vision:
            vision = vision_cases(torch, refs[profile], modes)
        text[profile] = text_cases(torch, refs[profile], profile, modes, args.seed)
    hosts = host_cases(torch)
    cases = [*hosts, *vision, *(c for p in profiles for c in text[p])]
    for case in cases:
        measure_kernels(torch, case, args)
    graphs: list[Case] = []
    if args.graphs and "fused" in profiles:
        for case in [*vision, *text["fused"]]:
            replay = replay_case(torch, case)
            if replay is None:
                print(f"  graph capture failed: {case.row['stage']}: {case.row['graph_error']}", flush=True)
                continue
            measure_kernels(torch, replay, args)
            graph_gaps(torch, replay)
            replay.row["aten_ops_per_call"] = 0
            replay.row["torch_calls_per_call"] = 0
            replay.row["aten_ops_by_module"] = {}
            graphs.append(replay)
    modules = [m for ref in refs.values() for m in ref.modules()]
    for case in cases:
        count_ops(torch, case, modules)
    cases += graphs
    print(f"wall: {args.runs} rounds over {len(cases)} cases", flush=True)
    wall_rounds(torch, cases, args.runs)
    for case in cases:
        _print(case)
    write_file(
        args.output / "host-overhead.json",
        json.dumps(host_report(torch, hosts), indent=2, sort_keys=True) + "\n",
        flag="--output",
    )
    variants = {p: [dict(c.row, profile=p) for c in vision] + [c.row for c in text[p]] for p in profiles}
    if graphs:
        variants[GRAPH_VARIANT] = [c.row for c in graphs]
    for profile, points in variants.items():
        attn, experts = PROFILES["fused" if profile == GRAPH_VARIANT else profile]
        report = {
            "schema": SCHEMA,
            "profile": profile,
            "attn_implementation": attn,
            "experts_implementation": experts,
            "moe_path": "vendor moe_infer loop (llm_perf_opt.reference.vendor_moe)"
            if experts == "vendor-loop"
            else f"transformers experts implementation {experts!r}",
            "environment": env,
            "method": {
                "kernel": "torch.profiler: sum of CUDA kernel/memcpy/memset durations per call, mean of profile_runs",
                "wall": (
                    "CUDA events around one CUDA-graph replay"
                    if profile == GRAPH_VARIANT
                    else "CUDA events around one eager call"
                )
                + ", queue drained before, garbage collector off; runs interleaved: each "
                "round times every point of every variant and the host microbenchmarks once; median over the rounds",
                "graph": replay_case.__doc__ if profile == GRAPH_VARIANT else "none: eager launches",
                "vision": "vision stages measured once (identical modules in both profiles) and reported under each",
                "decode": "DynamicCache of kv_len - 1 contiguous random past tokens, put back after each step",
                "weights": "random N(0, 0.02) bf16, no checkpoint; inputs random",
            },
            "points": points,
        }
        write_file(
            args.output / f"raw-{profile}.json", json.dumps(report, indent=2, sort_keys=True) + "\n", flag="--output"
        )
    return 0
