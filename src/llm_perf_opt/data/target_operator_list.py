"""``TargetOperatorList``: the four TorchInfo artifacts of a traced DeepSeek-OCR, as one record.

Files (one directory): ``torchinfo-unique-layers.json`` (the layer classes: :class:`OperatorSpec`),
``torchinfo-summary.txt`` (TorchInfo's table: :class:`TorchInfoRow`), ``torchinfo-stages.json``
(:class:`TorchInfoStage`) and ``torchinfo-unique-layers.md`` (the classes in prose; checked,
not stored).

Example
-------
>>> row = TorchInfoRow(path="sam_model.net_2", class_name="Conv2d", var_name="net_2", depth=2, depth_index=4,
...                    input_shape="[4, 256, 40, 40]", output_shape="[4, 512, 20, 20]", params=1179648,
...                    recursive=False, kernel_shape="[3, 3]", mult_adds=1887436800)
>>> row.params
1179648
"""

from __future__ import annotations

from attrs import define, field
from attrs.validators import instance_of

from llm_perf_opt.data._validators import non_empty_str, non_negative_int, optional_non_negative_int
from llm_perf_opt.data.operator_spec import OperatorSpec


@define(frozen=True, kw_only=True)
class TorchInfoRow:
    """One row of ``torchinfo-summary.txt``.

    Parameters
    ----------
    path
        Module path rebuilt from the row's place in the tree (``""`` for the root).
    class_name, var_name
        The row's ``Class (var_name)``.
    depth, depth_index
        The row's ``depth-idx`` (0 and 0 for the root).
    input_shape, output_shape, kernel_shape
        The cells as printed.
    params
        ``Param #``: the module's parameters not shown on deeper rows (all of them on a
        leaf or at the table's maximum depth); 0 for ``--``; ``None`` when ``(recursive)``.
    recursive
        Whether the row repeats a module already shown.
    mult_adds
        ``Mult-Adds`` (TorchInfo's own estimate; 0 for ``--``).

    Example
    -------
    >>> TorchInfoRow(path="", class_name="M", var_name="M", depth=-1, depth_index=0, input_shape="--",
    ...              output_shape="--", params=0, recursive=False, kernel_shape="--", mult_adds=0)
    Traceback (most recent call last):
    ...
    ValueError: depth: must be an integer >= 0, got -1
    """

    path: str = field(validator=instance_of(str))
    class_name: str = field(validator=non_empty_str)
    var_name: str = field(validator=instance_of(str))
    depth: int = field(validator=non_negative_int)
    depth_index: int = field(validator=non_negative_int)
    input_shape: str = field(validator=instance_of(str))
    output_shape: str = field(validator=instance_of(str))
    params: int | None = field(validator=optional_non_negative_int)
    recursive: bool = field(validator=instance_of(bool))
    kernel_shape: str = field(validator=instance_of(str))
    mult_adds: int = field(validator=non_negative_int)


@define(frozen=True, kw_only=True)
class TorchInfoStage:
    """One entry of ``torchinfo-stages.json`` (``params``/``macs`` may be 0: not filled in).

    Example
    -------
    >>> TorchInfoStage(stage_name="sam", params=0, macs=0).stage_name
    'sam'
    """

    stage_name: str = field(validator=non_empty_str)
    params: int = field(validator=non_negative_int)
    macs: int = field(validator=non_negative_int)


@define(frozen=True, kw_only=True)
class TorchInfoRunInfo:
    """The traced setting, as both JSON files state it at their top level.

    Example
    -------
    >>> TorchInfoRunInfo(generated_at="", model_path="", device="cpu", base_size=1024, image_size=640,
    ...                  seq_len=1024, crop_mode=True, depth=3, total_params=0, total_macs=0).depth
    3
    """

    generated_at: str = field(validator=instance_of(str))
    model_path: str = field(validator=instance_of(str))
    device: str = field(validator=instance_of(str))
    base_size: int = field(validator=non_negative_int)
    image_size: int = field(validator=non_negative_int)
    seq_len: int = field(validator=non_negative_int)
    crop_mode: bool = field(validator=instance_of(bool))
    depth: int = field(validator=non_negative_int)
    total_params: int = field(validator=non_negative_int)
    total_macs: int = field(validator=non_negative_int)


@define(frozen=True, kw_only=True)
class TorchInfoUniqueLayersFile(TorchInfoRunInfo):
    """Layout of ``torchinfo-unique-layers.json``.

    Example
    -------
    >>> TorchInfoUniqueLayersFile(generated_at="", model_path="", device="cpu", base_size=1024, image_size=640,
    ...     seq_len=1024, crop_mode=True, depth=3, total_params=0, total_macs=0, num_unique_layers=0).layers
    ()
    """

    num_unique_layers: int = field(validator=non_negative_int)
    layers: tuple[OperatorSpec, ...] = ()


@define(frozen=True, kw_only=True)
class TorchInfoStagesFile(TorchInfoRunInfo):
    """Layout of ``torchinfo-stages.json`` (stage name -> entry).

    Example
    -------
    >>> TorchInfoStagesFile(generated_at="", model_path="", device="cpu", base_size=1024, image_size=640,
    ...     seq_len=1024, crop_mode=True, depth=3, total_params=0, total_macs=0).stages
    {}
    """

    stages: dict[str, TorchInfoStage] = field(factory=dict)


@define(frozen=True, kw_only=True)
class TargetOperatorList:
    """Everything the loader reads from a TorchInfo artifact directory.

    Parameters
    ----------
    source_dir
        The directory as given.
    run
        The traced setting (``total_params`` equals the summary table's total).
    layers
        The layer classes, in the file's order.
    rows
        The summary table's rows, in order.
    stages
        The stage file's entries, in order.

    Example
    -------
    >>> run = TorchInfoRunInfo(generated_at="", model_path="", device="cpu", base_size=1024, image_size=640,
    ...                        seq_len=1024, crop_mode=True, depth=3, total_params=0, total_macs=0)
    >>> TargetOperatorList(source_dir="d", run=run).layers
    ()
    """

    source_dir: str = field(validator=instance_of(str))
    run: TorchInfoRunInfo = field(validator=instance_of(TorchInfoRunInfo))
    layers: tuple[OperatorSpec, ...] = ()
    rows: tuple[TorchInfoRow, ...] = ()
    stages: tuple[TorchInfoStage, ...] = ()
