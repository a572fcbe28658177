"""The hardware database: every entry loads, carries its sources, and the loader is strict."""

from __future__ import annotations

import re
from pathlib import Path

import attrs
import pytest
import yaml

from llm_perf_opt.contracts.hardware_converter import structure_hardware, unstructure_hardware
from llm_perf_opt.data.execution_kinds import EXECUTION_KINDS
from llm_perf_opt.data.hardware import (
    CALIBRATION_CONSTANTS,
    FIGURE_FIELDS,
    MOVED_CONSTANTS,
    PARAMETER_FIELDS,
    Calibration,
    EnqueueCost,
    HostCosts,
    ModuleCost,
)
from llm_perf_opt.hardware.rates import (
    DEFAULT_COPY_EFFICIENCY,
    DEFAULT_CUDA_CORE_EFFICIENCY,
    DEFAULT_MATMUL_EFFICIENCY,
    achievable_rates,
    efficiencies,
)
from llm_perf_opt.hardware.registry import HARDWARE_DIR, list_hardware, load_hardware, load_hardware_file

# Datasheet facts (dense bf16 Tensor-Core TFLOP/s with FP32 accumulate, FP32 TFLOP/s, TB/s, GB),
# from the issue and the vendor documents each YAML names.
DATASHEET = {
    "h100-sxm": (989.4, 67.0, 3.35, 80.0),  # H100 datasheet: 1,979 sparse / 2
    "h200": (989.4, 67.0, 4.8, 141.0),  # H200 datasheet: 1,979 sparse / 2
    "a100-40gb": (312.0, 19.5, 1.555, 40.0),
    "a100-80gb": (312.0, 19.5, 2.039, 80.0),
    "l4": (121.0, 30.3, 0.3, 24.0),  # L4 datasheet: 242 sparse / 2
    "rtx-4090": (165.2, 82.6, 1.008, 24.0),  # Ada whitepaper: FP32-accumulate (half of FP16-accumulate 330.3)
    "rtx-5090": (209.5, 104.8, 1.792, 32.0),  # RTX Blackwell whitepaper: FP32-accumulate
}


def test_required_entries_present() -> None:
    assert set(DATASHEET) <= set(list_hardware())


@pytest.mark.parametrize("name", sorted(DATASHEET))
def test_entry_matches_datasheet(name: str) -> None:
    spec = load_hardware(name)
    got = tuple(getattr(spec, f).value for f in FIGURE_FIELDS)
    assert got == DATASHEET[name]


@pytest.mark.parametrize("name", list_hardware())
def test_every_entry_loads_with_sources(name: str) -> None:
    spec = load_hardware(name)
    assert spec.name == name
    for f in FIGURE_FIELDS:
        figure = getattr(spec, f)
        assert figure.dense is True
        assert "NVIDIA" in figure.source  # a named vendor document
    assert spec.calibration is not None
    assert spec.calibration.how_measured.strip()


@pytest.mark.parametrize("name", list_hardware())
def test_cattrs_round_trip(name: str) -> None:
    spec = load_hardware(name)
    assert structure_hardware(unstructure_hardware(spec)) == spec


def test_round_trip_of_measured_calibration() -> None:
    base = load_hardware("h100-sxm")
    cal = Calibration(
        measured=True,
        how_measured="calibrate.py",
        matmul_tflops=790.0,
        copy_tbps=3.0,
        min_kernel_us=1.9,
        host=HostCosts(sync_us=12.0, enqueue=EnqueueCost(launch_us=5.5)),
    )
    spec = attrs.evolve(base, calibration=cal)
    data = unstructure_hardware(spec)
    assert data["calibration"]["matmul_tflops"] == 790.0
    assert data["calibration"]["host"]["enqueue"] == {"launch_us": 5.5}
    assert structure_hardware(data) == spec


@pytest.mark.parametrize(("old", "new"), list(MOVED_CONSTANTS.items()))
def test_a_former_flat_host_key_is_refused_naming_its_place(old: str, new: str) -> None:
    """An entry written before the host costs became one record per execution kind is refused with the key and
    where it lives now, not read with a silent guess."""
    data = unstructure_hardware(load_hardware("h100-sxm"))
    data["calibration"][old] = 10.0
    with pytest.raises(ValueError, match=rf"^calibration\.{old}: moved to calibration\.{new} \(") as info:
        structure_hardware(data)
    assert "\n" not in str(info.value)
    assert new in CALIBRATION_CONSTANTS


def test_a_file_with_every_former_flat_key_names_the_first_and_counts_the_rest(tmp_path: Path) -> None:
    text = (HARDWARE_DIR / "h100-sxm.yaml").read_text(encoding="utf-8")
    flat = "".join(f"  {old}: 1.5\n" for old in MOVED_CONSTANTS)
    path = tmp_path / "h100-sxm.yaml"
    path.write_text(re.sub(r"  host:\n(    .*\n)+", flat, text), encoding="utf-8")
    with pytest.raises(ValueError, match=r"^\S+h100-sxm.yaml: calibration.launch_overhead_us") as info:
        load_hardware_file(path)
    assert str(info.value) == (
        f"{path}: calibration.launch_overhead_us: moved to calibration.host.enqueue.launch_us (host costs are one "
        "record per execution kind; docs/calibration.md); 6 more former flat keys @ $.calibration"
    )


def test_unknown_name_lists_known() -> None:
    with pytest.raises(ValueError, match=r"^unknown hardware 'h100'; known: ") as info:
        load_hardware("h100")
    message = str(info.value)
    assert "\n" not in message
    assert message.endswith(", ".join(list_hardware()))


def _write(tmp_path: Path, name: str, data: dict[str, object]) -> Path:
    (tmp_path / f"{name}.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    return tmp_path


def _h100_data() -> dict[str, object]:
    data = yaml.safe_load((HARDWARE_DIR / "h100-sxm.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_unknown_top_level_key_rejected(tmp_path: Path) -> None:
    data = _h100_data()
    data["tdp_watts"] = 700
    _write(tmp_path, "h100-sxm", data)
    with pytest.raises(ValueError, match=r"extra fields found \(tdp_watts\) @ \$"):
        load_hardware("h100-sxm", tmp_path)


def test_unknown_nested_key_rejected(tmp_path: Path) -> None:
    data = _h100_data()
    data["memory_gb"] = {**data["memory_gb"], "sparse": False}  # type: ignore[dict-item]
    _write(tmp_path, "h100-sxm", data)
    with pytest.raises(ValueError, match=r"extra fields found \(sparse\) @ \$\.memory_gb"):
        load_hardware("h100-sxm", tmp_path)


def test_string_bool_rejected(tmp_path: Path) -> None:
    data = _h100_data()
    data["memory_gb"] = {**data["memory_gb"], "dense": "true"}  # type: ignore[dict-item]
    _write(tmp_path, "h100-sxm", data)
    with pytest.raises(ValueError, match=r"expected true or false, got 'true' @ \$\.memory_gb\.dense"):
        load_hardware("h100-sxm", tmp_path)


def test_sparse_figure_rejected(tmp_path: Path) -> None:
    data = _h100_data()
    data["tensor_core_bf16_tflops"] = {**data["tensor_core_bf16_tflops"], "dense": False}  # type: ignore[dict-item]
    _write(tmp_path, "h100-sxm", data)
    with pytest.raises(ValueError, match="only dense"):
        load_hardware("h100-sxm", tmp_path)


def test_name_must_match_file(tmp_path: Path) -> None:
    _write(tmp_path, "other", _h100_data())
    with pytest.raises(ValueError, match="name 'h100-sxm' differs from the file name 'other'"):
        load_hardware("other", tmp_path)


def test_calibration_forms_are_exclusive() -> None:
    with pytest.raises(ValueError, match="measured=True needs matmul_tflops"):
        Calibration(measured=True, how_measured="x", matmul_tflops=700.0)
    with pytest.raises(ValueError, match="measured=False needs matmul_efficiency"):
        Calibration(measured=False, how_measured="x", matmul_efficiency=0.8, copy_efficiency=0.9, copy_tbps=3.0)
    with pytest.raises(ValueError, match=r"copy_efficiency: must be a fraction in \(0, 1\]"):
        Calibration(measured=False, how_measured="x", matmul_efficiency=0.8, copy_efficiency=1.2)


def test_module_call_cost_needs_the_cost_per_kernel() -> None:
    with pytest.raises(ValueError, match=r"^host.module: call_us needs launch_us"):
        ModuleCost(call_us=12.0)
    both = Calibration(
        measured=False, how_measured="x", matmul_efficiency=0.8, copy_efficiency=0.9,
        host=HostCosts(module=ModuleCost(launch_us=12.7, call_us=12.6)),
    )  # fmt: skip
    assert (both.host.module.launch_us, both.host.module.call_us) == (12.7, 12.6)
    assert both.host.of("module") is both.host.module
    with pytest.raises(ValueError, match=r"^unknown execution kind 'python'; allowed: enqueue, module, graph"):
        both.host.of("python")


def test_host_records_are_the_execution_kinds() -> None:
    """One host-cost record per execution kind a runtime profile can name, in that order."""
    kinds = tuple(a.name for a in attrs.fields(HostCosts) if a.name not in ("sync_us", "eager_start_us"))
    assert kinds == EXECUTION_KINDS


def test_rates_unmeasured_defaults_a100_80gb() -> None:
    # datasheet: 312 TFLOP/s bf16 dense, 19.5 TFLOP/s fp32, 2.039 TB/s; no calibration: 0.80 and 0.90 of peak
    rates = achievable_rates(load_hardware("a100-80gb"))
    assert rates.measured is False
    assert rates.tensor_core_flops_per_s == 312e12 * 0.80
    assert rates.memory_bytes_per_s == 2.039 * 1e12 * 0.90  # peak in bytes/s, then the efficiency
    assert rates.cuda_core_flops_per_s == 19.5e12 * DEFAULT_CUDA_CORE_EFFICIENCY


def test_rates_h100_use_the_measured_calibration() -> None:
    # reports/validation/h100/calibration.json: 673.4 TFLOP/s matmul, 3.021 TB/s copy
    rates = achievable_rates(load_hardware("h100-sxm"))
    assert rates.measured is True
    assert rates.tensor_core_flops_per_s == 673.4e12
    assert rates.memory_bytes_per_s == 3.021e12


def test_rates_measured_use_measured_figures() -> None:
    base = unstructure_hardware(load_hardware("h100-sxm"))
    cal = {"measured": True, "how_measured": "calibrate.py", "matmul_tflops": 750.0, "copy_tbps": 2.9}
    spec = structure_hardware({**base, "calibration": cal})
    rates = achievable_rates(spec)
    assert rates.measured is True
    assert rates.tensor_core_flops_per_s == 750.0e12
    assert rates.memory_bytes_per_s == 2.9e12
    assert efficiencies(spec)["tensor_core"] == pytest.approx(750.0 / 989.4, rel=1e-15)


def test_rates_without_calibration_use_module_defaults() -> None:
    base = unstructure_hardware(load_hardware("l4"))
    spec = structure_hardware({**base, "calibration": None})
    rates = achievable_rates(spec)
    assert rates.tensor_core_flops_per_s == 121e12 * DEFAULT_MATMUL_EFFICIENCY
    assert rates.memory_bytes_per_s == 0.3e12 * DEFAULT_COPY_EFFICIENCY


NEW_ENTRIES = {"l40s": 142, "a10g": 72, "h100-pcie": 114, "b200": 148, "rtx-pro-6000-server": 188}
"""The entries added with the portable model and their SM counts (their datasheets)."""


@pytest.mark.parametrize("name", list_hardware())
def test_every_packaged_entry_states_its_datasheet_parameters(name: str) -> None:
    spec = load_hardware(name)
    for key in PARAMETER_FIELDS:
        value = getattr(spec, key)
        assert value is not None, f"{name}.{key}"
        assert value.source.strip(), f"{name}.{key} has no source"
    assert spec.architecture_source.strip()


@pytest.mark.parametrize(("name", "sms"), sorted(NEW_ENTRIES.items()))
def test_new_entries_load(name: str, sms: int) -> None:
    spec = load_hardware(name)
    assert spec.name == name
    assert spec.sm_count is not None
    assert spec.sm_count.value == sms
    assert spec.calibration is not None
    assert not spec.calibration.measured
