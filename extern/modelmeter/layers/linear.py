"""``torch.nn.Linear`` applied to ``tokens`` rows."""

from __future__ import annotations

from typing import ClassVar

from attrs import define, field

from modelmeter.layers.base import BaseLayer, OperatorCategory, known_dtype, non_negative, positive
from modelmeter.metrics import LayerMetrics
from modelmeter.primitives import elementwise_flops, matmul_flops
from modelmeter.units import dtype_bytes


@define(frozen=True, kw_only=True)
class Linear(BaseLayer):
    """``y = x @ W^T (+ b)`` over ``tokens`` rows (all leading dimensions flattened).

    A call with ``tokens == 0`` (an MoE expert that received no token) does no work and
    reads no weights, as the vendor's expert loop skips it.

    Example
    -------
    >>> lin = Linear(tokens=4, in_features=5, out_features=6, bias=True)
    >>> lin.forward_tensor_core_flops, lin.backward_tensor_core_flops, lin.params
    (240, 480, 36)
    """

    tokens: int = field(validator=non_negative)
    in_features: int = field(validator=positive)
    out_features: int = field(validator=positive)
    bias: bool = True
    dtype: str = field(default="bfloat16", validator=known_dtype)

    category: ClassVar[OperatorCategory] = OperatorCategory.LINEAR
    definition: ClassVar[str] = "Dense affine map of the last dimension: y = x W^T + b."
    formulas: ClassVar[dict[str, str]] = {
        "forward_tensor_core_flops": "2 * tokens * in_features * out_features",
        "backward_tensor_core_flops": "2 * (2 * tokens * in_features * out_features)  (dX = dY W, dW = dY^T X)",
        "forward_cuda_core_flops": "tokens * out_features if bias (bias add)",
        "backward_cuda_core_flops": "tokens * out_features if bias (bias-gradient reduction)",
        "params": "in_features * out_features + out_features if bias",
        "forward_io_bytes": "(params + tokens * (in_features + out_features)) * bytes(dtype); 0 if tokens == 0",
    }

    def own_metrics(self) -> LayerMetrics:
        b = dtype_bytes(self.dtype)
        t, k, n = self.tokens, self.in_features, self.out_features
        params = k * n + (n if self.bias else 0)
        fwd = matmul_flops(t, n, k)  # x: [t, k] @ W^T: [k, n]
        bwd = matmul_flops(t, k, n) + matmul_flops(n, k, t)  # dX: [t, n] @ W: [n, k]; dW: dY^T [n, t] @ X [t, k]
        bias_elems = t * n if self.bias else 0
        active = t > 0
        return LayerMetrics(
            forward_tensor_core_flops=fwd,
            forward_executed_tensor_core_flops=fwd,
            backward_tensor_core_flops=bwd,
            forward_cuda_core_flops=elementwise_flops(bias_elems, 1),
            backward_cuda_core_flops=elementwise_flops(bias_elems, 1),
            forward_weight_read_bytes=params * b if active else 0,
            forward_activation_read_bytes=t * k * b,
            forward_activation_write_bytes=t * n * b,
            backward_weight_read_bytes=k * n * b if active else 0,
            backward_activation_read_bytes=(2 * t * n + t * k) * b,  # dY twice, X once
            backward_activation_write_bytes=(t * k + (params if active else 0)) * b,  # dX, dW, db
            params=params,
            weight_memory_bytes=params * b,
            activation_memory_bytes=t * n * b,
        )
