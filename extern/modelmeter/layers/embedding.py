"""``torch.nn.Embedding``: a row gather."""

from __future__ import annotations

from typing import ClassVar

from attrs import define, field

from modelmeter.layers.base import BaseLayer, OperatorCategory, known_dtype, non_negative, positive
from modelmeter.metrics import LayerMetrics
from modelmeter.units import dtype_bytes


@define(frozen=True, kw_only=True)
class Embedding(BaseLayer):
    """Row lookup ``table[ids]``: no arithmetic, reads only the gathered rows.

    Example
    -------
    >>> emb = Embedding(tokens=703, num_embeddings=129280, embedding_dim=1280)
    >>> emb.params, emb.metrics().forward_flops
    (165478400, 0)
    """

    tokens: int = field(validator=non_negative)
    num_embeddings: int = field(validator=positive)
    embedding_dim: int = field(validator=positive)
    dtype: str = field(default="bfloat16", validator=known_dtype)

    category: ClassVar[OperatorCategory] = OperatorCategory.EMBEDDING
    definition: ClassVar[str] = "Lookup table: each token id selects one row."
    formulas: ClassVar[dict[str, str]] = {
        "params": "num_embeddings * embedding_dim",
        "forward_io_bytes": "tokens * 8 (int64 ids) + 2 * tokens * embedding_dim * bytes(dtype)",
    }

    def own_metrics(self) -> LayerMetrics:
        b = dtype_bytes(self.dtype)
        params = self.num_embeddings * self.embedding_dim
        rows = self.tokens * self.embedding_dim * b
        return LayerMetrics(
            forward_weight_read_bytes=rows,
            forward_activation_read_bytes=self.tokens * 8,
            forward_activation_write_bytes=rows,
            backward_activation_read_bytes=rows,
            backward_activation_write_bytes=rows,
            params=params,
            weight_memory_bytes=params * b,
            activation_memory_bytes=rows,
        )
