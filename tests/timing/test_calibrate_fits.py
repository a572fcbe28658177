"""llm_perf_opt.calibrate's arithmetic, datasheet table and entry: hand-derived numbers written beside them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from llm_perf_opt.calibrate.cli import calibration
from llm_perf_opt.calibrate.curves import HARDWARE_CURVES
from llm_perf_opt.calibrate.entry import canonical, hardware_entry, render_yaml
from llm_perf_opt.calibrate.fits import (
    binary_gb,
    buffer_sets,
    chain_costs,
    copy_tbps,
    eager_start_us,
    efficiency,
    graph_constants,
    matmul_tflops,
    sig,
    summary,
)
from llm_perf_opt.calibrate.gpus import DatasheetError, Overrides, datasheet, known_entry
from llm_perf_opt.contracts.converter import structure
from llm_perf_opt.data.hardware import CALIBRATION_CONSTANTS, Calibration, KernelCurves, calibration_constant
from llm_perf_opt.hardware.registry import HARDWARE_DIR, load_hardware, load_hardware_file
from llm_perf_opt.validation.host_split import module_host_split

ROOT = Path(__file__).resolve().parents[2]
RAW = ROOT / "reports" / "validation" / "h200-calibration"


def test_rates_from_times() -> None:
    # 2 * 8192**3 = 1_099_511_627_776 FLOPs / 1.1e-3 s = 9.9956e14 FLOP/s = 999.56 TFLOP/s
    assert matmul_tflops(8192, 1.1e-3) == pytest.approx(999.5560252509, rel=1e-9)
    # the H200 run's median 1.5828959941864014 ms: 1_099_511_627_776 / 1.5829e-3 = 694.62 TFLOP/s
    assert matmul_tflops(8192, 1.5828959941864014e-3) == pytest.approx(694.6202604683, rel=1e-9)
    # 2 GiB read + 2 GiB written = 4_294_967_296 bytes / 1.012992e-3 s = 4.23988 TB/s
    assert copy_tbps(2**31, 1.012992024421692e-3) == pytest.approx(4.2398826372, rel=1e-9)
    # 694.6 / 989.4 = 0.70204
    assert efficiency(694.6, 989.4) == pytest.approx(0.702041641, rel=1e-9)


def test_summary_and_rounding() -> None:
    s = summary([5.0, 1.0, 4.0, 2.0, 3.0])
    # sorted 1..5: median 3; p10 at position 0.4 -> 1 + 0.4 * (2 - 1) = 1.4; p90 at 3.6 -> 4 + 0.6 = 4.6
    assert (s["median_s"], s["min_s"], s["max_s"], s["runs"]) == (3.0, 1.0, 5.0, 5)
    assert s["p10_s"] == pytest.approx(1.4)
    assert s["p90_s"] == pytest.approx(4.6)
    assert sig(0.88668799400329) == 0.8867  # 4 significant digits
    assert sig(15.6612) == 15.66
    assert sig(None) is None
    with pytest.raises(ValueError, match="no samples"):
        summary([])


def test_buffer_sets_span_four_l2_caches() -> None:
    l2 = 62_914_560  # the H200's 60 MiB L2
    # an 8192^2 bf16 matmul's three operands: 3 * 8192 * 8192 * 2 = 402_653_184 B > 4 * 60 MiB: one set
    assert buffer_sets(3 * 8192 * 8192 * 2, l2) == 1
    # a 1 MiB set: ceil(4 * 62_914_560 / 1_048_576) = ceil(240) = 240, capped at 64
    assert buffer_sets(2**20, l2) == 64
    # a 16 MiB set: ceil(251_658_240 / 16_777_216) = ceil(15.0) = 15
    assert buffer_sets(16 * 2**20, l2) == 15
    assert buffer_sets(100, 0) == 1  # no L2 known (the CPU): one set


def test_graph_launch_and_gap() -> None:
    # 1 kernel: wall 40 us, kernel 1 us -> launch 39 us; 256 kernels: wall 500 us, kernel 246 us -> excess
    # 254 us, 254 - 39 = 215 us over 255 added kernels = 0.843137 us per kernel
    c = chain_costs(wall_1=40e-6, kernel_1=1e-6, wall_n=500e-6, kernel_n=246e-6, n=256)
    assert c["launch_s"] == pytest.approx(39e-6, rel=1e-12)
    assert c["gap_s"] == pytest.approx(215e-6 / 255, rel=1e-9)
    rows = {
        "a": {"launch_s": 30e-6, "gap_s": 0.9e-6},
        "b": {"launch_s": 40e-6, "gap_s": 0.5e-6},
        "c": {"launch_s": 10e-6, "gap_s": 0.7e-6},
        "d": {"launch_s": 20e-6, "gap_s": 0.6e-6},
    }
    # medians of four: (20 + 30) / 2 = 25 us and (0.6 + 0.7) / 2 = 0.65 us
    out = graph_constants(rows)
    assert out["graph_launch_us"] == pytest.approx(25.0)
    assert out["graph_kernel_gap_us"] == pytest.approx(0.65)


def test_unit_conversions() -> None:
    assert eager_start_us(wall_s=60.768e-6, kernel_s=0.949e-6) == pytest.approx(59.819)  # 60.768 - 0.949 us
    # the H200's total_memory 150_109_880_320 B / 2**30 = 139.80 GiB; an 80 GiB card's 85_899_345_920 B: 80.0
    assert binary_gb(150_109_880_320) == 139.8
    assert binary_gb(85_899_345_920) == 80.0


def test_known_gpus_come_from_the_packaged_entries() -> None:
    assert known_entry("NVIDIA H100 80GB HBM3") == "h100-sxm"
    assert known_entry("NVIDIA H100 PCIe") == "h100-pcie"  # other clocks and memory: its own entry
    assert known_entry("NVIDIA H200 NVL") is None  # no entry of its own: not the SXM entry
    sheet = datasheet(device_name="NVIDIA H200", compute_capability="9.0", total_memory_bytes=150_109_880_320)
    before = load_hardware("a100-80gb")  # an entry the calibration never rewrote
    a100 = datasheet(device_name="NVIDIA A100-SXM4-80GB", compute_capability="8.0", total_memory_bytes=1)
    assert a100.tensor_core_bf16_tflops == before.tensor_core_bf16_tflops  # value, source and note kept
    assert a100.memory_gb == before.memory_gb  # the datasheet's 80, not the device's total memory
    assert sheet.header[0].startswith("# NVIDIA H200 SXM 141 GB")
    assert not any(line.startswith("# Generated by") for line in sheet.header)


def test_flags_override_and_unknown_gpus_need_rates() -> None:
    o = Overrides(bf16_tflops=400.0, fp32_tflops=40.0, bandwidth_tbps=2.0, display_name="Card X")
    sheet = datasheet(device_name="NVIDIA X1", compute_capability="8.9", total_memory_bytes=25_769_803_776, overrides=o)
    assert sheet.tensor_core_bf16_tflops.value == 400.0
    assert sheet.tensor_core_bf16_tflops.source == "given on the command line (--bf16-tflops)"
    assert sheet.memory_gb.value == 24.0  # 25_769_803_776 / 2**30 = 24.0 GiB, from the device's properties
    assert (sheet.architecture, sheet.display_name, sheet.known) == ("ada-lovelace", "Card X", None)
    with pytest.raises(DatasheetError, match=r"^unknown GPU 'NVIDIA X1'"):
        datasheet(device_name="NVIDIA X1", compute_capability="8.9", total_memory_bytes=1)
    with pytest.raises(DatasheetError, match="pass --architecture"):
        datasheet(device_name="NVIDIA X1", compute_capability="7.0", total_memory_bytes=1, overrides=o)
    h200 = datasheet(
        device_name="NVIDIA H200", compute_capability="9.0", total_memory_bytes=1, overrides=Overrides(memory_gb=140.0)
    )
    assert (h200.memory_gb.value, h200.memory_bandwidth_tbps.value) == (140.0, 4.8)


def _raw() -> dict[str, Any]:
    """A synthetic run: hand-chosen medians whose constants are derived below."""
    launch = {
        "host_enqueue_per_launch": summary([7e-6]),
        "graph_per_kernel": summary([0.9e-6]),
        "how_measured_host": "h",
        "how_measured_graph": "g",
    }
    host_rows = {
        # wall = call_us * calls + launch_us * kernels with call 4 us, launch 16 us:
        "linear_silu": (600, 600, 600 * 4 + 600 * 16),  # 12_000 us
        "llama_eager": (636, 401, 636 * 4 + 401 * 16),  # 8_960 us
        "llama_sdpa": (557, 343, 557 * 4 + 343 * 16),  # 7_716 us
    }
    host: dict[str, Any] = {
        name: {"torch_calls_per_forward": c, "kernels_per_forward": k, "wall_s_per_forward": w * 1e-6, "runs": 30}
        for name, (c, k, w) in host_rows.items()
    }
    split = module_host_split(host)
    host.update(module_launch_us=split.launch_us, module_call_us=split.call_us, eager_start_us=59.8234)
    pts = [
        {"param": 1, "work": 10, "bytes": 10, "seconds": 1e-6},
        {"param": 2, "work": 100, "bytes": 100, "seconds": 2e-6},
    ]
    sources = [src for src, _ in HARDWARE_CURVES.values()]
    curves = {
        "curves": dict.fromkeys(sources, pts),
        "environment": {"gpu": "GPU X", "torch": "2.x", "cuda": "13.0", "measured_at": "2026-12-03T00:00:00Z"},
        "method": "test",
        "repeats": 20,
    }
    env = {"gpu_name": "GPU X", "driver_version": "580", "torch_version": "2.x", "cuda_version": "13.0"}
    return {
        "environment": env,
        "peaks": {
            "matmul": {"tflops": 694.62026, "how_measured": "m"},
            "copy": {"tbps": 4.2398826, "how_measured": "c"},
            "launch": launch,
            "sync": {"item_ready": summary([8.35349e-6])},
        },
        "curves": curves,
        "graphs": {
            "graph_launch_us": 38.5412,
            "graph_kernel_gap_us": 0.843317,
            "kernels_per_long_chain": 256,
            "timing": "t",
        },
        "host": host,
    }


def test_calibration_block_of_a_run(tmp_path: Path) -> None:
    block = calibration(_raw(), dry_run=False, raw_name="raw.json", seconds=30.0)
    # 4 significant digits of each median; the host split solves the two equations back to 16 and 4 us
    assert (block["measured"], block["matmul_tflops"], block["copy_tbps"]) == (True, 694.6, 4.24)
    assert (block["min_kernel_us"], block["host"]["sync_us"], block["host"]["eager_start_us"]) == (0.9, 8.353, 59.82)
    assert block["host"]["enqueue"] == {"launch_us": 7.0}
    assert block["host"]["module"] == {"launch_us": 16.0, "call_us": 4.0}
    assert block["host"]["graph"] == {"launch_us": 38.54, "kernel_gap_us": 0.8433}
    keys = list(block)
    assert keys[keys.index("copy_tbps") + 1 : keys.index("host") + 1] == ["min_kernel_us", "host"]
    assert "1193 Python-level torch calls, 744 kernels" in block["how_measured"]  # 636 + 557, 401 + 343
    assert block["kernel_curves"]["gemv"]["points"] == [{"work": 10, "us": 1.0}, {"work": 100, "us": 2.0}]
    sheet = datasheet(device_name="NVIDIA H200", compute_capability="9.0", total_memory_bytes=1)
    entry = hardware_entry(name="h200", sheet=sheet, calibration=block)
    path = tmp_path / "h200.yaml"
    path.write_text(render_yaml(entry, header=sheet.header), encoding="utf-8")
    spec = load_hardware_file(path)
    assert spec.calibration is not None
    assert spec.calibration.host.module.call_us == 4.0
    assert canonical(yaml.safe_load(path.read_text(encoding="utf-8"))) == canonical(entry)


def test_dry_run_block_is_unmeasured_and_says_so() -> None:
    block = calibration(_raw(), dry_run=True, raw_name="raw.json", seconds=3.0)
    assert block["measured"] is False
    assert "matmul_tflops" not in block
    assert (block["matmul_efficiency"], block["copy_efficiency"]) == (0.8, 0.9)
    assert block["how_measured"].startswith("DRY RUN on the CPU")
    assert block["kernel_curves"]["how_measured"].startswith("DRY RUN on the CPU")


def test_a_bad_entry_is_refused_before_it_is_written() -> None:
    sheet = datasheet(device_name="NVIDIA H200", compute_capability="9.0", total_memory_bytes=1)
    with pytest.raises(ValueError, match="matmul_tflops"):
        hardware_entry(name="h200", sheet=sheet, calibration={"measured": True, "how_measured": "x"})


def test_committed_h200_entry_is_its_raw_run() -> None:
    raw = json.loads((RAW / "raw-calibration.json").read_text(encoding="utf-8"))
    assert raw["measured"] is True
    assert raw["environment"]["gpu_name"] == "NVIDIA H200"
    for key in ("driver_version", "torch_version", "cuda_version", "transformers_version"):
        assert raw["environment"][key]
    spec = load_hardware_file(HARDWARE_DIR / "h200.yaml")
    cal = spec.calibration
    assert cal is not None
    assert cal.measured is True
    recomputed = calibration(raw, dry_run=False, raw_name="x", seconds=raw["seconds"])
    assert (cal.matmul_tflops, cal.copy_tbps) == (recomputed["matmul_tflops"], recomputed["copy_tbps"])
    again = structure(recomputed, Calibration)
    for key in CALIBRATION_CONSTANTS:
        assert calibration_constant(cal, key) == calibration_constant(again, key), key
    assert cal.kernel_curves is not None
    # the raw run's own copy of the entry (written before the host costs were one record per execution kind)
    assert cal.kernel_curves == structure(raw["entry"]["calibration"]["kernel_curves"], KernelCurves)
    # the datasheet half is the packaged entry's, as before the calibration
    assert (spec.name, spec.tensor_core_bf16_tflops.value, spec.memory_bandwidth_tbps.value) == ("h200", 989.4, 4.8)
    assert spec.memory_gb.value == 141.0
    assert spec.tensor_core_bf16_tflops.source == "NVIDIA H200 Tensor Core GPU datasheet (H200 SXM column)"
