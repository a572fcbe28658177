"""Per-workload predictions on a GPU: stage metrics and times, latency, throughput, memory, GPUs needed.

For a workload (``batch_size`` identical pages processed together) on a GPU, everything
comes from the analytic model (:class:`~modelmeter.models.deepseek_ocr.layers.core.DeepseekOCRModel`, or
:class:`~modelmeter.models.deepseek_ocr2.layers.core.DeepseekOCR2Model` for an OCR-2 architecture and workload)
and one time model (:mod:`llm_perf_opt.timing.time_model`: the roofline, the default, or a runtime
profile); every time below is a wall time under that model:

``stages``
    each stage's forward metrics (``stage.metrics()``), its roofline time (summed per level by
    :mod:`llm_perf_opt.timing.roofline`) and its kernel and wall time under the time model;
``vision_seconds``
    ``sam + clip + projector`` (OCR-2: ``sam + qwen2 + projector``);
``ttft_seconds`` (time to first token)
    ``vision + prefill + lm_head`` (the prefill's logits give the first token);
``decode_seconds``
    the decode stage: ``max_new_tokens - 1`` steps, step ``t`` with ``prefill_tokens + t`` keys;
``tpot_final_seconds``
    one decode step at the final KV length ``prefill_tokens + max(decode_steps, 1)``
    (the slowest step); ``tpot_mean_seconds = decode_seconds / decode_steps`` (the final
    step's time when there is no decode step);
``seconds_per_batch``
    ``ttft + decode``: every page of the batch finishes then (static batching, see
    :mod:`llm_perf_opt.timing.throughput`); ``pages_per_second = batch / seconds_per_batch``,
    ``pages_per_day = 86400 * pages_per_second`` on one GPU;
``gpus_needed``
    ``ceil(target_pages_per_day / pages_per_day)`` when a target is given.

Memory (:class:`~llm_perf_opt.data.planning.MemoryPrediction`), at the end of generation:

``weight_bytes``
    every parameter of the checkpoint, resident once (``model.metrics().weight_memory_bytes``);
``kv_cache_bytes``
    keys and values of every page at the final length: the decode stage's
    ``kv_cache_memory_bytes`` (its last step holds ``prefill_tokens + decode_steps`` keys), or
    the prefill's when there is no decode step;
``peak_activation_bytes``
    the largest **single-kernel working set** of the whole call: over every piece (the own
    work of one node of the analytic tree, one kernel-sized operation) of every stage, the
    largest ``forward_activation_read_bytes + forward_activation_write_bytes`` of one call. It
    is *not* the sum over layers (activations of finished layers are freed; an inference
    forward keeps nothing for a backward pass), and it is a floor of the real peak: tensors
    kept alive across kernels (the residual stream, SAM outputs waiting for CLIP, the image
    embeddings), the allocator's fragmentation and library workspaces are not counted. For
    DeepSeek-OCR it is the LM head over every prefill position (the vendor's forward
    computes bf16 logits for all of them and casts them to fp32: ``tokens * vocab * (2 + 4)``
    bytes), or SAM's global-view attention for short prompts; under a runtime whose token loop copies those
    fp32 logits while they are alive (``prefill_logits_copies`` of its ``generate`` block: transformers 4.46's
    ``generate()`` clones them whole), at least ``tokens * vocab * 4 * (1 + copies)`` bytes;
``capacity_bytes``
    ``floor(memory_utilization * memory_gb * 2**30)``; the default 0.9 is vLLM's default
    ``gpu_memory_utilization``, leaving the rest for the CUDA context and what the floor
    above leaves out;
``max_batch``
    the largest ``B`` with ``weights + B * ceil((kv_cache_bytes + peak_activation_bytes) / batch)
    <= capacity`` (:func:`~llm_perf_opt.timing.memory_fit.max_batch_affine`): the KV cache and
    the working set grow linearly with the batch (every large tensor is batch x tokens x width).

Example
-------
>>> from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch
>>> from modelmeter.models.deepseek_ocr.workload import OCRWorkload
>>> p = predict(DeepseekOCRArch(), OCRWorkload(crop_grid=(2, 3), max_new_tokens=1000), "h100-sxm")
>>> p.prefill_tokens, p.memory.max_batch > 1, p.ttft_seconds < p.seconds_per_batch
(913, True, True)
>>> from modelmeter.models.deepseek_ocr2.config import DeepseekOCR2Arch
>>> from modelmeter.models.deepseek_ocr2.workload import OCR2Workload
>>> p2 = predict(DeepseekOCR2Arch(), OCR2Workload(crop_grid=(2, 3)), "h100-sxm")
>>> p2.model, p2.prefill_tokens, [s.stage for s in p2.stages][:3]
('deepseek-ocr-2', 1131, ['sam', 'qwen2', 'projector'])
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

from llm_perf_opt.data.hardware import AchievableRates, HardwareSpec
from llm_perf_opt.data.planning import MemoryPrediction, PlanningPoint, StagePrediction
from llm_perf_opt.data.runtime_profile import RuntimeProfile
from llm_perf_opt.data.workload_profile import CUSTOM_RESOLUTION
from llm_perf_opt.hardware.portable import time_basis
from llm_perf_opt.hardware.rates import achievable_rates
from llm_perf_opt.hardware.registry import load_hardware
from llm_perf_opt.timing.memory_fit import device_memory_bytes, max_batch_affine
from llm_perf_opt.timing.roofline import RooflineTime, peak_working_set_bytes, tree_times
from llm_perf_opt.timing.throughput import PageThroughput
from llm_perf_opt.timing.time_model import StageTimes, TimeModel, time_model
from llm_perf_opt.utils.collector import CollectorPaused
from modelmeter.layers.base import BaseLayer
from modelmeter.models.deepseek_ocr.layers.core.decode import DeepseekOCRDecodeStep
from modelmeter.models.deepseek_ocr.layers.llama.lm_head import LMHead
from modelmeter.models.families import AnyOCRWorkload, OCRArch, family_of

DEFAULT_MEMORY_UTILIZATION = 0.9
"""Fraction of device memory a run may use: vLLM's default ``gpu_memory_utilization``."""


def gpus_for(target_pages_per_day: float, pages_per_day_per_gpu: float) -> int:
    """GPUs that reach the target: ``ceil(target / pages per day of one GPU)``.

    Example
    -------
    >>> gpus_for(1_000_000, 204_244.0)
    5
    """
    return math.ceil(target_pages_per_day / pages_per_day_per_gpu)


@functools.cache
def _spec(name: str) -> HardwareSpec:
    return load_hardware(name)


@functools.cache
def _rates(spec: HardwareSpec) -> AchievableRates:
    return achievable_rates(spec)


def hardware_spec(hardware: HardwareSpec | str) -> HardwareSpec:
    """``hardware`` itself, or the database entry of that name (``ValueError`` listing the known names)."""
    return hardware if isinstance(hardware, HardwareSpec) else _spec(hardware)


def resolution_mode_name(workload: AnyOCRWorkload) -> str:
    """The model's vendor mode with the workload's ``base_size``, ``image_size`` and ``crop_mode``, else
    ``custom``."""
    key = (workload.base_size, workload.image_size, workload.crop_mode)
    for mode in family_of(workload).resolution_modes.values():
        if (mode.base_size, mode.image_size, mode.crop_mode) == key:
            return mode.name
    return CUSTOM_RESOLUTION


def _stage(name: str, layer: BaseLayer, t: RooflineTime, timed: StageTimes) -> StagePrediction:
    m = layer.metrics()
    return StagePrediction(
        stage=name,
        forward_tensor_core_flops=m.forward_tensor_core_flops,
        forward_executed_tensor_core_flops=m.forward_executed_tensor_core_flops,
        forward_cuda_core_flops=m.forward_cuda_core_flops,
        forward_io_bytes=m.forward_io_bytes,
        weight_memory_bytes=m.weight_memory_bytes,
        activation_memory_bytes=m.activation_memory_bytes,
        kv_cache_memory_bytes=m.kv_cache_memory_bytes,
        params=m.params,
        seconds=t.seconds,
        compute_bound_seconds=t.compute_seconds,
        memory_bound_seconds=t.memory_seconds,
        latency_bound_seconds=t.latency_seconds,
        bound=t.dominant_bound.value,
        kernel_seconds=timed.kernel_s,
        wall_seconds=timed.wall_s,
        kernel_launches=timed.kernel_launches,
        torch_calls=timed.torch_calls,
    )


def _memory(
    spec: HardwareSpec, batch: int, weights: int, peak: int, kv: int, memory_utilization: float
) -> MemoryPrediction:
    if not 0 < memory_utilization <= 1:
        raise ValueError(f"memory_utilization: must be a fraction in (0, 1], got {memory_utilization!r}")
    capacity = math.floor(device_memory_bytes(spec) * memory_utilization)
    total = weights + peak + kv
    per_page = -(-(kv + peak) // batch)
    return MemoryPrediction(
        weight_bytes=weights,
        peak_activation_bytes=peak,
        kv_cache_bytes=kv,
        total_bytes=total,
        capacity_bytes=capacity,
        memory_utilization=memory_utilization,
        fits=total <= capacity,
        max_batch=max_batch_affine(fixed_bytes=weights, per_item_bytes=per_page, capacity_bytes=capacity),
    )


def predict_many(
    arch: OCRArch,
    workload: AnyOCRWorkload,
    hardware: Sequence[HardwareSpec | str],
    *,
    target_pages_per_day: float | None = None,
    memory_utilization: float = DEFAULT_MEMORY_UTILIZATION,
    min_kernel_seconds: float = 0.0,
    page_size: tuple[int, int] | None = None,
    runtime: TimeModel | RuntimeProfile | str | None = None,
) -> list[PlanningPoint]:
    """:func:`predict` on several GPUs at once (the model is built and counted once), in the given order."""
    if target_pages_per_day is not None and not (math.isfinite(target_pages_per_day) and target_pages_per_day > 0):
        raise ValueError(f"target_pages_per_day: must be a finite number > 0, got {target_pages_per_day!r}")
    specs = [hardware_spec(h) for h in hardware]
    rates = [_rates(s) for s in specs]
    with CollectorPaused():
        return _predict_many(
            arch,
            workload,
            specs,
            rates,
            target_pages_per_day,
            memory_utilization,
            min_kernel_seconds,
            page_size,
            time_model(runtime),
        )


def _predict_many(
    arch: OCRArch,
    workload: AnyOCRWorkload,
    specs: list[HardwareSpec],
    rates: list[AchievableRates],
    target_pages_per_day: float | None,
    memory_utilization: float,
    min_kernel_seconds: float,
    page_size: tuple[int, int] | None,
    timer: TimeModel,
) -> list[PlanningPoint]:
    family = family_of(arch)
    model = family.model(arch, workload)
    stages = family.stages
    layers = model.stage_layers()
    weights = model.metrics().weight_memory_bytes  # every stage's metrics, before the times re-use their parts
    times = {name: tree_times(layers[name], rates, min_kernel_seconds=min_kernel_seconds) for name in stages}
    steps = workload.decode_steps
    final_step = DeepseekOCRDecodeStep(
        config=arch.language,
        batch=workload.batch_size,
        kv_len=workload.prefill_tokens + max(steps, 1),
        attention=workload.attention,
        dtype=workload.dtype,
    )
    final_times = tree_times(final_step, rates, min_kernel_seconds=min_kernel_seconds)
    kv = layers["decode" if steps else "prefill"].metrics().kv_cache_memory_bytes
    peak = max(peak_working_set_bytes(layers[name]) for name in stages)
    head = layers["lm_head"]
    if timer.prefill_logits_copies and isinstance(head, LMHead):  # the loop's copies beside the fp32 logits
        peak = max(peak, head.fp32_logits_bytes * (1 + timer.prefill_logits_copies))
    mode = resolution_mode_name(workload)
    width, height = page_size if page_size is not None else (None, None)
    points = []
    for i, spec in enumerate(specs):
        timed = timer.stage_times(model, spec, {name: times[name][i].seconds for name in stages})
        vision = sum(timed[name].wall_s for name in family.vision_stages)
        ttft = vision + timed["prefill"].wall_s + timed["lm_head"].wall_s
        decode = timed["decode"].wall_s
        tpot_final = timer.step_wall_s(
            final_step, spec, final_times[i].seconds, generated=max(steps, 1) + 1, repeated=workload.image_tokens
        )
        throughput = PageThroughput(batch=workload.batch_size, ttft_seconds=ttft, decode_seconds=decode)
        per_day = throughput.pages_per_day
        points.append(
            PlanningPoint(
                hardware=spec.name,
                runtime=timer.name,
                calibrated=spec.calibration is not None and spec.calibration.measured,
                basis=time_basis(spec),
                resolution_mode=mode,
                page_width=width,
                page_height=height,
                workload=workload,
                image_tokens=workload.image_tokens,
                prefill_tokens=workload.prefill_tokens,
                decode_steps=steps,
                stages=tuple(_stage(name, layers[name], times[name][i], timed[name]) for name in stages),
                vision_seconds=vision,
                ttft_seconds=ttft,
                decode_seconds=decode,
                tpot_final_seconds=tpot_final,
                tpot_mean_seconds=decode / steps if steps else tpot_final,
                seconds_per_batch=throughput.seconds_per_batch,
                pages_per_second=throughput.pages_per_second,
                pages_per_day=per_day,
                memory=_memory(spec, workload.batch_size, weights, peak, kv, memory_utilization),
                min_kernel_seconds=min_kernel_seconds,
                target_pages_per_day=target_pages_per_day,
                gpus_needed=None if target_pages_per_day is None else gpus_for(target_pages_per_day, per_day),
                model=family.key,
            )
        )
    return points


def predict(
    arch: OCRArch,
    workload: AnyOCRWorkload,
    hardware: HardwareSpec | str,
    *,
    target_pages_per_day: float | None = None,
    memory_utilization: float = DEFAULT_MEMORY_UTILIZATION,
    min_kernel_seconds: float = 0.0,
    page_size: tuple[int, int] | None = None,
    runtime: TimeModel | RuntimeProfile | str | None = None,
) -> PlanningPoint:
    """Predictions for ``workload`` on ``hardware`` (a spec or a database name); see the module docstring.

    ``runtime``: the time model (:func:`llm_perf_opt.timing.time_model.time_model`: ``None`` or ``"roofline"``,
    or a runtime profile or its name). ``page_size`` (width, height in pixels) only labels the point with the
    page its crop grid was chosen from.
    """
    return predict_many(
        arch,
        workload,
        (hardware,),
        target_pages_per_day=target_pages_per_day,
        memory_utilization=memory_utilization,
        min_kernel_seconds=min_kernel_seconds,
        page_size=page_size,
        runtime=runtime,
    )[0]
