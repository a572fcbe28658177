"""``OperatorMetrics``: the share of a module's metrics done by one operator category.

Example
-------
>>> from llm_perf_opt.data.module_metrics import ModuleMetricsSnapshot
>>> om = OperatorMetrics(category=OperatorCategory.NORM, metrics=ModuleMetricsSnapshot(forward_cuda_core_flops=8))
>>> om.category.value, om.metrics.forward_cuda_core_flops
('norm', 8)
"""

from __future__ import annotations

from attrs import define, field
from attrs.validators import instance_of

from llm_perf_opt.data.module_metrics import ModuleMetricsSnapshot
from llm_perf_opt.data.operator_category import OperatorCategory


@define(frozen=True, kw_only=True)
class OperatorMetrics:
    """Metrics of the work of one :class:`OperatorCategory` inside a module (all its calls).

    Example
    -------
    >>> OperatorMetrics(category=OperatorCategory.CONV, metrics=ModuleMetricsSnapshot()).category
    <OperatorCategory.CONV: 'conv'>
    """

    category: OperatorCategory = field(validator=instance_of(OperatorCategory))
    metrics: ModuleMetricsSnapshot = field(validator=instance_of(ModuleMetricsSnapshot))
