"""``--mode serve``: a short run writes its files with the answer first; bad input is one line, exit 2, nothing
written."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from llm_perf_opt.contracts.converter import from_json_text, to_json_text
from llm_perf_opt.runners.dsocr_analyzer import build_parser
from llm_perf_opt.runners.serve_mode import SERVE_FLAGS
from llm_perf_opt.serving.records import ServeSummary
from tests.analyzer.conftest import CliResult

SHORT = ["--mode", "serve", "--hardware", "l4", "--page-mix", "tiny", "--max-num-seqs", "2,4", "--requests", "12",
         "--output-tokens-mean", "20"]  # fmt: skip


def test_a_short_run_writes_its_files(run_cli: Callable[..., CliResult], tmp_path: Path) -> None:
    out = tmp_path / "serve"
    r = run_cli(*SHORT, "--pages-per-day", "100000", "--gpu-hour-cost", "l4=0.8", "--output-dir", out)
    assert r.code == 0, r.err
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        "manifest.json",
        "plots/throughput-latency-l4.png",
        "plots/throughput-latency-l4.svg",
        "report.md",
        "serve.csv",
        "summary.json",
    ]
    text = (out / "summary.json").read_text()
    assert to_json_text(from_json_text(text, ServeSummary)) == text  # the one converter reads it back
    summary = json.loads(text)
    answer = summary["answer"]
    assert answer == summary["points"][0]
    assert answer["replicas"] == -(-100_000 // (86_400 * answer["pages_per_s"])) == answer["gpus"]
    assert answer["cost_per_million_pages"] == pytest.approx(1e6 * 0.8 / (3600 * answer["pages_per_s"]))
    rows = list(csv.DictReader((out / "serve.csv").open()))
    assert [int(r["max_num_seqs"]) for r in rows] == sorted((2, 4), key=lambda s: -(s == answer["max_num_seqs"]))
    report = (out / "report.md").read_text()
    assert report.splitlines()[2].startswith("Best: **l4**")  # the answer first, under the title
    assert r.out.startswith("Best: l4")
    assert "The best 2:" in r.out  # the console lists the best few


def test_kernel_data_is_an_input_of_the_run(run_cli: Callable[..., CliResult], tmp_path: Path) -> None:
    out = tmp_path / "serve"
    r = run_cli(*SHORT, "--kernel-data", "aiconfigurator", "--no-plots", "--output-dir", out)
    assert r.code == 0, r.err
    assert json.loads((out / "summary.json").read_text())["inputs"]["engine"]["kernel_data"] == "aiconfigurator"
    assert "kernel data `aiconfigurator`" in (out / "report.md").read_text()


def test_every_serve_flag_is_in_the_help() -> None:
    text = build_parser().format_help()
    for flag in SERVE_FLAGS.values():
        assert flag in text, flag


@pytest.mark.parametrize(
    ("argv", "needles"),
    [
        (["--page-mix", "huge"], ["--page-mix", "'huge'", "gundam-m"]),
        (["--page-mix", "gundam:3y2"], ["--page-mix", "ROWSxCOLUMNS"]),
        (["--page-mix", "base:2x2"], ["--page-mix", "no crops"]),
        (["--page-mix", "base=0"], ["--page-mix", "weight"]),
        (["--max-num-seqs", "0"], ["--max-num-seqs", "integers from 1 to 2,147,483,647"]),
        (["--max-num-seqs", "2,4294967296"], ["--max-num-seqs", "integers from 1 to 2,147,483,647"]),
        (["--max-model-len", "9" * 400], ["--max-model-len", "within +-2,147,483,647", "1329-bit integer"]),
        (["--max-num-seqs", "a,b"], ["--max-num-seqs", "integers"]),
        (["--max-num-seqs", "9000"], ["--max-num-seqs", "8192"]),
        (["--gpu-memory-utilization", "1.5"], ["--gpu-memory-utilization", "(0, 1]"]),
        (["--block-size", "0"], ["--block-size"]),
        (
            ["--page-mix", "gundam:3x2", "--scheduler", "v1", "--max-num-batched-tokens", "512"],
            ["--max-num-batched-tokens", "903 image"],
        ),
        (["--max-model-len", "80"], ["--max-model-len", "83 prefill tokens"]),  # tiny: 1 + 9 + 73
        (["--sla-ttft-p90", "-1"], ["--sla-ttft-p90", "> 0"]),
        (["--pages-per-day", "nan"], ["--pages-per-day", "> 0"]),
        (["--output-tokens-cv", "-0.5"], ["--output-tokens-cv", ">= 0"]),
        (["--gpu-hour-cost", "h100-sxm=2"], ["--gpu-hour-cost", "l4"]),
        (["--gpu-hour-cost", "l4=cheap"], ["--gpu-hour-cost", "PRICE"]),
        (["--search-modes", "huge"], ["--search-modes", "gundam-m"]),
        (["--hardware", "tpu"], ["--hardware", "tpu"]),
        (["--runtime", "vllm"], ["--runtime", "fused"]),
        (["--batch-size", "8"], ["--batch-size", "--mode serve"]),
        (["--requests", "0"], ["--requests", ">= 1"]),
        (["--requests", "100001"], ["--requests", "at most 100,000 pages per trace", "got 100,001"]),
        (["--page-mix", "gundam:99x99"], ["--page-mix", "'gundam:99x99'", "at most 1,024 crops"]),
        (["--gpu-memory-utilization", "0.1"], ["--gpu-memory-utilization", "KV cache holds one page"]),
        (["--model", "deepseek-ocr-2"], ["--model", "deepseek-ocr only", "--mode analytic"]),
        (["--scheduler", "v2"], ["--scheduler", "v0"]),
        (["--host-loop", "fast"], ["--host-loop", "vllm-v0-vendor"]),
        (["--kernel-data", "measured"], ["--kernel-data", "aiconfigurator"]),
        (["--kernel-data", "aiconfigurator", "--runtime", "hf-sdpa-graph"], ["--kernel-data", "fused runtime only"]),
        (
            ["--hardware", "l4,a10g", "--kernel-data", "aiconfigurator"],
            ["--kernel-data", "for a10g (compute capability 8.6);", "l40s"],
        ),
        (["--max-num-batched-tokens", "4096"], ["--max-num-batched-tokens", "max_model_len (8192)", "v0"]),
    ],
)
def test_bad_input_is_one_line(
    run_cli: Callable[..., CliResult], tmp_path: Path, argv: list[str], needles: list[str]
) -> None:
    out = tmp_path / "serve"
    base = [a for a in SHORT if a not in ("--hardware", "l4")] if "--hardware" in argv else SHORT
    r = run_cli(*base, *argv, "--output-dir", out)
    assert r.code == 2, r.err
    lines = r.err.splitlines()
    assert len(lines) == 1, r.err
    assert len(lines[0]) <= 300, r.err
    for needle in needles:
        assert needle in lines[0], lines[0]
    assert r.out == ""
    assert not out.exists()


def test_analytic_mode_refuses_serve_flags(run_cli: Callable[..., CliResult], tmp_path: Path) -> None:
    r = run_cli("--page-mix", "tiny", "--output-dir", tmp_path / "x")
    assert r.code == 2
    assert "--page-mix: not used by --mode analytic" in r.err


def test_output_dir_is_checked_before_the_work_and_force_writes_into_it(
    run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep")
    r = run_cli(*SHORT, "--output-dir", out)
    assert (r.code, r.out) == (2, "")
    assert r.err.count("\n") == 1
    assert "--output-dir" in r.err
    assert "--force" in r.err
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]
    r = run_cli(*SHORT, "--no-plots", "--force", "--output-dir", out)
    assert r.code == 0, r.err
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "notes.txt", "report.md", "serve.csv",
                                                     "summary.json"]  # fmt: skip
    assert (out / "notes.txt").read_text() == "keep"


def test_a_longer_model_len_raises_the_v0_budget_as_vllm_does(
    run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    out = tmp_path / "serve"
    r = run_cli(*SHORT, "--no-plots", "--max-model-len", "16384", "--output-dir", out)
    assert r.code == 0, r.err
    engine = json.loads((out / "summary.json").read_text())["inputs"]["engine"]
    assert (engine["max_model_len"], engine["max_num_batched_tokens"], engine["scheduler"]) == (16384, 16384, "v0")


def test_a_search_past_its_work_bound_is_refused_before_writing(
    run_cli: Callable[..., CliResult], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The search spends a step-time grid's fixed share, then each simulation's share and steps; past the bound
    the run ends in one line naming the flags that size the search, and writes nothing."""
    from llm_perf_opt.runners import serve_mode
    from llm_perf_opt.serving.search import GRID_WORK, RUN_WORK

    limit = GRID_WORK + RUN_WORK  # the grid and one simulation's overhead: its first steps pass it
    monkeypatch.setattr(serve_mode, "MAX_SERVE_WORK", limit)
    out = tmp_path / "serve"
    r = run_cli(*SHORT, "--output-dir", out)
    assert r.code == 2, r.err
    (line,) = r.err.splitlines()
    assert len(line) <= 300
    assert f"--requests: 12 pages per trace take the search past {limit:,} units of simulated work" in line
    assert "--max-num-seqs, --search-modes, --tensor-parallel or --hardware" in line
    assert r.out == ""
    assert not out.exists()
