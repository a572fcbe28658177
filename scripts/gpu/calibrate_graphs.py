#!/usr/bin/env python3
"""Measure what a CUDA-graph replay costs beyond its kernels: one launch per replay, a gap per kernel.

The measuring code is :mod:`llm_perf_opt.calibrate.graphs` (its docstring says how, and what was seen on the
H100); this script keeps its command line.
``python -m llm_perf_opt.calibrate`` measures the two constants with every other calibration in one process
(``docs/calibration.md``).

Usage::

    python3 scripts/gpu/calibrate_graphs.py --output reports/validation/h100/graph-costs.json
"""

from __future__ import annotations

from llm_perf_opt.calibrate.fits import chain_costs
from llm_perf_opt.calibrate.graphs import (
    ADD_ELEMENTS,
    GEMV_SIZE,
    MIXED,
    chains,
    interleaved_walls,
    main,
    measure,
    mixed_chain,
    summary,
)

__all__ = [
    "ADD_ELEMENTS",
    "GEMV_SIZE",
    "MIXED",
    "chain_costs",
    "chains",
    "interleaved_walls",
    "main",
    "measure",
    "mixed_chain",
    "summary",
]

if __name__ == "__main__":
    raise SystemExit(main())
