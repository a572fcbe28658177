"""How a stage is executed, one definition for the runtime profiles (which kind each stage runs as,
:class:`~llm_perf_opt.data.runtime_profile.Execution`), the hardware entries (one host-cost record per kind,
:class:`~llm_perf_opt.data.hardware.HostCosts`) and the time model that pairs the two
(:class:`~llm_perf_opt.kernels.timing.LaunchCosts`).

``enqueue``
    eager launches through PyTorch's bare enqueue, as a serving engine's C++ path: a host cost per kernel;
``module``
    eager Python module code, as Hugging Face transformers: a host cost per launched kernel plus one per
    Python-level torch call;
``graph``
    the call captured once and replayed as one CUDA graph: one graph launch per call, no per-kernel host cost,
    a gap between consecutive kernels of the replay.

Example
-------
>>> EXECUTION_KINDS, EAGER_EXECUTION
(('enqueue', 'module', 'graph'), ('enqueue', 'module'))
"""

from __future__ import annotations

ENQUEUE_EXECUTION = "enqueue"
"""Eager launches through PyTorch's bare enqueue."""
MODULE_EXECUTION = "module"
"""Eager Python module code."""
GRAPH_EXECUTION = "graph"
"""Captured once and replayed as a CUDA graph: one graph launch per call, no per-kernel host cost."""
EAGER_EXECUTION: tuple[str, ...] = (ENQUEUE_EXECUTION, MODULE_EXECUTION)
"""How eager launches are made, i.e. what the host pays per kernel."""
EXECUTION_KINDS: tuple[str, ...] = (*EAGER_EXECUTION, GRAPH_EXECUTION)
"""Every execution kind, in the order a hardware entry's host-cost records are listed."""
