"""Kernel time and wall time of a layer tree under a runtime profile, and where the time goes.

**Kernel time.** Each kernel of the inventory (:mod:`llm_perf_opt.kernels.inventory`) takes,
per launch, the larger of its compute time and its memory time. When the hardware entry has
measured kernel-time curves (``calibration.kernel_curves``, ``scripts/gpu/calibrate_curves.py``)
both come from the curves of the kernel's ``kind`` (:mod:`llm_perf_opt.hardware.curves`): the
measured time of a kernel of that kind and size, which includes its fixed cost and the lower
rates of small kernels. An entry without measured curves gets curves from the portable model
(:mod:`llm_perf_opt.hardware.portable`: the calibrated GPUs' curves rescaled to its datasheet). Only
explicit :class:`LaunchCosts` without curves time a kernel by the plain roofline with a floor (the formula
lives in :func:`llm_perf_opt.timing.roofline.piece_seconds`)::

    t_k = max(compute_k, memory_k, t_min)      compute from its FLOPs, memory from its io_bytes

at the GPU's achievable rates (:func:`llm_perf_opt.hardware.rates.achievable_rates`; a kernel
marked ``cuda_cores_only`` has its matrix FLOPs timed at the CUDA-core rate); ``t_min`` is the GPU
time of one tiny kernel run back to back. Kernel time is ``sum calls * t_k``.

**Wall time.** A runtime profile says how each stage is executed (its ``execution``: ``enqueue``,
``module`` or ``graph``, :mod:`llm_perf_opt.data.execution_kinds`) and the hardware entry holds one host-cost
record per kind (``calibration.host``); :class:`LaunchCosts` resolves them, and the stage's kind picks its
record (:meth:`LaunchCosts.eager`, the one place a kind is looked up). In an eager runtime the host enqueues
kernels while the GPU runs earlier ones; a kernel can start only once it is enqueued (``L`` host seconds per
launch) and once the previous one finished, so in steady state each kernel costs ``max(t_k, L)``. ``L`` is the
eager kind's cost per launched kernel plus its cost per Python-level torch call, the call's torch calls ``C``
(:attr:`~llm_perf_opt.kernels.inventory.KernelInventory.torch_calls`) spread evenly over its ``N`` eager
launches, and so is the extra host time ``E_c`` of each call ``n_c`` to an operator whose host cost differs from
the generic call's (:data:`~llm_perf_opt.data.host_ops.HOST_OP_CLASSES`: a biased ``F.linear``, SDPA, an
autocast ``layer_norm``, a sort, an index-tensor gather; the profile's ``host_ops``, the entry's
``host.module.<class>_extra_us``; :meth:`EagerLaunch.per_launch`)::

    L = L_k + (L_c * C + sum_c E_c * n_c) / N      (enqueue: L_c = 0 and no E_c, the bare launch;
                                                    module: L_c = 0 when not measured)

A host synchronization (``.item()``, ``.cpu()``) drains the queue: the
host waits for every queued kernel, then pays a device-to-host round trip ``S``, and the GPU
idles until the next launch, so no work overlaps a sync and its cost simply adds::

    wall = F + sum_eager calls * max(t_k, L) + sum_graph calls * (t_k + g) + graphs * G + syncs * S
    F = max(L, L0) + t_1 - max(t_1, L)

The call starts on an empty queue (the caller waited for the previous step's result), so its
first kernel (``t_1``) starts only after its launch: ``max(L, L0) + t_1`` rather than
``max(t_1, L)``, with ``L0`` the measured host time before the first kernel of an eager call made
after other work (``host.eager_start_us``, shared by both eager kinds; ``L`` when not measured).
Kernels replayed from a CUDA graph have no per-kernel host cost, but each waits ``g`` after its
predecessor ends (``host.graph.kernel_gap_us``); each graph launch costs ``G`` (``host.graph.launch_us``:
the host's replay call while the GPU waits for the graph's first kernel; the bare enqueue's launch
when not measured).

**Where the time goes.** The wall time is split exactly (the parts add up to it) into

``roofline_s``
    the ideal: the layer tree's roofline, one piece per node's own work, no floors, with every
    eager attention core replaced by its flash form (scores kept on chip);
``attention_io_s``
    materialised attention: the unfloored time of the attention cores' kernels minus the
    cores' ideal flash time (eager score passes, fp32 softmax, mask add, layout copies);
``kernel_split_s``
    the rest of the unfloored kernel time over the ideal: work split into several kernels
    and the traffic they add (fp32 intermediates, casts, layout copies), less what fusion
    saves (negative when fused kernels beat the per-layer pieces);
``small_kernel_floor_s``
    kernel time minus unfloored kernel time: what kernels take beyond the plain roofline at the
    large-kernel rates (with curves: fixed costs, small kernels below their kind's asymptotic
    rate, strided and broadcast access; without: kernels shorter than ``t_min``);
``launch_overhead_s``
    eager kernels shorter than the host's launch cost (``max(0, L - t_k)`` each), the first launch
    of the call, graph launches and the gaps between a graph's kernels;
``sync_s``
    ``syncs * S``.

The constants are the hardware entry's measured ``calibration.host`` records: ``L_k`` is
``host.enqueue.launch_us`` for an ``enqueue`` stage, ``host.module.launch_us`` (with ``L_c``,
``host.module.call_us``) for a ``module`` stage, both times ``host.module.no_grad_factor`` when the profile runs
the model under ``torch.no_grad()`` (its ``grad_mode``; the module costs are measured under
``torch.inference_mode()``); ``G`` and ``g`` are ``host.graph.launch_us`` and
``host.graph.kernel_gap_us``; ``S`` and ``L0`` the shared ``host.sync_us`` and ``host.eager_start_us``; ``t_min``
the GPU floor ``calibration.min_kernel_us`` (``scripts/gpu/calibrate.py``; the module costs and the eager start
from ``scripts/gpu/measure_stages.py``'s host cases; the graph costs from ``scripts/gpu/calibrate_graphs.py``),
else the defaults below.

Example
-------
>>> from modelmeter.layers import Linear
>>> costs = LaunchCosts(enqueue=EagerLaunch(launch_s=5e-6), min_kernel_s=2e-6, sync_s=1e-5, measured=False,
...                     module=EagerLaunch(launch_s=5e-6))
>>> rt = layer_runtime(Linear(tokens=1, in_features=64, out_features=64), "h100-sxm", "hf-eager", costs=costs)
>>> rt.kernel_launches, round(rt.predicted_kernel_s * 1e6, 3), round(rt.predicted_wall_s * 1e6, 3)
(1, 2.0, 7.0)
>>> check_shares(rt)
True
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Any, cast

from attrs import Factory, define, evolve, field

from llm_perf_opt.data.execution_kinds import EAGER_EXECUTION
from llm_perf_opt.data.hardware import AchievableRates, HardwareSpec, HostCosts, KernelCurves
from llm_perf_opt.data.host_ops import HOST_OP_CLASSES
from llm_perf_opt.data.planning import BASIS_PORTABLE
from llm_perf_opt.data.runtime_profile import GRAD_MODES, INFERENCE_MODE, NO_GRAD, GenerateLoop, RuntimeProfile
from llm_perf_opt.hardware.curves import kind_seconds
from llm_perf_opt.hardware.portable import calibrated_gpus, completed_calibration, portable_calibration, time_basis
from llm_perf_opt.hardware.rates import achievable_rates
from llm_perf_opt.hardware.registry import load_hardware
from llm_perf_opt.kernels.inventory import InventoryCache, KernelInventory, KernelRecord, kernel_inventory
from llm_perf_opt.kernels.profiles import load_runtime
from llm_perf_opt.timing.roofline import Bound, PieceTime, piece_seconds, roofline_pieces
from modelmeter.layers.base import BaseLayer
from modelmeter.models.families import OCRModel

MICRO = 1e-6

DEFAULT_LAUNCH_OVERHEAD_US = 5.0
"""Host time to enqueue one kernel from PyTorch eager when the hardware entry has no measured
``host.enqueue.launch_us``. The CUDA driver and runtime path of one launch takes about 4-6 us on a
current host CPU (measured in the pegainfer CUDA-graph series, part 1, on an RTX 5070 Ti host);
PyTorch's dispatcher adds to it, so 5 us is a floor-side value until ``scripts/gpu/calibrate.py``
has run on the target machine (its ``launch`` measurement: ``x.add_(1)`` enqueue time)."""

DEFAULT_MIN_KERNEL_US = 2.0
"""GPU time of one tiny kernel run back to back when not measured (``calibration.min_kernel_us``): about
1-2 us per kernel on Hopper/Ampere including the gap between kernels, the order of magnitude
``calibrate.py``'s CUDA-graph replay of ``x.add_(1)`` kernels measures; a default pending it."""

DEFAULT_MODULE_LAUNCH_US = 28.75
"""Host time per launched kernel of eager transformers module code when not measured
(``host.module.launch_us``): the module calls, tensor views, dispatch and launch around each kernel.
transformers' LlamaModel at toy size (eager and SDPA attention) cost 21.4, 21.49, 23.4, 24.63, 25.56,
28.75, 29.32, 33.15, 33.17, 35.05 and 39.13 us per kernel on eleven leases of this workplace's H100 hosts
in one day (``scripts/gpu/measure_stages.py``'s host cases); 28.75 us, their median, is the default pending
a measurement on the target host."""

DEFAULT_MODULE_CALL_US = 0.0
"""Host time per Python-level torch call of eager module code when not measured (``host.module.call_us``):
none, so that the host cost of module code is :data:`DEFAULT_MODULE_LAUNCH_US` per launched kernel, the
form those eleven leases were measured in, until ``measure_stages.py``'s host cases split it on the target
host."""

DEFAULT_SYNC_US = 10.0
"""Host cost of one device-to-host round trip on an idle queue (``.item()`` of a ready scalar)
when not measured (``host.sync_us``): a PCIe round trip plus the driver's wait, about 10 us; a
default pending ``calibrate.py``'s ``sync`` measurement."""

SHARE_NAMES: tuple[str, ...] = (
    "roofline_s",
    "attention_io_s",
    "kernel_split_s",
    "small_kernel_floor_s",
    "launch_overhead_s",
    "sync_s",
)
"""The parts of :meth:`StageRuntime.shares`, in the order they build up to the wall time."""


@define(frozen=True, kw_only=True)
class EagerLaunch:
    """What the host pays for one eager execution kind (``enqueue`` or ``module``), in seconds: per launched
    kernel (``launch_s``), per Python-level torch call (``call_s``; 0 for the bare enqueue, which makes none),
    and before the first kernel of a call made after other work when measured (``start_s``).

    Example
    -------
    >>> e = EagerLaunch(launch_s=10e-6, call_s=4e-6, start_s=60e-6)
    >>> round(e.per_launch(torch_calls=30, launches=10) * 1e6, 6), round(e.first_launch(22e-6) * 1e6, 6)
    (22.0, 60.0)
    """

    launch_s: float
    call_s: float = 0.0
    start_s: float | None = None
    op_extra_s: dict[str, float] = field(factory=dict)
    """Extra host seconds per call of each operator class with its own host cost
    (:data:`~llm_perf_opt.data.host_ops.HOST_OP_CLASSES`; a class left out costs nothing extra)."""

    def calls_seconds(self, torch_calls: int, op_calls: dict[str, int] | None = None) -> float:
        """Host seconds of ``torch_calls`` Python-level torch calls, among them ``op_calls`` (operator class ->
        calls) of classes with their own extra cost: ``call_s * torch_calls + sum_c extra_c * op_calls_c``.

        Example
        -------
        >>> e = EagerLaunch(launch_s=1e-5, call_s=4e-6, op_extra_s={"sdpa": 2e-5})
        >>> round(e.calls_seconds(5, {"sdpa": 3, "sort": 1}) * 1e6, 9)  # 5 x 4 + 3 x 20; sort costs nothing extra
        80.0
        """
        extra = sum(n * self.op_extra_s.get(c, 0.0) for c, n in (op_calls or {}).items())
        return self.call_s * torch_calls + extra

    def per_launch(self, *, torch_calls: int, launches: int, op_calls: dict[str, int] | None = None) -> float:
        """Host seconds per eager launch of a call with ``torch_calls`` Python-level torch calls and the operator
        calls ``op_calls`` (class -> calls, :meth:`calls_seconds`) spread evenly over its ``launches`` (``launch_s``
        alone when it has none)::

            L = launch_s + (call_s * torch_calls + sum_c extra_c * op_calls_c) / launches
        """
        if not launches:
            return self.launch_s
        return self.launch_s + self.calls_seconds(torch_calls, op_calls) / launches

    def first_launch(self, per_launch: float) -> float:
        """Host seconds before an eager call's first kernel runs: the host cost of a kernel
        (``per_launch``), or the measured ``start_s`` when that is longer (a host coming from
        other work is slower to reach the call's first launch)."""
        return per_launch if self.start_s is None else max(per_launch, self.start_s)

    @property
    def torch_call_s(self) -> float:
        """Host seconds of one Python-level torch call outside the modules' kernels: ``call_s``, or, where
        the host cost was not split into calls and launches, ``launch_s`` (one call with its launch)."""
        return self.call_s if self.call_s > 0 else self.launch_s


@define(frozen=True, kw_only=True)
class GraphLaunch:
    """What a CUDA-graph replay costs beyond its kernels, in seconds: per launch (``launch_s``) and between
    consecutive kernels of the replay (``kernel_gap_s``).

    Example
    -------
    >>> GraphLaunch(launch_s=28e-6, kernel_gap_s=0.24e-6).kernel_gap_s
    2.4e-07
    """

    launch_s: float
    kernel_gap_s: float = 0.0


def _default_module(costs: LaunchCosts) -> EagerLaunch:
    return EagerLaunch(
        launch_s=DEFAULT_MODULE_LAUNCH_US * MICRO, call_s=DEFAULT_MODULE_CALL_US * MICRO, start_s=costs.enqueue.start_s
    )


def _default_graph(costs: LaunchCosts) -> GraphLaunch:
    return GraphLaunch(launch_s=costs.enqueue.launch_s)


@define(frozen=True, kw_only=True)
class LaunchCosts:
    """Fixed costs of running kernels: one record per execution kind (``enqueue``, ``module``, ``graph``:
    :data:`~llm_perf_opt.data.execution_kinds.EXECUTION_KINDS`, the hardware entry's ``calibration.host``), the
    GPU floor per kernel (``min_kernel_s``), seconds per host sync (``sync_s``), and whether they were measured.
    A stage's eager launches pay :meth:`eager` of its kind, its graph replays ``graph``.

    Example
    -------
    >>> c = launch_costs(load_hardware("l4"))  # not calibrated: portable curves, the calibrated hosts' medians
    >>> round(c.enqueue.launch_s * 1e6, 3), round(c.min_kernel_s * 1e6, 3), round(c.sync_s * 1e6, 3), c.measured
    (9.094, 0.947, 9.676, False)
    >>> round(c.eager("module").launch_s * 1e6, 3), c.curves is not None
    (11.241, True)
    """

    enqueue: EagerLaunch
    """Eager launches through the bare enqueue."""
    min_kernel_s: float
    sync_s: float
    measured: bool
    """True only when the enqueue launch, the floor and the sync come from the hardware entry's measured
    calibration."""
    module: EagerLaunch = field(default=Factory(_default_module, takes_self=True))
    """Eager Python module code (default: :data:`DEFAULT_MODULE_LAUNCH_US` per kernel, nothing per call)."""
    graph: GraphLaunch = field(default=Factory(_default_graph, takes_self=True))
    """CUDA-graph replays (default: the bare enqueue's launch per replay, no gap)."""
    curves: KernelCurves | None = None
    """The hardware's measured kernel-time curves; when present they time each kernel instead of
    the large-kernel rates and ``min_kernel_s``."""
    module_no_grad_factor: float = 1.0
    """Eager module code's host cost under ``torch.no_grad()`` over its cost under ``torch.inference_mode()``,
    where ``module`` was measured (``host.module.no_grad_factor``; 1 when no GPU measured it)."""

    def eager(self, kind: str, grad_mode: str = INFERENCE_MODE) -> EagerLaunch:
        """The record of an eager execution kind (:data:`~llm_perf_opt.data.execution_kinds.EAGER_EXECUTION`) for
        code run in ``grad_mode`` (:data:`~llm_perf_opt.data.runtime_profile.GRAD_MODES`): ``module``'s costs per
        launch and per torch call times :attr:`module_no_grad_factor` under ``no_grad`` (the operator classes'
        extra costs were measured under ``no_grad`` and stay as they are).

        Example
        -------
        >>> c = LaunchCosts(enqueue=EagerLaunch(launch_s=5e-6), min_kernel_s=2e-6, sync_s=1e-5, measured=False,
        ...                 module=EagerLaunch(launch_s=1e-5, call_s=4e-6, start_s=6e-5), module_no_grad_factor=1.1)
        >>> m = c.eager("module", "no_grad")
        >>> round(m.launch_s * 1e6, 6), round(m.call_s * 1e6, 6), round(m.start_s * 1e6, 6)
        (11.0, 4.4, 60.0)
        >>> c.eager("enqueue", "no_grad") is c.enqueue, c.eager("module") is c.module
        (True, True)
        """
        if kind not in EAGER_EXECUTION:
            raise ValueError(f"unknown eager execution kind {kind!r}; allowed: {', '.join(EAGER_EXECUTION)}")
        if grad_mode not in GRAD_MODES:
            raise ValueError(f"unknown grad mode {grad_mode!r}; allowed: {', '.join(GRAD_MODES)}")
        record: EagerLaunch = getattr(self, kind)
        if kind == "module" and grad_mode == NO_GRAD and self.module_no_grad_factor != 1.0:
            f = self.module_no_grad_factor
            return evolve(record, launch_s=record.launch_s * f, call_s=record.call_s * f)
        return record


def _us(value: float | None, default: float) -> float:
    """Seconds of a microsecond constant, ``default`` (microseconds) when not measured."""
    return (default if value is None else value) * MICRO


def launch_costs(spec: HardwareSpec, references: Sequence[HardwareSpec] | None = None) -> LaunchCosts:
    """The hardware entry's kernel-time curves and its host costs per execution kind, floor and sync.

    A calibrated entry (measured ``kernel_curves``; :func:`~llm_perf_opt.hardware.portable.time_basis`) gives
    its own, and what it did not measure from the other calibrated GPUs that did: each optional curve from their
    portable model, each host constant their hosts' median
    (:func:`~llm_perf_opt.hardware.portable.completed_calibration`); the defaults above where none measured it.
    Any other entry gets the portable model's curves
    and, for each constant it did not measure, the median of the calibrated GPUs' hosts
    (:func:`~llm_perf_opt.hardware.portable.portable_calibration`); ``references`` replaces the calibrated GPUs
    it learns from (every packaged entry with measured curves when ``None``).
    """
    if time_basis(spec) == BASIS_PORTABLE:
        refs = calibrated_gpus() if references is None else tuple(references)
        spec = evolve(spec, calibration=portable_calibration(spec, refs))
    elif spec.calibration is not None and spec.calibration.kernel_curves is not None:
        completed = completed_calibration(spec, references)  # what the calibration gained after this GPU's
        if completed is not spec.calibration:
            spec = evolve(spec, calibration=completed)
    cal = spec.calibration
    host = HostCosts() if cal is None else cal.host
    floor = None if cal is None else cal.min_kernel_us
    start = None if host.eager_start_us is None else host.eager_start_us * MICRO
    enqueue = EagerLaunch(launch_s=_us(host.enqueue.launch_us, DEFAULT_LAUNCH_OVERHEAD_US), start_s=start)
    return LaunchCosts(
        enqueue=enqueue,
        min_kernel_s=_us(floor, DEFAULT_MIN_KERNEL_US),
        sync_s=_us(host.sync_us, DEFAULT_SYNC_US),
        measured=cal is not None and cal.measured and None not in (host.enqueue.launch_us, floor, host.sync_us),
        module=EagerLaunch(
            launch_s=_us(host.module.launch_us, DEFAULT_MODULE_LAUNCH_US),
            call_s=_us(host.module.call_us, DEFAULT_MODULE_CALL_US),
            start_s=start,
            op_extra_s={c: v * MICRO for c in HOST_OP_CLASSES if (v := host.module.op_extra_us(c)) is not None},
        ),
        graph=GraphLaunch(
            launch_s=enqueue.launch_s if host.graph.launch_us is None else host.graph.launch_us * MICRO,
            kernel_gap_s=_us(host.graph.kernel_gap_us, 0.0),
        ),
        curves=None if cal is None else cal.kernel_curves,
        module_no_grad_factor=1.0 if host.module.no_grad_factor is None else host.module.no_grad_factor,
    )


@define(frozen=True, kw_only=True)
class KernelTime:
    """Time of one kernel record: per launch with the floor (``seconds``) and without it
    (``roofline_seconds``), and what bounds it.

    Example
    -------
    >>> from llm_perf_opt.kernels.inventory import KernelRecord
    >>> r = KernelRecord(path="a", layer_class="Linear", kernel="gemm", calls=2, work={}, io_bytes=0)
    >>> KernelTime(record=r, seconds=1.0, roofline_seconds=0.5, bound=Bound.LATENCY).total_seconds
    2.0
    """

    record: KernelRecord
    seconds: float
    roofline_seconds: float
    bound: Bound

    @property
    def total_seconds(self) -> float:
        """``calls * seconds``."""
        return self.record.calls * self.seconds


def kernel_time(
    record: KernelRecord, rates: AchievableRates, min_kernel_s: float, curves: KernelCurves | None = None
) -> KernelTime:
    """Per-launch time of a record's kernel (0 when it does not run).

    Without ``curves``: ``max(compute, memory, min_kernel_s)`` at the large-kernel ``rates``
    (``min_kernel_s`` when it moves nothing modelled, e.g. an index computation). With the
    hardware's measured ``curves``: the larger of the kernel kind's compute curve at its
    Tensor-Core FLOPs (CUDA-core FLOPs at their rate) and its memory curve at its bytes
    (:mod:`llm_perf_opt.hardware.curves`), which include each kind's fixed cost. In both cases
    ``roofline_seconds`` is the plain roofline at the large-kernel rates, at most ``seconds``.
    """
    n = record.calls
    if n == 0:
        return KernelTime(record=record, seconds=0.0, roofline_seconds=0.0, bound=Bound.IDLE)
    # totals over the n identical launches with the floor scaled by n: max(C, M, n t) / n = max(C/n, M/n, t)
    tc, cc = record.executed_tensor_core_flops, record.cuda_core_flops
    if record.cuda_cores_only:
        tc, cc = 0, tc + cc
    compute, memory, total, bound = piece_seconds(
        tensor_core_flops=tc,
        cuda_core_flops=cc,
        io_bytes=record.io_bytes,
        rates=rates,
        min_kernel_seconds=min_kernel_s * n,
    )
    plain = max(compute, memory) / n
    if curves is not None:
        curve_compute, curve_memory = kind_seconds(curves, record.kind, tc / n, record.io_bytes / n, cc / n)
        per_compute = max(curve_compute, cc / n / rates.cuda_core_flops_per_s)
        seconds = max(per_compute, curve_memory)
        curve_bound = Bound.COMPUTE if per_compute >= curve_memory else Bound.MEMORY
        return KernelTime(record=record, seconds=seconds, roofline_seconds=min(plain, seconds), bound=curve_bound)
    if bound is Bound.IDLE:
        return KernelTime(record=record, seconds=min_kernel_s, roofline_seconds=0.0, bound=Bound.LATENCY)
    return KernelTime(record=record, seconds=total / n, roofline_seconds=plain, bound=bound)


MAX_CACHED_KERNELS = 1 << 16
"""A :class:`KernelTimes` is emptied when it holds this many distinct kernels (memory bound)."""


class KernelTimes:
    """Per-launch times (:func:`kernel_time`'s ``seconds`` and ``roofline_seconds``) of kernel records on one GPU,
    remembered by the values they depend on: kind, launches, Tensor-Core FLOPs executed, CUDA-core FLOPs, whether
    they run on the CUDA cores only, bytes moved. The same kernel of equal layers (every decoder layer's MLP
    ``gemm``) is then timed once. The caller owns it, for one ``rates`` and ``costs``.

    Example
    -------
    >>> spec = load_hardware("h100-sxm")
    >>> times = KernelTimes(achievable_rates(spec), launch_costs(spec))
    >>> r = KernelRecord(path="a", layer_class="Linear", kernel="gemm", calls=2, work={"tensor_core": 8}, io_bytes=6)
    >>> times.of(r) == times.of(evolve(r, path="b")), len(times)
    (True, 1)
    """

    __slots__ = ("_times", "costs", "max_kernels", "rates")

    def __init__(self, rates: AchievableRates, costs: LaunchCosts, max_kernels: int = MAX_CACHED_KERNELS) -> None:
        if max_kernels < 1:
            raise ValueError(f"max_kernels: must be >= 1, got {max_kernels}")
        self.rates = rates
        self.costs = costs
        self.max_kernels = max_kernels
        self._times: dict[tuple[str, int, int, int, int, bool], tuple[float, float]] = {}

    def __len__(self) -> int:
        """Distinct kernels held."""
        return len(self._times)

    def of(self, record: KernelRecord) -> tuple[float, float]:
        """(seconds, roofline_seconds) per launch of ``record``'s kernel (:func:`kernel_time`)."""
        key = (
            record.kind,
            record.calls,
            record.executed_tensor_core_flops,
            record.cuda_core_flops,
            record.io_bytes,
            record.cuda_cores_only,
        )
        times = self._times.get(key)
        if times is None:
            kt = kernel_time(record, self.rates, self.costs.min_kernel_s, self.costs.curves)
            times = (kt.seconds, kt.roofline_seconds)
            if len(self._times) >= self.max_kernels:
                self._times.clear()
            self._times[key] = times
        return times


@define(frozen=True, kw_only=True)
class StageRuntime:
    """Predicted kernel and wall time of one stage (or any layer tree) under a runtime, with the
    parts of the wall time (see the module docstring; they add up to ``predicted_wall_s``).

    Example
    -------
    >>> rt = StageRuntime(stage="x", roofline_s=1.0, predicted_kernel_s=2.0, predicted_wall_s=3.0,
    ...     kernel_launches=4, host_launches=4, host_syncs=0, graph_launches=0, attention_io_s=0.0,
    ...     kernel_split_s=0.5, small_kernel_floor_s=0.5, launch_overhead_s=1.0, sync_s=0.0)
    >>> rt.largest_gap
    'launch_overhead_s'
    """

    stage: str
    roofline_s: float
    predicted_kernel_s: float
    predicted_wall_s: float
    kernel_launches: int
    host_launches: int
    host_syncs: int
    graph_launches: int
    attention_io_s: float
    kernel_split_s: float
    small_kernel_floor_s: float
    launch_overhead_s: float
    sync_s: float
    torch_calls: int = 0
    """Python-level torch calls of the eagerly run code (the inventory's ``torch_calls``)."""

    def shares(self) -> dict[str, float]:
        """The parts of the wall time, in :data:`SHARE_NAMES` order."""
        return {name: float(getattr(self, name)) for name in SHARE_NAMES}

    @property
    def largest_gap(self) -> str:
        """The part other than the roofline that adds the most time (``"none"`` when none adds any)."""
        gaps = {k: v for k, v in self.shares().items() if k != "roofline_s" and v > 0}
        return max(gaps, key=lambda k: gaps[k]) if gaps else "none"


def ideal_pieces(layer: BaseLayer, rates: AchievableRates, path: str = "") -> tuple[PieceTime, ...]:
    """The ideal a runtime is compared with: the roofline's pieces of ``layer`` (paths prefixed by ``path``) with
    eager attention cores as flash (:func:`~llm_perf_opt.timing.roofline.roofline_pieces`)."""
    return roofline_pieces(layer, rates, path=path, flash_attention=True)


def _ideal_seconds(pieces: Sequence[PieceTime], cores: frozenset[str]) -> tuple[float, float]:
    """(ideal roofline of the whole tree, ideal roofline of the attention cores at ``cores``) from its
    :func:`ideal_pieces`."""
    total = attn = 0.0
    for piece in pieces:
        total += piece.total_seconds
        if piece.path in cores:
            attn += piece.total_seconds
    return total, attn


class LaunchQueue:
    """The host and the GPU of an eager stream: ``host_s`` when the host is free to launch again, ``gpu_s`` when
    the GPU finishes the last launched kernel.

    Launching ``n`` kernels of ``kernel_s`` each at ``launch_s`` of host time apiece: launch ``j`` is issued at
    ``host + j * launch_s`` and the GPU runs kernels back to back as they arrive, so the last one ends at
    ``max(gpu + n * kernel_s, host + launch_s + n * kernel_s, host + n * launch_s + kernel_s)`` (the GPU's backlog,
    or the first launch, or the last). A host sync waits for the GPU, then costs ``sync_s``.

    Example
    -------
    >>> q = LaunchQueue(sync_s=10e-6)
    >>> q.launch(3, kernel_s=100e-6, launch_s=10e-6)  # GPU-bound: 10 + 3 x 100 us
    >>> round(q.gpu_s * 1e6, 6), round(q.host_s * 1e6, 6)
    (310.0, 30.0)
    >>> q.sync(1)  # the host waits for the GPU: 310 + 10 us
    >>> q.launch(2, kernel_s=1e-6, launch_s=10e-6)  # host-bound: 320 + 2 x 10 + 1 us
    >>> round(q.end_s * 1e6, 6), q.syncs
    (341.0, 1)
    """

    __slots__ = ("gpu_s", "host_s", "started", "sync_s", "syncs")

    def __init__(self, *, sync_s: float) -> None:
        self.sync_s = sync_s
        self.host_s = 0.0
        self.gpu_s = 0.0
        self.syncs = 0
        self.started = False

    def launch(self, n: int, kernel_s: float, launch_s: float) -> None:
        """Issue ``n`` kernels of ``kernel_s`` each, ``launch_s`` of host time apiece."""
        if n <= 0:
            return
        h = self.host_s
        self.gpu_s = max(self.gpu_s + n * kernel_s, h + launch_s + n * kernel_s, h + n * launch_s + kernel_s)
        self.host_s = h + n * launch_s
        self.started = True

    def sync(self, n: int) -> None:
        """``n`` host syncs: the host waits until the GPU has run everything launched, then pays each round trip."""
        if n <= 0:
            return
        self.host_s = max(self.host_s, self.gpu_s) + n * self.sync_s
        self.syncs += n

    @property
    def end_s(self) -> float:
        """When both are done."""
        return max(self.host_s, self.gpu_s)


def inventory_runtime(
    layer: BaseLayer,
    inventory: KernelInventory,
    rates: AchievableRates,
    costs: LaunchCosts,
    *,
    stage: str = "",
    path: str = "",
    kernel_times: KernelTimes | None = None,
    ideal: Sequence[PieceTime] | None = None,
) -> StageRuntime:
    """:class:`StageRuntime` of ``layer`` from its kernel inventory (``path``: the inventory's prefix;
    ``kernel_times``: the caller's :class:`KernelTimes` of ``rates`` and ``costs``, a fresh one when ``None``;
    ``ideal``: :func:`ideal_pieces` of ``layer``, ``rates`` and ``path`` when the caller has them).

    Eager launches go through a queue (:class:`LaunchQueue`): the host issues kernels one after another at its cost
    per launch, the GPU runs each once it is launched and the one before it has finished, and a host sync waits for
    the GPU to drain the queue before the host goes on. Kernels replayed from CUDA graphs, their graph launches and
    torch calls with no eager kernel to hide behind add to that."""
    kernel = unfloored = attn_kernels = graph_kernels = 0.0
    eager, graph = costs.eager(inventory.host_launch, inventory.grad_mode), costs.graph
    launches = inventory.eager_launches
    per_launch = eager.per_launch(
        torch_calls=inventory.torch_calls, launches=launches, op_calls=inventory.host_op_calls
    )
    # no eager kernel to hide behind
    calls_alone = 0.0 if launches else eager.calls_seconds(inventory.torch_calls, inventory.host_op_calls)
    queue = LaunchQueue(sync_s=costs.sync_s)
    if kernel_times is None:
        kernel_times = KernelTimes(rates, costs)
    elif kernel_times.rates is not rates or kernel_times.costs is not costs:
        raise ValueError("kernel_times: holds the times of other rates or launch costs")
    for record in inventory.records:
        seconds, roofline_seconds = kernel_times.of(record)
        n = record.calls
        queue.sync(record.syncs_before)
        kernel += n * seconds
        unfloored += n * roofline_seconds
        if record.attention_core:
            attn_kernels += n * roofline_seconds
        if record.in_graph:
            graph_kernels += n * (seconds + graph.kernel_gap_s)
        elif n:
            if not queue.started:
                # the call starts on an empty queue: its first kernel runs only once the host has launched it
                queue.launch(1, seconds, eager.first_launch(per_launch))
                n -= 1
            queue.launch(n, seconds, per_launch)
    queue.sync(inventory.host_syncs - queue.syncs)
    pieces = ideal_pieces(layer, rates, path) if ideal is None else ideal
    ideal_s, ideal_attn = _ideal_seconds(pieces, inventory.attention_core_paths)
    sync = inventory.host_syncs * costs.sync_s
    graphs = inventory.graph_launches * graph.launch_s
    wall = queue.end_s + calls_alone + graph_kernels + graphs
    attention_io = attn_kernels - ideal_attn
    return StageRuntime(
        stage=stage,
        roofline_s=ideal_s,
        predicted_kernel_s=kernel,
        predicted_wall_s=wall,
        kernel_launches=inventory.kernel_launches,
        host_launches=inventory.host_launches,
        host_syncs=inventory.host_syncs,
        graph_launches=inventory.graph_launches,
        attention_io_s=attention_io,
        kernel_split_s=unfloored - ideal_s - attention_io,
        small_kernel_floor_s=kernel - unfloored,
        launch_overhead_s=wall - sync - kernel,
        sync_s=sync,
        torch_calls=inventory.torch_calls,
    )


def _profile(profile: RuntimeProfile | str) -> RuntimeProfile:
    return profile if isinstance(profile, RuntimeProfile) else load_runtime(profile)


def _hardware(hardware: HardwareSpec | str) -> HardwareSpec:
    return hardware if isinstance(hardware, HardwareSpec) else load_hardware(hardware)


MAX_CACHED_STAGES = 4096
"""A :class:`RuntimeCache` forgets its stage runtimes when it holds this many (memory bound)."""
MAX_CACHED_INVENTORIES = 32
"""A :class:`RuntimeCache` forgets its kernel inventories (and, apart, its ideal pieces) when it holds this many:
each holds a record per kernel or node of a stage (thousands), and their use, the same stage on the next GPU of a
sweep point (the same layers under the next profile), comes soon after they were built."""


class RuntimeCache:
    """What the runtime engine remembers across calls, owned by the caller (one sweep, one analyzer run, one
    :class:`~llm_perf_opt.timing.time_model.RuntimeTimeModel`): per runtime profile an
    :class:`~llm_perf_opt.kernels.inventory.InventoryCache` (what each distinct node books), per GPU its rates,
    launch costs and :class:`KernelTimes`, the last few stage inventories (a stage's kernels are the same on every
    GPU) and ideal roofline pieces (the same under every profile that runs the same layers), and the
    :class:`StageRuntime` of every (profile, GPU, costs, stage, layer) already timed, so that a stage equal at two
    points of a sweep (the vision stages and the prefill at every output length, a one-view mode's stages at every
    page size) is timed once. Every answer is the one computed without it, bit for bit: only work is saved. Layers
    and profiles are frozen and never written to; the objects the keys name by identity (profile, hardware entry,
    rates, costs) are kept alive here, so an identity is never reused.

    Example
    -------
    >>> from modelmeter.layers import Linear
    >>> cache = RuntimeCache()
    >>> layer = Linear(tokens=4, in_features=64, out_features=64)
    >>> a = layer_runtime(layer, "h100-sxm", "hf-eager", cache=cache)
    >>> layer_runtime(layer, "h100-sxm", "hf-eager", cache=cache) == a == layer_runtime(layer, "h100-sxm", "hf-eager")
    True
    """

    __slots__ = ("_gpus", "_ideal", "_inventories", "_kept", "_kernel_times", "_nodes", "_stages", "max_stages")

    def __init__(self, max_stages: int = MAX_CACHED_STAGES) -> None:
        if max_stages < 1:
            raise ValueError(f"max_stages: must be >= 1, got {max_stages}")
        self.max_stages = max_stages
        self._kept: dict[int, object] = {}  # the objects whose id is part of a key, kept alive
        self._nodes: dict[int, InventoryCache] = {}
        self._inventories: dict[tuple[int, str, BaseLayer], KernelInventory] = {}
        self._ideal: dict[tuple[int, str, BaseLayer], tuple[PieceTime, ...]] = {}
        self._gpus: dict[int, tuple[AchievableRates, LaunchCosts]] = {}
        self._kernel_times: dict[tuple[int, int], KernelTimes] = {}
        self._stages: dict[tuple[int, int, int, str, BaseLayer], StageRuntime] = {}

    def _keep(self, obj: object) -> int:
        self._kept.setdefault(id(obj), obj)
        return id(obj)

    def nodes(self, profile: RuntimeProfile) -> InventoryCache:
        """What ``profile`` books for each node (the inventory cache of ``profile``)."""
        key = self._keep(profile)
        cache = self._nodes.get(key)
        if cache is None:
            cache = self._nodes[key] = InventoryCache(profile)
        return cache

    def inventory(self, layer: BaseLayer, profile: RuntimeProfile, stage: str) -> KernelInventory:
        """:func:`~llm_perf_opt.kernels.inventory.kernel_inventory` of ``layer`` run as ``stage``."""
        key = (self._keep(profile), stage, layer)
        found = self._inventories.get(key)
        if found is None:
            found = kernel_inventory(layer, profile, path=stage, cache=self.nodes(profile))
            if len(self._inventories) >= MAX_CACHED_INVENTORIES:
                self._inventories.clear()
            self._inventories[key] = found
        return found

    def ideal(self, layer: BaseLayer, rates: AchievableRates, stage: str) -> tuple[PieceTime, ...]:
        """:func:`ideal_pieces` of ``layer`` run as ``stage`` (the same under every profile that runs the same
        layers: a stage's own attention, not the profile, decides its flash form)."""
        key = (self._keep(rates), stage, layer)
        found = self._ideal.get(key)
        if found is None:
            found = ideal_pieces(layer, rates, stage)
            if len(self._ideal) >= MAX_CACHED_INVENTORIES:
                self._ideal.clear()
            self._ideal[key] = found
        return found

    def gpu(self, spec: HardwareSpec) -> tuple[AchievableRates, LaunchCosts]:
        """``spec``'s achievable rates and :func:`launch_costs`."""
        key = self._keep(spec)
        found = self._gpus.get(key)
        if found is None:
            found = self._gpus[key] = (achievable_rates(spec), launch_costs(spec))
        return found

    def kernel_times(self, rates: AchievableRates, costs: LaunchCosts) -> KernelTimes:
        """The kernel times of ``rates`` and ``costs``."""
        key = (self._keep(rates), self._keep(costs))
        times = self._kernel_times.get(key)
        if times is None:
            times = self._kernel_times[key] = KernelTimes(rates, costs)
        return times

    def stage_runtime(
        self, layer: BaseLayer, spec: HardwareSpec, profile: RuntimeProfile, costs: LaunchCosts | None, stage: str
    ) -> StageRuntime:
        """:class:`StageRuntime` of one call of ``layer`` as stage ``stage`` (also its kernels' path prefix) on
        ``spec`` under ``profile``, with ``costs`` instead of the hardware entry's when given."""
        rates, own_costs = self.gpu(spec)
        fixed = own_costs if costs is None else costs
        key = (self._keep(profile), id(spec), self._keep(fixed), stage, layer)
        found = self._stages.get(key)
        if found is None:
            inventory = self.inventory(layer, profile, stage)
            times = self.kernel_times(rates, fixed)
            ideal = self.ideal(layer, rates, stage)
            found = inventory_runtime(
                layer, inventory, rates, fixed, stage=stage, path=stage, kernel_times=times, ideal=ideal
            )
            if len(self._stages) >= self.max_stages:
                self._stages.clear()
            self._stages[key] = found
        return found


def layer_runtime(
    layer: BaseLayer,
    hardware: HardwareSpec | str,
    profile: RuntimeProfile | str,
    *,
    stage: str = "",
    costs: LaunchCosts | None = None,
    cache: RuntimeCache | None = None,
) -> StageRuntime:
    """Kernel and wall time of one call of any layer tree (e.g. one decode step) on ``hardware``
    under ``profile`` (objects or names), with ``costs`` instead of the hardware entry's
    launch constants when given. The tree is taken as given: its attention implementation is
    not changed (see :func:`model_for_runtime`). ``cache``: the caller's :class:`RuntimeCache` (a fresh one
    when ``None``; the answer is the same)."""
    spec, prof = _hardware(hardware), _profile(profile)
    return (RuntimeCache() if cache is None else cache).stage_runtime(layer, spec, prof, costs, stage)


def model_for_runtime(model: OCRModel, profile: RuntimeProfile | str) -> OCRModel:
    """``model`` with the language model's attention set to the profile's ``decoder_attention``."""
    prof = _profile(profile)
    if model.workload.attention == prof.decoder_attention:
        return model
    changed: OCRModel = evolve(cast(Any, model), workload=evolve(model.workload, attention=prof.decoder_attention))
    return changed


def runtime_stage_times(
    model: OCRModel,
    hardware: HardwareSpec | str,
    profile: RuntimeProfile | str,
    *,
    costs: LaunchCosts | None = None,
    cache: RuntimeCache | None = None,
) -> dict[str, StageRuntime]:
    """Stage -> :class:`StageRuntime` of a DeepSeek-OCR workload under a runtime, in stage order.

    The model is evaluated with the profile's decoder attention (:func:`model_for_runtime`);
    kernel paths start with the stage name (``prefill.layers.1.mlp``). ``costs`` replaces the
    hardware entry's launch constants when given. ``cache``: the caller's :class:`RuntimeCache` (a fresh one
    when ``None``; the answer is the same), e.g. one for every point of a sweep.

    Example
    -------
    >>> from modelmeter.models.deepseek_ocr.layers.core import DeepseekOCRModel
    >>> from modelmeter.models.deepseek_ocr.workload import OCRWorkload
    >>> model = DeepseekOCRModel(workload=OCRWorkload(crop_grid=(2, 2), max_new_tokens=2))
    >>> times = runtime_stage_times(model, "h100-sxm", "hf-eager")
    >>> list(times), times["decode"].host_syncs  # one per MoE layer (11) in the one decode step, 4 of generate()
    (['sam', 'clip', 'projector', 'prefill', 'lm_head', 'decode'], 15)
    >>> all(check_shares(t) for t in times.values())
    True
    """
    spec, prof = _hardware(hardware), _profile(profile)
    memo = RuntimeCache() if cache is None else cache
    out: dict[str, StageRuntime] = {}
    for stage, layer in model_for_runtime(model, prof).stage_layers().items():
        out[stage] = memo.stage_runtime(layer, spec, prof, costs, stage)
    if prof.generate is not None:
        # the loop's work for the first token follows the prefill's logits (time to first token); each later
        # token's follows its decode step, at a mean of prefill + (steps + 1) / 2 positions; every row's prompt
        # holds its page's image rows as one run of the <image> id
        w = model.workload
        fixed = memo.gpu(spec)[1] if costs is None else costs
        loop = functools.partial(
            with_generate_loop, loop=prof.generate, costs=fixed, batch=w.batch_size, repeated=w.image_tokens
        )
        first = prof.generate.mean_cached(1, 1)  # the streamer holds the first generated token
        out["lm_head"] = loop(out["lm_head"], tokens=1, positions=w.prefill_tokens, cached=first)
        out["decode"] = loop(
            out["decode"],
            tokens=w.decode_steps,
            positions=w.prefill_tokens + (w.decode_steps + 1) / 2,
            cached=prof.generate.mean_cached(2, w.decode_steps + 1),  # decode step k generates token k + 1
        )
    return out


def with_generate_loop(
    runtime: StageRuntime,
    loop: GenerateLoop,
    costs: LaunchCosts,
    *,
    tokens: int,
    batch: int,
    positions: float,
    cached: float = 0.0,
    repeated: int = 0,
) -> StageRuntime:
    """``runtime`` plus the token loop's host work for ``tokens`` tokens of ``batch`` rows at a mean of
    ``positions`` sequence positions (``repeated`` of them a run of one id) and ``cached`` tokens held by the
    streamer
    (:class:`~llm_perf_opt.data.runtime_profile.GenerateLoop`): the loop's torch calls and kernels add host time
    the GPU waits for (``launch_overhead_s``; its kernels are tiny and run while the host works), its syncs
    ``sync_s``.

    Example
    -------
    >>> from llm_perf_opt.data.runtime_profile import GenerateLoop
    >>> costs = LaunchCosts(enqueue=EagerLaunch(launch_s=5e-6), min_kernel_s=2e-6, sync_s=1e-5, measured=False,
    ...                     module=EagerLaunch(launch_s=1e-5, call_s=4e-6))
    >>> loop = GenerateLoop(source="s", torch_calls=50, kernels=10, host_syncs=2, history_calls_per_position=0.01)
    >>> rt = StageRuntime(stage="decode", roofline_s=0.0, predicted_kernel_s=0.0, predicted_wall_s=0.0,
    ...     kernel_launches=0, host_launches=0, host_syncs=0, graph_launches=0, attention_io_s=0.0,
    ...     kernel_split_s=0.0, small_kernel_floor_s=0.0, launch_overhead_s=0.0, sync_s=0.0)
    >>> out = with_generate_loop(rt, loop, costs, tokens=2, batch=1, positions=1000)
    >>> round(out.launch_overhead_s * 1e6, 6), round(out.sync_s * 1e6, 6), out.host_syncs, out.torch_calls
    (680.0, 40.0, 4, 100)
    """
    if tokens <= 0:
        return runtime
    python = costs.eager("module", NO_GRAD)  # the loop is Python code under generate()'s torch.no_grad()
    equivalents = loop.torch_call_equivalents(batch=batch, positions=round(positions), cached=cached, repeated=repeated)
    calls = equivalents * python.torch_call_s
    host = tokens * (calls + loop.kernels * python.launch_s)
    syncs = tokens * loop.syncs(batch=batch)
    sync = syncs * costs.sync_s
    return evolve(
        runtime,
        predicted_wall_s=runtime.predicted_wall_s + host + sync,
        launch_overhead_s=runtime.launch_overhead_s + host,
        sync_s=runtime.sync_s + sync,
        kernel_launches=runtime.kernel_launches + tokens * loop.kernels,
        host_launches=runtime.host_launches + tokens * loop.kernels,
        host_syncs=runtime.host_syncs + syncs,
        torch_calls=runtime.torch_calls + tokens * (loop.torch_calls + loop.torch_calls_per_row * batch),
    )


def check_shares(runtime: StageRuntime, rel_tol: float = 1e-12) -> bool:
    """Whether the parts add up to the wall time (to floating-point rounding)."""
    return math.isclose(math.fsum(runtime.shares().values()), runtime.predicted_wall_s, rel_tol=rel_tol, abs_tol=1e-18)
