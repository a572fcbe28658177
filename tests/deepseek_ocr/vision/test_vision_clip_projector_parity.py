"""CLIP-L on SAM features and the linear projector: analytic layers vs PyTorch references
(transformers' CLIPEncoderLayer with QuickGELU, a CLIP embeddings module fed by SAM maps, a
Linear projector), exact FLOPs and params on the meta device, at every view size."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from llm_perf_opt.reference.vision import build_vision_reference, sam_features, vision_forward
from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch, ProjectorConfig
from modelmeter.models.deepseek_ocr.layers.vision import (
    CLIPVisionEmbeddings,
    ImageEncoderViT,
    MlpProjector,
    NoTPAttention,
    NoTPFeedForward,
    NoTPTransformerBlock,
    VitModel,
)
from modelmeter.validation.parity import check_parity, count_module


def meta(*shape: int) -> torch.Tensor:
    return torch.empty(*shape, device="meta")


def _grid(size: int) -> int:
    return size // 16 // 4  # SAM output side: patch 16, two stride-2 convolutions


def test_vit_model_forward_and_params(arch: DeepseekOCRArch, clip_ref: Any, view: tuple[str, int, int]) -> None:
    _, batch, size = view
    g = _grid(size)
    layer = VitModel(config=arch.clip, batch=batch, grid=g)
    result = check_parity(layer, clip_ref, (meta(batch, 1024, g, g),))
    assert result.ok, result.describe()
    assert layer.params == 303_177_728
    assert tuple(clip_ref(meta(batch, 1024, g, g)).shape) == (batch, g * g + 1, 1024)


def test_vit_model_base_by_hand(arch: DeepseekOCRArch) -> None:
    """1024 view: 16x16 SAM map -> 257 tokens, 24 blocks."""
    t = 257
    block = (
        2 * t * 1024 * 3072  # qkv_proj
        + 2 * 2 * 16 * t * t * 64  # QK^T and PV
        + 2 * t * 1024 * 1024  # out_proj
        + 2 * 2 * t * 1024 * 4096  # fc1 + fc2
    )
    layer = VitModel(config=arch.clip, batch=1, grid=16)
    assert layer.forward_tensor_core_flops == 24 * block == 161_715_683_328


@pytest.mark.parametrize(("batch", "seq_len"), [(1, 257), (4, 101), (1, 65), (1, 401)])
def test_transformer_block_and_parts(arch: DeepseekOCRArch, clip_block_ref: Any, batch: int, seq_len: int) -> None:
    """NoTPTransformerBlock (forward and backward), NoTPAttention, NoTPFeedForward."""
    x = meta(batch, seq_len, 1024)
    block = NoTPTransformerBlock(batch=batch, seq_len=seq_len, hidden_size=1024, num_heads=16, ffn_hidden_size=4096)
    result = check_parity(block, clip_block_ref, (x,), kwargs={"attention_mask": None}, backward=True)
    assert result.ok, result.describe()
    attn = NoTPAttention(batch=batch, seq_len=seq_len, hidden_size=1024, num_heads=16)
    result = check_parity(attn, clip_block_ref.self_attn, (x,))
    assert result.ok, result.describe()
    ff = NoTPFeedForward(tokens=batch * seq_len, dim=1024, hidden_dim=4096)
    result = check_parity(ff, clip_block_ref.mlp, (x,))
    assert result.ok, result.describe()


def test_fused_qkv_equals_separate_projections(clip_block_ref: Any) -> None:
    """The vendor's fused qkv_proj (1024 -> 3072, bias) has the params of transformers' q/k/v_proj."""
    attn = clip_block_ref.self_attn
    separate = sum(p.numel() for m in (attn.q_proj, attn.k_proj, attn.v_proj) for p in m.parameters())
    assert separate == 1024 * 3072 + 3072 == 3_148_800
    walked = {
        path: layer for path, layer, _ in NoTPAttention(batch=1, seq_len=257, hidden_size=1024, num_heads=16).walk()
    }
    assert walked["qkv_proj"].params == separate


def test_embeddings_params_and_no_flops(arch: DeepseekOCRArch, clip_ref: Any) -> None:
    """The patch convolution exists (602,112 params) but never runs: no FLOPs at all."""
    emb = CLIPVisionEmbeddings(batch=4, grid=10)
    result = check_parity(emb, clip_ref.embeddings, (meta(4, 1024, 10, 10),))
    assert result.ok, result.describe()
    assert result.counted_forward_flops == 0
    walked = {path: layer for path, layer, _ in emb.walk()}
    assert walked["patch_embedding"].params == 1024 * 3 * 14 * 14 == 602_112
    assert walked["patch_embedding"].forward_io_bytes == 0
    assert walked["position_embedding"].params == 257 * 1024 == 263_168
    assert emb.params == 1024 + 602_112 + 263_168


def test_projector(projector_ref: Any, view: tuple[str, int, int]) -> None:
    _, batch, size = view
    g = _grid(size)
    layer = MlpProjector(config=ProjectorConfig(), tokens=batch * g * g)
    result = check_parity(layer, projector_ref, (meta(batch, g * g, 2048),))
    assert result.ok, result.describe()
    assert layer.params == 2048 * 1280 + 1280 == 2_622_720
    assert layer.forward_tensor_core_flops == 2 * batch * g * g * 2048 * 1280


def test_projector_rejects_other_types() -> None:
    with pytest.raises(ValueError, match="projector_type"):
        MlpProjector(config=ProjectorConfig(projector_type="mlp_gelu"), tokens=1)


@pytest.mark.parametrize(("batch", "size"), [(1, 1024), (4, 640)])
def test_whole_vision_path(arch: DeepseekOCRArch, batch: int, size: int) -> None:
    """SAM + CLIP + projector analytic totals equal one counted reference forward of the view."""
    ref = build_vision_reference(arch.sam, arch.clip, arch.projector)
    sam = ImageEncoderViT(config=arch.sam, batch=batch, image_size=size)
    g = sam.output_grid
    clip = VitModel(config=arch.clip, batch=batch, grid=g)
    proj = MlpProjector(config=arch.projector, tokens=batch * g * g)
    pixels = meta(batch, 3, size, size)
    counted = count_module(ref.sam, (pixels,), call=lambda x: vision_forward(ref, x))
    assert (
        counted.forward_flops
        == sam.forward_tensor_core_flops + clip.forward_tensor_core_flops + proj.forward_tensor_core_flops
    )
    assert tuple(vision_forward(ref, pixels).shape) == (batch, g * g, 1280)
    assert tuple(sam_features(ref.sam, pixels).shape) == (batch, 1024, g, g)
    total_params = sum(p.numel() for m in ref for p in m.parameters())
    assert sam.params + clip.params + proj.params == total_params == 401_369_600
