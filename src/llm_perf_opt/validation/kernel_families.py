"""Kernel families of the validation reports: a profiler kernel name (measured) or a runtime
profile's kernel name (predicted) -> one of :data:`FAMILIES`.

Example
-------
>>> measured_family("nvjet_sm90_tst_64x8_64x16_4x1_v_bz_TNT"), predicted_family("q_proj")
('GEMM / conv', 'GEMM / conv')
>>> measured_family("Memset (Device)"), measured_family("void at::native::vectorized_elementwise_kernel")
('memset / memcpy', 'elementwise, norms, copies, routing')
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

FAMILIES: tuple[str, ...] = ("GEMM / conv", "attention", "memset / memcpy", "elementwise, norms, copies, routing")
"""Kernel families of the per-family comparisons (last: everything else)."""
_MEASURED_FAMILY = (
    re.compile(r"^Memset|^Memcpy"),
    re.compile(r"sdpa|fmha|flash_fprop|lean_reduction", re.I),
    re.compile(r"nvjet|cutlass|gemm|xmma|convolve|cublas|dot_kernel|reduce_1Block", re.I),
)
_PREDICTED_FAMILY = (
    re.compile(r"memset|upload|sort_copy|counts_to_host"),
    re.compile(r"^sdpa$|flash_attention"),
    re.compile(r"gemm|bmm|^[qkv]_proj$|splitk|implicit|convolve"),
)
_FAMILY_ORDER = (2, 1, 0)  # index into FAMILIES of each pattern above: memset, attention, GEMM


def _family(name: str, patterns: Sequence[re.Pattern[str]]) -> str:
    for pattern, family in zip(patterns, _FAMILY_ORDER, strict=True):
        if pattern.search(name):
            return FAMILIES[family]
    return FAMILIES[-1]


def measured_family(kernel_name: str) -> str:
    """Family of a kernel name as torch.profiler reports it."""
    return _family(kernel_name, _MEASURED_FAMILY)


def predicted_family(kernel: str) -> str:
    """Family of a kernel of a runtime profile (its ``name`` there)."""
    return _family(kernel, _PREDICTED_FAMILY)


def measured_family_seconds(kernels_by_name: Mapping[str, Sequence[float]]) -> dict[str, float]:
    """Measured device seconds per family from ``kernel name -> [launches, seconds]`` per call."""
    out = dict.fromkeys(FAMILIES, 0.0)
    for name, (_, seconds) in kernels_by_name.items():
        out[measured_family(name)] += seconds
    return out
