"""``DeepseekV2MoE``: gate, routed experts, shared experts and the weighted sum, in
expectation under uniform routing.

Every token visits exactly ``top_k`` routed experts, so the routed work is
``tokens * top_k`` expert passes whatever the routing; only its split over experts depends
on the data. A token's ``top_k`` experts are taken as a uniform draw without repetition, so
an expert is missed by one token with probability ``1 - top_k / n_routed`` and the experts
that receive at least one token number, in expectation,
``hit = round(n_routed * (1 - (1 - top_k / n_routed) ** tokens))``: exactly ``top_k`` for one
token, all of them for long sequences, 35 of 64 for a batch-8 decode step (not 48: eight
tokens' choices overlap). The passes are split as evenly as possible over those experts:
``q, r = divmod(tokens * top_k, hit)``: ``r`` experts see ``q + 1`` tokens, the other
``hit - r`` see ``q``, the rest none. Experts that see no token read no weights (the vendor's
loop skips them).

Own work (category ``moe_routing``; documented estimates, torch counts none of it):

* dispatch: gather the ``tokens * top_k`` (token, expert) rows into expert order (a copy:
  read and write ``tokens * top_k * hidden`` elements, no arithmetic); backward
  accumulates the ``top_k`` row gradients of each token, 1 add per element;
* combine: ``y = sum_k w_k * expert_k(x) + shared_experts(x)``: ``top_k`` multiplies and
  ``top_k - 1`` adds per output element, plus 1 add of the shared output; reads the
  expert outputs, the fp32 weights and the shared output, writes ``y``. Backward 3 per
  routed element (``w * dy`` and the ``dw`` dot product).
"""

from __future__ import annotations

from typing import ClassVar

from attrs import define, field

from modelmeter.layers.base import BaseLayer, Child, OperatorCategory, known_dtype, non_negative
from modelmeter.metrics import LayerMetrics
from modelmeter.models.deepseek_ocr.config import DeepseekV2TextConfig
from modelmeter.models.deepseek_ocr.layers.decoder.deepseek_v2_mlp import DeepseekV2MLP
from modelmeter.models.deepseek_ocr.layers.decoder.moe_gate import ROUTING_BYTES, MoEGate
from modelmeter.primitives import elementwise_flops, tensor_bytes
from modelmeter.units import dtype_bytes

COMBINE_BACKWARD_FLOPS_PER_ELEMENT = 3
"""Per routed output element: ``d expert_out = w * dy`` 1, ``dw += out * dy`` 2."""
DISPATCH_BACKWARD_FLOPS_PER_ELEMENT = 1
"""Per routed row element: accumulating the token's ``top_k`` row gradients."""


@define(frozen=True, kw_only=True)
class DeepseekV2MoE(BaseLayer):
    """Mixture of experts on ``tokens`` rows: ``n_routed_experts`` SwiGLU experts of width
    ``moe_intermediate_size`` (``top_k`` per token, uniform routing in expectation), shared experts
    of width ``moe_intermediate_size * n_shared_experts`` on every token, and the gate.

    Example
    -------
    >>> from modelmeter.models.deepseek_ocr.config import DeepseekV2TextConfig
    >>> moe = DeepseekV2MoE(config=DeepseekV2TextConfig(), tokens=703)
    >>> moe.params  # 64 experts 220,200,960 + shared 6,881,280 + gate 81,920
    227164160
    >>> [(c.name, c.layer.tokens, c.count) for c in moe.children() if c.name == "experts.*"]
    [('experts.*', 66, 58), ('experts.*', 65, 6)]
    >>> DeepseekV2MoE(config=DeepseekV2TextConfig(), tokens=1).experts_read_per_call
    6
    """

    config: DeepseekV2TextConfig
    tokens: int = field(validator=non_negative)
    dtype: str = field(default="bfloat16", validator=known_dtype)

    category: ClassVar[OperatorCategory] = OperatorCategory.MOE_ROUTING
    definition: ClassVar[str] = (
        "Mixture of experts: softmax top-k router, routed SwiGLU experts, always-on shared experts, weighted sum."
    )
    formulas: ClassVar[dict[str, str]] = {
        "children": (
            "gate + experts.* (hit = round(n_routed*(1-(1-top_k/n_routed)**tokens)); q, r = divmod(tokens*top_k,"
            " hit): r experts x (q+1) tokens, hit - r x q, the rest x 0)"
            " + shared_experts (tokens, width moe_intermediate_size * n_shared_experts)"
        ),
        "forward_tensor_core_flops": (
            "gate 2*tokens*h*n_routed + (tokens*top_k + tokens*n_shared) * 6*h*moe_intermediate_size"
        ),
        "own forward_cuda_core_flops": "tokens * hidden * (2*top_k - 1 + [n_shared_experts > 0])  (combine)",
        "own forward_io_bytes": (
            "dispatch 2 * tokens*top_k*hidden * bytes; combine (tokens*top_k + tokens*[shared] + tokens) * hidden"
            " * bytes + tokens*top_k*4 (weights)"
        ),
    }

    @property
    def routed_passes(self) -> int:
        """Routed (token, expert) passes: ``tokens * num_experts_per_tok``."""
        return self.tokens * self.config.num_experts_per_tok

    @property
    def experts_read_per_call(self) -> int:
        """Routed experts that receive at least one token, in expectation under uniform routing
        (their weights are read): ``round(n_routed * (1 - (1 - top_k / n_routed) ** tokens))``."""
        n, k = self.config.n_routed_experts, self.config.num_experts_per_tok
        return round(n * (1.0 - (1.0 - k / n) ** self.tokens))

    @property
    def has_shared_experts(self) -> bool:
        """Whether shared experts exist (``n_shared_experts > 0``)."""
        return self.config.n_shared_experts > 0

    def own_metrics(self) -> LayerMetrics:
        b = dtype_bytes(self.dtype)
        h = self.config.hidden_size
        k = self.config.num_experts_per_tok
        shared = 1 if self.has_shared_experts else 0
        out = self.tokens * h
        routed = self.routed_passes * h
        weights = tensor_bytes(self.routed_passes, ROUTING_BYTES)
        dispatch = LayerMetrics(
            backward_cuda_core_flops=elementwise_flops(routed, DISPATCH_BACKWARD_FLOPS_PER_ELEMENT),
            forward_activation_read_bytes=tensor_bytes(routed, b),
            forward_activation_write_bytes=tensor_bytes(routed, b),
            backward_activation_read_bytes=tensor_bytes(routed, b),
            backward_activation_write_bytes=tensor_bytes(out, b),
            activation_memory_bytes=tensor_bytes(routed, b),
        )
        combine = LayerMetrics(
            forward_cuda_core_flops=elementwise_flops(out, 2 * k - 1 + shared),
            backward_cuda_core_flops=elementwise_flops(routed, COMBINE_BACKWARD_FLOPS_PER_ELEMENT),
            forward_activation_read_bytes=tensor_bytes(routed + shared * out, b) + weights,
            forward_activation_write_bytes=tensor_bytes(out, b),
            backward_activation_read_bytes=tensor_bytes(out + routed, b) + weights,
            backward_activation_write_bytes=tensor_bytes(routed, b) + weights,
            activation_memory_bytes=tensor_bytes(out, b),
        )
        return dispatch + combine

    def children(self) -> tuple[Child, ...]:
        c = self.config
        h = c.hidden_size
        kids = [Child("gate", MoEGate(config=c, tokens=self.tokens, dtype=self.dtype))]
        hit = self.experts_read_per_call
        q, r = divmod(self.routed_passes, hit) if hit else (0, 0)
        for tokens, count in ((q + 1, r), (q, hit - r), (0, c.n_routed_experts - hit)):
            if count:
                expert = DeepseekV2MLP(
                    tokens=tokens, hidden_size=h, intermediate_size=c.moe_intermediate_size, dtype=self.dtype
                )
                kids.append(Child("experts.*", expert, count=count))
        if self.has_shared_experts:
            width = c.moe_intermediate_size * c.n_shared_experts
            shared = DeepseekV2MLP(tokens=self.tokens, hidden_size=h, intermediate_size=width, dtype=self.dtype)
            kids.append(Child("shared_experts", shared))
        return tuple(kids)
