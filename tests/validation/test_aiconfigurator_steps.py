"""The serving decode step against aiconfigurator-core's decode attention and fused MoE (committed extract)."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from llm_perf_opt.kernels.profiles import load_runtime
from llm_perf_opt.kernels.timing import RuntimeCache
from llm_perf_opt.serving.kernel_data import (
    FUSED_EXPERTS,
    MOE_CLASS,
    PROFILE,
    StepKernels,
    attention_config,
    corrected_s,
    moe_config,
)
from llm_perf_opt.validation.aiconfigurator import EXTRACT, load_extract
from llm_perf_opt.validation.aiconfigurator_steps import gpu_steps
from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch
from modelmeter.models.deepseek_ocr.layers.decoder.deepseek_v2_moe import DeepseekV2MoE

REPO = Path(__file__).resolve().parents[2]


def _script() -> ModuleType:
    path = REPO / "scripts" / "aiconfigurator" / "extract_points.py"
    spec = importlib.util.spec_from_file_location("extract_points", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_composed_step_by_hand() -> None:
    # 10 ms in all, 4 ms of attention measured 1.5x slower, 3 ms of MoE measured twice as fast:
    # 10 - 4 - 3 + 6 + 1.5 = 10.5 ms.
    parts = StepKernels(total_s=10.0, attention_s=4.0, moe_s=3.0)
    assert corrected_s(10.0, parts, attention_ratio=1.5, moe_ratio=0.5) == pytest.approx(10.5, rel=1e-15)


def test_the_fused_profile_books_every_fused_experts_kernel_of_a_moe_layer() -> None:
    text = DeepseekOCRArch().language
    inventory = RuntimeCache().inventory(DeepseekV2MoE(config=text, tokens=100), load_runtime(PROFILE), "decode")
    booked = {r.kernel for r in inventory.records if r.layer_class == MOE_CLASS and r.calls}
    assert booked >= FUSED_EXPERTS
    # the shared experts' add and the routing are not vLLM's fused_experts
    assert "add_shared" in booked - FUSED_EXPERTS


def test_tabled_shapes_as_configs() -> None:
    text = DeepseekOCRArch().language
    eight = attention_config(text, 8, 128)
    assert (eight.hidden_size, eight.num_attention_heads, eight.num_key_value_heads, eight.head_dim) == (
        1024,
        8,
        8,
        128,
    )
    moe = moe_config(text, {"hidden": 2048, "intermediate": 768, "experts": 128, "top_k": 8})
    assert (moe.hidden_size, moe.moe_intermediate_size, moe.n_routed_experts, moe.num_experts_per_tok) == (
        2048,
        768,
        128,
        8,
    )
    assert (moe.n_shared_experts, moe.num_attention_heads) == (0, 16)


def test_the_nearest_moe_shape_by_hand() -> None:
    # DeepSeek-OCR's routed experts: hidden 1280, width 896, 64 experts, top 6. Sum of the log distances:
    # (2048, 768, 128, 8): ln 1.6 + ln(896/768) + ln 2 + ln(8/6) = 0.470 + 0.154 + 0.693 + 0.288 = 1.605
    # (2688, 1856, 128, 6): ln 2.1 + ln(1856/896) + ln 2 + 0 = 0.742 + 0.728 + 0.693 = 2.163
    # (4096, 1536, 128, 8): 1.163 + 0.539 + 0.693 + 0.288 = 2.683
    shapes = [(4096, 1536, 128, 8), (2688, 1856, 128, 6), (2048, 768, 128, 8)]
    assert _script().nearest_moe_shape(shapes) == (2048, 768, 128, 8)
    assert math.log(1.6) + math.log(896 / 768) + math.log(2) + math.log(8 / 6) == pytest.approx(1.605, abs=1e-3)


def test_the_extract_holds_decode_attention_and_fused_moe_of_each_gpu() -> None:
    data = load_extract(REPO)
    for name, gpu in data["gpus"].items():
        attention, moe = gpu["decode_attention"], gpu["moe"]
        assert gpu["decode_attention_table"].endswith("generation_attention_perf.parquet"), name
        assert gpu["moe_table"].endswith("moe_perf.parquet"), name
        assert len({p["kernel_source"] for p in attention}) == 1, name  # one kernel family per GPU
        assert len({p["kernel_source"] for p in moe}) == 1, name
        assert {(p["heads"], p["kv_heads"], p["head_dim"]) for p in attention} == {(8, 8, 128)}, name
        assert {(p["hidden"], p["intermediate"], p["experts"], p["top_k"]) for p in moe} == {(2048, 768, 128, 8)}
        assert all(p["latency_ms"] > 0 for p in attention + moe)


def _one_gpu_extract(tmp_path: Path, attention_ms: float, moe_ms: float) -> dict[str, Any]:
    extract = tmp_path / EXTRACT
    extract.parent.mkdir(parents=True)
    attention = {"batch": 8, "kv_len": 1024, "heads": 8, "kv_heads": 8, "head_dim": 128, "kernel_source": "fa"}
    moe = {"tokens": 8, "hidden": 2048, "intermediate": 768, "experts": 128, "top_k": 8}
    gpus = {
        "h200": {
            "decode_attention": [{**attention, "latency_ms": attention_ms}],
            "moe": [{**moe, "distribution": "balanced", "kernel_source": "triton", "latency_ms": moe_ms}],
        }
    }
    extract.write_text(json.dumps({"gpus": gpus, "source": "test"}), encoding="utf-8")
    return load_extract(tmp_path)


def test_a_measurement_twice_the_prediction_doubles_that_part_of_the_step(tmp_path: Path) -> None:
    arch, cache = DeepseekOCRArch(), RuntimeCache()
    # first the profile's own predictions at the tabled shapes (measured = predicted: ratios 1)
    probe = gpu_steps(_one_gpu_extract(tmp_path / "a", 1.0, 1.0), "h200", arch, cache)
    attention_ms, moe_ms = (k.predicted_s * 1e3 for k in probe.kernels)
    same = gpu_steps(_one_gpu_extract(tmp_path / "b", attention_ms, moe_ms), "h200", arch, cache)
    (step,) = same.steps
    assert (step.attention_ratio, step.moe_ratio) == (pytest.approx(1.0), pytest.approx(1.0))
    assert step.composed_s == pytest.approx(step.profile.total_s, rel=1e-12)
    # attention measured twice the prediction, MoE as predicted: the step gains its attention time once more
    slow = gpu_steps(_one_gpu_extract(tmp_path / "c", 2 * attention_ms, moe_ms), "h200", arch, cache)
    (step,) = slow.steps
    assert step.composed_s - step.profile.total_s == pytest.approx(step.profile.attention_s, rel=1e-9)
    assert step.error_pct == pytest.approx(
        -100 * step.profile.attention_s / (step.profile.total_s + step.profile.attention_s), rel=1e-9
    )
    # the attention cores are part of the decode step, not all of it
    assert 0 < step.profile.attention_s < step.profile.total_s
