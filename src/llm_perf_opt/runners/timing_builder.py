"""Predicted stage times for ``--hardware``/``--runtime``: the roofline of each stage (issue 5's
time model) and the kernel-level time of each stage under a runtime profile (issue 8's).

Example
-------
>>> from modelmeter.models.deepseek_ocr.layers.core import DeepseekOCRModel
>>> from modelmeter.models.deepseek_ocr.workload import OCRWorkload
>>> t = stage_timings(DeepseekOCRModel(workload=OCRWorkload(crop_grid=(2, 2), max_new_tokens=2)), "h100-sxm", "fused")
>>> list(t.stages), t.stages["lm_head"].kernel_launches > 0
(['sam', 'clip', 'projector', 'prefill', 'lm_head', 'decode'], True)
"""

from __future__ import annotations

from attrs import define

from llm_perf_opt.data.hardware import HardwareSpec
from llm_perf_opt.data.runtime_profile import RuntimeProfile
from llm_perf_opt.hardware.registry import load_hardware
from llm_perf_opt.kernels.profiles import load_runtime
from llm_perf_opt.kernels.timing import StageRuntime, runtime_stage_times
from llm_perf_opt.timing.roofline import roofline_time
from modelmeter.models.deepseek_ocr.layers.core import DeepseekOCRModel


@define(frozen=True, kw_only=True)
class StageTiming:
    """One stage's predictions."""

    roofline_s: float
    predicted_kernel_s: float
    predicted_wall_s: float
    kernel_launches: int
    torch_calls: int


@define(frozen=True, kw_only=True)
class WorkloadTimings:
    """Every stage's predictions, and the runtime details behind the kernel-level ones."""

    hardware: HardwareSpec
    runtime: RuntimeProfile
    stages: dict[str, StageTiming]
    runtimes: dict[str, StageRuntime]


def stage_timings(
    model: DeepseekOCRModel, hardware: HardwareSpec | str, runtime: RuntimeProfile | str
) -> WorkloadTimings:
    """Roofline (at the workload's attention) and kernel/wall time (at the runtime's) per stage."""
    spec = load_hardware(hardware) if isinstance(hardware, str) else hardware
    profile = load_runtime(runtime) if isinstance(runtime, str) else runtime
    runtimes = runtime_stage_times(model, spec, profile)
    stages = {
        name: StageTiming(
            roofline_s=roofline_time(layer, spec).total_seconds,
            predicted_kernel_s=runtimes[name].predicted_kernel_s,
            predicted_wall_s=runtimes[name].predicted_wall_s,
            kernel_launches=runtimes[name].kernel_launches,
            torch_calls=runtimes[name].torch_calls,
        )
        for name, layer in model.stage_layers().items()
    }
    return WorkloadTimings(hardware=spec, runtime=profile, stages=stages, runtimes=runtimes)
