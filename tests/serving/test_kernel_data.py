"""vLLM's measured decode attention and fused MoE as corrections to the serving steps (packaged extract)."""

from __future__ import annotations

from typing import Any

import pytest
from attrs import evolve

from llm_perf_opt.hardware.portable import aiconfigurator_extract
from llm_perf_opt.hardware.registry import load_hardware
from llm_perf_opt.serving.config import EngineConfig, PageClass
from llm_perf_opt.serving.kernel_data import (
    KernelDataError,
    KernelRatios,
    ProfileKernels,
    attention_config,
    kernel_ratios,
    moe_config,
    partner,
)
from llm_perf_opt.serving.steps import build_step_times, decode_step_s
from llm_perf_opt.timing.time_model import time_model
from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch
from modelmeter.models.deepseek_ocr.layers.core import DeepseekOCRDecodeStep
from modelmeter.models.deepseek_ocr.layers.decoder.deepseek_v2_moe import DeepseekV2MoE


def test_a_gpu_takes_its_own_measurements_else_those_of_its_compute_capability() -> None:
    assert partner(load_hardware("h200")) == "h200"
    assert partner(load_hardware("a100-40gb")) == "a100-80gb"  # both 8.0
    assert partner(load_hardware("h100-pcie")) == "h100-sxm"  # 9.0: h100-sxm and h200, the first by name
    assert partner(load_hardware("l4")) == "l40s"  # 8.9
    assert partner(load_hardware("a10g")) is None  # 8.6: aiconfigurator-core measured no Ampere GA10x
    # an entry of the user's (another name, e.g. loaded from a file) goes by its compute capability
    assert partner(evolve(load_hardware("a100-40gb"), name="my-a100")) == "a100-80gb"


def test_ratios_interpolate_in_logarithms_and_hold_at_the_edges() -> None:
    r = KernelRatios(
        source="x", attention_rows=((8, ((512, 1.0), (2048, 3.0))), (32, ((512, 2.0), (2048, 2.0)))),
        moe_points=((1, 2.0), (64, 1.0)),
    )  # fmt: skip
    # keys 1024 sit halfway between 512 and 2048 in log: row 8 gives 2.0, row 32 gives 2.0
    assert r.attention_at(8, 1024) == pytest.approx(2.0)
    # batch 16 halfway between 8 and 32: at 2048 keys 3.0 and 2.0 -> 2.5
    assert r.attention_at(16, 2048) == pytest.approx(2.5)
    assert r.attention_at(1, 100) == 1.0  # below both grids: batch 8's row at 512 keys
    assert r.attention_at(256, 8192) == 2.0  # above both: batch 32's row at 2048 keys
    assert r.moe_at(8) == pytest.approx(2.0 - 0.5)  # 8 tokens: log2 3 of 6 between 1 and 64
    assert r.moe_at(10_000) == 1.0


def test_the_decode_grid_is_the_fused_step_with_its_two_families_rescaled() -> None:
    # H200 at batch 128, 1,024 keys: both on the decode grid and on the extract's attention grid; MoE at 128 tokens
    arch, spec, timer = DeepseekOCRArch(), load_hardware("h200"), time_model("fused")
    page = PageClass(mode="base")
    plain = build_step_times(arch, spec, timer, [page], EngineConfig(max_num_seqs=128))
    fixed = build_step_times(arch, spec, timer, [page], EngineConfig(max_num_seqs=128, kernel_data="aiconfigurator"))
    gpu = aiconfigurator_extract()["gpus"]["h200"]
    (attention,) = [p for p in gpu["decode_attention"] if (p["batch"], p["kv_len"]) == (128, 1024)]
    (moe,) = [p for p in gpu["moe"] if p["tokens"] == 128]
    ratios = kernel_ratios(spec)
    assert ratios is not None
    assert ratios.source == "h200"
    assert ratios.attention_at(128, 1024) == pytest.approx(attention["latency_ms"] * 1e-3 / _h200_attention_s())
    assert ratios.moe_at(128) == pytest.approx(moe["latency_ms"] * 1e-3 / _h200_moe_s(moe))
    step = DeepseekOCRDecodeStep(config=arch.language, batch=128, kv_len=1024, attention="flash")
    parts = ProfileKernels(spec).kernels(step, "decode")
    assert plain.decode_s(128, 1024) == pytest.approx(decode_step_s(arch, spec, timer, batch=128, kv_len=1024))
    expected = (
        plain.decode_s(128, 1024)
        + parts.attention_s * (ratios.attention_at(128, 1024) - 1)
        + parts.moe_s * (ratios.moe_at(128) - 1)
    )
    assert fixed.decode_s(128, 1024) == pytest.approx(expected, rel=1e-12)
    assert fixed.vision_s(0, 1) == plain.vision_s(0, 1)  # the vision encoder is not corrected


def _h200_attention_s() -> float:
    """The fused profile's decode attention of one layer at the tabled shape (8 heads of 128, batch 128, 1,024
    keys): a 12-layer step's attention cores over 12."""
    cfg = attention_config(DeepseekOCRArch().language, 8, 128)
    step = DeepseekOCRDecodeStep(config=cfg, batch=128, kv_len=1024, attention="flash")
    assert cfg.num_hidden_layers == 12
    return ProfileKernels(load_hardware("h200")).kernels(step, "decode").attention_s / 12


def _h200_moe_s(p: dict[str, Any]) -> float:
    """The fused profile's fused-MoE kernels of one layer of the tabled shape at 128 tokens."""
    layer = DeepseekV2MoE(config=moe_config(DeepseekOCRArch().language, p), tokens=128)
    return ProfileKernels(load_hardware("h200")).kernels(layer, "decode").moe_s


def test_kernel_data_needs_the_fused_profile_and_a_measured_architecture() -> None:
    arch, page = DeepseekOCRArch(), [PageClass(mode="base")]
    config = EngineConfig(max_num_seqs=8, kernel_data="aiconfigurator")
    with pytest.raises(KernelDataError, match="the fused runtime only, got hf-sdpa-graph"):
        build_step_times(arch, load_hardware("h200"), time_model("hf-sdpa-graph"), page, config)
    with pytest.raises(KernelDataError, match="no measurements for a10g"):
        build_step_times(arch, load_hardware("a10g"), time_model("fused"), page, config)
