"""The whole-model PyTorch reference: sizes, module names and what each stage runs."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from llm_perf_opt.reference.model import STAGE_MODULES
from modelmeter.models.deepseek_ocr.workload import OCRWorkload


def test_parameter_count_is_the_checkpoints(meta_reference: Any) -> None:
    # architecture facts, section 1: DeepseekOCRForCausalLM 3,336,106,240; without lm_head 3,170,627,840
    total = sum(p.numel() for p in meta_reference.parameters())
    head = meta_reference.lm_head.weight.numel()
    assert total == 3_336_106_240
    assert total - head == 3_170_627_840
    assert head == 1280 * 129280  # 165,478,400, untied


def test_vendor_module_names_at_the_top_level(meta_reference: Any) -> None:
    names = [n for n, _ in meta_reference.named_children()]
    assert names == [
        "sam_model",
        "vision_model",
        "projector",
        "embed_tokens",
        "layers",
        "norm",
        "rotary_emb",
        "lm_head",
    ]
    params = dict(meta_reference.named_parameters(recurse=False))
    assert sorted(params) == ["image_newline", "view_seperator"]
    assert params["image_newline"].shape == (1280,)


def test_stage_params(meta_reference: Any) -> None:
    # section 1: SAM 95,569,152; CLIP 303,177,728; projector 2,622,720; embed 165,478,400 + 12 layers
    # 2,603,776,000 + norm 1,280 = 2,769,255,680; decode runs the text body and lm_head
    assert meta_reference.stage_params("sam") == 95_569_152
    assert meta_reference.stage_params("clip") == 303_177_728
    assert meta_reference.stage_params("projector") == 2_622_720
    assert meta_reference.stage_params("prefill") == 2_769_255_680
    assert meta_reference.stage_params("lm_head") == 165_478_400
    assert meta_reference.stage_params("decode") == 2_769_255_680 + 165_478_400
    assert set(STAGE_MODULES) == {"sam", "clip", "projector", "prefill", "lm_head", "decode"}
    with pytest.raises(ValueError, match="unknown 'vision'"):
        meta_reference.stage_roots("vision")


@pytest.mark.parametrize(
    ("kwargs", "image_rows"),
    [
        ({"crop_grid": (2, 3)}, 903),  # section 4: 273 + (10*2 + 1) * (10*3)
        ({"crop_grid": (3, 2)}, 893),  # 273 + (10*3 + 1) * (10*2): the grid is not symmetric
        ({"base_size": 1024, "image_size": 1024, "crop_mode": False}, 273),  # 16 * 17 + 1
        ({"base_size": 512, "image_size": 512, "crop_mode": False}, 73),  # 8 * 9 + 1
    ],
)
def test_stages_produce_the_vendors_shapes(meta_reference: Any, kwargs: dict[str, Any], image_rows: int) -> None:
    w = OCRWorkload(**kwargs)
    inputs = meta_reference.make_inputs(w)
    sam = meta_reference.run_sam(*inputs.pixels)
    n = w.base_size // 64  # 16x16 SAM output at 1024
    assert sam.global_view.shape == (1, 1024, n, n)
    assert (sam.crops is None) == (w.n_crops == 0)
    clip = meta_reference.run_clip(sam)
    assert clip.global_view.shape == (1, n * n + 1, 1024)  # CLS + the SAM grid
    image = meta_reference.run_projector(sam, clip, w.crop_grid)
    assert image.shape == (1, image_rows, 1280)
    hidden = meta_reference.run_prefill(inputs.input_ids, image_embeds=image, images_seq_mask=inputs.images_seq_mask)
    assert hidden.shape == (1, 1 + 9 + image_rows, 1280)  # BOS + 9 prompt tokens + image rows
    logits = meta_reference.run_lm_head(hidden)
    assert logits.shape == (1, 1 + 9 + image_rows, 129280)
    assert logits.dtype == torch.float32


def test_decode_step_runs_on_a_cache_of_kv_len_minus_one(meta_reference: Any) -> None:
    cache = meta_reference.decode_cache(kv_len=50, batch=2)
    assert cache.get_seq_length() == 49
    logits = meta_reference.run_decode_step(50, 2, cache=cache)
    assert logits.shape == (2, 1, 129280)
    assert cache.get_seq_length() == 50  # the new token's keys were appended


def test_prefill_needs_exactly_one_input(meta_reference: Any) -> None:
    with pytest.raises(ValueError, match="exactly one"):
        meta_reference.run_prefill()
