#!/usr/bin/env python3
"""Write a roofline validation report: predicted (roofline) versus measured kernel time.

The report is :mod:`llm_perf_opt.validation.roofline_report` (``python -m llm_perf_opt.regen`` writes the
committed ones); this script keeps its command line.

Usage::

    python scripts/gpu/report_validation.py --raw-dir reports/validation/h100 --report reports/validation/h100.md
"""

from __future__ import annotations

from llm_perf_opt.validation.roofline_report import main

if __name__ == "__main__":
    raise SystemExit(main())
