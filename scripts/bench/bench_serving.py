"""Speed of the serving engine model: building the step-time grid and simulating a 10,000-page trace.

Usage:
    python scripts/bench/bench_serving.py [--repeats N] [--output reports/bench/serving.json]

Each repetition runs in a fresh Python process (no cache survives) and measures, as CPU time of that process
(``time.process_time``; other jobs on a shared machine do not inflate it) with the wall time beside it:

``grid_build_s``
    :func:`llm_perf_opt.serving.steps.build_step_times` for Gundam 3x2 pages on ``a100-40gb`` under ``fused``
    with the vendor's engine settings (``max_num_seqs=100``, 8,192 batched tokens, ``max_model_len`` 8,192, the
    ``v0`` scheduler and the ``vllm-v0-vendor`` host loop: the engine defaults);
``trace_10k_backlog_s``
    :func:`llm_perf_opt.serving.engine.simulate` of 10,000 pages arriving at once (1,000 output tokens on
    average, coefficient of variation 0.5, seed 0);
``trace_10k_open_s``
    the same 10,000 pages as a Poisson stream at 90 % of the backlog's throughput.

Medians over the repetitions are written as JSON and printed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

_ONE = r"""
import json, time
from llm_perf_opt.hardware.registry import load_hardware
from llm_perf_opt.serving.config import EngineConfig, OutputTokens, PageClass, PageMix
from llm_perf_opt.serving.engine import simulate
from llm_perf_opt.serving.memory import kv_budget
from llm_perf_opt.serving.steps import build_step_times
from llm_perf_opt.serving.trace import make_trace
from llm_perf_opt.timing.time_model import time_model
from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch

arch, spec, cfg = DeepseekOCRArch(), load_hardware("a100-40gb"), EngineConfig()
mix = PageMix(classes=(PageClass(mode="gundam", crop_grid=(2, 3)),))
out = {}
c0, w0 = time.process_time(), time.perf_counter()
steps = build_step_times(arch, spec, time_model("fused"), mix.classes, cfg)
out["grid_build_s"] = (time.process_time() - c0, time.perf_counter() - w0)
blocks = kv_budget(arch, spec, cfg, mix.classes).kv_blocks
images = [c.image_tokens for c in mix.classes]
tokens = OutputTokens(mean=1000, cv=0.5)
backlog = make_trace(mix, tokens, n=10_000, rate=None, seed=0, max_model_len=cfg.max_model_len)
c0, w0 = time.process_time(), time.perf_counter()
result = simulate(backlog, steps, config=cfg, kv_blocks=blocks, image_tokens=images)
out["trace_10k_backlog_s"] = (time.process_time() - c0, time.perf_counter() - w0)
rate = 0.9 * result.metrics().pages_per_s
stream = make_trace(mix, tokens, n=10_000, rate=rate, seed=0, max_model_len=cfg.max_model_len)
c0, w0 = time.process_time(), time.perf_counter()
simulate(stream, steps, config=cfg, kv_blocks=blocks, image_tokens=images)
out["trace_10k_open_s"] = (time.process_time() - c0, time.perf_counter() - w0)
out["steps_backlog"] = result.steps
print(json.dumps(out))
"""


def _once() -> dict[str, object]:
    env = os.environ | {"PYTHONPATH": f"{REPO / 'src'}{os.pathsep}{REPO / 'extern'}"}
    done = subprocess.run([sys.executable, "-c", _ONE], capture_output=True, text=True, env=env, check=True)
    result: dict[str, object] = json.loads(done.stdout)
    return result


def main(argv: list[str] | None = None) -> int:
    """Measure, print and write the medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="fresh processes to take the median over")
    parser.add_argument("--output", type=Path, default=REPO / "reports" / "bench" / "serving.json")
    args = parser.parse_args(argv)
    runs = [_once() for _ in range(args.repeats)]
    keys = ("grid_build_s", "trace_10k_backlog_s", "trace_10k_open_s")
    data: dict[str, object] = {}
    for key in keys:
        pairs = [run[key] for run in runs]
        data[key] = round(statistics.median(float(p[0]) for p in pairs), 3)  # type: ignore[index]
        data[f"{key}_wall"] = round(statistics.median(float(p[1]) for p in pairs), 3)  # type: ignore[index]
    data["steps_backlog"] = runs[0]["steps_backlog"]
    data["machine"] = {
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "note": "CPU time of a fresh process per repetition (time.process_time), medians; wall time beside it. "
        "A shared machine: wall times move with other jobs.",
        "repeats": args.repeats,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(data, indent=2) + "\n")
    for key in keys:
        print(f"{key:24} {data[key]:>8} s CPU  ({data[f'{key}_wall']} s wall)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
