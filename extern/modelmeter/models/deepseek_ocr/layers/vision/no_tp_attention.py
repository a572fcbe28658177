"""CLIP-L's ``NoTPAttention``: fused-qkv multi-head self-attention (vendor
``deepencoder.NoTPAttention``)."""

from __future__ import annotations

from typing import ClassVar

from attrs import define, field

from modelmeter.layers import AttentionCore, Child, Linear
from modelmeter.layers.base import BaseLayer, OperatorCategory, check_divides, known_dtype, non_negative, positive
from modelmeter.metrics import ZERO, LayerMetrics


@define(frozen=True, kw_only=True)
class NoTPAttention(BaseLayer):
    """``out_proj(SDPA(split(qkv_proj(x))))`` over ``batch`` sequences of ``seq_len`` tokens,
    no mask, no bias on the scores.

    Example
    -------
    >>> attn = NoTPAttention(batch=1, seq_len=257, hidden_size=1024, num_heads=16)
    >>> attn.params  # 1024*3072 + 3072 + 1024*1024 + 1024
    4198400
    >>> attn.forward_tensor_core_flops  # 2*257*1024*(3072+1024) + 2 * 2*16*257*257*64
    2426408960
    """

    batch: int = field(validator=non_negative)
    seq_len: int = field(validator=positive)
    hidden_size: int = field(validator=positive)
    num_heads: int = field(validator=positive)
    implementation: str = "flash"
    dtype: str = field(default="bfloat16", validator=known_dtype)

    category: ClassVar[OperatorCategory] = OperatorCategory.OTHER
    definition: ClassVar[str] = "Multi-head self-attention with a fused QKV projection (CLIP-L of DeepEncoder)."
    formulas: ClassVar[dict[str, str]] = {
        "forward_tensor_core_flops": (
            "qkv_proj 2*T*h*3h + sdpa 2 * 2*batch*heads*seq_len^2*head_dim + out_proj 2*T*h*h (T = batch*seq_len)"
        ),
        "params": "4 * h^2 + 4 * h (fused qkv with bias + out_proj with bias)",
    }

    def __attrs_post_init__(self) -> None:
        check_divides(self, "hidden_size", self.hidden_size, "num_heads", self.num_heads)

    def own_metrics(self) -> LayerMetrics:
        return ZERO

    def children(self) -> tuple[Child, ...]:
        t, h, dt = self.batch * self.seq_len, self.hidden_size, self.dtype
        core = AttentionCore(
            batch=self.batch,
            heads=self.num_heads,
            q_len=self.seq_len,
            kv_len=self.seq_len,
            head_dim=h // self.num_heads,
            implementation=self.implementation,
            dtype=dt,
        )
        return (
            Child("qkv_proj", Linear(tokens=t, in_features=h, out_features=3 * h, bias=True, dtype=dt)),
            Child("sdpa", core),
            Child("out_proj", Linear(tokens=t, in_features=h, out_features=h, bias=True, dtype=dt)),
        )
