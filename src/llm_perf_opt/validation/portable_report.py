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

from llm_perf_opt.hardware.portable import REFERENCE_CLOCK_MHZ, curve_shapes, host_defaults, host_spread
from llm_perf_opt.hardware.rates import achievable_rates
from llm_perf_opt.hardware.registry import load_hardware
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
from llm_perf_opt.validation.aiconfigurator import EXTRACT, KINDS, SCALING_REFERENCE, GpuComparison, comparisons
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


def _host_lines(data: dict[str, Any]) -> list[str]:
    lines = ["| host constant | median (us) | lowest | highest |", "|---|---:|---:|---:|"]
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
        "frameworks' difference; the scaling error divides it out."
    )


def _why(data: dict[str, Any]) -> str:
    short = [
        f"{s['hardware']} ({s['median_error_pct']:+.1f} %)"
        for s in data["aiconfigurator"]["stats"]
        if s["kind"] == "gemm" and s["basis"] == "portable" and s["median_abs_error_pct"] > AIC_TARGET
    ]
    text = (
        "Why: the portable model carries the calibrated GPUs' efficiencies (Hopper's) to every architecture; no "
        "other architecture was calibrated here."
    )
    if short:
        text += (
            " GEMMs come out short (signed medians) on " + ", ".join(short) + ": cuBLAS reaches a lower fraction "
            "of those parts' datasheet bf16 peak than of Hopper's."
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
        "calibrated GPUs measured (both Hopper; the same efficiencies are assumed for every architecture):",
        "",
        *_model_lines(data),
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
        "(measured here), `portable` (learned from both calibrated GPUs), `portable from X` (leave-one-out). The "
        "scaling error compares the predicted and measured ratio of the GPU's time to the H100 SXM's at the same "
        "point: it removes what the frameworks' kernels differ by on every GPU alike. Target: raw median <= 15 % "
        "per GPU.",
        "",
        *_aic_table(data),
        "",
        _attention_note(data),
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
