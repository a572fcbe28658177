"""``LlamaAttention`` (eager) as DeepSeek-OCR's decoder runs it: q/k/v/o projections, RoPE
recomputed by the layer, causal multi-head attention with a KV cache.

One class serves the prefill (``q_len == kv_len``) and a decode step (``q_len == 1``,
``kv_len`` = tokens in the cache after this step). The attention reads the keys and values
of the ``kv_len - q_len`` past tokens from the KV cache and appends the ``q_len`` new
tokens' keys and values to it.

KV-cache accounting: the :class:`~modelmeter.layers.AttentionCore` child is told that the
first ``kv_len - q_len`` tokens' keys and values come from the cache (``cached_kv_len``), so
it books those reads as KV-cache reads; this layer's own work is appending the new tokens'
keys and values to the cache and holding the cache.
"""

from __future__ import annotations

from typing import ClassVar

from attrs import define, field

from modelmeter.layers.attention_core import AttentionCore
from modelmeter.layers.base import BaseLayer, Child, OperatorCategory, field_error, known_dtype, positive
from modelmeter.layers.linear import Linear
from modelmeter.metrics import LayerMetrics
from modelmeter.models.deepseek_ocr.config import DeepseekV2TextConfig
from modelmeter.models.deepseek_ocr.layers.llama.llama_rotary_embedding import LlamaRotaryEmbedding
from modelmeter.primitives import tensor_bytes
from modelmeter.units import dtype_bytes


@define(frozen=True, kw_only=True)
class LlamaAttention(BaseLayer):
    """Causal multi-head self-attention with RoPE over ``batch`` sequences of ``q_len`` new
    tokens attending to ``kv_len`` keys; eager: the score matrix is materialised.

    Example
    -------
    >>> from modelmeter.models.deepseek_ocr.config import DeepseekV2TextConfig
    >>> attn = LlamaAttention(config=DeepseekV2TextConfig(), batch=1, q_len=1, kv_len=513)
    >>> attn.params  # 4 * 1280 * 1280
    6553600
    >>> attn.forward_tensor_core_flops  # projections 4*2*1280^2 + scores/values 4*10*513*128 + RoPE 2*64*1
    15733888
    >>> attn.metrics().forward_kv_cache_read_bytes  # 2 (K, V) * 10 heads * 128 * 512 past * 2 bytes
    2621440
    """

    config: DeepseekV2TextConfig
    batch: int = field(validator=positive)
    q_len: int = field(validator=positive)
    kv_len: int = field(validator=positive)
    dtype: str = field(default="bfloat16", validator=known_dtype)

    implementation: ClassVar[str] = "eager"
    category: ClassVar[OperatorCategory] = OperatorCategory.ATTENTION
    definition: ClassVar[str] = (
        "Causal multi-head self-attention with rotary positions and a KV cache (eager: scores materialised)."
    )
    formulas: ClassVar[dict[str, str]] = {
        "children": "q_proj + k_proj + v_proj + o_proj (Linear, batch*q_len tokens) + rotary_emb + core (causal)",
        "forward_kv_cache_read_bytes": "2 * batch * kv_heads * head_dim * (kv_len - q_len) * bytes(dtype)",
        "forward_kv_cache_write_bytes": "2 * batch * kv_heads * head_dim * q_len * bytes(dtype)",
        "kv_cache_memory_bytes": "2 * batch * kv_heads * head_dim * kv_len * bytes(dtype)",
    }

    def __attrs_post_init__(self) -> None:
        if self.q_len > self.kv_len:
            raise field_error(
                self, "q_len", f"{self.q_len} exceeds kv_len {self.kv_len} (the cache holds the new tokens too)"
            )

    @property
    def tokens(self) -> int:
        """Rows the projections process: ``batch * q_len``."""
        return self.batch * self.q_len

    @property
    def past_len(self) -> int:
        """Tokens already in the cache before this call."""
        return self.kv_len - self.q_len

    @property
    def kv_bytes_per_token(self) -> int:
        """Bytes of keys plus values of one token across the batch: ``2 * batch * kv_heads * head_dim * bytes``."""
        c = self.config
        return tensor_bytes(2 * self.batch * c.num_key_value_heads * c.head_dim, dtype_bytes(self.dtype))

    def own_metrics(self) -> LayerMetrics:
        per_token = self.kv_bytes_per_token
        return LayerMetrics(
            forward_kv_cache_write_bytes=per_token * self.q_len,
            kv_cache_memory_bytes=per_token * self.kv_len,
        )

    def children(self) -> tuple[Child, ...]:
        c = self.config
        t, h, d = self.tokens, c.hidden_size, c.head_dim
        q_out, kv_out = c.num_attention_heads * d, c.num_key_value_heads * d

        def proj(i: int, o: int) -> Linear:
            return Linear(tokens=t, in_features=i, out_features=o, bias=c.attention_bias, dtype=self.dtype)

        core = AttentionCore(
            batch=self.batch,
            heads=c.num_attention_heads,
            q_len=self.q_len,
            kv_len=self.kv_len,
            head_dim=d,
            kv_heads=c.num_key_value_heads,
            causal=True,
            implementation=self.implementation,
            dtype=self.dtype,
            cached_kv_len=self.past_len,
        )
        rope = LlamaRotaryEmbedding(
            batch=self.batch,
            q_len=self.q_len,
            head_dim=d,
            heads=c.num_attention_heads,
            kv_heads=c.num_key_value_heads,
            dtype=self.dtype,
        )
        return (
            Child("q_proj", proj(h, q_out)),
            Child("k_proj", proj(h, kv_out)),
            Child("v_proj", proj(h, kv_out)),
            Child("rotary_emb", rope),
            Child("core", core),
            Child("o_proj", proj(q_out, h)),
        )
