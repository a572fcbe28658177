"""DeepSeek-OCR-2 end to end: SAM (net_3 to 896), the query encoder, the projector, the vision
stages, the prefill + LM head and a decode step of the analytic model equal transformers'
``DeepseekOcr2ForConditionalGeneration`` exactly (FlopCounterMode forward Tensor-Core FLOPs on
the meta device, ``sum(p.numel())``) at full size for the 1024-only, 768-only and a 6-crop
workload, and on random small vision configs (hypothesis); the parameter count is the released
checkpoint's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from llm_perf_opt.reference.text import causal_mask, kv_cache
from modelmeter.models.deepseek_ocr.config import ProjectorConfig, SamViTConfig
from modelmeter.models.deepseek_ocr.layers.core import DeepseekOCRDecodeStep
from modelmeter.models.deepseek_ocr.layers.vision import ImageEncoderViT, MlpProjector
from modelmeter.models.deepseek_ocr2.config import DeepseekOCR2Arch, Qwen2EncoderConfig, ocr2_sam_config
from modelmeter.models.deepseek_ocr2.layers.core import DeepseekOCR2Model, DeepseekOCR2VisionStage
from modelmeter.models.deepseek_ocr2.layers.encoder import Qwen2Decoder2Encoder
from modelmeter.models.deepseek_ocr2.workload import OCR2Workload
from modelmeter.validation import check_parity, count_module

META = torch.device("meta")
WORKLOADS = {
    "1024-only": OCR2Workload.from_mode("global-1024", max_new_tokens=1),
    "768-only": OCR2Workload.from_mode("global-768", max_new_tokens=1),
    "6-crops": OCR2Workload.from_mode("dynamic", page=(1654, 2339), max_new_tokens=1),  # A4: 2 x 3 crops
}


def pixels(batch: int, size: int) -> torch.Tensor:
    return torch.empty(batch, 3, size, size, device=META)


def image_features_call(model: Any, w: OCR2Workload) -> tuple[tuple[Any, ...], Callable[..., Any]]:
    """Inputs and callable of transformers' ``get_image_features`` for ``w``'s views."""
    local = pixels(w.batch_size * w.n_crops, w.image_size) if w.n_crops else None
    counts = [w.n_crops] * w.batch_size if w.n_crops else None
    return (pixels(w.batch_size, w.base_size), local, counts), model.model.get_image_features


def test_checkpoint_parameters(arch: DeepseekOCR2Arch, full_ref: Any) -> None:
    """The released checkpoint, counted on transformers' modules and by the analytic model."""
    counted = {
        "sam": full_ref.model.vision_tower.sam_encoder,
        "qwen2": full_ref.model.vision_tower,  # encoder + queries (SAM subtracted below)
        "projector": full_ref.model.multi_modal_projector,
        "text": full_ref.model.language_model,
        "lm_head": full_ref.lm_head,
    }
    n = {k: sum(p.numel() for p in m.parameters()) for k, m in counted.items()}
    n["qwen2"] -= n["sam"]
    stages = DeepseekOCR2Model(arch=arch).stage_layers()
    assert n["sam"] == stages["sam"].params == 94_979_328
    assert n["qwen2"] == stages["qwen2"].params == 358_256_512
    assert n["projector"] == stages["projector"].params == 1_148_160
    assert n["text"] == stages["prefill"].params == 2_769_255_680
    assert n["lm_head"] == stages["lm_head"].params == 165_478_400
    total = sum(p.numel() for p in full_ref.parameters())
    assert total == DeepseekOCR2Model(arch=arch).params == 3_389_119_360  # + view_separator 1,280


@pytest.mark.parametrize(("batch", "size", "grid"), [(1, 1024, 16), (1, 768, 12), (6, 768, 12)])
def test_sam_and_query_encoder(arch: DeepseekOCR2Arch, vision_ref: Any, batch: int, size: int, grid: int) -> None:
    """SAM alone, then the query encoder as (vision tower - SAM): transformers' own forward."""
    sam = ImageEncoderViT(config=arch.sam, batch=batch, image_size=size)
    result = check_parity(sam, vision_ref.sam_encoder, (pixels(batch, size),))
    assert result.ok, result.describe()
    assert (sam.output_channels, sam.output_grid) == (896, grid)
    out = vision_ref.sam_encoder(pixels(batch, size)).last_hidden_state
    assert tuple(out.shape) == (batch, 896, grid, grid)
    tower = count_module(vision_ref, (pixels(batch, size),))
    enc = Qwen2Decoder2Encoder(config=arch.encoder, batch=batch, image_tokens=grid * grid)
    assert tower.forward_flops - result.counted_forward_flops == enc.forward_tensor_core_flops
    assert tower.params - result.counted_params == enc.params
    assert tuple(vision_ref(pixels(batch, size)).last_hidden_state.shape) == (batch, grid * grid, 896)


def test_projector(arch: DeepseekOCR2Arch, full_ref: Any) -> None:
    proj = MlpProjector(config=arch.projector, tokens=6 * 144)
    result = check_parity(proj, full_ref.model.multi_modal_projector, (torch.empty(6, 144, 896, device=META),))
    assert result.ok, result.describe()
    assert result.counted_forward_flops == 2 * 864 * 896 * 1280  # 6 crops * 144 queries


@pytest.mark.parametrize("name", list(WORKLOADS))
def test_vision_stages(arch: DeepseekOCR2Arch, full_ref: Any, name: str) -> None:
    """sam + qwen2 + projector stages == get_image_features (crops first, then the global view)."""
    w = WORKLOADS[name]
    inputs, call = image_features_call(full_ref, w)
    counted = count_module(full_ref.model, inputs, call=call)
    stages = [DeepseekOCR2VisionStage(arch=arch, workload=w, stage=s) for s in ("sam", "qwen2", "projector")]
    assert counted.forward_flops == sum(s.forward_tensor_core_flops for s in stages)
    rows = call(*inputs).pooler_output
    assert [r.shape[0] for r in rows] == [w.image_tokens] * w.batch_size  # 257, 145, 256 + 144*6 + 1 = 1121


@pytest.mark.parametrize("name", list(WORKLOADS))
def test_whole_model(arch: DeepseekOCR2Arch, full_ref: Any, name: str) -> None:
    """Prefill + LM head: the language model over the whole prefill (BOS + 9 prompt tokens + image
    rows) and the LM head on every position, the vendor's rotary product in every attention layer.
    With the vision stages, the whole :class:`DeepseekOCR2Model` (no decode step)."""
    w = WORKLOADS[name]
    seq = w.prefill_tokens

    def text(x: torch.Tensor) -> torch.Tensor:
        position_ids = torch.arange(seq, device=META)[None]
        out = full_ref.model.language_model(
            inputs_embeds=x, attention_mask=causal_mask(1, seq, seq), position_ids=position_ids
        )
        logits: torch.Tensor = full_ref.lm_head(out.last_hidden_state)
        return logits.float()

    counted_text = count_module(full_ref.model.language_model, (torch.empty(1, seq, 1280, device=META),), call=text)
    model = DeepseekOCR2Model(arch=arch, workload=w)
    stages = model.stage_layers()
    head = stages["lm_head"].forward_tensor_core_flops
    assert counted_text.forward_flops == stages["prefill"].forward_tensor_core_flops + head
    inputs, call = image_features_call(full_ref, w)
    counted_vision = count_module(full_ref.model, inputs, call=call)
    assert model.forward_tensor_core_flops == counted_vision.forward_flops + counted_text.forward_flops
    assert stages["decode"].forward_tensor_core_flops == 0  # max_new_tokens = 1: the prefill's logits only


def test_decode_step(arch: DeepseekOCR2Arch, full_ref: Any) -> None:
    """One decode step after the 6-crop prefill (1131 tokens): v1's decode step, unchanged."""
    past = WORKLOADS["6-crops"].prefill_tokens
    lm = full_ref.model.language_model
    cache = kv_cache(lm.config, 1, past)

    def step(x: torch.Tensor) -> torch.Tensor:
        position_ids = torch.tensor([[past]], device=META)
        out = lm(
            inputs_embeds=x,
            past_key_values=cache,
            position_ids=position_ids,
            use_cache=True,
            attention_mask=causal_mask(1, 1, past + 1),
        )
        logits: torch.Tensor = full_ref.lm_head(out.last_hidden_state)
        return logits.float()

    counted = count_module(lm, (torch.empty(1, 1, 1280, device=META),), call=step)
    analytic = DeepseekOCRDecodeStep(config=arch.language, batch=1, kv_len=past + 1)
    assert counted.forward_flops == analytic.forward_tensor_core_flops


@st.composite
def small_archs(draw: st.DrawFn) -> DeepseekOCR2Arch:
    """Small SAM + encoder whose views give 144 or 256 tokens (the query tables' sizes)."""
    kv = draw(st.integers(1, 2))
    heads = kv * draw(st.integers(1, 2))
    width = heads * draw(st.sampled_from([2, 4]))
    sam_heads = draw(st.sampled_from([1, 2]))
    depth = draw(st.integers(1, 2))
    sam: SamViTConfig = ocr2_sam_config(
        img_size=64 * 2,
        patch_size=2,
        embed_dim=sam_heads * 4,
        depth=depth,
        num_heads=sam_heads,
        mlp_ratio=draw(st.sampled_from([1, 2])),
        window_size=draw(st.integers(4, 9)),
        global_attn_indexes=draw(st.sets(st.integers(0, depth - 1))),
        out_chans=4,
        downsample_channels=(draw(st.sampled_from([4, 6])), width),
    )
    encoder = Qwen2EncoderConfig(
        hidden_size=width,
        num_hidden_layers=draw(st.integers(1, 2)),
        num_attention_heads=heads,
        num_key_value_heads=kv,
        intermediate_size=draw(st.integers(1, 8)),
    )
    return DeepseekOCR2Arch(sam=sam, encoder=encoder, projector=ProjectorConfig(input_dim=width, n_embed=1280))


@settings(max_examples=6, deadline=None)
@given(arch=small_archs(), batch=st.integers(1, 2), grid=st.sampled_from([12, 16]))
def test_vision_tower_random_configs(
    vision_builder: Callable[[DeepseekOCR2Arch], Any], arch: DeepseekOCR2Arch, batch: int, grid: int
) -> None:
    """SAM + query encoder == transformers' vision tower on a view giving ``grid^2`` tokens."""
    size = grid * 4 * arch.sam.patch_size
    ref = vision_builder(arch)
    counted = count_module(ref, (pixels(batch, size),))
    sam = ImageEncoderViT(config=arch.sam, batch=batch, image_size=size)
    enc = Qwen2Decoder2Encoder(config=arch.encoder, batch=batch, image_tokens=grid * grid)
    assert counted.forward_flops == sam.forward_tensor_core_flops + enc.forward_tensor_core_flops, f"{arch}"
    assert counted.params == sam.params + enc.params, f"{arch}"
