"""Operators with their own host cost (a biased F.linear, SDPA, an autocast layer_norm, a sort, an index-tensor
gather): the profile counts their calls, the hardware entry holds each class's extra host time per call, and the
time model spreads the extras over the call's launches like its torch calls."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from llm_perf_opt.calibrate.host import op_extra_us
from llm_perf_opt.data.hardware import AchievableRates, ModuleCost
from llm_perf_opt.data.host_ops import HOST_OP_CLASSES
from llm_perf_opt.data.runtime_profile import Expr, LayerKernels, RuntimeProfile
from llm_perf_opt.hardware.rates import achievable_rates
from llm_perf_opt.hardware.registry import load_hardware
from llm_perf_opt.kernels.inventory import kernel_inventory
from llm_perf_opt.kernels.profiles import load_runtime, load_runtime_file
from llm_perf_opt.kernels.timing import EagerLaunch, KernelTimes, LaunchCosts, inventory_runtime, launch_costs
from modelmeter.layers import LayerNorm, Linear

SLOW = AchievableRates(
    tensor_core_flops_per_s=1e15, cuda_core_flops_per_s=1e14, memory_bytes_per_s=1e13, measured=False
)


def test_hf_eager_counts_the_vendor_vision_operators_per_class() -> None:
    profile = load_runtime("hf-eager")
    biased = kernel_inventory(Linear(tokens=257, in_features=1024, out_features=1024, bias=True), profile)
    plain = kernel_inventory(Linear(tokens=1, in_features=1280, out_features=896, bias=False), profile)
    assert biased.host_op_calls == {"linear_bias": 1}
    assert plain.host_op_calls == {}


def test_the_extras_are_spread_over_the_launches_with_the_torch_calls(
    toy_linear_profile: Callable[..., RuntimeProfile],
) -> None:
    # one call of a toy Linear: 1 launch, 2 torch calls, 3 calls of a class costing 20 us extra each; the call
    # starts on an empty queue, so its kernel (a few nanoseconds) runs after its launch's host cost:
    # 10 + (4 x 2 + 20 x 3) / 1 = 78 us
    layer = Linear(tokens=1, in_features=2, out_features=2, bias=True)
    inventory = kernel_inventory(layer, toy_linear_profile(torch_calls="2", host_ops={"sdpa": "3"}))
    assert inventory.host_op_calls == {"sdpa": 3}
    module = EagerLaunch(launch_s=10e-6, call_s=4e-6, op_extra_s={"sdpa": 20e-6, "sort": 99e-6})
    costs = LaunchCosts(enqueue=EagerLaunch(launch_s=5e-6), min_kernel_s=0.0, sync_s=0.0, measured=False, module=module)
    rt = inventory_runtime(layer, inventory, SLOW, costs)
    kernel = rt.predicted_kernel_s
    assert rt.predicted_wall_s == pytest.approx(78e-6 + kernel, rel=1e-9)
    # with no eager launch to hide behind, the calls and the extras add: 4 x 2 + 20 x 3 = 68 us
    alone = kernel_inventory(layer, toy_linear_profile(launches="0", torch_calls="2", host_ops={"sdpa": "3"}))
    assert inventory_runtime(layer, alone, SLOW, costs).predicted_wall_s == pytest.approx(68e-6, rel=1e-12)


def test_no_grad_scales_the_generic_costs_not_the_extras_measured_under_it() -> None:
    c = LaunchCosts(
        enqueue=EagerLaunch(launch_s=5e-6),
        min_kernel_s=0.0,
        sync_s=0.0,
        measured=False,
        module=EagerLaunch(launch_s=10e-6, call_s=4e-6, op_extra_s={"sdpa": 20e-6}),
        module_no_grad_factor=1.1,
    )
    m = c.eager("module", "no_grad")
    assert (round(m.launch_s * 1e6, 9), round(m.call_s * 1e6, 9), m.op_extra_s) == (11.0, 4.4, {"sdpa": 20e-6})


def test_the_h200_entry_holds_every_class_and_the_h100_takes_them_from_it() -> None:
    h200 = launch_costs(load_hardware("h200")).module.op_extra_s
    assert set(h200) == set(HOST_OP_CLASSES)
    assert h200["sdpa"] == pytest.approx(7.165e-6, rel=1e-12)
    # the H100 was calibrated before the classes existed: it takes the only host that measured them
    assert launch_costs(load_hardware("h100-sxm")).module.op_extra_s == h200


def test_extra_cost_of_a_class_from_its_chain() -> None:
    # the committed H200 run's chains: layer_norm under autocast 52.799 us per call with 4 kernels, the plain
    # F.linear 19.159 with 1, the run's own 8.330 us per launch: 52.799 - 19.159 - 3 x 8.330 = 8.651 us
    chains = {
        "linear": {"wall_us_per_call": 19.158879518508915, "kernels_per_call": 1.0},
        "layer_norm_autocast": {"wall_us_per_call": 52.79887914657593, "kernels_per_call": 4.0},
    }
    extra = op_extra_us(chains, launch_us=8.329543143444443)
    assert round(extra["layer_norm_autocast"], 3) == 8.651


def test_an_unknown_class_is_refused_naming_the_allowed(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"unknown operator classes \['gemm'\]; allowed: linear_bias, sdpa"):
        LayerKernels(source="s", host_ops={"gemm": Expr("1")})
    path = tmp_path / "toy.yaml"
    path.write_text(
        "name: toy\ndescription: toy\ndecoder_attention: flash\nlayers:\n  Linear:\n    source: s\n"
        "    host_ops: {sort: -1}\n    kernels: [{name: gemm, takes: {own: 1}}]\n",
        encoding="utf-8",
    )
    profile = load_runtime_file(path)
    with pytest.raises(ValueError, match=r"host_ops 'sort' '-1' = -1 < 0"):
        kernel_inventory(Linear(tokens=1, in_features=2, out_features=2), profile)
    assert ModuleCost(launch_us=9.0, sort_extra_us=-5.3).op_extra_us("sort") == -5.3


def test_layer_norm_parameter_casts_are_timed_cold() -> None:
    # under autocast hf-eager casts a LayerNorm's bf16 weight and bias to fp32 (2 launches of 1,024 elements: 2 + 4
    # bytes each, 6,144 bytes a launch): a model's parameters are not in the L2, so they read the cold-cast curve,
    # whose measured point at 6,144 bytes on the H200 is 2.861 us (the warm cast curve's 2.011 us there)
    spec = load_hardware("h200")
    kt = KernelTimes(achievable_rates(spec), launch_costs(spec))
    inv = kernel_inventory(LayerNorm(tokens=257, hidden=1024), load_runtime("hf-eager"))
    (cast,) = [r for r in inv.records if r.kernel == "param_cast"]
    assert (cast.kind, cast.calls, cast.io_bytes) == ("param_cast", 2, 2 * 6144)
    assert kt.of(cast)[0] == pytest.approx(2.861e-6, rel=1e-12)
    curves = spec.calibration.kernel_curves if spec.calibration is not None else None
    assert curves is not None
    assert curves.cast_cold is not None
    assert [(p.work, p.us) for p in curves.cast.points[:2]] == [(3072, 1.957), (6144, 2.011)]
