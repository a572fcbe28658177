"""Layers are never written to: evaluating the default model (totals, categories, roofline, a runtime
profile's kernels and times) leaves every instance of its tree exactly as it was built."""

from __future__ import annotations

import attrs
import pytest

from llm_perf_opt.hardware.rates import achievable_rates
from llm_perf_opt.hardware.registry import load_hardware
from llm_perf_opt.kernels.timing import runtime_stage_times
from llm_perf_opt.timing.roofline import RooflineCache, peak_working_set_bytes, tree_times
from modelmeter.layers.base import BaseLayer, LayerCache
from modelmeter.models.deepseek_ocr.layers.core.deepseek_ocr_model import DeepseekOCRModel


def _instances(model: BaseLayer) -> dict[int, BaseLayer]:
    """Every distinct instance of the tree, by identity."""
    return {id(layer): layer for _, layer, _ in model.walk()}


def _state(layer: BaseLayer) -> tuple[type, dict[str, object], str]:
    return type(layer), attrs.asdict(layer, recurse=True), repr(layer)


def test_evaluating_the_default_model_changes_no_layer_instance() -> None:
    model = DeepseekOCRModel()
    before_instances = _instances(model)
    before = {key: _state(layer) for key, layer in before_instances.items()}
    spec = load_hardware("h100-sxm")

    model.metrics()
    model.category_breakdown({})
    for stage in model.stage_layers().values():
        tree_times(stage, (achievable_rates(spec),), min_kernel_seconds=2e-6)
        peak_working_set_bytes(stage)
    runtime_stage_times(model, spec, "fused")

    after_instances = _instances(model)
    assert after_instances.keys() == before_instances.keys()  # the same children, not rebuilt copies
    for key, layer in after_instances.items():
        assert _state(layer) == before[key]
        assert not hasattr(layer, "__dict__")  # slotted: there is nowhere to attach a cache


def test_a_layer_cannot_be_given_an_attribute() -> None:
    layer = DeepseekOCRModel().stage_layers()["prefill"]
    with pytest.raises(AttributeError):
        object.__setattr__(layer, "_mm_metrics", None)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        layer.__setattr__("batch", 2)


def test_a_caller_owned_cache_gives_the_default_caches_numbers() -> None:
    model = DeepseekOCRModel()
    rates = (achievable_rates(load_hardware("l4")),)
    layers = LayerCache()
    engine = RooflineCache(layers)
    assert layers.metrics(model) == model.metrics()
    assert len(layers) > 1  # the tree's distinct layers, counted once each
    for stage in model.stage_layers().values():
        assert tree_times(stage, rates, cache=engine) == tree_times(stage, rates)
        assert peak_working_set_bytes(stage, cache=engine) == peak_working_set_bytes(stage)
    engine.clear()
    assert len(engine) == 0


def test_a_full_cache_starts_afresh_with_the_same_numbers() -> None:
    model = DeepseekOCRModel()
    small = LayerCache(max_layers=8)
    assert small.metrics(model) == model.metrics()
    assert len(small) <= 8
    with pytest.raises(ValueError, match="max_layers"):
        LayerCache(max_layers=0)


def test_a_roofline_cache_emptied_while_timing_keeps_each_gpu_group_apart() -> None:
    """Clearing (here on every new node) never lets one GPU group read another's times (the L4 takes several times
    the H100's); equal children are merged only within what was interned since the last clear, so the sums are
    grouped differently and agree to rounding."""
    model = DeepseekOCRModel()
    h100, l4 = (achievable_rates(load_hardware(n)) for n in ("h100-sxm", "l4"))
    tiny = RooflineCache(LayerCache(), max_nodes=1)
    for stage in model.stage_layers().values():
        for rates in ((h100,), (l4,), (h100, l4)):
            got = tree_times(stage, rates, cache=tiny)
            want = tree_times(stage, rates, cache=RooflineCache(LayerCache()))
            for g, w in zip(got, want, strict=True):
                assert g.seconds == pytest.approx(w.seconds, rel=1e-12)
                assert g.memory_seconds == pytest.approx(w.memory_seconds, rel=1e-12)
    with pytest.raises(ValueError, match="max_nodes"):
        RooflineCache(max_nodes=0)
