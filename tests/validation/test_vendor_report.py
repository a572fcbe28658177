"""The vendor report's token-gap view: medians, quiet percentiles and the share of noisy gaps."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from llm_perf_opt.hardware.registry import load_hardware
from llm_perf_opt.planning.predict import predict
from llm_perf_opt.validation.vendor_report import (
    EXPERTS_KEY,
    VendorRow,
    describes_routing,
    routing_rows,
    slow_token_share,
    token_gap_rows,
    warm_ttft_rows,
    workload,
)
from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch

RAW = Path(__file__).resolve().parents[2] / "reports/validation/vendor-h200/raw-vendor-3.json"


def _raw(gaps: list[float], *, generated: int = 10) -> dict[str, Any]:
    modes = json.loads(RAW.read_text(encoding="utf-8"))["modes"]
    row = {"mode": "base", "eval_mode": False, "new_tokens_asked": 10, "new_tokens_generated": generated}
    return {"modes": modes, "generate": [{**row, "token_gaps_ms": gaps}]}


def test_gap_rows_compare_the_predicted_token_time_with_the_median_and_tenth_percentile() -> None:
    raw = _raw([40.0, 30.0, 30.0, 31.0, 32.0, 33.0, 34.0, 60.0, 61.0, 62.0])
    spec = load_hardware("h200")
    (median,), (quiet,) = token_gap_rows(raw, spec)
    # sorted: 30 30 31 32 33 34 40 60 61 62 -> median (33 + 34) / 2, 10th percentile the second gap
    assert median.measured_s == pytest.approx(0.0335)
    assert quiet.measured_s == pytest.approx(0.030)
    expected = predict(DeepseekOCRArch(), workload(raw, "base", new_tokens=10), spec, runtime="hf-eager")
    assert median.predicted_s == quiet.predicted_s == expected.tpot_mean_seconds
    assert median.label == "base/10"


def test_rows_that_stopped_early_or_kept_no_gaps_are_left_out() -> None:
    spec = load_hardware("h200")
    assert token_gap_rows(_raw([30.0, 31.0], generated=9), spec) == ([], [])
    assert token_gap_rows(_raw([]), spec) == ([], [])
    assert slow_token_share(_raw([])) is None


def test_slow_share_counts_gaps_beyond_the_factor_over_the_quiet_gap() -> None:
    # 10th percentile 30 ms: 40 (> 39) and the three 60s are slow, 4 of 10
    raw = _raw([40.0, 30.0, 30.0, 31.0, 32.0, 33.0, 34.0, 60.0, 61.0, 62.0])
    assert slow_token_share(raw) == pytest.approx(0.4)
    assert slow_token_share(raw, factor=2.5) == 0.0


def test_routing_rows_compare_experts_run_with_uniform_routing() -> None:
    modes = json.loads(RAW.read_text(encoding="utf-8"))["modes"]
    experts = {"forwards": 11 * 30.0, "torch_calls": 0.0, "syncs": 0.0, "kernels": 0.0, "kernel_us": 0.0}
    raw = {
        "modes": modes,
        "modules": [
            {"stage": "page_prefill", "mode": "tiny", "batch": 1, "modules": {EXPERTS_KEY: experts}},
            {"stage": "decode", "batch": 1, "modules": {EXPERTS_KEY: experts}},
        ],
    }
    # Tiny's prompt is 83 rows: 64 * (1 - (58/64)^83) rounds to all 64 experts; 330 forwards over 11 MoE layers
    assert routing_rows(raw) == [("tiny", 83, 30.0, 64)]


def test_warm_ttft_rows_compare_the_median_with_the_predicted_time_to_first_token() -> None:
    modes = json.loads(RAW.read_text(encoding="utf-8"))["modes"]
    raw = {"modes": modes, "ttft": [{"mode": "gundam-a4", "runs": 7, "ttft_s": 0.2, "ttft_min_s": 0.19}]}
    spec = load_hardware("h200")
    (row,) = warm_ttft_rows(raw, spec)
    expected = predict(DeepseekOCRArch(), workload(raw, "gundam-a4", new_tokens=2), spec, runtime="hf-eager")
    assert (row.label, row.measured_s, row.predicted_s) == ("gundam-a4", 0.2, expected.ttft_seconds)
    assert warm_ttft_rows({"modes": modes}, spec) == []  # runs before the section existed have none


def test_only_the_prefills_of_a_run_routed_by_random_weights_leave_the_band() -> None:
    prefill = VendorRow(label="text_prefill/tiny", kind="text_prefill", predicted_s=1.0, measured_s=1.0)
    decode = VendorRow(label="decode/kv512/b1", kind="decode", predicted_s=1.0, measured_s=1.0)
    old, new = {}, {"config": {"routing": "uniform"}}  # runs before --routing existed routed by their weights
    assert [describes_routing(old, r) for r in (prefill, decode)] == [False, True]
    assert [describes_routing(new, r) for r in (prefill, decode)] == [True, True]
