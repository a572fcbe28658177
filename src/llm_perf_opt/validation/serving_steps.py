"""Measuring the serving model's step pieces on a GPU: decode steps and the vision encoder, replayed as CUDA
graphs (``scripts/gpu/measure_serving_steps.py`` is the thin command around this module).

A serving engine replays its decode step as a CUDA graph at the batch it runs
(:mod:`llm_perf_opt.serving.steps` takes that step from the ``fused`` profile). This measures the project's
PyTorch reference (:class:`llm_perf_opt.reference.model.DeepseekOCRReference`, random bf16 weights, SDPA
attention, grouped-GEMM experts) the same way:

* **decode steps** at every batch of :data:`DECODE_BATCHES` and KV length of :data:`DECODE_KV_LENS`: a
  ``DynamicCache`` of ``kv_len - 1`` random past tokens, one token per sequence, the cache put back after
  each step (so every replay sees the same length), captured once as a graph
  (:func:`~llm_perf_opt.validation.cuda_timing.capture_graph`) and its replay timed between CUDA events,
  median of ``runs``;
* **the vision encoder** (SAM, CLIP, projector in one graph) on ``pages`` pages of one mode and grid for
  every batch of :data:`VISION_PAGES`.

The output is raw JSON (:data:`SCHEMA`): the device, and one row per point with its samples. ``dry_run``
builds a tiny reference on the CPU (:data:`DRY_RUN_ARCH`), runs every call once without capture or timing
(seconds ``null``), so CI checks the code paths without a GPU.

Example
-------
>>> plan = Plan.dry()
>>> plan.decode_batches, plan.vision_pages
((1, 2), (1, 2))
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from typing import Any

from attrs import define

from llm_perf_opt.contracts.converter import structure
from llm_perf_opt.validation.cuda_timing import capture_graph, device_environment, event_seconds
from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch
from modelmeter.models.deepseek_ocr.workload import RESOLUTION_MODES, OCRWorkload

SCHEMA = "llm-perf-opt/serving-steps/v1"
DECODE_BATCHES = (1, 2, 4, 8, 16, 32, 64, 100, 128)
"""Decode batches measured (100: the vendor's ``max_num_seqs``)."""
DECODE_KV_LENS = (512, 1024, 2048, 4096)
VISION_PAGES = (1, 2, 4, 8, 16, 32)
PROMPT_TOKENS = 9

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
    """What to measure: decode batches and KV lengths, vision batches of one page kind.

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

    @classmethod
    def dry(cls) -> Plan:
        """The points of a CPU dry run on :data:`DRY_RUN_ARCH` (its 128-pixel views, 64-pixel crops)."""
        return cls(decode_batches=(1, 2), decode_kv_lens=(8, 16), vision_pages=(1, 2), base_size=128, image_size=64,
                   crop_grid=(2, 2))  # fmt: skip

    def vision_workload(self, pages: int) -> OCRWorkload:
        """The analytic workload of ``pages`` pages of the plan's kind."""
        return OCRWorkload(base_size=self.base_size, image_size=self.image_size, crop_mode=True,
                           crop_grid=self.crop_grid, prompt_tokens=PROMPT_TOKENS, batch_size=pages)  # fmt: skip


@define(frozen=True)
class Point:
    """One call to time: its row (what it is) and the call; ``reset`` runs after each call."""

    row: dict[str, Any]
    call: Callable[[], object]
    reset: Callable[[], None] | None = None


def build_reference(torch: Any, *, dry_run: bool, seed: int) -> Any:
    """The reference in bf16 on CUDA with grouped-GEMM experts (the ``fused`` profile's reference), or the tiny
    one in fp32 on the CPU for a dry run; parameters N(0, 0.02)."""
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


def decode_points(torch: Any, ref: Any, plan: Plan) -> list[Point]:
    """One point per (batch, KV length): a decode step on a cache of ``kv_len - 1`` random past tokens."""
    points = []
    for kv_len in plan.decode_kv_lens:
        for batch in plan.decode_batches:
            cache = ref.decode_cache(kv_len, batch)
            past = [(layer.keys, layer.values) for layer in cache.layers]

            def step(cache: Any = cache, batch: int = batch, kv_len: int = kv_len) -> object:
                return ref.run_decode_step(kv_len, batch, cache=cache)

            def reset(cache: Any = cache, past: list[tuple[Any, Any]] = past) -> None:
                for layer, (keys, values) in zip(cache.layers, past, strict=True):
                    layer.keys, layer.values = keys, values

            points.append(Point({"stage": "decode", "batch": batch, "kv_len": kv_len}, step, reset))
    return points


def vision_points(torch: Any, ref: Any, plan: Plan) -> list[Point]:
    """One point per page batch: SAM, CLIP and the projector on that many pages."""
    points = []
    for pages in plan.vision_pages:
        w = plan.vision_workload(pages)
        inputs = ref.make_inputs(w)

        def encode(inputs: Any = inputs, grid: tuple[int, int] = w.crop_grid) -> object:
            sam = ref.run_sam(*inputs.pixels)
            return ref.run_projector(sam, ref.run_clip(sam), grid)

        row = {"stage": "vision", "pages": pages, "crop_grid": list(w.crop_grid), "image_tokens": w.image_tokens}
        points.append(Point(row, encode))
    return points


def measure(torch: Any, points: Sequence[Point], *, runs: int, dry_run: bool) -> list[dict[str, Any]]:
    """Each point's graph replay timed ``runs`` times (median, min, max in seconds), or, in a dry run, each
    call run once on the CPU (``seconds`` null). A point that cannot be captured keeps its error."""
    rows = []
    for point in points:

        def call(point: Point = point) -> None:
            point.call()
            if point.reset is not None:
                point.reset()

        row = dict(point.row)
        if dry_run:
            with torch.inference_mode():
                call()
            row |= {"seconds": None, "samples": []}
        else:
            try:
                with torch.inference_mode():
                    graph = capture_graph(torch, call, warmup=2)
            except RuntimeError as exc:
                row |= {"seconds": None, "samples": [], "graph_error": " ".join(str(exc).split())[:300]}
                rows.append(row)
                continue
            samples = [event_seconds(torch, graph.replay) for _ in range(runs)]
            row |= {"seconds": statistics.median(samples), "min_s": min(samples), "max_s": max(samples),
                    "samples": samples}  # fmt: skip
            del graph
            torch.cuda.empty_cache()
        rows.append(row)
    return rows


def run(torch: Any, *, plan: Plan, runs: int, dry_run: bool, seed: int = 0) -> dict[str, Any]:
    """Build the reference, measure every point of ``plan``, return the raw report."""
    ref = build_reference(torch, dry_run=dry_run, seed=seed)
    points = decode_points(torch, ref, plan) + vision_points(torch, ref, plan)
    env = {"device": "cpu (dry run)", "torch": torch.__version__} if dry_run else device_environment(torch)
    return {
        "schema": SCHEMA,
        "dry_run": dry_run,
        "environment": env,
        "reference": "DeepseekOCRReference, sdpa attention, grouped_mm experts, random weights N(0, 0.02)"
        + (" (tiny architecture, fp32, CPU)" if dry_run else " (bf16, CUDA)"),
        "timing": "CUDA graph of the call (2 warm-up calls on a side stream), replay between CUDA events",
        "runs": runs,
        "rows": measure(torch, points, runs=runs, dry_run=dry_run),
    }
