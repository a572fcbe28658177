"""scripts/analytical/dsocr_find_static_components.py: TorchInfo over the project's reference
(a small architecture), artifacts in the reference capture's format, cross-checked."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from llm_perf_opt.contracts.converter import structure
from llm_perf_opt.utils.torchinfo_artifacts import ARTIFACT_FILES, load_target_operator_list
from llm_perf_opt.utils.torchinfo_crosscheck import cross_check
from llm_perf_opt.validation.serving_steps import DRY_RUN_ARCH
from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch
from modelmeter.models.deepseek_ocr.layers.core import DeepseekOCRModel
from modelmeter.models.deepseek_ocr.workload import OCRWorkload

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "analytical" / "dsocr_find_static_components.py"
WORKLOAD = ["--base-size", "128", "--image-size", "64", "--crop-grid", "2x2", "--prompt-tokens", "3"]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("torchinfo")
    root = tmp_path_factory.mktemp("static")
    (root / "arch.yaml").write_text(yaml.safe_dump(DRY_RUN_ARCH))
    out = root / "ti"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--output", str(out), "--reference-arch", str(root / "arch.yaml"), *WORKLOAD],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return out


def test_script_writes_the_four_files(generated: Path) -> None:
    assert sorted(p.name for p in generated.iterdir()) == sorted(ARTIFACT_FILES)
    data = json.loads((generated / "torchinfo-unique-layers.json").read_text())
    assert data["num_unique_layers"] == len(data["layers"])
    # 128-px global view: 2x2 tokens + newlines + separator = 7; 2x2 crops of 64 px: (1*2 + 1) * (1*2) = 6
    assert (data["base_size"], data["image_size"], data["seq_len"]) == (128, 64, 1 + 3 + 7 + 6)


def test_generated_artifacts_load_and_cross_check(generated: Path) -> None:
    target = load_target_operator_list(generated)
    arch = structure(DRY_RUN_ARCH, DeepseekOCRArch)
    model = DeepseekOCRModel(arch=arch, workload=OCRWorkload(base_size=128, image_size=64, crop_grid=(2, 2),
                                                             prompt_tokens=3, max_new_tokens=2))  # fmt: skip
    # the reference without lm_head holds the analytic model's parameters minus the LM head's
    assert target.run.total_params == model.params - 64 * 128_816
    check = cross_check(target, model)
    assert check.layer_classes == len(target.layers)
    assert check.modeled + len(check.unclassified) == check.layer_classes
    listed = {c.class_name: c for c in check.classes}
    assert set(listed) == {spec.class_name for spec in target.layers}
    # every module with parameters is modeled; what is left holds none (the maintained model's
    # shared rotary table and the SAM compressor wrapper have no vendor module)
    for name in check.unclassified:
        assert listed[name].torchinfo_params in (0, None), name
    assert check.param_mismatches == ()
    assert check.analytic_total_params == check.torchinfo_total_params
    conv = listed["Conv2d"]
    assert conv.torchinfo_params is not None
    assert conv.torchinfo_params > 0
    assert conv.analytic_params == conv.torchinfo_params
