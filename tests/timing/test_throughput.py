"""Per-page time and pages per second / per day."""

from __future__ import annotations

import pytest

from llm_perf_opt.timing.throughput import SECONDS_PER_DAY, PageThroughput, page_throughput


def test_page_throughput_hand_numbers() -> None:
    # batch 8: prefill 0.25 s, 200 decode steps of 12.5 ms = 2.5 s -> 2.75 s per batch of 8 pages
    t = page_throughput(batch=8, ttft_seconds=0.25, decode_step_seconds=[0.0125] * 200)
    assert t.decode_seconds == pytest.approx(2.5, rel=1e-15)
    assert t.seconds_per_batch == pytest.approx(2.75, rel=1e-15)
    assert t.pages_per_second == pytest.approx(8 / 2.75, rel=1e-15)  # 2.909 pages/s
    assert t.pages_per_day == pytest.approx(86_400 * 8 / 2.75, rel=1e-15)  # 251_345 pages/day


def test_batch_one_is_page_latency() -> None:
    t = page_throughput(batch=1, ttft_seconds=0.1, decode_step_seconds=[0.02, 0.03, 0.05])
    assert t.seconds_per_batch == pytest.approx(0.2, rel=1e-15)  # 0.1 + 0.1
    assert t.pages_per_day == pytest.approx(SECONDS_PER_DAY / 0.2, rel=1e-15)  # 432_000


def test_invalid_inputs() -> None:
    with pytest.raises(ValueError, match="batch"):
        PageThroughput(batch=0, ttft_seconds=1.0, decode_seconds=1.0)
    with pytest.raises(ValueError, match="seconds"):
        page_throughput(batch=1, ttft_seconds=0.1, decode_step_seconds=[-0.01])
    with pytest.raises(ValueError, match="no time"):
        _ = PageThroughput(batch=1, ttft_seconds=0.0, decode_seconds=0.0).pages_per_second
