"""What a GPU achieves on large work, and what tiny work costs: bf16 matmul rate, copy bandwidth,
kernel-launch and sync costs (the calibration's ``matmul_tflops``, ``copy_tbps``,
``host.enqueue.launch_us``, ``min_kernel_us`` and ``host.sync_us``).

Four measurements, each returned with how it was taken:

(a) **matmul**: ``C = A @ B``, bf16 ``N x N x N`` (default 8192), random operands, timed with
    CUDA events around each product after a warm-up; the median of the runs gives
    ``2 N^3 / t`` FLOP/s. One product is checked against a float64 reference on a corner block.
(b) **copy**: ``dst.copy_(src)`` over a large buffer (default 2 GiB), timed the same way;
    bytes moved count the read and the write (``2 * size``). The copy is checked element-wise.
(c) **launch**: (1) host time to enqueue one tiny kernel (an in-place add on a one-element
    tensor) through PyTorch, back to back, averaged over ``launch_kernels`` launches and the
    median taken over ``launch_repeats`` loops; also the wall time per kernel including
    completion; (2) GPU time per tiny kernel when ``launch_kernels`` of them are captured in
    one CUDA graph and replayed (CUDA events around each replay, median / kernels).
(d) **sync**: host time of ``torch.cuda.synchronize()`` on an idle device, of ``.item()`` on a
    ready one-element device tensor (the device-to-host round trip a decode loop pays per
    step), and of ``(y + 1).item()`` (one tiny kernel plus the round trip); medians.

Buffers are rotated among several sets when one set would fit in four times the L2 cache, so
repeated runs do not measure the cache; inputs are random (never zeros, which can run faster).
On the CPU (a dry run) the same code runs with host timers; its numbers describe the CPU.

torch is passed in (imported by the caller), so this module imports without it.

Example
-------
>>> PeakSettings().matmul_size, PeakSettings.dry_run().matmul_size
(8192, 128)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from attrs import define, evolve

from llm_perf_opt.calibrate.fits import GIB, buffer_sets, copy_tbps, matmul_tflops, median_us, sig, summary
from llm_perf_opt.data.hardware import nested_constants
from llm_perf_opt.utils.atomic_output import check_output_path, write_file
from llm_perf_opt.utils.cli_boundary import DEBUG_FLAG, OneLineParser, run_command, wants_debug
from llm_perf_opt.utils.input_error import InputError

MIN_TIMED_RUNS = 20
MATMUL_CHECK_BLOCK = 64
MATMUL_MAX_REL_ERROR = 2e-2
"""bf16 operands with float32 accumulation land between 1e-3 and 1e-2 against float64."""
PEAKS: tuple[str, ...] = ("matmul", "copy", "launch", "sync")
"""The four measurements, in measuring order."""


@define(frozen=True, kw_only=True)
class PeakSettings:
    """Sizes and repeats of the four measurements.

    Example
    -------
    >>> PeakSettings(matmul_size=4096).matmul_size
    4096
    """

    matmul_size: int = 8192
    matmul_repeats: int = 50
    copy_bytes: int = 2 * GIB
    copy_repeats: int = 50
    launch_kernels: int = 1000
    launch_repeats: int = 30
    sync_repeats: int = 200
    warmup_ms: float = 300.0
    warmup_iters: int = 3
    seed: int = 0

    @classmethod
    def dry_run(cls, base: PeakSettings | None = None) -> PeakSettings:
        """``base`` (default: the defaults) at the tiny sizes of a CPU dry run."""
        return evolve(base or cls(), matmul_size=128, copy_bytes=8 * 2**20, launch_kernels=100, warmup_ms=0.0)


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
        return [float(start.elapsed_time(end)) / 1e3 for start, end in pairs]


# ---- environment -----------------------------------------------------------------------------

SMI_FIELDS: tuple[str, ...] = (
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
)


def nvidia_smi(index: int) -> dict[str, str] | None:
    """Read-only query of the GPU's driver, clocks, power and temperature (None if unavailable)."""
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return None
    try:
        out = subprocess.run(
            [exe, f"--query-gpu={','.join(SMI_FIELDS)}", "--format=csv,noheader", "-i", str(index)],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    values = [v.strip() for v in out.split(",")]
    return dict(zip(SMI_FIELDS, values, strict=False))


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


def measure_matmul(torch: Any, clock: Clock, s: PeakSettings, l2_bytes: int) -> dict[str, Any]:
    """(a) bf16 N^3 matrix product: achieved TFLOP/s from the median of CUDA-event times."""
    n = s.matmul_size
    dtype = torch.bfloat16
    elem = torch.finfo(dtype).bits // 8
    sets = buffer_sets(3 * n * n * elem, l2_bytes)
    gen = torch.Generator(device=clock.device).manual_seed(s.seed)
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

    warm = clock.warm_up(run, min_iters=s.warmup_iters, min_ms=s.warmup_ms)
    stats = summary(clock.time_each(run, s.matmul_repeats))
    return {
        "tflops": matmul_tflops(n, float(stats["median_s"])),
        "flops_per_run": 2 * n**3,
        "m": n,
        "n": n,
        "k": n,
        "dtype": "bfloat16",
        "buffer_sets": sets,
        "warmup_runs": warm,
        "check_rel_error_vs_float64": rel_error,
        **stats,
        "how_measured": (
            f"torch.matmul(A, B, out=C), bf16 {n}x{n}x{n}, operands torch.randn (seed {s.seed}), "
            f"{sets} buffer set(s) rotated; {warm} warm-up runs (>= {s.warmup_ms:g} ms); "
            f"{'CUDA events around each product' if clock.cuda else 'host clock around each product (CPU)'}; "
            f"FLOP/s = 2*N^3 / median of {stats['runs']} runs"
        ),
    }


def measure_copy(torch: Any, clock: Clock, s: PeakSettings, l2_bytes: int) -> dict[str, Any]:
    """(b) device-to-device copy: achieved TB/s counting bytes read plus bytes written."""
    elems = s.copy_bytes // 4
    nbytes = elems * 4
    sets = buffer_sets(2 * nbytes, l2_bytes)
    gen = torch.Generator(device=clock.device).manual_seed(s.seed + 1)
    src = [torch.randn(elems, device=clock.device, dtype=torch.float32, generator=gen) for _ in range(sets)]
    dst = [torch.empty_like(x) for x in src]

    def run(i: int) -> None:
        k = i % sets
        dst[k].copy_(src[k])

    dst[0].fill_(float("nan"))
    run(0)
    clock.sync()
    if not bool(torch.equal(dst[0], src[0])):
        raise RuntimeError("copy: destination differs from source")

    warm = clock.warm_up(run, min_iters=s.warmup_iters, min_ms=s.warmup_ms)
    stats = summary(clock.time_each(run, s.copy_repeats))
    return {
        "tbps": copy_tbps(nbytes, float(stats["median_s"])),
        "buffer_bytes": nbytes,
        "bytes_moved_per_run": 2 * nbytes,
        "buffer_sets": sets,
        "warmup_runs": warm,
        **stats,
        "how_measured": (
            f"dst.copy_(src), float32 torch.randn buffers of {nbytes / GIB:.3g} GiB, {sets} set(s) rotated; "
            f"{warm} warm-up runs; {'CUDA events' if clock.cuda else 'host clock (CPU)'} around each copy; "
            f"bytes = 2 * buffer (read + write) / median of {stats['runs']} runs"
        ),
    }


def measure_launch(torch: Any, clock: Clock, s: PeakSettings) -> dict[str, Any]:
    """(c) tiny-kernel costs: host enqueue time per launch, and GPU time per kernel in a CUDA graph."""
    kernels = s.launch_kernels
    gen = torch.Generator(device=clock.device).manual_seed(s.seed + 2)
    # integer-valued, never zero: each add is exact, so the final value proves every kernel ran
    x = torch.randint(1, 100, (1,), device=clock.device, dtype=torch.int64, generator=gen)

    def loop(_: int) -> None:
        for _k in range(kernels):
            x.add_(1)

    start_value = int(x.item())
    loops = clock.warm_up(loop, min_iters=s.warmup_iters, min_ms=s.warmup_ms)
    enqueue, wall = [], []
    for _ in range(s.launch_repeats):
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
            f"synchronize / {kernels} (wall); median of {s.launch_repeats} loops"
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

    clock.warm_up(replay, min_iters=s.warmup_iters, min_ms=s.warmup_ms)
    per_replay = clock.time_each(replay, s.launch_repeats)
    clock.sync()
    if int(x.item()) != before + replays * kernels:
        raise RuntimeError("launch: the graph's tiny kernels did not all run")
    out["graph_per_kernel"] = summary([t / kernels for t in per_replay])
    out["how_measured_graph"] = (
        f"{kernels} x.add_(1) kernels captured in one CUDA graph; CUDA events around each replay / {kernels}; "
        f"median of {s.launch_repeats} replays"
    )
    return out


def measure_sync(torch: Any, clock: Clock, s: PeakSettings) -> dict[str, Any]:
    """(d) host sync costs: idle synchronize, ready-scalar .item(), tiny kernel + .item()."""
    gen = torch.Generator(device=clock.device).manual_seed(s.seed + 3)
    y = torch.rand(1, device=clock.device, generator=gen) + 1.0
    clock.sync()

    def host_times(fn: Callable[[], object]) -> dict[str, float | int]:
        for _ in range(s.warmup_iters):
            fn()
        samples = []
        for _ in range(s.sync_repeats):
            t0 = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - t0)
        return summary(samples)

    return {
        "synchronize_idle": host_times(clock.sync) if clock.cuda else None,
        "item_ready": host_times(lambda: y.item()),
        "kernel_plus_item": host_times(lambda: (y + 1).item()),
        "how_measured": (
            f"host perf_counter around each call, median of {s.sync_repeats}: torch.cuda.synchronize() with "
            "nothing queued; y.item() on a ready one-element device tensor (device-to-host copy and wait); "
            "(y + 1).item() (one tiny kernel, then the round trip)"
        ),
    }


def measure_peaks(torch: Any, clock: Clock, s: PeakSettings, l2_bytes: int, skip: Sequence[str] = ()) -> dict[str, Any]:
    """Every measurement of :data:`PEAKS` not in ``skip``, by name."""
    m: dict[str, Any] = {}
    if "matmul" not in skip:
        m["matmul"] = measure_matmul(torch, clock, s, l2_bytes)
    if "copy" not in skip:
        m["copy"] = measure_copy(torch, clock, s, l2_bytes)
        if clock.cuda:
            torch.cuda.empty_cache()
    if "launch" not in skip:
        m["launch"] = measure_launch(torch, clock, s)
    if "sync" not in skip:
        m["sync"] = measure_sync(torch, clock, s)
    clock.sync()
    return m


def measured_on(env: dict[str, Any]) -> str:
    """``GPU; driver; torch; CUDA; date`` as a hardware entry's ``measured_on`` says it."""
    date = dt.datetime.now(dt.UTC).date().isoformat()
    return "; ".join(
        str(x)
        for x in (
            env.get("gpu_name") or "CPU (dry run)",
            f"driver {env.get('driver_version')}",
            f"torch {env['torch_version']}",
            f"CUDA {env['cuda_version']}",
            date,
        )
    )


def peak_constants(m: dict[str, Any]) -> dict[str, float | None]:
    """The calibration constants of the peak measurements, 4 significant digits, by their place in the entry's
    calibration block: ``matmul_tflops``, ``copy_tbps``, ``host.enqueue.launch_us`` (median host enqueue per
    launch), ``min_kernel_us`` (median GPU time per tiny kernel replayed in a graph) and ``host.sync_us`` (median
    ``.item()`` of a ready scalar)."""
    launch, sync = m.get("launch"), m.get("sync")
    return {
        "matmul_tflops": sig(m["matmul"]["tflops"]) if "matmul" in m else None,
        "copy_tbps": sig(m["copy"]["tbps"]) if "copy" in m else None,
        "host.enqueue.launch_us": sig(median_us(launch["host_enqueue_per_launch"])) if launch else None,
        "min_kernel_us": sig(median_us(launch["graph_per_kernel"])) if launch else None,
        "host.sync_us": sig(median_us(sync["item_ready"])) if sync else None,
    }


def peak_how_measured(m: dict[str, Any]) -> list[str]:
    """How each peak constant was measured, one sentence each (matmul, copy, launch, min kernel, sync)."""
    parts = [m[k]["how_measured"] for k in ("matmul", "copy") if k in m]
    launch = m.get("launch")
    if launch:
        parts.append("host.enqueue.launch_us: " + launch["how_measured_host"])
        parts.append("min_kernel_us: " + launch["how_measured_graph"])
    if m.get("sync"):
        parts.append("host.sync_us: y.item() on a ready one-element device tensor, host clock, median")
    return parts


# ---- the stand-alone command of scripts/gpu/calibrate.py -------------------------------------

SCHEMA = "llm-perf-opt/calibration/v1"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Flags of ``scripts/gpu/calibrate.py`` (every one explained by ``--help``), checked, the output's path
    included, before anything is measured; :class:`InputError` (one line) for a bad one."""
    p = OneLineParser(
        prog="calibrate.py",
        description=(
            "Measure a GPU's achieved bf16 matmul TFLOP/s, device-to-device copy TB/s, kernel-launch "
            "overhead and host-sync cost, and write them as JSON (llm_perf_opt.calibrate.peaks says how). "
            "python -m llm_perf_opt.calibrate runs these and every other calibration in one command."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    d = PeakSettings()
    p.add_argument("--output", type=Path, required=True, help="path of the JSON report to write")
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="run on the CPU with tiny sizes and host timers (checks the script and the report's shape; "
        "numbers are not a GPU's)",
    )
    p.add_argument("--device", default="cuda:0", help="torch device to measure (ignored with --dry-run)")
    p.add_argument(DEBUG_FLAG, action="store_true", help="show the traceback of an unexpected error")
    p.add_argument("--seed", type=int, default=d.seed, help="seed of the random inputs")
    p.add_argument("--skip", nargs="*", default=[], choices=list(PEAKS), help="measurements to leave out")
    p.add_argument("--matmul-size", type=int, default=d.matmul_size, help="N of the N x N x N bf16 matrix product")
    p.add_argument(
        "--matmul-repeats",
        type=int,
        default=d.matmul_repeats,
        help=f"timed matrix products (median taken; >= {MIN_TIMED_RUNS})",
    )
    p.add_argument(
        "--copy-gib",
        type=float,
        default=d.copy_bytes / GIB,
        help="size of the copied buffer in GiB (>= 1 unless --dry-run)",
    )
    p.add_argument(
        "--copy-repeats", type=int, default=d.copy_repeats, help=f"timed copies (median taken; >= {MIN_TIMED_RUNS})"
    )
    p.add_argument(
        "--launch-kernels",
        type=int,
        default=d.launch_kernels,
        help="tiny kernels per timed loop, and per CUDA graph for the GPU time per kernel",
    )
    p.add_argument(
        "--launch-repeats",
        type=int,
        default=d.launch_repeats,
        help=f"timed loops / graph replays (median taken; >= {MIN_TIMED_RUNS})",
    )
    p.add_argument(
        "--sync-repeats",
        type=int,
        default=d.sync_repeats,
        help=f"timed synchronizations of each kind (>= {MIN_TIMED_RUNS})",
    )
    p.add_argument(
        "--warmup-ms",
        type=float,
        default=d.warmup_ms,
        help="minimum warm-up time before each timed measurement (clocks ramp up, libraries load)",
    )
    p.add_argument(
        "--warmup-iters", type=int, default=d.warmup_iters, help="minimum warm-up iterations before each measurement"
    )
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
    check_output_path(args.output, flag="--output", directory=False)
    settings = PeakSettings(
        matmul_size=args.matmul_size,
        matmul_repeats=args.matmul_repeats,
        copy_bytes=int(args.copy_gib * GIB),
        copy_repeats=args.copy_repeats,
        launch_kernels=args.launch_kernels,
        launch_repeats=args.launch_repeats,
        sync_repeats=args.sync_repeats,
        warmup_ms=args.warmup_ms,
        warmup_iters=args.warmup_iters,
        seed=args.seed,
    )
    if args.dry_run:
        args.device = "cpu"
        settings = PeakSettings.dry_run(settings)
    args.settings = settings
    return args


def calibration_block(env: dict[str, Any], m: dict[str, Any]) -> dict[str, Any] | None:
    """The hardware entry's ``calibration`` keys of these measurements (None unless matmul and copy were
    measured)."""
    if "matmul" not in m or "copy" not in m:
        return None
    c = peak_constants(m)
    return {
        "measured": True,
        "how_measured": "scripts/gpu/calibrate.py. " + ". ".join(peak_how_measured(m)),
        "matmul_tflops": c.pop("matmul_tflops"),
        "copy_tbps": c.pop("copy_tbps"),
        **nested_constants(c),
        "measured_on": measured_on(env),
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
    """``scripts/gpu/calibrate.py``: parse flags, measure, write the JSON report, print a summary. Behind the one
    boundary (:func:`~llm_perf_opt.utils.cli_boundary.run_command`): a bad flag, an unwritable output or no GPU
    is one line and exit 2."""
    return run_command("calibrate.py", lambda: _main(argv), debug=wants_debug(argv))


def _main(argv: Sequence[str] | None) -> int:
    args = parse_args(argv)
    import torch

    device = torch.device(args.device)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise InputError("--device: no CUDA device visible to torch; use --dry-run to check the script on a CPU")
        torch.cuda.set_device(device)
    clock = Clock(torch, device)
    env = environment(torch, device)
    m = measure_peaks(torch, clock, args.settings, int(env.get("l2_cache_bytes") or 0), args.skip)
    if device.type == "cuda":
        env["nvidia_smi_after"] = nvidia_smi(device.index if device.index is not None else 0)
    report = {
        "schema": SCHEMA,
        "dry_run": bool(args.dry_run),
        "created_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
        "environment": env,
        "measurements": m,
        "calibration": calibration_block(env, m),
    }
    write_file(args.output, json.dumps(report, indent=2) + "\n", flag="--output")
    print_table(report)
    print(f"wrote {args.output}")
    return 0
