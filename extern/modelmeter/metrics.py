"""The metric record every layer returns, and how records add up.

All values are integers: FLOPs (a multiply-add is 2), bytes, parameter counts.

Example
-------
>>> a = LayerMetrics(forward_tensor_core_flops=10, params=3)
>>> (a + a.scaled(2)).forward_tensor_core_flops
30
>>> a.forward_io_bytes
0
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from attrs import define, fields


@define(frozen=True, kw_only=True, slots=True)
class LayerMetrics:
    """Closed-form metrics of one layer call (or of a composite: the sum over its calls).

    Tensor-Core FLOPs are the contractions ``FlopCounterMode`` counts (matmul, conv,
    attention). ``forward_tensor_core_flops`` follows its convention (a causal attention
    counts the full ``s_q x s_kv`` score matrix); ``forward_executed_tensor_core_flops``
    counts what a causal-aware kernel really executes and feeds the time model.
    CUDA-core FLOPs are the documented per-element costs of norms, activations,
    softmax, elementwise and routing work that torch does not count.

    Forward I/O is split into weight reads, activation reads and writes, and KV-cache
    reads and writes, each counted once per kernel-sized operation (the minimum traffic
    of an implementation that reads each input and writes each output once).
    Backward I/O is split the same way, without the KV cache (inference-only state).

    Memory: ``weight_memory_bytes`` (parameters resident), ``activation_memory_bytes``
    (every output tensor the layer's operations produce, i.e. what a training step
    would keep for backward), ``kv_cache_memory_bytes`` (keys and values held).
    """

    forward_tensor_core_flops: int = 0
    forward_executed_tensor_core_flops: int = 0
    backward_tensor_core_flops: int = 0
    forward_cuda_core_flops: int = 0
    backward_cuda_core_flops: int = 0
    forward_weight_read_bytes: int = 0
    forward_activation_read_bytes: int = 0
    forward_activation_write_bytes: int = 0
    forward_kv_cache_read_bytes: int = 0
    forward_kv_cache_write_bytes: int = 0
    backward_weight_read_bytes: int = 0
    backward_activation_read_bytes: int = 0
    backward_activation_write_bytes: int = 0
    params: int = 0
    weight_memory_bytes: int = 0
    activation_memory_bytes: int = 0
    kv_cache_memory_bytes: int = 0

    def __add__(self, other: LayerMetrics) -> LayerMetrics:
        return _add(self, other)

    def scaled(self, count: int) -> LayerMetrics:
        """The metrics of ``count`` identical calls."""
        return _scale(self, count)

    def as_dict(self) -> dict[str, int]:
        """Field name -> value, in declaration order."""
        return {n: getattr(self, n) for n in METRIC_NAMES}

    # ---- derived quantities (never stored) -------------------------------------------
    @property
    def forward_flops(self) -> int:
        """Tensor-Core plus CUDA-core forward FLOPs (counted convention)."""
        return self.forward_tensor_core_flops + self.forward_cuda_core_flops

    @property
    def backward_flops(self) -> int:
        """Tensor-Core plus CUDA-core backward FLOPs."""
        return self.backward_tensor_core_flops + self.backward_cuda_core_flops

    @property
    def forward_io_bytes(self) -> int:
        """All forward traffic: weights, activations and KV cache, reads and writes."""
        return (
            self.forward_weight_read_bytes
            + self.forward_activation_read_bytes
            + self.forward_activation_write_bytes
            + self.forward_kv_cache_read_bytes
            + self.forward_kv_cache_write_bytes
        )

    @property
    def backward_io_bytes(self) -> int:
        """All backward traffic."""
        return (
            self.backward_weight_read_bytes + self.backward_activation_read_bytes + self.backward_activation_write_bytes
        )

    @property
    def forward_arithmetic_intensity(self) -> float:
        """Forward FLOPs per forward byte moved (0.0 when nothing moves)."""
        io = self.forward_io_bytes
        return self.forward_flops / io if io else 0.0

    @property
    def backward_arithmetic_intensity(self) -> float:
        """Backward FLOPs per backward byte moved (0.0 when nothing moves)."""
        io = self.backward_io_bytes
        return self.backward_flops / io if io else 0.0


METRIC_NAMES: tuple[str, ...] = tuple(f.name for f in fields(LayerMetrics))
ZERO = LayerMetrics()
PER_INSTANCE_METRICS: tuple[str, ...] = ("params", "weight_memory_bytes", "kv_cache_memory_bytes")
"""State held by a module instance rather than produced by a call: repeated calls of one
instance hold it once (see :func:`weighted_sum`)."""


def _field_wise(expr: str, params: str) -> Callable[..., LayerMetrics]:
    """Compile ``LayerMetrics(name=<expr for name>, ...)`` over every field once: the sums in
    every composite run through these two functions, so they avoid per-field ``getattr``."""
    body = ", ".join(f"{n}={expr.format(n=n)}" for n in METRIC_NAMES)
    namespace: dict[str, object] = {"LayerMetrics": LayerMetrics}
    exec(f"def op({params}):\n    return LayerMetrics({body})\n", namespace)  # the field names are fixed, not input
    return namespace["op"]  # type: ignore[return-value]


_add = _field_wise("a.{n} + b.{n}", "a, b")
_scale = _field_wise("a.{n} * k", "a, k")


_WEIGHTED_SUMS: dict[int, Callable[[Sequence[LayerMetrics | int]], LayerMetrics]] = {}


def _weighted_sum_op(n: int) -> Callable[[Sequence[LayerMetrics | int]], LayerMetrics]:
    """Compile (once per ``n``) the weighted sum of ``n`` records: one constructor call
    instead of ``n - 1`` additions and the scalings."""
    names = ", ".join(f"m{i}, k{i}, i{i}" for i in range(n))

    def term(name: str) -> str:
        weight = "i" if name in PER_INSTANCE_METRICS else "k"
        return " + ".join(f"m{i}.{name} * {weight}{i}" for i in range(n))

    body = ", ".join(f"{name}={term(name)}" for name in METRIC_NAMES)
    namespace: dict[str, object] = {"LayerMetrics": LayerMetrics}
    exec(f"def op(t):\n    {names}, = t\n    return LayerMetrics({body})\n", namespace)  # fixed names, not input
    return namespace["op"]  # type: ignore[return-value]


def weighted_sum(terms: Sequence[LayerMetrics | int]) -> LayerMetrics:
    """``sum(m * calls)`` over flat ``(m, calls, instances, m, calls, instances, ...)`` triples,
    with the :data:`PER_INSTANCE_METRICS` weighted by ``instances`` instead of ``calls``.

    Example
    -------
    >>> a = LayerMetrics(forward_tensor_core_flops=10, params=3)
    >>> s = weighted_sum([a, 1, 1, a, 4, 0])  # a, plus 4 more calls of a on the same instance
    >>> s.forward_tensor_core_flops, s.params
    (50, 3)
    """
    n, rest = divmod(len(terms), 3)
    if rest or not n:
        raise ValueError(f"terms: expected (metrics, calls, instances) triples, got {len(terms)} items")
    op = _WEIGHTED_SUMS.get(n)
    if op is None:
        op = _WEIGHTED_SUMS[n] = _weighted_sum_op(n)
    return op(terms)
