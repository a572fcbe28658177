"""``torch.nn.Conv2d`` (stride, padding, dilation, groups)."""

from __future__ import annotations

from typing import ClassVar

from attrs import define, field

from modelmeter.layers.base import BaseLayer, OperatorCategory, field_error, known_dtype, non_negative, positive
from modelmeter.metrics import LayerMetrics
from modelmeter.primitives import conv2d_flops, conv2d_out_size, elementwise_flops
from modelmeter.units import dtype_bytes


@define(frozen=True, kw_only=True)
class Conv2d(BaseLayer):
    """2-D convolution of a ``[batch, in_channels, in_h, in_w]`` input.

    Backward: the input gradient and the weight gradient each cost the forward's
    contractions. (torch's FlopCounterMode books the weight gradient of a *grouped*
    convolution at ``groups`` times that; we model the real work, see the parity tests.)

    Example
    -------
    >>> conv = Conv2d(batch=1, in_channels=3, out_channels=768, in_h=1024, in_w=1024,
    ...               kernel_size=16, stride=16, bias=True)
    >>> conv.out_h, conv.params
    (64, 590592)
    """

    batch: int = field(validator=non_negative)
    in_channels: int = field(validator=positive)
    out_channels: int = field(validator=positive)
    in_h: int = field(validator=positive)
    in_w: int = field(validator=positive)
    kernel_size: int = field(validator=positive)
    stride: int = field(default=1, validator=positive)
    padding: int = field(default=0, validator=non_negative)
    dilation: int = field(default=1, validator=positive)
    groups: int = field(default=1, validator=positive)
    bias: bool = True
    dtype: str = field(default="bfloat16", validator=known_dtype)
    executed: bool = True
    """False for a convolution whose parameters exist but which never runs (it then
    contributes parameters and weight memory only)."""

    category: ClassVar[OperatorCategory] = OperatorCategory.CONV
    definition: ClassVar[str] = "2-D convolution over channels-first feature maps."
    formulas: ClassVar[dict[str, str]] = {
        "forward_tensor_core_flops": "2 * batch * out_channels * out_h * out_w * (in_channels/groups) * k * k",
        "backward_tensor_core_flops": "2 * forward (input gradient + weight gradient)",
        "forward_cuda_core_flops": "batch * out_channels * out_h * out_w if bias",
        "params": "out_channels * (in_channels/groups) * k * k + out_channels if bias",
        "forward_io_bytes": "(params + input elements + output elements) * bytes(dtype)",
    }

    def __attrs_post_init__(self) -> None:
        if self.in_channels % self.groups or self.out_channels % self.groups:
            raise field_error(
                self, "groups", f"must divide in_channels ({self.in_channels}) and out_channels ({self.out_channels})"
            )
        if self.out_h < 1 or self.out_w < 1:
            raise field_error(self, "kernel_size", f"{self.kernel_size} does not fit a {self.in_h}x{self.in_w} input")

    @property
    def out_h(self) -> int:
        """Output height."""
        return conv2d_out_size(self.in_h, self.kernel_size, self.stride, self.padding, self.dilation)

    @property
    def out_w(self) -> int:
        """Output width."""
        return conv2d_out_size(self.in_w, self.kernel_size, self.stride, self.padding, self.dilation)

    def own_metrics(self) -> LayerMetrics:
        b = dtype_bytes(self.dtype)
        k = self.kernel_size
        params = self.out_channels * (self.in_channels // self.groups) * k * k + (self.out_channels if self.bias else 0)
        if not self.executed:
            return LayerMetrics(params=params, weight_memory_bytes=params * b)
        fwd = conv2d_flops(
            batch=self.batch,
            out_channels=self.out_channels,
            out_h=self.out_h,
            out_w=self.out_w,
            in_channels=self.in_channels,
            kernel_h=k,
            kernel_w=k,
            groups=self.groups,
        )
        in_elems = self.batch * self.in_channels * self.in_h * self.in_w
        out_elems = self.batch * self.out_channels * self.out_h * self.out_w
        bias_elems = out_elems if self.bias else 0
        active = self.batch > 0
        return LayerMetrics(
            forward_tensor_core_flops=fwd,
            forward_executed_tensor_core_flops=fwd,
            backward_tensor_core_flops=2 * fwd,
            forward_cuda_core_flops=elementwise_flops(bias_elems, 1),
            backward_cuda_core_flops=elementwise_flops(bias_elems, 1),
            forward_weight_read_bytes=params * b if active else 0,
            forward_activation_read_bytes=in_elems * b,
            forward_activation_write_bytes=out_elems * b,
            backward_weight_read_bytes=params * b if active else 0,
            backward_activation_read_bytes=(2 * out_elems + in_elems) * b,
            backward_activation_write_bytes=(in_elems + (params if active else 0)) * b,
            params=params,
            weight_memory_bytes=params * b,
            activation_memory_bytes=out_elems * b,
        )
