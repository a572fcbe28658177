"""The generated files and the numbers the docs quote are what the tool computes now (the same engine as
``python -m llm_perf_opt.regen --check``), and the check notices a number that drifted."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from llm_perf_opt import regen
from llm_perf_opt.regen import doc_blocks, generated_files, main, orphan_files, stale_files
from llm_perf_opt.visualize.doc_blocks import fill_blocks

REPO = Path(__file__).resolve().parents[2]


def test_every_generated_file_is_up_to_date() -> None:
    files = generated_files(REPO)
    assert stale_files(REPO, files) == []
    assert orphan_files(REPO, files) == []
    # the docs quote tool output in at least these pages
    assert {"docs/capacity-planning.md", "docs/concepts.md"} <= set(doc_blocks(REPO))


def test_a_drifted_number_in_the_docs_is_stale(tmp_path: Path) -> None:
    shutil.copytree(REPO / "docs", tmp_path / "docs")
    shutil.copytree(REPO / "reports" / "bench", tmp_path / "reports" / "bench")
    vendor = Path("reports") / "validation" / "vendor-h200"
    (tmp_path / vendor).mkdir(parents=True)
    for raw in (REPO / vendor).glob("raw-vendor*.json"):
        shutil.copy(raw, tmp_path / vendor / raw.name)
    page = tmp_path / "docs" / "concepts.md"
    text = page.read_text(encoding="utf-8")
    assert "| `sam` | 95,569,152 |" in text  # SAM ViT-B as the checkpoint holds it
    page.write_text(text.replace("| `sam` | 95,569,152 |", "| `sam` | 95,000,000 |"), encoding="utf-8")
    assert stale_files(tmp_path, doc_blocks(tmp_path)) == ["docs/concepts.md"]


def test_an_unknown_block_is_named() -> None:
    with pytest.raises(KeyError, match="unknown generated block 'nope'; known: a"):
        fill_blocks("<!-- generated: nope -->\n<!-- end generated -->\n", {"a": lambda: ""})


def test_check_exits_1_naming_the_stale_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(regen, "GENERATORS", {"layer pages": regen.layer_pages})  # the command, on one generator
    monkeypatch.setattr(regen, "DERIVED", {})
    shutil.copytree(REPO / "docs", tmp_path / "docs")
    shutil.copytree(REPO / "scripts" / "docs", tmp_path / "scripts" / "docs")
    (tmp_path / "docs" / "layers" / "Linear.md").unlink()
    assert main(["--check", "--repo", str(tmp_path)]) == 1
    assert "stale: docs/layers/Linear.md;" in capsys.readouterr().err
    assert main(["--repo", str(tmp_path)]) == 0
    assert main(["--check", "--repo", str(tmp_path)]) == 0
