#!/usr/bin/env python3
"""Host cost of a per-request Python n-gram logits processor under a vLLM-V0-style sampler loop, measured on
generic operations (``llm_perf_opt.serving.host`` takes its constants from this script's output).

The mechanism, as vLLM V0's ``_apply_logits_processors`` and the vendor's ``NoRepeatNGramLogitsProcessor``
describe it (written here, not copied): per sampled sequence, a row view of the logits, ``inspect.signature``
of the processor, the processor's call on the sequence's output tokens (a tuple built from an ``array`` each
time) and the row written back; a sequence with at least ``ngram_size`` output tokens compares the last
``ngram_size - 1`` tokens with each ``ngram_size``-gram of the last ``window_size`` tokens.

Measured (best of 7 repetitions, microseconds):

``call_us``
    one sequence's dispatch with a processor that returns at once (fewer output tokens than ``ngram_size``);
``per_token_us``
    ``tuple(array('l', ids))`` per token, for 4,000 ids;
``per_position_us``
    the window scan (``ngram_size`` 20, ``window_size`` 50: 31 positions, tokens that never repeat) less an
    immediate return, per position.

Usage::

    python scripts/bench/bench_engine_host.py [--device cpu|cuda] [--output reports/bench/engine_host.json]

Needs torch (the logits are a torch tensor: ``--device cuda`` puts them on the GPU as vLLM does).
"""

from __future__ import annotations

import argparse
import array
import inspect
import json
import platform
import random
import sys
import timeit
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

NGRAM, WINDOW, VOCAB, ROWS = 20, 50, 129_280, 100


class _NGramProcessor:
    """The mechanism of a no-repeat-n-gram processor over a window (own code, same work per call)."""

    def __init__(self, ngram_size: int, window_size: int) -> None:
        self.ngram_size, self.window_size, self.allowed = ngram_size, window_size, frozenset({1, 2})

    def __call__(self, ids: Sequence[int], scores: Any) -> Any:
        n = self.ngram_size
        if len(ids) < n:
            return scores
        tail = tuple(ids[len(ids) - n + 1 :])
        found = set()
        for i in range(max(0, len(ids) - self.window_size), len(ids) - n + 1):
            gram = tuple(ids[i : i + n])
            if gram[:-1] == tail:
                found.add(gram[-1])
        found -= self.allowed
        return scores


def _best_us(fn: Callable[[], object], number: int) -> float:
    return min(timeit.repeat(fn, number=number, repeat=7)) / number * 1e6


def measure(device: str) -> dict[str, Any]:
    """The three costs in microseconds, and where they were measured."""
    import torch

    logits = torch.randn(ROWS, VOCAB, device=device)
    proc = _NGramProcessor(NGRAM, WINDOW)
    rng = random.Random(0)
    short = array.array("l", [rng.randrange(VOCAB) for _ in range(NGRAM - 1)])
    long_ids = tuple(rng.randrange(VOCAB) for _ in range(1000))
    prompt = tuple(range(900))

    def dispatch() -> None:
        for i in range(ROWS):
            row = logits[i]
            ids = tuple(short)
            _ = prompt
            for p in (proc,):
                if len(inspect.signature(p).parameters) == 3:
                    row = p(prompt, ids, row)
                else:
                    row = p(ids, row)
            logits[i] = row

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
            "cpu": _cpu_name(),
            "python": platform.python_version(),
            "torch": torch.__version__,
            "note": "best of 7 repetitions of timeit; generic operations of the mechanism, not vLLM's or the "
            "vendor's code",
        },
    }


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main(argv: Sequence[str] | None = None) -> int:
    """Measure, print and write the JSON."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu", help="where the logits live")
    p.add_argument("--output", type=Path, default=None, help="JSON file to write (default: print only)")
    args = p.parse_args(argv)
    result = measure(args.device)
    text = json.dumps(result, indent=2) + "\n"
    if args.output is not None:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text)
    print(text, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
