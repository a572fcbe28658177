"""Vision layers vs the TorchInfo capture of the real checkpoint (Gundam page: SAM/CLIP/projector on
4 crops of 640 then on the 1024 global view): per-module parameters, shapes, convolution MACs and
module paths."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from modelmeter.layers import Conv2d
from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch
from modelmeter.models.deepseek_ocr.layers.vision import ImageEncoderViT, MlpProjector, VitModel
from modelmeter.models.deepseek_ocr.layers.vision.block import ATTN_RESIDUAL, MLP_RESIDUAL
from modelmeter.models.deepseek_ocr.layers.vision.clip_vision_embeddings import POSITION_ADD
from modelmeter.models.deepseek_ocr.layers.vision.image_encoder_vit import POS_EMBED_ADD
from modelmeter.models.deepseek_ocr.layers.vision.no_tp_feed_forward import QUICK_GELU

ROW = re.compile(r"[├└]─(?P<cls>\w+) \((?P<var>[\w.]+)\): [\d-]+\s{2,}(?P<rest>.*)$")
"""One module row of torchinfo-summary.txt: class, variable name, then the columns below."""
COLUMNS = ("inp", "out", "params", "kernel", "macs")

PSEUDO = {"sdpa", ATTN_RESIDUAL, MLP_RESIDUAL, POS_EMBED_ADD, POSITION_ADD, QUICK_GELU}
"""Analytic children that are functional calls, not modules (absent from TorchInfo)."""


def _rows(reference: Path) -> list[dict[str, str]]:
    rows = []
    for line in (reference / "torchinfo-summary.txt").read_text(encoding="utf-8").splitlines():
        match = ROW.search(line)
        if match:
            cells = re.split(r"\s{2,}", match["rest"].strip())
            rows.append({"cls": match["cls"], "var": match["var"], **dict(zip(COLUMNS, cells, strict=True))})
    return rows


def _num(value: str) -> int:
    return int(value.replace(",", ""))


def _first(rows: list[dict[str, str]], cls: str, var: str, inp: str | None = None) -> dict[str, str]:
    for row in rows:
        if row["cls"] == cls and row["var"] == var and (inp is None or row["inp"] == inp):
            return row
    raise AssertionError(f"no TorchInfo row {cls} ({var}) input {inp}")


@pytest.fixture
def rows(torchinfo_reference_dir: Path) -> list[dict[str, str]]:
    return _rows(torchinfo_reference_dir)


def test_sam_module_params(rows: list[dict[str, str]]) -> None:
    sam = ImageEncoderViT(config=DeepseekOCRArch().sam, batch=4, image_size=640)
    by_path = {path: layer for path, layer, _ in sam.walk()}
    # TorchInfo books a module's own (non-child) parameters on its row: pos_embed for the encoder
    assert _num(_first(rows, "ImageEncoderViT", "sam_model")["params"]) == sam.own_metrics().params == 3_145_728
    assert _num(_first(rows, "Conv2d", "proj")["params"]) == by_path["patch_embed"].params == 590_592
    for i in range(12):
        assert _num(_first(rows, "Block", str(i))["params"]) == by_path[f"blocks.{i}"].params, f"blocks.{i}"
    assert _num(_first(rows, "Block", "0")["params"]) == 7_091_328
    assert _num(_first(rows, "Block", "2")["params"]) == 7_104_128
    for name, cls in (("0", "Conv2d"), ("1", "LayerNorm2d"), ("2", "Conv2d"), ("3", "LayerNorm2d")):
        assert _num(_first(rows, cls, name)["params"]) == by_path[f"neck.{name}"].params, f"neck.{name}"
    assert _num(_first(rows, "Conv2d", "net_2")["params"]) == by_path["net_2"].params == 1_179_648
    assert _num(_first(rows, "Conv2d", "net_3")["params"]) == by_path["net_3"].params == 4_718_592
    listed = 3_145_728 + 590_592 + 8 * 7_091_328 + 4 * 7_104_128 + 196_608 + 512 + 589_824 + 512 + 1_179_648 + 4_718_592
    assert sam.params == listed == 95_569_152


def test_sam_shapes_and_conv_macs(rows: list[dict[str, str]]) -> None:
    """Both SAM calls of the capture: 4 crops of 640 and the 1024 global view. TorchInfo's
    Mult-Adds of a bias-free convolution is its MAC count = our forward FLOPs / 2."""
    arch = DeepseekOCRArch()
    for batch, size in ((4, 640), (1, 1024)):
        sam = ImageEncoderViT(config=arch.sam, batch=batch, image_size=size)
        enc_row = _first(rows, "ImageEncoderViT", "sam_model", f"[{batch}, 3, {size}, {size}]")
        g = sam.output_grid
        assert enc_row["out"] == f"[{batch}, {sam.output_channels}, {g}, {g}]"
        g_in = size // 16
        by_path = {path: layer for path, layer, _ in sam.walk()}
        for cls, var, path, shape in (
            ("Conv2d", "0", "neck.0", f"[{batch}, 768, {g_in}, {g_in}]"),
            ("Conv2d", "2", "neck.2", f"[{batch}, 256, {g_in}, {g_in}]"),
            ("Conv2d", "net_2", "net_2", f"[{batch}, 256, {g_in}, {g_in}]"),
            ("Conv2d", "net_3", "net_3", f"[{batch}, 512, {g_in // 2}, {g_in // 2}]"),
        ):
            conv = by_path[path]
            assert isinstance(conv, Conv2d)
            assert _num(_first(rows, cls, var, shape)["macs"]) * 2 == conv.forward_tensor_core_flops, path


def test_clip_and_projector(rows: list[dict[str, str]]) -> None:
    arch = DeepseekOCRArch()
    for batch, grid in ((4, 10), (1, 16)):
        clip = VitModel(config=arch.clip, batch=batch, grid=grid)
        row = _first(rows, "VitModel", "vision_model", f"[{batch}, 3, {16 * 4 * grid}, {16 * 4 * grid}]")
        assert row["out"] == f"[{batch}, {clip.seq_len}, 1024]"
        proj_row = _first(rows, "Linear", "layers", f"[{batch}, {grid * grid}, 2048]")
        assert proj_row["out"] == f"[{batch}, {grid * grid}, 1280]"
    clip = VitModel(config=arch.clip, batch=4, grid=10)
    by_path = {path: layer for path, layer, _ in clip.walk()}
    emb = by_path["embeddings"]
    position = by_path["embeddings.position_embedding"]
    # the embeddings row shows its own params plus the never-run patch conv (not a visited child)
    assert _num(_first(rows, "CLIPVisionEmbeddings", "embeddings")["params"]) == emb.params - position.params
    assert _num(_first(rows, "CLIPVisionEmbeddings", "embeddings")["params"]) == 1024 + 602_112 == 603_136
    assert _num(_first(rows, "Embedding", "position_embedding")["params"]) == position.params == 263_168
    assert _num(_first(rows, "LayerNorm", "pre_layrnorm")["params"]) == by_path["pre_layrnorm"].params == 2_048
    proj = MlpProjector(config=arch.projector, tokens=400)
    assert _num(_first(rows, "Linear", "layers", "[4, 100, 2048]")["params"]) == proj.params == 2_622_720


def test_module_paths_match_the_checkpoint(torchinfo_reference_dir: Path) -> None:
    """Every analytic module path is a real instance name and every real vision instance is modelled
    (containers ModuleList/Sequential aside; functional pseudo-children and the never-run patch
    conv, which TorchInfo cannot see, aside)."""
    data = json.loads((torchinfo_reference_dir / "torchinfo-unique-layers.json").read_text(encoding="utf-8"))
    real = {
        name
        for layer in data["layers"]
        if layer["class_name"] not in {"ModuleList", "Sequential"}
        for name in layer["instance_name"]
        if name.split(".")[0] in {"sam_model", "vision_model", "projector"}
    }
    arch = DeepseekOCRArch()
    ours: set[str] = set()
    for prefix, layer in (
        ("sam_model", ImageEncoderViT(config=arch.sam, batch=1, image_size=1024)),
        ("vision_model", VitModel(config=arch.clip, batch=1, grid=16)),
        ("projector", MlpProjector(config=arch.projector, tokens=256)),
    ):
        for path, _, _ in layer.walk(prefix):
            if path.split(".")[-1] not in PSEUDO and path != "vision_model.embeddings.patch_embedding":
                ours.add(path)
    assert ours == real, f"only ours: {sorted(ours - real)[:8]}; only real: {sorted(real - ours)[:8]}"
