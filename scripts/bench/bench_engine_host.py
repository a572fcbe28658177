#!/usr/bin/env python3
"""Host cost of a per-request Python n-gram logits processor under a vLLM-V0-style sampler loop, measured on
generic operations (:mod:`llm_perf_opt.validation.engine_host` says what and how).

Usage::

    python scripts/bench/bench_engine_host.py [--device cpu|cuda] [--output reports/bench/engine_host.json]

Needs torch (the logits are a torch tensor: ``--device cuda`` puts them on the GPU as vLLM does).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from llm_perf_opt.validation.engine_host import measure


def main(argv: Sequence[str] | None = None) -> int:
    """Measure, print and write the JSON."""
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu", help="where the logits live")
    p.add_argument("--output", type=Path, default=None, help="JSON file to write (default: print only)")
    args = p.parse_args(argv)
    import torch

    result = measure(torch, args.device)
    text = json.dumps(result, indent=2) + "\n"
    if args.output is not None:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text)
    print(text, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
