"""Per-workload predictions: memory, throughput and GPU counts checked by hand on the standard page."""

from __future__ import annotations

import math
import re
import subprocess
import sys

import pytest

from llm_perf_opt.hardware.rates import achievable_rates
from llm_perf_opt.hardware.registry import load_hardware
from llm_perf_opt.planning.predict import predict, predict_many
from llm_perf_opt.timing.roofline import tree_times
from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch
from modelmeter.models.deepseek_ocr.layers.core import STAGES, DeepseekOCRModel
from modelmeter.models.deepseek_ocr.layers.core.decode import DeepseekOCRDecodeStep
from modelmeter.models.deepseek_ocr.workload import OCRWorkload

ARCH = DeepseekOCRArch()
# standard A4 page: Gundam, 2 crops across x 3 down, 9 prompt tokens, 1000 new tokens
# image tokens 16*17 + 1 + (10*2 + 1) * (10*3) = 273 + 630 = 903; prefill 1 + 9 + 903 = 913
A4 = OCRWorkload(crop_grid=(2, 3), prompt_tokens=9, max_new_tokens=1000)


def test_memory_by_hand_on_a100_40gb() -> None:
    p = predict(ARCH, A4, "a100-40gb")
    m = p.memory
    assert (p.image_tokens, p.prefill_tokens, p.decode_steps) == (903, 913, 999)
    assert m.weight_bytes == 3_336_106_240 * 2  # every parameter in bf16 = 6_672_212_480
    # KV cache: 12 layers x (K and V) x 1280 (10 heads x 128) x 2 bytes x (913 + 999) tokens
    assert m.kv_cache_bytes == 12 * 2 * 1280 * 2 * 1912 == 117_473_280
    # largest kernel working set: the fp32 cast of the LM head's logits over all 913 prefill
    # positions reads bf16 and writes fp32: 913 * 129280 * (2 + 4)
    assert m.peak_activation_bytes == 913 * 129_280 * 6 == 708_195_840
    assert m.total_bytes == 6_672_212_480 + 117_473_280 + 708_195_840
    assert m.capacity_bytes == math.floor(0.9 * 40 * 2**30) == 38_654_705_664
    # (38_654_705_664 - 6_672_212_480) // (117_473_280 + 708_195_840) = 31_982_493_184 // 825_669_120 = 38
    assert m.max_batch == 38
    assert m.fits


def test_max_batch_agrees_with_the_model_built_at_that_batch() -> None:
    # the footprint is affine in the batch: the model built at max_batch fits, one more page does not
    at_max = predict(ARCH, OCRWorkload(crop_grid=(2, 3), batch_size=38), "a100-40gb")
    over = predict(ARCH, OCRWorkload(crop_grid=(2, 3), batch_size=39), "a100-40gb")
    assert at_max.memory.fits
    assert not over.memory.fits
    assert at_max.memory.max_batch == over.memory.max_batch == 38


def test_latency_throughput_and_gpus() -> None:
    p = predict(ARCH, OCRWorkload(crop_grid=(2, 3), batch_size=4), "h100-sxm", target_pages_per_day=1_000_000)
    s = {x.stage: x.seconds for x in p.stages}
    assert p.vision_seconds == s["sam"] + s["clip"] + s["projector"]
    assert p.ttft_seconds == p.vision_seconds + s["prefill"] + s["lm_head"]
    assert p.decode_seconds == s["decode"]
    assert p.seconds_per_batch == p.ttft_seconds + p.decode_seconds
    assert p.pages_per_second == 4 / p.seconds_per_batch
    assert p.pages_per_day == 86_400 * p.pages_per_second
    assert p.tpot_mean_seconds == p.decode_seconds / 999
    # the last decode step is the slowest: its KV cache is the longest
    assert p.tpot_final_seconds > p.tpot_mean_seconds
    assert p.gpus_needed == math.ceil(1_000_000 / p.pages_per_day)


def test_final_step_is_the_decode_stages_last_step() -> None:
    p = predict(ARCH, A4, "l4")
    decode = DeepseekOCRModel(arch=ARCH, workload=A4).stage_layers()["decode"]
    last = decode.cached_children()[0]
    assert last.name == "steps[last]"
    assert isinstance(last.layer, DeepseekOCRDecodeStep)
    assert last.layer.kv_len == 913 + 999
    assert p.tpot_final_seconds == tree_times(last.layer, [achievable_rates(load_hardware("l4"))])[0].seconds


def test_no_decode_step_uses_the_next_step() -> None:
    p = predict(ARCH, OCRWorkload(crop_grid=(2, 3), max_new_tokens=1), "l4")
    assert p.decode_steps == 0
    assert p.decode_seconds == 0.0
    assert p.tpot_mean_seconds == p.tpot_final_seconds > 0
    assert p.memory.kv_cache_bytes == 12 * 2 * 1280 * 2 * 913  # the prefill's cache


def test_stage_metrics_are_the_models() -> None:
    p = predict(ARCH, A4, "h100-sxm")
    layers = DeepseekOCRModel(arch=ARCH, workload=A4).stage_layers()
    assert [s.stage for s in p.stages] == list(STAGES)
    for s in p.stages:
        m = layers[s.stage].metrics()
        assert (s.forward_tensor_core_flops, s.forward_cuda_core_flops, s.forward_io_bytes, s.params) == (
            m.forward_tensor_core_flops,
            m.forward_cuda_core_flops,
            m.forward_io_bytes,
            m.params,
        )


def test_batching_raises_throughput_and_faster_gpus_are_faster() -> None:
    one, eight = (predict(ARCH, OCRWorkload(crop_grid=(2, 3), batch_size=b), "h100-sxm") for b in (1, 8))
    assert eight.pages_per_day > one.pages_per_day
    assert eight.ttft_seconds > one.ttft_seconds
    h100, l4 = predict_many(ARCH, A4, ["h100-sxm", "l4"])
    assert h100.seconds_per_batch < l4.seconds_per_batch
    assert (h100.hardware, l4.hardware) == ("h100-sxm", "l4")


def test_many_gpus_at_once_equal_one_at_a_time() -> None:
    together = predict_many(ARCH, A4, ["l4", "a100-40gb", "h200"], target_pages_per_day=5e5)
    alone = [predict(ARCH, A4, n, target_pages_per_day=5e5) for n in ("l4", "a100-40gb", "h200")]
    assert together == alone


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"hardware": "h100"}, "unknown hardware 'h100'; known: a100-40gb"),
        ({"memory_utilization": 0.0}, "memory_utilization: must be a fraction in (0, 1]"),
        ({"target_pages_per_day": -1.0}, "target_pages_per_day: must be a finite number > 0"),
        ({"min_kernel_seconds": -1.0}, "min_kernel_seconds: must be >= 0"),
    ],
)
def test_bad_inputs(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"hardware": "l4", **kwargs}
    hardware = args.pop("hardware")
    with pytest.raises(ValueError, match=re.escape(message)) as err:
        predict(ARCH, A4, hardware, **args)  # type: ignore[arg-type]
    assert "\n" not in str(err.value)


def test_planning_imports_neither_torch_nor_matplotlib() -> None:
    code = (
        "import sys\n"
        "import llm_perf_opt.planning.predict, llm_perf_opt.planning.sweep, llm_perf_opt.planning.what_if\n"
        "import llm_perf_opt.planning.summary\n"
        "print(sorted(m for m in ('torch', 'matplotlib') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stderr


def test_paper_claim_needs_batching_on_a100_40gb() -> None:
    # docs/capacity-planning.md: with 1,000 new tokens per page no mode reaches 200k pages/day at
    # batch 1 (999 memory-bound decode steps per page), the A4 page in Gundam 3x2 does at batch 16
    # and still fits in 0.9 x 40 GiB
    for grid in ((1, 1), (2, 3)):
        one = predict(ARCH, OCRWorkload(crop_grid=grid, crop_mode=grid != (1, 1)), "a100-40gb")
        assert one.pages_per_day < 200_000
    sixteen = predict(ARCH, OCRWorkload(crop_grid=(2, 3), batch_size=16), "a100-40gb")
    assert sixteen.pages_per_day > 200_000
    assert sixteen.memory.fits
