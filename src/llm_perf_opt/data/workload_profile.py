"""``OCRWorkloadProfile``: a named inference setting, as stored in ``conf/workloads/*.yaml``.

A profile fixes the views (``base_size`` global view, ``image_size`` crops, ``crop_mode``),
how the crop grid is chosen (explicit ``crop_grid``, or the vendor's rule applied to
``image_width x image_height``), the prompt length, the generation length, the batch, the
dtype and the attention kernel. ``sources`` names where each value comes from.

Example
-------
>>> p = OCRWorkloadProfile(id="demo", description="one page", base_size=1024, image_size=640, crop_mode=True,
...                        crop_grid=CropGrid(rows=3, columns=2), prompt_tokens=9, max_new_tokens=1000)
>>> p.crop_grid.columns, p.crop_grid.rows, p.dtype
(2, 3, 'bfloat16')
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
from attrs import define, field

from llm_perf_opt.data._validators import (
    non_empty_str,
    non_negative_int,
    one_of,
    optional_positive_int,
    positive_int,
    slug,
)
from modelmeter.layers.attention_core import ATTENTION_IMPLS
from modelmeter.models.families import FAMILIES
from modelmeter.units import KNOWN_DTYPES

CUSTOM_RESOLUTION = "custom"
"""``resolution_mode`` of a profile whose sizes match none of the vendor's named modes."""
RESOLUTION_MODE_NAMES: tuple[str, ...] = (
    *dict.fromkeys(mode for family in FAMILIES.values() for mode in family.resolution_modes),
    CUSTOM_RESOLUTION,
)
"""Every model's named modes (DeepSeek-OCR's six, then DeepSeek-OCR-2's), then ``custom``; which modes a model
takes is checked where the model is known (:mod:`llm_perf_opt.runners.analyzer_inputs`)."""


@define(frozen=True, kw_only=True)
class CropGrid:
    """Local crops of a page: ``rows`` crops down by ``columns`` crops across (``w x h`` = ``columns x rows``).

    Example
    -------
    >>> CropGrid(rows=3, columns=2).rows
    3
    """

    rows: int = field(validator=positive_int)
    columns: int = field(validator=positive_int)


def _sources_name_fields(instance: object, attribute: attrs.Attribute[Any], value: Mapping[str, str]) -> None:
    known = {a.name for a in attrs.fields(OCRWorkloadProfile)} - {"sources", "notes"}
    for key, text in value.items():
        if key not in known:
            raise ValueError(f"sources: {key!r} is not a workload field; allowed: {', '.join(sorted(known))}")
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"sources.{key}: must be a non-empty string, got {text!r}")


@define(frozen=True, kw_only=True)
class OCRWorkloadProfile:
    """One workload file.

    Parameters
    ----------
    id
        Stable identifier (file name without ``.yaml``), e.g. ``dsocr-standard-v1``.
    description
        One line: what the workload represents.
    resolution_mode
        The vendor's mode name (DeepSeek-OCR: tiny, small, base, large, gundam, gundam-m; DeepSeek-OCR-2:
        dynamic, global-1024, global-768) or ``custom``.
    base_size, image_size
        Global-view and crop sizes in pixels (multiples of the 16-px patch).
    crop_mode
        Whether the page is cut into local crops (Gundam modes).
    crop_grid
        Explicit crop grid; ``None`` to derive it from ``image_width x image_height`` by the
        vendor's rule (or 1x1 without an image size or without crop mode).
    image_width, image_height
        Page size in pixels, used only to choose the crop grid.
    prompt_tokens
        Text tokens of the prompt besides BOS and the image rows.
    max_new_tokens
        Generated tokens (the first comes from the prefill's logits).
    batch_size, dtype, attention
        Pages per call, element type, attention kernel (``flash`` or ``eager``).
    sources
        Field name -> where its value comes from.
    notes
        Free text.

    Example
    -------
    >>> OCRWorkloadProfile(id="Bad Id", description="x", base_size=1024, image_size=640, crop_mode=False)
    Traceback (most recent call last):
    ...
    ValueError: id: must be lower-case letters, digits, '.', '_' or '-', got 'Bad Id'
    """

    id: str = field(validator=slug)
    description: str = field(validator=non_empty_str)
    resolution_mode: str = field(default=CUSTOM_RESOLUTION, validator=one_of(RESOLUTION_MODE_NAMES))
    base_size: int = field(validator=positive_int)
    image_size: int = field(validator=positive_int)
    crop_mode: bool = field(validator=attrs.validators.instance_of(bool))
    crop_grid: CropGrid | None = None
    image_width: int | None = field(default=None, validator=optional_positive_int)
    image_height: int | None = field(default=None, validator=optional_positive_int)
    prompt_tokens: int = field(default=0, validator=non_negative_int)
    max_new_tokens: int = field(default=1, validator=positive_int)
    batch_size: int = field(default=1, validator=positive_int)
    dtype: str = field(default="bfloat16", validator=one_of(KNOWN_DTYPES))
    attention: str = field(default="flash", validator=one_of(ATTENTION_IMPLS))
    sources: dict[str, str] = field(factory=dict, validator=_sources_name_fields)
    notes: str = ""

    def __attrs_post_init__(self) -> None:
        if (self.image_width is None) != (self.image_height is None):
            raise ValueError("image_width/image_height: give both or neither")
