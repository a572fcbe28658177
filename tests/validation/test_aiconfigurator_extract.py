"""The committed aiconfigurator-core extract and its comparison (no aiconfigurator-core needed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from llm_perf_opt.data.hardware import CurvePoint, KernelCurve, KernelCurves
from llm_perf_opt.hardware.registry import list_hardware
from llm_perf_opt.validation.aiconfigurator import EXTRACT, GpuComparison, PointError, load_extract, predicted_seconds
from llm_perf_opt.validation.portable_report import family_transfer

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


def test_attention_carried_within_a_kernel_family_by_hand(tmp_path: Path) -> None:
    # Two GPUs that ran the same kernel, one that ran another. Point (1, 256, 16, 64): a measured 10 us, predicted
    # 5 us; b measured 20 us, predicted 8 us. a from b: 20 us x 5 / 8 = 12.5 us against 10 us: +25 %; b from a:
    # 10 us x 8 / 5 = 16 us against 20 us: -20 %. c (another kernel) has no partner, so no row.
    extract = tmp_path / EXTRACT
    extract.parent.mkdir(parents=True)
    point = {"batch": 1, "isl": 256, "heads": 16, "head_dim": 64}
    gpus = {
        name: {"gemm": [], "attention": [{**point, "kernel_source": kernel, "latency_ms": 0.0}]}
        for name, kernel in (("a", "fa2"), ("b", "fa2"), ("c", "fa3"))
    }
    extract.write_text(json.dumps({"gpus": gpus}), encoding="utf-8")

    def comp(name: str, measured_us: float, predicted_us: float) -> GpuComparison:
        p = PointError(
            kind="attention",
            key=(1, 256, 16, 64),
            label="x",
            measured_s=measured_us * 1e-6,
            predicted_s=predicted_us * 1e-6,
            scaling_error_pct=None,
        )
        return GpuComparison(hardware=name, basis="portable", points=(p,))

    rows = family_transfer(tmp_path, [comp("a", 10.0, 5.0), comp("b", 20.0, 8.0), comp("c", 1.0, 1.0)])
    assert [(r["hardware"], r["partner"]) for r in rows] == [("a", "b"), ("b", "a")]
    assert rows[0]["median_error_pct"] == pytest.approx(25.0)
    assert rows[1]["median_error_pct"] == pytest.approx(-20.0)
    assert rows[1]["median_abs_error_pct"] == pytest.approx(20.0)
