"""One engine step's time, from the project's one time model, cached on a grid.

A step of a continuous-batching engine runs one forward over every token it scheduled: one token of each
decoding request and the prefill chunks of requests being admitted, plus the vision encoder of the pages
whose prefill starts in it. Its time here:

* a **decode-only step** of ``n`` requests with mean KV length ``k``:
  :class:`~modelmeter.models.deepseek_ocr.layers.core.DeepseekOCRDecodeStep` at batch ``n``, ``kv_len=k``, timed
  by the time model's :meth:`~llm_perf_opt.timing.time_model.TimeModel.layer_wall_s` as the profile runs its
  ``decode`` stage (under ``fused``: the decoder body replayed as a CUDA graph), without the profile's
  ``generate()`` loop, if it describes one: an engine runs its own loop (its host time per step is
  ``EngineConfig.step_overhead_s``);
* a **step with prefill tokens** (``q`` tokens in all, decode tokens included, each token's keys averaging
  ``k``): the decoder body :class:`~modelmeter.models.deepseek_ocr.layers.core.deepseek_v2_model.DeepseekV2Model`
  at batch 1, ``q_len=q``, ``kv_len=max(k, q)`` (the layer needs ``q_len <= kv_len``; this overstates the
  attention of a step whose tokens are mostly short decodes), timed as the profile runs its ``prefill`` stage,
  plus the LM head on the tokens sampled in the step (one per decode and per finished prefill; an engine
  computes logits only there);
* plus, per page class, the vision stages (``sam``, ``clip``, ``projector`` of
  ``DeepseekOCRModel(...).stage_layers()``) at a batch of the pages starting in the step.

Every time is evaluated once on a grid (batch or tokens at powers of two and the engine's limits, KV lengths
at powers of two up to ``max_model_len``) and interpolated linearly between grid points (extrapolated from
the last two points outside), so a long trace costs a few thousand time-model calls, not one per step.

Tensor parallelism over ``t`` GPUs (a what-if): every decoder forward's time divided by ``t`` (a perfect
split, optimistic) plus two all-reduces per decoder layer of ``tokens x hidden_size`` elements each (after
attention and after the MLP/MoE), each a ring all-reduce::

    allreduce_s(bytes) = 2 * (t - 1) / t * bytes / link_bytes_per_s + 2 * (t - 1) * LINK_HOP_S

``link_bytes_per_s`` is one direction of the GPU's link (:data:`LINK_GBPS`, half the bidirectional datasheet
figure). The vision encoder is not split (each replica's first GPU runs it).

Under ``EngineConfig.kernel_data == "aiconfigurator"`` (``fused`` only) every decode step's attention cores and
fused-MoE kernels, and every prefill step's fused-MoE kernels, are corrected by vLLM's measured latencies
(:mod:`llm_perf_opt.serving.kernel_data`) before the split.

Example
-------
>>> g = Grid1(xs=(1, 3), values=(1.0, 2.0))
>>> g.at(2), g.at(5)
(1.5, 3.0)
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Sequence

from attrs import define, field

from llm_perf_opt.data.hardware import HardwareSpec
from llm_perf_opt.serving.config import EngineConfig, PageClass
from llm_perf_opt.serving.kernel_data import StepCorrection, check_kernel_data
from llm_perf_opt.timing.time_model import RecordingTimeModel, RuntimeTimeModel, TimeModel
from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch
from modelmeter.models.deepseek_ocr.layers.core import DeepseekOCRDecodeStep, DeepseekOCRModel
from modelmeter.models.deepseek_ocr.layers.core.deepseek_v2_model import DeepseekV2Model
from modelmeter.models.deepseek_ocr.layers.llama import LMHead
from modelmeter.models.deepseek_ocr.workload import OCRWorkload
from modelmeter.units import dtype_bytes

VISION_STAGES = ("sam", "clip", "projector")

LINK_GBPS: dict[str, tuple[float, str]] = {
    "a100-40gb": (600.0, "NVIDIA A100 Tensor Core GPU datasheet: NVLink 600 GB/s (SXM)"),
    "a100-80gb": (600.0, "NVIDIA A100 Tensor Core GPU datasheet: NVLink 600 GB/s (SXM)"),
    "h100-sxm": (900.0, "NVIDIA H100 Tensor Core GPU datasheet: NVLink 900 GB/s (SXM)"),
    "h200": (900.0, "NVIDIA H200 Tensor Core GPU datasheet: NVLink 900 GB/s (SXM)"),
    "l4": (64.0, "NVIDIA L4 datasheet: PCIe Gen4 x16, 64 GB/s (no NVLink)"),
    "rtx-4090": (64.0, "NVIDIA GeForce RTX 4090 specifications: PCIe Gen4 x16, 64 GB/s (no NVLink)"),
    "rtx-5090": (128.0, "NVIDIA GeForce RTX 5090 specifications: PCIe Gen5 x16, 128 GB/s (no NVLink)"),
}
"""GPU entry name -> (bidirectional link bandwidth per GPU in GB/s, its source): the hardware entries hold no
link figure; an entry missing here has no tensor-parallel what-if."""

LINK_HOP_S = 5e-6
"""Latency of one ring step of an all-reduce (an assumption of the order NCCL's small-message all-reduces
take within one node)."""


def _points(limit: int, *, start: int = 1, factor: int = 2) -> tuple[int, ...]:
    """``start, start*factor, ...`` below ``limit``, then ``limit`` itself."""
    out, x = [], start
    while x < limit:
        out.append(x)
        x *= factor
    out.append(limit)
    return tuple(out)


def _segment(xs: Sequence[int], x: float) -> tuple[int, float]:
    """Index ``i`` of the segment ``xs[i]..xs[i+1]`` that holds (or, outside, is nearest to) ``x``, and the
    fraction of the way along it (below 0 or above 1 outside the grid)."""
    i = min(max(bisect.bisect_right(xs, x) - 1, 0), len(xs) - 2)
    return i, (x - xs[i]) / (xs[i + 1] - xs[i])


def _increasing(instance: object, attribute: object, value: tuple[int, ...]) -> None:
    if len(value) < 2 or any(b <= a for a, b in itertools.pairwise(value)):
        raise ValueError(f"grid points must be at least two and increase strictly, got {value}")


@define(frozen=True, kw_only=True)
class Grid1:
    """Seconds at grid points ``xs``, linear between them and beyond the ends.

    Example
    -------
    >>> Grid1(xs=(1, 2), values=(2.0, 4.0)).at(1.5)
    3.0
    """

    xs: tuple[int, ...] = field(validator=_increasing)
    values: tuple[float, ...]

    def at(self, x: float) -> float:
        """The interpolated value at ``x``."""
        i, f = _segment(self.xs, x)
        return self.values[i] + f * (self.values[i + 1] - self.values[i])


@define(frozen=True, kw_only=True)
class Grid2:
    """Seconds on ``xs x ys``, bilinear between grid points (linear beyond the ends).

    Example
    -------
    >>> Grid2(xs=(1, 2), ys=(10, 20), values=((1.0, 2.0), (3.0, 4.0))).at(1.5, 15)
    2.5
    """

    xs: tuple[int, ...] = field(validator=_increasing)
    ys: tuple[int, ...] = field(validator=_increasing)
    values: tuple[tuple[float, ...], ...]

    def at(self, x: float, y: float) -> float:
        """The interpolated value at ``(x, y)``."""
        i, fx = _segment(self.xs, x)
        j, fy = _segment(self.ys, y)
        v = self.values
        low = v[i][j] + fy * (v[i][j + 1] - v[i][j])
        high = v[i + 1][j] + fy * (v[i + 1][j + 1] - v[i + 1][j])
        return low + fx * (high - low)


def decoder_attention(timer: TimeModel) -> str:
    """The decoder attention a time model runs (a runtime profile's ``decoder_attention``; ``flash`` else)."""
    if isinstance(timer, RecordingTimeModel):
        return decoder_attention(timer.inner)
    return timer.profile.decoder_attention if isinstance(timer, RuntimeTimeModel) else "flash"


def allreduce_s(message_bytes: float, tensor_parallel: int, link_gbps: float) -> float:
    """One ring all-reduce of ``message_bytes`` over ``tensor_parallel`` GPUs (module docstring); 0 for one GPU.

    Example
    -------
    >>> round(allreduce_s(1e6, 2, 600.0) * 1e6, 3)  # 2 * 1/2 * 1e6 B / 300e9 B/s + 2 * 5 us
    13.333
    """
    t = tensor_parallel
    if t == 1:
        return 0.0
    return 2 * (t - 1) / t * message_bytes / (link_gbps / 2 * 1e9) + 2 * (t - 1) * LINK_HOP_S


@define(frozen=True, kw_only=True)
class StepTimes:
    """A step's time on one GPU type under one time model and engine (see the module docstring).

    Example
    -------
    >>> flat = Grid2(xs=(1, 2), ys=(1, 2), values=((0.01, 0.01), (0.01, 0.01)))
    >>> st = StepTimes(decode=flat, body=flat, lm_head=Grid1(xs=(1, 2), values=(0.0, 0.0)),
    ...                vision=(Grid1(xs=(1, 2), values=(0.05, 0.08)),))
    >>> st.decode_s(5, 300), st.vision_s(0, 2)
    (0.01, 0.08)
    """

    decode: Grid2
    body: Grid2
    lm_head: Grid1
    vision: tuple[Grid1, ...]

    def decode_s(self, batch: int, kv_len: float) -> float:
        """A decode-only step of ``batch`` requests with mean KV length ``kv_len``."""
        return self.decode.at(batch, kv_len)

    def mixed_s(self, tokens: int, kv_len: float, sampled: int) -> float:
        """A step of ``tokens`` tokens in all (prefill chunks and decodes) whose keys average ``kv_len``, that
        samples ``sampled`` tokens."""
        return self.body.at(tokens, max(kv_len, tokens)) + (self.lm_head.at(sampled) if sampled else 0.0)

    def vision_s(self, page_class: int, pages: int) -> float:
        """The vision encoder on ``pages`` pages of class ``page_class`` (0 for none)."""
        return self.vision[page_class].at(pages) if pages else 0.0


def decode_step_s(arch: DeepseekOCRArch, hardware: HardwareSpec, timer: TimeModel, *, batch: int, kv_len: int) -> float:
    """One decode step of ``batch`` sequences at ``kv_len`` keys on one GPU (module docstring), as the time model
    runs the ``decode`` stage of its profile, without a ``generate()`` loop."""
    step = DeepseekOCRDecodeStep(config=arch.language, batch=batch, kv_len=kv_len, attention=decoder_attention(timer))
    return timer.layer_wall_s(step, hardware, "decode")


def vision_s(arch: DeepseekOCRArch, hardware: HardwareSpec, timer: TimeModel, workload: OCRWorkload) -> float:
    """The vision stages (:data:`VISION_STAGES`) of ``workload``'s pages (its batch) on one GPU."""
    layers = DeepseekOCRModel(arch=arch, workload=workload).stage_layers()
    return math.fsum(timer.layer_wall_s(layers[s], hardware, s) for s in VISION_STAGES)


def vision_batch_limit(cls: PageClass, config: EngineConfig) -> int:
    """Pages of ``cls`` whose image tokens fit one step's encoder budget (``max_num_batched_tokens``), at least
    one and at most ``max_num_seqs``."""
    return max(1, min(config.max_num_seqs, config.max_num_batched_tokens // cls.image_tokens))


def step_correction(hardware: HardwareSpec, timer: TimeModel, config: EngineConfig) -> StepCorrection | None:
    """The correction ``config.kernel_data`` asks for (:mod:`llm_perf_opt.serving.kernel_data`; ``None`` under
    ``model``); :class:`~llm_perf_opt.serving.kernel_data.KernelDataError` when it does not apply."""
    if config.kernel_data == "model":
        return None
    inner = timer.inner if isinstance(timer, RecordingTimeModel) else timer
    ratios = check_kernel_data(inner.name, hardware)
    return StepCorrection(ratios, hardware, inner.cache if isinstance(inner, RuntimeTimeModel) else None)


def build_step_times(
    arch: DeepseekOCRArch,
    hardware: HardwareSpec,
    timer: TimeModel,
    classes: Sequence[PageClass],
    config: EngineConfig,
) -> StepTimes:
    """Evaluate the grids (a few hundred time-model calls); see the module docstring."""
    text = arch.language
    attention = decoder_attention(timer)
    t = config.tensor_parallel
    link = LINK_GBPS[hardware.name][0] if t > 1 else 0.0
    token_bytes = text.hidden_size * dtype_bytes("bfloat16")

    def split(seconds: float, tokens: int) -> float:
        if t == 1:
            return seconds
        return seconds / t + 2 * text.num_hidden_layers * allreduce_s(tokens * token_bytes, t, link)

    kvs = _points(max(config.max_model_len, 512), start=256)
    batches = _points(max(config.max_num_seqs, 2))
    tokens = _points(config.max_num_batched_tokens, start=4, factor=4)[:-1] + _points(
        config.max_num_batched_tokens, start=256
    )
    tokens = (1, *sorted(set(tokens)))

    fix = step_correction(hardware, timer, config)

    def decode_at(b: int, k: int) -> float:
        seconds = decode_step_s(arch, hardware, timer, batch=b, kv_len=k)
        if fix is not None:
            seconds = fix.decode_s(seconds, DeepseekOCRDecodeStep(config=text, batch=b, kv_len=k, attention=attention))
        return split(seconds, b)

    def body_at(q: int, k: int) -> float:
        layer = DeepseekV2Model(config=text, batch=1, q_len=q, kv_len=max(q, k), attention=attention)
        seconds = timer.layer_wall_s(layer, hardware, "prefill")
        return split(seconds if fix is None else fix.prefill_s(seconds, layer, q), q)

    head = tuple(timer.layer_wall_s(LMHead(config=text, tokens=n), hardware, "lm_head") / t for n in batches)
    vision = []
    for cls in classes:
        pages = _points(vision_batch_limit(cls, config))
        if len(pages) == 1:
            pages = (1, 2)
        secs = tuple(vision_s(arch, hardware, timer, cls.workload(max_new_tokens=1, batch_size=n)) for n in pages)
        vision.append(Grid1(xs=pages, values=secs))
    return StepTimes(
        decode=Grid2(xs=batches, ys=kvs, values=tuple(tuple(decode_at(b, k) for k in kvs) for b in batches)),
        body=Grid2(xs=tokens, ys=kvs, values=tuple(tuple(body_at(q, k) for k in kvs) for q in tokens)),
        lm_head=Grid1(xs=batches, values=head),
        vision=tuple(vision),
    )
