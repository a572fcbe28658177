"""``--hardware`` / ``--runtime``: predicted times in summary.json and report.md; bad names."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from llm_perf_opt.kernels.timing import runtime_stage_times
from llm_perf_opt.planning.predict import predict
from llm_perf_opt.runners.analyzer_inputs import WorkloadFlags, resolve_inputs
from modelmeter.models.deepseek_ocr.layers.core import DeepseekOCRModel

from .conftest import CliResult

TIME_KEYS = ["predicted_time_s", "predicted_kernel_s", "predicted_wall_s", "kernel_launches", "torch_calls"]


def test_hardware_adds_the_same_numbers_as_the_time_models(run_cli: Callable[..., CliResult], tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = run_cli("--mode", "analytic", "--output-dir", out, "--max-new-tokens", "20", "--hardware", "l4",
                     "--runtime", "hf-eager")  # fmt: skip
    assert result.code == 0, result.err
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["hardware"], summary["runtime"]) == ("l4", "hf-eager")
    model = DeepseekOCRModel(workload=resolve_inputs(WorkloadFlags(max_new_tokens=20)).workload)
    runtimes = runtime_stage_times(model, "l4", "hf-eager")
    roofline = predict(model.arch, model.workload, "l4")  # the planning engine's roofline, per level
    for name in model.stage_layers():
        stage = summary["stages"][name]
        assert list(stage)[-5:] == TIME_KEYS
        assert stage["predicted_time_s"] == roofline.stage(name).seconds
        assert stage["predicted_kernel_s"] == runtimes[name].predicted_kernel_s
        assert stage["predicted_wall_s"] == runtimes[name].predicted_wall_s
        assert stage["kernel_launches"] == runtimes[name].kernel_launches
        assert stage["torch_calls"] == runtimes[name].torch_calls
    report = (out / "report.md").read_text()
    for heading in (
        "## Predicted time on l4 (runtime hf-eager)",
        "## Where the time goes",
        "## Capacity planning: l4",
    ):
        assert heading in report


def test_without_hardware_the_time_keys_are_absent(run_cli: Callable[..., CliResult], tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert run_cli("--output-dir", out, "--max-new-tokens", "5").code == 0
    summary = json.loads((out / "summary.json").read_text())
    assert "hardware" not in summary
    assert "runtime" not in summary
    assert not set(TIME_KEYS) & set(summary["stages"]["decode"])


def test_unknown_hardware_or_runtime_is_one_line_exit_2(run_cli: Callable[..., CliResult], tmp_path: Path) -> None:
    bad_hw = run_cli("--output-dir", tmp_path / "a", "--hardware", "tpu-v9")
    assert bad_hw.code == 2
    assert len(bad_hw.err.strip().splitlines()) == 1
    assert "--hardware: unknown hardware 'tpu-v9'; known: a100-40gb, " in bad_hw.err
    assert bad_hw.err.rstrip().endswith("or a path to your own hardware .yaml file")
    assert "h100-sxm" in bad_hw.err
    assert not (tmp_path / "a").exists()
    bad_rt = run_cli("--output-dir", tmp_path / "b", "--hardware", "h100-sxm", "--runtime", "vllm-x")
    assert bad_rt.code == 2
    assert "--runtime: unknown runtime profile 'vllm-x'; known: fused, hf-eager, " in bad_rt.err
    assert not (tmp_path / "b").exists()
