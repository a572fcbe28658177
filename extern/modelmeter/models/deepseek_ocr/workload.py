"""Workload geometry of DeepSeek-OCR: resolution modes, the vendor's crop-grid rule and
the exact image-token layout of the decoder sequence.

Facts from ``../shared/reference/deepseek-ocr-architecture.md`` sections 4 and 5 (the
vendor's ``infer()`` / ``dynamic_preprocess`` in modeling_deepseekocr.py, snapshot 2c968b43):

* a view of ``S`` pixels yields ``n = ceil((S // 16) / 4)`` tokens per side after SAM's
  16x compression (64 for 1024 -> 16 tokens, 40 for 640 -> 10);
* the global view contributes ``n * (n + 1)`` rows (one ``image_newline`` per row) and
  one ``view_seperator``;
* a ``w x h`` crop grid (``w`` crops across, ``h`` down) contributes ``(q*w + 1) * (q*h)``
  rows, placed before the global view; no local block when the grid is 1x1.

Example
-------
>>> image_token_count(base_size=1024, image_size=640, crop_grid=(2, 2))  # 273 + 21 * 20
693
>>> select_crop_grid(1920, 1080, max_num=9)
(4, 2)
>>> RESOLUTION_MODES["gundam"].crop_mode
True
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence

from attrs import define, field

from modelmeter.layers.attention_core import ATTENTION_IMPLS
from modelmeter.layers.base import known_dtype, short_int

PATCH_SIZE = 16
"""SAM patch size (pixels per patch side)."""
DOWNSAMPLE = 4
"""net_2 and net_3 halve the grid twice: 16x fewer tokens in total."""
DEFAULT_MIN_CROPS = 2
DEFAULT_MAX_CROPS = 9
"""HF ``infer()`` bounds on the crop count (the official vLLM config uses 2..6)."""
MAX_CROPS = 1024
"""Most crops a workload may cut a page into (the vendor's rule allows at most ``max_num``, 9 by default): a bound
that keeps a run's token counts and files finite, far above any grid the vendor's code picks."""
MAX_VIEW_PX = 2**16
"""Largest view side a workload may give, in pixels (the vendor's modes use 512 to 1280): a 65,536 px view is
16.8 million SAM tokens, far beyond any run yet bounded in time and size."""
MAX_COUNT = 2**31 - 1
"""Most pages per batch, prompt tokens or generated tokens a workload may give (what a 32-bit index reaches;
past it token counts stop being numbers a GPU could index)."""
CROP_THRESHOLD_PX = 640
"""Images no larger than this on both sides get no crops (grid 1x1)."""


@define(frozen=True, kw_only=True)
class ResolutionMode:
    """A named preset of the vendor's ``infer()`` arguments."""

    name: str
    base_size: int
    image_size: int
    crop_mode: bool


RESOLUTION_MODES: dict[str, ResolutionMode] = {
    m.name: m
    for m in (
        ResolutionMode(name="tiny", base_size=512, image_size=512, crop_mode=False),
        ResolutionMode(name="small", base_size=640, image_size=640, crop_mode=False),
        ResolutionMode(name="base", base_size=1024, image_size=1024, crop_mode=False),
        ResolutionMode(name="large", base_size=1280, image_size=1280, crop_mode=False),
        ResolutionMode(name="gundam", base_size=1024, image_size=640, crop_mode=True),
        ResolutionMode(name="gundam-m", base_size=1280, image_size=1024, crop_mode=True),
    )
}
"""The six modes of the DeepSeek-OCR README (Tiny, Small, Base, Large, Gundam, Gundam-M)."""


def tokens_per_side(view_px: int) -> int:
    """Image tokens per side of a square view: ``ceil((view_px // 16) / 4)``."""
    return math.ceil((view_px // PATCH_SIZE) / DOWNSAMPLE)


def candidate_grids(min_num: int = DEFAULT_MIN_CROPS, max_num: int = DEFAULT_MAX_CROPS) -> list[tuple[int, int]]:
    """All ``(w, h)`` with ``min_num <= w*h <= max_num``, ordered by tile count as the vendor orders them."""
    grids = {(i, j) for i in range(1, max_num + 1) for j in range(1, max_num // i + 1) if i * j >= min_num}
    return sorted(grids, key=lambda g: (g[0] * g[1], g))


def select_crop_grid(
    width: int,
    height: int,
    *,
    min_num: int = DEFAULT_MIN_CROPS,
    max_num: int = DEFAULT_MAX_CROPS,
    image_size: int = 640,
    no_crops_at_most: int = CROP_THRESHOLD_PX,
    candidates: Sequence[tuple[int, int]] | None = None,
) -> tuple[int, int]:
    """The crop grid ``(w, h)`` the vendor picks for a ``width x height`` image (its ``dynamic_preprocess``
    rule, which DeepSeek-OCR-2 keeps with other bounds).

    Images no larger than ``no_crops_at_most`` px on both sides (640 in v1) get ``(1, 1)`` (no crops).
    Otherwise the candidate (``candidates``, default :func:`candidate_grids` of the bounds) whose ``w/h`` is
    closest to the image's aspect ratio wins; on an exact tie a later (larger) candidate replaces the current
    one only if the image area exceeds half of ``image_size**2 * w * h``.
    """
    if width < 1 or height < 1:
        raise ValueError(f"image_width/image_height: must be >= 1, got {width}x{height}")
    if width <= no_crops_at_most and height <= no_crops_at_most:
        return (1, 1)
    aspect = width / height
    area = width * height
    best, best_diff = (1, 1), math.inf
    for grid in candidate_grids(min_num, max_num) if candidates is None else candidates:
        diff = abs(aspect - grid[0] / grid[1])
        if diff < best_diff:
            best, best_diff = grid, diff
        elif diff == best_diff and area > 0.5 * image_size * image_size * grid[0] * grid[1]:
            best = grid
    return best


def image_token_count(*, base_size: int, image_size: int, crop_grid: tuple[int, int] = (1, 1)) -> int:
    """Rows the vendor scatters into the decoder sequence for one image.

    ``n*(n+1) + 1`` for the global view (newline per row, one view separator) plus
    ``(q*w + 1) * (q*h)`` for a ``w x h`` crop grid when ``w*h > 1``.
    """
    n = tokens_per_side(base_size)
    total = n * (n + 1) + 1
    w, h = crop_grid
    if w * h > 1:
        q = tokens_per_side(image_size)
        total += (q * w + 1) * (q * h)
    return total


def _attention_impl(instance: object, attribute: object, value: str) -> None:
    if value not in ATTENTION_IMPLS:
        raise ValueError(f"attention: unknown {value!r}; allowed: {', '.join(ATTENTION_IMPLS)}")


def view_size(instance: object, attribute: object, value: int) -> None:
    """attrs validator of a view side (both models): a multiple of the 16-px patch, at most :data:`MAX_VIEW_PX`."""
    name = getattr(attribute, "name", "size")
    if not isinstance(value, int) or isinstance(value, bool) or value < PATCH_SIZE or value % PATCH_SIZE:
        raise ValueError(f"{name}: must be a positive multiple of {PATCH_SIZE} pixels, got {repr(value)[:40]}")
    if value > MAX_VIEW_PX:
        raise ValueError(f"{name}: at most {MAX_VIEW_PX:,} pixels, got {short_int(value)}")


def _bounded(instance: object, attribute: object, value: object, lowest: int) -> None:
    name = getattr(attribute, "name", "value")
    if not isinstance(value, int) or isinstance(value, bool) or value < lowest:
        raise ValueError(f"{name}: must be an integer >= {lowest}, got {repr(value)[:40]}")
    if value > MAX_COUNT:
        raise ValueError(f"{name}: at most {MAX_COUNT:,}, got {short_int(value)}")


def page_count(instance: object, attribute: object, value: int) -> None:
    """attrs validator of a count >= 1 (pages, generated tokens), at most :data:`MAX_COUNT` (both models)."""
    _bounded(instance, attribute, value, 1)


def token_count(instance: object, attribute: object, value: int) -> None:
    """attrs validator of a count >= 0 (prompt tokens), at most :data:`MAX_COUNT` (both models)."""
    _bounded(instance, attribute, value, 0)


def as_crop_grid(value: tuple[int, int] | list[int]) -> tuple[int, int]:
    """``(w, h)`` from any two-item sequence (YAML gives lists)."""
    items = tuple(value)
    if len(items) != 2:
        raise ValueError(f"crop_grid: must be two integers (width x height in crops), got {value!r}")
    return (items[0], items[1])


def check_crop_grid(instance: object, attribute: object, value: tuple[int, int]) -> None:
    """attrs validator of a workload's ``crop_grid`` (both models): two integers >= 1, at most :data:`MAX_CROPS`
    crops in all."""
    if len(value) != 2 or not all(type(v) is int and v >= 1 for v in value):
        raise ValueError(f"crop_grid: must be two integers >= 1 (width x height in crops), got {value!r}")
    if value[0] * value[1] > MAX_CROPS:
        raise ValueError(f"crop_grid: at most {MAX_CROPS:,} crops, got {value[0]}x{value[1]} = {value[0] * value[1]:,}")


class PageTokens(ABC):
    """The token counts every DeepSeek-OCR workload derives the same way (v1 and OCR-2): the crops of its grid,
    the prefill (BOS + prompt text + image rows) and the decode forwards after it. A workload class provides
    ``crop_grid``, ``prompt_tokens``, ``max_new_tokens`` and ``image_tokens``."""

    crop_grid: tuple[int, int]
    prompt_tokens: int
    max_new_tokens: int

    @property
    @abstractmethod
    def image_tokens(self) -> int:
        """Image rows in each page's sequence (each model's own layout)."""

    @property
    def n_crops(self) -> int:
        """Local tiles per page (0 when the grid is 1x1)."""
        w, h = self.crop_grid
        return w * h if w * h > 1 else 0

    @property
    def prefill_tokens(self) -> int:
        """Sequence length of each page's prefill: BOS + prompt text + image rows."""
        return 1 + self.prompt_tokens + self.image_tokens

    @property
    def decode_steps(self) -> int:
        """Decode forwards after the prefill (``max_new_tokens - 1``)."""
        return self.max_new_tokens - 1


@define(frozen=True, kw_only=True)
class OCRWorkload(PageTokens):
    """One inference call: the views, the prompt, the generation length, the batch.

    ``batch_size`` pages are processed together (each with the same geometry). The prefill
    sequence of each page is ``BOS + prompt_tokens + image_tokens``; generation runs
    ``max_new_tokens - 1`` decode forwards after the prefill (the prefill's logits give the
    first token), the ``t``-th with ``prefill_tokens + t`` keys in the cache.

    Example
    -------
    >>> w = OCRWorkload(base_size=1024, image_size=640, crop_mode=True, crop_grid=(2, 2), prompt_tokens=9)
    >>> w.image_tokens, w.prefill_tokens, w.n_crops
    (693, 703, 4)
    """

    base_size: int = field(default=1024, validator=view_size)
    image_size: int = field(default=640, validator=view_size)
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

    @property
    def image_tokens(self) -> int:
        """Image rows in each page's sequence (newlines and the view separator included)."""
        return image_token_count(base_size=self.base_size, image_size=self.image_size, crop_grid=self.crop_grid)
