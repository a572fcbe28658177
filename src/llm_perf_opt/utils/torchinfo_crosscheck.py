"""Cross-check TorchInfo's view of a traced DeepSeek-OCR against the analytic model.

Every traced layer class is mapped to the analytic classes found at its instances' module
paths (basis ``path``), or to the generic analytic layer of the same name (basis ``name``:
torch builtins such as ``Linear``, ``Conv2d``, ``LayerNorm``, ``GELU``, ``SiLU``,
``Embedding``), or recognised as a container (a torch ``ModuleList``/``Sequential`` or any
grouping module without an analytic node of its own) whose submodules are modeled at their
own paths; anything else is listed as unclassified, never dropped. Module paths of a capture
of the project's PyTorch reference are first translated to the vendor's with
``module_catalog.yaml``.

Parameters are compared per class over the summary table's rows. TorchInfo prints, for a
row at the table's maximum depth, the module's whole parameter count; for a shallower row,
the parameters not shown on deeper rows, i.e. the module's parameters minus those of its
outermost traced (called) submodules. The analytic side computes the same quantity from the
analytic instances at the same module paths (only the stages TorchInfo traced: the vendor's
``DeepseekOCRModel`` holds the vision stages and the decoder body, not ``lm_head``).

Example
-------
>>> sorted(NAME_FALLBACK)[:3]
['Conv2d', 'Embedding', 'GELU']
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping

import attrs

from llm_perf_opt.data.target_operator_list import TargetOperatorList, TorchInfoRow
from llm_perf_opt.data.torchinfo_crosscheck import ClassCrossCheck, ParamMismatch, TorchInfoCrossCheck
from llm_perf_opt.utils.analytic_tree import ModuleInstance, instance_index
from modelmeter.layers.base import BaseLayer
from modelmeter.models.deepseek_ocr.module_catalog import load_module_catalog

TRACED_STAGES: tuple[str, ...] = ("sam", "clip", "projector", "prefill")
"""Stages inside the vendor's ``DeepseekOCRModel`` (TorchInfo's root); ``lm_head`` and decode are outside."""

NAME_FALLBACK: dict[str, str] = {
    "Linear": "Linear",
    "Conv2d": "Conv2d",
    "LayerNorm": "LayerNorm",
    "GELU": "GELU",
    "SiLU": "SiLU",
    "Embedding": "Embedding",
    "QuickGELUActivation": "QuickGELU",
    "Softmax": "Softmax",
}
"""torch builtin class -> the generic analytic layer that models it."""

REFERENCE_SOURCE = "llm_perf_opt.reference"
"""``model_path`` prefix of captures of the project's PyTorch reference (whose module names differ)."""


def _same(path: str) -> str | None:
    return path


CONTAINERS: frozenset[str] = frozenset({"ModuleList", "Sequential", "ModuleDict"})


class _ParamIndex:
    """Analytic parameters by vendor module path (``*`` in a query matches any instance index)."""

    def __init__(self, index: Mapping[str, list[ModuleInstance]]) -> None:
        self.index = index
        self.own = {p: sum(i.layer.own_metrics().params * i.multiplicity for i in v) for p, v in index.items()}

    def resolve(self, path: str) -> list[str]:
        """Index paths the (possibly starred) ``path`` names."""
        if "*" not in path:
            return [path] if path in self.index else []
        pattern = re.compile(re.escape(path).replace(r"\*", r"\d+") + "$")
        return [q for q in self.index if pattern.match(q)]

    def under(self, path: str, candidates: Iterable[str]) -> list[str]:
        prefix = f"{path}." if path else ""
        return [q for q in candidates if q != path and q.startswith(prefix)]

    def subtree(self, path: str) -> int:
        """Parameters of the module(s) at ``path`` and everything below."""
        roots = self.resolve(path) or [path]
        return sum(self.own.get(r, 0) + sum(self.own[q] for q in self.under(r, self.own)) for r in roots)

    def classes_at(self, path: str) -> list[str]:
        return sorted({type(i.layer).__name__ for r in self.resolve(path) for i in self.index[r]})


def catalog_translator() -> Callable[[str], str | None]:
    """Reference module path -> vendor path by ``module_catalog.yaml`` (``None``: no vendor module)."""
    catalog = load_module_catalog()

    def translate(path: str) -> str | None:
        try:
            return catalog.vendor_path_of_reference(path)
        except (KeyError, ValueError):
            return path

    return translate


def _outermost(paths: list[str]) -> list[str]:
    keep: list[str] = []
    for p in sorted(paths):
        if not keep or not p.startswith(keep[-1] + "."):
            keep.append(p)
    return keep


def _shown_params(row: TorchInfoRow, max_depth: int, called: set[str], params: _ParamIndex) -> int:
    """What TorchInfo's ``Param #`` of ``row`` would be for the analytic model."""
    total = params.subtree(row.path)
    if row.depth >= max_depth:
        return total
    inner = _outermost(params.under(row.path, called))
    return total - sum(params.subtree(p) for p in inner)


def _class_check(
    spec_name: str,
    qualified: str,
    instances: tuple[str, ...],
    rows: list[TorchInfoRow],
    max_depth: int,
    called: set[str],
    params: _ParamIndex,
    used_classes: set[str],
) -> ClassCrossCheck:
    matched = [p for p in instances if params.resolve(p)]
    found: set[str] = set()
    for p in matched:
        at = params.classes_at(p)
        found.update([spec_name] if spec_name in at else at)
    compared = [r for r in rows if not r.recursive and r.params is not None]
    ti = sum(r.params or 0 for r in compared) if compared else None
    an = sum(_shown_params(r, max_depth, called, params) for r in compared) if compared else None
    base = ClassCrossCheck(
        class_name=spec_name,
        class_name_qualified=qualified,
        status="unclassified",
        basis="none",
        instances=len(instances),
        instances_matched=len(matched),
        rows_compared=len(compared),
        torchinfo_params=ti,
        analytic_params=an,
        note="no analytic counterpart found",
    )
    if matched:
        missing = [p for p in instances if not params.resolve(p)]
        note = "analytic nodes at the traced module paths"
        if missing:
            note += f"; {len(missing)} instance(s) have none, e.g. {missing[0]!r}"
        return attrs.evolve(base, status="modeled", basis="path", analytic_classes=tuple(sorted(found)), note=note)
    generic = NAME_FALLBACK.get(spec_name)
    if generic and generic in used_classes:
        note = f"no analytic node at its paths; modeled by the generic layer {generic}"
        return attrs.evolve(base, status="modeled", basis="name", analytic_classes=(generic,), note=note)
    if instances and all(params.under(p, params.index) for p in instances):
        kind = "torch container" if spec_name in CONTAINERS else "grouping module without an analytic node"
        note = f"{kind}; its submodules are modeled at their own paths"
        return attrs.evolve(base, status="container", basis="container", note=note)
    return base


def cross_check(
    target: TargetOperatorList, model: BaseLayer, *, translate: Callable[[str], str | None] | None = None
) -> TorchInfoCrossCheck:
    """Map every traced class of ``target`` to ``model`` (the aggregator) and compare parameters.

    A traced module path that the analytic tree does not hold is translated with ``translate``;
    by default, captures of the project's reference (``model_path`` starting with
    :data:`REFERENCE_SOURCE`) are translated with :func:`catalog_translator` and vendor
    captures are not translated (their paths are the vendor's already).
    """
    params = _ParamIndex(instance_index(model, TRACED_STAGES))
    if translate is not None:
        to_vendor = translate
    elif target.run.model_path.startswith(REFERENCE_SOURCE):
        to_vendor = catalog_translator()
    else:
        to_vendor = _same
    cache: dict[str, str] = {}

    def vendor(path: str) -> str:
        if path not in cache:
            cache[path] = path if params.resolve(path) else (to_vendor(path) or path)
        return cache[path]

    used_classes = {type(i.layer).__name__ for v in params.index.values() for i in v}
    called = {vendor(p) for spec in target.layers for p in spec.instance_name}
    rows_by_class: dict[str, list[TorchInfoRow]] = {}
    for row in target.rows:
        rows_by_class.setdefault(row.class_name, []).append(attrs.evolve(row, path=vendor(row.path)))
    checks = tuple(
        _class_check(
            spec.class_name,
            spec.class_name_qualified,
            tuple(vendor(p) for p in spec.instance_name),
            rows_by_class.get(spec.class_name, []),
            target.run.depth,
            called,
            params,
            used_classes,
        )
        for spec in target.layers
    )
    mismatches = [
        ParamMismatch(class_name=c.class_name, torchinfo_params=c.torchinfo_params, analytic_params=c.analytic_params)
        for c in checks
        if c.torchinfo_params is not None and c.analytic_params is not None and c.torchinfo_params != c.analytic_params
    ]
    analytic_total = params.subtree("")
    if analytic_total != target.run.total_params:
        mismatches.append(
            ParamMismatch(
                class_name="(total)", torchinfo_params=target.run.total_params, analytic_params=analytic_total
            )
        )
    return TorchInfoCrossCheck(
        source_dir=target.source_dir,
        layer_classes=len(checks),
        modeled=sum(c.status != "unclassified" for c in checks),
        unclassified=tuple(c.class_name for c in checks if c.status == "unclassified"),
        param_mismatches=tuple(mismatches),
        classes=checks,
        torchinfo_total_params=target.run.total_params,
        analytic_total_params=analytic_total,
    )
