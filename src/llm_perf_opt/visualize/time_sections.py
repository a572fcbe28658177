"""``report.md`` sections written when ``--hardware`` is given: predicted time per stage
(roofline, kernel and wall time) and capacity planning.

Example
-------
>>> from modelmeter.models.deepseek_ocr.layers.core import DeepseekOCRModel
>>> from modelmeter.models.deepseek_ocr.workload import OCRWorkload
>>> from llm_perf_opt.runners.timing_builder import stage_timings
>>> model = DeepseekOCRModel(workload=OCRWorkload(crop_grid=(2, 2), max_new_tokens=3))
>>> render_time_markdown(stage_timings(model, "h100-sxm", "fused")).splitlines()[0]
'## Predicted time on h100-sxm (runtime fused)'
"""

from __future__ import annotations

from llm_perf_opt.data.hardware import HardwareSpec
from llm_perf_opt.planning.predict import predict
from llm_perf_opt.planning.summary import render_capacity_markdown
from llm_perf_opt.runners.timing_builder import WorkloadTimings
from modelmeter.models.deepseek_ocr.layers.core import DeepseekOCRModel

TARGET_PAGES_PER_DAY = 1_000_000
"""The capacity target the report sizes a fleet for."""
VISION_STAGES = ("sam", "clip", "projector")
FIRST_TOKEN_STAGES = (*VISION_STAGES, "prefill", "lm_head")


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:,.3f}"


def render_time_markdown(timings: WorkloadTimings) -> str:
    """Per-stage roofline, kernel and wall time, and the page-level sums of each."""
    lines = [
        f"## Predicted time on {timings.hardware.name} (runtime {timings.runtime.name})",
        "",
        "Roofline: each kernel-sized piece at the larger of its compute and memory time, at the calibrated "
        "rates of the hardware entry (the ideal). Kernel and wall time: the runtime profile's kernels, each "
        "timed on the hardware entry's measured kernel-time curves for its kind (where it has none: its roofline, "
        "at least the minimum kernel duration), plus host launch and sync costs (see *Where the time goes*). "
        "Torch calls: the Python-level torch calls of the eagerly run code (eager module code pays the host for "
        "each; none for a serving engine's launches or a CUDA-graph replay).",
        "",
        "| stage | roofline (ms) | kernel time (ms) | wall time (ms) | kernels | torch calls |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, t in timings.stages.items():
        lines.append(
            f"| {name} | {_ms(t.roofline_s)} | {_ms(t.predicted_kernel_s)} | {_ms(t.predicted_wall_s)} "
            f"| {t.kernel_launches:,} | {t.torch_calls:,} |"
        )
    groups = {
        "vision (sam + clip + projector)": VISION_STAGES,
        "time to first token (vision + prefill + lm_head)": FIRST_TOKEN_STAGES,
        "page (first token + decode)": tuple(timings.stages),
    }
    for label, names in groups.items():
        roof = sum(timings.stages[n].roofline_s for n in names)
        kern = sum(timings.stages[n].predicted_kernel_s for n in names)
        wall = sum(timings.stages[n].predicted_wall_s for n in names)
        lines.append(f"| **{label}** | {_ms(roof)} | {_ms(kern)} | {_ms(wall)} | | |")
    return "\n".join(lines) + "\n"


def capacity_markdown(model: DeepseekOCRModel, hardware: HardwareSpec) -> str:
    """The capacity-planning section (:func:`llm_perf_opt.planning.summary.render_capacity_markdown`)
    of the model's workload on ``hardware``, sized for :data:`TARGET_PAGES_PER_DAY`."""
    point = predict(model.arch, model.workload, hardware, target_pages_per_day=TARGET_PAGES_PER_DAY)
    return render_capacity_markdown(point)
