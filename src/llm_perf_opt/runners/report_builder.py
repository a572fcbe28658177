"""Build the :class:`~llm_perf_opt.data.analytic_report.AnalyticModelReport` of an analytic model.

Example
-------
>>> from llm_perf_opt.runners.analyzer_inputs import WorkloadFlags, resolve_inputs
>>> inputs = resolve_inputs(WorkloadFlags(max_new_tokens=2))
>>> report = build_report(inputs)
>>> report.total.params, [s.stage for s in report.stages][:3]
(3336106240, ['sam', 'clip', 'projector'])
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterable

from llm_perf_opt.data.analytic_report import AnalyticModelReport, StageTotals, WorkloadGeometry
from llm_perf_opt.data.layer_class_info import LayerClassInfo, LayerShape
from llm_perf_opt.data.module_metrics import ModuleMetricsSnapshot
from llm_perf_opt.data.module_node import AnalyticModuleNode
from llm_perf_opt.data.operator_category import OperatorCategory
from llm_perf_opt.data.operator_metrics import OperatorMetrics
from llm_perf_opt.data.torchinfo_crosscheck import TorchInfoCrossCheck
from llm_perf_opt.data.workload_profile import CropGrid
from llm_perf_opt.runners.analyzer_inputs import AnalyzerInputs
from llm_perf_opt.utils.analytic_tree import CallSite, iter_call_sites
from modelmeter.layers.base import BaseLayer, Child, scale_for_child
from modelmeter.metrics import METRIC_NAMES, LayerMetrics
from modelmeter.models.families import OCRModel

_SECTION = re.compile(r"^(Parameters|Example|Examples|Returns|Raises|Notes|Attributes)\s*$")


def snapshot(metrics: LayerMetrics) -> ModuleMetricsSnapshot:
    """The report record of a metric record (same fields, same values)."""
    return ModuleMetricsSnapshot(**metrics.as_dict())


Splits = dict[int, dict[OperatorCategory, LayerMetrics]]
"""Category splits of the subtrees of one model already computed (see ``BaseLayer.category_breakdown``)."""


def category_split(
    layer: BaseLayer, calls: int = 1, instances: int = 1, memo: Splits | None = None
) -> tuple[OperatorMetrics, ...]:
    """``layer.category_breakdown(memo)`` over ``calls`` calls and ``instances`` instances, in enum order."""
    breakdown = layer.category_breakdown(memo)
    child = Child("", layer, calls, instances)
    return tuple(
        OperatorMetrics(category=cat, metrics=snapshot(scale_for_child(breakdown[cat], child)))
        for cat in OperatorCategory
        if cat in breakdown
    )


def _node(site: CallSite, memo: Splits) -> AnalyticModuleNode:
    layer = site.layer
    return AnalyticModuleNode(
        id=site.node_id,
        parent=site.parent_id,
        stage=site.stage,
        class_name=type(layer).__name__,
        module_path=site.module_path,
        calls=site.calls,
        instances=site.instances,
        identifier=layer.identifier,
        category=layer.category,
        metrics=snapshot(site.totals()),
        categories=category_split(layer, site.calls, site.instances, memo) if layer.cached_children() else (),
    )


def docstring_prose(obj: object) -> str:
    """The prose of ``obj``'s docstring: everything before its first NumPy-style section."""
    doc = inspect.getdoc(obj) or ""
    lines = doc.splitlines()
    out: list[str] = []
    for i, line in enumerate(lines):
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if _SECTION.match(line) and set(nxt.strip()) == {"-"}:
            break
        out.append(line)
    return "\n".join(out).strip()


class _ShapeUse:
    """Calls of one distinct shape, and where it first appears."""

    def __init__(self, layer: BaseLayer, node_id: str) -> None:
        self.layer, self.node_id, self.calls = layer, node_id, 0


def layer_classes(sites: Iterable[CallSite], identifiers: Iterable[str]) -> tuple[LayerClassInfo, ...]:
    """One entry per analytic class used, sorted by name, with its distinct shapes (``identifiers``: each site's
    ``layer.identifier``, as its report node already holds it)."""
    uses: dict[type[BaseLayer], dict[str, _ShapeUse]] = {}
    for site, identifier in zip(sites, identifiers, strict=True):
        per_class = uses.setdefault(type(site.layer), {})
        use = per_class.get(identifier)
        if use is None:
            use = per_class[identifier] = _ShapeUse(site.layer, site.node_id)
        use.calls += site.calls
    out = []
    for cls, by_ident in uses.items():
        module_doc = docstring_prose(inspect.getmodule(cls))
        class_doc = docstring_prose(cls)
        description = "\n\n".join(t for t in (module_doc, class_doc) if t and t != cls.definition)
        out.append(
            LayerClassInfo(
                class_name=cls.__name__,
                python_path=f"{cls.__module__}.{cls.__qualname__}",
                category=cls.category,
                definition=cls.definition,
                description=description,
                formulas=dict(cls.formulas),
                shapes=tuple(
                    LayerShape(
                        identifier=ident,
                        calls=use.calls,
                        example_node=use.node_id,
                        per_call=snapshot(use.layer.metrics()),
                    )
                    for ident, use in by_ident.items()
                ),
            )
        )
    names = [c.class_name for c in out]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise RuntimeError(f"two analytic classes share a name (layer pages would collide): {duplicates}")
    return tuple(sorted(out, key=lambda c: c.class_name))


def build_report(
    inputs: AnalyzerInputs, *, torchinfo: TorchInfoCrossCheck | None = None, model: OCRModel | None = None
) -> AnalyticModelReport:
    """Evaluate the analytic model of ``inputs`` (DeepSeek-OCR or DeepSeek-OCR-2) and collect everything into a
    report."""
    model = model or inputs.spec.family.model(inputs.spec.arch, inputs.workload)
    sites = list(iter_call_sites(model))  # keeps every layer alive while ``memo`` is keyed by their ids
    memo: Splits = {}
    nodes = tuple(_node(s, memo) for s in sites)
    ids = [n.id for n in nodes]
    if len(set(ids)) != len(ids):
        raise RuntimeError("analytic tree has repeated node ids")
    stage_sites = [s for s in sites if s.parent_id == ""]
    # A stage's totals are its own layer's: the parameters, weights and KV cache it uses. The decode
    # stage re-uses the prefill's weights (its model-level instances are 0), yet decode reads them and
    # holds the final KV cache, so its stage row says so; the model total counts each weight once.
    stages = tuple(
        StageTotals(
            stage=s.node_id, metrics=snapshot(s.layer.metrics()), categories=category_split(s.layer, 1, 1, memo)
        )
        for s in stage_sites
    )
    w = inputs.workload
    geometry = WorkloadGeometry(
        crop_grid=CropGrid(rows=w.crop_grid[1], columns=w.crop_grid[0]),
        n_crops=w.n_crops,
        image_tokens=w.image_tokens,
        prefill_tokens=w.prefill_tokens,
        decode_steps=w.decode_steps,
    )
    return AnalyticModelReport(
        model=inputs.spec,
        workload=inputs.profile,
        workload_overrides=inputs.overrides,
        geometry=geometry,
        total=snapshot(model.metrics()),
        stages=stages,
        nodes=nodes,
        layer_classes=layer_classes(sites, (n.identifier for n in nodes)),
        torchinfo=torchinfo,
    )


def metrics_of(snap: ModuleMetricsSnapshot) -> LayerMetrics:
    """The :class:`LayerMetrics` of a snapshot (for its derived quantities: I/O totals, intensity)."""
    return LayerMetrics(**{name: getattr(snap, name) for name in METRIC_NAMES})
