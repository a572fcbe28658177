"""Counted (static) mode: per stage, per operator family, decode extrapolation, writers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from llm_perf_opt.runners.static_mode import (
    ATTENTION_BACKEND,
    CountedCall,
    NonAffineDecodeError,
    _check_affine,
    op_family,
    run_static,
    static_compute_dict,
    static_compute_markdown,
    write_static_compute,
)
from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch
from modelmeter.models.deepseek_ocr.workload import OCRWorkload

BASE = OCRWorkload(base_size=1024, image_size=1024, crop_mode=False, max_new_tokens=4)


@pytest.fixture(scope="module")
def base_static(meta_reference: Any) -> Any:
    return run_static(DeepseekOCRArch(), BASE, reference=meta_reference)


def test_op_families() -> None:
    assert [op_family(o) for o in ("aten.mm", "aten.addmm", "aten.bmm", "aten.baddbmm", "aten.convolution")] == [
        "matmul",
        "matmul",
        "matmul",
        "matmul",
        "conv",
    ]
    assert op_family("aten._scaled_dot_product_flash_attention") == "other"  # attention is booked by call site


def test_sam_convolutions_match_hand_arithmetic(base_static: Any) -> None:
    # Base 1024: 64x64 patch grid. 2 * out_pixels * out_ch * (in_ch * k * k):
    patch = 2 * 64 * 64 * 768 * (3 * 16 * 16)  # 4,831,838,208
    neck0 = 2 * 64 * 64 * 256 * 768  # 1,610,612,736
    neck2 = 2 * 64 * 64 * 256 * (256 * 9)  # 4,831,838,208
    net2 = 2 * 32 * 32 * 512 * (256 * 9)  # 2,415,919,104
    net3 = 2 * 16 * 16 * 1024 * (512 * 9)  # 2,415,919,104
    sam = base_static.stages["sam"]
    assert sam.operators["conv"] == patch + neck0 + neck2 + net2 + net3 == 16_106_127_360
    assert sam.modules["sam_model.net_3"] == net3
    assert sam.operators["other"] == 0
    assert sum(sam.operators.values()) == sam.flops


def test_attention_family_is_what_runs_inside_sdpa(base_static: Any) -> None:
    # CLIP at 1024: 24 layers x (QK^T + PV) = 24 * 2 * (2 * 16 heads * 257 * 257 * 64)
    assert base_static.stages["clip"].operators["attention"] == 24 * 2 * 2 * 16 * 257 * 257 * 64 == 6_492_880_896
    # prefill: 1 + 9 + 273 = 283 tokens; 12 layers x 2 contractions x 2 * 10 heads * 283^2 * 128
    assert base_static.stages["prefill"].operators["attention"] == 12 * 2 * 2 * 10 * 283 * 283 * 128
    assert base_static.stages["projector"].flops == 2 * 256 * 2048 * 1280  # 1,342,177,280, addmm
    assert base_static.stages["lm_head"].flops == 2 * 283 * 1280 * 129280


def test_decode_counts_real_steps_and_sums_them(base_static: Any) -> None:
    dec = base_static.decode
    assert dec.steps == 3  # max_new_tokens - 1
    assert dec.counted_kv_lens == (284, 285, 286)  # 283 + t for t = 1, 2, 3: every step is counted
    first, mid, last = dec.counted_step_flops
    # one more key: 12 layers x 2 contractions x 2 * 10 heads * 1 query * 128
    assert mid - first == last - mid == 12 * 2 * 2 * 10 * 128 == 61_440
    assert base_static.stages["decode"].flops == first + mid + last
    assert base_static.stages["decode"].params == 2_769_255_680 + 165_478_400


def test_long_decode_is_extrapolated_from_three_counted_steps(meta_reference: Any) -> None:
    w = OCRWorkload(base_size=512, image_size=512, crop_mode=False, max_new_tokens=101)
    sc = run_static(DeepseekOCRArch(), w, reference=meta_reference)
    base = 1 + 9 + 73
    assert sc.decode.counted_kv_lens == (base + 1, base + 50, base + 100)
    first, _, last = sc.decode.counted_step_flops
    assert sc.stages["decode"].flops == 100 * (first + last) // 2
    assert "affine" in sc.decode.method


def test_affinity_check_rejects_a_non_affine_step() -> None:
    def call(total: int) -> CountedCall:
        return CountedCall(flops=total, operators={}, aten_ops={}, modules={})

    _check_affine(call(10), call(20), call(30), t_mid=2, steps=3)
    with pytest.raises(NonAffineDecodeError, match="not affine"):
        _check_affine(call(10), call(21), call(30), t_mid=2, steps=3)


def test_no_decode_steps(meta_reference: Any) -> None:
    w = OCRWorkload(base_size=512, image_size=512, crop_mode=False, max_new_tokens=1)
    sc = run_static(DeepseekOCRArch(), w, reference=meta_reference)
    assert sc.stages["decode"].flops == 0
    assert sc.stages["decode"].params == 0
    assert sc.decode.counted_kv_lens == ()


def test_writers(base_static: Any, tmp_path: Path) -> None:
    js, md = write_static_compute(base_static, tmp_path)
    doc = json.loads(js.read_text())
    assert doc["attention_backend"] == ATTENTION_BACKEND == "math"
    assert list(doc["stages"]) == ["sam", "clip", "projector", "prefill", "lm_head", "decode"]
    assert set(doc["stages"]["sam"]) >= {"operators", "flops", "params"}
    assert doc["stages"]["sam"]["params"] == 95_569_152
    assert doc["total"]["params"] == 3_336_106_240
    assert doc == json.loads(json.dumps(static_compute_dict(base_static)))
    text = md.read_text()
    assert text == static_compute_markdown(base_static)
    assert "Attention backend: **math**" in text
    assert "| projector | 1,342,177,280 |" in text


def test_layer_classes_use_vendor_names(base_static: Any) -> None:
    classes = base_static.layer_classes
    assert classes["deepencoder.Attention"].modules == 12
    assert classes["deepencoder.Attention"].params == 28_441_088  # 8 window x 2,365,824 + 4 global x 2,379,136
    assert classes["modeling_deepseekv2.MoEGate"].params == 11 * 64 * 1280
    assert classes["QuickGELU (functional)"].flops == 0
