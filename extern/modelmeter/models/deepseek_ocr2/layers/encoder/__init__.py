"""DeepEncoder V2's Qwen2 vision encoder, named after the vendor's modules
(``deepencoderv2/qwen2_d2e.py`` and transformers 4.46.3's ``Qwen2*`` classes it builds on).

Example
-------
>>> from modelmeter.models.deepseek_ocr2.config import Qwen2EncoderConfig
>>> Qwen2Decoder2Encoder(config=Qwen2EncoderConfig(), batch=1, image_tokens=144).query_tokens
144
"""

from modelmeter.models.deepseek_ocr2.layers.encoder.custom_qwen2_decoder import CustomQwen2Decoder
from modelmeter.models.deepseek_ocr2.layers.encoder.qwen2_attention import Qwen2Attention, hybrid_visible_keys
from modelmeter.models.deepseek_ocr2.layers.encoder.qwen2_decoder2_encoder import Qwen2Decoder2Encoder
from modelmeter.models.deepseek_ocr2.layers.encoder.qwen2_decoder_layer import Qwen2DecoderLayer
from modelmeter.models.deepseek_ocr2.layers.encoder.qwen2_mlp import Qwen2MLP
from modelmeter.models.deepseek_ocr2.layers.encoder.qwen2_rms_norm import Qwen2RMSNorm
from modelmeter.models.deepseek_ocr2.layers.encoder.qwen2_rotary_embedding import Qwen2RotaryEmbedding

__all__ = [
    "CustomQwen2Decoder",
    "Qwen2Attention",
    "Qwen2Decoder2Encoder",
    "Qwen2DecoderLayer",
    "Qwen2MLP",
    "Qwen2RMSNorm",
    "Qwen2RotaryEmbedding",
    "hybrid_visible_keys",
]
