"""``Qwen2RMSNorm``: the encoder's RMSNorm (statistics in fp32, weight only), the same math as
v1's :class:`~modelmeter.models.deepseek_ocr.layers.decoder.DeepseekV2RMSNorm`."""

from __future__ import annotations

from typing import ClassVar

from attrs import define

from modelmeter.models.deepseek_ocr.layers.decoder import DeepseekV2RMSNorm


@define(frozen=True, kw_only=True)
class Qwen2RMSNorm(DeepseekV2RMSNorm):
    """RMSNorm over the last ``hidden`` features of ``tokens`` rows (transformers'
    ``DeepseekOcr2VisionRMSNorm``).

    Example
    -------
    >>> Qwen2RMSNorm(tokens=512, hidden=896).params
    896
    """

    definition: ClassVar[str] = "Qwen2 RMSNorm: fp32 root-mean-square normalisation of each row, then a learned scale."
