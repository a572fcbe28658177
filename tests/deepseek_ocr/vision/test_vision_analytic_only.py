"""Vision layers without torch: the import stays torch-free, and the structure (paths, instance
sharing, call geometry) is what the vendor's modules do."""

from __future__ import annotations

import subprocess
import sys

import pytest

from modelmeter.layers import Conv2d
from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch, SamViTConfig
from modelmeter.models.deepseek_ocr.layers.vision import (
    Attention,
    Block,
    CLIPVisionEmbeddings,
    ImageEncoderViT,
    MlpProjector,
    VitModel,
)


def test_import_and_use_leave_torch_out() -> None:
    code = (
        "import sys\n"
        "from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch\n"
        "from modelmeter.models.deepseek_ocr.layers.vision import ImageEncoderViT, MlpProjector, VitModel\n"
        "a = DeepseekOCRArch()\n"
        "s = ImageEncoderViT(config=a.sam, batch=4, image_size=640)\n"
        "total = s.metrics().forward_flops + VitModel(config=a.clip, batch=4, grid=s.output_grid).params\n"
        "total += MlpProjector(config=a.projector, tokens=400).params\n"
        "print(total > 0, any(m == 'torch' or m.startswith('torch.') for m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "False"], out.stdout + out.stderr


def test_block_instances_and_paths() -> None:
    sam = ImageEncoderViT(config=DeepseekOCRArch().sam, batch=1, image_size=1024)
    kids = {c.name: c for c in sam.cached_children()}
    assert [n for n in kids if n.startswith("blocks.")] == [f"blocks.{i}" for i in range(12)]
    assert all(c.count == 1 and c.n_instances == 1 for c in kids.values())
    window, glob = kids["blocks.0"].layer, kids["blocks.2"].layer
    assert isinstance(window, Block)
    assert isinstance(glob, Block)
    assert (window.window_size, glob.window_size) == (14, 0)
    assert all(kids[f"blocks.{i}"].layer is glob for i in (2, 5, 8, 11))
    paths = [p for p, _, _ in sam.walk()]
    for expected in (
        "patch_embed.proj",
        "blocks.3.attn.qkv",
        "blocks.3.attn.proj",
        "blocks.3.mlp.lin1",
        "blocks.3.mlp.act",
        "blocks.3.mlp.lin2",
        "blocks.3.norm1",
        "blocks.3.norm2",
        "neck.0",
        "neck.3",
        "net_2",
        "net_3",
    ):
        assert expected in paths, expected


def test_global_attention_geometry() -> None:
    """Global blocks attend over all grid^2 tokens with (2*64-1)-row tables whatever the input."""
    block = ImageEncoderViT(config=DeepseekOCRArch().sam, batch=4, image_size=640).block(2)
    attn = block.attention()
    assert (attn.batch, attn.height, attn.width, attn.rel_pos_rows) == (4, 40, 40, 127)
    assert attn.tokens == 4 * 1600
    assert block.windows == 1


def test_clip_geometry() -> None:
    vit = VitModel(config=DeepseekOCRArch().clip, batch=4, grid=10)
    paths = {p: layer for p, layer, _ in vit.walk()}
    assert vit.seq_len == 10 * 10 + 1
    assert [p for p in paths if p.startswith("transformer.layers.") and p.count(".") == 2] == [
        f"transformer.layers.{i}" for i in range(24)
    ]
    qkv = paths["transformer.layers.7.self_attn.qkv_proj"]
    assert qkv.forward_tensor_core_flops == 2 * (4 * 101) * 1024 * 3072
    # position table: always the 257-row lookup, then the add over every token
    assert paths["embeddings.position_embedding"].metrics().forward_activation_write_bytes == 257 * 1024 * 2
    conv = paths["embeddings.patch_embedding"]
    assert isinstance(conv, Conv2d)
    assert not conv.executed
    assert CLIPVisionEmbeddings(batch=1, grid=16).num_positions == 257


def test_cuda_core_work_is_counted_once() -> None:
    """Residual and position adds are 1 FLOP per element; norms and GELU come from the generic layers."""
    block = Block(batch=1, height=4, width=4, dim=8, num_heads=2, mlp_dim=16, window_size=0, input_size=4)
    kids = {c.name: c.layer for c in block.cached_children()}
    own_adds = kids["attn_residual"].forward_cuda_core_flops + kids["mlp_residual"].forward_cuda_core_flops
    assert own_adds == 2 * 16 * 8
    attn = kids["attn"]
    assert isinstance(attn, Attention)
    # rel_h + rel_w broadcast into one bias per score: 2 heads * 16 * 16
    assert attn.own_metrics().forward_cuda_core_flops == 2 * 16 * 16
    total = sum(child.layer.forward_cuda_core_flops for child in block.cached_children())
    assert block.forward_cuda_core_flops == total


def test_invalid_inputs() -> None:
    with pytest.raises(ValueError, match="image_size"):
        ImageEncoderViT(config=SamViTConfig(), batch=1, image_size=650)
    with pytest.raises(ValueError, match="dim"):
        Attention(batch=1, height=2, width=2, dim=10, num_heads=3, input_size=2)
    assert MlpProjector(config=DeepseekOCRArch().projector, tokens=0).forward_io_bytes == 0
