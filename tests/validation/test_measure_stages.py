"""The stage-measuring module (llm_perf_opt.validation.measure_stages, run by scripts/gpu/measure_stages.py):
importable without torch, its flags, and no CUDA device is one line, exit 2, nothing written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from llm_perf_opt.validation import measure_stages
from llm_perf_opt.validation.points import GRAPH_VARIANT, MEASURED_MODES

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "gpu" / "measure_stages.py"


def test_importing_the_module_imports_no_torch() -> None:
    code = "import sys, llm_perf_opt.validation.measure_stages\nsys.exit('torch' in sys.modules)\n"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_flags_and_their_defaults(tmp_path: Path) -> None:
    args = measure_stages.parse_args(["--output", str(tmp_path)])
    assert (args.output, args.profiles, args.runs, args.profile_runs, args.graphs) == (
        tmp_path,
        "fused,hf-eager",
        30,
        3,
        True,
    )
    assert args.modes.split(",") == list(MEASURED_MODES)
    assert measure_stages.parse_args(["--output", str(tmp_path), "--no-graphs"]).graphs is False
    assert set(measure_stages.PROFILES) == {"fused", "hf-eager"}
    assert GRAPH_VARIANT not in measure_stages.PROFILES


def test_no_cuda_device_is_one_line_and_writes_nothing(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present: the command would measure")
    out = tmp_path / "raw"
    run = subprocess.run(
        [sys.executable, str(SCRIPT), "--output", str(out)], capture_output=True, text=True, check=False
    )
    assert run.returncode == 2
    says = "measure_stages.py: error: no CUDA device visible to torch (the stages are timed on a GPU)"
    assert run.stderr.strip() == says
    assert not out.exists()
