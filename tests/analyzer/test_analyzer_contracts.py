"""The converter: lossless JSON and YAML round trips (hypothesis-generated records included) and
strict structuring."""

from __future__ import annotations

import re
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from llm_perf_opt.contracts.converter import (
    from_json_text,
    from_yaml_text,
    structure,
    to_json_text,
    to_yaml_text,
    unstructure,
)
from llm_perf_opt.data.analytic_report import AnalyticModelReport, StageTotals, WorkloadGeometry
from llm_perf_opt.data.analyzer_summary import AnalyzerSummary, StageSummary, SummaryWorkload, TorchInfoSummary
from llm_perf_opt.data.layer_class_info import LayerClassInfo, LayerShape
from llm_perf_opt.data.model_spec import DeepSeekOCRModelSpec
from llm_perf_opt.data.module_metrics import ModuleMetricsSnapshot
from llm_perf_opt.data.module_node import AnalyticModuleNode
from llm_perf_opt.data.operator_category import OperatorCategory
from llm_perf_opt.data.operator_metrics import OperatorMetrics
from llm_perf_opt.data.stage_names import STAGE_NAMES
from llm_perf_opt.data.torchinfo_crosscheck import ClassCrossCheck, ParamMismatch, TorchInfoCrossCheck
from llm_perf_opt.data.workload_profile import RESOLUTION_MODE_NAMES, CropGrid, OCRWorkloadProfile
from modelmeter.layers import base as modelmeter_base
from modelmeter.metrics import METRIC_NAMES
from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch, DeepseekV2TextConfig, SamViTConfig

BIG = st.integers(min_value=0, max_value=2**70)
TEXT = st.text(max_size=30)
NAME = st.text(min_size=1, max_size=20).filter(lambda s: s.strip() != "")
SLUG = st.from_regex(r"[a-z0-9][a-z0-9._-]{0,15}", fullmatch=True)

snapshots = st.builds(ModuleMetricsSnapshot, **dict.fromkeys(METRIC_NAMES, BIG))
operator_metrics = st.builds(OperatorMetrics, category=st.sampled_from(OperatorCategory), metrics=snapshots)
grids = st.builds(CropGrid, rows=st.integers(1, 9), columns=st.integers(1, 9))
archs = st.sampled_from(
    [
        DeepseekOCRArch(),
        DeepseekOCRArch(name="local", language=DeepseekV2TextConfig(num_hidden_layers=6, rope_theta=5e5)),
        DeepseekOCRArch(sam=SamViTConfig(global_attn_indexes=(1, 3), layer_norm_eps=1e-5)),
    ]
)
specs = st.builds(DeepSeekOCRModelSpec, name=NAME, config_source=NAME, arch=archs)
profile_fields = [a.name for a in attrs.fields(OCRWorkloadProfile) if a.name not in ("sources", "notes")]
profiles = st.builds(
    OCRWorkloadProfile,
    id=SLUG,
    description=NAME,
    resolution_mode=st.sampled_from(RESOLUTION_MODE_NAMES),
    base_size=st.integers(1, 4096),
    image_size=st.integers(1, 4096),
    crop_mode=st.booleans(),
    crop_grid=st.none() | grids,
    prompt_tokens=st.integers(0, 10**6),
    max_new_tokens=st.integers(1, 10**6),
    batch_size=st.integers(1, 64),
    dtype=st.sampled_from(["bfloat16", "float32", "fp8"]),
    attention=st.sampled_from(["flash", "eager"]),
    sources=st.dictionaries(st.sampled_from(profile_fields), NAME, max_size=4),
    notes=TEXT,
)
nodes = st.builds(
    AnalyticModuleNode,
    id=TEXT,
    parent=st.none() | TEXT,
    stage=st.none() | st.sampled_from(STAGE_NAMES),
    class_name=NAME,
    module_path=TEXT,
    calls=st.integers(1, 10**9),
    instances=st.integers(0, 10**9),
    identifier=NAME,
    category=st.sampled_from(OperatorCategory),
    metrics=snapshots,
    categories=st.lists(operator_metrics, max_size=3).map(tuple),
)
layer_classes = st.builds(
    LayerClassInfo,
    class_name=NAME,
    python_path=NAME,
    category=st.sampled_from(OperatorCategory),
    definition=TEXT,
    description=TEXT,
    formulas=st.dictionaries(NAME, TEXT, max_size=3),
    shapes=st.lists(
        st.builds(LayerShape, identifier=NAME, calls=st.integers(1, 10**6), example_node=TEXT, per_call=snapshots),
        max_size=2,
    ).map(tuple),
)
optional_count = st.none() | BIG
class_checks = st.builds(
    ClassCrossCheck,
    class_name=NAME,
    class_name_qualified=NAME,
    status=st.sampled_from(["modeled", "container", "unclassified"]),
    basis=st.sampled_from(["path", "name", "container", "none"]),
    analytic_classes=st.lists(NAME, max_size=2).map(tuple),
    instances=BIG,
    instances_matched=BIG,
    rows_compared=BIG,
    torchinfo_params=optional_count,
    analytic_params=optional_count,
    note=TEXT,
)
mismatches = st.builds(ParamMismatch, class_name=NAME, torchinfo_params=BIG, analytic_params=BIG)
crosschecks = st.builds(
    TorchInfoCrossCheck,
    source_dir=TEXT,
    layer_classes=BIG,
    modeled=BIG,
    unclassified=st.lists(NAME, max_size=2).map(tuple),
    param_mismatches=st.lists(mismatches, max_size=2).map(tuple),
    classes=st.lists(class_checks, max_size=2).map(tuple),
    torchinfo_total_params=BIG,
    analytic_total_params=BIG,
)
reports = st.builds(
    AnalyticModelReport,
    model=specs,
    workload=profiles,
    workload_overrides=st.lists(TEXT, max_size=3).map(tuple),
    geometry=st.builds(
        WorkloadGeometry,
        crop_grid=grids,
        n_crops=BIG,
        image_tokens=st.integers(1, 10**6),
        prefill_tokens=st.integers(1, 10**6),
        decode_steps=BIG,
    ),
    total=snapshots,
    stages=st.lists(
        st.builds(
            StageTotals,
            stage=st.sampled_from(STAGE_NAMES),
            metrics=snapshots,
            categories=st.lists(operator_metrics, max_size=2).map(tuple),
        ),
        max_size=6,
    ).map(tuple),
    nodes=st.lists(nodes, max_size=4).map(tuple),
    layer_classes=st.lists(layer_classes, max_size=2).map(tuple),
    torchinfo=st.none() | crosschecks,
)
SECONDS = st.none() | st.floats(min_value=0.0, max_value=1e6, allow_nan=False, allow_infinity=False)
stage_summaries = st.builds(
    StageSummary,
    **{f.name: BIG for f in attrs.fields(StageSummary) if f.type in ("int", int)},
    predicted_time_s=SECONDS,
    predicted_kernel_s=SECONDS,
    predicted_wall_s=SECONDS,
    kernel_launches=st.none() | BIG,
)
summaries = st.builds(
    AnalyzerSummary,
    model=NAME,
    workload=st.builds(
        SummaryWorkload,
        id=NAME,
        resolution_mode=NAME,
        base_size=st.integers(1, 4096),
        image_size=st.integers(1, 4096),
        crop_mode=st.booleans(),
        crop_grid=grids,
        image_width=st.none() | st.integers(1, 10**5),
        image_height=st.none() | st.integers(1, 10**5),
        prompt_tokens=BIG,
        max_new_tokens=st.integers(1, 10**6),
        batch_size=st.integers(1, 99),
        dtype=NAME,
        attention=NAME,
    ),
    image_tokens=st.integers(1, 10**6),
    prefill_tokens=st.integers(1, 10**6),
    total_params=BIG,
    stages=st.tuples(*[stage_summaries] * len(STAGE_NAMES)).map(lambda t: dict(zip(STAGE_NAMES, t, strict=True))),
    torchinfo=st.none()
    | st.builds(
        TorchInfoSummary,
        layer_classes=BIG,
        modeled=BIG,
        unclassified=st.lists(NAME, max_size=2).map(tuple),
        param_mismatches=st.lists(mismatches, max_size=2).map(tuple),
    ),
    hardware=st.none() | NAME,
    runtime=st.none() | NAME,
)


def _round_trips(record: Any) -> None:
    cls = type(record)
    assert structure(unstructure(record), cls) == record
    assert from_json_text(to_json_text(record), cls) == record
    assert from_yaml_text(to_yaml_text(record), cls) == record


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(reports)
def test_generated_reports_round_trip(report: AnalyticModelReport) -> None:
    _round_trips(report)


@settings(max_examples=40, deadline=None)
@given(summaries)
def test_generated_summaries_round_trip(summary: AnalyzerSummary) -> None:
    _round_trips(summary)


@settings(max_examples=60, deadline=None)
@given(profiles)
def test_generated_workload_profiles_round_trip(profile: OCRWorkloadProfile) -> None:
    _round_trips(profile)


def test_text_is_deterministic_and_in_declared_order() -> None:
    grid = CropGrid(rows=3, columns=2)
    assert to_json_text(grid) == '{\n  "rows": 3,\n  "columns": 2\n}\n'
    assert to_yaml_text(grid) == "rows: 3\ncolumns: 2\n"
    assert (
        unstructure(OperatorMetrics(category=OperatorCategory.MOE_ROUTING, metrics=ModuleMetricsSnapshot()))["category"]
        == "moe_routing"
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"rows": 3, "columns": 2, "depth": 1}, "extra fields found (depth)"),
        ({"rows": True, "columns": 2}, "expected an integer"),
        ({"rows": "3", "columns": 2}, "expected an integer"),
        ({"rows": 3.0, "columns": 2}, "expected an integer"),
        ({"rows": 0, "columns": 2}, "rows: must be an integer >= 1"),
        ({"rows": 3}, "columns"),
    ],
)
def test_structuring_is_strict(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)) as err:
        structure(data, CropGrid)
    assert "\n" not in str(err.value)


def test_unknown_category_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown 'matmul'"):
        structure({"category": "matmul", "metrics": {}}, OperatorMetrics)


def test_snapshot_mirrors_layer_metrics() -> None:
    assert tuple(a.name for a in attrs.fields(ModuleMetricsSnapshot)) == METRIC_NAMES
    assert OperatorCategory is modelmeter_base.OperatorCategory
