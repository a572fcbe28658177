"""SAM ViT-B: analytic layers vs transformers' DeepseekOcr2SamVisionEncoder, exact FLOPs and params
(FlopCounterMode on the meta device), at every DeepSeek-OCR view size."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch, SamViTConfig
from modelmeter.models.deepseek_ocr.layers.vision import (
    Attention,
    ImageEncoderViT,
    MLPBlock,
    PatchEmbed,
)
from modelmeter.validation.parity import check_parity

WINDOW_BLOCK, GLOBAL_BLOCK = 0, 2


def meta(*shape: int) -> torch.Tensor:
    return torch.empty(*shape, device="meta")


def padded(side: int, window: int) -> int:
    """``side`` rounded up to a multiple of ``window`` (what window_partition pads to)."""
    return -(-side // window) * window


def _encoder(arch: DeepseekOCRArch, batch: int, size: int) -> ImageEncoderViT:
    return ImageEncoderViT(config=arch.sam, batch=batch, image_size=size)


def test_image_encoder_forward_and_params(arch: DeepseekOCRArch, sam_ref: Any, view: tuple[str, int, int]) -> None:
    _, batch, size = view
    layer = _encoder(arch, batch, size)
    result = check_parity(layer, sam_ref, (meta(batch, 3, size, size),))
    assert result.ok, result.describe()
    assert layer.params == 95_569_152
    out = sam_ref(meta(batch, 3, size, size)).last_hidden_state
    assert tuple(out.shape) == (batch, layer.output_channels, layer.output_grid, layer.output_grid)


def test_image_encoder_base_by_hand(arch: DeepseekOCRArch) -> None:
    """1024x1024, one image: every contraction written out."""
    convs = (
        2 * 768 * 64 * 64 * 3 * 16 * 16  # patch_embed.proj
        + 2 * 256 * 64 * 64 * 768  # neck.0 (1x1)
        + 2 * 256 * 64 * 64 * 256 * 9  # neck.2 (3x3)
        + 2 * 512 * 32 * 32 * 256 * 9  # net_2
        + 2 * 1024 * 16 * 16 * 512 * 9  # net_3
    )
    assert convs == 16_106_127_360
    # window block: 64 -> 70 padded, 25 windows of 196 tokens = 4900 projected tokens
    window = (
        2 * 4900 * 768 * 2304  # qkv on the padded grid
        + 2 * 4900 * 768 * 768  # proj on the padded grid
        + 2 * 2 * (25 * 12) * 196 * 196 * 64  # QK^T and PV per window
        + 2 * 2 * (25 * 12) * 196 * 14 * 64  # rel-pos einsums, height and width axes
        + 2 * 2 * 4096 * 768 * 3072  # lin1 + lin2 on the unpadded grid
    )
    glob = (
        2 * 4096 * 768 * 2304
        + 2 * 4096 * 768 * 768
        + 2 * 2 * 12 * 4096 * 4096 * 64
        + 2 * 2 * 12 * 4096 * 64 * 64
        + 2 * 2 * 4096 * 768 * 3072
    )
    assert window == 64_936_894_464
    assert glob == 110_326_972_416
    layer = _encoder(arch, 1, 1024)
    assert layer.forward_tensor_core_flops == convs + 8 * window + 4 * glob == 976_909_172_736
    assert layer.block(WINDOW_BLOCK).forward_tensor_core_flops == window
    assert layer.block(GLOBAL_BLOCK).forward_tensor_core_flops == glob


def test_sub_layers(arch: DeepseekOCRArch, sam_ref: Any, view: tuple[str, int, int]) -> None:
    """PatchEmbed, Block (window and global), Attention (window and global), MLPBlock."""
    _, batch, size = view
    enc = _encoder(arch, batch, size)
    g, c, ws = enc.grid, arch.sam, arch.sam.window_size
    windows = (padded(g, ws) // ws) ** 2
    grid_in = meta(batch, g, g, c.embed_dim)
    cases: list[tuple[Any, Any, tuple[Any, ...]]] = [
        (
            PatchEmbed(batch=batch, image_size=size, patch_size=c.patch_size, embed_dim=c.embed_dim),
            sam_ref.patch_embed,
            (meta(batch, 3, size, size),),
        ),
        (enc.block(WINDOW_BLOCK), sam_ref.layers[WINDOW_BLOCK], (grid_in,)),
        (enc.block(GLOBAL_BLOCK), sam_ref.layers[GLOBAL_BLOCK], (grid_in,)),
        (
            Attention(
                batch=batch * windows, height=ws, width=ws, dim=c.embed_dim, num_heads=c.num_heads, input_size=ws
            ),
            sam_ref.layers[WINDOW_BLOCK].attn,
            (meta(batch * windows, ws, ws, c.embed_dim),),
        ),
        (
            Attention(batch=batch, height=g, width=g, dim=c.embed_dim, num_heads=c.num_heads, input_size=64),
            sam_ref.layers[GLOBAL_BLOCK].attn,
            (grid_in,),
        ),
        (
            MLPBlock(tokens=batch * g * g, embedding_dim=c.embed_dim, mlp_dim=c.mlp_dim),
            sam_ref.layers[WINDOW_BLOCK].mlp,
            (grid_in,),
        ),
    ]
    for layer, module, inputs in cases:
        result = check_parity(layer, module, inputs)
        assert result.ok, f"{type(layer).__name__}: {result.describe()}"


@pytest.mark.parametrize(
    ("size", "padded_tokens"),
    [(512, 1764), (640, 1764), (1024, 4900), (1280, 7056)],
)
def test_window_blocks_project_the_padded_grid(arch: DeepseekOCRArch, size: int, padded_tokens: int) -> None:
    """qkv/proj of a window block see the grid padded to a multiple of 14; the MLP sees the real grid."""
    block = _encoder(arch, 1, size).block(WINDOW_BLOCK)
    grid = size // 16
    assert block.attn_tokens == padded_tokens == padded(grid, 14) ** 2  # e.g. 70 * 70 = 4900 at 1024
    paths = {path: layer for path, layer, _ in block.walk()}
    assert paths["attn.qkv"].forward_tensor_core_flops == 2 * padded_tokens * 768 * 2304
    assert paths["attn.proj"].forward_tensor_core_flops == 2 * padded_tokens * 768 * 768
    assert paths["mlp.lin1"].forward_tensor_core_flops == 2 * grid * grid * 768 * 3072


def test_rel_pos_einsums_are_counted(arch: DeepseekOCRArch, sam_ref: Any) -> None:
    """The decomposed rel-pos terms are bmm's: 2 * B_windows * heads * (q_h*q_w) * k * head_dim per axis."""
    # 640: 40 -> 42 padded, 9 windows of 14x14
    attn = Attention(batch=9, height=14, width=14, dim=768, num_heads=12, input_size=14)
    per_axis = 2 * 9 * 12 * (14 * 14) * 14 * 64
    assert attn.rel_pos_tensor_core_flops == 2 * per_axis
    counted = check_parity(attn, sam_ref.layers[WINDOW_BLOCK].attn, (meta(9, 14, 14, 768),)).counted_by_op
    qk_pv = 2 * 2 * 9 * 12 * 196 * 196 * 64
    assert counted["aten.bmm"] == qk_pv + 2 * per_axis


@pytest.mark.parametrize(("batch", "size"), [(1, 640), (1, 1024)])
def test_block_backward(arch: DeepseekOCRArch, sam_ref: Any, batch: int, size: int) -> None:
    enc = _encoder(arch, batch, size)
    grid_in = meta(batch, enc.grid, enc.grid, 768)
    for index in (WINDOW_BLOCK, GLOBAL_BLOCK):
        result = check_parity(enc.block(index), sam_ref.layers[index], (grid_in,), backward=True)
        assert result.ok, f"block {index}: {result.describe()}"
        assert result.counted_backward_flops == 2 * result.counted_forward_flops


def test_image_encoder_backward(arch: DeepseekOCRArch, sam_ref: Any) -> None:
    result = check_parity(_encoder(arch, 1, 512), sam_ref, (meta(1, 3, 512, 512),), backward=True)
    assert result.ok, result.describe()


def test_parameter_breakdown(arch: DeepseekOCRArch) -> None:
    """Architecture doc section 1 (measured on the vendor code)."""
    enc = _encoder(arch, 1, 1024)
    by_path = {path: layer.params for path, layer, _ in enc.walk()}
    assert by_path["patch_embed"] == 768 * 3 * 16 * 16 + 768 == 590_592
    assert enc.pos_embed_params == 64 * 64 * 768 == 3_145_728
    assert by_path["blocks.0"] == 7_091_328
    assert by_path["blocks.2"] == 7_091_328 + 2 * (127 - 27) * 64 == 7_104_128
    assert sum(by_path[f"neck.{i}"] for i in range(4)) == 768 * 256 + 512 + 256 * 256 * 9 + 512 == 787_456
    assert by_path["net_2"] == 512 * 256 * 9 == 1_179_648
    assert by_path["net_3"] == 1024 * 512 * 9 == 4_718_592
    # rel-pos tables keep their native size whatever the input
    assert _encoder(arch, 1, 640).params == enc.params == 95_569_152


def test_output_geometry(arch: DeepseekOCRArch) -> None:
    assert [_encoder(arch, 1, s).output_grid for s in (512, 640, 1024, 1280)] == [8, 10, 16, 20]
    assert _encoder(arch, 1, 1024).output_channels == 1024
    block = _encoder(arch, 1, 1280).block(WINDOW_BLOCK)
    assert block.windows == (84 // 14) ** 2 == 36


def test_image_size_must_be_a_patch_multiple() -> None:
    with pytest.raises(ValueError, match="image_size"):
        ImageEncoderViT(config=SamViTConfig(), batch=1, image_size=1000)
