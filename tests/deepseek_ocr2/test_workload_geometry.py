"""DeepSeek-OCR-2 workload geometry: the crop-grid rule (worked examples and a property test
against a direct implementation of the rule, in the vendor's and in transformers' candidate
orders), the global view's fit, and the image-token layout ``[crops, global, separator]``."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelmeter.models.deepseek_ocr2.workload import (
    RESOLUTION_MODES,
    OCR2Workload,
    candidate_grids,
    fit_global_view,
    image_token_count,
    select_crop_grid,
    tokens_per_side,
    view_tokens,
)


def direct_rule(width: int, height: int, order: str) -> tuple[int, int]:
    """The rule as stated: no crops when both sides <= 768; else among grids of 2..6 tiles, the
    ratio closest to the page's; on a tie, a grid later in ``order`` wins only if the page area
    exceeds half of its tiles' area. ``order``: ``"vendor"`` sorts a ``set`` by tile count
    (``count_tiles``), ``"transformers"`` sorts the w-major list (``get_all_supported_aspect_ratios``)."""
    if width <= 768 and height <= 768:
        return (1, 1)
    if order == "vendor":
        grids = sorted(
            {(i, j) for n in range(2, 7) for i in range(1, n + 1) for j in range(1, n + 1) if 2 <= i * j <= 6},
            key=lambda g: g[0] * g[1],
        )
    else:
        grids = sorted([(i, j) for i in range(1, 7) for j in range(1, 7) if 2 <= i * j <= 6], key=lambda g: g[0] * g[1])
    best, best_diff = (1, 1), math.inf
    for g in grids:
        diff = abs(width / height - g[0] / g[1])
        if diff < best_diff:
            best, best_diff = g, diff
        elif diff == best_diff and width * height > 0.5 * 768 * 768 * g[0] * g[1]:
            best = g
    return best


def test_candidates_are_transformers_order() -> None:
    assert candidate_grids() == [
        (1, 2), (2, 1), (1, 3), (3, 1), (1, 4), (2, 2), (4, 1), (1, 5), (5, 1), (1, 6), (2, 3), (3, 2), (6, 1),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("width", "height", "grid"),
    [
        (768, 768, (1, 1)),  # both sides <= 768: no crops
        (600, 768, (1, 1)),
        (769, 768, (2, 2)),  # one side > 768; ratio 1.001: 2x2 (1.0) is closest
        (1654, 2339, (2, 3)),  # A4 at 200 dpi: 0.707; 2/3 = 0.667 (diff 0.040) beats 1/2 (0.207)
        (2480, 3508, (2, 3)),  # A4 at 300 dpi
        (1700, 2200, (2, 3)),  # US letter at 200 dpi: 0.773; 2/3 (0.106) beats 1/1 (0.227)
        (2339, 1654, (3, 2)),  # landscape A4: 1.414; 3/2 (0.086)
        (3000, 1000, (3, 1)),  # 3.0 exactly
        (4000, 500, (6, 1)),  # 8.0: the widest grid
        (800, 4000, (1, 5)),  # 0.2 = 1/5
        (1000, 800, (2, 2)),  # 1.25: 2x2 and 3x2 tie at 0.25; 800,000 <= 0.5 * 768^2 * 6 = 1,769,472: stays 2x2
        (1500, 1200, (3, 2)),  # 1.25 again; 1,800,000 > 1,769,472: the tie goes to 3x2
    ],
)
def test_worked_examples(width: int, height: int, grid: tuple[int, int]) -> None:
    assert select_crop_grid(width, height) == grid == direct_rule(width, height, "transformers")


@settings(max_examples=300, deadline=None)
@given(width=st.integers(1, 8000), height=st.integers(1, 8000))
def test_rule_matches_direct_implementation_in_both_orders(width: int, height: int) -> None:
    grid = select_crop_grid(width, height)
    assert grid == direct_rule(width, height, "transformers") == direct_rule(width, height, "vendor")
    assert grid == (1, 1) or 2 <= grid[0] * grid[1] <= 6


RATIOS = sorted({g[0] / g[1] for g in candidate_grids()})


@settings(max_examples=100, deadline=None)
@given(pair=st.integers(0, len(RATIOS) - 2), height=st.integers(100, 6000))
def test_ties_at_midpoints(pair: int, height: int) -> None:
    """Pages whose ratio sits (up to rounding) halfway between two neighbouring candidate ratios
    exercise the tie rule."""
    width = round((RATIOS[pair] + RATIOS[pair + 1]) / 2 * height)
    assert select_crop_grid(width, height) == direct_rule(width, height, "vendor")


def test_token_layout_worked_numbers() -> None:
    assert [tokens_per_side(s) for s in (768, 1024)] == [12, 16]  # ceil(48 / 4), ceil(64 / 4)
    assert [view_tokens(s) for s in (768, 1024)] == [144, 256]
    assert image_token_count(base_size=1024, image_size=768) == 257  # 256 + 1
    assert image_token_count(base_size=1024, image_size=768, crop_grid=(2, 1)) == 545  # 256 + 144*2 + 1
    assert image_token_count(base_size=1024, image_size=768, crop_grid=(2, 2)) == 833  # 256 + 144*4 + 1
    assert image_token_count(base_size=1024, image_size=768, crop_grid=(2, 3)) == 1121  # 256 + 144*6 + 1
    assert image_token_count(base_size=768, image_size=768) == 145  # 144 + 1 (768-only)


def test_modes_and_pages() -> None:
    dyn = OCR2Workload.from_mode("dynamic", page=(1654, 2339), prompt_tokens=9)
    assert (dyn.crop_grid, dyn.n_crops, dyn.image_tokens) == ((2, 3), 6, 1121)
    assert dyn.prefill_tokens == 1 + 9 + 1121 == 1131
    small = OCR2Workload.from_mode("dynamic", page=(700, 500))
    assert (small.n_crops, small.image_tokens) == (0, 257)  # both sides <= 768
    only_1024 = OCR2Workload.from_mode("global-1024", page=(1654, 2339))
    assert (only_1024.n_crops, only_1024.image_tokens) == (0, 257)
    only_768 = OCR2Workload.from_mode("global-768")
    assert (only_768.base_size, only_768.global_view_tokens, only_768.image_tokens) == (768, 144, 145)
    assert set(RESOLUTION_MODES) == {"dynamic", "global-1024", "global-768"}


def test_global_view_fit() -> None:
    assert fit_global_view(1654, 2339) == (724, 1024)  # round(1654 * 1024 / 2339) = round(724.13)
    assert fit_global_view(2339, 1654) == (1024, 724)
    assert fit_global_view(500, 500) == (1024, 1024)  # upscaled, no padding
    assert fit_global_view(3000, 1000, target=768) == (768, 256)


def test_invalid_workloads() -> None:
    with pytest.raises(ValueError, match="crop_grid"):
        OCR2Workload(crop_mode=False, crop_grid=(2, 3))
    with pytest.raises(ValueError, match="base_size"):
        OCR2Workload(base_size=1000)
    with pytest.raises(ValueError, match="mode"):
        OCR2Workload.from_mode("gundam")
    with pytest.raises(ValueError, match="image_width"):
        select_crop_grid(0, 10)
