"""Bad input: one line on stderr naming the input and what is allowed, exit status 2, nothing written."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "deepseek-ocr-torchinfo"


def _assert_rejected(result: Any, tmp_path: Path, out: Path, *needles: str) -> None:
    assert result.code == 2, result.err
    lines = result.err.splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("dsocr-analyzer: error: ")
    for needle in needles:
        assert needle in lines[0], lines[0]
    assert result.out == ""
    assert not out.exists()
    assert not any(p.name.startswith(".") for p in out.parent.iterdir())  # no temporary directory left


@pytest.mark.parametrize(
    ("argv", "needles"),
    [
        (["--base-size", "1000"], ["--base-size", "multiple of 16"]),  # 1000 = 62.5 patches
        (["--image-size", "650"], ["--image-size", "multiple of 16"]),
        (["--base-size", "0"], ["--base-size"]),
        (["--image-size", "-640"], ["--image-size"]),
        (["--image-width", "0", "--image-height", "2339"], ["--image-width", ">= 1"]),
        (["--image-width", "-5", "--image-height", "-5"], ["--image-width/--image-height"]),
        (["--image-width", "1654"], ["--image-width/--image-height", "both"]),
        (["--batch-size", "0"], ["--batch-size", ">= 1"]),
        (["--max-new-tokens", "-3"], ["--max-new-tokens", ">= 1"]),
        (["--prompt-tokens", "-1"], ["--prompt-tokens", ">= 0"]),
        (["--seq-len", "100"], ["--seq-len", "904"]),  # at least 1 + 903 image tokens
        (["--seq-len", "1000", "--prompt-tokens", "9"], ["--seq-len/--prompt-tokens"]),
        (["--mode", "turbo"], ["--mode", "analytic"]),
        (["--dtype", "float64"], ["--dtype", "bfloat16"]),
        (["--attention", "paged"], ["--attention", "flash", "eager"]),
        (["--resolution-mode", "huge"], ["--resolution-mode", "gundam-m"]),
        (["--crop-mode", "2"], ["--crop-mode"]),
        (["--crop-grid", "3by2"], ["--crop-grid", "ROWSxCOLUMNS"]),
        (["--crop-grid", "0x2"], ["--crop-grid", ">= 1"]),
        (["--crop-grid", "x"], ["--crop-grid"]),
        (["--crop-mode", "0", "--crop-grid", "2x2"], ["--crop-grid", "crop mode"]),
        (["--base-size", "abc"], ["--base-size", "invalid int"]),
        (["--format", "xml"], ["--format", "json"]),
        (["--run-id", "../escape"], ["--run-id"]),
        (["--workload-profile-id", "dsocr-nope"], ["--workload-profile-id", "dsocr-standard-v1"]),
        (["--no-such-flag"], ["--no-such-flag"]),
    ],
)
def test_bad_flag_values(argv: list[str], needles: list[str], tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    out = tmp_path / "out"
    _assert_rejected(run_cli(*argv, "--output-dir", out), tmp_path, out, *needles)


def test_missing_config_json(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    out = tmp_path / "out"
    (tmp_path / "model").mkdir()
    _assert_rejected(
        run_cli("--model", tmp_path / "model", "--output-dir", out), tmp_path, out, "--model", "config.json"
    )


def test_corrupt_config_json(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    out = tmp_path / "out"
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "config.json").write_text('{"hidden_size": 1280,')
    _assert_rejected(run_cli("--model", tmp_path / "model", "--output-dir", out), tmp_path, out, "--model", "JSON")


def test_config_json_with_a_bad_value(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    out = tmp_path / "out"
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "config.json").write_text(json.dumps({"hidden_size": 1280, "num_attention_heads": 0}))
    _assert_rejected(
        run_cli("--model", tmp_path / "model", "--output-dir", out), tmp_path, out, "--model", "num_attention_heads"
    )


def test_workload_file_with_an_unknown_key(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    out = tmp_path / "out"
    profile = tmp_path / "w.yaml"
    profile.write_text(
        "id: w\ndescription: d\nbase_size: 1024\nimage_size: 640\ncrop_mode: false\nmax_new_tokens: 10\ncrop_size: 3\n"
    )
    _assert_rejected(
        run_cli("--workload-profile-id", profile, "--output-dir", out), tmp_path, out, "--workload-profile-id",
        "crop_size", "did you mean crop_mode, crop_grid",
    )  # fmt: skip


def test_workload_file_with_a_string_for_an_integer(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    out = tmp_path / "out"
    profile = tmp_path / "w.yaml"
    profile.write_text("id: w\ndescription: d\nbase_size: '1024'\nimage_size: 640\ncrop_mode: false\n")
    _assert_rejected(
        run_cli("--workload-profile-id", profile, "--output-dir", out), tmp_path, out, "base_size", "integer"
    )


def test_workload_file_missing(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    out = tmp_path / "out"
    _assert_rejected(
        run_cli("--workload-profile-id", tmp_path / "none.yaml", "--output-dir", out), tmp_path, out, "none.yaml"
    )


def _torchinfo_copy(tmp_path: Path) -> Path:
    if not (REFERENCE / "torchinfo-summary.txt").is_file():
        pytest.skip(f"reference data absent: {REFERENCE}")
    return Path(shutil.copytree(REFERENCE, tmp_path / "ti"))


@pytest.mark.parametrize(
    ("damage", "needles"),
    [
        (lambda d: (d / "torchinfo-summary.txt").unlink(), ["torchinfo-summary.txt", "missing"]),
        (lambda d: (d / "torchinfo-stages.json").unlink(), ["torchinfo-stages.json", "missing"]),
        (lambda d: (d / "torchinfo-unique-layers.json").write_text("{"), ["torchinfo-unique-layers.json", "JSON"]),
        (lambda d: (d / "torchinfo-summary.txt").write_text("nothing here\n"), ["torchinfo-summary.txt", "header"]),
        (
            lambda d: (d / "torchinfo-unique-layers.md").write_text("# TorchInfo Unique Layers\n"),
            ["torchinfo-unique-layers.md", "same classes"],
        ),
        (
            lambda d: (d / "torchinfo-stages.json").write_text(json.dumps({"stages": {}})),
            ["torchinfo-stages.json", "generated_at"],
        ),
    ],
)
def test_missing_or_corrupt_torchinfo_file(
    damage: Callable[[Path], object], needles: list[str], tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    directory = _torchinfo_copy(tmp_path)
    damage(directory)
    out = tmp_path / "out"
    _assert_rejected(run_cli("--torchinfo-dir", directory, "--output-dir", out), tmp_path, out, "--torchinfo-dir",
                     *needles)  # fmt: skip


def test_torchinfo_dir_that_does_not_exist(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    out = tmp_path / "out"
    _assert_rejected(run_cli("--torchinfo-dir", tmp_path / "nope", "--output-dir", out), tmp_path, out,
                     "--torchinfo-dir")  # fmt: skip


def test_foreign_output_directory_is_left_alone(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    result = run_cli("--max-new-tokens", "2", "--format", "json", "--output-dir", out)
    assert result.code == 2
    assert "--output-dir" in result.err
    assert len(result.err.splitlines()) == 1
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


def test_default_output_tree_is_not_created_on_bad_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_cli: Callable[..., Any]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert run_cli("--base-size", "1000").code == 2
    assert list(tmp_path.iterdir()) == []


def test_help_explains_every_flag_with_its_default(
    run_cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "400")  # no wrapping inside the help's words
    result = run_cli("--help")
    assert result.code == 0
    text = " ".join(result.out.split())
    for flag in ("--mode", "--model", "--workload-profile-id", "--resolution-mode", "--base-size", "--image-size",
                 "--crop-mode", "--crop-grid", "--image-width", "--image-height", "--prompt-tokens", "--seq-len",
                 "--max-new-tokens", "--batch-size", "--dtype", "--attention", "--torchinfo-dir", "--format",
                 "--run-id", "--output-dir"):  # fmt: skip
        assert flag in text
    assert text.count("default: ") >= 20
    assert "default: dsocr-standard-v1" in text
    assert "default: analytic" in text
    assert "(dsocr-standard-v1: 1024)" in text
    assert "(dsocr-standard-v1: 1000)" in text
