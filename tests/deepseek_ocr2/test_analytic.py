"""DeepSeek-OCR-2's analytic model without torch: parameters per component from the released
checkpoint's numbers (derived by hand beside each assertion), the config loaders, the stage
structure, and the torch-free import of the new package.

Where the checkpoint's numbers come from: ``language_config`` / ``vision_config.width`` /
``projector_config`` of deepseek-ai/DeepSeek-OCR-2's ``config.json`` (as quoted by transformers'
``convert_deepseek_ocr2_weights_to_hf.py`` and re-used there), the vendor's
``deepencoderv2`` builders (SAM ``net_3`` 512 -> 896; Qwen2 encoder 24 x (896, 14 heads, 2 KV
heads, 4864); query tables 144 and 256 rows) and the conversion script's ``encoder_config``.
The parity tests count the same totals on transformers' modules (``sum(p.numel())``).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import modelmeter
from modelmeter.models.deepseek_ocr.layers.core import DeepseekOCRDecode
from modelmeter.models.deepseek_ocr2.config import DeepseekOCR2Arch, Qwen2EncoderConfig
from modelmeter.models.deepseek_ocr2.layers.core import STAGES, DeepseekOCR2Model
from modelmeter.models.deepseek_ocr2.layers.encoder import (
    CustomQwen2Decoder,
    Qwen2Attention,
    Qwen2Decoder2Encoder,
    hybrid_visible_keys,
)
from modelmeter.models.deepseek_ocr2.workload import OCR2Workload

SAM = 94_979_328
ENCODER = 358_256_512
PROJECTOR = 1_148_160
VIEW_SEPARATOR = 1_280
TEXT = 2_934_734_080  # v1's language model with its LM head (embed 165,478,400 + 12 layers + norm + lm_head)
TOTAL = 3_389_119_360


def test_component_parameters_by_hand() -> None:
    model = DeepseekOCR2Model(workload=OCR2Workload(crop_grid=(2, 3)))
    stages = model.stage_layers()
    # SAM: v1's 95,569,152 with net_3 512 -> 896 instead of 512 -> 1024 (3x3, no bias)
    assert stages["sam"].params == 95_569_152 - 1024 * 512 * 9 + 896 * 512 * 9 == SAM
    # encoder layer: q 896*896+896, k/v 896*128+128 each, o 896*896, MLP 3*896*4864, 2 norms 2*896
    layer = (896 * 896 + 896) + 2 * (896 * 128 + 128) + 896 * 896 + 3 * 896 * 4864 + 2 * 896
    assert layer == 14_912_384
    # 24 layers + final norm + query_768 144*896 + query_1024 256*896
    assert stages["qwen2"].params == 24 * layer + 896 + (144 + 256) * 896 == ENCODER
    assert stages["projector"].params == 896 * 1280 + 1280 == PROJECTOR
    assert stages["prefill"].params + stages["lm_head"].params == TEXT
    assert model.own_metrics().params == VIEW_SEPARATOR  # no image_newline in OCR-2
    assert model.params == SAM + ENCODER + PROJECTOR + VIEW_SEPARATOR + TEXT == TOTAL


@pytest.mark.parametrize(
    "workload",
    [
        OCR2Workload(crop_mode=False),
        OCR2Workload.from_mode("global-768"),
        OCR2Workload(crop_grid=(3, 2), batch_size=2, max_new_tokens=5),
    ],
)
def test_parameters_do_not_depend_on_the_workload(workload: OCR2Workload) -> None:
    assert DeepseekOCR2Model(workload=workload).params == TOTAL


def test_stages_and_calls() -> None:
    w = OCR2Workload(crop_grid=(3, 2), batch_size=2, max_new_tokens=10, prompt_tokens=9)
    model = DeepseekOCR2Model(workload=w)
    assert tuple(model.stage_layers()) == STAGES
    qwen2 = model.stage_layers()["qwen2"]
    calls = {c.name: (c.layer.batch, c.layer.image_tokens, c.n_instances) for c in qwen2.children()}
    assert calls == {"qwen2_model[crops]": (12, 144, 1), "qwen2_model[global]": (2, 256, 0)}
    prefill = model.stage_layers()["prefill"]
    assert (prefill.q_len, prefill.image_rows) == (1131, 2 * 1121)  # 1 + 9 + 1121; image rows of both pages
    decode = model.stage_layers()["decode"]
    assert isinstance(decode, DeepseekOCRDecode)
    assert (decode.prefill_tokens, decode.steps) == (1131, 9)
    assert model.forward_tensor_core_flops == sum(s.forward_tensor_core_flops for s in model.stage_layers().values())


def test_encoder_flops_by_hand() -> None:
    """One 1024 view: 512 tokens (256 SAM + 256 queries) through 24 layers."""
    cfg = Qwen2EncoderConfig()
    s, h, d = 512, 896, 64
    projections = 2 * s * h * (14 * d + 2 * 2 * d) + 2 * s * 14 * d * h  # q, k, v; o
    core = 2 * 2 * 14 * s * s * d  # QK^T and PV over the full 512 x 512 (explicit mask: all scores computed)
    mlp = 3 * 2 * s * h * 4864
    assert Qwen2Attention(config=cfg, batch=1, seq_len=s).forward_tensor_core_flops == projections + core
    rotary = 2 * (d // 2) * s  # the vendor's inv_freq @ position_ids, once per call
    enc = Qwen2Decoder2Encoder(config=cfg, batch=1, image_tokens=256)
    assert enc.forward_tensor_core_flops == 24 * (projections + core + mlp) + rotary == 388_963_008_512
    # a 768 crop: 144 + 144 = 288 tokens
    crop = Qwen2Decoder2Encoder(config=cfg, batch=1, image_tokens=144)
    assert crop.metrics().params == enc.metrics().params
    assert crop.cached_children()[0].layer.seq_len == 288


def test_hybrid_mask_visible_scores() -> None:
    assert hybrid_visible_keys(256, 256) == 256 * 256 + 256 * 256 + 256 * 257 // 2 == 163_968
    assert hybrid_visible_keys(144, 144) == 144 * 144 * 2 + 144 * 145 // 2 == 51_912


def test_query_tables_only_for_144_and_256_tokens() -> None:
    with pytest.raises(ValueError, match="image_tokens"):
        Qwen2Decoder2Encoder(config=Qwen2EncoderConfig(), batch=1, image_tokens=100)
    assert CustomQwen2Decoder(config=Qwen2EncoderConfig(), batch=1, image_tokens=100, query_tokens=7).seq_len == 107


RELEASED_JSON = {
    "model_type": "deepseek_vl_v2",
    "language_config": {
        "vocab_size": 129280,
        "hidden_size": 1280,
        "intermediate_size": 6848,
        "moe_intermediate_size": 896,
        "num_hidden_layers": 12,
        "num_attention_heads": 10,
        "num_key_value_heads": 10,
        "n_routed_experts": 64,
        "n_shared_experts": 2,
        "num_experts_per_tok": 6,
        "first_k_dense_replace": 1,
        "moe_layer_freq": 1,
        "use_mla": False,
    },
    "vision_config": {
        "image_size": 1024,
        "model_name": "deepencoderv2",
        "width": {
            "sam_vit_b": {
                "width": 768,
                "layers": 12,
                "heads": 12,
                "global_attn_indexes": [2, 5, 8, 11],
                "downsample_channels": [512, 1024],
            },
            "qwen2-0-5b": {"dim": 896},
        },
    },
    "projector_config": {"input_dim": 896, "n_embed": 1280, "projector_type": "linear"},
}
"""The keys of the released config.json this model reads (its vision block says [512, 1024],
informational: the vendor code and the conversion script use 896)."""

NATIVE_JSON = {
    "model_type": "deepseek_ocr2",
    "text_config": {
        **{k: v for k, v in RELEASED_JSON["language_config"].items() if k not in ("first_k_dense_replace", "use_mla")},
        "mlp_layer_types": ["dense"] + ["sparse"] * 11,
    },
    "vision_config": {
        "sam_config": {
            "hidden_size": 768,
            "num_hidden_layers": 12,
            "num_attention_heads": 12,
            "global_attn_indexes": [2, 5, 8, 11],
            "downsample_channels": [512, 896],
        },
        "encoder_config": {
            "hidden_size": 896,
            "num_hidden_layers": 24,
            "num_attention_heads": 14,
            "num_key_value_heads": 2,
            "intermediate_size": 4864,
            "rms_norm_eps": 1e-6,
            "rope_parameters": {"rope_type": "default", "rope_theta": 1000000.0},
            "vocab_size": 1,
        },
    },
}
"""transformers' converted config (``convert_config`` of the conversion script)."""


@pytest.mark.parametrize("config", [RELEASED_JSON, NATIVE_JSON], ids=["released", "native"])
def test_from_hf_config_gives_the_released_architecture(config: dict[str, object]) -> None:
    assert DeepseekOCR2Arch.from_hf_config(config) == DeepseekOCR2Arch()


def test_from_hf_config_errors_name_the_key() -> None:
    with pytest.raises(ValueError, match="projector_type"):
        DeepseekOCR2Arch.from_hf_config({**RELEASED_JSON, "projector_config": {"projector_type": "mlp_gelu"}})
    bad_heads = {**RELEASED_JSON, "vision_config": {"width": {"qwen2-0-5b": {"dim": 900}}}}
    with pytest.raises(ValueError, match=r"config\.json: vision_config\.width\.qwen2-0-5b: hidden_size: 900 is not a"):
        DeepseekOCR2Arch.from_hf_config(bad_heads)


def test_new_package_imports_without_torch() -> None:
    """Every module of modelmeter.models.deepseek_ocr2 imports without pulling torch in."""
    root = Path(modelmeter.__file__).resolve().parent
    pkg = root / "models" / "deepseek_ocr2"
    mods = [
        ".".join(p.relative_to(root.parent).with_suffix("").parts).removesuffix(".__init__")
        for p in sorted(pkg.rglob("*.py"))
    ]
    assert "modelmeter.models.deepseek_ocr2.layers.encoder.qwen2_attention" in mods
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in mods)
        + "print(any(m.split('.')[0] == 'torch' for m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", out.stdout + out.stderr
