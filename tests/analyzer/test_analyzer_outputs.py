"""The analytic-mode command: files written, determinism, the summary contract, the printed table."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from llm_perf_opt.contracts.converter import from_json_text, from_yaml_text
from llm_perf_opt.data.analytic_report import AnalyticModelReport
from llm_perf_opt.data.run_manifest import RunManifest
from modelmeter.models.deepseek_ocr.layers.core import DeepseekOCRModel
from modelmeter.models.deepseek_ocr.workload import OCRWorkload

REPO_ROOT = Path(__file__).resolve().parents[2]
STAGE_KEYS = ["tensor_core_flops", "cuda_core_flops", "io_bytes", "weight_bytes", "activation_bytes",
              "kv_cache_bytes", "params"]  # fmt: skip
SUMMARY_KEYS = ["schema_version", "model", "workload", "image_tokens", "prefill_tokens", "total_params", "stages",
                "torchinfo"]  # fmt: skip


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def default_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str, dict[str, bytes]]:
    """Two runs with no argument at all, in fresh interpreters (default output directory under a
    scratch cwd); returns the output directory, the cwd, the first run's stdout and its files."""
    work = tmp_path_factory.mktemp("cwd")
    env = {**os.environ, "PYTHONHASHSEED": "random"}
    outs, trees = [], []
    for _ in range(2):
        proc = subprocess.run(
            [sys.executable, "-m", "llm_perf_opt.runners.dsocr_analyzer"], cwd=work, env=env, capture_output=True,
            text=True, timeout=120, check=True,
        )  # fmt: skip
        outs.append(proc.stdout)
        runs = list((work / "tmp" / "profile-output").iterdir())
        assert len(runs) == 1, "two runs with the same inputs must share one run id"
        trees.append(_tree(runs[0] / "static_analysis" / "analytic_model"))
    assert outs[0] == outs[1]
    assert trees[0].keys() == trees[1].keys()
    assert {k for k in trees[0] if trees[0][k] != trees[1][k]} <= {"manifest.json"}
    return runs[0] / "static_analysis" / "analytic_model", work, outs[0], trees[0]


def test_no_argument_run_writes_every_file(
    default_runs: tuple[Path, Path, str, dict[str, bytes]], standard_report: Any
) -> None:
    out_dir, _, stdout, files = default_runs
    for name in ("report.json", "report.yaml", "summary.json", "report.md", "manifest.json"):
        assert name in files
    pages = {n for n in files if n.startswith("layers/")}
    classes = {type(layer).__name__ for _, layer, _ in DeepseekOCRModel(workload=OCRWorkload(crop_grid=(2, 3))).walk()}
    assert pages == {f"layers/{c}.md" for c in classes}
    # the printed output ends with the stage table and the paths written
    assert stdout.splitlines()[0].split()[0] == "stage"
    for stage in ("sam", "clip", "projector", "prefill", "lm_head", "decode"):
        assert any(line.split()[:1] == [stage] for line in stdout.splitlines())
    assert stdout.rstrip().splitlines()[-1].strip().endswith("layers/ (35 layer pages)".replace("35", str(len(pages))))
    assert str(out_dir.relative_to(default_runs[1]) / "summary.json") in stdout


def test_two_runs_with_flags_are_byte_identical_except_the_manifest(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    assert run_cli("--max-new-tokens", "3", "--output-dir", first).code == 0
    assert run_cli("--max-new-tokens", "3", "--output-dir", second).code == 0
    a, b = _tree(first), _tree(second)
    assert a.keys() == b.keys()
    assert {k for k in a if a[k] != b[k]} <= {"manifest.json"}
    manifest = from_json_text(a["manifest.json"].decode(), RunManifest)
    listed = {f.path: f for f in manifest.files}
    assert set(listed) == set(a) - {"manifest.json"}
    for path, record in listed.items():
        assert record.sha256 == hashlib.sha256(a[path]).hexdigest()
        assert record.bytes == len(a[path])
    assert manifest.command_line[1:] == ("--max-new-tokens", "3", "--output-dir", str(first))
    # re-running onto an existing output replaces it
    assert run_cli("--max-new-tokens", "3", "--output-dir", first).code == 0
    assert {k for k, v in _tree(first).items() if v != a[k]} <= {"manifest.json"}


def _integers_only(value: Any, path: str = "$") -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _integers_only(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _integers_only(v, f"{path}[{i}]")
    else:
        assert not isinstance(value, float), f"{path} is a float"


def test_summary_is_the_stable_contract(default_runs: tuple[Path, Path, str, dict[str, bytes]]) -> None:
    summary = json.loads((default_runs[0] / "summary.json").read_text())
    assert list(summary) == SUMMARY_KEYS
    assert summary["schema_version"] == "3"  # 2: the page block (with --hardware); 3: its error band
    assert summary["model"] == "deepseek-ai/DeepSeek-OCR"
    assert list(summary["stages"]) == ["sam", "clip", "projector", "prefill", "lm_head", "decode"]
    for stage in summary["stages"].values():
        assert list(stage) == STAGE_KEYS
        assert all(type(v) is int for v in stage.values())
    _integers_only(summary)
    assert summary["torchinfo"] is None
    # A4 portrait 1654x2339 -> grid 2 across x 3 down: 16*17 + 1 + (10*2 + 1) * (10*3) = 903
    assert summary["workload"]["crop_grid"] == {"rows": 3, "columns": 2}
    assert summary["image_tokens"] == 903
    assert summary["prefill_tokens"] == 1 + 9 + 903
    # parameters, deepseek-ocr-architecture.md section 1
    assert summary["total_params"] == 3_336_106_240
    params = {k: v["params"] for k, v in summary["stages"].items()}
    assert params == {
        "sam": 95_569_152,
        "clip": 303_177_728,
        "projector": 2_622_720,
        "prefill": 165_478_400 + 2_603_776_000 + 1_280,  # embed + 12 layers + norm
        "lm_head": 165_478_400,
        # a step uses the body and the LM head (the prefill's and lm_head's weights, read again)
        "decode": 165_478_400 + 2_603_776_000 + 1_280 + 165_478_400,
    }
    # decode re-uses weights: each parameter once, + image_newline, view_seperator
    assert sum(v for k, v in params.items() if k != "decode") + 2 * 1280 == summary["total_params"]
    # the decode stage holds the final KV cache: 2 x 12 layers x 10 heads x 128 x (913 + 999 tokens) x 2 bytes
    assert summary["stages"]["decode"]["kv_cache_bytes"] == 2 * 12 * 10 * 128 * (913 + 999) * 2
    # the LM head over all 913 prefill positions: 2 * 913 * 1280 * 129280
    assert summary["stages"]["lm_head"]["tensor_core_flops"] == 2 * 913 * 1280 * 129_280
    assert summary["stages"]["lm_head"]["weight_bytes"] == 165_478_400 * 2  # bf16


def test_report_json_and_yaml_round_trip_to_the_same_record(
    default_runs: tuple[Path, Path, str, dict[str, bytes]], standard_report: AnalyticModelReport
) -> None:
    out_dir = default_runs[0]
    from_json = from_json_text((out_dir / "report.json").read_text(), AnalyticModelReport)
    from_yaml = from_yaml_text((out_dir / "report.yaml").read_text(), AnalyticModelReport)
    assert from_json == from_yaml == standard_report


def test_report_totals_add_up(standard_report: AnalyticModelReport) -> None:
    r = standard_report
    assert r.nodes[0].id == ""
    assert r.nodes[0].parent is None
    ids = [n.id for n in r.nodes]
    assert len(ids) == len(set(ids))
    by_id = {n.id: n for n in r.nodes}
    for node in r.nodes[1:]:
        assert node.parent in by_id  # every parent precedes its children
        assert ids.index(node.parent) < ids.index(node.id)
    assert [s.stage for s in r.stages] == ["sam", "clip", "projector", "prefill", "lm_head", "decode"]
    total_flops = sum(s.metrics.forward_tensor_core_flops for s in r.stages)
    assert total_flops == r.total.forward_tensor_core_flops
    # decode re-uses the prefill's and lm_head's weights: each parameter counts once in the total
    assert sum(s.metrics.params for s in r.stages if s.stage != "decode") + 2 * 1280 == r.total.params
    root_split = {om.category.value: om.metrics.forward_tensor_core_flops for om in r.nodes[0].categories}
    assert sum(root_split.values()) == r.total.forward_tensor_core_flops
    assert r.workload_overrides == ()


def test_report_markdown_links_every_layer_page(default_runs: tuple[Path, Path, str, dict[str, bytes]]) -> None:
    out_dir = default_runs[0]
    text = (out_dir / "report.md").read_text()
    for page_file in (out_dir / "layers").iterdir():
        assert f"(layers/{page_file.name})" in text
    for heading in ("## Stages", "## Top modules by forward FLOPs", "## Top modules by forward I/O bytes",
                    "## Operator-category shares", "## Module hierarchy"):  # fmt: skip
        assert heading in text
    page = (out_dir / "layers" / "Linear.md").read_text()
    assert page.startswith("# Linear\n")
    assert "## Formulas" in page
    assert "## Numbers (one call" in page


def test_analytic_run_in_a_subprocess_never_imports_torch(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from llm_perf_opt.runners.dsocr_analyzer import main\n"
        f"rc = main(['--mode', 'analytic', '--format', 'json', '--output-dir', {str(tmp_path / 'o')!r}])\n"
        "bad = [m for m in sys.modules if m == 'torch' or m.startswith('torch.')]\n"
        "print(rc, len(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip().splitlines()[-1] == "0 0", out.stdout + out.stderr
