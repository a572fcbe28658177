"""vLLM's measured decode attention and fused MoE (NVIDIA aiconfigurator-core) as corrections to a serving step.

The serving model times an engine step as the ``fused`` runtime profile runs it (:mod:`llm_perf_opt.serving.steps`).
At large batches two kernel families take most of a decode step: the decoder's paged flash attention and the routed
experts' fused MoE kernels (``moe_align_block_size``, the two grouped products, SiLU-and-multiply and ``moe_sum``:
what vLLM's ``fused_experts`` runs), which the profile estimates (the MoE on the curves of torch's grouped product).
aiconfigurator-core measured both under vLLM on six GPUs (the packaged extract
``conf/aiconfigurator/points.json``, written by ``scripts/aiconfigurator/extract_points.py``) at shapes near
DeepSeek-OCR's: decode attention with 8 query and 8 key/value heads of 128 at batches 1 to 256 and 512 to 4,096
keys; ``fused_experts`` of 128 experts of 2,048 x 768, top 8, at 1 to 8,192 tokens.

**Ratios.** At each tabled point, ``ratio = measured / predicted``, the prediction being the ``fused`` profile's
own kernels for the tabled shape (the attention cores of a decode step of that shape, per layer; the fused-MoE
kernels of a MoE layer of that shape) on the measured GPU's curves. A ratio is the measured kernel's time over
the profile's estimate of it, with the shape and the GPU's datasheet already in the estimate.

**Correction** (``--kernel-data aiconfigurator``): a step's time under ``fused`` plus its attention cores' kernel
time times ``(attention ratio - 1)`` and its fused-MoE kernels' time times ``(MoE ratio - 1)``::

    corrected_s = step_s + attention_s * (r_attention(batch, keys) - 1) + moe_s * (r_moe(tokens) - 1)

A decode step takes both at its batch and mean keys; a step with prefill tokens takes the MoE ratio at its tokens
(its attention is prefill attention, which the extract does not hold). Ratios are interpolated linearly in the
logarithms of batch, keys and tokens, and held at the grid's edge outside it. A GPU the extract covers takes its
own ratios; another takes those of the extract's GPU of the same compute capability (an A100-40GB the
A100-80GB's; the ratio is the kernel's, the datasheet's part being in the prediction), the first by name when
several share it; a GPU of an architecture aiconfigurator-core did not measure has none. Where the extract has no
``balanced`` routing for a GPU (the A100's older table) its MoE ratios come from the flattest power law it
has: fewer experts receive tokens at small batches than under uniform routing, so those ratios read low.

Example
-------
>>> r = KernelRatios(source="x", attention_rows=((1, ((512, 2.0), (1024, 4.0))), (4, ((512, 1.0), (1024, 1.0)))),
...                  moe_points=((1, 1.5), (16, 0.5)))
>>> round(r.attention_at(1, (512 * 1024) ** 0.5), 9), r.attention_at(2, 512), r.attention_at(1, 9000), r.moe_at(4)
(3.0, 1.5, 4.0, 1.0)
"""

from __future__ import annotations

import bisect
import functools
import math
from collections.abc import Sequence
from typing import Any

from attrs import define, evolve

from llm_perf_opt.data.hardware import HardwareSpec
from llm_perf_opt.hardware.portable import aiconfigurator_extract
from llm_perf_opt.hardware.registry import list_hardware, load_hardware
from llm_perf_opt.kernels.inventory import KernelRecord
from llm_perf_opt.kernels.profiles import load_runtime
from llm_perf_opt.kernels.timing import RuntimeCache
from modelmeter.layers.base import BaseLayer
from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch, DeepseekV2TextConfig
from modelmeter.models.deepseek_ocr.layers.core import DeepseekOCRDecodeStep
from modelmeter.models.deepseek_ocr.layers.decoder.deepseek_v2_moe import DeepseekV2MoE

PROFILE = "fused"
"""The runtime profile the ratios are taken against (and the only one they correct)."""
MOE_CLASS = "DeepseekV2MoE"
FUSED_EXPERTS: frozenset[str] = frozenset(
    {"moe_align_block_size", "w13_grouped_gemm", "silu_and_mul", "w2_grouped_gemm", "moe_sum"}
)
"""The ``fused`` profile's kernels of a MoE layer that vLLM's ``fused_experts`` runs (the routing and the shared
experts' add are outside it)."""


@define(frozen=True, kw_only=True)
class StepKernels:
    """The ``fused`` profile's kernel time of one layer tree on one GPU: in all, in its attention cores and in its
    fused-MoE kernels (seconds)."""

    total_s: float
    attention_s: float
    moe_s: float


def is_fused_experts(record: KernelRecord) -> bool:
    """Whether a kernel is one of a MoE layer's :data:`FUSED_EXPERTS`."""
    return record.layer_class == MOE_CLASS and record.kernel in FUSED_EXPERTS


class ProfileKernels:
    """The ``fused`` profile's kernel times of layer trees on one GPU (through one :class:`RuntimeCache`)."""

    def __init__(self, spec: HardwareSpec, cache: RuntimeCache | None = None) -> None:
        self.cache = RuntimeCache() if cache is None else cache
        self.spec, self.profile = spec, load_runtime(PROFILE)
        rates, costs = self.cache.gpu(spec)
        self.times = self.cache.kernel_times(rates, costs)

    def kernels(self, layer: BaseLayer, stage: str) -> StepKernels:
        """``layer``'s kernels run as ``stage``: their time in all, in attention cores, in fused-MoE kernels."""
        total = attention = moe = 0.0
        for record in self.cache.inventory(layer, self.profile, stage).records:
            seconds = self.times.of(record)[0] * record.calls
            total += seconds
            attention += seconds if record.attention_core else 0.0
            moe += seconds if is_fused_experts(record) else 0.0
        return StepKernels(total_s=total, attention_s=attention, moe_s=moe)


def attention_config(text: DeepseekV2TextConfig, heads: int, head_dim: int) -> DeepseekV2TextConfig:
    """``text`` with ``heads`` query and key/value heads of ``head_dim`` (a tabled decode-attention shape)."""
    return evolve(text, hidden_size=heads * head_dim, num_attention_heads=heads, num_key_value_heads=heads)


def moe_config(text: DeepseekV2TextConfig, p: dict[str, Any]) -> DeepseekV2TextConfig:
    """``text`` with a tabled fused-MoE shape's experts (no shared experts; heads of ``text``'s size)."""
    heads = p["hidden"] // text.head_dim
    return evolve(
        text,
        hidden_size=p["hidden"],
        num_attention_heads=heads,
        num_key_value_heads=heads,
        moe_intermediate_size=p["intermediate"],
        n_routed_experts=p["experts"],
        num_experts_per_tok=p["top_k"],
        n_shared_experts=0,
    )


@define(frozen=True, kw_only=True)
class KernelPoint:
    """One tabled kernel: its kind (``attention`` or ``moe``), where it sits, measured and predicted seconds."""

    kind: str
    label: str
    key: tuple[int, ...]
    """``(batch, keys)`` of an attention point, ``(tokens,)`` of a MoE point."""
    measured_s: float
    predicted_s: float

    @property
    def ratio(self) -> float:
        """Measured over predicted."""
        return self.measured_s / self.predicted_s

    @property
    def error_pct(self) -> float:
        """Signed error of the prediction in percent."""
        return 100.0 * (self.predicted_s - self.measured_s) / self.measured_s


def measured_kernels(entry: dict[str, Any], kernels: ProfileKernels, text: DeepseekV2TextConfig) -> list[KernelPoint]:
    """An extract entry's decode-attention and fused-MoE points, each with the profile's prediction on
    ``kernels``' GPU."""
    out = []
    for p in entry.get("decode_attention", []):
        cfg = attention_config(text, p["heads"], p["head_dim"])
        step = DeepseekOCRDecodeStep(config=cfg, batch=p["batch"], kv_len=p["kv_len"], attention="flash")
        predicted = kernels.kernels(step, "decode").attention_s / cfg.num_hidden_layers
        label = f"b={p['batch']} kv={p['kv_len']} h={p['heads']}/{p['kv_heads']}x{p['head_dim']}"
        measured = p["latency_ms"] * 1e-3
        key = (p["batch"], p["kv_len"])
        out.append(KernelPoint(kind="attention", label=label, key=key, measured_s=measured, predicted_s=predicted))
    for p in entry.get("moe", []):
        predicted = kernels.kernels(DeepseekV2MoE(config=moe_config(text, p), tokens=p["tokens"]), "decode").moe_s
        label = f"tokens={p['tokens']} ({p['distribution']})"
        out.append(
            KernelPoint(
                kind="moe", label=label, key=(p["tokens"],), measured_s=p["latency_ms"] * 1e-3, predicted_s=predicted
            )
        )
    return out


def corrected_s(seconds: float, parts: StepKernels, *, attention_ratio: float, moe_ratio: float) -> float:
    """``seconds`` with ``parts``' attention cores and fused-MoE kernels scaled by the two ratios (module docstring).

    Example
    -------
    >>> corrected_s(10.0, StepKernels(total_s=10.0, attention_s=4.0, moe_s=3.0), attention_ratio=1.5, moe_ratio=0.5)
    10.5
    """
    return seconds + parts.attention_s * (attention_ratio - 1.0) + parts.moe_s * (moe_ratio - 1.0)


def _log_interp(points: Sequence[tuple[int, float]], x: float) -> float:
    """Linear in ``log x`` between sorted ``(x, value)`` points, held at the ends."""
    xs = [p[0] for p in points]
    if x <= xs[0]:
        return points[0][1]
    if x >= xs[-1]:
        return points[-1][1]
    i = bisect.bisect_right(xs, x) - 1
    (x0, v0), (x1, v1) = points[i], points[i + 1]
    f = (math.log(x) - math.log(x0)) / (math.log(x1) - math.log(x0))
    return v0 + f * (v1 - v0)


@define(frozen=True, kw_only=True)
class KernelRatios:
    """Measured-over-predicted ratios of one measured GPU (module docstring)."""

    source: str
    """The extract's GPU they were measured on."""
    attention_rows: tuple[tuple[int, tuple[tuple[int, float], ...]], ...]
    """Per batch (increasing): ``(keys, ratio)`` pairs (increasing keys)."""
    moe_points: tuple[tuple[int, float], ...]
    """``(tokens, ratio)`` pairs (increasing tokens)."""

    def attention_at(self, batch: float, keys: float) -> float:
        """The decode-attention ratio at ``batch`` sequences of ``keys`` keys (1 without attention points)."""
        if not self.attention_rows:
            return 1.0
        rows = [(b, _log_interp(row, keys)) for b, row in self.attention_rows]
        return _log_interp(rows, batch)

    def moe_at(self, tokens: float) -> float:
        """The fused-MoE ratio at ``tokens`` tokens (1 without MoE points)."""
        return _log_interp(self.moe_points, tokens) if self.moe_points else 1.0


def ratios_of(points: Sequence[KernelPoint], source: str) -> KernelRatios:
    """The ratios of one GPU's measured points."""
    rows: dict[int, list[tuple[int, float]]] = {}
    for p in points:
        if p.kind == "attention":
            rows.setdefault(p.key[0], []).append((p.key[1], p.ratio))
    moe = sorted((p.key[0], p.ratio) for p in points if p.kind == "moe")
    return KernelRatios(
        source=source,
        attention_rows=tuple((b, tuple(sorted(row))) for b, row in sorted(rows.items())),
        moe_points=tuple(moe),
    )


def partner(spec: HardwareSpec, data: dict[str, Any] | None = None) -> str | None:
    """The extract's GPU whose ratios ``spec`` takes: itself, else the first by name of the same compute
    capability, else ``None``."""
    gpus = (aiconfigurator_extract() if data is None else data)["gpus"]
    usable = sorted(n for n, e in gpus.items() if e.get("decode_attention") or e.get("moe"))
    if spec.name in usable:
        return spec.name
    same = [n for n in usable if load_hardware(n).compute_capability == spec.compute_capability]
    return same[0] if same else None


@functools.cache
def _ratios(source: str) -> KernelRatios:
    spec = load_hardware(source)
    points = measured_kernels(
        aiconfigurator_extract()["gpus"][source], ProfileKernels(spec), DeepseekOCRArch().language
    )
    return ratios_of(points, source)


@functools.cache
def covered_gpus() -> tuple[str, ...]:
    """The packaged hardware entries that take ratios: the extract's GPUs with measurements, and every entry of
    their compute capabilities (an entry loaded from a file takes them by its compute capability too)."""
    return tuple(n for n in list_hardware() if partner(load_hardware(n)) is not None)


def kernel_ratios(spec: HardwareSpec) -> KernelRatios | None:
    """The ratios ``spec`` takes (:func:`partner`), ``None`` when none."""
    source = partner(spec)
    return None if source is None else _ratios(source)


class KernelDataError(ValueError):
    """The ratios were asked for under another runtime profile or on a GPU of an unmeasured architecture."""


def check_kernel_data(profile: str, spec: HardwareSpec) -> KernelRatios:
    """The ratios ``spec`` takes under the runtime profile named ``profile``; :class:`KernelDataError` (one line,
    ``kernel_data: ...``) when they do not apply: another profile, or no measured GPU of ``spec``'s compute
    capability."""
    if profile != PROFILE:
        raise KernelDataError(f"kernel_data: aiconfigurator corrects the {PROFILE} runtime only, got {profile}")
    ratios = kernel_ratios(spec)
    if ratios is None:
        raise KernelDataError(
            f"kernel_data: aiconfigurator has no measurements for {spec.name} (compute capability "
            f"{spec.compute_capability}); GPUs with them: {', '.join(covered_gpus())}"
        )
    return ratios


class StepCorrection:
    """The correction of one GPU's engine steps (module docstring): its ratios and the ``fused`` profile's kernel
    split of each step, through the caller's :class:`RuntimeCache`."""

    def __init__(self, ratios: KernelRatios, spec: HardwareSpec, cache: RuntimeCache | None = None) -> None:
        self.ratios, self.kernels = ratios, ProfileKernels(spec, cache)

    def decode_s(self, seconds: float, step: DeepseekOCRDecodeStep) -> float:
        """``seconds``, a decode step's time, with its attention and fused-MoE kernels corrected at its batch and
        keys."""
        r = self.ratios
        return corrected_s(
            seconds,
            self.kernels.kernels(step, "decode"),
            attention_ratio=r.attention_at(step.batch, step.kv_len),
            moe_ratio=r.moe_at(step.batch),
        )

    def prefill_s(self, seconds: float, layer: BaseLayer, tokens: int) -> float:
        """``seconds``, a step of ``tokens`` tokens with prefill (``layer``, run as ``prefill``), with its
        fused-MoE kernels corrected at ``tokens`` (its attention is prefill attention, not in the extract)."""
        parts = self.kernels.kernels(layer, "prefill")
        return corrected_s(seconds, parts, attention_ratio=1.0, moe_ratio=self.ratios.moe_at(tokens))
