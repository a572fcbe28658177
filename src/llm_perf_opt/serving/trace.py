"""A seeded page stream: arrival times, page classes and output lengths (same seed, same stream).

Arrivals are a Poisson process of ``rate`` pages per second (exponential gaps), or all at time 0 for a
backlog (``rate=None``: a closed batch job such as the vendor's PDF script). Each page draws its class from
the mix and its generated tokens from :class:`~llm_perf_opt.serving.config.OutputTokens`: a log-normal with
the given mean and coefficient of variation ``cv`` (``sigma**2 = ln(1 + cv**2)``, ``mu = ln(mean) - sigma**2 / 2``),
rounded, kept within ``[1, max_model_len - prefill tokens]``.

Example
-------
>>> from llm_perf_opt.serving.config import OutputTokens, PageClass, PageMix
>>> mix = PageMix(classes=(PageClass(mode="base"),))
>>> reqs = make_trace(mix, OutputTokens(mean=100), n=3, rate=None, seed=0, max_model_len=8192)
>>> [(r.arrival_s, r.prefill_tokens, r.output_tokens) for r in reqs]
[(0.0, 283, 100), (0.0, 283, 100), (0.0, 283, 100)]
"""

from __future__ import annotations

import math
import random

from attrs import define, field

from llm_perf_opt.data._validators import finite_non_negative, non_negative_int, positive_int
from llm_perf_opt.serving.config import OutputTokens, PageMix


@define(frozen=True, kw_only=True)
class Request:
    """One page to serve.

    Example
    -------
    >>> Request(index=0, arrival_s=0.5, page_class=0, prefill_tokens=283, output_tokens=10).output_tokens
    10
    """

    index: int = field(validator=non_negative_int)
    arrival_s: float = field(validator=finite_non_negative)
    page_class: int = field(validator=non_negative_int)
    prefill_tokens: int = field(validator=positive_int)
    output_tokens: int = field(validator=positive_int)


def make_trace(
    mix: PageMix, output: OutputTokens, *, n: int, rate: float | None, seed: int, max_model_len: int
) -> tuple[Request, ...]:
    """``n`` requests (module docstring); ``ValueError`` when a page's prefill leaves no room to generate."""
    if n < 1:
        raise ValueError(f"requests: must be >= 1, got {n}")
    if rate is not None and not (math.isfinite(rate) and rate > 0):
        raise ValueError(f"rate: must be a finite number > 0, got {rate!r}")
    prefill = [c.prefill_tokens for c in mix.classes]
    for c, p in zip(mix.classes, prefill, strict=True):
        if p >= max_model_len:
            raise ValueError(f"max_model_len: {max_model_len} leaves no room to generate after {c.label}'s {p} tokens")
    rng = random.Random(seed)
    sigma2 = math.log1p(output.cv**2)
    mu = math.log(output.mean) - sigma2 / 2
    probabilities = mix.probabilities
    classes = range(len(mix.classes))
    out, t = [], 0.0
    for i in range(n):
        if rate is not None:
            t += rng.expovariate(rate)
        k = rng.choices(classes, weights=probabilities)[0] if len(probabilities) > 1 else 0
        tokens = output.mean if output.cv == 0 else round(rng.lognormvariate(mu, math.sqrt(sigma2)))
        tokens = min(max(tokens, 1), max_model_len - prefill[k])
        out.append(Request(index=i, arrival_s=t, page_class=k, prefill_tokens=prefill[k], output_tokens=tokens))
    return tuple(out)
