"""The committed aiconfigurator-core extract and its comparison (no aiconfigurator-core needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from llm_perf_opt.data.hardware import CurvePoint, KernelCurve, KernelCurves
from llm_perf_opt.hardware.registry import list_hardware
from llm_perf_opt.validation.aiconfigurator import load_extract, predicted_seconds

REPO = Path(__file__).resolve().parents[2]


def test_extract_names_its_source_and_every_gpu_has_an_entry() -> None:
    data = load_extract(REPO)
    assert data["source"].startswith("aiconfigurator-core 0.12.0")
    assert set(data["gpus"]) <= set(list_hardware())
    for gpu in data["gpus"].values():
        assert gpu["gemm_table"].endswith("gemm_perf.parquet")
        assert all(p["latency_ms"] > 0 for p in gpu["gemm"])


def _flat(us_per_unit: float) -> KernelCurve:
    return KernelCurve(points=(CurvePoint(work=1, us=us_per_unit), CurvePoint(work=1_000_000, us=1e6 * us_per_unit)))


def test_a_gemm_point_is_the_larger_of_its_flop_and_byte_curve_times() -> None:
    byte = _flat(1e-6)  # 1 ps per byte
    flop = _flat(1e-9)  # 1 fs per FLOP
    curves = KernelCurves(
        copy=byte, elementwise=byte, cast=byte, cat=byte, strided=byte, broadcast=byte, reduce=byte, gemv=byte,
        matmul=flop, attention=flop, attention_mask=flop, attention_bias=flop, grouped_matmul=flop,
        grouped_gemv=byte, broadcast_permuted=byte, how_measured="test",
    )  # fmt: skip
    # m=n=k=1024: 2 * 1024^3 FLOPs = 2.147e9 fs = 2.147 us; 3 * 1024^2 * 2 bytes = 6.29e6 ps = 6.29 us
    t = predicted_seconds(curves, "gemm", {"m": 1024, "n": 1024, "k": 1024})
    assert t == pytest.approx(6 * 1024**2 * 1e-18 * 1e6, rel=1e-12)
