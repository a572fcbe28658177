"""Capacity-planning records: the predicted metrics, times, memory and throughput of one
(workload, GPU) point, and the ``planning.json`` file that holds one point with its model.

Units are in the field names (``*_seconds``, ``*_bytes``, ``*_flops``); FLOPs and bytes are
integers, times and rates floats. The meaning of every time and memory figure is defined in
:mod:`llm_perf_opt.planning.predict`.

Example
-------
>>> StagePrediction(stage="sam", forward_tensor_core_flops=1, forward_executed_tensor_core_flops=1,
...                 forward_cuda_core_flops=0, forward_io_bytes=4, weight_memory_bytes=0,
...                 activation_memory_bytes=0, kv_cache_memory_bytes=0, params=0, seconds=1e-9,
...                 compute_bound_seconds=0.0, memory_bound_seconds=1e-9, latency_bound_seconds=0.0,
...                 bound="memory", kernel_seconds=1e-9, wall_seconds=1e-9).bound
'memory'
"""

from __future__ import annotations

from attrs import define, field
from attrs.validators import instance_of

from llm_perf_opt.data._validators import (
    finite_non_negative,
    fraction,
    non_empty_str,
    non_negative_int,
    one_of,
    optional_finite_positive,
    optional_positive_int,
    positive_int,
)
from llm_perf_opt.data.model_spec import DeepSeekOCRModelSpec
from llm_perf_opt.data.stage_names import ALL_STAGE_NAMES
from llm_perf_opt.data.workload_profile import RESOLUTION_MODE_NAMES
from modelmeter.models.deepseek_ocr.workload import OCRWorkload
from modelmeter.models.deepseek_ocr2.workload import OCR2Workload
from modelmeter.models.families import FAMILIES, V1, AnyOCRWorkload, family_of

BASIS_CALIBRATED = "calibrated"
"""A prediction timed on kernel-time curves measured on the GPU (its entry's ``calibration.kernel_curves``)."""
BASIS_PORTABLE = "portable"
"""A prediction timed on the portable model's curves (:mod:`llm_perf_opt.hardware.portable`): the calibrated GPUs'
measurements rescaled to the GPU's datasheet."""
BASES: tuple[str, ...] = (BASIS_CALIBRATED, BASIS_PORTABLE)
"""The values of a prediction's ``basis``."""

ROOFLINE = "roofline"
"""The name of the roofline time model in a point's ``runtime`` (never a runtime profile's name)."""

PLANNING_SCHEMA_VERSION = "1"
BOUNDS: tuple[str, ...] = ("compute", "memory", "latency", "idle")
"""What limits a stage's time (the bound of its pieces with the most time)."""


@define(frozen=True, kw_only=True)
class StagePrediction:
    """One stage: its forward metrics (all calls of the batch), its roofline time and its time under the point's
    time model.

    ``seconds`` is the stage's roofline; ``*_bound_seconds`` split it by what bounds each piece; ``bound`` names
    the largest part. ``kernel_seconds`` and ``wall_seconds`` are the GPU-busy and the wall time under the
    point's ``runtime`` (the roofline itself under ``roofline``); ``kernel_launches`` and ``torch_calls`` are the
    runtime profile's (0 under the roofline).

    Example
    -------
    >>> StagePrediction.__attrs_attrs__.stage.name
    'stage'
    """

    stage: str = field(validator=one_of(ALL_STAGE_NAMES))
    forward_tensor_core_flops: int = field(validator=non_negative_int)
    forward_executed_tensor_core_flops: int = field(validator=non_negative_int)
    forward_cuda_core_flops: int = field(validator=non_negative_int)
    forward_io_bytes: int = field(validator=non_negative_int)
    weight_memory_bytes: int = field(validator=non_negative_int)
    activation_memory_bytes: int = field(validator=non_negative_int)
    kv_cache_memory_bytes: int = field(validator=non_negative_int)
    params: int = field(validator=non_negative_int)
    seconds: float = field(validator=finite_non_negative)
    compute_bound_seconds: float = field(validator=finite_non_negative)
    memory_bound_seconds: float = field(validator=finite_non_negative)
    latency_bound_seconds: float = field(validator=finite_non_negative)
    bound: str = field(validator=one_of(BOUNDS))
    kernel_seconds: float = field(validator=finite_non_negative)
    wall_seconds: float = field(validator=finite_non_negative)
    kernel_launches: int = field(default=0, validator=non_negative_int)
    torch_calls: int = field(default=0, validator=non_negative_int)


@define(frozen=True, kw_only=True)
class MemoryPrediction:
    """Device memory at the peak of a batch, and the largest batch that fits.

    ``total_bytes = weight_bytes + peak_activation_bytes + kv_cache_bytes``;
    ``capacity_bytes`` is ``memory_utilization`` of the device memory. ``max_batch`` is 0
    when even one page does not fit.

    Example
    -------
    >>> MemoryPrediction(weight_bytes=1, peak_activation_bytes=2, kv_cache_bytes=3, total_bytes=6,
    ...                  capacity_bytes=10, memory_utilization=0.9, fits=True, max_batch=2).fits
    True
    """

    weight_bytes: int = field(validator=non_negative_int)
    peak_activation_bytes: int = field(validator=non_negative_int)
    kv_cache_bytes: int = field(validator=non_negative_int)
    total_bytes: int = field(validator=non_negative_int)
    capacity_bytes: int = field(validator=non_negative_int)
    memory_utilization: float = field(validator=fraction)
    fits: bool = field(validator=instance_of(bool))
    max_batch: int = field(validator=non_negative_int)


@define(frozen=True, kw_only=True)
class PlanningPoint:
    """Predictions for one workload (a batch of identical pages) on one GPU.

    Parameters
    ----------
    hardware
        GPU name in the hardware database (``conf/hardware``) or of the user's own entry.
    runtime
        The time model of every time below but the stages' roofline: ``roofline`` or a runtime profile's name
        (:mod:`llm_perf_opt.timing.time_model`).
    calibrated
        Whether the GPU entry holds measured constants (else datasheet estimates).
    basis
        What the kernel-level times stand on: ``calibrated`` (curves measured on this GPU) or ``portable``
        (the calibrated GPUs' curves rescaled to this GPU's datasheet, :mod:`llm_perf_opt.hardware.portable`).
    resolution_mode
        The vendor mode whose sizes the workload uses, or ``custom``.
    page_width, page_height
        The page size the crop grid was chosen from by the vendor's rule, when it was.
    workload
        The analytic workload (views, crop grid, prompt, generation length, batch, dtype, attention).
    image_tokens, prefill_tokens, decode_steps
        Token layout of each page.
    stages
        Per-stage metrics and time, in execution order.
    vision_seconds
        SAM + CLIP (OCR-2: the Qwen2 encoder) + projector.
    ttft_seconds
        Time to first token: vision + prefill + LM head (wall times under ``runtime``, as every time below).
    decode_seconds
        All ``decode_steps`` decode forwards.
    tpot_final_seconds
        One decode step at the final KV length ``prefill_tokens + max(decode_steps, 1)``.
    tpot_mean_seconds
        ``decode_seconds / decode_steps`` (``tpot_final_seconds`` when there is no decode step).
    seconds_per_batch
        ``ttft_seconds + decode_seconds``: the latency of every page of the batch.
    pages_per_second, pages_per_day
        One GPU's throughput at this batch.
    memory
        Footprint and largest batch.
    min_kernel_seconds
        Time floor per kernel used by the time model (0: none).
    target_pages_per_day, gpus_needed
        When a target is given: GPUs to reach it, ``ceil(target / pages_per_day)``.
    model
        Which model (:data:`modelmeter.models.families.FAMILIES`): ``deepseek-ocr`` (the default, not written to
        JSON) or ``deepseek-ocr-2``.

    Example
    -------
    >>> import attrs
    >>> "ttft_seconds" in attrs.fields_dict(PlanningPoint)
    True
    """

    hardware: str = field(validator=instance_of(str))
    runtime: str = field(default=ROOFLINE, validator=non_empty_str)
    calibrated: bool = field(default=False, validator=instance_of(bool))
    basis: str = field(default=BASIS_PORTABLE, validator=one_of(BASES))
    resolution_mode: str = field(validator=one_of(RESOLUTION_MODE_NAMES))
    page_width: int | None = field(default=None, validator=optional_positive_int)
    page_height: int | None = field(default=None, validator=optional_positive_int)
    workload: AnyOCRWorkload = field(validator=instance_of((OCRWorkload, OCR2Workload)))
    image_tokens: int = field(validator=positive_int)
    prefill_tokens: int = field(validator=positive_int)
    decode_steps: int = field(validator=non_negative_int)
    stages: tuple[StagePrediction, ...]
    vision_seconds: float = field(validator=finite_non_negative)
    ttft_seconds: float = field(validator=finite_non_negative)
    decode_seconds: float = field(validator=finite_non_negative)
    tpot_final_seconds: float = field(validator=finite_non_negative)
    tpot_mean_seconds: float = field(validator=finite_non_negative)
    seconds_per_batch: float = field(validator=finite_non_negative)
    pages_per_second: float = field(validator=finite_non_negative)
    pages_per_day: float = field(validator=finite_non_negative)
    memory: MemoryPrediction = field(validator=instance_of(MemoryPrediction))
    min_kernel_seconds: float = field(default=0.0, validator=finite_non_negative)
    target_pages_per_day: float | None = field(default=None, validator=optional_finite_positive)
    gpus_needed: int | None = field(default=None, validator=optional_positive_int)
    model: str = field(default=V1, validator=one_of(tuple(FAMILIES)))

    def __attrs_post_init__(self) -> None:
        if family_of(self.workload).key != self.model:
            raise ValueError(f"model: {self.model!r} but the workload is {family_of(self.workload).key!r}'s")

    def stage(self, name: str) -> StagePrediction:
        """The stage called ``name``."""
        for s in self.stages:
            if s.stage == name:
                return s
        raise KeyError(name)


@define(frozen=True, kw_only=True)
class PlanningReport:
    """``planning.json``: one point and the model it was computed for, enough to recompute it
    for another batch or GPU (``scripts/analytical/dsocr_analytic_what_if.py``).

    Example
    -------
    >>> PlanningReport.__attrs_attrs__.schema_version.default
    '1'
    """

    schema_version: str = field(default=PLANNING_SCHEMA_VERSION, validator=one_of((PLANNING_SCHEMA_VERSION,)))
    model: DeepSeekOCRModelSpec = field(validator=instance_of(DeepSeekOCRModelSpec))
    planning: PlanningPoint = field(validator=instance_of(PlanningPoint))
