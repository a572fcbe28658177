"""Fixtures of the DeepSeek-OCR-2 parity tests: transformers' ``deepseek_ocr2`` modules configured
to the released checkpoint's numbers (or to small random ones), on the meta device.

How the references are built (the v1 parity pattern, ``tests/deepseek_ocr``):

* the text model is v1's :func:`llm_perf_opt.reference.text.hf_text_config` (``batched_mm``
  experts: ``grouped_mm`` counts 0 FLOPs) and every decoder attention layer builds its rotary
  table with the vendor's counted product (:func:`use_vendor_rotary`);
* the Qwen2 encoder's rotary table is built by the vendor's product once per encoder call
  (:class:`VendorRotaryEmbedding` as ``vision_encoder.rotary_emb``: transformers 4.46.3's
  ``Qwen2RotaryEmbedding``, which the vendor's encoder uses);
* SAM is v1's :func:`sam_reference_config` with ``downsample_channels`` (512, 896).

``DeepseekOcr2Config()`` defaults describe a much larger model; nothing here uses them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

pytest.importorskip("torch", reason="the DeepSeek-OCR-2 parity tests need the validation extra (torch)")
pytest.importorskip("transformers", reason="the DeepSeek-OCR-2 parity tests need the validation extra (transformers)")

import torch
from transformers.models.deepseek_ocr2.configuration_deepseek_ocr2 import (
    DeepseekOcr2Config,
    DeepseekOcr2VisionConfig,
    DeepseekOcr2VisionEncoderConfig,
)
from transformers.models.deepseek_ocr2.modeling_deepseek_ocr2 import (
    DeepseekOcr2ForConditionalGeneration,
    DeepseekOcr2VisionEncoder,
    DeepseekOcr2VisionModel,
)

from llm_perf_opt.reference.text import (
    EXPERTS_IMPLEMENTATION,
    VendorRotaryEmbedding,
    hf_text_config,
    use_vendor_rotary,
)
from llm_perf_opt.reference.vision import sam_reference_config
from modelmeter.models.deepseek_ocr2.config import DeepseekOCR2Arch, Qwen2EncoderConfig

META = torch.device("meta")
ATTN = "sdpa"


def hf_encoder_config(config: Qwen2EncoderConfig, attn: str = ATTN) -> DeepseekOcr2VisionEncoderConfig:
    """transformers' encoder config with ``config``'s numbers (the conversion script's keys)."""
    hf = DeepseekOcr2VisionEncoderConfig(
        hidden_size=config.hidden_size,
        num_hidden_layers=config.num_hidden_layers,
        num_attention_heads=config.num_attention_heads,
        num_key_value_heads=config.num_key_value_heads,
        intermediate_size=config.intermediate_size,
        rms_norm_eps=config.rms_norm_eps,
        rope_parameters={"rope_type": "default", "rope_theta": config.rope_theta},
        max_position_embeddings=config.max_position_embeddings,
        vocab_size=1,
    )
    hf._attn_implementation = attn
    return hf


def use_vendor_encoder_rotary(encoder: Any, config: Qwen2EncoderConfig) -> None:
    """Give transformers' ``DeepseekOcr2VisionEncoder`` the vendor's rotary table (one counted
    outer product per call)."""
    device = next(encoder.parameters()).device
    encoder.rotary_emb = VendorRotaryEmbedding(config.head_dim, config.rope_theta, device=device)


def build_encoder(config: Qwen2EncoderConfig, attn: str = ATTN) -> DeepseekOcr2VisionEncoder:
    """The Qwen2 encoder stack (meta, eval, vendor rotary)."""
    with META:
        enc = DeepseekOcr2VisionEncoder(hf_encoder_config(config, attn))
    use_vendor_encoder_rotary(enc, config)
    return enc.eval()


def hf_vision_config(arch: DeepseekOCR2Arch, attn: str = ATTN) -> DeepseekOcr2VisionConfig:
    """SAM + encoder sub-configs."""
    vision = DeepseekOcr2VisionConfig(
        sam_config=sam_reference_config(arch.sam), encoder_config=hf_encoder_config(arch.encoder, attn)
    )
    vision._attn_implementation = attn
    return vision


def build_vision_model(arch: DeepseekOCR2Arch) -> DeepseekOcr2VisionModel:
    """transformers' ``DeepseekOcr2VisionModel`` (SAM, encoder, both query tables; meta, eval)."""
    with META:
        model = DeepseekOcr2VisionModel(hf_vision_config(arch))
    use_vendor_encoder_rotary(model.vision_encoder, arch.encoder)
    return model.eval()


def build_full_model(arch: DeepseekOCR2Arch) -> DeepseekOcr2ForConditionalGeneration:
    """The whole ``DeepseekOcr2ForConditionalGeneration`` at ``arch``'s numbers (meta, eval),
    vendor rotary tables in the encoder and in every decoder attention layer."""
    text = hf_text_config(arch.language, ATTN)
    config = DeepseekOcr2Config(vision_config=hf_vision_config(arch), text_config=text, tie_word_embeddings=False)
    config._attn_implementation = ATTN
    config.text_config._experts_implementation = EXPERTS_IMPLEMENTATION  # the composite resets it
    with META:
        model = DeepseekOcr2ForConditionalGeneration(config)
    use_vendor_encoder_rotary(model.model.vision_tower.vision_encoder, arch.encoder)
    for layer in model.model.language_model.layers:
        use_vendor_rotary(layer.self_attn, head_dim=arch.language.head_dim, theta=arch.language.rope_theta)
    return model.eval()


@pytest.fixture(scope="session")
def arch() -> DeepseekOCR2Arch:
    """The released checkpoint's architecture."""
    return DeepseekOCR2Arch()


@pytest.fixture(scope="session")
def encoder_ref(arch: DeepseekOCR2Arch) -> DeepseekOcr2VisionEncoder:
    """The full-size Qwen2 encoder stack (meta)."""
    return build_encoder(arch.encoder)


@pytest.fixture(scope="session")
def vision_ref(arch: DeepseekOCR2Arch) -> DeepseekOcr2VisionModel:
    """The full-size vision tower: SAM + encoder + queries (meta)."""
    return build_vision_model(arch)


@pytest.fixture(scope="session")
def full_ref(arch: DeepseekOCR2Arch) -> DeepseekOcr2ForConditionalGeneration:
    """The full-size model (meta)."""
    return build_full_model(arch)


@pytest.fixture(scope="session")
def encoder_builder() -> Callable[[Qwen2EncoderConfig, str], DeepseekOcr2VisionEncoder]:
    """:func:`build_encoder`, for tests with their own configs."""
    return build_encoder


@pytest.fixture(scope="session")
def vision_builder() -> Callable[[DeepseekOCR2Arch], DeepseekOcr2VisionModel]:
    """:func:`build_vision_model`, for tests with their own configs."""
    return build_vision_model


@pytest.fixture(scope="session")
def encoder_config_builder() -> Callable[[Qwen2EncoderConfig, str], DeepseekOcr2VisionEncoderConfig]:
    """:func:`hf_encoder_config`, for tests that build single encoder modules."""
    return hf_encoder_config
