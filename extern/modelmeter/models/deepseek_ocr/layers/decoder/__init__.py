"""DeepSeek-V2 decoder modules of DeepSeek-OCR's language model: RMSNorm, the SwiGLU MLP,
the MoE gate, the mixture of experts and the decoder layer."""

from modelmeter.models.deepseek_ocr.layers.decoder.deepseek_v2_decoder_layer import DeepseekV2DecoderLayer
from modelmeter.models.deepseek_ocr.layers.decoder.deepseek_v2_mlp import DeepseekV2MLP
from modelmeter.models.deepseek_ocr.layers.decoder.deepseek_v2_moe import DeepseekV2MoE
from modelmeter.models.deepseek_ocr.layers.decoder.deepseek_v2_rms_norm import DeepseekV2RMSNorm
from modelmeter.models.deepseek_ocr.layers.decoder.moe_gate import MoEGate

__all__ = ["DeepseekV2DecoderLayer", "DeepseekV2MLP", "DeepseekV2MoE", "DeepseekV2RMSNorm", "MoEGate"]
