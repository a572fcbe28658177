"""``CustomQwen2Decoder``: the vendor's Qwen2 stack run as an encoder (rotary table, decoder
layers, final norm; no token embedding) over ``[image tokens, queries]`` with the hybrid mask
(transformers' ``DeepseekOcr2VisionEncoder``)."""

from __future__ import annotations

from typing import ClassVar

from attrs import define, field

from modelmeter.layers import Child
from modelmeter.layers.base import BaseLayer, OperatorCategory, known_dtype, non_negative, positive
from modelmeter.metrics import LayerMetrics
from modelmeter.models.deepseek_ocr2.config import Qwen2EncoderConfig
from modelmeter.models.deepseek_ocr2.layers.encoder.qwen2_decoder_layer import Qwen2DecoderLayer
from modelmeter.models.deepseek_ocr2.layers.encoder.qwen2_rms_norm import Qwen2RMSNorm
from modelmeter.models.deepseek_ocr2.layers.encoder.qwen2_rotary_embedding import Qwen2RotaryEmbedding
from modelmeter.primitives import tensor_bytes
from modelmeter.units import dtype_bytes


@define(frozen=True, kw_only=True)
class CustomQwen2Decoder(BaseLayer):
    """``num_hidden_layers`` :class:`Qwen2DecoderLayer` on ``batch`` sequences of
    ``image_tokens + query_tokens`` tokens, then the final RMSNorm.

    Children are named by the vendor's module paths (``model.layers.N``, ``model.norm``,
    ``model.rotary_emb``: the stack is the ``model`` attribute of ``CustomQwen2Decoder``).
    Own work: writing the ``[batch, 1, S, S]`` additive mask (built in Python by the vendor;
    no arithmetic).

    Example
    -------
    >>> dec = CustomQwen2Decoder(config=Qwen2EncoderConfig(), batch=1, image_tokens=256, query_tokens=256)
    >>> dec.seq_len, dec.params  # 24 layers * 14,912,384 + norm 896
    (512, 357898112)
    """

    config: Qwen2EncoderConfig
    batch: int = field(validator=non_negative)
    image_tokens: int = field(validator=positive)
    query_tokens: int = field(validator=positive)
    implementation: str = "flash"
    dtype: str = field(default="bfloat16", validator=known_dtype)

    category: ClassVar[OperatorCategory] = OperatorCategory.OTHER
    definition: ClassVar[str] = (
        "Qwen2 decoder stack as a vision encoder: bidirectional over image tokens, causal over learnable queries."
    )
    formulas: ClassVar[dict[str, str]] = {
        "children": "model.rotary_emb + num_hidden_layers * Qwen2DecoderLayer + model.norm",
        "own forward_io_bytes": "batch * S^2 * bytes(dtype)  (the additive mask written)",
    }

    @property
    def seq_len(self) -> int:
        """Tokens per sequence: ``image_tokens + query_tokens``."""
        return self.image_tokens + self.query_tokens

    def own_metrics(self) -> LayerMetrics:
        mask = tensor_bytes(self.batch * self.seq_len * self.seq_len, dtype_bytes(self.dtype))
        return LayerMetrics(forward_activation_write_bytes=mask)

    def children(self) -> tuple[Child, ...]:
        c, dt = self.config, self.dtype
        layer = Qwen2DecoderLayer(
            config=c, batch=self.batch, seq_len=self.seq_len, implementation=self.implementation, dtype=dt
        )
        return (
            Child("model.rotary_emb", Qwen2RotaryEmbedding(seq_len=self.seq_len, head_dim=c.head_dim, dtype=dt)),
            *(Child(f"model.layers.{i}", layer) for i in range(c.num_hidden_layers)),
            Child("model.norm", Qwen2RMSNorm(tokens=self.batch * self.seq_len, hidden=c.hidden_size, dtype=dt)),
        )
