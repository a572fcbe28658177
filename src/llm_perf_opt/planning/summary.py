"""A planning point as a Markdown section: per-stage times, latency, throughput, memory, GPUs needed.

Readable in a terminal and in ``report.md`` (the analyzer can append it when a GPU is given).

Example
-------
>>> from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch
>>> from modelmeter.models.deepseek_ocr.workload import OCRWorkload
>>> from llm_perf_opt.planning.predict import predict
>>> p = predict(DeepseekOCRArch(), OCRWorkload(crop_grid=(2, 3)), "h100-sxm", target_pages_per_day=1e6)
>>> text = render_capacity_markdown(p)
>>> text.splitlines()[0]
'## Capacity planning: h100-sxm'
>>> "| GPUs for 1,000,000 pages/day |" in text
True
"""

from __future__ import annotations

from llm_perf_opt.data.planning import ROOFLINE, PlanningPoint
from llm_perf_opt.visualize.number_format import si
from modelmeter.models.families import FAMILIES

GIB = 2**30


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:,.3f} ms"


def _gib(n: int) -> str:
    return f"{n / GIB:,.2f} GiB"


def describe_workload(p: PlanningPoint) -> str:
    """One line: mode, grid (ROWSxCOLUMNS), tokens, batch, kernel."""
    w = p.workload
    across, down = w.crop_grid
    grid = f" {down}x{across} crops" if w.n_crops else ""
    page = f", page {p.page_width}x{p.page_height} px" if p.page_width and p.page_height else ""
    return (
        f"{p.resolution_mode}{grid}{page}: {p.image_tokens} image tokens, {p.prefill_tokens} prefill tokens, "
        f"{w.max_new_tokens} new tokens, batch {w.batch_size}, {w.dtype}, {w.attention} attention"
    )


def render_capacity_markdown(p: PlanningPoint) -> str:
    """The section (ends with a newline): times, pages per day and GPU count under the point's time model, the
    roofline kept as the labelled bound when that is a runtime profile."""
    m = p.memory
    lines = [
        f"## Capacity planning: {p.hardware}",
        "",
        describe_workload(p) + ".",
        "",
        "| stage | time | bound | Tensor-Core FLOPs | CUDA-core FLOPs | bytes moved |",
        "|---|---:|---|---:|---:|---:|",
    ]
    for s in p.stages:
        lines.append(
            f"| {s.stage} | {_ms(s.seconds)} | {s.bound} | {si(s.forward_tensor_core_flops, 'FLOP')} | "
            f"{si(s.forward_cuda_core_flops, 'FLOP')} | {si(s.forward_io_bytes, 'B')} |"
        )
    roofline = sum(st.seconds for st in p.stages)
    times = [
        f"| vision ({FAMILIES[p.model].vision_label}) | {_ms(p.vision_seconds)} |",
        f"| time to first token | {_ms(p.ttft_seconds)} |",
        f"| time per output token, final KV length | {_ms(p.tpot_final_seconds)} |",
        f"| time per output token, mean | {_ms(p.tpot_mean_seconds)} |",
        f"| time per page (whole batch: TTFT + decode) | {_ms(p.seconds_per_batch)} |",
        f"| pages per second per GPU | {p.pages_per_second:,.3f} |",
        f"| pages per day per GPU | {p.pages_per_day:,.0f} |",
    ]
    if p.runtime != ROOFLINE:
        times += [
            f"| roofline lower bound: time per page | {_ms(roofline)} |",
            f"| roofline upper bound: pages per day per GPU | {p.workload.batch_size * 86_400 / roofline:,.0f} |",
        ]
    lines += [
        "",
        "| quantity | value |",
        "|---|---:|",
        *times,
        f"| weights | {_gib(m.weight_bytes)} |",
        f"| peak kernel working set | {_gib(m.peak_activation_bytes)} |",
        f"| KV cache at the end | {_gib(m.kv_cache_bytes)} |",
        f"| total / usable ({m.memory_utilization:g} of the device) | {_gib(m.total_bytes)} / "
        f"{_gib(m.capacity_bytes)} ({'fits' if m.fits else 'does not fit'}) |",
        f"| largest batch that fits | {m.max_batch} |",
    ]
    if p.target_pages_per_day is not None and p.gpus_needed is not None:
        lines.append(f"| GPUs for {p.target_pages_per_day:,.0f} pages/day | {p.gpus_needed} |")
    lines += [
        "",
        (
            "Roofline time model (achievable rates of the GPU)"
            if p.runtime == ROOFLINE
            else f"Times: runtime profile {p.runtime}'s wall time (the stage table above is the roofline, a lower "
            "bound)"
        )
        + "; static batching: every page of the batch "
        "finishes after TTFT + all decode steps. Peak kernel working set: the largest activations one "
        "kernel reads and writes (a floor of the real peak).",
    ]
    return "\n".join(lines) + "\n"
