"""DeepSeek-OCR-2 through the analyzer: ``--model deepseek-ocr-2`` (the packaged architecture and its standard
workload), ``--model`` a config.json in either layout, time under a runtime profile, a sweep over both models, and
the one-line refusals of what OCR-2 does not take. Expected values are derived by hand from the workload rules
(``modelmeter.models.deepseek_ocr2.workload``) and equal to the analytic model's own numbers."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from llm_perf_opt.planning.predict import predict
from llm_perf_opt.runners.analyzer_inputs import WorkloadFlags, resolve_inputs
from llm_perf_opt.utils.packaged_defaults import packaged_arch
from modelmeter.models.deepseek_ocr2.config import DeepseekOCR2Arch
from modelmeter.models.deepseek_ocr2.layers.core import DeepseekOCR2Model
from modelmeter.models.deepseek_ocr2.workload import OCR2Workload
from tests.analyzer.conftest import CliResult

OCR2_PARAMS = 3_389_119_360
"""SAM 94,979,328 + encoder 358,256,512 + projector 1,148,160 + view_seperator 1,280 + text 2,934,734,080
(tests/deepseek_ocr2/test_analytic.py derives each by hand)."""
A4_IMAGE_TOKENS = 144 * 6 + 256 + 1
"""An A4 page (1654x2339) in the dynamic mode: OCR-2's rule picks 2 crops across, 3 down."""
STAGES = ["sam", "qwen2", "projector", "prefill", "lm_head", "decode"]


def _summary(out: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return data


def test_default_run_of_ocr2(run_cli: Callable[..., CliResult], tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_cli("--model", "deepseek-ocr-2", "--output-dir", out)
    assert result.code == 0, result.err
    summary = _summary(out)
    assert summary["model"] == "deepseek-ai/DeepSeek-OCR-2"
    assert summary["image_tokens"] == A4_IMAGE_TOKENS == 1121
    assert summary["prefill_tokens"] == 1 + 9 + 1121
    assert summary["total_params"] == OCR2_PARAMS
    stages = summary["stages"]
    assert isinstance(stages, dict)
    assert list(stages) == STAGES
    workload = summary["workload"]
    assert isinstance(workload, dict)
    assert (workload["id"], workload["resolution_mode"], workload["crop_grid"]) == (
        "dsocr2-standard-v1",
        "dynamic",
        {"rows": 3, "columns": 2},
    )
    # every stage's numbers are the analytic model's
    model = DeepseekOCR2Model(workload=OCR2Workload(crop_grid=(2, 3), max_new_tokens=1000))
    for name, layer in model.stage_layers().items():
        m = layer.metrics()
        assert (stages[name]["tensor_core_flops"], stages[name]["io_bytes"], stages[name]["params"]) == (
            m.forward_tensor_core_flops,
            m.forward_io_bytes,
            m.params,
        )
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["total"]["params"] == OCR2_PARAMS
    assert report["total"]["forward_tensor_core_flops"] == model.metrics().forward_tensor_core_flops
    assert report["geometry"] == {
        "crop_grid": {"rows": 3, "columns": 2},
        "n_crops": 6,
        "image_tokens": 1121,
        "prefill_tokens": 1131,
        "decode_steps": 999,
    }
    assert (out / "layers" / "Qwen2Attention.md").is_file()
    assert not (out / "layers" / "VitModel.md").exists()
    assert "| qwen2 |" in (out / "report.md").read_text(encoding="utf-8")


def test_the_768_only_mode(run_cli: Callable[..., CliResult], tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_cli("--model", "deepseek-ocr-2", "--resolution-mode", "global-768", "--output-dir", out)
    assert result.code == 0, result.err
    summary = _summary(out)
    assert (summary["image_tokens"], summary["prefill_tokens"]) == (144 + 1, 1 + 9 + 145)
    assert summary["stages"]["sam"]["tensor_core_flops"] == (  # type: ignore[index]
        DeepseekOCR2Model(workload=OCR2Workload.from_mode("global-768")).stage_layers()["sam"].forward_tensor_core_flops
    )


def test_a_landscape_page_takes_ocr2s_grid(run_cli: Callable[..., CliResult], tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_cli("--model", "deepseek-ocr-2", "--image-width", "2339", "--image-height", "1654",
                     "--max-new-tokens", "2", "--output-dir", out)  # fmt: skip
    assert result.code == 0, result.err
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["geometry"]["crop_grid"] == {"rows": 2, "columns": 3}  # ratio 1.41: 3 across, 2 down
    assert "count_tiles, 2 to 6 crops" in report["workload"]["sources"]["crop_grid"]


RELEASED_CONFIG = yaml.safe_load(packaged_arch("deepseek-ocr-2")[0])
NATIVE_CONFIG = {
    "model_type": "deepseek_ocr2",
    "text_config": {
        "vocab_size": 129280, "hidden_size": 1280, "intermediate_size": 6848, "moe_intermediate_size": 896,
        "num_hidden_layers": 12, "num_attention_heads": 10, "num_key_value_heads": 10, "n_routed_experts": 64,
        "n_shared_experts": 2, "num_experts_per_tok": 6, "mlp_layer_types": ["dense"] + ["sparse"] * 11,
    },
    "vision_config": {
        "sam_config": {"hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12,
                       "global_attn_indexes": [2, 5, 8, 11], "downsample_channels": [512, 896]},
        "encoder_config": {"hidden_size": 896, "num_hidden_layers": 24, "num_attention_heads": 14,
                           "num_key_value_heads": 2, "intermediate_size": 4864, "rms_norm_eps": 1e-6,
                           "rope_parameters": {"rope_type": "default", "rope_theta": 1000000.0}},
    },
}  # fmt: skip
"""transformers' converted config (``DeepseekOcr2Config``: text_config, vision_config.sam_config/encoder_config)."""


@pytest.mark.parametrize("config", [RELEASED_CONFIG, NATIVE_CONFIG], ids=["released", "transformers"])
def test_config_json_of_either_layout(
    config: dict[str, object], run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    path = tmp_path / "DeepSeek-OCR-2" / "config.json"
    path.parent.mkdir()
    path.write_text(json.dumps(config), encoding="utf-8")
    out = tmp_path / "out"
    result = run_cli("--model", path, "--max-new-tokens", "2", "--format", "json", "--output-dir", out)
    assert result.code == 0, result.err
    summary = _summary(out)
    assert (summary["total_params"], summary["image_tokens"]) == (OCR2_PARAMS, A4_IMAGE_TOKENS)
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["model"]["config_source"] == str(path)
    assert report["model"]["arch"]["encoder"]["num_hidden_layers"] == 24


def test_a_config_json_with_half_the_encoder(run_cli: Callable[..., CliResult], tmp_path: Path) -> None:
    config = json.loads(json.dumps(NATIVE_CONFIG))
    config["vision_config"]["encoder_config"]["num_hidden_layers"] = 12
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "config.json").write_text(json.dumps(config), encoding="utf-8")
    out = tmp_path / "out"
    result = run_cli("--model", tmp_path / "model", "--max-new-tokens", "2", "--output-dir", out)
    assert result.code == 0, result.err
    # 12 layers of 14,912,384 + final norm 896 + query tables (144 + 256) * 896
    assert _summary(out)["stages"]["qwen2"]["params"] == 12 * 14_912_384 + 896 + 400 * 896  # type: ignore[index]


def test_time_under_hf_eager(run_cli: Callable[..., CliResult], tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_cli("--model", "deepseek-ocr-2", "--hardware", "h100-sxm", "--runtime", "hf-eager",
                     "--output-dir", out)  # fmt: skip
    assert result.code == 0, result.err
    summary = _summary(out)
    page = summary["page"]
    assert isinstance(page, dict)
    assert page["runtime"] == "hf-eager"
    point = predict(DeepseekOCR2Arch(), OCR2Workload(crop_grid=(2, 3)), "h100-sxm", runtime="hf-eager")
    assert point.model == "deepseek-ocr-2"
    assert (page["ttft_s"], page["page_s"], page["max_batch"]) == (
        point.ttft_seconds,
        point.seconds_per_batch,
        point.memory.max_batch,
    )
    stages = summary["stages"]
    assert isinstance(stages, dict)
    assert stages["qwen2"]["predicted_wall_s"] == point.stage("qwen2").wall_seconds > 0
    assert stages["qwen2"]["kernel_launches"] == point.stage("qwen2").kernel_launches > 0
    assert point.vision_seconds == sum(point.stage(s).wall_seconds for s in ("sam", "qwen2", "projector"))
    assert "validated on DeepSeek-OCR only, not on DeepSeek-OCR-2" in result.out
    assert "vision (sam + qwen2 + projector)" in (out / "report.md").read_text(encoding="utf-8")


def test_sweep_over_both_models(run_cli: Callable[..., CliResult], tmp_path: Path) -> None:
    sweep = tmp_path / "both.yaml"
    sweep.write_text(
        "name: both\ndescription: an A4 page through both models\ncartesian:\n"
        "  models: [deepseek-ocr, deepseek-ocr-2]\n  resolution_modes: [gundam, dynamic, global-768]\n"
        "  page_sizes: [1654x2339]\n  max_new_tokens: [2]\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = run_cli("--mode", "sweep", "--sweep", sweep, "--no-plots", "--output-dir", out)
    assert result.code == 0, result.err
    rows = list(csv.DictReader((out / "sweep.csv").open(encoding="utf-8")))
    got = [(r["model"], r["resolution_mode"], r["crop_grid"], int(r["image_tokens"])) for r in rows]
    assert got == [
        ("deepseek-ocr", "gundam", "3x2", 273 + (10 * 2 + 1) * (10 * 3)),
        ("deepseek-ocr-2", "dynamic", "3x2", 1121),
        ("deepseek-ocr-2", "global-768", "1x1", 145),
    ]
    assert rows[0]["qwen2.params"] == ""
    assert rows[1]["clip.params"] == ""
    assert int(rows[1]["qwen2.params"]) == 358_256_512
    data = json.loads((out / "sweep.json").read_text(encoding="utf-8"))
    assert data["model"]["name"] == "deepseek-ai/DeepSeek-OCR"
    assert [m["name"] for m in data["more_models"]] == ["deepseek-ai/DeepSeek-OCR-2"]
    assert [p.get("model", "deepseek-ocr") for p in data["points"]] == ["deepseek-ocr"] + ["deepseek-ocr-2"] * 2


@pytest.mark.parametrize(
    ("argv", "why"),
    [
        (["--resolution-mode", "gundam"], "--resolution-mode: 'gundam' is not a DeepSeek-OCR-2 mode; allowed: dynamic"),
        (["--base-size", "640"], "--base-size: 640 px gives 100 SAM tokens"),
        (["--workload-profile-id", "dsocr-standard-v1"], "resolution_mode: 'gundam' is not a DeepSeek-OCR-2 mode"),
        (["--mode", "static"], "--model: --mode static counts the project's PyTorch reference of DeepSeek-OCR"),
    ],
)
def test_what_ocr2_refuses(argv: list[str], why: str, run_cli: Callable[..., CliResult], tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_cli("--model", "deepseek-ocr-2", *argv, "--output-dir", out)
    assert result.code == 2
    assert len(result.err.strip().splitlines()) == 1
    assert why in result.err
    assert not out.exists()


def test_v1_refuses_ocr2_modes(run_cli: Callable[..., CliResult], tmp_path: Path) -> None:
    result = run_cli("--resolution-mode", "dynamic", "--output-dir", tmp_path / "out")
    assert result.code == 2
    assert "--resolution-mode: 'dynamic' is not a DeepSeek-OCR mode; allowed: tiny, small" in result.err


def test_an_unknown_model_type_is_one_line(run_cli: Callable[..., CliResult], tmp_path: Path) -> None:
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "config.json").write_text(json.dumps({"model_type": "llama", "hidden_size": 4096}))
    result = run_cli("--model", tmp_path / "model", "--output-dir", tmp_path / "out")
    assert result.code == 2
    assert "model_type: 'llama' is not a DeepSeek-OCR model; allowed: deepseek_vl_v2, deepseek_ocr2" in result.err


def test_a_runtime_profile_for_v1_only_refuses_ocr2(run_cli: Callable[..., CliResult], tmp_path: Path) -> None:
    profile = tmp_path / "mine.yaml"
    profile.write_text("name: mine\nbase: hf-sdpa\ndescription: v1 only\ndecoder_attention: flash\n", encoding="utf-8")
    out = tmp_path / "out"
    result = run_cli("--model", "deepseek-ocr-2", "--hardware", "h100-sxm", "--runtime", profile, "--output-dir", out)
    assert result.code == 2
    assert "--runtime: runtime profile 'mine' describes deepseek-ocr only, not deepseek-ocr-2" in result.err
    assert run_cli("--hardware", "h100-sxm", "--runtime", profile, "--output-dir", out).code == 0


def test_resolve_inputs_picks_the_models_standard_profile() -> None:
    v1, v2 = resolve_inputs(WorkloadFlags()), resolve_inputs(WorkloadFlags(), model_dir="deepseek-ocr-2")
    assert (v1.profile.id, v1.workload.image_tokens) == ("dsocr-standard-v1", 903)
    assert (v2.profile.id, v2.workload.image_tokens, v2.spec.family.key) == (
        "dsocr2-standard-v1",
        1121,
        "deepseek-ocr-2",
    )


def test_what_if_recomputes_an_ocr2_point_and_report(run_cli: Callable[..., CliResult], tmp_path: Path) -> None:
    from llm_perf_opt.data.model_spec import DeepSeekOCRModelSpec
    from llm_perf_opt.planning.what_if import parse_saved_report, planning_report_text, what_if

    spec = DeepSeekOCRModelSpec(name="deepseek-ai/DeepSeek-OCR-2", config_source="embedded", arch=DeepseekOCR2Arch())
    saved = planning_report_text(predict(spec.arch, OCR2Workload(crop_grid=(2, 3)), "l4"), spec)
    assert '"model": "deepseek-ocr-2"' in saved
    inputs = parse_saved_report(saved)
    assert isinstance(inputs.workload, OCR2Workload)
    again = what_if(inputs, batch_size=4, hardware="h100-sxm")
    assert again == predict(spec.arch, OCR2Workload(crop_grid=(2, 3), batch_size=4), "h100-sxm")
    out = tmp_path / "out"
    assert run_cli("--model", "deepseek-ocr-2", "--format", "json", "--output-dir", out).code == 0
    from_report = parse_saved_report((out / "report.json").read_text(encoding="utf-8"))
    assert from_report.workload == OCR2Workload(crop_grid=(2, 3))
    assert from_report.model.arch == DeepseekOCR2Arch()
