"""Continuous batching, step by step: what a vLLM-style engine does with a page stream.

Each request first waits for a host thread (``preprocess_threads``), which takes ``preprocess_s_per_page`` to
decode, resize and pad its image; then it joins the waiting queue. Each engine step, under the ``v1`` scheduler
(vLLM's V1 engine, as its ``Scheduler.schedule`` reads):

1. the **running** requests, oldest first: a decoding request takes one token, a request still in prefill a
   chunk of ``min(left, budget)`` tokens of the step's budget (``max_num_batched_tokens``). Each needs KV
   blocks for every token it will hold (``ceil(tokens / block_size)``). When the free blocks are too few, the
   newest running request is **preempted** (recompute: its blocks freed, back to the head of the queue, later
   prefilled again over its prompt and the tokens it had generated, its vision encoder run again), until the
   request fits or is itself the one preempted;
2. if nothing was preempted, **waiting** requests are admitted in order while the batch has fewer than
   ``max_num_seqs`` requests, the budget has tokens, the step's encoder budget (``max_num_batched_tokens``
   image tokens) holds the page's image and the free blocks hold its chunk; a page's vision encoder runs in
   the step its prefill starts, batched with the other pages starting then.

Under the ``v0`` scheduler (vLLM's V0 engine without chunked prefill, which the vendor's scripts run), waiting
requests are admitted first, each only when its whole prefill fits the remaining budget (the same batch,
encoder and block limits); a step that admits any runs only their prefills (the running requests wait), else
every running request decodes (preempting as above). With ``vision_per_page`` the pages starting in a step
are encoded one at a time (as the vendor's vLLM model does), else in one batch.

The step's time is :class:`~llm_perf_opt.serving.steps.StepTimes`'s: a decode-only step at the batch and mean
KV length, or one forward over all the step's tokens, plus the vision encoders; the GPU is busy for that
long, and the step ends the engine's host time later (:class:`~llm_perf_opt.serving.host.EngineHost` of
``host_loop``, given the GPU time, the sequences sampled, their output tokens and how many scan the n-gram
window, plus ``step_overhead_s``). A request whose prefill ends
samples its first token at the end of that step; every decode step samples one more; a request is done at
its ``output_tokens``-th token and frees its blocks.

Stretches of decode-only steps in which nothing can change (no request finishes, no block is short, no new
request can be admitted) are advanced together, step times still summed one by one, so a 10,000-page trace
takes seconds.

Example
-------
>>> from llm_perf_opt.serving.config import EngineConfig
>>> from llm_perf_opt.serving.steps import Grid1, Grid2, StepTimes
>>> from llm_perf_opt.serving.trace import Request
>>> flat = Grid2(xs=(1, 2), ys=(1, 2), values=((0.01, 0.01), (0.01, 0.01)))
>>> st = StepTimes(decode=flat, body=flat, lm_head=Grid1(xs=(1, 2), values=(0.0, 0.0)),
...                vision=(Grid1(xs=(1, 2), values=(0.0, 0.0)),))
>>> cfg = EngineConfig(max_num_seqs=2, max_num_batched_tokens=16, block_size=4, max_model_len=16,
...                    preprocess_s_per_page=0.0, host_loop="none")
>>> r = simulate([Request(index=0, arrival_s=0.0, page_class=0, prefill_tokens=8, output_tokens=3)],
...              st, config=cfg, kv_blocks=10, image_tokens=[4])
>>> round(r.requests[0].first_token_s, 6), round(r.requests[0].finish_s, 6)  # prefill step, then 2 decodes
(0.01, 0.03)
"""

from __future__ import annotations

import bisect
import heapq
import math
from collections import deque
from collections.abc import Sequence

from attrs import define, field

from llm_perf_opt.data._validators import finite_non_negative, non_negative_int, positive_int
from llm_perf_opt.serving.config import EngineConfig
from llm_perf_opt.serving.host import HOST_LOOPS, EngineHost
from llm_perf_opt.serving.steps import StepTimes
from llm_perf_opt.serving.trace import Request
from llm_perf_opt.timing.throughput import SECONDS_PER_DAY


@define(frozen=True, kw_only=True)
class RequestResult:
    """When one page arrived, was ready (pre-processed), got its first token and finished.

    Example
    -------
    >>> r = RequestResult(index=0, page_class=0, arrival_s=1.0, ready_s=1.1, first_token_s=1.5, finish_s=3.5,
    ...                   output_tokens=5, preemptions=0)
    >>> r.ttft_s, r.latency_s, r.tpot_s
    (0.5, 2.5, 0.5)
    """

    index: int = field(validator=non_negative_int)
    page_class: int = field(validator=non_negative_int)
    arrival_s: float = field(validator=finite_non_negative)
    ready_s: float = field(validator=finite_non_negative)
    first_token_s: float = field(validator=finite_non_negative)
    finish_s: float = field(validator=finite_non_negative)
    output_tokens: int = field(validator=positive_int)
    preemptions: int = field(validator=non_negative_int)

    @property
    def ttft_s(self) -> float:
        """Time to first token, from arrival (pre-processing and queueing included)."""
        return self.first_token_s - self.arrival_s

    @property
    def latency_s(self) -> float:
        """Page latency: arrival to last token."""
        return self.finish_s - self.arrival_s

    @property
    def tpot_s(self) -> float:
        """Mean time per output token after the first (0 for a one-token page)."""
        return (self.finish_s - self.first_token_s) / (self.output_tokens - 1) if self.output_tokens > 1 else 0.0


def percentile(values: Sequence[float], p: float) -> float:
    """The ``p``-th percentile by nearest rank: the ``ceil(p / 100 * n)``-th smallest value.

    Example
    -------
    >>> percentile([4.0, 1.0, 3.0, 2.0], 50), percentile([4.0, 1.0, 3.0, 2.0], 90)
    (2.0, 4.0)
    """
    if not values:
        raise ValueError("percentile: no values")
    ordered = sorted(values)
    return ordered[max(math.ceil(p / 100 * len(ordered)) - 1, 0)]


@define(frozen=True, kw_only=True)
class ServeMetrics:
    """A run's throughput and latency.

    Throughput is measured between finishes: the finish times sorted, the first and last ``trim`` (10 %) of
    them dropped (warm-up and drain), the pages finished after the first kept finish up to the last, per
    second between those two finishes; output tokens per second over the same pages. A run of fewer than
    three pages, or where trimming leaves nothing, counts every page from the first arrival to the last finish.
    ``gpu_busy_fraction`` is the GPU's busy time over the first arrival to the last finish.

    Example
    -------
    >>> ServeMetrics(pages=1, pages_per_s=2.0, output_tokens_per_s=10.0, ttft_p50_s=0.1, ttft_p90_s=0.1,
    ...              ttft_p99_s=0.1, tpot_mean_s=0.01, latency_p50_s=1.0, latency_p90_s=1.0, latency_p99_s=1.0,
    ...              gpu_busy_fraction=1.0, preemptions=0, steps=10).pages_per_day
    172800.0
    """

    pages: int = field(validator=positive_int)
    pages_per_s: float = field(validator=finite_non_negative)
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
    steps: int = field(validator=non_negative_int)

    @property
    def pages_per_day(self) -> float:
        """``86400 * pages_per_s``."""
        return SECONDS_PER_DAY * self.pages_per_s


@define(frozen=True, kw_only=True)
class ServeResult:
    """Every request's times and the engine's totals.

    Example
    -------
    >>> r = RequestResult(index=0, page_class=0, arrival_s=0.0, ready_s=0.0, first_token_s=0.5, finish_s=1.0,
    ...                   output_tokens=3, preemptions=0)
    >>> ServeResult(requests=(r,), busy_s=1.0, steps=3, preemptions=0).metrics().pages_per_s
    1.0
    """

    requests: tuple[RequestResult, ...]
    busy_s: float = field(validator=finite_non_negative)
    steps: int = field(validator=non_negative_int)
    preemptions: int = field(validator=non_negative_int)

    def metrics(self, trim: float = 0.1) -> ServeMetrics:
        """Throughput and latency percentiles (see :class:`ServeMetrics`)."""
        done = sorted(self.requests, key=lambda r: (r.finish_s, r.index))
        start = min(r.arrival_s for r in done)
        span = done[-1].finish_s - start
        lo = math.floor(trim * len(done))
        hi = len(done) - 1 - lo
        if len(done) >= 3 and hi > lo and done[hi].finish_s > done[lo].finish_s:
            window = done[lo + 1 : hi + 1]
            seconds = done[hi].finish_s - done[lo].finish_s
        else:
            window, seconds = done, span
        ttft = [r.ttft_s for r in done]
        latency = [r.latency_s for r in done]
        return ServeMetrics(
            pages=len(done),
            pages_per_s=len(window) / seconds if seconds > 0 else 0.0,
            output_tokens_per_s=sum(r.output_tokens for r in window) / seconds if seconds > 0 else 0.0,
            ttft_p50_s=percentile(ttft, 50),
            ttft_p90_s=percentile(ttft, 90),
            ttft_p99_s=percentile(ttft, 99),
            tpot_mean_s=math.fsum(r.tpot_s for r in done) / len(done),
            latency_p50_s=percentile(latency, 50),
            latency_p90_s=percentile(latency, 90),
            latency_p99_s=percentile(latency, 99),
            gpu_busy_fraction=self.busy_s / span if span > 0 else 0.0,
            preemptions=self.preemptions,
            steps=self.steps,
        )


class _Seq:
    """A request's mutable state inside the engine."""

    __slots__ = ("blocks", "cached", "first", "generated", "preemptions", "ready", "req", "target", "vision_done")

    def __init__(self, req: Request, ready: float) -> None:
        self.req = req
        self.ready = ready
        self.cached = 0  # tokens whose keys and values are in the cache
        self.target = req.prefill_tokens  # tokens to prefill before decoding
        self.generated = 0
        self.blocks = 0
        self.first: float | None = None
        self.preemptions = 0
        self.vision_done = False


def _ready_times(requests: Sequence[Request], config: EngineConfig) -> list[float]:
    """When each request leaves pre-processing: first come, first served on ``preprocess_threads`` threads."""
    free = [0.0] * config.preprocess_threads
    out = []
    for r in sorted(requests, key=lambda r: (r.arrival_s, r.index)):
        start = max(r.arrival_s, heapq.heappop(free))
        heapq.heappush(free, start + config.preprocess_s_per_page)
        out.append((r.index, start + config.preprocess_s_per_page))
    by_index = dict(out)
    return [by_index[r.index] for r in requests]


def _check(requests: Sequence[Request], config: EngineConfig, kv_blocks: int, image_tokens: Sequence[int]) -> None:
    bs = config.block_size
    for r in requests:
        if image_tokens[r.page_class] > config.max_num_batched_tokens:
            raise ValueError(
                f"max_num_batched_tokens: {config.max_num_batched_tokens} is less than a page's "
                f"{image_tokens[r.page_class]} image tokens (the encoder budget of one step)"
            )
        need = -(-(r.prefill_tokens + r.output_tokens - 1) // bs)
        if need > kv_blocks:
            raise ValueError(
                f"kv cache: {kv_blocks} blocks of {bs} tokens cannot hold one page of {r.prefill_tokens} prefill "
                f"and {r.output_tokens} output tokens ({need} blocks)"
            )


class WorkExceededError(ValueError):
    """A :class:`WorkBudget` ran out: the simulation asked for more than its bound."""


@define(kw_only=True)
class WorkBudget:
    """A bound on the engine's simulated work, shared by every simulation of a search: one unit per sequence of
    a step walked one by one, one per step of a fast-forwarded decode stretch (the loop's cost, about 0.1 us of
    CPU a unit). :meth:`spend` raises :class:`WorkExceededError` past ``limit``, so a search too large for its
    caller's time ends early instead of running for minutes.

    Example
    -------
    >>> budget = WorkBudget(limit=10)
    >>> budget.spend(7); budget.spent
    7
    >>> budget.spend(4)
    Traceback (most recent call last):
    ...
    llm_perf_opt.serving.engine.WorkExceededError: simulated work: more than 10 units
    """

    limit: int = field(validator=positive_int)
    spent: int = field(default=0, validator=non_negative_int)

    def spend(self, units: int) -> None:
        """Count ``units`` more; :class:`WorkExceededError` once the total passes ``limit``."""
        self.spent += units
        if self.spent > self.limit:
            raise WorkExceededError(f"simulated work: more than {self.limit:,} units")


def simulate(
    requests: Sequence[Request],
    steps: StepTimes,
    *,
    config: EngineConfig,
    kv_blocks: int,
    image_tokens: Sequence[int],
    host: EngineHost | None = None,
    work: WorkBudget | None = None,
) -> ServeResult:
    """Serve ``requests`` (module docstring); ``image_tokens[c]``: image rows of a page of class ``c``; ``host``
    replaces the host time of ``config.host_loop``; ``work``: the bound this simulation spends from
    (:class:`WorkExceededError` past it).

    ``ValueError`` when a page can never be served (its image exceeds a step's encoder budget, or its tokens
    the whole cache).
    """
    if not requests:
        raise ValueError("requests: none to serve")
    _check(requests, config, kv_blocks, image_tokens)
    bs, budget_max, max_seqs = config.block_size, config.max_num_batched_tokens, config.max_num_seqs
    overhead = config.step_overhead_s
    host = HOST_LOOPS[config.host_loop] if host is None else host
    ngram = host.ngram_size
    v0 = config.scheduler == "v0"
    ready = _ready_times(requests, config)
    pending = deque(sorted((_Seq(r, t) for r, t in zip(requests, ready, strict=True)), key=lambda s: s.ready))
    waiting: deque[_Seq] = deque()
    running: list[_Seq] = []
    results: list[RequestResult] = []
    free, now, busy, n_steps, n_preempted = kv_blocks, 0.0, 0.0, 0, 0
    n_classes = len(steps.vision)
    while pending or waiting or running:
        while pending and pending[0].ready <= now:
            waiting.append(pending.popleft())
        if not running and not waiting:
            now = pending[0].ready
            continue
        budget, encoder = budget_max, budget_max
        decodes: list[_Seq] = []
        chunks: list[tuple[_Seq, int]] = []
        vision = [0] * n_classes
        preempted = False
        blocked = False
        if v0 and waiting:  # V0: newly admitted prompts, whole, in a step of their own
            budget, encoder, free, blocked = _admit(waiting, running, chunks, vision, budget, encoder, free,
                                                    max_seqs=max_seqs, bs=bs, image_tokens=image_tokens,
                                                    whole=True)  # fmt: skip
        prefill_step = bool(chunks)  # a V0 step of admitted prompts runs no decodes
        i = 0
        while not prefill_step and i < len(running):
            s = running[i]
            decoding = s.cached >= s.target
            n = 1 if decoding else min(s.target - s.cached, budget)
            if n <= 0 or budget < n:
                i += 1
                continue
            need = -(-(s.cached + n) // bs) - s.blocks
            fits = True
            while need > free:
                victim = running.pop()
                free += victim.blocks
                victim.blocks, victim.cached, victim.vision_done = 0, 0, False
                victim.target = victim.req.prefill_tokens + victim.generated
                victim.preemptions += 1
                waiting.appendleft(victim)
                preempted = True
                n_preempted += 1
                if victim is s:
                    fits = False
                    break
            if not fits:
                break
            s.blocks += need
            free -= need
            budget -= n
            if decoding:
                decodes.append(s)
            else:
                chunks.append((s, n))
            i += 1
        if not v0 and not preempted and waiting:
            budget, encoder, free, blocked = _admit(waiting, running, chunks, vision, budget, encoder, free,
                                                    max_seqs=max_seqs, bs=bs, image_tokens=image_tokens,
                                                    whole=False)  # fmt: skip
        if not decodes and not chunks:
            continue
        nd = len(decodes)
        finishing = [s for s, n in chunks if s.cached + n >= s.target]
        if chunks:
            tokens = nd + sum(n for _, n in chunks)
            keys = sum(s.cached + 1 for s in decodes) + sum(n * (s.cached + n) for s, n in chunks)
            dt = steps.mixed_s(tokens, keys / tokens, nd + len(finishing))
        else:
            dt = steps.decode_s(nd, sum(s.cached + 1 for s in decodes) / nd)
        if config.vision_per_page:
            dt += math.fsum(k * steps.vision_s(c, 1) for c, k in enumerate(vision) if k)
        else:
            dt += math.fsum(steps.vision_s(c, k) for c, k in enumerate(vision) if k)
        sampled = decodes + finishing
        held = sum(s.generated for s in sampled)
        scanning = sum(1 for s in sampled if s.generated >= ngram)
        now += dt + overhead + host.step_host_s(gpu_s=dt, sequences=len(sampled), output_tokens=held,
                                                scanning=scanning)  # fmt: skip
        busy += dt
        n_steps += 1
        if work is not None:
            work.spend(len(running) + 2)
        for s in decodes:
            s.cached += 1
            s.generated += 1
        for s, n in chunks:
            s.cached += n
            if s.cached >= s.target:
                s.generated += 1
                if s.first is None:
                    s.first = now
        if any(s.generated >= s.req.output_tokens for s in running):
            keep = []
            for s in running:
                if s.generated >= s.req.output_tokens:
                    free += s.blocks
                    results.append(_result(s, now))
                else:
                    keep.append(s)
            running = keep
            continue
        if chunks or preempted or not running or any(s.cached < s.target for s in running):
            continue
        # a decode-only stretch: nothing changes until a request finishes, blocks run short or one is admitted
        k = min(s.req.output_tokens - s.generated for s in running) - 1
        k = _block_safe(running, k, free, bs)
        watch = not waiting and not blocked and len(running) < max_seqs and bool(pending)
        n = len(running)
        base = sum(s.cached for s in running)
        held = sum(s.generated for s in running)
        starts = sorted(ngram - s.generated for s in running)  # scanning from the step where j >= start
        scanning = bisect.bisect_right(starts, 0)
        j = 0
        while j < k:
            if watch and now >= pending[0].ready:
                break
            dt = steps.decode_s(n, (base + n * (j + 1)) / n)
            while scanning < n and starts[scanning] <= j:
                scanning += 1
            now += dt + overhead + host.step_host_s(gpu_s=dt, sequences=n, output_tokens=held + n * j,
                                                    scanning=scanning)  # fmt: skip
            busy += dt
            j += 1
        if j:
            n_steps += j
            if work is not None:
                work.spend(3 * j)
            for s in running:
                s.cached += j
                s.generated += j
                blocks = -(-s.cached // bs)
                free -= blocks - s.blocks
                s.blocks = blocks
    results.sort(key=lambda r: r.index)
    return ServeResult(requests=tuple(results), busy_s=busy, steps=n_steps, preemptions=n_preempted)


def _admit(
    waiting: deque[_Seq],
    running: list[_Seq],
    chunks: list[tuple[_Seq, int]],
    vision: list[int],
    budget: int,
    encoder: int,
    free: int,
    *,
    max_seqs: int,
    bs: int,
    image_tokens: Sequence[int],
    whole: bool,
) -> tuple[int, int, int, bool]:
    """Admit waiting requests in order while the batch holds fewer than ``max_seqs``, the token budget holds
    their chunk (their whole prefill when ``whole``), the encoder budget their image and the free blocks their
    chunk; returns the budgets and free blocks left, and whether a request is still waiting."""
    while waiting and len(running) < max_seqs and budget > 0:
        s = waiting[0]
        left = s.target - s.cached
        if whole and left > budget:
            break
        n = min(left, budget)
        image = 0 if s.vision_done else image_tokens[s.req.page_class]
        need = -(-(s.cached + n) // bs) - s.blocks
        if image > encoder or need > free:
            break
        waiting.popleft()
        running.append(s)
        s.blocks += need
        free -= need
        budget -= n
        if image:
            encoder -= image
            vision[s.req.page_class] += 1
            s.vision_done = True
        chunks.append((s, n))
    return budget, encoder, free, bool(waiting)


def _block_safe(running: Sequence[_Seq], k: int, free: int, bs: int) -> int:
    """The most decode steps (at most ``k``) every running request can take within ``free`` blocks."""

    def extra(steps: int) -> int:
        return sum(-(-(s.cached + steps) // bs) - s.blocks for s in running)

    if k <= 0:
        return 0
    if extra(k) <= free:
        return k
    # 0 steps fit, k do not: the step counts between them that fit are a prefix
    return bisect.bisect_right(range(1, k), free, key=extra)


def _result(s: _Seq, now: float) -> RequestResult:
    return RequestResult(
        index=s.req.index,
        page_class=s.req.page_class,
        arrival_s=s.req.arrival_s,
        ready_s=s.ready,
        first_token_s=s.first if s.first is not None else now,
        finish_s=now,
        output_tokens=s.req.output_tokens,
        preemptions=s.preemptions,
    )
