"""``lm_head``: the untied output projection hidden -> vocabulary, applied to every token it
is given (the vendor's prefill has no last-token slicing), then ``logits.float()``."""

from __future__ import annotations

from typing import ClassVar

from attrs import define, field

from modelmeter.layers.base import BaseLayer, Child, OperatorCategory, known_dtype, non_negative
from modelmeter.layers.linear import Linear
from modelmeter.metrics import LayerMetrics
from modelmeter.models.deepseek_ocr.config import DeepseekV2TextConfig
from modelmeter.primitives import tensor_bytes
from modelmeter.units import dtype_bytes

LOGITS_BYTES = 4
"""The logits are cast to fp32 after the projection."""


@define(frozen=True, kw_only=True)
class LMHead(BaseLayer):
    """``Linear(hidden_size -> vocab_size, bias=False)`` on ``tokens`` rows, then the fp32 cast
    of the logits (own work: reads the logits in the model dtype, writes them in fp32; a
    no-op when the model dtype is already 4 bytes).

    Example
    -------
    >>> from modelmeter.models.deepseek_ocr.config import DeepseekV2TextConfig
    >>> head = LMHead(config=DeepseekV2TextConfig(), tokens=1)
    >>> head.params, head.forward_tensor_core_flops  # 1280 * 129280; 2 * 1 * 1280 * 129280
    (165478400, 330956800)
    >>> head.own_metrics().forward_io_bytes  # 129280 logits read as bf16 (2 B), written as fp32 (4 B)
    775680
    >>> head.fp32_logits_bytes  # 129280 x 4 B
    517120
    """

    config: DeepseekV2TextConfig
    tokens: int = field(validator=non_negative)
    dtype: str = field(default="bfloat16", validator=known_dtype)

    category: ClassVar[OperatorCategory] = OperatorCategory.OTHER
    definition: ClassVar[str] = "Output projection to vocabulary logits (untied), logits cast to fp32."
    formulas: ClassVar[dict[str, str]] = {
        "forward_tensor_core_flops": "2 * tokens * hidden_size * vocab_size",
        "params": "hidden_size * vocab_size",
        "own forward_io_bytes": "tokens * vocab_size * (bytes(dtype) + 4)  (fp32 cast; 0 when dtype is 4 bytes)",
    }

    @property
    def logits(self) -> int:
        """Logit elements: ``tokens * vocab_size``."""
        return self.tokens * self.config.vocab_size

    @property
    def fp32_logits_bytes(self) -> int:
        """Bytes of the logits after the fp32 cast: ``tokens * vocab_size * 4``."""
        return tensor_bytes(self.logits, LOGITS_BYTES)

    def own_metrics(self) -> LayerMetrics:
        b = dtype_bytes(self.dtype)
        if b == LOGITS_BYTES:
            return LayerMetrics()
        low, high = tensor_bytes(self.logits, b), self.fp32_logits_bytes
        return LayerMetrics(
            forward_activation_read_bytes=low,
            forward_activation_write_bytes=high,
            backward_activation_read_bytes=high,
            backward_activation_write_bytes=low,
            activation_memory_bytes=high,
        )

    def children(self) -> tuple[Child, ...]:
        c = self.config
        lin = Linear(
            tokens=self.tokens, in_features=c.hidden_size, out_features=c.vocab_size, bias=False, dtype=self.dtype
        )
        return (Child("linear", lin),)
