"""Throughput against latency, and the inverse question: what a pages-per-day target takes.

For one configuration (GPU, page mix under one resolution mode, ``max_num_seqs``, tensor parallelism):

1. **capacity**: the engine serves a backlog of ``requests`` pages (all arriving at once) and its steady
   throughput (:class:`~llm_perf_opt.serving.engine.ServeMetrics`) is the capacity ``C`` pages/s;
2. **operating point**: a Poisson stream at ``load * C`` pages/s for each ``load`` in ``loads`` (highest
   first; a queue at 100 % load grows without bound), the first whose p90 time to first token and p90 page
   latency meet the SLA; its measured pages/s is what one replica serves. When no load meets the SLA the
   lowest load's run is kept and the point is marked ``meets_sla = False``;
3. **the target**: ``replicas = ceil(target / (86400 * pages_per_s))``, ``gpus = replicas * tensor_parallel``;
   with a cost per GPU-hour ``c``: ``fleet_cost_per_hour = gpus * c`` and
   ``cost_per_million_pages = 1e6 * tensor_parallel * c / (3600 * pages_per_s)``.

:func:`rank` orders configurations: those meeting the SLA first, then by GPUs needed (with a target), by
cost per million pages (with costs), by pages/s per GPU (descending), then by name.

Example
-------
>>> replicas_for(200_000, pages_per_s=1.0)  # 86,400 pages per day per replica
3
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence

import attrs
from attrs import evolve

from llm_perf_opt.data.hardware import HardwareSpec
from llm_perf_opt.serving.config import EngineConfig, OutputTokens, PageClass, PageMix
from llm_perf_opt.serving.engine import ServeMetrics, WorkBudget, simulate
from llm_perf_opt.serving.memory import KvBudget, kv_budget
from llm_perf_opt.serving.records import ServePoint, Sla
from llm_perf_opt.serving.steps import StepTimes, build_step_times
from llm_perf_opt.serving.trace import make_trace
from llm_perf_opt.timing.throughput import SECONDS_PER_DAY
from llm_perf_opt.timing.time_model import TimeModel
from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch
from modelmeter.models.deepseek_ocr.workload import RESOLUTION_MODES, select_crop_grid

DEFAULT_LOADS = (0.9, 0.8, 0.6, 0.4, 0.2)
"""Offered loads tried for the operating point, as fractions of the capacity."""

OPERATING_METRICS = tuple(a.name for a in attrs.fields(ServePoint) if hasattr(ServeMetrics, a.name))
"""The fields a :class:`ServePoint` copies from its operating run's :class:`ServeMetrics` (its throughput,
latencies, busy fraction and preemptions): every field of the point that the metrics also have."""

GRID_WORK = 130_000
"""What building one step-time grid spends from the search's :class:`~llm_perf_opt.serving.engine.WorkBudget`
(25 to 65 ms of CPU, counted at the most, in the engine's units of about 0.5 us)."""
RUN_WORK = 200
"""What one simulation spends besides its steps (the trace, the KV budget, the metrics: about 0.06 ms)."""

VENDOR_MAX_CROPS = 6
"""The vendor's vLLM configuration caps the crops at 6 (``MAX_CROPS`` in ``DeepSeek-OCR-vllm/config.py``)."""


def replicas_for(target_pages_per_day: float, *, pages_per_s: float) -> int:
    """Replicas that serve the target: ``ceil(target / (86400 * pages_per_s))``."""
    if pages_per_s <= 0:
        raise ValueError("pages_per_s: a replica that serves nothing cannot reach a target")
    return math.ceil(target_pages_per_day / (SECONDS_PER_DAY * pages_per_s))


def in_mode(cls: PageClass, mode: str, page_size: tuple[int, int] | None) -> PageClass:
    """``cls`` served under ``mode``: the crop grid of its page size (the vendor's rule, at most
    :data:`VENDOR_MAX_CROPS` crops) in a crop mode, else its own grid in a crop mode, 1x1 without crops."""
    m = RESOLUTION_MODES[mode]
    if not m.crop_mode:
        grid = (1, 1)
    elif page_size is not None:
        grid = select_crop_grid(*page_size, max_num=VENDOR_MAX_CROPS, image_size=m.image_size)
    else:
        grid = cls.crop_grid
    return evolve(cls, mode=mode, crop_grid=grid)


class Evaluator:
    """Serves configurations, keeping the step-time grids and KV budgets it built (one per GPU, page classes
    and engine shape), so a search builds each once. With ``work``, every grid it builds, every simulation and
    every simulated step spends from that :class:`~llm_perf_opt.serving.engine.WorkBudget` (a search too large
    for its caller ends with :class:`~llm_perf_opt.serving.engine.WorkExceededError`).

    Example
    -------
    >>> from llm_perf_opt.timing.time_model import time_model
    >>> Evaluator(DeepseekOCRArch(), time_model("roofline"), OutputTokens(mean=10), requests=10, seed=0).requests
    10
    """

    def __init__(
        self,
        arch: DeepseekOCRArch,
        timer: TimeModel,
        output: OutputTokens,
        *,
        requests: int,
        seed: int,
        sla: Sla | None = None,
        loads: Sequence[float] = DEFAULT_LOADS,
        grid_max_num_seqs: int = 0,
        work: WorkBudget | None = None,
    ) -> None:
        self.arch, self.timer, self.output = arch, timer, output
        self.work = work  # the bound every simulation spends from (None: unbounded)
        self.requests, self.seed, self.sla, self.loads = requests, seed, sla or Sla(), tuple(loads)
        self.grid_max_num_seqs = grid_max_num_seqs
        self._steps: dict[tuple[object, ...], StepTimes] = {}

    def step_times(self, hardware: HardwareSpec, mix: PageMix, config: EngineConfig) -> StepTimes:
        """The step-time grid (built at ``max(max_num_seqs, grid_max_num_seqs)``: the same grid points
        below, so one grid serves every smaller ``max_num_seqs``)."""
        shape = evolve(config, max_num_seqs=max(config.max_num_seqs, self.grid_max_num_seqs))
        key = (hardware, mix.classes, shape.max_num_seqs, shape.max_num_batched_tokens, shape.max_model_len,
               shape.tensor_parallel)  # fmt: skip
        if key not in self._steps:
            if self.work is not None:
                self.work.spend(GRID_WORK)
            self._steps[key] = build_step_times(self.arch, hardware, self.timer, mix.classes, shape)
        return self._steps[key]

    def budget(self, hardware: HardwareSpec, mix: PageMix, config: EngineConfig) -> KvBudget:
        """The KV budget of ``config`` on ``hardware``."""
        return kv_budget(self.arch, hardware, config, mix.classes)

    def run(self, hardware: HardwareSpec, mix: PageMix, config: EngineConfig, rate: float | None) -> ServeMetrics:
        """The engine on a seeded trace of ``requests`` pages at ``rate`` pages/s (``None``: a backlog)."""
        steps = self.step_times(hardware, mix, config)
        if self.work is not None:
            self.work.spend(RUN_WORK)
        blocks = self.budget(hardware, mix, config).kv_blocks
        trace = make_trace(
            mix, self.output, n=self.requests, rate=rate, seed=self.seed, max_model_len=config.max_model_len
        )
        images = [c.image_tokens for c in mix.classes]
        return simulate(trace, steps, config=config, kv_blocks=blocks, image_tokens=images, work=self.work).metrics()

    def point(
        self,
        hardware: HardwareSpec,
        mix: PageMix,
        config: EngineConfig,
        *,
        mode: str,
        target_pages_per_day: float | None = None,
        gpu_hour_cost: float | None = None,
    ) -> ServePoint:
        """One configuration's capacity, operating point and needs (module docstring)."""
        budget = self.budget(hardware, mix, config)
        capacity = self.run(hardware, mix, config, None)
        chosen, load, met = capacity, 0.0, False
        for load in self.loads:
            chosen = self.run(hardware, mix, config, load * capacity.pages_per_s)
            if self.sla.met(ttft_p90_s=chosen.ttft_p90_s, latency_p90_s=chosen.latency_p90_s):
                met = True
                break
        replicas = None
        if target_pages_per_day is not None and chosen.pages_per_s > 0:
            replicas = replicas_for(target_pages_per_day, pages_per_s=chosen.pages_per_s)
        gpus = None if replicas is None else replicas * config.tensor_parallel
        per_million = None
        if gpu_hour_cost is not None and chosen.pages_per_s > 0:
            per_million = 1e6 * config.tensor_parallel * gpu_hour_cost / (3600 * chosen.pages_per_s)
        return ServePoint(
            hardware=hardware.name,
            runtime=self.timer.name,
            mode=mode,
            mix=mix.label,
            max_num_seqs=config.max_num_seqs,
            tensor_parallel=config.tensor_parallel,
            kv_blocks=budget.kv_blocks,
            kv_tokens=budget.kv_tokens,
            capacity_pages_per_s=capacity.pages_per_s,
            capacity_output_tokens_per_s=capacity.output_tokens_per_s,
            load=load,
            **{name: getattr(chosen, name) for name in OPERATING_METRICS},
            meets_sla=met,
            replicas=replicas,
            gpus=gpus,
            gpu_hour_cost=gpu_hour_cost,
            fleet_cost_per_hour=None if gpus is None or gpu_hour_cost is None else gpus * gpu_hour_cost,
            cost_per_million_pages=per_million,
        )


def rank_key(p: ServePoint) -> tuple[object, ...]:
    """Sort key of :func:`rank` (module docstring)."""
    big = math.inf
    return (
        not p.meets_sla,
        big if p.gpus is None else p.gpus,
        big if p.cost_per_million_pages is None else p.cost_per_million_pages,
        -p.pages_per_s / p.tensor_parallel,
        p.hardware,
        p.mode,
        p.max_num_seqs,
        p.tensor_parallel,
    )


def rank(points: Iterable[ServePoint]) -> list[ServePoint]:
    """``points`` best first (module docstring)."""
    return sorted(points, key=rank_key)


def search(
    evaluator: Evaluator,
    hardware: Sequence[HardwareSpec],
    mixes: Sequence[tuple[str, PageMix]],
    base: EngineConfig,
    *,
    max_num_seqs: Sequence[int],
    tensor_parallel: Sequence[int] = (1,),
    target_pages_per_day: float | None = None,
    gpu_hour_cost: Callable[[str], float | None] = lambda name: None,
    skip: Callable[[HardwareSpec, int], bool] = lambda spec, tp: False,
) -> list[ServePoint]:
    """Every GPU x mode (``mixes``: mode name and the mix under it) x ``max_num_seqs`` x tensor parallelism,
    ranked; ``skip(spec, tp)`` drops a combination (e.g. no link figure for tensor parallelism). A
    configuration whose KV cache cannot hold one page is left out."""
    points = []
    for spec in hardware:
        for tp in tensor_parallel:
            if skip(spec, tp):
                continue
            for mode, mix in mixes:
                for seqs in max_num_seqs:
                    config = evolve(base, max_num_seqs=seqs, tensor_parallel=tp)
                    try:
                        point = evaluator.point(
                            spec,
                            mix,
                            config,
                            mode=mode,
                            target_pages_per_day=target_pages_per_day,
                            gpu_hour_cost=gpu_hour_cost(spec.name),
                        )
                    except ValueError as exc:
                        if "kv cache" not in str(exc):
                            raise
                        continue
                    points.append(point)
    return rank(points)
