"""Verify mode: analytic vs counted on the reference is zero per stage and per layer class."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import attrs
import pytest

from llm_perf_opt.runners.static_mode import run_static
from llm_perf_opt.runners.verify_mode import (
    compare,
    run_verify,
    vendor_path,
    verification_markdown,
)
from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch
from modelmeter.models.deepseek_ocr.workload import RESOLUTION_MODES, OCRWorkload

REPO_ROOT = Path(__file__).resolve().parents[2]


def _mode(name: str, **kw: Any) -> OCRWorkload:
    m = RESOLUTION_MODES[name]
    return OCRWorkload(base_size=m.base_size, image_size=m.image_size, crop_mode=m.crop_mode, **kw)


WORKLOADS = {
    "tiny": _mode("tiny"),
    "base": _mode("base"),
    "large": _mode("large"),
    "gundam-2x2": _mode("gundam", crop_grid=(2, 2)),
}
EXPECTED_CLASSES = {
    "Attention",
    "Block",
    "CLIPVisionEmbeddings",
    "Conv2d",
    "DeepseekV2DecoderLayer",
    "DeepseekV2MLP",
    "DeepseekV2MoE",
    "DeepseekV2RMSNorm",
    "Embedding",
    "GELU",
    "ImageEncoderViT",
    "LMHead",
    "LayerNorm",
    "LayerNorm2d",
    "Linear",
    "LlamaFlashAttention2",
    "LlamaRotaryEmbedding",  # every layer's own table: a counted outer product in the vendor and the reference
    "MLPBlock",
    "MlpProjector",
    "MoEGate",
    "NoTPAttention",
    "NoTPFeedForward",
    "NoTPTransformer",
    "NoTPTransformerBlock",
    "PatchEmbed",
    "QuickGELU",
    "SiLU",
    "VitModel",
}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(WORKLOADS))
def test_zero_difference_per_stage_and_layer_class(name: str, meta_reference: Any) -> None:
    result = compare(DeepseekOCRArch(), WORKLOADS[name], reference=meta_reference)
    bad = [c.name for c in (*result.stages, *result.layer_classes) if not c.ok]
    assert not bad, verification_markdown(result)
    assert not result.module_mismatches
    assert not result.class_conflicts
    assert result.all_zero
    assert {c.name for c in result.layer_classes} == EXPECTED_CLASSES
    assert sum(c.counted_flops for c in result.stages) > 0
    assert sum(c.counted_params for c in result.stages if c.name != "decode") + 2 * 1280 == 3_336_106_240


def test_vendor_paths_of_analytic_nodes() -> None:
    assert vendor_path("sam", "sam.sam_model[crops].blocks.3.attn") == "sam_model.blocks.3.attn"
    assert vendor_path("clip", "clip.vision_model[global]") == "vision_model"
    assert vendor_path("prefill", "prefill.layers.1.mlp.experts.*") == "layers.1.mlp.experts.*"
    assert vendor_path("decode", "decode.steps[mean-lo].model.norm") == "norm"
    assert vendor_path("decode", "decode.steps[last].lm_head.linear") == "lm_head.linear"
    assert vendor_path("lm_head", "lm_head") == "lm_head"
    assert vendor_path("prefill", "prefill") == ""


def test_a_difference_is_reported_where_it_originates(meta_reference: Any) -> None:
    w = _mode("tiny", max_new_tokens=2)
    sc = run_static(DeepseekOCRArch(), w, reference=meta_reference)
    path = "vision_model.transformer.layers.7.mlp.fc1"
    extra = 1000
    clip = sc.stages["clip"]
    bumped = {
        k: v + extra
        if k
        in (
            path,
            "vision_model.transformer.layers.7.mlp",
            "vision_model.transformer.layers.7",
            "vision_model.transformer",
            "vision_model",
        )
        else v
        for k, v in clip.modules.items()
    }
    stages = {**sc.stages, "clip": attrs.evolve(clip, flops=clip.flops + extra, modules=bumped)}
    result = compare(DeepseekOCRArch(), w, static=attrs.evolve(sc, stages=stages))
    assert not result.all_zero
    assert [c.difference for c in result.stages if not c.ok] == [-extra]
    assert [m.name for m in result.module_mismatches] == [f"clip: {path}"]  # the deepest, not its parents
    linear = next(c for c in result.layer_classes if c.name == "Linear")
    assert linear.difference == -extra
    text = verification_markdown(result)
    assert "Differences found" in text
    assert f"clip: {path}" in text


def test_run_verify_writes_the_report(tmp_path: Path) -> None:
    w = _mode("tiny", max_new_tokens=3)
    assert run_verify(DeepseekOCRArch(), w, tmp_path) == 0
    doc = json.loads((tmp_path / "verification.json").read_text())
    assert doc["all_zero"] is True
    assert doc["attention_backend"] == "math"
    assert doc["stages"]["sam"]["difference"] == 0
    assert doc["stages"]["sam"]["counted_params"] == doc["stages"]["sam"]["analytic_params"] == 95_569_152
    assert "All differences are zero" in (tmp_path / "verification.md").read_text()
    assert set(doc) >= {"stages", "layer_classes", "module_mismatches", "analytic_nodes_without_reference_module"}


def test_committed_example_report_is_current() -> None:
    """reports/verify/ holds verify on the defaults (A4 page, Gundam 2x3, 1000 new tokens); its
    counted numbers must still equal what the analytic model says today."""
    from modelmeter.models.deepseek_ocr.layers.core import DeepseekOCRModel

    doc = json.loads((REPO_ROOT / "reports" / "verify" / "verification.json").read_text())
    w = OCRWorkload(**{**doc["workload"], "crop_grid": tuple(doc["workload"]["crop_grid"])})
    assert w == OCRWorkload(crop_grid=(2, 3), max_new_tokens=1000)
    assert doc["all_zero"] is True
    model = DeepseekOCRModel(arch=DeepseekOCRArch(), workload=w)
    for stage, layer in model.stage_layers().items():
        row = doc["stages"][stage]
        assert row["analytic_flops"] == layer.forward_tensor_core_flops == row["counted_flops"], stage
        assert row["analytic_params"] == layer.params == row["counted_params"], stage
