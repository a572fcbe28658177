"""The token loop of a runtime profile (``generate``): what it adds to the time to first token and to every decode
step, by hand from the profile's counts and the hardware entry's host constants."""

from __future__ import annotations

import math

from attrs import evolve

from llm_perf_opt.data.runtime_profile import GenerateLoop
from llm_perf_opt.hardware.registry import load_hardware
from llm_perf_opt.kernels.profiles import load_runtime
from llm_perf_opt.kernels.timing import LaunchCosts, launch_costs
from llm_perf_opt.planning.predict import predict
from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch
from modelmeter.models.deepseek_ocr.workload import OCRWorkload


def test_hf_eager_counts_the_vendor_generate_loop() -> None:
    loop = load_runtime("hf-eager").generate
    assert loop is not None
    # batch 1: the 62 torch calls, 33 kernels and 4 syncs per token counted outside the vendor's modules
    assert (loop.torch_calls + loop.torch_calls_per_row, loop.kernels, loop.syncs(batch=1)) == (62, 33, 4)
    assert load_runtime("fused").generate is None  # a serving engine's scheduler: not generate()
    assert load_runtime("hf-sdpa").generate == loop  # inherited from its base


def _per_token(loop: GenerateLoop, costs: LaunchCosts, *, batch: int, positions: float) -> float:
    """One token's loop time by hand: torch calls (the history walk in torch-call equivalents) at the module
    record's call_s, kernels at its launch_s, both times the no_grad factor (generate() runs under torch.no_grad()),
    syncs at sync_s."""
    calls = loop.torch_call_equivalents(batch=batch, positions=round(positions))
    f = costs.module_no_grad_factor
    return (
        f * (calls * costs.module.call_s + loop.kernels * costs.module.launch_s)
        + loop.syncs(batch=batch) * costs.sync_s
    )


def test_loop_time_adds_to_ttft_and_decode_by_hand() -> None:
    arch, spec = DeepseekOCRArch(), load_hardware("h200")
    profile = load_runtime("hf-eager")
    loop = profile.generate
    assert loop is not None
    bare = evolve(profile, generate=None)
    costs = launch_costs(spec)
    for batch in (1, 4):
        w = OCRWorkload(crop_grid=(2, 3), max_new_tokens=200, batch_size=batch)
        with_loop = predict(arch, w, spec, runtime=profile)
        without = predict(arch, w, spec, runtime=bare)
        first = _per_token(loop, costs, batch=batch, positions=w.prefill_tokens)
        steps = w.decode_steps
        later = steps * _per_token(loop, costs, batch=batch, positions=w.prefill_tokens + (steps + 1) / 2)
        assert math.isclose(with_loop.ttft_seconds - without.ttft_seconds, first, rel_tol=1e-9)
        assert math.isclose(with_loop.decode_seconds - without.decode_seconds, later, rel_tol=1e-9)
        assert math.isclose(with_loop.seconds_per_batch, with_loop.ttft_seconds + with_loop.decode_seconds)
        # the history walk grows with the page: the last token's loop costs more than the first's
        assert _per_token(loop, costs, batch=batch, positions=w.prefill_tokens + steps) > first
