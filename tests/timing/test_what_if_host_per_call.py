"""scripts/gpu/what_if_host_per_call.py: its per-kernel column is the committed model (it reproduces the runtime
report's wall-time errors), and its per-call costs spread the measured calls over the host launches."""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from types import ModuleType

import pytest

from llm_perf_opt.kernels.timing import LaunchCosts
from llm_perf_opt.utils.script_module import load_script

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "gpu" / "what_if_host_per_call.py"
RAW = ROOT / "reports" / "validation" / "h100"


def _script() -> ModuleType:
    return load_script(SCRIPT)


def test_per_call_cost_spreads_the_calls_over_the_launches() -> None:
    base = LaunchCosts(launch_s=1e-5, min_kernel_s=1e-6, sync_s=1e-5, measured=True, eager_start_s=9e-5)
    models = _script().host_models(base, per_call_s=2e-5, calls=18, launches=4)
    assert models["per kernel"] is base
    # 18 calls at 20 us over 4 launches: 90 us of host time per launch
    assert models["per torch call"].module_launch_s == pytest.approx(90e-6, rel=1e-12)
    assert models["per torch call"].eager_start_s == 9e-5
    assert models["per torch call, no start"].eager_start_s is None


def test_per_kernel_column_reproduces_the_committed_report() -> None:
    summary = json.loads((RAW / "runtimes-summary.json").read_text())
    errors = _script().errors(RAW)
    for profile in ("hf-sdpa", "hf-eager"):
        committed = summary["profiles"][profile]["wall"]
        absolute = [abs(e) for e in errors[profile]["per kernel"]]
        assert statistics.median(absolute) == pytest.approx(committed["median_abs_error_pct"], rel=1e-9)
        assert max(absolute) == pytest.approx(committed["max_abs_error_pct"], rel=1e-9)
