"""Kernel time, wall time and where the time goes: hand-derived arithmetic at round-number rates,
and the parts adding up to the wall time for every stage of both profiles."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
from attrs import evolve

from llm_perf_opt.data.hardware import (
    AchievableRates,
    Calibration,
    DatasheetFigure,
    EnqueueCost,
    GraphCost,
    HardwareSpec,
    HostCosts,
)
from llm_perf_opt.data.runtime_profile import Execution, Expr, KernelSpec, LayerKernels, RuntimeProfile
from llm_perf_opt.kernels.inventory import kernel_inventory
from llm_perf_opt.kernels.profiles import load_runtime
from llm_perf_opt.kernels.report import where_time_goes_markdown
from llm_perf_opt.kernels.timing import (
    SHARE_NAMES,
    EagerLaunch,
    GraphLaunch,
    LaunchCosts,
    LaunchQueue,
    StageRuntime,
    check_shares,
    inventory_runtime,
    kernel_time,
    launch_costs,
    model_for_runtime,
    runtime_stage_times,
)
from llm_perf_opt.timing.roofline import roofline_time
from llm_perf_opt.validation.points import analytic_layer, unmeasured_point
from modelmeter.layers import AttentionCore, Linear
from modelmeter.layers.base import BaseLayer
from modelmeter.models.deepseek_ocr.config import DeepseekV2TextConfig
from modelmeter.models.deepseek_ocr.layers.core import DeepseekOCRDecodeStep, DeepseekOCRModel
from modelmeter.models.deepseek_ocr.layers.decoder import DeepseekV2MLP
from modelmeter.models.deepseek_ocr.workload import OCRWorkload

ROUND = AchievableRates(
    tensor_core_flops_per_s=1e12, cuda_core_flops_per_s=1e10, memory_bytes_per_s=1e11, measured=False
)
NO_FIXED = LaunchCosts(enqueue=EagerLaunch(launch_s=0.0), min_kernel_s=0.0, sync_s=0.0, measured=False)
FIXED = LaunchCosts(enqueue=EagerLaunch(launch_s=5e-6), min_kernel_s=1e-6, sync_s=1e-5, measured=False)


def fixed(
    *, module: EagerLaunch | None = None, graph: GraphLaunch | None = None, start: float | None = None
) -> LaunchCosts:
    """:data:`FIXED` (5 us bare enqueue, 1 us floor, 10 us sync) with the given module and graph records and eager
    start; a record not given is the default (28.75 us per module launch; a graph launch at the bare enqueue's)."""
    out = LaunchCosts(enqueue=EagerLaunch(launch_s=5e-6, start_s=start), min_kernel_s=1e-6, sync_s=1e-5, measured=False)
    return evolve(out, **{k: v for k, v in {"module": module, "graph": graph}.items() if v is not None})


def one_kernel(**extra: object) -> LayerKernels:
    return LayerKernels(source="test", kernels=(KernelSpec(name="k", takes={"own": Expr("1")}),), **extra)  # type: ignore[arg-type]


def toy(layers: dict[str, LayerKernels]) -> RuntimeProfile:
    return RuntimeProfile(name="toy", description="", decoder_attention="flash", layers=layers)


def runtime(layer: BaseLayer, profile: RuntimeProfile, costs: LaunchCosts) -> StageRuntime:
    return inventory_runtime(layer, kernel_inventory(layer, profile), ROUND, costs)


def test_small_linear_is_floor_then_launch_bound() -> None:
    layer = Linear(tokens=4, in_features=5, out_features=6, bias=False)
    rt = runtime(layer, toy({"Linear": one_kernel()}), FIXED)
    # bytes (30 + 20 + 24) * 2 = 148 at 1e11 B/s = 1.48 ns; 240 FLOPs at 1e12 = 0.24 ns; floor 1 us; launch 5 us;
    # the call starts on an empty queue, so its one kernel runs after its launch: 5 + 1 us
    assert rt.roofline_s == pytest.approx(1.48e-9, rel=1e-12)
    assert rt.predicted_kernel_s == pytest.approx(1e-6, rel=1e-12)
    assert rt.predicted_wall_s == pytest.approx(6e-6, rel=1e-12)
    assert rt.small_kernel_floor_s == pytest.approx(1e-6 - 1.48e-9, rel=1e-12)
    assert rt.launch_overhead_s == pytest.approx(5e-6, rel=1e-12)
    assert (rt.attention_io_s, rt.kernel_split_s, rt.sync_s) == (0.0, 0.0, 0.0)
    assert rt.largest_gap == "launch_overhead_s"
    assert check_shares(rt)


def test_cuda_cores_only_kernel_is_timed_at_the_cuda_core_rate() -> None:
    layer = Linear(tokens=100, in_features=100, out_features=100, bias=False)
    fp32 = LayerKernels(
        source="test", kernels=(KernelSpec(name="sgemm", takes={"own": Expr("1")}, cuda_cores_only=True),)
    )
    rt = runtime(layer, toy({"Linear": fp32}), NO_FIXED)
    # 2 * 100^3 = 2e6 FLOPs at the CUDA-core 1e10 FLOP/s = 200 us (on Tensor Cores: 2 us); bytes 60,000 -> 0.6 us
    assert rt.predicted_kernel_s == pytest.approx(2e-4, rel=1e-12)
    assert rt.roofline_s == pytest.approx(2e-6, rel=1e-12)
    assert rt.kernel_split_s == pytest.approx(2e-4 - 2e-6, rel=1e-12)


def test_syncs_add_their_round_trips() -> None:
    layer = Linear(tokens=4, in_features=5, out_features=6, bias=False)
    rt = runtime(layer, toy({"Linear": one_kernel(host_syncs=Expr("2"))}), FIXED)
    assert rt.host_syncs == 2
    assert rt.sync_s == pytest.approx(2e-5, rel=1e-12)
    assert rt.predicted_wall_s == pytest.approx(6e-6 + 2e-5, rel=1e-12)  # launch 5 us + kernel 1 us + 2 * 10 us
    assert check_shares(rt)


def test_cuda_graph_pays_one_launch_not_one_per_kernel() -> None:
    mlp = DeepseekV2MLP(tokens=1, hidden_size=8, intermediate_size=8)
    leaves = {name: one_kernel() for name in ("Linear", "SiLU", "Elementwise")}
    eager = runtime(mlp, toy(leaves), FIXED)
    graphed = runtime(mlp, toy({**leaves, "DeepseekV2MLP": LayerKernels(source="test", execution="graph")}), FIXED)
    # 5 tiny kernels (gate, up, silu, mul, down) each at the 1 us floor
    assert eager.predicted_kernel_s == graphed.predicted_kernel_s == pytest.approx(5e-6, rel=1e-12)
    assert eager.predicted_wall_s == pytest.approx(
        5 * 5e-6 + 1e-6, rel=1e-12
    )  # 5 launches at 5 us, then the last kernel
    assert graphed.predicted_wall_s == pytest.approx(5e-6 + 5e-6, rel=1e-12)  # kernels + one graph launch
    assert (graphed.graph_launches, graphed.host_launches, graphed.kernel_launches) == (1, 1, 5)
    assert check_shares(eager)
    assert check_shares(graphed)


def test_graph_stage_replays_the_whole_call_with_its_launch_and_gaps() -> None:
    mlp = DeepseekV2MLP(tokens=1, hidden_size=8, intermediate_size=8)
    leaves = {name: one_kernel() for name in ("Linear", "SiLU", "Elementwise")}
    profile = RuntimeProfile(
        name="toy",
        description="",
        decoder_attention="flash",
        layers=leaves,
        execution=Execution(stages={"decode": "graph"}),
    )
    costs = fixed(graph=GraphLaunch(launch_s=20e-6, kernel_gap_s=0.5e-6))
    graphed = inventory_runtime(mlp, kernel_inventory(mlp, profile, path="decode"), ROUND, costs, path="decode")
    # 5 tiny kernels at the 1 us floor, each followed by a 0.5 us gap, after one 20 us graph launch
    assert graphed.predicted_kernel_s == pytest.approx(5e-6, rel=1e-12)
    assert graphed.predicted_wall_s == pytest.approx(20e-6 + 5 * (1e-6 + 0.5e-6), rel=1e-12)
    assert (graphed.graph_launches, graphed.host_launches, graphed.kernel_launches) == (1, 1, 5)
    assert graphed.launch_overhead_s == pytest.approx(20e-6 + 5 * 0.5e-6, rel=1e-12)
    assert check_shares(graphed)
    # another stage of the same profile launches eagerly: 5 launches at 5 us, then the last kernel
    eager = inventory_runtime(mlp, kernel_inventory(mlp, profile, path="prefill"), ROUND, costs, path="prefill")
    assert (eager.graph_launches, eager.host_launches) == (0, 5)
    assert eager.predicted_wall_s == pytest.approx(5 * 5e-6 + 1e-6, rel=1e-12)


def test_eager_start_delays_the_first_kernel_only_when_longer_than_a_launch() -> None:
    mlp = DeepseekV2MLP(tokens=1, hidden_size=8, intermediate_size=8)
    leaves = {name: one_kernel() for name in ("Linear", "SiLU", "Elementwise")}
    profile = RuntimeProfile(name="toy", description="", decoder_attention="flash", layers=leaves)

    def wall(start: float | None) -> float:
        costs = fixed(start=start)
        return inventory_runtime(mlp, kernel_inventory(mlp, profile), ROUND, costs).predicted_wall_s

    # 5 tiny kernels at the 1 us floor, launches at 5 us: the first waits 40 us for the host, then 1 us;
    # the other 4 cost a 5 us launch each
    assert wall(40e-6) == pytest.approx(40e-6 + 1e-6 + 4 * 5e-6, rel=1e-12)
    # unmeasured, or shorter than a launch: the first kernel waits one launch (5 + 1 us), as before
    assert wall(None) == wall(2e-6) == pytest.approx(5 * 5e-6 + 1e-6, rel=1e-12)
    costs = fixed(start=40e-6)
    assert costs.enqueue.first_launch(5e-6) == 40e-6
    assert costs.enqueue.first_launch(50e-6) == 50e-6
    assert costs.module.start_s == 40e-6  # one eager start for both eager kinds


def test_execution_names_stages_and_kinds() -> None:
    with pytest.raises(
        ValueError, match=r"^execution.stages: unknown stage 'vision'; allowed: sam, clip, qwen2, projector"
    ):
        Execution(stages={"vision": "graph"})
    with pytest.raises(ValueError, match=r"^execution.stages: sam: unknown 'python'; allowed: enqueue, module, graph"):
        Execution(stages={"sam": "python"})
    with pytest.raises(ValueError, match=r"^default: unknown 'graph'; allowed: enqueue, module"):
        Execution(default="graph")  # a whole call as one graph is said per stage


def test_fused_runs_the_vision_encoder_as_module_code() -> None:
    """A serving engine graphs and compiles the language model only: its vision stages pay the host cost of eager
    module code (per kernel and per torch call), its other stages the bare enqueue."""
    fused = load_runtime("fused")
    assert fused.execution == Execution(
        default="enqueue", stages={"sam": "module", "clip": "module", "qwen2": "module", "projector": "module"}
    )
    model = DeepseekOCRModel(workload=OCRWorkload(crop_grid=(2, 2), max_new_tokens=2))
    costs = fixed(module=EagerLaunch(launch_s=1.0))
    times = runtime_stage_times(model, "h100-sxm", fused, costs=costs)
    # at one second per module launch each vision kernel costs a second; the decoder's launches do not
    for stage in ("sam", "clip", "projector"):
        assert times[stage].predicted_wall_s == pytest.approx(times[stage].host_launches, rel=1e-6), stage
    assert times["prefill"].predicted_wall_s < 1.0


def test_hf_sdpa_graph_is_hf_sdpa_replayed_except_sam() -> None:
    graph, eager = load_runtime("hf-sdpa-graph"), load_runtime("hf-sdpa")
    assert graph.layers == eager.layers
    graphed = ("clip", "qwen2", "projector", "prefill", "lm_head", "decode")
    assert graph.execution == Execution(default="module", stages=dict.fromkeys(graphed, "graph"))
    model = DeepseekOCRModel(workload=OCRWorkload(crop_grid=(2, 2), max_new_tokens=2))
    g, e = runtime_stage_times(model, "h100-sxm", graph), runtime_stage_times(model, "h100-sxm", eager)
    for stage in g:
        assert g[stage].predicted_kernel_s == e[stage].predicted_kernel_s
        assert g[stage].kernel_launches == e[stage].kernel_launches
        assert g[stage].graph_launches == (stage != "sam")
    assert g["sam"].predicted_wall_s == e["sam"].predicted_wall_s
    loop = graph.generate  # generate()'s own work around the replayed step stays eager Python
    assert loop is not None
    assert loop == eager.generate
    assert g["decode"].host_launches == 1 + loop.kernels  # one graph launch, the loop's eager kernels (one token)
    assert g["decode"].predicted_wall_s < e["decode"].predicted_wall_s / 5


def test_eager_attention_share_is_its_kernels_over_the_flash_ideal() -> None:
    core = AttentionCore(batch=1, heads=1, q_len=4, kv_len=4, head_dim=8, causal=True, implementation="eager")
    rt = runtime(core, load_runtime("hf-eager"), NO_FIXED)
    # flash ideal: executed 4*8*10 = 320 Tensor-Core FLOPs (10 of 16 scores visible) -> 0.32 ns, CUDA-core
    # 6 * 10 = 60 -> 6 ns; bytes (q 32 + k, v 64) * 2 read + 32 * 2 written = 256 -> 2.56 ns; ideal 6.32 ns
    assert rt.roofline_s == pytest.approx(6.32e-9, rel=1e-12)
    # eager kernels (16 scores, 7 CUDA-core FLOPs each = 112 split 16 / 16 / 80):
    # 4 layout copies 128 B each 5.12 ns; qk bmm 160 B 1.6 ns; scale 16 FLOPs 1.6 ns; mask add 16 FLOPs 1.6 ns;
    # hf-eager's autocast cast of the scores to fp32 96 B 0.96 ns (the vendor's softmax is an fp32-policy operator);
    # softmax 80 FLOPs 8 ns; cast 96 B 0.96 ns; pv bmm 160 B 1.6 ns: 21.44 ns
    assert rt.predicted_kernel_s == pytest.approx(21.44e-9, rel=1e-12)
    assert rt.attention_io_s == pytest.approx(21.44e-9 - 6.32e-9, rel=1e-12)
    assert rt.kernel_split_s == pytest.approx(0.0, abs=1e-20)
    flash = runtime(
        AttentionCore(batch=1, heads=1, q_len=4, kv_len=4, head_dim=8, causal=True), load_runtime("fused"), NO_FIXED
    )
    assert flash.attention_io_s == 0.0
    assert flash.predicted_kernel_s == pytest.approx(6.32e-9, rel=1e-12)


@pytest.mark.parametrize("profile", ["hf-eager", "fused"])
def test_parts_add_up_to_the_wall_time_for_every_stage(profile: str) -> None:
    model = DeepseekOCRModel(workload=OCRWorkload(crop_grid=(2, 2), max_new_tokens=20))
    times = runtime_stage_times(model, "h100-sxm", profile)
    assert list(times) == ["sam", "clip", "projector", "prefill", "lm_head", "decode"]
    for stage, rt in times.items():
        assert math.isclose(math.fsum(rt.shares().values()), rt.predicted_wall_s, rel_tol=1e-12), stage
        assert rt.predicted_wall_s >= rt.predicted_kernel_s, stage
        assert min(rt.small_kernel_floor_s, rt.launch_overhead_s, rt.sync_s) >= 0, stage
    assert list(times["sam"].shares()) == list(SHARE_NAMES)


def test_roofline_part_is_the_roofline_of_the_flash_model() -> None:
    model = model_for_runtime(DeepseekOCRModel(workload=OCRWorkload(crop_grid=(2, 2), max_new_tokens=3)), "fused")
    times = runtime_stage_times(model, "h100-sxm", "fused")
    eager_times = runtime_stage_times(model, "h100-sxm", "hf-eager")
    for stage, layer in model.stage_layers().items():
        ideal = roofline_time(layer, load_hardware_spec()).seconds
        assert times[stage].roofline_s == pytest.approx(ideal, rel=1e-12)
        assert eager_times[stage].roofline_s == pytest.approx(ideal, rel=1e-12)  # eager cores counted as flash


def test_hf_eager_decode_is_launch_bound_and_slower_than_fused() -> None:
    model = DeepseekOCRModel(workload=OCRWorkload(crop_grid=(2, 2), max_new_tokens=2))
    eager = runtime_stage_times(model, "h100-sxm", "hf-eager")["decode"]
    fused = runtime_stage_times(model, "h100-sxm", "fused")["decode"]
    costs = launch_costs(load_hardware_spec())
    assert eager.predicted_wall_s >= eager.host_launches * costs.enqueue.launch_s + eager.host_syncs * costs.sync_s
    assert eager.largest_gap == "launch_overhead_s"
    assert fused.predicted_wall_s < eager.predicted_wall_s / 10
    assert fused.host_launches == 4  # LM head workspace memset, GEMM and cast; one graph


def test_launch_costs_read_measured_constants_else_defaults() -> None:
    fig = DatasheetFigure(value=1.0, source="test", dense=True)
    base = {
        "name": "gpu",
        "display_name": "GPU",
        "architecture": "x",
        "compute_capability": "9.0",
        "tensor_core_bf16_tflops": fig,
        "cuda_core_fp32_tflops": fig,
        "memory_bandwidth_tbps": fig,
        "memory_gb": fig,
    }
    cal = Calibration(
        measured=True,
        how_measured="test",
        matmul_tflops=0.8,
        copy_tbps=0.9,
        min_kernel_us=1.5,
        host=HostCosts(
            sync_us=12.0, enqueue=EnqueueCost(launch_us=7.0), graph=GraphCost(launch_us=20.0, kernel_gap_us=0.5)
        ),
    )
    costs = launch_costs(HardwareSpec(**base, calibration=cal))  # type: ignore[arg-type]
    assert (costs.enqueue.launch_s, costs.min_kernel_s, costs.sync_s, costs.measured) == (7e-6, 1.5e-6, 12e-6, True)
    assert costs.graph.launch_s == pytest.approx(20e-6, rel=1e-12)
    assert costs.graph.kernel_gap_s == pytest.approx(0.5e-6, rel=1e-12)
    # a measured constant the entry lacks (module code, eager start): the calibrated hosts' median
    assert costs.enqueue.start_s == pytest.approx((95.90 + 44.44) / 2 * 1e-6, rel=1e-12)
    assert costs.module.launch_s == pytest.approx((12.72 + 9.763) / 2 * 1e-6, rel=1e-12)
    assert costs.module_no_grad_factor == 1.062  # measured on the H200 alone
    # no calibration: every constant is the median of the calibrated GPUs' hosts (H100 SXM and H200 entries)
    defaults = launch_costs(HardwareSpec(**base))  # type: ignore[arg-type]
    assert defaults.enqueue.launch_s == pytest.approx((10.42 + 7.768) / 2 * 1e-6, rel=1e-12)
    assert defaults.graph.launch_s == pytest.approx((28.17 + 21.59) / 2 * 1e-6, rel=1e-12)
    assert defaults.graph.kernel_gap_s == pytest.approx((0.2403 + 0.5967) / 2 * 1e-6, rel=1e-12)
    assert not defaults.measured
    # graph constants given by nobody: a graph launch costs the bare launch
    assert FIXED.graph == GraphLaunch(launch_s=5e-6, kernel_gap_s=0.0)


def test_report_has_a_row_per_stage_whose_parts_add_to_its_wall() -> None:
    model = DeepseekOCRModel(workload=OCRWorkload(crop_grid=(2, 2), max_new_tokens=4))
    times = runtime_stage_times(model, "h100-sxm", "hf-eager")
    text = where_time_goes_markdown(times, runtime="hf-eager", hardware="h100-sxm")
    rows = {line.split(" | ")[0][2:]: line.split(" | ") for line in text.splitlines() if line.startswith("| ")}
    assert set(times) | {"total", "stage"} == set(rows)
    for stage in times:
        cells = rows[stage]
        parts = [float(c.split(" (")[0]) for c in cells[3:9]]
        assert abs(sum(parts) - float(cells[9])) <= 0.001 * 6  # six parts rounded to 0.001 ms each
        assert int(cells[1].replace(",", "")) == times[stage].kernel_launches


def load_hardware_spec() -> HardwareSpec:
    from llm_perf_opt.hardware.registry import load_hardware

    return load_hardware("h100-sxm")


def test_module_host_cost_is_per_kernel_plus_per_torch_call() -> None:
    """hf-sdpa's projector at 512 px: 4 kernels, 18 torch calls. With 1 ms per kernel and 1 ms per call each
    launch costs the host 1 + 1 * 18 / 4 = 5.5 ms, longer than every kernel at the round rates (the GEMM's
    1.3 GFLOP take 1.3 ms), so the GPU waits for every launch: the call takes four launches plus its last kernel,
    which runs after the fourth (no eager start given: the first launch is one launch)."""
    layer = analytic_layer(unmeasured_point("projector", "tiny"))
    inventory = kernel_inventory(layer, load_runtime("hf-sdpa"), path="projector")
    assert (inventory.host_launches, inventory.torch_calls) == (4, 18)
    costs = fixed(module=EagerLaunch(launch_s=1e-3, call_s=1e-3))
    rt = inventory_runtime(layer, inventory, ROUND, costs, stage="projector", path="projector")
    last = [kernel_time(r, ROUND, costs.min_kernel_s).seconds for r in inventory.records if r.calls][-1]
    assert max(kernel_time(r, ROUND, costs.min_kernel_s).seconds for r in inventory.records) < 5.5e-3
    assert rt.predicted_wall_s == pytest.approx(4 * 5.5e-3 + last, rel=1e-12)
    assert rt.torch_calls == 18
    assert check_shares(rt)
    # without a cost per call (an unmeasured host) the launches cost the per-kernel figure alone
    per_kernel = fixed(module=EagerLaunch(launch_s=2e-3))
    plain = inventory_runtime(layer, inventory, ROUND, per_kernel, stage="projector", path="projector")
    assert plain.predicted_wall_s == pytest.approx(4 * 2e-3 + last, rel=1e-12)  # 2 ms still exceeds every kernel


def test_torch_calls_without_an_eager_kernel_add_their_host_time(
    toy_linear_profile: Callable[..., RuntimeProfile],
) -> None:
    profile = toy_linear_profile(launches="0", torch_calls="3")
    layer = Linear(tokens=2, in_features=3, out_features=4)
    inventory = kernel_inventory(layer, profile)
    assert (inventory.host_launches, inventory.torch_calls) == (0, 3)
    costs = fixed(module=EagerLaunch(launch_s=28.75e-6, call_s=2e-6))
    rt = inventory_runtime(layer, inventory, ROUND, costs)
    assert rt.predicted_kernel_s == 0.0
    assert rt.predicted_wall_s == pytest.approx(6e-6, rel=1e-12)
    assert rt.launch_overhead_s == pytest.approx(6e-6, rel=1e-12)


def test_each_stage_pays_the_record_of_its_execution_kind() -> None:
    """The entry's host records resolve to one record per kind; an eager stage's kind picks its record, the bare
    enqueue paying nothing per torch call (a serving engine's C++ path makes none)."""
    costs = launch_costs(load_hardware_spec())  # H100 SXM: 10.42 us enqueue, 12.72 + 12.64 us module, 28.17 us graph
    assert costs.eager("enqueue") is costs.enqueue
    assert costs.eager("module") is costs.module
    assert (costs.enqueue.launch_s, costs.enqueue.call_s) == pytest.approx((10.42e-6, 0.0), rel=1e-12)
    assert (costs.module.launch_s, costs.module.call_s) == pytest.approx((12.72e-6, 12.64e-6), rel=1e-12)
    assert costs.graph.launch_s == pytest.approx(28.17e-6, rel=1e-12)
    # one eager start for both eager kinds: the entry's host.eager_start_us
    assert costs.enqueue.start_s == costs.module.start_s == pytest.approx(95.90e-6, rel=1e-12)
    # 4 kernels, 18 torch calls: module code pays 12.72 + 12.64 * 18 / 4 us per launch, the enqueue 10.42 us
    assert costs.module.per_launch(torch_calls=18, launches=4) == pytest.approx((12.72 + 12.64 * 4.5) * 1e-6)
    assert costs.enqueue.per_launch(torch_calls=18, launches=4) == costs.enqueue.launch_s
    with pytest.raises(ValueError, match=r"^unknown eager execution kind 'graph'; allowed: enqueue, module$"):
        costs.eager("graph")


def test_launch_queue_overlaps_host_and_gpu_and_syncs_drain_it() -> None:
    q = LaunchQueue(sync_s=5e-6)
    # GPU-bound: ten 100 us kernels launched 10 us apart end at 10 + 10 x 100 us; the host is done at 100 us
    q.launch(10, kernel_s=100e-6, launch_s=10e-6)
    assert (round(q.gpu_s * 1e6, 9), round(q.host_s * 1e6, 9)) == (1010.0, 100.0)
    # host-bound kernels launched meanwhile queue behind the backlog: 1,010 + 5 x 1 us
    q.launch(5, kernel_s=1e-6, launch_s=10e-6)
    assert round(q.gpu_s * 1e6, 9) == 1015.0
    # a sync waits for the GPU (1,015 us), then its round trip; launches after it start from there
    q.sync(2)
    assert round(q.host_s * 1e6, 9) == 1025.0
    q.launch(1, kernel_s=3e-6, launch_s=10e-6)
    assert (round(q.end_s * 1e6, 9), q.syncs) == (1038.0, 2)


def test_syncs_sit_between_the_records_of_the_layers_around_them() -> None:
    # hf-eager's decode step: one sync per MoE layer (its moe_infer reads the expert counts on the host), placed
    # after the MoE block's own kernels (the walk books a layer's own kernels before its children's), so the first
    # one precedes the first MoE layer's gate (layer 0 is dense); every sync of the step is placed
    step = DeepseekOCRDecodeStep(config=DeepseekV2TextConfig(), batch=1, kv_len=512, attention="eager")
    inventory = kernel_inventory(step, load_runtime("hf-eager"))
    assert sum(r.syncs_before for r in inventory.records) == inventory.host_syncs == 11
    (first,) = [r for r in inventory.records if r.syncs_before][:1]
    assert (first.path, first.layer_class, first.syncs_before) == ("model.layers.1.mlp.gate", "MoEGate", 1)
