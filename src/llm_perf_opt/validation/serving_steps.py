"""Measuring the serving model's step pieces on a GPU: decode steps, the vision encoder, and decode steps inside
an engine-like host loop (``scripts/gpu/measure_serving_steps.py`` is the thin command around this module;
:mod:`llm_perf_opt.validation.serving_steps_report` compares the output with the time model).

The project's PyTorch reference (:class:`llm_perf_opt.reference.model.DeepseekOCRReference`, random bf16 weights,
SDPA attention, grouped-GEMM experts: the code ``hf-sdpa-graph`` describes) is timed as a serving runtime runs it:

* **decode steps** at every batch of :data:`DECODE_BATCHES` and KV length of :data:`DECODE_KV_LENS`: a
  ``DynamicCache`` of ``kv_len - 1`` random past tokens, one token per sequence (the LM head included), the cache
  put back after each step (so every replay sees the same length), captured once as a CUDA graph
  (:func:`~llm_perf_opt.validation.cuda_timing.capture_graph`) and its replay timed between CUDA events, median
  of ``runs``;
* **the vision encoder** on ``pages`` Gundam A4 pages for every batch of :data:`VISION_PAGES`: SAM eagerly (its
  forward copies a pageable host tensor, which capture refuses, as ``hf-sdpa-graph`` says) timed between CUDA
  events, CLIP and the projector captured as one graph and replayed; the point's time is their sum;
* **the host loop** at :data:`LOOP_KV_LEN` for every decode batch: ``loop_steps`` consecutive engine-like steps,
  each the graph replay, then per sequence the vendor-style n-gram processor's mechanism
  (:class:`~llm_perf_opt.validation.engine_host.NGramProcessor` over :data:`LOOP_OUTPUT_TOKENS` output tokens:
  a row view, ``inspect.signature``, the call, the row written back, as vLLM V0's sampler does), greedy argmax and
  the tokens' copy to the host; wall time per step on the host's clock (median), beside the replay alone and the
  processors alone.

**Memory.** Each point's memory is bounded before anything of it is allocated, against the device's free memory
(``torch.cuda.mem_get_info`` after emptying the allocator's cache): a decode point needs its past cache, two
copies of the step's new cache (the warm-up calls' and the graph pool's: the reference concatenates the whole
cache each step) and the fp32 logits (:func:`decode_bytes`); a vision point needs its batch's share of the
largest peak measured so far (vision memory grows with the pages), :func:`vision_bytes`. A point that does not
fit is skipped, its row saying why (``skipped``), and the run goes on; everything of a point is freed before the
next.

The output is raw JSON (:data:`SCHEMA`): the device, and one row per point with its samples. ``dry_run`` builds a
tiny reference on the CPU (:data:`DRY_RUN_ARCH`), runs every call once without capture or timing (seconds
``null``), so CI checks the code paths without a GPU.

Example
-------
>>> plan = Plan.dry()
>>> plan.decode_batches, plan.vision_pages
((1, 2), (1, 2))
>>> round(decode_bytes(DeepseekOCRArch(), batch=128, kv_len=4096) / 2**30, 1)  # past + 2 steps + logits + margin
91.1
"""

from __future__ import annotations

import array
import functools
import gc
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from attrs import define

from llm_perf_opt.contracts.converter import structure
from llm_perf_opt.validation.cuda_timing import capture_graph, device_environment, event_seconds
from llm_perf_opt.validation.engine_host import NGramProcessor, apply_processors
from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch
from modelmeter.models.deepseek_ocr.workload import RESOLUTION_MODES, OCRWorkload

SCHEMA = "llm-perf-opt/serving-steps/v2"
DECODE_BATCHES = (1, 2, 4, 8, 16, 32, 64, 100, 128)
"""Decode batches measured (100: the vendor's ``max_num_seqs``)."""
DECODE_KV_LENS = (512, 1024, 2048, 4096)
VISION_PAGES = (1, 2, 4, 8, 16, 32)
PROMPT_TOKENS = 9
LOOP_KV_LEN = 1024
LOOP_OUTPUT_TOKENS = 500
"""Output tokens each sequence of the host loop holds (the n-gram window scanned, the ids copied)."""
LOOP_NGRAM, LOOP_WINDOW = 20, 50
"""The vendor's ``run_dpsk_ocr_pdf.py`` processor settings."""
GIB = 2**30
MARGIN_BYTES = GIB
"""Room left beside a point's bounded tensors (workspaces, the allocator's rounding)."""

DRY_RUN_ARCH: dict[str, Any] = {
    "name": "tiny-deepseek-ocr",
    "sam": {"img_size": 128, "patch_size": 16, "embed_dim": 32, "depth": 2, "num_heads": 2, "mlp_ratio": 2,
            "window_size": 4, "global_attn_indexes": [1], "out_chans": 16, "downsample_channels": [32, 64]},
    "clip": {"hidden_size": 64, "num_layers": 2, "num_attention_heads": 2, "ffn_hidden_size": 128, "image_size": 56,
             "patch_size": 14},
    "projector": {"input_dim": 128, "n_embed": 64},
    "language": {"hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2, "num_key_value_heads": 2,
                 "intermediate_size": 128, "moe_intermediate_size": 32, "n_routed_experts": 4,
                 "n_shared_experts": 1, "num_experts_per_tok": 2, "vocab_size": 128816},
}  # fmt: skip
"""A DeepSeek-OCR of the same structure, small enough for a CPU (the vocabulary holds the image token id)."""


@define(frozen=True, kw_only=True)
class Plan:
    """What to measure: decode batches and KV lengths, vision batches of one page kind, the host loop.

    Example
    -------
    >>> Plan().vision_workload(4).batch_size
    4
    """

    decode_batches: tuple[int, ...] = DECODE_BATCHES
    decode_kv_lens: tuple[int, ...] = DECODE_KV_LENS
    vision_pages: tuple[int, ...] = VISION_PAGES
    base_size: int = RESOLUTION_MODES["gundam"].base_size
    image_size: int = RESOLUTION_MODES["gundam"].image_size
    crop_grid: tuple[int, int] = (2, 3)
    loop_kv_len: int = LOOP_KV_LEN
    loop_steps: int = 30

    @classmethod
    def dry(cls) -> Plan:
        """The points of a CPU dry run on :data:`DRY_RUN_ARCH` (its 128-pixel views, 64-pixel crops)."""
        return cls(decode_batches=(1, 2), decode_kv_lens=(8, 16), vision_pages=(1, 2), base_size=128, image_size=64,
                   crop_grid=(2, 2), loop_kv_len=8, loop_steps=2)  # fmt: skip

    def vision_workload(self, pages: int) -> OCRWorkload:
        """The analytic workload of ``pages`` pages of the plan's kind."""
        return OCRWorkload(base_size=self.base_size, image_size=self.image_size, crop_mode=True,
                           crop_grid=self.crop_grid, prompt_tokens=PROMPT_TOKENS, batch_size=pages)  # fmt: skip


def decode_bytes(arch: DeepseekOCRArch, *, batch: int, kv_len: int, dtype_bytes: int = 2) -> int:
    """Device bytes a decode point needs beyond the weights: the past cache (``kv_len - 1`` tokens), two copies of
    the step's concatenated cache (``kv_len`` tokens: the warm-up calls' and the graph pool's), the fp32 logits
    twice, and :data:`MARGIN_BYTES`."""
    text = arch.language
    kv_heads = text.num_key_value_heads or text.num_attention_heads
    per_token = text.num_hidden_layers * 2 * kv_heads * (text.hidden_size // text.num_attention_heads) * dtype_bytes
    logits = 2 * batch * text.vocab_size * 4
    return per_token * batch * (kv_len - 1) + 2 * per_token * batch * kv_len + logits + MARGIN_BYTES


def vision_bytes(pages: int, measured: Sequence[tuple[int, int]]) -> int | None:
    """Device bytes a vision point of ``pages`` pages needs: the largest per-page peak measured so far
    (``(pages, peak bytes)`` pairs) times ``pages``, plus :data:`MARGIN_BYTES`; ``None`` before any was measured.

    Example
    -------
    >>> vision_bytes(4, [(1, 3 * 2**30), (2, 5 * 2**30)]) // 2**30  # 3 GiB per page x 4 + 1
    13
    """
    if not measured:
        return None
    return round(max(peak / n for n, peak in measured) * pages) + MARGIN_BYTES


def _free_bytes(torch: Any) -> int:
    gc.collect()
    torch.cuda.empty_cache()
    return int(torch.cuda.mem_get_info()[0])


def _skip(row: dict[str, Any], need: int, free: int) -> dict[str, Any]:
    reason = f"needs about {need / GIB:.1f} GiB, {free / GIB:.1f} GiB free: not allocated"
    print(f"measure_serving_steps: skipped {row}: {reason}", file=sys.stderr)
    return row | {"seconds": None, "samples": [], "skipped": reason}


def build_reference(torch: Any, *, dry_run: bool, seed: int) -> Any:
    """The reference in bf16 on CUDA with grouped-GEMM experts (``hf-sdpa-graph``'s code), or the tiny one in fp32
    on the CPU for a dry run; parameters N(0, 0.02)."""
    from llm_perf_opt.reference.model import DeepseekOCRReference

    arch = structure(DRY_RUN_ARCH, DeepseekOCRArch) if dry_run else DeepseekOCRArch()
    device, dtype = ("cpu", torch.float32) if dry_run else ("cuda", torch.bfloat16)
    ref = DeepseekOCRReference(arch, device=device, dtype=dtype, attn_implementation="sdpa")
    if not dry_run:
        ref.text.model.config._experts_implementation = "grouped_mm"
    gen = torch.Generator(device=device).manual_seed(seed)
    with torch.no_grad():
        for p in ref.parameters():
            p.normal_(0.0, 0.02, generator=gen)
    return ref


class _Decode:
    """One decode point's cache, step and reset; the step's logits kept in ``out``."""

    def __init__(self, ref: Any, batch: int, kv_len: int) -> None:
        self.ref, self.batch, self.kv_len = ref, batch, kv_len
        self.cache = ref.decode_cache(kv_len, batch)
        self.past = [(layer.keys, layer.values) for layer in self.cache.layers]
        self.out: Any = None

    def call(self) -> None:
        self.out = self.ref.run_decode_step(self.kv_len, self.batch, cache=self.cache)
        for layer, (keys, values) in zip(self.cache.layers, self.past, strict=True):
            layer.keys, layer.values = keys, values


def _replay_samples(torch: Any, graph: Any, runs: int) -> dict[str, Any]:
    samples = [event_seconds(torch, graph.replay) for _ in range(runs)]
    return {"seconds": statistics.median(samples), "min_s": min(samples), "max_s": max(samples), "samples": samples}


def _capture(torch: Any, call: Callable[[], object], row: dict[str, Any]) -> Any:
    try:
        with torch.inference_mode():
            return capture_graph(torch, call, warmup=2)
    except RuntimeError as exc:
        row["graph_error"] = " ".join(str(exc).split())[:300]
        torch.cuda.synchronize()
        return None


def measure_decode(torch: Any, ref: Any, plan: Plan, *, runs: int, dry_run: bool) -> list[dict[str, Any]]:
    """Every (KV length, batch) decode point, each bounded, built, captured, timed and freed in turn."""
    rows = []
    for kv_len in plan.decode_kv_lens:
        for batch in plan.decode_batches:
            row: dict[str, Any] = {"stage": "decode", "batch": batch, "kv_len": kv_len}
            if not dry_run:
                need, free = decode_bytes(ref.arch, batch=batch, kv_len=kv_len), _free_bytes(torch)
                if need > free:
                    rows.append(_skip(row, need, free))
                    continue
            point = _Decode(ref, batch, kv_len)
            if dry_run:
                with torch.inference_mode():
                    point.call()
                rows.append(row | {"seconds": None, "samples": []})
                continue
            graph = _capture(torch, point.call, row)
            rows.append(row | (_replay_samples(torch, graph, runs) if graph is not None else {"seconds": None}))
            del graph, point
    return rows


def measure_vision(torch: Any, ref: Any, plan: Plan, *, runs: int, dry_run: bool) -> list[dict[str, Any]]:
    """Every vision point: SAM eager plus CLIP and the projector as one graph, bounded by the peaks so far."""
    rows: list[dict[str, Any]] = []
    peaks: list[tuple[int, int]] = []
    for pages in plan.vision_pages:
        w = plan.vision_workload(pages)
        row: dict[str, Any] = {"stage": "vision", "pages": pages, "crop_grid": list(w.crop_grid),
                               "image_tokens": w.image_tokens}  # fmt: skip
        base = 0
        if not dry_run:
            free = _free_bytes(torch)
            need = vision_bytes(pages, peaks)
            if need is not None and need > free:
                rows.append(_skip(row, need, free))
                continue
            torch.cuda.reset_peak_memory_stats()
            base = torch.cuda.memory_allocated()
        inputs = ref.make_inputs(w)
        with torch.inference_mode():
            sam = ref.run_sam(*inputs.pixels)

        def encode(sam: Any = sam, grid: tuple[int, int] = w.crop_grid) -> object:
            return ref.run_projector(sam, ref.run_clip(sam), grid)

        if dry_run:
            with torch.inference_mode():
                encode()
            rows.append(row | {"seconds": None, "samples": []})
            continue
        pixels = inputs.pixels
        with torch.inference_mode():
            sam_samples = [event_seconds(torch, functools.partial(ref.run_sam, *pixels)) for _ in range(runs)]
        graph = _capture(torch, encode, row)
        if graph is None:
            rows.append(row | {"seconds": None, "samples": []})
        else:
            rest = _replay_samples(torch, graph, runs)
            sam_s, rest_s = statistics.median(sam_samples), rest["seconds"]
            rows.append(row | {"seconds": sam_s + rest_s, "sam_s": sam_s, "clip_projector_s": rest_s,
                               "sam_samples": sam_samples, "samples": rest["samples"]})  # fmt: skip
        peaks.append((pages, torch.cuda.max_memory_allocated() - base))
        del graph, sam, inputs, pixels
    return rows


def measure_host_loop(torch: Any, ref: Any, plan: Plan, *, dry_run: bool) -> list[dict[str, Any]]:
    """Decode steps inside an engine-like host loop at :attr:`Plan.loop_kv_len`, every decode batch."""
    rows = []
    kv_len = plan.loop_kv_len
    for batch in plan.decode_batches:
        row: dict[str, Any] = {"stage": "loop", "batch": batch, "kv_len": kv_len, "output_tokens": LOOP_OUTPUT_TOKENS,
                               "ngram_size": LOOP_NGRAM, "window_size": LOOP_WINDOW}  # fmt: skip
        if not dry_run:
            need, free = decode_bytes(ref.arch, batch=batch, kv_len=kv_len), _free_bytes(torch)
            if need > free:
                rows.append(_skip(row, need, free))
                continue
        point = _Decode(ref, batch, kv_len)
        rng = random.Random(batch)
        vocab = ref.arch.language.vocab_size
        ids = [array.array("l", (rng.randrange(vocab) for _ in range(LOOP_OUTPUT_TOKENS))) for _ in range(batch)]
        proc = NGramProcessor(LOOP_NGRAM, LOOP_WINDOW)
        replay: Callable[[], object]
        graph = None
        if dry_run:
            replay = point.call
        else:
            graph = _capture(torch, point.call, row)
            if graph is None:
                rows.append(row | {"seconds": None})
                continue
            replay = graph.replay
        with torch.inference_mode():
            if point.out is None:
                point.call()
            logits = point.out.view(batch, -1)
            walls, procs = [], []
            for _ in range(plan.loop_steps + 2):
                start = time.perf_counter()
                replay()
                apply_processors(logits, ids, proc)
                for seq, token in zip(ids, logits.argmax(dim=-1).tolist(), strict=True):
                    seq.append(token)
                walls.append(time.perf_counter() - start)
                if not dry_run:
                    torch.cuda.synchronize()
                begin = time.perf_counter()
                apply_processors(logits, ids, proc)
                procs.append(time.perf_counter() - begin)
            walls, procs = walls[2:], procs[2:]
        if dry_run:
            rows.append(row | {"seconds": None, "samples": []})
        else:
            alone = _replay_samples(torch, graph, plan.loop_steps)
            rows.append(row | {"seconds": statistics.median(walls), "samples": walls,
                               "replay_s": alone["seconds"], "processors_s": statistics.median(procs)})  # fmt: skip
        del graph, point, logits
    return rows


def run(torch: Any, *, plan: Plan, runs: int, dry_run: bool, seed: int = 0) -> dict[str, Any]:
    """Build the reference, measure every point of ``plan``, return the raw report."""
    ref = build_reference(torch, dry_run=dry_run, seed=seed)
    env = {"device": "cpu (dry run)", "torch": torch.__version__} if dry_run else device_environment(torch)
    enabled = gc.isenabled()
    gc.disable()
    try:
        rows = measure_decode(torch, ref, plan, runs=runs, dry_run=dry_run)
        rows += measure_vision(torch, ref, plan, runs=runs, dry_run=dry_run)
        rows += measure_host_loop(torch, ref, plan, dry_run=dry_run)
    finally:
        if enabled:
            gc.enable()
    return {
        "schema": SCHEMA,
        "dry_run": dry_run,
        "environment": env,
        "reference": "DeepseekOCRReference, sdpa attention, grouped_mm experts, random weights N(0, 0.02)"
        + (" (tiny architecture, fp32, CPU)" if dry_run else " (bf16, CUDA)"),
        "timing": "decode: CUDA graph of the step (2 warm-up calls on a side stream), replay between CUDA events; "
        "vision: SAM eager between CUDA events plus CLIP and the projector as one graph; loop: host clock per step",
        "runs": runs,
        "rows": rows,
    }
