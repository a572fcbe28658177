"""A serving engine's throughput and latency for DeepSeek-OCR pages (pure Python, no torch).

* :mod:`~llm_perf_opt.serving.config`: the engine's settings and the page mix;
* :mod:`~llm_perf_opt.serving.memory`: the paged KV cache's capacity from the memory budget;
* :mod:`~llm_perf_opt.serving.steps`: one engine step's time from the project's time model, cached on a grid;
* :mod:`~llm_perf_opt.serving.trace`: a seeded page stream;
* :mod:`~llm_perf_opt.serving.engine`: continuous batching with chunked prefill and preemption, step by step;
* :mod:`~llm_perf_opt.serving.search`: throughput against latency, and the GPUs a pages-per-day target needs.

See ``docs/serving.md``.
"""
