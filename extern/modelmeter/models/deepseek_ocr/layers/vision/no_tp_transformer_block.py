"""CLIP-L's ``NoTPTransformerBlock``: pre-norm attention and feed-forward with residuals
(vendor ``deepencoder.NoTPTransformerBlock``)."""

from __future__ import annotations

from typing import ClassVar

from attrs import define, field

from modelmeter.layers import Child, Elementwise, LayerNorm
from modelmeter.layers.base import BaseLayer, OperatorCategory, check_divides, known_dtype, non_negative, positive
from modelmeter.metrics import ZERO, LayerMetrics
from modelmeter.models.deepseek_ocr.layers.vision.block import ATTN_RESIDUAL, MLP_RESIDUAL
from modelmeter.models.deepseek_ocr.layers.vision.no_tp_attention import NoTPAttention
from modelmeter.models.deepseek_ocr.layers.vision.no_tp_feed_forward import NoTPFeedForward


@define(frozen=True, kw_only=True)
class NoTPTransformerBlock(BaseLayer):
    """``h = x + self_attn(layer_norm1(x)); out = h + mlp(layer_norm2(h))`` over ``batch`` sequences
    of ``seq_len`` tokens.

    Example
    -------
    >>> blk = NoTPTransformerBlock(batch=1, seq_len=257, hidden_size=1024, num_heads=16, ffn_hidden_size=4096)
    >>> blk.params  # attention 4198400 + feed-forward 8393728 + 2 norms 2*2048
    12596224
    """

    batch: int = field(validator=non_negative)
    seq_len: int = field(validator=positive)
    hidden_size: int = field(validator=positive)
    num_heads: int = field(validator=positive)
    ffn_hidden_size: int = field(validator=positive)
    implementation: str = "flash"
    dtype: str = field(default="bfloat16", validator=known_dtype)

    category: ClassVar[OperatorCategory] = OperatorCategory.OTHER
    definition: ClassVar[str] = (
        "Pre-norm CLIP transformer block: LayerNorm, attention, residual, LayerNorm, MLP, residual."
    )
    formulas: ClassVar[dict[str, str]] = {
        "forward_tensor_core_flops": "self_attn + mlp",
        "forward_cuda_core_flops": (
            "layer_norm1 + layer_norm2 + self_attn + mlp + 2 residual adds "
            "(Elementwise, 1 FLOP per element of batch*seq_len*hidden_size)"
        ),
        "params": "layer_norm1 + self_attn + layer_norm2 + mlp",
    }

    def __attrs_post_init__(self) -> None:
        check_divides(self, "hidden_size", self.hidden_size, "num_heads", self.num_heads)

    def own_metrics(self) -> LayerMetrics:
        return ZERO

    def children(self) -> tuple[Child, ...]:
        t, h, dt = self.batch * self.seq_len, self.hidden_size, self.dtype
        norm = LayerNorm(tokens=t, hidden=h, dtype=dt)
        residual = Elementwise(elements=t * h, inputs=2, flops_per_element=1, dtype=dt)
        attn = NoTPAttention(
            batch=self.batch,
            seq_len=self.seq_len,
            hidden_size=h,
            num_heads=self.num_heads,
            implementation=self.implementation,
            dtype=dt,
        )
        return (
            Child("layer_norm1", norm),
            Child("self_attn", attn),
            Child(ATTN_RESIDUAL, residual),
            Child("layer_norm2", norm),
            Child("mlp", NoTPFeedForward(tokens=t, dim=h, hidden_dim=self.ffn_hidden_size, dtype=dt)),
            Child(MLP_RESIDUAL, residual),
        )
