"""The Qwen2 vision encoder of DeepSeek-OCR-2: every analytic class equals transformers'
``deepseek_ocr2`` module exactly (FlopCounterMode forward Tensor-Core FLOPs on the meta device,
``sum(p.numel())``), at full size for a 1024 view (256 + 256 tokens), a 768 view (144 + 144) and
a batch of 6 crops, and on random small configs (hypothesis)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from transformers.models.deepseek_ocr2.modeling_deepseek_ocr2 import (
    DeepseekOcr2VisionAttention,
    DeepseekOcr2VisionEncoderLayer,
    DeepseekOcr2VisionMLP,
    DeepseekOcr2VisionRMSNorm,
    DeepseekOcr2VisionRotaryEmbedding,
)

from llm_perf_opt.reference.text import VendorRotaryEmbedding
from modelmeter.models.deepseek_ocr2.config import Qwen2EncoderConfig
from modelmeter.models.deepseek_ocr2.layers.encoder import (
    CustomQwen2Decoder,
    Qwen2Attention,
    Qwen2DecoderLayer,
    Qwen2MLP,
    Qwen2RMSNorm,
    Qwen2RotaryEmbedding,
)
from modelmeter.validation import check_parity, count_module

META = torch.device("meta")
EXAMPLES = settings(max_examples=10, deadline=None)
CASES = [(1, 256), (1, 144), (6, 144)]  # (batch, image tokens): a 1024 view, a 768 view, 6 crops of 768
IDS = ["1024", "768", "crops6x768"]


def hybrid_mask(batch: int, image_tokens: int, query_tokens: int) -> torch.Tensor:
    """The vendor's mask as booleans ``[batch, 1, S, S]``: image rows see image tokens, query ``i``
    sees image tokens and queries ``0..i``."""
    s = image_tokens + query_tokens
    mask = torch.ones(s, s, dtype=torch.bool, device=META).tril()
    mask[:, :image_tokens] = True
    mask[:image_tokens, image_tokens:] = False
    return mask[None, None].expand(batch, 1, s, s)


def rope(config: Qwen2EncoderConfig, seq_len: int) -> tuple[torch.Tensor, torch.Tensor]:
    table = VendorRotaryEmbedding(config.head_dim, config.rope_theta, device=META)
    return table(torch.empty(1, seq_len, config.hidden_size, device=META), torch.arange(seq_len, device=META)[None])


def layer_cases(config: Qwen2EncoderConfig, hf: Any, batch: int, n: int, q: int) -> list[tuple[Any, Any, Any, Any]]:
    """(analytic, module, inputs, kwargs) for each per-layer class at ``batch`` x (n + q) tokens."""
    s = n + q
    x = torch.empty(batch, s, config.hidden_size, device=META)
    kwargs = {"position_embeddings": rope(config, s), "attention_mask": hybrid_mask(batch, n, q)}
    with META:
        attn, layer = DeepseekOcr2VisionAttention(hf, 0), DeepseekOcr2VisionEncoderLayer(hf, 0)
        mlp, norm = DeepseekOcr2VisionMLP(hf), DeepseekOcr2VisionRMSNorm(config.hidden_size)
    t, h = batch * s, config.hidden_size
    return [
        (Qwen2Attention(config=config, batch=batch, seq_len=s), attn, (x,), kwargs),
        (Qwen2DecoderLayer(config=config, batch=batch, seq_len=s), layer, (x,), kwargs),
        (Qwen2MLP(tokens=t, hidden_size=h, intermediate_size=config.intermediate_size), mlp, (x,), None),
        (Qwen2RMSNorm(tokens=t, hidden=h), norm, (x,), None),
    ]


@pytest.mark.parametrize(("batch", "tokens"), CASES, ids=IDS)
def test_layers_full_size(
    encoder_config_builder: Callable[[Qwen2EncoderConfig, str], Any], batch: int, tokens: int
) -> None:
    config = Qwen2EncoderConfig()
    for layer, module, inputs, kwargs in layer_cases(
        config, encoder_config_builder(config, "sdpa"), batch, tokens, tokens
    ):
        result = check_parity(layer, module, inputs, kwargs=kwargs)
        assert result.ok, f"{type(layer).__name__}: {result.describe()}"


@pytest.mark.parametrize(("batch", "tokens"), CASES, ids=IDS)
def test_encoder_stack_full_size(encoder_ref: Any, batch: int, tokens: int) -> None:
    layer = CustomQwen2Decoder(config=Qwen2EncoderConfig(), batch=batch, image_tokens=tokens, query_tokens=tokens)
    x = torch.empty(batch, 2 * tokens, 896, device=META)
    result = check_parity(layer, encoder_ref, (x,), kwargs={"num_patches": tokens})
    assert result.ok, result.describe()
    assert result.counted_params == 24 * 14_912_384 + 896 == 357_898_112  # 24 layers + final norm, no embedding


def test_encoder_1024_view_by_hand(encoder_ref: Any) -> None:
    """512 tokens: every contraction FlopCounterMode sees, written out."""
    counted = count_module(encoder_ref, (torch.empty(1, 512, 896, device=META),), kwargs={"num_patches": 256})
    s = 512
    assert counted.forward_by_op["aten.addmm"] == 24 * 2 * s * 896 * (896 + 128 + 128)  # biased q, k, v
    assert counted.forward_by_op["aten.mm"] == 24 * (2 * s * 896 * 896 + 3 * 2 * s * 896 * 4864)  # o_proj, MLP
    # SDPA (MATH backend) over all 512 x 512 scores, 14 heads: QK^T and PV; plus the rotary table 2 * 32 * 512
    assert counted.forward_by_op["aten.bmm"] == 24 * 2 * 2 * 14 * s * s * 64 + 2 * 32 * s


def test_rotary_table(encoder_config_builder: Callable[[Qwen2EncoderConfig, str], Any]) -> None:
    """The vendor's table product is counted (booked by Qwen2RotaryEmbedding); transformers 5's
    ``DeepseekOcr2VisionRotaryEmbedding`` builds the same table elementwise and counts nothing."""
    config = Qwen2EncoderConfig()
    x, pos = torch.empty(1, 512, 896, device=META), torch.arange(512, device=META)[None]
    vendor = VendorRotaryEmbedding(64, 1e6, device=META)
    result = check_parity(Qwen2RotaryEmbedding(seq_len=512, head_dim=64), vendor, (x, pos))
    assert result.ok, result.describe()
    assert result.counted_forward_flops == 2 * 32 * 512  # inv_freq [1, 32, 1] @ position_ids [1, 1, 512]
    with META:
        native = DeepseekOcr2VisionRotaryEmbedding(encoder_config_builder(config, "sdpa"))
    assert count_module(native, (x, pos)).forward_flops == 0


@st.composite
def encoder_configs(draw: st.DrawFn) -> Qwen2EncoderConfig:
    kv = draw(st.integers(1, 2))
    heads = kv * draw(st.integers(1, 3))
    head_dim = draw(st.sampled_from([2, 4, 8]))
    return Qwen2EncoderConfig(
        hidden_size=heads * head_dim,
        num_hidden_layers=draw(st.integers(1, 2)),
        num_attention_heads=heads,
        num_key_value_heads=kv,
        intermediate_size=draw(st.integers(1, 16)),
        rope_theta=draw(st.sampled_from([10_000.0, 1_000_000.0])),
    )


@EXAMPLES
@given(config=encoder_configs(), batch=st.integers(1, 2), n=st.integers(1, 6), q=st.integers(1, 6))
def test_layers_random_configs(
    encoder_config_builder: Callable[[Qwen2EncoderConfig, str], Any],
    config: Qwen2EncoderConfig,
    batch: int,
    n: int,
    q: int,
) -> None:
    for layer, module, inputs, kwargs in layer_cases(config, encoder_config_builder(config, "eager"), batch, n, q):
        result = check_parity(layer, module, inputs, kwargs=kwargs)
        assert result.ok, f"{config} {type(layer).__name__}: {result.describe()}"


@EXAMPLES
@given(config=encoder_configs(), batch=st.integers(1, 2), n=st.integers(1, 8))
def test_encoder_stack_random_configs(
    encoder_builder: Callable[[Qwen2EncoderConfig, str], Any], config: Qwen2EncoderConfig, batch: int, n: int
) -> None:
    """The stack with as many queries as image tokens (what the vision tower feeds it)."""
    layer = CustomQwen2Decoder(config=config, batch=batch, image_tokens=n, query_tokens=n)
    x = torch.empty(batch, 2 * n, config.hidden_size, device=META)
    result = check_parity(layer, encoder_builder(config, "sdpa"), (x,), kwargs={"num_patches": n})
    assert result.ok, f"{config}: {result.describe()}"
