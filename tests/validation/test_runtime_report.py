"""The runtime report (llm_perf_opt.validation.runtime_report) on the committed H100 measurements: every
measured point appears under the profile that describes it, the errors and their statistics follow from the
numbers shown, the inputs' constants are the ones used, and the output is deterministic."""

from __future__ import annotations

import json
import math
import statistics
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from llm_perf_opt.data.hardware import calibration_constant
from llm_perf_opt.hardware.registry import load_hardware
from llm_perf_opt.kernels.inventory import kernel_inventory
from llm_perf_opt.kernels.profiles import load_runtime
from llm_perf_opt.kernels.timing import check_shares
from llm_perf_opt.validation import runtime_report
from llm_perf_opt.validation.host_split import module_host_split
from llm_perf_opt.validation.kernel_families import FAMILIES, measured_family, predicted_family
from llm_perf_opt.validation.lease import lease_constants
from llm_perf_opt.validation.points import analytic_layer, load_points

REPO = Path(__file__).resolve().parents[2]
RAW = REPO / "reports" / "validation" / "h100"


def _script() -> ModuleType:
    return runtime_report


@pytest.fixture(scope="module")
def script() -> ModuleType:
    return _script()


@pytest.fixture(scope="module")
def report(script: ModuleType) -> Any:
    return script.build_report(RAW)


def test_each_measured_point_appears_under_its_profile(report: Any, script: ModuleType) -> None:
    """hf-sdpa is compared on every measured point; hf-eager on the decoder stages (its vision entries describe
    the vendor's code, which was not measured)."""
    assert script.DESCRIBED_STAGES["hf-eager"] == ("prefill", "lm_head", "decode")
    profiles = report.summary["profiles"]
    assert list(profiles) == ["hf-sdpa", "hf-eager", "hf-sdpa-graph"]
    for name, variant in (("hf-sdpa", "fused"), ("hf-eager", "hf-eager"), ("hf-sdpa-graph", "fused-graph")):
        prof = profiles[name]
        assert (prof["measured_variant"], prof["raw"]) == (variant, f"raw-{variant}.json")
        stages = script.DESCRIBED_STAGES[variant]
        raw = [p for p in load_points(RAW / f"raw-{variant}.json") if p.stage in stages]
        assert [p["label"] for p in prof["points"]] == [p.label for p in raw]
        assert prof["stages"] == sorted(stages)
        for row, point in zip(prof["points"], raw, strict=True):
            assert row["measured_kernel_s"] == point.measured_kernel_s
            assert row["measured_wall_s"] == point.measured_wall_s
            assert row["kernels_measured"] == point.kernels_per_call


def test_errors_and_statistics_follow_from_the_numbers(report: Any) -> None:
    for prof in report.summary["profiles"].values():
        for key, predicted, measured in (
            ("kernel", "predicted_kernel_s", "measured_kernel_s"),
            ("wall", "predicted_wall_s", "measured_wall_s"),
        ):
            errors = []
            for p in prof["points"]:
                assert p[predicted] > 0
                err = 100.0 * (p[predicted] - p[measured]) / p[measured]
                assert math.isclose(p[f"{key}_error_pct"], err, rel_tol=1e-12)
                errors.append(abs(err))
            assert math.isclose(prof[key]["median_abs_error_pct"], statistics.median(errors), rel_tol=1e-12)
            assert math.isclose(prof[key]["max_abs_error_pct"], max(errors), rel_tol=1e-12)
        for p in prof["points"]:
            assert p["predicted_wall_s"] >= p["predicted_kernel_s"]
            assert math.isclose(sum(p["predicted_family_s"].values()), p["predicted_kernel_s"], rel_tol=1e-9)
            assert math.isclose(sum(p["measured_family_s"].values()), p["measured_kernel_s"], rel_tol=1e-9)


def test_constants_come_from_the_hardware_entry_and_the_host_microbenchmark(report: Any, script: ModuleType) -> None:
    costs = report.summary["launch_costs"]
    cal = load_hardware("h100-sxm").calibration
    assert cal is not None
    assert math.isclose(costs["launch_us"], cal.host.enqueue.launch_us or 0.0, rel_tol=1e-12)
    assert math.isclose(costs["min_kernel_us"], cal.min_kernel_us or 0.0, rel_tol=1e-12)
    assert math.isclose(costs["module_launch_us"], cal.host.module.launch_us or 0.0, rel_tol=1e-12)
    assert costs["kernel_curves"] is (cal.kernel_curves is not None) is True
    host = json.loads((RAW / "host-overhead.json").read_text())
    assert costs["host_us_per_kernel"] == host["host_us_per_kernel"]
    # the entry's module costs are this run's host cases split per kernel and per torch call (4 significant digits)
    split = module_host_split(host)
    assert cal.host.module.launch_us == pytest.approx(split.launch_us, rel=5e-4)
    assert cal.host.module.call_us == pytest.approx(split.call_us, rel=5e-4)
    assert costs["module_call_us"] == pytest.approx(cal.host.module.call_us or 0.0, rel=1e-12)
    # together they are the LlamaModel cases' host time per kernel, at their torch calls per kernel
    llama = [host["llama_eager"], host["llama_sdpa"]]
    per_kernel = split.per_kernel(
        calls=sum(c["torch_calls_per_forward"] for c in llama), kernels=sum(c["kernels_per_forward"] for c in llama)
    )
    assert per_kernel == pytest.approx(host["module_host_us_per_kernel"], rel=1e-12)
    # the eager start is this run's one-kernel host case: its wall less its kernel, to 4 significant digits
    one = host["one_add"]
    assert host["eager_start_us"] == (one["wall_s_per_forward"] - one["kernel_s_per_forward"]) * 1e6
    assert cal.host.eager_start_us == pytest.approx(host["eager_start_us"], rel=5e-4)
    assert costs["eager_start_us"] == pytest.approx(cal.host.eager_start_us, rel=1e-12)
    # the graph constants are the mean of the two graph calibrations bracketing the stage run
    runs = [json.loads((RAW / f"{name}.json").read_text()) for name in ("graph-costs", "graph-costs-after")]
    for key, path in (("graph_launch_us", "host.graph.launch_us"), ("graph_kernel_gap_us", "host.graph.kernel_gap_us")):
        mean = statistics.fmean(r[key] for r in runs)
        assert calibration_constant(cal, path) == pytest.approx(mean, rel=5e-3), key
        assert costs[key] == pytest.approx(calibration_constant(cal, path), rel=1e-12)
    # the entry carries exactly what --lease-constants derives from these files
    lease = lease_constants(RAW)
    assert {key: calibration_constant(cal, key) for key in lease} == lease


def test_graph_replays_launch_the_kernels_of_the_eager_calls() -> None:
    """hf-sdpa-graph reuses hf-sdpa's kernel lists: every replayed point ran the kernels, by name and count, of
    the same eager point; SAM was not captured (its forward copies a host tensor)."""
    eager = {p.label: p for p in load_points(RAW / "raw-fused.json")}
    graph = load_points(RAW / "raw-fused-graph.json")
    assert {p.stage for p in graph} == {"clip", "projector", "prefill", "lm_head", "decode"}
    assert len(graph) == len(eager) - 5
    for p in graph:
        e = eager[p.label]
        assert p.kernels_per_call == e.kernels_per_call, p.label
        assert {k: round(v[0]) for k, v in p.kernels_by_name.items()} == {
            k: round(v[0]) for k, v in e.kernels_by_name.items()
        }, p.label
        assert p.measured_wall_s < e.measured_wall_s


def test_kernel_families_match_the_profiler_except_the_stated_residuals() -> None:
    """``hf-sdpa``'s kernels per family equal the profiler's at every point, except where a residual of
    tests/kernels/test_hf_sdpa_profile.py lies, and in the family that residual names."""
    expected = {
        "sam/tiny": {"memset / memcpy": -1},
        "sam/large": {"memset / memcpy": -8},
        "sam/gundam-2x2": {"memset / memcpy": -8},
        "decode/kv2048/b1": {"attention": -12},
        **{f"prefill/{m}": {FAMILIES[-1]: 7} for m in ("tiny", "small", "base", "large", "gundam-2x2")},
    }
    profile = load_runtime("hf-sdpa")
    for p in load_points(RAW / "raw-fused.json"):
        predicted: Counter[str] = Counter()
        for r in kernel_inventory(analytic_layer(p), profile, path=p.stage).records:
            predicted[predicted_family(r.kernel)] += r.calls
        measured: Counter[str] = Counter()
        for name, (launches, _) in p.kernels_by_name.items():
            measured[measured_family(name)] += round(launches)
        diff = {f: predicted[f] - measured[f] for f in FAMILIES if predicted[f] != measured[f]}
        assert diff == expected.get(p.label, {}), p.label


def test_where_the_time_goes_parts_add_up(report: Any) -> None:
    standard = report.standard
    assert list(standard) == ["hf-sdpa", "hf-eager", "hf-sdpa-graph"]
    for times in standard.values():
        assert list(times) == ["sam", "clip", "projector", "prefill", "lm_head", "decode"]
        assert all(check_shares(rt) for rt in times.values())
    stored = report.summary["where_the_time_goes"]["profiles"]["hf-sdpa"]["decode"]
    assert stored["kernel_launches"] == standard["hf-sdpa"]["decode"].kernel_launches


def test_report_is_deterministic_and_names_every_point(script: ModuleType, report: Any) -> None:
    again = script.build_report(RAW)
    assert script.summary_json(again.summary) == script.summary_json(report.summary)
    text = script.render_markdown(report.summary, report.standard)
    assert text == script.render_markdown(again.summary, again.standard)
    for prof in report.summary["profiles"].values():
        for p in prof["points"]:
            assert f"| {p['label']} |" in text
    assert "### Where the time goes (runtime `hf-sdpa`" in text
    json.loads(script.summary_json(report.summary))  # valid JSON


@pytest.mark.parametrize("name", ["repeat", "check"])
def test_other_lease_reports_use_that_lease_constants(script: ModuleType, name: str) -> None:
    """reports/validation/h100-repeat/ and h100-check/: the same measurement on other leases (h100-check/ taken
    after the host model was settled, as a check), predicted with the host and graph constants measured in that
    lease (the hardware entry's curves and other constants unchanged)."""
    raw = REPO / "reports" / "validation" / f"h100-{name}"
    repeat = script.build_report(raw, lease=True)
    costs = repeat.summary["launch_costs"]
    host = json.loads((raw / "host-overhead.json").read_text())
    graphs = [json.loads((raw / f"{n}.json").read_text()) for n in ("graph-costs", "graph-costs-after")]
    split = module_host_split(host)
    assert costs["module_launch_us"] == pytest.approx(split.launch_us, rel=5e-4)
    assert costs["module_call_us"] == pytest.approx(split.call_us, rel=5e-4)
    assert costs["eager_start_us"] == pytest.approx(host["eager_start_us"], rel=5e-4)
    for key in ("graph_launch_us", "graph_kernel_gap_us"):
        assert costs[key] == pytest.approx(statistics.fmean(g[key] for g in graphs), rel=5e-4)
    # the entry's constants differ: this is another host
    entry = script.build_report(raw).summary["launch_costs"]
    assert entry["module_launch_us"] != costs["module_launch_us"]
    assert repeat.summary["lease_constants"] is True
    # the committed report is this one: python -m llm_perf_opt.regen --check (tests/foundation/test_regen.py)
