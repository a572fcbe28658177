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

from llm_perf_opt.data.analyzer_summary import PageSummary
from llm_perf_opt.data.planning import BASIS_CALIBRATED
from llm_perf_opt.data.stage_names import first_token_stages, vision_stages
from llm_perf_opt.planning.summary import render_capacity_markdown
from llm_perf_opt.runners.timing_builder import WorkloadTimings
from llm_perf_opt.validation.points import MEASURED_RUNTIME
from modelmeter.models.families import FAMILIES, V1


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
    order = tuple(timings.stages)
    groups = {
        f"vision ({' + '.join(vision_stages(order))})": vision_stages(order),
        "time to first token (vision + prefill + lm_head)": first_token_stages(order),
        "page (first token + decode)": order,
    }
    for label, names in groups.items():
        roof = sum(timings.stages[n].roofline_s for n in names)
        kern = sum(timings.stages[n].predicted_kernel_s for n in names)
        wall = sum(timings.stages[n].predicted_wall_s for n in names)
        lines.append(f"| **{label}** | {_ms(roof)} | {_ms(kern)} | {_ms(wall)} | | |")
    return "\n".join(lines) + "\n"


def capacity_markdown(timings: WorkloadTimings) -> str:
    """The capacity-planning section (:func:`llm_perf_opt.planning.summary.render_capacity_markdown`) of the
    timed workload under its runtime profile, sized for 1,000,000 pages per day."""
    return render_capacity_markdown(timings.point)


VALIDATED_RUNTIMES = frozenset(MEASURED_RUNTIME.values())
"""Runtime profiles whose kernel and wall times were compared with GPU measurements (docs/time-model.md): the
profiles of the measured variants."""


def headline_rows(page: PageSummary, batch_size: int, model: str = V1) -> list[tuple[str, str]]:
    """The answer per page, each figure with its unit: (label, value) pairs, the basis last. The measurements that
    validate a runtime profile were taken on DeepSeek-OCR (``model`` ``deepseek-ocr``) only."""
    gpu = (
        "calibrated (kernel-time curves and constants measured on this GPU; a curve or constant added after its "
        "calibration comes from the calibrated GPUs that measured it)"
        if page.basis == BASIS_CALIBRATED
        else "portable estimate (not calibrated: the calibrated GPUs' kernel-time curves rescaled to its datasheet, "
        "their hosts' median launch costs)"
    )
    if page.runtime not in VALIDATED_RUNTIMES:
        runtime = "not validated against measurements"
    elif model == V1:
        runtime = "validated against GPU measurements (docs/time-model.md)"
    else:
        runtime = f"validated on DeepSeek-OCR only, not on {FAMILIES[model].display_name} (docs/time-model.md)"
    return [
        ("time to first token", f"{page.ttft_s * 1e3:,.1f} ms"),
        ("time per output token (mean)", f"{page.tpot_s * 1e3:,.2f} ms"),
        (f"time per page (batch {batch_size})", f"{page.page_s:,.3f} s"),
        ("pages per second per GPU", f"{page.pages_per_s:,.3f}"),
        ("pages per day per GPU", f"{page.pages_per_day:,.0f}"),
        ("peak memory", f"{page.peak_memory_bytes / 2**30:,.2f} GiB ({'fits' if page.fits else 'does not fit'})"),
        ("largest batch that fits", f"{page.max_batch:,}"),
        (f"basis: GPU {page.hardware}", gpu),
        (f"basis: runtime {page.runtime}", runtime),
        (
            "measured error of this basis",
            page.error_band.describe() if page.error_band is not None else "none measured (docs/time-model.md)",
        ),
    ]


def render_headline_markdown(page: PageSummary, batch_size: int, model: str = V1) -> str:
    """The headline of report.md: the answer per page under the runtime profile."""
    rows = "\n".join(f"| {label} | {value} |" for label, value in headline_rows(page, batch_size, model))
    return f"## The answer: {page.hardware}, runtime {page.runtime}\n\n| | |\n|---|---:|\n{rows}\n"


def render_headline_text(page: PageSummary, batch_size: int, model: str = V1) -> str:
    """The headline printed on the console."""
    rows = headline_rows(page, batch_size, model)
    width = max(len(label) for label, _ in rows)
    lines = [f"On {page.hardware} under runtime {page.runtime}:"]
    lines += [f"  {label:<{width}}  {value}" for label, value in rows]
    return "\n".join(lines)
