"""``Qwen2Decoder2Encoder``: DeepEncoder V2's second stage. SAM's ``[batch, 896, g, g]`` map is
flattened to ``g^2`` tokens, the learnable query table with ``g^2`` rows is appended, the
:class:`CustomQwen2Decoder` runs over both, and only the ``g^2`` query outputs go on
("causal flow" queries; vendor ``deepencoderv2/qwen2_d2e.py``)."""

from __future__ import annotations

from typing import ClassVar

from attrs import define, field

from modelmeter.layers import Child
from modelmeter.layers.base import BaseLayer, OperatorCategory, known_dtype, non_negative, positive
from modelmeter.metrics import LayerMetrics
from modelmeter.models.deepseek_ocr2.config import Qwen2EncoderConfig
from modelmeter.models.deepseek_ocr2.layers.encoder.custom_qwen2_decoder import CustomQwen2Decoder
from modelmeter.primitives import tensor_bytes
from modelmeter.units import dtype_bytes


@define(frozen=True, kw_only=True)
class Qwen2Decoder2Encoder(BaseLayer):
    """The Qwen2 encoder on ``batch`` SAM maps of ``image_tokens`` tokens (144 for a 768 view,
    256 for a 1024 view); output ``[batch, image_tokens, hidden_size]``.

    Own state: the two query tables ``query_768`` (144 rows) and ``query_1024`` (256 rows),
    both resident whichever one a call uses. Own work: the concatenation ``[tokens, queries]``
    (reads both, writes the joint sequence) and the slice of the query outputs (a view).

    Example
    -------
    >>> enc = Qwen2Decoder2Encoder(config=Qwen2EncoderConfig(), batch=1, image_tokens=256)
    >>> enc.params  # stack 357,898,112 + queries (144 + 256) * 896
    358256512
    >>> enc.forward_tensor_core_flops  # 24 layers * (attn 2,818,572,288 + MLP 13,388,218,368) + rotary 2*32*512
    388963008512
    """

    config: Qwen2EncoderConfig
    batch: int = field(validator=non_negative)
    image_tokens: int = field(validator=positive)
    implementation: str = "flash"
    dtype: str = field(default="bfloat16", validator=known_dtype)

    category: ClassVar[OperatorCategory] = OperatorCategory.OTHER
    definition: ClassVar[str] = (
        "Vision encoder of DeepEncoder V2: a Qwen2 decoder over SAM tokens plus as many learnable queries;"
        " the query outputs are the image embeddings."
    )
    formulas: ClassVar[dict[str, str]] = {
        "params": "(queries_768 + queries_1024) * hidden_size + model",
        "own forward_io_bytes": "concat: read batch * 2n * hidden, write batch * 2n * hidden",
    }

    def __attrs_post_init__(self) -> None:
        self.config.queries_for(self.image_tokens)

    @property
    def query_tokens(self) -> int:
        """Queries appended: as many as image tokens (the table with that many rows)."""
        return self.config.queries_for(self.image_tokens)

    def own_metrics(self) -> LayerMetrics:
        b = dtype_bytes(self.dtype)
        params = self.config.query_params
        joint = tensor_bytes(self.batch * (self.image_tokens + self.query_tokens) * self.config.hidden_size, b)
        return LayerMetrics(
            forward_activation_read_bytes=joint,
            forward_activation_write_bytes=joint,
            params=params,
            weight_memory_bytes=params * b,
        )

    def children(self) -> tuple[Child, ...]:
        stack = CustomQwen2Decoder(
            config=self.config,
            batch=self.batch,
            image_tokens=self.image_tokens,
            query_tokens=self.query_tokens,
            implementation=self.implementation,
            dtype=self.dtype,
        )
        return (Child("model", stack),)
