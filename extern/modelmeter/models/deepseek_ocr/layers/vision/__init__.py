"""DeepSeek-OCR vision layers: SAM ViT-B (``ImageEncoderViT`` and its parts), CLIP-L
(``VitModel`` and its parts) and the linear ``MlpProjector``, named after the vendor's modules.

Example
-------
>>> from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch
>>> arch = DeepseekOCRArch()
>>> sam = ImageEncoderViT(config=arch.sam, batch=1, image_size=1024)
>>> clip = VitModel(config=arch.clip, batch=1, grid=sam.output_grid)
>>> proj = MlpProjector(config=arch.projector, tokens=sam.output_grid**2)
>>> sam.params + clip.params + proj.params  # 95,569,152 + 303,177,728 + 2,622,720
401369600
"""

from modelmeter.models.deepseek_ocr.layers.vision.attention import Attention
from modelmeter.models.deepseek_ocr.layers.vision.block import Block
from modelmeter.models.deepseek_ocr.layers.vision.clip_vision_embeddings import CLIPVisionEmbeddings
from modelmeter.models.deepseek_ocr.layers.vision.image_encoder_vit import ImageEncoderViT
from modelmeter.models.deepseek_ocr.layers.vision.layer_norm_2d import LayerNorm2d
from modelmeter.models.deepseek_ocr.layers.vision.mlp_block import MLPBlock
from modelmeter.models.deepseek_ocr.layers.vision.mlp_projector import MlpProjector
from modelmeter.models.deepseek_ocr.layers.vision.no_tp_attention import NoTPAttention
from modelmeter.models.deepseek_ocr.layers.vision.no_tp_feed_forward import NoTPFeedForward
from modelmeter.models.deepseek_ocr.layers.vision.no_tp_transformer import NoTPTransformer
from modelmeter.models.deepseek_ocr.layers.vision.no_tp_transformer_block import NoTPTransformerBlock
from modelmeter.models.deepseek_ocr.layers.vision.patch_embed import PatchEmbed
from modelmeter.models.deepseek_ocr.layers.vision.vit_model import VitModel

__all__ = [
    "Attention",
    "Block",
    "CLIPVisionEmbeddings",
    "ImageEncoderViT",
    "LayerNorm2d",
    "MLPBlock",
    "MlpProjector",
    "NoTPAttention",
    "NoTPFeedForward",
    "NoTPTransformer",
    "NoTPTransformerBlock",
    "PatchEmbed",
    "VitModel",
]
