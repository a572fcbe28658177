"""The documentation: the notebook page runs as written, the layer pages are current and are the
analyzer's own pages, and every page the nav names exists."""

from __future__ import annotations

import doctest
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from llm_perf_opt.utils.script_module import load_script

REPO_ROOT = Path(__file__).resolve().parents[2]
DOCS = REPO_ROOT / "docs"


def test_notebook_page_runs_as_written() -> None:
    text = (DOCS / "notebook.md").read_text()
    parser = doctest.DocTestParser()
    test = parser.get_doctest(text, {}, "notebook.md", str(DOCS / "notebook.md"), 0)
    assert len(test.examples) >= 15
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    result = runner.run(test)
    assert result.failed == 0


def _gen_layer_pages() -> Any:
    return load_script(REPO_ROOT / "scripts/docs/gen_layer_pages.py")


def test_docs_layer_pages_are_current() -> None:
    gen = _gen_layer_pages()
    assert gen.main(["--check"]) == 0, "docs/layers is stale: run python scripts/docs/gen_layer_pages.py"


def test_docs_layer_pages_are_the_analyzers_pages(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    """docs/layers holds the default run's pages, and the pages of the classes only DeepSeek-OCR-2's default run
    has (the shared classes' pages are DeepSeek-OCR's)."""
    out, out2 = tmp_path / "out", tmp_path / "out2"
    assert run_cli("--format", "json", "--output-dir", out).code == 0
    assert run_cli("--model", "deepseek-ocr-2", "--format", "json", "--output-dir", out2).code == 0
    produced = {p.name: p.read_text() for p in (out / "layers").iterdir()}
    produced |= {p.name: p.read_text() for p in (out2 / "layers").iterdir() if p.name not in produced}
    documented = {p.name: p.read_text() for p in (DOCS / "layers").iterdir() if p.name != "index.md"}
    assert produced == documented
    assert "Qwen2Attention.md" in documented
    assert "VitModel.md" in documented


def test_every_nav_page_exists() -> None:
    config = yaml.safe_load((REPO_ROOT / "mkdocs.yml").read_text())
    pages = [next(iter(item.values())) for item in config["nav"]]
    assert "layers/index.md" in pages
    for page in pages:
        assert (DOCS / page).is_file(), page
