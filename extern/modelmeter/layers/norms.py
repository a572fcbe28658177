"""Normalisations: ``LayerNorm`` (also SAM's channels-first ``LayerNorm2d``) and ``RMSNorm``.

Per-element CUDA-core costs (documented estimates; torch counts none of it):

* LayerNorm forward 7: mean accumulate 1, centre 1, square-accumulate 2, scale by the
  reciprocal standard deviation 1, affine multiply-add 2. Backward 14 (about 2x).
* RMSNorm forward 4: square-accumulate 2, scale 1, weight multiply 1. Backward 8.
"""

from __future__ import annotations

from typing import ClassVar

from attrs import define, field

from modelmeter.layers.base import BaseLayer, OperatorCategory, known_dtype, non_negative, positive
from modelmeter.layers.pointwise import pointwise_metrics
from modelmeter.metrics import LayerMetrics
from modelmeter.units import dtype_bytes

LAYER_NORM_FLOPS_PER_ELEMENT = 7
LAYER_NORM_BACKWARD_FLOPS_PER_ELEMENT = 14
RMS_NORM_FLOPS_PER_ELEMENT = 4
RMS_NORM_BACKWARD_FLOPS_PER_ELEMENT = 8


@define(frozen=True, kw_only=True)
class LayerNorm(BaseLayer):
    """LayerNorm over the last ``hidden`` features of ``tokens`` rows (with weight and bias).

    Example
    -------
    >>> ln = LayerNorm(tokens=10, hidden=1024)
    >>> ln.params, ln.forward_cuda_core_flops, ln.forward_tensor_core_flops
    (2048, 71680, 0)
    """

    tokens: int = field(validator=non_negative)
    hidden: int = field(validator=positive)
    elementwise_affine: bool = True
    dtype: str = field(default="bfloat16", validator=known_dtype)

    category: ClassVar[OperatorCategory] = OperatorCategory.NORM
    definition: ClassVar[str] = "Normalise each row to zero mean and unit variance, then scale and shift."
    formulas: ClassVar[dict[str, str]] = {
        "forward_cuda_core_flops": f"{LAYER_NORM_FLOPS_PER_ELEMENT} * tokens * hidden",
        "backward_cuda_core_flops": f"{LAYER_NORM_BACKWARD_FLOPS_PER_ELEMENT} * tokens * hidden",
        "params": "2 * hidden (weight and bias)",
        "forward_io_bytes": "(2 * tokens * hidden + params) * bytes(dtype)",
    }

    def own_metrics(self) -> LayerMetrics:
        return pointwise_metrics(
            elements=self.tokens * self.hidden,
            element_bytes=dtype_bytes(self.dtype),
            forward_flops_per_element=LAYER_NORM_FLOPS_PER_ELEMENT,
            backward_flops_per_element=LAYER_NORM_BACKWARD_FLOPS_PER_ELEMENT,
            params=2 * self.hidden if self.elementwise_affine else 0,
        )


@define(frozen=True, kw_only=True)
class RMSNorm(BaseLayer):
    """Root-mean-square norm over the last ``hidden`` features (weight only, no bias).

    Example
    -------
    >>> RMSNorm(tokens=3, hidden=1280).params
    1280
    """

    tokens: int = field(validator=non_negative)
    hidden: int = field(validator=positive)
    dtype: str = field(default="bfloat16", validator=known_dtype)

    category: ClassVar[OperatorCategory] = OperatorCategory.NORM
    definition: ClassVar[str] = "Scale each row by the reciprocal of its root mean square, then by a weight."
    formulas: ClassVar[dict[str, str]] = {
        "forward_cuda_core_flops": f"{RMS_NORM_FLOPS_PER_ELEMENT} * tokens * hidden",
        "backward_cuda_core_flops": f"{RMS_NORM_BACKWARD_FLOPS_PER_ELEMENT} * tokens * hidden",
        "params": "hidden",
        "forward_io_bytes": "(2 * tokens * hidden + hidden) * bytes(dtype)",
    }

    def own_metrics(self) -> LayerMetrics:
        return pointwise_metrics(
            elements=self.tokens * self.hidden,
            element_bytes=dtype_bytes(self.dtype),
            forward_flops_per_element=RMS_NORM_FLOPS_PER_ELEMENT,
            backward_flops_per_element=RMS_NORM_BACKWARD_FLOPS_PER_ELEMENT,
            params=self.hidden,
        )
