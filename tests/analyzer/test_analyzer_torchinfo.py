"""TorchInfo artifacts: the loader, the writers, and the cross-check on the real checkpoint's files."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from llm_perf_opt.utils.input_error import InputError
from llm_perf_opt.utils.torchinfo_artifacts import (
    load_target_operator_list,
    render_stages_json,
    render_unique_layers_json,
    render_unique_layers_md,
)
from llm_perf_opt.utils.torchinfo_crosscheck import cross_check
from modelmeter.models.deepseek_ocr.layers.core import DeepseekOCRModel
from modelmeter.models.deepseek_ocr.workload import OCRWorkload

# parameters per module, deepseek-ocr-architecture.md section 1
MOE_LAYER = 81_920 + 64 * 3_440_640 + 6_881_280  # gate + routed experts + shared experts = 227,164,160
CHECKPOINT_WITHOUT_LM_HEAD = 3_336_106_240 - 165_478_400


def _model() -> DeepseekOCRModel:
    return DeepseekOCRModel(workload=OCRWorkload(crop_grid=(2, 2), max_new_tokens=2))


def test_loader_reads_the_reference_files(torchinfo_reference_dir: Path) -> None:
    target = load_target_operator_list(torchinfo_reference_dir)
    assert len(target.layers) == 29
    assert target.run.total_params == CHECKPOINT_WITHOUT_LM_HEAD
    assert (target.run.base_size, target.run.image_size, target.run.crop_mode, target.run.depth) == (1024, 640, True, 3)
    rows = {(r.path, r.recursive): r for r in target.rows}
    root = target.rows[0]
    assert (root.path, root.class_name, root.params) == ("", "DeepseekOCRModel", 2 * 1280)  # newline + separator
    assert rows[("layers.11.mlp", False)].class_name == "DeepseekV2MoE"
    assert rows[("layers.11.mlp", False)].params == MOE_LAYER
    assert rows[("sam_model.net_3", False)].params == 512 * 1024 * 3 * 3  # Conv2d 512 -> 1024, k3, no bias
    assert rows[("sam_model", True)].params is None  # the global-view call repeats the module
    assert [s.stage_name for s in target.stages] == ["sam", "clip", "projector", "prefill", "decode"]


def test_writers_reproduce_the_reference_files_byte_for_byte(torchinfo_reference_dir: Path) -> None:
    target = load_target_operator_list(torchinfo_reference_dir)
    d = torchinfo_reference_dir
    assert render_unique_layers_json(target.run, target.layers) == (d / "torchinfo-unique-layers.json").read_text()
    assert render_unique_layers_md(target.layers) == (d / "torchinfo-unique-layers.md").read_text()
    assert render_stages_json(target.run, target.stages) == (d / "torchinfo-stages.json").read_text()


def test_every_checkpoint_class_is_modeled_and_parameters_agree(torchinfo_reference_dir: Path) -> None:
    check = cross_check(load_target_operator_list(torchinfo_reference_dir), _model())
    names = [c.class_name for c in check.classes]
    assert len(names) == check.layer_classes == 29
    assert check.modeled + len(check.unclassified) == 29
    assert check.unclassified == ()
    assert check.param_mismatches == ()
    assert check.analytic_total_params == check.torchinfo_total_params == CHECKPOINT_WITHOUT_LM_HEAD
    by_name = {c.class_name: c for c in check.classes}
    assert by_name["DeepseekV2MoE"].torchinfo_params == 11 * MOE_LAYER
    assert by_name["DeepseekV2MoE"].analytic_params == 11 * MOE_LAYER
    assert by_name["ModuleList"].status == "container"
    assert by_name["Linear"].instances == by_name["Linear"].instances_matched == 2329
    assert by_name["LlamaFlashAttention2"].torchinfo_params == 12 * 4 * 1280 * 1280  # q, k, v, o without bias
    compared = sum(c.rows_compared for c in check.classes)
    assert compared == sum(1 for r in load_target_operator_list(torchinfo_reference_dir).rows if not r.recursive)


def test_a_changed_parameter_count_is_reported(torchinfo_reference_dir: Path, tmp_path: Path) -> None:
    d = Path(shutil.copytree(torchinfo_reference_dir, tmp_path / "ti"))
    text = (d / "torchinfo-summary.txt").read_text()
    assert text.count("7,104,128") == 4  # the four global-attention blocks of the crops call
    (d / "torchinfo-summary.txt").write_text(text.replace("7,104,128", "7,104,129", 1))
    check = cross_check(load_target_operator_list(d), _model())
    assert [(m.class_name, m.torchinfo_params - m.analytic_params) for m in check.param_mismatches] == [("Block", 1)]


def test_an_unknown_class_is_listed_not_dropped(torchinfo_reference_dir: Path, tmp_path: Path) -> None:
    d = Path(shutil.copytree(torchinfo_reference_dir, tmp_path / "ti"))
    data = json.loads((d / "torchinfo-unique-layers.json").read_text())
    extra = dict(data["layers"][0], class_name="Mystery", class_name_qualified="vendor.Mystery",
                 instance_name=["sam_model.mystery"], is_torch_builtin=False)  # fmt: skip
    data["layers"].append(extra)
    data["num_unique_layers"] += 1
    (d / "torchinfo-unique-layers.json").write_text(json.dumps(data))
    (d / "torchinfo-unique-layers.md").write_text(
        (d / "torchinfo-unique-layers.md").read_text() + "\n**class_name_qualified**: vendor.Mystery\n"
    )
    check = cross_check(load_target_operator_list(d), _model())
    assert check.layer_classes == 30
    assert check.unclassified == ("Mystery",)
    assert check.modeled == 29


def test_runner_with_the_reference_directory(
    torchinfo_reference_dir: Path, tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    out = tmp_path / "out"
    result = run_cli("--torchinfo-dir", torchinfo_reference_dir, "--max-new-tokens", "2", "--format", "json",
                     "--output-dir", out)  # fmt: skip
    assert result.code == 0, result.err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["torchinfo"] == {"layer_classes": 29, "modeled": 29, "unclassified": [], "param_mismatches": []}
    assert "## TorchInfo cross-check" in (out / "report.md").read_text()


def test_loader_errors_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        load_target_operator_list(tmp_path / "absent", flag="--x")
    assert "\n" not in str(err.value)
    assert str(err.value).startswith("--x: ")
