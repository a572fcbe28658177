"""The profiles' torch calls against the reference itself: the ``hf-sdpa`` inventory of each stage equals the
Python-level torch calls the reference makes on the meta device (counted under a ``TorchFunctionMode``, as
``scripts/gpu/measure_stages.py`` counts them on the GPU), up to two stated differences."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch
from torch.overrides import TorchFunctionMode

from llm_perf_opt.kernels.inventory import kernel_inventory
from llm_perf_opt.kernels.profiles import load_runtime
from llm_perf_opt.validation.points import analytic_layer, unmeasured_point, workload_for
from tests.conftest import holds_for_release

pytestmark = holds_for_release(
    "transformers", "5.23.0", "counting transformers' Python-level torch calls (its internals, not its results)"
)

CUDA_DEVICE_READS = 11 * 2
"""On CUDA each of an MoE layer's two grouped GEMMs reads the weight's device once more (transformers'
capability check for ``grouped_mm``); the meta device skips that branch. The profile counts the CUDA path."""
HARNESS_PREFILL = 1 + 4
"""The prefill here starts from ``inputs_embeds`` (as the GPU measurement does): no embedding call and no image
scatter, which the inventory of the full prefill has."""


class _Count(TorchFunctionMode):
    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        self.calls += 1
        return func(*args, **(kwargs or {}))


def _counted(fn: Callable[[], object]) -> int:
    counter = _Count()
    with torch.inference_mode(), counter:
        fn()
    return counter.calls


def _inventory_calls(stage: str, mode: str | None, kv_len: int | None = None) -> int:
    point = unmeasured_point(stage, mode, kv_len=kv_len)
    return kernel_inventory(analytic_layer(point), load_runtime("hf-sdpa"), path=stage).torch_calls


@pytest.fixture(scope="module")
def sdpa_reference() -> Any:
    """The reference as the GPU measurement builds its ``fused`` variant: bf16, SDPA, grouped-GEMM experts."""
    from llm_perf_opt.reference.model import DeepseekOCRReference
    from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch

    ref = DeepseekOCRReference(DeepseekOCRArch(), device="meta", dtype=torch.bfloat16, attn_implementation="sdpa")
    ref.text.model.config._experts_implementation = "grouped_mm"
    return ref


@pytest.mark.parametrize("mode", ["tiny", "base", "gundam-2x2"])
def test_vision_stages(sdpa_reference: Any, mode: str) -> None:
    ref, w = sdpa_reference, workload_for(mode)
    inputs = ref.make_inputs(w)
    with torch.inference_mode():
        sam = ref.run_sam(*inputs.pixels)
        clip = ref.run_clip(sam)
    assert _counted(lambda: ref.run_sam(*inputs.pixels)) == _inventory_calls("sam", mode)
    assert _counted(lambda: ref.run_clip(sam)) == _inventory_calls("clip", mode)
    assert _counted(lambda: ref.run_projector(sam, clip, w.crop_grid)) == _inventory_calls("projector", mode)


def test_prefill_and_decode(sdpa_reference: Any) -> None:
    ref, w = sdpa_reference, workload_for("tiny")
    hidden = ref.arch.language.hidden_size
    embeds = torch.empty(1, w.prefill_tokens, hidden, device="meta", dtype=ref.param_dtype)
    prefill = _counted(lambda: ref.run_prefill(inputs_embeds=embeds))
    assert prefill + CUDA_DEVICE_READS + HARNESS_PREFILL == _inventory_calls("prefill", "tiny")
    cache = ref.decode_cache(512, 1)
    step = _counted(lambda: ref.run_decode_step(512, 1, cache=cache))
    assert step + CUDA_DEVICE_READS == _inventory_calls("decode", None, kv_len=512)
