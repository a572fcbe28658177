"""Predicted time for ``--hardware``/``--runtime``: the workload under the runtime profile's time model
(:func:`llm_perf_opt.planning.predict.predict`, the engine of capacity planning and sweeps too), each stage's
roofline, kernel and wall time with the parts of its wall time, and the answer per page they give.

Example
-------
>>> from modelmeter.models.deepseek_ocr.layers.core import DeepseekOCRModel
>>> from modelmeter.models.deepseek_ocr.workload import OCRWorkload
>>> t = stage_timings(DeepseekOCRModel(workload=OCRWorkload(crop_grid=(2, 2), max_new_tokens=2)), "h100-sxm", "fused")
>>> list(t.stages), t.stages["lm_head"].kernel_launches > 0, t.point.runtime
(['sam', 'clip', 'projector', 'prefill', 'lm_head', 'decode'], True, 'fused')
"""

from __future__ import annotations

from attrs import define

from llm_perf_opt.data.analyzer_summary import PageSummary
from llm_perf_opt.data.error_bands import packaged_error_bands
from llm_perf_opt.data.hardware import HardwareSpec
from llm_perf_opt.data.planning import PlanningPoint
from llm_perf_opt.data.runtime_profile import RuntimeProfile
from llm_perf_opt.hardware.registry import resolve_hardware
from llm_perf_opt.kernels.profiles import resolve_runtime
from llm_perf_opt.kernels.timing import StageRuntime
from llm_perf_opt.planning.predict import predict
from llm_perf_opt.timing.time_model import RecordingTimeModel, RuntimeTimeModel
from modelmeter.models.families import OCRModel

TARGET_PAGES_PER_DAY = 1_000_000
"""The capacity target the report sizes a fleet for."""


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
    """The workload on a GPU under a runtime profile: the planning point (times, memory, fleet size), every
    stage's predictions, the parts of their wall times, and the answer per page."""

    hardware: HardwareSpec
    runtime: RuntimeProfile
    point: PlanningPoint
    stages: dict[str, StageTiming]
    runtimes: dict[str, StageRuntime]
    page: PageSummary


def page_summary(point: PlanningPoint) -> PageSummary:
    """summary.json's ``page`` block: the planning point's answer, renamed for the contract, with the error
    measured for its basis."""
    m = point.memory
    return PageSummary(
        runtime=point.runtime,
        hardware=point.hardware,
        calibrated=point.calibrated,
        basis=point.basis,
        ttft_s=point.ttft_seconds,
        tpot_s=point.tpot_mean_seconds,
        page_s=point.seconds_per_batch,
        pages_per_s=point.pages_per_second,
        pages_per_day=point.pages_per_day,
        peak_memory_bytes=m.total_bytes,
        fits=m.fits,
        max_batch=m.max_batch,
        error_band=packaged_error_bands().band(point.basis, point.runtime),
    )


def stage_timings(model: OCRModel, hardware: HardwareSpec | str, runtime: RuntimeProfile | str) -> WorkloadTimings:
    """The workload of ``model`` on ``hardware`` under ``runtime`` (objects, names or YAML paths)."""
    spec = resolve_hardware(hardware) if isinstance(hardware, str) else hardware
    profile = resolve_runtime(runtime) if isinstance(runtime, str) else runtime
    timer = RecordingTimeModel(RuntimeTimeModel(profile))
    point = predict(model.arch, model.workload, spec, runtime=timer, target_pages_per_day=TARGET_PAGES_PER_DAY)
    (timed,) = timer.recorded
    runtimes = {name: t.runtime for name, t in timed.items() if t.runtime is not None}
    stages = {
        s.stage: StageTiming(
            roofline_s=s.seconds,
            predicted_kernel_s=s.kernel_seconds,
            predicted_wall_s=s.wall_seconds,
            kernel_launches=s.kernel_launches,
            torch_calls=s.torch_calls,
        )
        for s in point.stages
    }
    return WorkloadTimings(
        hardware=spec, runtime=profile, point=point, stages=stages, runtimes=runtimes, page=page_summary(point)
    )
