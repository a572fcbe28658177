"""``AnalyticModuleNode``: one module of the analytic hierarchy, with its totals.

Example
-------
>>> from llm_perf_opt.data.module_metrics import ModuleMetricsSnapshot
>>> node = AnalyticModuleNode(id="sam_model[crops].blocks.3.attn", parent="sam_model[crops].blocks.3", stage="sam",
...     class_name="Attention", module_path="sam_model.blocks.3.attn", calls=1, instances=1,
...     identifier="Attention(batch=54, ...)", category=OperatorCategory.ATTENTION,
...     metrics=ModuleMetricsSnapshot(params=2365824), categories=())
>>> node.stage, node.metrics.params
('sam', 2365824)
"""

from __future__ import annotations

from attrs import define, field
from attrs.validators import instance_of

from llm_perf_opt.data._validators import non_empty_str, non_negative_int, one_of, optional_str, positive_int
from llm_perf_opt.data.module_metrics import ModuleMetricsSnapshot
from llm_perf_opt.data.operator_category import OperatorCategory
from llm_perf_opt.data.operator_metrics import OperatorMetrics
from llm_perf_opt.data.stage_names import ALL_STAGE_NAMES


@define(frozen=True, kw_only=True)
class AnalyticModuleNode:
    """A module call site in the analytic tree.

    Parameters
    ----------
    id
        Unique, stable id: the vendor module path below the stage, keeping the call tags
        that tell repeated calls apart (``sam_model[crops].blocks.3.attn``,
        ``steps[last].model.layers.0.self_attn``). A stage's root node has the stage name
        as id; the whole model's root has the empty id.
    parent
        The parent node's id (``None`` for the root).
    stage
        One of ``sam, clip, projector, prefill, lm_head, decode`` (``None`` for the root).
    class_name
        The analytic layer class (its page is ``layers/<class_name>.md``).
    module_path
        The vendor module path without call tags (``sam_model.blocks.3.attn``); ``*``
        stands for a run of identical instances (``experts.*``).
    calls
        Identical calls this node stands for (product of the counts along its path).
    instances
        Distinct module instances behind those calls (0 when the module's weights are
        already counted at an earlier call, e.g. the global-view SAM call or a decode step).
    identifier
        Class name and shape fields of one call.
    category
        Operator category of the node's own work.
    metrics
        Totals over all ``calls``; parameters, weight and KV-cache memory count ``instances``.
    categories
        ``metrics`` split by the operator category of the layers that did the work; empty
        for a leaf, whose work is all of its own ``category``.

    Example
    -------
    >>> AnalyticModuleNode(id="x", parent=None, stage="vision", class_name="X", module_path="x", calls=1,
    ...     instances=1, identifier="X()", category=OperatorCategory.OTHER, metrics=ModuleMetricsSnapshot())
    Traceback (most recent call last):
    ...
    ValueError: stage: unknown 'vision'; allowed: sam, clip, qwen2, projector, prefill, lm_head, decode
    """

    id: str = field(validator=instance_of(str))
    parent: str | None = field(validator=optional_str)
    stage: str | None = field(validator=one_of(ALL_STAGE_NAMES, optional=True))
    class_name: str = field(validator=non_empty_str)
    module_path: str = field(validator=instance_of(str))
    calls: int = field(validator=positive_int)
    instances: int = field(validator=non_negative_int)
    identifier: str = field(validator=non_empty_str)
    category: OperatorCategory = field(validator=instance_of(OperatorCategory))
    metrics: ModuleMetricsSnapshot = field(validator=instance_of(ModuleMetricsSnapshot))
    categories: tuple[OperatorMetrics, ...] = ()
