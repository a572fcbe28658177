"""The portable kernel-time model (llm_perf_opt.hardware.portable): its arithmetic, by hand, and its wiring."""

from __future__ import annotations

import itertools
import math

import pytest
from attrs import evolve

from llm_perf_opt.data.hardware import CALIBRATION_CONSTANTS, CurvePoint, KernelCurve, with_constants
from llm_perf_opt.data.kernel_kinds import CURVE_NAMES
from llm_perf_opt.data.planning import BASIS_CALIBRATED, BASIS_PORTABLE
from llm_perf_opt.hardware.portable import (
    CurveShape,
    asymptotic_rate,
    calibrated_gpus,
    curve_shape,
    host_defaults,
    host_spread,
    instantiate,
    learned_shape,
    portable_curves,
    split_issue,
    time_basis,
)
from llm_perf_opt.hardware.registry import list_hardware, load_hardware
from llm_perf_opt.kernels.timing import launch_costs
from llm_perf_opt.planning.predict import predict
from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch
from modelmeter.models.deepseek_ocr.workload import OCRWorkload

REF = KernelCurve(
    points=(CurvePoint(work=2_000, us=4.0), CurvePoint(work=20_000, us=5.0), CurvePoint(work=200_000, us=20.0))
)
"""A made-up reference curve: 4 us fixed cost, 200,000 units in 20 us at the end (1e10 units/s)."""


def test_curve_shape_by_hand() -> None:
    # peak 2e10/s, clock 1,500 MHz: e = 1e10 / 2e10 = 0.5; tau = 4 us = 6,000 cycles; R tau = 1e10 * 4e-6 = 40,000
    s = curve_shape(REF, peak_per_s=2e10, clock_mhz=1500.0)
    assert s.efficiency == pytest.approx(0.5, rel=1e-12)
    assert s.fixed_cycles == pytest.approx(6000.0, rel=1e-12)
    assert s.u == pytest.approx((0.05, 0.5, 5.0), rel=1e-12)
    assert s.y == pytest.approx((1.0, 1.25, 5.0), rel=1e-12)


def test_instantiate_by_hand() -> None:
    s = curve_shape(REF, peak_per_s=2e10, clock_mhz=1500.0)
    # target: peak 8e10/s, clock 3,000 MHz -> tau = 6,000 / 3e9 = 2 us, R = 0.5 * 8e10 = 4e10, R tau = 80,000
    c = instantiate(s, peak_per_s=8e10, clock_mhz=3000.0)
    assert [p.work for p in c.points] == [4_000, 40_000, 400_000]
    assert [p.us for p in c.points] == pytest.approx([2.0, 2.5, 10.0], rel=1e-12)
    # its asymptote is e of the target's peak
    assert c.points[-1].work / (c.points[-1].us * 1e-6) == pytest.approx(0.5 * 8e10, rel=1e-12)


def test_no_clock_keeps_the_reference_fixed_cost_at_the_reference_clock() -> None:
    s = CurveShape(efficiency=0.5, fixed_cycles=1980.0, u=(1.0, 10.0), y=(1.0, 10.0))
    c = instantiate(s, peak_per_s=1e12, clock_mhz=None)  # 1,980 cycles at 1,980 MHz = 1 us
    assert c.points[0].us == pytest.approx(1.0, rel=1e-12)


def test_learned_shape_geometric_means_by_hand() -> None:
    a = CurveShape(efficiency=0.4, fixed_cycles=1000.0, u=(1.0, 4.0), y=(1.0, 4.0))
    b = CurveShape(efficiency=0.9, fixed_cycles=9000.0, u=(2.0, 4.0), y=(1.0, 2.0))
    s = learned_shape([a, b])
    assert s.efficiency == pytest.approx(0.6, rel=1e-12)  # sqrt(0.4 * 0.9)
    assert s.fixed_cycles == pytest.approx(3000.0, rel=1e-12)  # sqrt(1000 * 9000)
    assert s.u == (1.0, 2.0, 4.0)
    # at u = 2: a's y = 2 (log-log between (1, 1) and (4, 4)); b's y = 1 -> sqrt(2)
    # at u = 1: a's 1, b's 1 (below its first point); at u = 4: a's 4, b's 2 -> sqrt(8)
    assert s.y == pytest.approx((1.0, math.sqrt(2.0), math.sqrt(8.0)), rel=1e-12)


def test_same_peak_and_clock_give_the_reference_curve() -> None:
    # the H100 SXM and the H200 have the same bf16 peak and boost clock: a FLOP curve transfers unchanged
    h100, h200 = load_hardware("h100-sxm"), load_hardware("h200")
    assert h200.calibration is not None
    assert h200.calibration.kernel_curves is not None
    moved = portable_curves(h100, [h200])
    same = h200.calibration.kernel_curves.matmul.points
    assert [p.work for p in moved.matmul.points] == [p.work for p in same]
    assert [p.us for p in moved.matmul.points] == pytest.approx([p.us for p in same], rel=1e-12)
    # a byte curve: the same times, at sizes scaled by the bandwidth ratio 3.35 / 4.8
    ref = h200.calibration.kernel_curves.copy.points
    for p, q in zip(moved.copy.points, ref, strict=True):
        assert p.us == pytest.approx(q.us, rel=1e-12)
        assert p.work == round(q.work * 3.35 / 4.8)


def test_host_defaults_are_the_median_of_the_calibrated_hosts() -> None:
    h = host_defaults(calibrated_gpus())
    assert set(h.hosts) == {"h100-sxm", "h200"}
    spread = host_spread(h)
    assert spread["host.module.launch_us"] == pytest.approx(((12.72 + 15.66) / 2, 12.72, 15.66), rel=1e-12)
    assert spread["host.eager_start_us"] == pytest.approx(((95.90 + 59.82) / 2, 59.82, 95.90), rel=1e-12)
    assert spread["min_kernel_us"] == pytest.approx(((1.007 + 0.8867) / 2, 0.8867, 1.007), rel=1e-12)
    assert set(spread) == set(CALIBRATION_CONSTANTS)  # every constant, each measured on both hosts


def test_calibrated_gpus_keep_their_own_curves_and_constants() -> None:
    for spec in calibrated_gpus():
        cal = spec.calibration
        assert cal is not None
        costs = launch_costs(spec)
        assert costs.curves is cal.kernel_curves
        assert cal.host.module.launch_us is not None
        assert costs.module.launch_s == pytest.approx(cal.host.module.launch_us * 1e-6, rel=1e-12)
        assert costs.measured


@pytest.mark.parametrize("name", list_hardware())
def test_every_entry_has_curves_and_a_basis(name: str) -> None:
    spec = load_hardware(name)
    costs = launch_costs(spec)
    assert costs.curves is not None
    for curve in CURVE_NAMES:
        points = getattr(costs.curves, curve).points
        assert all(b.work > a.work for a, b in itertools.pairwise(points))
    expected = BASIS_CALIBRATED if name in ("h100-sxm", "h200") else BASIS_PORTABLE
    assert time_basis(spec) == expected


def test_uncalibrated_entry_with_its_own_host_constant_keeps_it() -> None:
    l40s = load_hardware("l40s")
    assert l40s.calibration is not None
    own = evolve(l40s, calibration=with_constants(l40s.calibration, {"host.sync_us": 20.0}))
    assert launch_costs(own).sync_s == pytest.approx(20e-6, rel=1e-12)
    assert launch_costs(l40s).sync_s == pytest.approx((10.7 + 8.353) / 2 * 1e-6, rel=1e-12)


def test_predictions_carry_their_basis() -> None:
    w = OCRWorkload(crop_grid=(1, 1), max_new_tokens=2)
    arch = DeepseekOCRArch()
    assert predict(arch, w, "h200", runtime="hf-sdpa").basis == BASIS_CALIBRATED
    portable = predict(arch, w, "l40s", runtime="hf-sdpa")
    assert portable.basis == BASIS_PORTABLE
    assert not portable.calibrated


def test_issue_cycles_by_hand() -> None:
    # a byte curve at 0.2 of a 1e12 B/s peak, the copy at 0.8: 5 ps/B, of which 1.25 ps/B is the memory's;
    # the other 3.75 ps/B at 100 SMs x 2 GHz = 2e11 SM-cycles/s is 0.75 SM-cycles per byte
    shape = CurveShape(efficiency=0.2, fixed_cycles=1000.0, u=(1.0, 10.0), y=(1.0, 10.0))
    split = split_issue(shape, bound_efficiency=0.8, peak_per_s=1e12, sm_clock_hz=2e11)
    assert split.peak_efficiency == pytest.approx(0.8, rel=1e-12)
    assert split.issue_cycles == pytest.approx(0.75, rel=1e-12)
    # twice the bandwidth, the same SMs and clock: 0.625 + 3.75 ps/B
    assert asymptotic_rate(split, peak_per_s=2e12, sm_clock_hz=2e11) == pytest.approx(1 / 4.375e-12, rel=1e-12)
    # twice the SMs, the same bandwidth: 1.25 + 1.875 ps/B
    assert asymptotic_rate(split, peak_per_s=1e12, sm_clock_hz=4e11) == pytest.approx(1 / 3.125e-12, rel=1e-12)
    # a curve as efficient as the copy is all memory
    fast = split_issue(evolve(shape, efficiency=0.9), bound_efficiency=0.8, peak_per_s=1e12, sm_clock_hz=2e11)
    assert fast.issue_cycles == 0


def test_a_broadcast_keeps_its_rate_where_only_the_bandwidth_grows() -> None:
    # the H100 SXM and H200 have the same SMs and clock; their broadcast kernels reach about the same bytes/s
    h100, h200 = load_hardware("h100-sxm"), load_hardware("h200")
    moved = portable_curves(h200, [h100]).broadcast.points[-1]
    assert h100.calibration is not None
    assert h100.calibration.kernel_curves is not None
    ref = h100.calibration.kernel_curves.broadcast.points[-1]
    moved_rate, ref_rate = moved.work / moved.us, ref.work / ref.us
    bandwidth_ratio = 4.8 / 3.35
    assert ref_rate < moved_rate < ref_rate * bandwidth_ratio
    # 1/rate = 1/(e_copy 4.8 TB/s) + (1/rate_ref - 1/(e_copy 3.35 TB/s))
    copy = h100.calibration.kernel_curves.copy.points[-1]
    e_copy = copy.work / copy.us / 3.35e6
    per_byte = 1 / (e_copy * 4.8e6) + (1 / ref_rate - 1 / (e_copy * 3.35e6))
    assert moved_rate == pytest.approx(1 / per_byte, rel=1e-9)
