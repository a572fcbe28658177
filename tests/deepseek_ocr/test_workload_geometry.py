"""Token layout, crop-grid rule and whole-model scaling, with the vendor's worked numbers
(``../shared/reference/deepseek-ocr-architecture.md`` sections 4 and 5)."""

from __future__ import annotations

import attrs
import pytest

from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch
from modelmeter.models.deepseek_ocr.layers.core import DeepseekOCRModel
from modelmeter.models.deepseek_ocr.workload import (
    RESOLUTION_MODES,
    OCRWorkload,
    candidate_grids,
    image_token_count,
    select_crop_grid,
)


@pytest.mark.parametrize(
    ("mode", "tokens"),
    [
        ("tiny", 8 * 9 + 1),  # 512 px -> 8 tokens a side: 73
        ("small", 10 * 11 + 1),  # 640 -> 10: 111
        ("base", 16 * 17 + 1),  # 1024 -> 16: 273
        ("large", 20 * 21 + 1),  # 1280 -> 20: 421
        ("gundam", 16 * 17 + 1),  # no crops when the page is <= 640 px: 273
        ("gundam-m", 20 * 21 + 1),  # 1280 global view: 421
    ],
)
def test_no_crop_token_counts(mode: str, tokens: int) -> None:
    m = RESOLUTION_MODES[mode]
    assert image_token_count(base_size=m.base_size, image_size=m.image_size) == tokens


@pytest.mark.parametrize(
    ("grid", "tokens"),
    [
        ((1, 2), 273 + (10 * 1 + 1) * (10 * 2)),  # 493
        ((2, 1), 273 + (10 * 2 + 1) * (10 * 1)),  # 483
        ((2, 2), 273 + 21 * 20),  # 693
        ((2, 3), 273 + 21 * 30),  # 903
        ((3, 2), 273 + 31 * 20),  # 893
        ((3, 3), 273 + 31 * 30),  # 1203
        ((4, 2), 273 + 41 * 20),  # 1093
    ],
)
def test_gundam_token_counts(grid: tuple[int, int], tokens: int) -> None:
    assert image_token_count(base_size=1024, image_size=640, crop_grid=grid) == tokens


def test_gundam_m_uses_1024_tiles() -> None:
    # 1280 global (421) + 1024 tiles of 16 tokens a side: (16*2 + 1) * (16*2)
    assert image_token_count(base_size=1280, image_size=1024, crop_grid=(2, 2)) == 421 + 33 * 32


@pytest.mark.parametrize(
    ("size", "grid9", "grid6"),
    [
        ((1654, 2339), (2, 3), (2, 3)),  # A4 at 200 dpi
        ((1700, 2200), (2, 3), (2, 3)),  # letter
        ((2480, 3508), (2, 3), (2, 3)),  # A4 at 300 dpi
        ((1920, 1080), (4, 2), (2, 1)),  # tie with 2x1 broken by area when 4x2 is allowed
        ((1000, 800), (2, 2), (2, 2)),
        ((3000, 1000), (3, 1), (3, 1)),
        ((640, 641), (2, 2), (2, 2)),  # one pixel over 640: crops, never 1x1
        ((640, 640), (1, 1), (1, 1)),  # no crops
    ],
)
def test_crop_grid_rule(size: tuple[int, int], grid9: tuple[int, int], grid6: tuple[int, int]) -> None:
    assert select_crop_grid(*size, max_num=9) == grid9
    assert select_crop_grid(*size, max_num=6) == grid6


def test_candidate_grids_cover_two_to_nine_tiles() -> None:
    grids = candidate_grids(2, 9)
    # pairs (w, h) with 2 <= w*h <= 9: count them by tile count n = number of divisor pairs
    expected = sum(1 for n in range(2, 10) for w in range(1, n + 1) if n % w == 0)
    assert len(grids) == expected == 2 + 2 + 3 + 2 + 4 + 2 + 4 + 3  # n = 2..9: 22 grids
    assert [g[0] * g[1] for g in grids] == sorted(g[0] * g[1] for g in grids)


def _stage_flops(**kw: object) -> dict[str, int]:
    model = DeepseekOCRModel(workload=OCRWorkload(**kw))  # type: ignore[arg-type]
    return {k: v.forward_tensor_core_flops for k, v in model.stage_layers().items()}


def test_vision_cost_linear_in_tile_count() -> None:
    one = _stage_flops(crop_grid=(1, 2))  # 2 tiles
    two = _stage_flops(crop_grid=(2, 2))  # 4 tiles
    three = _stage_flops(crop_grid=(2, 3))  # 6 tiles
    for stage in ("sam", "clip", "projector"):
        assert two[stage] - one[stage] == three[stage] - two[stage] > 0  # 2 more tiles cost the same


def test_whole_model_linear_in_batch() -> None:
    one = DeepseekOCRModel(workload=OCRWorkload(crop_grid=(2, 2), max_new_tokens=50)).metrics()
    four = DeepseekOCRModel(workload=OCRWorkload(crop_grid=(2, 2), max_new_tokens=50, batch_size=4)).metrics()
    assert four.forward_tensor_core_flops == 4 * one.forward_tensor_core_flops
    assert four.kv_cache_memory_bytes == 4 * one.kv_cache_memory_bytes
    assert four.params == one.params


def test_monotone_in_depth_and_experts_per_token() -> None:
    base = DeepseekOCRArch()
    deeper = attrs.evolve(base, language=attrs.evolve(base.language, num_hidden_layers=13))
    more_k = attrs.evolve(base, language=attrs.evolve(base.language, num_experts_per_tok=8))
    w = OCRWorkload(crop_grid=(2, 2), max_new_tokens=20)
    ref = DeepseekOCRModel(arch=base, workload=w).metrics()
    assert DeepseekOCRModel(arch=deeper, workload=w).metrics().forward_tensor_core_flops > ref.forward_tensor_core_flops
    assert DeepseekOCRModel(arch=deeper, workload=w).metrics().params == ref.params + 227_164_160 + 6_553_600 + 2_560
    assert DeepseekOCRModel(arch=more_k, workload=w).metrics().forward_tensor_core_flops > ref.forward_tensor_core_flops


def test_decode_sum_equals_brute_force_steps() -> None:
    from modelmeter.metrics import ZERO
    from modelmeter.models.deepseek_ocr.layers.core import DeepseekOCRDecode, DeepseekOCRDecodeStep

    cfg = DeepseekOCRArch().language
    for steps in (1, 2, 5, 6):
        dec = DeepseekOCRDecode(config=cfg, batch=2, prefill_tokens=100, steps=steps)
        brute = ZERO
        for t in range(1, steps + 1):
            brute = brute + DeepseekOCRDecodeStep(config=cfg, batch=2, kv_len=100 + t).metrics()
        got = dec.metrics()
        for name in ("forward_tensor_core_flops", "forward_executed_tensor_core_flops", "forward_io_bytes",
                     "forward_cuda_core_flops", "activation_memory_bytes"):  # fmt: skip
            assert getattr(got, name) == getattr(brute, name), (steps, name)
        last = DeepseekOCRDecodeStep(config=cfg, batch=2, kv_len=100 + steps).metrics()
        assert got.kv_cache_memory_bytes == last.kv_cache_memory_bytes  # the cache at its final length
        assert got.params == last.params  # weights counted once


def test_decoder_layers_of_one_kind_share_work_but_keep_their_paths() -> None:
    from modelmeter.models.deepseek_ocr.layers.decoder import DeepseekV2DecoderLayer

    cfg = DeepseekOCRArch().language
    dense, moe1, moe7 = (DeepseekV2DecoderLayer(config=cfg, layer_idx=i, batch=1, q_len=5, kv_len=5) for i in (0, 1, 7))
    assert (dense.mlp_kind, moe1.mlp_kind, moe7.mlp_kind) == ("dense", "moe", "moe")
    assert moe1 == moe7  # same kind, same shapes: evaluated once
    assert dense != moe1
    assert moe1.metrics() == moe7.metrics()
    assert dense.params == 32_852_480  # attention 6,553,600 + 2 norms 2,560 + dense MLP 26,296,320
    assert moe7.params == 233_720_320  # attention + norms + MoE 227,164,160
    model = DeepseekOCRModel(workload=OCRWorkload(crop_grid=(2, 2), max_new_tokens=2))
    paths = [p for p, _, _ in model.walk() if p.startswith("prefill.layers.") and p.count(".") == 2]
    assert paths == [f"prefill.layers.{i}" for i in range(12)]
