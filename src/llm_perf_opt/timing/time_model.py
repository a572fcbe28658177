"""One time model behind every answer: a stage's kernel and wall time, and one decode step's wall time, on a GPU.

Two implementations of :class:`TimeModel`:

* :class:`RooflineTimeModel` (``roofline``): every kernel-sized piece at the larger of its compute and memory time
  at the GPU's achievable rates, one after another, no launch or host cost. The ideal: a lower bound.
* :class:`RuntimeTimeModel` (a runtime profile's name): the profile's kernels, each timed on the hardware entry's
  kernel-time curves, plus host launch, sync and graph costs (:mod:`llm_perf_opt.kernels.timing`).

Everything that reports time (the analyzer's report, summary and headline, capacity planning, sweeps, the what-if
script, the plots) asks :func:`llm_perf_opt.planning.predict.predict` with one of these, so the same workload gets
the same seconds per page everywhere.

Example
-------
>>> from modelmeter.models.deepseek_ocr.layers.core import DeepseekOCRModel
>>> from modelmeter.models.deepseek_ocr.workload import OCRWorkload
>>> from llm_perf_opt.hardware.registry import load_hardware
>>> model = DeepseekOCRModel(workload=OCRWorkload(crop_grid=(2, 2), max_new_tokens=2))
>>> times = time_model("hf-eager").stage_times(model, load_hardware("h100-sxm"))
>>> list(times), times["decode"].wall_s > times["decode"].kernel_s
(['sam', 'clip', 'projector', 'prefill', 'lm_head', 'decode'], True)
>>> time_model(None).name, time_model("roofline").name
('roofline', 'roofline')
"""

from __future__ import annotations

from typing import Protocol

from attrs import define, evolve, field

from llm_perf_opt.data.hardware import HardwareSpec
from llm_perf_opt.data.planning import ROOFLINE
from llm_perf_opt.data.runtime_profile import RuntimeProfile
from llm_perf_opt.kernels.profiles import resolve_runtime
from llm_perf_opt.kernels.timing import (
    RuntimeCache,
    StageRuntime,
    layer_runtime,
    runtime_stage_times,
    with_generate_loop,
)
from llm_perf_opt.timing.roofline import roofline_time
from modelmeter.layers.base import BaseLayer
from modelmeter.models.deepseek_ocr.layers.core import DeepseekOCRDecodeStep
from modelmeter.models.families import OCRModel, family_of


@define(frozen=True, kw_only=True)
class StageTimes:
    """One stage's kernel and wall time under a time model (the roofline model: both its roofline).

    ``runtime`` holds the parts of the wall time (where the time goes) under a runtime profile, ``None`` under
    the roofline.

    Example
    -------
    >>> StageTimes(kernel_s=1.0, wall_s=1.5, kernel_launches=3, torch_calls=0).wall_s
    1.5
    """

    kernel_s: float
    wall_s: float
    kernel_launches: int
    torch_calls: int
    runtime: StageRuntime | None = None


class TimeModel(Protocol):
    """What every time model answers; see the module docstring."""

    @property
    def name(self) -> str:
        """``roofline`` or the runtime profile's name."""
        ...

    def stage_times(
        self, model: OCRModel, hardware: HardwareSpec, roofline_s: dict[str, float] | None = None
    ) -> dict[str, StageTimes]:
        """Stage -> its times, in stage order (``roofline_s``: the stages' roofline, when the caller has it)."""
        ...

    @property
    def prefill_logits_copies(self) -> int:
        """Copies of the prefill's fp32 logits of every position that the token loop makes while they are alive
        (0: none, or no token loop)."""
        ...

    def step_wall_s(
        self,
        step: DeepseekOCRDecodeStep,
        hardware: HardwareSpec,
        roofline_s: float,
        generated: int = 0,
        repeated: int = 0,
    ) -> float:
        """Wall time of one decode step (``roofline_s``: its roofline; ``generated``: the number of the token it
        generates, 1-based, for a token loop whose cost grows with it; 0: none; ``repeated``: the run of equal ids
        in each row's prompt, a page's image rows, for a loop whose n-gram processor pays for it)."""
        ...

    def layer_wall_s(self, layer: BaseLayer, hardware: HardwareSpec, stage: str) -> float:
        """Wall time of one call of any layer tree run as part of ``stage`` (a serving engine's step pieces)."""
        ...


@define(frozen=True)
class RooflineTimeModel:
    """The roofline as a time model: kernel and wall time are the roofline (no launch or host cost).

    Example
    -------
    >>> RooflineTimeModel().name
    'roofline'
    """

    @property
    def name(self) -> str:
        """``roofline``."""
        return ROOFLINE

    def stage_times(
        self, model: OCRModel, hardware: HardwareSpec, roofline_s: dict[str, float] | None = None
    ) -> dict[str, StageTimes]:
        """The roofline of each stage, as given or computed here (``timing.roofline.roofline_time``)."""
        if roofline_s is None:
            roofline_s = {n: roofline_time(layer, hardware).seconds for n, layer in model.stage_layers().items()}
        return {n: StageTimes(kernel_s=s, wall_s=s, kernel_launches=0, torch_calls=0) for n, s in roofline_s.items()}

    @property
    def prefill_logits_copies(self) -> int:
        """0: the roofline has no token loop."""
        return 0

    def step_wall_s(
        self,
        step: DeepseekOCRDecodeStep,
        hardware: HardwareSpec,
        roofline_s: float,
        generated: int = 0,
        repeated: int = 0,
    ) -> float:
        """The step's roofline."""
        return roofline_s

    def layer_wall_s(self, layer: BaseLayer, hardware: HardwareSpec, stage: str) -> float:
        """The layer's roofline (``timing.roofline.roofline_time``; ``stage`` plays no part)."""
        return roofline_time(layer, hardware).seconds


@define(frozen=True)
class RuntimeTimeModel:
    """A runtime profile as a time model: its kernels on the GPU's curves plus the host's costs.

    ``cache`` (:class:`~llm_perf_opt.kernels.timing.RuntimeCache`, not part of the model's value) remembers the
    kernel inventories and stage runtimes it has computed, so one model asked about many workloads (a sweep, the
    analyzer's stages and decode step) computes each distinct stage once; its answers are the same without it.

    Example
    -------
    >>> from llm_perf_opt.kernels.profiles import load_runtime
    >>> RuntimeTimeModel(load_runtime("fused")).name
    'fused'
    """

    profile: RuntimeProfile
    cache: RuntimeCache = field(factory=RuntimeCache, eq=False, repr=False)

    @property
    def name(self) -> str:
        """The profile's name."""
        return self.profile.name

    def stage_times(
        self, model: OCRModel, hardware: HardwareSpec, roofline_s: dict[str, float] | None = None
    ) -> dict[str, StageTimes]:
        """Each stage's kernel inventory under the profile, timed (the model runs the profile's decoder attention);
        ``ValueError`` when the profile does not describe the model."""
        self.profile.check_model(family_of(model).key)
        return {
            name: StageTimes(
                kernel_s=r.predicted_kernel_s,
                wall_s=r.predicted_wall_s,
                kernel_launches=r.kernel_launches,
                torch_calls=r.torch_calls,
                runtime=r,
            )
            for name, r in runtime_stage_times(model, hardware, self.profile, cache=self.cache).items()
        }

    @property
    def prefill_logits_copies(self) -> int:
        """The profile's token loop's (0 without one)."""
        loop = self.profile.generate
        return 0 if loop is None else loop.prefill_logits_copies

    def step_wall_s(
        self,
        step: DeepseekOCRDecodeStep,
        hardware: HardwareSpec,
        roofline_s: float,
        generated: int = 0,
        repeated: int = 0,
    ) -> float:
        """One decode step's wall time under the profile (at the profile's decoder attention), with its token loop
        for generated token ``generated`` after a prompt holding a run of ``repeated`` equal ids."""
        layer: BaseLayer = evolve(step, attention=self.profile.decoder_attention)
        runtime = layer_runtime(layer, hardware, self.profile, stage="decode", cache=self.cache)
        loop = self.profile.generate
        if loop is not None:
            costs = self.cache.gpu(hardware)[1]
            cached = loop.mean_cached(generated, generated) if generated > 0 else 0.0
            runtime = with_generate_loop(
                runtime,
                loop,
                costs,
                tokens=1,
                batch=step.batch,
                positions=step.kv_len,
                cached=cached,
                repeated=repeated,
            )
        return runtime.predicted_wall_s

    def layer_wall_s(self, layer: BaseLayer, hardware: HardwareSpec, stage: str) -> float:
        """One call of ``layer`` under the profile, executed as the profile executes ``stage`` (no generate loop)."""
        return layer_runtime(layer, hardware, self.profile, stage=stage, cache=self.cache).predicted_wall_s


@define
class RecordingTimeModel:
    """Another time model that keeps the stage times it gave, for a caller that needs their parts (where the
    time goes) besides the answer it asked for; the caller owns it, one per evaluation.

    Example
    -------
    >>> rec = RecordingTimeModel(RooflineTimeModel())
    >>> rec.name, rec.recorded
    ('roofline', [])
    """

    inner: TimeModel
    recorded: list[dict[str, StageTimes]] = field(factory=list)

    @property
    def name(self) -> str:
        """The inner model's name."""
        return self.inner.name

    def stage_times(
        self, model: OCRModel, hardware: HardwareSpec, roofline_s: dict[str, float] | None = None
    ) -> dict[str, StageTimes]:
        """The inner model's answer, kept in :attr:`recorded`."""
        times = self.inner.stage_times(model, hardware, roofline_s)
        self.recorded.append(times)
        return times

    @property
    def prefill_logits_copies(self) -> int:
        """The inner model's."""
        return self.inner.prefill_logits_copies

    def step_wall_s(
        self,
        step: DeepseekOCRDecodeStep,
        hardware: HardwareSpec,
        roofline_s: float,
        generated: int = 0,
        repeated: int = 0,
    ) -> float:
        """The inner model's answer."""
        return self.inner.step_wall_s(step, hardware, roofline_s, generated, repeated)

    def layer_wall_s(self, layer: BaseLayer, hardware: HardwareSpec, stage: str) -> float:
        """The inner model's answer."""
        return self.inner.layer_wall_s(layer, hardware, stage)


def time_model(runtime: TimeModel | RuntimeProfile | str | None, *, cache: RuntimeCache | None = None) -> TimeModel:
    """The time model a caller names: ``None`` or ``"roofline"`` for the roofline, a runtime profile (or its
    name, or a path to its YAML file) for that profile; a model is returned as is. ``cache``: the
    :class:`~llm_perf_opt.kernels.timing.RuntimeCache` a runtime profile's model keeps (a fresh one when ``None``),
    e.g. one for all the runtimes of a sweep."""
    if runtime is None or runtime == ROOFLINE:
        return RooflineTimeModel()
    if isinstance(runtime, str):
        runtime = resolve_runtime(runtime)
    if isinstance(runtime, RuntimeProfile):
        return RuntimeTimeModel(runtime) if cache is None else RuntimeTimeModel(runtime, cache=cache)
    return runtime
