"""Kernel time from measured time-vs-size curves: the one place a curve is read.

A curve (:class:`~llm_perf_opt.data.hardware.KernelCurve`) holds the measured GPU time of one
kind of kernel at sizes from a few bytes (or FLOPs) to far past the point where the GPU reaches
its asymptotic rate. Between two measured sizes the time is interpolated linearly in log(work)
and log(time) (a power law between neighbours); below the smallest size it is the smallest
size's time (the kernel's fixed cost); above the largest it grows in proportion to the work (the
asymptotic rate of the largest size).

Which curves time a kernel depends on its ``kind``
(:data:`~llm_perf_opt.data.runtime_profile.KERNEL_KINDS`): a kernel takes the larger of its
compute time and its memory time, each read from the curve of :data:`KIND_CURVES`:

==============  ======================  =================
kind            compute (FLOPs)         memory (bytes)
==============  ======================  =================
gemm            ``matmul``              ``gemv``
attention       ``attention``           ``elementwise``
attention_mask  ``attention_mask``      ``elementwise``
attention_bias  ``attention_bias``      ``elementwise``
elementwise     --                      ``elementwise``
cast            --                      ``cast``
copy            --                      ``copy``
cat             --                      ``cat``
strided         --                      ``strided``
broadcast       --                      ``broadcast``
broadcast_perm  --                      ``broadcast_permuted``
reduce          --                      ``reduce``
grouped_gemm    ``grouped_matmul``      ``grouped_gemv``
==============  ======================  =================

(``broadcast_perm`` is the kind ``broadcast_permuted``.)

Example
-------
>>> from llm_perf_opt.data.hardware import CurvePoint, KernelCurve
>>> c = KernelCurve(points=(CurvePoint(work=100, us=1.0), CurvePoint(work=10_000, us=4.0)))
>>> [round(curve_seconds(c, w) * 1e6, 6) for w in (0, 1000, 20_000)]
[1.0, 2.0, 8.0]
"""

from __future__ import annotations

import bisect
import math

from llm_perf_opt.data.hardware import KernelCurve, KernelCurves

MICRO = 1e-6

KIND_CURVES: dict[str, tuple[str | None, str]] = {
    "gemm": ("matmul", "gemv"),
    "attention": ("attention", "elementwise"),
    "attention_mask": ("attention_mask", "elementwise"),
    "attention_bias": ("attention_bias", "elementwise"),
    "elementwise": (None, "elementwise"),
    "cast": (None, "cast"),
    "copy": (None, "copy"),
    "cat": (None, "cat"),
    "strided": (None, "strided"),
    "broadcast": (None, "broadcast"),
    "broadcast_permuted": (None, "broadcast_permuted"),
    "reduce": (None, "reduce"),
    "grouped_gemm": ("grouped_matmul", "grouped_gemv"),
}
"""Kernel kind -> (curve of its Tensor-Core FLOPs or ``None``, curve of its bytes)."""


def curve_seconds(curve: KernelCurve, work: float) -> float:
    """Seconds of one kernel of ``work`` on ``curve`` (see the module docstring)."""
    pts = curve.points
    works = [p.work for p in pts]
    if work <= works[0]:
        return pts[0].us * MICRO
    if work >= works[-1]:
        return pts[-1].us * MICRO * work / works[-1]
    i = bisect.bisect_right(works, work)
    lo, hi = pts[i - 1], pts[i]
    f = (math.log(work) - math.log(lo.work)) / (math.log(hi.work) - math.log(lo.work))
    return math.exp(math.log(lo.us) + f * (math.log(hi.us) - math.log(lo.us))) * MICRO


def kind_seconds(curves: KernelCurves, kind: str, tensor_core_flops: float, io_bytes: float) -> tuple[float, float]:
    """(compute seconds, memory seconds) of one launch of a ``kind`` kernel from the curves."""
    compute_name, memory_name = KIND_CURVES[kind]
    compute = 0.0
    if compute_name is not None and tensor_core_flops > 0:
        compute = curve_seconds(getattr(curves, compute_name), tensor_core_flops)
    return compute, curve_seconds(getattr(curves, memory_name), io_bytes)
