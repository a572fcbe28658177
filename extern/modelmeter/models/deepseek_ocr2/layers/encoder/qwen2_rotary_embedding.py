"""``Qwen2RotaryEmbedding``: the encoder's cos/sin table, built once per encoder call and
shared by every layer (the rotation itself is each attention layer's own work).

The vendor's encoder is transformers 4.46.3's ``Qwen2Model`` (DeepSeek-OCR-2's
``requirements.txt``), whose rotary embedding forms the frequencies as the batched outer
product ``inv_freq [1, head_dim/2, 1] @ position_ids [1, 1, seq_len]`` (``position_ids`` is
``cache_position[None]``: one row, whatever the batch): a ``bmm`` that ``FlopCounterMode``
counts, ``2 * (head_dim / 2) * seq_len`` FLOPs per call. It is booked as Tensor-Core FLOPs so
that totals equal what torch counts on the vendor's model (transformers 5.x forms the same
table with an elementwise product, which counts 0; the parity tests give its encoder the
vendor's product, as v1's tests do for the decoder).

Per-element CUDA-core costs: v1's ``ROPE_TABLE_FLOPS_PER_ELEMENT`` per table element.
"""

from __future__ import annotations

from typing import ClassVar

from attrs import define, field

from modelmeter.layers.base import BaseLayer, OperatorCategory, known_dtype, non_negative, positive
from modelmeter.metrics import LayerMetrics
from modelmeter.models.deepseek_ocr.layers.llama.llama_rotary_embedding import (
    INV_FREQ_BYTES,
    POSITION_ID_BYTES,
    ROPE_TABLE_FLOPS_PER_ELEMENT,
)
from modelmeter.primitives import elementwise_flops, matmul_flops, tensor_bytes
from modelmeter.units import dtype_bytes

POSITION_ROWS = 1
"""Rows of ``position_ids`` in the vendor's encoder call (``cache_position.unsqueeze(0)``)."""


@define(frozen=True, kw_only=True)
class Qwen2RotaryEmbedding(BaseLayer):
    """The ``[1, seq_len, head_dim]`` cos and sin tables of positions ``0 .. seq_len-1``.

    Example
    -------
    >>> rope = Qwen2RotaryEmbedding(seq_len=512, head_dim=64)
    >>> rope.forward_tensor_core_flops, rope.params  # 2 * (64/2) * 512
    (32768, 0)
    >>> rope.forward_cuda_core_flops  # 4 per table element: 4 * 512 * 64
    131072
    """

    seq_len: int = field(validator=non_negative)
    head_dim: int = field(validator=positive)
    dtype: str = field(default="bfloat16", validator=known_dtype)

    category: ClassVar[OperatorCategory] = OperatorCategory.OTHER
    definition: ClassVar[str] = "Rotary position table (cos, sin) of the encoder's positions, built once per call."
    formulas: ClassVar[dict[str, str]] = {
        "forward_tensor_core_flops": "2 * (head_dim / 2) * seq_len  (inv_freq @ position_ids, one row)",
        "forward_cuda_core_flops": f"{ROPE_TABLE_FLOPS_PER_ELEMENT} * seq_len * head_dim",
        "forward_io_bytes": "8 * seq_len (position ids) + 4 * head_dim / 2 (inv_freq) + 2 tables written",
        "params": "0 (inv_freq is a non-persistent buffer)",
    }

    @property
    def table_elements(self) -> int:
        """Elements of one of the two tables: ``seq_len * head_dim``."""
        return POSITION_ROWS * self.seq_len * self.head_dim

    def own_metrics(self) -> LayerMetrics:
        table = tensor_bytes(self.table_elements, dtype_bytes(self.dtype))
        # inv_freq [1, head_dim/2, 1] @ position_ids [1, 1, seq_len]
        outer = matmul_flops(self.head_dim // 2, self.seq_len, 1, batch=POSITION_ROWS)
        return LayerMetrics(
            forward_tensor_core_flops=outer,
            forward_executed_tensor_core_flops=outer,
            forward_cuda_core_flops=elementwise_flops(self.table_elements, ROPE_TABLE_FLOPS_PER_ELEMENT),
            forward_activation_read_bytes=POSITION_ROWS * self.seq_len * POSITION_ID_BYTES
            + (self.head_dim // 2) * INV_FREQ_BYTES,
            forward_activation_write_bytes=2 * table,
            activation_memory_bytes=2 * table,
        )
