"""CLIP-L's ``NoTPFeedForward``: ``fc2(quick_gelu(fc1(x)))`` (vendor ``deepencoder.NoTPFeedForward``)."""

from __future__ import annotations

from typing import ClassVar

from attrs import define, field

from modelmeter.layers import Child, Linear, QuickGELU
from modelmeter.layers.base import BaseLayer, OperatorCategory, known_dtype, non_negative, positive
from modelmeter.metrics import ZERO, LayerMetrics

QUICK_GELU = "quick_gelu"
"""Pseudo-child name of the vendor's ``quick_gelu`` function (not a module)."""


@define(frozen=True, kw_only=True)
class NoTPFeedForward(BaseLayer):
    """Biased ``fc1 (dim -> hidden_dim)``, QuickGELU, biased ``fc2 (hidden_dim -> dim)`` over ``tokens`` rows.

    Example
    -------
    >>> ff = NoTPFeedForward(tokens=257, dim=1024, hidden_dim=4096)
    >>> ff.params  # 2 * 1024*4096 + 4096 + 1024
    8393728
    >>> ff.forward_cuda_core_flops  # bias adds 257*(4096+1024) + QuickGELU 5 * 257*4096
    6579200
    """

    tokens: int = field(validator=non_negative)
    dim: int = field(validator=positive)
    hidden_dim: int = field(validator=positive)
    dtype: str = field(default="bfloat16", validator=known_dtype)

    category: ClassVar[OperatorCategory] = OperatorCategory.OTHER
    definition: ClassVar[str] = "CLIP feed-forward network: Linear, QuickGELU, Linear."
    formulas: ClassVar[dict[str, str]] = {
        "forward_tensor_core_flops": "fc1 + fc2 = 2 * (2 * tokens * dim * hidden_dim)",
        "forward_cuda_core_flops": "bias adds + QuickGELU on tokens * hidden_dim elements",
        "params": "2 * dim * hidden_dim + hidden_dim + dim",
    }

    def own_metrics(self) -> LayerMetrics:
        return ZERO

    def children(self) -> tuple[Child, ...]:
        t, d, h, dt = self.tokens, self.dim, self.hidden_dim, self.dtype
        return (
            Child("fc1", Linear(tokens=t, in_features=d, out_features=h, bias=True, dtype=dt)),
            Child(QUICK_GELU, QuickGELU(elements=t * h, dtype=dt)),
            Child("fc2", Linear(tokens=t, in_features=h, out_features=d, bias=True, dtype=dt)),
        )
