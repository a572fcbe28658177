"""Pages per second and per day on one GPU, from a batch's prefill and decode-step times.

A batch of ``B`` pages is processed together (static batching): the prefill of the whole
batch takes ``ttft_seconds`` (time to first token, vision encoders included), then each
decode step of the batch takes its time from ``decode_step_seconds``; all ``B`` pages are done
after ``ttft + sum(decode steps)``. So::

    seconds_per_batch = ttft_seconds + sum(decode_step_seconds)
    pages_per_second  = B / seconds_per_batch
    pages_per_day     = 86400 * pages_per_second

At ``B = 1``, ``seconds_per_batch`` is the latency of one page.

Example
-------
>>> t = page_throughput(batch=4, ttft_seconds=0.5, decode_step_seconds=[0.01] * 150)
>>> round(t.seconds_per_batch, 6), round(t.pages_per_second, 6)  # 0.5 + 150 * 0.01 = 2.0 s; 4 / 2.0
(2.0, 2.0)
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from attrs import define, field

from modelmeter.layers.base import positive

SECONDS_PER_DAY = 86_400


def _non_negative_seconds(instance: object, attribute: object, value: float) -> None:
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"seconds must be finite and >= 0, got {value!r}")


@define(frozen=True, kw_only=True)
class PageThroughput:
    """Throughput of one GPU processing pages in batches of ``batch``.

    Example
    -------
    >>> PageThroughput(batch=2, ttft_seconds=1.0, decode_seconds=3.0).pages_per_day
    43200.0
    """

    batch: int = field(validator=positive)
    ttft_seconds: float = field(validator=_non_negative_seconds)
    decode_seconds: float = field(validator=_non_negative_seconds)

    @property
    def seconds_per_batch(self) -> float:
        """Prefill plus all decode steps: when every page of the batch is done."""
        return self.ttft_seconds + self.decode_seconds

    @property
    def pages_per_second(self) -> float:
        """``batch / seconds_per_batch``."""
        if self.seconds_per_batch <= 0:
            raise ValueError("pages_per_second: the batch takes no time")
        return self.batch / self.seconds_per_batch

    @property
    def pages_per_day(self) -> float:
        """``86400 * pages_per_second``."""
        return SECONDS_PER_DAY * self.pages_per_second


def page_throughput(*, batch: int, ttft_seconds: float, decode_step_seconds: Sequence[float]) -> PageThroughput:
    """A :class:`PageThroughput` from the batch's prefill time and each decode step's time."""
    for s in decode_step_seconds:
        _non_negative_seconds(None, None, s)
    return PageThroughput(batch=batch, ttft_seconds=ttft_seconds, decode_seconds=math.fsum(decode_step_seconds))
