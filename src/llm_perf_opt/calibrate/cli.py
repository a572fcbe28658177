"""``python -m llm_perf_opt.calibrate``: every microbenchmark the time model uses, in one process, written as
one hardware entry (YAML) and its raw measurements (JSON).

In order: the peaks (:mod:`~llm_perf_opt.calibrate.peaks`: bf16 matmul, device copy, launch, tiny kernel in
a graph, ``.item()``), the kernel-time curves (:mod:`~llm_perf_opt.calibrate.curves`), CUDA-graph replays
(:mod:`~llm_perf_opt.calibrate.graphs`) and the host cost of eager module code with the eager start
(:mod:`~llm_perf_opt.calibrate.host`). ``--dry-run`` runs the same code on the CPU with tiny sizes and
stand-in timings, and writes an entry marked ``measured: false`` whose numbers describe nothing.

Example
-------
>>> args = parse_args(["--name", "my-gpu", "--output", "my-gpu.yaml"])
>>> args.raw.name, args.dry_run
('my-gpu.raw.json', False)
>>> parse_args(["--name", "My GPU", "--output", "x.yaml"])
Traceback (most recent call last):
...
llm_perf_opt.utils.input_error.InputError: --name: lower-case letters, digits and '-' only, got 'My GPU'
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from attrs import evolve

from llm_perf_opt.calibrate.curves import ENTRY_CURVES, CurveSettings, hardware_block, measure_curves
from llm_perf_opt.calibrate.entry import hardware_entry, render_yaml
from llm_perf_opt.calibrate.fits import GIB, sig
from llm_perf_opt.calibrate.gpus import GENERATED_MARK, Datasheet, DatasheetError, Overrides, datasheet
from llm_perf_opt.calibrate.graphs import GraphSettings, measure
from llm_perf_opt.calibrate.host import HostSettings, measure_host, no_grad_factor
from llm_perf_opt.calibrate.peaks import (
    Clock,
    PeakSettings,
    environment,
    measure_peaks,
    measured_on,
    nvidia_smi,
    peak_constants,
    peak_how_measured,
)
from llm_perf_opt.contracts.converter import structure
from llm_perf_opt.contracts.hardware_converter import structure_hardware
from llm_perf_opt.contracts.json_input import read_json_file
from llm_perf_opt.contracts.yaml_input import InputFileError
from llm_perf_opt.data.hardware import CALIBRATION_CONSTANTS, Calibration, calibration_constant, nested_constants
from llm_perf_opt.data.host_ops import HOST_OP_CLASSES, extra_field
from llm_perf_opt.hardware.rates import DEFAULT_COPY_EFFICIENCY, DEFAULT_MATMUL_EFFICIENCY
from llm_perf_opt.hardware.registry import list_hardware
from llm_perf_opt.utils.atomic_output import check_output_path, write_file
from llm_perf_opt.utils.cli_boundary import OneLineParser, run_command, wants_debug
from llm_perf_opt.utils.input_error import InputError

PROG = "python -m llm_perf_opt.calibrate"
SCHEMA = "llm-perf-opt/calibration-run/v1"
HOST_POOLED: tuple[str, ...] = tuple(k for k in CALIBRATION_CONSTANTS if k.startswith("host."))
"""The constants ``--host-from`` pools across runs: the host's (its CPU and software), not the GPU's."""
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class _Formatter(argparse.ArgumentDefaultsHelpFormatter):
    """Help with each flag's default, where it has one."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default in (None, False) or action.default is argparse.SUPPRESS:
            return action.help
        return super()._get_help_string(action)


def _positive(kind: type[int] | type[float]) -> Any:
    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not value > 0:
            raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
        return value

    parse.__name__ = kind.__name__
    return parse


def build_parser() -> argparse.ArgumentParser:
    """The command's flags (``--help`` explains each)."""
    p = OneLineParser(
        prog=PROG,
        description=(
            "Calibrate a GPU in one command: measure every constant the time model uses (bf16 matmul and copy "
            "rates, kernel-time curves, launch, CUDA-graph replay, sync, host cost of eager module code, eager "
            "start) with generic microbenchmarks, and write a hardware entry (YAML, loadable with --hardware "
            "PATH) plus the raw measurements (JSON). About 2-4 minutes on an H200. Progress goes to stderr."
        ),
        formatter_class=_Formatter,
    )
    p.add_argument("--name", required=True, help="the entry's name (lower-case letters, digits, '-'); "
                   "a packaged entry's name must equal its file's stem")  # fmt: skip
    p.add_argument("--output", type=Path, required=True, help="the hardware entry (YAML) to write")
    p.add_argument("--raw", type=Path, default=None, help="raw measurements (JSON); default: OUTPUT's stem + .raw.json")
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="run the same code on the CPU with tiny sizes and stand-in timings (checks the command and the "
        "entry's shape; the entry says measured: false and its numbers describe nothing)",
    )
    p.add_argument("--device", default="cuda:0", help="torch device to calibrate (ignored with --dry-run)")
    p.add_argument("--debug", action="store_true", help="show the traceback of an unexpected error")
    g = p.add_argument_group("datasheet (not measured: the peaks the measured rates are compared with)")
    g.add_argument(
        "--datasheet",
        default=None,
        help="packaged entry to take the datasheet figures, sources and notes from (default: the one whose GPU "
        f"has the device's name; known: {', '.join(list_hardware())})",
    )
    g.add_argument("--display-name", default=None, help="product name (default: the datasheet's, else the device's)")
    g.add_argument("--architecture", default=None, help="architecture (default: the datasheet's, else by compute "
                   "capability)")  # fmt: skip
    g.add_argument("--bf16-tflops", type=_positive(float), default=None, help="dense bf16 Tensor-Core peak, TFLOP/s")
    g.add_argument("--fp32-tflops", type=_positive(float), default=None, help="FP32 CUDA-core peak, TFLOP/s")
    g.add_argument("--bandwidth-tbps", type=_positive(float), default=None, help="memory bandwidth, TB/s")
    g.add_argument("--memory-gb", type=_positive(float), default=None,
                   help="memory, binary GB (default: the datasheet's, else the device's total memory)")  # fmt: skip
    m = p.add_argument_group("measurement sizes")
    d = PeakSettings()
    m.add_argument("--seed", type=int, default=d.seed, help="seed of every random input")
    m.add_argument("--matmul-size", type=_positive(int), default=d.matmul_size, help="N of the N^3 bf16 matmul")
    m.add_argument("--copy-gib", type=_positive(float), default=d.copy_bytes / GIB, help="copied buffer, GiB")
    m.add_argument("--curve-repeats", type=_positive(int), default=CurveSettings().repeats,
                   help="profiled calls per kernel-curve size")  # fmt: skip
    m.add_argument("--graph-runs", type=_positive(int), default=GraphSettings().runs,
                   help="interleaved rounds of the graph replays (median)")  # fmt: skip
    m.add_argument("--host-runs", type=_positive(int), default=HostSettings().runs,
                   help="interleaved rounds of the host cases (median)")  # fmt: skip
    m.add_argument(
        "--host-from",
        type=Path,
        action="append",
        default=[],
        metavar="RAW",
        help="an earlier raw file (--raw) of this command for the same kind of GPU on another machine or lease "
        "(a run on another GPU is refused); repeatable. The entry's host constants (host.*: launch, module code, "
        "graph replay, sync, eager start) become the median of this run's and theirs, since a host's speed "
        "differs between machines of the same GPU; the GPU's own figures stay this run's",
    )
    return p


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parsed and checked flags; :class:`InputError` (one line) for a bad one."""
    args = build_parser().parse_args(argv)
    if not SLUG.match(args.name):
        raise InputError(f"--name: lower-case letters, digits and '-' only, got {args.name!r}")
    if args.datasheet is not None and args.datasheet not in list_hardware():
        raise InputError(f"--datasheet: unknown entry {args.datasheet!r}; known: {', '.join(list_hardware())}")
    if args.output.suffix not in (".yaml", ".yml"):
        raise InputError(f"--output: a .yaml file, got {str(args.output)!r}")
    if args.raw is None:
        args.raw = args.output.with_name(args.output.stem + ".raw.json")
    if args.raw.resolve() == args.output.resolve():
        raise InputError(f"--raw: {str(args.raw)!r} is the entry's own path; give another file")
    # before minutes of measuring: an output that cannot be written is refused now
    check_output_path(args.output, flag="--output", directory=False)
    check_output_path(args.raw, flag="--raw", directory=False)
    if not args.dry_run and args.copy_gib < 1:
        raise InputError("--copy-gib must be >= 1 (a copy that fits in cache measures the cache)")
    args.host_pool = [pooled_run(path) for path in args.host_from]
    return args


def pooled_run(path: Path) -> dict[str, Any]:
    """``{"file", "gpu", "measured_on", "constants"}`` of an earlier raw run for ``--host-from``: the host constants
    (:data:`HOST_POOLED`) of its own measurements, recomputed as :func:`calibration` does without pooling (a run
    that pooled others contributes only what it measured); ``InputError`` naming the flag for a file that is not a
    measured run of this command."""
    try:
        data = read_json_file(path)
    except (InputFileError, OSError) as exc:
        raise InputError(f"--host-from: {path}: {getattr(exc, 'strerror', None) or exc}") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA or not isinstance(data.get("entry"), dict):
        raise InputError(f"--host-from: {path}: not a raw file of {PROG} (schema {SCHEMA!r} with an entry)")
    if not data.get("measured"):
        raise InputError(f"--host-from: {path}: a dry run; give a run measured on a GPU")
    try:
        own = structure(
            calibration({**data, "host_pool": []}, dry_run=False, raw_name=path.name, seconds=0.0), Calibration
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"--host-from: {path}: its measurements are incomplete ({exc!r})") from None
    constants = {k: calibration_constant(own, k) for k in HOST_POOLED}
    gpu = data.get("environment", {}).get("gpu_name") if isinstance(data.get("environment"), dict) else None
    written = data["entry"].get("calibration")  # its entry says when it was measured (a recomputation says today)
    when = str(written.get("measured_on", "")) if isinstance(written, dict) else ""
    return {"file": path.name, "gpu": gpu, "measured_on": when, "constants": constants}


def check_pool_gpu(pool: Sequence[dict[str, Any]], device_name: str) -> None:
    """Refuse (``InputError``) a ``--host-from`` run measured on another kind of GPU than ``device_name``: the
    pooled hosts are those of machines with this GPU.

    Example
    -------
    >>> check_pool_gpu([{"file": "a.raw.json", "gpu": "NVIDIA H200"}], "NVIDIA H200")
    >>> check_pool_gpu([{"file": "a.raw.json", "gpu": "NVIDIA H100 80GB HBM3"}], "NVIDIA H200")
    Traceback (most recent call last):
    ...
    llm_perf_opt.utils.input_error.InputError: --host-from: a.raw.json was measured on NVIDIA H100 80GB HBM3, this \
GPU is NVIDIA H200; pool runs of the same GPU
    """
    for run in pool:
        if run.get("gpu") != device_name:
            raise InputError(
                f"--host-from: {run['file']} was measured on {run.get('gpu')}, this GPU is {device_name}; "
                "pool runs of the same GPU"
            )


def pooled_constants(own: dict[str, float | None], pool: Sequence[dict[str, Any]]) -> dict[str, float | None]:
    """``own`` with each host constant (:data:`HOST_POOLED`) the median of its value and the ``pool``'s runs'
    (those that measured it), to 4 significant digits.

    Example
    -------
    >>> own = {"host.sync_us": 9.0, "min_kernel_us": 0.9}
    >>> pool = [{"constants": {"host.sync_us": 8.0}}, {"constants": {"host.sync_us": 12.0}}]
    >>> pooled = pooled_constants(own, pool)  # the median of 9, 8 and 12; the GPU's floor is this run's
    >>> pooled["host.sync_us"], pooled["min_kernel_us"]
    (9.0, 0.9)
    >>> pooled_constants(own, pool[:1])["host.sync_us"]
    8.5
    """
    if not pool:
        return own
    out = dict(own)
    for key in HOST_POOLED:
        values = [v for v in [own.get(key), *(run["constants"].get(key) for run in pool)] if v is not None]
        out[key] = sig(statistics.median(values)) if values else None
    return out


class Progress:
    """Timestamped progress lines on stderr, and the seconds each section took."""

    def __init__(self) -> None:
        self.t0 = time.perf_counter()
        self.sections: dict[str, float] = {}
        self._start = self.t0

    def say(self, text: str) -> None:
        """One progress line."""
        print(f"[{time.perf_counter() - self.t0:7.1f} s] {text}", file=sys.stderr, flush=True)

    def begin(self, section: str) -> None:
        """A section starts."""
        self._start = time.perf_counter()
        self.say(f"{section} ...")

    def end(self, section: str, result: str) -> None:
        """A section ends: its time is recorded."""
        self.sections[section] = round(time.perf_counter() - self._start, 2)
        self.say(f"{section}: {result} ({self.sections[section]:.1f} s)")

    def total(self) -> float:
        """Seconds since the start."""
        return round(time.perf_counter() - self.t0, 2)


def measure_all(torch: Any, device: Any, args: argparse.Namespace, progress: Progress) -> dict[str, Any]:
    """Every measurement, in one process: ``environment``, ``peaks``, ``curves``, ``graphs``, ``host``."""
    dry = bool(args.dry_run)
    clock = Clock(torch, device)
    env = environment(torch, device)
    try:
        import transformers

        env["transformers_version"] = transformers.__version__
    except ImportError:  # pragma: no cover - the host cases need it and fail with the import error
        env["transformers_version"] = None
    l2 = int(env.get("l2_cache_bytes") or 0)
    peaks = PeakSettings(matmul_size=args.matmul_size, copy_bytes=int(args.copy_gib * GIB), seed=args.seed)
    if dry:
        peaks = PeakSettings.dry_run(peaks)
    progress.begin("peaks (matmul, copy, launch, sync)")
    p = measure_peaks(torch, clock, peaks, l2)
    c = peak_constants(p)
    progress.end("peaks", ", ".join(f"{k} {v}" for k, v in c.items()))
    if clock.cuda:
        torch.cuda.empty_cache()
    progress.begin(f"kernel curves ({len(ENTRY_CURVES)})")
    curve_settings = CurveSettings(repeats=args.curve_repeats, only=ENTRY_CURVES, dry_run=dry)
    curves = measure_curves(torch, device, curve_settings)
    progress.end("curves", f"{sum(len(v) for v in curves['curves'].values())} sizes")
    if clock.cuda:
        torch.cuda.empty_cache()
    progress.begin("CUDA-graph replays" + (" (stand-in: eager on the CPU)" if dry else ""))
    graph_settings = GraphSettings(runs=args.graph_runs, seed=args.seed)
    if dry:
        graph_settings = evolve(graph_settings, kernels=16, runs=5, warmup=1, before_graph=16)
    graphs = measure(torch, graph_settings, "cuda" if clock.cuda else "cpu")
    progress.end("graphs", f"launch {graphs['graph_launch_us']:.4g} us, gap {graphs['graph_kernel_gap_us']:.4g} us")
    progress.begin("host cost of eager module code" + (" (stand-in kernels on the CPU)" if dry else ""))
    host = measure_host(torch, device, HostSettings(runs=5 if dry else args.host_runs))
    progress.end(
        "host",
        f"module launch {host['module_launch_us']:.4g} us, call {host['module_call_us']:.4g} us, "
        f"no_grad factor {host['no_grad_factor']:.4g}, eager start {host['eager_start_us']:.4g} us; extra per call: "
        + ", ".join(f"{c} {v:.4g} us" for c, v in host["op_extra_us"].items()),
    )
    if clock.cuda:
        env["nvidia_smi_after"] = nvidia_smi(device.index if device.index is not None else 0)
    return {"environment": env, "peaks": p, "curves": curves, "graphs": graphs, "host": host}


def _positive_or_none(x: float | None) -> float | None:
    return x if x is not None and x > 0 else None


def calibration(raw: dict[str, Any], *, dry_run: bool, raw_name: str, seconds: float) -> dict[str, Any]:
    """The entry's ``calibration`` block from :func:`measure_all`'s measurements: measured constants to 4
    significant digits; a dry run's is ``measured: false`` with the default efficiencies and its CPU numbers as
    labelled stand-ins."""
    p, host, graphs = raw["peaks"], raw["host"], raw["graphs"]
    peaks = peak_constants(p)
    consts: dict[str, float | None] = {
        "min_kernel_us": peaks["min_kernel_us"],
        "host.sync_us": peaks["host.sync_us"],
        "host.eager_start_us": sig(host["eager_start_us"]),
        "host.enqueue.launch_us": peaks["host.enqueue.launch_us"],
        "host.module.launch_us": sig(host["module_launch_us"]),
        "host.module.call_us": sig(host["module_call_us"]),
        "host.module.no_grad_factor": sig(no_grad_factor(host)),
        "host.graph.launch_us": sig(graphs["graph_launch_us"]),
        "host.graph.kernel_gap_us": sig(graphs["graph_kernel_gap_us"]),
    }
    consts = {k: _positive_or_none(v) for k, v in consts.items()}
    if consts["host.module.launch_us"] is None:
        consts["host.module.call_us"] = None
    extras = host.get("op_extra_us", {})  # an earlier run (--host-from) may predate the operator classes
    for op in HOST_OP_CLASSES:
        value = extras.get(op)
        consts[f"host.module.{extra_field(op)}"] = (
            None if value is None or consts["host.module.launch_us"] is None else sig(value)
        )
    pool = raw.get("host_pool", [])
    consts = pooled_constants(consts, pool)
    ls, ll = host["linear_silu"], [host["llama_eager"], host["llama_sdpa"]]
    parts = [
        f"python -m llm_perf_opt.calibrate, one process, {seconds:.0f} s",
        *peak_how_measured(p),
        "host.module.launch_us and call_us: llm_perf_opt.calibrate.host's generic cases, none of them "
        "DeepSeek-OCR (CUDA events around a forward with the queue drained, median of "
        f"{ls['runs']} interleaved rounds; GPU work tiny, so a forward's wall time is the host's), split by "
        "llm_perf_opt.validation.host_split: the Linear/SiLU stack (200 blocks of Linear(64, 64), SiLU, residual "
        f"add: {ls['torch_calls_per_forward']} torch calls, {ls['kernels_per_forward']} kernels) and transformers' "
        "LlamaModel at toy size (hidden 64, 8 layers, 8 tokens, no cache) with eager and with SDPA attention (the "
        f"two summed: {sum(c['torch_calls_per_forward'] for c in ll)} Python-level torch calls, "
        f"{sum(c['kernels_per_forward'] for c in ll)} kernels, each counted in a separate call under a "
        "TorchFunctionMode / the profiler) give wall = call_us x calls + launch_us x kernels",
        "host.module.<class>_extra_us: chains of 100 calls of one operator under torch.no_grad() and bf16 autocast "
        "(as transformers' generate() runs a model under DeepSeek-OCR's infer()) timed in the same rounds (CUDA "
        "events around the chain, median), one chain per operator class with its own host cost (a biased F.linear "
        "on a 3-D input, F.scaled_dot_product_attention, F.layer_norm, torch.argsort of 48 ids, an index-tensor "
        "gather; ViT-L sizes: 257 tokens, width 1024, 16 heads) and a plain F.linear as reference: the class's wall "
        "per call less the reference's, less host.module.launch_us per kernel beyond the reference's one",
        "host.module.no_grad_factor: the same three module cases timed in every round under torch.no_grad() (as "
        "transformers' generate() runs a model) after the torch.inference_mode() ones; the sum of their median walls "
        "under no_grad over the same sum under inference_mode",
        "host.eager_start_us: one y.add_(1) on a one-element tensor timed in the same rounds, right after the "
        "Linear/SiLU stack; median wall less its profiled kernel",
        "host.graph.launch_us and kernel_gap_us: llm_perf_opt.calibrate.graphs (chains of 1 and "
        f"{graphs['kernels_per_long_chain']} "
        "dependent kernels: x.add_(1) on float32 tensors of 1 to 4,194,304 elements, 1280-wide bf16 "
        "matrix-vector products and eight kernel types in turn, each captured as a CUDA graph; "
        f"{graphs['timing']}; minus the profiled kernel time per replay: launch = the 1-kernel graph's excess, "
        "gap = the long graph's further excess per added kernel; medians over the chains)",
        *(
            [
                f"host.*: the median of this run's and {len(pool)} earlier runs' of this command on other leases of "
                "the same GPU (" + ", ".join(r["file"] for r in pool) + "): a host's speed differs between machines"
            ]
            if pool
            else []
        ),
        f"Raw measurements: {raw_name}",
    ]
    block: dict[str, Any] = {"measured": not dry_run}
    how = ". ".join(parts) + "."
    if dry_run:
        block["how_measured"] = (
            "DRY RUN on the CPU: tiny sizes and stand-in timings (host clock, no GPU, no CUDA graph); the "
            "efficiencies are the defaults of llm_perf_opt.hardware.rates and every other number describes the "
            "CPU, not a GPU. Same code path: " + how
        )
        block["matmul_efficiency"] = DEFAULT_MATMUL_EFFICIENCY
        block["copy_efficiency"] = DEFAULT_COPY_EFFICIENCY
    else:
        block["matmul_tflops"] = peaks["matmul_tflops"]
        block["copy_tbps"] = peaks["copy_tbps"]
    block.update(nested_constants(consts))
    block["measured_on"] = measured_on(raw["environment"])
    if not dry_run:
        block["how_measured"] = how
    curves = hardware_block(raw["curves"], tool="llm_perf_opt.calibrate (curves)")
    if dry_run:
        curves["how_measured"] = "DRY RUN on the CPU (profiled CPU operator times, tiny sizes): " + str(
            curves["how_measured"]
        )
    block["kernel_curves"] = {
        "measured_on": curves.pop("measured_on"),
        "how_measured": curves.pop("how_measured"),
        **curves,
    }
    return block


def header(sheet: Datasheet, name: str, raw_name: str, dry_run: bool) -> tuple[str, ...]:
    """Comment lines above the entry: the known entry's own, then what wrote it."""
    date = dt.datetime.now(dt.UTC).date().isoformat()
    what = " (DRY RUN: CPU, stand-in numbers)" if dry_run else ""
    src = f"the packaged entry '{sheet.known}'" if sheet.known else "the flags and the device's properties"
    lines = list(sheet.header) or [f"# {sheet.display_name}. Figures: dense."]
    lines.append(f"{GENERATED_MARK} --name {name} on {date}{what}.")
    lines.append(f"# Datasheet figures from {src}; raw measurements: {raw_name}.")
    return tuple(lines)


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Measure, build the entry, write both files; the raw report (with the entry) is returned."""
    progress = Progress()
    progress.say("importing torch")
    import torch

    if args.dry_run:
        device = torch.device("cpu")
    else:
        if not torch.cuda.is_available():
            raise InputError("no CUDA device visible to torch; --dry-run checks the command on a CPU")
        device = torch.device(args.device)
        torch.cuda.set_device(device)
    overrides = Overrides(
        display_name=args.display_name,
        architecture=args.architecture,
        bf16_tflops=args.bf16_tflops,
        fp32_tflops=args.fp32_tflops,
        bandwidth_tbps=args.bandwidth_tbps,
        memory_gb=args.memory_gb,
    )
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        name, cc, total = torch.cuda.get_device_name(device), f"{props.major}.{props.minor}", int(props.total_memory)
    else:
        name, cc, total = "CPU (dry run)", "0.0", 16 * GIB
    try:  # before measuring: a missing figure is a one-line error, not five minutes lost
        sheet = datasheet(
            device_name=name,
            compute_capability=cc,
            total_memory_bytes=total,
            entry=args.datasheet,
            overrides=overrides,
            stand_in=bool(args.dry_run),
        )
    except DatasheetError as exc:
        raise InputError(str(exc)) from None
    if not args.dry_run:
        check_pool_gpu(args.host_pool, name)
    progress.say(f"calibrating {name} (compute capability {cc}) as '{args.name}'; datasheet: {sheet.known or 'flags'}")
    raw = measure_all(torch, device, args, progress)
    raw["host_pool"] = args.host_pool
    seconds = progress.total()
    block = calibration(raw, dry_run=bool(args.dry_run), raw_name=args.raw.name, seconds=seconds)
    entry = hardware_entry(name=args.name, sheet=sheet, calibration=block)
    report = {
        "schema": SCHEMA,
        "dry_run": bool(args.dry_run),
        "measured": not args.dry_run,
        "note": "DRY RUN on the CPU: stand-in numbers, not a GPU's" if args.dry_run else "measured on the GPU",
        "created_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": " ".join([PROG, *(sys.argv[1:] if args.argv is None else args.argv)]),
        "seconds": seconds,
        "section_seconds": progress.sections,
        **raw,
        "datasheet": {"device_name": name, "known_entry": sheet.known},
        "entry": entry,
    }
    write_file(args.raw, json.dumps(report, indent=1, sort_keys=True, default=str) + "\n", flag="--raw")
    write_file(
        args.output, render_yaml(entry, header(sheet, args.name, args.raw.name, bool(args.dry_run))), flag="--output"
    )
    if args.output.stem != args.name:
        progress.say(f"note: the file's stem is not '{args.name}'; a packaged entry's must be (--hardware PATH works)")
    return report


def print_summary(report: dict[str, Any], args: argparse.Namespace) -> None:
    """The constants, and where they went, on stdout."""
    cal = structure_hardware(report["entry"]).calibration
    assert cal is not None  # the command always writes one
    label = "DRY RUN (stand-in numbers, not a GPU's)" if report["dry_run"] else report["entry"]["display_name"]
    print(f"calibration of {label} in {report['seconds']:.0f} s")
    for key in ("matmul_tflops", "copy_tbps", "matmul_efficiency", "copy_efficiency"):
        if (value := getattr(cal, key)) is not None:
            print(f"  {key:<26} {value}")
    for key in CALIBRATION_CONSTANTS:
        if (value := calibration_constant(cal, key)) is not None:
            print(f"  {key:<26} {value}")
    print(f"wrote {args.output}")
    print(f"wrote {args.raw}")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: 0 on success; 2 with one line on stderr for bad flags, an unwritable output or a GPU it cannot
    describe; 1 with one line for an unexpected error (``--debug`` shows its traceback)."""

    def body() -> int:
        args = parse_args(argv)
        args.argv = None if argv is None else list(argv)
        report = run(args)
        print_summary(report, args)
        return 0

    return run_command(PROG.split()[-1], body, debug=wants_debug(argv))
