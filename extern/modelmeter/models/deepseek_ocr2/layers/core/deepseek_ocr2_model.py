"""``DeepseekOCR2Model``: the whole DeepSeek-OCR-2 inference call, one child per stage."""

from __future__ import annotations

from typing import ClassVar

from attrs import define, field

from modelmeter.layers.base import BaseLayer, Child, OperatorCategory
from modelmeter.metrics import LayerMetrics
from modelmeter.models.deepseek_ocr.layers.core.deepseek_ocr_model import language_stages
from modelmeter.models.deepseek_ocr2.config import DeepseekOCR2Arch
from modelmeter.models.deepseek_ocr2.layers.core.vision_stage import DeepseekOCR2VisionStage
from modelmeter.models.deepseek_ocr2.workload import OCR2Workload
from modelmeter.units import dtype_bytes

STAGES: tuple[str, ...] = ("sam", "qwen2", "projector", "prefill", "lm_head", "decode")
"""Stage names, in execution order."""


@define(frozen=True, kw_only=True)
class DeepseekOCR2Model(BaseLayer):
    """DeepSeek-OCR-2 end to end for one workload: vision (SAM, the Qwen2 encoder and the
    projector on the crops, then on the global view), prefill (v1's DeepSeek-V2 body over every
    prefill position), the LM head over every prefill position, and ``max_new_tokens - 1``
    decode steps (v1's :class:`DeepseekOCRDecode`).

    Own state: the ``view_seperator`` parameter (``hidden_size``; there is no
    ``image_newline`` in OCR-2). The decode stage re-uses the prefill's and LM head's weights
    (``instances=0``), so ``params`` is the checkpoint's parameter count.

    Example
    -------
    >>> model = DeepseekOCR2Model(arch=DeepseekOCR2Arch(), workload=OCR2Workload(crop_grid=(3, 2)))
    >>> model.params  # SAM 94,979,328 + encoder 358,256,512 + projector 1,148,160 + 1,280 + text 2,934,734,080
    3389119360
    >>> model.stage_layers()["prefill"].q_len  # 1 + 9 + 256 + 144*6 + 1
    1131
    """

    arch: DeepseekOCR2Arch = field(factory=DeepseekOCR2Arch)
    workload: OCR2Workload = field(factory=OCR2Workload)

    category: ClassVar[OperatorCategory] = OperatorCategory.OTHER
    definition: ClassVar[str] = (
        "DeepSeek-OCR-2: DeepEncoder V2 (SAM + Qwen2 encoder with learnable queries + projector)"
        " feeding a DeepSeek-V2 MoE decoder."
    )
    formulas: ClassVar[dict[str, str]] = {
        "params": "sum of stage params (decode re-uses prefill and lm_head weights) + hidden_size (view_seperator)",
    }

    def own_metrics(self) -> LayerMetrics:
        params = self.arch.language.hidden_size  # view_seperator
        return LayerMetrics(params=params, weight_memory_bytes=params * dtype_bytes(self.workload.dtype))

    def children(self) -> tuple[Child, ...]:
        a, w = self.arch, self.workload
        return (
            Child("sam", DeepseekOCR2VisionStage(arch=a, workload=w, stage="sam")),
            Child("qwen2", DeepseekOCR2VisionStage(arch=a, workload=w, stage="qwen2")),
            Child("projector", DeepseekOCR2VisionStage(arch=a, workload=w, stage="projector")),
            *language_stages(a.language, w),
        )

    def stage_layers(self) -> dict[str, BaseLayer]:
        """Stage name -> its layer, in :data:`STAGES` order."""
        return {c.name: c.layer for c in self.cached_children()}
