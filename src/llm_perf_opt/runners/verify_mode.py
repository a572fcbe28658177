"""Verify mode: the analytic model beside the counted one, per stage and per layer class.

Analytic side: ``DeepseekOCRModel(arch, workload)`` — each stage layer's
``forward_tensor_core_flops`` and ``params``, and every node of its tree mapped to the
vendor module path it models. Counted side: :func:`~llm_perf_opt.runners.static_mode.run_static`
on the project's reference (FlopCounterMode, SDPA pinned to MATH).

How the two trees are matched: an analytic path (``sam.sam_model[crops].blocks.3.attn``)
becomes a vendor path by dropping the stage and the call tags (``[crops]``, ``[global]``,
``steps[...]``, a decode step's ``model``): ``sam_model.blocks.3.attn``. The counted module
paths of the reference become vendor paths through ``module_catalog.yaml``. A vendor path is
*compared* when the catalog gives it a module in the reference; the other analytic nodes
(attention cores, residual adds, the routed experts' projections inside the fused experts
module, the gate's logits, ``lm_head.linear``) have no module of their own there, so their
work is compared inside their parent's count and they are listed separately.

Per layer class: the sum over compared vendor paths of that class (counted: the catalog's
class for the counted module; analytic: the class of the analytic node), FLOPs over every
call of every stage, parameters once per module instance.

Example
-------
>>> relative_difference(analytic=110, counted=100)
0.1
>>> vendor_path("decode", "decode.steps[last].model.layers.3.mlp")
'layers.3.mlp'
>>> vendor_path("sam", "sam.sam_model[global].blocks.0.attn.qkv")
'sam_model.blocks.0.attn.qkv'
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
from attrs import define, field

from llm_perf_opt.runners.static_mode import ATTENTION_BACKEND_NOTE, StaticCompute, run_static
from llm_perf_opt.runners.torch_gate import require_torch
from modelmeter.layers.base import BaseLayer
from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch
from modelmeter.models.deepseek_ocr.layers.core import STAGES, DeepseekOCRModel
from modelmeter.models.deepseek_ocr.module_catalog import ModuleCatalog, load_module_catalog
from modelmeter.models.deepseek_ocr.workload import OCRWorkload

_TAG = re.compile(r"\[[^\]]*\]$")


def vendor_path(stage: str, path: str) -> str:
    """The vendor module path an analytic node of ``stage`` models (``""`` for a stage root)."""
    parts = path.split(".")[1:]
    if stage == "lm_head":
        parts = ["lm_head", *parts]
    out = [_TAG.sub("", p) for p in parts if not p.startswith("steps[")]
    if stage == "decode" and out[:1] == ["model"]:
        out = out[1:]
    return ".".join(out)


def relative_difference(*, analytic: int, counted: int) -> float:
    """``(analytic - counted) / counted`` (0.0 when both are 0, ``inf`` when only counted is 0)."""
    if counted == 0:
        return 0.0 if analytic == 0 else float("inf")
    return (analytic - counted) / counted


@define(frozen=True, kw_only=True)
class Comparison:
    """One compared quantity set: FLOPs and parameters, analytic beside counted."""

    name: str
    counted_flops: int
    analytic_flops: int
    counted_params: int
    analytic_params: int
    detail: str = ""

    @property
    def difference(self) -> int:
        """Analytic minus counted FLOPs."""
        return self.analytic_flops - self.counted_flops

    @property
    def relative_difference(self) -> float:
        """:func:`relative_difference` of the FLOPs."""
        return relative_difference(analytic=self.analytic_flops, counted=self.counted_flops)

    @property
    def params_difference(self) -> int:
        """Analytic minus counted parameters."""
        return self.analytic_params - self.counted_params

    @property
    def ok(self) -> bool:
        """FLOPs and parameters both equal."""
        return self.difference == 0 and self.params_difference == 0

    def as_dict(self) -> dict[str, Any]:
        """JSON row."""
        rel = self.relative_difference
        return {
            "counted_flops": self.counted_flops,
            "analytic_flops": self.analytic_flops,
            "difference": self.difference,
            "relative_difference": rel if rel != float("inf") else "inf",
            "counted_params": self.counted_params,
            "analytic_params": self.analytic_params,
            "params_difference": self.params_difference,
            **({"detail": self.detail} if self.detail else {}),
        }


@define(frozen=True, kw_only=True)
class InternalNode:
    """Analytic nodes of one class at one vendor path pattern that have no module in the reference."""

    pattern: str
    analytic_class: str
    flops: int
    reason: str


@define(frozen=True, kw_only=True)
class VerificationResult:
    """Everything the verification report shows."""

    static: StaticCompute
    stages: tuple[Comparison, ...]
    layer_classes: tuple[Comparison, ...]
    module_mismatches: tuple[Comparison, ...]
    internal_nodes: tuple[InternalNode, ...]
    class_conflicts: tuple[str, ...] = field(factory=tuple)

    @property
    def all_zero(self) -> bool:
        """Every stage and layer class equal, no mismatching module, no class conflict."""
        return (
            all(c.ok for c in self.stages)
            and all(c.ok for c in self.layer_classes)
            and not self.module_mismatches
            and not self.class_conflicts
        )


def _walk(layer: BaseLayer, path: str, calls: int, inst: int) -> Iterator[tuple[str, BaseLayer, int, int]]:
    """``(path, layer, calls, instances)`` with instances multiplied along the path."""
    yield path, layer, calls, inst
    for c in layer.cached_children():
        sub = f"{path}.{c.name}" if path else c.name
        yield from _walk(c.layer, sub, calls * c.count, inst * c.n_instances)


@define(kw_only=True)
class _AnalyticModule:
    classes: set[str] = field(factory=set)
    flops: int = 0
    params: int = 0


def _analytic_modules(model: DeepseekOCRModel) -> dict[str, dict[str, _AnalyticModule]]:
    """stage -> vendor path -> class names, FLOPs (calls-weighted) and params (instance-weighted)."""
    out: dict[str, dict[str, _AnalyticModule]] = {}
    for child in model.cached_children():
        stage = child.name
        table: dict[str, _AnalyticModule] = defaultdict(_AnalyticModule)
        for path, layer, calls, inst in _walk(child.layer, stage, 1, child.n_instances):
            vpath = vendor_path(stage, path)
            if not vpath:
                continue
            node = table[vpath]
            node.classes.add(type(layer).__name__)
            node.flops += layer.forward_tensor_core_flops * calls
            node.params += layer.params * inst
        out[stage] = dict(table)
    return out


def _has_reference_module(catalog: ModuleCatalog, path: str) -> bool:
    return any(r.reference for r in catalog.rows_for_module(path))


def _pattern(path: str) -> str:
    return re.sub(r"(blocks|layers)\.\d+", r"\1.{i}", path)


def compare(
    arch: DeepseekOCRArch, workload: OCRWorkload, *, static: StaticCompute | None = None, reference: Any = None
) -> VerificationResult:
    """Run both sides and compare them."""
    catalog = load_module_catalog()
    sc = static if static is not None else run_static(arch, workload, reference=reference, catalog=catalog)
    model = DeepseekOCRModel(arch=arch, workload=workload)
    layers = model.stage_layers()
    stages = tuple(
        Comparison(
            name=s,
            counted_flops=sc.stages[s].flops,
            analytic_flops=layers[s].forward_tensor_core_flops,
            counted_params=sc.stages[s].params,
            analytic_params=layers[s].params,
        )
        for s in STAGES
    )
    analytic = _analytic_modules(model)
    cls_counted: dict[str, int] = defaultdict(int)
    cls_analytic: dict[str, int] = defaultdict(int)
    cls_analytic_params: dict[str, int] = defaultdict(int)
    cls_modules: dict[str, set[str]] = defaultdict(set)
    mismatches: list[Comparison] = []
    internal: dict[tuple[str, str], int] = defaultdict(int)
    conflicts: list[str] = []
    for stage in STAGES:
        counted = sc.stages[stage].modules
        nodes = analytic[stage]
        compared = set(counted) | {p for p in nodes if _has_reference_module(catalog, p)}
        for path, entry in nodes.items():
            if path not in compared:
                for name in entry.classes:
                    internal[(_pattern(path), name)] += entry.flops
        for path in sorted(compared):
            node = nodes.get(path)
            counted_cls = sc.module_classes.get(path, (None, None))[1]
            analytic_cls = next(iter(node.classes)) if node and len(node.classes) == 1 else None
            if node is not None and analytic_cls != counted_cls:
                conflicts.append(f"{stage}: {path}: catalog class {counted_cls}, analytic {sorted(node.classes)}")
            value = counted.get(path, 0)
            a_flops = node.flops if node else 0
            if counted_cls is None:
                continue  # a container: its children are compared
            cls_counted[counted_cls] += value
            cls_analytic[analytic_cls or counted_cls] += a_flops
            cls_modules[counted_cls].add(path)
            if value != a_flops:
                mismatches.append(
                    Comparison(
                        name=f"{stage}: {path}",
                        counted_flops=value,
                        analytic_flops=a_flops,
                        counted_params=0,
                        analytic_params=0,
                        detail=counted_cls if node else f"{counted_cls}; no analytic node at this path",
                    )
                )
            if node is not None:  # decode nodes carry 0 instances: they re-use prefill/lm_head weights
                cls_analytic_params[analytic_cls or counted_cls] += node.params
    cls_counted_params: dict[str, int] = defaultdict(int)
    for path, params in sc.module_params.items():
        catalog_cls = sc.module_classes[path][1]
        if catalog_cls is not None:
            cls_counted_params[catalog_cls] += params
            cls_modules[catalog_cls].add(path)
    classes = tuple(
        Comparison(
            name=cls,
            counted_flops=cls_counted[cls],
            analytic_flops=cls_analytic[cls],
            counted_params=cls_counted_params[cls],
            analytic_params=cls_analytic_params[cls],
            detail=str(len(cls_modules[cls])),
        )
        for cls in sorted(set(cls_counted) | set(cls_counted_params) | set(cls_analytic))
    )
    return VerificationResult(
        static=sc,
        stages=stages,
        layer_classes=classes,
        module_mismatches=tuple(_deepest(mismatches)),
        internal_nodes=tuple(
            InternalNode(pattern=p, analytic_class=c, flops=f, reason=_reason(catalog, p))
            for (p, c), f in sorted(internal.items())
        ),
        class_conflicts=tuple(conflicts),
    )


def _deepest(mismatches: list[Comparison]) -> list[Comparison]:
    """Mismatching modules none of whose descendants mismatch (where a difference originates)."""
    names = [m.name for m in mismatches]
    return [m for m in mismatches if not any(other.startswith(m.name + ".") for other in names)]


def _reason(catalog: ModuleCatalog, pattern: str) -> str:
    concrete = pattern.replace("{i}", "0")
    rows = catalog.rows_for_module(concrete) if concrete else []
    return rows[0].notes if rows else "no catalog row"


# ---- writers --------------------------------------------------------------------------------
def verification_dict(result: VerificationResult) -> dict[str, Any]:
    """The ``verification.json`` document."""
    sc = result.static
    return {
        "model": sc.model,
        "workload": attrs.asdict(sc.workload),
        "attention_backend": sc.attention_backend,
        "decode_counting": attrs.asdict(sc.decode),
        "all_zero": result.all_zero,
        "stages": {c.name: c.as_dict() for c in result.stages},
        "layer_classes": {c.name: {**c.as_dict(), "modules": int(c.detail)} for c in result.layer_classes},
        "module_mismatches": {c.name: c.as_dict() for c in result.module_mismatches},
        "class_conflicts": list(result.class_conflicts),
        "analytic_nodes_without_reference_module": [attrs.asdict(n) for n in result.internal_nodes],
    }


def _rel(c: Comparison) -> str:
    rel = c.relative_difference
    return "inf" if rel == float("inf") else f"{rel:.2e}" if rel else "0"


def verification_markdown(result: VerificationResult) -> str:
    """The ``verification.md`` report."""
    sc = result.static
    w = sc.workload
    verdict = (
        "**All differences are zero**: every stage and every layer class has the same Tensor-Core FLOPs and "
        "parameters in the analytic model as FlopCounterMode counts on the reference."
        if result.all_zero
        else "**Differences found** - see *Explanation of differences* below."
    )
    lines = [
        f"# Verification: analytic vs counted, {sc.model}",
        "",
        f"Workload: base {w.base_size}, image {w.image_size}, crop grid {w.crop_grid[0]}x{w.crop_grid[1]}, "
        f"batch {w.batch_size}, prompt {w.prompt_tokens} tokens, prefill {w.prefill_tokens} tokens "
        f"({w.image_tokens} image rows), {w.max_new_tokens} new tokens ({w.decode_steps} decode steps), "
        f"attention {w.attention}, {w.dtype}.",
        "",
        verdict,
        "",
        "- Counted: FlopCounterMode on the project's PyTorch reference (`llm_perf_opt.reference.model`) on the "
        f"meta device. Attention backend pinned: **{sc.attention_backend}**. {ATTENTION_BACKEND_NOTE}",
        f"- Decode: {sc.decode.method}. Counted steps (kv_len: FLOPs): "
        + ", ".join(f"{k}: {f:,}" for k, f in zip(sc.decode.counted_kv_lens, sc.decode.counted_step_flops, strict=True))
        + ".",
        "- Analytic: `DeepseekOCRModel(arch, workload)`, `forward_tensor_core_flops` (FlopCounterMode's convention) "
        "and `params`.",
        "- Difference = analytic - counted; relative difference = difference / counted.",
        "",
        "## Per stage",
        "",
        "| stage | counted FLOPs | analytic FLOPs | difference | relative | counted params | analytic params |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {c.name} | {c.counted_flops:,} | {c.analytic_flops:,} | {c.difference:,} | {_rel(c)} "
        f"| {c.counted_params:,} | {c.analytic_params:,} |"
        for c in result.stages
    ]
    total_c = sum(c.counted_flops for c in result.stages)
    total_a = sum(c.analytic_flops for c in result.stages)
    lines += [
        f"| **total** | {total_c:,} | {total_a:,} | {total_a - total_c:,} | | {sc.total_params:,} | |",
        "",
        "Stage parameters: the modules the stage runs (decode re-uses the prefill's and the LM head's).",
        "",
        "## Per layer class",
        "",
        "Inclusive FLOPs of every module of the class, over every call of every stage; parameters once per module. "
        "Classes are the analytic classes (named after the vendor's); the vendor class of each module comes from "
        "`module_catalog.yaml`. Containers (ModuleList, Sequential) are left out (their children are compared).",
        "",
        "| layer class | modules | counted FLOPs | analytic FLOPs | difference | relative | counted params "
        "| analytic params |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {c.name} | {c.detail} | {c.counted_flops:,} | {c.analytic_flops:,} | {c.difference:,} | {_rel(c)} "
        f"| {c.counted_params:,} | {c.analytic_params:,} |"
        for c in result.layer_classes
    ]
    lines += ["", "## Explanation of differences", ""]
    if result.all_zero:
        lines.append("None: no stage, layer class or module differs.")
    else:
        lines.append("Modules where a difference originates (no mismatching module below them):")
        lines.append("")
        lines.append("| stage: module | class | counted FLOPs | analytic FLOPs | difference |")
        lines.append("|---|---|---:|---:|---:|")
        lines += [
            f"| {m.name} | {m.detail} | {m.counted_flops:,} | {m.analytic_flops:,} | {m.difference:,} |"
            for m in result.module_mismatches
        ]
        lines += [f"- class conflict: {c}" for c in result.class_conflicts]
    lines += [
        "",
        "## Analytic nodes without a module in the reference",
        "",
        "Their FLOPs are inside their parent module's count (compared above); shown so nothing is hidden.",
        "",
        "| vendor path pattern | analytic class | analytic FLOPs (all stages) | why |",
        "|---|---|---:|---|",
    ]
    lines += [f"| {n.pattern} | {n.analytic_class} | {n.flops:,} | {n.reason} |" for n in result.internal_nodes]
    lines += [
        "",
        "## Where the reference differs from the vendor's code (same counts)",
        "",
        "- CLIP attention: the vendor's fused `qkv_proj` (1024 -> 3072) is three 1024 -> 1024 Linears in the "
        "reference (transformers' CLIPAttention); their counts are summed under `qkv_proj`.",
        "- Routed experts: 64 `DeepseekV2MLP` modules in the vendor, one `DeepseekOcr2TextExperts` module with "
        "3-D weights in the reference, run as `batched_mm` (one bmm slice per (token, expert) pair: exactly "
        "tokens x 6 expert passes, as the vendor's loop); compared under `experts.*`.",
        "- RoPE: the vendor builds the cos/sin table in every attention layer, the reference once per forward; "
        "neither is a counted op.",
        "- SAM: transformers' `DeepseekOcr2SamVisionEncoder` names the vendor's `blocks`, `norm1/2`, `neck.0..3`, "
        "`net_2/3` as `layers`, `layer_norm1/2`, `neck.conv1/layer_norm1/conv2/layer_norm2`, `proj.conv1/2`.",
    ]
    return "\n".join(lines) + "\n"


def write_verification(result: VerificationResult, output_dir: Path) -> tuple[Path, Path]:
    """Write ``verification.json`` and ``verification.md`` into ``output_dir``."""
    output_dir.mkdir(parents=True, exist_ok=True)
    js, md = output_dir / "verification.json", output_dir / "verification.md"
    js.write_text(json.dumps(verification_dict(result), indent=2) + "\n", encoding="utf-8")
    md.write_text(verification_markdown(result), encoding="utf-8")
    return js, md


def run_verify(arch: DeepseekOCRArch, workload: OCRWorkload, output_dir: Path | str) -> int:
    """Check torch is installed (exit 2 with one line if not), compare, write the report into
    ``output_dir``; 0 when every difference is zero, else 1."""
    require_torch("verify")
    result = compare(arch, workload)
    write_verification(result, Path(output_dir))
    return 0 if result.all_zero else 1
