#!/usr/bin/env python3
"""Measure DeepSeek-OCR's stages on a CUDA GPU with the project's PyTorch reference (kernel and wall time).

The measuring code is :mod:`llm_perf_opt.validation.measure_stages` (its docstring says what is measured and
how); this script keeps its command line.

Usage::

    python3 scripts/gpu/measure_stages.py --output reports/validation/h100
"""

from __future__ import annotations

from llm_perf_opt.validation.measure_stages import main

if __name__ == "__main__":
    raise SystemExit(main())
