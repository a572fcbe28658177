"""Kernel time from measured time-vs-size curves: the interpolation with hand-derived numbers, which
curve times which kind of kernel, the inventory's kinds and extra FLOPs, and the host cost per launch
of eager module code."""

from __future__ import annotations

import math

import pytest

from llm_perf_opt.contracts.hardware_converter import HARDWARE_CONVERTER
from llm_perf_opt.data.hardware import AchievableRates, Calibration, CurvePoint, KernelCurve, KernelCurves
from llm_perf_opt.data.runtime_profile import Execution, Expr, KernelSpec, LayerKernels, RuntimeProfile
from llm_perf_opt.hardware.curves import KIND_CURVES, curve_seconds, kind_seconds
from llm_perf_opt.hardware.registry import load_hardware
from llm_perf_opt.kernels.inventory import KernelRecord, kernel_inventory
from llm_perf_opt.kernels.profiles import load_runtime
from llm_perf_opt.kernels.timing import (
    EagerLaunch,
    LaunchCosts,
    check_shares,
    inventory_runtime,
    kernel_time,
    launch_costs,
)
from llm_perf_opt.timing.roofline import Bound
from modelmeter.layers import AttentionCore, Linear
from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch
from modelmeter.models.deepseek_ocr.layers.decoder import DeepseekV2MoE
from modelmeter.models.deepseek_ocr.layers.vision import Attention as SamAttention

ROUND = AchievableRates(
    tensor_core_flops_per_s=1e12, cuda_core_flops_per_s=1e10, memory_bytes_per_s=1e11, measured=False
)


def one_kernel() -> LayerKernels:
    return LayerKernels(source="test", kernels=(KernelSpec(name="k", takes={"own": Expr("1")}),))


def toy(layers: dict[str, LayerKernels]) -> RuntimeProfile:
    return RuntimeProfile(name="toy", description="", decoder_attention="flash", layers=layers)


def curve(*points: tuple[int, float]) -> KernelCurve:
    return KernelCurve(points=tuple(CurvePoint(work=w, us=us) for w, us in points))


# 1 us up to 100 units, 4 us at 10,000: a power law of exponent 0.3 in between (log-log straight line)
STEP = curve((100, 1.0), (10_000, 4.0))
FLAT = curve((1, 2.0), (10**15, 2.0))


def curves(**named: KernelCurve) -> KernelCurves:
    """A curve set with FLAT everywhere except the ``named`` ones."""
    names = ("copy", "elementwise", "cast", "cat", "strided", "broadcast", "reduce", "gemv", "matmul")
    more = ("attention", "attention_mask", "attention_bias", "grouped_matmul", "grouped_gemv", "broadcast_permuted")
    fields = {n: named.get(n, FLAT) for n in (*names, *more)}
    return KernelCurves(**fields, how_measured="test")


def test_interpolation_is_linear_in_log_work_and_log_time() -> None:
    us = [round(curve_seconds(STEP, w) * 1e6, 9) for w in (0, 50, 100, 1000, 10_000, 30_000)]
    # below the first size: its time; 1000 is the log-midpoint of 100 and 10,000: sqrt(1 * 4) = 2 us;
    # above the last size: in proportion to the work (3x the work: 12 us)
    assert us == [1.0, 1.0, 1.0, 2.0, 4.0, 12.0]


def test_curve_points_must_grow_in_work() -> None:
    with pytest.raises(ValueError, match="points: work must increase strictly"):
        curve((100, 1.0), (100, 2.0))
    with pytest.raises(ValueError, match="points: needs at least 2 points"):
        curve((100, 1.0))


def test_every_kind_names_curves_a_hardware_entry_holds() -> None:
    fields = {a.name for a in KernelCurves.__attrs_attrs__}
    for compute, memory in KIND_CURVES.values():
        assert memory in fields
        assert compute is None or compute in fields


def test_gemm_takes_the_larger_of_its_matmul_and_gemv_times() -> None:
    c = curves(matmul=STEP, gemv=curve((1, 3.0), (10**6, 3.0)))
    compute, memory = kind_seconds(c, "gemm", tensor_core_flops=1000, io_bytes=500)
    assert (round(compute * 1e6, 9), round(memory * 1e6, 9)) == (2.0, 3.0)
    # an elementwise kernel's FLOPs have no compute curve: only its bytes count
    assert kind_seconds(c, "elementwise", tensor_core_flops=1000, io_bytes=500)[0] == 0.0


def _record(**kw: object) -> KernelRecord:
    base: dict[str, object] = {"path": "a", "layer_class": "Linear", "kernel": "k", "calls": 2, "io_bytes": 2000}
    return KernelRecord(**{**base, **kw})  # type: ignore[arg-type]


def test_kernel_time_with_curves_reads_the_kind_curves_per_launch() -> None:
    # 2 launches of 1000 FLOPs and 1000 bytes each: matmul curve 2 us, gemv curve 1.5 us -> 2 us each
    c = curves(matmul=STEP, gemv=curve((1, 1.5), (10**6, 1.5)))
    rec = _record(work={"tensor_core": 2000}, kind="gemm")
    kt = kernel_time(rec, ROUND, min_kernel_s=0.0, curves=c)
    assert kt.seconds == pytest.approx(2e-6, rel=1e-12)
    assert kt.total_seconds == pytest.approx(4e-6, rel=1e-12)
    # the plain roofline at ROUND rates: max(1000 / 1e12, 1000 / 1e11) = 10 ns, below the curve time
    assert kt.roofline_seconds == pytest.approx(1e-8, rel=1e-12)
    assert kt.bound is Bound.COMPUTE


def test_cuda_core_flops_keep_their_rate_under_curves() -> None:
    # 2e6 CUDA-core FLOPs per launch at 1e10 FLOP/s = 200 us, above every curve (2 us)
    rec = _record(calls=1, work={"tensor_core": 2_000_000}, cuda_cores_only=True, kind="gemm", io_bytes=100)
    kt = kernel_time(rec, ROUND, min_kernel_s=0.0, curves=curves())
    assert kt.seconds == pytest.approx(2e-4, rel=1e-12)


def test_extra_flops_are_executed_on_top_of_the_share() -> None:
    rec = _record(calls=1, work={"tensor_core": 640}, extra_tensor_core_flops=384)
    assert (rec.tensor_core_flops, rec.executed_tensor_core_flops) == (640, 1024)


def test_inventory_kind_defaults_to_gemm_for_tensor_core_work_else_elementwise() -> None:
    layer = Linear(tokens=4, in_features=8, out_features=8, bias=True)
    spec = LayerKernels(
        source="test",
        kernels=(
            KernelSpec(name="mm", takes={"own:tensor_core": Expr("1"), "own": Expr("1")}),
            KernelSpec(name="copy", takes={}, io_bytes=Expr("64"), kind="strided"),
            KernelSpec(name="fill", takes={}, io_bytes=Expr("8")),
        ),
    )
    kinds = {r.kernel: r.kind for r in kernel_inventory(layer, toy({"Linear": spec})).records}
    assert kinds == {"mm": "gemm", "copy": "strided", "fill": "elementwise"}


def test_unknown_kind_is_one_line_naming_the_allowed() -> None:
    with pytest.raises(ValueError, match=r"kind: unknown 'vector'; allowed: gemm, attention, "):
        KernelSpec(name="x", takes={}, kind="vector")


def test_masked_sdpa_executes_the_full_square() -> None:
    """hf-sdpa's decoder attention passes an explicit mask: the cuDNN kernel computes every score tile.
    q = kv = 4, 2 heads, head_dim 8: full 4 * 2 * 4 * 4 * 8 = 1024 FLOPs; causal-aware 10 of 16 scores: 640."""
    core = AttentionCore(batch=1, heads=2, q_len=4, kv_len=4, head_dim=8, causal=True, implementation="flash")
    assert core.own_metrics().forward_executed_tensor_core_flops == 640
    records = {r.kernel: r for r in kernel_inventory(core, load_runtime("hf-sdpa")).records}
    sdpa = records["sdpa"]
    assert (sdpa.kind, sdpa.tensor_core_flops, sdpa.executed_tensor_core_flops) == ("attention_mask", 640, 1024)
    # the serving engine's flash kernel skips the masked tiles (is_causal)
    fused = {r.kernel: r for r in kernel_inventory(core, load_runtime("fused")).records}["flash_attention"]
    assert (fused.kind, fused.executed_tensor_core_flops) == ("attention", 640)


def test_sam_attention_with_bias_is_timed_on_the_bias_curve() -> None:
    core = AttentionCore(batch=1, heads=2, q_len=16, kv_len=16, head_dim=8, has_bias=True, implementation="flash")
    kinds = {r.kernel: r.kind for r in kernel_inventory(core, load_runtime("hf-sdpa")).records if r.calls}
    assert kinds == {"cudnn_memset": "elementwise", "sdpa": "attention_bias"}


def test_grouped_experts_and_sams_permuted_bias_add_have_their_own_curves() -> None:
    """hf-sdpa's grouped expert products are timed on the grouped-GEMM curves, SAM's relative-position sum
    of two einsum outputs on the permuted-broadcast curve; the vendor's SAM adds contiguous operands."""
    moe = DeepseekV2MoE(tokens=4, config=DeepseekOCRArch().language)
    kinds = {r.kernel: r.kind for r in kernel_inventory(moe, load_runtime("hf-sdpa")).records if r.calls}
    assert (kinds["gate_up_grouped_gemm"], kinds["down_grouped_gemm"]) == ("grouped_gemm", "grouped_gemm")
    attn = SamAttention(batch=1, height=14, width=14, dim=768, num_heads=12, input_size=14)
    sdpa = {r.kernel: r.kind for r in kernel_inventory(attn, load_runtime("hf-sdpa")).records if r.calls}
    assert sdpa["bias_add"] == "broadcast_permuted"
    eager = {r.kernel: r.kind for r in kernel_inventory(attn, load_runtime("hf-eager")).records if r.calls}
    assert eager["bias_add"] == "broadcast"
    # 1 us below 100 units of work on the STEP curve: the grouped kind reads the grouped curves, not gemm's
    c = curves(grouped_matmul=STEP, grouped_gemv=STEP)
    assert kind_seconds(c, "grouped_gemm", 50, 1000) == pytest.approx((1e-6, 2e-6), rel=1e-12)
    assert kind_seconds(c, "gemm", 50, 1000) == pytest.approx((2e-6, 2e-6), rel=1e-12)


@pytest.mark.parametrize(("profile", "eager"), [("hf-eager", "module"), ("hf-sdpa", "module"), ("fused", "enqueue")])
def test_profiles_state_how_their_language_model_launches(profile: str, eager: str) -> None:
    assert load_runtime(profile).execution.of("decode") == eager


def test_module_profiles_pay_the_module_host_cost_per_launch() -> None:
    layer = Linear(tokens=4, in_features=5, out_features=6, bias=False)
    costs = LaunchCosts(
        enqueue=EagerLaunch(launch_s=5e-6),
        min_kernel_s=1e-6,
        sync_s=0.0,
        measured=False,
        module=EagerLaunch(launch_s=2e-5),
    )
    module = RuntimeProfile(
        name="toy",
        description="",
        decoder_attention="flash",
        layers={"Linear": one_kernel()},
        execution=Execution(default="module"),
    )
    rt_module = inventory_runtime(layer, kernel_inventory(layer, module), ROUND, costs)
    rt_enqueue = inventory_runtime(layer, kernel_inventory(layer, toy({"Linear": one_kernel()})), ROUND, costs)
    # one 1 us kernel, run once the host has launched it: 20 us from module code, 5 us bare, + 1 us
    assert rt_module.predicted_wall_s == pytest.approx(2.1e-5, rel=1e-12)
    assert rt_enqueue.predicted_wall_s == pytest.approx(6e-6, rel=1e-12)
    assert check_shares(rt_module)
    assert check_shares(rt_enqueue)


def test_h100_entry_carries_measured_curves_and_module_cost() -> None:
    spec = load_hardware("h100-sxm")
    cal = spec.calibration
    assert cal is not None
    assert cal.kernel_curves is not None
    assert cal.host.module.launch_us is not None
    costs = launch_costs(spec)
    assert costs.curves is not None
    assert costs.curves.copy == cal.kernel_curves.copy  # its measured curves as measured
    assert costs.curves.matmul == cal.kernel_curves.matmul
    assert math.isclose(costs.eager("module").launch_s, cal.host.module.launch_us * 1e-6, rel_tol=1e-12)
    # the asymptotic copy rate of the curve agrees with the large-copy calibration within 1 %
    last = cal.kernel_curves.copy.points[-1]
    assert cal.copy_tbps is not None
    assert last.work / (last.us * 1e-6) / 1e12 == pytest.approx(cal.copy_tbps, rel=0.01)


def test_entries_without_curves_get_the_portable_curves() -> None:
    curves = launch_costs(load_hardware("l4")).curves
    assert curves is not None
    assert curves.how_measured.startswith("portable (llm_perf_opt.hardware.portable)")


def test_curves_structure_from_yaml_mappings() -> None:
    point = [{"work": 1, "us": 1.0}, {"work": 10, "us": 2.0}]
    names = [a.name for a in KernelCurves.__attrs_attrs__ if a.name not in ("how_measured", "measured_on")]
    block = {n: {"points": point} for n in names}
    cal = HARDWARE_CONVERTER.structure(
        {"measured": True, "how_measured": "x", "matmul_tflops": 1.0, "copy_tbps": 1.0,
         "kernel_curves": {**block, "how_measured": "y"}},
        Calibration,
    )  # fmt: skip
    assert cal.kernel_curves is not None
    assert cal.kernel_curves.reduce.points[1] == CurvePoint(work=10, us=2.0)
