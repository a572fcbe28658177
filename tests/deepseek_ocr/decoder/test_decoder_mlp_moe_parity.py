"""DeepseekV2MLP, MoEGate and DeepseekV2MoE equal transformers' DeepseekOcr2 text modules
exactly (FlopCounterMode forward/backward Tensor-Core FLOPs and parameters), full size on
the meta device and on random small configs."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from transformers.models.deepseek_ocr2.modeling_deepseek_ocr2 import (
    DeepseekOcr2TextMLP,
    DeepseekOcr2TextMoe,
    DeepseekOcr2TextTopkRouter,
)

from llm_perf_opt.reference.text import hf_text_config
from modelmeter.models.deepseek_ocr.config import DeepseekV2TextConfig
from modelmeter.models.deepseek_ocr.layers.decoder import DeepseekV2MLP, DeepseekV2MoE, MoEGate
from modelmeter.validation import check_parity, count_module

META = torch.device("meta")
H = 1280


def _hidden(batch: int, seq: int, hidden: int = H) -> torch.Tensor:
    return torch.empty(batch, seq, hidden, device=META)


@pytest.mark.parametrize(
    ("width", "tokens"),
    [(6848, 703), (896, 66), (1792, 703)],  # dense layer 0; one routed expert; the fused shared experts
)
def test_mlp_full_size_forward_backward(hf_config: Any, width: int, tokens: int) -> None:
    with META:
        mod = DeepseekOcr2TextMLP(hf_config, intermediate_size=width)
    layer = DeepseekV2MLP(tokens=tokens, hidden_size=H, intermediate_size=width)
    result = check_parity(layer, mod, (_hidden(1, tokens),), backward=True)
    assert result.ok, result.describe()
    assert result.counted_forward_flops == 3 * 2 * tokens * H * width  # gate, up, down: 2*t*1280*width each
    assert result.counted_backward_flops == 2 * result.counted_forward_flops  # dX and dW per Linear
    assert result.counted_params == 3 * H * width


def test_dense_mlp_hand_derived() -> None:
    layer = DeepseekV2MLP(tokens=703, hidden_size=1280, intermediate_size=6848)
    assert layer.params == 26_296_320  # 3 * 1280 * 6848
    assert layer.forward_tensor_core_flops == 36_972_625_920  # 6 * 703 * 1280 * 6848
    assert layer.forward_cuda_core_flops == 703 * 6848 * (4 + 1)  # SiLU 4 + gating multiply 1 per element


def test_gate_full_size(hf_config: Any, text_config: DeepseekV2TextConfig) -> None:
    with META:
        mod = DeepseekOcr2TextTopkRouter(hf_config)
    gate = MoEGate(config=text_config, tokens=703)
    result = check_parity(gate, mod, (_hidden(1, 703),))
    assert result.ok, result.describe()
    assert result.counted_forward_flops == 115_179_520  # 2 * 703 * 1280 * 64 (fp32 logits mm)
    assert result.counted_params == 81_920  # 64 * 1280


@pytest.mark.parametrize(("batch", "seq"), [(1, 703), (2, 284), (1, 1), (4, 1)])
def test_moe_full_size(hf_config: Any, text_config: DeepseekV2TextConfig, batch: int, seq: int) -> None:
    with META:
        mod = DeepseekOcr2TextMoe(hf_config)
    tokens = batch * seq
    moe = DeepseekV2MoE(config=text_config, tokens=tokens)
    counted = count_module(mod, (_hidden(batch, seq),))
    # routed experts (batched_mm): tokens*6 passes of gate_up (2*1280*1792) + down (2*896*1280), all bmm
    assert counted.forward_by_op["aten.bmm"] == tokens * 6 * (2 * 1280 * 1792 + 2 * 896 * 1280)
    # mm: gate logits 2*t*1280*64 + shared experts 3 * 2*t*1280*1792
    assert counted.forward_by_op["aten.mm"] == tokens * (2 * 1280 * 64 + 3 * 2 * 1280 * 1792)
    assert moe.forward_tensor_core_flops == counted.forward_flops
    assert moe.params == counted.params == 227_164_160  # 64*3,440,640 + 6,881,280 + 81,920


def test_moe_prefill_703_hand_derived(text_config: DeepseekV2TextConfig) -> None:
    moe = DeepseekV2MoE(config=text_config, tokens=703)
    # 703 * (gate 163,840 + 6 routed passes * 6,881,280 + shared 13,762,560) = 38,815,498,240
    assert moe.forward_tensor_core_flops == 38_815_498_240
    # q, r = divmod(703 * 6 = 4218, 64) = (65, 58)
    split = sorted((c.layer.tokens, c.count) for c in moe.children() if c.name == "experts.*")
    assert split == [(65, 6), (66, 58)]
    assert moe.experts_read_per_call == 64


@settings(max_examples=25, deadline=None)
@given(data=st.data(), batch=st.integers(1, 3), seq=st.integers(1, 12))
def test_moe_random_configs(
    text_configs: st.SearchStrategy[DeepseekV2TextConfig], data: st.DataObject, batch: int, seq: int
) -> None:
    cfg = data.draw(text_configs)
    hf = hf_text_config(cfg)
    with META:
        mod = DeepseekOcr2TextMoe(hf)
    moe = DeepseekV2MoE(config=cfg, tokens=batch * seq)
    result = check_parity(moe, mod, (_hidden(batch, seq, cfg.hidden_size),))
    assert result.ok, result.describe()


@settings(max_examples=25, deadline=None)
@given(data=st.data(), tokens=st.integers(1, 20), moe_width=st.booleans())
def test_mlp_and_gate_random_configs(
    text_configs: st.SearchStrategy[DeepseekV2TextConfig], data: st.DataObject, tokens: int, moe_width: bool
) -> None:
    cfg = data.draw(text_configs)
    hf = hf_text_config(cfg)
    width = cfg.moe_intermediate_size if moe_width else cfg.intermediate_size
    with META:
        mlp_mod = DeepseekOcr2TextMLP(hf, intermediate_size=width)
        gate_mod = DeepseekOcr2TextTopkRouter(hf)
    x = _hidden(1, tokens, cfg.hidden_size)
    mlp = DeepseekV2MLP(tokens=tokens, hidden_size=cfg.hidden_size, intermediate_size=width)
    result = check_parity(mlp, mlp_mod, (x,), backward=True)
    assert result.ok, result.describe()
    result = check_parity(MoEGate(config=cfg, tokens=tokens), gate_mod, (x,))
    assert result.ok, result.describe()
