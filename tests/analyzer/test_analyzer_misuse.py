"""Flags a mode would not use are refused (never silently ignored), the default run id changes with every
input that changes an output byte, hardware and runtime entries load by name or by path, and the report's
"source / note" column describes the values actually used."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from llm_perf_opt.utils.packaged_defaults import conf_dir
from tests.analyzer.conftest import CliResult


@pytest.mark.parametrize(
    ("argv", "flag", "why"),
    [
        (["--runtime", "hf-eager"], "--runtime", "needs --hardware"),
        (["--mode", "static", "--hardware", "h100-sxm"], "--hardware", "not used by --mode static"),
        (["--mode", "verify", "--format", "json"], "--format", "not used by --mode verify"),
        (["--mode", "sweep", "--sweep", "listed-example", "--batch-size", "8"], "--batch-size", "not used by --mode"),
        (["--mode", "sweep", "--sweep", "listed-example", "--hardware", "l4"], "--hardware", "not used by --mode"),
        (["--mode", "sweep", "--sweep", "listed-example", "--run-id", "x"], "--run-id", "not used by --mode sweep"),
        (["--sweep", "listed-example"], "--sweep", "not used by --mode analytic"),
    ],
)
def test_a_flag_the_mode_does_not_use_is_one_line_exit_2(
    run_cli: Callable[..., CliResult], tmp_path: Path, argv: list[str], flag: str, why: str
) -> None:
    result = run_cli(*argv, "--output-dir", tmp_path / "out")
    assert result.code == 2
    assert len(result.err.strip().splitlines()) == 1
    assert result.err.startswith(f"dsocr-analyzer: error: {flag}: ")
    assert why in result.err
    assert result.out == ""
    assert not (tmp_path / "out").exists()


def _run_id(run_cli: Callable[..., CliResult], tmp_path: Path, *argv: str | Path) -> str:
    """The run id the analyzer chose (from the manifest it wrote into a fresh directory)."""
    out = tmp_path / f"run{len(list(tmp_path.iterdir()))}"
    result = run_cli("--max-new-tokens", "3", *argv, "--output-dir", out)
    assert result.code == 0, result.err
    run_id: str = json.loads((out / "manifest.json").read_text())["run_id"]
    return run_id


def _edited_h100(tmp_path: Path, copy_tbps: float) -> Path:
    """A copy of the packaged H100 entry, renamed, with another measured copy rate."""
    data = yaml.safe_load((conf_dir("hardware") / "h100-sxm.yaml").read_text(encoding="utf-8"))
    data["name"] = "my-gpu"
    data["calibration"]["copy_tbps"] = copy_tbps
    path = tmp_path / "my-gpu.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_default_run_id_hashes_every_input_that_changes_an_output(
    run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    runs = tmp_path / "runs"
    runs.mkdir()
    plain = _run_id(run_cli, runs)
    assert plain == _run_id(run_cli, runs)  # same inputs, same id
    variants = [
        ("--hardware", "h100-sxm"),
        ("--hardware", "l4"),
        ("--hardware", "h100-sxm", "--runtime", "hf-eager"),
        ("--format", "json"),
        ("--batch-size", "2"),
    ]
    ids = [_run_id(run_cli, runs, *v) for v in variants]
    assert len({plain, *ids}) == 1 + len(variants)
    # the same file with other contents is another input
    slow = _run_id(run_cli, runs, "--hardware", _edited_h100(tmp_path, 2.0))
    fast = _run_id(run_cli, runs, "--hardware", _edited_h100(tmp_path, 3.0))
    assert slow != fast


def test_an_edited_copy_of_a_hardware_entry_loads_by_path(run_cli: Callable[..., CliResult], tmp_path: Path) -> None:
    def decode_roofline(hardware: str | Path, out: str) -> float:
        result = run_cli("--hardware", hardware, "--output-dir", tmp_path / out)
        assert result.code == 0, result.err
        summary = json.loads((tmp_path / out / "summary.json").read_text())
        assert summary["hardware"] in ("h100-sxm", "my-gpu")
        value: float = summary["stages"]["decode"]["predicted_time_s"]
        return value

    packaged = decode_roofline("h100-sxm", "packaged")
    # decode is bound by memory: at half the measured copy rate (3.021 TB/s) its roofline time doubles
    edited = decode_roofline(_edited_h100(tmp_path, 3.021 / 2), "edited")
    assert edited == pytest.approx(2 * packaged, rel=1e-9)


def test_a_bad_hardware_file_names_the_file_and_the_field(run_cli: Callable[..., CliResult], tmp_path: Path) -> None:
    path = _edited_h100(tmp_path, -1.0)
    result = run_cli("--hardware", path, "--output-dir", tmp_path / "out")
    assert result.code == 2
    assert len(result.err.strip().splitlines()) == 1
    assert result.err.startswith("dsocr-analyzer: error: --hardware: ")
    assert "my-gpu.yaml: " in result.err  # the file (a long path is shortened in the middle)
    assert "copy_tbps: must be a finite number > 0, got -1.0 @ $.calibration" in result.err
    assert not (tmp_path / "out").exists()


def test_a_runtime_file_of_ones_own_may_start_from_a_packaged_profile(
    run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    packaged = yaml.safe_load((conf_dir("runtimes") / "hf-eager.yaml").read_text(encoding="utf-8"))
    own = {"name": "my-eager", "base": "hf-eager", "description": "hf-eager, my copy"}
    own |= {k: v for k, v in packaged.items() if k not in ("name", "base", "description", "layers")}
    path = tmp_path / "my-eager.yaml"
    path.write_text(yaml.safe_dump(own), encoding="utf-8")
    walls = {}
    for runtime in ("hf-eager", str(path)):
        out = tmp_path / runtime.replace("/", "_")
        result = run_cli("--hardware", "h100-sxm", "--runtime", runtime, "--output-dir", out)
        assert result.code == 0, result.err
        summary = json.loads((out / "summary.json").read_text())
        walls[summary["runtime"]] = [s["predicted_wall_s"] for s in summary["stages"].values()]
    assert walls["my-eager"] == walls["hf-eager"]  # the same layers, inherited from the packaged profile


def test_sources_describe_the_values_used(run_cli: Callable[..., CliResult], tmp_path: Path) -> None:
    out = tmp_path / "out"
    argv = ["--image-width", "1920", "--image-height", "1080", "--batch-size", "8", "--output-dir", out]
    assert run_cli(*argv).code == 0
    report = (out / "report.md").read_text()
    section = report[report.index("## Model and workload") :]
    section = section[: section.index("\n## ", 3)]
    assert "ISO 216" not in section
    assert "A4" not in section
    assert "one image per call" not in section
    assert "| page size | 1920x1080 px | set on the command line (--image-width 1920 --image-height 1080) |" in section
    # 1920x1080 is closest to 2:1 among the 2..9-tile grids: 4 across, 2 down
    assert "| crop grid (rows x columns) | 2x4 (8 crops) | derived, not set: the vendor's rule" in section
    assert "| batch size | 8 | set on the command line (--batch-size 8) |" in section
    # unchanged fields keep the profile's sources
    assert "| dtype | bfloat16 | The vendor's run script casts the model to bfloat16" in section


def test_outputs_cite_no_private_paths_or_issue_numbers(run_cli: Callable[..., CliResult], tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run_cli("--hardware", "h100-sxm", "--runtime", "hf-eager", "--output-dir", out).code == 0
    for path in [out / "report.md", out / "summary.json", out / "report.json"]:
        text = path.read_text()
        assert "shared/" not in text, path.name
        assert "issue " not in text.lower(), path.name


def test_an_entry_with_the_former_flat_host_keys_is_one_line_exit_2(
    run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    """A user's entry written when the host costs were flat keys of ``calibration`` is refused, naming the first
    such key and its place now, and nothing is written."""
    data = yaml.safe_load((conf_dir("hardware") / "h100-sxm.yaml").read_text(encoding="utf-8"))
    host = data["calibration"].pop("host")
    data["calibration"]["module_launch_us"] = host["module"]["launch_us"]
    path = tmp_path / "old-gpu.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    result = run_cli("--hardware", path, "--output-dir", tmp_path / "out")
    assert result.code == 2
    assert result.err.startswith("dsocr-analyzer: error: --hardware: ")
    assert result.err.endswith(
        "old-gpu.yaml: calibration.module_launch_us: moved to calibration.host.module.launch_us (host costs are one "
        "record per execution kind; docs/calibration.md) @ $.calibration\n"
    )
    assert len(result.err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()
