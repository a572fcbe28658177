"""LlamaAttention / LlamaFlashAttention2 equal transformers' DeepseekOcr2TextAttention exactly
(FlopCounterMode, SDPA pinned to MATH) in the prefill at the sequence lengths of the Tiny,
Base and Gundam 2x2 modes, and in a decode step against a DynamicCache of 512 and 2048
tokens; forward and backward, full size on meta and on random small configs."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from transformers.models.deepseek_ocr2.modeling_deepseek_ocr2 import DeepseekOcr2TextAttention

from llm_perf_opt.reference.text import causal_mask, hf_text_config, kv_cache, use_vendor_rotary
from modelmeter.models.deepseek_ocr.config import DeepseekV2TextConfig
from modelmeter.models.deepseek_ocr.layers.llama import LlamaAttention, LlamaFlashAttention2
from modelmeter.validation import check_parity

META = torch.device("meta")
ATTENTION = {"sdpa": LlamaFlashAttention2, "eager": LlamaAttention}
PROMPT = 10  # text tokens around the image in these checks (BOS is counted separately)
# L = BOS + image tokens (architecture doc section 4) + prompt
TINY, BASE, GUNDAM_2X2 = 1 + 73 + PROMPT, 1 + 273 + PROMPT, 1 + 693 + PROMPT


def _attention_call(
    hf: Any, layer_idx: int, batch: int, q_len: int, past: int
) -> tuple[Any, tuple[torch.Tensor], dict[str, Any]]:
    with META:
        mod = DeepseekOcr2TextAttention(hf, layer_idx=layer_idx)
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


@pytest.mark.parametrize("impl", ["sdpa", "eager"])
@pytest.mark.parametrize("seq", [TINY, BASE, GUNDAM_2X2])
def test_prefill_full_size(text_config: DeepseekV2TextConfig, impl: str, seq: int) -> None:
    hf = hf_text_config(text_config, impl)
    mod, inputs, kwargs = _attention_call(hf, 3, 1, seq, 0)
    assert mod.config._attn_implementation == impl
    layer = ATTENTION[impl](config=text_config, batch=1, q_len=seq, kv_len=seq)
    result = check_parity(layer, mod, inputs, kwargs=kwargs, backward=seq == TINY)
    assert result.ok, result.describe()
    # q, k, v, o: 4 * 2*L*1280*1280; scores and P V: 2 * 2*10*L*L*128 (full matrix, causal ignored);
    # rotary table: inv_freq [1, 64, 1] @ positions [1, 1, L]: 2*64*L
    assert result.counted_forward_flops == 4 * 2 * seq * 1280 * 1280 + 2 * 2 * 10 * seq * seq * 128 + 2 * 64 * seq
    assert result.counted_params == 6_553_600  # 4 * 1280 * 1280


def test_prefill_backward_is_twice_forward(text_config: DeepseekV2TextConfig) -> None:
    layer = LlamaFlashAttention2(config=text_config, batch=1, q_len=TINY, kv_len=TINY)
    assert layer.forward_tensor_core_flops == 1_137_142_272  # 4*2*84*1280^2 + 4*10*84^2*128 + 2*64*84
    assert layer.backward_tensor_core_flops == 2_274_263_040


@pytest.mark.parametrize("impl", ["sdpa", "eager"])
@pytest.mark.parametrize("past", [512, 2048])
def test_decode_step_full_size(text_config: DeepseekV2TextConfig, impl: str, past: int) -> None:
    hf = hf_text_config(text_config, impl)
    mod, inputs, kwargs = _attention_call(hf, 5, 1, 1, past)
    layer = ATTENTION[impl](config=text_config, batch=1, q_len=1, kv_len=past + 1)
    result = check_parity(layer, mod, inputs, kwargs=kwargs)
    assert result.ok, result.describe()
    assert kwargs["past_key_values"].get_seq_length(5) == past + 1  # the cache really grew to kv_len
    # 4 projections of one token: 4 * 2*1280*1280; one query row against past+1 keys: 2 * 2*10*(past+1)*128;
    # the rotary table of one position: 2*64
    assert result.counted_forward_flops == 4 * 2 * 1280 * 1280 + 2 * 2 * 10 * (past + 1) * 128 + 2 * 64
    m = layer.metrics()
    assert m.forward_kv_cache_read_bytes == 2 * 10 * 128 * past * 2  # K and V of the past tokens, bf16
    assert m.forward_kv_cache_write_bytes == 2 * 10 * 128 * 1 * 2  # the new token's K and V
    assert m.kv_cache_memory_bytes == 2 * 10 * 128 * (past + 1) * 2


@settings(max_examples=25, deadline=None)
@given(
    data=st.data(),
    impl=st.sampled_from(["sdpa", "eager"]),
    batch=st.integers(1, 3),
    q_len=st.integers(1, 9),
    past=st.integers(0, 9),
    backward=st.booleans(),
)
def test_random_configs(
    text_configs: st.SearchStrategy[DeepseekV2TextConfig],
    data: st.DataObject,
    impl: str,
    batch: int,
    q_len: int,
    past: int,
    backward: bool,
) -> None:
    cfg = data.draw(text_configs)
    hf = hf_text_config(cfg, impl)
    layer_idx = data.draw(st.integers(0, cfg.num_hidden_layers - 1))
    backward = backward and past == 0  # a cache is inference-only state
    mod, inputs, kwargs = _attention_call(hf, layer_idx, batch, q_len, past)
    layer = ATTENTION[impl](config=cfg, batch=batch, q_len=q_len, kv_len=past + q_len)
    result = check_parity(layer, mod, inputs, kwargs=kwargs, backward=backward)
    assert result.ok, result.describe()
