"""GPU timing helpers the measuring scripts share (``scripts/gpu/measure_stages.py``,
``scripts/gpu/calibrate_graphs.py``): profiled kernel time of a call, its wall time between CUDA
events, and CUDA-graph capture.

They take the ``torch`` module as an argument and import nothing from it at import time, so this
module stays importable where torch is absent; calling them needs torch and a CUDA GPU.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def device_environment(torch: Any) -> dict[str, Any]:
    """GPU name, torch and CUDA versions, and the UTC time of measurement, as every raw report records them."""
    return {
        "gpu": torch.cuda.get_device_name(0),
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def profiled_kernels(torch: Any, fn: Callable[[], object], runs: int) -> tuple[float, int, dict[str, list[float]]]:
    """Mean GPU busy time per call of ``fn`` (sum of the kernel, memcpy and memset durations
    ``torch.profiler`` records over ``runs`` calls, divided by the calls), kernels per call, and
    per kernel name ``[launches per call, device seconds per call]``."""
    from torch.profiler import ProfilerActivity, profile

    torch.cuda.synchronize()
    with profile(activities=[ProfilerActivity.CUDA, ProfilerActivity.CPU], acc_events=True) as prof:
        for _ in range(runs):
            fn()
        torch.cuda.synchronize()
    total_us = 0.0
    kernels = 0
    by_name: dict[str, list[float]] = {}
    for evt in prof.events():
        if evt.device_type == torch.autograd.DeviceType.CUDA:
            total_us += evt.device_time
            kernels += 1
            entry = by_name.setdefault(evt.name[:160], [0.0, 0.0])
            entry[0] += 1.0 / runs
            entry[1] += evt.device_time * 1e-6 / runs
    return total_us * 1e-6 / runs, round(kernels / runs), by_name


def event_seconds(torch: Any, fn: Callable[[], object]) -> float:
    """Seconds of one call of ``fn`` between two CUDA events recorded around it, the queue drained
    before (host launches, syncs and GPU work of the call included)."""
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    fn()
    end.record()
    torch.cuda.synchronize()
    return float(start.elapsed_time(end)) * 1e-3


def capture_graph(torch: Any, body: Callable[[], object], warmup: int) -> Any:
    """``body`` captured as one ``torch.cuda.CUDAGraph``, after ``warmup`` calls on a side stream
    (lazy initialisation, library workspaces), as PyTorch's documentation prescribes; the queue is
    drained before it returns. Raises torch's ``RuntimeError`` when the call cannot be captured."""
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for _ in range(warmup):
            body()
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        body()
    torch.cuda.synchronize()
    return graph
