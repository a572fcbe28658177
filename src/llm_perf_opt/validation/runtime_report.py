"""The runtime report: the kernel-level time model against the measured reference.

For every point of ``raw-<variant>.json`` (:mod:`llm_perf_opt.validation.measure_stages`) the analytic stage
layer (:func:`llm_perf_opt.validation.points.analytic_layer`) is run through the kernel inventory of
the runtime profile that describes the measured code (``fused`` -> ``hf-sdpa``, ``hf-eager`` ->
``hf-eager``; :data:`llm_perf_opt.validation.points.MEASURED_RUNTIME`) and timed by
:func:`llm_perf_opt.kernels.timing.inventory_runtime` with the hardware entry's measured calibration
(kernel-time curves, host cost per launch and per sync). Nothing is fitted: the constants come from
the hardware entry's microbenchmarks, the kernel lists from the profiles. ``hf-eager`` is compared on
the decoder stages only (:data:`DESCRIBED_STAGES`).

Writes ``--report`` (Markdown) and ``<raw-dir>/runtimes-summary.json``; the same inputs give the same
files (:mod:`llm_perf_opt.regen` writes the committed ones). Command line (``scripts/gpu/report_runtimes.py``)::

    python scripts/gpu/report_runtimes.py --raw-dir reports/validation/h100 \\
        --report reports/validation/h100-runtimes.md
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from attrs import define

from llm_perf_opt.data.hardware import HardwareSpec
from llm_perf_opt.data.stage_names import STAGE_NAMES
from llm_perf_opt.hardware.rates import achievable_rates
from llm_perf_opt.hardware.registry import load_hardware
from llm_perf_opt.kernels.inventory import KernelInventory, kernel_inventory
from llm_perf_opt.kernels.profiles import load_runtime
from llm_perf_opt.kernels.report import where_time_goes_markdown
from llm_perf_opt.kernels.timing import (
    LaunchCosts,
    StageRuntime,
    inventory_runtime,
    kernel_time,
    launch_costs,
    runtime_stage_times,
)
from llm_perf_opt.utils.atomic_output import write_file
from llm_perf_opt.utils.cli_boundary import DEBUG_FLAG, OneLineParser, run_command, wants_debug
from llm_perf_opt.validation.compare import ComparisonRow, compare, error_stats, shown_path
from llm_perf_opt.validation.kernel_families import (
    FAMILIES,
    measured_family_seconds,
    predicted_family,
)
from llm_perf_opt.validation.lease import with_lease_constants
from llm_perf_opt.validation.points import (
    GRAPH_VARIANT,
    MEASURED_RUNTIME,
    MeasuredPoint,
    analytic_layer,
    load_points,
    measured_profile,
    workload_for,
)
from llm_perf_opt.validation.roofline_report import check_report_flags
from modelmeter.models.deepseek_ocr.layers.core import DeepseekOCRModel

VARIANTS: tuple[str, ...] = ("fused", "hf-eager", GRAPH_VARIANT)
"""Measured variants, in report order (``raw-<variant>.json``)."""
STANDARD_MODE = "gundam-2x2"
"""The workload of the "where the time goes" tables: the measured Gundam 2x2 geometry, batch 1, the
default 1000 new tokens."""
TARGET_MEDIAN_PCT = 15.0
TARGET_WORST_PCT = 35.0
DESCRIBED_STAGES: dict[str, tuple[str, ...]] = {
    "fused": STAGE_NAMES,
    "hf-eager": ("prefill", "lm_head", "decode"),
    GRAPH_VARIANT: tuple(
        s
        for s, kind in load_runtime(MEASURED_RUNTIME[GRAPH_VARIANT]).execution.stages.items()
        if kind == "graph" and s in STAGE_NAMES  # the measured model is DeepSeek-OCR
    ),
}
"""Measured variant -> the stages whose measured code its runtime profile describes. The vision stages
were measured once, with transformers' modules (described by ``hf-sdpa``); ``hf-eager``'s vision entries
describe the vendor's DeepEncoder code, which was not measured, so they are not compared. The graph
replays cover the stages their profile runs as a ``graph`` (its ``execution``: SAM could not be captured)."""
MICRO = 1e-6


@define(frozen=True, kw_only=True)
class PointRuntime:
    """One measured point and its predictions under the runtime that describes it."""

    point: MeasuredPoint
    runtime: str
    calibrated: StageRuntime
    """Timed with the hardware entry's calibration (kernel-time curves and host costs)."""
    predicted_family_s: dict[str, float]
    measured_family_s: dict[str, float]


def _family_seconds(inventory: KernelInventory, spec: HardwareSpec, costs: LaunchCosts) -> dict[str, float]:
    rates = achievable_rates(spec)
    out = dict.fromkeys(FAMILIES, 0.0)
    for record in inventory.records:
        kt = kernel_time(record, rates, costs.min_kernel_s, costs.curves)
        out[predicted_family(record.kernel)] += kt.total_seconds
    return out


def point_runtimes(points: Sequence[MeasuredPoint], spec: HardwareSpec) -> list[PointRuntime]:
    """Predictions for ``points`` (each under its measured variant's runtime profile)."""
    rates = achievable_rates(spec)
    costs = launch_costs(spec)
    out = []
    for p in points:
        profile = measured_profile(p.runtime)
        layer = analytic_layer(p)
        inventory = kernel_inventory(layer, profile, path=p.stage)
        out.append(
            PointRuntime(
                point=p,
                runtime=p.runtime,
                calibrated=inventory_runtime(layer, inventory, rates, costs, stage=p.stage, path=p.stage),
                predicted_family_s=_family_seconds(inventory, spec, costs),
                measured_family_s=measured_family_seconds(p.kernels_by_name),
            )
        )
    return out


def comparisons(rows: Sequence[PointRuntime]) -> dict[str, list[ComparisonRow]]:
    """``kernel`` and ``wall`` rows (predicted vs measured) of ``rows``."""
    by_label = {r.point.label: r for r in rows}
    points = [r.point for r in rows]

    def wall(p: MeasuredPoint) -> float:
        return p.measured_wall_s

    return {
        "kernel": compare(points, lambda p: by_label[p.label].calibrated.predicted_kernel_s),
        "wall": compare(points, lambda p: by_label[p.label].calibrated.predicted_wall_s, measured=wall),
    }


def _stats(rows: Sequence[ComparisonRow]) -> dict[str, float]:
    median, worst = error_stats(rows)
    return {"median_abs_error_pct": median, "max_abs_error_pct": worst}


def _point_dict(r: PointRuntime, errors: dict[str, ComparisonRow]) -> dict[str, Any]:
    p = r.point
    return {
        "label": p.label,
        "stage": p.stage,
        "mode": p.mode,
        "batch": p.batch,
        "kv_len": p.kv_len,
        "kernels_inventory": r.calibrated.kernel_launches,
        "kernels_measured": p.kernels_per_call,
        "aten_ops_measured": p.aten_ops_per_call,
        "torch_calls_inventory": r.calibrated.torch_calls,
        "torch_calls_measured": p.torch_calls_per_call,
        "host_syncs": r.calibrated.host_syncs,
        "predicted_kernel_s": r.calibrated.predicted_kernel_s,
        "predicted_wall_s": r.calibrated.predicted_wall_s,
        "measured_kernel_s": p.measured_kernel_s,
        "measured_wall_s": p.measured_wall_s,
        "kernel_error_pct": errors["kernel"].error_pct,
        "wall_error_pct": errors["wall"].error_pct,
        "predicted_family_s": r.predicted_family_s,
        "measured_family_s": r.measured_family_s,
    }


def profile_summary(variant: str, raw: dict[str, Any], rows: Sequence[PointRuntime]) -> dict[str, Any]:
    """The ``runtimes-summary.json`` entry of one measured variant."""
    comp = comparisons(rows)
    points = [_point_dict(r, {k: v[i] for k, v in comp.items()}) for i, r in enumerate(rows)]
    return {
        "measured_variant": variant,
        "raw": f"raw-{variant}.json",
        "attn_implementation": raw.get("attn_implementation"),
        "experts_implementation": raw.get("experts_implementation"),
        "measured_at": raw["environment"]["measured_at"],
        "points": points,
        "kernel": _stats(comp["kernel"]),
        "wall": _stats(comp["wall"]),
        "stages": sorted({r.point.stage for r in rows}),
    }


def standard_times(spec: HardwareSpec) -> dict[str, dict[str, StageRuntime]]:
    """Profile -> stage -> :class:`StageRuntime` of the standard workload (hardware launch constants)."""
    model = DeepseekOCRModel(workload=workload_for(STANDARD_MODE))
    return {name: runtime_stage_times(model, spec, name) for name in (MEASURED_RUNTIME[v] for v in VARIANTS)}


def _costs_dict(costs: LaunchCosts, host: dict[str, Any]) -> dict[str, Any]:
    return {
        "launch_us": costs.enqueue.launch_s / MICRO,
        "module_launch_us": costs.module.launch_s / MICRO,
        "module_call_us": costs.module.call_s / MICRO,
        "kernel_curves": costs.curves is not None,
        "min_kernel_us": costs.min_kernel_s / MICRO,
        "graph_launch_us": costs.graph.launch_s / MICRO,
        "graph_kernel_gap_us": costs.graph.kernel_gap_s / MICRO,
        "eager_start_us": None if costs.module.start_s is None else costs.module.start_s / MICRO,
        "sync_us": costs.sync_s / MICRO,
        "measured": costs.measured,
        "host_us_per_kernel": float(host["host_us_per_kernel"]),
        "tiny_kernel_profiled_us": host.get("tiny_kernel_profiled_us"),
    }


@define(frozen=True, kw_only=True)
class RuntimeReport:
    """Everything the report shows: the JSON-ready ``summary``, the per-variant ``rows`` and the
    standard workload's stage times per profile."""

    summary: dict[str, Any]
    rows: dict[str, list[PointRuntime]]
    standard: dict[str, dict[str, StageRuntime]]


def build_report(raw_dir: Path, hardware: str = "h100-sxm", *, lease: bool = False) -> RuntimeReport:
    """The report's content, from the raw files under ``raw_dir``; with ``lease``, the host and graph
    constants are those measured with these files (:func:`lease_constants`) instead of the entry's."""
    spec = load_hardware(hardware)
    if lease and spec.calibration is not None:
        spec = with_lease_constants(spec, raw_dir)
    host = json.loads((raw_dir / "host-overhead.json").read_text())
    rows: dict[str, list[PointRuntime]] = {}
    profiles: dict[str, Any] = {}
    gpu = ""
    for variant in VARIANTS:
        path = raw_dir / f"raw-{variant}.json"
        raw = json.loads(path.read_text())
        gpu = raw["environment"]["gpu"]
        points = [p for p in load_points(path) if p.stage in DESCRIBED_STAGES[variant]]
        rows[variant] = point_runtimes(points, spec)
        profiles[MEASURED_RUNTIME[variant]] = profile_summary(variant, raw, rows[variant])
    standard = standard_times(spec)
    summary = {
        "gpu": gpu,
        "hardware": spec.name,
        "raw_dir": shown_path(raw_dir),
        "lease_constants": lease,
        "launch_costs": _costs_dict(launch_costs(spec), host),
        "targets": {"median_abs_error_pct": TARGET_MEDIAN_PCT, "max_abs_error_pct": TARGET_WORST_PCT},
        "profiles": profiles,
        "where_the_time_goes": {
            "workload": STANDARD_MODE,
            "profiles": {
                name: {
                    stage: {
                        "kernel_launches": rt.kernel_launches,
                        "host_syncs": rt.host_syncs,
                        **rt.shares(),
                        "predicted_kernel_s": rt.predicted_kernel_s,
                        "predicted_wall_s": rt.predicted_wall_s,
                    }
                    for stage, rt in times.items()
                }
                for name, times in standard.items()
            },
        },
    }
    return RuntimeReport(summary=summary, rows=rows, standard=standard)


def summary_json(summary: dict[str, Any]) -> str:
    """The summary as written to ``runtimes-summary.json`` (sorted keys, so the same inputs give the same file)."""
    return json.dumps(summary, indent=2, sort_keys=True) + "\n"


# ---- Markdown -----------------------------------------------------------------------------------------------------
def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.3f}"


def _pct(value: float) -> str:
    return f"{value:+.1f}%"


def _verdict(stats: dict[str, float]) -> str:
    ok = stats["median_abs_error_pct"] <= TARGET_MEDIAN_PCT and stats["max_abs_error_pct"] <= TARGET_WORST_PCT
    return "met" if ok else "**not met**"


def _stats_table(summary: dict[str, Any]) -> list[str]:
    lines = [
        "| runtime profile | measured variant | stages | points | kernel time: median / worst "
        "| wall time: median / worst |",
        "|---|---|---|---:|---|---|",
    ]
    for name, prof in summary["profiles"].items():
        cells = [name, f"`{prof['raw']}`", ", ".join(prof["stages"]), str(len(prof["points"]))]
        for key in ("kernel", "wall"):
            s = prof[key]
            cells.append(f"{s['median_abs_error_pct']:.1f} % / {s['max_abs_error_pct']:.1f} % ({_verdict(s)})")
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _points_table(prof: dict[str, Any]) -> list[str]:
    lines = [
        "| point | kernels inv. / meas. | pred. kernel (ms) | meas. kernel (ms) | error | pred. wall (ms) "
        "| meas. wall (ms) | error |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for p in prof["points"]:
        lines.append(
            f"| {p['label']} | {p['kernels_inventory']:,} / {p['kernels_measured']:,} | {_ms(p['predicted_kernel_s'])} "
            f"| {_ms(p['measured_kernel_s'])} | {_pct(p['kernel_error_pct'])} | {_ms(p['predicted_wall_s'])} "
            f"| {_ms(p['measured_wall_s'])} | {_pct(p['wall_error_pct'])} |"
        )
    return lines


def _family_table(prof: dict[str, Any]) -> list[str]:
    head = " | ".join(f"{f}: pred. / meas. (ms)" for f in FAMILIES)
    lines = [f"| point | {head} |", "|---|" + "---:|" * len(FAMILIES)]
    for p in prof["points"]:
        cells = [f"{_ms(p['predicted_family_s'][f])} / {_ms(p['measured_family_s'][f])}" for f in FAMILIES]
        lines.append(f"| {p['label']} | " + " | ".join(cells) + " |")
    return lines


def _family_totals(prof: dict[str, Any]) -> dict[str, tuple[float, float]]:
    return {
        f: (
            math.fsum(p["predicted_family_s"][f] for p in prof["points"]),
            math.fsum(p["measured_family_s"][f] for p in prof["points"]),
        )
        for f in FAMILIES
    }


def _count_lines(name: str, prof: dict[str, Any]) -> list[str]:
    points = prof["points"]
    off = [p for p in points if p["kernels_inventory"] != p["kernels_measured"]]
    text = f"Kernel counts: the `{name}` inventory equals the measured kernels per call at {len(points) - len(off)} of "
    text += f"{len(points)} points"
    if off:
        text += "; it differs at " + ", ".join(
            f"{p['label']} ({p['kernels_inventory'] - p['kernels_measured']:+d})" for p in off
        )
    lines = [text + ".", ""]
    eager = [p for p in points if p["torch_calls_measured"]]
    if eager:
        off = [p for p in eager if p["torch_calls_inventory"] != p["torch_calls_measured"]]
        text = (
            f"Python-level torch calls (the profile's `torch_calls`, against the calls counted by the measuring run): "
            f"equal at {len(eager) - len(off)} of {len(eager)} points"
        )
        if off:
            text += "; they differ at " + ", ".join(
                f"{p['label']} ({p['torch_calls_inventory'] - p['torch_calls_measured']:+d})" for p in off
            )
        lines += [text + ".", ""]
    return lines


def _gap_lines(prof: dict[str, Any], costs: dict[str, Any]) -> list[str]:
    totals = _family_totals(prof)
    ratios = ", ".join(f"{f} {p / m:.2f}" for f, (p, m) in totals.items() if m > 0)
    per_kernel = sorted(
        p["measured_wall_s"] / p["kernels_measured"] / MICRO for p in prof["points"] if p["kernels_measured"] >= 100
    )
    mid = per_kernel[len(per_kernel) // 2]
    per_op = sorted(
        p["measured_wall_s"] / p["aten_ops_measured"] / MICRO
        for p in prof["points"]
        if p["kernels_measured"] >= 100 and p.get("aten_ops_measured")
    )
    ops_text = (
        f" Per ATen operator call (views included, counted by the measuring run) the same wall times give "
        f"{per_op[0]:.1f} to {per_op[-1]:.1f} us."
        if per_op
        else ""
    )
    return [
        f"Predicted / measured kernel time summed over the points, per family: {ratios}. Measured wall time per "
        f"launched kernel at the points with at least 100 kernels: median {mid:.1f} us (from {per_kernel[0]:.1f} to "
        f"{per_kernel[-1]:.1f} us), against the host cost of eager module code of "
        f"{costs['module_launch_us']:.2f} us per kernel plus {costs['module_call_us']:.2f} us per torch call (the "
        f"Linear/SiLU stack of `host-overhead.json`, one call per kernel, gives {costs['host_us_per_kernel']:.2f} us "
        f"per kernel; the bare enqueue {costs['launch_us']:.2f} us).{ops_text}",
        "",
    ]


def _graph_gap_lines(prof: dict[str, Any], costs: dict[str, Any]) -> list[str]:
    """For a variant of CUDA-graph replays: the measured excess of the replay over its kernels, per kernel."""
    if prof["measured_variant"] != GRAPH_VARIANT:
        return []
    by_stage: dict[str, list[float]] = {}
    for p in prof["points"]:
        if p["kernels_measured"] >= 100:
            excess = p["measured_wall_s"] - p["measured_kernel_s"] - costs["graph_launch_us"] * MICRO
            by_stage.setdefault(p["stage"], []).append(excess / p["kernels_measured"] / MICRO)
    parts = ", ".join(f"{stage} {min(v):.2f} to {max(v):.2f} us" for stage, v in by_stage.items())
    return [
        f"Measured replay wall time less the measured kernel time and one graph launch "
        f"({costs['graph_launch_us']:.2f} us), per kernel: {parts}; the calibrated gap between a graph's kernels "
        f"is {costs['graph_kernel_gap_us']:.3f} us (`scripts/gpu/calibrate_graphs.py`'s chains of generic "
        "kernels).",
        "",
    ]


def _variant_note(prof: dict[str, Any]) -> str:
    experts = prof.get("experts_implementation")
    if prof["measured_variant"] == GRAPH_VARIANT:
        return (
            "the `fused` variant's calls, each captured once with `torch.cuda.graph` and replayed (one host launch "
            "per call, the same kernels): described by `hf-sdpa-graph`. SAM could not be captured (transformers' "
            "SAM encoder copies a pageable host tensor inside its forward), so it has no graph point."
        )
    if prof["measured_variant"] == "fused":
        return (
            'transformers 5\'s DeepseekOcr2 text model with `attn_implementation="sdpa"` (cuDNN flash kernels) and '
            f'`_experts_implementation="{experts}"`, eager launches, a DynamicCache: described by `hf-sdpa` '
            "(not the serving engine's `fused` profile)."
        )
    loop = (
        "the vendor's `moe_infer` loop (one host sync per MoE layer call, separate gate/up/down GEMMs per expert "
        "with tokens)"
        if experts == "vendor-loop"
        else "transformers' eager expert loop (one device-to-host sync per hit expert), not the vendor's `moe_infer`"
    )
    return (
        'transformers 5\'s text model with `attn_implementation="eager"` and '
        f'`_experts_implementation="{experts}"`: {loop}. Compared with `hf-eager`, which describes the vendor\'s '
        "Hugging Face code; its decoder entries follow transformers 4.46 (the vendor's) where the measured model "
        "runs transformers 5 (see the kernel counts)."
    )


def render_markdown(summary: dict[str, Any], standard: dict[str, dict[str, StageRuntime]]) -> str:
    """The report."""
    c = summary["launch_costs"]
    lines = [
        f"# Kernel-level time model vs the measured reference on {summary['gpu']}",
        "",
        f"Generated by `scripts/gpu/report_runtimes.py` from `{summary['raw_dir']}/` (`raw-fused.json`, "
        "`raw-hf-eager.json`, `raw-fused-graph.json`, `host-overhead.json`) and `conf/hardware/"
        f"{summary['hardware']}.yaml`"
        + (
            " with the host and graph constants measured with these files (`--lease-constants`: "
            "`host-overhead.json`, `graph-costs.json`, `graph-costs-after.json`)"
            if summary["lease_constants"]
            else ""
        )
        + f". Do not edit by hand; machine-readable: `{summary['raw_dir']}/runtimes-summary.json`.",
        "",
        "## How it was predicted",
        "",
        "- Each measured point's analytic stage layer (`llm_perf_opt.validation.points.analytic_layer`) through the "
        "kernel inventory of the runtime profile that describes the measured code, then kernel time and wall time of "
        "`llm_perf_opt.kernels.timing`.",
        "- Kernel time: each kernel takes the larger of its compute and memory time, each read from the hardware "
        "entry's measured kernel-time curves for the kernel's kind (`calibration.kernel_curves`, from "
        "`scripts/gpu/calibrate_curves.py`: time against size of generic operations: a device copy, a contiguous "
        "add, an up-cast, a permuting copy, a broadcast add, a row sum, a one-row and a square bf16 matmul, and "
        "SDPA without a mask, with a shared additive mask and with a full per-head bias; raw report "
        "`kernel-curves.json`). The curves carry each kind's fixed cost and the lower rates of small kernels; "
        "none of their operations is a DeepSeek-OCR module and none was fitted to these timings.",
        f"- Wall time: in eager code each kernel costs max(kernel, host cost per launch), plus host syncs "
        f"({c['sync_us']:.3f} us each). The host cost per launch of the `hf-*` profiles (`execution: module`) is "
        f"{c['module_launch_us']:.2f} us per kernel plus {c['module_call_us']:.2f} us per Python-level torch call "
        "of the call, its torch calls spread evenly over its launches (`host.module.launch_us`, `call_us`: "
        "split from the host cases of `host-overhead.json`, measured on the same host as the stages: a "
        "Linear/SiLU stack with one torch call per kernel and transformers' LlamaModel at toy size, eager and SDPA "
        "attention, with about 1.6); "
        "the first kernel of a call waits for the host's first launch, at least "
        + ("the host cost per launch" if c["eager_start_us"] is None else f"{c['eager_start_us']:.2f} us")
        + " (`host.eager_start_us`: one `x.add_(1)` call timed among the stages, its wall less its kernel). "
        "A stage replayed as a CUDA graph (`execution: graph` in `hf-sdpa-graph`) costs one graph launch "
        f"({c['graph_launch_us']:.2f} us) plus its kernels, each followed by a gap of "
        f"{c['graph_kernel_gap_us']:.3f} us (`host.graph.launch_us`, `kernel_gap_us`: "
        "`scripts/gpu/calibrate_graphs.py`, chains of generic kernels replayed as graphs in the same lease as "
        "the stages; raw `graph-costs.json`, `graph-costs-after.json`).",
        f"- Targets (the project's, for the kernel-level model): median absolute error at most "
        f"{TARGET_MEDIAN_PCT:.0f} %, worst at most {TARGET_WORST_PCT:.0f} %.",
        "",
        "## Which profile describes which measurement",
        "",
        "| measured variant | runtime profile | what ran |",
        "|---|---|---|",
    ]
    for name, prof in summary["profiles"].items():
        lines.append(f"| `{prof['raw']}` | `{name}` | {_variant_note(prof)} |")
    lines += [
        "",
        "The vision stages were measured once, with the same modules for both variants (transformers' "
        "DeepseekOcr2 SAM encoder with SDPA and a materialised relative-position bias, transformers' CLIP "
        "encoder layers). `hf-sdpa` describes those modules and is compared on them; `hf-eager`'s vision entries "
        "describe the vendor's DeepEncoder code (eager LayerNorm2d, its own attention), which was not measured "
        "(no vendor code or weights here), so `hf-eager` is compared on the decoder stages only. The CUDA-graph "
        "variant (`hf-sdpa-graph`) has every stage but SAM, whose call cannot be captured.",
        "",
        "Not measured, so not validated here: `fused` (a serving engine's kernel lists: fused norms and "
        "activations, fused MoE, CUDA-graph decode; no vLLM on the measuring machine) and `hf-fa2` (the vendor's "
        "code with FlashAttention-2 in the decoder, as the vendor's run script loads it; no flash-attn package on "
        "the measuring machine). Their kernels that the measured variants share (GEMMs, SDPA/flash attention, "
        "grouped experts, CUDA-graph replay) are timed on the same curves and constants.",
        "",
        "## Result",
        "",
        *_stats_table(summary),
        "",
    ]
    for name, prof in summary["profiles"].items():
        totals = _family_totals(prof)
        lines += [
            f"### `{name}` (measured `{prof['raw']}`)",
            "",
            *_count_lines(name, prof),
            *_points_table(prof),
            "",
            *_gap_lines(prof, c),
            *_graph_gap_lines(prof, c),
            "Predicted vs measured kernel time per kernel family (kernel names from the profiler; predicted kernels "
            "by their profile names):",
            "",
            *_family_table(prof),
            "",
            "Summed over the points: " + "; ".join(f"{f} {_ms(p)} / {_ms(m)} ms" for f, (p, m) in totals.items()) + ".",
            "",
        ]
    lines += [
        "## What the model misses",
        "",
        "What the model leaves out, with the measurements behind each finding, is in the project's docs "
        "(`docs/time-model.md`, *What the model misses*); this report's host constants: "
        f"{c['module_launch_us']:.2f} us per launched kernel plus {c['module_call_us']:.2f} us per torch call.",
        "",
        "## Where the time goes (standard workload)",
        "",
        f"Predicted for the measured {STANDARD_MODE} geometry (batch 1, {workload_for(STANDARD_MODE).prefill_tokens} "
        f"prefill tokens, {workload_for(STANDARD_MODE).max_new_tokens} new tokens) with the hardware entry's launch "
        "constants.",
        "",
    ]
    for name, times in standard.items():
        lines += [where_time_goes_markdown(times, runtime=name, hardware=summary["hardware"], heading="###"), ""]
    return "\n".join(lines).rstrip() + "\n"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Flags (see ``--help``), checked before any work; :class:`InputError` (one line) for a bad one."""
    doc = __doc__ or ""
    p = OneLineParser(description=doc.splitlines()[0])
    p.add_argument("--raw-dir", type=Path, default=Path("reports/validation/h100"), help="raw JSON directory")
    p.add_argument("--report", type=Path, default=Path("reports/validation/h100-runtimes.md"), help="Markdown out")
    p.add_argument("--hardware", default="h100-sxm", help="hardware entry (conf/hardware/<name>.yaml)")
    p.add_argument(
        "--lease-constants",
        action="store_true",
        help="take the host and graph constants from --raw-dir's host-overhead.json and graph-costs*.json (another "
        "lease's run) instead of the hardware entry",
    )
    p.add_argument(DEBUG_FLAG, action="store_true", help="show the traceback of an unexpected error")
    args = p.parse_args(argv)
    check_report_flags(args)
    return args


def outputs(raw_dir: Path, report: Path, hardware: str = "h100-sxm", *, lease: bool = False) -> dict[Path, str]:
    """The files this script writes (``report`` and ``<raw_dir>/runtimes-summary.json``) -> their text."""
    built = build_report(raw_dir, hardware, lease=lease)
    return {
        raw_dir / "runtimes-summary.json": summary_json(built.summary),
        report: render_markdown(built.summary, built.standard),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Write the report and ``runtimes-summary.json`` (behind the one boundary: a bad flag is one line, exit 2)."""
    return run_command("report_runtimes.py", lambda: _main(argv), debug=wants_debug(argv))


def _main(argv: Sequence[str] | None) -> int:
    args = parse_args(argv)
    files = outputs(args.raw_dir, args.report, args.hardware, lease=args.lease_constants)
    for path, text in files.items():
        write_file(path, text, flag="--report" if path == args.report else "--raw-dir")
    summary = json.loads(files[args.raw_dir / "runtimes-summary.json"])
    for name, prof in summary["profiles"].items():
        k, w = prof["kernel"], prof["wall"]
        print(
            f"{name}: kernel {k['median_abs_error_pct']:.1f}/{k['max_abs_error_pct']:.1f} %, wall "
            f"{w['median_abs_error_pct']:.1f}/{w['max_abs_error_pct']:.1f} %"
        )
    return 0
