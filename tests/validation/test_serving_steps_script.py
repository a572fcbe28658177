"""The serving-steps measuring script's dry run: every code path on a tiny reference on the CPU, no GPU."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from llm_perf_opt.validation.serving_steps import SCHEMA, Plan

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "gpu" / "measure_serving_steps.py"


def test_dry_run_writes_every_point(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    out = tmp_path / "steps.json"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--dry-run", "--output", str(out)], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(out.read_text())
    assert data["schema"] == SCHEMA
    assert data["dry_run"] is True
    plan = Plan.dry()
    decode = [(r["batch"], r["kv_len"]) for r in data["rows"] if r["stage"] == "decode"]
    assert decode == [(b, k) for k in plan.decode_kv_lens for b in plan.decode_batches]
    vision = [r for r in data["rows"] if r["stage"] == "vision"]
    assert [r["pages"] for r in vision] == list(plan.vision_pages)
    # 128-px global view: 2x2 tokens + 2 newlines + separator = 7; 2x2 crops of 64 px: (1*2 + 1) * (1*2) = 6
    assert {r["image_tokens"] for r in vision} == {7 + 6}
    assert all(r["seconds"] is None for r in data["rows"])


def test_the_gpu_plan_covers_the_engine_batches() -> None:
    plan = Plan()
    assert (plan.decode_batches[0], plan.decode_batches[-1], 100 in plan.decode_batches) == (1, 128, True)
    assert (plan.vision_pages[0], plan.vision_pages[-1]) == (1, 32)
    assert plan.vision_workload(1).prefill_tokens == 913  # the Gundam A4 page
