"""Reference PyTorch text stack for DeepSeek-OCR v1: transformers' maintained
``DeepseekOcr2TextModel`` configured to DeepSeek-OCR's numbers, plus an untied ``lm_head``.

Importing this module imports torch and transformers (validation only).

How the maintained model relates to the vendor's DeepSeek-OCR v1 text model
(``modeling_deepseekv2.py`` with ``use_mla: false``), checked against
``../shared/reference/deepseek-ocr-architecture.md`` sections 1, 2 and 6:

* same: plain multi-head attention (no MLA) with q/k/v/o ``Linear`` and default RoPE on the
  full head; SwiGLU MLPs; a dense MLP of ``intermediate_size`` where the config says so
  (``mlp_layer_types``, built here from :meth:`DeepseekV2TextConfig.is_moe_layer`); shared
  experts of width ``moe_intermediate_size * n_shared_experts``; a router with an
  ``[n_routed_experts, hidden]`` weight and no bias, fp32 logits, softmax scores, greedy
  unsorted top-k, weights times ``routed_scaling_factor`` and never renormalised;
  RMSNorms; identical parameter counts;
* rotary table: the maintained model builds the cos/sin table once per forward with an
  elementwise product; the vendor (transformers 4.46.3) builds it in every attention layer
  with a ``bmm`` outer product that FlopCounterMode counts. :func:`use_vendor_rotary` gives
  every attention layer of the reference its own ``rotary_emb`` doing the vendor's product,
  so the reference counts what the real model counts;
* different, not counted by FlopCounterMode: the routed
  experts' weights are stored as two 3-D tensors instead of 64 ``DeepseekV2MLP`` modules
  (same parameters); the vendor's expert loop runs only the experts that got tokens;
* experts implementation: the default ``grouped_mm`` kernel is invisible to
  FlopCounterMode, so :func:`hf_text_config` selects ``batched_mm``: every (token, expert)
  pair runs as a ``bmm`` slice, i.e. exactly ``tokens * top_k`` expert passes are counted,
  the same as the vendor's loop.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch
from torch import nn
from transformers import DynamicCache
from transformers.models.deepseek_ocr2.configuration_deepseek_ocr2 import DeepseekOcr2TextConfig
from transformers.models.deepseek_ocr2.modeling_deepseek_ocr2 import DeepseekOcr2TextModel

from modelmeter.models.deepseek_ocr.config import DeepseekV2TextConfig

EXPERTS_IMPLEMENTATION = "batched_mm"
"""Experts kernel whose matmuls FlopCounterMode sees (``grouped_mm`` counts 0)."""
ATTN_IMPLEMENTATIONS: tuple[str, ...] = ("sdpa", "eager")


def hf_text_config(config: DeepseekV2TextConfig, attn_implementation: str = "sdpa") -> DeepseekOcr2TextConfig:
    """transformers' text config with ``config``'s numbers, ``batched_mm`` experts and the
    given attention implementation.

    Raises
    ------
    ValueError
        For a setting the maintained router or attention does not implement.
    """
    if attn_implementation not in ATTN_IMPLEMENTATIONS:
        raise ValueError(
            f"attn_implementation: {attn_implementation!r} is not counted on CPU/meta; allowed: "
            + ", ".join(ATTN_IMPLEMENTATIONS)
        )
    if config.scoring_func != "softmax":
        raise ValueError(f"scoring_func: {config.scoring_func!r}; the reference router implements softmax only")
    if config.topk_method != "greedy":
        raise ValueError(f"topk_method: {config.topk_method!r}; only greedy is modelled")
    if config.norm_topk_prob:
        raise ValueError("norm_topk_prob: the reference router never renormalises the top-k weights")
    if config.hidden_act != "silu":
        raise ValueError(f"hidden_act: {config.hidden_act!r}; DeepSeek-OCR's MLPs use silu")
    layer_types = ["sparse" if config.is_moe_layer(i) else "dense" for i in range(config.num_hidden_layers)]
    hf = DeepseekOcr2TextConfig(
        vocab_size=config.vocab_size,
        hidden_size=config.hidden_size,
        intermediate_size=config.intermediate_size,
        num_hidden_layers=config.num_hidden_layers,
        num_attention_heads=config.num_attention_heads,
        num_key_value_heads=config.num_key_value_heads,
        max_position_embeddings=config.max_position_embeddings,
        rms_norm_eps=config.rms_norm_eps,
        rope_parameters={"rope_type": "default", "rope_theta": config.rope_theta},
        attention_bias=config.attention_bias,
        tie_word_embeddings=config.tie_word_embeddings,
        n_routed_experts=config.n_routed_experts,
        n_shared_experts=config.n_shared_experts,
        num_experts_per_tok=config.num_experts_per_tok,
        moe_intermediate_size=config.moe_intermediate_size,
        routed_scaling_factor=config.routed_scaling_factor,
        topk_method=config.topk_method,
        mlp_layer_types=layer_types,
        bos_token_id=0,
        eos_token_id=1,
    )
    hf._attn_implementation = attn_implementation
    hf._experts_implementation = EXPERTS_IMPLEMENTATION
    return hf


class TextReferenceLM(nn.Module):
    """``model`` (transformers' ``DeepseekOcr2TextModel``) then ``lm_head`` (untied
    ``Linear(hidden, vocab, bias=False)``) on every position, logits cast to fp32: the text
    half of the vendor's ``DeepseekOCRForCausalLM`` with the same module paths.

    Example
    -------
    >>> from modelmeter.models.deepseek_ocr.config import DeepseekV2TextConfig
    >>> ref = build_text_reference(DeepseekV2TextConfig())
    >>> sum(p.numel() for p in ref.parameters())
    2934734080
    """

    def __init__(self, hf_config: DeepseekOcr2TextConfig) -> None:
        super().__init__()
        self.model = DeepseekOcr2TextModel(hf_config)
        self.lm_head = nn.Linear(hf_config.hidden_size, hf_config.vocab_size, bias=False)

    def forward(
        self,
        inputs_embeds: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        past_key_values: Any = None,
        position_ids: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Logits ``[batch, q_len, vocab]`` in fp32. Without ``attention_mask`` a 4-D causal
        mask is built (so that nothing reads tensor values: works on the meta device)."""
        batch, q_len = inputs_embeds.shape[:2]
        past = past_key_values.get_seq_length() if past_key_values is not None else 0
        if attention_mask is None:
            attention_mask = causal_mask(batch, q_len, past + q_len, device=inputs_embeds.device)
        if position_ids is None:
            position_ids = torch.arange(past, past + q_len, device=inputs_embeds.device).expand(batch, -1)
        out = self.model(
            inputs_embeds=inputs_embeds,
            attention_mask=attention_mask,
            past_key_values=past_key_values,
            position_ids=position_ids,
            use_cache=past_key_values is not None,
        )
        logits: torch.Tensor = self.lm_head(out.last_hidden_state)
        return logits.float()


def build_text_reference(
    config: DeepseekV2TextConfig,
    device: str | torch.device = "meta",
    attn_implementation: str = "sdpa",
    dtype: torch.dtype | None = None,
) -> TextReferenceLM:
    """The maintained text model at ``config``'s numbers (``batched_mm`` experts) plus an
    ``lm_head``, built on ``device`` (``meta``: no memory, shapes only) in ``dtype``
    (torch's default when ``None``), in eval mode.

    Example
    -------
    >>> from modelmeter.models.deepseek_ocr.config import DeepseekV2TextConfig
    >>> ref = build_text_reference(DeepseekV2TextConfig())
    >>> ref.model.layers[1].mlp.experts.gate_up_proj.shape
    torch.Size([64, 1792, 1280])
    """
    hf = hf_text_config(config, attn_implementation)
    with torch.device(device):
        ref = TextReferenceLM(hf)
    for layer in ref.model.layers:
        attention: nn.Module = layer.self_attn  # type: ignore[assignment]
        use_vendor_rotary(attention, head_dim=config.head_dim, theta=config.rope_theta)
    if dtype is not None:
        ref = ref.to(dtype)
    return ref.eval()


class VendorRotaryEmbedding(nn.Module):
    """The default RoPE table as the vendor's attention layers build it on every call
    (transformers 4.46.3 ``LlamaRotaryEmbedding``): frequencies by the batched outer product
    ``inv_freq [batch, head_dim/2, 1] @ position_ids [batch, 1, q_len]``, then cos and sin of
    the duplicated frequencies, cast to the activations' dtype.

    Example
    -------
    >>> rope = VendorRotaryEmbedding(head_dim=4, theta=10000.0, device="cpu")
    >>> cos, sin = rope(torch.zeros(1, 3, 8), torch.arange(3)[None])
    >>> tuple(cos.shape), float(cos[0, 0, 0]), float(sin[0, 0, 0])
    ((1, 3, 4), 1.0, 0.0)
    """

    inv_freq: torch.Tensor

    def __init__(self, head_dim: int, theta: float, device: str | torch.device = "meta") -> None:
        super().__init__()
        exponents = torch.arange(0, head_dim, 2, dtype=torch.float32, device=device) / head_dim
        self.register_buffer("inv_freq", 1.0 / (theta**exponents), persistent=False)

    def forward(self, x: torch.Tensor, position_ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(cos, sin)``, each ``[batch, q_len, head_dim]``."""
        inv = self.inv_freq[None, :, None].float().expand(position_ids.shape[0], -1, 1)
        freqs = (inv @ position_ids[:, None, :].float()).transpose(1, 2)
        emb = torch.cat((freqs, freqs), dim=-1)
        return emb.cos().to(x.dtype), emb.sin().to(x.dtype)


def use_vendor_rotary(attention: nn.Module, *, head_dim: int, theta: float) -> None:
    """Give ``attention`` (a maintained attention module) its own :class:`VendorRotaryEmbedding`
    as child ``rotary_emb`` (the vendor's module path ``layers.N.self_attn.rotary_emb``) and make
    it build its cos/sin table from ``position_ids`` on every call, as the vendor's layers do.
    The module must then be called with ``position_ids``."""
    device = next(attention.parameters()).device
    rotary = VendorRotaryEmbedding(head_dim, theta, device=device)
    attention.rotary_emb = rotary
    inner = attention.forward

    def forward(hidden_states: torch.Tensor, *args: Any, position_ids: Any = None, **kwargs: Any) -> Any:
        if position_ids is None:
            raise ValueError("position_ids: the vendor's attention builds its rotary table from them; pass them")
        kwargs["position_embeddings"] = rotary(hidden_states, position_ids)
        return inner(hidden_states, *args, position_ids=position_ids, **kwargs)

    attention.forward = forward


def causal_mask(batch: int, q_len: int, kv_len: int, device: str | torch.device = "meta") -> torch.Tensor:
    """Boolean ``[batch, 1, q_len, kv_len]`` mask, True where query ``i`` (aligned to the end
    of the keys) may attend: key ``j <= kv_len - q_len + i``."""
    mask = torch.ones(q_len, kv_len, dtype=torch.bool, device=device).tril(kv_len - q_len)
    return mask[None, None].expand(batch, 1, q_len, kv_len)


def kv_cache(
    hf_config: DeepseekOcr2TextConfig,
    batch: int,
    past_len: int,
    *,
    device: str | torch.device = "meta",
    dtype: torch.dtype = torch.float32,
    layers: Iterable[int] | None = None,
) -> DynamicCache:
    """A ``DynamicCache`` already holding ``past_len`` tokens of keys and values in each of
    ``layers`` (default: every layer)."""
    cache = DynamicCache(config=hf_config)
    kv_heads = hf_config.num_key_value_heads or hf_config.num_attention_heads
    head_dim = hf_config.head_dim or hf_config.hidden_size // hf_config.num_attention_heads
    shape = (batch, kv_heads, past_len, head_dim)
    for idx in range(hf_config.num_hidden_layers) if layers is None else layers:
        keys = torch.empty(shape, device=device, dtype=dtype)
        cache.update(keys, torch.empty_like(keys), idx)
    return cache
