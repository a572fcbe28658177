"""llm-perf-opt: analytic compute, memory-traffic, memory and time model of DeepSeek-OCR."""

__version__ = "0.1.0"
