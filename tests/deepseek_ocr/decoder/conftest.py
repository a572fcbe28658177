"""Fixtures of the decoder parity tests: DeepSeek-OCR's text config (ours and transformers')
and a hypothesis strategy of small random text configs (drawn with ``st.data()``)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import strategies as st

from modelmeter.models.deepseek_ocr.config import DeepseekV2TextConfig


@pytest.fixture(scope="session")
def text_config() -> DeepseekV2TextConfig:
    """The released checkpoint's language-model numbers."""
    return DeepseekV2TextConfig()


@pytest.fixture(scope="session")
def hf_config(text_config: DeepseekV2TextConfig) -> Any:
    """transformers' ``DeepseekOcr2TextConfig`` at those numbers (sdpa, batched_mm experts)."""
    from llm_perf_opt.reference.text import hf_text_config

    return hf_text_config(text_config, "sdpa")


@st.composite
def small_text_configs(draw: st.DrawFn) -> DeepseekV2TextConfig:
    """Random small DeepSeek-V2 text configs (MHA or GQA, with or without attention bias)."""
    heads = draw(st.integers(1, 4))
    kv_heads = draw(st.sampled_from([d for d in range(1, heads + 1) if heads % d == 0]))
    head_dim = draw(st.sampled_from([2, 4, 8]))
    experts = draw(st.integers(1, 8))
    first_dense = draw(st.integers(0, 2))
    return DeepseekV2TextConfig(
        hidden_size=heads * head_dim,
        num_hidden_layers=first_dense + draw(st.integers(1, 2)),
        num_attention_heads=heads,
        num_key_value_heads=kv_heads,
        intermediate_size=draw(st.integers(1, 24)),
        moe_intermediate_size=draw(st.integers(1, 12)),
        n_routed_experts=experts,
        n_shared_experts=draw(st.integers(1, 2)),
        num_experts_per_tok=draw(st.integers(1, experts)),
        first_k_dense_replace=first_dense,
        vocab_size=draw(st.integers(2, 50)),
        attention_bias=draw(st.booleans()),
    )


@pytest.fixture(scope="session")
def text_configs() -> st.SearchStrategy[DeepseekV2TextConfig]:
    """Strategy of small random text configs, for tests that draw with ``st.data()``."""
    return small_text_configs()
