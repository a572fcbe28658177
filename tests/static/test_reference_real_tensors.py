"""The reference off the meta device: a small DeepSeek-OCR-shaped model with random bf16
weights runs every stage on real tensors (as the GPU timing does), and verify mode is exact
on an architecture other than the checkpoint's."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from llm_perf_opt.reference.model import DeepseekOCRReference, scatter_image_rows
from llm_perf_opt.runners.verify_mode import compare
from modelmeter.models.deepseek_ocr.config import (
    ClipLConfig,
    DeepseekOCRArch,
    DeepseekV2TextConfig,
    ProjectorConfig,
    SamViTConfig,
)
from modelmeter.models.deepseek_ocr.workload import OCRWorkload

SMALL = DeepseekOCRArch(
    sam=SamViTConfig(depth=4, global_attn_indexes=(1, 3)),
    clip=ClipLConfig(num_layers=2),
    projector=ProjectorConfig(n_embed=128),
    language=DeepseekV2TextConfig(
        hidden_size=128,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
        intermediate_size=256,
        moe_intermediate_size=64,
        n_routed_experts=8,
        num_experts_per_tok=2,
        vocab_size=1000,
    ),
)
# global view 256 px -> 4x4 tokens, crops 128 px -> 2x2 tokens each, grid 2 across x 3 down:
# 4 * 5 + 1 + (2 * 2 + 1) * (2 * 3) = 51 image rows
WORKLOAD = OCRWorkload(base_size=256, image_size=128, crop_grid=(2, 3), prompt_tokens=3, max_new_tokens=5)


@pytest.fixture(scope="module")
def small_cpu() -> Any:
    torch.manual_seed(0)
    return DeepseekOCRReference(SMALL, device="cpu", dtype=torch.bfloat16)


def test_every_stage_runs_on_random_bf16_weights(small_cpu: Any) -> None:
    assert small_cpu.param_dtype == torch.bfloat16
    assert WORKLOAD.image_tokens == 51
    with torch.no_grad():
        out = small_cpu.run_workload(WORKLOAD)
        logits = small_cpu.run_decode_step(WORKLOAD.prefill_tokens + 1, 1)
    assert out["projector"].shape == (1, 51, 128)
    assert out["prefill"].shape == (1, 1 + 3 + 51, 128)
    assert out["lm_head"].shape == (1, 55, 1000)
    assert logits.shape == (1, 1, 1000)
    for t in (*out.values(), logits):
        assert torch.isfinite(t.float()).all()


def test_image_rows_land_on_the_image_positions() -> None:
    embeds = torch.zeros(1, 6, 2)
    image = torch.arange(1.0, 7.0).reshape(1, 3, 2)
    mask = torch.tensor([[False, True, True, True, False, False]])
    out = scatter_image_rows(embeds, image, mask)
    assert out[0, 1:4].tolist() == [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]
    assert out[0, [0, 4, 5]].abs().sum() == 0


def test_verify_is_exact_on_another_architecture() -> None:
    result = compare(SMALL, WORKLOAD)
    assert result.all_zero, [(c.name, c.difference) for c in (*result.stages, *result.layer_classes) if not c.ok]
    # 4 decode steps: t = 1, 2 and 4 counted, the sum extrapolated (affine, checked at t = 2)
    assert result.static.decode.counted_kv_lens == (56, 57, 59)


def test_decode_ids_give_every_sequence_its_own_token(small_cpu: Any) -> None:
    """A batched decode step feeds different tokens (so the batch routes as different tokens do), within the
    vocabulary of 1,000: with the prompt id clipped to 998, batch 4 takes 995..998; a batch beyond the
    vocabulary is refused."""
    ids = small_cpu.decode_ids(4)
    assert ids.shape == (4, 1)
    assert ids.flatten().tolist() == [995, 996, 997, 998]
    assert small_cpu.decode_ids(1).flatten().tolist() == [998]
    with pytest.raises(ValueError, match="decode batch 1001 exceeds the vocabulary"):
        small_cpu.decode_ids(1001)
