"""Python-level torch calls per layer (the profiles' ``torch_calls``): hand-derived sums for whole stages, and the
inventory against the calls counted on the H100 by ``scripts/gpu/measure_stages.py`` at every measured point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from llm_perf_opt.contracts.runtime_converter import structure_profile
from llm_perf_opt.data.runtime_profile import RuntimeProfile
from llm_perf_opt.kernels.inventory import kernel_inventory
from llm_perf_opt.kernels.profiles import load_runtime
from llm_perf_opt.validation.points import MeasuredPoint, analytic_layer, load_points, unmeasured_point
from modelmeter.layers import Linear

REPO = Path(__file__).resolve().parents[2]
RAW = REPO / "reports" / "validation" / "h100"

HARNESS_PREFILL = 1 + 4
"""The measured prefill starts from ``inputs_embeds``: no embedding call (1) and no image scatter (unsqueeze,
dtype read, to, masked_scatter: 4), which the inventory of the full prefill has."""


def _calls(profile: str, point: MeasuredPoint) -> int:
    return kernel_inventory(analytic_layer(point), load_runtime(profile), path=point.stage).torch_calls


def _point(
    stage: str, mode: str | None = "tiny", batch: int = 1, kv_len: int | None = None, variant: str = "fused"
) -> MeasuredPoint:
    return unmeasured_point(stage, mode, batch=batch, kv_len=kv_len, variant=variant)


def test_hf_sdpa_vision_stages_by_hand() -> None:
    # SAM at 512 px (grid 32, not the native 64: the position table is resized): four convolutions (1 call each),
    # the patch embedding's convolution and permute (2), 24 LayerNorm, 48 Linear and 12 GELU (1 each), the neck's
    # two LayerNorm2d (permute, layer_norm, permute), 25 Elementwise adds (1 each), 12 SDPA calls, 12 attentions
    # (51 calls each), the 8 windowed blocks (15 each; the 4 global blocks make none of their own) and the
    # encoder's own 10 (5 + the resize's 5)
    sam = 4 + 2 + 24 + 48 + 12 + 2 * 3 + 25 + 12 + 12 * 51 + 8 * 15 + 10
    assert _calls("hf-sdpa", _point("sam")) == sam == 875
    assert _calls("hf-sdpa", _point("sam", "base")) == sam - 5  # 1024 px is the native grid: no resize
    # CLIP: 24 layers of 3 Linear, an attention (12: q/k/v F.linear and layout), transformers' SDPA forward (8),
    # QuickGELU (3), 2 LayerNorm and 2 residual adds; the pre-LayerNorm, the position Embedding and add, and the
    # embeddings' own 7 + 13 for the resized table (256 px of SAM features is a 8 x 8 grid, not 16 x 16)
    clip = 24 * (3 + 12 + 8 + 3 + 2 + 2) + 1 + 1 + 1 + 7 + 13
    assert _calls("hf-sdpa", _point("clip")) == clip == 743
    # projector, one view: the MlpProjector's 13 calls and its Linear, the stage's view separator (4)
    assert _calls("hf-sdpa", _point("projector")) == 13 + 1 + 4 == 18
    # Gundam 2x2: crops and global view, plus one call of the crops' re-tiling
    assert _calls("hf-sdpa", _point("projector", "gundam-2x2")) == 2 * (13 + 1) + 4 + 1 == 33


def test_hf_sdpa_decode_step_by_hand() -> None:
    # decode ids (3); the model's mask, positions and rotary table (26 + 2 for the cache's length); the embedding
    # (1); 25 RMSNorm (9 each); per layer q/k/v/o Linear (4), the attention's layout and cache cat (9 + 2), the
    # rotary table and its application (35), SDPA's forward (8) and two residual adds; the dense MLP (3 Linear,
    # SiLU, mul); per MoE layer the gate (7), the block with grouped experts (50) and the shared experts (5);
    # the LM head (linear, float)
    layers = 12 * (4 + 11 + 35 + 8 + 2)
    moe = 11 * (7 + 50 + 5)
    step = 3 + 28 + 1 + 25 * 9 + layers + 5 + moe + 2
    for batch in (1, 8):
        assert _calls("hf-sdpa", _point("decode", None, batch, 512)) == step == 1666


def test_hf_eager_decode_step_by_hand() -> None:
    # the vendor's code (transformers 4.46.3 modules): per layer q/k/v/o Linear (4), the attention's own layout and
    # cache calls (12 in a decode step), the rotary table and its application (44), the eager core (13) and two
    # residual adds; per MoE layer the gate (8), the block and moe_infer's fixed code (32) and, per expert with
    # tokens, one slice beside its 3 Linear, SiLU and mul; one token hits top_k = 6 experts; the model's own 17,
    # the embedding, 25 RMSNorm (9 each), the dense SwiGLU (5), the LM head (2)
    layers = 12 * (4 + 12 + 44 + 13 + 2)
    moe = 11 * (8 + 32 + 6 * (1 + 5) + 5)
    step = 17 + 1 + 25 * 9 + layers + 5 + moe + 2
    assert _calls("hf-eager", _point("decode", None, 1, 512, variant="hf-eager")) == step == 2041


@pytest.mark.parametrize("lease", ["h100", "h100-check"])
@pytest.mark.parametrize(("profile", "raw"), [("hf-sdpa", "raw-fused.json"), ("hf-sdpa-graph", "raw-fused-graph.json")])
def test_inventory_calls_equal_the_measured_calls(profile: str, raw: str, lease: str) -> None:
    points = load_points(RAW.parent / lease / raw)
    assert points
    for p in points:
        residual = HARNESS_PREFILL if p.stage == "prefill" and profile == "hf-sdpa" else 0
        assert _calls(profile, p) - p.torch_calls_per_call == residual, p.label


VENDOR_RAW = REPO / "reports" / "validation" / "vendor-h200" / "raw-vendor-2.json"
"""The vendor's code counted per module on an H200 (``scripts/gpu/measure_vendor.py --sections modules``)."""


def test_hf_eager_calls_equal_the_vendor_code() -> None:
    """hf-eager's decoder entries hold for the vendor's code (zyfjrx/deepseekocr ff1b80fe, modeling_deepseekv2.py md5
    debd83efb35e9aa168ca340a78e6d23e): a batch-1 decode step makes exactly the torch calls the vendor's made, and
    each further expert with tokens costs the 6 calls (a slice of the sorted rows, 3 Linear, SiLU, mul) the vendor's
    moe_infer loop made per expert between batch 1 and batch 8."""
    raw = json.loads(VENDOR_RAW.read_text())
    assert raw["environment"]["vendor_md5"]["modeling_deepseekv2.py"] == "debd83efb35e9aa168ca340a78e6d23e"
    rows = {(r["stage"], r.get("kv_len"), r["batch"]): r["modules"] for r in raw["modules"] if r["stage"] == "decode"}
    expert = "model.layers.*.mlp.experts.* (DeepseekV2MLP)"

    def measured(key: tuple[str, int, int]) -> tuple[float, float]:
        return sum(v["torch_calls"] for v in rows[key].values()), rows[key][expert]["forwards"]

    b1_calls, b1_experts = measured(("decode", 512, 1))
    b8_calls, b8_experts = measured(("decode", 512, 8))
    assert _calls("hf-eager", _point("decode", None, 1, 512, variant="hf-eager")) == b1_calls == 2041
    assert b1_experts == 11 * 6  # one token: top-6 in each of the 11 MoE layers
    assert (b8_calls - b1_calls) / (b8_experts - b1_experts) == 6.0
    profile_b8 = _calls("hf-eager", _point("decode", None, 8, 512, variant="hf-eager"))
    uniform_experts = 11 * 35  # the profile's uniform-routing expectation for 8 tokens
    assert profile_b8 - b1_calls == 6 * (uniform_experts - b1_experts)


def _toy(layer_entry: dict[str, object]) -> RuntimeProfile:
    return structure_profile(
        {"name": "toy", "description": "d", "decoder_attention": "flash", "layers": {"Linear": layer_entry}}
    )


def test_default_is_one_call_per_launch_and_a_layer_without_work_makes_none() -> None:
    two = {"source": "s", "kernels": [{"name": "a", "takes": {"own": 1}}, {"name": "b", "takes": {}}]}
    linear = Linear(tokens=2, in_features=3, out_features=4)
    assert kernel_inventory(linear, _toy(two)).torch_calls == 2
    assert kernel_inventory(linear, _toy({**two, "torch_calls": "tokens + 3"})).torch_calls == 5
    idle = Linear(tokens=0, in_features=3, out_features=4)
    assert kernel_inventory(idle, _toy({**two, "torch_calls": 7})).torch_calls == 0


def test_negative_calls_are_an_error_naming_the_field() -> None:
    entry = {"source": "s", "kernels": [{"name": "a", "takes": {"own": 1}}], "torch_calls": "tokens - 9"}
    with pytest.raises(ValueError, match=r"torch_calls 'tokens - 9' = -7 < 0"):
        kernel_inventory(Linear(tokens=2, in_features=3, out_features=4), _toy(entry))


def test_measured_files_carry_the_calls() -> None:
    rows = json.loads((RAW / "raw-fused.json").read_text())["points"]
    assert all(r["torch_calls_per_call"] > 0 for r in rows)


def test_hf_eager_vision_stages_by_hand() -> None:
    """hf-eager's vision entries: the vendor's DeepEncoder code as its vLLM twin reads (not counted: the code is not
    here to run)."""
    # SAM at 512 px: the stage's two image-sum checks, the encoder (4 + 5 for the resized table), the patch
    # embedding (2), 4 convolutions, 24 LayerNorm, 48 Linear, 12 GELU, the neck's two LayerNorm2d (12 each), 25 adds,
    # 12 SDPA calls; 8 windowed attentions (58) and 4 global ones (58 + 18 for the resized relative tables); 8
    # windowed blocks (12 + 3 for the padding: 32 is not a multiple of 14)
    sam = 2 + 9 + 2 + 4 + 24 + 48 + 12 + 2 * 12 + 25 + 12 + 8 * 58 + 4 * (58 + 18) + 8 * (12 + 3)
    assert _calls("hf-eager", _point("sam", variant="hf-eager")) == sam == 1050
    # CLIP: the embeddings (12 + 10 for the resized table), the position Embedding and add, the pre-LayerNorm; per
    # layer 4 Linear, the attention's own 11 calls, SDPA, QuickGELU (1: the vendor's TorchScript function is one
    # call), 2 LayerNorm and 2 adds (the vendor's code made 505 at this point, raw-vendor-2.json's modules)
    clip = 22 + 1 + 1 + 1 + 24 * (4 + 11 + 1 + 1 + 2 + 2)
    assert _calls("hf-eager", _point("clip", variant="hf-eager")) == clip == 529
