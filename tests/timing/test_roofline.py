"""Roofline time: hand-derived arithmetic on H100 numbers and on round-number rates; the level-by-level walk
on a tiny tree by hand, its pieces adding up to it on the real model."""

from __future__ import annotations

import subprocess
import sys
from typing import ClassVar

import pytest
from attrs import define

from llm_perf_opt.data.hardware import AchievableRates
from llm_perf_opt.hardware.rates import achievable_rates
from llm_perf_opt.hardware.registry import load_hardware
from llm_perf_opt.timing.roofline import (
    Bound,
    peak_working_set_bytes,
    piece_seconds,
    roofline_pieces,
    roofline_time,
    tree_times,
)
from modelmeter.layers import AttentionCore, Conv2d, Linear
from modelmeter.layers.base import BaseLayer, Child, OperatorCategory
from modelmeter.metrics import ZERO, LayerMetrics

# H100 SXM rates measured by scripts/gpu/calibrate.py (conf/hardware/h100-sxm.yaml calibration block,
# reports/validation/h100/calibration.json)
H100_TC = 673.4e12  # measured bf16 8192^3 matmul
H100_BW = 3.021e12  # measured 2 GiB device copy (read + write)

# round numbers for exact arithmetic
ROUND = AchievableRates(
    tensor_core_flops_per_s=1e12, cuda_core_flops_per_s=1e10, memory_bytes_per_s=1e11, measured=False
)


def test_large_linear_is_compute_bound_on_h100() -> None:
    layer = Linear(tokens=8192, in_features=8192, out_features=8192, bias=False)
    t = roofline_time(layer, load_hardware("h100-sxm"))
    (piece,) = roofline_pieces(layer, load_hardware("h100-sxm"))
    flops = 2 * 8192**3  # 1_099_511_627_776
    io = (8192 * 8192 + 8192 * 8192 + 8192 * 8192) * 2  # W + X + Y in bf16 = 402_653_184
    assert (piece.tensor_core_flops, piece.io_bytes) == (1_099_511_627_776, 402_653_184) == (flops, io)
    assert piece.compute_seconds == pytest.approx(flops / H100_TC, rel=1e-12)  # 1.633 ms
    assert piece.memory_seconds == pytest.approx(io / H100_BW, rel=1e-12)  # 0.1332 ms
    assert piece.bound is Bound.COMPUTE
    assert t.seconds == t.compute_seconds == piece.compute_seconds
    assert t.dominant_bound is Bound.COMPUTE


def test_one_token_linear_is_memory_bound_on_h100() -> None:
    layer = Linear(tokens=1, in_features=8192, out_features=8192, bias=False)
    t = roofline_time(layer, load_hardware("h100-sxm"))
    (piece,) = roofline_pieces(layer, load_hardware("h100-sxm"))
    io = (8192 * 8192 + 8192 + 8192) * 2  # 134_250_496 bytes: the weights dominate
    assert piece.io_bytes == 134_250_496 == io
    assert piece.tensor_core_flops == 2 * 8192 * 8192 == 134_217_728
    assert piece.seconds == pytest.approx(io / H100_BW, rel=1e-12)  # 44.44 us
    assert piece.compute_seconds == pytest.approx(134_217_728 / H100_TC, rel=1e-12)  # 0.20 us
    assert piece.bound is Bound.MEMORY
    assert t.dominant_bound is Bound.MEMORY


def test_cuda_core_term_adds_to_tensor_core_term() -> None:
    layer = Linear(tokens=100, in_features=10, out_features=10, bias=True)
    (piece,) = roofline_pieces(layer, ROUND)
    # Tensor-Core 2*100*10*10 = 20_000 FLOPs at 1e12 -> 2e-8 s; bias adds 100*10 = 1_000 FLOPs at 1e10 -> 1e-7 s
    assert (piece.tensor_core_flops, piece.cuda_core_flops) == (20_000, 1_000)
    assert piece.compute_seconds == pytest.approx(1.2e-7, rel=1e-12)
    # bytes: (params 110 + X 100*10 + Y 100*10) * 2 = 4_220 at 1e11 -> 4.22e-8 s
    assert piece.io_bytes == 4_220
    assert piece.memory_seconds == pytest.approx(4.22e-8, rel=1e-12)
    assert piece.seconds == piece.compute_seconds
    assert piece.bound is Bound.COMPUTE


def test_causal_attention_uses_executed_flops() -> None:
    core = AttentionCore(batch=1, heads=2, q_len=4, kv_len=4, head_dim=8, causal=True)
    (piece,) = roofline_pieces(core, ROUND)
    # 10 of 16 scores visible: 2 matmuls * 2 * 2 heads * 8 * 10 = 640 executed (1024 counted)
    assert piece.tensor_core_flops == 640
    assert core.forward_tensor_core_flops == 1024


@define(frozen=True, kw_only=True)
class _Block(BaseLayer):
    """Two calls of one Linear plus a residual add of its own (8 tokens x 4 features)."""

    category: ClassVar[OperatorCategory] = OperatorCategory.OTHER

    def own_metrics(self) -> LayerMetrics:
        return LayerMetrics(
            forward_cuda_core_flops=32, forward_activation_read_bytes=128, forward_activation_write_bytes=64
        )

    def children(self) -> tuple[Child, ...]:
        return (Child("fc", Linear(tokens=8, in_features=4, out_features=4, bias=False), 2),)


@define(frozen=True, kw_only=True)
class _Stack(BaseLayer):
    """A pure container: three identical blocks."""

    def own_metrics(self) -> LayerMetrics:
        return ZERO

    def children(self) -> tuple[Child, ...]:
        return (Child("blocks.*", _Block(), 3),)


def test_tree_counts_multiply_and_containers_take_no_time() -> None:
    t = roofline_time(_Stack(), ROUND)
    pieces = roofline_pieces(_Stack(), ROUND)
    assert [(p.path, p.layer_name, p.calls) for p in pieces] == [
        ("blocks.*", "_Block", 3),
        ("blocks.*.fc", "Linear", 6),
    ]
    block, fc = pieces
    # block's own add: 32 FLOPs at 1e10 = 3.2e-9 s vs 192 B at 1e11 = 1.92e-9 s -> compute
    assert block.seconds == pytest.approx(3.2e-9, rel=1e-12)
    assert block.bound is Bound.COMPUTE
    # fc: 2*8*4*4 = 256 FLOPs at 1e12 = 2.56e-10 s vs (16 + 32 + 32) * 2 = 160 B at 1e11 = 1.6e-9 s -> memory
    assert fc.seconds == pytest.approx(1.6e-9, rel=1e-12)
    assert fc.bound is Bound.MEMORY
    # total: 3 * 3.2e-9 + 6 * 1.6e-9 = 9.6e-9 + 9.6e-9
    assert t.seconds == pytest.approx(1.92e-8, rel=1e-12)
    assert t.compute_seconds == pytest.approx(9.6e-9, rel=1e-12)
    assert t.memory_seconds == pytest.approx(9.6e-9, rel=1e-12)
    assert t.latency_seconds == 0.0


def test_pieces_without_work_are_left_out() -> None:
    idle_expert = Linear(tokens=0, in_features=64, out_features=64, bias=False)
    unused_conv = Conv2d(batch=1, in_channels=3, out_channels=8, in_h=8, in_w=8, kernel_size=3, executed=False)
    for layer in (idle_expert, unused_conv):
        t = roofline_time(layer, ROUND)
        assert roofline_pieces(layer, ROUND) == ()
        assert t.seconds == 0.0
        assert t.dominant_bound is Bound.IDLE


def test_min_kernel_floor_makes_tiny_kernels_latency_bound() -> None:
    layer = Linear(tokens=1, in_features=4, out_features=4, bias=False)
    # roof: (16 + 4 + 4) * 2 = 48 B at 1e11 = 4.8e-10 s, below the 2e-6 s floor
    (piece,) = roofline_pieces(layer, ROUND, min_kernel_seconds=2e-6)
    assert piece.memory_seconds == pytest.approx(4.8e-10, rel=1e-12)
    assert piece.seconds == 2e-6
    assert piece.bound is Bound.LATENCY
    t = roofline_time(layer, ROUND, min_kernel_seconds=2e-6)
    assert t.seconds == t.latency_seconds == 2e-6
    assert t.dominant_bound is Bound.LATENCY


def test_piece_seconds_rejects_negative_floor() -> None:
    with pytest.raises(ValueError, match="min_kernel_seconds"):
        piece_seconds(tensor_core_flops=1, cuda_core_flops=0, io_bytes=1, rates=ROUND, min_kernel_seconds=-1.0)
    with pytest.raises(ValueError, match="min_kernel_seconds"):
        tree_times(_Stack(), (ROUND,), min_kernel_seconds=-1.0)


def test_dominant_bound_is_the_one_with_more_time() -> None:
    big = Linear(tokens=8192, in_features=8192, out_features=8192, bias=False)  # compute, 1.62 ms on H100
    small = Linear(tokens=1, in_features=8192, out_features=8192, bias=False)  # memory, 44.4 us on H100

    @define(frozen=True, kw_only=True)
    class _Pair(BaseLayer):
        def own_metrics(self) -> LayerMetrics:
            return ZERO

        def children(self) -> tuple[Child, ...]:
            return (Child("big", big, 1), Child("small", small, 40))  # 40 * 44.4 us = 1.78 ms > 1.62 ms

    t = roofline_time(_Pair(), load_hardware("h100-sxm"))
    assert t.compute_seconds == pytest.approx(2 * 8192**3 / H100_TC, rel=1e-12)
    assert t.memory_seconds == pytest.approx(40 * 134_250_496 / H100_BW, rel=1e-12)
    assert t.dominant_bound is Bound.MEMORY


def test_time_model_imports_no_torch() -> None:
    code = (
        "import sys\n"
        "import llm_perf_opt.timing.roofline, llm_perf_opt.timing.memory_fit, llm_perf_opt.timing.throughput\n"
        "import llm_perf_opt.hardware.registry, llm_perf_opt.hardware.rates\n"
        "sys.exit('torch' in sys.modules)\n"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


SLOW_MEMORY = AchievableRates(
    tensor_core_flops_per_s=1e12, cuda_core_flops_per_s=1e12, memory_bytes_per_s=1e9, measured=False
)
SLOW_COMPUTE = AchievableRates(
    tensor_core_flops_per_s=1e9, cuda_core_flops_per_s=1e9, memory_bytes_per_s=1e12, measured=False
)


@define(frozen=True, kw_only=True)
class _Triple(BaseLayer):
    """A composite: 3 calls of one Linear plus its own elementwise work."""

    category: ClassVar[OperatorCategory] = OperatorCategory.OTHER

    def own_metrics(self) -> LayerMetrics:
        # 100 CUDA-core FLOPs reading 400 bytes and writing 600
        return LayerMetrics(
            forward_cuda_core_flops=100, forward_activation_read_bytes=400, forward_activation_write_bytes=600
        )

    def children(self) -> tuple[Child, ...]:
        return (Child("fc", Linear(tokens=4, in_features=5, out_features=6, bias=False), count=3),)


def test_several_gpus_in_one_walk_by_hand() -> None:
    slow_mem, slow_compute = tree_times(_Triple(), (SLOW_MEMORY, SLOW_COMPUTE))
    # Linear: 2*4*5*6 = 240 FLOPs; bytes (30 weights + 20 in + 24 out) * 2 = 148
    # own: 100 FLOPs, 1000 bytes
    # memory-slow GPU: Linear 148 / 1e9 = 1.48e-7 s (memory), own 1000 / 1e9 = 1e-6 s (memory)
    assert slow_mem.seconds == 1e-6 + 3 * 1.48e-7
    assert slow_mem.memory_seconds == slow_mem.seconds
    assert slow_mem.compute_seconds == 0.0
    # compute-slow GPU: Linear 240 / 1e9 = 2.4e-7 s (compute), own 100 / 1e9 = 1e-7 s (compute)
    assert slow_compute.seconds == 1e-7 + 3 * 2.4e-7
    assert slow_compute.dominant_bound is Bound.COMPUTE
    assert roofline_time(_Triple(), SLOW_COMPUTE) == slow_compute
    # peak working set: own 400 + 600 = 1000 bytes beats the Linear's (20 + 24) * 2 = 88
    assert peak_working_set_bytes(_Triple()) == 1000


def test_the_pieces_add_up_to_the_walk_on_every_stage() -> None:
    """What a breakdown by piece shows (the roofline plot's layer classes) adds up to the total reported."""
    from modelmeter.models.deepseek_ocr.layers.core import DeepseekOCRModel
    from modelmeter.models.deepseek_ocr.workload import OCRWorkload

    model = DeepseekOCRModel(workload=OCRWorkload(crop_grid=(2, 3), batch_size=3))
    specs = [load_hardware(n) for n in ("h100-sxm", "l4")]
    for stage in model.stage_layers().values():
        ours = tree_times(stage, [achievable_rates(s) for s in specs])
        for spec, t in zip(specs, ours, strict=True):
            pieces = roofline_pieces(stage, spec)
            # the same per-piece formula, summed per level instead of piece by piece: only rounding differs
            assert abs(t.seconds - sum(p.total_seconds for p in pieces)) <= 1e-12 * t.seconds
            for bound, part in ((Bound.COMPUTE, t.compute_seconds), (Bound.MEMORY, t.memory_seconds)):
                assert abs(part - sum(p.total_seconds for p in pieces if p.bound is bound)) <= 1e-12 * t.seconds


def test_peak_is_the_largest_piece_of_the_walk() -> None:
    from modelmeter.models.deepseek_ocr.layers.core import DeepseekOCRModel
    from modelmeter.models.deepseek_ocr.workload import OCRWorkload

    model = DeepseekOCRModel(workload=OCRWorkload(crop_grid=(2, 3), max_new_tokens=5))
    for stage in model.stage_layers().values():
        want = max(
            n.own_metrics().forward_activation_read_bytes + n.own_metrics().forward_activation_write_bytes
            for _, n, _ in stage.walk()
        )
        assert peak_working_set_bytes(stage) == want
