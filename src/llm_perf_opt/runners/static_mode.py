"""Counted (static) mode: run the project's PyTorch reference of DeepSeek-OCR on the
``meta`` device under ``torch.utils.flop_counter.FlopCounterMode`` and book what torch
counts per stage, per operator family, per module and per vendor layer class.

How it counts:

* SDPA is pinned to the MATH backend (``sdpa_kernel([SDPBackend.MATH])``): on CPU/meta the
  fused kernels have no FLOP formula and would count 0; MATH decomposes attention into
  ``bmm`` calls the counter sees. Attention is therefore counted as the two contractions
  ``QK^T`` and ``PV`` (a causal mask does not reduce the count).
* Operator families: ``matmul`` (``mm``, ``addmm``, ``bmm``, ``baddbmm``, ``_scaled_mm``
  outside attention), ``conv`` (convolution), ``attention`` (every FLOP counted inside a
  ``scaled_dot_product_attention`` call, measured as the growth of the counter's total
  across the call), ``other`` (any other counted op; 0 for this model).
* Modules: the counter's module hierarchy (``get_flop_counts()``, inclusive totals keyed by
  the tracker's names) is resolved to the reference's module paths, then to the vendor's
  paths and classes through ``module_catalog.yaml``.
* Decode: every step is affine in its KV length (the projections are constant, the two
  attention contractions grow by ``4 * heads * head_dim`` per key in each layer), so the first step
  (``kv = prefill + 1``), a middle step and the last (``kv = prefill + steps``) are counted
  for real; each counted quantity (total, per op, per module) must satisfy the affine
  relation exactly at the middle step, and the stage is ``steps * (first + last) / 2``
  (exact integer arithmetic). With 1 or 2 steps every step is counted.

Example
-------
>>> op_family("aten.addmm")
'matmul'
>>> op_family("aten.convolution")
'conv'
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs
from attrs import define, field

from llm_perf_opt.runners.torch_gate import require_torch
from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch
from modelmeter.models.deepseek_ocr.layers.core import STAGES
from modelmeter.models.deepseek_ocr.module_catalog import ModuleCatalog, load_module_catalog
from modelmeter.models.deepseek_ocr.workload import OCRWorkload

ATTENTION_BACKEND = "math"
"""The SDPA backend counts are taken with."""
ATTENTION_BACKEND_NOTE = (
    "SDPA pinned to the MATH backend (torch.nn.attention.sdpa_kernel([SDPBackend.MATH])): attention is counted as "
    "its QK^T and PV bmm contractions over the full q_len x kv_len score matrix (causal masking not discounted)."
)
FAMILIES: tuple[str, ...] = ("matmul", "conv", "attention", "other")
MATMUL_OPS = frozenset({"mm", "addmm", "bmm", "baddbmm", "_scaled_mm"})


def op_family(op: str) -> str:
    """Family of a counted aten op name (``attention`` is assigned by call site, not by op)."""
    name = op.rsplit(".", 1)[-1] if op.startswith("aten.") else op
    name = name.split(".")[0]
    if name in MATMUL_OPS:
        return "matmul"
    if "convolution" in name:
        return "conv"
    return "other"


@define(frozen=True, kw_only=True)
class CountedCall:
    """What one counted run booked: total, per family, per aten op and per reference module."""

    flops: int
    operators: dict[str, int]
    aten_ops: dict[str, int]
    modules: dict[str, int]

    def keyed_values(self) -> dict[tuple[str, str], int]:
        """Every number of this call under a unique key (for the decode affinity check)."""
        out = {("total", ""): self.flops}
        out.update({("operators", k): v for k, v in self.operators.items()})
        out.update({("aten_ops", k): v for k, v in self.aten_ops.items()})
        out.update({("modules", k): v for k, v in self.modules.items()})
        return out


@define(frozen=True, kw_only=True)
class DecodeCounting:
    """How the decode stage was counted: the steps run for real and their totals."""

    steps: int
    prefill_tokens: int
    counted_kv_lens: tuple[int, ...]
    counted_step_flops: tuple[int, ...]
    method: str


@define(frozen=True, kw_only=True)
class StageCount:
    """One stage: counted FLOPs (total, per family, per aten op, per vendor module path) and
    the parameters of the modules it runs."""

    name: str
    flops: int
    operators: dict[str, int]
    aten_ops: dict[str, int]
    modules: dict[str, int]
    params: int


@define(frozen=True, kw_only=True)
class LayerClassCount:
    """Counted FLOPs (all stages) and parameters (each module once) of one vendor class."""

    vendor_class: str
    analytic_class: str | None
    modules: int
    flops: int
    params: int


@define(frozen=True, kw_only=True)
class StaticCompute:
    """Counted mode result for one workload.

    Example
    -------
    >>> from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch
    >>> sc = run_static(DeepseekOCRArch(), OCRWorkload(crop_grid=(2, 2), max_new_tokens=3))
    >>> sc.attention_backend, sc.total_params
    ('math', 3336106240)
    """

    model: str
    workload: OCRWorkload
    stages: dict[str, StageCount]
    layer_classes: dict[str, LayerClassCount]
    module_params: dict[str, int]
    module_classes: dict[str, tuple[str, str | None]]
    decode: DecodeCounting
    total_params: int
    attention_backend: str = ATTENTION_BACKEND
    notes: tuple[str, ...] = field(factory=tuple)

    @property
    def total_flops(self) -> int:
        """Sum of the stage totals."""
        return sum(s.flops for s in self.stages.values())


# ---- counting one call ----------------------------------------------------------------------
def count_call(fn: Callable[[], Any], reference: Any) -> CountedCall:
    """Run ``fn()`` under ``FlopCounterMode`` with SDPA pinned to MATH; return the counts with
    module names resolved to ``reference``'s module paths (stage roots dropped)."""
    import torch
    from torch.nn.attention import SDPBackend, sdpa_kernel
    from torch.overrides import TorchFunctionMode
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    inside: dict[str, int] = defaultdict(int)
    sdpa = torch.nn.functional.scaled_dot_product_attention

    class _AttentionMeter(TorchFunctionMode):
        def __torch_function__(
            self, func: Any, types: Any, args: tuple[Any, ...] = (), kwargs: dict[str, Any] | None = None
        ) -> Any:
            if func is not sdpa:
                return func(*args, **(kwargs or {}))
            before = _global_ops(counter)
            out = func(*args, **(kwargs or {}))
            for op, value in _global_ops(counter).items():
                inside[op] += value - before.get(op, 0)
            return out

    with sdpa_kernel([SDPBackend.MATH]), counter, _AttentionMeter():
        fn()
    aten = _global_ops(counter)
    families = dict.fromkeys(FAMILIES, 0)
    for op, value in aten.items():
        families["attention"] += inside.get(op, 0)
        families[op_family(op)] += value - inside.get(op, 0)
    modules = _resolve_modules(counter.get_flop_counts(), reference)
    return CountedCall(flops=sum(aten.values()), operators=families, aten_ops=aten, modules=modules)


def _global_ops(counter: Any) -> dict[str, int]:
    return {str(op): int(v) for op, v in counter.get_flop_counts().get("Global", {}).items()}


def _resolve_modules(counts: Mapping[str, Mapping[Any, int]], reference: Any) -> dict[str, int]:
    """Tracker names (``<RootClass>.<path>``, root = the first module seen) -> reference paths."""
    roots = [reference, reference.text, reference.text.model, *reference.children()]
    by_class: dict[str, Any] = {}
    for mod in roots:
        name = type(mod).__name__
        if name in by_class and by_class[name] is not mod:
            raise ValueError(f"two possible tracker roots named {name}")
        by_class[name] = mod
    fqn_of = {id(m): name for name, m in reference.named_modules()}
    out: dict[str, int] = defaultdict(int)
    for key, ops in counts.items():
        if key == "Global":
            continue
        root_name, _, rest = key.partition(".")
        if root_name not in by_class:
            raise ValueError(f"FlopCounterMode module {key!r}: unknown root {root_name!r}")
        module = by_class[root_name].get_submodule(rest) if rest else by_class[root_name]
        fqn = fqn_of.get(id(module), "")
        if fqn:  # "" = a stage root (the reference, its text model): the stage total covers it
            out[fqn] += sum(int(v) for v in ops.values())
    return dict(out)


# ---- stages ---------------------------------------------------------------------------------
def _vision_calls(reference: Any, workload: OCRWorkload) -> dict[str, Callable[[], Any]]:
    inputs = reference.make_inputs(workload)
    cache: dict[str, Any] = {}

    def sam() -> None:
        cache["sam"] = reference.run_sam(*inputs.pixels)

    def clip() -> None:
        cache["clip"] = reference.run_clip(cache["sam"])

    def projector() -> None:
        cache["image"] = reference.run_projector(cache["sam"], cache["clip"], workload.crop_grid)

    def prefill() -> None:
        cache["hidden"] = reference.run_prefill(
            inputs.input_ids, image_embeds=cache["image"], images_seq_mask=inputs.images_seq_mask
        )

    def lm_head() -> None:
        reference.run_lm_head(cache["hidden"])

    return {"sam": sam, "clip": clip, "projector": projector, "prefill": prefill, "lm_head": lm_head}


def _count_decode(reference: Any, workload: OCRWorkload) -> tuple[CountedCall, DecodeCounting]:
    steps, base, batch = workload.decode_steps, workload.prefill_tokens, workload.batch_size
    if steps == 0:
        empty = CountedCall(flops=0, operators=dict.fromkeys(FAMILIES, 0), aten_ops={}, modules={})
        return empty, DecodeCounting(
            steps=0, prefill_tokens=base, counted_kv_lens=(), counted_step_flops=(), method="no decode steps"
        )
    ts = sorted({1, (steps + 1) // 2, steps}) if steps >= 3 else list(range(1, steps + 1))
    counted = {t: _count_step(reference, base + t, batch) for t in ts}
    if steps <= 2:
        total = _sum_calls(list(counted.values()))
        method = f"all {steps} steps counted"
    else:
        first, mid, last = counted[1], counted[ts[1]], counted[steps]
        _check_affine(first, mid, last, ts[1], steps)
        total = _affine_sum(first, last, steps)
        method = (
            f"steps t=1, {ts[1]}, {steps} counted (kv_len = {base} + t); every counted number is affine in t "
            f"(checked exactly at t={ts[1]}), so the sum over t=1..{steps} is {steps} * (first + last) / 2"
        )
    info = DecodeCounting(
        steps=steps,
        prefill_tokens=base,
        counted_kv_lens=tuple(base + t for t in ts),
        counted_step_flops=tuple(counted[t].flops for t in ts),
        method=method,
    )
    return total, info


def _count_step(reference: Any, kv_len: int, batch: int) -> CountedCall:
    cache = reference.decode_cache(kv_len, batch)  # built outside the counter: the past is given
    return count_call(lambda: reference.run_decode_step(kv_len, batch, cache=cache), reference)


class NonAffineDecodeError(AssertionError):
    """A counted decode number is not affine in the KV length (the extrapolation would be wrong)."""


def _check_affine(first: CountedCall, mid: CountedCall, last: CountedCall, t_mid: int, steps: int) -> None:
    a, m, z = first.keyed_values(), mid.keyed_values(), last.keyed_values()
    for key in set(a) | set(m) | set(z):
        fa, fm, fz = a.get(key, 0), m.get(key, 0), z.get(key, 0)
        if (fm - fa) * (steps - 1) != (fz - fa) * (t_mid - 1):
            raise NonAffineDecodeError(
                f"decode {key}: step 1 -> {fa}, step {t_mid} -> {fm}, step {steps} -> {fz} is not affine"
            )


def _affine_sum(first: CountedCall, last: CountedCall, steps: int) -> CountedCall:
    def total(x: int, y: int) -> int:
        twice = steps * (x + y)
        if twice % 2:
            raise NonAffineDecodeError(f"decode sum {steps} * ({x} + {y}) / 2 is not an integer")
        return twice // 2

    def merge(p: Mapping[str, int], q: Mapping[str, int]) -> dict[str, int]:
        return {k: total(p.get(k, 0), q.get(k, 0)) for k in sorted(set(p) | set(q))}

    return CountedCall(
        flops=total(first.flops, last.flops),
        operators=merge(first.operators, last.operators),
        aten_ops=merge(first.aten_ops, last.aten_ops),
        modules=merge(first.modules, last.modules),
    )


def _sum_calls(calls: list[CountedCall]) -> CountedCall:
    def merge(attr: str) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for c in calls:
            for k, v in getattr(c, attr).items():
                out[k] += v
        return dict(out)

    return CountedCall(
        flops=sum(c.flops for c in calls),
        operators=merge("operators"),
        aten_ops=merge("aten_ops"),
        modules=merge("modules"),
    )


# ---- vendor paths and classes -----------------------------------------------------------------
def class_key(vendor: str, analytic: str | None) -> str:
    """Per-class table key: the vendor class, or ``<analytic> (functional)`` for work the vendor
    does inline that the reference runs as a module."""
    return f"{analytic} (functional)" if vendor == "(functional)" else vendor


def _vendor_modules(
    call: CountedCall, reference: Any, catalog: ModuleCatalog, attention: str
) -> tuple[dict[str, int], dict[str, tuple[str, str | None]]]:
    """Reference paths -> vendor paths (summing several reference modules that run one vendor
    module); also vendor path -> (vendor class, analytic class name)."""
    flops: dict[str, int] = defaultdict(int)
    classes: dict[str, tuple[str, str | None]] = {}
    for fqn, value in call.modules.items():
        row = catalog.row_for_reference(
            fqn, reference_class=type(reference.get_submodule(fqn)).__name__, attention=attention
        )
        if row is None:
            continue
        path = catalog.vendor_path_of_reference(fqn)
        assert path is not None
        flops[path] += value
        classes[path] = (row.vendor, row.analytic_name)
    return dict(flops), classes


def _module_params(reference: Any, catalog: ModuleCatalog, attention: str) -> dict[str, tuple[int, str, str | None]]:
    """Vendor path -> (parameters, vendor class, analytic class) of every catalogued reference module."""
    out: dict[str, tuple[int, str, str | None]] = {}
    for fqn, module in reference.named_modules():
        if not fqn:
            continue
        row = catalog.row_for_reference(fqn, reference_class=type(module).__name__, attention=attention)
        if row is None:
            continue
        path = catalog.vendor_path_of_reference(fqn)
        assert path is not None
        params = sum(p.numel() for p in module.parameters())
        prev = out.get(path, (0, row.vendor, row.analytic_name))[0]
        out[path] = (prev + params, row.vendor, row.analytic_name)
    return out


def run_static(
    arch: DeepseekOCRArch, workload: OCRWorkload, *, reference: Any = None, catalog: ModuleCatalog | None = None
) -> StaticCompute:
    """Count every stage of ``workload`` on the reference built from ``arch`` (``meta`` device)."""
    from llm_perf_opt.reference.model import DeepseekOCRReference

    ref = reference if reference is not None else DeepseekOCRReference(arch, device="meta")
    cat = catalog if catalog is not None else load_module_catalog()
    calls = {name: count_call(fn, ref) for name, fn in _vision_calls(ref, workload).items()}
    calls["decode"], decode_info = _count_decode(ref, workload)
    stages: dict[str, StageCount] = {}
    module_classes: dict[str, tuple[str, str | None]] = {}
    class_flops: dict[str, int] = defaultdict(int)
    for name in STAGES:
        call = calls[name]
        vendor_flops, classes = _vendor_modules(call, ref, cat, workload.attention)
        module_classes.update(classes)
        for path, value in vendor_flops.items():
            class_flops[class_key(*classes[path])] += value
        params = ref.stage_params(name) if name != "decode" or decode_info.steps else 0
        stages[name] = StageCount(
            name=name,
            flops=call.flops,
            operators=call.operators,
            aten_ops=call.aten_ops,
            modules=vendor_flops,
            params=params,
        )
    per_module = _module_params(ref, cat, workload.attention)
    layer_classes: dict[str, LayerClassCount] = {}
    for path, (params, vendor, analytic) in per_module.items():
        module_classes.setdefault(path, (vendor, analytic))
        if analytic is None:
            continue  # a container (ModuleList, Sequential): its work is its children's
        key = class_key(vendor, analytic)
        prev = layer_classes.get(key)
        layer_classes[key] = LayerClassCount(
            vendor_class=key,
            analytic_class=analytic if prev is None or prev.analytic_class == analytic else None,
            modules=(prev.modules if prev else 0) + 1,
            flops=class_flops.get(key, 0),
            params=(prev.params if prev else 0) + params,
        )
    return StaticCompute(
        model=arch.name,
        workload=workload,
        stages=stages,
        layer_classes=dict(sorted(layer_classes.items())),
        module_params={path: v[0] for path, v in per_module.items()},
        module_classes=module_classes,
        decode=decode_info,
        total_params=sum(p.numel() for p in ref.parameters()),
        notes=(ATTENTION_BACKEND_NOTE, decode_info.method),
    )


# ---- writers --------------------------------------------------------------------------------
def static_compute_dict(sc: StaticCompute) -> dict[str, Any]:
    """The ``static_compute.json`` document."""
    return {
        "model": sc.model,
        "workload": attrs.asdict(sc.workload),
        "attention_backend": sc.attention_backend,
        "attention_backend_note": ATTENTION_BACKEND_NOTE,
        "decode_counting": attrs.asdict(sc.decode),
        "stages": {
            name: {
                "operators": s.operators,
                "aten_ops": s.aten_ops,
                "flops": s.flops,
                "params": s.params,
                "modules": dict(sorted(s.modules.items())),
            }
            for name, s in sc.stages.items()
        },
        "layer_classes": {k: attrs.asdict(v) for k, v in sc.layer_classes.items()},
        "total": {"flops": sc.total_flops, "params": sc.total_params},
    }


def static_compute_markdown(sc: StaticCompute) -> str:
    """The ``static_compute.md`` report."""
    w = sc.workload
    lines = [
        f"# Counted compute of {sc.model}",
        "",
        f"Workload: base {w.base_size}, image {w.image_size}, crop grid {w.crop_grid[0]}x{w.crop_grid[1]}, "
        f"batch {w.batch_size}, prefill {w.prefill_tokens} tokens ({w.image_tokens} image), "
        f"{w.max_new_tokens} new tokens ({w.decode_steps} decode steps).",
        "",
        f"Attention backend: **{sc.attention_backend}**. {ATTENTION_BACKEND_NOTE}",
        "",
        f"Decode: {sc.decode.method}.",
        "",
        "| stage | FLOPs | matmul | conv | attention | other | params |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, s in sc.stages.items():
        o = s.operators
        lines.append(
            f"| {name} | {s.flops:,} | {o.get('matmul', 0):,} | {o.get('conv', 0):,} | {o.get('attention', 0):,} "
            f"| {o.get('other', 0):,} | {s.params:,} |"
        )
    lines += [
        f"| **total** | {sc.total_flops:,} | | | | | {sc.total_params:,} |",
        "",
        "Stage parameters are those of the modules the stage runs (decode re-uses prefill and lm_head weights); "
        "the total counts each parameter once (including image_newline and view_seperator).",
        "",
        "## Per vendor layer class",
        "",
        "FLOPs are inclusive (a module's count contains its children's), summed over every call in every stage; "
        "containers (ModuleList, Sequential) are left out.",
        "",
        "| vendor class | analytic class | modules | FLOPs | params |",
        "|---|---|---:|---:|---:|",
    ]
    for c in sc.layer_classes.values():
        lines.append(f"| {c.vendor_class} | {c.analytic_class or '-'} | {c.modules} | {c.flops:,} | {c.params:,} |")
    return "\n".join(lines) + "\n"


def write_static_compute(sc: StaticCompute, output_dir: Path) -> tuple[Path, Path]:
    """Write ``static_compute.json`` and ``static_compute.md`` into ``output_dir``."""
    output_dir.mkdir(parents=True, exist_ok=True)
    js, md = output_dir / "static_compute.json", output_dir / "static_compute.md"
    js.write_text(json.dumps(static_compute_dict(sc), indent=2) + "\n", encoding="utf-8")
    md.write_text(static_compute_markdown(sc), encoding="utf-8")
    return js, md


def run_static_mode(arch: DeepseekOCRArch, workload: OCRWorkload, output_dir: Path | str) -> int:
    """Counted mode end to end: check torch is installed (exit 2 with one line if not), count,
    write the two files into ``output_dir``; returns 0."""
    require_torch("static")
    write_static_compute(run_static(arch, workload), Path(output_dir))
    return 0
