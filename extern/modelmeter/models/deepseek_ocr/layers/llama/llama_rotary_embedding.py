"""``LlamaRotaryEmbedding`` as DeepSeek-OCR's decoder uses it: every attention layer builds
its own cos/sin table for the positions of its call, then rotates the queries and keys.

The vendor's code (transformers 4.46.3's ``LlamaRotaryEmbedding``, called inside every
attention layer) forms the table's frequencies as a batched outer product
``inv_freq [batch, head_dim/2, 1] @ position_ids [batch, 1, q_len]``: a ``bmm`` that
``FlopCounterMode`` counts, ``2 * batch * (head_dim / 2) * q_len`` FLOPs per call. It is
booked as Tensor-Core FLOPs (counted convention) so that the totals equal what torch counts on
the real model; the project's reference runs the same per-layer product
(:func:`llm_perf_opt.reference.text.use_vendor_rotary`).

Per-element CUDA-core costs (documented estimates; torch counts none of them):

* Table, per ``(position, rotary dim)`` element of the ``[batch, q_len, head_dim]`` table, 4:
  ``cos`` 1, ``sin`` 1, and the two ``attention_scaling`` multiplies (1.0 for the default
  RoPE, still executed) 2 (the half-width frequencies are duplicated by a concatenation).
* Rotation, per element of ``q`` and ``k``, 3: a pair ``(x1, x2)`` becomes
  ``(x1 cos - x2 sin, x2 cos + x1 sin)``, 4 multiplies and 2 adds per 2 elements (the
  negation of ``rotate_half`` folds into the subtraction). Backward: the same rotation with
  ``-sin``, 3 per element. The table is built without gradient.
"""

from __future__ import annotations

from typing import ClassVar

from attrs import define, field

from modelmeter.layers.base import (
    BaseLayer,
    OperatorCategory,
    check_divides,
    field_error,
    known_dtype,
    non_negative,
    positive,
)
from modelmeter.metrics import LayerMetrics
from modelmeter.primitives import elementwise_flops, matmul_flops, tensor_bytes
from modelmeter.units import dtype_bytes

ROPE_TABLE_FLOPS_PER_ELEMENT = 4
"""cos/sin table: cos 1, sin 1, two attention-scaling multiplies 2 (the frequency product is
the counted outer product, see the module docstring)."""
ROPE_APPLY_FLOPS_PER_ELEMENT = 3
"""Rotating one element of q or k: 2 multiplies and 1 add (per element of a rotated pair)."""
ROPE_APPLY_BACKWARD_FLOPS_PER_ELEMENT = 3
"""The gradient of a rotation is the inverse rotation: the same 3 per element."""
POSITION_ID_BYTES = 8
"""``position_ids`` are int64."""
INV_FREQ_BYTES = 4
"""The ``inv_freq`` buffer is fp32 (a non-persistent buffer, not a parameter)."""


@define(frozen=True, kw_only=True)
class LlamaRotaryEmbedding(BaseLayer):
    """Rotary position embedding of one attention call: build the ``[batch, q_len, head_dim]``
    cos/sin tables, then rotate ``heads`` query heads and ``kv_heads`` key heads.

    Example
    -------
    >>> rope = LlamaRotaryEmbedding(batch=1, q_len=2, head_dim=4, heads=2, kv_heads=2)
    >>> rope.forward_cuda_core_flops  # table 4 * 1*2*4 = 32; rotate 3 * 2 * (2+2)*4 = 96
    128
    >>> rope.forward_tensor_core_flops, rope.params  # outer product 2 * 1 * (4/2) * 2
    (8, 0)
    """

    batch: int = field(validator=positive)
    q_len: int = field(validator=non_negative)
    head_dim: int = field(validator=positive)
    heads: int = field(validator=positive)
    kv_heads: int = field(validator=positive)
    dtype: str = field(default="bfloat16", validator=known_dtype)

    category: ClassVar[OperatorCategory] = OperatorCategory.OTHER
    definition: ClassVar[str] = (
        "Rotary position embedding: per-call cos/sin tables of the positions, applied as a rotation to q and k."
    )
    formulas: ClassVar[dict[str, str]] = {
        "forward_tensor_core_flops": "2 * batch * (head_dim / 2) * q_len  (inv_freq @ position_ids, per call)",
        "forward_cuda_core_flops": (
            f"{ROPE_TABLE_FLOPS_PER_ELEMENT} * batch * q_len * head_dim (table)"
            f" + {ROPE_APPLY_FLOPS_PER_ELEMENT} * batch * q_len * (heads + kv_heads) * head_dim (rotate q, k)"
        ),
        "backward_cuda_core_flops": (
            f"{ROPE_APPLY_BACKWARD_FLOPS_PER_ELEMENT} * batch * q_len * (heads + kv_heads) * head_dim"
        ),
        "forward_io_bytes": (
            "table: 8 * batch * q_len (position ids) + 4 * head_dim / 2 (inv_freq) + 2 tables written;"
            " rotate: q, k and both tables read, q, k written"
        ),
        "params": "0 (inv_freq is a non-persistent buffer)",
    }

    def __attrs_post_init__(self) -> None:
        check_divides(self, "heads", self.heads, "kv_heads", self.kv_heads)
        if self.head_dim % 2:
            raise field_error(self, "head_dim", f"{self.head_dim} is odd; rotary positions rotate pairs of channels")

    @property
    def table_elements(self) -> int:
        """Elements of one of the two tables (cos or sin)."""
        return self.batch * self.q_len * self.head_dim

    @property
    def rotated_elements(self) -> int:
        """Elements of q and k together."""
        return self.batch * self.q_len * (self.heads + self.kv_heads) * self.head_dim

    def own_metrics(self) -> LayerMetrics:
        b = dtype_bytes(self.dtype)
        table = tensor_bytes(self.table_elements, b)
        qk = tensor_bytes(self.rotated_elements, b)
        table_inputs = self.batch * self.q_len * POSITION_ID_BYTES + (self.head_dim // 2) * INV_FREQ_BYTES
        # inv_freq [batch, head_dim/2, 1] @ position_ids [batch, 1, q_len]
        outer = matmul_flops(self.head_dim // 2, self.q_len, 1, batch=self.batch)
        return LayerMetrics(
            forward_tensor_core_flops=outer,
            forward_executed_tensor_core_flops=outer,
            forward_cuda_core_flops=elementwise_flops(self.table_elements, ROPE_TABLE_FLOPS_PER_ELEMENT)
            + elementwise_flops(self.rotated_elements, ROPE_APPLY_FLOPS_PER_ELEMENT),
            backward_cuda_core_flops=elementwise_flops(self.rotated_elements, ROPE_APPLY_BACKWARD_FLOPS_PER_ELEMENT),
            # table build: ids + inv_freq in, cos + sin out; rotation: q, k, cos, sin in, q, k out
            forward_activation_read_bytes=table_inputs + qk + 2 * table,
            forward_activation_write_bytes=2 * table + qk,
            # backward: dq, dk and both tables in, dq, dk out (the tables carry no gradient)
            backward_activation_read_bytes=qk + 2 * table,
            backward_activation_write_bytes=qk,
            activation_memory_bytes=2 * table + qk,
        )
