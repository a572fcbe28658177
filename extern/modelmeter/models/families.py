"""The DeepSeek-OCR models the analytic library knows, as one table: DeepSeek-OCR (v1) and DeepSeek-OCR-2.

A :class:`ModelFamily` ties together what differs between them: the architecture record, the workload record,
the whole-model layer, the stage names, the resolution modes and the crop-grid rule with its bounds. Callers
that accept either model (the analyzer, predictions, sweeps) go through it instead of naming v1's classes.
:func:`detect_family` tells the two apart from a checkpoint's ``config.json``.

Example
-------
>>> FAMILIES["deepseek-ocr-2"].stages[:3], FAMILIES["deepseek-ocr"].stages[:3]
(('sam', 'qwen2', 'projector'), ('sam', 'clip', 'projector'))
>>> f = FAMILIES["deepseek-ocr-2"]
>>> f.select_crop_grid(1654, 2339, image_size=768), f.model(f.arch_type(), f.workload(crop_grid=(2, 3))).params
((2, 3), 3389119360)
>>> detect_family({"model_type": "deepseek_vl_v2", "vision_config": {"model_name": "deepencoderv2"}}).key
'deepseek-ocr-2'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from attrs import define

from modelmeter.models.deepseek_ocr import workload as v1_workload
from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch
from modelmeter.models.deepseek_ocr.layers.core.deepseek_ocr_model import STAGES as V1_STAGES
from modelmeter.models.deepseek_ocr.layers.core.deepseek_ocr_model import DeepseekOCRModel
from modelmeter.models.deepseek_ocr.workload import OCRWorkload, ResolutionMode
from modelmeter.models.deepseek_ocr2 import workload as v2_workload
from modelmeter.models.deepseek_ocr2.config import DeepseekOCR2Arch
from modelmeter.models.deepseek_ocr2.layers.core.deepseek_ocr2_model import STAGES as V2_STAGES
from modelmeter.models.deepseek_ocr2.layers.core.deepseek_ocr2_model import DeepseekOCR2Model
from modelmeter.models.deepseek_ocr2.workload import OCR2Workload

OCRArch = DeepseekOCRArch | DeepseekOCR2Arch
"""Either model's architecture."""
AnyOCRWorkload = OCRWorkload | OCR2Workload
"""Either model's workload (the same fields: views, crop grid, prompt, generation length, batch, dtype,
attention)."""
OCRModel = DeepseekOCRModel | DeepseekOCR2Model
"""Either model's whole inference call."""

V1 = "deepseek-ocr"
V2 = "deepseek-ocr-2"


def _v1_grid(width: int, height: int, *, image_size: int, min_num: int, max_num: int) -> tuple[int, int]:
    return v1_workload.select_crop_grid(width, height, image_size=image_size, min_num=min_num, max_num=max_num)


def _v2_grid(width: int, height: int, *, image_size: int, min_num: int, max_num: int) -> tuple[int, int]:
    return v2_workload.select_crop_grid(width, height, image_size=image_size, min_num=min_num, max_num=max_num)


@define(frozen=True, kw_only=True)
class ModelFamily:
    """One DeepSeek-OCR model: its records, its layer, its stages and its workload rules.

    Parameters
    ----------
    key
        The name the analyzer and sweeps use (``deepseek-ocr``, ``deepseek-ocr-2``).
    display_name, checkpoint
        How reports name it, and the released checkpoint's id.
    arch_type, workload_type, model_type
        The architecture record, the workload record and the whole-model layer.
    stages
        Stage names in execution order (the first three are the vision stages).
    resolution_modes
        The named view presets of this model.
    min_crops, max_crops
        The crop-grid rule's default bounds (v1's ``infer()``: 2..9; OCR-2: 2..6).
    crop_threshold_px
        Pages no larger than this on both sides get no crops (v1: 640; OCR-2: 768, its tile size).
    grid_rule
        The vendor function of the crop-grid rule, for messages.
    vision_label, image_rows
        How reports name the vision stages and what a page's image rows hold.

    Example
    -------
    >>> FAMILIES["deepseek-ocr"].max_crops, FAMILIES["deepseek-ocr-2"].max_crops
    (9, 6)
    """

    key: str
    display_name: str
    checkpoint: str
    arch_type: type[DeepseekOCRArch] | type[DeepseekOCR2Arch]
    workload_type: type[OCRWorkload] | type[OCR2Workload]
    model_type: type[DeepseekOCRModel] | type[DeepseekOCR2Model]
    stages: tuple[str, ...]
    resolution_modes: Mapping[str, ResolutionMode]
    min_crops: int
    max_crops: int
    crop_threshold_px: int
    grid_rule: str
    vision_label: str
    image_rows: str
    _grid: Callable[..., tuple[int, int]]
    _candidates: Callable[[int, int], list[tuple[int, int]]]

    @property
    def vision_stages(self) -> tuple[str, ...]:
        """The stages before the language model (SAM, the second encoder, the projector)."""
        return self.stages[:3]

    def select_crop_grid(
        self, width: int, height: int, *, image_size: int, min_num: int | None = None, max_num: int | None = None
    ) -> tuple[int, int]:
        """The crop grid ``(w, h)`` this model's rule picks for a ``width x height`` page (default bounds:
        :attr:`min_crops`, :attr:`max_crops`)."""
        lo = self.min_crops if min_num is None else min_num
        hi = self.max_crops if max_num is None else max_num
        return self._grid(width, height, image_size=image_size, min_num=lo, max_num=hi)

    def candidate_grids(self, min_num: int | None = None, max_num: int | None = None) -> list[tuple[int, int]]:
        """Every grid the rule may pick between the bounds, in the model's order."""
        lo = self.min_crops if min_num is None else min_num
        hi = self.max_crops if max_num is None else max_num
        return self._candidates(lo, hi)

    def workload(self, **fields: Any) -> AnyOCRWorkload:
        """This model's workload record from its fields."""
        return self.workload_type(**fields)

    def model(self, arch: OCRArch, workload: AnyOCRWorkload) -> OCRModel:
        """The whole-model layer of ``arch`` on ``workload`` (``TypeError`` when either is another model's)."""
        if not isinstance(arch, self.arch_type) or not isinstance(workload, self.workload_type):
            raise TypeError(
                f"{self.display_name} needs a {self.arch_type.__name__} and an {self.workload_type.__name__}, "
                f"got {type(arch).__name__} and {type(workload).__name__}"
            )
        return self.model_type(arch=arch, workload=workload)  # type: ignore[arg-type]

    def arch_from_config(self, config: Mapping[str, Any], *, name: str | None = None) -> OCRArch:
        """The architecture in a ``config.json`` mapping (``ValueError`` naming a bad key)."""
        return self.arch_type.from_hf_config(config, name=name)


FAMILIES: dict[str, ModelFamily] = {
    f.key: f
    for f in (
        ModelFamily(
            key=V1,
            display_name="DeepSeek-OCR",
            checkpoint="deepseek-ai/DeepSeek-OCR",
            arch_type=DeepseekOCRArch,
            workload_type=OCRWorkload,
            model_type=DeepseekOCRModel,
            stages=V1_STAGES,
            resolution_modes=v1_workload.RESOLUTION_MODES,
            min_crops=v1_workload.DEFAULT_MIN_CROPS,
            max_crops=v1_workload.DEFAULT_MAX_CROPS,
            crop_threshold_px=v1_workload.CROP_THRESHOLD_PX,
            grid_rule="dynamic_preprocess",
            vision_label="SAM + CLIP + projector",
            image_rows="newlines and the view separator included",
            grid=_v1_grid,
            candidates=v1_workload.candidate_grids,
        ),
        ModelFamily(
            key=V2,
            display_name="DeepSeek-OCR-2",
            checkpoint="deepseek-ai/DeepSeek-OCR-2",
            arch_type=DeepseekOCR2Arch,
            workload_type=OCR2Workload,
            model_type=DeepseekOCR2Model,
            stages=V2_STAGES,
            resolution_modes=v2_workload.RESOLUTION_MODES,
            min_crops=v2_workload.DEFAULT_MIN_CROPS,
            max_crops=v2_workload.DEFAULT_MAX_CROPS,
            crop_threshold_px=v2_workload.TILE_SIZE,
            grid_rule="count_tiles",
            vision_label="SAM + Qwen2 encoder + projector",
            image_rows="crops, global view, view separator (no newlines)",
            grid=_v2_grid,
            candidates=v2_workload.candidate_grids,
        ),
    )
}
"""Model key -> its family, v1 first."""


def _merged(*orders: tuple[str, ...]) -> tuple[str, ...]:
    """Stage orders merged into one: a stage new to the list goes before the next stage of its own order."""
    out: list[str] = []
    for order in orders:
        for i, stage in enumerate(order):
            if stage in out:
                continue
            after = [s for s in order[i + 1 :] if s in out]
            out.insert(out.index(after[0]) if after else len(out), stage)
    return tuple(out)


ALL_STAGES: tuple[str, ...] = _merged(*(f.stages for f in FAMILIES.values()))
"""Every stage name of every model, in execution order (``sam``, ``clip``, ``qwen2``, ``projector``, ...)."""


def family_of(arch: object) -> ModelFamily:
    """The family of an architecture, a workload or a whole-model layer (``TypeError`` for anything else).

    Example
    -------
    >>> family_of(OCR2Workload()).key, family_of(DeepseekOCRArch()).key
    ('deepseek-ocr-2', 'deepseek-ocr')
    """
    for f in FAMILIES.values():
        if isinstance(arch, (f.arch_type, f.workload_type, f.model_type)):
            return f
    raise TypeError(f"not a DeepSeek-OCR architecture, workload or model: {type(arch).__name__}")


V1_MODEL_TYPES: tuple[str, ...] = ("deepseek_vl_v2",)
"""``model_type`` of v1's released config.json (OCR-2's released one says the same: see :func:`detect_family`)."""
V2_MODEL_TYPES: tuple[str, ...] = ("deepseek_ocr2",)
"""``model_type`` of transformers' native DeepSeek-OCR-2 config (``DeepseekOcr2Config``)."""


def detect_family(config: Mapping[str, Any]) -> ModelFamily:
    """Which model a ``config.json`` describes.

    Both released checkpoints say ``model_type: deepseek_vl_v2``; OCR-2's names its vision encoder
    (``vision_config.model_name: deepencoderv2``, a ``qwen2-0-5b`` entry under ``vision_config.width``), and
    transformers' converted config says ``model_type: deepseek_ocr2`` with ``vision_config.encoder_config``.
    Anything else with a ``model_type`` is refused; a config without one is read as v1 (its language keys
    decide).

    Raises
    ------
    ValueError
        ``model_type: ...`` naming the allowed values.
    """
    vision = config.get("vision_config")
    vision = vision if isinstance(vision, Mapping) else {}
    width = vision.get("width")
    width = width if isinstance(width, Mapping) else {}
    model_type = config.get("model_type")
    v2_marks = vision.get("model_name") == "deepencoderv2" or "qwen2-0-5b" in width or "encoder_config" in vision
    if model_type in V2_MODEL_TYPES or (model_type in (None, *V1_MODEL_TYPES) and v2_marks):
        return FAMILIES[V2]
    if model_type is None or model_type in V1_MODEL_TYPES:
        return FAMILIES[V1]
    allowed = ", ".join((*V1_MODEL_TYPES, *V2_MODEL_TYPES))
    raise ValueError(f"model_type: {model_type!r} is not a DeepSeek-OCR model; allowed: {allowed}")
