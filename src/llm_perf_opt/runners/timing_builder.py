"""Predicted stage times for ``--hardware``/``--runtime``: the roofline of each stage and the kernel-level
time of each stage under a runtime profile (docs/time-model.md), and the answer per page they give.

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

from llm_perf_opt.data.analyzer_summary import PageSummary
from llm_perf_opt.data.hardware import HardwareSpec
from llm_perf_opt.data.runtime_profile import RuntimeProfile
from llm_perf_opt.hardware.registry import load_hardware
from llm_perf_opt.kernels.profiles import load_runtime
from llm_perf_opt.kernels.timing import StageRuntime, runtime_stage_times
from llm_perf_opt.planning.predict import predict
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


FIRST_TOKEN_STAGES = ("sam", "clip", "projector", "prefill", "lm_head")
"""The stages before the first token (the prefill's logits give it); ``decode`` makes the rest."""
SECONDS_PER_DAY = 86_400


@define(frozen=True, kw_only=True)
class WorkloadTimings:
    """Every stage's predictions, the runtime details behind the kernel-level ones, and the page they make."""

    hardware: HardwareSpec
    runtime: RuntimeProfile
    stages: dict[str, StageTiming]
    runtimes: dict[str, StageRuntime]
    page: PageSummary


def page_summary(
    model: DeepseekOCRModel, hardware: HardwareSpec, runtime: RuntimeProfile, stages: dict[str, StageTiming]
) -> PageSummary:
    """The answer per page: first token, per token, per page and per day from the stages' wall times under
    ``runtime``; memory from the planning model (:func:`llm_perf_opt.planning.predict.predict`)."""
    memory = predict(model.arch, model.workload, hardware).memory
    ttft = sum(stages[name].predicted_wall_s for name in FIRST_TOKEN_STAGES)
    decode = stages["decode"].predicted_wall_s
    steps = model.workload.decode_steps
    page = ttft + decode
    per_s = model.workload.batch_size / page if page > 0 else 0.0
    return PageSummary(
        runtime=runtime.name,
        hardware=hardware.name,
        calibrated=hardware.calibration is not None and hardware.calibration.measured,
        ttft_s=ttft,
        tpot_s=decode / steps if steps else 0.0,
        page_s=page,
        pages_per_s=per_s,
        pages_per_day=per_s * SECONDS_PER_DAY,
        peak_memory_bytes=memory.total_bytes,
        fits=memory.fits,
        max_batch=memory.max_batch,
    )


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
    page = page_summary(model, spec, profile, stages)
    return WorkloadTimings(hardware=spec, runtime=profile, stages=stages, runtimes=runtimes, page=page)
