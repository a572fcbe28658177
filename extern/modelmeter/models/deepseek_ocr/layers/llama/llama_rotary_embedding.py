"""``LlamaRotaryEmbedding`` as DeepSeek-OCR's decoder uses it: every attention layer builds
its own cos/sin table for the positions of its call, then rotates the queries and keys.

Per-element CUDA-core costs (documented estimates; torch's FlopCounterMode counts none of it
in the maintained transformers module, which builds the table with an elementwise product):

* Table, per ``(position, rotary dim)`` element of the ``[batch, q_len, head_dim]`` table, 5:
  frequency product ``position * inv_freq`` 1 (the half-width product is duplicated by a
  concatenation; counted once per element), ``cos`` 1, ``sin`` 1, and the two
  ``attention_scaling`` multiplies (1.0 for the default RoPE, still executed) 2.
* Rotation, per element of ``q`` and ``k``, 3: a pair ``(x1, x2)`` becomes
  ``(x1 cos - x2 sin, x2 cos + x1 sin)``, 4 multiplies and 2 adds per 2 elements (the
  negation of ``rotate_half`` folds into the subtraction). Backward: the same rotation with
  ``-sin``, 3 per element.

Note: transformers 4.46.3 (the vendor's version) forms the table's frequency product as a
``[64, 1] @ [1, q_len]`` batched matmul, which FlopCounterMode counts as
``2 * batch * (head_dim / 2) * q_len`` FLOPs per call; it is an outer product (no
accumulation), booked here as CUDA-core work.
"""

from __future__ import annotations

from typing import ClassVar

from attrs import define, field

from modelmeter.layers.base import BaseLayer, OperatorCategory, known_dtype, non_negative, positive
from modelmeter.metrics import LayerMetrics
from modelmeter.primitives import elementwise_flops, tensor_bytes
from modelmeter.units import dtype_bytes

ROPE_TABLE_FLOPS_PER_ELEMENT = 5
"""cos/sin table: frequency product 1, cos 1, sin 1, two attention-scaling multiplies 2."""
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
    >>> rope.forward_cuda_core_flops  # table 5 * 1*2*4 = 40; rotate 3 * 2 * (2+2)*4 = 96
    136
    >>> rope.forward_tensor_core_flops, rope.params
    (0, 0)
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
        return LayerMetrics(
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
