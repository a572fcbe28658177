"""Measured stage points (``scripts/gpu/measure_stages.py``) and the analytic layer each one
corresponds to.

A point is one stage call: a vision stage (``sam``, ``clip``, ``projector``), the prefill or
the LM head of a resolution mode at batch 1, or one decode step at a KV length and batch.
The analytic counterpart is the same stage of :class:`DeepseekOCRModel` for that mode (or a
:class:`DeepseekOCRDecodeStep`), with the attention implementation of the runtime profile
that was measured (``fused`` -> flash, ``hf-eager`` -> eager).

Example
-------
>>> p = MeasuredPoint(stage="decode", mode=None, batch=1, kv_len=512, profile="fused",
...                   measured_kernel_s=2.5e-3, measured_wall_s=2.7e-2, kernels_per_call=905)
>>> type(analytic_layer(p)).__name__
'DeepseekOCRDecodeStep'
>>> p.runtime  # the profile that describes the measured "fused" variant's code
'hf-sdpa'
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from attrs import define, evolve, field

from llm_perf_opt.data.runtime_profile import INFERENCE_MODE, RuntimeProfile
from llm_perf_opt.kernels.profiles import load_runtime
from modelmeter.layers.base import BaseLayer
from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch
from modelmeter.models.deepseek_ocr.layers.core import DeepseekOCRDecodeStep, DeepseekOCRModel
from modelmeter.models.deepseek_ocr.workload import OCRWorkload

MEASURED_MODES: dict[str, dict[str, Any]] = {
    "tiny": {"base_size": 512, "image_size": 512, "crop_mode": False, "crop_grid": (1, 1)},
    "small": {"base_size": 640, "image_size": 640, "crop_mode": False, "crop_grid": (1, 1)},
    "base": {"base_size": 1024, "image_size": 1024, "crop_mode": False, "crop_grid": (1, 1)},
    "large": {"base_size": 1280, "image_size": 1280, "crop_mode": False, "crop_grid": (1, 1)},
    "gundam-2x2": {"base_size": 1024, "image_size": 640, "crop_mode": True, "crop_grid": (2, 2)},
}
"""The modes ``scripts/gpu/measure_stages.py`` measures (its ``MODES``)."""
MEASURED_PROMPT_TOKENS = 9
GRAPH_VARIANT = "fused-graph"
"""The measured variant whose calls were captured once and replayed as CUDA graphs."""
MEASURED_RUNTIME = {"fused": "hf-sdpa", "hf-eager": "hf-eager", GRAPH_VARIANT: "hf-sdpa-graph"}
"""Measured variant (``raw-<variant>.json``) -> the runtime profile (``conf/runtimes``) that describes the code it
ran: ``fused`` is the reference on transformers' SDPA and grouped-GEMM experts (``hf-sdpa``), not the serving
engine's ``fused`` profile; ``fused-graph`` is the same reference replayed as CUDA graphs (``hf-sdpa-graph``)."""


@define(frozen=True, kw_only=True)
class MeasuredPoint:
    """One measured stage call."""

    stage: str
    mode: str | None
    batch: int
    kv_len: int | None
    profile: str
    measured_kernel_s: float
    measured_wall_s: float
    kernels_per_call: int = 0
    aten_ops_per_call: int = 0
    """ATen operator calls per call, views included (0: not counted by the measuring run)."""
    torch_calls_per_call: int = 0
    """Python-level torch calls per call, counted under a ``TorchFunctionMode`` (0: not counted); a graph
    replay makes none."""
    kernels_by_name: dict[str, list[float]] = field(factory=dict, eq=False, repr=False)

    @property
    def runtime(self) -> str:
        """The runtime profile describing the measured code (:data:`MEASURED_RUNTIME`)."""
        return MEASURED_RUNTIME[self.profile]

    @property
    def label(self) -> str:
        """Short human label: ``sam/base`` or ``decode/kv512/b8``."""
        if self.stage == "decode":
            return f"decode/kv{self.kv_len}/b{self.batch}"
        return f"{self.stage}/{self.mode}"


def unmeasured_point(
    stage: str, mode: str | None = None, *, batch: int = 1, kv_len: int | None = None, variant: str = "fused"
) -> MeasuredPoint:
    """A point of the measured ``variant`` with no measurement (times 0): what :func:`analytic_layer` needs to
    build the layer of a stage the GPU script measures (its profile sets the decoder's attention).

    Example
    -------
    >>> unmeasured_point("decode", kv_len=512, batch=8).label
    'decode/kv512/b8'
    """
    return MeasuredPoint(
        stage=stage, mode=mode, batch=batch, kv_len=kv_len, profile=variant, measured_kernel_s=0.0, measured_wall_s=0.0
    )


@functools.cache
def measured_profile(runtime: str) -> RuntimeProfile:
    """The profile ``runtime`` as the project's reference ran it: ``scripts/gpu/measure_stages.py`` runs the
    reference's modules in bf16 without autocast under ``torch.inference_mode()``, so the profile's ``autocast`` is
    off and its ``grad_mode`` is ``inference_mode`` whatever it says for ``generate()`` and the vendor's ``infer()``."""
    return evolve(load_runtime(runtime), autocast=False, grad_mode=INFERENCE_MODE)


def workload_for(mode: str, *, attention: str = "flash", batch: int = 1) -> OCRWorkload:
    """The workload the GPU script runs for ``mode``."""
    try:
        geometry = MEASURED_MODES[mode]
    except KeyError:
        raise ValueError(f"mode: unknown {mode!r}; allowed: {', '.join(MEASURED_MODES)}") from None
    return OCRWorkload(prompt_tokens=MEASURED_PROMPT_TOKENS, batch_size=batch, attention=attention, **geometry)


def analytic_layer(point: MeasuredPoint, arch: DeepseekOCRArch | None = None) -> BaseLayer:
    """The analytic layer whose forward is the measured call."""
    arch = arch or DeepseekOCRArch()
    attention = load_runtime(point.runtime).decoder_attention
    if point.stage == "decode":
        if point.kv_len is None:
            raise ValueError("kv_len: a decode point needs its KV length")
        return DeepseekOCRDecodeStep(config=arch.language, batch=point.batch, kv_len=point.kv_len, attention=attention)
    if point.mode is None:
        raise ValueError(f"mode: a {point.stage} point needs its resolution mode")
    model = DeepseekOCRModel(arch=arch, workload=workload_for(point.mode, attention=attention, batch=point.batch))
    return model.stage_layers()[point.stage]


def load_points(path: Path) -> list[MeasuredPoint]:
    """Points of one ``raw-<profile>.json``."""
    raw = json.loads(path.read_text())
    out = []
    for p in raw["points"]:
        out.append(
            MeasuredPoint(
                stage=p["stage"],
                mode=p["mode"],
                batch=p["batch"],
                kv_len=p["kv_len"],
                profile=p["profile"],
                measured_kernel_s=p["measured_kernel_s"],
                measured_wall_s=p["measured_wall_s"],
                kernels_per_call=p.get("kernels_per_call", 0),
                aten_ops_per_call=p.get("aten_ops_per_call", 0),
                torch_calls_per_call=p.get("torch_calls_per_call", 0),
                kernels_by_name=p.get("kernels_by_name", {}),
            )
        )
    return out
