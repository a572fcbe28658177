"""``DeepseekOCRModel``: the whole DeepSeek-OCR inference call, one child per stage."""

from __future__ import annotations

from typing import ClassVar, Protocol

from attrs import define, field

from modelmeter.layers.base import BaseLayer, Child, OperatorCategory
from modelmeter.metrics import LayerMetrics
from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch, DeepseekV2TextConfig
from modelmeter.models.deepseek_ocr.layers.core.decode import DeepseekOCRDecode
from modelmeter.models.deepseek_ocr.layers.core.deepseek_v2_model import DeepseekV2Model
from modelmeter.models.deepseek_ocr.layers.core.vision_stage import VisionStage
from modelmeter.models.deepseek_ocr.layers.llama import LMHead
from modelmeter.models.deepseek_ocr.workload import OCRWorkload
from modelmeter.units import dtype_bytes

STAGES: tuple[str, ...] = ("sam", "clip", "projector", "prefill", "lm_head", "decode")
"""Stage names, in execution order."""


class TextWorkload(Protocol):
    """What the language-model stages read of a workload (v1's and OCR-2's workloads both have it)."""

    @property
    def batch_size(self) -> int: ...
    @property
    def prefill_tokens(self) -> int: ...
    @property
    def image_tokens(self) -> int: ...
    @property
    def decode_steps(self) -> int: ...
    @property
    def attention(self) -> str: ...
    @property
    def dtype(self) -> str: ...


def language_stages(text: DeepseekV2TextConfig, w: TextWorkload) -> tuple[Child, Child, Child]:
    """The prefill, LM head and decode stages of a DeepSeek-OCR model (the same DeepSeek-V2 decoder in v1 and
    OCR-2): prefill over every prefill position with the image rows scattered in, the LM head over every prefill
    position (the vendor computes logits for all of them), and the ``max_new_tokens - 1`` decode steps, which
    re-use the prefill's and the LM head's weights (``instances=0``)."""
    prefill = DeepseekV2Model(
        config=text,
        batch=w.batch_size,
        q_len=w.prefill_tokens,
        kv_len=w.prefill_tokens,
        attention=w.attention,
        dtype=w.dtype,
        image_rows=w.batch_size * w.image_tokens,
    )
    decode = DeepseekOCRDecode(
        config=text,
        batch=w.batch_size,
        prefill_tokens=w.prefill_tokens,
        steps=w.decode_steps,
        attention=w.attention,
        dtype=w.dtype,
    )
    return (
        Child("prefill", prefill),
        Child("lm_head", LMHead(config=text, tokens=w.batch_size * w.prefill_tokens, dtype=w.dtype)),
        Child("decode", decode, instances=0),
    )


@define(frozen=True, kw_only=True)
class DeepseekOCRModel(BaseLayer):
    """DeepSeek-OCR end to end for one workload: vision (SAM, CLIP, projector on the crops
    and the global view), prefill (embedding + 12 decoder layers + norm over every
    prefill position), the LM head over every prefill position (the vendor computes
    logits for all of them), and ``max_new_tokens - 1`` decode steps.

    Own work: the ``image_newline`` and ``view_seperator`` parameters (2 x hidden). The
    decode stage re-uses the prefill's and LM head's weights (``instances=0``), so
    ``params`` is the checkpoint's parameter count.

    Example
    -------
    >>> from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch
    >>> from modelmeter.models.deepseek_ocr.workload import OCRWorkload
    >>> model = DeepseekOCRModel(arch=DeepseekOCRArch(), workload=OCRWorkload(crop_grid=(2, 2)))
    >>> model.params, model.stage_layers()["lm_head"].params
    (3336106240, 165478400)
    """

    arch: DeepseekOCRArch = field(factory=DeepseekOCRArch)
    workload: OCRWorkload = field(factory=OCRWorkload)

    category: ClassVar[OperatorCategory] = OperatorCategory.OTHER
    definition: ClassVar[str] = "DeepSeek-OCR: DeepEncoder (SAM + CLIP + projector) feeding a DeepSeek-V2 MoE decoder."
    formulas: ClassVar[dict[str, str]] = {
        "params": "sum of stage params (decode re-uses prefill and lm_head weights) + 2 * hidden_size",
    }

    def own_metrics(self) -> LayerMetrics:
        params = 2 * self.arch.language.hidden_size  # image_newline + view_seperator
        return LayerMetrics(params=params, weight_memory_bytes=params * dtype_bytes(self.workload.dtype))

    def children(self) -> tuple[Child, ...]:
        a, w = self.arch, self.workload
        return (
            Child("sam", VisionStage(arch=a, workload=w, stage="sam")),
            Child("clip", VisionStage(arch=a, workload=w, stage="clip")),
            Child("projector", VisionStage(arch=a, workload=w, stage="projector")),
            *language_stages(a.language, w),
        )

    def stage_layers(self) -> dict[str, BaseLayer]:
        """Stage name -> its layer, in :data:`STAGES` order."""
        return {c.name: c.layer for c in self.cached_children()}
