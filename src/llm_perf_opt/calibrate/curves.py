"""Kernel time against kernel size on a GPU: the curves the kernel-level time model reads
(the hardware entry's ``calibration.kernel_curves``).

A large matmul and a large copy give the GPU's asymptotic rates; a kernel of a few kilobytes or a
few MFLOPs never reaches them (a fixed start-up cost, partial waves, too few bytes in flight). This
script measures, for a handful of generic operations (none of them DeepSeek-OCR's), the GPU time of
one kernel as a function of its size, on the same clock the validation uses for the model (the
``torch.profiler`` kernel durations):

``copy``
    ``dst.copy_(src)``, contiguous bf16 (the vectorised elementwise kernel); size = bytes read + written.
``elementwise``
    ``x + y``, contiguous bf16 (the vectorised elementwise kernel); size = bytes read + written.
``cast``
    ``x.float()`` of a contiguous bf16 tensor (the up-cast copy kernel); size = bytes read + written.
``cat``
    ``torch.cat([past, new], dim=2)`` of a bf16 ``[1, 16, S, 128]`` past and a ``[1, 16, 1, 128]``
    new token (how a growing KV cache is appended to); size = bytes read + written.
``strided``
    ``x.permute(0, 2, 1, 3).contiguous()`` of a bf16 ``[1, S, 16, 64]`` tensor (the non-vectorised
    TensorIterator kernel that every layout copy uses); size = bytes read + written.
``broadcast``
    ``a[:, :, None] + b[:, None, :]`` with ``a, b: [N, 64]`` bf16 and a ``[N, 64, 64]`` output (the
    non-vectorised broadcasting elementwise kernel); size = bytes read + written.
``reduce``
    ``x.sum(-1)`` of a bf16 ``[R, 1024]`` tensor (a row reduction); size = bytes read + written.
``matmul``
    ``A @ B``, bf16 square ``n x n x n``; size = ``2 n^3`` Tensor-Core FLOPs.
``attention-mask``
    ``F.scaled_dot_product_attention`` on bf16 ``[1, 16, S, 128]`` q, k, v with an additive bf16
    ``[1, 1, S, S]`` mask (a decoder's causal mask passed explicitly); size = the full ``4 * 16 * S^2 * 128``.
``attention-bias``
    the same on ``[1, 16, S, 64]`` with a full bf16 ``[1, 16, S, S]`` bias (a relative-position bias);
    size = ``4 * 16 * S^2 * 64``.
``gemm-m<M>``
    ``A @ B`` with ``A: [M, K]``, ``B: [K, N]``, ``N = K`` swept, for ``M`` in 1, 8, 64 and 256 (the
    skinny products of decoding and of short sequences); size = ``2 M N K`` FLOPs.
``attention``
    ``F.scaled_dot_product_attention`` on bf16 ``[1, 16, S, 64]`` q, k, v, no mask; size = the
    ``4 * 16 * S^2 * 64`` FLOPs of its two matrix products.
``broadcast-permuted``
    ``a[..., None] + b[..., None, :]`` into a ``[16, n, n, n, n]`` bf16 result, where ``a`` and
    ``b`` are ``[16, n, n, n]`` permuted views of contiguous tensors (``[n, 16, n, n]`` with its
    first two axes swapped, and ``[n, 16, n, n]`` moved to axis 2), as batched-matmul and einsum
    outputs come: the add follows their layout (a permuted output, five-dimensional index
    arithmetic); size = bytes read + written.
``grouped-mm``
    ``torch._grouped_mm`` of 8 groups of ``n`` rows, each times its own ``[n, n]`` bf16 weight
    (stored ``[8, n, n]`` and passed transposed, as transformers' grouped experts pass theirs);
    size = ``2 * 8 * n^3`` FLOPs.
``grouped-m1``
    ``torch._grouped_mm`` of one row in each of ``g`` of 64 groups (the others empty) with
    ``[n, n]`` bf16 weights, for ``g`` from 1 to 64 and ``n`` from 64 to 4096; size = bytes read and
    written (the active groups' weights, their rows in and out).
``layer-norm``
    ``F.layer_norm`` of a bf16 ``[R, 1024]`` tensor with bf16 weight and bias (PyTorch's fused layer-norm
    kernel, which also writes each row's mean and 1/std in fp32); size = bytes read + written.
``gelu``
    ``F.gelu(x)`` (the erf form) of a contiguous bf16 tensor; size = bytes read + written.
``upsample-linear``
    ``F.interpolate(x, size=L + L // 4, mode="linear")`` of a bf16 ``[1, 64, L]`` view of a contiguous ``[1, L,
    64]`` table (a relative-position table resized along its rows, as ViT-style encoders resize theirs; the kernel
    loops over the channels); only the interpolation kernel is timed (its output's zero fill is a separate
    kernel); size = bytes read + written.
``gather``
    ``table[index]`` of a bf16 ``[2 n - 1, 64]`` table stored transposed (a view of ``[64, 2 n - 1]``, as an
    interpolated table comes) with a ``[n, n]`` int64 index on the GPU (PyTorch's index kernel); size = the
    gathered rows read and written plus the index.
``bicubic-aa``
    ``F.interpolate(x, size=(m, m), mode="bicubic", antialias=True)`` of an fp32 ``[1, 768, n, n]`` grid with
    ``m = 5 n / 4`` (a position table resized); only the resize kernel is timed; size = bytes read + written.
``conv-patch``
    ``F.conv2d(x, w, stride=16)`` of a bf16 ``[1, 3, 16 g, 16 g]`` image with a bf16 ``[768, 3, 16, 16]`` weight (a
    ViT patch embedding: with three input channels cuDNN runs it on the CUDA cores, ``implicit_convolve_sgemm``);
    size = its ``2 * g^2 * 768 * 3 * 16 * 16`` FLOPs.

``cast-cold``
    ``x.float()`` of a bf16 vector, as ``cast``, but every call on an input no call touched since it was made
    (inputs spanning four times the L2, uncapped, taken in turn): a model's parameters, read once per forward, are
    not in the L2 (PyTorch's autocast casts a LayerNorm's weight and bias so); up to 1 MiB; size = bytes read +
    written.

Every size is run ``--repeats`` times after a warm-up, under the profiler; the time of a size is
the sum of the kernel durations of the calls over the calls (the kernels each call launches are
recorded with their names). Inputs are rotated among buffer sets spanning four times the L2
cache, so no call finds its operands in the cache that a previous call left there (the small
sizes still run from L2 within one call, as they do in a model).

``--only`` measures a subset of the curves; ``--merge REPORT`` then copies the other curves from an
earlier report of the same GPU (each curve keeps the environment it was measured in).

``python -m llm_perf_opt.calibrate`` measures the curves the hardware entry reads
(:data:`ENTRY_CURVES`) with the other calibrations; ``scripts/gpu/calibrate_curves.py`` runs this module
alone (:func:`main`)::

    python3 scripts/gpu/calibrate_curves.py --output kernel-curves-h100.json
    python3 scripts/gpu/calibrate_curves.py --dry-run --output /tmp/curves-dry.json   # CPU smoke test
    python3 scripts/gpu/calibrate_curves.py --from-report kernel-curves-h100.json --output block.yaml

Example
-------
>>> powers(1024, 8192)
[1024, 2048, 4096, 8192]
>>> sorted(set(CURVE_NAMES) - set(ENTRY_CURVES))  # measured by the script, read by no hardware entry
['gemm-m256', 'gemm-m64', 'gemm-m8']
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import platform
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from attrs import define

from llm_perf_opt.calibrate.fits import CACHE_MULTIPLE, buffer_sets
from llm_perf_opt.contracts.json_input import read_json_file
from llm_perf_opt.contracts.yaml_input import InputFileError
from llm_perf_opt.data.kernel_kinds import CURVES, OPTIONAL_CURVES
from llm_perf_opt.utils.atomic_output import check_output_path, write_file
from llm_perf_opt.utils.cli_boundary import DEBUG_FLAG, OneLineParser, run_command, wants_debug
from llm_perf_opt.utils.input_error import InputError

SCHEMA = "llm-perf-opt/kernel-curves/v1"
HEADS, HEAD_DIM, REDUCE_COLS, BCAST = 16, 64, 1024, 64
GROUPS, GROUPS_M1 = 8, 64
CURVE_NAMES: tuple[str, ...] = (
    "copy", "elementwise", "cast", "cat", "attention-mask", "attention-bias", "strided", "broadcast", "reduce",
    "matmul", "attention", "gemm-m1", "gemm-m8", "gemm-m64", "gemm-m256", "broadcast-permuted", "grouped-mm",
    "grouped-m1", "layer-norm", "gelu", "upsample-linear", "gather", "bicubic-aa", "conv-patch", "cast-cold",
)  # fmt: skip
"""Every curve the script measures, in measuring order."""
TABLE_CHANNELS, GRID_CHANNELS, PATCH = 64, 768, 16
COLD_MAX_BYTES = 2**20
"""The largest input of the ``cast-cold`` curve (beyond it a cast streams from the memory either way)."""
TIMED_KERNELS: dict[str, str] = {"upsample-linear": "upsample", "gather": "index", "bicubic-aa": "upsample"}
"""Curves whose call launches helper kernels (fills) the model books apart: only the kernels whose name contains
this text are timed."""
M1_SHAPES: tuple[tuple[int, int], ...] = (
    (1, 64), (1, 128), (1, 256), (1, 512), (1, 1024), (2, 1024), (4, 1024), (8, 1024), (16, 1024), (32, 1024),
    (64, 1024), (64, 1536), (64, 2048), (64, 3072), (64, 4096),
)  # fmt: skip
"""(active groups, n) of the ``grouped-m1`` curve, in growing bytes."""


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Flags of ``scripts/gpu/calibrate_curves.py`` (see ``--help``), checked, the output's path included, before
    anything is measured; :class:`InputError` (one line) for a bad one."""
    p = OneLineParser(
        prog="calibrate_curves.py",
        description="Measure kernel time against kernel size on a GPU: the curves the kernel-level time model reads.",
        formatter_class=argparse.RawTextHelpFormatter,
    )
    p.add_argument("--output", type=Path, required=True, help="JSON report to write")
    p.add_argument("--repeats", type=int, default=20, help="profiled calls per size (default 20)")
    p.add_argument("--warmup", type=int, default=5, help="unprofiled calls before them (default 5)")
    p.add_argument("--max-bytes", type=float, default=2**31, help="largest copy buffer in bytes (default 2 GiB)")
    p.add_argument(
        "--from-report",
        type=Path,
        default=None,
        help="measure nothing: write this report's kernel_curves block for the hardware entry (YAML) to --output",
    )
    p.add_argument("--dry-run", action="store_true", help="CPU, tiny sizes: checks the script, not a GPU")
    p.add_argument(DEBUG_FLAG, action="store_true", help="show the traceback of an unexpected error")
    p.add_argument(
        "--only",
        default="",
        help=f"comma-separated curves to measure (default: all of {', '.join(CURVE_NAMES)})",
    )
    p.add_argument(
        "--merge",
        type=Path,
        default=None,
        help="an earlier report whose curves not measured now are copied into --output",
    )
    args = p.parse_args(argv)
    only = [c for c in args.only.split(",") if c]
    unknown = [c for c in only if c not in CURVE_NAMES]
    if unknown:
        p.error(f"--only: unknown curve {unknown[0]!r}; allowed: {', '.join(CURVE_NAMES)}")
    for flag, value in (("--repeats", args.repeats), ("--warmup", args.warmup)):
        if value < (1 if flag == "--repeats" else 0):
            p.error(f"{flag}: must be >= {1 if flag == '--repeats' else 0}, got {value}")
    if not 1 <= args.max_bytes <= 2**40:
        p.error(f"--max-bytes: must be 1 to 2**40 bytes, got {args.max_bytes:g}")
    args.only = only or list(CURVE_NAMES)
    check_output_path(args.output, flag="--output", directory=False)
    return args


def _read_report(path: Path, flag: str) -> dict[str, Any]:
    """A calibrate_curves JSON report (``InputError`` naming ``flag`` for a file that is not one)."""
    try:
        data = read_json_file(path)
    except (InputFileError, OSError) as exc:
        raise InputError(f"{flag}: {path}: {getattr(exc, 'strerror', None) or exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("curves"), dict):
        raise InputError(f"{flag}: {path}: not a calibrate_curves.py report (no 'curves' object)")
    return data


def powers(lo: int, hi: int) -> list[int]:
    """``lo, 2 lo, 4 lo, ...`` up to ``hi``."""
    out, x = [], lo
    while x <= hi:
        out.append(x)
        x *= 2
    return out


class Profiled:
    """Kernel time per call of a function, from ``torch.profiler`` device events."""

    def __init__(self, torch: Any, device: Any, repeats: int, warmup: int) -> None:
        self.torch, self.device, self.repeats, self.warmup = torch, device, repeats, warmup
        self.cuda = device.type == "cuda"

    def sync(self) -> None:
        """Wait for the device's queued work."""
        if self.cuda:
            self.torch.cuda.synchronize(self.device)

    def per_call(self, fn: Callable[[int], object], only: str | None = None) -> tuple[float, dict[str, int]]:
        """(seconds of kernel time per call, kernel name -> launches per call); with ``only``, the kernels whose
        name contains it (case-insensitive)."""
        prof_mod = self.torch.profiler
        for i in range(self.warmup):
            fn(i)
        self.sync()
        acts = [prof_mod.ProfilerActivity.CUDA] if self.cuda else [prof_mod.ProfilerActivity.CPU]
        with prof_mod.profile(activities=acts) as prof:
            for i in range(self.repeats):
                fn(i)
            self.sync()
        total_us, names = 0.0, dict[str, int]()
        for ev in prof.events():
            on_device = str(getattr(ev, "device_type", "")).endswith("CUDA")
            if self.cuda and not on_device:
                continue
            if not self.cuda and ev.name.startswith("aten::") is False:
                continue
            if not self.cuda and getattr(ev, "cpu_parent", None) is not None:
                continue
            if only is not None and only not in ev.name.lower():
                continue
            dur = ev.device_time if self.cuda else ev.cpu_time
            total_us += dur
            names[ev.name[:120]] = names.get(ev.name[:120], 0) + 1
        calls = {k: v // self.repeats for k, v in sorted(names.items())}
        return total_us * 1e-6 / self.repeats, calls


def curve(
    name: str,
    meter: Profiled,
    sizes: Sequence[int],
    build: Callable[[int], tuple[list[Any], Callable[[Any], object], int, int]],
    l2_bytes: int,
) -> dict[str, Any]:
    """Measure one curve: ``build(size) -> (operand sets, op, work, set_bytes)`` (only the kernels of
    :data:`TIMED_KERNELS` where it names some)."""
    points: list[dict[str, Any]] = []
    for size in sizes:
        sets, op, work, nbytes = build(size)

        def call(i: int, sets: list[Any] = sets, op: Callable[[Any], object] = op) -> object:
            return op(sets[i % len(sets)])

        seconds, kernels = meter.per_call(call, TIMED_KERNELS.get(name))
        points.append(
            {"param": size, "work": work, "bytes": nbytes, "seconds": seconds, "sets": len(sets), "kernels": kernels}
        )
        print(
            f"{name:9s} {size:>12d} work {work:>16d}  {seconds * 1e6:10.3f} us  {list(kernels)[:1]}",
            file=sys.stderr,
            flush=True,
        )
        del sets
        if meter.cuda:
            meter.torch.cuda.empty_cache()
    return {"name": name, "points": points}


@define(frozen=True, kw_only=True)
class CurveSettings:
    """Which curves, how many profiled calls per size and the largest copy buffer (bytes).

    Example
    -------
    >>> CurveSettings(only=("copy",)).repeats
    20
    """

    repeats: int = 20
    warmup: int = 5
    max_bytes: int = 2**31
    only: tuple[str, ...] = CURVE_NAMES
    dry_run: bool = False


def run(args: argparse.Namespace) -> dict[str, Any]:
    """The script's measurement: :func:`measure_curves` on the GPU (the CPU with ``--dry-run``)."""
    import torch

    cuda = torch.cuda.is_available() and not args.dry_run
    settings = CurveSettings(
        repeats=args.repeats, warmup=args.warmup, max_bytes=int(args.max_bytes), only=tuple(args.only),
        dry_run=bool(args.dry_run),
    )  # fmt: skip
    return measure_curves(torch, torch.device("cuda" if cuda else "cpu"), settings)


def measure_curves(torch: Any, device: Any, settings: CurveSettings) -> dict[str, Any]:
    """Every curve of ``settings.only`` on ``device`` (a dry run: tiny sizes, 3 calls after 1), as a report
    (``schema``, ``environment``, ``method``, ``repeats``, ``curves``: name -> points)."""
    import torch.nn.functional as F

    cuda = device.type == "cuda"
    dry = settings.dry_run
    meter = Profiled(torch, device, 3 if dry else settings.repeats, 1 if dry else settings.warmup)
    l2 = int(getattr(torch.cuda.get_device_properties(device), "L2_cache_size", 0)) if cuda else 0
    bf16 = torch.bfloat16
    g = torch.Generator(device=device).manual_seed(0)
    max_bytes = 2**16 if dry else settings.max_bytes

    def randn(*shape: int) -> Any:
        return torch.randn(*shape, generator=g, device=device, dtype=torch.float32).to(bf16)

    def rotating(set_bytes: int, make: Callable[[], Any]) -> list[Any]:
        return [make() for _ in range(buffer_sets(set_bytes, l2))]

    def copy(nbytes: int) -> tuple[list[Any], Callable[[Any], object], int, int]:
        n = nbytes // 2
        sets = rotating(2 * nbytes, lambda: (randn(n), torch.empty(n, device=device, dtype=bf16)))
        return sets, lambda s: s[1].copy_(s[0]), 2 * nbytes, 2 * nbytes

    def elementwise(nbytes: int) -> tuple[list[Any], Callable[[Any], object], int, int]:
        n = max(1, nbytes // 2)
        sets = rotating(3 * nbytes, lambda: (randn(n), randn(n)))
        return sets, lambda s: s[0] + s[1], 6 * n, 6 * n

    def cast(nbytes: int) -> tuple[list[Any], Callable[[Any], object], int, int]:
        n = max(1, nbytes // 2)
        sets = rotating(3 * nbytes, lambda: randn(n))
        return sets, lambda x: x.float(), 6 * n, 6 * n

    def cast_cold(nbytes: int) -> tuple[list[Any], Callable[[Any], object], int, int]:
        # as many distinct inputs as span the cache multiple of the L2 (no cap): every call's input was last
        # touched when it was made, long evicted, as a model's parameters are at each forward
        # (each call takes the next input, the warm-up's included, so no profiled call reuses one)
        n = max(1, nbytes // 2)
        count = 4 if dry else max(meter.warmup + meter.repeats + 1, -(-CACHE_MULTIPLE * l2 // (2 * nbytes)))
        inputs = [randn(n) for _ in range(count)]
        order = itertools.cycle(inputs)
        return inputs, lambda _: next(order).float(), 6 * n, 6 * n

    def cat(nbytes: int) -> tuple[list[Any], Callable[[Any], object], int, int]:
        s = max(1, nbytes // (2 * HEADS * 2 * HEAD_DIM))
        sets = rotating(2 * nbytes, lambda: (randn(1, HEADS, s, 2 * HEAD_DIM), randn(1, HEADS, 1, 2 * HEAD_DIM)))
        work = 2 * 2 * ((s + 1) * HEADS * 2 * HEAD_DIM)
        return sets, lambda t: torch.cat(t, dim=2), work, work

    def masked_attention(
        d: int, full_bias: bool
    ) -> Callable[[int], tuple[list[Any], Callable[[Any], object], int, int]]:
        def build(s: int) -> tuple[list[Any], Callable[[Any], object], int, int]:
            mask_heads = HEADS if full_bias else 1
            nb = 4 * 2 * HEADS * s * d + 2 * mask_heads * s * s
            sets = rotating(nb, lambda: (*(randn(1, HEADS, s, d) for _ in range(3)), randn(1, mask_heads, s, s)))
            return (
                sets,
                lambda t: F.scaled_dot_product_attention(t[0], t[1], t[2], attn_mask=t[3]),
                4 * HEADS * s * s * d,
                nb,
            )

        return build

    def strided(nbytes: int) -> tuple[list[Any], Callable[[Any], object], int, int]:
        s = max(1, nbytes // (2 * HEADS * HEAD_DIM))
        sets = rotating(2 * nbytes, lambda: randn(1, s, HEADS, HEAD_DIM))
        return sets, lambda x: x.permute(0, 2, 1, 3).contiguous(), 4 * s * HEADS * HEAD_DIM, 2 * nbytes

    def broadcast(nbytes: int) -> tuple[list[Any], Callable[[Any], object], int, int]:
        n = max(1, nbytes // (2 * BCAST * BCAST))
        sets = rotating(nbytes, lambda: (randn(n, BCAST), randn(n, BCAST)))
        work = 2 * (n * BCAST * BCAST + 2 * n * BCAST)
        return sets, lambda s: s[0][:, :, None] + s[1][:, None, :], work, nbytes

    def reduce(nbytes: int) -> tuple[list[Any], Callable[[Any], object], int, int]:
        r = max(1, nbytes // (2 * REDUCE_COLS))
        sets = rotating(nbytes, lambda: randn(r, REDUCE_COLS))
        return sets, lambda x: x.sum(-1), 2 * (r * REDUCE_COLS + r), nbytes

    def matmul(n: int) -> tuple[list[Any], Callable[[Any], object], int, int]:
        sets = rotating(6 * n * n, lambda: (randn(n, n), randn(n, n)))
        return sets, lambda s: s[0] @ s[1], 2 * n**3, 6 * n * n

    def skinny(m: int) -> Callable[[int], tuple[list[Any], Callable[[Any], object], int, int]]:
        def build(n: int) -> tuple[list[Any], Callable[[Any], object], int, int]:
            nb = 2 * (m * n + n * n + m * n)
            sets = rotating(nb, lambda: (randn(m, n), randn(n, n)))
            return sets, lambda s: s[0] @ s[1], 2 * m * n * n, nb

        return build

    def broadcast_permuted(n: int) -> tuple[list[Any], Callable[[Any], object], int, int]:
        out_bytes, in_bytes = 2 * HEADS * n**4, 2 * 2 * HEADS * n**3

        def make() -> tuple[Any, Any]:
            a = randn(n, HEADS, n, n).permute(1, 0, 2, 3)
            b = randn(n, HEADS, n, n).permute(1, 2, 0, 3)
            return a, b

        sets = rotating(out_bytes + in_bytes, make)
        return sets, lambda t: t[0][..., None] + t[1][..., None, :], out_bytes + in_bytes, out_bytes + in_bytes

    def grouped_mm(n: int) -> tuple[list[Any], Callable[[Any], object], int, int]:
        offs = torch.arange(1, GROUPS + 1, device=device, dtype=torch.int32) * n
        nb = 2 * (2 * GROUPS * n * n + GROUPS * n * n)
        sets = rotating(nb, lambda: (randn(GROUPS * n, n), randn(GROUPS, n, n)))
        return (
            sets,
            lambda t: torch._grouped_mm(t[0], t[1].transpose(-2, -1), offs=offs),
            2 * GROUPS * n**3,
            nb,
        )

    def grouped_m1(i: int) -> tuple[list[Any], Callable[[Any], object], int, int]:
        g, n = M1_SHAPES[i]
        ends = [min(k + 1, g) for k in range(GROUPS_M1)]
        offs = torch.tensor(ends, device=device, dtype=torch.int32)
        nb = 2 * (g * n * n + 2 * g * n)
        sets = rotating(2 * GROUPS_M1 * n * n, lambda: (randn(g, n), randn(GROUPS_M1, n, n)))
        return sets, lambda t: torch._grouped_mm(t[0], t[1].transpose(-2, -1), offs=offs), 2 * g * n * n, nb

    def attention(s: int) -> tuple[list[Any], Callable[[Any], object], int, int]:
        nb = 4 * 2 * HEADS * s * HEAD_DIM
        sets = rotating(nb, lambda: tuple(randn(1, HEADS, s, HEAD_DIM) for _ in range(3)))
        return sets, lambda q: F.scaled_dot_product_attention(*q), 4 * HEADS * s * s * HEAD_DIM, nb

    def layer_norm(nbytes: int) -> tuple[list[Any], Callable[[Any], object], int, int]:
        r = max(1, nbytes // (2 * REDUCE_COLS))
        sets = rotating(2 * nbytes, lambda: (randn(r, REDUCE_COLS), randn(REDUCE_COLS), randn(REDUCE_COLS)))
        work = 2 * (2 * r * REDUCE_COLS + 2 * REDUCE_COLS) + 8 * r
        return sets, lambda t: F.layer_norm(t[0], (REDUCE_COLS,), t[1], t[2]), work, 2 * nbytes

    def gelu(nbytes: int) -> tuple[list[Any], Callable[[Any], object], int, int]:
        n = max(1, nbytes // 2)
        sets = rotating(2 * nbytes, lambda: randn(n))
        return sets, lambda x: F.gelu(x), 4 * n, 4 * n

    def upsample_linear(nbytes: int) -> tuple[list[Any], Callable[[Any], object], int, int]:
        length = max(4, nbytes // (2 * TABLE_CHANNELS))
        out = length + length // 4
        sets = rotating(nbytes, lambda: randn(1, length, TABLE_CHANNELS).permute(0, 2, 1))
        work = 2 * TABLE_CHANNELS * (length + out)
        return sets, lambda x: F.interpolate(x, size=out, mode="linear", align_corners=False), work, work

    def gather(n: int) -> tuple[list[Any], Callable[[Any], object], int, int]:
        idx = (torch.arange(n, device=device)[:, None] - torch.arange(n, device=device)[None, :] + n - 1).long()
        work = (2 * TABLE_CHANNELS * 2 + 8) * n * n
        sets = rotating(work, lambda: randn(TABLE_CHANNELS, 2 * n - 1).t())
        return sets, lambda t: t[idx], work, work

    def bicubic_aa(n: int) -> tuple[list[Any], Callable[[Any], object], int, int]:
        m = 5 * n // 4
        work = 4 * GRID_CHANNELS * (n * n + m * m)
        sets = rotating(work, lambda: randn(1, GRID_CHANNELS, n, n).float())
        return (
            sets,
            lambda x: F.interpolate(x, size=(m, m), mode="bicubic", antialias=True, align_corners=False),
            work,
            work,
        )

    def conv_patch(g: int) -> tuple[list[Any], Callable[[Any], object], int, int]:
        side = PATCH * g
        nb = 2 * (3 * side * side + GRID_CHANNELS * 3 * PATCH * PATCH + GRID_CHANNELS * g * g)
        sets = rotating(nb, lambda: (randn(1, 3, side, side), randn(GRID_CHANNELS, 3, PATCH, PATCH)))
        flops = 2 * g * g * GRID_CHANNELS * 3 * PATCH * PATCH
        return sets, lambda t: F.conv2d(t[0], t[1], stride=PATCH), flops, nb

    byte_sizes = powers(2**10, max_bytes)
    mm_sizes = [16, 32, 64, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096, 6144, 8192]
    attn_sizes = powers(16, 8192)
    gemm_sizes = powers(256, 16384)
    bcast_sizes = [4, 6, 8, 12, 16, 24, 32, 40, 48, 64, 80, 96]
    grouped_sizes = [32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096]
    m1_sizes = list(range(len(M1_SHAPES)))
    table_sizes = powers(2**10, 2**26)
    gather_sizes = [4, 8, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 1024, 2048]
    grid_sizes = [4, 8, 12, 16, 24, 32, 40, 48, 64, 80, 96, 128, 192]
    patch_sizes = [2, 4, 8, 16, 24, 32, 40, 48, 64, 80, 96, 128, 192, 256]
    if dry:
        table_sizes, gather_sizes, grid_sizes, patch_sizes = [2**10, 2**11], [4, 8], [4, 8], [2, 4]
        mm_sizes, attn_sizes, gemm_sizes, bcast_sizes, grouped_sizes = [16, 32], [16, 32], [16, 32], [4, 6], [16, 32]
        m1_sizes = [0, 1]
    started = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    plan: dict[str, tuple[Sequence[int], Callable[[int], tuple[list[Any], Callable[[Any], object], int, int]]]] = {
        "copy": (byte_sizes, copy),
        "elementwise": (byte_sizes[:-1], elementwise),
        "cast": (byte_sizes[:-1], cast),
        "cat": (byte_sizes[:-1], cat),
        "attention-mask": (attn_sizes, masked_attention(2 * HEAD_DIM, False)),
        "attention-bias": (attn_sizes, masked_attention(HEAD_DIM, True)),
        "strided": (byte_sizes[:-1], strided),
        "broadcast": (byte_sizes[:-1], broadcast),
        "reduce": (byte_sizes[:-1], reduce),
        "matmul": (mm_sizes, matmul),
        "attention": (attn_sizes, attention),
        **{f"gemm-m{m}": (gemm_sizes, skinny(m)) for m in (1, 8, 64, 256)},
        "broadcast-permuted": (bcast_sizes, broadcast_permuted),
        "grouped-mm": (grouped_sizes, grouped_mm),
        "grouped-m1": (m1_sizes, grouped_m1),
        "layer-norm": (byte_sizes[:-1], layer_norm),
        "gelu": (byte_sizes[:-1], gelu),
        "upsample-linear": (table_sizes, upsample_linear),
        "gather": (gather_sizes, gather),
        "bicubic-aa": (grid_sizes, bicubic_aa),
        "conv-patch": (patch_sizes, conv_patch),
        "cast-cold": ([s for s in byte_sizes if s <= COLD_MAX_BYTES], cast_cold),
    }
    curves = [curve(name, meter, *plan[name], l2) for name in CURVE_NAMES if name in settings.only]
    env: dict[str, Any] = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "gpu": torch.cuda.get_device_name(device) if cuda else None,
        "l2_cache_bytes": l2,
        "measured_at": started,
    }
    return {
        "schema": SCHEMA,
        "dry_run": dry,
        "environment": env,
        "method": (
            "torch.profiler device kernel durations summed over --repeats calls / calls, after --warmup calls; "
            f"operand sets rotated to span {CACHE_MULTIPLE}x the L2 cache; bf16 operands from torch.randn (seed 0)"
        ),
        "repeats": meter.repeats,
        "curves": {c["name"]: c["points"] for c in curves},
    }


HARDWARE_CURVES: dict[str, tuple[str, str]] = {name: (c.measured, c.indexed_by) for name, c in CURVES.items()}
"""Hardware-entry curve -> (measured curve, which size it is indexed by), from
:data:`llm_perf_opt.data.kernel_kinds.CURVES`."""
ENTRY_CURVES: tuple[str, ...] = tuple(n for n in CURVE_NAMES if n in {src for src, _ in HARDWARE_CURVES.values()})
"""The measured curves a hardware entry reads, in measuring order."""


def hardware_block(report: dict[str, Any], tool: str = "scripts/gpu/calibrate_curves.py") -> dict[str, Any]:
    """The ``kernel_curves`` block of a hardware entry (``conf/hardware/<gpu>.yaml``) from a report:
    each curve's (work, microseconds), points without kernels dropped, repeated works merged
    (first kept)."""
    env = report["environment"]
    out: dict[str, Any] = {}
    for name, (source, index) in HARDWARE_CURVES.items():
        if source not in report["curves"] and name in OPTIONAL_CURVES:  # a report older than the curve
            continue
        rows: list[dict[str, Any]] = []
        for pt in report["curves"][source]:
            work = int(pt[index])
            if pt["seconds"] <= 0 or (rows and work <= rows[-1]["work"]):
                continue
            rows.append({"work": work, "us": float(f"{pt['seconds'] * 1e6:.4g}")})
        out[name] = {"points": rows}
    out["how_measured"] = (
        f"{tool}: {report['method']}; {report['repeats']} profiled calls per size. "
        "copy: dst.copy_(src) contiguous bf16, a device memcpy (bytes read + written); elementwise: x + y "
        "contiguous bf16; cast: x.float() of bf16; cat: torch.cat([past, new], dim=2) of [1, 16, S, 128] and "
        "[1, 16, 1, 128] bf16; strided: permute(0, 2, 1, 3).contiguous() "
        "of [1, S, 16, 64] bf16; broadcast: a[:, :, None] + b[:, None, :] to [N, 64, 64] bf16; reduce: sum(-1) "
        "of [R, 1024] bf16; gemv: [1, n] @ [n, n] bf16, indexed by its bytes; matmul: square bf16 n^3, by "
        "2 n^3 FLOPs; attention: SDPA on [1, 16, S, 64] bf16 q, k, v, by 4 * 16 * S^2 * 64 FLOPs; "
        "attention_mask: SDPA on [1, 16, S, 128] with a [1, 1, S, S] bf16 additive mask; attention_bias: SDPA on "
        "[1, 16, S, 64] with a [1, 16, S, S] bf16 bias (both by their full FLOPs); grouped_matmul: "
        "torch._grouped_mm of 8 groups of n rows times their own [n, n] bf16 weights (passed transposed), by "
        "2 * 8 * n^3 FLOPs; grouped_gemv: torch._grouped_mm of one row in each of g of 64 groups with [n, n] bf16 "
        "weights, by its bytes; broadcast_permuted: a[..., None] + b[..., None, :] of two [16, n, n, n] bf16 "
        "permuted views into a [16, n, n, n, n] result, by bytes read + written. By bytes read + written too: "
        "layer_norm: F.layer_norm of [R, 1024] bf16 with bf16 weight and bias; gelu: F.gelu of bf16; "
        "upsample_linear: linear F.interpolate of a [1, 64, L] bf16 view of an [L, 64] table to L + L // 4 "
        "(the interpolation kernel only); gather: table[index] of a [2n - 1, 64] bf16 table stored transposed "
        "with an [n, n] int64 index; bicubic_aa: bicubic antialiased F.interpolate of an fp32 [1, 768, n, n] "
        "grid to 5n/4 (the resize kernel only). conv_cuda: F.conv2d of a [1, 3, 16g, 16g] bf16 image with a "
        "[768, 3, 16, 16] bf16 weight, stride 16 (the CUDA-core implicit_convolve_sgemm), by its FLOPs."
    )
    out["measured_on"] = f"{env['gpu']}; torch {env['torch']}; CUDA {env['cuda']}; {env['measured_at'][:10]}"
    return out


def yaml_block(block: dict[str, Any], indent: int = 2) -> str:
    """``block`` as the YAML lines of ``kernel_curves:`` under a hardware entry's ``calibration:``."""
    pad = " " * indent
    lines = [f"{pad}kernel_curves:", f'{pad}  measured_on: "{block["measured_on"]}"', f"{pad}  how_measured: >-"]
    words, line = block["how_measured"].split(), ""
    for w in words:
        if line and len(line) + 1 + len(w) > 100:
            lines.append(f"{pad}    {line}")
            line = w
        else:
            line = f"{line} {w}".strip()
    lines.append(f"{pad}    {line}")
    for name in HARDWARE_CURVES:
        if name not in block:
            continue
        lines += [f"{pad}  {name}:", f"{pad}    points:"]
        lines += [f"{pad}      - {{work: {p['work']}, us: {p['us']}}}" for p in block[name]["points"]]
    return "\n".join(lines) + "\n"


def merge(report: dict[str, Any], earlier: dict[str, Any], source: str) -> None:
    """Copy into ``report`` the curves of ``earlier`` it did not measure, and say so in ``merged``
    (curve -> the earlier report's file name and environment)."""
    merged = {}
    for name, points in earlier["curves"].items():
        if name not in report["curves"]:
            report["curves"][name] = points
            merged[name] = {"from": source, "environment": earlier["environment"]}
    report["merged"] = dict(sorted(merged.items()))


def main(argv: Sequence[str] | None = None) -> int:
    """``scripts/gpu/calibrate_curves.py``: measure (or, with ``--from-report``, write a report's block). Behind
    the one boundary (:func:`~llm_perf_opt.utils.cli_boundary.run_command`): a bad flag, an unwritable output or
    a report of another shape is one line and exit 2."""
    return run_command("calibrate_curves.py", lambda: _main(argv), debug=wants_debug(argv))


def _main(argv: Sequence[str] | None) -> int:
    args = parse_args(argv)
    if args.from_report is not None:
        saved = _read_report(args.from_report, "--from-report")
        try:
            block = hardware_block(saved)
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise InputError(f"--from-report: {args.from_report}: not a complete report ({type(exc).__name__}: "
                             f"{str(exc)[:60]})") from None  # fmt: skip
        write_file(args.output, yaml_block(block), flag="--output")
        print(f"wrote {args.output}", file=sys.stderr)
        return 0
    earlier = _read_report(args.merge, "--merge") if args.merge is not None else None
    report = run(args)
    if earlier is not None:
        try:
            merge(report, earlier, args.merge.name)
        except (KeyError, TypeError, AttributeError) as exc:
            raise InputError(f"--merge: {args.merge}: not a complete report ({type(exc).__name__})") from None
    write_file(args.output, json.dumps(report, indent=1, sort_keys=True) + "\n", flag="--output")
    print(f"wrote {args.output}", file=sys.stderr)
    return 0
