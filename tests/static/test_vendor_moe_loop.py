"""The vendor-style MoE loop used for GPU timing computes the same function, with the same
counted FLOPs, as the maintained experts implementation."""

from __future__ import annotations

import torch

from llm_perf_opt.reference.text import build_text_reference
from llm_perf_opt.reference.vendor_moe import use_vendor_moe_loop
from modelmeter.models.deepseek_ocr.config import DeepseekV2TextConfig
from modelmeter.validation import count_module

CFG = DeepseekV2TextConfig(
    hidden_size=64, num_attention_heads=4, num_key_value_heads=4, intermediate_size=96, moe_intermediate_size=32,
    n_routed_experts=8, num_experts_per_tok=3, num_hidden_layers=3, vocab_size=100,
)  # fmt: skip


def _model(seed: int) -> torch.nn.Module:
    torch.manual_seed(seed)
    ref = build_text_reference(CFG, device="cpu", attn_implementation="eager", dtype=torch.float64)
    with torch.no_grad():
        for p in ref.parameters():
            p.normal_(0.0, 0.1)
    return ref


def test_same_outputs_as_the_maintained_loop() -> None:
    plain, vendor = _model(0), _model(0)
    assert use_vendor_moe_loop(vendor.model) == 2  # layers 1 and 2 are MoE (first_k_dense_replace 1)
    plain.model.config._experts_implementation = "eager"
    embeds = torch.randn(2, 7, 64, dtype=torch.float64)
    with torch.inference_mode():
        a, b = plain(embeds), vendor(embeds)
    rel = (a - b).norm() / a.norm()
    assert rel < 1e-12


def test_same_counted_flops_as_batched_mm() -> None:
    plain, vendor = _model(1), _model(1)
    use_vendor_moe_loop(vendor.model)
    embeds = torch.randn(1, 9, 64, dtype=torch.float64)
    with torch.inference_mode():
        counted_plain = count_module(plain, (embeds,)).forward_flops
        counted_vendor = count_module(vendor, (embeds,)).forward_flops
    assert counted_vendor == counted_plain > 0
