"""scripts/gpu/calibrate.py: flags, and the JSON report's shape from a CPU dry run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from llm_perf_opt.contracts.hardware_converter import HARDWARE_CONVERTER
from llm_perf_opt.data.hardware import Calibration

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "gpu" / "calibrate.py"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=120)


def test_help_explains_every_flag() -> None:
    out = _run("--help")
    assert out.returncode == 0
    flags = [
        "--output", "--dry-run", "--device", "--seed", "--skip", "--matmul-size", "--matmul-repeats",
        "--copy-gib", "--copy-repeats", "--launch-kernels", "--launch-repeats", "--sync-repeats",
        "--warmup-ms", "--warmup-iters",
    ]  # fmt: skip
    for flag in flags:
        assert flag in out.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--matmul-repeats", "5"], "--matmul-repeats must be >= 20"),
        (["--copy-gib", "0.5"], "--copy-gib must be >= 1"),
    ],
)
def test_bad_flags_are_refused(tmp_path: Path, args: list[str], message: str) -> None:
    out = _run("--output", str(tmp_path / "x.json"), *args)
    assert out.returncode == 2
    assert message in out.stderr


def test_dry_run_report_shape(tmp_path: Path) -> None:
    path = tmp_path / "cal.json"
    out = _run("--dry-run", "--output", str(path))
    assert out.returncode == 0, out.stderr
    report = json.loads(path.read_text(encoding="utf-8"))
    assert report["schema"] == "llm-perf-opt/calibration/v1"
    assert report["dry_run"] is True
    env = report["environment"]
    for key in ("gpu_name", "driver_version", "torch_version", "cuda_version"):
        assert key in env
    m = report["measurements"]
    assert set(m) == {"matmul", "copy", "launch", "sync"}
    assert m["matmul"]["flops_per_run"] == 2 * 128**3  # dry-run size 128: 4_194_304
    assert m["matmul"]["runs"] == 50
    assert m["matmul"]["check_rel_error_vs_float64"] < 2e-2
    assert m["copy"]["bytes_moved_per_run"] == 2 * 8 * 2**20  # 8 MiB read + 8 MiB written
    for block in (m["matmul"], m["copy"], m["sync"]):
        assert block["how_measured"]
    assert m["launch"]["how_measured_host"]
    assert m["launch"]["graph_per_kernel"] is None  # CUDA graphs need a GPU
    # the calibration block is a valid database entry
    cal = HARDWARE_CONVERTER.structure(report["calibration"], Calibration)
    assert cal.measured is True
    assert cal.matmul_tflops is not None
    assert cal.matmul_tflops > 0
    assert cal.min_kernel_us is None


def test_skipping_copy_leaves_no_calibration_block(tmp_path: Path) -> None:
    path = tmp_path / "cal.json"
    out = _run("--dry-run", "--skip", "copy", "launch", "sync", "--output", str(path))
    assert out.returncode == 0, out.stderr
    report = json.loads(path.read_text(encoding="utf-8"))
    assert set(report["measurements"]) == {"matmul"}
    assert report["calibration"] is None
