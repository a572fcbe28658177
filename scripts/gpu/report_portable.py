"""Write ``reports/validation/portable.md``: the portable kernel-time model against measurements it never saw.

The report is :mod:`llm_perf_opt.validation.portable_report` (``python -m llm_perf_opt.regen`` writes the
committed one); this script keeps its command line.

Usage::

    python scripts/gpu/report_portable.py
"""

from __future__ import annotations

from llm_perf_opt.validation.portable_report import main

if __name__ == "__main__":
    raise SystemExit(main())
