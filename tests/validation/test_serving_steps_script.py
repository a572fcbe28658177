"""The serving-steps measuring script's dry run: every code path on a tiny reference on the CPU, no GPU."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from llm_perf_opt.validation.serving_steps import SCHEMA, Plan, decode_bytes, vision_bytes
from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch

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
    loop = [(r["batch"], r["kv_len"]) for r in data["rows"] if r["stage"] == "loop"]
    assert loop == [(b, plan.loop_kv_len) for b in plan.decode_batches]
    assert all(r["seconds"] is None for r in data["rows"])
    assert not any("skipped" in r for r in data["rows"])


def test_memory_bounds() -> None:
    arch = DeepseekOCRArch()
    # per token 12 layers x (K, V) x 10 heads x 128 x 2 bytes = 61,440 B; past 4,095 tokens, two steps of 4,096;
    # fp32 logits twice (128 x 129,280 x 4 B each), 1 GiB margin
    expected = 61_440 * 128 * (4095 + 2 * 4096) + 2 * 128 * 129_280 * 4 + 2**30
    assert decode_bytes(arch, batch=128, kv_len=4096) == expected
    assert vision_bytes(8, []) is None  # nothing measured yet: the first point runs
    assert vision_bytes(8, [(1, 2 * 2**30), (2, 3 * 2**30)]) == 16 * 2**30 + 2**30  # 2 GiB/page, the larger share


def test_the_gpu_plan_covers_the_engine_batches() -> None:
    plan = Plan()
    assert (plan.decode_batches[0], plan.decode_batches[-1], 100 in plan.decode_batches) == (1, 128, True)
    assert (plan.vision_pages[0], plan.vision_pages[-1]) == (1, 32)
    assert plan.vision_workload(1).prefill_tokens == 913  # the Gundam A4 page
