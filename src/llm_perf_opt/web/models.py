"""Request and response records of the HTTP API (attrs; the OpenAPI document is generated from them).

The responses that carry the analyzer's own contracts (``summary.json``: :class:`~llm_perf_opt.data.
analyzer_summary.AnalyzerSummary`; the report) are those records, written by the one cattrs converter.

Example
-------
>>> AnalysisRequest(batch_size=4, hardware="h100-sxm").runtime is None
True
"""

from __future__ import annotations

from attrs import define, field

from llm_perf_opt.data.analyzer_summary import PageSummary

FORMATS = ("json", "yaml", "both")
"""``format``: which report files an analysis writes (the CLI's ``--format``)."""


@define(frozen=True, kw_only=True)
class AnalysisRequest:
    """One analysis: the CLI's inputs, every one optional (absent: the CLI's default). Names only, never paths:
    ``model``, ``workload_profile_id``, ``hardware`` and ``runtime`` must be packaged names
    (``GET /v1/models``, ``/v1/workloads``, ``/v1/hardware``, ``/v1/runtimes``).

    Example
    -------
    >>> AnalysisRequest(resolution_mode="base", max_new_tokens=500).max_new_tokens
    500
    """

    model: str | None = None
    """A packaged model (``deepseek-ocr``, the default, or ``deepseek-ocr-2``); the CLI's ``--model`` also reads a
    local directory, which a request cannot name."""
    workload_profile_id: str | None = None
    resolution_mode: str | None = None
    base_size: int | None = None
    image_size: int | None = None
    crop_mode: bool | None = None
    crop_grid: str | None = None
    """``ROWSxCOLUMNS``, e.g. ``3x2``."""
    image_width: int | None = None
    image_height: int | None = None
    prompt_tokens: int | None = None
    seq_len: int | None = None
    max_new_tokens: int | None = None
    batch_size: int | None = None
    dtype: str | None = None
    attention: str | None = None
    hardware: str | None = None
    """A packaged GPU entry: adds predicted time and the ``page`` block."""
    runtime: str | None = None
    """A packaged runtime profile (needs ``hardware``; default with it: ``fused``)."""
    format: str | None = None
    """``json``, ``yaml`` or ``both`` (default): the report files written."""


@define(frozen=True, kw_only=True)
class AnalysisLinks:
    """Where an analysis's parts are."""

    analysis: str
    summary: str
    report: str
    files: dict[str, str]
    """Each downloadable file's name -> its URL."""


@define(frozen=True, kw_only=True)
class AnalysisStatus:
    """An analysis: its id, state, the equivalent command line and links (``POST /v1/analyses`` and
    ``GET /v1/analyses/{id}``).

    Example
    -------
    >>> AnalysisStatus(id="r", status="done", cached=True, command_line=("dsocr-analyzer",),
    ...                links=AnalysisLinks(analysis="/", summary="/s", report="/r", files={})).status
    'done'
    """

    id: str
    status: str
    """``done``: every file is written (runs are computed when posted)."""
    cached: bool
    """Whether the run was already on disk (same inputs, same id)."""
    command_line: tuple[str, ...]
    """The ``dsocr-analyzer`` command that writes the same files (with ``--output-dir``)."""
    links: AnalysisLinks


@define(frozen=True, kw_only=True)
class TimePart:
    """One stage's wall time and its parts (seconds; they add up to ``wall_s``), as report.md's "where the time
    goes" table has them."""

    stage: str
    wall_s: float
    kernel_s: float
    kernel_launches: int
    host_syncs: int
    parts: dict[str, float]
    """``roofline_s``, ``attention_io_s``, ``kernel_split_s``, ``small_kernel_floor_s``, ``launch_overhead_s``,
    ``sync_s``."""
    largest_gap: str


@define(frozen=True, kw_only=True)
class TimeBreakdown:
    """``GET /v1/analyses/{id}/time``: where the time goes, per stage (empty without ``hardware``)."""

    hardware: str | None
    runtime: str | None
    part_labels: dict[str, str]
    stages: tuple[TimePart, ...]


@define(frozen=True, kw_only=True)
class SweepRequest:
    """``POST /v1/sweeps``: one analysis per combination of the listed values (at most
    :data:`~llm_perf_opt.web.engine.MAX_SWEEP_POINTS`), each like ``POST /v1/analyses`` with ``base``.

    Example
    -------
    >>> SweepRequest(hardware=("h100-sxm", "l4")).batch_size
    ()
    """

    base: AnalysisRequest = field(factory=AnalysisRequest)
    hardware: tuple[str, ...] = ()
    runtime: tuple[str, ...] = ()
    batch_size: tuple[int, ...] = ()
    max_new_tokens: tuple[int, ...] = ()
    resolution_mode: tuple[str, ...] = ()


@define(frozen=True, kw_only=True)
class SweepPoint:
    """One point of a sweep: what it changed, its analysis and its answer per page (``None`` without hardware)."""

    values: dict[str, str | int]
    id: str
    page: PageSummary | None
    links: AnalysisLinks


@define(frozen=True, kw_only=True)
class SweepResult:
    """``POST /v1/sweeps``: the points, in the order of the product of the axes (hardware outermost)."""

    points: tuple[SweepPoint, ...]


@define(frozen=True, kw_only=True)
class NamedEntry:
    """A packaged record a request may name."""

    name: str
    description: str


@define(frozen=True, kw_only=True)
class HardwareEntry:
    """A packaged GPU entry (``GET /v1/hardware``)."""

    name: str
    display_name: str
    architecture: str
    memory_gb: float
    calibrated: bool
    """Measured constants (``True``) or datasheet estimates (summary.json's ``page.calibrated``)."""
    basis: str
    """How its times are predicted (summary.json's ``page.basis``): ``calibrated`` (kernel-time curves measured on
    this GPU) or ``portable`` (the calibrated GPUs' curves rescaled to its datasheet)."""


@define(frozen=True, kw_only=True)
class ResolutionModeEntry:
    """A vendor resolution mode preset."""

    name: str
    base_size: int
    image_size: int
    crop_mode: bool


@define(frozen=True, kw_only=True)
class WorkloadEntry:
    """A packaged workload profile and the values a request's overrides replace."""

    name: str
    description: str
    resolution_mode: str
    image_width: int | None
    image_height: int | None
    max_new_tokens: int
    batch_size: int


@define(frozen=True, kw_only=True)
class ModelEntry:
    """A packaged model a request may name (``GET /v1/models``): its checkpoint, the standard workload profile
    the analyzer uses for it, its stages and resolution modes."""

    name: str
    display_name: str
    checkpoint: str
    standard_profile: str
    stages: tuple[str, ...]
    resolution_modes: tuple[ResolutionModeEntry, ...]


@define(frozen=True, kw_only=True)
class WorkloadsEntry:
    """``GET /v1/workloads``: the packaged workload profiles, the default, and the other choices of a workload
    (each model's resolution modes: ``GET /v1/models``)."""

    default: str
    profiles: tuple[WorkloadEntry, ...]
    dtypes: tuple[str, ...]
    attention: tuple[str, ...]


@define(frozen=True, kw_only=True)
class HeadlineRow:
    """One figure of the headline, formatted as the CLI prints it."""

    label: str
    value: str


@define(frozen=True, kw_only=True)
class Headline:
    """``GET /v1/analyses/{id}/headline``: the answer per page as the CLI's console headline and report.md state it
    (:func:`~llm_perf_opt.visualize.time_sections.headline_rows`), with the ``page`` block it comes from; ``rows``
    is empty and ``page`` ``None`` without ``hardware``."""

    batch_size: int
    page: PageSummary | None
    rows: tuple[HeadlineRow, ...]


@define(frozen=True, kw_only=True)
class ErrorBody:
    """An error: HTTP status, the request field it concerns (``None``: not one field) and one line."""

    status_code: int
    field: str | None
    detail: str
