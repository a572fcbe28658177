#!/usr/bin/env python3
"""Write a runtime report: the kernel-level time model against the measured reference.

The report is :mod:`llm_perf_opt.validation.runtime_report` (``python -m llm_perf_opt.regen`` writes the
committed ones); this script keeps its command line.

Usage::

    python scripts/gpu/report_runtimes.py --raw-dir reports/validation/h100 \\
        --report reports/validation/h100-runtimes.md
"""

from __future__ import annotations

from llm_perf_opt.validation.runtime_report import main

if __name__ == "__main__":
    raise SystemExit(main())
