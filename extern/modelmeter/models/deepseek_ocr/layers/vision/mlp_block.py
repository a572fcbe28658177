"""SAM's ``MLPBlock``: ``lin2(GELU(lin1(x)))`` (vendor ``deepencoder.MLPBlock``)."""

from __future__ import annotations

from typing import ClassVar

from attrs import define, field

from modelmeter.layers import GELU, Child, Linear
from modelmeter.layers.base import BaseLayer, OperatorCategory, known_dtype, non_negative, positive
from modelmeter.metrics import ZERO, LayerMetrics


@define(frozen=True, kw_only=True)
class MLPBlock(BaseLayer):
    """Two biased Linears with an exact (erf) GELU between them, over ``tokens`` rows.

    Example
    -------
    >>> mlp = MLPBlock(tokens=4096, embedding_dim=768, mlp_dim=3072)
    >>> mlp.params  # 768*3072 + 3072 + 3072*768 + 768
    4722432
    >>> mlp.forward_tensor_core_flops  # 2 Linears * 2 * 4096 * 768 * 3072
    38654705664
    """

    tokens: int = field(validator=non_negative)
    embedding_dim: int = field(validator=positive)
    mlp_dim: int = field(validator=positive)
    dtype: str = field(default="bfloat16", validator=known_dtype)

    category: ClassVar[OperatorCategory] = OperatorCategory.OTHER
    definition: ClassVar[str] = "Position-wise feed-forward network of a SAM ViT block: Linear, GELU, Linear."
    formulas: ClassVar[dict[str, str]] = {
        "forward_tensor_core_flops": "lin1 + lin2 = 2 * (2 * tokens * embedding_dim * mlp_dim)",
        "forward_cuda_core_flops": "bias adds of lin1 and lin2 + GELU on tokens * mlp_dim elements",
        "params": "2 * embedding_dim * mlp_dim + mlp_dim + embedding_dim",
    }

    def own_metrics(self) -> LayerMetrics:
        return ZERO

    def children(self) -> tuple[Child, ...]:
        t, d, h = self.tokens, self.embedding_dim, self.mlp_dim
        return (
            Child("lin1", Linear(tokens=t, in_features=d, out_features=h, bias=True, dtype=self.dtype)),
            Child("act", GELU(elements=t * h, dtype=self.dtype)),
            Child("lin2", Linear(tokens=t, in_features=h, out_features=d, bias=True, dtype=self.dtype)),
        )
