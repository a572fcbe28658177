"""Autoregressive decode: one step (``DeepseekOCRForCausalLM`` on one new token per
sequence) and the whole generation as an exact sum of steps."""

from __future__ import annotations

from typing import ClassVar

from attrs import define, field

from modelmeter.layers.base import BaseLayer, Child, OperatorCategory, known_dtype, non_negative, positive
from modelmeter.metrics import ZERO, LayerMetrics
from modelmeter.models.deepseek_ocr.config import DeepseekV2TextConfig
from modelmeter.models.deepseek_ocr.layers.core.deepseek_v2_model import DeepseekV2Model
from modelmeter.models.deepseek_ocr.layers.llama import LMHead


@define(frozen=True, kw_only=True)
class DeepseekOCRDecodeStep(BaseLayer):
    """One decode forward: ``batch`` sequences each feed one token with ``kv_len`` keys in
    the cache after appending it; the LM head runs on that token (vision is skipped).

    Example
    -------
    >>> from modelmeter.models.deepseek_ocr.config import DeepseekV2TextConfig
    >>> step = DeepseekOCRDecodeStep(config=DeepseekV2TextConfig(), batch=1, kv_len=704)
    >>> step.params  # touched: model 2,769,255,680 + lm_head 165,478,400
    2934734080
    """

    config: DeepseekV2TextConfig
    batch: int = field(validator=positive)
    kv_len: int = field(validator=positive)
    attention: str = "flash"
    dtype: str = field(default="bfloat16", validator=known_dtype)

    category: ClassVar[OperatorCategory] = OperatorCategory.OTHER
    definition: ClassVar[str] = "One generated token per sequence: decoder body at q_len 1, then the LM head."
    formulas: ClassVar[dict[str, str]] = {"children": "model (q_len=1, kv_len) + lm_head (batch tokens)"}

    def own_metrics(self) -> LayerMetrics:
        return ZERO

    def children(self) -> tuple[Child, ...]:
        body = DeepseekV2Model(
            config=self.config,
            batch=self.batch,
            q_len=1,
            kv_len=self.kv_len,
            attention=self.attention,
            dtype=self.dtype,
        )
        head = LMHead(config=self.config, tokens=self.batch, dtype=self.dtype)
        return (Child("model", body), Child("lm_head", head))


@define(frozen=True, kw_only=True)
class DeepseekOCRDecode(BaseLayer):
    """All ``steps`` decode forwards after a prefill of ``prefill_tokens``: step ``t``
    (1-based) has ``prefill_tokens + t`` keys.

    Every metric of a step is affine in its KV length, so the sum over steps equals
    ``steps`` calls at the mean KV length. Children: the last step (``count=1``; it holds the
    parameters and the final KV-cache size) and the other ``steps - 1`` steps at their
    mean KV length (two neighbouring lengths, half the calls each, when the mean is not an
    integer), with ``instances=0`` since they re-use the same weights and cache.

    Example
    -------
    >>> from modelmeter.models.deepseek_ocr.config import DeepseekV2TextConfig
    >>> dec = DeepseekOCRDecode(config=DeepseekV2TextConfig(), batch=1, prefill_tokens=100, steps=4)
    >>> [(c.name, c.layer.kv_len, c.count) for c in dec.children()]
    [('steps[last]', 104, 1), ('steps[mean]', 102, 3)]
    """

    config: DeepseekV2TextConfig
    batch: int = field(validator=positive)
    prefill_tokens: int = field(validator=positive)
    steps: int = field(validator=non_negative)
    attention: str = "flash"
    dtype: str = field(default="bfloat16", validator=known_dtype)

    category: ClassVar[OperatorCategory] = OperatorCategory.OTHER
    definition: ClassVar[str] = "Greedy generation: one decode step per new token, KV cache growing by one each step."
    formulas: ClassVar[dict[str, str]] = {
        "children": "sum_{t=1..steps} step(kv_len = prefill_tokens + t) = last step + (steps-1) x step(mean kv_len)",
    }

    def own_metrics(self) -> LayerMetrics:
        return ZERO

    def _step(self, kv_len: int) -> DeepseekOCRDecodeStep:
        return DeepseekOCRDecodeStep(
            config=self.config, batch=self.batch, kv_len=kv_len, attention=self.attention, dtype=self.dtype
        )

    def children(self) -> tuple[Child, ...]:
        if self.steps == 0:
            return ()
        base = self.prefill_tokens
        kids = [Child("steps[last]", self._step(base + self.steps))]
        rest = self.steps - 1  # kv lengths base+1 .. base+rest
        if rest % 2:
            kids.append(Child("steps[mean]", self._step(base + (rest + 1) // 2), count=rest, instances=0))
        elif rest:
            half = rest // 2
            kids.append(Child("steps[mean-lo]", self._step(base + half), count=half, instances=0))
            kids.append(Child("steps[mean-hi]", self._step(base + half + 1), count=half, instances=0))
        return tuple(kids)
