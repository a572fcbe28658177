"""A serving engine's settings and the pages it serves.

:class:`EngineConfig` holds the knobs of a vLLM-style engine; the defaults are the vendor's vLLM PDF script
(deepseek-ai/DeepSeek-OCR, ``DeepSeek-OCR-vllm/config.py`` and ``run_dpsk_ocr_pdf.py``: ``max_num_seqs=100``
(``MAX_CONCURRENCY``), ``gpu_memory_utilization=0.9``, ``block_size=256``, ``max_model_len=8192``, 64 image
pre-processing workers (``NUM_WORKERS``)); ``max_num_batched_tokens`` defaults to vLLM's value for that
``max_model_len`` (``max(max_model_len, 2048)``). The script runs vLLM's V0 engine (``VLLM_USE_V1=0``), whose
scheduler does not chunk prefills of a multimodal model (vLLM's ``EngineArgs._set_default_args_v0``): the
``v0`` scheduler, with the host time per step of :data:`~llm_perf_opt.serving.host.HOST_LOOPS`'s
``vllm-v0-vendor``. Two figures are assumptions, not measurements: the CUDA-graph pool and the host seconds per
page (see ``docs/serving.md``).

A :class:`PageMix` is a weighted set of :class:`PageClass` (a resolution mode and crop grid); with
:class:`OutputTokens` (mean and coefficient of variation of the generated tokens per page) it describes the
page stream :mod:`llm_perf_opt.serving.trace` draws.

Example
-------
>>> cfg = EngineConfig()
>>> cfg.max_num_seqs, cfg.block_size, cfg.max_num_batched_tokens
(100, 256, 8192)
>>> PageClass(mode="gundam", crop_grid=(2, 3)).workload(max_new_tokens=10).prefill_tokens
913
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import attrs
from attrs import define, field

from llm_perf_opt.data._validators import finite_non_negative, finite_positive, fraction, positive_int
from llm_perf_opt.serving.host import DEFAULT_HOST_LOOP, HOST_LOOPS
from modelmeter.models.deepseek_ocr.workload import RESOLUTION_MODES, OCRWorkload

SCHEDULERS = ("v0", "v1")
KERNEL_DATA = ("model", "aiconfigurator")
"""Where a step's kernel times come from: the time model as it is, or corrected by vLLM's measured decode attention
and fused MoE (:mod:`llm_perf_opt.serving.kernel_data`)."""
"""``EngineConfig.scheduler`` values."""


@define(frozen=True, kw_only=True)
class EngineConfig:
    """The engine's knobs.

    Parameters
    ----------
    max_num_seqs
        Requests in the running batch at most (vLLM ``max_num_seqs``).
    max_num_batched_tokens
        Tokens one step may process (decode tokens plus prefill chunks; vLLM ``max_num_batched_tokens``); also
        the step's budget of image tokens the vision encoder may produce.
    block_size
        Tokens per KV-cache block.
    gpu_memory_utilization
        Fraction of device memory the engine may use.
    max_model_len
        Longest sequence (prefill plus generated tokens).
    graph_pool_gib
        Memory held by captured CUDA graphs and library workspaces (an assumption; 0 for an eager engine).
    preprocess_threads, preprocess_s_per_page
        Host threads that decode, resize and pad page images, and the seconds one page takes on one thread.
    tensor_parallel
        GPUs one replica spans (see :mod:`llm_perf_opt.serving.steps` for the all-reduce it adds).
    scheduler
        ``v0``: vLLM's V0 scheduler without chunked prefill (a step either prefills whole prompts of newly
        admitted requests or decodes every running one); ``v1``: chunked prefill (decodes and prefill chunks
        share a step's token budget), as vLLM's V1 engine schedules.
    host_loop
        The engine's host time per step (a name of :data:`~llm_perf_opt.serving.host.HOST_LOOPS`).
    vision_per_page
        Whether the vision encoder runs once per page (the vendor's vLLM model loops over a step's images,
        ``DeepSeek-OCR-vllm/deepseek_ocr.py``'s ``_pixel_values_to_embedding``, each at batch 1) rather than
        on all pages starting in the step at once.
    step_overhead_s
        Further host time per step the GPU waits for, beyond ``host_loop``'s (a what-if; 0 unless given).
    kernel_data
        ``model``: the runtime profile's kernel times as they are; ``aiconfigurator``: the ``fused`` profile's,
        with its decode attention and fused MoE corrected by vLLM's latencies that NVIDIA aiconfigurator-core
        measured on the GPU or one of its compute capability (:mod:`llm_perf_opt.serving.kernel_data`).

    Example
    -------
    >>> EngineConfig(max_num_seqs=8, max_num_batched_tokens=4).max_num_seqs
    Traceback (most recent call last):
    ...
    ValueError: max_num_batched_tokens: must be >= max_num_seqs (8), got 4
    """

    max_num_seqs: int = field(default=100, validator=positive_int)
    max_num_batched_tokens: int = field(default=8192, validator=positive_int)
    block_size: int = field(default=256, validator=positive_int)
    gpu_memory_utilization: float = field(default=0.9, validator=fraction)
    max_model_len: int = field(default=8192, validator=positive_int)
    graph_pool_gib: float = field(default=0.5, validator=finite_non_negative)
    preprocess_threads: int = field(default=64, validator=positive_int)
    preprocess_s_per_page: float = field(default=0.1, validator=finite_non_negative)
    tensor_parallel: int = field(default=1, validator=positive_int)
    step_overhead_s: float = field(default=0.0, validator=finite_non_negative)
    scheduler: str = field(default="v0", validator=attrs.validators.in_(SCHEDULERS))
    host_loop: str = field(default=DEFAULT_HOST_LOOP, validator=attrs.validators.in_(tuple(HOST_LOOPS)))
    vision_per_page: bool = field(default=True, validator=attrs.validators.instance_of(bool))
    kernel_data: str = field(default="model", validator=attrs.validators.in_(KERNEL_DATA))

    def __attrs_post_init__(self) -> None:
        if self.max_num_batched_tokens < self.max_num_seqs:
            raise ValueError(
                f"max_num_batched_tokens: must be >= max_num_seqs ({self.max_num_seqs}), "
                f"got {self.max_num_batched_tokens}"
            )
        if self.scheduler == "v0" and self.max_num_batched_tokens < self.max_model_len:
            raise ValueError(
                f"max_num_batched_tokens: must be >= max_model_len ({self.max_model_len}) under the v0 scheduler "
                f"(it prefills a whole prompt in one step), got {self.max_num_batched_tokens}"
            )


def _mode(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if value not in RESOLUTION_MODES:
        raise ValueError(f"{attribute.name}: unknown mode {value!r}; allowed: {', '.join(RESOLUTION_MODES)}")


def _grid(value: tuple[int, int] | list[int]) -> tuple[int, int]:
    items = tuple(value)
    if len(items) != 2 or min(items) < 1:
        raise ValueError(f"crop_grid: must be two integers >= 1 (across, down), got {value!r}")
    return (int(items[0]), int(items[1]))


@define(frozen=True, kw_only=True)
class PageClass:
    """One kind of page: a resolution mode, its crop grid (``(across, down)``; 1x1 without crop mode) and its
    share of the stream.

    Example
    -------
    >>> PageClass(mode="base").label, PageClass(mode="gundam", crop_grid=(2, 3)).label
    ('base', 'gundam 3x2')
    """

    mode: str = field(validator=_mode)
    crop_grid: tuple[int, int] = field(default=(1, 1), converter=_grid)
    weight: float = field(default=1.0, validator=finite_positive)
    prompt_tokens: int = field(default=9, validator=positive_int)

    def __attrs_post_init__(self) -> None:
        if not RESOLUTION_MODES[self.mode].crop_mode and self.crop_grid != (1, 1):
            raise ValueError(f"crop_grid: mode {self.mode} has no crops (grid 1x1), got {self.crop_grid}")

    @property
    def label(self) -> str:
        """``mode`` or ``mode ROWSxCOLUMNS`` (down x across, as the analyzer's ``--crop-grid`` writes it)."""
        w, h = self.crop_grid
        return self.mode if w * h == 1 else f"{self.mode} {h}x{w}"

    def workload(self, *, max_new_tokens: int, batch_size: int = 1) -> OCRWorkload:
        """The analytic workload of ``batch_size`` such pages."""
        m = RESOLUTION_MODES[self.mode]
        return OCRWorkload(
            base_size=m.base_size,
            image_size=m.image_size,
            crop_mode=m.crop_mode,
            crop_grid=self.crop_grid,
            prompt_tokens=self.prompt_tokens,
            max_new_tokens=max_new_tokens,
            batch_size=batch_size,
        )

    @property
    def prefill_tokens(self) -> int:
        """BOS + prompt + image rows of one page."""
        return self.workload(max_new_tokens=1).prefill_tokens

    @property
    def image_tokens(self) -> int:
        """Image rows of one page (what the vision encoder produces)."""
        return self.workload(max_new_tokens=1).image_tokens


def _classes(instance: object, attribute: attrs.Attribute[tuple[PageClass, ...]], value: object) -> None:
    if not isinstance(value, tuple) or not value:
        raise ValueError(f"{attribute.name}: needs at least one page class")


@define(frozen=True, kw_only=True)
class OutputTokens:
    """Generated tokens per page: a log-normal with this mean and coefficient of variation (0: every page
    generates ``mean``), each draw rounded and kept within ``[1, max_model_len - prefill]``.

    Example
    -------
    >>> OutputTokens(mean=1000).cv
    0.0
    """

    mean: int = field(validator=positive_int)
    cv: float = field(default=0.0, validator=finite_non_negative)


@define(frozen=True, kw_only=True)
class PageMix:
    """The pages of a stream: classes, drawn with probability proportional to their weights.

    Example
    -------
    >>> mix = PageMix(classes=(PageClass(mode="base", weight=3), PageClass(mode="tiny")))
    >>> mix.probabilities
    (0.75, 0.25)
    """

    classes: tuple[PageClass, ...] = field(validator=_classes)

    @classmethod
    def merged(cls, classes: Sequence[PageClass]) -> PageMix:
        """A mix of ``classes`` with equal pages (mode, grid, prompt) merged, their weights added, in first-seen
        order.

        Example
        -------
        >>> PageMix.merged([PageClass(mode="base", weight=2), PageClass(mode="base")]).classes[0].weight
        3.0
        """
        weights: dict[tuple[str, tuple[int, int], int], float] = {}
        for c in classes:
            key = (c.mode, c.crop_grid, c.prompt_tokens)
            weights[key] = weights.get(key, 0.0) + c.weight
        return cls(
            classes=tuple(PageClass(mode=m, crop_grid=g, prompt_tokens=p, weight=w) for (m, g, p), w in weights.items())
        )

    @property
    def probabilities(self) -> tuple[float, ...]:
        """Each class's share."""
        total = math.fsum(c.weight for c in self.classes)
        return tuple(c.weight / total for c in self.classes)

    @property
    def label(self) -> str:
        """The classes and their shares, e.g. ``gundam 3x2 (70 %), base (30 %)``."""
        if len(self.classes) == 1:
            return self.classes[0].label
        return ", ".join(f"{c.label} ({100 * p:.0f} %)" for c, p in zip(self.classes, self.probabilities, strict=True))
