"""module_formulations.md is generated from the layer classes (``python -m llm_perf_opt.regen`` keeps the
committed file current): the generator's ``--check`` notices a stale file, and the page carries every family,
class definition, path and paper section."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from llm_perf_opt.utils.script_module import load_script
from modelmeter.models.deepseek_ocr.layers.decoder import MoEGate
from modelmeter.models.deepseek_ocr.layers.vision import Attention
from modelmeter.models.deepseek_ocr.module_catalog import CATALOG_PATH, load_module_catalog

REPO_ROOT = Path(__file__).resolve().parents[2]
DOC = CATALOG_PATH.with_name("module_formulations.md")


def _generator() -> Any:
    return load_script(REPO_ROOT / "scripts/docs/gen_formulations.py")


def test_check_fails_on_a_stale_file(tmp_path: Path) -> None:
    stale = tmp_path / "module_formulations.md"
    stale.write_text("# old\n")
    assert _generator().main(["--check", "--output", str(stale)]) == 1


def test_document_carries_the_code_and_the_paper() -> None:
    text = DOC.read_text(encoding="utf-8")
    catalog = load_module_catalog()
    for title in catalog.families.values():
        assert f"## {title}" in text
    assert "arXiv:2510.18234" in text
    assert "DeepSeek-OCR: Contexts Optical Compression" in text
    for section in ("Architecture of DeepEncoder", "Multiple resolution support", "The MoE Decoder"):
        assert section in text
    for cls in (Attention, MoEGate):
        assert cls.definition in text
        for formula in cls.formulas.values():
            assert formula.replace("|", "/") in text
    assert "`sam_model.blocks.{i}.attn`" in text  # hierarchy path of the SAM attention
    assert "`layers.{i}.mlp.experts.*`" in text
