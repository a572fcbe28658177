"""Count FLOPs and parameters of a PyTorch module with ``FlopCounterMode`` and compare
them with an analytic layer.

Conventions of the counter, which the analytic layers follow for ``*_tensor_core_flops``
(torch 2.13's registry):

* counted: ``mm``, ``addmm`` (bias add not counted), ``bmm``, ``baddbmm``, convolution,
  the fused SDPA kernels (flash / efficient / cuDNN), ``_scaled_mm``; 2 FLOPs per multiply-add;
* a causal attention is counted as the full ``s_q x s_kv`` product;
* not counted: softmax, norms, activations, elementwise and bias adds, embedding
  lookups, gathers and scatters, ``torch._grouped_mm`` (0 FLOPs, so MoE experts must use
  a per-expert or batched-mm implementation to be seen);
* on CPU and meta the fused SDPA kernel has no formula: :func:`count_module` pins SDPA
  to the MATH backend, which decomposes attention into counted ``bmm`` calls.

Example
-------
>>> import torch
>>> from modelmeter.layers import Linear
>>> mod = torch.nn.Linear(5, 6, device="meta")
>>> check_parity(Linear(tokens=4, in_features=5, out_features=6),
...              mod, (torch.empty(4, 5, device="meta"),)).ok
True
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from attrs import define, field

from modelmeter.layers.base import BaseLayer


@define(frozen=True, kw_only=True)
class CountedModule:
    """What torch counted for one module call."""

    forward_flops: int
    backward_flops: int | None
    params: int
    forward_by_op: dict[str, int] = field(factory=dict)


@define(frozen=True, kw_only=True)
class ParityResult:
    """Analytic and counted numbers side by side."""

    analytic_forward_flops: int
    counted_forward_flops: int
    analytic_backward_flops: int | None
    counted_backward_flops: int | None
    analytic_params: int
    counted_params: int
    counted_by_op: dict[str, int] = field(factory=dict)

    @property
    def ok(self) -> bool:
        """True when every compared number is exactly equal."""
        return (
            self.analytic_forward_flops == self.counted_forward_flops
            and self.analytic_backward_flops == self.counted_backward_flops
            and self.analytic_params == self.counted_params
        )

    def describe(self) -> str:
        """One line per compared number, for assertion messages."""
        return (
            f"forward analytic={self.analytic_forward_flops} counted={self.counted_forward_flops}; "
            f"backward analytic={self.analytic_backward_flops} counted={self.counted_backward_flops}; "
            f"params analytic={self.analytic_params} counted={self.counted_params}; "
            f"by op={self.counted_by_op}"
        )


def _flatten_tensors(out: Any) -> list[Any]:
    import torch

    if isinstance(out, torch.Tensor):
        return [out]
    if isinstance(out, Mapping):
        return [t for v in out.values() for t in _flatten_tensors(v)]
    if isinstance(out, Sequence) and not isinstance(out, str):
        return [t for v in out for t in _flatten_tensors(v)]
    return [t for v in getattr(out, "__dict__", {}).values() for t in _flatten_tensors(v)]


def count_module(
    module: Any,
    inputs: Sequence[Any],
    *,
    kwargs: Mapping[str, Any] | None = None,
    backward: bool = False,
    call: Callable[..., Any] | None = None,
) -> CountedModule:
    """Run ``module(*inputs, **kwargs)`` (or ``call(*inputs, **kwargs)``) under
    ``FlopCounterMode`` with SDPA pinned to the MATH backend.

    With ``backward=True`` every floating-point input gets ``requires_grad`` (so input
    gradients are computed, as inside a network) and the sum of the outputs is
    back-propagated; the backward count is what the counter adds during that pass.
    """
    import torch
    from torch.nn.attention import SDPBackend, sdpa_kernel
    from torch.utils.flop_counter import FlopCounterMode

    fn = call if call is not None else module
    args = list(inputs)
    if backward:
        args = [
            a.detach().requires_grad_(True) if isinstance(a, torch.Tensor) and a.is_floating_point() else a
            for a in args
        ]
    counter = FlopCounterMode(display=False)
    with sdpa_kernel([SDPBackend.MATH]), counter:
        out = fn(*args, **(kwargs or {}))
    fwd = counter.get_total_flops()
    by_op = {str(k): int(v) for k, v in counter.get_flop_counts().get("Global", {}).items()}
    bwd: int | None = None
    if backward:
        loss = sum(t.float().sum() for t in _flatten_tensors(out) if t.requires_grad)
        counter_b = FlopCounterMode(display=False)
        with sdpa_kernel([SDPBackend.MATH]), counter_b:
            loss.backward()
        bwd = counter_b.get_total_flops()
    params = sum(p.numel() for p in module.parameters()) if hasattr(module, "parameters") else 0
    return CountedModule(forward_flops=fwd, backward_flops=bwd, params=params, forward_by_op=by_op)


def check_parity(
    layer: BaseLayer,
    module: Any,
    inputs: Sequence[Any],
    *,
    kwargs: Mapping[str, Any] | None = None,
    backward: bool = False,
    call: Callable[..., Any] | None = None,
) -> ParityResult:
    """Count ``module`` on ``inputs`` and put the numbers beside ``layer``'s."""
    counted = count_module(module, inputs, kwargs=kwargs, backward=backward, call=call)
    m = layer.metrics()
    return ParityResult(
        analytic_forward_flops=m.forward_tensor_core_flops,
        counted_forward_flops=counted.forward_flops,
        analytic_backward_flops=m.backward_tensor_core_flops if backward else None,
        counted_backward_flops=counted.backward_flops,
        analytic_params=m.params,
        counted_params=counted.params,
        counted_by_op=counted.forward_by_op,
    )
