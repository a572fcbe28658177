"""SAM's ``LayerNorm2d``: LayerNorm over the channel axis of a channels-first map (vendor
``deepencoder.LayerNorm2d``)."""

from __future__ import annotations

from typing import ClassVar

from attrs import define, field

from modelmeter.layers import LayerNorm
from modelmeter.layers.base import BaseLayer, OperatorCategory, known_dtype, non_negative, positive
from modelmeter.metrics import LayerMetrics


@define(frozen=True, kw_only=True)
class LayerNorm2d(BaseLayer):
    """Normalise each of the ``batch * height * width`` pixels over its ``num_channels`` values,
    then scale and shift per channel.

    It is a leaf module in the vendor's tree, so its work is its own; the cost is the generic
    :class:`~modelmeter.layers.LayerNorm` rule over ``batch * height * width`` rows (the vendor
    writes it as mean / subtract / square-mean / divide / affine, the same per-element work).

    Example
    -------
    >>> ln = LayerNorm2d(batch=1, num_channels=256, height=64, width=64)
    >>> ln.params, ln.forward_cuda_core_flops  # 2 * 256; 7 * 64*64*256
    (512, 7340032)
    """

    batch: int = field(validator=non_negative)
    num_channels: int = field(validator=positive)
    height: int = field(validator=positive)
    width: int = field(validator=positive)
    dtype: str = field(default="bfloat16", validator=known_dtype)

    category: ClassVar[OperatorCategory] = OperatorCategory.NORM
    definition: ClassVar[str] = "Channel-wise LayerNorm of a channels-first feature map."
    formulas: ClassVar[dict[str, str]] = {
        "forward_cuda_core_flops": "LayerNorm rule with tokens = batch * height * width, hidden = num_channels",
        "params": "2 * num_channels (weight and bias)",
    }

    def own_metrics(self) -> LayerMetrics:
        norm = LayerNorm(tokens=self.batch * self.height * self.width, hidden=self.num_channels, dtype=self.dtype)
        return norm.own_metrics()
