"""The split of eager module code's host cost into a cost per kernel and per torch call: both microbenchmark
equations hold exactly on the committed host files, and bad inputs are one-line errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from llm_perf_opt.validation.host_split import MODULE_CASES, PER_CALL_CASE, module_host_split

REPO = Path(__file__).resolve().parents[2]
RUNS = [REPO / "reports" / "validation" / name / "host-overhead.json" for name in ("h100", "h100-repeat")]


def _case(calls: int, kernels: int, wall_us: float) -> dict[str, float]:
    return {"torch_calls_per_forward": calls, "kernels_per_forward": kernels, "wall_s_per_forward": wall_us * 1e-6}


@pytest.mark.parametrize("path", RUNS, ids=lambda p: p.parent.name)
def test_both_microbenchmarks_are_reproduced(path: Path) -> None:
    host: dict[str, Any] = json.loads(path.read_text())
    split = module_host_split(host)
    stack = host[PER_CALL_CASE]
    assert stack["torch_calls_per_forward"] == stack["kernels_per_forward"] == 600
    assert split.call_us + split.launch_us == pytest.approx(stack["wall_s_per_forward"] * 1e6 / 600, rel=1e-12)
    llama = [host[n] for n in MODULE_CASES]
    wall_us = sum(c["wall_s_per_forward"] for c in llama) * 1e6
    calls = sum(c["torch_calls_per_forward"] for c in llama)
    kernels = sum(c["kernels_per_forward"] for c in llama)
    assert split.call_us * calls + split.launch_us * kernels == pytest.approx(wall_us, rel=1e-12)


def test_split_of_round_numbers() -> None:
    # 600 calls and kernels in 15 ms: 25 us together; 1,200 calls and 800 kernels in 26 ms: 15 per call, 10 per kernel
    host = {
        "linear_silu": _case(600, 600, 15000.0),
        "llama_eager": _case(600, 400, 13000.0),
        "llama_sdpa": _case(600, 400, 13000.0),
    }
    split = module_host_split(host)
    assert (split.launch_us, split.call_us) == pytest.approx((10.0, 15.0), rel=1e-12)
    assert split.per_kernel(calls=18, kernels=4) == pytest.approx(10.0 + 15.0 * 4.5, rel=1e-12)


def test_errors() -> None:
    with pytest.raises(ValueError, match="host cases missing: llama_sdpa"):
        module_host_split({"linear_silu": _case(6, 6, 1.0), "llama_eager": _case(6, 4, 1.0)})
    same = {"linear_silu": _case(6, 6, 1.0), "llama_eager": _case(6, 6, 2.0), "llama_sdpa": _case(6, 6, 2.0)}
    with pytest.raises(ValueError, match="same ratio of torch calls to kernels"):
        module_host_split(same)
    # the module code cheaper per kernel than the stack at more calls per kernel: a negative cost per call
    cheap = {"linear_silu": _case(6, 6, 60.0), "llama_eager": _case(9, 6, 30.0), "llama_sdpa": _case(9, 6, 30.0)}
    with pytest.raises(ValueError, match="split not positive"):
        module_host_split(cheap)
