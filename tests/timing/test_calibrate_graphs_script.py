"""scripts/gpu/calibrate_graphs.py: flags, its one-line errors, the launch/gap arithmetic, the committed
H100 reports' consistency with it, and a clean refusal without a GPU."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from llm_perf_opt.utils.script_module import load_script

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "gpu" / "calibrate_graphs.py"
RAW = ROOT / "reports" / "validation" / "h100"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=300)


def _script() -> ModuleType:
    return load_script(SCRIPT)


def test_help_explains_every_flag() -> None:
    out = _run("--help")
    assert out.returncode == 0
    for flag in ("--output", "--kernels", "--runs", "--profile-runs", "--warmup", "--before-graph", "--seed"):
        assert flag in out.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--kernels", "1"), "--kernels must be >= 2"),
        (("--runs", "0"), "--runs must be >= 1"),
        (("--before-graph", "-1"), "--before-graph must be >= 0"),
    ],
)
def test_bad_flags_are_one_line_errors(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    out = _run("--output", str(tmp_path / "g.json"), *args)
    assert out.returncode == 2
    assert message in out.stderr.strip().splitlines()[-1]
    assert not (tmp_path / "g.json").exists()


def test_launch_is_the_one_kernel_excess_and_gap_the_further_excess_per_kernel() -> None:
    # 1 kernel: wall 30 us, kernel 4 us -> launch 26 us; 101 kernels: wall 556 us, kernel 480 us -> excess 76 us,
    # 50 us more than the one-kernel graph's over 100 added kernels -> 0.5 us per kernel
    c = _script().chain_costs(wall_1=30e-6, kernel_1=4e-6, wall_n=556e-6, kernel_n=480e-6, n=101)
    assert c["launch_s"] == pytest.approx(26e-6, rel=1e-12)
    assert c["gap_s"] == pytest.approx(0.5e-6, rel=1e-9)


@pytest.mark.parametrize("name", ["graph-costs", "graph-costs-after"])
def test_committed_reports_follow_from_their_chains(name: str) -> None:
    script = _script()
    report = json.loads((RAW / f"{name}.json").read_text())
    n = report["kernels_per_long_chain"]
    chains = report["chains"]
    assert set(chains) == {f"add_f32_{k}" for k in script.ADD_ELEMENTS} | {
        f"gemv_bf16_{script.GEMV_SIZE}",
        script.MIXED,
    }
    # the walls were taken in interleaved rounds, each replay after another large graph, as the stages were timed
    assert report["timing"] == f"interleaved, each replay after another graph of {report['before_graph']} kernels"
    assert report["before_graph"] == 1024
    for row in chains.values():
        one, many = row["n1"], row[f"n{n}"]
        assert (one["kernels"], many["kernels"]) == (1, n)
        again = script.chain_costs(one["wall_s"], one["kernel_s"], many["wall_s"], many["kernel_s"], n)
        assert again == {"launch_s": row["launch_s"], "gap_s": row["gap_s"]}
    assert report["graph_launch_us"] == statistics.median(r["launch_s"] for r in chains.values()) * 1e6
    assert report["graph_kernel_gap_us"] == statistics.median(r["gap_s"] for r in chains.values()) * 1e6
    assert script.summary(chains) == {k: report[k] for k in ("graph_launch_us", "graph_kernel_gap_us")}


def test_without_a_gpu_it_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch", reason="the script needs torch to look for a GPU")
    if torch.cuda.is_available():
        pytest.skip("a GPU is visible: the no-GPU refusal cannot be checked here")
    out = _run("--output", str(tmp_path / "g.json"))
    assert out.returncode == 2
    assert out.stderr.strip() == "calibrate_graphs.py: error: no CUDA device visible to torch (CUDA graphs need a GPU)"
    assert not (tmp_path / "g.json").exists()
