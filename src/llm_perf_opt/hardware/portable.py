"""The portable kernel-time model: kernel-time curves and host costs for a GPU nobody calibrated.

A calibrated GPU (an entry whose ``calibration`` holds measured ``kernel_curves``) times each kernel on its
measured curves. For any other GPU this module builds the same curves from its datasheet, using what the
calibrated GPUs (the *references*) measured, expressed in GPU-independent terms. One formula for every curve
(:data:`~llm_perf_opt.data.kernel_kinds.CURVES`; each curve's ``work_unit`` names its datasheet peak ``P``: the
dense bf16 Tensor-Core rate for FLOP curves, the memory bandwidth for byte curves).

**What a reference's curve says, GPU-independently.** A measured curve ``(w_i, t_i)`` on a reference ``r``
with peak ``P_r`` and boost clock ``f_r`` gives

* the **asymptotic efficiency** ``e_r = (w_last / t_last) / P_r``: the fraction of the datasheet peak the
  largest measured kernel reaches (the curve's rate beyond its last point);
* the **fixed cost** ``tau_r = t_first``: the time of the smallest kernel, in clock cycles ``tau_r * f_r``;
* the **shape** ``y_r(u) = t(u * e_r P_r tau_r) / tau_r``: time in units of the fixed cost against work in units
  of what the GPU does at its asymptotic rate during one fixed cost (the knee of the curve sits near ``u = 1``
  on every GPU; below it a kernel costs its fixed cost, far above it the work over the asymptotic rate).

**Memory time and SM time of a byte curve.** A byte curve less efficient than a device copy (``copy``, the
most the memory gives a kernel) spends the rest of its time in the SMs (layout arithmetic, broadcasts, narrow
accesses), which grows with SM count and clock, not with bandwidth: its time per byte is split
(:func:`split_issue`) into the memory's ``1 / (e_copy P)`` and ``s`` SM-cycles per byte, and on another GPU
``1 / R = 1 / (e_copy P) + s / (SMs f)`` (:func:`asymptotic_rate`). (The H100 SXM and H200 share SMs and clock
but not bandwidth; their broadcast and strided copies reach the same bytes per second, their copies do not.)

**Learned from the references** (one value per curve kind, geometric means over the references, the issue
cycles' mean):
``e = gmean(e_r)``, ``c = gmean(tau_r * f_r)`` cycles, and the shape ``y(u) = gmean_r y_r(u)`` on the union of
the references' ``u`` points (each read with :func:`~llm_perf_opt.hardware.curves.curve_seconds`' rules).

**Instantiated for a target GPU** with peak ``P`` and boost clock ``f``::

    tau = c / f                 R = e * P   (a byte curve with issue cycles: 1 / R = 1 / (e_copy P) + s / (SMs f))
    curve point i:  work = u_i * R * tau,   time = y(u_i) * tau

so the target's largest kernels run at ``e`` of its peak, its smallest cost ``c`` cycles of its clock, and the
transition between the two keeps the references' shape. An entry without a boost clock keeps the references'
fixed cost in seconds.

**On another architecture** two steps adjust the Tensor-Core (FLOP) curves: the knee and the time of a wave
of tiles stretch by the ratio of the references' bf16 FLOPs per SM-clock to the target's (:func:`wave_stretch`,
datasheet only), and the matrix curves' efficiency is divided by :func:`architecture_factor`, learned from
NVIDIA aiconfigurator-core's measured GEMMs of the *other* GPUs of the target's Tensor-Core class
(:data:`TENSOR_CORE_CLASSES`; never the target's own). Both are 1 for a GPU of the references' class with their
SMs' rate (H100 from H200 and back).

**Host costs** (``calibration.host``: the record of each execution kind, enqueue, eager module code and graph
replay, with the sync and the eager start): these depend on the host CPU and software, not the GPU, so a portable
entry takes the **median over the references' measured hosts** of each constant, and :func:`host_spread` states
the range they span (so does the GPU floor ``min_kernel_us``, about 1 us on both references).

Example
-------
>>> from llm_perf_opt.data.hardware import CurvePoint, KernelCurve
>>> ref = KernelCurve(points=(CurvePoint(work=1000, us=2.0), CurvePoint(work=100_000, us=10.0)))
>>> shape = curve_shape(ref, peak_per_s=2e10, clock_mhz=1000.0)  # 100,000 B in 10 us: e = 0.5 of 2e10 B/s
>>> shape.efficiency, shape.fixed_cycles, [round(u, 3) for u in shape.u]
(0.5, 2000.0, [0.05, 5.0])
>>> pts = instantiate(shape, peak_per_s=4e10, clock_mhz=2000.0).points  # twice the peak and the clock
>>> [(p.work, round(p.us, 6)) for p in pts]
[(1000, 1.0), (100000, 5.0)]
"""

from __future__ import annotations

import bisect
import functools
import json
import math
import statistics
from collections.abc import Sequence
from typing import Any

from attrs import define, evolve, field

from llm_perf_opt.data.hardware import (
    CALIBRATION_CONSTANTS,
    Calibration,
    CurvePoint,
    HardwareSpec,
    KernelCurve,
    KernelCurves,
    calibration_constant,
    with_constants,
)
from llm_perf_opt.data.kernel_kinds import CURVE_NAMES, CURVES, OPTIONAL_CURVES
from llm_perf_opt.data.planning import BASIS_CALIBRATED, BASIS_PORTABLE
from llm_perf_opt.hardware.curves import kind_seconds
from llm_perf_opt.hardware.rates import DEFAULT_COPY_EFFICIENCY, DEFAULT_MATMUL_EFFICIENCY, TERA
from llm_perf_opt.hardware.registry import list_hardware, load_hardware
from llm_perf_opt.utils.packaged_defaults import conf_dir

MICRO = 1e-6
MEGA = 1e6

HOST_CONSTANTS = CALIBRATION_CONSTANTS
"""The microsecond constants of a :class:`~llm_perf_opt.data.hardware.Calibration` (paths within it: the host's
record per execution kind, its sync and eager start, and the GPU floor ``min_kernel_us``) a portable entry takes
from the references."""


@define(frozen=True, kw_only=True)
class CurveShape:
    """One curve in GPU-independent terms (see the module docstring).

    Example
    -------
    >>> CurveShape(efficiency=0.5, fixed_cycles=2000.0, u=(0.1, 10.0), y=(1.0, 5.0)).y[-1]
    5.0
    """

    efficiency: float
    """Asymptotic rate over the datasheet peak, ``e`` (on the reference)."""
    fixed_cycles: float
    """Fixed cost in cycles of the boost clock, ``c`` (seconds times Hz)."""
    u: tuple[float, ...]
    """Work in units of ``e * P * tau``, increasing."""
    y: tuple[float, ...] = field()
    """Time in units of ``tau`` at each ``u``."""
    peak_efficiency: float | None = None
    """Efficiency of the part of the time spent at the peak's unit, ``e_p`` (``None``: ``efficiency``, all of it)."""
    issue_cycles: float = 0.0
    """SM-cycles per unit of work spent beyond the peak-bound time, ``s`` (0: none; see :func:`split_issue`)."""

    @y.validator
    def _same_length(self, attribute: object, value: tuple[float, ...]) -> None:
        if len(value) != len(self.u) or len(value) < 2:
            raise ValueError("CurveShape: u and y need the same length, at least 2")


def time_basis(spec: HardwareSpec) -> str:
    """``calibrated`` when the entry holds measured kernel-time curves, else ``portable``.

    Example
    -------
    >>> time_basis(load_hardware("h200")), time_basis(load_hardware("l40s"))
    ('calibrated', 'portable')
    """
    cal = spec.calibration
    return BASIS_CALIBRATED if cal is not None and cal.kernel_curves is not None else BASIS_PORTABLE


def peak_per_s(spec: HardwareSpec, curve: str) -> float:
    """The datasheet peak a curve's work is done at: bf16 Tensor-Core FLOP/s, FP32 CUDA-core FLOP/s or memory
    bytes/s."""
    if CURVES[curve].work_unit == "flops":
        return spec.tensor_core_bf16_tflops.value * TERA
    if CURVES[curve].work_unit == "cuda_flops":
        return spec.cuda_core_fp32_tflops.value * TERA
    return spec.memory_bandwidth_tbps.value * TERA


def _clock_hz(spec: HardwareSpec) -> float | None:
    return None if spec.boost_clock_mhz is None else spec.boost_clock_mhz.value * MEGA


def curve_shape(curve: KernelCurve, *, peak_per_s: float, clock_mhz: float) -> CurveShape:
    """A measured curve's efficiency, fixed cost in cycles and shape, on a GPU of ``peak_per_s`` and
    ``clock_mhz``."""
    first, last = curve.points[0], curve.points[-1]
    rate = last.work / (last.us * MICRO)
    tau = first.us * MICRO
    scale = rate * tau
    return CurveShape(
        efficiency=rate / peak_per_s,
        fixed_cycles=tau * clock_mhz * MEGA,
        u=tuple(p.work / scale for p in curve.points),
        y=tuple(p.us * MICRO / tau for p in curve.points),
    )


def _shape_y(shape: CurveShape, u: float) -> float:
    """``y(u)`` with :func:`curve_seconds`' rules (constant below the first point, linear past the last)."""
    us, ys = shape.u, shape.y
    if u <= us[0]:
        return ys[0]
    if u >= us[-1]:
        return ys[-1] * u / us[-1]
    hi = bisect.bisect_right(us, u)
    lo = hi - 1
    f = (math.log(u) - math.log(us[lo])) / (math.log(us[hi]) - math.log(us[lo]))
    return math.exp(math.log(ys[lo]) + f * (math.log(ys[hi]) - math.log(ys[lo])))


def learned_shape(shapes: Sequence[CurveShape]) -> CurveShape:
    """The references' shapes combined: geometric means of the efficiencies, fixed cycles and ``y`` on the union
    of their ``u`` points, the mean of their issue cycles (one reference: that reference's shape).

    Example
    -------
    >>> a = CurveShape(efficiency=0.5, fixed_cycles=1000.0, u=(1.0, 10.0), y=(1.0, 10.0))
    >>> b = CurveShape(efficiency=0.8, fixed_cycles=4000.0, u=(1.0, 10.0), y=(1.0, 10.0))
    >>> s = learned_shape([a, b])
    >>> round(s.efficiency, 4), round(s.fixed_cycles, 6), s.u
    (0.6325, 2000.0, (1.0, 10.0))
    """
    if not shapes:
        raise ValueError("learned_shape: needs at least one reference")
    if len(shapes) == 1:
        return shapes[0]
    grid = tuple(sorted({u for s in shapes for u in s.u}))
    return CurveShape(
        efficiency=statistics.geometric_mean(s.efficiency for s in shapes),
        fixed_cycles=statistics.geometric_mean(s.fixed_cycles for s in shapes),
        u=grid,
        y=tuple(statistics.geometric_mean(_shape_y(s, u) for s in shapes) for u in grid),
        peak_efficiency=statistics.geometric_mean(_peak_efficiency(s) for s in shapes),
        issue_cycles=statistics.fmean(s.issue_cycles for s in shapes),
    )


def _peak_efficiency(shape: CurveShape) -> float:
    return shape.efficiency if shape.peak_efficiency is None else shape.peak_efficiency


def split_issue(shape: CurveShape, *, bound_efficiency: float, peak_per_s: float, sm_clock_hz: float) -> CurveShape:
    """``shape`` with its asymptotic time per unit split into the time at ``bound_efficiency`` of the peak (a
    device copy's, for byte curves: what the memory itself allows) and the rest, in SM-cycles per unit
    (``sm_clock_hz``: SM count x clock), which scales with a GPU's SMs and clock instead of its peak::

        1 / rate = 1 / (e_p * P) + s / (SMs * f)        s = max(0, 1 / rate_ref - 1 / (e_p * P_ref)) * SMs_ref f_ref

    A curve at least as efficient as the bound keeps its own efficiency and no issue cycles.

    Example
    -------
    >>> shape = CurveShape(efficiency=0.25, fixed_cycles=1.0, u=(1.0, 2.0), y=(1.0, 2.0))  # 0.25 of P = 4 B/s
    >>> split = split_issue(shape, bound_efficiency=0.5, peak_per_s=4.0, sm_clock_hz=10.0)
    >>> split.peak_efficiency, split.issue_cycles  # 1/1 - 1/2 = 0.5 s/B beyond the memory's, x 10 SM-cycles/s
    (0.5, 5.0)
    """
    extra = 1.0 / (shape.efficiency * peak_per_s) - 1.0 / (bound_efficiency * peak_per_s)
    if extra <= 0:
        return evolve(shape, peak_efficiency=shape.efficiency, issue_cycles=0.0)
    return evolve(shape, peak_efficiency=bound_efficiency, issue_cycles=extra * sm_clock_hz)


def asymptotic_rate(shape: CurveShape, *, peak_per_s: float, sm_clock_hz: float | None) -> float:
    """Units per second of the largest kernels on a GPU of ``peak_per_s`` and ``sm_clock_hz`` (SMs x clock;
    ``None``: the issue part at the references' own SM-cycles, :data:`REFERENCE_SM_CLOCK_HZ`)."""
    per_unit = 1.0 / (_peak_efficiency(shape) * peak_per_s)
    if shape.issue_cycles > 0:
        per_unit += shape.issue_cycles / (REFERENCE_SM_CLOCK_HZ if sm_clock_hz is None else sm_clock_hz)
    return 1.0 / per_unit


def instantiate(
    shape: CurveShape, *, peak_per_s: float, clock_mhz: float | None, sm_count: float | None = None
) -> KernelCurve:
    """The curve ``shape`` gives a GPU of ``peak_per_s``, ``clock_mhz`` (``None``: see :func:`fixed_seconds`) and
    ``sm_count`` (:func:`asymptotic_rate`); sizes that round to the same whole work are kept once."""
    tau = fixed_seconds(shape, clock_mhz)
    sm_clock = None if clock_mhz is None or sm_count is None else sm_count * clock_mhz * MEGA
    rate = asymptotic_rate(shape, peak_per_s=peak_per_s, sm_clock_hz=sm_clock)
    points: list[CurvePoint] = []
    for u, y in zip(shape.u, shape.y, strict=True):
        work = max(1, round(u * rate * tau))
        if points and work <= points[-1].work:
            continue
        points.append(CurvePoint(work=work, us=y * tau / MICRO))
    if len(points) < 2:
        raise ValueError("instantiate: the curve collapsed to fewer than 2 distinct sizes")
    return KernelCurve(points=tuple(points))


def fixed_seconds(shape: CurveShape, clock_mhz: float | None) -> float:
    """The fixed cost on a GPU of ``clock_mhz``: ``fixed_cycles / clock``; without a clock, the references'
    own fixed cost (their cycles at :data:`REFERENCE_CLOCK_MHZ`)."""
    return shape.fixed_cycles / ((REFERENCE_CLOCK_MHZ if clock_mhz is None else clock_mhz) * MEGA)


REFERENCE_CLOCK_MHZ = 1980.0
"""The clock a portable entry without a ``boost_clock_mhz`` is taken to run at: the calibrated GPUs' (H100 SXM
and H200, 1,980 MHz boost), so that it keeps their fixed costs in seconds."""
REFERENCE_SM_CLOCK_HZ = 132 * REFERENCE_CLOCK_MHZ * MEGA
"""SM count x clock of a portable entry without ``sm_count`` or ``boost_clock_mhz``: the calibrated GPUs' (132
SMs at 1,980 MHz)."""
BOUND_CURVE = "copy"
"""The byte curve whose efficiency bounds every byte curve's memory part (:func:`split_issue`): a device copy,
the most the memory gives a kernel."""


def _require_clock(spec: HardwareSpec) -> float:
    clock = _clock_hz(spec)
    if clock is None:
        raise ValueError(f"{spec.name}: a reference GPU needs boost_clock_mhz")
    return clock / MEGA


def curve_shapes(reference: HardwareSpec) -> dict[str, CurveShape]:
    """Every curve a calibrated GPU measured, in GPU-independent terms (an optional curve it lacks is absent)."""
    cal = reference.calibration
    if cal is None or cal.kernel_curves is None:
        raise ValueError(f"{reference.name}: not a calibrated GPU (no calibration.kernel_curves)")
    clock = _require_clock(reference)
    if reference.sm_count is None:
        raise ValueError(f"{reference.name}: a reference GPU needs sm_count")
    sm_clock = reference.sm_count.value * clock * MEGA
    measured = {name: getattr(cal.kernel_curves, name) for name in CURVE_NAMES}
    shapes = {
        name: curve_shape(curve, peak_per_s=peak_per_s(reference, name), clock_mhz=clock)
        for name, curve in measured.items()
        if curve is not None
    }
    bound = shapes[BOUND_CURVE].efficiency
    return {
        name: split_issue(shape, bound_efficiency=bound, peak_per_s=peak_per_s(reference, name), sm_clock_hz=sm_clock)
        if CURVES[name].work_unit == "bytes"
        else shape
        for name, shape in shapes.items()
    }


def tensor_rate_per_sm_clock(spec: HardwareSpec) -> float | None:
    """Dense bf16 Tensor-Core FLOPs per SM per clock cycle from the datasheet, ``P / (SMs f)`` (``None`` without
    ``sm_count`` or ``boost_clock_mhz``).

    Example
    -------
    >>> round(tensor_rate_per_sm_clock(load_hardware("l40s")), 1)  # 362.05 TFLOP/s / (142 SMs x 2,490 MHz)
    1024.0
    """
    clock = _clock_hz(spec)
    if clock is None or spec.sm_count is None:
        return None
    return spec.tensor_core_bf16_tflops.value * TERA / (spec.sm_count.value * clock)


def wave_stretch(shape: CurveShape, g: float) -> CurveShape:
    """``shape`` on a GPU whose SMs do ``1 / g`` of the references' Tensor-Core work per clock.

    A matrix kernel's work comes in tiles, one per SM at a time: it reaches its asymptotic rate once it has
    enough tiles to fill every SM, i.e. at a work proportional to the SM count, not to the peak. In units of
    ``u`` (work over ``e P tau``, with ``P`` proportional to SMs x FLOPs per SM-clock) the knee therefore moves
    to ``g`` times the references' ``u``, and the time above the fixed cost that a wave of tiles takes grows by
    the same ``g``::

        y_T(u) = 1 + g (y(u / g) - 1)

    which keeps the fixed cost (``y -> 1`` for small ``u``) and the asymptotic rate (slope 1 in ``u``).

    Example
    -------
    >>> s = CurveShape(efficiency=0.5, fixed_cycles=1.0, u=(1.0, 10.0), y=(1.0, 11.0))
    >>> t = wave_stretch(s, 4.0)  # SMs a quarter as fast: the knee at 4x the work, each wave 4x as long
    >>> t.u, t.y
    ((4.0, 40.0), (1.0, 41.0))
    """
    if g == 1.0:
        return shape
    return evolve(shape, u=tuple(g * u for u in shape.u), y=tuple(1.0 + g * (y - 1.0) for y in shape.y))


def portable_curves(
    spec: HardwareSpec, references: Sequence[HardwareSpec], *, architecture: bool = True
) -> KernelCurves:
    """The kernel-time curves of ``spec`` from its datasheet and the ``references``' measured curves.

    The Tensor-Core (FLOP) curves take the references' shape stretched by :func:`wave_stretch` (the ratio of
    the references' FLOPs per SM-clock to ``spec``'s) and, with ``architecture``, the matrix curves' efficiency
    divided by :func:`architecture_factor` (learned from other GPUs of ``spec``'s Tensor-Core class).

    Example
    -------
    >>> h100, h200 = load_hardware("h100-sxm"), load_hardware("h200")
    >>> c = portable_curves(h100, [h200])  # the H100 from the H200 alone
    >>> round(c.copy.points[-1].work / (c.copy.points[-1].us * 1e-6) / 1e12, 3)  # H200's 0.881 of 3.35 TB/s
    2.95
    """
    per_ref = [curve_shapes(r) for r in references]
    clock = None if spec.boost_clock_mhz is None else spec.boost_clock_mhz.value
    sms = None if spec.sm_count is None else spec.sm_count.value
    rate = tensor_rate_per_sm_clock(spec)
    ref_rates = [tensor_rate_per_sm_clock(r) for r in references]
    g = 1.0
    if rate is not None and all(r is not None for r in ref_rates):
        g = statistics.geometric_mean(r for r in ref_rates if r is not None) / rate
    factor = architecture_factor(spec, references).factor if architecture else 1.0
    curves: dict[str, KernelCurve | None] = {}
    for name in CURVE_NAMES:
        measured = [s[name] for s in per_ref if name in s]
        if not measured:  # an optional curve no reference measured: timed on its fallback
            curves[name] = None
            continue
        shape = learned_shape(measured)
        if CURVES[name].work_unit == "flops":
            shape = wave_stretch(shape, g)
        if name in ARCHITECTURE_CURVES and factor != 1.0:
            shape = evolve(shape, efficiency=shape.efficiency / factor, peak_efficiency=None)
        curves[name] = instantiate(shape, peak_per_s=peak_per_s(spec, name), clock_mhz=clock, sm_count=sms)
    names = ", ".join(r.name for r in references)
    return KernelCurves(
        **curves,  # type: ignore[arg-type]
        how_measured=(
            f"portable (llm_perf_opt.hardware.portable): the curves measured on {names}, as efficiency of the "
            f"datasheet peak, fixed cost in clock cycles and shape, instantiated with {spec.name}'s datasheet peaks, "
            f"boost clock and Tensor-Core rate per SM-clock; matrix efficiency / {factor:.3f} for its Tensor-Core "
            "class; not measured on this GPU"
        ),
        measured_on="",
    )


# --- Architecture: the Tensor-Core class and its efficiency, learned from other GPUs' measured GEMMs ---

TENSOR_CORE_CLASSES: dict[int, str] = {8: "mma.sync", 9: "wgmma", 10: "tcgen05", 12: "mma.sync"}
"""Compute-capability major -> the Tensor-Core instruction a bf16 GEMM library uses there (NVIDIA's PTX ISA:
``wgmma`` needs sm_90a, ``tcgen05`` sm_100a/sm_101a; Ampere sm_80/86, Ada sm_89 and the GB20x parts sm_120 run
the warp-level ``mma.sync``). How near the datasheet peak cuBLAS gets depends on it."""
ARCHITECTURE_CURVES: tuple[str, ...] = ("matmul", "grouped_matmul")
"""The curves whose efficiency the architecture factor scales (the matrix products; attention keeps the
references' efficiency: see :func:`architecture_factor`)."""
AIC_EXTRACT = "points.json"
"""NVIDIA aiconfigurator-core's measured latencies, extracted to ``conf/aiconfigurator/points.json``
(``scripts/aiconfigurator/extract_points.py``)."""
BF16_BYTES = 2
COMPUTE_BOUND_FIXED_COSTS = 3.0
"""A GEMM point teaches the architecture factor when its predicted time is compute-bound and at least this many
times the matmul curve's fixed cost (past the knee, where efficiency, not latency, sets the time)."""


def tensor_core_class(spec: HardwareSpec) -> str | None:
    """The Tensor-Core class of ``spec`` (:data:`TENSOR_CORE_CLASSES`), ``None`` when unknown.

    Example
    -------
    >>> [tensor_core_class(load_hardware(n)) for n in ("a100-80gb", "h200", "b200", "l40s")]
    ['mma.sync', 'wgmma', 'tcgen05', 'mma.sync']
    """
    cc = spec.compute_capability
    if not cc:
        return None
    return TENSOR_CORE_CLASSES.get(int(str(cc).split(".")[0]))


def gemm_work(*, m: int, n: int, k: int) -> tuple[int, int]:
    """(Tensor-Core FLOPs, bytes) of ``y[m, n] = x[m, k] @ W[n, k]^T`` in bf16.

    Example
    -------
    >>> gemm_work(m=2, n=3, k=4)
    (48, 52)
    """
    return 2 * m * n * k, BF16_BYTES * (m * k + k * n + m * n)


def _gemm_seconds(curves: KernelCurves, m: int, n: int, k: int) -> tuple[float, float]:
    flops, io = gemm_work(m=m, n=n, k=k)
    return kind_seconds(curves, "gemm", flops, io)


@functools.cache
def aiconfigurator_extract() -> dict[str, Any]:
    """The packaged aiconfigurator-core extract (:data:`AIC_EXTRACT`), read once; callers must not modify it."""
    data: dict[str, Any] = json.loads((conf_dir("aiconfigurator") / AIC_EXTRACT).read_text(encoding="utf-8"))
    return data


@functools.cache
def aiconfigurator_gemms() -> dict[str, tuple[tuple[int, int, int, float], ...]]:
    """``hardware name -> ((m, n, k, seconds), ...)``: aiconfigurator-core's measured bf16 GEMMs (packaged)."""
    data = aiconfigurator_extract()
    return {
        name: tuple((p["m"], p["n"], p["k"], p["latency_ms"] * 1e-3) for p in gpu["gemm"])
        for name, gpu in data["gpus"].items()
    }


def measured_architecture_ratio(
    gpu: HardwareSpec, references: Sequence[HardwareSpec], gemms: dict[str, tuple[tuple[int, int, int, float], ...]]
) -> float | None:
    """How much slower ``gpu``'s measured GEMMs run than the portable model (without the architecture factor)
    predicts, relative to the same for the ``references`` on their own curves::

        ratio = gmean_p [t_meas(gpu, p) / t_pred(gpu, p)] / gmean_p [gmean_r t_meas(r, p) / t_pred(r, p)]

    over the points ``p`` where ``gpu``'s prediction is compute-bound past the knee
    (:data:`COMPUTE_BOUND_FIXED_COSTS`) and every reference was measured; dividing by the references' ratio at
    the same points removes what the measuring framework's kernels differ from the curves' by on every GPU.
    ``None`` when ``gpu`` or a reference has no measured GEMMs, or no point qualifies.
    """
    if gpu.name not in gemms or any(r.name not in gemms for r in references):
        return None
    curves = portable_curves(gpu, references, architecture=False)
    ref_curves = [_own_curves(r) for r in references]
    ref_points = [{(m, n, k): t for m, n, k, t in gemms[r.name]} for r in references]
    fixed = curves.matmul.points[0].us * MICRO
    ratios = []
    for m, n, k, t in gemms[gpu.name]:
        compute, memory = _gemm_seconds(curves, m, n, k)
        if compute < memory or compute < COMPUTE_BOUND_FIXED_COSTS * fixed:
            continue
        if any((m, n, k) not in pts for pts in ref_points):
            continue
        ref = statistics.geometric_mean(
            pts[(m, n, k)] / max(_gemm_seconds(c, m, n, k)) for pts, c in zip(ref_points, ref_curves, strict=True)
        )
        ratios.append(t / max(compute, memory) / ref)
    return statistics.geometric_mean(ratios) if ratios else None


def _own_curves(spec: HardwareSpec) -> KernelCurves:
    cal = spec.calibration
    if cal is None or cal.kernel_curves is None:
        raise ValueError(f"{spec.name}: not a calibrated GPU (no calibration.kernel_curves)")
    return cal.kernel_curves


@define(frozen=True, kw_only=True)
class ArchitectureFactor:
    """The architecture factor of one GPU: how much slower its large matrix products run than the references'
    efficiencies say, and where that comes from.

    Example
    -------
    >>> ArchitectureFactor(factor=1.0, tensor_class="wgmma", learned_from=(), basis="the references' class").factor
    1.0
    """

    factor: float
    tensor_class: str | None
    learned_from: tuple[tuple[str, float], ...]
    """``(gpu, measured ratio)`` of each GPU the factor is the geometric mean of."""
    basis: str
    """``the references' class``, ``same class``, ``fallback: ...`` or ``none``."""


def combine_architecture(
    target: str, target_class: str | None, reference_classes: Sequence[str | None], ratios: dict[str, tuple[str, float]]
) -> ArchitectureFactor:
    """The factor of ``target`` from the other GPUs' measured ratios (``gpu -> (class, ratio)``; ``target``'s
    own is never used): 1 when a reference shares its class (their efficiencies are that class's); else the
    geometric mean over the other GPUs of its class; with none, over every other GPU outside the references'
    classes (the fallback); with none either, 1.

    Example
    -------
    >>> r = {"a": ("mma.sync", 1.2), "b": ("mma.sync", 1.05), "c": ("tcgen05", 1.1)}
    >>> f = combine_architecture("a", "mma.sync", ["wgmma"], r)  # a's own 1.2 is left out: b's 1.05
    >>> f.factor, f.learned_from, f.basis
    (1.05, (('b', 1.05),), 'same class')
    >>> round(combine_architecture("c", "tcgen05", ["wgmma"], r).factor, 4)  # no other tcgen05: sqrt(1.2 x 1.05)
    1.1225
    """
    if target_class is not None and target_class in reference_classes:
        return ArchitectureFactor(factor=1.0, tensor_class=target_class, learned_from=(), basis="the references' class")
    others = {g: v for g, v in ratios.items() if g != target}
    same = tuple((g, r) for g, (c, r) in sorted(others.items()) if target_class is not None and c == target_class)
    basis = "same class"
    if not same:
        same = tuple((g, r) for g, (c, r) in sorted(others.items()) if c not in reference_classes)
        basis = "fallback: no other GPU of its class; every other GPU outside the references' classes"
    if not same:
        return ArchitectureFactor(factor=1.0, tensor_class=target_class, learned_from=(), basis="none")
    factor = statistics.geometric_mean(r for _, r in same)
    return ArchitectureFactor(factor=factor, tensor_class=target_class, learned_from=same, basis=basis)


@functools.cache
def measured_architecture_ratios(references: tuple[HardwareSpec, ...]) -> dict[str, tuple[str, float]]:
    """``gpu -> (Tensor-Core class, measured ratio)`` (:func:`measured_architecture_ratio`) for every GPU of
    aiconfigurator-core's data but the ``references``."""
    gemms = aiconfigurator_gemms()
    ref_names = {r.name for r in references}
    out: dict[str, tuple[str, float]] = {}
    for name in sorted(gemms):
        if name in ref_names:
            continue
        spec = load_hardware(name)
        cls = tensor_core_class(spec)
        ratio = measured_architecture_ratio(spec, references, gemms)
        if cls is not None and ratio is not None:
            out[name] = (cls, ratio)
    return out


def architecture_factor(spec: HardwareSpec, references: Sequence[HardwareSpec]) -> ArchitectureFactor:
    """``spec``'s architecture factor (:func:`combine_architecture`) from aiconfigurator-core's measured GEMMs of
    the packaged GPUs other than ``spec`` and the ``references`` (leave one GPU out: a GPU's own measurements
    never set its factor). Attention keeps the references' efficiency: each architecture's measured vision
    attention is another kernel (FlashAttention 2, 3 or 4), so the other GPUs' ratios do not carry.

    Example
    -------
    >>> architecture_factor(load_hardware("h100-sxm"), [load_hardware("h200")]).factor  # same class: none
    1.0
    """
    refs = tuple(references)
    reference_classes = [tensor_core_class(r) for r in refs]
    ratios = measured_architecture_ratios(refs)
    return combine_architecture(spec.name, tensor_core_class(spec), reference_classes, ratios)


@define(frozen=True, kw_only=True)
class HostDefaults:
    """Host constants (microseconds, but for the dimensionless ``host.module.no_grad_factor``) for a GPU without its
    own: the median over the references' hosts, with the smallest and largest each was measured at.

    Example
    -------
    >>> h = host_defaults([load_hardware("h100-sxm"), load_hardware("h200")])
    >>> round(h.median["host.sync_us"], 4), h.low["host.sync_us"], h.high["host.sync_us"]  # 10.7 and 8.652 us
    (9.676, 8.652, 10.7)
    """

    median: dict[str, float]
    low: dict[str, float]
    high: dict[str, float]
    hosts: tuple[str, ...]


def host_defaults(references: Sequence[HardwareSpec]) -> HostDefaults:
    """Median, lowest and highest of each host constant over the references that measured it."""
    median: dict[str, float] = {}
    low: dict[str, float] = {}
    high: dict[str, float] = {}
    for key in HOST_CONSTANTS:
        cals = [r.calibration for r in references if r.calibration is not None]
        values = [v for c in cals if (v := calibration_constant(c, key))]
        if values:
            median[key] = statistics.median(values)
            low[key], high[key] = min(values), max(values)
    return HostDefaults(median=median, low=low, high=high, hosts=tuple(r.name for r in references))


def host_spread(defaults: HostDefaults) -> dict[str, tuple[float, float, float]]:
    """``constant -> (median, lowest, highest)`` (microseconds, but for the dimensionless factor): the spread a
    portable entry's host costs carry."""
    return {k: (defaults.median[k], defaults.low[k], defaults.high[k]) for k in defaults.median}


def completed_curves(spec: HardwareSpec, references: Sequence[HardwareSpec] | None = None) -> KernelCurves:
    """A calibrated entry's measured curves with each optional curve it lacks
    (:data:`~llm_perf_opt.data.kernel_kinds.OPTIONAL_CURVES`) taken from the portable model of the ``references``
    (other than ``spec``; every calibrated GPU when ``None``) that measured it; a curve none of them measured stays
    absent (timed on its fallback, :func:`~llm_perf_opt.hardware.curves.curve_of`). An entry that lacks none is
    returned as it is, without reading the references.

    Example
    -------
    >>> h100 = load_hardware("h100-sxm")  # calibrated before the layer-norm curve existed
    >>> h100.calibration.kernel_curves.layer_norm is None
    True
    >>> completed_curves(h100, calibrated_gpus()).layer_norm is not None  # the H200's, on the H100's datasheet
    True
    """
    cal = spec.calibration
    if cal is None or cal.kernel_curves is None:
        raise ValueError(f"{spec.name}: not a calibrated GPU (no calibration.kernel_curves)")
    own = cal.kernel_curves
    missing = tuple(n for n in OPTIONAL_CURVES if getattr(own, n) is None)
    if not missing:
        return own
    refs = calibrated_gpus() if references is None else references
    return _completed(spec, tuple(r for r in refs if r.name != spec.name), missing)


@functools.cache
def _completed(spec: HardwareSpec, references: tuple[HardwareSpec, ...], missing: tuple[str, ...]) -> KernelCurves:
    own = _own_curves(spec)
    donors = tuple(r for r in references if any(getattr(_own_curves(r), n) is not None for n in missing))
    if not donors:
        return own
    ported = portable_curves(spec, donors, architecture=False)
    filled = {n: getattr(ported, n) for n in missing if getattr(ported, n) is not None}
    note = (
        f" {', '.join(filled)}: not measured on this GPU; portable (llm_perf_opt.hardware.portable) from "
        f"{', '.join(r.name for r in donors)}."
    )
    return evolve(own, **filled, how_measured=own.how_measured + note)


@functools.cache
def calibrated_gpus() -> tuple[HardwareSpec, ...]:
    """The packaged entries with measured kernel-time curves: the portable model's references."""
    return tuple(s for s in (load_hardware(n) for n in list_hardware()) if time_basis(s) == BASIS_CALIBRATED)


def _filled_host(cal: Calibration | None, references: Sequence[HardwareSpec]) -> dict[str, float | None]:
    """Every host constant of ``cal``: its own where measured, else the references' median (:func:`host_defaults`;
    ``None`` where none measured it); an entry that measured ``host.module.launch_us`` without its ``call_us``
    split keeps the unsplit form."""
    median = host_defaults(references).median
    own = {k: None if cal is None else calibration_constant(cal, k) for k in HOST_CONSTANTS}
    unsplit = own["host.module.launch_us"] is not None and own["host.module.call_us"] is None
    return {
        k: v if v is not None or (unsplit and k == "host.module.call_us") else median.get(k) for k, v in own.items()
    }


def completed_calibration(spec: HardwareSpec, references: Sequence[HardwareSpec] | None = None) -> Calibration:
    """A calibrated entry's calibration with what was added to the calibration after it was measured taken from the
    ``references`` (other than ``spec``; every calibrated GPU when ``None``) that measured it: each optional curve
    it lacks (:func:`completed_curves`) and each host constant it lacks (their hosts' median, as a portable entry
    takes it: the H100's ``host.module.no_grad_factor``). An entry that lacks nothing is returned as it is.

    Example
    -------
    >>> h100 = load_hardware("h100-sxm")  # calibrated before the no_grad factor existed
    >>> h100.calibration.host.module.no_grad_factor is None
    True
    >>> completed_calibration(h100).host.module.no_grad_factor  # the H200's, the only host that measured it
    1.062
    """
    cal = spec.calibration
    if cal is None or cal.kernel_curves is None:
        raise ValueError(f"{spec.name}: not a calibrated GPU (no calibration.kernel_curves)")
    curves = completed_curves(spec, references)
    refs = calibrated_gpus() if references is None else references
    host = _filled_host(cal, tuple(r for r in refs if r.name != spec.name))
    missing = {k: v for k, v in host.items() if v is not None and calibration_constant(cal, k) is None}
    if curves is cal.kernel_curves and not missing:
        return cal
    return evolve(with_constants(cal, missing), kernel_curves=curves)


@functools.cache
def portable_calibration(spec: HardwareSpec, references: tuple[HardwareSpec, ...]) -> Calibration:
    """``spec``'s calibration with portable kernel-time curves and, for each host constant the entry did not
    measure, the references' median (:func:`host_defaults`). An entry that measured ``host.module.launch_us``
    without its ``call_us`` split keeps the unsplit form. The rest of its calibration is kept (an entry without one
    gets the roofline's default efficiencies of :mod:`llm_perf_opt.hardware.rates`).

    Example
    -------
    >>> cal = portable_calibration(load_hardware("l40s"), calibrated_gpus())
    >>> cal.measured, cal.kernel_curves is not None, round(cal.host.sync_us, 4)
    (False, True, 9.676)
    """
    cal = spec.calibration
    filled = _filled_host(cal, references)
    curves = portable_curves(spec, references)
    if cal is None:
        cal = Calibration(
            measured=False,
            how_measured="portable: no calibration; the roofline's default efficiencies",
            matmul_efficiency=DEFAULT_MATMUL_EFFICIENCY,
            copy_efficiency=DEFAULT_COPY_EFFICIENCY,
        )
    return evolve(with_constants(cal, filled), kernel_curves=curves)
