"""``DeepseekV2RMSNorm``: DeepSeek-V2's RMSNorm (statistics in fp32, weight only)."""

from __future__ import annotations

from typing import ClassVar

from attrs import define

from modelmeter.layers.norms import RMSNorm


@define(frozen=True, kw_only=True)
class DeepseekV2RMSNorm(RMSNorm):
    """RMSNorm over the last ``hidden`` features of ``tokens`` rows: the input is upcast to
    fp32, scaled by ``rsqrt(mean(x^2) + eps)``, cast back and multiplied by the weight.
    The costs are the generic :class:`~modelmeter.layers.RMSNorm`'s (the fp32 upcast
    happens in registers of a fused kernel: no extra traffic).

    Example
    -------
    >>> norm = DeepseekV2RMSNorm(tokens=703, hidden=1280)
    >>> norm.params, norm.forward_cuda_core_flops  # 1280; 4 * 703 * 1280
    (1280, 3599360)
    """

    definition: ClassVar[str] = (
        "DeepSeek-V2 RMSNorm: fp32 root-mean-square normalisation of each row, then a learned scale."
    )
