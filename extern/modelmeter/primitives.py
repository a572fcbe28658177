"""Closed-form primitives shared by every layer: each contraction rule is written once here.

A layer calls these; it never writes ``2 * m * n * k`` itself.

Example
-------
>>> matmul_flops(m=4, n=6, k=5)  # 4 * 6 * 5 MACs * 2 = 240
240
>>> conv2d_flops(batch=1, out_channels=8, out_h=2, out_w=2, in_channels=3, kernel_h=3, kernel_w=3, groups=1)
1728
"""

from __future__ import annotations

from modelmeter.units import FLOPS_PER_MAC


def matmul_flops(m: int, n: int, k: int, batch: int = 1) -> int:
    """FLOPs of ``batch`` products ``[m, k] @ [k, n]`` (a bias add is not a contraction: not counted)."""
    return FLOPS_PER_MAC * batch * m * n * k


def conv2d_out_size(size: int, kernel: int, stride: int, padding: int, dilation: int = 1) -> int:
    """Output length of a convolution along one spatial axis (torch's floor rule)."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def conv2d_flops(
    *,
    batch: int,
    out_channels: int,
    out_h: int,
    out_w: int,
    in_channels: int,
    kernel_h: int,
    kernel_w: int,
    groups: int,
) -> int:
    """FLOPs of a 2-D convolution: every output element is a dot product of
    ``(in_channels / groups) * kernel_h * kernel_w`` terms."""
    macs = batch * out_channels * out_h * out_w * (in_channels // groups) * kernel_h * kernel_w
    return FLOPS_PER_MAC * macs


def elementwise_flops(elements: int, flops_per_element: int) -> int:
    """CUDA-core FLOPs of an elementwise op (the per-element cost is the caller's documented constant)."""
    return elements * flops_per_element


def tensor_bytes(elements: int, element_bytes: int) -> int:
    """Bytes of a tensor of ``elements`` elements."""
    return elements * element_bytes
