"""Roofline time and peak kernel working set of a layer tree, summed level by level and cached by value.

:func:`llm_perf_opt.timing.roofline.roofline_time` walks every node of a tree and lists each
piece; a planner evaluating thousands of workloads needs only the totals. This module gives
the same totals from the same per-piece formula (:func:`~llm_perf_opt.timing.roofline.piece_seconds`,
applied to each node's own work, exactly as ``roofline_time`` does) but sums them level by level::

    T(layer) = t_own(layer) + sum over distinct children c of  calls_c * T(c)

(``calls_c``: the counts of all child entries equal to ``c``, added up) and remembers ``T``
for every distinct subtree: equal frozen layers share it (the same SAM block in 8 windows, the
MoE of 11 decoder layers), and so do layers that differ only in fields that change no number
(decoder layers ``1..11`` differ only in ``layer_idx``). Adding per level instead of piece by
piece rounds differently, so a total agrees with ``roofline_time(...).total_seconds`` to the
last few bits only (relative difference below 1e-12); a given tree always gives the same bits.

Several GPUs are timed in one pass (the tree is visited once, each node's own work is read
once, and each GPU's time is a few divisions).

The **peak kernel working set** of a tree is the largest ``forward_activation_read_bytes +
forward_activation_write_bytes`` of one call of one piece (the activations one kernel reads
and writes while it runs), over every piece of the tree; see :mod:`llm_perf_opt.planning.predict`
for how it is used.

Example
-------
>>> from modelmeter.layers import Linear
>>> from llm_perf_opt.data.hardware import AchievableRates
>>> rates = AchievableRates(tensor_core_flops_per_s=1e12, cuda_core_flops_per_s=1e12,
...                         memory_bytes_per_s=1e9, measured=False)
>>> tree_times(Linear(tokens=4, in_features=5, out_features=6, bias=False), (rates,))[0].seconds
1.48e-07
>>> peak_working_set_bytes(Linear(tokens=4, in_features=5, out_features=6, bias=False))  # (4*5 + 4*6) * 2
88
"""

from __future__ import annotations

from collections.abc import Sequence

from attrs import define

from llm_perf_opt.data.hardware import AchievableRates
from llm_perf_opt.timing.roofline import Bound, piece_seconds
from modelmeter.layers.base import LAYER_CACHE, BaseLayer, LayerCache, LayerEntry

MAX_CACHED_NODES = 1 << 17
"""A :class:`RooflineCache` is emptied when it holds this many distinct layers (memory bound)."""

_BOUND_SLOT = {Bound.COMPUTE: 1, Bound.MEMORY: 2, Bound.LATENCY: 3}
"""Position of each bound's seconds in a node's 4-tuple per GPU (slot 0 is the total)."""
_SLOTS = 4


@define(frozen=True, kw_only=True)
class TreeTime:
    """Roofline time of a tree on one GPU, and how much of it each bound accounts for.

    ``seconds`` is summed on its own (it is not recomputed from the three parts, which can
    differ from it in the last bits).

    Example
    -------
    >>> TreeTime(seconds=3.0, compute_seconds=1.0, memory_seconds=2.0, latency_seconds=0.0).dominant_bound
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
    Every table is emptied together when the nodes reach ``max_nodes`` (memory bound).

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
        """Forget every node and time."""
        self._nodes.clear()
        self._by_content.clear()
        self._groups.clear()

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
) -> tuple[TreeTime, ...]:
    """Forward roofline time of ``layer`` on each of ``rates`` (one :class:`TreeTime` per GPU, same order),
    remembered in ``cache`` (default :data:`ROOFLINE_CACHE`)."""
    if min_kernel_seconds < 0:
        raise ValueError(f"min_kernel_seconds: must be >= 0, got {min_kernel_seconds}")
    engine = ROOFLINE_CACHE if cache is None else cache
    group = tuple(rates)
    key = engine.group(group, min_kernel_seconds)
    flat = _times(engine.node(layer), group, min_kernel_seconds, key)
    return tuple(
        TreeTime(
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
