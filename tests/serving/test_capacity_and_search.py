"""KV capacity from the memory budget, the step-time grid against the time model, and the search's ranking."""

from __future__ import annotations

import math

import pytest
from attrs import evolve

from llm_perf_opt.hardware.registry import load_hardware
from llm_perf_opt.serving.config import EngineConfig, PageClass
from llm_perf_opt.serving.memory import kv_budget
from llm_perf_opt.serving.records import ServePoint, Sla
from llm_perf_opt.serving.search import in_mode, rank, replicas_for
from llm_perf_opt.serving.steps import allreduce_s, build_step_times
from llm_perf_opt.timing.time_model import time_model
from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch
from modelmeter.models.deepseek_ocr.layers.core import DeepseekOCRDecodeStep, DeepseekOCRModel

ARCH = DeepseekOCRArch()
GUNDAM = PageClass(mode="gundam", crop_grid=(2, 3))


def test_kv_bytes_per_token_is_every_layers_keys_and_values() -> None:
    b = kv_budget(ARCH, load_hardware("a100-40gb"), EngineConfig(), [GUNDAM])
    text = ARCH.language
    # 12 layers x (K and V) x 10 KV heads x 128 head dim x 2 bytes (bf16) = 61,440
    assert b.kv_bytes_per_token == text.num_hidden_layers * 2 * text.num_key_value_heads * 128 * 2 == 61_440


def test_kv_blocks_from_the_memory_budget() -> None:
    cfg = EngineConfig()
    b = kv_budget(ARCH, load_hardware("a100-40gb"), cfg, [GUNDAM])
    assert b.capacity_bytes == math.floor(0.9 * 40 * 2**30)
    weights = DeepseekOCRModel(arch=ARCH, workload=GUNDAM.workload(max_new_tokens=1)).metrics().weight_memory_bytes
    assert b.weight_bytes == weights
    assert b.graph_pool_bytes == 2**29  # 0.5 GiB
    free = b.capacity_bytes - weights - b.activation_bytes - b.graph_pool_bytes
    assert b.kv_blocks == free // (256 * 61_440)
    # one more GiB of utilization buys floor(extra bytes / block bytes) blocks more, nothing else changes
    more = kv_budget(ARCH, load_hardware("a100-40gb"), evolve(cfg, gpu_memory_utilization=1.0), [GUNDAM])
    assert more.activation_bytes == b.activation_bytes
    assert more.kv_blocks == (free + math.floor(40 * 2**30) - b.capacity_bytes) // (256 * 61_440)


def test_tensor_parallel_splits_weights_and_pools_the_cache() -> None:
    one = kv_budget(ARCH, load_hardware("h100-sxm"), EngineConfig(), [GUNDAM])
    two = kv_budget(ARCH, load_hardware("h100-sxm"), EngineConfig(tensor_parallel=2), [GUNDAM])
    assert two.weight_bytes == -(-one.weight_bytes // 2)
    assert two.kv_blocks == 2 * two.kv_bytes // (256 * 61_440)
    assert two.kv_blocks > 2 * one.kv_blocks  # each GPU holds half the weights: more room per GPU


def test_allreduce_formula() -> None:
    # 4 GPUs, 8 MB, 900 GB/s bidirectional: 2 * 3/4 * 8e6 / 450e9 + 2 * 3 * 5 us
    assert allreduce_s(8e6, 4, 900.0) == pytest.approx(1.5 * 8e6 / 450e9 + 30e-6)
    assert allreduce_s(8e6, 1, 900.0) == 0.0


def test_step_grid_points_are_the_time_models_answers() -> None:
    cfg = EngineConfig(max_num_seqs=4, max_num_batched_tokens=1024, max_model_len=1024)
    spec = load_hardware("l4")
    timer = time_model("fused")
    st = build_step_times(ARCH, spec, timer, [PageClass(mode="tiny")], cfg)
    step = DeepseekOCRDecodeStep(config=ARCH.language, batch=4, kv_len=512, attention="flash")
    assert st.decode_s(4, 512) == timer.layer_wall_s(step, spec, "decode")
    assert st.decode_s(4, 512) == timer.step_wall_s(step, spec, 0.0)  # fused describes no generate() loop
    layers = DeepseekOCRModel(arch=ARCH, workload=PageClass(mode="tiny").workload(max_new_tokens=1)).stage_layers()
    vision = sum(timer.layer_wall_s(layers[s], spec, s) for s in ("sam", "clip", "projector"))
    assert st.vision_s(0, 1) == pytest.approx(vision, rel=1e-12)
    # between grid points the time is linear: halfway from batch 2 to 4 at KV 512
    assert st.decode_s(3, 512) == pytest.approx((st.decode_s(2, 512) + st.decode_s(4, 512)) / 2, rel=1e-12)


def _point(hw: str, pps: float, *, met: bool = True, gpus: int | None = None, tp: int = 1) -> ServePoint:
    return ServePoint(
        hardware=hw, runtime="fused", mode="mix", mix="base", max_num_seqs=8, tensor_parallel=tp, kv_blocks=10,
        kv_tokens=2560, capacity_pages_per_s=pps / 0.9, capacity_output_tokens_per_s=1.0, load=0.9, pages_per_s=pps,
        pages_per_day=86400 * pps, output_tokens_per_s=1.0, ttft_p50_s=0.1, ttft_p90_s=0.1, ttft_p99_s=0.1,
        tpot_mean_s=0.01, latency_p50_s=1.0, latency_p90_s=1.0, latency_p99_s=1.0, gpu_busy_fraction=1.0,
        preemptions=0, meets_sla=met, gpus=gpus, replicas=gpus,
    )  # fmt: skip


def test_ranking_puts_sla_first_then_gpus_then_throughput_per_gpu() -> None:
    slow_ok = _point("l4", 1.0, gpus=3)
    fast_missed = _point("h200", 9.0, met=False, gpus=1)
    fewer = _point("h100-sxm", 5.0, gpus=1)
    tp_pair = _point("h200", 8.0, gpus=2, tp=2)
    assert rank([slow_ok, fast_missed, tp_pair, fewer]) == [fewer, tp_pair, slow_ok, fast_missed]
    # without a target, pages/s per GPU decides: 8 / 2 = 4 < 5
    free = [evolve(p, gpus=None, replicas=None) for p in (tp_pair, fewer)]
    assert [p.hardware for p in rank(free)] == ["h100-sxm", "h200"]


def test_replicas_for_a_target() -> None:
    assert replicas_for(200_000, pages_per_s=2.0) == 2  # 172,800 per replica per day
    assert replicas_for(172_800, pages_per_s=2.0) == 1


def test_sla_is_checked_at_p90() -> None:
    sla = Sla(ttft_p90_s=2.0, latency_p90_s=30.0)
    assert sla.met(ttft_p90_s=2.0, latency_p90_s=30.0)
    assert not sla.met(ttft_p90_s=2.1, latency_p90_s=10.0)


def test_a_page_served_in_another_mode_takes_its_grid_from_its_page_size() -> None:
    a4 = (1654, 2339)
    assert in_mode(GUNDAM, "base", a4).crop_grid == (1, 1)
    assert in_mode(PageClass(mode="base"), "gundam", a4).crop_grid == (2, 3)
    assert in_mode(GUNDAM, "gundam-m", None).crop_grid == (2, 3)
