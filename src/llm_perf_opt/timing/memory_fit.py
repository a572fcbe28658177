"""Device-memory footprint and the largest batch that fits.

The footprint is the sum of the bytes the caller gives (weights, peak activations, KV cache,
anything else such as a runtime reserve); this module adds nothing of its own.

Two ways to find the largest batch:

* :func:`max_batch_affine`, when bytes grow linearly with the batch:
  ``bytes(B) = fixed_bytes + B * per_item_bytes``, so ``B = floor((capacity - fixed) / per_item)``;
* :func:`max_batch`, for any non-decreasing ``batch -> bytes`` callable (for instance one that
  builds the model at batch ``B`` and sums its footprint): a doubling search followed by
  bisection, ``O(log B)`` calls.

Device capacity: vendors state GPU memory in binary gigabytes, so
:func:`device_memory_bytes` is ``memory_gb * 2**30``; the driver and the CUDA context take a
part of it (e.g. 81559 of 81920 MiB seen on an H100), which callers pass as a reserve.

Example
-------
>>> fp = MemoryFootprint(weight_bytes=6 * 2**30, peak_activation_bytes=2**30, kv_cache_bytes=2**29)
>>> fp.total_bytes / 2**30
7.5
>>> max_batch_affine(fixed_bytes=10, per_item_bytes=3, capacity_bytes=20)  # (20 - 10) // 3
3
"""

from __future__ import annotations

import bisect
from collections.abc import Callable

from attrs import define, field

from llm_perf_opt.data.hardware import HardwareSpec
from modelmeter.layers.base import non_negative

GIB = 2**30
"""Bytes in a binary gigabyte, the unit vendors use for GPU memory capacity."""


def device_memory_bytes(spec: HardwareSpec, *, reserve_bytes: int = 0) -> int:
    """Capacity of ``spec``'s device memory in bytes (``memory_gb * 2**30``), less ``reserve_bytes``."""
    if reserve_bytes < 0:
        raise ValueError(f"reserve_bytes: must be >= 0, got {reserve_bytes}")
    return round(spec.memory_gb.value * GIB) - reserve_bytes


@define(frozen=True, kw_only=True)
class MemoryFootprint:
    """Bytes resident on the device at the peak of a run.

    Example
    -------
    >>> MemoryFootprint(weight_bytes=100, peak_activation_bytes=20, kv_cache_bytes=30, other_bytes=5).total_bytes
    155
    """

    weight_bytes: int = field(validator=non_negative)
    peak_activation_bytes: int = field(validator=non_negative)
    kv_cache_bytes: int = field(validator=non_negative)
    other_bytes: int = field(default=0, validator=non_negative)

    @property
    def total_bytes(self) -> int:
        """Weights + peak activations + KV cache + other."""
        return self.weight_bytes + self.peak_activation_bytes + self.kv_cache_bytes + self.other_bytes

    def fits(self, capacity_bytes: int) -> bool:
        """Whether the total is at most ``capacity_bytes``."""
        return self.total_bytes <= capacity_bytes


def max_batch_affine(*, fixed_bytes: int, per_item_bytes: int, capacity_bytes: int) -> int:
    """Largest ``B >= 0`` with ``fixed_bytes + B * per_item_bytes <= capacity_bytes``.

    ``per_item_bytes`` must be positive (an unbounded batch is not an answer).
    """
    if per_item_bytes <= 0:
        raise ValueError(f"per_item_bytes: must be > 0, got {per_item_bytes}")
    if fixed_bytes < 0:
        raise ValueError(f"fixed_bytes: must be >= 0, got {fixed_bytes}")
    free = capacity_bytes - fixed_bytes
    return free // per_item_bytes if free > 0 else 0


def max_batch(bytes_at_batch: Callable[[int], int], capacity_bytes: int, *, limit: int = 1 << 20) -> int:
    """Largest ``1 <= B <= limit`` with ``bytes_at_batch(B) <= capacity_bytes``; 0 if batch 1 does not fit.

    ``bytes_at_batch`` must be non-decreasing in ``B``. Returns ``limit`` when even ``limit`` fits.
    """
    if limit < 1:
        raise ValueError(f"limit: must be >= 1, got {limit}")
    if bytes_at_batch(1) > capacity_bytes:
        return 0
    lo = 1  # fits
    hi = 2
    while hi <= limit and bytes_at_batch(hi) <= capacity_bytes:
        lo, hi = hi, hi * 2
    if hi > limit:
        if bytes_at_batch(limit) <= capacity_bytes:
            return limit
        hi = limit
    # lo fits, hi does not: the batches between them that fit are a prefix
    return lo + bisect.bisect_right(range(lo + 1, hi), capacity_bytes, key=bytes_at_batch)
