#!/usr/bin/env python3
"""Measure kernel time against kernel size on a GPU: the curves the kernel-level time model reads.

The measuring code is :mod:`llm_perf_opt.calibrate.curves` (its docstring lists the curves); this script keeps
its command line, including ``--from-report`` (a report's ``kernel_curves`` block for a hardware entry),
``--only`` and ``--merge``. ``python -m llm_perf_opt.calibrate`` measures the curves an entry reads with
every other calibration in one process (``docs/calibration.md``).

Usage::

    python3 scripts/gpu/calibrate_curves.py --output kernel-curves-h100.json
    python3 scripts/gpu/calibrate_curves.py --dry-run --output /tmp/curves-dry.json   # CPU smoke test
    python3 scripts/gpu/calibrate_curves.py --from-report kernel-curves-h100.json --output block.yaml
"""

from __future__ import annotations

import sys

from llm_perf_opt.calibrate.curves import CURVE_NAMES, HARDWARE_CURVES, hardware_block, main, merge, yaml_block

__all__ = ["CURVE_NAMES", "HARDWARE_CURVES", "hardware_block", "main", "merge", "yaml_block"]

if __name__ == "__main__":
    sys.exit(main())
