"""Kernel time from measured time-vs-size curves: the one place a curve is read.

A curve (:class:`~llm_perf_opt.data.hardware.KernelCurve`) holds the measured GPU time of one
kind of kernel at sizes from a few bytes (or FLOPs) to far past the point where the GPU reaches
its asymptotic rate. Between two measured sizes the time is interpolated linearly in log(work)
and log(time) (a power law between neighbours); below the smallest size it is the smallest
size's time (the kernel's fixed cost); above the largest it grows in proportion to the work (the
asymptotic rate of the largest size).

Which curves time a kernel depends on its ``kind``
(:data:`~llm_perf_opt.data.kernel_kinds.KERNEL_KINDS`): a kernel takes the larger of its
compute time and its memory time, each read from the curve its kind names in
:data:`~llm_perf_opt.data.kernel_kinds.KIND_CURVES` (e.g. ``gemm``: ``matmul`` for its FLOPs, ``gemv``
for its bytes; ``copy``: ``copy`` for its bytes only). A curve an entry lacks (one of
:data:`~llm_perf_opt.data.kernel_kinds.OPTIONAL_CURVES`, measured by calibrations newer than the entry) is read
from its ``fallback`` curve (:func:`curve_of`); :func:`llm_perf_opt.kernels.timing.launch_costs` first fills it
from the portable model of the GPUs that measured it, so the fallback is what a curve set without any such GPU
uses.

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
from llm_perf_opt.data.kernel_kinds import CURVES, KIND_CURVES

MICRO = 1e-6


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


def curve_of(curves: KernelCurves, name: str) -> KernelCurve | None:
    """The curve ``name`` of ``curves``, or its ``fallback`` curve when the entry lacks it (``None`` when it has
    none: the kernel takes the roofline).

    Example
    -------
    >>> from llm_perf_opt.data.hardware import CurvePoint
    >>> c = KernelCurve(points=(CurvePoint(work=1, us=1.0), CurvePoint(work=10, us=2.0)))
    >>> r = KernelCurve(points=(CurvePoint(work=1, us=3.0), CurvePoint(work=10, us=4.0)))
    >>> cs = KernelCurves(copy=c, elementwise=c, cast=c, cat=c, strided=c, broadcast=c, reduce=r, gemv=c, matmul=c,
    ...                   attention=c, attention_mask=c, attention_bias=c, grouped_matmul=c, grouped_gemv=c,
    ...                   broadcast_permuted=c, how_measured="example")
    >>> curve_of(cs, "layer_norm") is r  # not measured: the reduction curve
    True
    """
    curve: KernelCurve | None = getattr(curves, name)
    while curve is None:
        fallback = CURVES[name].fallback
        if fallback is None:
            return None
        name = fallback
        curve = getattr(curves, name)
    return curve


def kind_seconds(
    curves: KernelCurves, kind: str, tensor_core_flops: float, io_bytes: float, cuda_core_flops: float = 0.0
) -> tuple[float, float]:
    """(compute seconds, memory seconds) of one launch of a ``kind`` kernel from the curves; a kind whose
    compute curve counts CUDA-core FLOPs (``conv_cuda``) reads it at ``cuda_core_flops``, 0 where the entry has
    no such curve (the caller's roofline then times the FLOPs)."""
    compute_name, memory_name = KIND_CURVES[kind]
    compute = 0.0
    if compute_name is not None:
        flops = cuda_core_flops if CURVES[compute_name].work_unit == "cuda_flops" else tensor_core_flops
        curve = curve_of(curves, compute_name)
        if curve is not None and flops > 0:
            compute = curve_seconds(curve, flops)
    memory = curve_of(curves, memory_name)
    if memory is None:  # pragma: no cover - byte curves are required or have a fallback
        raise ValueError(f"kernel curves: no curve for the bytes of {kind!r}")
    return compute, curve_seconds(memory, io_bytes)
