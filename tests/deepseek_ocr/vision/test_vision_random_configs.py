"""Vision layers vs the PyTorch references on random small configurations (hypothesis):
widths, heads, depths, windows, global-block positions, patch sizes, native and input grids,
neck widths and batch sizes all vary; FLOPs (forward and backward) and params must be equal."""

from __future__ import annotations

from typing import Any

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from llm_perf_opt.reference.vision import build_clip_block_reference, build_clip_reference, build_sam_reference
from modelmeter.models.deepseek_ocr.config import ClipLConfig, SamViTConfig
from modelmeter.models.deepseek_ocr.layers.vision import (
    Attention,
    ImageEncoderViT,
    NoTPTransformerBlock,
    VitModel,
)
from modelmeter.validation.parity import check_parity

EXAMPLES = settings(max_examples=15, deadline=None)


def meta(*shape: int) -> torch.Tensor:
    return torch.empty(*shape, device="meta")


@st.composite
def sam_configs(draw: st.DrawFn, depth: int | None = None) -> SamViTConfig:
    heads = draw(st.sampled_from([1, 2, 3]))
    patch = draw(st.sampled_from([2, 4, 8]))
    n_layers = depth if depth is not None else draw(st.integers(1, 4))
    return SamViTConfig(
        img_size=patch * draw(st.integers(2, 9)),
        patch_size=patch,
        embed_dim=heads * draw(st.sampled_from([2, 4, 8])),
        depth=n_layers,
        num_heads=heads,
        mlp_ratio=draw(st.sampled_from([1, 2, 4])),
        window_size=draw(st.integers(2, 5)),
        global_attn_indexes=draw(st.sets(st.integers(0, n_layers - 1))),
        out_chans=draw(st.sampled_from([4, 8])),
        downsample_channels=(draw(st.sampled_from([4, 6])), draw(st.sampled_from([8, 12]))),
    )


@EXAMPLES
@given(config=sam_configs(), grid=st.integers(2, 11), batch=st.integers(1, 2))
def test_image_encoder(config: SamViTConfig, grid: int, batch: int) -> None:
    size = grid * config.patch_size
    layer = ImageEncoderViT(config=config, batch=batch, image_size=size)
    result = check_parity(layer, build_sam_reference(config), (meta(batch, 3, size, size),))
    assert result.ok, f"{config} size={size} batch={batch}: {result.describe()}"


@EXAMPLES
@given(config=sam_configs(depth=2), grid=st.integers(2, 11), batch=st.integers(1, 2))
def test_blocks_and_attention_with_backward(config: SamViTConfig, grid: int, batch: int) -> None:
    """blocks.0 and blocks.1 (window or global as drawn) and their attn, forward and backward."""
    ref = build_sam_reference(config)
    enc = ImageEncoderViT(config=config, batch=batch, image_size=grid * config.patch_size)
    x = meta(batch, grid, grid, config.embed_dim)
    for index in (0, 1):
        block = enc.block(index)
        result = check_parity(block, ref.layers[index], (x,), backward=True)
        assert result.ok, f"{config} grid={grid} block {index}: {result.describe()}"
        attn: Attention = block.attention()
        attn_in = meta(attn.batch, attn.height, attn.width, config.embed_dim)
        result = check_parity(attn, ref.layers[index].attn, (attn_in,), backward=True)
        assert result.ok, f"{config} grid={grid} attn {index}: {result.describe()}"


@st.composite
def clip_configs(draw: st.DrawFn) -> ClipLConfig:
    heads = draw(st.sampled_from([1, 2, 4]))
    patch = draw(st.sampled_from([2, 3]))
    return ClipLConfig(
        hidden_size=heads * draw(st.sampled_from([2, 4, 8])),
        num_layers=draw(st.integers(1, 3)),
        num_attention_heads=heads,
        ffn_hidden_size=draw(st.sampled_from([4, 12, 32])),
        image_size=patch * draw(st.integers(2, 6)),
        patch_size=patch,
    )


@EXAMPLES
@given(config=clip_configs(), batch=st.integers(1, 3), seq_len=st.integers(1, 24))
def test_transformer_block_with_backward(config: ClipLConfig, batch: int, seq_len: int) -> None:
    layer = NoTPTransformerBlock(
        batch=batch,
        seq_len=seq_len,
        hidden_size=config.hidden_size,
        num_heads=config.num_attention_heads,
        ffn_hidden_size=config.ffn_hidden_size,
    )
    module: Any = build_clip_block_reference(config)
    x = meta(batch, seq_len, config.hidden_size)
    result = check_parity(layer, module, (x,), kwargs={"attention_mask": None}, backward=True)
    assert result.ok, f"{config} batch={batch} seq_len={seq_len}: {result.describe()}"


@EXAMPLES
@given(config=clip_configs(), batch=st.integers(1, 3), grid=st.integers(1, 7))
def test_vit_model(config: ClipLConfig, batch: int, grid: int) -> None:
    """Any SAM grid, including ones that resize the position table."""
    layer = VitModel(config=config, batch=batch, grid=grid)
    x = meta(batch, config.hidden_size, grid, grid)
    result = check_parity(layer, build_clip_reference(config), (x,))
    assert result.ok, f"{config} batch={batch} grid={grid}: {result.describe()}"
