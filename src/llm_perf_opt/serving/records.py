"""Records of ``--mode serve``: one served configuration's answer, and the run's summary (``summary.json``).

Field meanings: ``docs/report-schema.md`` (section ``summary.json of --mode serve``) and ``docs/serving.md``.

Example
-------
>>> Sla(ttft_p90_s=None, latency_p90_s=60.0).met(ttft_p90_s=5.0, latency_p90_s=61.0)
False
"""

from __future__ import annotations

import attrs
from attrs import define, field

from llm_perf_opt.data._validators import (
    finite_non_negative,
    fraction,
    non_negative_int,
    optional_finite_positive,
    optional_positive_int,
    positive_int,
)
from llm_perf_opt.serving.config import EngineConfig, OutputTokens, PageClass


@define(frozen=True, kw_only=True)
class Sla:
    """Latency targets at the 90th percentile (``None``: no target).

    Example
    -------
    >>> Sla().met(ttft_p90_s=100.0, latency_p90_s=100.0)
    True
    """

    ttft_p90_s: float | None = field(default=None, validator=optional_finite_positive)
    latency_p90_s: float | None = field(default=None, validator=optional_finite_positive)

    def met(self, *, ttft_p90_s: float, latency_p90_s: float) -> bool:
        """Whether both given percentiles are within their targets."""
        return (self.ttft_p90_s is None or ttft_p90_s <= self.ttft_p90_s) and (
            self.latency_p90_s is None or latency_p90_s <= self.latency_p90_s
        )


@define(frozen=True, kw_only=True)
class ServePoint:
    """One configuration (GPU, page mix under one resolution mode, ``max_num_seqs``, tensor parallelism)
    served: its capacity, its operating point (the highest offered load, as a fraction of the capacity, whose
    latencies meet the SLA) and what the target takes.

    Example
    -------
    >>> p = ServePoint(hardware="a100-40gb", runtime="fused", mode="gundam", mix="gundam 3x2", max_num_seqs=100,
    ...                tensor_parallel=1, kv_blocks=1747, kv_tokens=447232, capacity_pages_per_s=6.0,
    ...                capacity_output_tokens_per_s=6000.0, load=0.9, pages_per_s=5.4, pages_per_day=466560.0,
    ...                output_tokens_per_s=5400.0, ttft_p50_s=0.2, ttft_p90_s=0.3, ttft_p99_s=0.5,
    ...                tpot_mean_s=0.015, latency_p50_s=15.0, latency_p90_s=25.0, latency_p99_s=30.0,
    ...                gpu_busy_fraction=0.95, preemptions=0, meets_sla=True)
    >>> p.gpus_per_replica
    1
    """

    hardware: str
    runtime: str
    mode: str
    mix: str
    max_num_seqs: int = field(validator=positive_int)
    tensor_parallel: int = field(validator=positive_int)
    kv_blocks: int = field(validator=non_negative_int)
    kv_tokens: int = field(validator=non_negative_int)
    capacity_pages_per_s: float = field(validator=finite_non_negative)
    capacity_output_tokens_per_s: float = field(validator=finite_non_negative)
    load: float = field(validator=finite_non_negative)
    pages_per_s: float = field(validator=finite_non_negative)
    pages_per_day: float = field(validator=finite_non_negative)
    output_tokens_per_s: float = field(validator=finite_non_negative)
    ttft_p50_s: float
    ttft_p90_s: float
    ttft_p99_s: float
    tpot_mean_s: float
    latency_p50_s: float
    latency_p90_s: float
    latency_p99_s: float
    gpu_busy_fraction: float
    preemptions: int = field(validator=non_negative_int)
    meets_sla: bool
    replicas: int | None = field(default=None, validator=optional_positive_int)
    gpus: int | None = field(default=None, validator=optional_positive_int)
    gpu_hour_cost: float | None = None
    fleet_cost_per_hour: float | None = None
    cost_per_million_pages: float | None = None

    @property
    def gpus_per_replica(self) -> int:
        """GPUs one replica spans (its tensor parallelism)."""
        return self.tensor_parallel


@define(frozen=True, kw_only=True)
class ServeInputs:
    """What a serve run was asked: the engine (``max_num_seqs``: the largest searched), the values searched,
    the pages, the latency targets and the trace.

    Example
    -------
    >>> ServeInputs(hardware=("l4",), runtime="fused", engine=EngineConfig(), max_num_seqs=(100,),
    ...             tensor_parallel=(1,), page_mix=(PageClass(mode="base"),), modes=("base",),
    ...             output_tokens=OutputTokens(mean=1000), sla=Sla(), target_pages_per_day=None,
    ...             requests=1000, seed=0, loads=(0.9,)).loads
    (0.9,)
    """

    hardware: tuple[str, ...]
    runtime: str
    engine: EngineConfig
    max_num_seqs: tuple[int, ...]
    tensor_parallel: tuple[int, ...]
    page_mix: tuple[PageClass, ...]
    modes: tuple[str, ...]
    output_tokens: OutputTokens
    sla: Sla
    target_pages_per_day: float | None = field(validator=optional_finite_positive)
    requests: int = field(validator=positive_int)
    seed: int
    loads: tuple[float, ...] = field(validator=attrs.validators.deep_iterable(fraction))
    gpu_hour_cost: tuple[tuple[str, float], ...] = ()


@define(frozen=True, kw_only=True)
class ServeSummary:
    """``summary.json`` of ``--mode serve``: the inputs, the best configuration (``None`` when none meets the
    SLA), every configuration ranked.

    Example
    -------
    >>> inputs = ServeInputs(hardware=("l4",), runtime="fused", engine=EngineConfig(), max_num_seqs=(100,),
    ...                      tensor_parallel=(1,), page_mix=(PageClass(mode="base"),), modes=("base",),
    ...                      output_tokens=OutputTokens(mean=1000), sla=Sla(), target_pages_per_day=None,
    ...                      requests=1000, seed=0, loads=(0.9,))
    >>> ServeSummary(inputs=inputs, answer=None, points=()).answer is None
    True
    """

    inputs: ServeInputs
    answer: ServePoint | None
    points: tuple[ServePoint, ...]
