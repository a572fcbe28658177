"""Numbers the documentation quotes, computed by the tool itself: each block is the Markdown between
``<!-- generated: NAME -->`` and ``<!-- end generated -->`` in a page of ``docs/``, rewritten by
``python -m llm_perf_opt.regen`` (and compared by ``--check`` in CI), so a quoted figure cannot drift from
what the analyzer prints for the same inputs.

Example
-------
>>> text = "a\\n<!-- generated: demo -->\\nold\\n<!-- end generated -->\\nb\\n"
>>> fill_blocks(text, {"demo": lambda: "new"})
'a\\n<!-- generated: demo -->\\nnew\\n<!-- end generated -->\\nb\\n'
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path

from llm_perf_opt.data.planning import PlanningPoint
from llm_perf_opt.planning.predict import predict
from llm_perf_opt.planning.sweep import evaluate_sweep, load_sweep_spec
from llm_perf_opt.runners.analyzer_inputs import WorkloadFlags, resolve_inputs
from llm_perf_opt.runners.report_builder import build_report
from llm_perf_opt.runners.summary_builder import build_summary
from llm_perf_opt.utils.packaged_defaults import sweep_file
from llm_perf_opt.visualize.number_format import grouped, si
from llm_perf_opt.visualize.tables import markdown_table
from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch
from modelmeter.models.deepseek_ocr.layers.decoder.deepseek_v2_moe import DeepseekV2MoE
from modelmeter.models.deepseek_ocr.workload import OCRWorkload

BLOCK = re.compile(r"(<!-- generated: ([a-z0-9-]+) -->\n)(.*?)(<!-- end generated -->)", re.DOTALL)
"""A generated block: its opening marker (with the block's name), its body, its closing marker."""

PAPER_BATCHES = (1, 8, 16, 32)
"""The batch sizes the paper-claim table shows (the sweep evaluates more)."""


def fill_blocks(text: str, renderers: Mapping[str, Callable[[], str]]) -> str:
    """``text`` with every generated block's body replaced by its renderer's output (``KeyError`` naming an
    unknown block)."""

    def body(match: re.Match[str]) -> str:
        name = match.group(2)
        if name not in renderers:
            raise KeyError(f"unknown generated block {name!r}; known: {', '.join(sorted(renderers))}")
        return f"{match.group(1)}{renderers[name]().rstrip()}\n{match.group(4)}"

    return BLOCK.sub(body, text)


def _thousands(pages_per_day: float) -> str:
    return f"{round(pages_per_day / 1000)}k"


def paper_a100_table() -> str:
    """Pages per day on one A100-40GB, the packaged ``paper-a100-claim`` sweep, at a few batch sizes."""
    points = evaluate_sweep(load_sweep_spec(sweep_file("paper-a100-claim")), progress=False)
    header = ["mode (grid)", "image tokens", *(f"batch {b}" for b in PAPER_BATCHES), "largest batch that fits"]
    rows: list[list[str]] = []
    for mode in dict.fromkeys(p.resolution_mode for p in points):
        of_mode = {p.workload.batch_size: p for p in points if p.resolution_mode == mode}
        first = of_mode[min(of_mode)]
        w, h = first.workload.crop_grid
        name = "-".join(part.capitalize() for part in mode.split("-"))  # gundam-m -> Gundam-M
        label = name if (w, h) == (1, 1) else f"{name} {h}x{w}"
        cells = []
        for b in PAPER_BATCHES:
            p = of_mode[b]
            cells.append(_thousands(p.pages_per_day) + ("" if p.memory.fits else " (does not fit)"))
        rows.append([label, grouped(first.image_tokens), *cells, str(first.memory.max_batch)])
    return markdown_table(header, rows, align="lrrrrrr")


def a100_decode_steps() -> str:
    """The decode step of the Gundam 3x2 page on the A100-40GB at the table's batch sizes, and the routed
    experts its MoE layers read."""
    arch = DeepseekOCRArch()
    rows = []
    for b in PAPER_BATCHES:
        p = predict(arch, OCRWorkload(crop_grid=(2, 3), batch_size=b, max_new_tokens=1000), "a100-40gb")
        moe = DeepseekV2MoE(config=arch.language, tokens=b)
        rows.append(
            [
                str(b),
                f"{p.tpot_mean_seconds * 1e3:.2f} ms",
                f"{moe.experts_read_per_call} of {arch.language.n_routed_experts}",
                f"{p.ttft_seconds * 1e3:.0f} ms",
            ]
        )
    header = ["batch", "decode step (mean)", "routed experts read per MoE layer", "time to first token"]
    return markdown_table(header, rows, align="rrrr")


def stage_params() -> str:
    """Parameters per stage of the standard workload, as summary.json reports them, and the checkpoint's
    total they add up to."""
    inputs = resolve_inputs(WorkloadFlags())
    summary = build_summary(build_report(inputs), None)
    rows = [[f"`{name}`", grouped(stage.params)] for name, stage in summary.stages.items()]
    table = markdown_table(["stage", "params"], rows, align="lr")
    distinct = sum(s.params for name, s in summary.stages.items() if name != "decode")
    own = summary.total_params - distinct
    return (
        f"{table}\n\n`sam + clip + projector + prefill + lm_head` = {grouped(distinct)}, plus the model's own "
        f"{grouped(own)} parameters (`image_newline` and `view_seperator`) = {grouped(summary.total_params)}, "
        "the checkpoint's total."
    )


COMPARISON_SWEEP = "ocr-v1-vs-v2"
"""The packaged sweep docs/deepseek-ocr-2.md quotes: both models on the same pages."""


@functools.cache
def _comparison_points() -> tuple[PlanningPoint, ...]:
    return tuple(evaluate_sweep(load_sweep_spec(sweep_file(COMPARISON_SWEEP)), progress=False))


def _page_label(width: int | None, height: int | None) -> str:
    names: dict[tuple[int | None, int | None], str] = {
        (1654, 2339): "A4",
        (1700, 2200): "Letter",
        (1165, 1654): "A5",
        (2339, 1654): "A4 landscape",
    }
    size = f"{width}x{height}"
    return f"{names[(width, height)]} {size}" if (width, height) in names else size


def _comparison_row(p: PlanningPoint, page: str) -> list[str]:
    w, h = p.workload.crop_grid
    grid = f" {h}x{w}" if p.workload.crop_mode else ""
    model = "OCR" if p.model == "deepseek-ocr" else "OCR-2"
    return [
        page,
        f"{model}, {p.resolution_mode}{grid}",
        grouped(p.image_tokens),
        si(sum(s.forward_tensor_core_flops + s.forward_cuda_core_flops for s in p.stages[:3]), "FLOP"),
        si(sum(s.forward_tensor_core_flops + s.forward_cuda_core_flops for s in p.stages), "FLOP"),
        si(sum(s.forward_io_bytes for s in p.stages), "B"),
        f"{p.ttft_seconds * 1e3:,.0f} ms",
        f"{p.seconds_per_batch:.2f} s",
    ]


def ocr_v1_vs_v2_table() -> str:
    """Per page, DeepSeek-OCR and DeepSeek-OCR-2 side by side in their cropping modes (the packaged
    ``ocr-v1-vs-v2`` sweep): tokens, forward FLOPs of the vision stages and of the whole call, bytes moved, time to
    first token and time per page under its runtime; then the one-view modes, whose numbers do not depend on the
    page."""
    points = _comparison_points()
    header = ["page", "model, mode (grid)", "image tokens", "vision FLOPs", "FLOPs", "bytes moved", "TTFT",
              "time per page"]  # fmt: skip
    pages = list(dict.fromkeys((p.page_width, p.page_height) for p in points))
    rows = [
        _comparison_row(p, _page_label(*page))
        for page in pages
        for p in points
        if (p.page_width, p.page_height) == page and p.workload.crop_mode
    ]
    rows += [_comparison_row(p, "any") for p in points if not p.workload.crop_mode and p.page_width == pages[0][0]]
    first = points[0]
    head = (
        f"On {first.hardware} under the {first.runtime} runtime profile, batch 1, {first.workload.prompt_tokens} "
        f"prompt tokens and {grouped(first.workload.max_new_tokens)} generated tokens per page (FLOPs: Tensor-Core "
        "plus CUDA-core, forward; vision: the first three stages; bytes: forward memory traffic of the whole call, "
        "decode included). The one-view modes (page *any*) do not depend on the page size:\n\n"
    )
    return head + markdown_table(header, rows, align="llrrrrrr")


def ocr_v1_vs_v2_stages() -> str:
    """The A4 page in each model's default mode, stage by stage: FLOPs, bytes and wall time under the sweep's
    runtime."""
    points = _comparison_points()
    a4 = [p for p in points if (p.page_width, p.page_height) == (1654, 2339) and p.workload.crop_mode]
    rows = []
    for p in a4:
        for s in p.stages:
            rows.append(
                [
                    "OCR" if p.model == "deepseek-ocr" else "OCR-2",
                    f"`{s.stage}`",
                    si(s.forward_tensor_core_flops + s.forward_cuda_core_flops, "FLOP"),
                    si(s.forward_io_bytes, "B"),
                    f"{s.wall_seconds * 1e3:,.1f} ms",
                ]
            )
    return markdown_table(["model", "stage", "FLOPs", "bytes moved", "wall time"], rows, align="llrrr")


def bench_table(bench_json: Path) -> str:
    """The speed figures of ``reports/bench/latest.json`` (written by ``scripts/bench/bench_analytic.py``)."""
    data = json.loads(bench_json.read_text(encoding="utf-8"))
    d = data["details"]
    cli = d["cli"]
    rows = [
        ["one full evaluation, distinct workloads (median CPU time)", f"{data['single_report_ms']} ms"],
        ["the same workload again (cached)", f"{d['single_report']['warm_same_workload_cpu_ms']} ms"],
        ["first evaluation in a fresh process", f"{d['single_report']['cold_first_call_cpu_ms']} ms"],
        [f"{grouped(d['sweep']['points'])}-point sweep engine, one core", f"{data['sweep_10k_s']} s"],
        ["analyzer cold start (`--help`)", f"{data['cli_cold_start_s']} s"],
        [
            "analyzer default run, all outputs, whole process (target <= 0.5 s wall)",
            f"{data['analytic_run_s']} s wall ({cli['full_default_run_cpu_s']} s CPU)",
        ],
        [
            "432-point sweep with plots, whole process (target <= 5 s wall)",
            f"{data['sweep_432_plots_s']} s wall ({cli['sweep_432_plots_cpu_s']} s CPU over its processes; "
            f"{cli['sweep_432_no_plots_wall_s']} s wall with `--no-plots`)",
        ],
        ["FlopCounterMode on meta, same workload (torch import excluded)", f"{data['flopcounter_meta_s']} s"],
        ["speed-up", f"{grouped(data['speedup_vs_flopcounter'])}x"],
    ]
    machine = data["machine"]
    load = machine["load_average_before"][0], machine["load_average_after"][0]
    head = (
        f"On a {machine['cpu_count']}-core {machine['cpu']} machine, Python {machine['python']}, load average "
        f"{load[0]} before and {load[1]} after (above the core count, wall-clock figures include waiting for a "
        "core):\n\n"
    )
    return head + markdown_table(["measurement", "result"], rows, align="lr")


def http_limits() -> str:
    """The HTTP service's limits (:mod:`llm_perf_opt.web.engine`)."""
    from llm_perf_opt.web.engine import DEFAULT_MAX_RUNS, MAX_BODY_BYTES, MAX_SWEEP_POINTS

    rows = [
        ["request body", f"at most {grouped(MAX_BODY_BYTES)} bytes (413 beyond)"],
        ["`POST /v1/sweeps`", f"at most {MAX_SWEEP_POINTS} points (the product of the listed values; 422 beyond)"],
        ["runs kept in the cache", f"{DEFAULT_MAX_RUNS} by default (`--max-runs`), least recently used removed first"],
    ]
    return markdown_table(["limit", "value"], rows, align="ll")


def http_bench_table(bench_json: Path) -> str:
    """The load figures of ``reports/bench/http.json`` (written by ``scripts/bench/bench_http.py``)."""
    data = json.loads(bench_json.read_text(encoding="utf-8"))
    rows = []
    for name, what in (
        (
            "distinct",
            f"distinct analyses on {' and '.join(data['distinct']['hardware'])} in turn, one client (each computed "
            "and written)",
        ),
        ("cached", f"one cached analysis, {data['cached']['clients']} clients at once"),
    ):
        r = data[name]
        lat = r["latency_ms"]
        rows.append([what, str(r["requests"]), str(r["requests_per_s"]), str(lat["p50"]), str(lat["p99"])])
    machine = data["machine"]
    load = ", ".join(str(x) for x in machine["load_average_before"])
    head = (
        f"`POST /v1/analyses` on a {machine['cpu_count']}-core machine shared with other jobs (load average "
        f"{load} before), Python {machine['python']}, Litestar {machine['versions']['litestar']}, uvicorn "
        f"{machine['versions']['uvicorn']}, the clients on the same machine:\n\n"
    )
    return head + markdown_table(["load", "requests", "requests/s", "p50 (ms)", "p99 (ms)"], rows, align="lrrrr")


def renderers(repo: Path) -> dict[str, Callable[[], str]]:
    """Every block the docs may hold, by name (``repo``: the checkout, for the committed bench results)."""
    return {
        "paper-a100-table": paper_a100_table,
        "a100-decode-steps": a100_decode_steps,
        "stage-params": stage_params,
        "ocr-v1-vs-v2": ocr_v1_vs_v2_table,
        "ocr-v1-vs-v2-stages": ocr_v1_vs_v2_stages,
        "bench-table": lambda: bench_table(repo / "reports" / "bench" / "latest.json"),
        "vendor-h200-summary": lambda: vendor_summary(repo),
        "serving-vendor-example": _serving("vendor_example"),
        "serving-anchors": _serving("anchors_table"),
        "serving-anchor-verdict": _serving("anchors_verdict"),
        "serving-pdf-length": _serving("pdf_length_table"),
        "serving-bench": lambda: serving_bench_table(repo / "reports" / "bench" / "serving.json"),
        "serving-host-constants": lambda: serving_host_table(repo / "reports" / "bench" / "engine_host.json"),
        "serving-steps-validation": lambda: serving_steps_table(repo),
        "serving-aiconfigurator": aiconfigurator_steps_table,
        "http-limits": http_limits,
        "http-bench-table": lambda: http_bench_table(repo / "reports" / "bench" / "http.json"),
    }


def aiconfigurator_steps_table() -> str:
    """The serving decode step against aiconfigurator-core's measured vLLM kernels, per GPU (packaged extract)."""
    from llm_perf_opt.validation.aiconfigurator_steps import doc_table

    return doc_table()


def vendor_summary(repo: Path) -> str:
    """The vendor-code report's summary table (``reports/validation/vendor-h200.md``), from its raw runs."""
    from llm_perf_opt.regen import VENDOR_REPORTS
    from llm_perf_opt.validation.vendor_report import load_raw, summary_table

    _, raws, hardware = VENDOR_REPORTS[0]
    return summary_table([(name, load_raw(repo / raw)) for name, raw in raws], hardware)


def _serving(name: str) -> Callable[[], str]:
    """A renderer of :mod:`llm_perf_opt.serving.doc_tables` (imported when the block is rendered)."""

    def render() -> str:
        from llm_perf_opt.serving import doc_tables

        table: Callable[[], str] = getattr(doc_tables, name)
        return table()

    return render


def serving_bench_table(bench_json: Path) -> str:
    """The committed serving timings (``scripts/bench/bench_serving.py``)."""
    data = json.loads(bench_json.read_text())
    rows = [
        ["step-time grid (Gundam 3x2, a100-40gb, fused, vendor settings)", f"{data['grid_build_s']} s"],
        ["10,000-page backlog simulated", f"{data['trace_10k_backlog_s']} s ({grouped(data['steps_backlog'])} steps)"],
        ["10,000-page Poisson stream at 90 % load simulated", f"{data['trace_10k_open_s']} s"],
    ]
    machine = data["machine"]
    head = f"CPU time of one process on a {machine['cpu_count']}-core machine, median of {machine['repeats']}:\n\n"
    return head + markdown_table(["measurement", "CPU time"], rows, align="lr")


def serving_host_table(bench_json: Path) -> str:
    """The host loop's constants (:mod:`llm_perf_opt.serving.host`) beside the committed measurement they come
    from (``scripts/bench/bench_engine_host.py``)."""
    from llm_perf_opt.serving.host import V0_STEP_S, VENDOR_PROCESSOR

    data = json.loads(bench_json.read_text())
    p = VENDOR_PROCESSOR
    rows = [
        ["host time per step the GPU waits for", f"{1000 * V0_STEP_S:g} ms", "vLLM issue 6854 (public figure)"],
        ["processor: per sampled sequence (dispatch, call)", f"{1e6 * p.call_s:g} us", f"{data['call_us']} us"],
        ["processor: per output token held (tuple copy)", f"{1e6 * p.per_token_s:g} us",
         f"{data['per_token_us']} us"],
        [f"processor: per window position ({p.positions} from {p.ngram_size} output tokens)",
         f"{1e6 * p.per_position_s:g} us", f"{data['per_position_us']} us"],
    ]  # fmt: skip
    machine = data["machine"]
    head = f"Measured on {machine['cpu']} ({machine['device']}, Python {machine['python']}):\n\n"
    return head + markdown_table(["constant", "value", "measured"], rows, align="lrr")


def serving_steps_table(repo: Path) -> str:
    """The serving step-time validation's summary (:mod:`llm_perf_opt.validation.serving_steps_report`),
    computed from the committed raw measurement (the first of ``regen.SERVING_STEP_REPORTS``)."""
    from llm_perf_opt.regen import SERVING_STEP_REPORTS

    raw, _, hardware = SERVING_STEP_REPORTS[0]
    raw_json = repo / raw
    if not raw_json.is_file():
        return "Not measured yet: no committed raw measurement.\n"
    from llm_perf_opt.validation.serving_steps_report import outputs

    files = outputs(raw_json, raw_json.parent / "report.md", hardware)
    data = json.loads(files[raw_json.parent / "serving-steps-summary.json"])
    rows = []
    for stage, st in data["stages"].items():
        verdict = "no target" if st["met"] is None else ("met" if st["met"] else "**not met**")
        rows.append([stage, str(st["points"]), f"{st['median_abs_error_pct']:.1f} %",
                     f"{st['worst_abs_error_pct']:.1f} %", verdict])  # fmt: skip
    head = f"{data['gpu']}, `{data['runtime']}`:\n\n"
    missing = data.get("missing", [])
    tail = f"\n{len(missing)} point(s) without a time (the report lists why).\n" if missing else ""
    return head + markdown_table(["stage", "points", "median error", "worst error", "target"], rows,
                                 align="lrrrl") + tail  # fmt: skip
