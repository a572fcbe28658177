"""``DeepseekV2Model`` as DeepSeek-OCR runs it: token embedding, the decoder layers, the
final RMSNorm, and (in the prefill) the scatter of the image rows into the sequence."""

from __future__ import annotations

from typing import ClassVar

from attrs import define, field

from modelmeter.layers.base import BaseLayer, Child, OperatorCategory, field_error, known_dtype, non_negative, positive
from modelmeter.layers.embedding import Embedding
from modelmeter.metrics import LayerMetrics
from modelmeter.models.deepseek_ocr.config import DeepseekV2TextConfig
from modelmeter.models.deepseek_ocr.layers.decoder import DeepseekV2DecoderLayer, DeepseekV2RMSNorm
from modelmeter.units import dtype_bytes


@define(frozen=True, kw_only=True)
class DeepseekV2Model(BaseLayer):
    """Embedding + ``num_hidden_layers`` decoder layers + final norm over ``batch`` sequences
    of ``q_len`` new tokens attending to ``kv_len`` keys (prefill: ``q_len == kv_len``;
    a decode step: ``q_len == 1``).

    ``image_rows`` (prefill only) is the number of image embeddings the vendor's
    ``masked_scatter_`` writes into the embedded sequence: the scatter reads and writes
    those rows once (own work, category ``other``).

    Example
    -------
    >>> from modelmeter.models.deepseek_ocr.config import DeepseekV2TextConfig
    >>> m = DeepseekV2Model(config=DeepseekV2TextConfig(), batch=1, q_len=703, kv_len=703)
    >>> m.params  # embed 165,478,400 + 12 layers 2,603,776,000 + norm 1,280
    2769255680
    """

    config: DeepseekV2TextConfig
    batch: int = field(validator=positive)
    q_len: int = field(validator=positive)
    kv_len: int = field(validator=positive)
    attention: str = "flash"
    dtype: str = field(default="bfloat16", validator=known_dtype)
    image_rows: int = field(default=0, validator=non_negative)

    category: ClassVar[OperatorCategory] = OperatorCategory.OTHER
    definition: ClassVar[str] = (
        "DeepSeek-V2 language model body: token embedding, decoder layers (dense first, MoE after), final RMSNorm."
    )
    formulas: ClassVar[dict[str, str]] = {
        "children": "embed_tokens + sum(layers.i) + norm",
        "own forward_io_bytes": "2 * image_rows * hidden_size * bytes(dtype)  (masked_scatter of image rows)",
    }

    def __attrs_post_init__(self) -> None:
        if self.q_len > self.kv_len:
            raise field_error(self, "q_len", f"{self.q_len} exceeds kv_len {self.kv_len}")

    def own_metrics(self) -> LayerMetrics:
        rows = self.image_rows * self.config.hidden_size * dtype_bytes(self.dtype)
        return LayerMetrics(forward_activation_read_bytes=rows, forward_activation_write_bytes=rows)

    def children(self) -> tuple[Child, ...]:
        c = self.config
        tokens = self.batch * self.q_len
        kids = [
            Child(
                "embed_tokens",
                Embedding(tokens=tokens, num_embeddings=c.vocab_size, embedding_dim=c.hidden_size, dtype=self.dtype),
            )
        ]
        for i in range(c.num_hidden_layers):
            layer = DeepseekV2DecoderLayer(
                config=c,
                layer_idx=i,
                batch=self.batch,
                q_len=self.q_len,
                kv_len=self.kv_len,
                attention=self.attention,
                dtype=self.dtype,
            )
            kids.append(Child(f"layers.{i}", layer))
        kids.append(Child("norm", DeepseekV2RMSNorm(tokens=tokens, hidden=c.hidden_size, dtype=self.dtype)))
        return tuple(kids)
