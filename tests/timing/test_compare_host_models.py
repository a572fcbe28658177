"""scripts/gpu/compare_host_models.py: its committed-model column is the runtime report's wall-time error on both
leases, and its one-term models carry the run's own host costs."""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from types import ModuleType

import pytest

from llm_perf_opt.kernels.timing import LaunchCosts
from llm_perf_opt.utils.script_module import load_script

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "gpu" / "compare_host_models.py"
RAWS = [ROOT / "reports" / "validation" / name for name in ("h100", "h100-repeat", "h100-check")]


def _script() -> ModuleType:
    return load_script(SCRIPT)


def test_one_term_models_drop_the_other_cost() -> None:
    lease = LaunchCosts(
        launch_s=1e-5, min_kernel_s=1e-6, sync_s=1e-5, measured=True, module_launch_s=12e-6, module_call_s=13e-6
    )
    models = _script().host_models(lease, per_kernel_us=33.0, per_call_us=20.0)
    assert models["per kernel and per call"] is lease
    kernel_only, call_only = models["per kernel only"], models["per torch call only"]
    assert kernel_only.module_launch_s == pytest.approx(33e-6, rel=1e-12)
    assert kernel_only.module_call_s == 0.0
    assert call_only.module_launch_s == 0.0
    assert call_only.module_call_s == pytest.approx(20e-6, rel=1e-12)


@pytest.mark.parametrize("raw", RAWS, ids=lambda p: p.name)
def test_committed_column_reproduces_the_runtime_report(raw: Path) -> None:
    summary = json.loads((raw / "runtimes-summary.json").read_text())
    errors = _script().errors(raw)
    for profile in ("hf-sdpa", "hf-eager"):
        committed = summary["profiles"][profile]["wall"]
        absolute = [abs(e) for e in errors[profile]["per kernel and per call"]]
        points = summary["profiles"][profile]["points"]
        assert errors[profile]["per kernel and per call"] == pytest.approx(
            [r["wall_error_pct"] for r in points], rel=1e-9
        )
        assert statistics.median(absolute) == pytest.approx(committed["median_abs_error_pct"], rel=1e-9)
        assert max(absolute) == pytest.approx(committed["max_abs_error_pct"], rel=1e-9)
