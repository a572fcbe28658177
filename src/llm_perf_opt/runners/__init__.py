"""Command-line runners (``python -m llm_perf_opt.runners.dsocr_analyzer``)."""
