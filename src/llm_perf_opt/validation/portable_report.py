"""``reports/validation/portable.md``: the portable kernel-time model against measurements it never saw.

Two checks, both from committed data (``python -m llm_perf_opt.regen`` rewrites the report):

1. **Leave one GPU out.** The H100 SXM's measured stage points (``reports/validation/h100/raw-*.json``) are
   predicted with curves learned from the H200 alone and the H100's datasheet, and the H200's from the H100
   (:func:`llm_perf_opt.kernels.timing.launch_costs` with ``references``; the target's calibration removed).
   Kernel time and wall time per point; wall time twice: with the reference host's constants (what an
   uncalibrated GPU gets: the measured hosts' median, here the one other host) and with the target's own
   measured host constants (the GPU part of the model alone). The order of the two GPUs is checked at every
   point both measured. The datasheet roofline fallback the portable model replaces is shown beside it.
2. **aiconfigurator-core.** NVIDIA's measured GEMM and vision-attention latencies at DeepSeek-OCR's shapes
   (:mod:`llm_perf_opt.validation.aiconfigurator`) against each GPU's curves.

Usage (``python -m llm_perf_opt.regen`` writes it too)::

    python scripts/gpu/report_portable.py            # writes the report and its summary JSON
"""

from __future__ import annotations

import json
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from attrs import evolve

from llm_perf_opt.data.planning import BASIS_PORTABLE
from llm_perf_opt.hardware.curves import kind_seconds
from llm_perf_opt.hardware.portable import (
    REFERENCE_CLOCK_MHZ,
    architecture_factor,
    calibrated_gpus,
    curve_shapes,
    gemm_work,
    host_defaults,
    host_spread,
    measured_architecture_ratios,
    tensor_core_class,
    tensor_rate_per_sm_clock,
    time_basis,
)
from llm_perf_opt.hardware.rates import achievable_rates
from llm_perf_opt.hardware.registry import list_hardware, load_hardware
from llm_perf_opt.kernels.inventory import kernel_inventory
from llm_perf_opt.kernels.timing import (
    DEFAULT_LAUNCH_OVERHEAD_US,
    DEFAULT_MIN_KERNEL_US,
    DEFAULT_MODULE_CALL_US,
    DEFAULT_MODULE_LAUNCH_US,
    DEFAULT_SYNC_US,
    EagerLaunch,
    LaunchCosts,
    inventory_runtime,
    launch_costs,
)
from llm_perf_opt.utils.atomic_output import write_file
from llm_perf_opt.utils.cli_boundary import DEBUG_FLAG, OneLineParser, run_command, wants_debug
from llm_perf_opt.utils.input_error import InputError
from llm_perf_opt.validation.aiconfigurator import (
    EXTRACT,
    KINDS,
    SCALING_REFERENCE,
    GpuComparison,
    comparisons,
    load_extract,
)
from llm_perf_opt.validation.points import MeasuredPoint, analytic_layer, load_points, measured_profile
from llm_perf_opt.validation.runtime_report import DESCRIBED_STAGES, VARIANTS

ROOT = Path(__file__).resolve().parents[3]
"""The checkout this module runs from (``src/llm_perf_opt/validation/portable_report.py``)."""
REPORT = Path("reports/validation/portable.md")
SUMMARY = Path("reports/validation/portable-summary.json")
PAIRS: tuple[tuple[str, str, str], ...] = (
    ("h100-sxm", "h200", "reports/validation/h100"),
    ("h200", "h100-sxm", "reports/validation/h200"),
)
"""(target GPU, the one calibrated GPU its curves are learned from, the target's measured stage points)."""
KERNEL_TARGET = (15.0, 30.0)
WALL_TARGET = (15.0, 35.0)
ORDER_THRESHOLD = 0.10
"""Points whose two measured times differ by more than this fraction must be predicted in the same order."""
AIC_TARGET = 15.0
MICRO = 1e-6


def roofline_fallback_costs() -> LaunchCosts:
    """What an uncalibrated GPU got before the portable model: no curves (each kernel the roofline at 0.80 / 0.90
    of the datasheet peaks, floored at 2 us) and the documented default host constants."""
    return LaunchCosts(
        enqueue=EagerLaunch(launch_s=DEFAULT_LAUNCH_OVERHEAD_US * MICRO),
        min_kernel_s=DEFAULT_MIN_KERNEL_US * MICRO,
        sync_s=DEFAULT_SYNC_US * MICRO,
        measured=False,
        module=EagerLaunch(launch_s=DEFAULT_MODULE_LAUNCH_US * MICRO, call_s=DEFAULT_MODULE_CALL_US * MICRO),
    )


def _points(raw_dir: Path) -> list[tuple[str, MeasuredPoint]]:
    out = []
    for variant in VARIANTS:
        for p in load_points(raw_dir / f"raw-{variant}.json"):
            if p.stage in DESCRIBED_STAGES[variant]:
                out.append((variant, p))
    return out


def _pct(predicted: float, measured: float) -> float:
    return 100.0 * (predicted - measured) / measured


def leave_one_out(repo: Path, target: str, reference: str, raw: str) -> dict[str, Any]:
    """Per-point predictions of ``target``'s measured points from ``reference`` alone."""
    spec = load_hardware(target)
    ref = load_hardware(reference)
    assert spec.calibration is not None  # a calibrated GPU
    bare = evolve(spec, calibration=None)
    own_host = evolve(spec, calibration=evolve(spec.calibration, kernel_curves=None))
    costs = {
        "portable": launch_costs(bare, [ref]),
        "own_host": launch_costs(own_host, [ref]),
        "roofline": roofline_fallback_costs(),
    }
    rates = achievable_rates(bare)
    rows: list[dict[str, Any]] = []
    for variant, p in _points(repo / raw):
        layer = analytic_layer(p)
        inventory = kernel_inventory(layer, measured_profile(p.runtime), path=p.stage)
        timed = {
            k: inventory_runtime(layer, inventory, rates, c, stage=p.stage, path=p.stage) for k, c in costs.items()
        }
        rows.append(
            {
                "variant": variant,
                "runtime": p.runtime,
                "label": p.label,
                "measured_kernel_s": p.measured_kernel_s,
                "measured_wall_s": p.measured_wall_s,
                "kernel_s": timed["portable"].predicted_kernel_s,
                "wall_s": timed["portable"].predicted_wall_s,
                "wall_own_host_s": timed["own_host"].predicted_wall_s,
                "roofline_kernel_s": timed["roofline"].predicted_kernel_s,
                "roofline_wall_s": timed["roofline"].predicted_wall_s,
            }
        )
    for r in rows:
        r["kernel_error_pct"] = _pct(r["kernel_s"], r["measured_kernel_s"])
        r["wall_error_pct"] = _pct(r["wall_s"], r["measured_wall_s"])
        r["wall_own_host_error_pct"] = _pct(r["wall_own_host_s"], r["measured_wall_s"])
        r["roofline_kernel_error_pct"] = _pct(r["roofline_kernel_s"], r["measured_kernel_s"])
        r["roofline_wall_error_pct"] = _pct(r["roofline_wall_s"], r["measured_wall_s"])
    return {"target": target, "reference": reference, "raw_dir": raw, "points": rows, "stats": _loo_stats(rows)}


def _abs_stats(values: Sequence[float]) -> dict[str, float]:
    a = [abs(v) for v in values]
    return {"median_abs_error_pct": statistics.median(a), "max_abs_error_pct": max(a)}


def _loo_stats(rows: Sequence[dict[str, Any]]) -> dict[str, dict[str, float]]:
    keys = ("kernel", "wall", "wall_own_host", "roofline_kernel", "roofline_wall")
    return {k: _abs_stats([r[f"{k}_error_pct"] for r in rows]) for k in keys}


def order_check(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """At each point both GPUs measured, whether the predicted order of their times is the measured one
    (points whose measured times differ by more than :data:`ORDER_THRESHOLD`)."""
    theirs = {(r["variant"], r["label"]): r for r in b["points"]}
    checks = []
    for r in a["points"]:
        q = theirs.get((r["variant"], r["label"]))
        if q is None:
            continue
        for what, pred in (("kernel", "kernel_s"), ("wall", "wall_s"), ("wall, own hosts", "wall_own_host_s")):
            measured = "measured_kernel_s" if what == "kernel" else "measured_wall_s"
            ratio = r[measured] / q[measured]
            if abs(ratio - 1.0) <= ORDER_THRESHOLD:
                continue
            predicted = r[pred] / q[pred]
            checks.append(
                {
                    "variant": r["variant"],
                    "label": r["label"],
                    "time": what,
                    "measured_ratio": ratio,
                    "predicted_ratio": predicted,
                    "right": (ratio > 1.0) == (predicted > 1.0),
                }
            )
    return {"first": a["target"], "second": b["target"], "checks": checks}


def _aic_summary(comps: Sequence[GpuComparison]) -> list[dict[str, Any]]:
    out = []
    for c in comps:
        for kind in KINDS:
            s = c.stats(kind)
            if s:
                out.append({"hardware": c.hardware, "basis": c.basis, "kind": kind, **s})
    return out


def architecture_rows() -> list[dict[str, Any]]:
    """Every packaged GPU without measured curves: its Tensor-Core class and rate per SM-clock, the wave stretch
    and architecture factor its curves take, where the factor comes from, and its own measured ratio (shown,
    never used for it)."""
    refs = calibrated_gpus()
    ref_rate = statistics.geometric_mean(r for r in (tensor_rate_per_sm_clock(s) for s in refs) if r is not None)
    ratios = measured_architecture_ratios(refs)
    rows = []
    for name in list_hardware():
        spec = load_hardware(name)
        if time_basis(spec) != BASIS_PORTABLE:
            continue
        rate = tensor_rate_per_sm_clock(spec)
        f = architecture_factor(spec, refs)
        rows.append(
            {
                "hardware": name,
                "compute_capability": spec.compute_capability,
                "tensor_class": tensor_core_class(spec),
                "flops_per_sm_clock": rate,
                "wave_stretch": None if rate is None else ref_rate / rate,
                "factor": f.factor,
                "basis": f.basis,
                "learned_from": [list(x) for x in f.learned_from],
                "own_measured_ratio": ratios[name][1] if name in ratios else None,
            }
        )
    return rows


def family_transfer(repo: Path, comps: Sequence[GpuComparison]) -> list[dict[str, Any]]:
    """Vision attention carried between two GPUs that ran the same kernel (aiconfigurator-core's
    ``kernel_source``): each point of ``hardware`` predicted as the ``partner``'s measured latency times the ratio
    of the two GPUs' predictions (each on its own curves: calibrated, or portable from the calibrated GPUs), so
    the kernel's own cost cancels and what is left is the model's transfer between the two GPUs."""
    extract = load_extract(repo)["gpus"]
    kernels = {g: ", ".join(sorted({p["kernel_source"] for p in v["attention"]})) for g, v in extract.items()}
    own = {c.hardware: c for c in comps if not c.basis.startswith("portable from")}
    rows = []
    for g in sorted(k for k, v in kernels.items() if v):
        mine = {p.key: p for p in own[g].points if p.kind == "attention"}
        for h in sorted(k for k, v in kernels.items() if v == kernels[g] and k != g):
            theirs = {p.key: p for p in own[h].points if p.kind == "attention"}
            errs = [
                100.0
                * (theirs[k].measured_s * mine[k].predicted_s / theirs[k].predicted_s - p.measured_s)
                / p.measured_s
                for k, p in mine.items()
                if k in theirs
            ]
            if errs:
                rows.append(
                    {
                        "hardware": g,
                        "partner": h,
                        "kernel": kernels[g],
                        "points": len(errs),
                        "median_abs_error_pct": statistics.median(abs(e) for e in errs),
                        "max_abs_error_pct": max(abs(e) for e in errs),
                        "median_error_pct": statistics.median(errs),
                    }
                )
    return rows


AIC_GEMM_COPIES = 6
"""aiconfigurator-core's vLLM GEMM collector replays 6 copies of each Linear (own weights, one input) per CUDA
graph and reports the replay over 6."""


def memory_bound_gemms(repo: Path) -> list[dict[str, Any]]:
    """Per GPU of the extract, its memory-bound GEMM points (the prediction's byte time above its FLOP time) split
    by whether the benchmark's working set (:data:`AIC_GEMM_COPIES` weights, the input and the outputs) fits the
    L2: the median measured bytes per second over the datasheet bandwidth and the median signed error of each
    part."""
    rows = []
    for name, gpu in sorted(load_extract(repo)["gpus"].items()):
        spec = load_hardware(name)
        curves = launch_costs(spec).curves
        if curves is None or spec.l2_cache_mb is None:
            continue
        bandwidth = spec.memory_bandwidth_tbps.value * 1e12
        l2 = spec.l2_cache_mb.value * 1e6
        parts: dict[bool, list[tuple[float, float]]] = {True: [], False: []}
        for p in gpu["gemm"]:
            m, n, k = p["m"], p["n"], p["k"]
            flops, io = gemm_work(m=m, n=n, k=k)
            compute, memory = kind_seconds(curves, "gemm", flops, io)
            if memory <= compute:
                continue
            working = 2 * (AIC_GEMM_COPIES * n * k + m * k + AIC_GEMM_COPIES * m * n)
            seconds = p["latency_ms"] * 1e-3
            parts[working <= l2].append((io / seconds / bandwidth, 100.0 * (memory - seconds) / seconds))
        row: dict[str, Any] = {"hardware": name, "memory_type": spec.memory_type.value if spec.memory_type else ""}
        for fits, key in ((True, "in_l2"), (False, "beyond_l2")):
            vals = parts[fits]
            row[key] = (
                {
                    "points": len(vals),
                    "bandwidth_fraction": statistics.median(v[0] for v in vals),
                    "median_error_pct": statistics.median(v[1] for v in vals),
                }
                if vals
                else None
            )
        rows.append(row)
    return rows


SAME_SHAPE = (1, 1024, 16, 64)
"""The attention point (batch, tokens, heads, head size) the calibrated ``attention`` curve itself measured."""


def _same_shape(comps: Sequence[GpuComparison]) -> dict[str, float] | None:
    for c in comps:
        if c.hardware == SCALING_REFERENCE and c.basis == "calibrated":
            for p in c.points:
                if p.kind == "attention" and p.key == SAME_SHAPE:
                    return {"measured_us": p.measured_s / MICRO, "predicted_us": p.predicted_s / MICRO}
    return None


def build(repo: Path) -> dict[str, Any]:
    """The report's content."""
    loo = [leave_one_out(repo, t, r, raw) for t, r, raw in PAIRS]
    refs = [load_hardware(n) for n in ("h100-sxm", "h200")]
    host = host_defaults(refs)
    shapes = {r.name: curve_shapes(r) for r in refs}
    comps = comparisons(repo, leave_one_out=[(t, r) for t, r, _ in PAIRS])
    return {
        "leave_one_out": loo,
        "order": order_check(loo[0], loo[1]),
        "host_spread_us": {k: list(v) for k, v in host_spread(host).items()},
        "efficiencies": {
            name: {
                c: {"efficiency": s.efficiency, "fixed_cycles": s.fixed_cycles, "issue_cycles": s.issue_cycles}
                for c, s in per.items()
            }
            for name, per in shapes.items()
        },
        "aiconfigurator": {"extract": EXTRACT.as_posix(), "stats": _aic_summary(comps)},
        "architecture": architecture_rows(),
        "attention_kernels": {
            name: ", ".join(sorted({p["kernel_source"] for p in gpu["attention"]}))
            for name, gpu in load_extract(repo)["gpus"].items()
            if gpu["attention"]
        },
        "attention_same_shape": _same_shape(comps),
        "attention_family_transfer": family_transfer(repo, comps),
        "memory_bound_gemms": memory_bound_gemms(repo),
        "attention_floor_us": {
            name: min(p["latency_ms"] for p in gpu["attention"]) * 1e3
            for name, gpu in load_extract(repo)["gpus"].items()
            if gpu["attention"]
        },
        "_comparisons": comps,
    }


# ---- Markdown -----------------------------------------------------------------------------------------------------
def _ms(s: float) -> str:
    return f"{s * 1e3:.3f}"


def _s(stats: dict[str, float]) -> str:
    return f"{stats['median_abs_error_pct']:.1f} % / {stats['max_abs_error_pct']:.1f} %"


def _verdict(stats: dict[str, float], target: tuple[float, float]) -> str:
    ok = stats["median_abs_error_pct"] <= target[0] and stats["max_abs_error_pct"] <= target[1]
    return "met" if ok else "**not met**"


def _model_lines(data: dict[str, Any]) -> list[str]:
    eff = data["efficiencies"]
    lines = [
        "| curve | H100 SXM: efficiency / fixed cost (cycles) / SM-cycles per unit | H200: the same |",
        "|---|---:|---:|",
    ]
    for c in eff["h100-sxm"]:
        a, b = eff["h100-sxm"][c], eff["h200"][c]
        lines.append(
            f"| {c} | {a['efficiency']:.3f} / {a['fixed_cycles']:,.0f} / {a['issue_cycles']:.4f} | "
            f"{b['efficiency']:.3f} / {b['fixed_cycles']:,.0f} / {b['issue_cycles']:.4f} |"
        )
    return lines


def _architecture_lines(data: dict[str, Any]) -> list[str]:
    lines = [
        "| GPU | compute capability | Tensor-Core class | bf16 FLOP per SM-clock | wave stretch | matrix factor "
        "| learned from (measured ratio) | own measured ratio (not used) |",
        "|---|---|---|---:|---:|---:|---|---:|",
    ]
    for r in data["architecture"]:
        rate = "" if r["flops_per_sm_clock"] is None else f"{r['flops_per_sm_clock']:,.0f}"
        stretch = "" if r["wave_stretch"] is None else f"{r['wave_stretch']:.2f}"
        src = ", ".join(f"{g} {v:.3f}" for g, v in r["learned_from"]) or "-"
        if r["basis"].startswith("fallback"):
            src += " (fallback: no other GPU of its class)"
        elif r["basis"] == "the references' class":
            src = "the references' class (Hopper): none"
        own = "" if r["own_measured_ratio"] is None else f"{r['own_measured_ratio']:.3f}"
        lines.append(
            f"| {r['hardware']} | {r['compute_capability']} | {r['tensor_class'] or 'unknown'} | {rate} | {stretch} "
            f"| {r['factor']:.3f} | {src} | {own} |"
        )
    return lines


def _host_lines(data: dict[str, Any]) -> list[str]:
    lines = [
        "| host constant (unit in its name; a factor has none) | median | lowest | highest |",
        "|---|---:|---:|---:|",
    ]
    for k, (m, lo, hi) in data["host_spread_us"].items():
        lines.append(f"| `{k}` | {m:.3f} | {lo:.3f} | {hi:.3f} |")
    return lines


def _loo_table(data: dict[str, Any]) -> list[str]:
    lines = [
        "| target | learned from | points | kernel: median / worst | wall, reference host: median / worst "
        "| wall, own host: median / worst | datasheet roofline fallback, kernel / wall medians |",
        "|---|---|---:|---|---|---|---|",
    ]
    for d in data["leave_one_out"]:
        s = d["stats"]
        lines.append(
            f"| {d['target']} | {d['reference']} | {len(d['points'])} | {_s(s['kernel'])} "
            f"({_verdict(s['kernel'], KERNEL_TARGET)}) | {_s(s['wall'])} ({_verdict(s['wall'], WALL_TARGET)}) "
            f"| {_s(s['wall_own_host'])} ({_verdict(s['wall_own_host'], WALL_TARGET)}) "
            f"| {s['roofline_kernel']['median_abs_error_pct']:.1f} % / "
            f"{s['roofline_wall']['median_abs_error_pct']:.1f} % |"
        )
    return lines


def _loo_points(d: dict[str, Any]) -> list[str]:
    lines = [
        "| variant | point | pred. kernel (ms) | meas. kernel (ms) | error | pred. wall (ms) | meas. wall (ms) | error "
        "| wall, own host: error |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in d["points"]:
        lines.append(
            f"| {r['variant']} | {r['label']} | {_ms(r['kernel_s'])} | {_ms(r['measured_kernel_s'])} "
            f"| {r['kernel_error_pct']:+.1f}% | {_ms(r['wall_s'])} | {_ms(r['measured_wall_s'])} "
            f"| {r['wall_error_pct']:+.1f}% | {r['wall_own_host_error_pct']:+.1f}% |"
        )
    return lines


def _order_lines(data: dict[str, Any]) -> list[str]:
    o = data["order"]
    lines = []
    for what in ("kernel", "wall", "wall, own hosts"):
        rows = [c for c in o["checks"] if c["time"] == what]
        wrong = [c for c in rows if not c["right"]]
        lines.append(
            f"- {what} time: {len(rows)} points differ by more than {ORDER_THRESHOLD:.0%} between the two GPUs; "
            f"the predicted order is right at {len(rows) - len(wrong)}"
            + (
                ", wrong at "
                + ", ".join(f"{c['variant']} {c['label']}" for c in wrong[:8])
                + (f" and {len(wrong) - 8} more" if len(wrong) > 8 else "")
                if wrong
                else ""
            )
            + "."
        )
    return lines


def _kernel_order_note(data: dict[str, Any], wrong: Sequence[dict[str, Any]]) -> str:
    eff = data["efficiencies"]
    ratios = [eff["h100-sxm"][c]["fixed_cycles"] / eff["h200"][c]["fixed_cycles"] for c in eff["h100-sxm"]]
    points = ", ".join(
        f"{c['variant']} {c['label']} (measured H100/H200 {c['measured_ratio']:.3f}, predicted "
        f"{c['predicted_ratio']:.3f})"
        for c in wrong
    )
    return (
        f"The kernel order is wrong at {len(wrong)} point(s): {points}. Such a stage is a thousand small kernels, "
        "each near its fixed cost; the two GPUs' datasheets give the same SMs and clock, but their measured fixed "
        f"costs differ (H100 over H200, median over the curves: {statistics.median(ratios):.2f} times the cycles), "
        "and each GPU predicted from the other takes the other's. "
    )


def _aic_table(data: dict[str, Any]) -> list[str]:
    lines = [
        "| GPU | basis | kind | points | raw: median / worst | signed median | scaling vs H100 SXM: median / worst "
        f"| raw median <= {AIC_TARGET:.0f} % |",
        "|---|---|---|---:|---|---:|---|---|",
    ]
    for s in data["aiconfigurator"]["stats"]:
        scaling = (
            f"{s['scaling_median_abs_error_pct']:.1f} % / {s['scaling_max_abs_error_pct']:.1f} %"
            if "scaling_median_abs_error_pct" in s and s["hardware"] != SCALING_REFERENCE
            else "(reference)"
        )
        ok = "met" if s["median_abs_error_pct"] <= AIC_TARGET else "**not met**"
        lines.append(
            f"| {s['hardware']} | {s['basis']} | {s['kind']} | {int(s['points'])} | "
            f"{s['median_abs_error_pct']:.1f} % / {s['max_abs_error_pct']:.1f} % | {s['median_error_pct']:+.1f} % "
            f"| {scaling} | {ok} |"
        )
    return lines


def _aic_points(comps: Sequence[GpuComparison]) -> list[str]:
    lines: list[str] = []
    for c in comps:
        lines += [
            "",
            f"<details><summary>{c.hardware} ({c.basis}): {len(c.points)} points</summary>",
            "",
            "| kind | shape | measured (us) | predicted (us) | error | scaling error |",
            "|---|---|---:|---:|---:|---:|",
        ]
        for p in c.points:
            scaling = "" if p.scaling_error_pct is None else f"{p.scaling_error_pct:+.1f}%"
            lines.append(
                f"| {p.kind} | {p.label} | {p.measured_s * 1e6:.2f} | {p.predicted_s * 1e6:.2f} | {p.error_pct:+.1f}% "
                f"| {scaling} |"
            )
        lines += ["", "</details>"]
    return lines


def _misses(data: dict[str, Any]) -> list[str]:
    """Each target missed, by how much, with the reason the data show."""
    out = []
    for d in data["leave_one_out"]:
        s = d["stats"]
        for key, target, name in (
            ("kernel", KERNEL_TARGET, "kernel"),
            ("wall", WALL_TARGET, "wall (reference host)"),
            ("wall_own_host", WALL_TARGET, "wall (own host)"),
        ):
            st = s[key]
            over = []
            for stat, limit, word in (
                ("median_abs_error_pct", target[0], "median"),
                ("max_abs_error_pct", target[1], "worst"),
            ):
                if st[stat] > limit:
                    over.append(f"{word} {st[stat]:.1f} % > {limit:.0f} % by {st[stat] - limit:.1f} points")
            if over:
                worst = max(d["points"], key=lambda r: abs(r[f"{key}_error_pct"]))
                out.append(
                    f"- {d['target']} from {d['reference']}, {name}: " + "; ".join(over) + f" (worst point: "
                    f"{worst['variant']} {worst['label']}, {worst[f'{key}_error_pct']:+.1f} %)."
                )
    for r in data["attention_family_transfer"]:
        if r["median_abs_error_pct"] > AIC_TARGET:
            out.append(
                f"- aiconfigurator, {r['hardware']} attention carried from {r['partner']} (`{r['kernel']}`): median "
                f"{r['median_abs_error_pct']:.1f} % > {AIC_TARGET:.0f} % by "
                f"{r['median_abs_error_pct'] - AIC_TARGET:.1f} points (signed median {r['median_error_pct']:+.1f} %)."
            )
    for s in data["aiconfigurator"]["stats"]:
        if s["median_abs_error_pct"] > AIC_TARGET:
            out.append(
                f"- aiconfigurator, {s['hardware']} ({s['basis']}) {s['kind']}: median "
                f"{s['median_abs_error_pct']:.1f} % > {AIC_TARGET:.0f} % by "
                f"{s['median_abs_error_pct'] - AIC_TARGET:.1f} points (signed median {s['median_error_pct']:+.1f} %)."
            )
    return out


def _attention_note(data: dict[str, Any]) -> str:
    cal = [
        s["median_error_pct"]
        for s in data["aiconfigurator"]["stats"]
        if s["kind"] == "attention" and s["basis"] == "calibrated"
    ]
    if not cal:
        return ""
    return (
        f"On the calibrated GPUs themselves vision attention comes out {min(cal):+.1f} % to {max(cal):+.1f} % "
        "(signed medians) against these latencies: the curves measured torch's SDPA, and vLLM's ViT flash-attention "
        "call is another kernel with its own cost at these shapes, so the raw attention error is mostly the "
        "frameworks' difference; the scaling error divides it out. Three things the curves do not hold set it: "
        "(1) the kernel differs by architecture (" + _attention_kernels(data) + "); (2) each latency is one CUDA "
        "graph replay per attention call, six back to back, so the smallest shapes measure the replay rate, not the "
        "kernel (the smallest latency per GPU: " + _attention_floors(data) + "); (3) at the very shape the "
        "attention curve measured with torch's SDPA (one sequence of 1,024 tokens, 16 heads of 64) the "
        + _attention_same_shape(data)
        + ". Measured ratios of the other GPUs' attention would carry a kernel family's difference from another's, "
        "not an architecture's, so attention keeps the references' efficiency."
    )


def _family_lines(data: dict[str, Any]) -> list[str]:
    rows = data["attention_family_transfer"]
    if not rows:
        return []
    lines = [
        "What the model does carry is how one kernel's time moves from one GPU to another. Each GPU's vLLM "
        "attention predicted from another GPU that ran the same kernel (the partner's measured latency times the "
        "ratio of the two GPUs' predicted times; the partner's data only, never the GPU's own; a GPU whose kernel "
        "no other GPU ran has no row):",
        "",
        "| GPU | from | kernel | points | median / worst | signed median | median <= 15 % |",
        "|---|---|---|---:|---|---:|---|",
    ]
    for r in rows:
        ok = "met" if r["median_abs_error_pct"] <= AIC_TARGET else "**not met**"
        lines.append(
            f"| {r['hardware']} | {r['partner']} | `{r['kernel']}` | {r['points']} | {_s(r)} | "
            f"{r['median_error_pct']:+.1f} % | {ok} |"
        )
    return lines


def _memory_lines(data: dict[str, Any]) -> list[str]:
    def cell(part: dict[str, Any] | None) -> str:
        if part is None:
            return "-"
        return f"{part['points']} / {part['bandwidth_fraction']:.2f} / {part['median_error_pct']:+.1f} %"

    lines = [
        "Memory-bound GEMMs (decode's matrix-vector products) are measured under a condition the curves do not "
        f"hold: aiconfigurator-core replays {AIC_GEMM_COPIES} copies of a Linear per graph, so where their weights "
        "fit the L2 they are read from it on every replay, while the curves (operands rotated over 4x the L2) and "
        "a model's decode (its weights far beyond the L2) read them from the memory. Where the memory is slow "
        "(GDDR) that makes the measured latencies shorter than the memory allows (bytes per second above the "
        "datasheet bandwidth at some points) and the predictions long; where it is HBM the fixed cost dominates "
        "either way. The model keeps the memory's time (what a decode meets); no L2 rate is in a datasheet. Per "
        "GPU: points / median measured bytes per second over the datasheet bandwidth / median signed error of "
        "the prediction:",
        "",
        "| GPU | memory | working set fits the L2 | working set beyond the L2 |",
        "|---|---|---|---|",
    ]
    for r in data["memory_bound_gemms"]:
        lines.append(f"| {r['hardware']} | {r['memory_type']} | {cell(r['in_l2'])} | {cell(r['beyond_l2'])} |")
    return lines


def _attention_kernels(data: dict[str, Any]) -> str:
    return ", ".join(f"{g} `{k}`" for g, k in sorted(data["attention_kernels"].items()))


def _attention_same_shape(data: dict[str, Any]) -> str:
    p = data["attention_same_shape"]
    if p is None:
        return "H100 SXM point is missing"
    return (
        f"H100 SXM's vLLM kernel took {p['measured_us']:.1f} us where the calibrated curve, measured on that "
        f"shape, gives {p['predicted_us']:.1f} us"
    )


def _attention_floors(data: dict[str, Any]) -> str:
    return ", ".join(f"{g} {us:.1f} us" for g, us in sorted(data["attention_floor_us"].items()))


def _why(data: dict[str, Any]) -> str:
    short = [
        f"{s['hardware']} ({s['median_error_pct']:+.1f} %)"
        for s in data["aiconfigurator"]["stats"]
        if s["kind"] == "gemm" and s["basis"] == "portable" and s["median_abs_error_pct"] > AIC_TARGET
    ]
    text = (
        "Why: no architecture but Hopper was calibrated here; the others' matrix efficiency is learned from the "
        "other GPUs of their Tensor-Core class, which is as good as those GPUs are alike."
    )
    if short:
        own = {r["hardware"]: r for r in data["architecture"]}
        parts = []
        for s in data["aiconfigurator"]["stats"]:
            r = own.get(s["hardware"])
            if s["kind"] != "gemm" or s["basis"] != "portable" or s["median_abs_error_pct"] <= AIC_TARGET:
                continue
            if r is not None and r["own_measured_ratio"] is not None:
                parts.append(
                    f"{s['hardware']} ({s['median_error_pct']:+.1f} % signed): its own measured ratio is "
                    f"{r['own_measured_ratio']:.3f} against the {r['factor']:.3f} its class-mates give it"
                )
        text += " GEMMs miss on " + "; ".join(parts or short) + "."
    fam = {r["hardware"]: r for r in data["attention_family_transfer"]}
    if "l40s" in fam and "rtx-pro-6000-server" in fam:
        text += (
            " The same kernel (FlashAttention 2) carried between the L40S and the RTX PRO 6000 misses in the same "
            f"direction ({fam['l40s']['median_error_pct']:+.1f} % on the L40S): like its GEMMs, the L40S reaches a "
            "lower fraction of its datasheet peak than its class-mates, which a clock under sustained Tensor-Core "
            "load below the one its datasheet peak implies would explain; no datasheet here states that clock. Raw "
            "attention against vLLM's kernels is the kernels' difference (the note above), not the GPUs'."
        )
    return text + (
        " A calibration on one GPU of an architecture (`python -m llm_perf_opt.calibrate`) replaces the assumption. "
        "The leave-one-out misses carry the calibrated model's own error on that GPU (`h100-runtimes.md`, "
        "`h200-runtimes.md`) plus the transfer's; the wall-time misses with the reference host are the two hosts' "
        "difference."
    )


def render(data: dict[str, Any]) -> str:
    """The report."""
    o = data["order"]["checks"]
    kernel_wrong = [c for c in o if c["time"] == "kernel" and not c["right"]]
    wall_ratios = [c["measured_ratio"] for c in o if c["time"] == "wall"]
    own = [c for c in o if c["time"] == "wall, own hosts"]
    own_right = sum(c["right"] for c in own)
    own_wrong = [f"{c['variant']} {c['label']}" for c in own if not c["right"]]
    lines = [
        "# Portable kernel-time model: predicting a GPU nobody calibrated",
        "",
        "Generated by `llm_perf_opt.validation.portable_report` (`python -m llm_perf_opt.regen`) from the committed "
        "stage "
        "measurements (`reports/validation/h100/`, `reports/validation/h200/`), the calibrated entries "
        "(`conf/hardware/h100-sxm.yaml`, `h200.yaml`) and NVIDIA aiconfigurator-core's latencies extracted to "
        f"`{EXTRACT.as_posix()}`. Do not edit by hand; machine-readable: `{SUMMARY.as_posix()}`.",
        "",
        "## The model",
        "",
        "`llm_perf_opt.hardware.portable` expresses each measured kernel-time curve of a calibrated GPU as "
        "(1) the fraction of the datasheet peak its largest kernels reach (bf16 Tensor-Core FLOP/s for the "
        "matmul and attention curves, memory bandwidth for the byte curves), (2) its smallest kernel's time in "
        "cycles of the boost clock, and (3) its shape: time in units of that fixed cost against work in units of "
        "what the GPU does at its asymptotic rate during one fixed cost; a byte curve slower than a device copy keeps "
        "the copy's memory time and spends the rest in SM-cycles per byte, which follow SM count x clock, not "
        "bandwidth. The references' values are combined by "
        "geometric means; a GPU's curves follow from its datasheet peaks and boost clock (an entry without a clock "
        f"is taken at {REFERENCE_CLOCK_MHZ:,.0f} MHz). Every packaged entry without measured curves gets them "
        "(`launch_costs`), and its predictions say `basis: portable`. The efficiencies and fixed costs the two "
        "calibrated GPUs measured (both Hopper; other architectures adjust them as the next section says):",
        "",
        *_model_lines(data),
        "",
        "### Architecture: wave fill and Tensor-Core class",
        "",
        "Two corrections carry the Hopper curves to another architecture. (1) **Wave fill** (datasheet only): a "
        "matrix kernel reaches its asymptotic rate once its tiles fill every SM, at a work proportional to the SM "
        "count; an SM of Ampere, Ada or GB20x does a half or a quarter of Hopper's bf16 FLOPs per clock, so in the "
        "model's units the knee sits that many times further out and each wave of tiles takes that much longer "
        "(`wave_stretch`: the references' FLOPs per SM-clock over the GPU's, from peak / (SMs x boost clock); 1 for "
        "Hopper, so the H100/H200 leave-one-out is unchanged). (2) **Tensor-Core class** (learned, leave one GPU "
        "out): cuBLAS reaches another fraction of the datasheet peak with each architecture's matrix instruction "
        "(`mma.sync` on Ampere, Ada and GB20x, `wgmma` on Hopper, `tcgen05` on datacenter Blackwell). For each "
        "GPU in aiconfigurator-core's data, its measured ratio is how much slower its compute-bound GEMMs run than "
        "the model (with wave fill) predicts, over the same ratio of the calibrated GPUs at the same shapes; a GPU's "
        "matrix curves (`matmul`, `grouped_matmul`) take the geometric mean of the ratios of the *other* GPUs of its "
        "class as a divisor of their efficiency, falling back to every other GPU outside Hopper's class when it is "
        "the only one of its class; a Hopper GPU takes none. Its own ratio is shown, never used. Attention keeps "
        "the references' efficiency (see the attention note below).",
        "",
        *_architecture_lines(data),
        "",
        "Host constants do not depend on the GPU; an uncalibrated entry takes the median of the calibrated hosts, "
        "whose spread is:",
        "",
        *_host_lines(data),
        "",
        "## Leave one GPU out: the reference's stage measurements",
        "",
        "Each GPU's measured points predicted from the other GPU's curves and its own datasheet. Wall time with the "
        "reference host's constants is what an uncalibrated GPU gets; with the target's own measured host constants "
        "it isolates the GPU part of the model. Targets: kernel median <= 15 %, worst <= 30 %; wall <= 15 % / 35 %.",
        "",
        *_loo_table(data),
        "",
        "Order of the two GPUs (H100 SXM against H200, each predicted from the other):",
        "",
        *_order_lines(data),
        "",
        (
            "The kernel order is right everywhere it is tested. "
            if not kernel_wrong
            else _kernel_order_note(data, kernel_wrong)
        )
        + (
            f"The measured wall times of the two leases differ by a factor "
            f"{min(wall_ratios):.2f} to {max(wall_ratios):.2f} (H100 over H200) where most stages are host-bound: "
            "the difference is the two hosts' CPUs and software, not the GPUs, and a datasheet cannot predict it; "
            "with each lease's own host constants the order is right at "
            f"{own_right} of {len(own)}" + (f" (not at {', '.join(own_wrong)})" if own_wrong else "") + "."
            if wall_ratios
            else ""
        ),
        "",
    ]
    for d in data["leave_one_out"]:
        lines += [f"### {d['target']} from {d['reference']} (`{d['raw_dir']}/`)", "", *_loo_points(d), ""]
    lines += [
        "## aiconfigurator-core: GEMM and vision attention on GPUs never calibrated",
        "",
        "vLLM's measured bf16 `torch.nn.functional.linear` at DeepSeek-OCR's Linear shapes (the nearest grid shape "
        "where the grid lacks it, labelled `near`) and its ViT flash attention at SAM's and CLIP's heads, predicted "
        "on each GPU's curves (`llm_perf_opt.validation.aiconfigurator`). `basis` says which curves: `calibrated` "
        "(measured here), `portable` (learned from both calibrated GPUs, with the Tensor-Core class factor of the "
        "other GPUs of its class), `portable from X` (leave-one-out). The "
        "scaling error compares the predicted and measured ratio of the GPU's time to the H100 SXM's at the same "
        "point: it removes what the frameworks' kernels differ by on every GPU alike. Target: raw median <= 15 % "
        "per GPU.",
        "",
        *_aic_table(data),
        "",
        *_memory_lines(data),
        "",
        _attention_note(data),
        "",
        *_family_lines(data),
        "",
        "## Targets missed, by how much",
        "",
        *(_misses(data) or ["- none"]),
        "",
        _why(data),
        "",
        "## Point by point: aiconfigurator-core",
        *_aic_points(data["_comparisons"]),
        "",
    ]
    return "\n".join(lines)


def outputs(repo: Path) -> dict[Path, str]:
    """The files this script writes -> their text."""
    data = build(repo)
    summary = {k: v for k, v in data.items() if not k.startswith("_")}
    return {
        repo / REPORT: render(data),
        repo / SUMMARY: json.dumps(summary, indent=1, sort_keys=True) + "\n",
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Write the report and its summary (behind the one boundary: a bad flag is one line, exit 2)."""

    def body() -> int:
        parser = OneLineParser(description="Write reports/validation/portable.md from committed data.")
        parser.add_argument("--repo", type=Path, default=ROOT, help="the repository whose reports are read, written")
        parser.add_argument(DEBUG_FLAG, action="store_true", help="show the traceback of an unexpected error")
        args = parser.parse_args(argv)
        if not (args.repo / "reports" / "validation").is_dir():
            raise InputError(f"--repo: {args.repo} has no reports/validation directory")
        for path, text in outputs(args.repo).items():
            write_file(path, text, flag="--repo")
            print(f"report_portable: wrote {path}")
        return 0

    return run_command("report_portable.py", body, debug=wants_debug(argv))


if __name__ == "__main__":
    sys.exit(main())
