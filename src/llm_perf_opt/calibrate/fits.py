"""The arithmetic of a calibration: statistics of timed samples, rates from times, the CUDA-graph
launch/gap fit and unit conversions. Pure Python (no torch), so it is tested on any machine.

Example
-------
>>> round(matmul_tflops(8192, 1.1e-3), 1)  # 2 * 8192**3 / 1.1e-3 s = 1.0995e12 / 1.1e-3 = 999.6 TFLOP/s
999.6
>>> round(copy_tbps(2**31, 1e-3), 3)  # 2 * 2 GiB / 1 ms = 4.295 TB/s
4.295
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from typing import Any

TERA = 1e12
"""``*_tflops`` and ``*_tbps`` are 10^12 per second."""
GIB = 2**30
CACHE_MULTIPLE = 4
"""Operand sets are rotated until they span at least this many times the L2 cache."""
MAX_BUFFER_SETS = 64


def summary(samples: Sequence[float]) -> dict[str, float | int]:
    """Median, spread (linear-interpolated percentiles) and count of a list of seconds.

    Example
    -------
    >>> summary([4.0, 1.0, 3.0, 2.0])["median_s"]  # (2 + 3) / 2
    2.5
    """
    s = sorted(samples)
    if not s:
        raise ValueError("summary: no samples")

    def pct(q: float) -> float:
        pos = q * (len(s) - 1)
        lo = math.floor(pos)
        hi = min(lo + 1, len(s) - 1)
        return s[lo] + (s[hi] - s[lo]) * (pos - lo)

    return {"median_s": pct(0.5), "min_s": s[0], "p10_s": pct(0.1), "p90_s": pct(0.9), "max_s": s[-1], "runs": len(s)}


def median_us(block: Mapping[str, Any] | None) -> float | None:
    """The median of a :func:`summary` block in microseconds (``None`` for no block)."""
    return None if block is None else float(block["median_s"]) * 1e6


def sig(x: float | None, digits: int = 4) -> float | None:
    """``x`` rounded to ``digits`` significant digits, as hardware entries carry measured numbers.

    Example
    -------
    >>> sig(12.72262600772001)
    12.72
    """
    return None if x is None else float(f"{x:.{digits}g}")


def buffer_sets(set_bytes: int, l2_bytes: int) -> int:
    """Operand sets to rotate among so that together they span :data:`CACHE_MULTIPLE` times the L2.

    Example
    -------
    >>> buffer_sets(10 * 2**20, 60 * 2**20)  # ceil(4 * 60 MiB / 10 MiB) = 24
    24
    >>> buffer_sets(2**31, 60 * 2**20)  # one 2 GiB set already spans 4 x 60 MiB
    1
    """
    if l2_bytes <= 0 or set_bytes >= CACHE_MULTIPLE * l2_bytes:
        return 1
    return min(MAX_BUFFER_SETS, math.ceil(CACHE_MULTIPLE * l2_bytes / set_bytes))


def matmul_tflops(n: int, seconds: float) -> float:
    """Achieved TFLOP/s of one ``n x n x n`` matrix product taking ``seconds`` (2 FLOPs a multiply-add)."""
    return 2 * n**3 / seconds / TERA


def copy_tbps(buffer_bytes: int, seconds: float) -> float:
    """Achieved TB/s of a copy of ``buffer_bytes`` taking ``seconds``, counting bytes read plus written."""
    return 2 * buffer_bytes / seconds / TERA


def chain_costs(wall_1: float, kernel_1: float, wall_n: float, kernel_n: float, n: int) -> dict[str, float]:
    """Launch per replay and gap per kernel (seconds) of one graph chain, from the median replay walls and
    profiled kernel times of its 1-kernel and ``n``-kernel graphs: ``launch = W_1 - D_1``,
    ``gap = ((W_n - D_n) - launch) / (n - 1)``.

    Example
    -------
    >>> c = chain_costs(wall_1=12e-6, kernel_1=2e-6, wall_n=120e-6, kernel_n=80e-6, n=41)
    >>> round(c["launch_s"] * 1e6, 6), round(c["gap_s"] * 1e6, 6)
    (10.0, 0.75)
    """
    launch = wall_1 - kernel_1
    return {"launch_s": launch, "gap_s": ((wall_n - kernel_n) - launch) / (n - 1)}


def graph_constants(rows: Mapping[str, Mapping[str, Any]]) -> dict[str, float]:
    """The hardware entry's ``host.graph.launch_us`` and ``kernel_gap_us``: the medians over the chains' rows
    (each with ``launch_s`` and ``gap_s``), in microseconds.

    Example
    -------
    >>> rows = {"a": {"launch_s": 20e-6, "gap_s": 0.2e-6}, "b": {"launch_s": 30e-6, "gap_s": 0.4e-6},
    ...         "c": {"launch_s": 25e-6, "gap_s": 0.1e-6}}
    >>> {k: round(v, 6) for k, v in graph_constants(rows).items()}
    {'graph_launch_us': 25.0, 'graph_kernel_gap_us': 0.2}
    """
    return {
        "graph_launch_us": statistics.median(float(r["launch_s"]) for r in rows.values()) * 1e6,
        "graph_kernel_gap_us": statistics.median(float(r["gap_s"]) for r in rows.values()) * 1e6,
    }


def eager_start_us(wall_s: float, kernel_s: float) -> float:
    """Host time before an eager call's first kernel: the one-kernel call's median wall less its kernel, in us.

    Example
    -------
    >>> round(eager_start_us(wall_s=97.5e-6, kernel_s=1.5e-6), 6)  # 97.5 - 1.5 = 96 us
    96.0
    """
    return (wall_s - kernel_s) * 1e6


def binary_gb(total_bytes: int) -> float:
    """Device memory in binary gigabytes (GiB), one decimal, as hardware entries state ``memory_gb``.

    Example
    -------
    >>> binary_gb(150_754_820_096)  # an H200's total_memory: 150754820096 / 2**30 = 140.40
    140.4
    """
    return round(total_bytes / GIB, 1)


def efficiency(achieved: float, peak: float) -> float:
    """``achieved / peak``: the fraction of a datasheet rate a measurement reached.

    Example
    -------
    >>> round(efficiency(791.5, 989.4), 4)  # 791.5 / 989.4
    0.8
    """
    return achieved / peak
