"""``ModuleMetricsSnapshot``: a module's metric record as a report stores it.

The fields are exactly those of :class:`modelmeter.metrics.LayerMetrics` (all integers:
FLOPs with a multiply-add counted as 2, bytes, parameter counts), so the snapshot is a
lossless copy. Derived quantities (total I/O, arithmetic intensity) are not stored.

Example
-------
>>> snap = ModuleMetricsSnapshot(forward_tensor_core_flops=240, params=30)
>>> snap.forward_cuda_core_flops, snap.params
(0, 30)
"""

from __future__ import annotations

from attrs import define, field

from llm_perf_opt.data._validators import non_negative_int


@define(frozen=True, kw_only=True)
class ModuleMetricsSnapshot:
    """Closed-form metrics of a module (see :class:`modelmeter.metrics.LayerMetrics` for each field).

    Example
    -------
    >>> ModuleMetricsSnapshot(forward_weight_read_bytes=-1)
    Traceback (most recent call last):
    ...
    ValueError: forward_weight_read_bytes: must be an integer >= 0, got -1
    """

    forward_tensor_core_flops: int = field(default=0, validator=non_negative_int)
    forward_executed_tensor_core_flops: int = field(default=0, validator=non_negative_int)
    backward_tensor_core_flops: int = field(default=0, validator=non_negative_int)
    forward_cuda_core_flops: int = field(default=0, validator=non_negative_int)
    backward_cuda_core_flops: int = field(default=0, validator=non_negative_int)
    forward_weight_read_bytes: int = field(default=0, validator=non_negative_int)
    forward_activation_read_bytes: int = field(default=0, validator=non_negative_int)
    forward_activation_write_bytes: int = field(default=0, validator=non_negative_int)
    forward_kv_cache_read_bytes: int = field(default=0, validator=non_negative_int)
    forward_kv_cache_write_bytes: int = field(default=0, validator=non_negative_int)
    backward_weight_read_bytes: int = field(default=0, validator=non_negative_int)
    backward_activation_read_bytes: int = field(default=0, validator=non_negative_int)
    backward_activation_write_bytes: int = field(default=0, validator=non_negative_int)
    params: int = field(default=0, validator=non_negative_int)
    weight_memory_bytes: int = field(default=0, validator=non_negative_int)
    activation_memory_bytes: int = field(default=0, validator=non_negative_int)
    kv_cache_memory_bytes: int = field(default=0, validator=non_negative_int)
