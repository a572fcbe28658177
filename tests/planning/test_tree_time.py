"""Level-by-level roofline totals: hand-checked on a tiny tree, equal to the flat walk on the real model."""

from __future__ import annotations

from typing import ClassVar

from attrs import define

from llm_perf_opt.data.hardware import AchievableRates
from llm_perf_opt.hardware.rates import achievable_rates
from llm_perf_opt.hardware.registry import load_hardware
from llm_perf_opt.planning.tree_time import peak_working_set_bytes, tree_times
from llm_perf_opt.timing.roofline import Bound, roofline_time
from modelmeter.layers import Linear
from modelmeter.layers.base import BaseLayer, Child, OperatorCategory
from modelmeter.metrics import LayerMetrics
from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch
from modelmeter.models.deepseek_ocr.layers.core import DeepseekOCRModel
from modelmeter.models.deepseek_ocr.workload import OCRWorkload

SLOW_MEMORY = AchievableRates(
    tensor_core_flops_per_s=1e12, cuda_core_flops_per_s=1e12, memory_bytes_per_s=1e9, measured=False
)
SLOW_COMPUTE = AchievableRates(
    tensor_core_flops_per_s=1e9, cuda_core_flops_per_s=1e9, memory_bytes_per_s=1e12, measured=False
)


@define(frozen=True, kw_only=True)
class _Block(BaseLayer):
    """A composite: 3 calls of one Linear plus its own elementwise work."""

    category: ClassVar[OperatorCategory] = OperatorCategory.OTHER

    def own_metrics(self) -> LayerMetrics:
        # 100 CUDA-core FLOPs reading 400 bytes and writing 600
        return LayerMetrics(
            forward_cuda_core_flops=100, forward_activation_read_bytes=400, forward_activation_write_bytes=600
        )

    def children(self) -> tuple[Child, ...]:
        return (Child("fc", Linear(tokens=4, in_features=5, out_features=6, bias=False), count=3),)


def test_tiny_tree_by_hand() -> None:
    slow_mem, slow_compute = tree_times(_Block(), (SLOW_MEMORY, SLOW_COMPUTE))
    # Linear: 2*4*5*6 = 240 FLOPs; bytes (30 weights + 20 in + 24 out) * 2 = 148
    # own: 100 FLOPs, 1000 bytes
    # memory-slow GPU: Linear 148 / 1e9 = 1.48e-7 s (memory), own 1000 / 1e9 = 1e-6 s (memory)
    assert slow_mem.seconds == 1e-6 + 3 * 1.48e-7
    assert slow_mem.memory_seconds == slow_mem.seconds
    assert slow_mem.compute_seconds == 0.0
    # compute-slow GPU: Linear 240 / 1e9 = 2.4e-7 s (compute), own 100 / 1e9 = 1e-7 s (compute)
    assert slow_compute.seconds == 1e-7 + 3 * 2.4e-7
    assert slow_compute.dominant_bound is Bound.COMPUTE
    # peak working set: own 400 + 600 = 1000 bytes beats the Linear's (20 + 24) * 2 = 88
    assert peak_working_set_bytes(_Block()) == 1000


def test_matches_the_flat_walk_on_every_stage() -> None:
    model = DeepseekOCRModel(arch=DeepseekOCRArch(), workload=OCRWorkload(crop_grid=(2, 3), batch_size=3))
    specs = [load_hardware(n) for n in ("h100-sxm", "l4")]
    for stage in model.stage_layers().values():
        ours = tree_times(stage, [achievable_rates(s) for s in specs])
        for spec, t in zip(specs, ours, strict=True):
            flat = roofline_time(stage, spec)
            # same per-piece formula, summed per level instead of piece by piece: only rounding differs
            assert abs(t.seconds - flat.total_seconds) <= 1e-12 * flat.total_seconds
            for bound, part in ((Bound.COMPUTE, t.compute_seconds), (Bound.MEMORY, t.memory_seconds)):
                want = flat.seconds_by_bound.get(bound, 0.0)
                assert abs(part - want) <= 1e-12 * flat.total_seconds
            assert t.dominant_bound is flat.dominant_bound


def test_peak_is_the_largest_piece_of_the_walk() -> None:
    model = DeepseekOCRModel(arch=DeepseekOCRArch(), workload=OCRWorkload(crop_grid=(2, 3), max_new_tokens=5))
    for stage in model.stage_layers().values():
        want = max(
            n.own_metrics().forward_activation_read_bytes + n.own_metrics().forward_activation_write_bytes
            for _, n, _ in stage.walk()
        )
        assert peak_working_set_bytes(stage) == want
