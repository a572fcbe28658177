"""The host cost of a per-request Python n-gram logits processor under a vLLM-V0-style sampler loop, measured on
generic operations (``scripts/bench/bench_engine_host.py`` is the command; :mod:`llm_perf_opt.serving.host` takes
its constants from the committed output, ``reports/bench/engine_host.json``).

The mechanism, as vLLM V0's ``_apply_logits_processors`` and the vendor's ``NoRepeatNGramLogitsProcessor``
describe it (written here, not copied): per sampled sequence, a row view of the logits, ``inspect.signature``
of the processor, the processor's call on the sequence's output tokens (a tuple built from an ``array`` each
time) and the row written back; a sequence with at least ``ngram_size`` output tokens compares the last
``ngram_size - 1`` tokens with each ``ngram_size``-gram of the last ``window_size`` tokens.

Measured (best of 7 repetitions, microseconds): ``call_us``, one sequence's dispatch with a processor that returns
at once (fewer output tokens than ``ngram_size``); ``per_token_us``, ``tuple(array('l', ids))`` per token for
4,000 ids; ``per_position_us``, the window scan (``ngram_size`` 20, ``window_size`` 50: 31 positions, tokens that
never repeat) less an immediate return, per position.

Example
-------
>>> p = NGramProcessor(3, 6)
>>> p([1, 2, 9, 1, 2], "scores")  # the 3-gram (1, 2, 9) would repeat: 9 is found (and would be banned)
'scores'
>>> p.banned([1, 2, 9, 1, 2])
{9}
"""

from __future__ import annotations

import array
import inspect
import platform
import random
import timeit
from collections.abc import Callable, Sequence
from typing import Any

from llm_perf_opt.utils.machine import cpu_model

NGRAM, WINDOW, VOCAB, ROWS = 20, 50, 129_280, 100


class NGramProcessor:
    """The mechanism of a no-repeat-n-gram processor over a window (own code, same work per call)."""

    def __init__(self, ngram_size: int, window_size: int) -> None:
        self.ngram_size, self.window_size = ngram_size, window_size
        self.allowed: frozenset[int] = frozenset({128821, 128822})  # the vendor's whitelist (<td>, </td>)
        self.found: set[int] = set()

    def __call__(self, ids: Sequence[int], scores: Any) -> Any:
        n = self.ngram_size
        if len(ids) < n:
            return scores
        tail = tuple(ids[len(ids) - n + 1 :])
        found: set[int] = set()
        for i in range(max(0, len(ids) - self.window_size), len(ids) - n + 1):
            gram = tuple(ids[i : i + n])
            if gram[:-1] == tail:
                found.add(gram[-1])
        found -= self.allowed
        self.found = found
        return scores

    def banned(self, ids: Sequence[int]) -> set[int]:
        """The tokens a call on ``ids`` finds (and a real processor would ban)."""
        self.found = set()
        self(ids, None)
        return set(self.found)


def apply_processors(logits: Any, outputs: Sequence[array.array[int]], proc: Callable[..., Any]) -> None:
    """vLLM V0's per-sequence logits-processor dispatch over the rows of ``logits`` (module docstring): a row
    view, the sequence's output tokens as a new tuple, ``inspect.signature`` of the processor (V0 asks on every
    call whether it takes the prompt too), the call, the row written back."""
    for i, seq in enumerate(outputs):
        row = logits[i]
        output = tuple(seq)
        three = len(inspect.signature(proc).parameters) == 3
        row = proc(output, output, row) if three else proc(output, row)
        logits[i] = row


def _best_us(fn: Callable[[], object], number: int) -> float:
    return min(timeit.repeat(fn, number=number, repeat=7)) / number * 1e6


def measure(torch: Any, device: str) -> dict[str, Any]:
    """The three costs in microseconds, and where they were measured (``torch`` passed in: the analytic path
    never imports it)."""

    logits = torch.randn(ROWS, VOCAB, device=device)
    proc = NGramProcessor(NGRAM, WINDOW)
    rng = random.Random(0)
    short = array.array("l", [rng.randrange(VOCAB) for _ in range(NGRAM - 1)])
    long_ids = tuple(rng.randrange(VOCAB) for _ in range(1000))

    rows = [short] * ROWS

    def dispatch() -> None:
        apply_processors(logits, rows, proc)

    if device == "cuda":
        torch.cuda.synchronize()
    call_us = _best_us(dispatch, 20) / ROWS
    if device == "cuda":
        torch.cuda.synchronize()
    big = array.array("l", [rng.randrange(VOCAB) for _ in range(4000)])
    per_token_us = _best_us(lambda: tuple(big), 2000) / len(big)
    scan_us = _best_us(lambda: proc(long_ids, None), 20000)
    quick_us = _best_us(lambda: proc(long_ids[: NGRAM - 1], None), 20000)
    positions = WINDOW - NGRAM + 1
    return {
        "call_us": round(call_us, 3),
        "per_token_us": round(per_token_us, 5),
        "per_position_us": round((scan_us - quick_us) / positions, 4),
        "ngram_size": NGRAM,
        "window_size": WINDOW,
        "machine": {
            "device": device if device == "cpu" else torch.cuda.get_device_name(),
            "cpu": cpu_model(),
            "python": platform.python_version(),
            "torch": torch.__version__,
            "note": "best of 7 repetitions of timeit; generic operations of the mechanism, not vLLM's or the "
            "vendor's code",
        },
    }
