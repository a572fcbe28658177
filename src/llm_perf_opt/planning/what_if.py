"""Recompute a saved report for another batch size or GPU, without the original inputs.

Two saved files hold enough to rebuild the model:

* the analyzer's ``report.json`` (its ``model`` block holds the architecture, its ``workload``
  block the resolved workload, crop grid included);
* this package's ``planning.json`` (:class:`~llm_perf_opt.data.planning.PlanningReport`: the
  model and one :class:`~llm_perf_opt.data.planning.PlanningPoint`, whose workload is the
  analytic one, its GPU, target and memory fraction).

:func:`what_if` rebuilds the workload with the new batch (every other field as saved) and
calls :func:`~llm_perf_opt.planning.predict.predict` under the saved time model (or another one), so
for the same inputs the numbers are exactly those of a direct prediction.

Example
-------
>>> from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch
>>> from modelmeter.models.deepseek_ocr.workload import OCRWorkload
>>> from llm_perf_opt.data.model_spec import DeepSeekOCRModelSpec
>>> spec = DeepSeekOCRModelSpec(name="deepseek-ai/DeepSeek-OCR", config_source="embedded", arch=DeepseekOCRArch())
>>> saved = planning_report_text(predict(spec.arch, OCRWorkload(crop_grid=(2, 3)), "l4"), spec)
>>> again = what_if(parse_saved_report(saved), batch_size=8, hardware="h100-sxm")
>>> again == predict(spec.arch, OCRWorkload(crop_grid=(2, 3), batch_size=8), "h100-sxm")
True
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from attrs import define, evolve

from llm_perf_opt.contracts.converter import structure, to_json_text
from llm_perf_opt.contracts.json_input import load_json
from llm_perf_opt.contracts.yaml_input import InputFileError, read_input_file
from llm_perf_opt.data.model_spec import DeepSeekOCRModelSpec
from llm_perf_opt.data.planning import ROOFLINE, PlanningPoint, PlanningReport
from llm_perf_opt.data.workload_profile import OCRWorkloadProfile
from llm_perf_opt.hardware.registry import resolve_hardware
from llm_perf_opt.planning.predict import DEFAULT_MEMORY_UTILIZATION, predict
from llm_perf_opt.timing.time_model import time_model
from modelmeter.models.families import AnyOCRWorkload


@define(frozen=True, kw_only=True)
class SavedInputs:
    """What a saved report says about its inputs (``hardware`` and the planning settings are
    ``None`` / defaults when the file is an analyzer report without a planning block).

    Example
    -------
    >>> SavedInputs.__attrs_attrs__.memory_utilization.default
    0.9
    """

    model: DeepSeekOCRModelSpec
    workload: AnyOCRWorkload
    page_size: tuple[int, int] | None = None
    hardware: str | None = None
    target_pages_per_day: float | None = None
    memory_utilization: float = DEFAULT_MEMORY_UTILIZATION
    min_kernel_seconds: float = 0.0
    runtime: str = ROOFLINE
    source: str = "planning.json"


def planning_report_text(point: PlanningPoint, model: DeepSeekOCRModelSpec) -> str:
    """``planning.json`` text for ``point`` (deterministic JSON)."""
    return to_json_text(PlanningReport(model=model, planning=point))


def _from_analyzer_report(data: dict[str, Any]) -> SavedInputs:
    from llm_perf_opt.runners.analyzer_inputs import WorkloadFlags, resolve_workload

    model = structure(data["model"], DeepSeekOCRModelSpec)
    profile = structure(data["workload"], OCRWorkloadProfile)
    _, workload = resolve_workload(profile, WorkloadFlags(), "report.json", model.family)
    page = None
    if profile.image_width is not None and profile.image_height is not None:
        page = (profile.image_width, profile.image_height)
    return SavedInputs(model=model, workload=workload, page_size=page, source="report.json")


def parse_saved_report(text: str, label: str = "report") -> SavedInputs:
    """The inputs of a saved ``planning.json`` or analyzer ``report.json`` (``ValueError``, one line, if neither)."""
    try:
        data = load_json(text)
    except InputFileError as exc:
        raise ValueError(f"{label}: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError(f"{label}: expected a JSON object, got {type(data).__name__}")
    try:
        if "planning" in data:
            report = structure(data, PlanningReport)
            p = report.planning
            page = (p.page_width, p.page_height) if p.page_width is not None and p.page_height is not None else None
            return SavedInputs(
                model=report.model,
                workload=p.workload,
                page_size=page,
                hardware=p.hardware,
                target_pages_per_day=p.target_pages_per_day,
                memory_utilization=p.memory.memory_utilization,
                min_kernel_seconds=p.min_kernel_seconds,
                runtime=p.runtime,
            )
        if "model" in data and "workload" in data:
            return _from_analyzer_report(data)
    except (ValueError, TypeError, AttributeError, KeyError) as exc:  # a JSON object of another shape
        raise ValueError(f"{label}: not a report.json or planning.json: {' '.join(str(exc).split())[:160]}") from None
    raise ValueError(
        f"{label}: neither a planning.json (no 'planning' block) "
        "nor an analyzer report.json (no 'model' and 'workload')"
    )


def load_saved_report(path: str | Path) -> SavedInputs:
    """:func:`parse_saved_report` of a file."""
    p = Path(path)
    if not p.is_file():
        raise ValueError(f"report: no such file {str(p)!r}")
    try:
        text = read_input_file(p)
    except InputFileError as exc:
        raise ValueError(f"{p}: {exc}") from None
    return parse_saved_report(text, str(p))


def what_if(
    saved: SavedInputs,
    *,
    batch_size: int | None = None,
    hardware: str | None = None,
    target_pages_per_day: float | None = None,
    runtime: str | None = None,
) -> PlanningPoint:
    """The saved workload at ``batch_size`` on ``hardware`` (a name or a YAML path) under ``runtime`` (the time
    model: ``roofline`` or a runtime profile's name or path), each defaulting to the saved value."""
    gpu = hardware if hardware is not None else saved.hardware
    if gpu is None:
        raise ValueError("--hardware: the saved report names no GPU; give one (a packaged name or a YAML path)")
    try:
        spec = resolve_hardware(gpu)
    except ValueError as exc:
        raise ValueError(f"--hardware: {exc}") from None
    try:
        timer = time_model(runtime if runtime is not None else saved.runtime)
    except ValueError as exc:
        raise ValueError(f"--runtime: {exc}") from None
    workload = saved.workload if batch_size is None else evolve(saved.workload, batch_size=batch_size)
    return predict(
        saved.model.arch,
        workload,
        spec,
        runtime=timer,
        target_pages_per_day=target_pages_per_day if target_pages_per_day is not None else saved.target_pages_per_day,
        memory_utilization=saved.memory_utilization,
        min_kernel_seconds=saved.min_kernel_seconds,
        page_size=saved.page_size,
    )
