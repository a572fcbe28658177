"""``python -m llm_perf_opt.runners.dsocr_analyzer``: DeepSeek-OCR's (or DeepSeek-OCR-2's, ``--model
deepseek-ocr-2``) compute, traffic and memory, predicted without running the model.

Mode ``analytic`` (the default and, for now, the only one) evaluates the closed-form model
for one workload and writes, to ``tmp/profile-output/<run_id>/static_analysis/analytic_model/``
(``--output-dir`` overrides): ``report.json`` / ``report.yaml`` (``--format``), ``summary.json``,
``report.md``, ``layers/<ClassName>.md`` and ``manifest.json``. It needs no model files, no GPU
and no torch. Bad input: one line on stderr, exit status 2, nothing written.

Example
-------
>>> import tempfile
>>> out = tempfile.mkdtemp() + "/run"
>>> main(["--mode", "analytic", "--max-new-tokens", "2", "--format", "json", "--output-dir", out]) # doctest: +ELLIPSIS
stage ...
0
>>> main(["--crop-grid", "3by2"])
2
"""

from __future__ import annotations

import argparse
import functools
import importlib.metadata
import json
import platform
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeAlias

from attrs import evolve

import llm_perf_opt
from llm_perf_opt.contracts.converter import json_text, to_json_text, unstructure, yaml_text
from llm_perf_opt.data.run_manifest import ManifestFile, RunManifest
from llm_perf_opt.data.workload_profile import OCRWorkloadProfile
from llm_perf_opt.hardware.registry import list_hardware, resolve_hardware
from llm_perf_opt.kernels.profiles import DEFAULT_RUNTIME, list_runtimes, resolve_runtime
from llm_perf_opt.runners.analyzer_inputs import (
    FIELD_FLAGS,
    AnalyzerInputs,
    WorkloadFlags,
    check_run_id,
    default_run_id,
    load_profile,
    parse_crop_grid,
    resolve_inputs,
    v1_model,
)
from llm_perf_opt.runners.report_builder import build_report
from llm_perf_opt.runners.serve_mode import SERVE_FLAGS, add_serve_arguments, run_serve
from llm_perf_opt.runners.summary_builder import build_summary
from llm_perf_opt.runners.torch_gate import require_torch
from llm_perf_opt.utils.atomic_output import check_output_directory, write_directory
from llm_perf_opt.utils.cli_boundary import OneLineParser, exit_program, run_command, wants_debug
from llm_perf_opt.utils.collector import CollectorPaused
from llm_perf_opt.utils.input_error import InputError
from llm_perf_opt.utils.named_files import looks_like_path
from llm_perf_opt.utils.packaged_defaults import (
    DEFAULT_WORKLOAD_ID,
    PACKAGED_MODELS,
    list_sweeps,
    packaged_workload_ids,
    sweep_file,
)
from llm_perf_opt.visualize.layer_pages import page_name, render_layer_page
from llm_perf_opt.visualize.report_markdown import render_report_markdown
from llm_perf_opt.visualize.stage_table import render_stage_table
from modelmeter.layers.attention_core import ATTENTION_IMPLS
from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch
from modelmeter.models.deepseek_ocr.workload import OCRWorkload
from modelmeter.models.families import FAMILIES, V1, OCRModel
from modelmeter.units import KNOWN_DTYPES

if TYPE_CHECKING:  # imported where used: the time model with --hardware, the cross-check with --torchinfo-dir
    from llm_perf_opt.data.hardware import HardwareSpec
    from llm_perf_opt.data.runtime_profile import RuntimeProfile
    from llm_perf_opt.data.torchinfo_crosscheck import TorchInfoCrossCheck
    from llm_perf_opt.runners.timing_builder import WorkloadTimings

PROG = "dsocr-analyzer"
SERVE_HTTP = "serve-http"
"""``dsocr-analyzer serve-http [--host H] [--port P] [--cache-dir DIR]``: the HTTP API and web page (``http``
extra)."""
OUTPUT_ROOT = Path("tmp") / "profile-output"
OUTPUT_SUBDIR = Path("static_analysis") / "analytic_model"
FORMATS = ("json", "yaml", "both")
DEFAULT_FORMAT = "both"
VERSIONED_PACKAGES = ("llm-perf-opt", "attrs", "cattrs", "PyYAML")


@functools.cache
def _standard_profile() -> OCRWorkloadProfile:
    profile, _ = load_profile(DEFAULT_WORKLOAD_ID)
    return profile


def _profile_default(field: str) -> str:
    """Help text naming the packaged standard profile's value of ``field``."""
    try:
        value = getattr(_standard_profile(), field)
    except (InputError, AttributeError):  # pragma: no cover - the packaged profile always loads
        return "default: the profile's value"
    if isinstance(value, bool):
        value = int(value)
    return f"default: the profile's value ({DEFAULT_WORKLOAD_ID}: {value})"


def build_parser() -> argparse.ArgumentParser:
    """The command line, with every flag's default in its help."""
    p = OneLineParser(
        prog=PROG,
        description="Predict DeepSeek-OCR's FLOPs, memory traffic and memory per stage and per module, "
        "in closed form (no model weights, no GPU, no torch). 'dsocr-analyzer serve-http --help': the same as an "
        "HTTP API and a web page.",
    )
    p.add_argument(
        "--mode",
        choices=tuple(MODES),
        default="analytic",
        help="what to run: analytic = the closed-form model (no torch); static = count the project's PyTorch "
        "reference with FlopCounterMode on the meta device; verify = analytic and counted side by side "
        "(static and verify need the validation extra); sweep = many workloads from --sweep FILE, "
        "written as CSV, JSON and plots; serve = pages under a continuous-batching serving engine: throughput, "
        "latency, GPUs for a pages-per-day target (docs/serving.md); default: analytic",
    )
    p.add_argument(
        "--model",
        metavar="NAME_OR_PATH",
        default=None,
        help=f"a packaged model ({', '.join(PACKAGED_MODELS)}: the released checkpoints' architectures) or a local "
        "DeepSeek-OCR or DeepSeek-OCR-2 directory (or its config.json; the model is detected from its keys): only "
        f"config.json is read, no weights; default: {V1}",
    )
    p.add_argument(
        "--workload-profile-id",
        metavar="ID_OR_PATH",
        default=None,
        help=f"packaged workload profile ({', '.join(packaged_workload_ids())}) or a path to a workload YAML file; "
        f"default: {DEFAULT_WORKLOAD_ID}, the standard profile of the model ("
        + ", ".join(f"{m}: {p[1]}" for m, p in PACKAGED_MODELS.items())
        + ")",
    )
    w = p.add_argument_group("workload overrides (each replaces the profile's value)")
    w.add_argument(
        "--resolution-mode",
        choices=tuple(dict.fromkeys(m for f in FAMILIES.values() for m in f.resolution_modes)),
        default=None,
        help="vendor mode preset setting base size, crop size and crop mode (the three flags below "
        "override it); "
        + "; ".join(f"{f.display_name}: {', '.join(f.resolution_modes)}" for f in FAMILIES.values())
        + "; "
        + _profile_default("resolution_mode"),
    )
    w.add_argument(
        "--base-size",
        type=int,
        metavar="PX",
        default=None,
        help="global view size, a multiple of 16; " + _profile_default("base_size"),
    )
    w.add_argument(
        "--image-size",
        type=int,
        metavar="PX",
        default=None,
        help="crop size, a multiple of 16; " + _profile_default("image_size"),
    )
    w.add_argument(
        "--crop-mode",
        type=int,
        choices=(0, 1),
        default=None,
        help="1: cut the page into local crops; " + _profile_default("crop_mode"),
    )
    w.add_argument(
        "--crop-grid",
        metavar="HxW",
        default=None,
        help="crop grid as ROWSxCOLUMNS, i.e. crops down x crops across (3x2 is 2 crops across, 3 down); "
        "default: chosen from the page size by the vendor's rule (dsocr-standard-v1: 3x2)",
    )
    w.add_argument(
        "--image-width",
        type=int,
        metavar="PX",
        default=None,
        help="page width, to choose the crop grid by the vendor's rule; " + _profile_default("image_width"),
    )
    w.add_argument(
        "--image-height",
        type=int,
        metavar="PX",
        default=None,
        help="page height, to choose the crop grid by the vendor's rule; " + _profile_default("image_height"),
    )
    w.add_argument(
        "--prompt-tokens",
        type=int,
        metavar="N",
        default=None,
        help="prompt text tokens besides BOS and the image tokens; " + _profile_default("prompt_tokens"),
    )
    w.add_argument(
        "--seq-len",
        type=int,
        metavar="N",
        default=None,
        help="prefill length (BOS + prompt + image tokens), instead of --prompt-tokens; default: not "
        "used (dsocr-standard-v1: 913)",
    )
    w.add_argument(
        "--max-new-tokens",
        type=int,
        metavar="N",
        default=None,
        help="generated tokens (max_new_tokens - 1 decode forwards follow the prefill); "
        + _profile_default("max_new_tokens"),
    )
    w.add_argument(
        "--batch-size", type=int, metavar="N", default=None, help="pages per call; " + _profile_default("batch_size")
    )
    w.add_argument(
        "--dtype",
        choices=KNOWN_DTYPES,
        default=None,
        help="element type of weights and activations; " + _profile_default("dtype"),
    )
    w.add_argument(
        "--attention",
        choices=ATTENTION_IMPLS,
        default=None,
        help="attention kernel of the I/O model (flash: fused, scores stay on chip; eager: scores "
        "written and read); " + _profile_default("attention"),
    )
    p.add_argument(
        "--sweep",
        metavar="NAME_OR_PATH",
        default=None,
        help=f"sweep for --mode sweep: a packaged sweep ({', '.join(list_sweeps())}) or a path to a sweep YAML "
        "file (docs/capacity-planning.md); required by --mode sweep, refused by the other modes",
    )
    p.add_argument(
        "--debug",
        action="store_true",
        help="show the Python traceback of an unexpected error instead of one line",
    )
    p.add_argument(
        "--no-plots",
        action="store_const",
        const=True,
        default=None,
        help="--mode sweep: write sweep.csv and sweep.json only, no plots (whatever the sweep file's plots: says)",
    )
    t = p.add_argument_group("predicted time (analytic mode)")
    t.add_argument(
        "--hardware",
        metavar="NAME_OR_PATH",
        default=None,
        help=f"a packaged GPU entry ({', '.join(list_hardware())}) or a path to your own hardware YAML file (a "
        "copy of a packaged one, edited): adds per-stage roofline time, kernel time, wall time and kernel launches "
        "to summary.json and report.md, plus capacity planning; default: none (no time predicted). In --mode serve: "
        "comma-separated GPUs to rank, default: every packaged GPU",
    )
    t.add_argument(
        "--runtime",
        metavar="NAME_OR_PATH",
        default=None,
        help=f"a packaged runtime profile ({', '.join(list_runtimes())}) or a path to your own runtime YAML file, "
        f"for kernel and wall time; needs --hardware; default with --hardware: {DEFAULT_RUNTIME}. In --mode sweep: "
        "roofline or a packaged profile, replacing the sweep's runtimes axis. In --mode serve: roofline, a profile or "
        "a path, default: fused",
    )
    add_serve_arguments(p)
    o = p.add_argument_group("outputs")
    o.add_argument(
        "--torchinfo-dir",
        metavar="DIR",
        default=None,
        help="TorchInfo artifacts of a traced DeepSeek-OCR (the 4 files) to cross-check the layer classes "
        "and parameters against; default: no cross-check",
    )
    o.add_argument(
        "--format",
        choices=FORMATS,
        default=None,
        help=f"write report.json, report.yaml or both (analytic mode); default: {DEFAULT_FORMAT}",
    )
    o.add_argument(
        "--run-id",
        metavar="ID",
        default=None,
        help="run directory name; default: <workload id>-<hash of the inputs> (same inputs, same id)",
    )
    o.add_argument(
        "--force",
        action="store_const",
        const=True,
        default=None,
        help="write into an existing --output-dir that holds files no run of the analyzer wrote, keeping them "
        "(without it such a directory is refused; an earlier output of the same mode is replaced either way)",
    )
    o.add_argument(
        "--output-dir",
        metavar="DIR",
        default=None,
        help=f"output directory; default: {OUTPUT_ROOT.as_posix()}/<run_id>/{OUTPUT_SUBDIR.as_posix()}",
    )
    return p


def _profile_id(args: argparse.Namespace) -> str | None:
    """The profile given, or ``None``: the model's standard profile."""
    value: str | None = args.workload_profile_id
    return value


def _flags(args: argparse.Namespace) -> WorkloadFlags:
    return WorkloadFlags(
        resolution_mode=args.resolution_mode,
        base_size=args.base_size,
        image_size=args.image_size,
        crop_mode=None if args.crop_mode is None else bool(args.crop_mode),
        crop_grid=None if args.crop_grid is None else parse_crop_grid(args.crop_grid),
        image_width=args.image_width,
        image_height=args.image_height,
        prompt_tokens=args.prompt_tokens,
        seq_len=args.seq_len,
        max_new_tokens=args.max_new_tokens,
        batch_size=args.batch_size,
        dtype=args.dtype,
        attention=args.attention,
    )


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version(), "llm_perf_opt": llm_perf_opt.__version__}
    for name in VERSIONED_PACKAGES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


TimeInputs: TypeAlias = "tuple[HardwareSpec, RuntimeProfile]"
"""The GPU and the runtime profile a time prediction is made for."""


def check_mode_flags(args: argparse.Namespace) -> None:
    """Refuse (one line) every flag the chosen mode would not use, and ``--runtime`` without ``--hardware``."""
    allowed = MODE_FLAGS[args.mode]
    for dest, flag in ALL_FLAGS.items():
        if getattr(args, dest) is not None and dest not in allowed:
            raise InputError(f"{flag}: not used by --mode {args.mode} ({MODE_REASONS[args.mode]})")
    if args.mode == "analytic" and args.runtime is not None and args.hardware is None:
        raise InputError("--runtime: needs --hardware (a runtime profile times kernels on a GPU)")


def load_time_inputs(args: argparse.Namespace) -> TimeInputs | None:
    """The GPU and runtime profile the flags name (packaged names or YAML paths), or ``None`` without
    ``--hardware``; a bad name or file is an :class:`InputError` naming the flag, the file and the field."""
    if args.hardware is None:
        return None
    try:
        hardware = resolve_hardware(args.hardware)
    except ValueError as exc:
        raise InputError(f"--hardware: {exc}{_or_a_path(args.hardware, 'hardware')}") from None
    runtime_name = args.runtime or DEFAULT_RUNTIME
    try:
        runtime = resolve_runtime(runtime_name)
    except ValueError as exc:
        raise InputError(f"--runtime: {exc}{_or_a_path(runtime_name, 'runtime profile')}") from None
    return hardware, runtime


def _or_a_path(value: str, kind: str) -> str:
    """The tail of an unknown-name message: a path to the user's own file is allowed too."""
    return "" if looks_like_path(value) else f"; or a path to your own {kind} .yaml file"


def _timings(model: OCRModel, time_inputs: TimeInputs | None) -> WorkloadTimings | None:
    if time_inputs is None:
        return None
    from llm_perf_opt.runners.timing_builder import stage_timings

    return stage_timings(model, *time_inputs)


def _time_sections(model: OCRModel, timings: WorkloadTimings | None) -> list[str]:
    if timings is None:
        return []
    from llm_perf_opt.kernels.report import where_time_goes_markdown
    from llm_perf_opt.visualize.time_sections import capacity_markdown, render_time_markdown

    return [
        render_time_markdown(timings),
        where_time_goes_markdown(timings.runtimes, runtime=timings.runtime.name, hardware=timings.hardware.name),
        capacity_markdown(timings),
    ]


def output_files(
    inputs: AnalyzerInputs,
    args: argparse.Namespace,
    time_inputs: TimeInputs | None = None,
) -> tuple[dict[str, str], str, str]:
    """Every output but the manifest (relative path -> text), the stage table to print, and the headline to print
    last (the answer per page under the runtime; empty without ``--hardware``)."""
    files, table, headline, _ = analytic_outputs(inputs, args, time_inputs)
    return files, table, headline


def analytic_outputs(
    inputs: AnalyzerInputs,
    args: argparse.Namespace,
    time_inputs: TimeInputs | None = None,
) -> tuple[dict[str, str], str, str, WorkloadTimings | None]:
    """:func:`output_files`, plus the predicted times they were written from (``None`` without ``--hardware``),
    for a caller that shows them in another form (the HTTP service's time breakdown)."""
    with CollectorPaused():  # tens of thousands of records and no reference cycles: the collector would only slow it
        return _analytic_outputs(inputs, args, time_inputs)


def _analytic_outputs(
    inputs: AnalyzerInputs, args: argparse.Namespace, time_inputs: TimeInputs | None
) -> tuple[dict[str, str], str, str, WorkloadTimings | None]:
    model = inputs.spec.family.model(inputs.spec.arch, inputs.workload)
    check = _torchinfo_check(args.torchinfo_dir, model) if args.torchinfo_dir else None
    report = build_report(inputs, torchinfo=check, model=model)
    try:
        timings = _timings(model, time_inputs)
    except ValueError as exc:  # a user's runtime file whose entries do not fit the model's layers
        if args.runtime is None or not looks_like_path(args.runtime):
            raise
        raise InputError(f"--runtime: {args.runtime}: {exc}") from None
    summary = build_summary(report, timings)
    files: dict[str, str] = {}
    fmt = args.format or DEFAULT_FORMAT
    data = unstructure(report)  # once for both formats
    if fmt in ("json", "both"):
        files["report.json"] = json_text(data)
    if fmt in ("yaml", "both"):
        files["report.yaml"] = yaml_text(data)
    files["summary.json"] = to_json_text(summary)
    lead, headline = _headlines(timings, inputs)
    files["report.md"] = render_report_markdown(
        report, lead_sections=lead, extra_sections=_time_sections(model, timings)
    )
    for info in report.layer_classes:
        files[f"layers/{page_name(info.class_name)}"] = render_layer_page(info, report.workload.id)
    return files, render_stage_table(summary.stages), headline, timings


def _headlines(timings: WorkloadTimings | None, inputs: AnalyzerInputs) -> tuple[list[str], str]:
    """report.md's headline section (none without ``--hardware``) and the console's headline (empty without)."""
    if timings is None:  # the time model's modules are not imported: a plain run starts faster
        return [], ""
    from llm_perf_opt.visualize.time_sections import render_headline_markdown, render_headline_text

    key, batch = inputs.spec.family.key, inputs.workload.batch_size
    return [render_headline_markdown(timings.page, batch, key)], render_headline_text(timings.page, batch, key)


def _torchinfo_check(torchinfo_dir: str, model: OCRModel) -> TorchInfoCrossCheck:
    """``--torchinfo-dir``'s cross-check (its modules are imported only when the flag is given)."""
    from llm_perf_opt.utils.torchinfo_artifacts import load_target_operator_list
    from llm_perf_opt.utils.torchinfo_crosscheck import cross_check

    return cross_check(load_target_operator_list(torchinfo_dir), model)


def plan_analytic(args: argparse.Namespace) -> tuple[AnalyzerInputs, TimeInputs | None, str]:
    """The resolved inputs, the GPU and runtime profile, and the run id of an analytic run (``--run-id`` or the
    hash of everything that shapes the outputs: same inputs, same id); bad input is an :class:`InputError`."""
    inputs = resolve_inputs(_flags(args), profile_id=_profile_id(args), model_dir=args.model)
    if args.torchinfo_dir is not None and inputs.spec.family.key != V1:
        raise InputError(
            f"--torchinfo-dir: the TorchInfo cross-check maps DeepSeek-OCR's traced modules; "
            f"{inputs.spec.family.display_name} has no TorchInfo capture here"
        )
    time_inputs = load_time_inputs(args)
    if time_inputs is not None:
        try:
            time_inputs[1].check_model(inputs.spec.family.key)
        except ValueError as exc:
            raise InputError(f"--runtime: {exc}") from None
    hashed: dict[str, Any] = {"torchinfo_dir": args.torchinfo_dir, "format": args.format or DEFAULT_FORMAT}
    if time_inputs is not None:  # the entries' contents, not their names: an edited file gets a new id
        hashed |= {"hardware": unstructure(time_inputs[0]), "runtime": unstructure(time_inputs[1])}
    run_id = check_run_id(args.run_id) if args.run_id else default_run_id(inputs, hashed)
    return inputs, time_inputs, run_id


def manifest_writer(run_id: str, command_line: Sequence[str]) -> Callable[[tuple[ManifestFile, ...]], tuple[str, str]]:
    """The ``last`` of :func:`~llm_perf_opt.utils.atomic_output.write_directory`: ``manifest.json`` of the run."""

    def manifest(written: tuple[ManifestFile, ...]) -> tuple[str, str]:
        record = RunManifest(
            run_id=run_id,
            generated_at=datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            command_line=tuple(command_line),
            versions=_versions(),
            files=written,
        )
        return "manifest.json", to_json_text(record)

    return manifest


def run_analytic(args: argparse.Namespace, command_line: Sequence[str]) -> int:
    """Mode ``analytic``: evaluate, write the outputs atomically, print the stage table and paths."""
    inputs, time_inputs, run_id = plan_analytic(args)
    out_dir = Path(args.output_dir) if args.output_dir else OUTPUT_ROOT / run_id / OUTPUT_SUBDIR
    check_output_directory(out_dir, force=bool(args.force), flag="--output-dir")
    files, table, headline = output_files(inputs, args, time_inputs)
    write_directory(out_dir, files, last=manifest_writer(run_id, command_line), force=bool(args.force))
    print(table)
    print(f"\nWrote {out_dir}/ (run {run_id}):")
    pages = sum(1 for name in files if name.startswith("layers/"))
    for name in [n for n in files if not n.startswith("layers/")] + ["manifest.json"]:
        print(f"  {out_dir / name}")
    print(f"  {out_dir / 'layers'}/ ({pages} layer pages)")
    if headline:
        print(f"\n{headline}")
    return 0


def _counted_inputs(args: argparse.Namespace) -> tuple[AnalyzerInputs, DeepseekOCRArch, OCRWorkload]:
    """The inputs of a counted mode: the project's PyTorch reference is DeepSeek-OCR's (v1) only (OCR-2's layers
    are checked by the parity tests of tests/deepseek_ocr2/)."""
    inputs = resolve_inputs(_flags(args), profile_id=_profile_id(args), model_dir=args.model)
    arch, workload = v1_model(inputs, f"--mode {args.mode} counts the project's PyTorch reference of DeepSeek-OCR")
    return inputs, arch, workload


def _counted_output_dir(args: argparse.Namespace, inputs: AnalyzerInputs, subdir: str) -> Path:
    run_id = check_run_id(args.run_id) if args.run_id else default_run_id(inputs, {"mode": args.mode})
    return Path(args.output_dir) if args.output_dir else OUTPUT_ROOT / run_id / "static_analysis" / subdir


def run_static(args: argparse.Namespace, command_line: Sequence[str]) -> int:
    """Mode ``static``: count the project's PyTorch reference with FlopCounterMode on the meta
    device, per stage and operator family (needs the ``validation`` extra)."""
    require_torch("static")
    from llm_perf_opt.runners.static_mode import run_static as count_static
    from llm_perf_opt.runners.static_mode import static_compute_dict, static_compute_markdown

    inputs, arch, workload = _counted_inputs(args)
    out_dir = _counted_output_dir(args, inputs, "static_compute")
    check_output_directory(out_dir, marker="static_compute.json", force=bool(args.force), flag="--output-dir")
    counted = count_static(arch, workload)
    files = {
        "static_compute.json": json.dumps(static_compute_dict(counted), indent=2) + "\n",
        "static_compute.md": static_compute_markdown(counted),
    }
    write_directory(out_dir, files, marker="static_compute.json", force=bool(args.force))
    for name in files:
        print(f"  {out_dir / name}")
    return 0


def run_verify_mode(args: argparse.Namespace, command_line: Sequence[str]) -> int:
    """Mode ``verify``: analytic and counted side by side per stage and per layer class; exit 0
    when every difference is zero, 1 otherwise (needs the ``validation`` extra)."""
    require_torch("verify")
    from llm_perf_opt.runners.verify_mode import compare, verification_dict, verification_markdown

    inputs, arch, workload = _counted_inputs(args)
    out_dir = _counted_output_dir(args, inputs, "verification")
    check_output_directory(out_dir, marker="verification.json", force=bool(args.force), flag="--output-dir")
    result = compare(arch, workload)
    files = {
        "verification.json": json.dumps(verification_dict(result), indent=2) + "\n",
        "verification.md": verification_markdown(result),
    }
    write_directory(out_dir, files, marker="verification.json", force=bool(args.force))
    print("all differences are zero" if result.all_zero else "DIFFERENCES FOUND: see verification.md")
    for name in files:
        print(f"  {out_dir / name}")
    return 0 if result.all_zero else 1


def run_sweep_mode(args: argparse.Namespace, command_line: Sequence[str]) -> int:
    """Mode ``sweep``: evaluate every point of ``--sweep FILE`` and write ``sweep.csv``,
    ``sweep.json`` and plots (default directory ``tmp/profile-output/sweep-<file stem>``)."""
    from llm_perf_opt.planning.sweep import load_sweep_spec, run_sweep, with_runtime

    if not args.sweep:
        raise InputError(f"--sweep: --mode sweep needs a sweep: one of {', '.join(list_sweeps())} or a YAML path")
    try:
        path = sweep_file(args.sweep)
    except ValueError as exc:
        raise InputError(f"--sweep: {exc}") from None
    try:
        spec = load_sweep_spec(path)
    except ValueError as exc:
        raise InputError(f"--sweep: {exc}") from None
    if args.runtime is not None:
        try:
            spec = with_runtime(spec, args.runtime)
        except ValueError as exc:
            raise InputError(f"--runtime: {str(exc).split(': ', 1)[-1]}") from None
    if args.no_plots:
        spec = evolve(spec, plots=False)
    out_dir = Path(args.output_dir) if args.output_dir else OUTPUT_ROOT / f"sweep-{path.stem}"
    check_output_directory(out_dir, marker="sweep.json", force=bool(args.force), flag="--output-dir")
    points = run_sweep(spec, out_dir, progress=sys.stderr.isatty(), force=bool(args.force))
    plots = f", {out_dir}/plots/" if spec.plots else ""
    print(f"{len(points)} points -> {out_dir}/sweep.csv, {out_dir}/sweep.json{plots}")
    return 0


MODES: dict[str, Callable[[argparse.Namespace, Sequence[str]], int]] = {
    "analytic": run_analytic,
    "static": run_static,
    "verify": run_verify_mode,
    "sweep": run_sweep_mode,
    "serve": lambda args, command_line: run_serve(args, command_line, _versions),
}
"""Mode name -> runner."""

ALL_FLAGS: dict[str, str] = {
    "model": "--model",
    "workload_profile_id": "--workload-profile-id",
    **FIELD_FLAGS,
    "sweep": "--sweep",
    "no_plots": "--no-plots",
    "hardware": "--hardware",
    "runtime": "--runtime",
    "torchinfo_dir": "--torchinfo-dir",
    "format": "--format",
    "run_id": "--run-id",
    "output_dir": "--output-dir",
    "force": "--force",
    **SERVE_FLAGS,
}
"""Every flag but ``--mode`` (argparse destination -> flag): their defaults are ``None``, so a value means given."""

_COUNTED = frozenset({"model", "workload_profile_id", *FIELD_FLAGS, "run_id", "output_dir", "force"})
MODE_FLAGS: dict[str, frozenset[str]] = {
    "analytic": frozenset(ALL_FLAGS) - {"sweep", "no_plots", *SERVE_FLAGS},
    "static": _COUNTED,
    "verify": _COUNTED,
    "sweep": frozenset({"sweep", "no_plots", "runtime", "output_dir", "force"}),
    "serve": frozenset({*SERVE_FLAGS, "model", "hardware", "runtime", "output_dir", "no_plots", "force"}),
}
"""The flags each mode uses; any other given flag is an error, never silently ignored."""

MODE_REASONS: dict[str, str] = {
    "analytic": "a sweep file is read by --mode sweep",
    "static": "it counts the PyTorch reference's FLOPs: no GPU time, no report files",
    "verify": "it compares analytic and counted FLOPs: no GPU time, no report files",
    "sweep": "the sweep file sets the model, the workloads and the GPUs of every point; --runtime may replace its "
    "time models",
    "serve": "the pages come from --page-mix and the engine from the serving flags",
}
"""Why a mode refuses the flags it does not use (the tail of the error line)."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the analyzer; returns the exit status (0 ok, 2 bad input or an unwritable output, 1 an internal
    error: one line, the traceback with ``--debug``; :func:`llm_perf_opt.utils.cli_boundary.run_command`)."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    command_line = [PROG, *args_list]

    def body() -> int:
        if args_list[:1] == [SERVE_HTTP]:  # the HTTP service: a command of its own (llm_perf_opt.web.serve)
            from llm_perf_opt.web.serve import serve

            return serve(args_list[1:])
        args = build_parser().parse_args(args_list)
        check_mode_flags(args)
        return MODES[args.mode](args, command_line)

    return run_command(PROG, body, debug=wants_debug(args_list))


def program() -> NoReturn:
    """The ``dsocr-analyzer`` program: :func:`main` on the command line's arguments, then exit with its status
    (:func:`llm_perf_opt.utils.cli_boundary.exit_program`)."""
    exit_program(main())


if __name__ == "__main__":
    program()
