"""``LayerClassInfo``: what a report says about one analytic layer class it uses.

Example
-------
>>> from llm_perf_opt.data.module_metrics import ModuleMetricsSnapshot
>>> shape = LayerShape(identifier="Linear(tokens=4, ...)", calls=2, example_node="a.b",
...                    per_call=ModuleMetricsSnapshot(forward_tensor_core_flops=240))
>>> info = LayerClassInfo(class_name="Linear", python_path="modelmeter.layers.linear.Linear",
...     category=OperatorCategory.LINEAR, definition="y = x W^T + b.", description="", formulas={}, shapes=(shape,))
>>> info.shapes[0].calls
2
"""

from __future__ import annotations

from attrs import define, field
from attrs.validators import instance_of

from llm_perf_opt.data._validators import non_empty_str, positive_int
from llm_perf_opt.data.module_metrics import ModuleMetricsSnapshot
from llm_perf_opt.data.operator_category import OperatorCategory


@define(frozen=True, kw_only=True)
class LayerShape:
    """One distinct shape a class is called with in the workload.

    Parameters
    ----------
    identifier
        Class name and shape fields (``layer.identifier``).
    calls
        Calls with this shape across the whole model.
    example_node
        Id of the first node (in hierarchy order) with this shape.
    per_call
        Metrics of one call; parameters and memory of one instance.

    Example
    -------
    >>> LayerShape(identifier="X()", calls=0, example_node="", per_call=ModuleMetricsSnapshot())
    Traceback (most recent call last):
    ...
    ValueError: calls: must be an integer >= 1, got 0
    """

    identifier: str = field(validator=non_empty_str)
    calls: int = field(validator=positive_int)
    example_node: str = field(validator=instance_of(str))
    per_call: ModuleMetricsSnapshot = field(validator=instance_of(ModuleMetricsSnapshot))


@define(frozen=True, kw_only=True)
class LayerClassInfo:
    """An analytic class: its documentation (from the class itself) and its shapes here.

    Parameters
    ----------
    class_name
        Class name; the page is ``layers/<class_name>.md``.
    python_path
        Importable dotted path of the class.
    category
        Operator category of the class's own work.
    definition
        One sentence: what the module is.
    description
        The class docstring's prose (assumptions and their reasons), without examples.
    formulas
        Metric name -> formula text, as the class states them.
    shapes
        Distinct shapes used, in order of first appearance.

    Example
    -------
    >>> LayerClassInfo(class_name="", python_path="m.X", category=OperatorCategory.OTHER, definition="",
    ...                description="", formulas={}, shapes=())
    Traceback (most recent call last):
    ...
    ValueError: class_name: must be a non-empty string, got ''
    """

    class_name: str = field(validator=non_empty_str)
    python_path: str = field(validator=non_empty_str)
    category: OperatorCategory = field(validator=instance_of(OperatorCategory))
    definition: str = field(validator=instance_of(str))
    description: str = field(validator=instance_of(str))
    formulas: dict[str, str] = field(factory=dict)
    shapes: tuple[LayerShape, ...] = ()
