"""Memory footprint, device capacity and the largest batch that fits."""

from __future__ import annotations

import pytest

from llm_perf_opt.hardware.registry import load_hardware
from llm_perf_opt.timing.memory_fit import (
    GIB,
    MemoryFootprint,
    device_memory_bytes,
    max_batch,
    max_batch_affine,
)


def test_device_memory_is_binary_gigabytes() -> None:
    assert device_memory_bytes(load_hardware("h100-sxm")) == 85_899_345_920  # 80 * 2**30
    assert device_memory_bytes(load_hardware("h200")) == 151_397_597_184  # 141 * 2**30
    # nvidia-smi's 81559 MiB on an H100 leaves a 361 MiB reserve: 81920 - 81559
    assert device_memory_bytes(load_hardware("h100-sxm"), reserve_bytes=361 * 2**20) == 81_559 * 2**20


def test_footprint_sums_and_fits() -> None:
    fp = MemoryFootprint(weight_bytes=6 * GIB, peak_activation_bytes=3 * GIB, kv_cache_bytes=14 * GIB)
    assert fp.total_bytes == 23 * GIB  # 6 + 3 + 14
    assert fp.fits(24 * GIB)  # an L4 or RTX 4090
    assert not fp.fits(23 * GIB - 1)
    with pytest.raises(ValueError, match="kv_cache_bytes"):
        MemoryFootprint(weight_bytes=1, peak_activation_bytes=1, kv_cache_bytes=-1)


def test_affine_batch_on_h100() -> None:
    capacity = device_memory_bytes(load_hardware("h100-sxm"))  # 80 GiB
    # 10 GiB fixed (weights), 3 GiB per page: (80 - 10) / 3 = 23.3 -> 23
    assert max_batch_affine(fixed_bytes=10 * GIB, per_item_bytes=3 * GIB, capacity_bytes=capacity) == 23
    assert max_batch_affine(fixed_bytes=81 * GIB, per_item_bytes=GIB, capacity_bytes=capacity) == 0
    with pytest.raises(ValueError, match="per_item_bytes"):
        max_batch_affine(fixed_bytes=0, per_item_bytes=0, capacity_bytes=capacity)


def test_callable_batch_matches_affine_and_handles_nonlinear() -> None:
    capacity = 80 * GIB
    calls: list[int] = []

    def affine(b: int) -> int:
        calls.append(b)
        return 10 * GIB + b * 3 * GIB

    assert max_batch(affine, capacity) == 23
    assert len(calls) <= 12  # doubling to 32, then bisection in [16, 32)

    # quadratic growth: 10 + B^2 GiB <= 80 -> B^2 <= 70 -> B = 8
    assert max_batch(lambda b: 10 * GIB + b * b * GIB, capacity) == 8


def test_callable_batch_edges() -> None:
    assert max_batch(lambda b: 100 * b, 99) == 0  # batch 1 needs 100 bytes
    assert max_batch(lambda b: 100 * b, 100) == 1
    assert max_batch(lambda b: b, 10**9, limit=1000) == 1000  # capped
    assert max_batch(lambda b: b, 700, limit=1000) == 700
    with pytest.raises(ValueError, match="limit"):
        max_batch(lambda b: b, 10, limit=0)
