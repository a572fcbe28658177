"""``AnalyticModelReport``: everything the analyzer's analytic mode computes for one run.

Example
-------
>>> from llm_perf_opt.data.module_metrics import ModuleMetricsSnapshot
>>> StageTotals(stage="sam", metrics=ModuleMetricsSnapshot(params=95569152)).metrics.params
95569152
"""

from __future__ import annotations

from attrs import define, field
from attrs.validators import instance_of

from llm_perf_opt.data._validators import non_negative_int, one_of, positive_int
from llm_perf_opt.data.layer_class_info import LayerClassInfo
from llm_perf_opt.data.model_spec import DeepSeekOCRModelSpec
from llm_perf_opt.data.module_metrics import ModuleMetricsSnapshot
from llm_perf_opt.data.module_node import AnalyticModuleNode
from llm_perf_opt.data.operator_metrics import OperatorMetrics
from llm_perf_opt.data.stage_names import ALL_STAGE_NAMES
from llm_perf_opt.data.torchinfo_crosscheck import TorchInfoCrossCheck
from llm_perf_opt.data.workload_profile import CropGrid, OCRWorkloadProfile

REPORT_SCHEMA_VERSION = "1"


@define(frozen=True, kw_only=True)
class StageTotals:
    """A stage's totals and their split by operator category.

    Example
    -------
    >>> StageTotals(stage="encode", metrics=ModuleMetricsSnapshot())
    Traceback (most recent call last):
    ...
    ValueError: stage: unknown 'encode'; allowed: sam, clip, qwen2, projector, prefill, lm_head, decode
    """

    stage: str = field(validator=one_of(ALL_STAGE_NAMES))
    metrics: ModuleMetricsSnapshot = field(validator=instance_of(ModuleMetricsSnapshot))
    categories: tuple[OperatorMetrics, ...] = ()


@define(frozen=True, kw_only=True)
class WorkloadGeometry:
    """Numbers derived from the workload: the resolved crop grid and the token layout.

    Parameters
    ----------
    crop_grid
        The grid used (1x1: no local crops).
    n_crops
        Local tiles per page (0 for a 1x1 grid).
    image_tokens
        Image rows per page in the decoder sequence (newlines and the separator included).
    prefill_tokens
        BOS + prompt tokens + image tokens.
    decode_steps
        Decode forwards after the prefill (``max_new_tokens - 1``).

    Example
    -------
    >>> WorkloadGeometry(crop_grid=CropGrid(rows=3, columns=2), n_crops=6, image_tokens=903, prefill_tokens=913,
    ...                  decode_steps=999).prefill_tokens
    913
    """

    crop_grid: CropGrid = field(validator=instance_of(CropGrid))
    n_crops: int = field(validator=non_negative_int)
    image_tokens: int = field(validator=positive_int)
    prefill_tokens: int = field(validator=positive_int)
    decode_steps: int = field(validator=non_negative_int)


@define(frozen=True, kw_only=True)
class AnalyticModelReport:
    """The full report (``report.json`` / ``report.yaml``).

    Parameters
    ----------
    schema_version
        ``"1"``.
    model
        The model and where its architecture was read.
    workload
        The workload, resolved (flags applied, crop grid chosen).
    workload_overrides
        Command-line flags that changed the profile's values, as ``--flag=value``.
    geometry
        Crop grid and token counts.
    total
        Totals of the whole inference call (all stages).
    stages
        Per-stage totals in execution order.
    nodes
        Every module of the analytic tree, parents before children.
    layer_classes
        Every analytic class used, sorted by name.
    torchinfo
        The TorchInfo cross-check, when ``--torchinfo-dir`` was given.

    Example
    -------
    >>> AnalyticModelReport.__attrs_attrs__.schema_version.default
    '1'
    """

    schema_version: str = field(default=REPORT_SCHEMA_VERSION, validator=one_of((REPORT_SCHEMA_VERSION,)))
    model: DeepSeekOCRModelSpec = field(validator=instance_of(DeepSeekOCRModelSpec))
    workload: OCRWorkloadProfile = field(validator=instance_of(OCRWorkloadProfile))
    workload_overrides: tuple[str, ...] = ()
    geometry: WorkloadGeometry = field(validator=instance_of(WorkloadGeometry))
    total: ModuleMetricsSnapshot = field(validator=instance_of(ModuleMetricsSnapshot))
    stages: tuple[StageTotals, ...] = ()
    nodes: tuple[AnalyticModuleNode, ...] = ()
    layer_classes: tuple[LayerClassInfo, ...] = ()
    torchinfo: TorchInfoCrossCheck | None = None
