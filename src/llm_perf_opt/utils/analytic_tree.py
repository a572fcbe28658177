"""Walk an analytic model as the reports see it: call sites with unique ids, call counts and
instance counts, and an index of module instances by vendor module path.

The aggregator's root has one child per stage (``sam``, ``clip``, ``projector``, ``prefill``,
``lm_head``, ``decode``). A node's id is its path below the stage, with the call tags that
tell repeated calls apart (``sam_model[crops].blocks.3.attn``); a stage's root has the stage
name as id and the model's root the empty id. Siblings that share a name (a run of experts
split into two token counts) get ``[#2]``, ``[#3]`` ... after the repeated name.

Example
-------
>>> from modelmeter.layers import Linear
>>> sites = list(iter_call_sites(Linear(tokens=2, in_features=3, out_features=4, bias=False)))
>>> [(s.node_id, s.calls, s.instances) for s in sites]
[('', 1, 1)]
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import NamedTuple

from modelmeter.layers.base import BaseLayer, Child, scale_for_child
from modelmeter.metrics import LayerMetrics

_TAG = re.compile(r"\[[^\]]*\]")
STAGE_ROOT_MODULE_PATHS: dict[str, str] = {"lm_head": "lm_head"}
"""Vendor module path of a stage's root layer when it is a vendor module (else ``""``)."""


class CallSite(NamedTuple):
    """One node of the analytic tree in report terms."""

    node_id: str
    parent_id: str | None
    stage: str | None
    module_path: str
    layer: BaseLayer
    calls: int
    instances: int

    def totals(self) -> LayerMetrics:
        """The layer's metrics over all calls (parameters and held memory over instances)."""
        return scale_for_child(self.layer.metrics(), Child("", self.layer, self.calls, self.instances))


def strip_tags(path: str) -> str:
    """``sam_model[crops].blocks.3`` -> ``sam_model.blocks.3``."""
    return _TAG.sub("", path)


def _child_names(children: Iterable[Child]) -> list[str]:
    seen: dict[str, int] = {}
    names = []
    for child in children:
        k = seen.get(child.name, 0) + 1
        seen[child.name] = k
        names.append(child.name if k == 1 else f"{child.name}[#{k}]")
    return names


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def iter_call_sites(root: BaseLayer, *, staged: bool = True) -> Iterator[CallSite]:
    """Every node, parents before children (the order of ``BaseLayer.walk``).

    With ``staged`` the root's children are stages (the aggregator); otherwise ids are plain
    paths from ``root``.
    """
    yield CallSite("", None, None, "", root, 1, 1)
    kids = root.cached_children()
    for name, child in zip(_child_names(kids), kids, strict=True):
        if staged:
            start = STAGE_ROOT_MODULE_PATHS.get(name, "")
            yield from _descend(child, name, "", name, start, start, 1, 1)
        else:
            yield from _descend(child, None, "", name, name, strip_tags(name), 1, 1)


def _descend(
    child: Child,
    stage: str | None,
    parent_id: str,
    node_id: str,
    rel_path: str,
    module_path: str,
    calls: int,
    instances: int,
) -> Iterator[CallSite]:
    layer = child.layer
    calls *= child.count
    instances *= child.n_instances
    yield CallSite(node_id, parent_id, stage, module_path, layer, calls, instances)
    kids = layer.cached_children()
    for name, kid in zip(_child_names(kids), kids, strict=True):
        sub = _join(rel_path, name)
        yield from _descend(kid, stage, node_id, sub, sub, strip_tags(_join(module_path, name)), calls, instances)


class ModuleInstance(NamedTuple):
    """A vendor module instance the analytic tree holds."""

    path: str
    layer: BaseLayer
    multiplicity: int


def instance_index(root: BaseLayer, stages: Iterable[str]) -> dict[str, list[ModuleInstance]]:
    """Vendor module path -> the analytic layers holding that module's parameters.

    The root (the whole model, path ``""``) is indexed for its own parameters; stage roots
    without a vendor module of their own add to ``""`` only when they hold parameters.

    Only ``stages`` of the aggregator are indexed. Calls that re-use weights already counted
    (``instances=0``: the global-view vision call, decode steps) are skipped; a ``*`` run of
    ``k`` instances is expanded to concrete indices (``experts.0`` ... ``experts.{k-1}``),
    continuing the numbering across sibling runs that share the name; other repeated
    instances keep their path with ``multiplicity`` k.
    """
    wanted = set(stages)
    index: dict[str, list[ModuleInstance]] = {"": [ModuleInstance("", root, 1)]}
    for child in root.cached_children():
        if child.name in wanted and child.n_instances:
            start = STAGE_ROOT_MODULE_PATHS.get(child.name, "")
            _index(child.layer, start, 1, index)
    return index


def _index(layer: BaseLayer, path: str, multiplicity: int, index: dict[str, list[ModuleInstance]]) -> None:
    if path or layer.own_metrics().params:
        index.setdefault(path, []).append(ModuleInstance(path, layer, multiplicity))
    next_star: dict[str, int] = {}
    for child in layer.cached_children():
        k = child.n_instances
        if k == 0:
            continue
        name = strip_tags(child.name)
        if "*" in name:
            first = next_star.get(name, 0)
            next_star[name] = first + k
            for i in range(first, first + k):
                _index(child.layer, _join(path, name.replace("*", str(i))), multiplicity, index)
        else:
            _index(child.layer, _join(path, name), multiplicity * k, index)
