"""A vision stage (``sam``, ``clip`` or ``projector``): the module run on the crops (when
the page has any), then on the global view, as the vendor's forward does."""

from __future__ import annotations

from typing import ClassVar

from attrs import define, field

from modelmeter.layers.base import BaseLayer, Child, OperatorCategory
from modelmeter.metrics import ZERO, LayerMetrics
from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch
from modelmeter.models.deepseek_ocr.layers.vision import ImageEncoderViT, MlpProjector, VitModel
from modelmeter.models.deepseek_ocr.workload import OCRWorkload

VISION_STAGES: tuple[str, ...] = ("sam", "clip", "projector")
_MODULE_NAMES = {"sam": "sam_model", "clip": "vision_model", "projector": "projector"}


def _vision_stage(instance: object, attribute: object, value: str) -> None:
    if value not in VISION_STAGES:
        raise ValueError(f"stage: unknown {value!r}; allowed: {', '.join(VISION_STAGES)}")


@define(frozen=True, kw_only=True)
class VisionStage(BaseLayer):
    """One DeepEncoder stage over a workload's views.

    Children are tagged calls of the same module: ``<module>[crops]`` on
    ``batch_size * n_crops`` tiles at ``image_size`` (only when the grid is larger than
    1x1), then ``<module>[global]`` on ``batch_size`` views at ``base_size``. The second call
    re-uses the first one's weights (``instances=0``).

    Example
    -------
    >>> from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch
    >>> from modelmeter.models.deepseek_ocr.workload import OCRWorkload
    >>> w = OCRWorkload(base_size=1024, image_size=640, crop_grid=(2, 2))
    >>> [c.name for c in VisionStage(arch=DeepseekOCRArch(), workload=w, stage="sam").children()]
    ['sam_model[crops]', 'sam_model[global]']
    """

    arch: DeepseekOCRArch
    workload: OCRWorkload
    stage: str = field(validator=_vision_stage)

    category: ClassVar[OperatorCategory] = OperatorCategory.OTHER
    definition: ClassVar[str] = "A DeepEncoder stage applied to the local crops, then to the global view."
    formulas: ClassVar[dict[str, str]] = {"children": "module[crops] (if any) + module[global]"}

    def own_metrics(self) -> LayerMetrics:
        return ZERO

    def _module(self, batch: int, view_px: int) -> BaseLayer:
        a, w = self.arch, self.workload
        sam = ImageEncoderViT(config=a.sam, batch=batch, image_size=view_px, dtype=w.dtype)
        if self.stage == "sam":
            return sam
        if self.stage == "clip":
            return VitModel(config=a.clip, batch=batch, grid=sam.output_grid, dtype=w.dtype)
        return MlpProjector(config=a.projector, tokens=batch * sam.output_grid**2, dtype=w.dtype)

    def children(self) -> tuple[Child, ...]:
        w = self.workload
        name = _MODULE_NAMES[self.stage]
        kids: list[Child] = []
        if w.n_crops:
            kids.append(Child(f"{name}[crops]", self._module(w.batch_size * w.n_crops, w.image_size)))
        kids.append(Child(f"{name}[global]", self._module(w.batch_size, w.base_size), instances=0 if kids else None))
        return tuple(kids)
