"""Workload resolution: profile + flags -> the workload the analytic model evaluates."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from llm_perf_opt.data.workload_profile import CropGrid
from llm_perf_opt.runners.analyzer_inputs import WorkloadFlags, parse_crop_grid, resolve_inputs
from llm_perf_opt.utils.input_error import InputError
from llm_perf_opt.utils.packaged_defaults import read_default_arch_text
from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch


def test_standard_profile_resolves_to_the_vendor_grid() -> None:
    inputs = resolve_inputs(WorkloadFlags())
    w = inputs.workload
    assert (w.base_size, w.image_size, w.crop_mode) == (1024, 640, True)
    assert w.crop_grid == (2, 3)  # 2 crops across, 3 down for 1654x2339 (architecture facts, section 5)
    assert inputs.profile.crop_grid == CropGrid(rows=3, columns=2)
    assert w.image_tokens == 16 * 17 + 1 + (10 * 2 + 1) * (10 * 3)  # 903
    assert w.prefill_tokens == 1 + 9 + 903
    assert w.decode_steps == 999
    assert inputs.spec.arch == DeepseekOCRArch()
    assert inputs.overrides == ()


@pytest.mark.parametrize(
    ("flags", "grid", "image_tokens", "mode"),
    [
        (WorkloadFlags(resolution_mode="base"), (1, 1), 16 * 17 + 1, "base"),  # 273
        (WorkloadFlags(resolution_mode="tiny"), (1, 1), 8 * 9 + 1, "tiny"),  # 73
        (WorkloadFlags(resolution_mode="large"), (1, 1), 20 * 21 + 1, "large"),  # 421
        (WorkloadFlags(crop_grid=CropGrid(rows=2, columns=3)), (3, 2), 273 + 31 * 20, "gundam"),  # 893
        (WorkloadFlags(image_width=1920, image_height=1080), (4, 2), 273 + 41 * 20, "gundam"),  # 1093
        (WorkloadFlags(image_width=600, image_height=500), (1, 1), 273, "gundam"),  # no crops at <= 640 px
        (WorkloadFlags(crop_mode=False), (1, 1), 273, "custom"),  # 1024 global view only; 640 matches no preset
        (WorkloadFlags(base_size=1280, image_size=1024), (2, 3), 421 + (16 * 2 + 1) * (16 * 3), "gundam-m"),
        (WorkloadFlags(base_size=768), (2, 3), 12 * 13 + 1 + 21 * 30, "custom"),
    ],
)
def test_flags_override_the_profile(flags: WorkloadFlags, grid: tuple[int, int], image_tokens: int, mode: str) -> None:
    inputs = resolve_inputs(flags)
    assert inputs.workload.crop_grid == grid
    assert inputs.workload.image_tokens == image_tokens
    assert inputs.profile.resolution_mode == mode


def test_seq_len_sets_the_prompt_length() -> None:
    inputs = resolve_inputs(WorkloadFlags(seq_len=1024))
    assert inputs.profile.prompt_tokens == 1024 - 1 - 903
    assert inputs.workload.prefill_tokens == 1024
    assert inputs.overrides == ("--seq-len=1024",)


def test_overrides_are_recorded_in_flag_order() -> None:
    flags = WorkloadFlags(dtype="float16", crop_grid=CropGrid(rows=1, columns=2), max_new_tokens=5, crop_mode=True)
    assert resolve_inputs(flags).overrides == ("--crop-mode=1", "--crop-grid=1x2", "--max-new-tokens=5",
                                               "--dtype=float16")  # fmt: skip


@pytest.mark.parametrize(("text", "rows", "columns"), [("3x2", 3, 2), ("1X1", 1, 1), (" 2 x 5 ", 2, 5)])
def test_crop_grid_is_rows_by_columns(text: str, rows: int, columns: int) -> None:
    assert parse_crop_grid(text) == CropGrid(rows=rows, columns=columns)


@pytest.mark.parametrize("text", ["3", "3x", "x2", "3x2x1", "0x1", "-1x2", "a x b", "3*2"])
def test_malformed_crop_grid(text: str) -> None:
    with pytest.raises(InputError, match="--crop-grid"):
        parse_crop_grid(text)


def test_model_directory_config_json_is_read(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    config = yaml.safe_load(read_default_arch_text())
    config["num_hidden_layers"] = 6
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "config.json").write_text(json.dumps(config))
    out = tmp_path / "out"
    result = run_cli("--model", tmp_path / "model", "--max-new-tokens", "2", "--format", "json", "--output-dir", out)
    assert result.code == 0, result.err
    summary = json.loads((out / "summary.json").read_text())
    # embed 165,478,400 + dense layer 0 (attn 6,553,600 + MLP 26,296,320 + norms 2,560)
    # + 5 MoE layers (attn 6,553,600 + MoE 227,164,160 + norms 2,560) + final norm 1,280
    expected = 165_478_400 + (6_553_600 + 26_296_320 + 2_560) + 5 * (6_553_600 + 227_164_160 + 2_560) + 1_280
    assert summary["stages"]["prefill"]["params"] == expected
    assert summary["stages"]["sam"]["params"] == 95_569_152  # vision is not in config.json
    report = json.loads((out / "report.json").read_text())
    assert report["model"]["config_source"] == str(tmp_path / "model" / "config.json")
