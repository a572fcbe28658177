#!/usr/bin/env python3
"""Measure the vendor's own DeepSeek-OCR v1 code (its Hugging Face remote code) on a CUDA GPU.

The vendor's files (``modeling_deepseekocr.py``, ``deepencoder.py``, ``modeling_deepseekv2.py``,
``configuration_deepseek_v2.py``, ``conversation.py``, ``config.json``) are never part of this project:
they are read from ``--vendor-dir`` at run time (``reports/validation/vendor-h200/README.md`` names the
commit and the md5 sums). The model is the vendor's ``DeepseekOCRForCausalLM`` built from that
``config.json`` on the GPU with random bf16 weights (N(0, 0.02); no checkpoint), eager attention (the
vendor's ``mha_eager`` path, transformers' ``LlamaAttention``), MoE through the vendor's ``moe_infer``
loop. With ``--routing uniform`` (the default) every MoE gate still computes its scores and top-k, but a
forward hook replaces the experts it chose by a fixed uniform draw (``top_k`` distinct experts per row, one
draw per layer and row count, made on the first call of that shape, before anything is timed): the analytic
model's routing, which a trained router's load balancing aims for. A router of random weights does not route
that way: over rows that random stages leave much alike it sends every prompt, whatever its length, to about
half the experts (``--routing weights``, the runs before 2026-12-04). Every call runs as the vendor's
``infer()`` runs ``generate()``: under
``torch.autocast("cuda", dtype=torch.bfloat16)`` and ``torch.no_grad()``, stdout (the vendor's prints
and its streamer) sent to ``/dev/null``.

Sections of the output JSON (``--output``, rewritten after each part, so a run cut short leaves what
it finished):

``loop``
    transformers' ``generate()`` loop alone, on a toy ``LlamaForCausalLM`` (a generic microbenchmark of the
    library's code, no DeepSeek-OCR module): the host time per generated token of ``generate()`` against the
    same one-token forwards called by hand, and the torch calls, syncs and kernels of both (``loop_section``).

``stages``
    Calls of the vendor's modules, each with its **kernel time** (sum of the kernel, memcpy and
    memset durations ``torch.profiler`` records, per call), **kernels per call**, **Python-level torch
    calls** per call (a ``TorchFunctionMode``), **host syncs** per call (warnings of
    ``torch.cuda.set_sync_debug_mode("warn")``) and **wall time** (CUDA events around one call, queue
    drained before; median of ``--runs`` rounds that interleave every stage call):

    * ``sam``, ``clip``, ``projector``: the vendor's ``sam_model(x)``, ``vision_model(x, sam_out)`` and
      ``projector(cat(clip_out[:, 1:], sam_out flattened))`` per view (``global``; ``local`` for the
      crops of a Gundam page), for Tiny, Small, Base, Large and a Gundam A4 page (2 x 3 crops);
    * ``page_prefill``: the vendor's whole forward of a page's prompt (embedding, the vision path as
      its forward runs it, with its ``.item()`` checks and prints, the masked scatter, 12 decoder layers,
      the LM head and the fp32 logits of every position), batch 1; ``text_prefill``: the same ids with
      blank images (the vendor skips vision), batch 1 and 8; their difference is the vision path as the
      vendor's forward calls it;
    * ``decode``: one decode step of the vendor's forward (``input_ids`` of one token, the attention mask
      and position ids that ``generate()`` gives) on a ``DynamicCache`` of ``kv_len - 1`` tokens made by a
      prefill, put back after each step as contiguous copies (the layout ``generate()``'s later steps find;
      the first two runs kept the prefill's transposed views, whose cache cat runs a slower kernel);
      KV 512 and 2048, batch 1 and 8.

``generate``
    ``model.generate(...)`` with the arguments of ``infer()`` (``temperature=0.0``, ``eos_token_id``,
    ``no_repeat_ngram_size=20``, ``use_cache=True``, the vendor's ``NoEOSTextStreamer``), for Tiny, Base and
    the Gundam A4 page at ``--gen-tokens`` new tokens: total wall, time to the first token and the time
    of every later token (host clock at each ``streamer.put``, which follows the token's copy to the
    host), mean time per token. The EOS row of the LM head is zero (its logit is 0 while the largest of
    129,280 random logits is positive), so exactly the asked number of tokens is generated; the count is
    checked and recorded. The streamer needs a tokenizer and the vendor's is not in the remote code: a
    word-level stand-in of the same vocabulary size decodes (its text has no newline, so the streamer
    decodes its whole cache on every token). ``eval_mode`` rows run ``infer(eval_mode=True)``'s
    arguments (no streamer, ``no_repeat_ngram_size=35``) with a streamer that only records the time.
    ``per_token_host`` counts torch calls and host syncs of whole ``generate()`` calls of two lengths:
    their difference over the extra tokens is the per-token cost of the loop.

``ttft``
    time to the first generated token of each ``--gen-modes`` page with the caching allocator warm, as a
    user's later pages meet it (the ``generate`` rows empty it before each call for their memory peaks, so
    their first forward also pays for new device allocations): ``generate()`` of two tokens, median of 7
    calls after an untimed one (``ttft_section``).

``memory``
    ``torch.cuda.max_memory_allocated`` and ``max_memory_reserved`` of each generate run and each
    page prefill (the caching allocator emptied and the peaks reset before each), and the weights'
    bytes.

Run on the GPU machine: ``python3 scripts/gpu/measure_vendor.py --vendor-dir tmp/vendor-ocr --output
$OUT/raw-vendor.json`` (transformers 4.46.3 first on ``PYTHONPATH``). ``--dry-run`` runs every section
on the CPU with a two-layer, eight-expert language model and tiny sizes, to check the script's logic.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gc
import importlib
import itertools
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from llm_perf_opt.utils.atomic_output import check_output_path, write_file
from llm_perf_opt.utils.cli_boundary import DEBUG_FLAG, OneLineParser, run_command, wants_debug

SCHEMA = "llm-perf-opt/vendor-measurements/v1"
IMAGE_TOKEN_ID = 128815
"""The vendor's ``<image>`` token id (``infer()``)."""
BOS_ID = 0
PROMPT_TOKENS = 9
"""Text tokens of the prompt besides BOS, as ``scripts/gpu/measure_stages.py`` counts them."""
A4_PX = (1654, 2339)
"""An A4 page scanned at 200 dpi: the vendor's crop rule gives it 2 crops across, 3 down."""
VIEW_SIZE = {"tiny": 512, "small": 640, "base": 1024, "large": 1280}
GEN_MODES = ("tiny", "base", "gundam-a4")
DECODE_POINTS = ((512, 1), (512, 8), (2048, 1), (2048, 8))
TEXT_BATCHES = (1, 8)
ROUTINGS = ("uniform", "weights")
"""``--routing``: a uniform draw of experts per row, or whatever the random gate weights choose."""
SECTIONS = ("modules", "kernels", "host", "ngram", "loop", "stages", "generate", "ttft")
"""The parts ``--sections`` may name, in the order they run."""


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Flags (see ``--help``), checked, the vendor directory and the output included, before torch is imported;
    an ``InputError`` (one line) for a bad one."""
    p = OneLineParser(
        description="Time the vendor's DeepSeek-OCR remote code (stages, generate(), memory) on CUDA.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--vendor-dir", type=Path, required=True, help="directory holding the vendor's six files")
    p.add_argument("--output", type=Path, required=True, help="raw JSON written here (after every part)")
    p.add_argument("--warmup", type=int, default=2, help="untimed calls before profiling each stage call")
    p.add_argument("--profile-runs", type=int, default=2, help="calls under torch.profiler per stage call")
    p.add_argument("--runs", type=int, default=7, help="interleaved wall-time rounds of the stage calls")
    p.add_argument("--gen-tokens", default="256,1000", help="comma-separated new-token counts for generate()")
    p.add_argument("--gen-modes", default=",".join(GEN_MODES), help="comma-separated pages for generate()")
    p.add_argument("--eval-mode-page", default="base", help="page of the eval_mode generate() rows ('' for none)")
    p.add_argument("--budget-s", type=float, default=480.0, help="stop starting new work after this many seconds")
    p.add_argument("--seed", type=int, default=0, help="random seed for weights and inputs")
    p.add_argument(
        "--routing",
        choices=ROUTINGS,
        default="uniform",
        help="experts per row: 'uniform' (a fixed uniform draw per MoE layer and row count replaces the gate's "
        "choice; its scores and top-k still run) or 'weights' (the random gate weights' own choice)",
    )
    p.add_argument(
        "--sections",
        default="stages,generate",
        help="comma-separated parts to run, in this order: modules (per-module counts), kernels (each module's "
        "kernels, GPU only), host (generic host cases, "
        "also timed before every generate() row), ngram (the no-repeat-n-gram processor's host time), stages, "
        "generate, ttft (time to the first token with a warm allocator)",
    )
    p.add_argument("--dry-run", action="store_true", help="CPU, two-layer model, tiny sizes: checks the logic")
    p.add_argument(DEBUG_FLAG, action="store_true", help="show the traceback of an unexpected error")
    args = p.parse_args(argv)
    unknown = sorted(set(args.sections.split(",")) - set(SECTIONS))
    if unknown:
        p.error(f"--sections: unknown {unknown[0][:40]!r}; allowed: {', '.join(SECTIONS)}")
    for flag, value, lowest in (("--warmup", args.warmup, 0), ("--profile-runs", args.profile_runs, 1),
                                ("--runs", args.runs, 1)):  # fmt: skip
        if value < lowest:
            p.error(f"{flag}: must be >= {lowest}, got {value}")
    if not args.budget_s > 0:
        p.error(f"--budget-s: must be > 0, got {args.budget_s}")
    tokens = args.gen_tokens.split(",") if args.gen_tokens else []
    if not all(t.isdigit() and 0 < int(t) <= 100_000 for t in tokens):
        p.error(f"--gen-tokens: comma-separated integers 1..100000, got {args.gen_tokens[:40]!r}")
    if not (args.vendor_dir / "modeling_deepseekocr.py").is_file():
        p.error(f"--vendor-dir: {args.vendor_dir} holds no modeling_deepseekocr.py (the vendor's six files)")
    check_output_path(args.output, flag="--output", directory=False)
    return args


class Clock:
    """Seconds since the start and whether the time budget still allows a part of ``need_s`` seconds."""

    def __init__(self, budget_s: float) -> None:
        self.start = time.perf_counter()
        self.budget_s = budget_s

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def allows(self, need_s: float) -> bool:
        return self.elapsed() + need_s <= self.budget_s


class Report:
    """The output document, written whole after every change."""

    def __init__(self, path: Path, head: dict[str, Any]) -> None:
        self.path = path
        self.doc: dict[str, Any] = {
            **head,
            "modules": [],
            "kernels": [],
            "host": [],
            "ngram": [],
            "loop": [],
            "stages": [],
            "generate": [],
            "ttft": [],
            "memory": {},
            "skipped": [],
            "errors": [],
        }

    def write(self) -> None:
        write_file(self.path, json.dumps(self.doc, indent=2, sort_keys=False) + "\n", flag="--output")


def mode_geometry(mode: str) -> dict[str, Any]:
    """A mode's views and sequence: ``base_size``, ``image_size``, ``crop_mode``, ``crop_grid``,
    ``image_tokens``, ``prefill_tokens`` (``modelmeter``'s workload geometry of the vendor's rules)."""
    from modelmeter.models.deepseek_ocr.workload import OCRWorkload, select_crop_grid

    if mode == "gundam-a4":
        spec: dict[str, Any] = {
            "base_size": 1024,
            "image_size": 640,
            "crop_mode": True,
            "crop_grid": select_crop_grid(*A4_PX),
        }
    else:
        size = VIEW_SIZE[mode]
        spec = {"base_size": size, "image_size": size, "crop_mode": False, "crop_grid": (1, 1)}
    w = OCRWorkload(prompt_tokens=PROMPT_TOKENS, **spec)
    return {**spec, "crop_grid": list(w.crop_grid), "image_tokens": w.image_tokens, "prefill_tokens": w.prefill_tokens}


def environment(torch: Any, cuda: bool, vendor_dir: Path) -> dict[str, Any]:
    """Device, driver and software versions, and the vendor files' md5 sums."""
    import hashlib

    import transformers

    env: dict[str, Any] = {
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "python": platform.python_version(),
        "vendor_md5": {
            f.name: hashlib.md5(f.read_bytes()).hexdigest() for f in sorted(vendor_dir.iterdir()) if f.is_file()
        },
    }
    for name in ("tokenizers", "huggingface_hub", "numpy"):
        with contextlib.suppress(ImportError):
            env[name] = importlib.import_module(name).__version__
    if cuda:
        from llm_perf_opt.validation.cuda_timing import device_environment

        env.update(device_environment(torch))
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            env["nvidia_smi"] = subprocess.run(
                ["nvidia-smi", "--query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm", "--format=csv"],
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            ).stdout.strip()
    return env


def load_vendor(vendor_dir: Path) -> Any:
    """The vendor's ``modeling_deepseekocr`` module, imported from ``vendor_dir`` (its imports are absolute)."""
    sys.path.insert(0, str(vendor_dir.resolve()))
    return importlib.import_module("modeling_deepseekocr")


def build_model(torch: Any, vendor: Any, vendor_dir: Path, device: str, dry_run: bool, seed: int) -> Any:
    """The vendor's ``DeepseekOCRForCausalLM`` from ``config.json`` on ``device`` in bf16, eager attention,
    every parameter N(0, 0.02), the EOS row of the LM head zero."""
    cfg = vendor.DeepseekOCRConfig.from_pretrained(str(vendor_dir))
    cfg._attn_implementation = "eager"
    if dry_run:
        cfg.num_hidden_layers = 2
        cfg.n_routed_experts = 8
        cfg.intermediate_size = 256
        cfg.moe_intermediate_size = 64
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.bfloat16)
    try:
        with torch.device(device):
            model = vendor.DeepseekOCRForCausalLM(cfg)
    finally:
        torch.set_default_dtype(before)
    model = model.to(device=device, dtype=torch.bfloat16).eval()
    gen = torch.Generator(device=device).manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0.0, 0.02, generator=gen)
        model.lm_head.weight[cfg.eos_token_id].zero_()
    return model


def uniform_routing(torch: Any, model: Any, seed: int) -> int:
    """Forward hooks on every ``MoEGate`` of ``model`` that replace its chosen experts by a uniform draw of
    ``top_k`` distinct experts per row (one draw per layer and row count, kept; the gate's weights for its own
    choice are returned unchanged, which no timing depends on); the number of gates hooked."""
    gates = [m for m in model.modules() if type(m).__name__ == "MoEGate"]
    draws: dict[tuple[int, int], Any] = {}

    def hook(layer: int, module: Any, inputs: Any, output: Any) -> Any:
        chosen, weight, aux = output
        key = (layer, int(chosen.shape[0]))
        if key not in draws:
            gen = torch.Generator(device=chosen.device).manual_seed(seed * 1009 + layer)
            scores = torch.rand(key[1], module.n_routed_experts, generator=gen, device=chosen.device)
            draws[key] = scores.argsort(dim=-1)[:, : module.top_k].contiguous()
        return draws[key], weight, aux

    for layer, gate in enumerate(gates):
        gate.register_forward_hook(functools.partial(hook, layer))
    return len(gates)


def page_inputs(torch: Any, mode: str, batch: int, device: str, gen: Any, blank: bool = False) -> dict[str, Any]:
    """The keyword arguments ``infer()`` gives ``generate()`` for a page of ``mode`` (``batch`` copies):
    BOS, the image rows (``<image>`` ids, ``images_seq_mask`` true), the prompt text (random ids);
    random pixels in [-1, 1] (``blank``: zero images, so the vendor's forward skips vision)."""
    g = mode_geometry(mode)
    length, n_img = g["prefill_tokens"], g["image_tokens"]
    ids = torch.randint(2, 100000, (batch, length), device=device, generator=gen)
    ids[:, 0] = BOS_ID
    ids[:, 1 : 1 + n_img] = IMAGE_TOKEN_ID
    mask = torch.zeros(batch, length, dtype=torch.bool, device=device)
    mask[:, 1 : 1 + n_img] = True
    w, h = g["crop_grid"]
    glob = g["base_size"] if g["crop_mode"] else g["image_size"]

    def pixels(*shape: int) -> Any:
        if blank:
            return torch.zeros(*shape, device=device, dtype=torch.bfloat16)
        return (torch.rand(*shape, device=device, generator=gen) * 2 - 1).to(torch.bfloat16)

    crops = pixels(w * h, 3, g["image_size"], g["image_size"]) if w * h > 1 else None
    if crops is None:
        crops = torch.zeros(1, 3, g["base_size"], g["base_size"], device=device, dtype=torch.bfloat16)
    ori = pixels(1, 3, glob, glob)
    return {
        "input_ids": ids,
        "images": [(crops, ori)] * batch,
        "images_seq_mask": mask,
        "images_spatial_crop": torch.tensor([[w, h]] * batch, dtype=torch.long),
    }


@contextlib.contextmanager
def vendor_context(torch: Any, device: str) -> Iterator[None]:
    """What ``infer()`` wraps ``generate()`` in (bf16 autocast, no_grad), stdout to /dev/null."""
    with (
        open(os.devnull, "w") as null,
        contextlib.redirect_stdout(null),
        torch.autocast(device, dtype=torch.bfloat16),
        torch.no_grad(),
    ):
        yield


class Case:
    """One stage call: its report row, the call, what restores its inputs (untimed), its wall samples."""

    def __init__(self, row: dict[str, Any], fn: Callable[[], object], reset: Callable[[], None] | None = None) -> None:
        self.row = row
        self.fn = fn
        self.reset: Callable[[], None] = reset if reset is not None else (lambda: None)
        self.walls: list[float] = []


def sync(torch: Any, cuda: bool) -> None:
    if cuda:
        torch.cuda.synchronize()


def wall_seconds(torch: Any, cuda: bool, fn: Callable[[], object]) -> float:
    """One call's wall time: CUDA events on a GPU (``cuda_timing.event_seconds``), the host clock on the CPU."""
    if cuda:
        from llm_perf_opt.validation.cuda_timing import event_seconds

        return event_seconds(torch, fn)
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def drained_seconds(torch: Any, cuda: bool, fn: Callable[[], object]) -> float:
    """One call's wall time on the host clock, the queue drained before and after it (the GPU work it launched
    included)."""
    sync(torch, cuda)
    t0 = time.perf_counter()
    fn()
    sync(torch, cuda)
    return time.perf_counter() - t0


def count_host(torch: Any, cuda: bool, fn: Callable[[], object]) -> tuple[int, int]:
    """Python-level torch calls (``TorchFunctionMode``; calls inside a torch call not counted) and
    synchronizing CUDA operations (``set_sync_debug_mode`` warnings) of one call of ``fn``."""
    from torch.overrides import TorchFunctionMode

    calls = [0]

    class Count(TorchFunctionMode):
        def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
            calls[0] += 1
            return func(*args, **(kwargs or {}))

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if cuda:
            torch.cuda.set_sync_debug_mode("warn")
        try:
            with Count():
                fn()
        finally:
            if cuda:
                torch.cuda.set_sync_debug_mode("default")
    sync(torch, cuda)
    syncs = sum("synchronizing" in str(w.message) for w in caught)
    return calls[0], syncs


def measure_case(torch: Any, cuda: bool, case: Case, args: argparse.Namespace) -> None:
    """Warm-up calls, the kernel time and kernel count (on a GPU), the torch calls and host syncs."""

    def call() -> object:
        out = case.fn()
        case.reset()
        return out

    for _ in range(args.warmup):
        call()
    if cuda:
        from llm_perf_opt.validation.cuda_timing import profiled_kernels

        kernel_s, kernels, by_name = profiled_kernels(torch, call, args.profile_runs)
        top = sorted(by_name.items(), key=lambda kv: -kv[1][1])[:12]
        case.row.update(
            kernel_s=kernel_s,
            kernels_per_call=kernels,
            top_kernels={k: [round(v[0], 3), v[1]] for k, v in top},
        )
    torch_calls, syncs = count_host(torch, cuda, call)
    case.row.update(torch_calls_per_call=torch_calls, host_syncs_per_call=syncs)


def wall_rounds(torch: Any, cuda: bool, cases: Sequence[Case], runs: int, clock: Clock) -> None:
    """``runs`` rounds, each timing every case once (garbage collector off); fewer if the budget ends."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(runs):
            t0 = time.perf_counter()
            for case in cases:
                case.walls.append(wall_seconds(torch, cuda, case.fn))
                case.reset()
            if not clock.allows(2 * (time.perf_counter() - t0) + 60):
                break
    finally:
        if enabled:
            gc.enable()
    for case in cases:
        if case.walls:
            case.row.update(
                wall_s=statistics.median(case.walls),
                wall_min_s=min(case.walls),
                wall_max_s=max(case.walls),
                wall_runs=len(case.walls),
            )


def vision_cases(torch: Any, model: Any, modes: Sequence[str], device: str, gen: Any) -> list[Case]:
    """The vendor's SAM, CLIP and projector per view of each mode (batch 1)."""
    inner = model.model
    cases = []
    for mode in modes:
        g = mode_geometry(mode)
        page = page_inputs(torch, mode, 1, device, gen)
        crops, ori = page["images"][0]
        views = [("global", ori)] + ([("local", crops)] if g["crop_mode"] else [])
        for view, x in views:
            sam_out = inner.sam_model(x)
            clip_out = inner.vision_model(x, sam_out)

            def project(sam_out: Any = sam_out, clip_out: Any = clip_out) -> object:
                feats = torch.cat((clip_out[:, 1:], sam_out.flatten(2).permute(0, 2, 1)), dim=-1)
                return inner.projector(feats)

            calls: dict[str, Callable[[], object]] = {
                "sam": functools.partial(inner.sam_model, x),
                "clip": functools.partial(inner.vision_model, x, sam_out),
                "projector": project,
            }
            for stage, fn in calls.items():
                row = {"stage": stage, "mode": mode, "view": view, "batch": 1, "images": int(x.shape[0])}
                row["pixels"] = int(x.shape[-1])
                cases.append(Case(row=row, fn=fn))
    return cases


def prefill_cases(torch: Any, model: Any, modes: Sequence[str], device: str, gen: Any) -> list[Case]:
    """Page prefills (vision + text, batch 1) and text prefills (blank images, batch 1 and 8) per mode."""
    cases = []
    for mode in modes:
        g = mode_geometry(mode)
        page = page_inputs(torch, mode, 1, device, gen)
        row = {"stage": "page_prefill", "mode": mode, "batch": 1, "seq_len": g["prefill_tokens"]}
        cases.append(Case(row=row, fn=functools.partial(model, **page, use_cache=True)))
        for batch in TEXT_BATCHES:
            text = page_inputs(torch, mode, batch, device, gen, blank=True)
            row = {"stage": "text_prefill", "mode": mode, "batch": batch, "seq_len": g["prefill_tokens"]}
            cases.append(Case(row=row, fn=functools.partial(model, **text, use_cache=True)))
    return cases


def decode_cases(torch: Any, model: Any, points: Sequence[tuple[int, int]], device: str, gen: Any) -> list[Case]:
    """One decode step per (kv_len, batch) on a ``DynamicCache`` of ``kv_len - 1`` tokens from a prefill, reset
    before every call to contiguous copies of the prefill's keys and values (the layout every later step of
    ``generate()`` finds)."""
    dynamic_cache: Any = importlib.import_module("transformers.cache_utils").DynamicCache
    blank = torch.zeros(1, 3, 64, 64, device=device, dtype=torch.bfloat16)
    cases = []
    for kv_len, batch in points:
        cache = dynamic_cache()
        ids = torch.randint(2, 100000, (batch, kv_len - 1), device=device, generator=gen)
        model(input_ids=ids, images=[(blank, blank)], past_key_values=cache, use_cache=True)
        # generate()'s steady state: its first decode step's cat leaves every layer's cache contiguous, while the
        # prefill stored the transposed (b, s, h, d) views, whose cat runs PyTorch's slow generic kernel
        keys = [k.contiguous() for k in cache.key_cache]
        values = [v.contiguous() for v in cache.value_cache]
        seen = cache._seen_tokens
        step_ids = torch.randint(2, 100000, (batch, 1), device=device, generator=gen)
        mask = torch.ones(batch, kv_len, dtype=torch.long, device=device)
        pos = torch.full((batch, 1), kv_len - 1, dtype=torch.long, device=device)

        def step(cache: Any = cache, ids: Any = step_ids, mask: Any = mask, pos: Any = pos) -> object:
            return model(input_ids=ids, attention_mask=mask, position_ids=pos, past_key_values=cache, use_cache=True)

        def reset(cache: Any = cache, keys: list[Any] = keys, values: list[Any] = values, seen: int = seen) -> None:
            cache.key_cache[:] = keys
            cache.value_cache[:] = values
            cache._seen_tokens = seen

        row = {"stage": "decode", "mode": None, "batch": batch, "kv_len": kv_len, "seq_len": 1}
        cases.append(Case(row=row, fn=step, reset=reset))
    return cases


def stand_in_tokenizer(vocab_size: int, eos_id: int) -> Any:
    """A word-level fast tokenizer of ``vocab_size`` ids (``t<id>``) for the vendor's streamer."""
    tokenizers: Any = importlib.import_module("tokenizers")
    fast: Any = importlib.import_module("transformers").PreTrainedTokenizerFast
    vocab = {f"t{i}": i for i in range(vocab_size)}
    tok = tokenizers.Tokenizer(tokenizers.models.WordLevel(vocab=vocab, unk_token="t2"))
    return fast(tokenizer_object=tok, eos_token=f"t{eos_id}", bos_token="t0")


def recording(base: type) -> type:
    """``base`` (a streamer class) whose ``put`` first records the host clock."""

    class Recording(base):  # type: ignore[misc]
        stamps: list[float]

        def put(self, value: Any) -> None:
            self.stamps.append(time.perf_counter())
            super().put(value)

    return Recording


class StampOnly:
    """A streamer that only records the host clock at each ``put`` (the ``eval_mode`` rows)."""

    def __init__(self) -> None:
        self.stamps: list[float] = []

    def put(self, value: Any) -> None:
        self.stamps.append(time.perf_counter())

    def end(self) -> None:
        pass


def generate_kwargs(page: dict[str, Any], tok: Any, new_tokens: int, eval_mode: bool, streamer: Any) -> dict[str, Any]:
    """``infer()``'s arguments to ``generate()`` (``max_new_tokens`` set to ``new_tokens``)."""
    return {
        "input_ids": page["input_ids"],
        "images": page["images"],
        "images_seq_mask": page["images_seq_mask"],
        "images_spatial_crop": page["images_spatial_crop"],
        "temperature": 0.0,
        "eos_token_id": tok.eos_token_id,
        "streamer": streamer,
        "max_new_tokens": new_tokens,
        "no_repeat_ngram_size": 35 if eval_mode else 20,
        "use_cache": True,
    }


def reset_peaks(torch: Any, cuda: bool) -> int:
    """Collect garbage, empty the caching allocator, reset its peaks; the bytes still allocated then (the
    weights, the libraries' workspaces, whatever else is alive), 0 on the CPU."""
    if not cuda:
        return 0
    gc.collect()
    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats()
    return int(torch.cuda.memory_allocated())


def peaks(torch: Any, cuda: bool) -> dict[str, Any]:
    if not cuda:
        return {}
    return {
        "max_allocated_bytes": int(torch.cuda.max_memory_allocated()),
        "max_reserved_bytes": int(torch.cuda.max_memory_reserved()),
    }


class GcClock:
    """A ``gc.callbacks`` entry that adds up the host time spent in the garbage collector."""

    def __init__(self) -> None:
        self.total_s = 0.0
        self.collections = [0, 0, 0]
        self._start = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.total_s += time.perf_counter() - self._start
            self.collections[int(info["generation"])] += 1


def run_generate(
    torch: Any, cuda: bool, model: Any, vendor: Any, tok: Any, page: dict[str, Any], new_tokens: int, eval_mode: bool
) -> dict[str, Any]:
    """One ``generate()`` of ``new_tokens`` tokens: total wall, time to first token, per-token times, peaks."""
    if eval_mode:
        streamer: Any = StampOnly()
    else:
        streamer = recording(vendor.NoEOSTextStreamer)(tok, skip_prompt=True, skip_special_tokens=False)
        streamer.stamps = []
    prompt_len = int(page["input_ids"].shape[1])
    at_start = reset_peaks(torch, cuda)
    sync(torch, cuda)
    collector = GcClock()
    gc.callbacks.append(collector)
    t0 = time.perf_counter()
    try:
        out = model.generate(**generate_kwargs(page, tok, new_tokens, eval_mode, streamer))
        sync(torch, cuda)
    finally:
        gc.callbacks.remove(collector)
    t1 = time.perf_counter()
    stamps = streamer.stamps[1:]  # the first put is the prompt, before the prefill
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    row: dict[str, Any] = {
        "new_tokens_asked": new_tokens,
        "new_tokens_generated": int(out.shape[1]) - prompt_len,
        "prompt_len": prompt_len,
        "total_s": t1 - t0,
        "ttft_s": stamps[0] - t0 if stamps else None,
        "after_last_token_s": t1 - stamps[-1] if stamps else None,
        "gc_s": collector.total_s,
        "gc_collections": collector.collections,
        **peaks(torch, cuda),
    }
    if cuda:
        row["allocated_at_start_bytes"] = at_start
    if gaps:
        k = min(64, len(gaps))
        row.update(
            mean_token_s=(stamps[-1] - stamps[0]) / len(gaps),
            median_token_s=statistics.median(gaps),
            first_tokens_mean_s=statistics.fmean(gaps[:k]),
            last_tokens_mean_s=statistics.fmean(gaps[-k:]),
            token_gaps_ms_every_16th=[round(g * 1e3, 3) for g in gaps[::16]],
            token_gaps_ms=[round(g * 1e3, 3) for g in gaps],
        )
    return row


def weights_bytes(model: Any) -> dict[str, int]:
    """Bytes of parameters and buffers, in total and per top-level part."""
    parts: dict[str, int] = {}
    for name, t in [*model.named_parameters(), *model.named_buffers()]:
        key = ".".join(name.split(".")[:2]) if name.startswith("model.") else name.split(".")[0]
        if key.startswith("model.layers"):
            key = "model.layers"
        parts[key] = parts.get(key, 0) + t.numel() * t.element_size()
    return {"total": sum(parts.values()), **dict(sorted(parts.items()))}


def kernels_section(
    torch: Any, cuda: bool, model: Any, args: argparse.Namespace, report: Report, clock: Clock, device: str
) -> None:
    """Per module of the vision views and one decode step, the kind, caller, input shapes, name and time of every
    kernel (``llm_perf_opt.validation.module_counts.kernel_detail``; a GPU only)."""
    from llm_perf_opt.validation.module_counts import kernel_detail

    if not cuda:
        report.doc["skipped"].append({"part": "kernels", "why": "needs a GPU"})
        return
    gen = torch.Generator(device=device).manual_seed(args.seed + 4)
    cases = vision_cases(torch, model, ["tiny", "base", "gundam-a4"], device, gen)
    cases += decode_cases(torch, model, ((512, 1),), device, gen)
    for case in cases:
        if not clock.allows(30):
            report.doc["skipped"].append({"part": "kernels", "row": case.row, "why": "time budget"})
            continue
        for _ in range(args.warmup):
            case.fn()
            case.reset()
        detail = kernel_detail(torch, model, case.fn)
        case.reset()
        report.doc["kernels"].append({**case.row, "kernels": detail})
        report.write()
        print(f"[{clock.elapsed():6.1f}s] kernels {case.row}", file=sys.stderr)


def modules_section(
    torch: Any, cuda: bool, model: Any, args: argparse.Namespace, report: Report, clock: Clock, device: str
) -> None:
    """Per-module counts (``llm_perf_opt.validation.module_counts``) of vision views, page prefills, decode
    steps and two ``generate()`` lengths (their difference per token is the loop's per-token cost)."""
    from llm_perf_opt.validation.module_counts import count_modules

    gen = torch.Generator(device=device).manual_seed(args.seed + 3)
    modes = ["tiny"] if args.dry_run else ["tiny", "base", "gundam-a4"]
    points = ((8, 1), (8, 2)) if args.dry_run else ((512, 1), (512, 8), (2048, 1))
    cases = vision_cases(torch, model, modes, device, gen)
    cases += [c for c in prefill_cases(torch, model, modes, device, gen) if c.row["stage"] == "page_prefill"]
    cases += decode_cases(torch, model, points, device, gen)
    tok = stand_in_tokenizer(model.config.vocab_size, model.config.eos_token_id)
    page = page_inputs(torch, modes[0], 1, device, gen)
    for n in (4, 8) if args.dry_run else (8, 24):
        row = {"stage": "generate", "mode": modes[0], "batch": 1, "new_tokens": n}
        cases.append(Case(row=row, fn=functools.partial(model.generate, **generate_kwargs(page, tok, n, False, None))))
    for case in cases:
        if not clock.allows(90):
            report.doc["skipped"].append({"part": "modules", "row": case.row, "why": "time budget"})
            continue

        def call(case: Case = case) -> object:
            out = case.fn()
            case.reset()
            return out

        try:
            call()
            row = {**case.row, "modules": count_modules(torch, cuda, model, call)}
        except Exception as exc:
            row = {**case.row, "error": repr(exc)[:600]}
        report.doc["modules"].append(row)
        print(f"[{clock.elapsed():6.1f}s] modules {json.dumps(case.row)}", file=sys.stderr, flush=True)
        report.write()


def host_probe(torch: Any, args: argparse.Namespace, report: Report, clock: Clock, device: str, label: str) -> None:
    """The calibration's generic host cases (``llm_perf_opt.calibrate.host``) timed now, labelled."""
    from llm_perf_opt.calibrate.host import HostSettings, measure_host

    try:
        settings = HostSettings(runs=5, warmup=1, profile_runs=1) if args.dry_run else HostSettings(runs=15)
        host = measure_host(torch, torch.device(device), settings)
        keep = ("module_launch_us", "module_call_us", "no_grad_factor", "eager_start_us")
        fields = ("kernels_per_forward", "torch_calls_per_forward", "wall_s_per_forward", "wall_no_grad_s_per_forward")
        cases = {
            k: {f: v[f] for f in fields if f in v}
            for k, v in host.items()
            if isinstance(v, dict) and k not in ("op_chains", "op_extra_us")
        }
        extras = {f"{c}_extra_us": v for c, v in host.get("op_extra_us", {}).items()}
        report.doc["host"].append(
            {
                "label": label,
                "at_s": clock.elapsed(),
                **{k: host[k] for k in keep},
                **extras,
                "op_chains": host.get("op_chains", {}),
                **cases,
            }
        )
    except Exception as exc:
        report.doc["errors"].append({"part": f"host/{label}", "error": repr(exc)[:600]})
    report.write()


REPEAT_LENGTH = 1200
"""Ids per sequence of the ``ngram`` section's repeated-run points (about a Gundam page's prompt and 300 tokens)."""
REPEAT_RUNS = (0, 300, 600, 900, 1150)
"""Lengths of the run of one id (a page's ``<image>`` ids) at the start of those sequences."""


def ngram_section(torch: Any, cuda: bool, args: argparse.Namespace, report: Report, device: str) -> None:
    """Host time of transformers' ``NoRepeatNGramLogitsProcessor`` (what ``infer()`` passes ``generate()``) and a
    row of 129,280 fp32 scores on ``device``: median of 15 calls, the queue drained after each. (1) One sequence of
    ``length`` random ids; (2) one of :data:`REPEAT_LENGTH` ids whose first ``repeated`` are one id (a page
    prompt's ``<image>`` ids), the rest random: the processor's n-gram table appends to one growing list for every
    n-gram inside the run, by copying it. A generic microbenchmark of the library's code, no DeepSeek-OCR module."""
    processors: Any = importlib.import_module("transformers.generation.logits_process")
    gen = torch.Generator(device=device).manual_seed(args.seed + 4)
    scores = torch.zeros(1, 129280, device=device)
    lengths = (64, 256) if args.dry_run else (128, 512, 1024, 2048, 4096)
    length, runs = (256, (0, 200)) if args.dry_run else (REPEAT_LENGTH, REPEAT_RUNS)

    def median_call(proc: Any, ids: Any) -> float:
        call = functools.partial(proc, ids, scores)
        return statistics.median([drained_seconds(torch, cuda, call) for _ in range(18)][3:])  # 3 warm-up calls

    for size in (20, 35):
        proc = processors.NoRepeatNGramLogitsProcessor(size)
        for n in lengths:
            ids = torch.randint(2, 100000, (1, n), device=device, generator=gen)
            report.doc["ngram"].append({"ngram_size": size, "length": n, "host_s": median_call(proc, ids)})
        for repeated in runs:
            ids = torch.randint(2, 100000, (1, length), device=device, generator=gen)
            ids[:, :repeated] = IMAGE_TOKEN_ID
            row = {"ngram_size": size, "length": length, "repeated": repeated, "host_s": median_call(proc, ids)}
            report.doc["ngram"].append(row)
    report.write()


LOOP_TOKENS = (16, 80)
"""New tokens of the two ``generate()`` calls of the ``loop`` section (their difference is the per-token cost)."""
STREAMER_TOKENS = (80, 400)
"""New tokens of the ``loop`` section's ``generate()`` calls with and without a streamer."""


VOCAB = 129280
"""Vocabulary of the ``loop`` section's toy model and stand-in tokenizer (DeepSeek-OCR's)."""


def loop_section(torch: Any, cuda: bool, args: argparse.Namespace, report: Report, device: str) -> None:
    """transformers' ``generate()`` loop on a toy model, a generic microbenchmark of the library's code (no
    DeepSeek-OCR module): a ``LlamaForCausalLM`` with random bf16 weights (hidden 64, 2 layers, 4 heads, vocabulary
    ``VOCAB``, eager attention; a 32-token prompt) greedy-decodes ``LOOP_TOKENS`` new tokens with ``generate()`` (no
    logits processor, no streamer, no EOS), and the same one-token forwards are called by hand on a
    ``DynamicCache`` with the inputs ``generate()`` gives them. Per token: the wall of ``generate()`` (the two calls'
    difference over the extra tokens, medians of 7 calls each, host clock, queue drained after each call), the wall of
    a forward alone (host clock around it, queue drained before and after; median of the hand loop's), and the
    torch calls, syncs and kernels of both (counted in separate calls). Their difference is the loop's own host
    cost; the same run's generic host cases price its counted calls, kernels and syncs.

    The streamer inside the loop: ``generate()`` of ``STREAMER_TOKENS`` new tokens with and without transformers'
    ``TextStreamer`` (``skip_prompt=True``, ``skip_special_tokens=False``, as ``infer()`` passes its subclass; a
    word-level stand-in tokenizer of DeepSeek-OCR's vocabulary size, whose text has no newline; the toy's
    vocabulary that size too; stdout to ``/dev/null``), medians of 5 calls each, interleaved: the streamer's cost
    per token at ``n`` new tokens is ``a + b (n + 1) / 2`` (``b`` per held token), solved from the two lengths."""
    from llm_perf_opt.validation.cuda_timing import profiled_kernels

    transformers: Any = importlib.import_module("transformers")

    torch.manual_seed(args.seed + 7)
    cfg = transformers.LlamaConfig(
        hidden_size=64,
        intermediate_size=128,
        num_attention_heads=4,
        num_key_value_heads=4,
        num_hidden_layers=2,
        vocab_size=VOCAB,
        attn_implementation="eager",
    )
    model = transformers.LlamaForCausalLM(cfg).to(device, torch.bfloat16).eval()
    model.generation_config.eos_token_id = None
    model.generation_config.pad_token_id = 0
    gen = torch.Generator(device=device).manual_seed(args.seed + 8)
    ids = torch.randint(3, VOCAB, (1, 32), device=device, generator=gen)
    mask = torch.ones_like(ids)

    tok = stand_in_tokenizer(VOCAB, eos_id=1)

    def generate(n: int, streamed: bool = False) -> Callable[[], Any]:
        def call() -> Any:
            streamer = transformers.TextStreamer(tok, skip_prompt=True, skip_special_tokens=False) if streamed else None
            return model.generate(
                input_ids=ids, attention_mask=mask, max_new_tokens=n, do_sample=False, streamer=streamer
            )

        return call

    def decode_step() -> Callable[[], Any]:
        """One decode forward on a cache made by the prompt, as generate() calls it (the cache grows by one)."""
        cache = transformers.DynamicCache()
        out = model(input_ids=ids, attention_mask=mask, past_key_values=cache, use_cache=True)
        state = {"tok": out.logits[:, -1:].argmax(-1), "mask": mask, "pos": ids.shape[1]}

        def forward() -> Any:
            state["mask"] = torch.cat([state["mask"], state["mask"].new_ones((1, 1))], dim=-1)
            pos = torch.tensor([[state["pos"]]], device=device)
            state["pos"] += 1
            return model(
                input_ids=state["tok"],
                attention_mask=state["mask"],
                position_ids=pos,
                past_key_values=cache,
                use_cache=True,
                cache_position=pos[0],
            )

        return forward

    short, long = LOOP_TOKENS
    for _ in range(2):
        generate(short)()
    made = {n: int(generate(n)().shape[1] - ids.shape[1]) for n in LOOP_TOKENS}
    walls: dict[int, list[float]] = {n: [] for n in LOOP_TOKENS}
    for _ in range(3 if args.dry_run else 7):
        for n in LOOP_TOKENS:
            walls[n].append(drained_seconds(torch, cuda, generate(n)))
    forward_walls: list[float] = []
    for _ in range(2 if args.dry_run else 4):
        forward = decode_step()
        forward_walls += [drained_seconds(torch, cuda, forward) for _ in range(long)]
    counts = {n: count_host(torch, cuda, generate(n)) for n in LOOP_TOKENS}
    forward = decode_step()
    forward()
    fwd_calls, fwd_syncs = count_host(torch, cuda, forward)
    if cuda:
        kernels = {n: profiled_kernels(torch, generate(n), 1)[1] for n in LOOP_TOKENS}
        fwd_kernels = profiled_kernels(torch, forward, 1)[1]
    else:
        kernels, fwd_kernels = dict.fromkeys(LOOP_TOKENS, 0), 0
    lengths = (16, 48) if args.dry_run else STREAMER_TOKENS
    streams: dict[tuple[int, bool], list[float]] = {(n, on): [] for n in lengths for on in (False, True)}
    for _ in range(2 if args.dry_run else 5):
        for key in streams:
            streams[key].append(drained_seconds(torch, cuda, generate(*key)))
    per_token = [(statistics.median(streams[(n, True)]) - statistics.median(streams[(n, False)])) / n for n in lengths]
    (n1, n2), (c1, c2) = lengths, per_token
    slope = (c2 - c1) / ((n2 + 1) / 2 - (n1 + 1) / 2)
    extra = long - short
    report.doc["loop"].append(
        {
            "model": f"LlamaForCausalLM hidden 64, 2 layers, 4 heads, vocab {VOCAB}, eager attention, bf16; prompt 32",
            "streamer_new_tokens": list(lengths),
            "streamer_s_per_token": per_token,
            "streamer_s_per_held_token": slope,
            "streamer_s_per_call": c1 - slope * (n1 + 1) / 2,
            "new_tokens": list(LOOP_TOKENS),
            "tokens_generated": [made[n] for n in LOOP_TOKENS],
            "generate_wall_s": [statistics.median(walls[n]) for n in LOOP_TOKENS],
            "generate_wall_s_per_token": (statistics.median(walls[long]) - statistics.median(walls[short])) / extra,
            "forward_wall_s": statistics.median(forward_walls),
            "generate_torch_calls_per_token": (counts[long][0] - counts[short][0]) / extra,
            "generate_syncs_per_token": (counts[long][1] - counts[short][1]) / extra,
            "generate_kernels_per_token": (kernels[long] - kernels[short]) / extra,
            "forward_torch_calls": fwd_calls,
            "forward_syncs": fwd_syncs,
            "forward_kernels": fwd_kernels,
        }
    )
    report.write()


def stage_section(
    torch: Any, cuda: bool, model: Any, args: argparse.Namespace, report: Report, clock: Clock, device: str
) -> None:
    """Build, measure and time every stage call; page-prefill peaks into ``memory``."""
    gen = torch.Generator(device=device).manual_seed(args.seed + 1)
    modes = ["tiny"] if args.dry_run else ["tiny", "small", "base", "large", "gundam-a4"]
    points = ((8, 1), (8, 2)) if args.dry_run else DECODE_POINTS
    cases: list[Case] = []
    groups: list[tuple[str, Callable[[], list[Case]]]] = [
        ("vision", functools.partial(vision_cases, torch, model, modes, device, gen)),
        ("prefill", functools.partial(prefill_cases, torch, model, modes, device, gen)),
        ("decode", functools.partial(decode_cases, torch, model, points, device, gen)),
    ]
    for name, make in groups:
        try:
            cases += make()
        except Exception as exc:  # one failing group must not end the run
            report.doc["errors"].append({"part": f"stages/{name}", "error": repr(exc)[:600]})
    for case in cases:
        if not clock.allows(120):
            report.doc["skipped"].append({"part": "stages", "row": case.row, "why": "time budget"})
            continue
        try:
            measure_case(torch, cuda, case, args)
            if case.row["stage"] == "page_prefill":
                reset_peaks(torch, cuda)
                case.fn()
                report.doc["memory"].setdefault("page_prefill", {})[case.row["mode"]] = peaks(torch, cuda)
        except Exception as exc:
            case.row["error"] = repr(exc)[:600]
        report.doc["stages"].append(case.row)
        print(
            f"[{clock.elapsed():6.1f}s] {json.dumps({k: v for k, v in case.row.items() if k != 'top_kernels'})}",
            file=sys.stderr,
        )
        sys.stderr.flush()
    report.write()
    good = [c for c in cases if "error" not in c.row and "torch_calls_per_call" in c.row]
    wall_rounds(torch, cuda, good, args.runs, clock)
    report.write()


def generate_section(
    torch: Any, cuda: bool, model: Any, vendor: Any, args: argparse.Namespace, report: Report, clock: Clock, device: str
) -> None:
    """``generate()`` runs: per-token host counts, then each page and length (shortest first)."""
    gen = torch.Generator(device=device).manual_seed(args.seed + 2)
    tok = stand_in_tokenizer(model.config.vocab_size, model.config.eos_token_id)
    lengths = sorted(int(n) for n in args.gen_tokens.split(","))
    modes = [m for m in args.gen_modes.split(",") if m]
    pages = {m: page_inputs(torch, m, 1, device, gen) for m in modes}
    short, long_ = (4, 8) if args.dry_run else (8, 24)
    first = modes[0] if modes else "tiny"
    page = pages.get(first) or page_inputs(torch, first, 1, device, gen)
    try:  # warm-up, then the host counts of two lengths
        model.generate(**generate_kwargs(page, tok, 4, False, None))
        counts = {}
        for n in (short, long_):
            kw = generate_kwargs(page, tok, n, False, None)
            counts[n] = count_host(torch, cuda, functools.partial(model.generate, **kw))
        report.doc["per_token_host"] = {
            "page": first,
            "how": f"torch calls and host syncs of generate() of {short} and {long_} new tokens, no streamer",
            "torch_calls": {str(n): c[0] for n, c in counts.items()},
            "host_syncs": {str(n): c[1] for n, c in counts.items()},
            "torch_calls_per_token": (counts[long_][0] - counts[short][0]) / (long_ - short),
            "host_syncs_per_token": (counts[long_][1] - counts[short][1]) / (long_ - short),
        }
    except Exception as exc:
        report.doc["errors"].append({"part": "generate/per_token_host", "error": repr(exc)[:600]})
    report.write()
    plan = [(m, n, False) for n in lengths for m in modes]
    if args.eval_mode_page:
        plan += [(args.eval_mode_page, n, True) for n in lengths]
    est_token_s = 0.04
    for mode, n, eval_mode in plan:
        if not clock.allows(n * est_token_s + 15):
            report.doc["skipped"].append({"part": "generate", "mode": mode, "new_tokens": n, "eval_mode": eval_mode})
            continue
        if "host" in args.sections.split(","):
            label = f"before generate {mode}/{n}" + ("/eval" if eval_mode else "")
            host_probe(torch, args, report, clock, device, label)
        try:
            pg = pages.get(mode) or page_inputs(torch, mode, 1, device, gen)
            row = {
                "mode": mode,
                "eval_mode": eval_mode,
                **run_generate(torch, cuda, model, vendor, tok, pg, n, eval_mode),
            }
            if row.get("mean_token_s"):
                est_token_s = max(est_token_s, 1.2 * row["mean_token_s"])
        except Exception as exc:
            row = {"mode": mode, "eval_mode": eval_mode, "new_tokens_asked": n, "error": repr(exc)[:600]}
        report.doc["generate"].append(row)
        key = f"{mode}/{n}" + ("/eval_mode" if eval_mode else "")
        report.doc["memory"].setdefault("generate", {})[key] = {
            k: row.get(k) for k in ("max_allocated_bytes", "max_reserved_bytes")
        }
        print(
            f"[{clock.elapsed():6.1f}s] {json.dumps({k: v for k, v in row.items() if 'every' not in k})}",
            file=sys.stderr,
        )
        sys.stderr.flush()
        report.write()


TTFT_RUNS = 7
"""``generate()`` calls per page of the ``ttft`` section (after one untimed call)."""


def ttft_section(torch: Any, cuda: bool, model: Any, args: argparse.Namespace, report: Report, device: str) -> None:
    """Time to the first token of each ``--gen-modes`` page as a user's later pages meet it: ``generate()`` of two
    new tokens with ``infer()``'s arguments (a streamer that only records the host clock), the caching allocator
    left warm (not emptied between calls, unlike the ``generate`` rows, which reset it for their memory peaks),
    one untimed call, then :data:`TTFT_RUNS` calls; the time from the call to the streamer's first generated token
    (median, and every call's)."""
    gen = torch.Generator(device=device).manual_seed(args.seed + 5)
    tok = stand_in_tokenizer(model.config.vocab_size, model.config.eos_token_id)
    for mode in [m for m in args.gen_modes.split(",") if m]:
        page = page_inputs(torch, mode, 1, device, gen)
        times = []
        for i in range(TTFT_RUNS + 1):
            streamer = StampOnly()
            sync(torch, cuda)
            t0 = time.perf_counter()
            model.generate(**generate_kwargs(page, tok, 2, False, streamer))
            sync(torch, cuda)
            if i:  # the first call is a warm-up; stamps[0] is the prompt, stamps[1] the first generated token
                times.append(streamer.stamps[1] - t0)
        row = {"mode": mode, "runs": len(times), "ttft_s": statistics.median(times), "ttft_min_s": min(times)}
        report.doc["ttft"].append({**row, "ttft_ms": [round(t * 1e3, 3) for t in times]})
        print(f"  ttft {mode}: {json.dumps(row)}", file=sys.stderr)
    report.write()


def main(argv: Sequence[str] | None = None) -> int:
    """Measure and write the raw JSON (behind the one boundary: a bad flag or an unwritable output is one line and
    exit 2, before torch is imported)."""
    return run_command("measure_vendor.py", lambda: _main(argv), debug=wants_debug(argv))


def _main(argv: Sequence[str] | None) -> int:
    args = parse_args(argv)
    clock = Clock(args.budget_s)
    import torch

    cuda = torch.cuda.is_available() and not args.dry_run
    device = "cuda" if cuda else "cpu"
    if args.dry_run:  # the vendor's forward moves a mask with .cuda(); on the CPU that is the identity
        torch.Tensor.cuda = lambda self, *a, **k: self  # type: ignore[method-assign]
        args.gen_tokens, args.runs = "6,10", min(args.runs, 2)
        args.gen_modes = "tiny"
        args.eval_mode_page = "tiny" if args.eval_mode_page else ""
    torch.manual_seed(args.seed)
    vendor = load_vendor(args.vendor_dir)
    report = Report(
        args.output,
        {
            "schema": SCHEMA,
            "method": __doc__,
            "args": {k: str(v) for k, v in vars(args).items()},
            "environment": environment(torch, cuda, args.vendor_dir),
            "modes": {m: mode_geometry(m) for m in ("tiny", "small", "base", "large", "gundam-a4")},
        },
    )
    t0 = time.perf_counter()
    model = build_model(torch, vendor, args.vendor_dir, device, args.dry_run, args.seed)
    sync(torch, cuda)
    report.doc["build_s"] = time.perf_counter() - t0
    report.doc["memory"]["weights_bytes"] = weights_bytes(model)
    if cuda:
        report.doc["memory"]["allocated_after_build_bytes"] = int(torch.cuda.memory_allocated())
    report.doc["config"] = {
        k: getattr(model.config, k, None)
        for k in ("num_hidden_layers", "n_routed_experts", "num_experts_per_tok", "hidden_size", "vocab_size")
    }
    report.doc["config"]["attn_implementation"] = model.config._attn_implementation
    report.doc["config"]["routing"] = args.routing
    if args.routing == "uniform":
        report.doc["config"]["hooked_gates"] = uniform_routing(torch, model, args.seed)
    report.write()
    print(f"[{clock.elapsed():6.1f}s] built in {report.doc['build_s']:.1f}s", file=sys.stderr)
    sections = args.sections.split(",")
    if "host" in sections:
        host_probe(torch, args, report, clock, device, "start")
    with vendor_context(torch, device):
        if "modules" in sections:
            modules_section(torch, cuda, model, args, report, clock, device)
        if "kernels" in sections:
            kernels_section(torch, cuda, model, args, report, clock, device)
        if "ngram" in sections:
            ngram_section(torch, cuda, args, report, device)
        if "loop" in sections:
            loop_section(torch, cuda, args, report, device)
        if "stages" in sections:
            stage_section(torch, cuda, model, args, report, clock, device)
        if "generate" in sections:
            generate_section(torch, cuda, model, vendor, args, report, clock, device)
        if "ttft" in sections:
            ttft_section(torch, cuda, model, args, report, device)
    if "host" in sections:
        host_probe(torch, args, report, clock, device, "end")
    report.doc["elapsed_s"] = clock.elapsed()
    report.write()
    print(f"[{clock.elapsed():6.1f}s] done", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
