"""The module catalog is complete and true: every analytic class has a row and imports, every
analytic module path and every reference module is catalogued, the vendor paths and classes
are the real checkpoint's, and module_catalog.md is rendered from the YAML."""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import re
from pathlib import Path
from typing import Any

import pytest

from llm_perf_opt.runners.verify_mode import vendor_path
from llm_perf_opt.utils.script_module import load_script
from modelmeter.layers.base import BaseLayer
from modelmeter.models.deepseek_ocr import layers as ocr_layers
from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch
from modelmeter.models.deepseek_ocr.layers.core import DeepseekOCRModel
from modelmeter.models.deepseek_ocr.module_catalog import load_module_catalog
from modelmeter.models.deepseek_ocr.workload import OCRWorkload

REPO_ROOT = Path(__file__).resolve().parents[2]
CATALOG = load_module_catalog()


def _load_script(name: str) -> Any:
    return load_script(REPO_ROOT / "scripts" / "docs" / f"{name}.py")


def _analytic_layer_classes() -> set[type[BaseLayer]]:
    found = set()
    for info in pkgutil.walk_packages(ocr_layers.__path__, ocr_layers.__name__ + "."):
        module = importlib.import_module(info.name)
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, BaseLayer) and obj.__module__ == module.__name__ and not inspect.isabstract(obj):
                found.add(obj)
    return found


def test_every_row_imports_its_analytic_class() -> None:
    for row in CATALOG.rows:
        cls = row.analytic_class()  # raises ImportError / AttributeError / TypeError on a bad path
        assert (cls is None) == (row.analytic is None), row.module


def test_every_analytic_layer_class_has_a_row() -> None:
    classes = _analytic_layer_classes()
    assert len(classes) == 27  # vision 13, decoder 5, llama 4, core 5
    catalogued = {row.analytic_class() for row in CATALOG.rows}
    missing = sorted(c.__name__ for c in classes - catalogued)
    assert not missing, f"analytic classes without a module_catalog.yaml row: {missing}"


@pytest.mark.parametrize("attention", ["flash", "eager"])
@pytest.mark.parametrize("grid", [(1, 1), (2, 3)])
def test_every_analytic_node_has_a_row_of_its_class(attention: str, grid: tuple[int, int]) -> None:
    kwargs: dict[str, Any] = {"crop_grid": grid, "attention": attention, "max_new_tokens": 4}
    w = OCRWorkload(**kwargs)
    model = DeepseekOCRModel(arch=DeepseekOCRArch(), workload=w)
    for stage, layer in model.stage_layers().items():
        for path, node, _ in layer.walk(stage):
            cls = type(node).__name__
            vpath = vendor_path(stage, path)
            rows = (
                CATALOG.rows_for_module(vpath)
                if vpath
                else [r for r in CATALOG.rows_for_analytic(cls) if r.is_aggregate]
            )
            assert cls in {r.analytic_name for r in rows}, f"{path} ({cls}) -> {vpath!r}: no catalog row"


def test_every_reference_module_maps_to_one_row(meta_reference: Any) -> None:
    for attention in ("flash", "eager"):
        for fqn, module in meta_reference.named_modules():
            if fqn:
                CATALOG.row_for_reference(fqn, reference_class=type(module).__name__, attention=attention)
    assert CATALOG.vendor_path_of_reference("vision_model.transformer.layers.4.self_attn.k_proj") == (
        "vision_model.transformer.layers.4.self_attn.qkv_proj"
    )
    assert CATALOG.vendor_path_of_reference("rotary_emb") is None
    with pytest.raises(KeyError, match=r"no module_catalog\.yaml row"):
        CATALOG.vendor_path_of_reference("sam_model.not_a_module")


def test_vendor_paths_and_classes_are_the_checkpoints(torchinfo_reference_dir: Path) -> None:
    doc = json.loads((torchinfo_reference_dir / "torchinfo-unique-layers.json").read_text())
    assert len(doc["layers"]) == 29
    for layer in doc["layers"]:
        for name in layer["instance_name"]:
            if not name:
                continue  # the DeepseekOCRModel root
            pattern_path = re.sub(r"experts\.\d+", "experts.*", name)  # "*" stands for every routed expert
            rows = CATALOG.rows_for_module(pattern_path)
            vendor = {r.vendor.rsplit(".", 1)[-1] for r in rows}
            assert layer["class_name"] in vendor, f"{name}: checkpoint class {layer['class_name']}, catalog {vendor}"
