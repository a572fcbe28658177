"""The serving step-time comparison: what each measured row is compared with, and the rows without a time."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from llm_perf_opt.hardware.registry import load_hardware
from llm_perf_opt.kernels.timing import launch_costs
from llm_perf_opt.serving.host import VENDOR_PROCESSOR
from llm_perf_opt.serving.steps import decode_step_s
from llm_perf_opt.timing.time_model import time_model
from llm_perf_opt.validation.serving_steps_report import RUNTIME, outputs, rows
from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch

RAW = {
    "environment": {"gpu": "NVIDIA H200"},
    "runs": 3,
    "reference": "ref",
    "timing": "events",
    "rows": [
        {"stage": "decode", "batch": 8, "kv_len": 1024, "seconds": 4e-3},
        {"stage": "decode", "batch": 128, "kv_len": 4096, "seconds": None, "skipped": "needs about 91.1 GiB"},
        {"stage": "loop", "batch": 64, "kv_len": 1024, "output_tokens": 500, "seconds": 9e-3, "replay_s": 8e-3,
         "processors_s": 1e-3},
    ],
}  # fmt: skip


def test_each_row_is_compared_with_the_serving_models_own_step() -> None:
    found, missing = rows(RAW, "h200")
    spec, timer, arch = load_hardware("h200"), time_model(RUNTIME), DeepseekOCRArch()
    decode, loop = found
    assert decode.predicted_s == decode_step_s(arch, spec, timer, batch=8, kv_len=1024)
    assert decode.error == pytest.approx(100 * (decode.predicted_s - 4e-3) / 4e-3)
    # the loop: the forward and the 64 sequences' processors (500 output tokens each, all scanning) at once
    step = decode_step_s(arch, spec, timer, batch=64, kv_len=1024)
    procs = (
        64 * VENDOR_PROCESSOR.call_s
        + 64 * 500 * VENDOR_PROCESSOR.per_token_s
        + 64 * 31 * VENDOR_PROCESSOR.per_position_s
    )
    assert loop.predicted_s == pytest.approx(max(step, procs) + launch_costs(spec).sync_s)
    assert [m["kv_len"] for m in missing] == [4096]


def test_the_report_lists_points_without_a_time(tmp_path: Path) -> None:
    raw = tmp_path / "serving-steps.json"
    raw.write_text(json.dumps(RAW))
    files = outputs(raw, tmp_path / "report.md", "h200")
    report = files[tmp_path / "report.md"]
    assert "- decode (batch 128, kv_len 4096): needs about 91.1 GiB" in report
    summary = json.loads(files[tmp_path / "serving-steps-summary.json"])
    assert summary["stages"]["decode"]["points"] == 1
    assert summary["stages"]["loop"]["met"] is None  # no target: it checks the host model
    assert summary["missing"][0]["skipped"] == "needs about 91.1 GiB"
