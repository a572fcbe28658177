"""python -m llm_perf_opt.calibrate: its flags, one-line errors, and a whole dry run on the CPU whose entry the
hardware loader reads."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from llm_perf_opt.calibrate.cli import pooled_run
from llm_perf_opt.data.hardware import calibration_constant
from llm_perf_opt.hardware.registry import load_hardware_file

FLAGS = (
    "--name", "--output", "--raw", "--dry-run", "--device", "--datasheet", "--display-name", "--architecture",
    "--bf16-tflops", "--fp32-tflops", "--bandwidth-tbps", "--memory-gb", "--seed", "--matmul-size", "--copy-gib",
    "--curve-repeats", "--graph-runs", "--host-runs", "--host-from",
)  # fmt: skip
RAW = Path(__file__).resolve().parents[2] / "reports" / "validation" / "h200-calibration"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "llm_perf_opt.calibrate", *args], capture_output=True, text=True, timeout=300
    )


def test_help_explains_every_flag() -> None:
    out = _run("--help")
    assert out.returncode == 0
    for flag in FLAGS:
        assert flag in out.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--name", "H200"), "--name: lower-case letters, digits and '-' only, got 'H200'"),
        (("--name", "x", "--datasheet", "h300"), "--datasheet: unknown entry 'h300'"),
        (("--name", "x", "--bf16-tflops", "-1"), "argument --bf16-tflops: must be > 0, got -1"),
        (("--name", "x", "--copy-gib", "0.5"), "--copy-gib must be >= 1"),
        (("--name", "x", "--bogus"), "unrecognized arguments: --bogus"),
        (("--name", "x", "--host-from", "/nonexistent/run.raw.json"), "--host-from: /nonexistent/run.raw.json: "),
        (("--name", "x", "--host-from", str(RAW / "README.md")), "README.md: "),
    ],
)
def test_bad_flags_are_one_line_errors(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    out = _run("--output", str(tmp_path / "x.yaml"), *args)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("llm_perf_opt.calibrate: error: ")
    assert message in lines[0]
    assert list(tmp_path.iterdir()) == []


def test_without_a_gpu_a_real_run_is_a_one_line_error(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("a GPU is visible: the no-GPU refusal cannot be checked here")
    out = _run("--name", "x", "--output", str(tmp_path / "x.yaml"))
    assert out.returncode == 2
    assert out.stderr.strip().splitlines()[-1] == (
        "llm_perf_opt.calibrate: error: no CUDA device visible to torch; --dry-run checks the command on a CPU"
    )
    assert list(tmp_path.iterdir()) == []


def test_dry_run_writes_an_entry_the_loader_reads(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    out_path = tmp_path / "dry-gpu.yaml"
    done = _run("--dry-run", "--name", "dry-gpu", "--output", str(out_path))
    assert done.returncode == 0, done.stderr[-2000:]
    spec = load_hardware_file(out_path)  # the name equals the file's stem, as packaged entries must
    cal = spec.calibration
    assert cal is not None
    assert spec.name == "dry-gpu"
    assert cal.measured is False  # a dry run is never a measurement
    assert cal.how_measured.startswith("DRY RUN on the CPU")
    assert "STAND-IN" in spec.tensor_core_bf16_tflops.source
    assert cal.kernel_curves is not None
    assert cal.kernel_curves.how_measured.startswith("DRY RUN")
    for key in ("host.enqueue.launch_us", "host.sync_us", "host.module.launch_us", "host.module.call_us",
                "host.eager_start_us"):  # fmt: skip
        assert calibration_constant(cal, key) is not None, key
    # the raw measurements beside it, labelled as a dry run, with every section and the entry
    raw = json.loads((tmp_path / "dry-gpu.raw.json").read_text(encoding="utf-8"))
    assert (raw["dry_run"], raw["measured"]) == (True, False)
    assert raw["note"].startswith("DRY RUN")
    assert set(raw["section_seconds"]) == {"peaks", "curves", "graphs", "host"}
    assert raw["graphs"]["stand_in"] is True
    assert raw["host"]["stand_in"] is True
    assert raw["entry"]["name"] == "dry-gpu"
    assert raw["peaks"]["matmul"]["flops_per_run"] == 2 * 128**3  # the dry-run size: 4_194_304
    assert "calibration of DRY RUN" in done.stdout
    assert "[" in done.stderr  # progress lines go to stderr


def test_dry_run_with_a_known_datasheet_keeps_its_sources(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    out_path, raw = tmp_path / "entry.yaml", tmp_path / "raw" / "r.json"
    done = _run("--dry-run", "--name", "h200", "--datasheet", "h200", "--output", str(out_path), "--raw", str(raw))
    assert done.returncode == 0, done.stderr[-2000:]
    assert "the file's stem is not 'h200'" in done.stderr
    spec = load_hardware_file(out_path, check_name=False)
    assert spec.tensor_core_bf16_tflops.source == "NVIDIA H200 Tensor Core GPU datasheet (H200 SXM column)"
    assert spec.calibration is not None
    assert spec.calibration.measured is False
    assert json.loads(raw.read_text(encoding="utf-8"))["datasheet"]["known_entry"] == "h200"


def test_host_from_refuses_a_dry_run(tmp_path: Path) -> None:
    dry = tmp_path / "dry.raw.json"
    dry.write_text(json.dumps({"schema": "llm-perf-opt/calibration-run/v1", "measured": False, "entry": {}}))
    out = _run("--name", "x", "--output", str(tmp_path / "x.yaml"), "--host-from", str(dry), "--dry-run")
    assert out.returncode == 2
    assert out.stderr.strip().endswith("a dry run; give a run measured on a GPU")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dry.raw.json"]


def test_the_h200_entry_pools_its_host_over_eleven_runs() -> None:
    # the committed run's own module cost (13.99 us per kernel, 15.26 per torch call: a slow host) and the ten
    # earlier runs' (15.66, 10.85, 12.15, 9.763, 9.041, 14.7, 7.798, 8.013, 7.096, 8.33 and 4.2, 6.432, 5.624, 5.688,
    # 6.779, 9.733, 5.902, 5.356, 3.635, 7.559) give the medians of eleven, 9.763 and 5.902; the factor is the median
    # of the three runs that timed it (1.062, 1.048, 1.063); the operator classes' extra costs the median of the two
    # that timed them, e.g. SDPA (3.13 + 11.2) / 2 = 7.165 us, argsort (-5.337 - 7.0) / 2 = -6.1685; this run's own
    # SDPA extra is 59.255 - 34.064 - 13.990 x (2 - 1) = 11.20 us; the GPU's floor is this run's
    raw = json.loads((RAW / "raw-calibration.json").read_text(encoding="utf-8"))
    assert [r["file"] for r in raw["host_pool"]] == [
        "previous-2026-12-03.raw.json", "repeat-1.raw.json", "repeat-2.raw.json", "repeat-0.raw.json",
        "earlier-2026-12-04.raw.json", "lease-d.raw.json", "lease-e.raw.json", "lease-f.raw.json",
        "lease-g.raw.json",
        "raw-calibration.json",  # the run committed before, since renamed lease-h.raw.json
    ]  # fmt: skip
    assert round(raw["host"]["module_launch_us"], 2) == 13.99
    assert round(raw["host"]["op_extra_us"]["sdpa"], 2) == 11.2
    spec = load_hardware_file(Path(__file__).resolve().parents[2] / "conf" / "hardware" / "h200.yaml")
    cal = spec.calibration
    assert cal is not None
    assert calibration_constant(cal, "host.module.launch_us") == 9.763
    assert calibration_constant(cal, "host.module.call_us") == 5.902
    assert calibration_constant(cal, "host.module.no_grad_factor") == 1.062
    assert calibration_constant(cal, "host.module.sdpa_extra_us") == 7.165
    assert calibration_constant(cal, "host.module.sort_extra_us") == -6.168
    assert calibration_constant(cal, "min_kernel_us") == 0.8867
    assert "median of this run's and 10 earlier runs'" in cal.how_measured
    assert pooled_run(RAW / "lease-h.raw.json")["constants"]["host.module.sdpa_extra_us"] == 3.13
    assert pooled_run(RAW / "lease-g.raw.json")["constants"]["host.module.launch_us"] == 7.096


def test_host_from_takes_each_runs_own_measurements() -> None:
    # a run of 2026-12-03, whose entry still had the former flat host keys: its own 15.66 us per kernel
    first = pooled_run(RAW / "previous-2026-12-03.raw.json")
    assert first["constants"]["host.module.launch_us"] == 15.66
    assert first["constants"]["host.module.call_us"] == 4.2
    # a run that pooled five others: its entry has their medians (10.31), its own host measured 7.798
    pooled = pooled_run(RAW / "lease-e.raw.json")
    assert pooled["constants"]["host.module.launch_us"] == 7.798
    assert (
        json.loads((RAW / "lease-e.raw.json").read_text())["entry"]["calibration"]["host"]["module"]["launch_us"]
        == 10.31
    )
