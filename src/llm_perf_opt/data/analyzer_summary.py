"""``AnalyzerSummary``: ``summary.json``, the small stable contract for scripts (schema version 3).

Keys, exactly: ``schema_version``, ``model``, ``workload``, ``image_tokens``, ``prefill_tokens``,
``total_params``, ``stages`` (``sam``, ``clip``, ``projector``, ``prefill``, ``lm_head``,
``decode``, each with ``tensor_core_flops``, ``cuda_core_flops``, ``io_bytes``,
``weight_bytes``, ``activation_bytes``, ``kv_cache_bytes``, ``params``) and ``torchinfo``
(``null`` or ``layer_classes``, ``modeled``, ``unclassified``, ``param_mismatches``).
Every number is an integer. With ``--hardware`` the summary also has ``hardware`` and
``runtime``, and each stage ``predicted_time_s`` (roofline), ``predicted_kernel_s``,
``predicted_wall_s`` (seconds, floats) and ``kernel_launches``, and the ``page`` block (:class:`PageSummary`:
the answer per page under the runtime profile); without it those keys are absent, not null. Version 2 added
``page``; version 3 its ``error_band`` (:class:`~llm_perf_opt.data.error_bands.ErrorBand` or ``null``).

Example
-------
>>> s = StageSummary(tensor_core_flops=1, cuda_core_flops=2, io_bytes=3, weight_bytes=4, activation_bytes=5,
...                  kv_cache_bytes=0, params=6)
>>> s.io_bytes
3
"""

from __future__ import annotations

from attrs import define, field
from attrs.validators import instance_of, optional

from llm_perf_opt.data._validators import finite_non_negative, non_empty_str, non_negative_int, one_of, positive_int
from llm_perf_opt.data.error_bands import ErrorBand
from llm_perf_opt.data.planning import BASES, BASIS_PORTABLE
from llm_perf_opt.data.stage_names import MODEL_STAGES
from llm_perf_opt.data.torchinfo_crosscheck import ParamMismatch
from llm_perf_opt.data.workload_profile import CropGrid

SUMMARY_SCHEMA_VERSION = "3"


@define(frozen=True, kw_only=True)
class PageSummary:
    """``summary.json``'s ``page`` block: the workload's answer on the GPU under the runtime profile.

    Times are the runtime profile's wall times (the kernel-level model), not the roofline. A batch of
    ``batch_size`` pages runs together (static batching), so every page of it takes ``page_s``.

    Attributes
    ----------
    runtime, hardware
        The runtime profile and the GPU entry (their ``name``).
    calibrated
        Whether the GPU entry holds measured constants (``True``) or datasheet estimates.
    basis
        ``calibrated`` (kernel-time curves measured on the GPU) or ``portable`` (the calibrated GPUs' curves
        rescaled to its datasheet; :mod:`llm_perf_opt.hardware.portable`).
    ttft_s
        Time to first token: SAM + CLIP + projector + prefill + LM head.
    tpot_s
        Time per output token: the decode stage's wall time over its ``max_new_tokens - 1`` steps (mean; without
        decode steps, one step at the final length).
    page_s
        ``ttft_s`` + the decode stage: the latency of each page of the batch.
    pages_per_s, pages_per_day
        ``batch_size / page_s`` and that times 86,400: one GPU.
    peak_memory_bytes, fits, max_batch
        Weights + KV cache + the largest kernel working set; whether that fits the usable memory (0.9 of the
        device); the largest batch that fits.
    error_band
        How sure these times are: the error measured for the basis (calibrated, under this runtime profile; or
        portable), :mod:`llm_perf_opt.data.error_bands`; ``None`` where nothing measured it (a calibrated GPU
        under a profile no measurement validated).

    Example
    -------
    >>> p = PageSummary(runtime="fused", hardware="h100-sxm", calibrated=True, ttft_s=0.1, tpot_s=0.01,
    ...                 page_s=10.09, pages_per_s=0.0991, pages_per_day=8563.0, peak_memory_bytes=7 << 30,
    ...                 fits=True, max_batch=38)
    >>> p.fits
    True
    """

    runtime: str = field(validator=non_empty_str)
    hardware: str = field(validator=non_empty_str)
    calibrated: bool = field(validator=instance_of(bool))
    basis: str = field(default=BASIS_PORTABLE, validator=one_of(BASES))
    ttft_s: float = field(validator=finite_non_negative)
    tpot_s: float = field(validator=finite_non_negative)
    page_s: float = field(validator=finite_non_negative)
    pages_per_s: float = field(validator=finite_non_negative)
    pages_per_day: float = field(validator=finite_non_negative)
    peak_memory_bytes: int = field(validator=non_negative_int)
    fits: bool = field(validator=instance_of(bool))
    max_batch: int = field(validator=non_negative_int)
    error_band: ErrorBand | None = field(default=None, validator=optional(instance_of(ErrorBand)))


@define(frozen=True, kw_only=True)
class StageSummary:
    """Forward totals of one stage.

    ``tensor_core_flops`` and ``cuda_core_flops`` are forward FLOPs (counted convention),
    ``io_bytes`` all forward traffic, ``weight_bytes`` / ``activation_bytes`` /
    ``kv_cache_bytes`` memory held (weights resident, outputs produced, cache), ``params``
    the parameters the stage uses. ``decode`` uses (and re-reads every step) the prefill's and
    the LM head's weights and holds the KV cache at its final length; the summary's
    ``total_params`` counts every parameter once.

    Example
    -------
    >>> StageSummary(tensor_core_flops=-1, cuda_core_flops=0, io_bytes=0, weight_bytes=0, activation_bytes=0,
    ...              kv_cache_bytes=0, params=0)
    Traceback (most recent call last):
    ...
    ValueError: tensor_core_flops: must be an integer >= 0, got -1
    """

    tensor_core_flops: int = field(validator=non_negative_int)
    cuda_core_flops: int = field(validator=non_negative_int)
    io_bytes: int = field(validator=non_negative_int)
    weight_bytes: int = field(validator=non_negative_int)
    activation_bytes: int = field(validator=non_negative_int)
    kv_cache_bytes: int = field(validator=non_negative_int)
    params: int = field(validator=non_negative_int)
    predicted_time_s: float | None = None
    """Roofline time on ``--hardware`` (absent without it)."""
    predicted_kernel_s: float | None = None
    """Kernel time under ``--runtime`` on ``--hardware`` (absent without ``--hardware``)."""
    predicted_wall_s: float | None = None
    """Wall time under ``--runtime`` on ``--hardware``."""
    kernel_launches: int | None = None
    """Kernels the runtime launches for the stage."""
    torch_calls: int | None = None
    """Python-level torch calls the runtime's eagerly run code makes for the stage (0 for a serving engine's
    C++ launches or a CUDA-graph replay); each costs the host ``calibration.host.module.call_us`` in eager module
    code."""


@define(frozen=True, kw_only=True)
class SummaryWorkload:
    """The resolved workload, as the summary states it.

    Example
    -------
    >>> SummaryWorkload(id="w", resolution_mode="gundam", base_size=1024, image_size=640, crop_mode=True,
    ...     crop_grid=CropGrid(rows=3, columns=2), image_width=1654, image_height=2339, prompt_tokens=9,
    ...     max_new_tokens=1000, batch_size=1, dtype="bfloat16", attention="flash").crop_grid.rows
    3
    """

    id: str = field(validator=non_empty_str)
    resolution_mode: str = field(validator=non_empty_str)
    base_size: int = field(validator=positive_int)
    image_size: int = field(validator=positive_int)
    crop_mode: bool = field(validator=instance_of(bool))
    crop_grid: CropGrid = field(validator=instance_of(CropGrid))
    image_width: int | None
    image_height: int | None
    prompt_tokens: int = field(validator=non_negative_int)
    max_new_tokens: int = field(validator=positive_int)
    batch_size: int = field(validator=positive_int)
    dtype: str = field(validator=non_empty_str)
    attention: str = field(validator=non_empty_str)


@define(frozen=True, kw_only=True)
class TorchInfoSummary:
    """The cross-check in brief.

    Example
    -------
    >>> TorchInfoSummary(layer_classes=29, modeled=29, unclassified=(), param_mismatches=()).modeled
    29
    """

    layer_classes: int = field(validator=non_negative_int)
    modeled: int = field(validator=non_negative_int)
    unclassified: tuple[str, ...] = ()
    param_mismatches: tuple[ParamMismatch, ...] = ()


def _stage_keys(instance: object, attribute: object, value: dict[str, StageSummary]) -> None:
    if tuple(value) not in MODEL_STAGES.values():
        orders = " or ".join(", ".join(stages) for stages in MODEL_STAGES.values())
        raise ValueError(f"stages: keys must be {orders} in that order, got {', '.join(value)}")


@define(frozen=True, kw_only=True)
class AnalyzerSummary:
    """``summary.json``.

    Example
    -------
    >>> AnalyzerSummary.__attrs_attrs__.schema_version.default
    '3'
    """

    schema_version: str = field(default=SUMMARY_SCHEMA_VERSION, validator=one_of((SUMMARY_SCHEMA_VERSION,)))
    model: str = field(validator=non_empty_str)
    workload: SummaryWorkload = field(validator=instance_of(SummaryWorkload))
    image_tokens: int = field(validator=positive_int)
    prefill_tokens: int = field(validator=positive_int)
    total_params: int = field(validator=non_negative_int)
    stages: dict[str, StageSummary] = field(validator=_stage_keys)
    torchinfo: TorchInfoSummary | None = None
    hardware: str | None = None
    """``--hardware`` entry the predicted times are for (absent without it)."""
    runtime: str | None = None
    """``--runtime`` profile of the kernel and wall times (absent without ``--hardware``)."""
    page: PageSummary | None = None
    """The answer per page under the runtime profile (absent without ``--hardware``)."""
