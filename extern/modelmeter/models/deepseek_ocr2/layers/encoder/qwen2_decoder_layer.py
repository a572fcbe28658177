"""``Qwen2DecoderLayer`` of DeepEncoder V2's encoder: pre-norm attention and SwiGLU MLP with
residual adds (transformers' ``DeepseekOcr2VisionEncoderLayer``)."""

from __future__ import annotations

from typing import ClassVar

from attrs import define, field

from modelmeter.layers import Child, Elementwise
from modelmeter.layers.base import BaseLayer, OperatorCategory, known_dtype, non_negative, positive
from modelmeter.metrics import ZERO, LayerMetrics
from modelmeter.models.deepseek_ocr2.config import Qwen2EncoderConfig
from modelmeter.models.deepseek_ocr2.layers.encoder.qwen2_attention import Qwen2Attention
from modelmeter.models.deepseek_ocr2.layers.encoder.qwen2_mlp import Qwen2MLP
from modelmeter.models.deepseek_ocr2.layers.encoder.qwen2_rms_norm import Qwen2RMSNorm


@define(frozen=True, kw_only=True)
class Qwen2DecoderLayer(BaseLayer):
    """``x = x + self_attn(input_layernorm(x)); x = x + mlp(post_attention_layernorm(x))`` over
    ``batch`` sequences of ``seq_len`` tokens.

    Example
    -------
    >>> layer = Qwen2DecoderLayer(config=Qwen2EncoderConfig(), batch=1, seq_len=512)
    >>> layer.params  # attention 1,836,160 + MLP 13,074,432 + 2 norms 2 * 896
    14912384
    """

    config: Qwen2EncoderConfig
    batch: int = field(validator=non_negative)
    seq_len: int = field(validator=positive)
    implementation: str = "flash"
    dtype: str = field(default="bfloat16", validator=known_dtype)

    category: ClassVar[OperatorCategory] = OperatorCategory.OTHER
    definition: ClassVar[str] = (
        "Pre-norm Qwen2 layer: RMSNorm, masked self-attention, residual add, RMSNorm, SwiGLU MLP, residual add."
    )
    formulas: ClassVar[dict[str, str]] = {
        "children": (
            "input_layernorm + self_attn + post_attention_layernorm + mlp"
            " + 2 residual adds (batch*seq_len*hidden, 1 FLOP each)"
        ),
    }

    def own_metrics(self) -> LayerMetrics:
        return ZERO

    def children(self) -> tuple[Child, ...]:
        c = self.config
        t, h, dt = self.batch * self.seq_len, c.hidden_size, self.dtype
        attn = Qwen2Attention(
            config=c, batch=self.batch, seq_len=self.seq_len, implementation=self.implementation, dtype=dt
        )
        return (
            Child("input_layernorm", Qwen2RMSNorm(tokens=t, hidden=h, dtype=dt)),
            Child("self_attn", attn),
            Child("post_attention_layernorm", Qwen2RMSNorm(tokens=t, hidden=h, dtype=dt)),
            Child("mlp", Qwen2MLP(tokens=t, hidden_size=h, intermediate_size=c.intermediate_size, dtype=dt)),
            Child("residual_add", Elementwise(elements=t * h, inputs=2, flops_per_element=1, dtype=dt), count=2),
        )
