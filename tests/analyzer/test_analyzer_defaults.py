"""The embedded defaults: read from the package's conf/, and their values are the documented ones."""

from __future__ import annotations

from pathlib import Path

import yaml

from llm_perf_opt.runners.analyzer_inputs import load_profile
from llm_perf_opt.utils.packaged_defaults import conf_dir, read_default_arch_text, read_workload_text
from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_conf_at_the_top_is_the_packaged_folder() -> None:
    # one copy of the data: the checkout's conf/ links to the package's conf/, which the wheel carries
    assert (REPO_ROOT / "conf").resolve() == conf_dir("hardware").parent.resolve()
    assert read_workload_text("dsocr-standard-v1") == (REPO_ROOT / "conf/workloads/dsocr-standard-v1.yaml").read_text()


def test_default_architecture_is_the_released_checkpoint() -> None:
    assert DeepseekOCRArch.from_hf_config(yaml.safe_load(read_default_arch_text())) == DeepseekOCRArch()


def test_standard_workload_values_and_sources() -> None:
    profile, _ = load_profile("dsocr-standard-v1")
    assert (profile.resolution_mode, profile.base_size, profile.image_size, profile.crop_mode) == (
        "gundam", 1024, 640, True,
    )  # fmt: skip
    # A4 (210 x 297 mm) at 200 dpi
    assert (profile.image_width, profile.image_height) == (round(210 / 25.4 * 200), round(297 / 25.4 * 200))
    # reference capture: 703 prefill positions = 1 BOS + prompt + 693 image tokens (2x2 grid: 273 + 21 * 20)
    assert profile.prompt_tokens == 703 - 1 - (273 + 21 * 20)
    assert (profile.max_new_tokens, profile.batch_size, profile.dtype, profile.attention) == (
        1000, 1, "bfloat16", "flash",
    )  # fmt: skip
    for field in ("resolution_mode", "base_size", "image_size", "crop_mode", "crop_grid", "image_width",
                  "image_height", "prompt_tokens", "max_new_tokens", "batch_size", "dtype", "attention"):  # fmt: skip
        assert profile.sources[field].strip(), field
