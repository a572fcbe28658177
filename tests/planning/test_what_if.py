"""What-if: a saved report recomputed for another batch or GPU equals the direct prediction exactly."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from attrs import evolve

from llm_perf_opt.planning.predict import predict
from llm_perf_opt.planning.what_if import load_saved_report, planning_report_text, what_if
from llm_perf_opt.runners.analyzer_inputs import WorkloadFlags, resolve_inputs
from llm_perf_opt.runners.dsocr_analyzer import main as analyzer_main
from llm_perf_opt.utils.script_module import load_script

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "analytical" / "dsocr_analytic_what_if.py"


@pytest.fixture(scope="module")
def analyzer_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("analyzer") / "run"
    assert analyzer_main(["--max-new-tokens", "300", "--format", "json", "--output-dir", str(out)]) == 0
    return out / "report.json"


def test_from_the_analyzer_report_exactly(analyzer_report: Path) -> None:
    saved = load_saved_report(analyzer_report)
    inputs = resolve_inputs(WorkloadFlags(max_new_tokens=300, batch_size=8))
    direct = predict(inputs.spec.arch, inputs.workload, "h100-sxm", page_size=(1654, 2339))
    again = what_if(saved, batch_size=8, hardware="h100-sxm")
    assert again == direct  # every float bit-identical
    assert again.workload.batch_size == 8
    assert again.workload.crop_grid == (2, 3)
    # same batch as saved: the analyzer's own workload
    assert what_if(saved, hardware="l4").workload == resolve_inputs(WorkloadFlags(max_new_tokens=300)).workload


def test_planning_json_round_trip(tmp_path: Path) -> None:
    inputs = resolve_inputs(WorkloadFlags(max_new_tokens=200))
    point = predict(inputs.spec.arch, inputs.workload, "a100-40gb", target_pages_per_day=2e5, memory_utilization=0.8)
    path = tmp_path / "planning.json"
    path.write_text(planning_report_text(point, inputs.spec), encoding="utf-8")
    saved = load_saved_report(path)
    assert what_if(saved) == point  # nothing changed: the same point
    wider = what_if(saved, batch_size=16, hardware="h200")
    assert wider == predict(
        inputs.spec.arch,
        evolve(inputs.workload, batch_size=16),
        "h200",
        target_pages_per_day=2e5,
        memory_utilization=0.8,
    )


def test_errors(tmp_path: Path, analyzer_report: Path) -> None:
    with pytest.raises(ValueError, match=r"--hardware: the saved report names no GPU"):
        what_if(load_saved_report(analyzer_report))
    with pytest.raises(ValueError, match=r"batch_size: must be an integer >= 1, got 0"):
        what_if(load_saved_report(analyzer_report), batch_size=0, hardware="l4")
    bad = tmp_path / "bad.json"
    bad.write_text('{"something": 1}', encoding="utf-8")
    with pytest.raises(ValueError, match=r"neither a planning.json .* nor an analyzer report.json"):
        load_saved_report(bad)
    bad.write_text("{", encoding="utf-8")
    with pytest.raises(ValueError, match=r"not valid JSON"):
        load_saved_report(bad)


def test_script(tmp_path: Path, analyzer_report: Path) -> None:
    out = tmp_path / "p.json"
    ok = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            str(analyzer_report),
            "--batch-size",
            "4",
            "--hardware",
            "l4",
            "--output",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("## Capacity planning: l4\n")
    assert "| largest batch that fits |" in ok.stdout
    assert what_if(load_saved_report(out)) == what_if(load_saved_report(analyzer_report), batch_size=4, hardware="l4")
    bad = subprocess.run(
        [sys.executable, str(SCRIPT), str(analyzer_report), "--hardware", "h100"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2
    assert bad.stdout == ""
    assert bad.stderr.strip().count("\n") == 0
    assert "unknown hardware 'h100'" in bad.stderr


def test_the_script_refuses_bad_inputs_and_outputs_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert analyzer_main(["--max-new-tokens", "3", "--output-dir", str(tmp_path / "run")]) == 0
    capsys.readouterr()
    script = load_script(SCRIPT)
    report = str(tmp_path / "run" / "report.json")
    (tmp_path / "afile").write_text("users")
    cases = [
        ([str(tmp_path / "run" / "summary.json")], "not a report.json or planning.json"),
        ([report, "--hardware", "l4", "--output", str(tmp_path)], "is a directory; give a file path"),
        ([report, "--hardware", "l4", "--output", str(tmp_path / "afile" / "p.json")], "afile"),
        ([report, "--hardware", "l4", "--runtime", "nope"], "--runtime: unknown runtime profile 'nope'"),
    ]
    for argv, why in cases:
        assert script.main(argv) == 2, argv
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1, err
        assert why in err
    assert (tmp_path / "afile").read_text() == "users"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile", "run"]  # nothing half-written
