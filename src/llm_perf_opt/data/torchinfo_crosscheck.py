"""Records of the TorchInfo cross-check: each traced layer class mapped to the analytic model.

Example
-------
>>> check = TorchInfoCrossCheck(source_dir="d", layer_classes=0, modeled=0, unclassified=(), param_mismatches=(),
...     classes=(), torchinfo_total_params=10, analytic_total_params=10)
>>> check.param_mismatches
()
"""

from __future__ import annotations

from attrs import define, field
from attrs.validators import instance_of

from llm_perf_opt.data._validators import non_empty_str, non_negative_int, one_of, optional_non_negative_int

MAPPING_STATUSES: tuple[str, ...] = ("modeled", "container", "unclassified")
MAPPING_BASES: tuple[str, ...] = ("path", "name", "container", "none")


@define(frozen=True, kw_only=True)
class ParamMismatch:
    """A class (or ``(total)``) whose TorchInfo and analytic parameter counts differ.

    Example
    -------
    >>> ParamMismatch(class_name="Linear", torchinfo_params=5, analytic_params=4).analytic_params
    4
    """

    class_name: str = field(validator=non_empty_str)
    torchinfo_params: int = field(validator=non_negative_int)
    analytic_params: int = field(validator=non_negative_int)


@define(frozen=True, kw_only=True)
class ClassCrossCheck:
    """How one traced class maps to the analytic model.

    Parameters
    ----------
    class_name, class_name_qualified
        The traced class.
    status
        ``modeled`` (analytic classes found), ``container`` (a parameter-free torch
        container whose children are modeled) or ``unclassified``.
    basis
        How the mapping was found: ``path`` (analytic nodes at the traced instances'
        module paths), ``name`` (a generic analytic layer of the same name), ``container``
        or ``none``.
    analytic_classes
        Analytic classes found, sorted.
    instances, instances_matched
        Traced instances, and how many have an analytic node at their path.
    rows_compared
        Rows of the summary table (non-recursive) whose ``Param #`` was compared.
    torchinfo_params, analytic_params
        Sums over those rows (``None`` when no row shows the class: deeper than the table).
    note
        Why the class has the status it has, in words.

    Example
    -------
    >>> ClassCrossCheck(class_name="X", class_name_qualified="m.X", status="mapped", basis="path",
    ...     analytic_classes=(), instances=0, instances_matched=0, rows_compared=0, torchinfo_params=None,
    ...     analytic_params=None, note="")
    Traceback (most recent call last):
    ...
    ValueError: status: unknown 'mapped'; allowed: modeled, container, unclassified
    """

    class_name: str = field(validator=non_empty_str)
    class_name_qualified: str = field(validator=non_empty_str)
    status: str = field(validator=one_of(MAPPING_STATUSES))
    basis: str = field(validator=one_of(MAPPING_BASES))
    analytic_classes: tuple[str, ...] = ()
    instances: int = field(validator=non_negative_int)
    instances_matched: int = field(validator=non_negative_int)
    rows_compared: int = field(validator=non_negative_int)
    torchinfo_params: int | None = field(validator=optional_non_negative_int)
    analytic_params: int | None = field(validator=optional_non_negative_int)
    note: str = ""


@define(frozen=True, kw_only=True)
class TorchInfoCrossCheck:
    """The whole cross-check.

    Parameters
    ----------
    source_dir
        The artifact directory as given.
    layer_classes
        Traced classes (29 for the released checkpoint).
    modeled
        Classes with status ``modeled`` or ``container``.
    unclassified
        Names of the classes with status ``unclassified`` (listed, never dropped).
    param_mismatches
        Classes whose compared parameter sums differ, and ``(total)`` if the totals do.
    classes
        One entry per traced class, in the file's order.
    torchinfo_total_params, analytic_total_params
        The traced root's parameters, and the analytic model's over the same modules.

    Example
    -------
    >>> TorchInfoCrossCheck(source_dir="d", layer_classes=-1, modeled=0, unclassified=(), param_mismatches=(),
    ...     classes=(), torchinfo_total_params=0, analytic_total_params=0)
    Traceback (most recent call last):
    ...
    ValueError: layer_classes: must be an integer >= 0, got -1
    """

    source_dir: str = field(validator=instance_of(str))
    layer_classes: int = field(validator=non_negative_int)
    modeled: int = field(validator=non_negative_int)
    unclassified: tuple[str, ...] = ()
    param_mismatches: tuple[ParamMismatch, ...] = ()
    classes: tuple[ClassCrossCheck, ...] = ()
    torchinfo_total_params: int = field(validator=non_negative_int)
    analytic_total_params: int = field(validator=non_negative_int)
