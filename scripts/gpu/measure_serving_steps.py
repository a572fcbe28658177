#!/usr/bin/env python3
"""Time the serving model's step pieces on a CUDA GPU: decode steps at batch 1 to 128 and several KV lengths
(CUDA-graph replays), the vision encoder at 1 to 32 pages, and decode steps inside an engine-like host loop; each
point's memory is bounded before it is allocated, and a point that does not fit is skipped and says so
(:mod:`llm_perf_opt.validation.serving_steps`).

Run: ``python scripts/gpu/measure_serving_steps.py --output reports/validation/<gpu>/serving-steps.json``;
``--dry-run`` runs every code path once on a tiny reference on the CPU (no timing).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from llm_perf_opt.validation.serving_steps import Plan, run


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Flags (see ``--help``)."""
    p = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    p.add_argument("--output", type=Path, required=True, help="raw JSON file to write")
    p.add_argument("--runs", type=int, default=20, help="timed replays per point (median, min, max kept)")
    p.add_argument("--seed", type=int, default=0, help="seed of the random weights")
    p.add_argument("--dry-run", action="store_true", help="tiny reference on the CPU, every call once, no timing")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Measure and write the JSON; exit 2 without a CUDA device (unless ``--dry-run``)."""
    args = parse_args(argv)
    import torch

    if not args.dry_run and not torch.cuda.is_available():
        print(
            "measure_serving_steps: no CUDA device (use --dry-run to check the code paths on the CPU)", file=sys.stderr
        )
        return 2
    plan = Plan.dry() if args.dry_run else Plan()
    report = run(torch, plan=plan, runs=args.runs, dry_run=args.dry_run, seed=args.seed)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(f"{len(report['rows'])} points -> {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
