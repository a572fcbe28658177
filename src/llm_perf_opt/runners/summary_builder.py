"""Build ``summary.json`` (:class:`~llm_perf_opt.data.analyzer_summary.AnalyzerSummary`) from a report.

Per stage: ``tensor_core_flops`` = forward Tensor-Core FLOPs, ``cuda_core_flops`` = forward
CUDA-core FLOPs, ``io_bytes`` = forward I/O bytes, ``weight_bytes`` = weight memory,
``activation_bytes`` = activation memory, ``kv_cache_bytes`` = KV-cache memory, ``params``.

Example
-------
>>> from llm_perf_opt.runners.analyzer_inputs import WorkloadFlags, resolve_inputs
>>> from llm_perf_opt.runners.report_builder import build_report
>>> summary = build_summary(build_report(resolve_inputs(WorkloadFlags(max_new_tokens=2))))
>>> summary.image_tokens, summary.prefill_tokens, summary.stages["lm_head"].params
(903, 913, 165478400)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from attrs import evolve

from llm_perf_opt.data.analytic_report import AnalyticModelReport
from llm_perf_opt.data.analyzer_summary import AnalyzerSummary, StageSummary, SummaryWorkload, TorchInfoSummary
from llm_perf_opt.data.module_metrics import ModuleMetricsSnapshot
from llm_perf_opt.runners.report_builder import metrics_of

if TYPE_CHECKING:
    from llm_perf_opt.runners.timing_builder import WorkloadTimings


def stage_summary(snap: ModuleMetricsSnapshot) -> StageSummary:
    """The summary's seven numbers of one stage."""
    m = metrics_of(snap)
    return StageSummary(
        tensor_core_flops=m.forward_tensor_core_flops,
        cuda_core_flops=m.forward_cuda_core_flops,
        io_bytes=m.forward_io_bytes,
        weight_bytes=m.weight_memory_bytes,
        activation_bytes=m.activation_memory_bytes,
        kv_cache_bytes=m.kv_cache_memory_bytes,
        params=m.params,
    )


def build_summary(report: AnalyticModelReport, timings: WorkloadTimings | None = None) -> AnalyzerSummary:
    """The stable summary of ``report`` (with predicted times per stage when ``timings`` is given)."""
    w = report.workload
    workload = SummaryWorkload(
        id=w.id,
        resolution_mode=w.resolution_mode,
        base_size=w.base_size,
        image_size=w.image_size,
        crop_mode=w.crop_mode,
        crop_grid=report.geometry.crop_grid,
        image_width=w.image_width,
        image_height=w.image_height,
        prompt_tokens=w.prompt_tokens,
        max_new_tokens=w.max_new_tokens,
        batch_size=w.batch_size,
        dtype=w.dtype,
        attention=w.attention,
    )
    torchinfo = None
    if report.torchinfo is not None:
        t = report.torchinfo
        torchinfo = TorchInfoSummary(
            layer_classes=t.layer_classes,
            modeled=t.modeled,
            unclassified=t.unclassified,
            param_mismatches=t.param_mismatches,
        )
    return AnalyzerSummary(
        model=report.model.name,
        workload=workload,
        image_tokens=report.geometry.image_tokens,
        prefill_tokens=report.geometry.prefill_tokens,
        total_params=report.total.params,
        stages={s.stage: _timed(s.stage, stage_summary(s.metrics), timings) for s in report.stages},
        torchinfo=torchinfo,
        hardware=None if timings is None else timings.hardware.name,
        runtime=None if timings is None else timings.runtime.name,
        page=None if timings is None else timings.page,
    )


def _timed(stage: str, summary: StageSummary, timings: WorkloadTimings | None) -> StageSummary:
    if timings is None:
        return summary
    t = timings.stages[stage]
    return evolve(
        summary,
        predicted_time_s=t.roofline_s,
        predicted_kernel_s=t.predicted_kernel_s,
        predicted_wall_s=t.predicted_wall_s,
        kernel_launches=t.kernel_launches,
        torch_calls=t.torch_calls,
    )
