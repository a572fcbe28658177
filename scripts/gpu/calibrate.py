#!/usr/bin/env python3
"""Measure what a GPU achieves: bf16 matmul rate, copy bandwidth, kernel-launch and sync costs.

The measuring code is :mod:`llm_perf_opt.calibrate.peaks` (its docstring says how each number is taken);
this script keeps its command line. ``python -m llm_perf_opt.calibrate`` runs these measurements and every
other calibration in one process and writes the whole hardware entry (``docs/calibration.md``).

Usage::

    python3 scripts/gpu/calibrate.py --output calibration-h100.json
    python3 scripts/gpu/calibrate.py --dry-run --output /tmp/calibration-dry.json
"""

from __future__ import annotations

import sys

from llm_perf_opt.calibrate.peaks import calibration_block, main, parse_args

__all__ = ["calibration_block", "main", "parse_args"]

if __name__ == "__main__":
    sys.exit(main())
