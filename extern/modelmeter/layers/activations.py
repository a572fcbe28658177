"""Activations and elementwise arithmetic: ``GELU``, ``QuickGELU``, ``SiLU``, ``Softmax``,
``Elementwise``.

Per-element CUDA-core costs (documented estimates; torch counts none of it):

* GELU (erf form) 8: scale 1, erf ~4, add 1, two multiplies 2. Backward 12.
* QuickGELU ``x * sigmoid(1.702 x)`` 5: scale 1, sigmoid 3 (exp, add, divide), multiply 1.
  Backward 8.
* SiLU ``x * sigmoid(x)`` 4: sigmoid 3, multiply 1. Backward 7.
* Softmax 5 per score: max 1, subtract 1, exp 1, sum 1, divide 1. Backward 4
  (``dx = y * (dy - sum(dy * y))``).
* Elementwise: the caller's count per output element (1 for an add or a multiply).
"""

from __future__ import annotations

from typing import ClassVar

from attrs import define, field

from modelmeter.layers.base import BaseLayer, OperatorCategory, known_dtype, non_negative, positive
from modelmeter.layers.pointwise import pointwise_metrics
from modelmeter.metrics import LayerMetrics
from modelmeter.units import dtype_bytes

GELU_FLOPS_PER_ELEMENT = 8
GELU_BACKWARD_FLOPS_PER_ELEMENT = 12
QUICK_GELU_FLOPS_PER_ELEMENT = 5
QUICK_GELU_BACKWARD_FLOPS_PER_ELEMENT = 8
SILU_FLOPS_PER_ELEMENT = 4
SILU_BACKWARD_FLOPS_PER_ELEMENT = 7
SOFTMAX_FLOPS_PER_ELEMENT = 5
SOFTMAX_BACKWARD_FLOPS_PER_ELEMENT = 4


@define(frozen=True, kw_only=True)
class _Activation(BaseLayer):
    elements: int = field(validator=non_negative)
    dtype: str = field(default="bfloat16", validator=known_dtype)

    category: ClassVar[OperatorCategory] = OperatorCategory.ACTIVATION
    forward_per_element: ClassVar[int] = 0
    backward_per_element: ClassVar[int] = 0

    def own_metrics(self) -> LayerMetrics:
        return pointwise_metrics(
            elements=self.elements,
            element_bytes=dtype_bytes(self.dtype),
            forward_flops_per_element=self.forward_per_element,
            backward_flops_per_element=self.backward_per_element,
        )


@define(frozen=True, kw_only=True)
class GELU(_Activation):
    """Exact (erf) GELU over ``elements`` values.

    Example
    -------
    >>> GELU(elements=10).forward_cuda_core_flops
    80
    """

    definition: ClassVar[str] = "Gaussian error linear unit, x * Phi(x) (erf form)."
    forward_per_element: ClassVar[int] = GELU_FLOPS_PER_ELEMENT
    backward_per_element: ClassVar[int] = GELU_BACKWARD_FLOPS_PER_ELEMENT
    formulas: ClassVar[dict[str, str]] = {
        "forward_cuda_core_flops": f"{GELU_FLOPS_PER_ELEMENT} * elements",
        "forward_io_bytes": "2 * elements * bytes(dtype)",
    }


@define(frozen=True, kw_only=True)
class QuickGELU(_Activation):
    """CLIP's ``x * sigmoid(1.702 x)``.

    Example
    -------
    >>> QuickGELU(elements=10).forward_cuda_core_flops
    50
    """

    definition: ClassVar[str] = "Sigmoid approximation of GELU used by CLIP: x * sigmoid(1.702 x)."
    forward_per_element: ClassVar[int] = QUICK_GELU_FLOPS_PER_ELEMENT
    backward_per_element: ClassVar[int] = QUICK_GELU_BACKWARD_FLOPS_PER_ELEMENT
    formulas: ClassVar[dict[str, str]] = {
        "forward_cuda_core_flops": f"{QUICK_GELU_FLOPS_PER_ELEMENT} * elements",
        "forward_io_bytes": "2 * elements * bytes(dtype)",
    }


@define(frozen=True, kw_only=True)
class SiLU(_Activation):
    """``x * sigmoid(x)``.

    Example
    -------
    >>> SiLU(elements=10).forward_cuda_core_flops
    40
    """

    definition: ClassVar[str] = "Sigmoid linear unit, x * sigmoid(x)."
    forward_per_element: ClassVar[int] = SILU_FLOPS_PER_ELEMENT
    backward_per_element: ClassVar[int] = SILU_BACKWARD_FLOPS_PER_ELEMENT
    formulas: ClassVar[dict[str, str]] = {
        "forward_cuda_core_flops": f"{SILU_FLOPS_PER_ELEMENT} * elements",
        "forward_io_bytes": "2 * elements * bytes(dtype)",
    }


@define(frozen=True, kw_only=True)
class Softmax(_Activation):
    """Softmax over rows; ``elements`` is rows x row length.

    Example
    -------
    >>> Softmax(elements=64, dtype="float32").forward_io_bytes  # read + write, 4 bytes each
    512
    """

    definition: ClassVar[str] = "Normalised exponential along the last dimension."
    forward_per_element: ClassVar[int] = SOFTMAX_FLOPS_PER_ELEMENT
    backward_per_element: ClassVar[int] = SOFTMAX_BACKWARD_FLOPS_PER_ELEMENT
    formulas: ClassVar[dict[str, str]] = {
        "forward_cuda_core_flops": f"{SOFTMAX_FLOPS_PER_ELEMENT} * elements",
        "forward_io_bytes": "2 * elements * bytes(dtype)",
    }


@define(frozen=True, kw_only=True)
class Elementwise(BaseLayer):
    """An elementwise op producing ``elements`` outputs from ``inputs`` same-shaped inputs
    (a residual add: ``inputs=2, flops_per_element=1``).

    Example
    -------
    >>> Elementwise(elements=100, inputs=2, flops_per_element=1).forward_io_bytes  # 2 reads + 1 write, bf16
    600
    """

    elements: int = field(validator=non_negative)
    inputs: int = field(default=2, validator=positive)
    flops_per_element: int = field(default=1, validator=non_negative)
    dtype: str = field(default="bfloat16", validator=known_dtype)

    category: ClassVar[OperatorCategory] = OperatorCategory.OTHER
    definition: ClassVar[str] = "Elementwise arithmetic (residual add, gating multiply, scaling)."
    formulas: ClassVar[dict[str, str]] = {
        "forward_cuda_core_flops": "flops_per_element * elements",
        "forward_io_bytes": "(inputs + 1) * elements * bytes(dtype)",
    }

    def own_metrics(self) -> LayerMetrics:
        return pointwise_metrics(
            elements=self.elements,
            element_bytes=dtype_bytes(self.dtype),
            forward_flops_per_element=self.flops_per_element,
            backward_flops_per_element=self.flops_per_element,
            inputs=self.inputs,
        )
