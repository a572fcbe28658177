"""Speed of the analytic path, side by side with counting the same workload under FlopCounterMode.

Usage:
    python scripts/bench/bench_analytic.py [--repeats N] [--output reports/bench/latest.json]

Measures, each repetition in a fresh Python process (so no cache survives between them), and
reports medians:

``single_report_ms``
    one full analytic evaluation, :func:`llm_perf_opt.planning.predict.predict` (every stage's
    metrics, roofline times, TTFT, time per output token, throughput, memory, largest batch),
    median over 300 **distinct** workloads (crop grid, batch, prompt and generation length all
    change from one to the next, so the per-value caches hide nothing: every prefill and
    decode layer is new). Also reported: the first evaluation in a fresh process (``cold``,
    nothing cached, after the imports) and the same workload again (``warm``);
``sweep_10k_s``
    the engine of a 10,000-point sweep (``conf/sweeps/bench-10k.yaml``: 2,000 distinct workloads
    on 5 GPUs; no files, no plots), one core;
``cli_cold_start_s``
    ``python -m llm_perf_opt.runners.dsocr_analyzer --help`` in a new process;
``analytic_run_s``
    the analyzer's default run as a whole process (``--mode analytic``: report.json, report.yaml,
    summary.json, report.md, the layer pages and the manifest, written to a temporary directory);
``sweep_432_plots_s``
    ``--mode sweep --sweep modes-grids-batches`` (432 points, CSV, JSON and every plot) as a whole
    process, and the same with ``--no-plots`` in ``details``;
``flopcounter_meta_s``
    the same single workload (the standard A4 page: Gundam 3x2, 1,000 new tokens) counted with
    ``torch.utils.flop_counter.FlopCounterMode`` on the ``meta`` device, as the project's counted
    mode does it (:func:`llm_perf_opt.runners.static_mode.run_static`: vision, prefill, LM head and
    3 decode steps, the other 996 by exact affine interpolation), reference built on ``meta``
    included, torch import excluded (reported apart);
``speedup_vs_flopcounter``
    ``flopcounter_meta_s / (single_report_ms / 1000)`` (both CPU time).

In-process figures (evaluation, sweep, FlopCounterMode) are the CPU time of the measuring
process (``time.process_time``), which other processes taking the core do not inflate; the
wall-clock medians are reported beside them (``details``), as are the CLI's wall and child CPU
times. The load average before and after is recorded. The project's sources are byte-compiled
first, as installing the package does (with ``PYTHONDONTWRITEBYTECODE`` set, every fresh process
would otherwise compile them again and the cold starts would measure the compiler). Prints a
table; writes the JSON.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from llm_perf_opt.utils.machine import cpu_model

REPO = Path(__file__).resolve().parents[2]
SWEEP_FILE = REPO / "conf" / "sweeps" / "bench-10k.yaml"

_SINGLE = r"""
import json, statistics, time
t0 = time.perf_counter()
from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch
from modelmeter.models.deepseek_ocr.workload import OCRWorkload, candidate_grids
from llm_perf_opt.planning.predict import predict
t1 = time.perf_counter()
arch = DeepseekOCRArch()
grids = candidate_grids()
def timed(fn):
    w0, c0 = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - w0, time.process_time() - c0
cold, cold_cpu = timed(lambda: predict(arch, OCRWorkload(crop_grid=(2, 3)), "h100-sxm"))
distinct = []
for i in range(300):
    w = OCRWorkload(crop_grid=grids[i % len(grids)], batch_size=1 + i // len(grids), prompt_tokens=10 + i,
                    max_new_tokens=500 + i)
    distinct.append(timed(lambda: predict(arch, w, "h100-sxm")))
w = OCRWorkload(crop_grid=(2, 3))
warm = [timed(lambda: predict(arch, w, "h100-sxm")) for _ in range(300)]
med = lambda rows, k: statistics.median(r[k] for r in rows) * 1e3
print(json.dumps({"import_s": t1 - t0, "cold_ms": cold * 1e3, "cold_cpu_ms": cold_cpu * 1e3,
                  "distinct_ms": med(distinct, 0), "distinct_cpu_ms": med(distinct, 1),
                  "warm_ms": med(warm, 0), "warm_cpu_ms": med(warm, 1)}))
"""

_SWEEP = r"""
import json, sys, time
from llm_perf_opt.planning.sweep import evaluate_sweep, expand_sweep, load_sweep_spec
spec = load_sweep_spec(sys.argv[1])
groups = expand_sweep(spec)
w0, c0 = time.perf_counter(), time.process_time()
points = evaluate_sweep(spec, progress=False)
wall, cpu = time.perf_counter() - w0, time.process_time() - c0
workloads = len({views for views, _ in groups})
print(json.dumps({"points": len(points), "workloads": workloads, "seconds": wall, "cpu_seconds": cpu}))
"""

_FLOPCOUNTER = r"""
import json, time
t0 = time.perf_counter()
import torch
t1 = time.perf_counter()
from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch
from modelmeter.models.deepseek_ocr.workload import OCRWorkload
from llm_perf_opt.reference.model import DeepseekOCRReference
from llm_perf_opt.runners.static_mode import run_static
t2 = time.perf_counter()
c2 = time.process_time()
arch = DeepseekOCRArch()
ref = DeepseekOCRReference(arch, device="meta")
t3 = time.perf_counter()
counted = run_static(arch, OCRWorkload(crop_grid=(2, 3)), reference=ref)
t4 = time.perf_counter()
print(json.dumps({"torch_import_s": t1 - t0, "imports_s": t2 - t1, "build_s": t3 - t2, "count_s": t4 - t3,
                  "cpu_s": time.process_time() - c2, "total_flops": sum(s.flops for s in counted.stages.values())}))
"""


def _python(code: str, *args: str) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True, cwd=REPO)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _wall(argv: list[str]) -> tuple[float, float]:
    """Wall seconds of a child process and the CPU seconds (user + system) it used."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(argv, capture_output=True, check=True, cwd=REPO)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _median(rows: list[dict[str, Any]], key: str) -> float:
    return float(statistics.median(r[key] for r in rows))


def run(repeats: int) -> dict[str, Any]:
    """Every measurement, ``repeats`` times each (medians)."""
    for tree in ("src", "extern"):  # as an install does (see the module docstring)
        compileall.compile_dir(REPO / tree, quiet=1)
    load_before = os.getloadavg()
    single = [_python(_SINGLE) for _ in range(repeats)]
    sweep = [_python(_SWEEP, str(SWEEP_FILE)) for _ in range(repeats)]
    analyzer = [sys.executable, "-m", "llm_perf_opt.runners.dsocr_analyzer"]
    helps = [_wall([*analyzer, "--help"]) for _ in range(max(5, repeats))]
    with tempfile.TemporaryDirectory() as tmp:
        fulls = [_wall([*analyzer, "--output-dir", str(Path(tmp) / f"run{i}")]) for i in range(repeats)]
        sweep_argv = [*analyzer, "--mode", "sweep", "--sweep", "modes-grids-batches"]
        plotted = [_wall([*sweep_argv, "--output-dir", str(Path(tmp) / f"sweep{i}")]) for i in range(repeats)]
        bare = [_wall([*sweep_argv, "--no-plots", "--output-dir", str(Path(tmp) / f"bare{i}")]) for i in range(repeats)]
    counted = [_python(_FLOPCOUNTER) for _ in range(repeats)]
    load_after = os.getloadavg()

    single_ms = _median(single, "distinct_cpu_ms")
    points = sweep[0]["points"]
    flop_s = _median(counted, "cpu_s")
    return {
        "single_report_ms": round(single_ms, 3),
        "sweep_10k_s": round(_median(sweep, "cpu_seconds") * 10_000 / points, 3),
        "cli_cold_start_s": round(statistics.median(w for w, _ in helps), 3),
        "analytic_run_s": round(statistics.median(w for w, _ in fulls), 3),
        "sweep_432_plots_s": round(statistics.median(w for w, _ in plotted), 3),
        "flopcounter_meta_s": round(flop_s, 3),
        "speedup_vs_flopcounter": round(flop_s / (single_ms / 1e3)),
        "machine": {
            "cpu": cpu_model(),
            "cpu_count": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in load_after],
            "note": (
                f"shared machine: other jobs ran meanwhile (load average {load_before[0]:.1f} before, "
                f"{load_after[0]:.1f} after, on {os.cpu_count()} cores; above the core count, the wall-clock "
                "figures include waiting for a core). In-process figures are CPU time of the measuring "
                "process (time.process_time: immune to other processes taking the core; one thread); wall-clock "
                "medians are in details, with the CLI runs' child CPU time (user + system). Each repetition is a "
                "fresh process; medians over repetitions. Sources byte-compiled first, as an install does."
            ),
        },
        "details": {
            "repeats": repeats,
            "single_report": {
                "what": "predict(arch, workload, 'h100-sxm'): a full PlanningPoint; median over 300 distinct workloads",
                "distinct_cpu_ms": round(single_ms, 3),
                "distinct_wall_ms": round(_median(single, "distinct_ms"), 3),
                "cold_first_call_cpu_ms": round(_median(single, "cold_cpu_ms"), 3),
                "cold_first_call_wall_ms": round(_median(single, "cold_ms"), 3),
                "warm_same_workload_cpu_ms": round(_median(single, "warm_cpu_ms"), 4),
                "warm_same_workload_wall_ms": round(_median(single, "warm_ms"), 4),
                "import_wall_s": round(_median(single, "import_s"), 3),
            },
            "sweep": {
                "file": SWEEP_FILE.relative_to(REPO).as_posix(),
                "points": points,
                "distinct_workloads": sweep[0]["workloads"],
                "cpu_seconds": round(_median(sweep, "cpu_seconds"), 3),
                "wall_seconds": round(_median(sweep, "seconds"), 3),
            },
            "cli": {
                "help_wall_s": round(statistics.median(w for w, _ in helps), 3),
                "help_cpu_s": round(statistics.median(c for _, c in helps), 3),
                "full_default_run_wall_s": round(statistics.median(w for w, _ in fulls), 3),
                "full_default_run_cpu_s": round(statistics.median(c for _, c in fulls), 3),
                "sweep_432_plots_wall_s": round(statistics.median(w for w, _ in plotted), 3),
                "sweep_432_plots_cpu_s": round(statistics.median(c for _, c in plotted), 3),
                "sweep_432_no_plots_wall_s": round(statistics.median(w for w, _ in bare), 3),
            },
            "flopcounter": {
                "what": "run_static on the meta device: vision, prefill, LM head, 3 decode steps (affine)",
                "cpu_s_build_and_count": round(flop_s, 3),
                "wall_s_build": round(_median(counted, "build_s"), 3),
                "wall_s_count": round(_median(counted, "count_s"), 3),
                "torch_import_wall_s": round(_median(counted, "torch_import_s"), 3),
                "other_imports_wall_s": round(_median(counted, "imports_s"), 3),
                "counted_flops": counted[0]["total_flops"],
            },
        },
    }


def _table(r: dict[str, Any]) -> str:
    d = r["details"]
    sr, sw, cli, fc = d["single_report"], d["sweep"], d["cli"], d["flopcounter"]
    rows = [
        ("measurement", "CPU", "wall", "target"),
        (
            "one analytic evaluation, distinct workloads",
            f"{sr['distinct_cpu_ms']:.3f} ms",
            f"{sr['distinct_wall_ms']:.3f} ms",
            "<= 2 ms",
        ),
        (
            "  first call in a fresh process",
            f"{sr['cold_first_call_cpu_ms']:.3f} ms",
            f"{sr['cold_first_call_wall_ms']:.3f} ms",
            "",
        ),
        (
            "  same workload again (cached)",
            f"{sr['warm_same_workload_cpu_ms']:.4f} ms",
            f"{sr['warm_same_workload_wall_ms']:.4f} ms",
            "",
        ),
        (
            f"sweep engine, {sw['points']:,} points",
            f"{sw['cpu_seconds']:.3f} s",
            f"{sw['wall_seconds']:.3f} s",
            "<= 10 s",
        ),
        ("CLI cold start (--help)", f"{cli['help_cpu_s']:.3f} s", f"{cli['help_wall_s']:.3f} s", "<= 1.5 s"),
        (
            "CLI full default run (whole process)",
            f"{cli['full_default_run_cpu_s']:.3f} s",
            f"{cli['full_default_run_wall_s']:.3f} s",
            "<= 0.5 s",
        ),
        (
            "432-point sweep with plots (whole process)",
            f"{cli['sweep_432_plots_cpu_s']:.3f} s",
            f"{cli['sweep_432_plots_wall_s']:.3f} s",
            "<= 5 s",
        ),
        ("  the same, --no-plots", "", f"{cli['sweep_432_no_plots_wall_s']:.3f} s", ""),
        (
            "FlopCounterMode on meta, same workload",
            f"{fc['cpu_s_build_and_count']:.3f} s",
            f"{fc['wall_s_build'] + fc['wall_s_count']:.3f} s",
            "",
        ),
        ("  torch import (not included)", "", f"{fc['torch_import_wall_s']:.3f} s", ""),
        ("speed-up vs FlopCounterMode (CPU)", f"{r['speedup_vs_flopcounter']:,}x", "", ">= 1000x"),
    ]
    widths = [max(len(row[k]) for row in rows) for k in range(4)]
    lines = [f"{a:<{widths[0]}}  {b:>{widths[1]}}  {c:>{widths[2]}}  {t}" for a, b, c, t in rows]
    lines.insert(1, "-" * (sum(widths) + 12))
    m = r["machine"]
    lines.append(
        f"machine: {m['cpu']}, {m['cpu_count']} cores, Python {m['python']}; load average "
        f"{m['load_average_before']} before, {m['load_average_after']} after"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run, print the table, write the JSON."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--repeats", type=int, default=3, help="fresh processes per measurement (medians)")
    p.add_argument("--output", default=str(REPO / "reports" / "bench" / "latest.json"), help="JSON result path")
    args = p.parse_args(argv)
    result = run(args.repeats)
    print(_table(result))
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
