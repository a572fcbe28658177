"""The serving engine on tiny traces whose every time is derived by hand beside the assertion.

Step times are constants: a decode-only step takes 10 ms, a step with prefill tokens 20 ms, the LM head
nothing; the vision encoder takes what each test states. The engine is the ``v1`` scheduler without host time
unless a test says otherwise.
"""

from __future__ import annotations

import pytest

from llm_perf_opt.serving.config import EngineConfig, OutputTokens, PageClass, PageMix
from llm_perf_opt.serving.engine import percentile, simulate
from llm_perf_opt.serving.host import EngineHost, ProcessorCost
from llm_perf_opt.serving.steps import Grid1, Grid2, StepTimes
from llm_perf_opt.serving.trace import Request, make_trace

DECODE, MIXED = 0.01, 0.02


def _steps(vision: tuple[float, float] = (0.0, 0.0)) -> StepTimes:
    def flat(v: float) -> Grid2:
        return Grid2(xs=(1, 2), ys=(1, 2), values=((v, v), (v, v)))

    return StepTimes(
        decode=flat(DECODE),
        body=flat(MIXED),
        lm_head=Grid1(xs=(1, 2), values=(0.0, 0.0)),
        vision=(Grid1(xs=(1, 2), values=vision),),
    )


def _req(i: int, prefill: int, output: int, arrival: float = 0.0) -> Request:
    return Request(index=i, arrival_s=arrival, page_class=0, prefill_tokens=prefill, output_tokens=output)


def _cfg(**kw: object) -> EngineConfig:
    base: dict[str, object] = {
        "max_num_seqs": 2,
        "max_num_batched_tokens": 16,
        "block_size": 4,
        "preprocess_s_per_page": 0.0,
        "scheduler": "v1",
        "host_loop": "none",
        "vision_per_page": False,
    }
    return EngineConfig(**(base | kw))  # type: ignore[arg-type]


def test_three_requests_continuous_batching() -> None:
    # step 1 (0 -> 0.02): A and B admitted (8 + 8 prefill tokens = the whole budget), both sample a first token;
    #   C waits: the batch holds max_num_seqs = 2.
    # step 2 (-> 0.03): A and B decode; B has its 2 tokens and leaves.
    # step 3 (-> 0.05): A decodes its 3rd token and leaves; C is admitted, its 4-token prefill samples its only token.
    reqs = [_req(0, 8, 3), _req(1, 8, 2), _req(2, 4, 1)]
    r = simulate(reqs, _steps(), config=_cfg(), kv_blocks=100, image_tokens=[4])
    times = [t for x in r.requests for t in (x.first_token_s, x.finish_s)]
    assert times == pytest.approx([0.02, 0.05, 0.02, 0.03, 0.05, 0.05])
    assert r.steps == 3
    assert r.busy_s == pytest.approx(0.05)
    assert r.preemptions == 0
    m = r.metrics()
    # 3 pages: trim drops none (floor(0.1 * 3) = 0); 2 pages finish after the first finish (0.03) up to 0.05
    assert m.pages_per_s == pytest.approx(2 / 0.02)
    assert m.output_tokens_per_s == pytest.approx((3 + 1) / 0.02)  # A's 3 and C's 1 tokens
    assert m.latency_p50_s == pytest.approx(0.05)  # sorted latencies 0.03, 0.05, 0.05: the 2nd
    assert m.ttft_p90_s == pytest.approx(0.05)
    assert m.gpu_busy_fraction == pytest.approx(1.0)


def test_host_time_per_step_delays_every_step_but_keeps_the_gpu_idle() -> None:
    # the same three steps, each ending 5 ms later: 0.025, 0.040, 0.065; the GPU is busy 0.05 of 0.065 s
    reqs = [_req(0, 8, 3), _req(1, 8, 2), _req(2, 4, 1)]
    r = simulate(reqs, _steps(), config=_cfg(step_overhead_s=0.005), kv_blocks=100, image_tokens=[4])
    assert [x.finish_s for x in r.requests] == pytest.approx([0.065, 0.040, 0.065])
    assert r.busy_s == pytest.approx(0.05)
    assert r.metrics().gpu_busy_fraction == pytest.approx(0.05 / 0.065)


def test_chunked_prefill_and_vision() -> None:
    # budget 4 tokens: a 10-token prefill takes chunks of 4, 4, 2; the vision encoder (30 ms) runs in the first
    # step only: 0.02 + 0.03, then 0.02, 0.02 -> first token at 0.09; one decode step more -> 0.10.
    r = simulate(
        [_req(0, 10, 2)],
        _steps(vision=(0.03, 0.05)),
        config=_cfg(max_num_batched_tokens=4),
        kv_blocks=100,
        image_tokens=[4],
    )
    assert (r.requests[0].first_token_s, r.requests[0].finish_s) == pytest.approx((0.09, 0.10))
    assert r.steps == 4


def test_vision_is_batched_across_requests_starting_together() -> None:
    # both pages start in step 1: one vision call at batch 2 (50 ms, not 2 x 30 ms) + the 20 ms forward
    r = simulate(
        [_req(0, 4, 1), _req(1, 4, 1)], _steps(vision=(0.03, 0.05)), config=_cfg(), kv_blocks=100, image_tokens=[4]
    )
    assert [x.finish_s for x in r.requests] == pytest.approx([0.07, 0.07])
    # the vendor's vLLM model encodes them one at a time: 2 x 30 ms + 20 ms
    r = simulate(
        [_req(0, 4, 1), _req(1, 4, 1)], _steps(vision=(0.03, 0.05)), config=_cfg(vision_per_page=True),
        kv_blocks=100, image_tokens=[4],
    )  # fmt: skip
    assert [x.finish_s for x in r.requests] == pytest.approx([0.08, 0.08])


def test_preemption_when_the_cache_runs_out() -> None:
    # 4 blocks of 4 tokens; A and B each need ceil((4 + 9 - 1) / 4) = 3 blocks at the end: both cannot finish
    # together. Step 1 (-> 0.02): both prefill 4 tokens (1 block each). Decode steps of 10 ms: their 5th keys
    # take a 2nd block each (free 0). At 0.06 each holds 8 keys and has 5 tokens; A's next key needs a 3rd
    # block: B (the newest) is preempted, its 2 blocks freed. A decodes alone to its 9th token: 4 steps, 0.10.
    # B is then admitted again: prefill of 4 + 5 = 9 tokens (20 ms, 0.12) samples its 6th token; 3 decode steps
    # -> 0.15.
    r = simulate([_req(0, 4, 9), _req(1, 4, 9)], _steps(), config=_cfg(), kv_blocks=4, image_tokens=[4])
    a, b = r.requests
    assert (a.first_token_s, a.finish_s) == pytest.approx((0.02, 0.10))
    assert (b.first_token_s, b.finish_s) == pytest.approx((0.02, 0.15))
    assert (a.preemptions, b.preemptions) == (0, 1)
    assert r.preemptions == 1
    assert r.busy_s == pytest.approx(0.15)


def test_preprocessing_threads_are_a_separate_resource() -> None:
    # one thread, 0.5 s per page: the pages are ready at 0.5 and 1.0; each then takes one 20 ms step
    r = simulate(
        [_req(0, 4, 1), _req(1, 4, 1)],
        _steps(),
        config=_cfg(preprocess_threads=1, preprocess_s_per_page=0.5),
        kv_blocks=100,
        image_tokens=[4],
    )
    assert [t for x in r.requests for t in (x.ready_s, x.finish_s)] == pytest.approx([0.5, 0.52, 1.0, 1.02])
    assert r.busy_s == pytest.approx(0.04)
    assert r.metrics().gpu_busy_fraction == pytest.approx(0.04 / 1.02)


def test_a_page_that_can_never_fit_is_refused() -> None:
    with pytest.raises(ValueError, match="kv cache: 2 blocks of 4 tokens"):
        simulate([_req(0, 8, 4)], _steps(), config=_cfg(), kv_blocks=2, image_tokens=[4])  # 11 keys: 3 blocks
    with pytest.raises(ValueError, match="max_num_batched_tokens: 16 is less than a page's 20 image tokens"):
        simulate([_req(0, 8, 4)], _steps(), config=_cfg(), kv_blocks=100, image_tokens=[20])


def test_fast_forward_gives_the_same_times_as_single_steps() -> None:
    # one long decode: 1 prefill step + 199 decode steps of 10 ms (advanced together) = 2.01 s
    r = simulate([_req(0, 4, 200)], _steps(), config=_cfg(), kv_blocks=100, image_tokens=[4])
    assert r.requests[0].finish_s == pytest.approx(0.02 + 199 * 0.01)
    assert r.steps == 200


def test_trace_is_seeded_and_has_the_requested_mean() -> None:
    mix = PageMix(classes=(PageClass(mode="base", weight=3), PageClass(mode="tiny")))
    out = OutputTokens(mean=500, cv=0.5)
    a = make_trace(mix, out, n=4000, rate=2.0, seed=7, max_model_len=8192)
    assert a == make_trace(mix, out, n=4000, rate=2.0, seed=7, max_model_len=8192)
    assert a != make_trace(mix, out, n=4000, rate=2.0, seed=8, max_model_len=8192)
    mean_tokens = sum(r.output_tokens for r in a) / len(a)
    assert abs(mean_tokens - 500) < 500 * 0.5 * 4 / len(a) ** 0.5  # 4 standard errors of the mean
    assert abs(a[-1].arrival_s / len(a) - 0.5) < 0.5 * 4 / len(a) ** 0.5  # mean gap 1 / rate
    share = sum(r.page_class == 0 for r in a) / len(a)
    assert abs(share - 0.75) < 4 * (0.75 * 0.25 / len(a)) ** 0.5


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 11)]  # 1..10
    assert (percentile(values, 50), percentile(values, 90), percentile(values, 99)) == (5.0, 9.0, 10.0)


def test_v0_scheduler_prefills_whole_prompts_in_steps_of_their_own() -> None:
    # step 1 (0 -> 0.02): A and B admitted whole (8 + 8 = the budget), a prefill-only step; C waits (2 running).
    # step 2 (-> 0.03): A and B decode; B has its 2 tokens and leaves.
    # step 3 (-> 0.05): C admitted: a step of its prefill only (A waits), C's only token; it leaves.
    # step 4 (-> 0.06): A decodes its 3rd token and leaves (one step later than under v1, which mixes them).
    reqs = [_req(0, 8, 3), _req(1, 8, 2), _req(2, 4, 1)]
    r = simulate(reqs, _steps(), config=_cfg(scheduler="v0", max_model_len=16), kv_blocks=100, image_tokens=[4])
    assert [t for x in r.requests for t in (x.first_token_s, x.finish_s)] == pytest.approx(
        [0.02, 0.06, 0.02, 0.03, 0.05, 0.05]
    )
    assert (r.steps, r.busy_s) == (4, pytest.approx(0.06))
    # the vLLM V0 host loop without a processor: 4 ms after every step's GPU time
    r = simulate(
        reqs, _steps(), config=_cfg(scheduler="v0", max_model_len=16, host_loop="vllm-v0"), kv_blocks=100,
        image_tokens=[4],
    )  # fmt: skip
    assert [x.finish_s for x in r.requests] == pytest.approx([0.076, 0.038, 0.062])


def test_v0_needs_a_budget_of_a_whole_prompt() -> None:
    with pytest.raises(ValueError, match="max_num_batched_tokens: must be >= max_model_len"):
        _cfg(scheduler="v0", max_model_len=32)


def test_logits_processors_overlap_the_forward_and_only_their_excess_delays_a_step() -> None:
    # 20 ms of processor per sampled sequence: hidden by a 20 ms prefill step, 10 ms beyond a 10 ms decode step.
    slow = EngineHost(name="t", step_s=0.0, source="test", processor=ProcessorCost(
        call_s=0.02, per_token_s=0.0, per_position_s=0.0, ngram_size=20, window_size=50, source="test"))  # fmt: skip
    cfg = _cfg(scheduler="v0", max_model_len=16)
    r = simulate([_req(0, 4, 3)], _steps(), config=cfg, kv_blocks=100, image_tokens=[4], host=slow)
    assert r.requests[0].finish_s == pytest.approx(0.02 + 2 * (0.01 + 0.01))
    assert r.busy_s == pytest.approx(0.04)


def test_the_ngram_window_is_scanned_from_ngram_size_output_tokens() -> None:
    # ngram 2, window 3: 2 positions of 10 ms each once a sequence holds 2 output tokens. Tokens sampled at
    # 0.02 (prefill, holds 0), 0.03 (holds 1), then with 2 and 3 held: 20 ms of scan, 10 ms beyond each decode.
    scan = EngineHost(name="t", step_s=0.0, source="test", processor=ProcessorCost(
        call_s=0.0, per_token_s=0.0, per_position_s=0.01, ngram_size=2, window_size=3, source="test"))  # fmt: skip
    cfg = _cfg(scheduler="v0", max_model_len=16)
    r = simulate([_req(0, 4, 4)], _steps(), config=cfg, kv_blocks=100, image_tokens=[4], host=scan)
    assert r.requests[0].finish_s == pytest.approx(0.07)
    assert r.steps == 4
