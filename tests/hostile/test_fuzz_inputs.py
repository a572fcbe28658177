"""Fuzzed input files, through the analyzer's command line: config.json (types, ranges, the fields that must
agree, non-finite and huge numbers, nesting), workload, sweep, hardware and runtime YAML, and the TorchInfo
artifacts. Every case either runs (exit 0) -- and then what it read is written and read back identically -- or
is refused by the contract (:func:`tests.hostile.harness.assert_refused`: exit 2, one line under 300 characters
naming the flag and the file, no traceback, no output directory), within the harness's time and memory bounds.

Bounded for CI: each test draws a fixed number of cases (a refused case costs milliseconds, an accepted one a
fraction of a second), the whole module runs in well under two minutes on two cores.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
from attrs import evolve
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from llm_perf_opt.contracts.converter import structure, to_yaml_text
from llm_perf_opt.contracts.hardware_converter import unstructure_hardware
from llm_perf_opt.contracts.runtime_converter import unstructure_profile
from llm_perf_opt.data.sweep import SweepResult
from llm_perf_opt.hardware.registry import load_hardware_file, resolve_hardware
from llm_perf_opt.kernels.profiles import resolve_runtime
from llm_perf_opt.planning.sweep import load_sweep_spec, sweep_json_text
from llm_perf_opt.runners.analyzer_inputs import WorkloadFlags, load_model_spec, load_profile, resolve_workload
from llm_perf_opt.runners.dsocr_analyzer import main as analyzer
from llm_perf_opt.utils.torchinfo_artifacts import (
    STAGES_JSON,
    SUMMARY_FILE,
    UNIQUE_LAYERS_JSON,
    UNIQUE_LAYERS_MD,
    load_target_operator_list,
    render_stages_json,
    render_unique_layers_json,
    render_unique_layers_md,
)
from tests.hostile.harness import assert_ran_or_refused, reads_back, run_bounded
from tests.hostile.inputs import (
    TEXT_KEYS,
    config_json,
    deeply_nested,
    dump_json,
    dump_yaml,
    flag_values,
    hardware_yaml,
    mutated,
    runtime_yaml,
    sweep_yaml,
    torchinfo_files,
    values,
    workload_yaml,
    write_files,
)

PROG = "dsocr-analyzer"
FAST = ["--max-new-tokens", "2", "--format", "json"]
EXAMPLES = int(os.environ.get("HOSTILE_FUZZ_EXAMPLES", "60"))
"""Cases per test (``HOSTILE_FUZZ_EXAMPLES=2000`` for a longer hunt; the default keeps CI within its budget)."""
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module")
def what_if_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An analyzer report.json (and its summary.json beside it) for the what-if script."""
    out = tmp_path_factory.mktemp("what-if") / "run"
    assert run_bounded(analyzer, [*FAST, "--output-dir", out]).code == 0
    return out / "report.json"


def _case_dir(tmp_path: Path) -> Path:
    """A fresh directory per hypothesis example (the fixture's ``tmp_path`` is shared by the examples)."""
    return Path(tempfile.mkdtemp(dir=tmp_path))


# ---- config.json ------------------------------------------------------------------------------------------------

text_values = st.one_of(values, st.integers(-3, 200), st.sampled_from([1280, 1290, 960, 10**9, 2**31]))
config_documents = st.one_of(
    mutated(config_json(), extra=text_values),
    # the language keys at the top level only, a few of them changed
    st.fixed_dictionaries({}, optional=dict.fromkeys(TEXT_KEYS, text_values)),
    values,
    st.just(deeply_nested(200)),
    st.just({"language_config": deeply_nested(70)}),
)
heads_and_experts = st.fixed_dictionaries(
    {
        "hidden_size": st.sampled_from([64, 96, 120, 128, 1280, 1290]),
        "num_attention_heads": st.integers(-1, 20),
        "num_key_value_heads": st.integers(-1, 20),
        "num_hidden_layers": st.integers(-1, 4),
        "n_routed_experts": st.integers(-1, 8),
        "num_experts_per_tok": st.integers(-1, 9),
        "n_shared_experts": st.integers(-2, 3),
        "first_k_dense_replace": st.one_of(st.integers(-2, 6), st.sampled_from([10**30, 2.5, "1"])),
        "moe_layer_freq": st.integers(-1, 3),
        "rope_theta": st.sampled_from([10000.0, float("inf"), float("nan"), 0, -1, "1e4", 1e308]),
        "projector_config": st.fixed_dictionaries(
            {"input_dim": st.sampled_from([2048, 7]), "n_embed": st.sampled_from([64, 96, 120, 128, 1280])}
        ),
    }
)


def _check_config(tmp_path: Path, config_text: str) -> None:
    case = _case_dir(tmp_path)
    model = write_files(case / "model", {"config.json": config_text})
    out = case / "out"
    outcome = run_bounded(analyzer, ["--model", model, *FAST, "--output-dir", out])
    if assert_ran_or_refused(outcome, prog=PROG, names=["--model", "config.json"], untouched=[out]):
        report, _ = reads_back(out)
        assert report.model == load_model_spec(str(model))


@FUZZ
@given(config_documents)
def test_fuzzed_config_json(tmp_path: Path, document: Any) -> None:
    _check_config(tmp_path, dump_json(document))


@FUZZ
@given(heads_and_experts)
def test_fuzzed_config_cross_fields(tmp_path: Path, document: dict[str, Any]) -> None:
    _check_config(tmp_path, dump_json(document))


@settings(FUZZ, max_examples=max(1, EXAMPLES // 3))
@given(st.binary(max_size=200))
def test_fuzzed_config_bytes(tmp_path: Path, data: bytes) -> None:
    case = _case_dir(tmp_path)
    model = write_files(case / "model", {"config.json": data})
    out = case / "out"
    outcome = run_bounded(analyzer, ["--model", model, *FAST, "--output-dir", out])
    assert_ran_or_refused(outcome, prog=PROG, names=["--model"], untouched=[out])


# ---- workload YAML ----------------------------------------------------------------------------------------------


workload_documents = st.one_of(
    mutated(workload_yaml(), extra=st.one_of(values, st.integers(-2, 5000), st.sampled_from(["gundam", "tiny"]))),
    values,
)


def _check_workload(tmp_path: Path, path: Path, case: Path) -> None:
    out = case / "out"
    outcome = run_bounded(analyzer, ["--workload-profile-id", path, "--format", "json", "--output-dir", out])
    if assert_ran_or_refused(outcome, prog=PROG, names=["--workload-profile-id", path.name], untouched=[out]):
        profile, _ = load_profile(str(path))
        again = case / "again.yaml"
        again.write_text(to_yaml_text(profile), encoding="utf-8")
        assert load_profile(str(again))[0] == profile
        report, _ = reads_back(out)
        assert report.workload == resolve_workload(profile, WorkloadFlags())[0]


@FUZZ
@given(workload_documents)
def test_fuzzed_workload_yaml(tmp_path: Path, document: Any) -> None:
    case = _case_dir(tmp_path)
    path = case / "workload.yaml"
    path.write_text(dump_yaml(document), encoding="utf-8")
    _check_workload(tmp_path, path, case)


@settings(FUZZ, max_examples=max(1, EXAMPLES // 2))
@given(st.one_of(st.binary(max_size=200), st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass"))))
def test_fuzzed_workload_bytes(tmp_path: Path, data: bytes) -> None:
    case = _case_dir(tmp_path)
    path = case / "workload.yaml"
    path.write_bytes(data)
    _check_workload(tmp_path, path, case)


# ---- sweep YAML -------------------------------------------------------------------------------------------------


@FUZZ
@given(mutated(sweep_yaml(), extra=st.one_of(values, st.integers(-2, 12), st.sampled_from(["3x2", "gundam", "l4"]))))
def test_fuzzed_sweep_yaml(tmp_path: Path, document: Any) -> None:
    case = _case_dir(tmp_path)
    path = case / "sweep.yaml"
    path.write_text(dump_yaml(document), encoding="utf-8")
    out = case / "out"
    outcome = run_bounded(analyzer, ["--mode", "sweep", "--sweep", path, "--no-plots", "--output-dir", out])
    if assert_ran_or_refused(outcome, prog=PROG, names=["--sweep", "sweep.yaml"], untouched=[out]):
        spec = load_sweep_spec(path)
        again = case / "again.yaml"
        again.write_text(to_yaml_text(spec), encoding="utf-8")
        assert load_sweep_spec(again) == spec
        text = (out / "sweep.json").read_text(encoding="utf-8")
        result = structure(json.loads(text), SweepResult)
        assert sweep_json_text(result) == text
        assert result.spec == evolve(spec, plots=False)


# ---- hardware and runtime YAML ----------------------------------------------------------------------------------


@FUZZ
@given(mutated(hardware_yaml(), extra=st.one_of(values, st.floats(-10, 2000))))
def test_fuzzed_hardware_yaml(tmp_path: Path, document: Any) -> None:
    case = _case_dir(tmp_path)
    path = case / "gpu.yaml"
    path.write_text(dump_yaml(document), encoding="utf-8")
    out = case / "out"
    outcome = run_bounded(analyzer, ["--hardware", path, *FAST, "--output-dir", out])
    if assert_ran_or_refused(outcome, prog=PROG, names=["--hardware", "gpu.yaml"], untouched=[out]):
        spec = resolve_hardware(str(path))
        again = case / "again.yaml"
        again.write_text(dump_yaml(unstructure_hardware(spec)), encoding="utf-8")
        assert load_hardware_file(again, check_name=False) == spec


@settings(FUZZ, max_examples=max(1, EXAMPLES // 2))
@given(mutated(runtime_yaml(), extra=st.one_of(values, st.sampled_from(["graph", "module", "hf-eager", 0, 1]))))
def test_fuzzed_runtime_yaml(tmp_path: Path, document: Any) -> None:
    case = _case_dir(tmp_path)
    path = case / "runtime.yaml"
    path.write_text(dump_yaml(document), encoding="utf-8")
    out = case / "out"
    outcome = run_bounded(analyzer, ["--hardware", "h100-sxm", "--runtime", path, *FAST, "--output-dir", out])
    if assert_ran_or_refused(outcome, prog=PROG, names=["--runtime", "runtime.yaml"], untouched=[out]):
        profile = resolve_runtime(str(path))
        again = case / "again.yaml"
        again.write_text(dump_yaml(unstructure_profile(profile)), encoding="utf-8")
        assert resolve_runtime(str(again)) == profile


# ---- TorchInfo artifacts ----------------------------------------------------------------------------------------


@st.composite
def torchinfo_sets(draw: st.DrawFn) -> dict[str, str]:
    """The four artifacts with one of them changed: a JSON file mutated, a text file's lines cut, repeated or
    replaced."""
    files = torchinfo_files()
    name = draw(st.sampled_from(sorted(files)))
    if name.endswith(".json"):
        files[name] = dump_json(draw(mutated(json.loads(files[name]), extra=st.one_of(values, st.integers(-1, 60)))))
    else:
        lines = files[name].splitlines()
        i = draw(st.integers(0, len(lines) - 1))
        edit = draw(st.sampled_from(["cut", "repeat", "replace"]))
        if edit == "cut":
            del lines[i]
        elif edit == "repeat":
            lines.insert(i, lines[i])
        else:
            lines[i] = draw(st.one_of(st.text(max_size=80), st.sampled_from(HOSTILE_LINES)))
        files[name] = "\n".join(lines)
    return files


HOSTILE_LINES = [
    "Total params: " + "9" * 5000,
    "Total params: -1",
    "├─Linear (fc): 99-1                       [1, 5]        [1, 6]        30            30",
    "├─Linear (fc): 1-1                       [1, 5]        [1, 6]        3x0            30",
    "**class_name_qualified**: demo.Other",
    "=" * 200,
]


@FUZZ
@given(torchinfo_sets())
def test_fuzzed_torchinfo_artifacts(tmp_path: Path, files: dict[str, str]) -> None:
    case = _case_dir(tmp_path)
    directory = write_files(case / "ti", dict(files))
    out = case / "out"
    outcome = run_bounded(analyzer, ["--torchinfo-dir", directory, *FAST, "--output-dir", out])
    if assert_ran_or_refused(outcome, prog=PROG, names=["--torchinfo-dir", "ti"], untouched=[out]):
        target = load_target_operator_list(directory)
        again = write_files(
            case / "again",
            {
                SUMMARY_FILE: files[SUMMARY_FILE],
                UNIQUE_LAYERS_JSON: render_unique_layers_json(target.run, target.layers),
                UNIQUE_LAYERS_MD: render_unique_layers_md(target.layers),
                STAGES_JSON: render_stages_json(target.run, target.stages),
            },
        )
        reread = load_target_operator_list(again)
        assert (reread.run, reread.layers, reread.rows, reread.stages) == (
            target.run,
            target.layers,
            target.rows,
            target.stages,
        )


# ---- the what-if script's command line --------------------------------------------------------------------------

WHAT_IF_VALUES: dict[str, list[str]] = {
    "--batch-size": ["1", "16", "0", "-3", "1e9", "x", "9" * 5000],
    "--hardware": ["l4", "h100-sxm", "tpu", "./no.yaml", "", "../.."],
    "--runtime": ["roofline", "hf-eager", "fused", "vllm", "", "x" * 400],
    "--target-pages-per-day": ["1e6", "0", "-1", "nan", "inf", "x"],
    "--bogus": ["1"],
}


@settings(FUZZ, max_examples=max(1, EXAMPLES // 2))
@given(
    flag_values(WHAT_IF_VALUES, max_size=3),
    st.sampled_from(["report", "summary", "missing", "directory"]),
)
def test_fuzzed_what_if_command_line(
    tmp_path: Path, what_if_report: Path, pairs: list[tuple[str, str]], saved: str
) -> None:
    from llm_perf_opt.utils.script_module import load_script

    script = load_script(Path(__file__).resolve().parents[2] / "scripts" / "analytical" / "dsocr_analytic_what_if.py")
    report = {
        "report": what_if_report,
        "summary": what_if_report.with_name("summary.json"),
        "missing": what_if_report.with_name("missing.json"),
        "directory": what_if_report.parent,
    }[saved]
    out = _case_dir(tmp_path) / "planning.json"
    outcome = run_bounded(
        script.main, [report, "--hardware", "l4", *(p for pair in pairs for p in pair), "--output", out]
    )
    if assert_ran_or_refused(outcome, prog="dsocr_analytic_what_if", names=[], untouched=[out]):
        assert out.is_file()
