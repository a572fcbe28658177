"""The portable kernel-time model (llm_perf_opt.hardware.portable): its arithmetic, by hand, and its wiring."""

from __future__ import annotations

import itertools
import math

import pytest
from attrs import evolve

from llm_perf_opt.data.hardware import CALIBRATION_CONSTANTS, CurvePoint, HardwareSpec, KernelCurve, with_constants
from llm_perf_opt.data.kernel_kinds import CURVE_NAMES
from llm_perf_opt.data.planning import BASIS_CALIBRATED, BASIS_PORTABLE
from llm_perf_opt.hardware.curves import kind_seconds
from llm_perf_opt.hardware.portable import (
    CurveShape,
    aiconfigurator_gemms,
    architecture_factor,
    asymptotic_rate,
    calibrated_gpus,
    combine_architecture,
    curve_shape,
    gemm_work,
    host_defaults,
    host_spread,
    instantiate,
    learned_shape,
    measured_architecture_ratio,
    measured_architecture_ratios,
    portable_curves,
    split_issue,
    tensor_core_class,
    tensor_rate_per_sm_clock,
    time_basis,
    wave_stretch,
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
    assert spread["host.module.launch_us"] == pytest.approx(((9.763 + 12.72) / 2, 9.763, 12.72), rel=1e-12)
    assert spread["host.eager_start_us"] == pytest.approx(((95.90 + 44.44) / 2, 44.44, 95.90), rel=1e-12)
    assert spread["min_kernel_us"] == pytest.approx(((1.007 + 0.8867) / 2, 0.8867, 1.007), rel=1e-12)
    assert spread["host.module.no_grad_factor"] == (1.062, 1.062, 1.062)  # measured on the H200 alone
    assert spread["host.module.sdpa_extra_us"] == (7.165, 7.165, 7.165)  # likewise
    assert set(spread) == set(CALIBRATION_CONSTANTS)  # every constant, each measured on one host at least


def test_calibrated_gpus_keep_their_own_curves_and_constants() -> None:
    for spec in calibrated_gpus():
        cal = spec.calibration
        assert cal is not None
        costs = launch_costs(spec)
        assert costs.curves is not None
        assert cal.kernel_curves is not None
        for curve in CURVE_NAMES:  # what it measured is used as measured; what it did not is filled in
            own = getattr(cal.kernel_curves, curve)
            if own is not None:
                assert getattr(costs.curves, curve) == own
            else:
                assert getattr(costs.curves, curve) is not None
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
    assert launch_costs(l40s).sync_s == pytest.approx((10.7 + 8.652) / 2 * 1e-6, rel=1e-12)


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


def test_wave_stretch_by_hand() -> None:
    # g = 2: u (1, 10) -> (2, 20); y (1, 6) -> 1 + 2 (y - 1) = (1, 11); the fixed cost stays 1, the slope
    # (y - 1) / u past the knee stays 5 / 10 = 10 / 20.
    shape = CurveShape(efficiency=0.5, fixed_cycles=1000.0, u=(1.0, 10.0), y=(1.0, 6.0))
    t = wave_stretch(shape, 2.0)
    assert t.u == (2.0, 20.0)
    assert t.y == (1.0, 11.0)
    assert (t.efficiency, t.fixed_cycles) == (0.5, 1000.0)
    assert wave_stretch(shape, 1.0) is shape


def test_tensor_rate_per_sm_clock_by_hand() -> None:
    # RTX PRO 6000 Server: 467.8 TFLOP/s / (188 SMs x 2.43e9 Hz) = 467.8e12 / 456.84e9 = 1,023.99 FLOP/SM-clock;
    # H200: 989.4e12 / (132 x 1.98e9 = 261.36e9) = 3,785.6.
    assert tensor_rate_per_sm_clock(load_hardware("rtx-pro-6000-server")) == pytest.approx(1023.99, abs=0.01)
    assert tensor_rate_per_sm_clock(load_hardware("h200")) == pytest.approx(3785.58, abs=0.01)
    no_clock = evolve(load_hardware("l40s"), boost_clock_mhz=None)
    assert tensor_rate_per_sm_clock(no_clock) is None


def test_combine_architecture_by_hand() -> None:
    ratios = {"x": ("mma.sync", 1.21), "y": ("mma.sync", 1.0), "z": ("tcgen05", 1.44), "w": ("wgmma", 9.0)}
    # y's class-mates without y: x alone, 1.21; x's: y alone, 1.0 (never its own 1.21)
    assert combine_architecture("y", "mma.sync", ["wgmma"], ratios).factor == pytest.approx(1.21)
    assert combine_architecture("x", "mma.sync", ["wgmma"], ratios).factor == pytest.approx(1.0)
    # a new mma.sync GPU: gmean(1.21, 1.0) = 1.1
    assert combine_architecture("new", "mma.sync", ["wgmma"], ratios).factor == pytest.approx(1.1)
    # z is alone in its class: every other GPU outside the references' class (x, y): 1.1, stated as a fallback
    z = combine_architecture("z", "tcgen05", ["wgmma"], ratios)
    assert z.factor == pytest.approx(1.1)
    assert z.basis.startswith("fallback")
    assert [g for g, _ in z.learned_from] == ["x", "y"]
    # a GPU of the references' class takes none, whatever the data say
    assert combine_architecture("v", "wgmma", ["wgmma"], ratios).factor == 1.0


def test_tensor_core_class_by_compute_capability() -> None:
    names = ("a100-80gb", "a10g", "h100-pcie", "b200", "l40s", "rtx-5090")
    assert [tensor_core_class(load_hardware(n)) for n in names] == [
        "mma.sync",
        "mma.sync",
        "wgmma",
        "tcgen05",
        "mma.sync",
        "mma.sync",
    ]


def test_hopper_leave_one_out_takes_no_architecture_correction() -> None:
    # the H100 from the H200 (same class, same FLOPs per SM-clock): the curves with and without the architecture
    # step are identical, so the Hopper leave-one-out does not depend on aiconfigurator's data.
    h100, h200 = load_hardware("h100-sxm"), load_hardware("h200")
    assert architecture_factor(h100, [h200]).factor == 1.0
    assert portable_curves(h100, [h200]) == portable_curves(h100, [h200], architecture=False)


def test_a_gpus_own_measurements_never_set_its_factor() -> None:
    # leave one GPU out: the L40S's factor is the gmean of the other mma.sync GPUs' measured ratios
    refs = calibrated_gpus()
    ratios = measured_architecture_ratios(refs)
    f = architecture_factor(load_hardware("l40s"), refs)
    assert "l40s" not in dict(f.learned_from)
    assert dict(f.learned_from) == {
        "a100-80gb": ratios["a100-80gb"][1],
        "rtx-pro-6000-server": ratios["rtx-pro-6000-server"][1],
    }
    assert f.factor == pytest.approx(math.sqrt(ratios["a100-80gb"][1] * ratios["rtx-pro-6000-server"][1]))


def test_the_architecture_factor_scales_the_matrix_rate_only() -> None:
    # the RTX PRO 6000's matmul curve with the factor runs 1 / factor as fast at its largest size as without it
    refs = calibrated_gpus()
    spec = load_hardware("rtx-pro-6000-server")
    f = architecture_factor(spec, refs).factor
    a, b = portable_curves(spec, refs), portable_curves(spec, refs, architecture=False)
    rate = {k: c.matmul.points[-1].work / c.matmul.points[-1].us for k, c in (("with", a), ("without", b))}
    assert rate["with"] == pytest.approx(rate["without"] / f, rel=1e-4)
    assert a.copy == b.copy
    assert a.attention == b.attention


def test_measured_architecture_ratio_by_hand() -> None:
    # Made-up measurements: the L40S at 1.3x its prediction (without the factor) at every shape, the references at
    # exactly theirs: ratio 1.3 / 1 = 1.3. References at 2x theirs: 1.3 / 2 = 0.65 (the frameworks' common part
    # divides out). Only compute-bound shapes past the knee count, so the small ones change nothing.
    refs = calibrated_gpus()
    l40s = load_hardware("l40s")
    shapes = [(m, n, k) for m in (1, 8, 4096, 8192) for n, k in ((1024, 1024), (3072, 1024), (1536, 7168))]
    mine = portable_curves(l40s, refs, architecture=False)

    def own(spec: HardwareSpec, m: int, n: int, k: int) -> float:
        curves = spec.calibration.kernel_curves if spec.calibration is not None else None
        assert curves is not None
        flops, io = gemm_work(m=m, n=n, k=k)
        return max(kind_seconds(curves, "gemm", flops, io))

    def pred(m: int, n: int, k: int) -> float:
        flops, io = gemm_work(m=m, n=n, k=k)
        return max(kind_seconds(mine, "gemm", flops, io))

    for scale, expected in ((1.0, 1.3), (2.0, 0.65)):
        gemms = {r.name: tuple((m, n, k, scale * own(r, m, n, k)) for m, n, k in shapes) for r in refs}
        gemms["l40s"] = tuple((m, n, k, 1.3 * pred(m, n, k)) for m, n, k in shapes)
        assert measured_architecture_ratio(l40s, refs, gemms) == pytest.approx(expected, rel=1e-9)
    # no measurements of the GPU: no ratio
    assert measured_architecture_ratio(l40s, refs, {r.name: () for r in refs}) is None


def test_the_packaged_extract_holds_the_gpus_the_factor_learns_from() -> None:
    gemms = aiconfigurator_gemms()
    assert {"a100-80gb", "b200", "h100-sxm", "h200", "l40s", "rtx-pro-6000-server"} <= set(gemms)
    m, n, k, seconds = gemms["h100-sxm"][0]
    assert (m, n, k) == (1, 64, 1536)
    assert 1e-6 < seconds < 1e-4


def test_an_unknown_compute_capability_falls_back_to_every_other_non_reference_gpu() -> None:
    # a Turing part (7.5) has no Tensor-Core class here: it takes the fallback over x and y, gmean(1.21, 1.0) = 1.1
    t4 = evolve(load_hardware("l4"), name="t4", compute_capability="7.5")
    assert tensor_core_class(t4) is None
    ratios = {"x": ("mma.sync", 1.21), "y": ("mma.sync", 1.0)}
    f = combine_architecture("t4", tensor_core_class(t4), ["wgmma"], ratios)
    assert f.factor == pytest.approx(1.1)
    assert f.basis.startswith("fallback")


def test_a_curve_the_h100_never_measured_comes_from_the_h200_by_its_datasheet() -> None:
    # the H100 was calibrated before the layer-norm curve existed; the H200 measured it. Same SM count (132) and
    # boost clock (1,980 MHz): the fixed cost in cycles is the same, so the smallest kernel takes the same time;
    # the byte curve's work axis scales with the asymptotic rate, whose memory part scales with the bandwidth
    h100, h200 = load_hardware("h100-sxm"), load_hardware("h200")
    assert h100.calibration is not None
    assert h100.calibration.kernel_curves is not None
    assert h100.calibration.kernel_curves.layer_norm is None
    filled = launch_costs(h100).curves
    measured = launch_costs(h200).curves
    assert filled is not None
    assert measured is not None
    assert filled.layer_norm is not None
    assert measured.layer_norm is not None
    assert filled.layer_norm.points[0].us == pytest.approx(measured.layer_norm.points[0].us, rel=1e-3)
    assert filled.layer_norm.points[0].work < measured.layer_norm.points[0].work  # 3.35 TB/s against 4.8
    assert "portable" in filled.how_measured
    assert "h200" in filled.how_measured
