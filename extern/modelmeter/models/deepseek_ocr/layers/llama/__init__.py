"""Llama modules DeepSeek-OCR's decoder borrows from transformers 4.46: the attention
(eager and flash), its rotary embedding, and the LM head."""

from modelmeter.models.deepseek_ocr.layers.llama.llama_attention import LlamaAttention
from modelmeter.models.deepseek_ocr.layers.llama.llama_flash_attention2 import LlamaFlashAttention2
from modelmeter.models.deepseek_ocr.layers.llama.llama_rotary_embedding import LlamaRotaryEmbedding
from modelmeter.models.deepseek_ocr.layers.llama.lm_head import LMHead

__all__ = ["LMHead", "LlamaAttention", "LlamaFlashAttention2", "LlamaRotaryEmbedding"]
