"""The kernel-time curves against NVIDIA aiconfigurator-core's measured GEMM and vision-attention latencies.

``src/llm_perf_opt/conf/aiconfigurator/points.json`` (written by ``scripts/aiconfigurator/extract_points.py`` from
the optional ``aiconfigurator`` extra) holds, per GPU, vLLM's measured bf16 ``torch.nn.functional.linear``
latencies at DeepSeek-OCR's Linear shapes and its ViT flash-attention latencies at SAM's and CLIP's heads. Each
point is predicted on the GPU's kernel-time curves (:func:`llm_perf_opt.kernels.timing.launch_costs`: measured
for a calibrated GPU, the portable model's otherwise) as the kernel kind the runtime profiles give it:

* GEMM ``(m, n, k)``: kind ``gemm``, ``2 m n k`` Tensor-Core FLOPs, ``2 (m k + k n + m n)`` bytes (bf16);
* attention (batch ``b``, ``s`` tokens, ``h`` heads of size ``d``, no mask): kind ``attention``, ``4 b h s^2 d``
  FLOPs, ``8 b s h d`` bytes (q, k, v and the output in bf16).

Two errors per point: the **raw** error against the latency, and the **scaling** error: the predicted ratio of
the GPU's time to the H100 SXM's (calibrated) against the measured ratio at the same point, which removes what
the two frameworks' kernels differ by on every GPU alike (e.g. vLLM's ViT attention wrapper against torch's SDPA,
what the curves measured) and keeps what the portable model claims: how time moves from one GPU to another.

Example
-------
>>> gemm_work(m=2, n=3, k=4)
(48, 52)
>>> attention_work(batch=1, isl=2, heads=1, head_dim=4)
(64, 64)
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from attrs import define, evolve

from llm_perf_opt.data.hardware import HardwareSpec, KernelCurves
from llm_perf_opt.hardware.curves import kind_seconds
from llm_perf_opt.hardware.portable import BF16_BYTES, gemm_work, time_basis
from llm_perf_opt.hardware.registry import load_hardware
from llm_perf_opt.kernels.timing import launch_costs

EXTRACT = Path("src/llm_perf_opt/conf/aiconfigurator/points.json")
"""The committed extract, relative to the checkout."""
SCALING_REFERENCE = "h100-sxm"
"""The GPU the scaling error divides by (calibrated; aiconfigurator measured it at every point)."""
KINDS: tuple[str, ...] = ("gemm", "attention")


def attention_work(*, batch: int, isl: int, heads: int, head_dim: int) -> tuple[int, int]:
    """(Tensor-Core FLOPs, bytes) of bidirectional attention (scores and their product with v; q, k, v, out)."""
    return 4 * batch * heads * isl * isl * head_dim, BF16_BYTES * 4 * batch * isl * heads * head_dim


def point_key(kind: str, p: dict[str, Any]) -> tuple[int, ...]:
    """The shape of a point (what matches it across GPUs)."""
    if kind == "gemm":
        return (p["m"], p["n"], p["k"])
    return (p["batch"], p["isl"], p["heads"], p["head_dim"])


def predicted_seconds(curves: KernelCurves, kind: str, p: dict[str, Any]) -> float:
    """A point's kernel time on ``curves`` (the larger of its compute and memory curve times)."""
    if kind == "gemm":
        flops, io = gemm_work(m=p["m"], n=p["n"], k=p["k"])
    else:
        flops, io = attention_work(batch=p["batch"], isl=p["isl"], heads=p["heads"], head_dim=p["head_dim"])
    return max(kind_seconds(curves, kind, flops, io))


@define(frozen=True, kw_only=True)
class PointError:
    """One point: its shape, measured and predicted seconds, and the two signed errors in percent."""

    kind: str
    key: tuple[int, ...]
    label: str
    measured_s: float
    predicted_s: float
    scaling_error_pct: float | None

    @property
    def error_pct(self) -> float:
        """Signed raw error in percent."""
        return 100.0 * (self.predicted_s - self.measured_s) / self.measured_s


@define(frozen=True, kw_only=True)
class GpuComparison:
    """One GPU under one basis: its points and statistics."""

    hardware: str
    basis: str
    """``calibrated``, ``portable`` (from every calibrated GPU), or ``portable from <gpu>`` (leave-one-out)."""
    points: tuple[PointError, ...]

    def stats(self, kind: str) -> dict[str, float]:
        """Count, median and worst absolute raw error, signed median, and the same for the scaling error."""
        rows = [p for p in self.points if p.kind == kind]
        if not rows:
            return {}
        raw = [p.error_pct for p in rows]
        out = {
            "points": float(len(rows)),
            "median_abs_error_pct": statistics.median(abs(e) for e in raw),
            "max_abs_error_pct": max(abs(e) for e in raw),
            "median_error_pct": statistics.median(raw),
        }
        scaled = [p.scaling_error_pct for p in rows if p.scaling_error_pct is not None]
        if scaled:
            out["scaling_median_abs_error_pct"] = statistics.median(abs(e) for e in scaled)
            out["scaling_max_abs_error_pct"] = max(abs(e) for e in scaled)
        return out


def _label(kind: str, p: dict[str, Any]) -> str:
    if kind == "gemm":
        model = p["model_layers"] or f"near {p['surrogate_for']}"
        return f"m={p['m']} n={p['n']} k={p['k']} ({model})"
    return f"b={p['batch']} s={p['isl']} h={p['heads']} ({p['model_layers']})"


def load_extract(repo: Path) -> dict[str, Any]:
    """The committed extract."""
    data: dict[str, Any] = json.loads((repo / EXTRACT).read_text(encoding="utf-8"))
    return data


def compare_gpu(
    data: dict[str, Any], spec: HardwareSpec, curves: KernelCurves, basis: str, reference: KernelCurves
) -> GpuComparison:
    """``spec``'s extracted points predicted on ``curves``; ``reference``: the H100 SXM's calibrated curves."""
    gpus = data["gpus"]
    ref_points = {kind: {point_key(kind, p): p for p in gpus[SCALING_REFERENCE][kind]} for kind in KINDS}
    rows = []
    for kind in KINDS:
        for p in gpus[spec.name][kind]:
            key = point_key(kind, p)
            measured = p["latency_ms"] * 1e-3
            predicted = predicted_seconds(curves, kind, p)
            scaling = None
            q = ref_points[kind].get(key)
            if q is not None:
                measured_ratio = measured / (q["latency_ms"] * 1e-3)
                predicted_ratio = predicted / predicted_seconds(reference, kind, q)
                scaling = 100.0 * (predicted_ratio - measured_ratio) / measured_ratio
            rows.append(
                PointError(
                    kind=kind,
                    key=key,
                    label=_label(kind, p),
                    measured_s=measured,
                    predicted_s=predicted,
                    scaling_error_pct=scaling,
                )
            )
    return GpuComparison(hardware=spec.name, basis=basis, points=tuple(rows))


def comparisons(repo: Path, leave_one_out: Sequence[tuple[str, str]] = ()) -> list[GpuComparison]:
    """Every GPU of the extract on its own curves (calibrated or portable), then each ``(gpu, reference)`` of
    ``leave_one_out`` on portable curves learned from ``reference`` alone."""
    data = load_extract(repo)
    reference_curves = launch_costs(load_hardware(SCALING_REFERENCE)).curves
    assert reference_curves is not None  # every entry has curves
    out = []
    for name in data["gpus"]:
        spec = load_hardware(name)
        curves = launch_costs(spec).curves
        assert curves is not None
        out.append(compare_gpu(data, spec, curves, time_basis(spec), reference_curves))
    for name, ref in leave_one_out:
        spec = load_hardware(name)
        curves = launch_costs(evolve(spec, calibration=None), [load_hardware(ref)]).curves
        assert curves is not None
        out.append(compare_gpu(data, spec, curves, f"portable from {ref}", reference_curves))
    return out
