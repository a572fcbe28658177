"""The workload geometry equals transformers' DeepSeek-OCR-2 image processor and processor: the
crop grid (``_preprocess``: ``get_optimal_tiled_canvas`` behind the ``max(h, w) > tile_size`` test)
and the image-token count (``replace_image_token``).

Not compared: the PIL backend's ``get_number_of_image_patches`` (transformers 5.23.0), a helper
copied from another model that skips the ``> tile_size`` test and tie-breaks with ``size`` (1024)
instead of ``tile_size`` (768): it says 5 views for a 1 x 1 px image, which ``_preprocess`` gives
1 (the torchvision backend's helper has the right rule)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from transformers.models.deepseek_ocr2.image_processing_pil_deepseek_ocr2 import (
    DeepseekOcr2ImageProcessorPil,
    get_optimal_tiled_canvas,
)
from transformers.models.deepseek_ocr2.processing_deepseek_ocr2 import DeepseekOcr2Processor

from modelmeter.models.deepseek_ocr2.workload import OCR2Workload, image_token_count, select_crop_grid

IMAGE_PROCESSOR = DeepseekOcr2ImageProcessorPil()


def processor() -> Any:
    """transformers' processor without a tokenizer (only its token-count arithmetic is used)."""
    proc: Any = object.__new__(DeepseekOcr2Processor)
    proc.image_processor, proc.patch_size, proc.downsample_ratio, proc.image_token = IMAGE_PROCESSOR, 16, 4, "<i>"
    return proc


def transformers_grid(width: int, height: int) -> tuple[int, int]:
    if max(width, height) <= 768:
        return (1, 1)
    grid: tuple[int, int] = get_optimal_tiled_canvas((height, width), (768, 768), 2, 6)
    return grid


@settings(max_examples=300, deadline=None)
@given(width=st.integers(1, 8000), height=st.integers(1, 8000))
def test_crop_grid_and_tokens_equal_transformers(width: int, height: int) -> None:
    grid = select_crop_grid(width, height)
    assert grid == transformers_grid(width, height)
    w = OCR2Workload.from_mode("dynamic", page=(width, height))
    tokens = processor().replace_image_token({"num_local_patches": [w.n_crops]}, 0)
    assert (
        len(tokens) // len("<i>") == w.image_tokens == image_token_count(base_size=1024, image_size=768, crop_grid=grid)
    )


def test_768_only_token_count() -> None:
    """transformers' processor counts the global view at ``size`` (1024 by default); for the 768-only
    view (``crop_to_patches=False`` resizes it to ``tile_size``) ``size`` must say 768."""
    tokens = processor().replace_image_token({"num_local_patches": [0]}, 0, size={"height": 768, "width": 768})
    assert len(tokens) // len("<i>") == OCR2Workload.from_mode("global-768").image_tokens == 145  # 144 + 1
