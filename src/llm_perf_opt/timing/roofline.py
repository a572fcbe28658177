"""Roofline time of any :class:`~modelmeter.layers.base.BaseLayer` tree on a GPU: the formula and the one walk.

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

**The walk** (:func:`tree_times`, the only one that sums a tree's time: :func:`roofline_time`
and everything that reports a roofline, :func:`llm_perf_opt.planning.predict.predict` included,
use it) adds the pieces level by level::

    T(layer) = t_own(layer) + sum over distinct children c of  calls_c * T(c)

(``calls_c``: the counts of all child entries equal to ``c``, added up) and remembers ``T``
for every distinct subtree in a :class:`RooflineCache` (the caller's, or the process's
:data:`ROOFLINE_CACHE`): equal frozen layers share it (the same SAM block in 8 windows, the
MoE of 11 decoder layers), and so do layers that differ only in fields that change no number
(decoder layers ``1..11`` differ only in ``layer_idx``). Several GPUs are timed in one pass
(the tree is visited once, each node's own work is read once, and each GPU's time is a few
divisions). A given tree always gives the same bits. :func:`roofline_pieces` lists the pieces
one by one (path, layer class, calls, bound) for breakdowns; their ``calls * seconds`` add up to
the walk's total up to rounding (it adds per level, they add piece by piece).

The **peak kernel working set** of a tree (:func:`peak_working_set_bytes`) is the largest
``forward_activation_read_bytes + forward_activation_write_bytes`` of one call of one piece
(the activations one kernel reads and writes while it runs), over every piece of the tree; see
:mod:`llm_perf_opt.planning.predict` for how it is used.

Example
-------
>>> from modelmeter.layers import Linear
>>> from llm_perf_opt.data.hardware import AchievableRates
>>> rates = AchievableRates(tensor_core_flops_per_s=1e12, cuda_core_flops_per_s=1e12,
...                         memory_bytes_per_s=1e9, measured=False)
>>> t = roofline_time(Linear(tokens=4, in_features=5, out_features=6, bias=False), rates)
>>> t.seconds  # bytes (30 + 4*5 + 4*6) * 2 = 148 at 1e9 B/s; FLOPs 240 at 1e12 FLOP/s
1.48e-07
>>> t.dominant_bound
<Bound.MEMORY: 'memory'>
>>> peak_working_set_bytes(Linear(tokens=4, in_features=5, out_features=6, bias=False))  # (4*5 + 4*6) * 2
88
"""

from __future__ import annotations

import enum
from collections.abc import Sequence

from attrs import define, evolve

from llm_perf_opt.data.hardware import AchievableRates, HardwareSpec
from llm_perf_opt.hardware.rates import achievable_rates
from modelmeter.layers.attention_core import AttentionCore
from modelmeter.layers.base import LAYER_CACHE, BaseLayer, LayerCache, LayerEntry
from modelmeter.metrics import ZERO, LayerMetrics


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
    """Roofline time of a tree on one GPU, and how much of it each bound accounts for.

    ``seconds`` is summed on its own (it is not recomputed from the three parts, which can
    differ from it in the last bits).

    Example
    -------
    >>> RooflineTime(seconds=3.0, compute_seconds=1.0, memory_seconds=2.0, latency_seconds=0.0).dominant_bound
    <Bound.MEMORY: 'memory'>
    """

    seconds: float
    compute_seconds: float
    memory_seconds: float
    latency_seconds: float

    @property
    def dominant_bound(self) -> Bound:
        """The bound with the most time (compute on a tie); ``IDLE`` when nothing takes time."""
        parts = [
            (Bound.COMPUTE, self.compute_seconds),
            (Bound.MEMORY, self.memory_seconds),
            (Bound.LATENCY, self.latency_seconds),
        ]
        best = max(parts, key=lambda p: p[1])
        return best[0] if best[1] > 0 else Bound.IDLE


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


MAX_CACHED_NODES = 1 << 17
"""A :class:`RooflineCache` is emptied when it holds this many distinct layers (memory bound)."""

_BOUND_SLOT = {Bound.COMPUTE: 1, Bound.MEMORY: 2, Bound.LATENCY: 3}
"""Position of each bound's seconds in a node's 4-tuple per GPU (slot 0 is the total)."""
_SLOTS = 4


class _Node:
    """One distinct subtree: its root's own work, its children's nodes with their total call
    counts, its peak working set, and its times per (GPUs, floor) key.

    Nodes are interned by content, so layers that differ only in fields that change no
    number (decoder layers 1..11 of one forward differ only in ``layer_idx``) share one node
    and are timed once.
    """

    __slots__ = ("cc", "io", "kids", "peak", "tc", "times")

    def __init__(self, tc: int, cc: int, io: int, kids: tuple[tuple[_Node, int], ...]) -> None:
        self.tc = tc
        self.cc = cc
        self.io = io
        self.kids = kids
        self.peak: int = max((n.peak for n, _ in kids), default=0)
        self.times: dict[int, tuple[float, ...]] = {}


class RooflineCache:
    """The roofline engine's memory, owned by the caller: each distinct layer's node (by value),
    the nodes interned by content, and each node's times per (GPUs, floor).

    Layers are never written to; equal layers share one node through this object's table.
    The nodes are emptied when they reach ``max_nodes`` (memory bound).

    Example
    -------
    >>> from modelmeter.layers import Linear
    >>> cache = RooflineCache()
    >>> peak_working_set_bytes(Linear(tokens=4, in_features=5, out_features=6, bias=False), cache=cache), len(cache)
    (88, 1)
    """

    __slots__ = ("_by_content", "_groups", "_nodes", "layers", "max_nodes")

    def __init__(self, layers: LayerCache | None = None, max_nodes: int = MAX_CACHED_NODES) -> None:
        if max_nodes < 1:
            raise ValueError(f"max_nodes: must be >= 1, got {max_nodes}")
        self.layers = LAYER_CACHE if layers is None else layers
        """Where the layers' children and own work are looked up."""
        self.max_nodes = max_nodes
        self._nodes: dict[LayerEntry, _Node] = {}  # by the layer cache's entry (by identity: no field hashing)
        self._by_content: dict[tuple[int, int, int, int, tuple[tuple[_Node, int], ...]], _Node] = {}
        self._groups: dict[tuple[tuple[AchievableRates, ...], float], int] = {}
        """(GPUs, floor) -> a small integer naming it in every node's ``times``."""

    def __len__(self) -> int:
        """Distinct layers with a node."""
        return len(self._nodes)

    def clear(self) -> None:
        """Forget every node and time. The (GPUs, floor) names are kept (a handful), so that a name handed out
        before is never given to another group (a clear can happen while a tree is being timed)."""
        self._nodes.clear()
        self._by_content.clear()

    def node(self, layer: BaseLayer) -> _Node:
        """The node of ``layer`` (built once per distinct value)."""
        entry = self.layers.entry(layer)
        node = self._nodes.get(entry)
        if node is None:
            node = self._build(entry)
            if len(self._nodes) >= self.max_nodes:
                self.clear()
            self._nodes[entry] = node
        return node

    def group(self, rates: tuple[AchievableRates, ...], min_kernel_seconds: float) -> int:
        """The integer naming ``(rates, min_kernel_seconds)`` in the nodes' ``times``."""
        return self._groups.setdefault((rates, min_kernel_seconds), len(self._groups))

    def _build(self, entry: LayerEntry) -> _Node:
        children = entry.children
        if children is None:
            children = entry.children = entry.layer.children()
        own = entry.own
        if own is None:
            own = entry.own = entry.layer.own_metrics()
        counts: dict[_Node, int] = {}
        for child in children:
            sub = self.node(child.layer)
            counts[sub] = counts.get(sub, 0) + child.count
        kids = tuple(counts.items())
        act = own.forward_activation_read_bytes + own.forward_activation_write_bytes
        key = (own.forward_executed_tensor_core_flops, own.forward_cuda_core_flops, own.forward_io_bytes, act, kids)
        node = self._by_content.get(key)
        if node is None:
            node = _Node(key[0], key[1], key[2], kids)
            node.peak = max(node.peak, act)
            self._by_content[key] = node
        return node


ROOFLINE_CACHE = RooflineCache()
"""The process's :class:`RooflineCache`, used when a caller does not hand its own."""


def _times(node: _Node, rates: tuple[AchievableRates, ...], min_kernel_seconds: float, key: int) -> tuple[float, ...]:
    hit = node.times.get(key)
    if hit is not None:
        return hit
    acc = [0.0] * (_SLOTS * len(rates))
    if node.tc or node.cc or node.io:
        for i, r in enumerate(rates):
            _, _, seconds, bound = piece_seconds(
                tensor_core_flops=node.tc,
                cuda_core_flops=node.cc,
                io_bytes=node.io,
                rates=r,
                min_kernel_seconds=min_kernel_seconds,
            )
            if bound is not Bound.IDLE:
                acc[_SLOTS * i] = seconds
                acc[_SLOTS * i + _BOUND_SLOT[bound]] = seconds
    for child, k in node.kids:
        sub = child.times.get(key)
        if sub is None:
            sub = _times(child, rates, min_kernel_seconds, key)
        for j, s in enumerate(sub):
            if s:
                acc[j] += k * s
    out = tuple(acc)
    node.times[key] = out
    return out


def tree_times(
    layer: BaseLayer,
    rates: Sequence[AchievableRates],
    *,
    min_kernel_seconds: float = 0.0,
    cache: RooflineCache | None = None,
) -> tuple[RooflineTime, ...]:
    """Forward roofline time of ``layer`` on each of ``rates`` (one :class:`RooflineTime` per GPU, same order),
    remembered in ``cache`` (default :data:`ROOFLINE_CACHE`)."""
    if min_kernel_seconds < 0:
        raise ValueError(f"min_kernel_seconds: must be >= 0, got {min_kernel_seconds}")
    engine = ROOFLINE_CACHE if cache is None else cache
    group = tuple(rates)
    key = engine.group(group, min_kernel_seconds)
    flat = _times(engine.node(layer), group, min_kernel_seconds, key)
    return tuple(
        RooflineTime(
            seconds=flat[_SLOTS * i],
            compute_seconds=flat[_SLOTS * i + 1],
            memory_seconds=flat[_SLOTS * i + 2],
            latency_seconds=flat[_SLOTS * i + 3],
        )
        for i in range(len(group))
    )


def peak_working_set_bytes(layer: BaseLayer, *, cache: RooflineCache | None = None) -> int:
    """Largest activation bytes read plus written by one call of one piece of ``layer``'s tree."""
    return (ROOFLINE_CACHE if cache is None else cache).node(layer).peak


def _flash_metrics(node: BaseLayer) -> LayerMetrics:
    """A node's own work with an eager attention core in its flash form."""
    if isinstance(node, AttentionCore) and node.implementation != "flash":
        return evolve(node, implementation="flash").own_metrics()
    return node.cached_own_metrics()


def _rates(hardware: HardwareSpec | AchievableRates) -> AchievableRates:
    return hardware if isinstance(hardware, AchievableRates) else achievable_rates(hardware)


def roofline_time(
    layer: BaseLayer,
    hardware: HardwareSpec | AchievableRates,
    *,
    min_kernel_seconds: float = 0.0,
    cache: RooflineCache | None = None,
) -> RooflineTime:
    """Forward roofline time of ``layer`` on one GPU (a spec, whose :func:`achievable_rates` are
    used, or the rates themselves): :func:`tree_times` for that GPU."""
    (out,) = tree_times(layer, (_rates(hardware),), min_kernel_seconds=min_kernel_seconds, cache=cache)
    return out


def roofline_pieces(
    layer: BaseLayer,
    hardware: HardwareSpec | AchievableRates,
    *,
    min_kernel_seconds: float = 0.0,
    path: str = "",
    flash_attention: bool = False,
) -> tuple[PieceTime, ...]:
    """The pieces of ``layer``'s tree one by one, in :meth:`~modelmeter.layers.base.BaseLayer.walk` order
    (pieces with no work left out; paths start with ``path``): the itemised form of :func:`roofline_time`,
    for breakdowns. With ``flash_attention`` every eager attention core is timed in its flash form (scores
    kept on chip: the ideal a runtime is compared with, :mod:`llm_perf_opt.kernels.timing`)."""
    rates = _rates(hardware)
    pieces: list[PieceTime] = []
    for node_path, node, calls in layer.walk(path):
        own = _flash_metrics(node) if flash_attention else node.cached_own_metrics()
        if own == ZERO:
            continue
        tc, cc, io = own.forward_executed_tensor_core_flops, own.forward_cuda_core_flops, own.forward_io_bytes
        compute, memory, seconds, bound = piece_seconds(
            tensor_core_flops=tc, cuda_core_flops=cc, io_bytes=io, rates=rates, min_kernel_seconds=min_kernel_seconds
        )
        if bound is Bound.IDLE:
            continue  # e.g. params-only conv, expert with no tokens: no kernel runs
        pieces.append(
            PieceTime(
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
        )
    return tuple(pieces)
