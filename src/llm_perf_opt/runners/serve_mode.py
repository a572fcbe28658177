"""``--mode serve``: DeepSeek-OCR pages under a continuous-batching serving engine (:mod:`llm_perf_opt.serving`).

For every GPU of ``--hardware`` x resolution mode x ``--max-num-seqs`` x ``--tensor-parallel``: the capacity
(a backlog served flat out), the operating point meeting the latency SLA, the GPUs a ``--pages-per-day``
target needs and their cost; ranked, best first. Writes ``summary.json``, ``report.md`` (the answer first),
``serve.csv`` (every configuration), ``plots/throughput-latency-<gpu>.{svg,png}`` and ``manifest.json``,
atomically, to ``--output-dir`` (default ``tmp/profile-output/serve``).

Example
-------
>>> parse_page_mix("gundam:3x2=3,base=1")[0]
(PageClass(mode='gundam', crop_grid=(2, 3), weight=3.0, prompt_tokens=9), None)
>>> parse_page_mix("gundam@1654x2339")[0][0].crop_grid  # the vendor's rule, at most 6 crops
(2, 3)
"""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from llm_perf_opt.contracts.converter import to_json_text
from llm_perf_opt.data.hardware import HardwareSpec
from llm_perf_opt.data.run_manifest import ManifestFile, RunManifest
from llm_perf_opt.hardware.registry import list_hardware, resolve_hardware
from llm_perf_opt.kernels.profiles import list_runtimes
from llm_perf_opt.serving.config import KERNEL_DATA, SCHEDULERS, EngineConfig, OutputTokens, PageClass, PageMix
from llm_perf_opt.serving.engine import WorkBudget, WorkExceededError
from llm_perf_opt.serving.host import HOST_LOOPS
from llm_perf_opt.serving.kernel_data import KernelDataError, check_kernel_data
from llm_perf_opt.serving.records import ServeInputs, ServeSummary, Sla
from llm_perf_opt.serving.search import DEFAULT_LOADS, VENDOR_MAX_CROPS, Evaluator, in_mode, search
from llm_perf_opt.serving.steps import LINK_GBPS
from llm_perf_opt.utils.atomic_output import check_output_directory, write_directory
from llm_perf_opt.utils.input_error import InputError
from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch
from modelmeter.models.deepseek_ocr.workload import MAX_COUNT, RESOLUTION_MODES, check_crop_grid, select_crop_grid
from modelmeter.models.families import V1

DEFAULT_OUTPUT = Path("tmp") / "profile-output" / "serve"
DEFAULT_RUNTIME = "fused"
DEFAULT_MIX = "gundam:3x2"
DEFAULT_MAX_NUM_SEQS = "16,32,64,100,128,256"
DEFAULT_REQUESTS = 1000
MAX_SERVE_WORK = 12_000_000
"""Most work a serve run's search may spend (:class:`llm_perf_opt.serving.engine.WorkBudget` units of about 0.5 us of
CPU on the 2-core machine of ``reports/bench``, so about 6 s; step-time grids and simulations counted too): the
default search spends about 3.8 million; a larger one is refused in one line before anything is written."""
MAX_REQUESTS = 100_000
"""Most pages in one simulated trace: a trace is held in memory whole, and 100,000 pages of 1,000 tokens already
take a single simulation past :data:`MAX_SERVE_WORK`."""
DEFAULT_OUTPUT_MEAN = 1000
DEFAULT_OUTPUT_CV = 0.5
BEST_SHOWN = 5

SERVE_FLAGS: dict[str, str] = {
    "page_mix": "--page-mix",
    "search_modes": "--search-modes",
    "output_tokens_mean": "--output-tokens-mean",
    "output_tokens_cv": "--output-tokens-cv",
    "max_num_seqs": "--max-num-seqs",
    "max_num_batched_tokens": "--max-num-batched-tokens",
    "gpu_memory_utilization": "--gpu-memory-utilization",
    "block_size": "--block-size",
    "max_model_len": "--max-model-len",
    "graph_pool_gib": "--graph-pool-gib",
    "preprocess_threads": "--preprocess-threads",
    "preprocess_seconds": "--preprocess-seconds",
    "tensor_parallel": "--tensor-parallel",
    "step_overhead_ms": "--step-overhead-ms",
    "scheduler": "--scheduler",
    "host_loop": "--host-loop",
    "kernel_data": "--kernel-data",
    "sla_ttft_p90": "--sla-ttft-p90",
    "sla_latency_p90": "--sla-latency-p90",
    "pages_per_day": "--pages-per-day",
    "gpu_hour_cost": "--gpu-hour-cost",
    "requests": "--requests",
    "seed": "--seed",
}
"""The flags only ``--mode serve`` reads (argparse destination -> flag)."""

_ENTRY = re.compile(r"^([a-z-]+)(?::(\d+)x(\d+)|@(\d+)x(\d+))?(?:=([0-9.eE+-]+))?$")


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    """The serve flags, every default in its help (``None`` in the namespace means not given)."""
    d = EngineConfig()
    g = parser.add_argument_group("serving (--mode serve; also reads --hardware, --runtime, --output-dir, --no-plots)")
    g.add_argument(
        "--page-mix",
        metavar="SPEC",
        default=None,
        help="pages served: comma-separated MODE[:ROWSxCOLUMNS|@WIDTHxHEIGHT][=WEIGHT], e.g. "
        "'gundam:3x2=0.7,base=0.3' or 'gundam@1654x2339' (crop grid by the vendor's rule, at most "
        f"{VENDOR_MAX_CROPS} crops); modes: {', '.join(RESOLUTION_MODES)}; default: {DEFAULT_MIX}",
    )
    g.add_argument(
        "--search-modes",
        metavar="LIST",
        default=None,
        help="resolution modes to rank the mix under (each page served in that mode, its grid from its page "
        "size, else its own grid in a crop mode), comma-separated, or 'all'; default: the mix as given",
    )
    g.add_argument(
        "--output-tokens-mean",
        type=int,
        metavar="N",
        default=None,
        help=f"mean generated tokens per page; default: {DEFAULT_OUTPUT_MEAN}",
    )
    g.add_argument(
        "--output-tokens-cv",
        type=float,
        metavar="X",
        default=None,
        help="coefficient of variation of the generated tokens (log-normal; 0: every page the mean); "
        f"default: {DEFAULT_OUTPUT_CV}",
    )
    g.add_argument(
        "--max-num-seqs",
        metavar="LIST",
        default=None,
        help=f"running requests at most (vLLM max_num_seqs), comma-separated values to search; default: "
        f"{DEFAULT_MAX_NUM_SEQS} (the vendor's script runs 100)",
    )
    g.add_argument(
        "--max-num-batched-tokens",
        type=int,
        metavar="N",
        default=None,
        help=f"tokens per engine step (decodes plus prefill chunks; also the step's image-token budget); under "
        f"the v0 scheduler at least --max-model-len; default: max(--max-model-len, 2048) under v0 (vLLM's), "
        f"{d.max_num_batched_tokens} under v1",
    )
    g.add_argument(
        "--gpu-memory-utilization",
        type=float,
        metavar="F",
        default=None,
        help=f"fraction of device memory the engine may use, in (0, 1]; default: {d.gpu_memory_utilization}",
    )
    g.add_argument(
        "--block-size",
        type=int,
        metavar="N",
        default=None,
        help=f"tokens per KV-cache block; default: {d.block_size}",
    )
    g.add_argument(
        "--max-model-len",
        type=int,
        metavar="N",
        default=None,
        help=f"longest sequence (prefill + generated); default: {d.max_model_len}",
    )
    g.add_argument(
        "--graph-pool-gib",
        type=float,
        metavar="GIB",
        default=None,
        help=f"memory held by CUDA graphs and workspaces (an assumption); default: {d.graph_pool_gib}",
    )
    g.add_argument(
        "--preprocess-threads",
        type=int,
        metavar="N",
        default=None,
        help=f"host threads decoding and resizing page images; default: {d.preprocess_threads} (the vendor's)",
    )
    g.add_argument(
        "--preprocess-seconds",
        type=float,
        metavar="S",
        default=None,
        help=f"host seconds per page on one thread (an assumption); default: {d.preprocess_s_per_page}",
    )
    g.add_argument(
        "--tensor-parallel",
        metavar="LIST",
        default=None,
        help="GPUs per replica to try, comma-separated (a what-if: the step split evenly plus two ring "
        "all-reduces per decoder layer; GPUs with a link figure: " + ", ".join(LINK_GBPS) + "); default: 1",
    )
    g.add_argument(
        "--scheduler",
        choices=SCHEDULERS,
        default=None,
        help="v0: vLLM's V0 engine as the vendor's script runs it (whole prompts in prefill-only steps); v1: "
        f"chunked prefill (decodes and prefill chunks share a step); default: {d.scheduler}",
    )
    g.add_argument(
        "--host-loop",
        choices=tuple(HOST_LOOPS),
        default=None,
        help="the engine's host time per step (docs/serving.md): vllm-v0-vendor (vLLM V0's step plus the "
        "vendor's per-request n-gram processor), vllm-v0, none (GPU time only); default: " + d.host_loop,
    )
    g.add_argument(
        "--kernel-data",
        choices=KERNEL_DATA,
        default=None,
        help="model: the runtime profile's kernel times; aiconfigurator: under --runtime fused, its decode "
        "attention and fused MoE corrected by vLLM's latencies NVIDIA aiconfigurator-core measured on the GPU or "
        "one of its compute capability (docs/serving.md; a GPU without them is an error that names those with "
        "them); default: " + d.kernel_data,
    )
    g.add_argument(
        "--step-overhead-ms",
        type=float,
        metavar="MS",
        default=None,
        help="further host milliseconds per engine step the GPU waits for, beyond --host-loop's (a what-if); "
        "default: 0",
    )
    g.add_argument(
        "--sla-ttft-p90",
        type=float,
        metavar="S",
        default=None,
        help="latency target: p90 time to first token in seconds (arrival to first token); default: none",
    )
    g.add_argument(
        "--sla-latency-p90",
        type=float,
        metavar="S",
        default=None,
        help="latency target: p90 page latency in seconds (arrival to last token); default: none",
    )
    g.add_argument(
        "--pages-per-day",
        type=float,
        metavar="N",
        default=None,
        help="target pages per day: GPUs and replicas needed per configuration; default: none",
    )
    g.add_argument(
        "--gpu-hour-cost",
        metavar="SPEC",
        default=None,
        help="cost per GPU-hour, comma-separated NAME=PRICE (e.g. 'a100-40gb=1.2,h100-sxm=2.5'), any currency; "
        "no defaults are shipped (prices vary by provider); default: no cost columns",
    )
    g.add_argument(
        "--requests",
        type=int,
        metavar="N",
        default=None,
        help=f"pages in each simulated trace; default: {DEFAULT_REQUESTS}",
    )
    g.add_argument("--seed", type=int, metavar="N", default=None, help="seed of the page stream; default: 0")


def _ints(flag: str, text: str, *, low: int = 1) -> tuple[int, ...]:
    try:
        values = tuple(int(x) for x in text.split(","))
    except ValueError:
        raise InputError(f"{flag}: expected comma-separated integers >= {low}, got {text!r}") from None
    if not values or min(values) < low or max(values) > MAX_COUNT:
        raise InputError(f"{flag}: expected comma-separated integers from {low} to {MAX_COUNT:,}, got {text!r}")
    return tuple(sorted(set(values)))


def parse_page_mix(text: str) -> list[tuple[PageClass, tuple[int, int] | None]]:
    """``--page-mix``: each entry's page class and its page size (``None`` when given by grid or mode)."""
    out = []
    for entry in text.split(","):
        m = _ENTRY.match(entry.strip())
        if not m or m.group(1) not in RESOLUTION_MODES:
            raise InputError(
                f"--page-mix: entry {entry.strip()!r}: expected MODE[:ROWSxCOLUMNS|@WIDTHxHEIGHT][=WEIGHT] "
                f"with MODE one of {', '.join(RESOLUTION_MODES)}"
            )
        mode = RESOLUTION_MODES[m.group(1)]
        size = (int(m.group(4)), int(m.group(5))) if m.group(4) else None
        grid = (1, 1)
        if m.group(2):
            grid = (int(m.group(3)), int(m.group(2)))
        elif size is not None and mode.crop_mode:
            if min(size) < 1:
                raise InputError(f"--page-mix: entry {entry.strip()!r}: page size must be >= 1 pixel")
            grid = select_crop_grid(*size, max_num=VENDOR_MAX_CROPS, image_size=mode.image_size)
        try:
            weight = float(m.group(6)) if m.group(6) else 1.0
            check_crop_grid(None, None, grid)  # the page's workload takes at most MAX_CROPS crops
            cls = PageClass(mode=mode.name, crop_grid=grid, weight=weight)
        except ValueError as exc:
            raise InputError(f"--page-mix: entry {entry.strip()!r}: {exc}") from None
        out.append((cls, size))
    return out


def _costs(text: str | None, names: Sequence[str]) -> dict[str, float]:
    if text is None:
        return {}
    out = {}
    for entry in text.split(","):
        name, _, price = entry.partition("=")
        try:
            value = float(price)
        except ValueError:
            value = math.nan
        if name.strip() not in names or not (math.isfinite(value) and value >= 0):
            raise InputError(
                f"--gpu-hour-cost: entry {entry!r}: expected NAME=PRICE (a number >= 0) with NAME one of "
                f"--hardware's GPUs: {', '.join(names)}"
            )
        out[name.strip()] = value
    return out


def _positive(flag: str, value: float | None) -> None:
    if value is not None and not (math.isfinite(value) and value > 0):
        raise InputError(f"{flag}: must be a number > 0, got {value!r}")


def _hardware(text: str | None) -> list[HardwareSpec]:
    out = []
    for name in (text or ",".join(list_hardware())).split(","):
        try:
            out.append(resolve_hardware(name.strip()))
        except ValueError as exc:
            raise InputError(f"--hardware: {exc}") from None
    return out


def serve_arch(model: str | None) -> DeepseekOCRArch:
    """The DeepSeek-OCR architecture ``--model`` names (packaged or a local ``config.json``); DeepSeek-OCR-2 is
    refused in one line: the serving model's pages are DeepSeek-OCR's resolution modes and crop grids.

    Example
    -------
    >>> serve_arch(None).language.num_hidden_layers
    12
    """
    from llm_perf_opt.runners.analyzer_inputs import load_model_spec

    spec = load_model_spec(model)
    if spec.family.key != V1 or not isinstance(spec.arch, DeepseekOCRArch):
        raise InputError(
            f"--model: {model}: --mode serve models {V1} only (its pages are {V1}'s resolution modes and crop "
            f"grids); {spec.family.display_name} is answered per page by --mode analytic"
        )
    return spec.arch


def serve_inputs(args: argparse.Namespace) -> tuple[ServeInputs, list[HardwareSpec], list[tuple[str, PageMix]]]:
    """The run's inputs from the flags (every problem one :class:`InputError` line), the GPUs and, per mode
    searched, the mix under it."""
    for dest, flag in SERVE_FLAGS.items():  # integers of any size parse; none of them means anything past 2**31
        value = getattr(args, dest, None)
        if isinstance(value, int) and value.bit_length() > 31:
            raise InputError(f"{flag}: must be within +-{MAX_COUNT:,}, got a {value.bit_length()}-bit integer")
    if args.requests is not None and args.requests > MAX_REQUESTS:
        raise InputError(
            f"--requests: at most {MAX_REQUESTS:,} pages per trace (a longer one passes the search's work bound), "
            f"got {args.requests:,}"
        )
    hardware = _hardware(args.hardware)
    runtime = args.runtime or DEFAULT_RUNTIME
    if runtime != "roofline" and runtime not in list_runtimes() and not runtime.endswith((".yaml", ".yml")):
        raise InputError(f"--runtime: unknown {runtime!r}; allowed: roofline, {', '.join(list_runtimes())}, or a path")
    entries = parse_page_mix(args.page_mix or DEFAULT_MIX)
    seqs = _ints("--max-num-seqs", args.max_num_seqs or DEFAULT_MAX_NUM_SEQS)
    tps = _ints("--tensor-parallel", args.tensor_parallel or "1")
    for flag in ("sla_ttft_p90", "sla_latency_p90", "pages_per_day", "graph_pool_gib", "preprocess_seconds",
                 "step_overhead_ms"):  # fmt: skip
        value = getattr(args, flag)
        if flag in ("graph_pool_gib", "preprocess_seconds", "step_overhead_ms") and value == 0:
            continue
        _positive(SERVE_FLAGS[flag], value)
    mean = DEFAULT_OUTPUT_MEAN if args.output_tokens_mean is None else args.output_tokens_mean
    cv = DEFAULT_OUTPUT_CV if args.output_tokens_cv is None else args.output_tokens_cv
    if mean < 1:
        raise InputError(f"--output-tokens-mean: must be an integer >= 1, got {mean}")
    if not (math.isfinite(cv) and cv >= 0):
        raise InputError(f"--output-tokens-cv: must be a number >= 0, got {cv!r}")
    requests = DEFAULT_REQUESTS if args.requests is None else args.requests
    if requests < 1:
        raise InputError(f"--requests: must be an integer >= 1, got {requests}")
    fields = {
        "max_num_batched_tokens": args.max_num_batched_tokens,
        "gpu_memory_utilization": args.gpu_memory_utilization,
        "block_size": args.block_size,
        "max_model_len": args.max_model_len,
        "graph_pool_gib": args.graph_pool_gib,
        "preprocess_threads": args.preprocess_threads,
        "preprocess_s_per_page": args.preprocess_seconds,
        "step_overhead_s": None if args.step_overhead_ms is None else args.step_overhead_ms / 1000,
        "scheduler": args.scheduler,
        "host_loop": args.host_loop,
        "kernel_data": args.kernel_data,
    }
    flag_of = {**SERVE_FLAGS, "preprocess_s_per_page": "--preprocess-seconds", "step_overhead_s": "--step-overhead-ms"}
    given = {k: v for k, v in fields.items() if v is not None}
    if args.max_num_batched_tokens is None and args.max_model_len is not None and args.scheduler != "v1":
        given["max_num_batched_tokens"] = max(args.max_model_len, 2048)  # vLLM V0's default without chunking
    try:
        engine = EngineConfig(max_num_seqs=max(seqs), **given)
    except (ValueError, TypeError) as exc:
        name = str(exc).split(":", 1)[0]
        flag = "--max-num-seqs" if "max_num_seqs (" in str(exc) else flag_of.get(name, name)
        raise InputError(f"{flag}: {str(exc).split(': ', 1)[-1]}") from None
    if engine.kernel_data != "model":
        for spec in hardware:
            try:
                check_kernel_data(runtime, spec)  # the packaged profile by name, not a file
            except KernelDataError as exc:
                raise InputError(f"--kernel-data: {str(exc).removeprefix('kernel_data: ')}") from None
    modes: tuple[str, ...]
    if args.search_modes is None:
        modes = tuple(dict.fromkeys(c.mode for c, _ in entries))
        mixes = [("mix", PageMix(classes=tuple(c for c, _ in entries)))]
    else:
        names = list(RESOLUTION_MODES) if args.search_modes == "all" else args.search_modes.split(",")
        for name in names:
            if name not in RESOLUTION_MODES:
                raise InputError(
                    f"--search-modes: unknown mode {name!r}; allowed: {', '.join(RESOLUTION_MODES)} or all"
                )
        modes = tuple(dict.fromkeys(names))
        mixes = [(m, PageMix.merged([in_mode(c, m, size) for c, size in entries])) for m in modes]
    for _, mix in mixes:
        for c in mix.classes:
            if c.image_tokens > engine.max_num_batched_tokens:
                raise InputError(
                    f"--max-num-batched-tokens: {engine.max_num_batched_tokens} is less than the "
                    f"{c.image_tokens} image tokens of a {c.label} page (one step's encoder budget)"
                )
            if c.prefill_tokens >= engine.max_model_len:
                raise InputError(
                    f"--max-model-len: {engine.max_model_len} leaves no room to generate after a {c.label} "
                    f"page's {c.prefill_tokens} prefill tokens"
                )
    costs = _costs(args.gpu_hour_cost, [h.name for h in hardware])
    inputs = ServeInputs(
        hardware=tuple(h.name for h in hardware),
        runtime=runtime,
        engine=engine,
        max_num_seqs=seqs,
        tensor_parallel=tps,
        page_mix=tuple(c for c, _ in entries),
        modes=modes,
        output_tokens=OutputTokens(mean=mean, cv=cv),
        sla=Sla(ttft_p90_s=args.sla_ttft_p90, latency_p90_s=args.sla_latency_p90),
        target_pages_per_day=args.pages_per_day,
        requests=requests,
        seed=0 if args.seed is None else args.seed,
        loads=DEFAULT_LOADS,
        gpu_hour_cost=tuple(sorted(costs.items())),
    )
    return inputs, hardware, mixes


def serve_files(
    inputs: ServeInputs,
    hardware: Sequence[HardwareSpec],
    mixes: Sequence[tuple[str, PageMix]],
    *,
    plots: bool,
    arch: DeepseekOCRArch | None = None,
) -> tuple[ServeSummary, dict[str, str | bytes]]:
    """Evaluate the search and render every output but the manifest."""
    from llm_perf_opt.serving.report import report_markdown, serve_csv_text, throughput_latency_plots
    from llm_perf_opt.timing.time_model import time_model

    try:
        timer = time_model(inputs.runtime)
    except ValueError as exc:
        raise InputError(f"--runtime: {exc}") from None
    evaluator = Evaluator(
        arch or DeepseekOCRArch(),
        timer,
        inputs.output_tokens,
        requests=inputs.requests,
        seed=inputs.seed,
        sla=inputs.sla,
        loads=inputs.loads,
        grid_max_num_seqs=max(inputs.max_num_seqs),
        work=WorkBudget(limit=MAX_SERVE_WORK),
    )
    costs = dict(inputs.gpu_hour_cost)
    try:
        points = search(
            evaluator,
            hardware,
            mixes,
            inputs.engine,
            max_num_seqs=inputs.max_num_seqs,
            tensor_parallel=inputs.tensor_parallel,
            target_pages_per_day=inputs.target_pages_per_day,
            gpu_hour_cost=costs.get,
            skip=lambda spec, tp: tp > 1 and spec.name not in LINK_GBPS,
        )
    except WorkExceededError:
        raise InputError(
            f"--requests: {inputs.requests:,} pages per trace take the search past {MAX_SERVE_WORK:,} units of "
            "simulated work (about 6 s); lower it or --output-tokens-mean, or search fewer --max-num-seqs, "
            "--search-modes, --tensor-parallel or --hardware values"
        ) from None
    if not points:
        raise InputError(
            "--gpu-memory-utilization, --block-size, --max-num-batched-tokens, --output-tokens-mean: no "
            "configuration's KV cache holds one page; raise the utilization or lower the block size, the batched "
            "tokens or the output"
        )
    answer = points[0] if points[0].meets_sla else None
    summary = ServeSummary(inputs=inputs, answer=answer, points=tuple(points))
    files: dict[str, str | bytes] = {"summary.json": to_json_text(summary), "serve.csv": serve_csv_text(points)}
    images = throughput_latency_plots(points) if plots else {}
    files |= images
    shown = [n for n in images if n.endswith(".svg")]
    files["report.md"] = report_markdown(summary, best=BEST_SHOWN, plots=shown)
    return summary, files


def run_serve(args: argparse.Namespace, command_line: Sequence[str], versions: Callable[[], dict[str, str]]) -> int:
    """Mode ``serve``: evaluate, write the outputs atomically, print the answer and the paths."""
    from llm_perf_opt.serving.report import best_text, headline

    arch = serve_arch(args.model)
    inputs, hardware, mixes = serve_inputs(args)
    out_dir = Path(args.output_dir) if args.output_dir else DEFAULT_OUTPUT
    force = bool(args.force)
    check_output_directory(out_dir, force=force, flag="--output-dir")
    summary, files = serve_files(inputs, hardware, mixes, plots=not args.no_plots, arch=arch)

    def manifest(written: tuple[ManifestFile, ...]) -> tuple[str, str]:
        record = RunManifest(
            run_id=out_dir.name or "serve",
            generated_at=datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            command_line=tuple(command_line),
            versions=versions(),
            files=written,
        )
        return "manifest.json", to_json_text(record)

    write_directory(out_dir, files, last=manifest, owned=("plots/*",), force=force)
    print(headline(summary).replace("**", "").replace("`", ""))
    print(f"\nThe best {min(BEST_SHOWN, len(summary.points))}:\n{best_text(summary, best=BEST_SHOWN)}")
    n = len(summary.points)
    print(f"\nWrote {out_dir}/: summary.json, report.md, serve.csv ({n} configuration{'s' if n > 1 else ''})")
    return 0
