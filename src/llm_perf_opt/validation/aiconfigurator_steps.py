"""The serving decode step under the ``fused`` profile against NVIDIA aiconfigurator-core's measured vLLM kernels.

The serving model (:mod:`llm_perf_opt.serving.steps`) times a decode step of ``b`` sequences at ``k`` keys as the
``fused`` runtime profile runs it: the decoder body replayed as one CUDA graph, its kernels timed on the GPU's
curves (measured for a calibrated GPU, the portable model's otherwise). At large batches two kernel families take
most of that time: the decoder's paged flash attention (one per layer) and the routed experts' fused MoE kernels
(``moe_align_block_size``, the two grouped products, SiLU-and-multiply and ``moe_sum``, one set per MoE layer),
which the profile times on the curves of torch's grouped product, an estimate for vLLM's Triton ``fused_moe``.

aiconfigurator-core measured both under vLLM on six GPUs (``src/llm_perf_opt/conf/aiconfigurator/points.json``,
written by ``scripts/aiconfigurator/extract_points.py``), at shapes near DeepSeek-OCR's: decode attention with 8
query and 8 key/value heads of 128 (DeepSeek-OCR: 10 and 10), and ``fused_experts`` of 128 experts of 2,048 x 768,
top 8 (DeepSeek-OCR: 64 of 1,280 x 896, top 6). Each family's measured latency is set against the profile's own
prediction **at the tabled shape** (the same kernels, booked by the same profile, on the same curves), and the
ratio carries the measurement to DeepSeek-OCR's shapes:

* ``attention ratio`` = measured / predicted decode attention at ``(b, k)``, 8 heads;
* ``MoE ratio`` = measured / predicted fused experts of the tabled shape at ``b`` tokens;
* the **composed step** = the profile's step with its attention cores times the attention ratio and its fused
  MoE kernels times the MoE ratio; every other kernel (the projections, norms, rotary, cache writes, the gate, the
  shared experts, the dense first layer) keeps the profile's time (the GEMMs among them are checked against
  aiconfigurator-core in ``reports/validation/portable.md``).

The ratios and the correction are :mod:`llm_perf_opt.serving.kernel_data`'s, which ``--mode serve --kernel-data
aiconfigurator`` applies to every engine step; this report shows, at the tabled points, how much that changes.

The step error is ``(profile - composed) / composed``: how far the serving model's decode step sits from what vLLM's
measured kernels give, kernels only (no launch gaps, no host). Where aiconfigurator-core has no ``balanced`` routing
for a GPU (the A100's older table), its flattest power law is used: fewer experts receive tokens at small batches
than under the uniform routing the model assumes, so that GPU's MoE ratio there reads low.

Example
-------
>>> StepPoint(batch=1, kv_len=512, profile=StepKernels(total_s=10.0, attention_s=4.0, moe_s=3.0),
...           attention_ratio=1.1, moe_ratio=0.5).composed_s
8.9
"""

from __future__ import annotations

import functools
import json
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from attrs import define

from llm_perf_opt.hardware.portable import BF16_BYTES, aiconfigurator_extract, time_basis
from llm_perf_opt.hardware.registry import load_hardware
from llm_perf_opt.kernels.timing import RuntimeCache
from llm_perf_opt.serving.kernel_data import (
    PROFILE,
    KernelPoint,
    ProfileKernels,
    StepKernels,
    corrected_s,
    measured_kernels,
    ratios_of,
)
from llm_perf_opt.validation.aiconfigurator import EXTRACT
from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch
from modelmeter.models.deepseek_ocr.layers.core import DeepseekOCRDecodeStep

REPORT = Path("reports/validation/serving-aiconfigurator.md")
SUMMARY = Path("reports/validation/serving-aiconfigurator.json")
TARGET_BATCHES = (1, 128)
"""The decode batches the serving targets cover (``docs/serving.md``)."""


@define(frozen=True, kw_only=True)
class StepPoint:
    """One decode step of DeepSeek-OCR: the profile's kernel time and the composed one."""

    batch: int
    kv_len: int
    profile: StepKernels
    attention_ratio: float
    moe_ratio: float

    @property
    def composed_s(self) -> float:
        """The composed step (module docstring)."""
        return corrected_s(
            self.profile.total_s, self.profile, attention_ratio=self.attention_ratio, moe_ratio=self.moe_ratio
        )

    @property
    def error_pct(self) -> float:
        """Signed error of the profile's step against the composed one, in percent."""
        return 100.0 * (self.profile.total_s - self.composed_s) / self.composed_s


@define(frozen=True, kw_only=True)
class GpuSteps:
    """One GPU: its basis, tabled kernels, kernel families and steps."""

    hardware: str
    basis: str
    attention_source: str
    moe_source: str
    moe_shape: str
    moe_one_token_bytes: int
    """The weights one token's fused experts read at the tabled shape (``top_k`` experts' three matrices, bf16)."""
    l2_bytes: int | None
    """The GPU's L2 (its entry's datasheet figure), ``None`` when the entry has none."""
    kernels: tuple[KernelPoint, ...]
    steps: tuple[StepPoint, ...]

    def stats(self) -> dict[str, float]:
        """Median and worst absolute errors: of the steps (all, and at the target batches), of each kernel kind."""
        out: dict[str, float] = {}
        groups = {
            "step": [s.error_pct for s in self.steps],
            "step_target": [s.error_pct for s in self.steps if TARGET_BATCHES[0] <= s.batch <= TARGET_BATCHES[1]],
            "attention": [k.error_pct for k in self.kernels if k.kind == "attention"],
            "moe": [k.error_pct for k in self.kernels if k.kind == "moe"],
        }
        for name, errors in groups.items():
            if errors:
                out[f"{name}_median_abs_error_pct"] = statistics.median(abs(e) for e in errors)
                out[f"{name}_max_abs_error_pct"] = max(abs(e) for e in errors)
                out[f"{name}_median_error_pct"] = statistics.median(errors)
        return out


def gpu_steps(data: dict[str, Any], name: str, arch: DeepseekOCRArch, cache: RuntimeCache) -> GpuSteps:
    """One GPU's comparison (module docstring)."""
    spec = load_hardware(name)
    kernels = ProfileKernels(spec, cache)
    entry = data["gpus"][name]
    points = measured_kernels(entry, kernels, arch.language)
    ratios = ratios_of(points, name)
    tokens = {p.key[0] for p in points if p.kind == "moe"}
    steps = []
    for batch, kv_len in sorted(p.key for p in points if p.kind == "attention"):
        if batch not in tokens:
            continue
        step = DeepseekOCRDecodeStep(config=arch.language, batch=batch, kv_len=kv_len, attention="flash")
        steps.append(
            StepPoint(
                batch=batch,
                kv_len=kv_len,
                profile=kernels.kernels(step, "decode"),
                attention_ratio=ratios.attention_at(batch, kv_len),
                moe_ratio=ratios.moe_at(batch),
            )
        )
    first = entry["moe"][0] if entry["moe"] else None
    shape = f"{first['experts']} x {first['hidden']} x {first['intermediate']}, top {first['top_k']}" if first else ""
    one_token = BF16_BYTES * 3 * first["top_k"] * first["hidden"] * first["intermediate"] if first else 0
    return GpuSteps(
        hardware=name,
        basis=time_basis(spec),
        attention_source=entry["decode_attention"][0]["kernel_source"] if entry["decode_attention"] else "",
        moe_source=first["kernel_source"] if first else "",
        moe_shape=shape,
        moe_one_token_bytes=one_token,
        l2_bytes=round(spec.l2_cache_mb.value * 1e6) if spec.l2_cache_mb is not None else None,
        kernels=tuple(points),
        steps=tuple(steps),
    )


@functools.cache
def comparisons() -> tuple[GpuSteps, ...]:
    """Every GPU of the packaged extract (the checkout's ``EXTRACT``) with decode-attention and fused-MoE points."""
    data = aiconfigurator_extract()
    arch, cache = DeepseekOCRArch(), RuntimeCache()
    names = [n for n, e in data["gpus"].items() if e.get("decode_attention") and e.get("moe")]
    return tuple(gpu_steps(data, name, arch, cache) for name in names)


def _pct(value: float) -> str:
    return f"{value:+.1f} %"


def build() -> dict[str, Any]:
    """The summary (machine-readable) and the comparisons behind the report."""
    gpus = comparisons()
    data = aiconfigurator_extract()
    summary = {
        "source": data["source"],
        "profile": PROFILE,
        "gpus": {
            g.hardware: {
                "basis": g.basis,
                "attention_kernel": g.attention_source,
                "moe_kernel": g.moe_source,
                "moe_shape": g.moe_shape,
                **{k: round(v, 3) for k, v in g.stats().items()},
            }
            for g in gpus
        },
    }
    return {"summary": summary, "_gpus": gpus}


def _l2_note(gpus: Sequence[GpuSteps]) -> list[str]:
    """Which GPUs hold one token's expert weights in their L2 (aiconfigurator-core replays each call)."""
    if not gpus:
        return []
    one = gpus[0].moe_one_token_bytes
    held = [g.hardware for g in gpus if g.l2_bytes is not None and g.l2_bytes >= one]
    if not held:
        return []
    return [
        f"One token's fused experts read {one / 1e6:.1f} MB of weights at the tabled shape, which the L2 of "
        f"{', '.join(held)} holds. A benchmark that repeats a call on one set of weights (as aiconfigurator-core's "
        "GEMM tables do, `reports/validation/portable.md`) then reads them from the L2, where the profile, like a "
        "model's decode (its 11 MoE layers' weights far beyond any L2), reads them from the memory: on those GPUs "
        "the one-token point is the profile's longest.",
        "",
    ]


def render(data: dict[str, Any]) -> str:
    """The report's Markdown."""
    gpus: tuple[GpuSteps, ...] = data["_gpus"]
    lines = [
        "# The serving decode step against aiconfigurator-core's measured vLLM kernels",
        "",
        f"Generated by `llm_perf_opt.validation.aiconfigurator_steps` (`python -m llm_perf_opt.regen`) from "
        f"`{EXTRACT.as_posix()}` ({data['summary']['source']}). Do not edit by hand; machine-readable: "
        f"`{SUMMARY.as_posix()}`.",
        "",
        "The serving model times a decode step as the `fused` profile runs it (`llm_perf_opt.serving.steps`). At "
        "large batches two kernel families take most of it: the decoder's paged flash attention and the routed "
        "experts' fused MoE kernels, which the profile times on the curves of torch's grouped product (an estimate "
        "for vLLM's Triton `fused_moe`). NVIDIA's aiconfigurator-core measured both under vLLM at shapes near "
        "DeepSeek-OCR's. Each tabled latency is set against the profile's prediction at the tabled shape; the "
        "ratio scales the profile's own attention or MoE time in DeepSeek-OCR's step, and the rest of the step "
        "keeps the profile's kernels (the module docstring gives the formula). Kernel time only: no launch gaps, "
        "no host.",
        "",
        "| GPU | basis | attention kernel | MoE kernel (shape) | attention: median / worst (signed median) "
        "| MoE: median / worst (signed median) | step, batch 1-128: median / worst (signed median) |",
        "|---|---|---|---|---|---|---|",
    ]
    for g in gpus:
        s = g.stats()

        def cell(name: str, stats: dict[str, float] = s) -> str:
            return (
                f"{stats[f'{name}_median_abs_error_pct']:.1f} % / {stats[f'{name}_max_abs_error_pct']:.1f} % "
                f"({_pct(stats[f'{name}_median_error_pct'])})"
            )

        lines.append(
            f"| {g.hardware} | {g.basis} | `{g.attention_source}` | `{g.moe_source}` ({g.moe_shape}) | "
            f"{cell('attention')} | {cell('moe')} | {cell('step_target')} |"
        )
    lines += [
        "",
        "A positive error: the profile is slower than vLLM's measured kernels. The MoE rows include prefill-sized "
        "token counts (up to 8,192); the steps take the MoE ratio at their batch.",
        "",
        *_l2_note(gpus),
        "## Decode steps, point by point",
        "",
    ]
    for g in gpus:
        lines += [
            f"<details><summary>{g.hardware} ({g.basis}): {len(g.steps)} steps</summary>",
            "",
            "| batch | keys | profile (ms) | attention ratio | MoE ratio | composed (ms) | profile vs composed |",
            "|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for st in g.steps:
            lines.append(
                f"| {st.batch} | {st.kv_len:,} | {st.profile.total_s * 1e3:.3f} | {st.attention_ratio:.3f} | "
                f"{st.moe_ratio:.3f} | {st.composed_s * 1e3:.3f} | {_pct(st.error_pct)} |"
            )
        lines += ["", "</details>", ""]
    lines += ["## Tabled kernels, point by point", ""]
    for g in gpus:
        lines += [
            f"<details><summary>{g.hardware} ({g.basis}): {len(g.kernels)} kernels</summary>",
            "",
            "| kind | shape | measured (us) | predicted (us) | error |",
            "|---|---|---:|---:|---:|",
        ]
        for k in g.kernels:
            lines.append(
                f"| {k.kind} | {k.label} | {k.measured_s * 1e6:.1f} | {k.predicted_s * 1e6:.1f} | {_pct(k.error_pct)} |"
            )
        lines += ["", "</details>", ""]
    return "\n".join(lines).rstrip() + "\n"


def doc_table() -> str:
    """The per-GPU summary for ``docs/serving.md``: signed kernel medians and the step's errors at batch 1-128."""
    from llm_perf_opt.visualize.tables import markdown_table

    rows = []
    for g in comparisons():
        s = g.stats()
        rows.append(
            [
                g.hardware,
                g.basis,
                _pct(s["attention_median_error_pct"]),
                _pct(s["moe_median_error_pct"]),
                f"{s['step_target_median_abs_error_pct']:.1f} %",
                f"{s['step_target_max_abs_error_pct']:.1f} %",
            ]
        )
    header = [
        "GPU",
        "basis",
        "decode attention, signed median",
        "fused MoE, signed median",
        "step, batch 1-128: median",
        "worst",
    ]
    return markdown_table(header, rows, align="llrrrr")


def outputs(repo: Path) -> dict[Path, str]:
    """The files this module writes -> their text."""
    data = build()
    return {
        repo / REPORT: render(data),
        repo / SUMMARY: json.dumps(data["summary"], indent=1, sort_keys=True) + "\n",
    }


def step_at(gpus: Sequence[GpuSteps], hardware: str, batch: int, kv_len: int) -> StepPoint | None:
    """The step point of ``hardware`` at ``(batch, kv_len)``, if tabled."""
    for g in gpus:
        if g.hardware == hardware:
            return next((s for s in g.steps if (s.batch, s.kv_len) == (batch, kv_len)), None)
    return None
