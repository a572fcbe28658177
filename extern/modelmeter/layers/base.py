"""The :class:`BaseLayer` contract every analytic layer implements.

A layer is an immutable description of one module call at fixed shapes and dtypes
(an attrs class holding only scalars). It answers, in closed form:

* its **own** work (:meth:`BaseLayer.own_metrics`): the operations it performs itself,
  written once with the primitives of :mod:`modelmeter.primitives`;
* its **children** (:meth:`BaseLayer.children`): sub-layers, each with a relative
  module path and a call count, so repeated identical blocks are ``(block, count)``.

Totals (:meth:`BaseLayer.metrics`) are the sum of the children's totals times their
counts plus the layer's own work, computed here and nowhere else. A parent never
re-derives a child's formula.

Conventions: a multiply-add is 2 FLOPs (:data:`modelmeter.units.FLOPS_PER_MAC`);
Tensor-Core FLOPs are what ``torch.utils.flop_counter.FlopCounterMode`` counts
(matmul, conv, attention contractions), CUDA-core FLOPs are everything else.

Example
-------
>>> from modelmeter.layers import Linear
>>> layer = Linear(tokens=4, in_features=5, out_features=6, bias=False)
>>> layer.forward_tensor_core_flops  # 4 * 6 * 5 MACs * 2
240
>>> layer.params
30
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

import attrs
from attrs import define, field

from modelmeter.metrics import ZERO, LayerMetrics, weighted_sum
from modelmeter.units import KNOWN_DTYPES


class OperatorCategory(enum.StrEnum):
    """Operator family a leaf layer's work is booked under in breakdowns."""

    CONV = "conv"
    LINEAR = "linear"
    ATTENTION = "attention"
    NORM = "norm"
    ACTIVATION = "activation"
    EMBEDDING = "embedding"
    MOE_ROUTING = "moe_routing"
    OTHER = "other"


def _positive_count(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if value < 1:
        raise ValueError(f"{attribute.name}: must be >= 1, got {value}")


@define(frozen=True, slots=True)
class Child:
    """A sub-layer of a composite.

    Parameters
    ----------
    name
        Path relative to the parent, as the vendor's module names it (``"blocks.3"``,
        ``"mlp"``); ``*`` stands for a run of identical instances (``"experts.*"``).
    layer
        The analytic layer.
    count
        Identical calls represented by this entry (>= 1).
    instances
        Distinct module instances behind those calls (default: ``count``). Parameters,
        weight memory and KV-cache memory belong to instances, not calls: a module called
        again on new inputs (SAM on the crops, then on the global view; a decode step
        re-using the prefill's weights) is a child with ``instances=0``.
    """

    name: str
    layer: BaseLayer
    count: int = field(default=1, validator=_positive_count)
    instances: int | None = None

    @property
    def n_instances(self) -> int:
        """``instances``, defaulting to ``count``."""
        return self.count if self.instances is None else self.instances


class BaseLayer(ABC):
    """Abstract analytic layer: closed-form FLOPs, bytes and memory of one module call.

    Subclasses are ``@define(frozen=True, kw_only=True)`` attrs classes whose fields are
    shapes and dtypes: immutable and hashable, never written to after construction (what is
    computed about them is remembered in a :class:`LayerCache`). They implement :meth:`own_metrics` and, when composite,
    :meth:`children`; class attributes document them:

    ``category``
        The :class:`OperatorCategory` of the layer's own work.
    ``definition``
        One sentence: what the module is.
    ``formulas``
        Metric name -> formula text, rendered in the docs and reports.

    Example
    -------
    >>> from modelmeter.layers import Linear
    >>> Linear(tokens=2, in_features=3, out_features=4, bias=True).metrics().params
    16
    """

    __slots__ = ()  # with attrs' slotted subclasses: no instance ``__dict__``, nothing can be attached later

    category: ClassVar[OperatorCategory] = OperatorCategory.OTHER
    definition: ClassVar[str] = ""
    formulas: ClassVar[Mapping[str, str]] = {}

    # ---- what subclasses write ------------------------------------------------------
    @abstractmethod
    def own_metrics(self) -> LayerMetrics:
        """Work this layer does itself, excluding its children (``ZERO`` for pure containers)."""

    def children(self) -> tuple[Child, ...]:
        """Sub-layers with their relative module paths and call counts (empty for a leaf)."""
        return ()

    # ---- derived: written once, here --------------------------------------------------
    # A layer is never written to after construction: what is remembered about it (its
    # children, own work, totals) lives in a :class:`LayerCache` owned by the caller, or in
    # the process's :data:`LAYER_CACHE` when none is given.
    def cached_children(self, cache: LayerCache | None = None) -> tuple[Child, ...]:
        """:meth:`children`, built once per distinct value (in ``cache``, default :data:`LAYER_CACHE`)."""
        return (LAYER_CACHE if cache is None else cache).children(self)

    def cached_own_metrics(self, cache: LayerCache | None = None) -> LayerMetrics:
        """:meth:`own_metrics`, computed once per distinct value (in ``cache``, default :data:`LAYER_CACHE`)."""
        return (LAYER_CACHE if cache is None else cache).own(self)

    def metrics(self, cache: LayerCache | None = None) -> LayerMetrics:
        """Totals: own work plus each child's totals times its count.

        Remembered by value in ``cache`` (default :data:`LAYER_CACHE`): equal layers (same
        class, same fields: e.g. the 8 SAM window blocks, or the same MoE in 11 decoder
        layers) are evaluated once.
        """
        return (LAYER_CACHE if cache is None else cache).metrics(self)

    def category_breakdown(
        self, memo: dict[int, dict[OperatorCategory, LayerMetrics]] | None = None
    ) -> dict[OperatorCategory, LayerMetrics]:
        """Totals split by the :class:`OperatorCategory` of the layer that did the work.

        ``memo`` (the caller's, keyed by ``id`` of the layers of one tree it keeps alive) holds the split of every
        subtree already computed, so splitting every node of a tree costs one pass instead of one per node."""
        if memo is not None and (done := memo.get(id(self))) is not None:
            return done
        out: dict[OperatorCategory, LayerMetrics] = {}
        own = self.own_metrics()
        if own != ZERO:
            out[self.category] = own
        for child in self.cached_children():
            for cat, m in child.layer.category_breakdown(memo).items():
                scaled = scale_for_child(m, child)
                out[cat] = out[cat] + scaled if cat in out else scaled
        if memo is not None:
            memo[id(self)] = out
        return out

    def walk(self, path: str = "", count: int = 1) -> Iterator[tuple[str, BaseLayer, int]]:
        """Yield ``(module_path, layer, total_calls)`` for this layer and every descendant,
        parents before children; ``total_calls`` multiplies the counts along the path."""
        yield path, self, count
        for child in self.cached_children():
            sub = f"{path}.{child.name}" if path else child.name
            yield from child.layer.walk(sub, count * child.count)

    @property
    def identifier(self) -> str:
        """Stable id: class name and its shape fields, e.g. ``Linear(tokens=4, ...)``."""
        cls: Any = type(self)
        parts = ", ".join(f"{a.name}={getattr(self, a.name)!r}" for a in attrs.fields(cls))
        return f"{type(self).__name__}({parts})"

    # ---- convenience accessors: units in the names -----------------------------------
    @property
    def forward_tensor_core_flops(self) -> int:
        """Forward matmul/conv/attention FLOPs as FlopCounterMode counts them."""
        return self.metrics().forward_tensor_core_flops

    @property
    def forward_executed_tensor_core_flops(self) -> int:
        """Forward Tensor-Core FLOPs a causal-aware kernel executes."""
        return self.metrics().forward_executed_tensor_core_flops

    @property
    def backward_tensor_core_flops(self) -> int:
        """Backward Tensor-Core FLOPs (input and weight gradients)."""
        return self.metrics().backward_tensor_core_flops

    @property
    def forward_cuda_core_flops(self) -> int:
        """Forward FLOPs torch does not count (norms, activations, softmax, elementwise)."""
        return self.metrics().forward_cuda_core_flops

    @property
    def backward_cuda_core_flops(self) -> int:
        """Backward CUDA-core FLOPs."""
        return self.metrics().backward_cuda_core_flops

    @property
    def forward_io_bytes(self) -> int:
        """Forward bytes moved (weights, activations, KV cache)."""
        return self.metrics().forward_io_bytes

    @property
    def backward_io_bytes(self) -> int:
        """Backward bytes moved."""
        return self.metrics().backward_io_bytes

    @property
    def arithmetic_intensity(self) -> float:
        """Forward FLOPs per forward byte (derived, never stored)."""
        return self.metrics().forward_arithmetic_intensity

    @property
    def params(self) -> int:
        """Parameter count."""
        return self.metrics().params

    @property
    def weight_memory_bytes(self) -> int:
        """Bytes of resident parameters."""
        return self.metrics().weight_memory_bytes

    @property
    def activation_memory_bytes(self) -> int:
        """Bytes of output tensors produced."""
        return self.metrics().activation_memory_bytes

    @property
    def kv_cache_memory_bytes(self) -> int:
        """Bytes of keys and values held in the cache."""
        return self.metrics().kv_cache_memory_bytes


MAX_CACHED_LAYERS = 1 << 16
"""A :class:`LayerCache` table is emptied when it holds this many distinct layers (memory bound;
later look-ups start afresh)."""


class LayerEntry:
    """What a :class:`LayerCache` remembers about one distinct layer value: the first instance
    seen (``layer``), and its children, own work and totals once asked for."""

    __slots__ = ("children", "layer", "own", "total")

    def __init__(self, layer: BaseLayer) -> None:
        self.layer = layer
        self.children: tuple[Child, ...] | None = None
        self.own: LayerMetrics | None = None
        self.total: LayerMetrics | None = None


class LayerCache:
    """What is remembered about layers, by value: children, own work and totals.

    Layers are frozen, hashable attrs instances and are never written to; this object, owned
    by whoever made it, holds what was computed about them. Equal layers (same class, same
    fields) share one :class:`LayerEntry`, so a block repeated in many places, or built again
    for another workload, is evaluated once. An instance already looked up is found again by
    identity (the table keeps it alive, so its ``id`` is not reused), without hashing its
    fields. Each table is emptied when it reaches ``max_layers`` entries.

    Example
    -------
    >>> from modelmeter.layers import Linear
    >>> cache = LayerCache()
    >>> layer = Linear(tokens=2, in_features=3, out_features=4, bias=True)
    >>> cache.metrics(layer).params, len(cache)
    (16, 1)
    >>> cache.metrics(Linear(tokens=2, in_features=3, out_features=4, bias=True)) is cache.metrics(layer)
    True
    """

    __slots__ = ("_by_id", "_by_value", "max_layers")

    def __init__(self, max_layers: int = MAX_CACHED_LAYERS) -> None:
        if max_layers < 1:
            raise ValueError(f"max_layers: must be >= 1, got {max_layers}")
        self.max_layers = max_layers
        self._by_value: dict[BaseLayer, LayerEntry] = {}
        self._by_id: dict[int, tuple[BaseLayer, LayerEntry]] = {}

    def __len__(self) -> int:
        """Distinct layer values held."""
        return len(self._by_value)

    def clear(self) -> None:
        """Forget everything."""
        self._by_value.clear()
        self._by_id.clear()

    # ``dict.get`` rather than ``try/except KeyError``: most look-ups on a new layer miss,
    # and a raised KeyError costs more than the rest of the look-up.
    def entry(self, layer: BaseLayer) -> LayerEntry:
        """The entry shared by every layer equal to ``layer``."""
        seen = self._by_id.get(id(layer))
        if seen is not None and seen[0] is layer:
            return seen[1]
        entry = self._by_value.get(layer)
        if entry is None:
            if len(self._by_value) >= self.max_layers:
                self.clear()
            entry = self._by_value[layer] = LayerEntry(layer)
        if len(self._by_id) >= self.max_layers:
            self._by_id.clear()
        self._by_id[id(layer)] = (layer, entry)
        return entry

    def children(self, layer: BaseLayer) -> tuple[Child, ...]:
        """``layer.children()``, built once per distinct value."""
        entry = self.entry(layer)
        kids = entry.children
        if kids is None:
            kids = entry.children = entry.layer.children()
        return kids

    def own(self, layer: BaseLayer) -> LayerMetrics:
        """``layer.own_metrics()``, computed once per distinct value."""
        entry = self.entry(layer)
        own = entry.own
        if own is None:
            own = entry.own = entry.layer.own_metrics()
        return own

    def metrics(self, layer: BaseLayer) -> LayerMetrics:
        """Totals of ``layer``: its own work plus each child's totals times its count."""
        seen = self._by_id.get(id(layer))  # :meth:`entry`'s first step, inline on this hot path
        entry = seen[1] if seen is not None and seen[0] is layer else self.entry(layer)
        total = entry.total
        if total is None:
            own = entry.own
            if own is None:
                own = entry.own = entry.layer.own_metrics()
            kids = entry.children
            if kids is None:
                kids = entry.children = entry.layer.children()
            if kids:
                terms: list[LayerMetrics | int] = [own, 1, 1]
                for child in kids:
                    count, instances = child.count, child.instances
                    terms += (self.metrics(child.layer), count, count if instances is None else instances)
                total = weighted_sum(terms)  # own + each child's scale_for_child, in one constructor call
            else:
                total = own
            entry.total = total
        return total


LAYER_CACHE = LayerCache()
"""The process's :class:`LayerCache`, used when a caller does not hand its own."""


def scale_for_child(metrics: LayerMetrics, child: Child) -> LayerMetrics:
    """A child's metrics times its call count, with the per-instance state (parameters,
    weight memory, KV-cache memory) times its instance count instead."""
    if child.count == 1 and child.instances is None:
        return metrics
    return weighted_sum((metrics, child.count, child.n_instances))


def short_int(value: int) -> str:
    """A possibly huge integer for a message, in bounded length: its digits up to 15 of them, ``1.000e+20`` up
    to a float's range, else its digit count.

    Example
    -------
    >>> short_int(12345), short_int(10**20), short_int(10**400)
    ('12,345', '1.000e+20', 'an integer of 401 digits')
    """
    if abs(value) < 10**15:
        return f"{value:,}"
    if abs(value) < 10**300:
        return f"{value:.3e}"
    return f"an integer of {len(str(abs(value))):,} digits"


def field_error(instance: object, name: str, message: str) -> ValueError:
    """A one-line ``ValueError`` about field ``name``: ``"Attention.dim: ..."`` for a layer (its class named, as
    a layer is built deep inside a model), ``"dim: ..."`` for a config or workload record (whose fields are the
    keys of the file the user wrote).

    Example
    -------
    >>> from modelmeter.layers.linear import Linear
    >>> Linear(tokens=1, in_features=0, out_features=1)
    Traceback (most recent call last):
    ...
    ValueError: Linear.in_features: must be an integer >= 1, got 0
    """
    where = f"{type(instance).__name__}.{name}" if isinstance(instance, BaseLayer) else name
    return ValueError(f"{where}: {message}")


def check_divides(instance: object, name: str, value: int, divisor_name: str, divisor: int) -> None:
    """``field_error`` unless ``divisor`` divides ``value`` (heads dividing a width, a patch dividing an image)."""
    if value % divisor:
        raise field_error(instance, name, f"{value} is not a multiple of {divisor_name} ({divisor})")


def non_negative(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    """attrs validator: an integer dimension that may be zero (e.g. an expert with no tokens)."""
    if type(value) is int and value >= 0:  # the common case, decided without the checks below
        return
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise field_error(instance, attribute.name, f"must be an integer >= 0, got {value!r}")


def positive(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    """attrs validator: an integer dimension that must be at least 1."""
    if type(value) is int and value >= 1:  # the common case, decided without the checks below
        return
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise field_error(instance, attribute.name, f"must be an integer >= 1, got {value!r}")


def known_dtype(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    """attrs validator: a dtype name :func:`modelmeter.units.dtype_bytes` knows."""
    if value not in KNOWN_DTYPES:
        raise field_error(instance, attribute.name, f"unknown dtype {value!r}; allowed: {', '.join(KNOWN_DTYPES)}")
