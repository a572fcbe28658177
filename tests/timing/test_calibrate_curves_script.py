"""scripts/gpu/calibrate_curves.py: flags, the report's shape from a CPU dry run, and the hardware
entry block it writes from a report (which the hardware converter reads back)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from llm_perf_opt.contracts.hardware_converter import HARDWARE_CONVERTER
from llm_perf_opt.data.hardware import CurvePoint, KernelCurves

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "gpu" / "calibrate_curves.py"
MEASURED = (
    "copy", "elementwise", "cast", "cat", "strided", "broadcast", "reduce", "matmul", "attention",
    "attention-mask", "attention-bias", "gemm-m1", "gemm-m8", "gemm-m64", "gemm-m256", "broadcast-permuted",
    "grouped-mm", "grouped-m1", "layer-norm", "gelu", "upsample-linear", "gather", "bicubic-aa", "conv-patch",
    "cast-cold",
)  # fmt: skip


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=300)


def test_help_explains_every_flag() -> None:
    out = _run("--help")
    assert out.returncode == 0
    for flag in ("--output", "--repeats", "--warmup", "--max-bytes", "--from-report", "--dry-run"):
        assert flag in out.stdout


def test_dry_run_measures_every_curve(tmp_path: Path) -> None:
    path = tmp_path / "curves.json"
    out = _run("--dry-run", "--output", str(path))
    assert out.returncode == 0, out.stderr
    report = json.loads(path.read_text(encoding="utf-8"))
    assert report["schema"] == "llm-perf-opt/kernel-curves/v1"
    assert report["dry_run"] is True
    assert set(report["curves"]) == set(MEASURED)
    # dry-run sizes: 1 KiB .. 64 KiB buffers for the copy (7 sizes), n = 16 and 32 for the matrix products
    assert [p["param"] for p in report["curves"]["copy"]] == [2**k for k in range(10, 17)]
    assert [p["work"] for p in report["curves"]["matmul"]] == [2 * 16**3, 2 * 32**3]
    assert [p["bytes"] for p in report["curves"]["gemm-m8"]] == [
        2 * (8 * 16 + 16 * 16 + 8 * 16),
        2 * (8 * 32 + 32 * 32 + 8 * 32),
    ]
    for points in report["curves"].values():
        assert all(p["seconds"] > 0 for p in points)


def _report() -> dict[str, object]:
    def pts(*rows: tuple[int, float]) -> list[dict[str, object]]:
        return [{"param": w, "work": w, "seconds": s, "sets": 1, "kernels": {}} for w, s in rows]

    curves = {name: pts((10, 1e-6), (100, 2e-6)) for name in MEASURED}
    # a size that launched nothing (0 s) and a repeated work are dropped
    curves["strided"] = pts((10, 0.0), (20, 1e-6), (20, 1.1e-6), (200, 3e-6))
    # the one-row product is indexed by the bytes it moves, not its FLOPs
    curves["gemm-m1"] = [
        {"param": n, "work": 2 * n * n, "bytes": 2 * (n + n * n + n), "seconds": 1e-6 * n, "kernels": {}}
        for n in (256, 512)
    ]
    # so is the grouped product with one row per active group (g groups of [n, n] weights)
    curves["grouped-m1"] = [
        {"param": i, "work": 2 * g * n * n, "bytes": 2 * (g * n * n + 2 * g * n), "seconds": 1e-6 * g, "kernels": {}}
        for i, (g, n) in enumerate(((1, 64), (4, 64)))
    ]
    env = {"gpu": "GPU X", "torch": "2.x", "cuda": "13.0", "measured_at": "2026-11-22T00:00:00Z"}
    return {"curves": curves, "environment": env, "method": "test", "repeats": 20}


def test_from_report_writes_a_block_the_hardware_converter_reads(tmp_path: Path) -> None:
    src, out = tmp_path / "report.json", tmp_path / "block.yaml"
    src.write_text(json.dumps(_report()), encoding="utf-8")
    done = _run("--from-report", str(src), "--output", str(out))
    assert done.returncode == 0, done.stderr
    block = yaml.safe_load(out.read_text(encoding="utf-8"))["kernel_curves"]
    curves = HARDWARE_CONVERTER.structure(block, KernelCurves)
    assert curves.strided.points == (CurvePoint(work=20, us=1.0), CurvePoint(work=200, us=3.0))
    # bytes of [1, n] @ [n, n] in bf16: 2 * (n + n^2 + n)
    assert [p.work for p in curves.gemv.points] == [2 * (256 + 256**2 + 256), 2 * (512 + 512**2 + 512)]
    assert [p.us for p in curves.gemv.points] == [256.0, 512.0]
    assert curves.attention_mask.points[-1] == CurvePoint(work=100, us=2.0)
    assert [p.work for p in curves.grouped_gemv.points] == [2 * (64 * 64 + 2 * 64), 2 * (4 * 64 * 64 + 8 * 64)]
    assert curves.grouped_matmul.points[-1] == CurvePoint(work=100, us=2.0)
    assert curves.measured_on == "GPU X; torch 2.x; CUDA 13.0; 2026-11-22"


def test_only_measures_a_subset_and_merge_copies_the_rest(tmp_path: Path) -> None:
    earlier = tmp_path / "earlier.json"
    earlier.write_text(json.dumps(_report()), encoding="utf-8")
    out = tmp_path / "now.json"
    done = _run("--dry-run", "--only", "grouped-mm", "--merge", str(earlier), "--output", str(out))
    assert done.returncode == 0, done.stderr
    report = json.loads(out.read_text(encoding="utf-8"))
    assert set(report["curves"]) == set(MEASURED)
    # measured now: dry-run sizes n = 16 and 32 of 8 groups; the rest copied, each said to come from the earlier report
    assert [p["work"] for p in report["curves"]["grouped-mm"]] == [2 * 8 * 16**3, 2 * 8 * 32**3]
    assert set(report["merged"]) == set(MEASURED) - {"grouped-mm"}
    assert report["merged"]["copy"] == {"from": "earlier.json", "environment": _report()["environment"]}
    assert report["curves"]["copy"] == _report()["curves"]["copy"]  # type: ignore[index]


def test_only_rejects_an_unknown_curve(tmp_path: Path) -> None:
    done = _run("--dry-run", "--only", "copy,memset", "--output", str(tmp_path / "x.json"))
    assert done.returncode == 2
    assert "--only: unknown curve 'memset'; allowed: copy, elementwise" in done.stderr.strip().splitlines()[-1]
    assert not (tmp_path / "x.json").exists()
