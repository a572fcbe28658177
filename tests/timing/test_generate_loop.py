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


def _per_token(
    loop: GenerateLoop, costs: LaunchCosts, *, batch: int, positions: float, held: float, image_rows: int
) -> float:
    """One token's loop time by hand: torch calls (the history walk, its copies for the run of ``image_rows``
    equal <image> ids, and the streamer's ``held`` tokens in torch-call equivalents) at the module record's
    call_s, kernels at its launch_s, both times the no_grad factor (generate() runs under torch.no_grad()), syncs
    at sync_s."""
    assert loop.ngram_size is not None
    c = image_rows - loop.ngram_size + 1  # n-grams inside the run: one key, its list copied and grown each time
    copies = sum(range(1, c + 1))
    history = batch * (loop.history_calls_per_position * round(positions) + loop.history_calls_per_repeat * copies)
    streamer = loop.streamer_calls_per_cached_token * held if batch == 1 else 0.0  # TextStreamer takes batch 1
    calls = loop.torch_calls + loop.torch_calls_per_row * batch + history + streamer
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
        # the streamer holds the first token alone, then tokens 2 .. steps + 1 (never flushed): (steps + 3) / 2 on
        # average over the decode steps
        first = _per_token(loop, costs, batch=batch, positions=w.prefill_tokens, held=1, image_rows=w.image_tokens)
        steps = w.decode_steps
        mean = w.prefill_tokens + (steps + 1) / 2
        later = steps * _per_token(
            loop, costs, batch=batch, positions=mean, held=(steps + 3) / 2, image_rows=w.image_tokens
        )
        assert math.isclose(with_loop.ttft_seconds - without.ttft_seconds, first, rel_tol=1e-9)
        assert math.isclose(with_loop.decode_seconds - without.decode_seconds, later, rel_tol=1e-9)
        assert math.isclose(with_loop.seconds_per_batch, with_loop.ttft_seconds + with_loop.decode_seconds)
        # the history walk and the streamer grow with the page: the last token's loop costs more than the first's
        last = _per_token(
            loop, costs, batch=batch, positions=w.prefill_tokens + steps, held=steps + 1, image_rows=w.image_tokens
        )
        assert last > first


def test_the_streamer_costs_its_held_tokens_and_eval_mode_pages_have_none() -> None:
    # hf-eager's loop: 0.78 torch-call equivalents per held token, never flushed (the measured stand-in's text)
    loop = load_runtime("hf-eager").generate
    assert loop is not None
    assert (loop.streamer_calls_per_cached_token, loop.streamer_flush_tokens) == (0.78, None)
    arch, spec = DeepseekOCRArch(), load_hardware("h200")
    w = OCRWorkload(crop_grid=(2, 3), max_new_tokens=1000)
    eager = load_runtime("hf-eager")
    quiet = evolve(eager, generate=evolve(loop, streamer_calls_per_cached_token=0.0))
    lines = evolve(eager, generate=evolve(loop, streamer_flush_tokens=20))
    costs = launch_costs(spec)
    call_s = costs.module_no_grad_factor * costs.module.call_s
    steps = w.decode_steps
    base = predict(arch, w, spec, runtime=quiet).decode_seconds
    # never flushed: the decode steps hold (steps + 3) / 2 tokens on average
    never = predict(arch, w, spec, runtime=eager).decode_seconds - base
    assert math.isclose(never, steps * 0.78 * (steps + 3) / 2 * call_s, rel_tol=1e-9)
    # flushed every 20 tokens: tokens 2 .. 1000 hold 2, ..., 20, 1, ..., 20 (49 full lines after the first), 1 .. 20
    held = (sum(range(2, 21)) + 49 * sum(range(1, 21))) / 999
    flushed = predict(arch, w, spec, runtime=lines).decode_seconds - base
    assert math.isclose(flushed, steps * 0.78 * held * call_s, rel_tol=1e-9)


def test_the_ngram_processor_copies_its_list_for_a_run_of_image_ids() -> None:
    # hf-eager: n = 20, 0.00045 torch-call equivalents per copied element (probe-ngram-repeats.json)
    loop = load_runtime("hf-eager").generate
    assert loop is not None
    assert (loop.ngram_size, loop.history_calls_per_repeat) == (20, 0.00045)
    # a run of 19 equal ids holds no whole n-gram; 20 hold one (one copy); 22 hold 3 of one key (1 + 2 + 3 copies)
    assert [loop.repeat_copies(r) for r in (0, 19, 20, 22)] == [0, 0, 1, 6]
    # a Gundam A4 page (2 x 3 crops): 903 image rows, c = 884 n-grams of one key, 884 x 885 / 2 copies a token
    w = OCRWorkload(crop_grid=(2, 3), max_new_tokens=1000)
    assert (w.image_tokens, loop.repeat_copies(w.image_tokens)) == (903, 391_170)
    # the eval_mode size (35) copies fewer: c = 869
    assert evolve(loop, ngram_size=35).repeat_copies(903) == 869 * 870 // 2
    # what the term adds to a decode step on the H200 entry, by hand: copies x 0.00045 x the no_grad call cost
    spec, arch = load_hardware("h200"), DeepseekOCRArch()
    costs = launch_costs(spec)
    call_s = costs.module_no_grad_factor * costs.module.call_s
    profile = load_runtime("hf-eager")
    none = evolve(profile, generate=evolve(loop, history_calls_per_repeat=0.0))
    added = predict(arch, w, spec, runtime=profile).decode_seconds - predict(arch, w, spec, runtime=none).decode_seconds
    assert math.isclose(added, w.decode_steps * 391_170 * 0.00045 * call_s, rel_tol=1e-9)
    assert 1.0e-3 < added / w.decode_steps < 1.3e-3  # about 1.1 ms a token on the H200 (5.9 us x 1.06 a call)


def test_the_last_token_pays_the_run_of_image_ids_too() -> None:
    # tpot_final (the last decode step with its loop) carries the same copies per token as the mean does
    spec, arch = load_hardware("h200"), DeepseekOCRArch()
    profile = load_runtime("hf-eager")
    loop = profile.generate
    assert loop is not None
    none = evolve(profile, generate=evolve(loop, history_calls_per_repeat=0.0))
    costs = launch_costs(spec)
    call_s = costs.module_no_grad_factor * costs.module.call_s
    for crop_grid, batch in (((2, 3), 1), ((1, 1), 4)):
        w = OCRWorkload(crop_grid=crop_grid, max_new_tokens=50, batch_size=batch)
        with_copies = predict(arch, w, spec, runtime=profile).tpot_final_seconds
        without = predict(arch, w, spec, runtime=none).tpot_final_seconds
        expected = batch * loop.repeat_copies(w.image_tokens) * 0.00045 * call_s
        assert math.isclose(with_copies - without, expected, rel_tol=1e-9)


def test_generate_clones_the_prefill_logits_so_the_peak_holds_two_fp32_copies() -> None:
    # transformers 4.46's _sample clones outputs.logits whole: a Gundam A4 page's 913 positions x 129,280 fp32
    # logits (472,130,560 bytes) are alive twice, above the LM head's own bf16 + fp32 working set
    arch, spec = DeepseekOCRArch(), load_hardware("h200")
    w = OCRWorkload(crop_grid=(2, 3), max_new_tokens=256)
    fp32 = w.prefill_tokens * 129_280 * 4
    assert fp32 == 472_130_560
    eager = predict(arch, w, spec, runtime="hf-eager").memory
    roofline = predict(arch, w, spec).memory
    assert eager.peak_activation_bytes == 2 * fp32
    assert roofline.peak_activation_bytes == fp32 * 6 // 4  # bf16 logits and their fp32 cast, no token loop
    assert eager.total_bytes - roofline.total_bytes == fp32 // 2
    # a Base page's peak stays SAM's global attention (the logits of 283 positions are smaller)
    base = OCRWorkload(base_size=1024, image_size=1024, crop_mode=False)
    assert predict(arch, base, spec, runtime="hf-eager").memory == predict(arch, base, spec).memory
