"""Host time of a serving engine's step: the work the GPU waits for, from sourced mechanisms.

A vLLM V0 engine step (the engine the vendor's scripts run: ``VLLM_USE_V1=0`` in ``DeepSeek-OCR-vllm/
run_dpsk_ocr_pdf.py``) runs, in order, on one host thread:

1. the scheduler, the model runner's input preparation and the launch of the forward (the GPU is idle: it
   finished the previous step, whose sampled tokens the host had to read back first);
2. while the forward runs on the GPU, the logits processors of every sampled sequence (vLLM V0's
   ``_apply_logits_processors``: per sequence a row view of the logits, ``inspect.signature`` of each
   processor, the processor's call, the row written back; no device synchronization, so this overlaps the
   forward);
3. greedy sampling and the copy of the sampled tokens to the host (a synchronization), then the step's outputs.

So a step lasts ``step_s + max(gpu_s, processors_s)``: :attr:`EngineHost.step_s` is the host time per step
the GPU waits for (1 and 3), and only the part of the processors' time beyond the GPU's time adds to the step.

The vendor's script gives every request its own Python ``NoRepeatNGramLogitsProcessor(ngram_size=20,
window_size=50)`` (``DeepSeek-OCR-vllm/process/ngram_norepeat.py``): a sequence with fewer than ``ngram_size``
output tokens returns at once; otherwise it compares the last ``ngram_size - 1`` tokens with every
``ngram_size``-gram of the last ``window_size`` tokens (``window_size - ngram_size + 1`` positions). vLLM V0
hands it the output tokens as a new tuple each call (``SequenceData.output_token_ids`` copies its array), so
per sampled sequence and step::

    processor_s = call_s + output_tokens * per_token_s + scanning * (window_size - ngram_size + 1) * per_position_s

Every constant is a generic measurement or a public figure (:data:`HOST_LOOPS`, each with its source); none is
fitted to a throughput anchor.

Example
-------
>>> host = HOST_LOOPS["none"]
>>> host.step_host_s(gpu_s=0.01, sequences=100, output_tokens=50_000, scanning=100)
0.0
>>> v0 = HOST_LOOPS[DEFAULT_HOST_LOOP]
>>> round(v0.step_host_s(gpu_s=0.01, sequences=100, output_tokens=50_000, scanning=100), 6)  # hidden by the GPU
0.004
"""

from __future__ import annotations

from attrs import define, field

from llm_perf_opt.data._validators import finite_non_negative, positive_int


@define(frozen=True, kw_only=True)
class ProcessorCost:
    """A per-request Python logits processor's host seconds per sampled sequence and step, under vLLM V0's
    sampler (module docstring).

    Example
    -------
    >>> p = ProcessorCost(call_s=1e-5, per_token_s=1e-8, per_position_s=1e-7, ngram_size=20, window_size=50,
    ...                   source="s")
    >>> round(p.seconds(sequences=2, output_tokens=1000, scanning=1) * 1e6, 3)  # 2 x 10 + 1000 x 0.01 + 31 x 0.1
    33.1
    """

    call_s: float = field(validator=finite_non_negative)
    """Per sampled sequence: the row view, ``inspect.signature`` of the processor, the call and the row written
    back."""
    per_token_s: float = field(validator=finite_non_negative)
    """Per output token a sampled sequence holds: the copy of its output tokens into a new tuple."""
    per_position_s: float = field(validator=finite_non_negative)
    """Per window position scanned: one ``ngram_size``-gram sliced and compared."""
    ngram_size: int = field(validator=positive_int)
    window_size: int = field(validator=positive_int)
    source: str

    @property
    def positions(self) -> int:
        """Window positions one scan compares: ``window_size - ngram_size + 1`` (0 when the window is shorter)."""
        return max(0, self.window_size - self.ngram_size + 1)

    def seconds(self, *, sequences: int, output_tokens: int, scanning: int) -> float:
        """Host seconds of one step's processor calls: ``sequences`` sampled, holding ``output_tokens`` output
        tokens together, ``scanning`` of them with at least ``ngram_size`` output tokens."""
        return (
            sequences * self.call_s + output_tokens * self.per_token_s + scanning * self.positions * self.per_position_s
        )


@define(frozen=True, kw_only=True)
class EngineHost:
    """A serving engine's host time per step (module docstring).

    Example
    -------
    >>> EngineHost(name="x", step_s=0.002, source="s").step_host_s(gpu_s=0.01, sequences=8, output_tokens=0,
    ...                                                             scanning=0)
    0.002
    """

    name: str
    step_s: float = field(validator=finite_non_negative)
    """Host seconds per step the GPU waits for: scheduling, input preparation, launch, the sampled tokens'
    copy to the host and the step's output handling."""
    source: str
    processor: ProcessorCost | None = None
    """The per-request logits processor every request carries (``None``: none)."""

    def step_host_s(self, *, gpu_s: float, sequences: int, output_tokens: int, scanning: int) -> float:
        """Host seconds a step adds to its GPU time ``gpu_s``: :attr:`step_s` plus the processors' time beyond
        the GPU's (they run while the forward does)."""
        if self.processor is None or sequences == 0:
            return self.step_s
        busy = self.processor.seconds(sequences=sequences, output_tokens=output_tokens, scanning=scanning)
        return self.step_s + max(0.0, busy - gpu_s)

    @property
    def ngram_size(self) -> int:
        """Output tokens from which the processor scans its window (a large number without a processor)."""
        return self.processor.ngram_size if self.processor is not None else 1 << 30


V0_STEP_S = 4e-3
"""Host time per decode step the GPU waits for in vLLM's V0 engine: "about 4ms of GPU bubble" per decode
step in the profiles of vLLM's multi-step scheduling RFC (github.com/vllm-project/vllm issue 6854, July 2024:
the sampled tokens' copy to the host, their conversion to Python objects, the next step's input preparation and
the scheduler; its summary gives 5-13 ms). Measured on vLLM 0.5 with Llama 3 8B on one H100; the source does not
split it by batch size, so it is taken per step, whatever the batch."""

VENDOR_PROCESSOR = ProcessorCost(
    call_s=27.16e-6,
    per_token_s=0.01106e-6,
    per_position_s=0.2385e-6,
    ngram_size=20,
    window_size=50,
    source=(
        "the vendor's run_dpsk_ocr_pdf.py settings (ngram_size 20, window_size 50); costs measured by "
        "scripts/bench/bench_engine_host.py on an H200 lease's host, the logits on the GPU, 2026-12-04 "
        "(reports/bench/engine_host.json): generic Python and torch operations of the mechanism, not vLLM or the "
        "vendor's code"
    ),
)
"""The vendor's no-repeat-n-gram processor, per sampled sequence and step."""

DEFAULT_HOST_LOOP = "vllm-v0-vendor"
HOST_LOOPS: dict[str, EngineHost] = {
    DEFAULT_HOST_LOOP: EngineHost(
        name=DEFAULT_HOST_LOOP,
        step_s=V0_STEP_S,
        processor=VENDOR_PROCESSOR,
        source="vLLM V0 step bubble (vLLM issue 6854) and the vendor's per-request n-gram processor",
    ),
    "vllm-v0": EngineHost(name="vllm-v0", step_s=V0_STEP_S, source="vLLM V0 step bubble (vLLM issue 6854)"),
    "none": EngineHost(name="none", step_s=0.0, source="no host time: the GPU's step time only"),
}
"""``--host-loop`` name -> the engine's host time per step."""
