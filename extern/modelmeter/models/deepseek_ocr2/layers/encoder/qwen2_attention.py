"""``Qwen2Attention`` of DeepEncoder V2's encoder: grouped-query self-attention with RoPE over
``[image tokens, queries]`` under the vendor's hybrid mask.

The mask (vendor ``CustomQwen2ModelInner._create_custom_4d_mask``; transformers'
``block_sequence_ids`` mask): image token rows see every image token; query ``i`` sees every
image token and queries ``0 .. i``. The vendor passes it to SDPA as an explicit additive
``[batch, 1, S, S]`` float mask, so the kernel computes every score and adds the mask (no
block skipping): counted and executed FLOPs are both the full ``S x S`` product
(:class:`~modelmeter.layers.AttentionCore` with ``has_bias``). :func:`hybrid_visible_keys`
gives the scores the mask leaves visible, for reference.
"""

from __future__ import annotations

from typing import ClassVar

from attrs import define, field

from modelmeter.layers import AttentionCore, Child, Linear
from modelmeter.layers.attention_core import ATTENTION_IMPLS
from modelmeter.layers.base import BaseLayer, OperatorCategory, known_dtype, non_negative, positive
from modelmeter.metrics import LayerMetrics
from modelmeter.models.deepseek_ocr.layers.llama.llama_rotary_embedding import (
    ROPE_APPLY_BACKWARD_FLOPS_PER_ELEMENT,
    ROPE_APPLY_FLOPS_PER_ELEMENT,
)
from modelmeter.models.deepseek_ocr2.config import Qwen2EncoderConfig
from modelmeter.primitives import elementwise_flops, tensor_bytes
from modelmeter.units import dtype_bytes


def hybrid_visible_keys(image_tokens: int, query_tokens: int) -> int:
    """Visible (query, key) pairs of one head under the hybrid mask:
    ``n_img^2`` (image rows) ``+ n_q * n_img + n_q (n_q + 1) / 2`` (query rows).

    Example
    -------
    >>> hybrid_visible_keys(256, 256)  # 65536 + 65536 + 32896
    163968
    """
    return image_tokens * image_tokens + query_tokens * image_tokens + query_tokens * (query_tokens + 1) // 2


def _implementation(instance: object, attribute: object, value: str) -> None:
    if value not in ATTENTION_IMPLS:
        raise ValueError(f"implementation: unknown {value!r}; allowed: {', '.join(ATTENTION_IMPLS)}")


@define(frozen=True, kw_only=True)
class Qwen2Attention(BaseLayer):
    """Self-attention over ``batch`` sequences of ``seq_len`` tokens with an explicit mask:
    biased ``q_proj`` / ``k_proj`` / ``v_proj`` (``num_key_value_heads`` KV heads), RoPE on q and
    k (own work), the attention core, unbiased ``o_proj``.

    Example
    -------
    >>> attn = Qwen2Attention(config=Qwen2EncoderConfig(), batch=1, seq_len=512)
    >>> attn.params  # q 896*896+896, k and v 896*128+128 each, o 896*896
    1836160
    >>> attn.forward_tensor_core_flops  # projections 2*512*896*(896+128+128+896) + core 2 * 2*14*512*512*64
    2818572288
    """

    config: Qwen2EncoderConfig
    batch: int = field(validator=non_negative)
    seq_len: int = field(validator=positive)
    implementation: str = field(default="flash", validator=_implementation)
    """``"flash"``: the vendor's SDPA call (fused; the mask is read, the scores stay on chip);
    ``"eager"``: scores materialised."""
    dtype: str = field(default="bfloat16", validator=known_dtype)

    category: ClassVar[OperatorCategory] = OperatorCategory.ATTENTION
    definition: ClassVar[str] = (
        "Grouped-query self-attention with rotary positions and an explicit (image-bidirectional, query-causal) mask."
    )
    formulas: ClassVar[dict[str, str]] = {
        "children": "q_proj, k_proj, v_proj (biased) + core (full seq_len^2, mask added) + o_proj (no bias)",
        "forward_tensor_core_flops": (
            "2 * T * h * (heads + 2 * kv_heads) * d + 2 * T * heads * d * h + 2 * 2 * batch * heads * S^2 * d"
        ),
        "own forward_cuda_core_flops": f"{ROPE_APPLY_FLOPS_PER_ELEMENT} * T * (heads + kv_heads) * d  (RoPE rotation)",
        "params": "h * (heads + 2 * kv_heads) * d + (heads + 2 * kv_heads) * d + heads * d * h",
    }

    @property
    def tokens(self) -> int:
        """Rows the projections process: ``batch * seq_len``."""
        return self.batch * self.seq_len

    @property
    def rotated_elements(self) -> int:
        """Elements of q and k together."""
        c = self.config
        return self.tokens * (c.num_attention_heads + c.num_key_value_heads) * c.head_dim

    def own_metrics(self) -> LayerMetrics:
        b = dtype_bytes(self.dtype)
        qk = tensor_bytes(self.rotated_elements, b)
        tables = tensor_bytes(2 * self.seq_len * self.config.head_dim, b)  # [1, S, d] cos and sin, broadcast
        return LayerMetrics(
            forward_cuda_core_flops=elementwise_flops(self.rotated_elements, ROPE_APPLY_FLOPS_PER_ELEMENT),
            backward_cuda_core_flops=elementwise_flops(self.rotated_elements, ROPE_APPLY_BACKWARD_FLOPS_PER_ELEMENT),
            forward_activation_read_bytes=qk + tables,
            forward_activation_write_bytes=qk,
            backward_activation_read_bytes=qk + tables,
            backward_activation_write_bytes=qk,
            activation_memory_bytes=qk,
        )

    def children(self) -> tuple[Child, ...]:
        c = self.config
        t, h, d, dt = self.tokens, c.hidden_size, c.head_dim, self.dtype
        q_out, kv_out = c.num_attention_heads * d, c.num_key_value_heads * d
        core = AttentionCore(
            batch=self.batch,
            heads=c.num_attention_heads,
            q_len=self.seq_len,
            kv_len=self.seq_len,
            head_dim=d,
            kv_heads=c.num_key_value_heads,
            has_bias=True,
            implementation=self.implementation,
            dtype=dt,
        )
        return (
            Child("q_proj", Linear(tokens=t, in_features=h, out_features=q_out, bias=True, dtype=dt)),
            Child("k_proj", Linear(tokens=t, in_features=h, out_features=kv_out, bias=True, dtype=dt)),
            Child("v_proj", Linear(tokens=t, in_features=h, out_features=kv_out, bias=True, dtype=dt)),
            Child("core", core),
            Child("o_proj", Linear(tokens=t, in_features=q_out, out_features=h, bias=False, dtype=dt)),
        )
