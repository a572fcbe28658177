"""Roofline time of any :class:`~modelmeter.layers.base.BaseLayer` tree on a GPU.

The tree is cut into **pieces**, each the own work of one node of ``layer.walk()`` (a leaf
layer, or the work a composite does itself; pure containers have none), i.e. one
kernel-sized operation, called ``calls`` times (the product of the counts along its path).
One call of a piece takes (the formula, written here once, in :func:`piece_seconds`)::

    t_compute = F_tc / (P_tc * e_tc) + F_cc / (P_fp32 * e_fp32)
    t_memory  = B / (BW * e_bw)
    t         = max(t_compute, t_memory, t_min)      (t = 0 for a piece with no work)

``F_tc``
    forward *executed* Tensor-Core FLOPs (causal-aware: a causal attention counts only the
    visible scores), at the dense bf16 Tensor-Core peak ``P_tc``;
``F_cc``
    forward CUDA-core FLOPs (norms, activations, softmax, elementwise), at the FP32 peak
    ``P_fp32``; the two compute terms add, the units being charged in sequence;
``B``
    forward bytes moved (weights, activations, KV cache, reads and writes), at the memory
    bandwidth ``BW``;
``e_*``
    achievable fractions (:func:`llm_perf_opt.hardware.rates.achievable_rates`);
``t_min``
    optional floor per kernel (e.g. the calibration's ``min_kernel_us``), 0 by default.

The piece is **compute**-bound when ``t_compute >= t_memory``, else **memory**-bound;
**latency**-bound when the floor ``t_min`` exceeds both. The total is the sum over pieces of
``calls * t`` (kernels run one after another; no overlap between pieces).

Example
-------
>>> from modelmeter.layers import Linear
>>> from llm_perf_opt.data.hardware import AchievableRates
>>> rates = AchievableRates(tensor_core_flops_per_s=1e12, cuda_core_flops_per_s=1e12,
...                         memory_bytes_per_s=1e9, measured=False)
>>> t = roofline_time(Linear(tokens=4, in_features=5, out_features=6, bias=False), rates)
>>> t.total_seconds  # bytes (30 + 4*5 + 4*6) * 2 = 148 at 1e9 B/s; FLOPs 240 at 1e12 FLOP/s
1.48e-07
>>> t.dominant_bound
<Bound.MEMORY: 'memory'>
"""

from __future__ import annotations

import enum

from attrs import define, field

from llm_perf_opt.data.hardware import AchievableRates, HardwareSpec
from llm_perf_opt.hardware.rates import achievable_rates
from modelmeter.layers.base import BaseLayer
from modelmeter.metrics import ZERO


class Bound(enum.StrEnum):
    """What limits a piece's time."""

    COMPUTE = "compute"
    MEMORY = "memory"
    LATENCY = "latency"
    IDLE = "idle"


@define(frozen=True, kw_only=True)
class PieceTime:
    """Time of one piece (one node's own work) for one call, and how often it is called.

    Example
    -------
    >>> p = PieceTime(path="mlp.fc1", layer_name="Linear", calls=3, tensor_core_flops=10, cuda_core_flops=0,
    ...               io_bytes=4, compute_seconds=1.0, memory_seconds=2.0, seconds=2.0, bound=Bound.MEMORY)
    >>> p.total_seconds
    6.0
    """

    path: str
    layer_name: str
    calls: int
    tensor_core_flops: int
    cuda_core_flops: int
    io_bytes: int
    compute_seconds: float
    memory_seconds: float
    seconds: float
    bound: Bound

    @property
    def total_seconds(self) -> float:
        """``calls * seconds``."""
        return self.calls * self.seconds


@define(frozen=True, kw_only=True)
class RooflineTime:
    """Per-piece and total times of a layer tree.

    ``seconds_by_bound`` sums ``calls * seconds`` of the pieces of each bound;
    ``dominant_bound`` is the bound with the most time (compute on a tie).

    Example
    -------
    >>> RooflineTime(pieces=(), total_seconds=0.0, seconds_by_bound={}).dominant_bound
    <Bound.IDLE: 'idle'>
    """

    pieces: tuple[PieceTime, ...]
    total_seconds: float
    seconds_by_bound: dict[Bound, float] = field(factory=dict)

    @property
    def dominant_bound(self) -> Bound:
        """The bound whose pieces take the most time; ``IDLE`` when nothing takes time."""
        ranked = [b for b in (Bound.COMPUTE, Bound.MEMORY, Bound.LATENCY) if self.seconds_by_bound.get(b, 0.0) > 0]
        if not ranked:
            return Bound.IDLE
        return max(ranked, key=lambda b: self.seconds_by_bound[b])


def piece_seconds(
    *,
    tensor_core_flops: int,
    cuda_core_flops: int,
    io_bytes: int,
    rates: AchievableRates,
    min_kernel_seconds: float = 0.0,
) -> tuple[float, float, float, Bound]:
    """``(t_compute, t_memory, t, bound)`` of one call of one piece (the formula of the module docstring)."""
    if min_kernel_seconds < 0:
        raise ValueError(f"min_kernel_seconds: must be >= 0, got {min_kernel_seconds}")
    compute = tensor_core_flops / rates.tensor_core_flops_per_s + cuda_core_flops / rates.cuda_core_flops_per_s
    memory = io_bytes / rates.memory_bytes_per_s
    if tensor_core_flops == 0 and cuda_core_flops == 0 and io_bytes == 0:
        return 0.0, 0.0, 0.0, Bound.IDLE
    roof = max(compute, memory)
    if min_kernel_seconds > roof:
        return compute, memory, min_kernel_seconds, Bound.LATENCY
    return compute, memory, roof, Bound.COMPUTE if compute >= memory else Bound.MEMORY


def roofline_time(
    layer: BaseLayer,
    hardware: HardwareSpec | AchievableRates,
    *,
    min_kernel_seconds: float = 0.0,
    path: str = "",
) -> RooflineTime:
    """Forward time of ``layer`` on ``hardware`` (a spec, whose :func:`achievable_rates` are
    used, or the rates themselves), piece by piece; pieces with no work are left out."""
    rates = hardware if isinstance(hardware, AchievableRates) else achievable_rates(hardware)
    pieces: list[PieceTime] = []
    by_bound: dict[Bound, float] = {}
    total = 0.0
    for node_path, node, calls in layer.walk(path):
        own = node.own_metrics()
        if own == ZERO:
            continue
        tc, cc, io = own.forward_executed_tensor_core_flops, own.forward_cuda_core_flops, own.forward_io_bytes
        compute, memory, seconds, bound = piece_seconds(
            tensor_core_flops=tc, cuda_core_flops=cc, io_bytes=io, rates=rates, min_kernel_seconds=min_kernel_seconds
        )
        if bound is Bound.IDLE:
            continue  # e.g. params-only conv, expert with no tokens: no kernel runs
        piece = PieceTime(
            path=node_path,
            layer_name=type(node).__name__,
            calls=calls,
            tensor_core_flops=tc,
            cuda_core_flops=cc,
            io_bytes=io,
            compute_seconds=compute,
            memory_seconds=memory,
            seconds=seconds,
            bound=bound,
        )
        pieces.append(piece)
        by_bound[bound] = by_bound.get(bound, 0.0) + piece.total_seconds
        total += piece.total_seconds
    return RooflineTime(pieces=tuple(pieces), total_seconds=total, seconds_by_bound=by_bound)
