"""Fuzzed DeepSeek-OCR-2 inputs (config.json in the released and the native layout, workload and sweep YAML) and
runtime-profile expressions, through the analyzer's command line. Every case either runs (exit 0) -- and then
what it wrote reads back identically: report.json, summary.json and sweep.json re-serialize to the same text and
hold the model and workload the inputs resolve to -- or is refused by the contract
(:func:`tests.hostile.harness.assert_refused`), within the harness's time and memory bounds.

The expressions are also evaluated in-process on a real layer: a value within the bound or a ``ValueError``,
never another exception, whatever the text.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from attrs import evolve
from hypothesis import given, settings
from hypothesis import strategies as st

from llm_perf_opt.contracts.converter import structure, to_yaml_text
from llm_perf_opt.contracts.runtime_converter import unstructure_profile
from llm_perf_opt.data.sweep import SweepResult
from llm_perf_opt.kernels.expressions import MAX_VALUE, evaluate, parse_expression
from llm_perf_opt.kernels.profiles import resolve_runtime
from llm_perf_opt.planning.sweep import load_sweep_spec, sweep_json_text
from llm_perf_opt.runners.analyzer_inputs import WorkloadFlags, load_model_spec, load_profile, resolve_workload
from llm_perf_opt.runners.dsocr_analyzer import main as analyzer
from modelmeter.layers.linear import Linear
from modelmeter.models.families import FAMILIES, V2
from tests.hostile.harness import assert_ran_or_refused, reads_back, run_bounded
from tests.hostile.inputs import (
    RUNTIME_FIELDS,
    deeply_nested,
    dump_json,
    dump_yaml,
    expressions,
    mutated,
    ocr2_config_json,
    ocr2_native_config_json,
    ocr2_workload_yaml,
    runtime_with_expression,
    values,
    write_files,
)
from tests.hostile.test_fuzz_inputs import EXAMPLES, FUZZ

PROG = "dsocr-analyzer"
FAST = ["--max-new-tokens", "2", "--format", "json"]


def _case_dir(tmp_path: Path) -> Path:
    return Path(tempfile.mkdtemp(dir=tmp_path))


# ---- OCR-2 config.json --------------------------------------------------------------------------------------------

ocr2_values = st.one_of(
    values,
    st.integers(-3, 200),
    st.sampled_from([896, 900, 768, 1280, 10**9, 2**31, 100_000, [1], {"x": 1}, "dense", ["dense", "sparse"]]),
)
ocr2_documents = st.one_of(
    mutated(ocr2_config_json(), extra=ocr2_values, max_changes=2),
    mutated(ocr2_native_config_json(), extra=ocr2_values, max_changes=2),
    st.sampled_from(
        [
            {**ocr2_config_json(), "vision_config": [1]},
            {**ocr2_native_config_json(), "vision_config": {"encoder_config": deeply_nested(60)}},
            {"model_type": "deepseek_ocr2"},
            {"model_type": "deepseek_ocr2", "text_config": {"mlp_layer_types": 5}},
        ]
    ),
)


@FUZZ
@given(ocr2_documents)
def test_fuzzed_ocr2_config_json(tmp_path: Path, document: Any) -> None:
    case = _case_dir(tmp_path)
    model = write_files(case / "model", {"config.json": dump_json(document)})
    out = case / "out"
    outcome = run_bounded(analyzer, ["--model", model, *FAST, "--output-dir", out])
    if assert_ran_or_refused(outcome, prog=PROG, names=["--model", "config.json"], untouched=[out]):
        report, _ = reads_back(out)
        assert report.model == load_model_spec(str(model))


# ---- OCR-2 workload and sweep YAML --------------------------------------------------------------------------------

ocr2_workload_values = st.one_of(
    values,
    st.integers(-2, 40),
    st.sampled_from([768, 1024, 640, 2**16, 2**16 + 16, 2**31, {"rows": 33, "columns": 32}, {"rows": 32, "columns": 32},
                     "dynamic", "global-768", "gundam"]),
)  # fmt: skip


@FUZZ
@given(mutated(ocr2_workload_yaml(), extra=ocr2_workload_values, max_changes=2))
def test_fuzzed_ocr2_workload_yaml(tmp_path: Path, document: Any) -> None:
    case = _case_dir(tmp_path)
    path = case / "workload.yaml"
    path.write_text(dump_yaml(document), encoding="utf-8")
    out = case / "out"
    argv = ["--model", "deepseek-ocr-2", "--workload-profile-id", path, *FAST, "--output-dir", out]
    if assert_ran_or_refused(run_bounded(analyzer, argv), prog=PROG, names=["--workload-profile-id"], untouched=[out]):
        profile, label = load_profile(str(path))
        again = case / "again.yaml"
        again.write_text(to_yaml_text(profile), encoding="utf-8")
        assert load_profile(str(again))[0] == profile
        report, summary = reads_back(out)
        resolved = resolve_workload(profile, WorkloadFlags(max_new_tokens=2), label, FAMILIES[V2])[0]
        assert report.workload == resolved
        assert summary.workload.crop_grid == resolved.crop_grid


def ocr2_sweep_yaml() -> dict[str, Any]:
    """A small OCR-2 sweep (its three modes, two grids, no plots)."""
    return {
        "name": "fuzz-ocr2",
        "description": "a fuzzed OCR-2 sweep",
        "cartesian": {
            "models": ["deepseek-ocr-2"],
            "resolution_modes": ["dynamic", "global-768"],
            "crop_grids": ["3x2", "all"],
            "prompt_tokens": [9],
            "max_new_tokens": [2],
            "batch_sizes": [1],
            "hardware": ["l4"],
            "runtimes": ["roofline"],
        },
        "min_crops": 2,
        "max_crops": 6,
        "plots": False,
    }


@settings(FUZZ, max_examples=max(1, EXAMPLES // 2))
@given(
    mutated(
        ocr2_sweep_yaml(),
        extra=st.one_of(values, st.integers(-2, 40), st.sampled_from(["33x32", "32x32", "all", 1024, 1025, 2**31,
                                                                      "deepseek-ocr", "hf-eager", "gundam"])),
        max_changes=2,
    )
)  # fmt: skip
def test_fuzzed_ocr2_sweep_yaml(tmp_path: Path, document: Any) -> None:
    case = _case_dir(tmp_path)
    path = case / "sweep.yaml"
    path.write_text(dump_yaml(document), encoding="utf-8")
    out = case / "out"
    outcome = run_bounded(analyzer, ["--mode", "sweep", "--sweep", path, "--no-plots", "--output-dir", out])
    if assert_ran_or_refused(outcome, prog=PROG, names=["--sweep", "sweep.yaml"], untouched=[out]):
        spec = load_sweep_spec(path)
        text = (out / "sweep.json").read_text(encoding="utf-8")
        result = structure(json.loads(text), SweepResult)
        assert sweep_json_text(result) == text
        assert result.spec.cartesian == spec.cartesian
        assert result.spec.points == spec.points


# ---- runtime-profile expressions ----------------------------------------------------------------------------------

LAYER = Linear(tokens=913, in_features=1280, out_features=1280)


@settings(FUZZ, max_examples=EXAMPLES * 5)
@given(expressions())
def test_fuzzed_expressions_evaluate_to_a_bounded_integer_or_a_value_error(text: str) -> None:
    try:
        value = evaluate(parse_expression(text), LAYER)
    except ValueError:
        return
    assert isinstance(value, int)
    assert abs(value) <= MAX_VALUE


@settings(FUZZ, max_examples=max(1, EXAMPLES // 2))
@given(st.sampled_from(RUNTIME_FIELDS), expressions(), st.sampled_from(["deepseek-ocr", "deepseek-ocr-2"]))
def test_fuzzed_runtime_expressions(tmp_path: Path, field_name: str, text: str, model: str) -> None:
    case = _case_dir(tmp_path)
    path = case / "runtime.yaml"
    path.write_text(dump_yaml(runtime_with_expression(field_name, text)), encoding="utf-8")
    out = case / "out"
    argv = ["--model", model, "--hardware", "l4", "--runtime", path, *FAST, "--output-dir", out]
    if assert_ran_or_refused(run_bounded(analyzer, argv), prog=PROG, names=["--runtime", "runtime.yaml"],
                             untouched=[out]):  # fmt: skip
        profile = resolve_runtime(str(path))
        again = case / "again.yaml"
        again.write_text(dump_yaml(unstructure_profile(profile)), encoding="utf-8")
        assert resolve_runtime(str(again)) == profile
        reads_back(out)


# ---- the what-if script on an OCR-2 report ------------------------------------------------------------------------


@settings(FUZZ, max_examples=max(1, EXAMPLES // 6))
@given(
    st.sampled_from(["1", "8", "0", "x", str(2**31)]),
    st.sampled_from(["l4", "h100-sxm", "tpu"]),
    st.sampled_from(["roofline", "hf-eager", "hf-sdpa", "fused", "vllm"]),
)
def test_what_if_on_an_ocr2_report_reads_back(tmp_path: Path, batch: str, hardware: str, runtime: str) -> None:
    from llm_perf_opt.contracts.converter import from_json_text, to_json_text
    from llm_perf_opt.planning.what_if import PlanningReport, load_saved_report
    from llm_perf_opt.utils.script_module import load_script

    case = _case_dir(tmp_path)
    assert run_bounded(analyzer, ["--model", "deepseek-ocr-2", *FAST, "--output-dir", case / "run"]).code == 0
    script = load_script(Path(__file__).resolve().parents[2] / "scripts" / "analytical" / "dsocr_analytic_what_if.py")
    out = case / "planning.json"
    argv = [case / "run" / "report.json", "--batch-size", batch, "--hardware", hardware, "--runtime", runtime]
    outcome = run_bounded(script.main, [*argv, "--output", out])
    if assert_ran_or_refused(outcome, prog="dsocr_analytic_what_if", names=[], untouched=[out]):
        text = out.read_text(encoding="utf-8")
        saved = from_json_text(text, PlanningReport)
        assert to_json_text(saved) == text
        again, first = load_saved_report(out), load_saved_report(case / "run" / "report.json")
        assert (again.model, type(again.workload)) == (first.model, type(first.workload))
        assert again.workload == evolve(first.workload, batch_size=int(batch))
