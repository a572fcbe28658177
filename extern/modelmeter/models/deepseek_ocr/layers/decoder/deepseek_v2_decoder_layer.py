"""``DeepseekV2DecoderLayer``: pre-norm attention and MLP blocks with residual adds.

``x = x + self_attn(input_layernorm(x)); x = x + mlp(post_attention_layernorm(x))``, where
``mlp`` is the dense :class:`DeepseekV2MLP` (``intermediate_size``) for layers before
``first_k_dense_replace`` and :class:`DeepseekV2MoE` after. One class serves the prefill
(``q_len == kv_len == L``) and a decode step (``q_len == 1``, ``kv_len`` = tokens in the
cache after the step).
"""

from __future__ import annotations

from typing import ClassVar

from attrs import Factory, define, field

from modelmeter.layers.activations import Elementwise
from modelmeter.layers.base import BaseLayer, Child, OperatorCategory, field_error, known_dtype, non_negative, positive
from modelmeter.metrics import ZERO, LayerMetrics
from modelmeter.models.deepseek_ocr.config import DeepseekV2TextConfig
from modelmeter.models.deepseek_ocr.layers.decoder.deepseek_v2_mlp import DeepseekV2MLP
from modelmeter.models.deepseek_ocr.layers.decoder.deepseek_v2_moe import DeepseekV2MoE
from modelmeter.models.deepseek_ocr.layers.decoder.deepseek_v2_rms_norm import DeepseekV2RMSNorm
from modelmeter.models.deepseek_ocr.layers.llama import LlamaAttention, LlamaFlashAttention2

ATTENTION_CLASSES: dict[str, type[LlamaAttention]] = {"flash": LlamaFlashAttention2, "eager": LlamaAttention}
"""``attention`` value -> the ``self_attn`` class (the vendor's ``flash_attention_2`` / ``eager``)."""


def _attention_choice(instance: object, attribute: object, value: str) -> None:
    if value not in ATTENTION_CLASSES:
        raise ValueError(f"attention: unknown {value!r}; allowed: {', '.join(ATTENTION_CLASSES)}")


@define(frozen=True, kw_only=True)
class DeepseekV2DecoderLayer(BaseLayer):
    """Decoder layer ``layer_idx`` on ``batch`` sequences of ``q_len`` new tokens attending
    to ``kv_len`` keys.

    Example
    -------
    >>> from modelmeter.models.deepseek_ocr.config import DeepseekV2TextConfig
    >>> cfg = DeepseekV2TextConfig()
    >>> dense = DeepseekV2DecoderLayer(config=cfg, layer_idx=0, batch=1, q_len=703, kv_len=703)
    >>> moe = DeepseekV2DecoderLayer(config=cfg, layer_idx=1, batch=1, q_len=1, kv_len=704)
    >>> dense.params, moe.params  # attn 6,553,600 + 2 norms 2,560 + MLP 26,296,320 | MoE 227,164,160
    (32852480, 233720320)
    >>> type(moe.cached_children()[1].layer).__name__
    'LlamaFlashAttention2'
    """

    config: DeepseekV2TextConfig
    layer_idx: int = field(validator=non_negative, eq=False)
    """Position in the stack. Not part of equality: two layers of the same kind (``mlp_kind``)
    at the same shapes do the same work, so their metrics are computed once."""
    batch: int = field(validator=positive)
    q_len: int = field(validator=positive)
    kv_len: int = field(validator=positive)
    attention: str = field(default="flash", validator=_attention_choice)
    dtype: str = field(default="bfloat16", validator=known_dtype)
    mlp_kind: str = field(
        init=False,
        default=Factory(lambda self: "moe" if self.config.is_moe_layer(self.layer_idx) else "dense", takes_self=True),
    )
    """``"dense"`` or ``"moe"``, derived from ``layer_idx`` (DeepSeek-V2's rule)."""

    category: ClassVar[OperatorCategory] = OperatorCategory.OTHER
    definition: ClassVar[str] = (
        "Pre-norm transformer decoder layer: RMSNorm, causal self-attention, residual add, RMSNorm, MLP or MoE,"
        " residual add."
    )
    formulas: ClassVar[dict[str, str]] = {
        "children": (
            "input_layernorm + self_attn + post_attention_layernorm + mlp (dense if layer_idx <"
            " first_k_dense_replace else MoE) + 2 residual adds (batch*q_len*hidden, 1 FLOP each)"
        ),
    }

    def __attrs_post_init__(self) -> None:
        if self.layer_idx >= self.config.num_hidden_layers:
            raise field_error(
                self, "layer_idx", f"{self.layer_idx} >= num_hidden_layers {self.config.num_hidden_layers}"
            )
        if self.q_len > self.kv_len:
            raise field_error(self, "q_len", f"{self.q_len} exceeds kv_len {self.kv_len}")

    @property
    def tokens(self) -> int:
        """Rows processed: ``batch * q_len``."""
        return self.batch * self.q_len

    @property
    def is_moe(self) -> bool:
        """Whether ``mlp`` is the mixture of experts."""
        return self.mlp_kind == "moe"

    def own_metrics(self) -> LayerMetrics:
        return ZERO

    def children(self) -> tuple[Child, ...]:
        c = self.config
        t, h = self.tokens, c.hidden_size
        attn = ATTENTION_CLASSES[self.attention](
            config=c, batch=self.batch, q_len=self.q_len, kv_len=self.kv_len, dtype=self.dtype
        )
        mlp: BaseLayer
        if self.is_moe:
            mlp = DeepseekV2MoE(config=c, tokens=t, dtype=self.dtype)
        else:
            mlp = DeepseekV2MLP(tokens=t, hidden_size=h, intermediate_size=c.intermediate_size, dtype=self.dtype)
        return (
            Child("input_layernorm", DeepseekV2RMSNorm(tokens=t, hidden=h, dtype=self.dtype)),
            Child("self_attn", attn),
            Child("post_attention_layernorm", DeepseekV2RMSNorm(tokens=t, hidden=h, dtype=self.dtype)),
            Child("mlp", mlp),
            Child(
                "residual_add", Elementwise(elements=t * h, inputs=2, flops_per_element=1, dtype=self.dtype), count=2
            ),
        )
