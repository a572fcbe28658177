"""Scaled dot-product attention core: ``softmax(Q K^T * scale + bias) V``.

Shapes: ``Q [batch, heads, q_len, head_dim]``, ``K, V [batch, kv_heads, kv_len, head_dim]``.
Windowed attention is expressed by folding the windows into ``batch``.

Two FLOP figures (both Tensor-Core):

* ``forward_tensor_core_flops`` (*counted*): torch's FlopCounterMode convention, the full
  ``q_len x kv_len`` score matrix even when causal: ``2 * 2 * batch * heads * q_len * kv_len * head_dim``.
* ``forward_executed_tensor_core_flops``: what a causal-aware (flash) kernel executes:
  query ``i`` (0-based, aligned to the end of the keys) sees ``kv_len - q_len + i + 1`` keys.

I/O depends on the implementation:

* ``flash``: reads Q, K, V once, writes O; scores never leave the chip.
* ``eager``: additionally writes the score matrix, reads it for softmax, writes the
  probabilities and reads them for ``P V`` (4 passes over ``batch*heads*q_len*kv_len``
  elements of the compute dtype).
"""

from __future__ import annotations

from typing import ClassVar, Literal

from attrs import define, field

from modelmeter.layers.activations import SOFTMAX_BACKWARD_FLOPS_PER_ELEMENT, SOFTMAX_FLOPS_PER_ELEMENT
from modelmeter.layers.base import BaseLayer, OperatorCategory, field_error, known_dtype, non_negative, positive
from modelmeter.metrics import LayerMetrics
from modelmeter.primitives import elementwise_flops, matmul_flops
from modelmeter.units import dtype_bytes

AttentionImpl = Literal["flash", "eager"]
ATTENTION_IMPLS: tuple[str, ...] = ("flash", "eager")

SCALE_FLOPS_PER_SCORE = 1
"""Multiplying each score by ``1/sqrt(head_dim)``."""
BIAS_FLOPS_PER_SCORE = 1
"""Adding a mask or a relative-position bias to each score."""


def causal_visible_keys(q_len: int, kv_len: int) -> int:
    """Sum over queries of the keys each sees under a causal mask aligned to the end:
    query ``i`` sees ``min(kv_len, kv_len - q_len + i + 1)`` keys."""
    offset = kv_len - q_len
    if offset >= 0:
        return q_len * offset + q_len * (q_len + 1) // 2
    # more queries than keys: the first -offset queries see nothing (rows fully masked)
    return kv_len * (kv_len + 1) // 2


def _attention_impl(instance: object, attribute: object, value: str) -> None:
    if value not in ATTENTION_IMPLS:
        raise ValueError(f"implementation: unknown {value!r}; allowed: {', '.join(ATTENTION_IMPLS)}")


@define(frozen=True, kw_only=True)
class AttentionCore(BaseLayer):
    """The two attention contractions with softmax in between (no projections).

    Example
    -------
    >>> core = AttentionCore(batch=1, heads=2, q_len=4, kv_len=4, head_dim=8, causal=True)
    >>> core.forward_tensor_core_flops  # 2 matmuls * 2 * 1*2*4*4*8
    1024
    >>> core.forward_executed_tensor_core_flops  # 10 of 16 scores visible
    640
    """

    batch: int = field(validator=non_negative)
    heads: int = field(validator=positive)
    q_len: int = field(validator=non_negative)
    kv_len: int = field(validator=non_negative)
    head_dim: int = field(validator=positive)
    kv_heads: int | None = None
    causal: bool = False
    has_bias: bool = False
    implementation: str = field(default="flash", validator=_attention_impl)
    dtype: str = field(default="bfloat16", validator=known_dtype)
    cached_kv_len: int = field(default=0, validator=non_negative)
    """Keys/values of this many leading tokens come from a KV cache: their reads are booked
    as ``forward_kv_cache_read_bytes`` instead of activation reads."""

    category: ClassVar[OperatorCategory] = OperatorCategory.ATTENTION
    definition: ClassVar[str] = "Scaled dot-product attention: softmax(Q K^T / sqrt(d) + bias) V."
    formulas: ClassVar[dict[str, str]] = {
        "forward_tensor_core_flops": "2 * (2 * batch * heads * q_len * kv_len * head_dim)  (QK^T and PV, full)",
        "forward_executed_tensor_core_flops": "4 * batch * heads * head_dim * visible_keys  (causal-aware)",
        "backward_tensor_core_flops": "2 * forward  (dV = P^T dO, dP = dO V^T, dQ = dS K, dK = dS^T Q)",
        "forward_cuda_core_flops": "(softmax 5 + scale 1 + bias 1) * batch * heads * scores",
        "forward_io_bytes": "flash: Q, K, V read + O write; eager: + 4 * batch*heads*q_len*kv_len score passes",
    }

    @property
    def n_kv_heads(self) -> int:
        """Key/value heads (``heads`` unless grouped-query attention)."""
        return self.heads if self.kv_heads is None else self.kv_heads

    @property
    def score_elements(self) -> int:
        """Elements of the full score matrix."""
        return self.batch * self.heads * self.q_len * self.kv_len

    @property
    def executed_score_elements(self) -> int:
        """Score elements a causal-aware kernel computes."""
        if not self.causal:
            return self.score_elements
        return self.batch * self.heads * causal_visible_keys(self.q_len, self.kv_len)

    def __attrs_post_init__(self) -> None:
        if self.cached_kv_len > self.kv_len:
            raise field_error(self, "cached_kv_len", f"{self.cached_kv_len} exceeds kv_len {self.kv_len}")

    def own_metrics(self) -> LayerMetrics:
        b = dtype_bytes(self.dtype)
        bh, d = self.batch * self.heads, self.head_dim
        counted = matmul_flops(self.q_len, self.kv_len, d, batch=bh)  # Q [q, d] @ K^T [d, kv]
        counted += matmul_flops(self.q_len, d, self.kv_len, batch=bh)  # P [q, kv] @ V [kv, d]
        executed = 2 * 2 * d * self.executed_score_elements
        eager = self.implementation == "eager"
        # eager computes (and masks) every score; flash only the visible ones
        scores = self.score_elements if eager else self.executed_score_elements
        per_score = (
            SOFTMAX_FLOPS_PER_ELEMENT
            + SCALE_FLOPS_PER_SCORE
            + (BIAS_FLOPS_PER_SCORE if (self.has_bias or (self.causal and eager)) else 0)
        )
        q_elems = bh * self.q_len * d
        kv_elems = self.batch * self.n_kv_heads * self.kv_len * d
        cached_elems = self.batch * self.n_kv_heads * self.cached_kv_len * d
        score_passes = 4 * self.score_elements * b if eager else 0
        bias_read = self.score_elements * b if self.has_bias else 0
        return LayerMetrics(
            forward_tensor_core_flops=counted,
            forward_executed_tensor_core_flops=executed if not eager else counted,
            backward_tensor_core_flops=2 * counted,
            forward_cuda_core_flops=elementwise_flops(scores, per_score),
            backward_cuda_core_flops=elementwise_flops(scores, SOFTMAX_BACKWARD_FLOPS_PER_ELEMENT + 1),
            forward_activation_read_bytes=(q_elems + 2 * (kv_elems - cached_elems)) * b + score_passes // 2 + bias_read,
            forward_kv_cache_read_bytes=2 * cached_elems * b,
            forward_activation_write_bytes=q_elems * b + score_passes // 2,
            backward_activation_read_bytes=(3 * q_elems + 2 * kv_elems) * b + score_passes // 2,
            backward_activation_write_bytes=(q_elems + 2 * kv_elems) * b + score_passes // 2,
            activation_memory_bytes=q_elems * b + (2 * self.score_elements * b if eager else 0),
        )
