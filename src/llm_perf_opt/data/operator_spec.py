"""``OperatorSpec``: one layer class as TorchInfo saw it (an entry of ``torchinfo-unique-layers.json``).

Field names are the file's keys, so the file loads with the strict converter unchanged.

Example
-------
>>> spec = OperatorSpec(class_name_qualified="torch.nn.modules.activation.GELU", class_name="GELU",
...     var_name=("act",), instance_name=("sam_model.blocks.0.mlp.act",), filepaths=(), is_torch_builtin=True,
...     count=2, parents=(), children=())
>>> spec.class_name, spec.count
('GELU', 2)
"""

from __future__ import annotations

from attrs import define, field
from attrs.validators import instance_of

from llm_perf_opt.data._validators import non_empty_str, non_negative_int


@define(frozen=True, kw_only=True)
class OperatorSpec:
    """A layer class of the traced model.

    Parameters
    ----------
    class_name_qualified, class_name
        Dotted and short class names.
    var_name
        Attribute names its instances have in their parents.
    instance_name
        Module paths of its instances (relative to the traced root; the root is ``""``).
    filepaths
        Source files of the class on the machine that ran TorchInfo.
    is_torch_builtin
        Whether the class comes from ``torch.nn``.
    count
        Entries TorchInfo recorded for the class (calls, repeated calls included).
    parents, children
        Qualified classes of the enclosing and enclosed entries in TorchInfo's call tree.

    Example
    -------
    >>> OperatorSpec(class_name_qualified="a.B", class_name="B", var_name=(), instance_name=(), filepaths=(),
    ...              is_torch_builtin=False, count=-1, parents=(), children=())
    Traceback (most recent call last):
    ...
    ValueError: count: must be an integer >= 0, got -1
    """

    class_name_qualified: str = field(validator=non_empty_str)
    class_name: str = field(validator=non_empty_str)
    var_name: tuple[str, ...] = ()
    instance_name: tuple[str, ...] = ()
    filepaths: tuple[str, ...] = ()
    is_torch_builtin: bool = field(validator=instance_of(bool))
    count: int = field(validator=non_negative_int)
    parents: tuple[str, ...] = ()
    children: tuple[str, ...] = ()
