"""``LlamaFlashAttention2``: the same attention as :class:`LlamaAttention` (same FLOPs) run
by a fused flash kernel, so the score matrix never leaves the chip (less I/O)."""

from __future__ import annotations

from typing import ClassVar

from attrs import define

from modelmeter.models.deepseek_ocr.layers.llama.llama_attention import LlamaAttention


@define(frozen=True, kw_only=True)
class LlamaFlashAttention2(LlamaAttention):
    """Causal multi-head self-attention with RoPE and a KV cache, flash kernel (the vendor's
    default, ``attn_implementation="flash_attention_2"``).

    Example
    -------
    >>> from modelmeter.models.deepseek_ocr.config import DeepseekV2TextConfig
    >>> cfg = DeepseekV2TextConfig()
    >>> flash = LlamaFlashAttention2(config=cfg, batch=1, q_len=84, kv_len=84)
    >>> eager = LlamaAttention(config=cfg, batch=1, q_len=84, kv_len=84)
    >>> flash.forward_tensor_core_flops == eager.forward_tensor_core_flops
    True
    >>> eager.forward_io_bytes - flash.forward_io_bytes  # 4 score passes: 4 * 10 * 84 * 84 * 2 bytes
    564480
    """

    implementation: ClassVar[str] = "flash"
    definition: ClassVar[str] = (
        "Causal multi-head self-attention with rotary positions and a KV cache (flash: scores stay on chip)."
    )
