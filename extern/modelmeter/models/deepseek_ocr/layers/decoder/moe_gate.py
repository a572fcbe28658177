"""``MoEGate``: DeepSeek-V2's greedy softmax router (no bias, no top-k renormalisation).

Per token: ``logits = x.float() @ W.float()^T`` (``n_routed_experts`` values, fp32),
``p = softmax(logits)``, the ``top_k`` largest ``p`` (unsorted) and their expert ids, and the
weights ``p * routed_scaling_factor``. The logits matmul is a :class:`~modelmeter.layers.Linear`
child (FlopCounterMode counts it; its weight is the gate's bf16 parameter); the rest is the
gate's own routing work (category ``moe_routing``), in fp32.

Per-element CUDA-core costs (documented estimates; torch counts none of it):

* softmax over the ``n_routed_experts`` logits: the generic softmax costs, 5 per score
  (backward 4);
* top-k selection: 1 comparison per score against the running k-th best (insertions
  are rare for ``top_k << n_routed_experts``); backward scatters the ``top_k`` gradients
  into a zero row: no arithmetic;
* weighting by ``routed_scaling_factor``: 1 per selected weight (executed even at 1.0).
"""

from __future__ import annotations

from typing import ClassVar

from attrs import define, field

from modelmeter.layers.activations import SOFTMAX_BACKWARD_FLOPS_PER_ELEMENT, SOFTMAX_FLOPS_PER_ELEMENT
from modelmeter.layers.base import BaseLayer, Child, OperatorCategory, known_dtype, non_negative
from modelmeter.layers.linear import Linear
from modelmeter.layers.pointwise import pointwise_metrics
from modelmeter.metrics import LayerMetrics
from modelmeter.models.deepseek_ocr.config import DeepseekV2TextConfig
from modelmeter.primitives import elementwise_flops, tensor_bytes
from modelmeter.units import dtype_bytes

ROUTING_BYTES = 4
"""Router logits, probabilities and weights are fp32."""
EXPERT_ID_BYTES = 8
"""Top-k expert ids are int64."""
TOPK_FLOPS_PER_SCORE = 1
"""One comparison per score against the running k-th best."""
ROUTING_WEIGHT_FLOPS = 1
"""Multiplying each selected probability by ``routed_scaling_factor``."""


@define(frozen=True, kw_only=True)
class MoEGate(BaseLayer):
    """Router of ``tokens`` rows over ``n_routed_experts``: fp32 logits, softmax, greedy top-k,
    scaling.

    Example
    -------
    >>> from modelmeter.models.deepseek_ocr.config import DeepseekV2TextConfig
    >>> gate = MoEGate(config=DeepseekV2TextConfig(), tokens=703)
    >>> gate.params, gate.forward_tensor_core_flops  # 64 * 1280; 2 * 703 * 1280 * 64
    (81920, 115179520)
    >>> gate.own_metrics().forward_cuda_core_flops  # softmax 5*703*64 + top-k 1*703*64 + weights 703*6
    274170
    """

    config: DeepseekV2TextConfig
    tokens: int = field(validator=non_negative)
    dtype: str = field(default="bfloat16", validator=known_dtype)

    category: ClassVar[OperatorCategory] = OperatorCategory.MOE_ROUTING
    definition: ClassVar[str] = "MoE router: fp32 logits, softmax over experts, greedy top-k, weights scaled."
    formulas: ClassVar[dict[str, str]] = {
        "forward_tensor_core_flops": "2 * tokens * hidden_size * n_routed_experts  (logits child)",
        "params": "n_routed_experts * hidden_size",
        "own forward_cuda_core_flops": (
            f"{SOFTMAX_FLOPS_PER_ELEMENT + TOPK_FLOPS_PER_SCORE} * tokens * n_routed_experts"
            f" + {ROUTING_WEIGHT_FLOPS} * tokens * top_k"
        ),
        "own forward_io_bytes": (
            "fp32 logits (the Linear child books them at bytes(dtype)), softmax read+write, top-k read of the"
            " probabilities and write of weights (4 B) and ids (8 B), weighting read+write (all fp32)"
        ),
    }

    @property
    def scores(self) -> int:
        """Router scores: ``tokens * n_routed_experts``."""
        return self.tokens * self.config.n_routed_experts

    @property
    def selected(self) -> int:
        """Selected (token, expert) pairs: ``tokens * num_experts_per_tok``."""
        return self.tokens * self.config.num_experts_per_tok

    def own_metrics(self) -> LayerMetrics:
        # the logits child writes its output at the model dtype; the gate computes it in fp32
        widen = tensor_bytes(self.scores, max(0, ROUTING_BYTES - dtype_bytes(self.dtype)))
        fp32_logits = LayerMetrics(
            forward_activation_write_bytes=widen,
            backward_activation_read_bytes=widen,
            activation_memory_bytes=widen,
        )
        softmax = pointwise_metrics(
            elements=self.scores,
            element_bytes=ROUTING_BYTES,
            forward_flops_per_element=SOFTMAX_FLOPS_PER_ELEMENT,
            backward_flops_per_element=SOFTMAX_BACKWARD_FLOPS_PER_ELEMENT,
        )
        chosen = tensor_bytes(self.selected, ROUTING_BYTES) + tensor_bytes(self.selected, EXPERT_ID_BYTES)
        topk = LayerMetrics(
            forward_cuda_core_flops=elementwise_flops(self.scores, TOPK_FLOPS_PER_SCORE),
            forward_activation_read_bytes=tensor_bytes(self.scores, ROUTING_BYTES),
            forward_activation_write_bytes=chosen,
            backward_activation_read_bytes=chosen,  # weight gradients and ids
            backward_activation_write_bytes=tensor_bytes(self.scores, ROUTING_BYTES),
            activation_memory_bytes=chosen,
        )
        weighting = pointwise_metrics(
            elements=self.selected,
            element_bytes=ROUTING_BYTES,
            forward_flops_per_element=ROUTING_WEIGHT_FLOPS,
            backward_flops_per_element=ROUTING_WEIGHT_FLOPS,
        )
        return fp32_logits + softmax + topk + weighting

    def children(self) -> tuple[Child, ...]:
        c = self.config
        logits = Linear(
            tokens=self.tokens, in_features=c.hidden_size, out_features=c.n_routed_experts, bias=False, dtype=self.dtype
        )
        return (Child("logits", logits),)
