"""Module tree tool: stage prefix map, rows, text tree, leaf classes, the CLI (reference and a
local remote-code checkpoint directory)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from llm_perf_opt.reference.module_tree import (
    STAGE_PREFIXES,
    leaf_classes_by_stage,
    main,
    module_rows,
    render_tree,
    stage_of,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = REPO_ROOT / "scripts" / "analytical" / "dsocr_dump_module_tree.py"


@pytest.mark.parametrize(
    ("name", "stage"),
    [
        ("sam_model.layers.0.attn.qkv", "sam"),
        ("model.sam_model.blocks.0.attn.qkv", "sam"),  # the vendor's DeepseekOCRForCausalLM.model prefix
        ("vision_model.transformer", "clip"),
        ("projector.layers", "projector"),
        ("embed_tokens", "prefill"),
        ("model.layers.11.mlp.experts.63", "prefill"),
        ("norm", "prefill"),
        ("lm_head", "lm_head"),
        ("rotary_emb", "other"),
        ("model", "other"),
        ("normalizer", "other"),  # prefixes are whole path components
    ],
)
def test_stage_of(name: str, stage: str) -> None:
    assert stage_of(name) == stage


def test_reference_rows(meta_reference: Any) -> None:
    rows = module_rows(meta_reference)
    by_name = {r.name: r for r in rows}
    assert by_name[""].params == 3_336_106_240
    assert by_name["sam_model"].params == 95_569_152
    assert by_name["lm_head"].is_leaf
    assert by_name["lm_head"].class_name == "Linear"
    assert not by_name["layers.1.mlp"].is_leaf
    assert by_name["layers.1.mlp.experts"].params == 64 * 3 * 896 * 1280  # 220,200,960
    leaves = leaf_classes_by_stage(rows)
    for stage in set(STAGE_PREFIXES.values()):
        assert leaves[stage], stage  # every stage has leaf classes
    assert leaves["projector"] == ["Linear"]
    assert leaves["lm_head"] == ["Linear"]
    assert "Conv2d" in leaves["sam"]
    assert "Embedding" in leaves["prefill"]
    assert leaves["other"] == ["DeepseekOcr2TextRotaryEmbedding"]


def test_text_tree_indents_by_depth(meta_reference: Any) -> None:
    lines = render_tree(module_rows(meta_reference)).splitlines()
    assert lines[0] == "(root): DeepseekOCRReference  [other]  3,336,106,240"
    assert lines[1] == "  sam_model: DeepseekOcr2SamVisionEncoder  [sam]  95,569,152"
    # sam_model.layers.0.attn.qkv is 5 levels deep (10 spaces); 768*2304 + 2304 params
    assert "          qkv: Linear  [sam]  1,771,776" in lines


def test_cli_writes_text_and_json(tmp_path: Path) -> None:
    assert main(["--output-dir", str(tmp_path)]) == 0
    doc = json.loads((tmp_path / "module_tree.json").read_text())
    assert doc["rows"][0] == {
        "name": "",
        "class": "DeepseekOCRReference",
        "stage": "other",
        "is_leaf": False,
        "params": 3_336_106_240,
    }
    assert {r["stage"] for r in doc["rows"]} == {"sam", "clip", "projector", "prefill", "lm_head", "other"}
    assert set(doc["leaf_classes_by_stage"]) == {"sam", "clip", "projector", "prefill", "lm_head", "other"}
    assert (tmp_path / "module_tree.txt").read_text().startswith("(root): DeepseekOCRReference")


FAKE_CONFIG = """
from transformers import PretrainedConfig

class FakeOCRConfig(PretrainedConfig):
    model_type = "fake_ocr"
"""
FAKE_MODEL = """
from torch import nn
from transformers import PreTrainedModel
from .configuration_fake import FakeOCRConfig

class Body(nn.Module):
    def __init__(self):
        super().__init__()
        self.sam_model = nn.Conv2d(3, 8, 4)
        self.layers = nn.ModuleList([nn.Linear(8, 8)])
        self.image_newline = nn.Parameter(nn.init.zeros_(nn.Linear(1, 8).weight[:, 0]))

class FakeOCRForCausalLM(PreTrainedModel):
    config_class = FakeOCRConfig

    def __init__(self, config):
        super().__init__(config)
        self.model = Body()
        self.lm_head = nn.Linear(8, 16, bias=False)
        self.post_init()
"""


@pytest.mark.slow
def test_cli_loads_a_local_remote_code_checkpoint(tmp_path: Path) -> None:
    ckpt = tmp_path / "ckpt"
    ckpt.mkdir()
    (ckpt / "configuration_fake.py").write_text(FAKE_CONFIG)
    (ckpt / "modeling_fake.py").write_text(FAKE_MODEL)
    (ckpt / "config.json").write_text(
        json.dumps(
            {
                "model_type": "fake_ocr",
                "auto_map": {
                    "AutoConfig": "configuration_fake.FakeOCRConfig",
                    "AutoModelForCausalLM": "modeling_fake.FakeOCRForCausalLM",
                },
            }
        )
    )
    out = tmp_path / "out"
    env = {**os.environ, "HF_MODULES_CACHE": str(tmp_path / "modules"), "HF_HUB_OFFLINE": "1"}
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--model", str(ckpt), "--output-dir", str(out)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    rows = {r["name"]: r for r in json.loads((out / "module_tree.json").read_text())["rows"]}
    assert rows["model.sam_model"]["stage"] == "sam"
    assert rows["model.sam_model"]["params"] == 8 * 3 * 4 * 4 + 8  # 392
    assert rows["model.layers.0"]["stage"] == "prefill"
    assert rows["lm_head"] == {
        "name": "lm_head",
        "class": "Linear",
        "stage": "lm_head",
        "is_leaf": True,
        "params": 8 * 16,
    }
    assert rows["model"]["stage"] == "other"


def test_cli_rejects_a_directory_without_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--model", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("dsocr_dump_module_tree: error: --model: ")
    assert "is not a local checkpoint directory (no config.json)" in err
