"""DeepseekV2DecoderLayer, the 12-layer text model and LMHead equal transformers'
DeepseekOcr2 text modules exactly (FlopCounterMode forward Tensor-Core FLOPs and params)."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from transformers.models.deepseek_ocr2.modeling_deepseek_ocr2 import DeepseekOcr2TextDecoderLayer, DeepseekOcr2TextMoe

from llm_perf_opt.reference.text import build_text_reference, causal_mask, hf_text_config, kv_cache, use_vendor_rotary
from modelmeter.layers import Embedding
from modelmeter.models.deepseek_ocr.config import DeepseekV2TextConfig
from modelmeter.models.deepseek_ocr.layers.decoder import DeepseekV2DecoderLayer, DeepseekV2RMSNorm
from modelmeter.models.deepseek_ocr.layers.llama import LMHead
from modelmeter.validation import check_parity, count_module

META = torch.device("meta")


def _layer_call(hf: Any, layer_idx: int, batch: int, q_len: int, past: int) -> tuple[Any, tuple[Any], dict[str, Any]]:
    with META:
        mod = DeepseekOcr2TextDecoderLayer(hf, layer_idx)
    head_dim = hf.hidden_size // hf.num_attention_heads
    # the vendor builds the rotary table inside every attention layer (a counted bmm outer product)
    use_vendor_rotary(mod.self_attn if hasattr(mod, "self_attn") else mod, head_dim=head_dim, theta=10000.0)
    kwargs: dict[str, Any] = {
        "position_ids": torch.arange(past, past + q_len, device=META).expand(batch, -1),
        "attention_mask": causal_mask(batch, q_len, past + q_len),
    }
    if past:
        kwargs["past_key_values"] = kv_cache(hf, batch, past, layers=[layer_idx])
    return mod, (torch.empty(batch, q_len, hf.hidden_size, device=META),), kwargs


@pytest.mark.parametrize(
    ("layer_idx", "batch", "q_len", "past", "attention"),
    [
        (0, 1, 703, 0, "flash"),  # dense layer, Gundam 2x2 prefill
        (1, 1, 703, 0, "flash"),  # MoE layer, same prefill
        (7, 2, 284, 0, "eager"),  # MoE layer, batch of two Base prompts
        (0, 1, 1, 2048, "flash"),  # dense layer, decode step
        (11, 1, 1, 512, "eager"),  # MoE layer, decode step
    ],
)
def test_layer_full_size(
    text_config: DeepseekV2TextConfig, layer_idx: int, batch: int, q_len: int, past: int, attention: str
) -> None:
    hf = hf_text_config(text_config, "sdpa" if attention == "flash" else "eager")
    mod, inputs, kwargs = _layer_call(hf, layer_idx, batch, q_len, past)
    layer = DeepseekV2DecoderLayer(
        config=text_config, layer_idx=layer_idx, batch=batch, q_len=q_len, kv_len=past + q_len, attention=attention
    )
    result = check_parity(layer, mod, inputs, kwargs=kwargs)
    assert result.ok, result.describe()


def test_layer_params_hand_derived(text_config: DeepseekV2TextConfig) -> None:
    dense = DeepseekV2DecoderLayer(config=text_config, layer_idx=0, batch=1, q_len=703, kv_len=703)
    moe = DeepseekV2DecoderLayer(config=text_config, layer_idx=1, batch=1, q_len=703, kv_len=703)
    assert dense.params == 6_553_600 + 2_560 + 26_296_320  # attention + 2 norms + dense MLP
    assert moe.params == 6_553_600 + 2_560 + 227_164_160  # attention + 2 norms + MoE
    assert dense.params + 11 * moe.params == 2_603_776_000  # architecture doc section 1


def test_text_model_prefill_703(text_config: DeepseekV2TextConfig) -> None:
    seq = 703
    ref = build_text_reference(text_config)
    counted = count_module(ref, (torch.empty(1, seq, 1280, device=META),))
    layers = [
        DeepseekV2DecoderLayer(config=text_config, layer_idx=i, batch=1, q_len=seq, kv_len=seq) for i in range(12)
    ]
    head = LMHead(config=text_config, tokens=seq)
    assert (
        counted.forward_flops
        == sum(layer.forward_tensor_core_flops for layer in layers) + head.forward_tensor_core_flops
    )
    body = [
        Embedding(tokens=seq, num_embeddings=129280, embedding_dim=1280),
        *layers,
        DeepseekV2RMSNorm(tokens=seq, hidden=1280),
        head,
    ]
    assert counted.params == sum(layer.params for layer in body) == 2_934_734_080  # 3,336,106,240 minus vision
    # layers: 12 x attention (4*2*703*1280^2 + 4*10*703^2*128 + rotary table 2*64*703) + dense MLP 6*703*1280*6848
    #         + 11 x MoE 703*(163,840 + 6*6,881,280 + 13,762,560); lm_head 2*703*1280*129280
    expected = (
        12 * (4 * 2 * 703 * 1280 * 1280 + 4 * 10 * 703 * 703 * 128 + 2 * 64 * 703)
        + 6 * 703 * 1280 * 6848
        + 11 * 703 * (2 * 1280 * 64 + 6 * 6 * 1280 * 896 + 6 * 1280 * 1792)
        + 2 * 703 * 1280 * 129280
    )
    assert counted.forward_flops == expected


@pytest.mark.parametrize("past", [512, 2048])
def test_text_model_decode_step(text_config: DeepseekV2TextConfig, past: int) -> None:
    ref = build_text_reference(text_config)
    cache = kv_cache(ref.model.config, 1, past)
    counted = count_module(ref, (torch.empty(1, 1, 1280, device=META),), kwargs={"past_key_values": cache})
    layers = [
        DeepseekV2DecoderLayer(config=text_config, layer_idx=i, batch=1, q_len=1, kv_len=past + 1) for i in range(12)
    ]
    analytic = sum(layer.forward_tensor_core_flops for layer in layers)
    assert counted.forward_flops == analytic + LMHead(config=text_config, tokens=1).forward_tensor_core_flops


def test_lm_head(text_config: DeepseekV2TextConfig) -> None:
    lin = torch.nn.Linear(1280, 129280, bias=False, device=META)
    head = LMHead(config=text_config, tokens=703)
    result = check_parity(head, lin, (torch.empty(1, 703, 1280, device=META),), call=lambda x: lin(x).float())
    assert result.ok, result.describe()
    assert result.counted_forward_flops == 2 * 703 * 1280 * 129280
    assert result.counted_params == 165_478_400  # 1280 * 129280, untied
    cast = head.own_metrics()
    assert cast.forward_activation_read_bytes == 703 * 129280 * 2  # bf16 logits in
    assert cast.forward_activation_write_bytes == 703 * 129280 * 4  # fp32 logits out


@settings(max_examples=25, deadline=None)
@given(data=st.data(), batch=st.integers(1, 2), q_len=st.integers(1, 8), past=st.integers(0, 8), eager=st.booleans())
def test_layer_random_configs(
    text_configs: st.SearchStrategy[DeepseekV2TextConfig],
    data: st.DataObject,
    batch: int,
    q_len: int,
    past: int,
    eager: bool,
) -> None:
    cfg = data.draw(text_configs)
    layer_idx = data.draw(st.integers(0, cfg.num_hidden_layers - 1))
    hf = hf_text_config(cfg, "eager" if eager else "sdpa")
    mod, inputs, kwargs = _layer_call(hf, layer_idx, batch, q_len, past)
    layer = DeepseekV2DecoderLayer(
        config=cfg,
        layer_idx=layer_idx,
        batch=batch,
        q_len=q_len,
        kv_len=past + q_len,
        attention="eager" if eager else "flash",
    )
    assert isinstance(mod.mlp, DeepseekOcr2TextMoe) == layer.is_moe
    result = check_parity(layer, mod, inputs, kwargs=kwargs)
    assert result.ok, result.describe()
