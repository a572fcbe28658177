"""A runtime profile's autograd mode: generate()'s torch.no_grad() costs eager module code the measured factor more
than the torch.inference_mode() the host cases and the reference's stages are measured under."""

from __future__ import annotations

from pathlib import Path

import pytest
from attrs import evolve

from llm_perf_opt.data.runtime_profile import INFERENCE_MODE, NO_GRAD
from llm_perf_opt.hardware.registry import load_hardware
from llm_perf_opt.kernels.profiles import list_runtimes, load_runtime, load_runtime_file
from llm_perf_opt.kernels.timing import EagerLaunch, LaunchCosts, launch_costs, layer_runtime
from llm_perf_opt.validation.points import measured_profile
from modelmeter.layers import Linear


def test_profiles_say_their_grad_mode_and_inherit_it() -> None:
    modes = {name: load_runtime(name).grad_mode for name in list_runtimes()}
    # transformers' generate() (and the vendor's infer()) run under no_grad; hf-sdpa, hf-sdpa-graph and hf-fa2
    # inherit it from hf-eager; a serving engine's model runner runs under inference_mode
    assert modes == {
        "fused": INFERENCE_MODE,
        "hf-eager": NO_GRAD,
        "hf-fa2": NO_GRAD,
        "hf-sdpa": NO_GRAD,
        "hf-sdpa-graph": NO_GRAD,
    }
    # the project's stage measurements ran under inference_mode, whatever the profile says for generate()
    assert {measured_profile(name).grad_mode for name in list_runtimes()} == {INFERENCE_MODE}


def test_an_unknown_grad_mode_is_refused_naming_the_allowed(tmp_path: Path) -> None:
    path = tmp_path / "toy.yaml"
    path.write_text(
        "name: toy\ndescription: toy\ndecoder_attention: flash\ngrad_mode: enable_grad\nlayers: {}\n", encoding="utf-8"
    )
    with pytest.raises(ValueError, match=r"grad_mode.*'enable_grad'.*no_grad, inference_mode"):
        load_runtime_file(path)


def test_no_grad_scales_the_module_host_cost_by_the_factor() -> None:
    # one Linear (one kernel of 2 us at the floor) as eager module code: wall = L + t (the call starts on an empty
    # queue); L = 5 us under inference_mode, 5 x 1.1 = 5.5 us under no_grad
    costs = LaunchCosts(
        enqueue=EagerLaunch(launch_s=5e-6),
        min_kernel_s=2e-6,
        sync_s=1e-5,
        measured=False,
        module=EagerLaunch(launch_s=5e-6),
        module_no_grad_factor=1.1,
    )
    layer = Linear(tokens=1, in_features=64, out_features=64)
    eager = load_runtime("hf-eager")
    walls = {
        mode: layer_runtime(layer, "h100-sxm", evolve(eager, grad_mode=mode), costs=costs).predicted_wall_s
        for mode in (INFERENCE_MODE, NO_GRAD)
    }
    assert walls[INFERENCE_MODE] == pytest.approx(7e-6, rel=1e-12)
    assert walls[NO_GRAD] == pytest.approx(7.5e-6, rel=1e-12)
    # a serving engine's bare enqueue pays no factor
    fused = layer_runtime(layer, "h100-sxm", evolve(load_runtime("fused"), grad_mode=NO_GRAD), costs=costs)
    assert fused.predicted_wall_s == pytest.approx(7e-6, rel=1e-12)


def test_a_gpu_without_the_factor_takes_the_calibrated_hosts_median() -> None:
    h200, h100, l40s = (load_hardware(n) for n in ("h200", "h100-sxm", "l40s"))
    assert h200.calibration is not None
    assert h100.calibration is not None
    measured = h200.calibration.host.module.no_grad_factor
    assert measured is not None
    assert measured > 1.0
    assert h100.calibration.host.module.no_grad_factor is None  # calibrated before the factor existed
    assert launch_costs(h200).module_no_grad_factor == measured
    assert launch_costs(h100).module_no_grad_factor == measured  # the other calibrated host's
    assert launch_costs(l40s).module_no_grad_factor == measured  # portable: the calibrated hosts' median
