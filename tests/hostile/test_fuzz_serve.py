"""Fuzzed ``--mode serve`` command lines: every combination of the serve flags' hostile and ordinary values either
runs (its summary read back identically) or is refused by the contract of :mod:`tests.hostile.harness` (exit 2,
one line, no files). The search's work bound is lowered for these cases (``MAX_SERVE_WORK``) so that a search the
real bound would let run for seconds is cut short and refused the same way, and each case stays quick."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings

from llm_perf_opt.contracts.converter import from_json_text, to_json_text
from llm_perf_opt.runners import serve_mode
from llm_perf_opt.runners.dsocr_analyzer import main as analyzer
from llm_perf_opt.serving.records import ServeSummary
from llm_perf_opt.serving.search import GRID_WORK
from tests.hostile.harness import assert_ran_or_refused, run_bounded
from tests.hostile.inputs import flag_values
from tests.hostile.test_fuzz_inputs import EXAMPLES, FUZZ, PROG

NUMBERS = ["0", "-1", "1", "3", "64", "1e9", "nan", "inf", "", "x", "1,2", "9" * 400]
SERVE_VALUES: dict[str, list[str]] = {
    "--hardware": ["l4", "h100-sxm,l4", "a10g,b200", "bogus", "", ",", "l4,l4"],
    "--runtime": ["fused", "hf-sdpa", "roofline", "hf-eager", "bogus", ""],
    "--page-mix": ["tiny", "tiny=0.5,base=0.5", "base=0", "large=-1", "gundam:99x99", "tiny=1,tiny=1", "a4", "x:y"],
    "--search-modes": ["all", "tiny,base", "bogus", "", "gundam"],
    "--output-tokens-mean": NUMBERS,
    "--output-tokens-cv": NUMBERS,
    "--max-num-seqs": [*NUMBERS, "1,2,4", "4096", ",".join(map(str, range(1, 200)))],
    "--max-num-batched-tokens": NUMBERS,
    "--gpu-memory-utilization": ["0.9", "0", "1", "1.5", "0.01", "nan"],
    "--block-size": NUMBERS,
    "--max-model-len": NUMBERS,
    "--graph-pool-gib": NUMBERS,
    "--preprocess-threads": NUMBERS,
    "--preprocess-seconds": NUMBERS,
    "--tensor-parallel": ["1", "1,2,4,8", "3", "0", "64", "1,1,1"],
    "--scheduler": ["v0", "v1", "v2"],
    "--host-loop": ["vllm-v0-vendor", "vllm-v0", "none", "x"],
    "--step-overhead-ms": NUMBERS,
    "--sla-ttft-p90": NUMBERS,
    "--sla-latency-p90": NUMBERS,
    "--pages-per-day": NUMBERS,
    "--gpu-hour-cost": ["l4=0.8", "l4=-1", "x=1", "l4=nan", "l4"],
    "--requests": NUMBERS,
    "--seed": NUMBERS,
}


@pytest.fixture(autouse=True)
def _small_work_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    """Four step-time grids' worth: the forked cases inherit it."""
    monkeypatch.setattr(serve_mode, "MAX_SERVE_WORK", 4 * GRID_WORK)


@settings(FUZZ, max_examples=max(1, EXAMPLES // 2))
@given(flag_values(SERVE_VALUES, max_size=4, unique=True))
def test_fuzzed_serve_command_line(tmp_path: Path, pairs: list[tuple[str, str]]) -> None:
    out = Path(tempfile.mkdtemp(dir=tmp_path)) / "serve"
    base = {"--hardware": "l4", "--page-mix": "tiny", "--requests": "20", "--output-tokens-mean": "20"}
    base |= dict(pairs)
    argv: list[str | Path] = ["--mode", "serve", "--no-plots", *(p for pair in base.items() for p in pair)]
    argv += ["--output-dir", out]
    outcome = run_bounded(analyzer, argv)
    if assert_ran_or_refused(outcome, prog=PROG, names=[], untouched=[out]):
        text = (out / "summary.json").read_text(encoding="utf-8")
        assert to_json_text(from_json_text(text, ServeSummary)) == text
