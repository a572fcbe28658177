"""Shared I/O-and-FLOP rule of memory-bound per-element operations (norms, activations,
softmax, elementwise arithmetic). Each caller supplies its documented per-element cost.

The rule: the forward reads every input element once and writes every output element
once; the backward reads the output gradient and the saved input(s) and writes the
input gradient(s). Parameters (norm scales and shifts) are read once per pass.
"""

from __future__ import annotations

from modelmeter.metrics import LayerMetrics
from modelmeter.primitives import elementwise_flops


def pointwise_metrics(
    *,
    elements: int,
    element_bytes: int,
    forward_flops_per_element: int,
    backward_flops_per_element: int,
    inputs: int = 1,
    params: int = 0,
    param_bytes: int | None = None,
) -> LayerMetrics:
    """Metrics of an operation producing ``elements`` outputs from ``inputs`` same-shaped inputs."""
    pb = element_bytes if param_bytes is None else param_bytes
    active = elements > 0
    weight_read = params * pb if active else 0
    return LayerMetrics(
        forward_cuda_core_flops=elementwise_flops(elements, forward_flops_per_element),
        backward_cuda_core_flops=elementwise_flops(elements, backward_flops_per_element),
        forward_weight_read_bytes=weight_read,
        forward_activation_read_bytes=inputs * elements * element_bytes,
        forward_activation_write_bytes=elements * element_bytes,
        backward_weight_read_bytes=weight_read,
        backward_activation_read_bytes=(1 + inputs) * elements * element_bytes,
        backward_activation_write_bytes=inputs * elements * element_bytes + weight_read,
        params=params,
        weight_memory_bytes=params * pb,
        activation_memory_bytes=elements * element_bytes,
    )
