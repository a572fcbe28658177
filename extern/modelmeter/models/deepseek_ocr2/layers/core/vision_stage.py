"""A DeepEncoder V2 stage (``sam``, ``qwen2`` or ``projector``): the module run on the crops
(when the page has any), then on the global view, as the vendor's
``_pixel_values_to_embedding`` (and transformers' ``get_image_features``) do."""

from __future__ import annotations

from typing import ClassVar

from attrs import define, field

from modelmeter.layers.base import BaseLayer, Child, OperatorCategory
from modelmeter.metrics import ZERO, LayerMetrics
from modelmeter.models.deepseek_ocr.layers.vision import ImageEncoderViT, MlpProjector
from modelmeter.models.deepseek_ocr2.config import DeepseekOCR2Arch
from modelmeter.models.deepseek_ocr2.layers.encoder import Qwen2Decoder2Encoder
from modelmeter.models.deepseek_ocr2.workload import OCR2Workload

VISION_STAGES: tuple[str, ...] = ("sam", "qwen2", "projector")
_MODULE_NAMES = {"sam": "sam_model", "qwen2": "qwen2_model", "projector": "projector"}


def _vision_stage(instance: object, attribute: object, value: str) -> None:
    if value not in VISION_STAGES:
        raise ValueError(f"stage: unknown {value!r}; allowed: {', '.join(VISION_STAGES)}")


@define(frozen=True, kw_only=True)
class DeepseekOCR2VisionStage(BaseLayer):
    """One DeepEncoder V2 stage over a workload's views.

    Children are tagged calls of the same module: ``<module>[crops]`` on
    ``batch_size * n_crops`` tiles of ``image_size`` px (only when the grid is larger than 1x1),
    then ``<module>[global]`` on ``batch_size`` views of ``base_size`` px; the second call
    re-uses the first one's weights (``instances=0``).

    Example
    -------
    >>> from modelmeter.models.deepseek_ocr2.config import DeepseekOCR2Arch
    >>> w = OCR2Workload(crop_grid=(3, 2))
    >>> stage = DeepseekOCR2VisionStage(arch=DeepseekOCR2Arch(), workload=w, stage="qwen2")
    >>> [(c.name, c.layer.batch, c.layer.image_tokens) for c in stage.children()]
    [('qwen2_model[crops]', 6, 144), ('qwen2_model[global]', 1, 256)]
    """

    arch: DeepseekOCR2Arch
    workload: OCR2Workload
    stage: str = field(validator=_vision_stage)

    category: ClassVar[OperatorCategory] = OperatorCategory.OTHER
    definition: ClassVar[str] = "A DeepEncoder V2 stage applied to the local crops, then to the global view."
    formulas: ClassVar[dict[str, str]] = {
        "children": "module[crops] (batch * n_crops tiles, if any) + module[global] (batch views, shared weights)",
    }

    def own_metrics(self) -> LayerMetrics:
        return ZERO

    def _module(self, batch: int, view_px: int) -> BaseLayer:
        a, dt = self.arch, self.workload.dtype
        sam = ImageEncoderViT(config=a.sam, batch=batch, image_size=view_px, dtype=dt)
        tokens = sam.output_grid**2
        if self.stage == "sam":
            return sam
        if self.stage == "qwen2":
            return Qwen2Decoder2Encoder(config=a.encoder, batch=batch, image_tokens=tokens, dtype=dt)
        return MlpProjector(config=a.projector, tokens=batch * tokens, dtype=dt)

    def children(self) -> tuple[Child, ...]:
        w = self.workload
        name = _MODULE_NAMES[self.stage]
        glob = self._module(w.batch_size, w.base_size)
        if not w.n_crops:
            return (Child(f"{name}[global]", glob),)
        crops = self._module(w.batch_size * w.n_crops, w.image_size)
        return (Child(f"{name}[crops]", crops), Child(f"{name}[global]", glob, instances=0))
