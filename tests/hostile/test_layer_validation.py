"""Layer classes and the vision configs validate on construction, across fields, and the one-line error names the
class and the field (a layer is built deep inside a model, so ``dim`` alone would not say which)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from modelmeter.layers.conv2d import Conv2d
from modelmeter.layers.linear import Linear
from modelmeter.models.deepseek_ocr.config import ClipLConfig, DeepseekOCRArch, DeepseekV2TextConfig, SamViTConfig
from modelmeter.models.deepseek_ocr.layers.core import DeepseekOCRModel
from modelmeter.models.deepseek_ocr.layers.decoder.deepseek_v2_decoder_layer import DeepseekV2DecoderLayer
from modelmeter.models.deepseek_ocr.layers.llama.llama_rotary_embedding import LlamaRotaryEmbedding
from modelmeter.models.deepseek_ocr.layers.vision.attention import Attention
from modelmeter.models.deepseek_ocr.layers.vision.block import Block
from modelmeter.models.deepseek_ocr.layers.vision.clip_vision_embeddings import CLIPVisionEmbeddings
from modelmeter.models.deepseek_ocr.layers.vision.image_encoder_vit import ImageEncoderViT
from modelmeter.models.deepseek_ocr.layers.vision.no_tp_attention import NoTPAttention
from modelmeter.models.deepseek_ocr.layers.vision.no_tp_transformer import NoTPTransformer
from modelmeter.models.deepseek_ocr.layers.vision.no_tp_transformer_block import NoTPTransformerBlock
from modelmeter.models.deepseek_ocr.layers.vision.patch_embed import PatchEmbed
from modelmeter.models.deepseek_ocr.workload import OCRWorkload

GRID = {"batch": 1, "height": 14, "width": 14}
CLIP = {"batch": 1, "seq_len": 257, "ffn_hidden_size": 4096}

CASES: list[tuple[str, Callable[[], object], str]] = [
    ("heads divide the SAM width", lambda: Attention(**GRID, dim=770, num_heads=12, input_size=14),
     "Attention.dim: 770 is not a multiple of num_heads (12)"),
    ("heads divide the block width",
     lambda: Block(**GRID, dim=770, num_heads=12, mlp_dim=3072, window_size=14, input_size=64),
     "Block.dim: 770 is not a multiple of num_heads (12)"),
    ("heads divide the CLIP width", lambda: NoTPAttention(batch=1, seq_len=257, hidden_size=1000, num_heads=16),
     "NoTPAttention.hidden_size: 1000 is not a multiple of num_heads (16)"),
    ("heads divide the CLIP block width", lambda: NoTPTransformerBlock(**CLIP, hidden_size=1000, num_heads=16),
     "NoTPTransformerBlock.hidden_size: 1000 is not a multiple of num_heads (16)"),
    ("heads divide the CLIP stack width",
     lambda: NoTPTransformer(**CLIP, hidden_size=1000, num_heads=16, num_layers=2),
     "NoTPTransformer.hidden_size: 1000 is not a multiple of num_heads (16)"),
    ("an integral patch grid", lambda: PatchEmbed(batch=1, image_size=1000),
     "PatchEmbed.image_size: 1000 is not a multiple of patch_size (16)"),
    ("an integral CLIP position grid", lambda: CLIPVisionEmbeddings(batch=1, grid=16, image_size=225),
     "CLIPVisionEmbeddings.image_size: 225 is not a multiple of patch_size (14)"),
    ("an integral SAM grid", lambda: ImageEncoderViT(config=SamViTConfig(), batch=1, image_size=1000),
     "ImageEncoderViT.image_size: 1000 is not a multiple of patch_size (16)"),
    ("kv heads divide heads", lambda: LlamaRotaryEmbedding(batch=1, q_len=1, head_dim=128, heads=10, kv_heads=3),
     "LlamaRotaryEmbedding.heads: 10 is not a multiple of kv_heads (3)"),
    ("rotary pairs", lambda: LlamaRotaryEmbedding(batch=1, q_len=1, head_dim=5, heads=2, kv_heads=2),
     "LlamaRotaryEmbedding.head_dim: 5 is odd"),
    ("positive sizes", lambda: Linear(tokens=1, in_features=0, out_features=4),
     "Linear.in_features: must be an integer >= 1, got 0"),
    ("integer sizes", lambda: Linear(tokens=1.5, in_features=4, out_features=4),
     "Linear.tokens: must be an integer >= 0, got 1.5"),
    ("no booleans as sizes", lambda: Linear(tokens=1, in_features=True, out_features=4),
     "Linear.in_features: must be an integer >= 1, got True"),
    ("a kernel that fits", lambda: Conv2d(batch=1, in_channels=3, out_channels=8, in_h=4, in_w=4, kernel_size=7),
     "Conv2d.kernel_size: 7 does not fit a 4x4 input"),
    ("a layer index in range",
     lambda: DeepseekV2DecoderLayer(config=DeepseekV2TextConfig(), layer_idx=12, batch=1, q_len=1, kv_len=1),
     "DeepseekV2DecoderLayer.layer_idx: 12 >= num_hidden_layers 12"),
    ("SAM heads divide its width", lambda: SamViTConfig(embed_dim=770),
     "SamViTConfig.embed_dim: 770 is not a multiple of num_heads (12)"),
    ("SAM's native grid is integral", lambda: SamViTConfig(img_size=1000),
     "SamViTConfig.img_size: 1000 is not a multiple of patch_size (16)"),
    ("global-attention indexes in range", lambda: SamViTConfig(global_attn_indexes=(2, 12)),
     "SamViTConfig.global_attn_indexes: must be distinct block indexes 0..11 (depth 12), got [2, 12]"),
    ("negative global-attention index", lambda: SamViTConfig(global_attn_indexes=(-1,)),
     "SamViTConfig.global_attn_indexes: must be distinct block indexes 0..11"),
    ("distinct global-attention indexes", lambda: SamViTConfig(global_attn_indexes=(2, 2)),
     "SamViTConfig.global_attn_indexes: must be distinct block indexes"),
    ("global-attention indexes are integers", lambda: SamViTConfig(global_attn_indexes="2,5"),
     "SamViTConfig.global_attn_indexes: expected a list of integers, got '2,5'"),
    ("two downsample convolutions", lambda: SamViTConfig(downsample_channels=(512,)),
     "SamViTConfig.downsample_channels: expected 2 channel counts 1..2,147,483,647 (net_2, net_3), got [512]"),
    ("a finite epsilon", lambda: SamViTConfig(layer_norm_eps=float("nan")),
     "SamViTConfig.layer_norm_eps: must be a finite number > 0, got 'nan'"),
    ("CLIP heads divide its width", lambda: ClipLConfig(num_attention_heads=15),
     "ClipLConfig.hidden_size: 1024 is not a multiple of num_attention_heads (15)"),
    ("CLIP's position grid is integral", lambda: ClipLConfig(image_size=225),
     "ClipLConfig.image_size: 225 is not a multiple of patch_size (14)"),
    ("an even decoder head width", lambda: DeepseekV2TextConfig(hidden_size=1290),
     "head_dim 129 is odd"),
    ("integral crop grids", lambda: OCRWorkload(crop_mode=True, crop_grid=(2.5, 2)),
     "crop_grid: must be two integers >= 1 (width x height in crops), got (2.5, 2)"),
    ("bounded crop grids", lambda: OCRWorkload(crop_mode=True, crop_grid=(1000, 100)),
     "crop_grid: at most 1,024 crops, got 1000x100 = 100,000"),
]  # fmt: skip


@pytest.mark.parametrize(("what", "build", "message"), CASES, ids=[c[0] for c in CASES])
def test_construction_refuses_naming_class_and_field(what: str, build: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=r".") as info:
        build()
    text = str(info.value)
    assert message in text, (what, text)
    assert "\n" not in text


def test_the_released_model_and_a_small_valid_one_still_build() -> None:
    model = DeepseekOCRModel(arch=DeepseekOCRArch(), workload=OCRWorkload(crop_mode=True, crop_grid=(2, 3)))
    assert model.metrics().params > 3_000_000_000
    sam = SamViTConfig(img_size=128, embed_dim=32, depth=2, num_heads=2, global_attn_indexes=(1,),
                       downsample_channels=(32, 64))  # fmt: skip
    assert ImageEncoderViT(config=sam, batch=1, image_size=128).output_grid == 2
