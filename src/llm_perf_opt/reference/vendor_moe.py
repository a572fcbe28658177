"""The vendor's MoE execution path (``DeepseekV2MoE.moe_infer`` in the checkpoint's
``modeling_deepseekv2.py``, as ``../shared/reference/deepseek-ocr-architecture.md`` section 6
describes it), applied to the maintained text model's expert weights, for timing the
``hf-eager`` runtime profile on a GPU.

The maintained model's experts run either as one batched/grouped GEMM or as a loop that
reads every hit expert's index from the device (one host sync per expert). The vendor
instead counts tokens per expert, copies the counts to the host once per MoE layer call,
sorts the token copies by expert, and loops over the experts with at least one token,
running each as its own SwiGLU (separate gate and up GEMMs, activation, multiply, down
GEMM); the outputs are put back in token order, weighted in fp32 and summed over the top-k
choices. The arithmetic is the same (``tokens x top_k`` expert passes); the kernels and the
host syncs are the vendor's.

Example
-------
>>> from modelmeter.models.deepseek_ocr.config import DeepseekV2TextConfig
>>> from llm_perf_opt.reference.text import build_text_reference
>>> cfg = DeepseekV2TextConfig(hidden_size=32, num_attention_heads=2, num_key_value_heads=2,
...     intermediate_size=48, moe_intermediate_size=16, n_routed_experts=4, num_experts_per_tok=2,
...     num_hidden_layers=2, vocab_size=50)
>>> ref = build_text_reference(cfg, device="cpu")
>>> use_vendor_moe_loop(ref.model)  # the MoE layers' experts now run the vendor's loop
1
"""

from __future__ import annotations

import types
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn


def vendor_experts_forward(
    self: Any, hidden_states: torch.Tensor, top_k_index: torch.Tensor, top_k_weights: torch.Tensor
) -> torch.Tensor:
    """``moe_infer``: ``hidden_states [T, H]``, ``top_k_index``/``top_k_weights [T, k]`` -> ``[T, H]``."""
    tokens, top_k = top_k_index.shape
    counts = top_k_index.new_zeros((tokens, self.num_experts))
    counts.scatter_(1, top_k_index, 1)
    tokens_per_expert = counts.sum(dim=0).cpu().numpy()  # the one host sync of the layer call
    order = top_k_index.view(-1).argsort()
    sorted_tokens = hidden_states[order // top_k]
    width = self.intermediate_dim
    outputs = []
    start = 0
    for expert, n in enumerate(tokens_per_expert.tolist()):
        if n == 0:
            continue
        x = sorted_tokens[start : start + n]
        weights = self.gate_up_proj[expert]
        gate = F.linear(x, weights[:width])
        up = F.linear(x, weights[width:])
        outputs.append(F.linear(self.act_fn(gate) * up, self.down_proj[expert]))
        start += n
    stacked = torch.cat(outputs, dim=0) if outputs else sorted_tokens.new_empty(0)
    unsorted = torch.empty_like(stacked)
    unsorted[order] = stacked
    weighted = unsorted.view(tokens, top_k, -1).type(top_k_weights.dtype).mul_(top_k_weights.unsqueeze(-1))
    return weighted.sum(dim=1).type(hidden_states.dtype)


def use_vendor_moe_loop(model: nn.Module) -> int:
    """Make every MoE experts module under ``model`` run :func:`vendor_experts_forward`;
    returns how many modules were switched."""
    switched = 0
    for module in model.modules():
        if hasattr(module, "gate_up_proj") and hasattr(module, "down_proj") and hasattr(module, "num_experts"):
            module.forward = types.MethodType(vendor_experts_forward, module)
            switched += 1
    return switched
