#!/usr/bin/env python3
"""Measure what a GPU achieves: bf16 matmul rate, copy bandwidth, kernel-launch and sync costs.

Four measurements, each written to the JSON report with how it was taken:

(a) **matmul**: ``C = A @ B``, bf16 ``N x N x N`` (default 8192), random operands, timed with
    CUDA events around each product after a warm-up; the median of the runs gives
    ``2 N^3 / t`` FLOP/s. One product is checked against a float64 reference on a corner block.
(b) **copy**: ``dst.copy_(src)`` over a large buffer (default 2 GiB), timed the same way;
    bytes moved count the read and the write (``2 * size``). The copy is checked element-wise.
(c) **launch**: (1) host time to enqueue one tiny kernel (an in-place add on a one-element
    tensor) through PyTorch, back to back, averaged over ``--launch-kernels`` launches and the
    median taken over ``--launch-repeats`` loops; also the wall time per kernel including
    completion; (2) GPU time per tiny kernel when ``--launch-kernels`` of them are captured in
    one CUDA graph and replayed (CUDA events around each replay, median / kernels).
(d) **sync**: host time of ``torch.cuda.synchronize()`` on an idle device, of ``.item()`` on a
    ready one-element device tensor (the device-to-host round trip a decode loop pays per
    step), and of ``(y + 1).item()`` (one tiny kernel plus the round trip); medians.

Buffers are rotated among several sets when one set would fit in four times the L2 cache, so
repeated runs do not measure the cache; inputs are random (never zeros, which can run faster).

The report's ``calibration`` block has the keys of the hardware database's ``calibration``
entry (``conf/hardware/<gpu>.yaml``), ready to paste.

``--dry-run`` runs the same code on the CPU with tiny sizes and host timers, in seconds, to
check the script and the report's shape; its numbers describe the CPU, not a GPU.

Usage::

    python3 scripts/gpu/calibrate.py --output calibration-h100.json
    python3 scripts/gpu/calibrate.py --dry-run --output /tmp/calibration-dry.json
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

SCHEMA = "llm-perf-opt/calibration/v1"
GIB = 2**30
MIN_TIMED_RUNS = 20
CACHE_MULTIPLE = 4
"""Rotate buffer sets until they span at least this many times the L2 cache."""
MAX_BUFFER_SETS = 64
MATMUL_CHECK_BLOCK = 64
MATMUL_MAX_REL_ERROR = 2e-2
"""bf16 operands with float32 accumulation land between 1e-3 and 1e-2 against float64."""

DRY_RUN_SIZES = {
    "matmul_size": 128,
    "copy_mib": 8.0,
    "launch_kernels": 100,
    "warmup_ms": 0.0,
}


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line flags (every one explained by ``--help``)."""
    p = argparse.ArgumentParser(
        description=(
            "Measure a GPU's achieved bf16 matmul TFLOP/s, device-to-device copy TB/s, kernel-launch "
            "overhead and host-sync cost, and write them as JSON (see the module docstring for how)."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--output", type=Path, required=True, help="path of the JSON report to write")
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="run on the CPU with tiny sizes and host timers (checks the script and the report's shape; "
        "numbers are not a GPU's)",
    )
    p.add_argument("--device", default="cuda:0", help="torch device to measure (ignored with --dry-run)")
    p.add_argument("--seed", type=int, default=0, help="seed of the random inputs")
    p.add_argument(
        "--skip",
        nargs="*",
        default=[],
        choices=["matmul", "copy", "launch", "sync"],
        help="measurements to leave out",
    )
    p.add_argument("--matmul-size", type=int, default=8192, help="N of the N x N x N bf16 matrix product")
    p.add_argument(
        "--matmul-repeats", type=int, default=50, help=f"timed matrix products (median taken; >= {MIN_TIMED_RUNS})"
    )
    p.add_argument(
        "--copy-gib", type=float, default=2.0, help="size of the copied buffer in GiB (>= 1 unless --dry-run)"
    )
    p.add_argument("--copy-repeats", type=int, default=50, help=f"timed copies (median taken; >= {MIN_TIMED_RUNS})")
    p.add_argument(
        "--launch-kernels",
        type=int,
        default=1000,
        help="tiny kernels per timed loop, and per CUDA graph for the GPU time per kernel",
    )
    p.add_argument(
        "--launch-repeats",
        type=int,
        default=30,
        help=f"timed loops / graph replays (median taken; >= {MIN_TIMED_RUNS})",
    )
    p.add_argument(
        "--sync-repeats", type=int, default=200, help=f"timed synchronizations of each kind (>= {MIN_TIMED_RUNS})"
    )
    p.add_argument(
        "--warmup-ms",
        type=float,
        default=300.0,
        help="minimum warm-up time before each timed measurement (clocks ramp up, libraries load)",
    )
    p.add_argument("--warmup-iters", type=int, default=3, help="minimum warm-up iterations before each measurement")
    args = p.parse_args(argv)
    for name in ("matmul_repeats", "copy_repeats", "launch_repeats", "sync_repeats"):
        if getattr(args, name) < MIN_TIMED_RUNS:
            p.error(f"--{name.replace('_', '-')} must be >= {MIN_TIMED_RUNS}")
    if args.matmul_size < MATMUL_CHECK_BLOCK:
        p.error(f"--matmul-size must be >= {MATMUL_CHECK_BLOCK}")
    if args.launch_kernels < 1 or args.warmup_iters < 1 or args.warmup_ms < 0:
        p.error("--launch-kernels and --warmup-iters must be >= 1, --warmup-ms >= 0")
    if not args.dry_run and args.copy_gib < 1:
        p.error("--copy-gib must be >= 1 (a copy that fits in cache measures the cache)")
    args.copy_bytes = int(args.copy_gib * GIB)
    if args.dry_run:
        args.device = "cpu"
        args.matmul_size = DRY_RUN_SIZES["matmul_size"]
        args.copy_bytes = int(DRY_RUN_SIZES["copy_mib"] * 2**20)
        args.launch_kernels = int(DRY_RUN_SIZES["launch_kernels"])
        args.warmup_ms = DRY_RUN_SIZES["warmup_ms"]
    return args


# ---- timing helpers ------------------------------------------------------------------------------


def summary(samples: Sequence[float]) -> dict[str, float | int]:
    """Median, spread and count of a list of seconds."""
    s = sorted(samples)

    def pct(q: float) -> float:
        pos = q * (len(s) - 1)
        lo = math.floor(pos)
        hi = min(lo + 1, len(s) - 1)
        return s[lo] + (s[hi] - s[lo]) * (pos - lo)

    return {"median_s": pct(0.5), "min_s": s[0], "p10_s": pct(0.1), "p90_s": pct(0.9), "max_s": s[-1], "runs": len(s)}


class Clock:
    """Device-side timing: CUDA events on a GPU, a synchronized host clock on the CPU."""

    def __init__(self, torch: Any, device: Any) -> None:
        self.torch = torch
        self.device = device
        self.cuda = device.type == "cuda"

    def sync(self) -> None:
        """Wait for all queued device work (surfaces asynchronous CUDA errors too)."""
        if self.cuda:
            self.torch.cuda.synchronize(self.device)

    def warm_up(self, fn: Callable[[int], object], *, min_iters: int, min_ms: float) -> int:
        """Run ``fn`` until both ``min_iters`` calls and ``min_ms`` of synchronized time have passed."""
        t0 = time.perf_counter()
        n = 0
        while n < min_iters or (time.perf_counter() - t0) * 1e3 < min_ms:
            fn(n)
            n += 1
            self.sync()
        return n

    def time_each(self, fn: Callable[[int], object], repeats: int) -> list[float]:
        """Seconds of each of ``repeats`` calls ``fn(0) .. fn(repeats - 1)``, queued back to back."""
        if not self.cuda:
            out = []
            for i in range(repeats):
                t0 = time.perf_counter()
                fn(i)
                out.append(time.perf_counter() - t0)
            return out
        ev = self.torch.cuda.Event
        pairs = [(ev(enable_timing=True), ev(enable_timing=True)) for _ in range(repeats)]
        self.sync()
        for i, (start, end) in enumerate(pairs):
            start.record()
            fn(i)
            end.record()
        self.sync()
        return [start.elapsed_time(end) / 1e3 for start, end in pairs]


def buffer_sets(set_bytes: int, l2_bytes: int) -> int:
    """Input sets to rotate among so that they span ``CACHE_MULTIPLE`` times the L2 cache."""
    if l2_bytes <= 0 or set_bytes >= CACHE_MULTIPLE * l2_bytes:
        return 1
    return min(MAX_BUFFER_SETS, math.ceil(CACHE_MULTIPLE * l2_bytes / set_bytes))


def sig(x: float | None, digits: int = 4) -> float | None:
    """``x`` rounded to ``digits`` significant digits."""
    return None if x is None else float(f"{x:.{digits}g}")


# ---- environment -----------------------------------------------------------------------------


def nvidia_smi(index: int) -> dict[str, str] | None:
    """Read-only query of the GPU's driver, clocks, power and temperature (None if unavailable)."""
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return None
    fields = [
        "name",
        "driver_version",
        "pstate",
        "clocks.sm",
        "clocks.max.sm",
        "clocks.mem",
        "power.draw",
        "power.limit",
        "temperature.gpu",
        "memory.total",
    ]
    try:
        out = subprocess.run(
            [exe, f"--query-gpu={','.join(fields)}", "--format=csv,noheader", "-i", str(index)],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    values = [v.strip() for v in out.split(",")]
    return dict(zip(fields, values, strict=False))


def environment(torch: Any, device: Any) -> dict[str, Any]:
    """GPU name, driver, torch and CUDA versions, device properties."""
    env: dict[str, Any] = {
        "python_version": platform.python_version(),
        "platform": platform.platform(),
        "torch_version": torch.__version__,
        "cuda_version": torch.version.cuda,
        "device": str(device),
        "bf16_reduced_precision_reduction": getattr(
            torch.backends.cuda.matmul, "allow_bf16_reduced_precision_reduction", None
        ),
    }
    if device.type != "cuda":
        env.update(gpu_name=None, driver_version=None, note="dry run on the CPU: numbers are not a GPU's")
        return env
    index = device.index if device.index is not None else torch.cuda.current_device()
    props = torch.cuda.get_device_properties(index)
    smi = nvidia_smi(index)
    env.update(
        gpu_name=torch.cuda.get_device_name(index),
        driver_version=smi.get("driver_version") if smi else None,
        cudnn_version=torch.backends.cudnn.version(),
        compute_capability=f"{props.major}.{props.minor}",
        multiprocessors=props.multi_processor_count,
        total_memory_bytes=props.total_memory,
        l2_cache_bytes=getattr(props, "L2_cache_size", None),
        nvidia_smi_before=smi,
    )
    return env


# ---- measurements ----------------------------------------------------------------------------


def measure_matmul(torch: Any, clock: Clock, args: argparse.Namespace, l2_bytes: int) -> dict[str, Any]:
    """(a) bf16 N^3 matrix product: achieved TFLOP/s from the median of CUDA-event times."""
    n = args.matmul_size
    dtype = torch.bfloat16
    elem = torch.finfo(dtype).bits // 8
    sets = buffer_sets(3 * n * n * elem, l2_bytes)
    gen = torch.Generator(device=clock.device).manual_seed(args.seed)
    a = [torch.randn(n, n, device=clock.device, dtype=dtype, generator=gen) for _ in range(sets)]
    b = [torch.randn(n, n, device=clock.device, dtype=dtype, generator=gen) for _ in range(sets)]
    c = [torch.empty(n, n, device=clock.device, dtype=dtype) for _ in range(sets)]

    def run(i: int) -> None:
        k = i % sets
        torch.matmul(a[k], b[k], out=c[k])

    # correctness first: poison the output, run once, compare a corner block with float64
    c[0].fill_(float("nan"))
    run(0)
    clock.sync()
    if not bool(torch.isfinite(c[0]).all()):
        raise RuntimeError("matmul: output not fully written (NaN poison left)")
    blk = MATMUL_CHECK_BLOCK
    ref = a[0][:blk].double().cpu() @ b[0][:, :blk].double().cpu()
    got = c[0][:blk, :blk].double().cpu()
    rel_error = float(torch.linalg.norm(got - ref) / torch.linalg.norm(ref))
    if not rel_error < MATMUL_MAX_REL_ERROR:
        raise RuntimeError(f"matmul: relative error {rel_error:.3g} against float64 exceeds {MATMUL_MAX_REL_ERROR}")

    warm = clock.warm_up(run, min_iters=args.warmup_iters, min_ms=args.warmup_ms)
    stats = summary(clock.time_each(run, args.matmul_repeats))
    flops = 2 * n**3
    return {
        "tflops": flops / stats["median_s"] / 1e12,
        "flops_per_run": flops,
        "m": n,
        "n": n,
        "k": n,
        "dtype": "bfloat16",
        "buffer_sets": sets,
        "warmup_runs": warm,
        "check_rel_error_vs_float64": rel_error,
        **stats,
        "how_measured": (
            f"torch.matmul(A, B, out=C), bf16 {n}x{n}x{n}, operands torch.randn (seed {args.seed}), "
            f"{sets} buffer set(s) rotated; {warm} warm-up runs (>= {args.warmup_ms:g} ms); "
            f"{'CUDA events around each product' if clock.cuda else 'host clock around each product (CPU)'}; "
            f"FLOP/s = 2*N^3 / median of {stats['runs']} runs"
        ),
    }


def measure_copy(torch: Any, clock: Clock, args: argparse.Namespace, l2_bytes: int) -> dict[str, Any]:
    """(b) device-to-device copy: achieved TB/s counting bytes read plus bytes written."""
    elems = args.copy_bytes // 4
    nbytes = elems * 4
    sets = buffer_sets(2 * nbytes, l2_bytes)
    gen = torch.Generator(device=clock.device).manual_seed(args.seed + 1)
    src = [torch.randn(elems, device=clock.device, dtype=torch.float32, generator=gen) for _ in range(sets)]
    dst = [torch.empty_like(s) for s in src]

    def run(i: int) -> None:
        k = i % sets
        dst[k].copy_(src[k])

    dst[0].fill_(float("nan"))
    run(0)
    clock.sync()
    if not bool(torch.equal(dst[0], src[0])):
        raise RuntimeError("copy: destination differs from source")

    warm = clock.warm_up(run, min_iters=args.warmup_iters, min_ms=args.warmup_ms)
    stats = summary(clock.time_each(run, args.copy_repeats))
    moved = 2 * nbytes
    return {
        "tbps": moved / stats["median_s"] / 1e12,
        "buffer_bytes": nbytes,
        "bytes_moved_per_run": moved,
        "buffer_sets": sets,
        "warmup_runs": warm,
        **stats,
        "how_measured": (
            f"dst.copy_(src), float32 torch.randn buffers of {nbytes / GIB:.3g} GiB, {sets} set(s) rotated; "
            f"{warm} warm-up runs; {'CUDA events' if clock.cuda else 'host clock (CPU)'} around each copy; "
            f"bytes = 2 * buffer (read + write) / median of {stats['runs']} runs"
        ),
    }


def measure_launch(torch: Any, clock: Clock, args: argparse.Namespace) -> dict[str, Any]:
    """(c) tiny-kernel costs: host enqueue time per launch, and GPU time per kernel in a CUDA graph."""
    kernels = args.launch_kernels
    gen = torch.Generator(device=clock.device).manual_seed(args.seed + 2)
    # integer-valued, never zero: each add is exact, so the final value proves every kernel ran
    x = torch.randint(1, 100, (1,), device=clock.device, dtype=torch.int64, generator=gen)

    def loop(_: int) -> None:
        for _k in range(kernels):
            x.add_(1)

    start_value = int(x.item())
    loops = clock.warm_up(loop, min_iters=args.warmup_iters, min_ms=args.warmup_ms)
    enqueue, wall = [], []
    for _ in range(args.launch_repeats):
        clock.sync()
        t0 = time.perf_counter()
        loop(0)
        t1 = time.perf_counter()
        clock.sync()
        t2 = time.perf_counter()
        enqueue.append((t1 - t0) / kernels)
        wall.append((t2 - t0) / kernels)
        loops += 1
    if int(x.item()) != start_value + loops * kernels:
        raise RuntimeError("launch: the eager tiny kernels did not all run")
    out: dict[str, Any] = {
        "kernels_per_loop": kernels,
        "host_enqueue_per_launch": summary(enqueue),
        "wall_per_kernel_back_to_back": summary(wall),
        "how_measured_host": (
            f"x.add_(1) on a one-element int64 tensor, {kernels} back-to-back launches per loop without "
            f"synchronizing; host perf_counter around the loop / {kernels} (enqueue), and around loop + "
            f"synchronize / {kernels} (wall); median of {args.launch_repeats} loops"
        ),
        "graph_per_kernel": None,
    }
    if not clock.cuda:
        out["how_measured_graph"] = "not measured: CUDA graphs need a GPU"
        return out

    side = torch.cuda.Stream(device=clock.device)
    side.wait_stream(torch.cuda.current_stream(clock.device))
    with torch.cuda.stream(side):
        for _ in range(3):
            x.add_(1)
    torch.cuda.current_stream(clock.device).wait_stream(side)
    clock.sync()
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        for _ in range(kernels):
            x.add_(1)
    clock.sync()
    before = int(x.item())
    replays = 0

    def replay(_: int) -> None:
        nonlocal replays
        graph.replay()
        replays += 1

    clock.warm_up(replay, min_iters=args.warmup_iters, min_ms=args.warmup_ms)
    per_replay = clock.time_each(replay, args.launch_repeats)
    clock.sync()
    if int(x.item()) != before + replays * kernels:
        raise RuntimeError("launch: the graph's tiny kernels did not all run")
    out["graph_per_kernel"] = summary([t / kernels for t in per_replay])
    out["how_measured_graph"] = (
        f"{kernels} x.add_(1) kernels captured in one CUDA graph; CUDA events around each replay / {kernels}; "
        f"median of {args.launch_repeats} replays"
    )
    return out


def measure_sync(torch: Any, clock: Clock, args: argparse.Namespace) -> dict[str, Any]:
    """(d) host sync costs: idle synchronize, ready-scalar .item(), tiny kernel + .item()."""
    gen = torch.Generator(device=clock.device).manual_seed(args.seed + 3)
    y = torch.rand(1, device=clock.device, generator=gen) + 1.0
    clock.sync()

    def host_times(fn: Callable[[], object]) -> dict[str, float | int]:
        for _ in range(args.warmup_iters):
            fn()
        samples = []
        for _ in range(args.sync_repeats):
            t0 = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - t0)
        return summary(samples)

    out: dict[str, Any] = {
        "synchronize_idle": host_times(clock.sync) if clock.cuda else None,
        "item_ready": host_times(lambda: y.item()),
        "kernel_plus_item": host_times(lambda: (y + 1).item()),
        "how_measured": (
            f"host perf_counter around each call, median of {args.sync_repeats}: torch.cuda.synchronize() with "
            "nothing queued; y.item() on a ready one-element device tensor (device-to-host copy and wait); "
            "(y + 1).item() (one tiny kernel, then the round trip)"
        ),
    }
    return out


# ---- report ----------------------------------------------------------------------------------


def median_us(block: dict[str, Any] | None) -> float | None:
    """The median of a :func:`summary` block in microseconds."""
    return None if block is None else float(block["median_s"]) * 1e6


def calibration_block(env: dict[str, Any], m: dict[str, Any]) -> dict[str, Any] | None:
    """The hardware database's ``calibration`` entry (None unless matmul and copy were measured)."""
    if "matmul" not in m or "copy" not in m:
        return None
    launch, sync = m.get("launch"), m.get("sync")
    parts = [m["matmul"]["how_measured"], m["copy"]["how_measured"]]
    if launch:
        parts.append("launch_overhead_us: " + launch["how_measured_host"])
        parts.append("min_kernel_us: " + launch["how_measured_graph"])
    if sync:
        parts.append("sync_us: y.item() on a ready one-element device tensor, host clock, median")
    date = dt.datetime.now(dt.UTC).date().isoformat()
    on = "; ".join(
        str(x)
        for x in (
            env.get("gpu_name") or "CPU (dry run)",
            f"driver {env.get('driver_version')}",
            f"torch {env['torch_version']}",
            f"CUDA {env['cuda_version']}",
            date,
        )
    )
    return {
        "measured": True,
        "how_measured": "scripts/gpu/calibrate.py. " + ". ".join(parts),
        "matmul_tflops": sig(m["matmul"]["tflops"]),
        "copy_tbps": sig(m["copy"]["tbps"]),
        "launch_overhead_us": sig(median_us(launch["host_enqueue_per_launch"])) if launch else None,
        "min_kernel_us": sig(median_us(launch["graph_per_kernel"])) if launch else None,
        "sync_us": sig(median_us(sync["item_ready"])) if sync else None,
        "measured_on": on,
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Take every measurement not skipped and build the report."""
    import torch

    device = torch.device(args.device)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise SystemExit("no CUDA device visible to torch; use --dry-run to check the script on a CPU")
        torch.cuda.set_device(device)
    clock = Clock(torch, device)
    env = environment(torch, device)
    l2 = int(env.get("l2_cache_bytes") or 0)
    m: dict[str, Any] = {}
    if "matmul" not in args.skip:
        m["matmul"] = measure_matmul(torch, clock, args, l2)
    if "copy" not in args.skip:
        m["copy"] = measure_copy(torch, clock, args, l2)
    if "launch" not in args.skip:
        m["launch"] = measure_launch(torch, clock, args)
    if "sync" not in args.skip:
        m["sync"] = measure_sync(torch, clock, args)
    clock.sync()
    if device.type == "cuda":
        env["nvidia_smi_after"] = nvidia_smi(device.index if device.index is not None else 0)
    return {
        "schema": SCHEMA,
        "dry_run": bool(args.dry_run),
        "created_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
        "environment": env,
        "measurements": m,
        "calibration": calibration_block(env, m),
    }


def print_table(report: dict[str, Any]) -> None:
    """A short summary, last in the output."""
    m = report["measurements"]
    rows = []
    if "matmul" in m:
        rows.append(("matmul bf16 TFLOP/s", f"{m['matmul']['tflops']:.4g}"))
    if "copy" in m:
        rows.append(("copy TB/s (read+write)", f"{m['copy']['tbps']:.4g}"))
    if "launch" in m:
        rows.append(("launch host us/kernel", f"{median_us(m['launch']['host_enqueue_per_launch']):.4g}"))
        g = median_us(m["launch"]["graph_per_kernel"])
        rows.append(("graph GPU us/kernel", "n/a" if g is None else f"{g:.4g}"))
    if "sync" in m:
        s = median_us(m["sync"]["synchronize_idle"])
        rows.append(("synchronize() us", "n/a" if s is None else f"{s:.4g}"))
        rows.append((".item() us", f"{median_us(m['sync']['item_ready']):.4g}"))
    name = report["environment"].get("gpu_name") or "CPU (dry run)"
    print(f"calibration of {name}")
    for key, value in rows:
        print(f"  {key:<26} {value}")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: parse flags, measure, write the JSON report, print a summary."""
    args = parse_args(argv)
    report = run(args)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.output.with_suffix(args.output.suffix + ".tmp")
    tmp.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    tmp.replace(args.output)
    print_table(report)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
