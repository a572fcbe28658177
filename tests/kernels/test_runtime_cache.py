"""The runtime engine's caches (node bookings, kernel times, stage runtimes) save work only: every inventory and
every stage runtime equals the one computed without them, exactly."""

from __future__ import annotations

import pytest
from attrs import evolve

from llm_perf_opt.data.sweep import SweepAxes, SweepSpec
from llm_perf_opt.hardware.rates import achievable_rates
from llm_perf_opt.hardware.registry import load_hardware
from llm_perf_opt.kernels.inventory import InventoryCache, kernel_inventory
from llm_perf_opt.kernels.profiles import load_runtime
from llm_perf_opt.kernels.timing import KernelTimes, RuntimeCache, launch_costs, runtime_stage_times
from llm_perf_opt.planning.predict import predict
from llm_perf_opt.planning.sweep import default_model_spec, evaluate_sweep
from modelmeter.models.deepseek_ocr.layers.core import DeepseekOCRModel
from modelmeter.models.deepseek_ocr.workload import OCRWorkload
from modelmeter.models.deepseek_ocr2.layers.core import DeepseekOCR2Model
from modelmeter.models.deepseek_ocr2.workload import OCR2Workload

MODELS = (
    DeepseekOCRModel(workload=OCRWorkload(crop_grid=(2, 3), max_new_tokens=40)),
    DeepseekOCRModel(workload=OCRWorkload(crop_grid=(2, 3), max_new_tokens=40, batch_size=3)),
    DeepseekOCR2Model(workload=OCR2Workload(crop_grid=(2, 2), max_new_tokens=40)),
)


@pytest.mark.parametrize("runtime", ["hf-eager", "hf-sdpa-graph", "fused"])
def test_shared_inventory_cache_gives_the_fresh_inventories(runtime: str) -> None:
    profile = load_runtime(runtime)
    cache = InventoryCache(profile)
    walked = 0
    for model in MODELS:
        for stage, layer in model.stage_layers().items():
            walked += sum(1 for _ in layer.walk())
            assert kernel_inventory(layer, profile, path=stage, cache=cache) == kernel_inventory(
                layer, profile, path=stage
            )
    # equal nodes (decoder layers, window blocks, experts) are booked once
    assert 0 < len(cache) < walked / 4


def test_inventory_cache_of_another_profile_is_refused() -> None:
    cache = InventoryCache(load_runtime("hf-eager"))
    layer = MODELS[0].stage_layers()["lm_head"]
    with pytest.raises(ValueError, match="cache: holds runtime profile 'hf-eager', not 'fused'"):
        kernel_inventory(layer, load_runtime("fused"), path="lm_head", cache=cache)


def test_inventory_cache_error_names_the_first_path() -> None:
    profile = load_runtime("hf-eager")
    broken = evolve(profile, layers={k: v for k, v in profile.layers.items() if k != "Linear"})
    message = "runtime profile 'hf-eager' has no kernels for Linear (at prefill.layers.0.self_attn.q_proj)"
    for _ in range(2):  # the failure is not cached: the second walk fails the same way
        with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
            kernel_inventory(MODELS[0].stage_layers()["prefill"], broken, path="prefill", cache=InventoryCache(broken))


@pytest.mark.parametrize("runtime", ["hf-eager", "hf-sdpa", "hf-sdpa-graph"])
def test_shared_runtime_cache_gives_the_fresh_stage_runtimes(runtime: str) -> None:
    cache = RuntimeCache()
    for _ in range(2):  # the second round is answered from the cache
        for model in MODELS:
            for gpu in ("h100-sxm", "l4"):  # calibrated, portable
                spec = load_hardware(gpu)
                assert runtime_stage_times(model, spec, runtime, cache=cache) == runtime_stage_times(
                    model, spec, runtime
                )


def test_kernel_times_of_other_rates_are_refused() -> None:
    from llm_perf_opt.kernels.timing import inventory_runtime

    h100, l4 = load_hardware("h100-sxm"), load_hardware("l4")
    layer = MODELS[0].stage_layers()["lm_head"]
    inventory = kernel_inventory(layer, load_runtime("hf-eager"), path="lm_head")
    times = KernelTimes(achievable_rates(h100), launch_costs(h100))
    with pytest.raises(ValueError, match="kernel_times: holds the times of other rates or launch costs"):
        inventory_runtime(layer, inventory, achievable_rates(l4), launch_costs(l4), kernel_times=times)


def test_runtime_sweep_points_equal_single_predictions() -> None:
    spec = SweepSpec(
        name="cached",
        description="output lengths and GPUs under hf-eager: vision and prefill repeat",
        cartesian=SweepAxes(
            crop_grids=("3x2",), max_new_tokens=(10, 50), hardware=("h100-sxm", "l4"), runtimes=("hf-eager",)
        ),
        plots=False,
    )
    points = evaluate_sweep(spec, progress=False)
    arch = default_model_spec().arch
    assert len(points) == 4
    for p in points:
        assert p == predict(arch, p.workload, p.hardware, runtime="hf-eager")
