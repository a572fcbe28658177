"""``python -m llm_perf_opt.calibrate``: calibrate a GPU in one command (:mod:`llm_perf_opt.calibrate.cli`)."""

from __future__ import annotations

from llm_perf_opt.calibrate.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
