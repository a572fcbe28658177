"""Workload geometry of DeepSeek-OCR-2: the views of a page, the crop-grid rule and the
image-token layout of the decoder sequence.

Facts from the vendor's vLLM code (deepseek-ai/DeepSeek-OCR-2: ``deepseek_ocr2.py``
``get_num_image_tokens`` and ``_pixel_values_to_embedding``, ``process/image_process.py``
``count_tiles``) and transformers 5.x (``image_processing_deepseek_ocr2.py``
``get_optimal_tiled_canvas``, ``processing_deepseek_ocr2.py``, ``DeepseekOcr2Model.get_image_features``):

* the global view is the page resized so that its longer side is ``base_size`` (1024), aspect
  kept, then padded to a square (:func:`fit_global_view`);
* local crops are 768 x 768 tiles of the page resized to ``(768 w) x (768 h)`` for a grid of
  ``w`` crops across and ``h`` down; no crops when both sides are at most 768 px;
* a view of ``S`` px gives ``ceil((S // 16) / 4)^2`` query outputs (256 at 1024, 144 at 768),
  and no newline tokens: the image rows are ``[crops..., global, view_separator]``, i.e.
  ``256 + 144 * w * h + 1`` (``w * h > 1``) or ``256 + 1`` (no crops).

Example
-------
>>> image_token_count(base_size=1024, image_size=768, crop_grid=(3, 2))  # 256 + 144*6 + 1
1121
>>> select_crop_grid(1654, 2339)  # an A4 page at 200 dpi: ratio 0.707 -> 2 across, 3 down
(2, 3)
>>> RESOLUTION_MODES["global-768"].base_size
768
"""

from __future__ import annotations

import math

from attrs import define, field

from modelmeter.layers.attention_core import ATTENTION_IMPLS
from modelmeter.layers.base import known_dtype
from modelmeter.models.deepseek_ocr.workload import (
    PageTokens,
    ResolutionMode,
    as_crop_grid,
    check_crop_grid,
    page_count,
    token_count,
    view_size,
)
from modelmeter.models.deepseek_ocr.workload import candidate_grids as v1_candidate_grids
from modelmeter.models.deepseek_ocr.workload import select_crop_grid as v1_select_crop_grid

PATCH_SIZE = 16
"""SAM patch size (pixels per patch side)."""
DOWNSAMPLE = 4
"""net_2 and net_3 halve the grid twice: 16x fewer tokens in total."""
BASE_SIZE = 1024
"""Global view side of the default mode."""
TILE_SIZE = 768
"""Local crop side (transformers' ``tile_size``, the vendor's ``IMAGE_SIZE``)."""
DEFAULT_MIN_CROPS = 2
DEFAULT_MAX_CROPS = 6
"""Bounds on the crop count (vendor ``MIN_CROPS``/``MAX_CROPS``; transformers ``min_patches``/``max_patches``)."""
VIEW_SEPARATORS = 1
"""One ``view_separator`` row closes each image."""


RESOLUTION_MODES: dict[str, ResolutionMode] = {
    m.name: m
    for m in (
        ResolutionMode(name="dynamic", base_size=BASE_SIZE, image_size=TILE_SIZE, crop_mode=True),
        ResolutionMode(name="global-1024", base_size=BASE_SIZE, image_size=TILE_SIZE, crop_mode=False),
        ResolutionMode(name="global-768", base_size=TILE_SIZE, image_size=TILE_SIZE, crop_mode=False),
    )
}
"""``dynamic``: global 1024 plus 2..6 crops of 768 for pages larger than 768 px (the vendor's
default, ``CROP_MODE = True``); ``global-1024``: the global view only (the vendor's
``CROP_MODE = False``); ``global-768``: one 768 view (transformers' ``crop_to_patches=False``,
which resizes the global view to ``tile_size``)."""


def tokens_per_side(view_px: int) -> int:
    """Query outputs per side of a square view: ``ceil((view_px // 16) / 4)`` (16 at 1024, 12 at 768)."""
    return math.ceil((view_px // PATCH_SIZE) / DOWNSAMPLE)


def view_tokens(view_px: int) -> int:
    """Query outputs of one square view: ``tokens_per_side(view_px)^2`` (256 at 1024, 144 at 768)."""
    return tokens_per_side(view_px) ** 2


def candidate_grids(min_num: int = DEFAULT_MIN_CROPS, max_num: int = DEFAULT_MAX_CROPS) -> list[tuple[int, int]]:
    """All ``(w, h)`` with ``min_num <= w*h <= max_num``, in transformers' order: ``w`` then ``h``
    ascending, stably sorted by tile count -- which is v1's order (by tile count, then ``(w, h)``), so the list
    is v1's (:func:`modelmeter.models.deepseek_ocr.workload.candidate_grids`, linear-logarithmic in ``max_num``).

    (The vendor sorts a ``set`` by tile count, which orders grids of equal count differently;
    for 2..6 crops no two grids of equal count can tie for the closest ratio, so the choice is
    the same: see the property test.)

    Example
    -------
    >>> candidate_grids(2, 4)
    [(1, 2), (2, 1), (1, 3), (3, 1), (1, 4), (2, 2), (4, 1)]
    """
    return v1_candidate_grids(min_num, max_num)


def select_crop_grid(
    width: int,
    height: int,
    *,
    min_num: int = DEFAULT_MIN_CROPS,
    max_num: int = DEFAULT_MAX_CROPS,
    image_size: int = TILE_SIZE,
) -> tuple[int, int]:
    """The crop grid ``(w, h)`` (crops across, crops down) for a ``width x height`` page.

    ``(1, 1)`` (no crops) when both sides are at most ``image_size``. Otherwise the candidate
    whose ``w/h`` is closest to ``width/height`` wins; on an exact tie a later (larger)
    candidate replaces the current one only if the page area exceeds half of the tiles'
    area ``image_size^2 * w * h``.

    Example
    -------
    >>> select_crop_grid(768, 700), select_crop_grid(769, 700)  # 769/700 = 1.10: closest is 2x2 (1.0)
    ((1, 1), (2, 2))
    >>> select_crop_grid(1000, 800), select_crop_grid(1500, 1200)  # 1.25: 2x2 and 3x2 tie at 0.25
    ((2, 2), (3, 2))
    """
    return v1_select_crop_grid(
        width,
        height,
        min_num=min_num,
        max_num=max_num,
        image_size=image_size,
        no_crops_at_most=image_size,
        candidates=candidate_grids(min_num, max_num),
    )


def fit_global_view(width: int, height: int, target: int = BASE_SIZE) -> tuple[int, int]:
    """Size ``(w, h)`` of the page inside the global view before padding: the longer side
    becomes ``target``, the other ``round(side * target / longer)`` (transformers'
    ``_preprocess``); the view is then padded to ``target x target``.

    Example
    -------
    >>> fit_global_view(1654, 2339)  # round(1654 * 1024 / 2339) = round(724.1)
    (724, 1024)
    """
    if width < 1 or height < 1:
        raise ValueError(f"image_width/image_height: must be >= 1, got {width}x{height}")
    scale = target / max(width, height)
    return (round(width * scale), round(height * scale))


def image_token_count(*, base_size: int, image_size: int, crop_grid: tuple[int, int] = (1, 1)) -> int:
    """Rows one image occupies in the decoder sequence: the crops' queries (``w*h > 1`` only),
    the global view's queries, one view separator.

    Example
    -------
    >>> image_token_count(base_size=1024, image_size=768)  # 256 + 1
    257
    """
    total = view_tokens(base_size) + VIEW_SEPARATORS
    w, h = crop_grid
    if w * h > 1:
        total += view_tokens(image_size) * w * h
    return total


def _attention_impl(instance: object, attribute: object, value: str) -> None:
    if value not in ATTENTION_IMPLS:
        raise ValueError(f"attention: unknown {value!r}; allowed: {', '.join(ATTENTION_IMPLS)}")


@define(frozen=True, kw_only=True)
class OCR2Workload(PageTokens):
    """One inference call: the views, the prompt, the generation length, the batch.

    ``batch_size`` pages are processed together, each with the same geometry: a global view
    of ``base_size`` px and, with ``crop_mode`` and a grid larger than 1x1, ``w * h`` crops of
    ``image_size`` px. Each page's prefill is ``BOS + prompt_tokens + image_tokens``; generation
    runs ``max_new_tokens - 1`` decode forwards after the prefill.

    Example
    -------
    >>> w = OCR2Workload(crop_grid=(3, 2), prompt_tokens=9)
    >>> w.n_crops, w.image_tokens, w.prefill_tokens  # 256 + 144*6 + 1; 1 + 9 + 1121
    (6, 1121, 1131)
    >>> OCR2Workload.from_mode("global-768").image_tokens  # 144 + 1
    145
    """

    base_size: int = field(default=BASE_SIZE, validator=view_size)
    image_size: int = field(default=TILE_SIZE, validator=view_size)
    crop_mode: bool = True
    crop_grid: tuple[int, int] = field(default=(1, 1), converter=as_crop_grid, validator=check_crop_grid)
    prompt_tokens: int = field(default=9, validator=token_count)
    max_new_tokens: int = field(default=1000, validator=page_count)
    batch_size: int = field(default=1, validator=page_count)
    dtype: str = field(default="bfloat16", validator=known_dtype)
    attention: str = field(default="flash", validator=_attention_impl)

    def __attrs_post_init__(self) -> None:
        if not self.crop_mode and self.crop_grid != (1, 1):
            raise ValueError(f"crop_grid: {self.crop_grid} needs crop_mode on; without crops the grid is 1x1")

    @classmethod
    def from_mode(cls, mode: str, *, page: tuple[int, int] | None = None, **kwargs: object) -> OCR2Workload:
        """The workload of a named mode (:data:`RESOLUTION_MODES`); with ``page=(width, height)``
        and a cropping mode, the crop grid is the one :func:`select_crop_grid` picks.

        Example
        -------
        >>> OCR2Workload.from_mode("dynamic", page=(1654, 2339)).crop_grid
        (2, 3)
        """
        try:
            m = RESOLUTION_MODES[mode]
        except KeyError:
            raise ValueError(f"mode: unknown {mode!r}; allowed: {', '.join(RESOLUTION_MODES)}") from None
        grid = select_crop_grid(*page, image_size=m.image_size) if (page is not None and m.crop_mode) else (1, 1)
        return cls(
            base_size=m.base_size,
            image_size=m.image_size,
            crop_mode=m.crop_mode,
            crop_grid=grid,
            **kwargs,  # type: ignore[arg-type]
        )

    @property
    def global_view_tokens(self) -> int:
        """SAM tokens (and queries) of the global view: 256 at 1024, 144 at 768."""
        return view_tokens(self.base_size)

    @property
    def crop_view_tokens(self) -> int:
        """SAM tokens (and queries) of one crop: 144 at 768."""
        return view_tokens(self.image_size)

    @property
    def image_tokens(self) -> int:
        """Image rows in each page's sequence (crops, global view, view separator)."""
        return image_token_count(base_size=self.base_size, image_size=self.image_size, crop_grid=self.crop_grid)
