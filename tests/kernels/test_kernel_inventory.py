"""Kernel inventories: launches per layer per profile, derived by hand from the code paths the
profiles cite (conf/runtimes/*.yaml), and the host syncs."""

from __future__ import annotations

from collections import Counter

import pytest
from attrs import evolve

from llm_perf_opt.data.runtime_profile import Expr, KernelSpec, LayerKernels, RuntimeProfile
from llm_perf_opt.kernels.inventory import KernelInventory, kernel_inventory
from llm_perf_opt.kernels.profiles import load_runtime
from modelmeter.layers import AttentionCore, Linear
from modelmeter.models.deepseek_ocr.config import DeepseekV2TextConfig, SamViTConfig
from modelmeter.models.deepseek_ocr.layers.core import DeepseekOCRDecodeStep
from modelmeter.models.deepseek_ocr.layers.decoder import DeepseekV2DecoderLayer, DeepseekV2MoE, DeepseekV2RMSNorm
from modelmeter.models.deepseek_ocr.layers.vision import Block, ImageEncoderViT

TEXT = DeepseekV2TextConfig()


@pytest.fixture(scope="module")
def eager() -> RuntimeProfile:
    return load_runtime("hf-eager")


@pytest.fixture(scope="module")
def fused() -> RuntimeProfile:
    return load_runtime("fused")


def kernels_of(inv: KernelInventory) -> Counter[str]:
    """``layer_class.kernel`` -> launches."""
    out: Counter[str] = Counter()
    for r in inv.records:
        out[f"{r.layer_class}.{r.kernel}"] += r.calls
    return out


def sam_block(window_size: int, grid: int = 64) -> Block:
    return Block(
        batch=1,
        height=grid,
        width=grid,
        dim=768,
        num_heads=12,
        mlp_dim=3072,
        window_size=window_size,
        input_size=64,
    )


def test_rms_norm_is_eight_kernels_eager_one_fused(eager: RuntimeProfile, fused: RuntimeProfile) -> None:
    norm = DeepseekV2RMSNorm(tokens=703, hidden=1280)
    inv = kernel_inventory(norm, eager)
    # to_fp32, pow, mean, + eps, rsqrt, * rstd, .to(bf16), * weight
    names = ["to_fp32", "pow", "mean", "add_eps", "rsqrt", "mul_rstd", "to_model_dtype", "mul_weight"]
    assert [r.kernel for r in inv.records] == names
    assert inv.kernel_launches == 8
    n, rows = 703 * 1280, 703
    # fp32 intermediates: 6N + 8N + (4N + 4R) + 8R + 8R + (8N + 4R) + 6N + (4N + 2*1280) bytes
    assert (
        sum(r.io_bytes for r in inv.records) == 36 * n + 24 * rows + 2 * 1280 == 32_413_672
    )  # 32,394,240 + 16,872 + 2,560
    assert kernel_inventory(norm, fused).kernel_launches == 1


def test_sam_window_block_under_hf_eager_is_53_kernels(eager: RuntimeProfile) -> None:
    inv = kernel_inventory(sam_block(window_size=14), eager)
    k = kernels_of(inv)
    # Block under bf16 autocast, as the vendor's code launches it: two norm-input casts to fp32 and the two
    # contiguous copies inside layer_norm (the residual stream is permuted), the pad (a fill and a copy, 64 -> 70),
    # window partition, the qkv input cast back to bf16, window unpartition, unpad, two residual adds, lin1's cast
    assert sum(v for name, v in k.items() if name.startswith("Block.")) == 2 + 2 + 2 + 1 + 1 + 1 + 1 + 2 + 1 == 13
    assert k["Block.residual_add"] == 2
    # Attention's rel-pos work: qkv layout copy 1, coords 7 per axis 14, gather 2, einsum q copy 2, einsum bmm 2,
    # rel reshape copy 2, bias add 1, output layout copy 1 (no table resize: 27 rows for a 14-token window)
    assert sum(v for name, v in k.items() if name.startswith("Attention.")) == 25
    assert k["Attention.rel_pos_interpolate"] == 0
    # SDPA on cuDNN: a memset, then the kernel (the 196-wide bias needs no alignment copy: the vendor's run has none)
    assert k["AttentionCore.cudnn_memset"] == 1
    assert "AttentionCore.bias_pad" not in k
    assert k["AttentionCore.sdpa"] == 1
    # qkv, proj, lin1, lin2 GEMMs, cuBLASLt's workspace memset before the two with at least 10 million outputs
    # (qkv: 4,900 x 2,304; lin1: x 3,072, as the vendor's run has them); two LayerNorms, each with its weight and
    # bias cast to fp32; GELU
    assert k["Linear.gemm"] == 4
    assert k["Linear.workspace_memset"] == 2
    assert k["LayerNorm.layer_norm"] == 2
    assert k["LayerNorm.param_cast"] == 4
    assert k["GELU.gelu"] == 1
    assert "Elementwise.elementwise" not in k
    assert inv.kernel_launches == 13 + 25 + 2 + 4 + 2 + 6 + 1 == 53
    assert inv.host_syncs == 0


def test_sam_global_block_kernels_at_1024_and_640(eager: RuntimeProfile) -> None:
    # at 1024 the global block sees the native 64x64 grid: no padding (fill, copy, unpad), no windows (partition,
    # unpartition), no table resize; qkv's 4,096 x 2,304 outputs stay under cuBLASLt's 10 million (no memset)
    at_1024 = kernel_inventory(sam_block(window_size=0), eager)
    assert at_1024.kernel_launches == 53 - 5 - 1 == 47
    assert kernels_of(at_1024)["Linear.workspace_memset"] == 1
    # at 640 the grid is 40: the 127-row tables are resized to 79 (per axis: to fp32, the output's zero fill, the
    # interpolation, back: +8, as the vendor's code runs it in raw-vendor-kernels.json's sam/tiny global view);
    # the 1600-wide bias is aligned (1600 = 16 * 100)
    at_640 = kernel_inventory(sam_block(window_size=0, grid=40), eager)
    assert kernels_of(at_640)["Attention.rel_pos_interpolate"] == 2
    assert kernels_of(at_640)["Attention.rel_pos_resize_casts"] == 6
    assert at_640.kernel_launches == 47 + 8 - 1 == 54  # 1,600 x 3,072 outputs: no memset before lin1


def test_sam_block_without_autocast_drops_only_the_casts(eager: RuntimeProfile) -> None:
    plain = evolve(eager, autocast=False)
    # the two norm-input casts, qkv and lin1 casts, and the four LayerNorm parameter casts go; layout copies stay
    assert kernel_inventory(sam_block(window_size=14), plain).kernel_launches == 53 - 2 - 2 - 4 == 45
    blocks = kernel_inventory(sam_block(window_size=14), eager).records
    (norm,) = [r for r in blocks if r.kernel == "norm_input_contiguous"]
    (plain_norm,) = [r for r in kernel_inventory(sam_block(window_size=14), plain).records if r.kernel == norm.kernel]
    # the copy reads and writes fp32 (4 bytes) under autocast, bf16 (2) without: 2 launches x 2 x 64 x 64 x 768
    assert norm.io_bytes == 2 * 2 * 4 * 64 * 64 * 768
    assert plain_norm.io_bytes == 2 * 2 * 2 * 64 * 64 * 768


def test_whole_sam_encoder_kernel_count(eager: RuntimeProfile) -> None:
    sam = ImageEncoderViT(config=SamViTConfig(), batch=1, image_size=1024)
    inv = kernel_inventory(sam, eager)
    # patch embed (CUDA-core conv, bias add) 2, position add 1, 8 window blocks x 53, 4 global blocks x 47,
    # neck conv 1x1 1, LayerNorm2d 10, conv 3x3 with cuDNN's three layout transforms 4, LayerNorm2d 10, net_2 4,
    # net_3 4, the casts of the two fp32 neck outputs the 3x3 convolutions read 2; no pos-embed resize at 64x64
    # (the vendor's code launched 637 here, raw-vendor-kernels.json, 32 of them memsets: 12 before SDPA, 8 before
    # the windowed qkv products, 12 before lin1, as here)
    assert inv.kernel_launches == 2 + 1 + 8 * 53 + 4 * 47 + 1 + 10 + 4 + 10 + 4 + 4 + 2 == 650
    assert sum(r.calls for r in inv.records if r.kernel in ("cudnn_memset", "workspace_memset")) == 12 + 8 + 12
    (conv,) = [r for r in inv.records if r.kernel == "implicit_convolve_sgemm"]
    assert conv.cuda_cores_only
    assert conv.tensor_core_flops == 2 * 768 * 64 * 64 * 3 * 16 * 16 == 4_831_838_208


def test_decode_moe_layer_hf_eager_runs_six_experts_and_syncs_once(eager: RuntimeProfile) -> None:
    moe = DeepseekV2MoE(config=TEXT, tokens=1)
    inv = kernel_inventory(moe, eager)
    k = kernels_of(inv)
    # one token, top-6: six experts receive it, each a SwiGLU of 5 kernels (gate, up, silu, mul, down);
    # the other 58 experts get no token and launch nothing
    assert k["Linear.gemm"] == 6 * 3 + 3  # + the shared experts' three GEMMs
    assert k["SiLU.silu"] == 6 + 1
    assert k["Elementwise.elementwise"] == 6 + 1
    # gate: x to fp32, W to fp32, autocast's two casts back to bf16, the GEMM, softmax, top-k (2), scaling: the 9
    # the vendor's MoEGate launched per call on the H200 (reports/validation/vendor-h200/raw-vendor-2.json)
    assert sum(v for name, v in k.items() if name.startswith("MoEGate.")) == 9
    # moe_infer: zeros, scatter, sum, argsort (5: 6 ids <= 4096), // top_k, gather, counts to host, cat,
    # index_put, to fp32, * weights, sum over k, to bf16, + shared: the vendor block's 18 own kernels
    assert sum(v for name, v in k.items() if name.startswith("DeepseekV2MoE.")) == 18
    assert inv.kernel_launches == 9 + 18 + 6 * 5 + 5 == 62
    assert inv.host_syncs == 1


def test_moe_kernel_count_fused_is_fixed_eager_follows_routing(eager: RuntimeProfile, fused: RuntimeProfile) -> None:
    # fused: gate GEMM, topk_softmax, align (2), w13 grouped GEMM, silu_and_mul, w2 grouped GEMM, moe_sum, + shared;
    # shared experts: gate_up GEMM, silu_and_mul, down GEMM
    for tokens in (1, 8, 703):
        inv = kernel_inventory(DeepseekV2MoE(config=TEXT, tokens=tokens), fused)
        assert inv.kernel_launches == 2 + 2 + 1 + 1 + 1 + 1 + 1 + 3 == 12
        assert inv.host_syncs == 0
    # hf-eager: 8 tokens -> 48 routed passes; a uniform router is expected to hit 64 * (1 - (58/64)^8) = 34.9 -> 35
    # experts (the 8 tokens' choices overlap), each with its 5-kernel SwiGLU in the loop
    assert kernel_inventory(DeepseekV2MoE(config=TEXT, tokens=8), eager).kernel_launches == 9 + 18 + 35 * 5 + 5
    # 703 tokens: every expert gets tokens; 4218 ids > 4096 -> the large sort (22 kernels instead of 5: the vendor
    # block's 35 own kernels at the Gundam page's 5,478 ids)
    assert kernel_inventory(DeepseekV2MoE(config=TEXT, tokens=703), eager).kernel_launches == 9 + 35 + 64 * 5 + 5


def test_decoder_layer_attention_kernels(eager: RuntimeProfile, fused: RuntimeProfile) -> None:
    layer = DeepseekV2DecoderLayer(config=TEXT, layer_idx=1, batch=1, q_len=1, kv_len=512, attention="eager")
    k = kernels_of(kernel_inventory(layer, eager))
    # rotary: table 10 (the bf16 inv_freq buffer and the positions to fp32, bmm, cat, cos, sin, 2 scalings, 2 casts)
    # + q and k 5 each
    assert sum(v for name, v in k.items() if name.startswith("LlamaRotaryEmbedding.")) == 20
    # eager core at q_len 1: no layout copies; qk bmm, scale, mask add, softmax, cast, pv bmm, and under infer()'s
    # bf16 autocast (hf-eager) the scores' cast to fp32 before the fp32-policy softmax (7 in the vendor's decode
    # profile, raw-vendor-kernels.json: direct_copy_kernel, then softmax_warp_forward<float, float, float>)
    assert sum(v for name, v in k.items() if name.startswith("AttentionCore.")) == 7
    # DynamicCache: torch.cat of K and of V once the cache holds 511 past tokens
    assert k["LlamaAttention.cache_cat"] == 2
    prefill = DeepseekV2DecoderLayer(config=TEXT, layer_idx=1, batch=1, q_len=703, kv_len=703, attention="eager")
    kp = kernels_of(kernel_inventory(prefill, eager))
    # the core's 7 as above (the autocast cast included) and the q, k, v, out copies
    assert sum(v for name, v in kp.items() if name.startswith("AttentionCore.")) == 7 + 4
    assert kp["LlamaAttention.cache_cat"] == 0  # the first call keeps k, v by reference
    flash = DeepseekV2DecoderLayer(config=TEXT, layer_idx=1, batch=1, q_len=1, kv_len=512, attention="flash")
    kf = kernels_of(kernel_inventory(flash, fused))
    # 2 fused add+RMSNorm, 4 projections, rotary 1, flash 1, cache write 1, MoE 12
    assert sum(kf.values()) == 2 + 4 + 1 + 1 + 1 + 12 == 21


def test_decode_step_hf_eager_batch1(eager: RuntimeProfile) -> None:
    step = DeepseekOCRDecodeStep(config=TEXT, batch=1, kv_len=512, attention="eager")
    inv = kernel_inventory(step, eager)
    # RMSNorm; q/k/v/o GEMMs + rotary + eager core (7 with the autocast cast of the scores to fp32) + cache cat
    norm, attn = 8, 4 + 20 + 7 + 2
    # two residual adds, dense SwiGLU, and cuBLASLt's split-K reduction after its down projection (K 6,848 >= 4 x
    # 1,280 outputs on one row: the vendor's run has it, raw-vendor-kernels.json)
    dense_layer = norm + attn + norm + 2 + 5 + 1
    moe_layer = norm + attn + norm + 2 + 62
    # mask build (4 at q_len 1), embedding, 12 layers, final norm, LM head workspace memset + GEMM + fp32 cast
    assert inv.kernel_launches == 4 + 1 + dense_layer + 11 * moe_layer + norm + 3 == 1316  # the vendor's run: 1,317
    assert inv.host_syncs == 11  # one tokens_per_expert.cpu() per MoE layer
    assert inv.graph_launches == 0


def test_decode_step_hf_fa2_swaps_the_attention_core_and_adds_a_sync_per_layer() -> None:
    fa2 = load_runtime("hf-fa2")
    assert (fa2.base, fa2.decoder_attention, fa2.execution.default) == ("hf-eager", "flash", "module")
    step = DeepseekOCRDecodeStep(config=TEXT, batch=1, kv_len=512, attention="flash")
    inv = kernel_inventory(step, fa2)
    norm = 8
    # q/k/v/o GEMMs + rotary 20 + cache cat 2 + the position-ids check (diff, compare, all) 3
    # + flash-attn's forward and its split-KV combine at q_len 1
    attn = 4 + 20 + 2 + 3 + 2
    dense_layer = norm + attn + norm + 2 + 5 + 1  # as above, the split-K reduction included
    moe_layer = norm + attn + norm + 2 + 62
    # `0 in attention_mask` (compare, any) instead of the eager 4-D mask, embedding, 12 layers, final norm, LM head
    assert inv.kernel_launches == 2 + 1 + dense_layer + 11 * moe_layer + norm + 3 == 1290
    # one per MoE layer (tokens_per_expert.cpu()), one per attention layer (the position-ids check), one for the mask
    assert inv.host_syncs == 11 + 12 + 1
    # torch calls: the model's mask, positions and rotary table (28), embedding, 25 RMSNorm (9 each); per layer
    # q/k/v/o, the flash attention module's estimate (19 with the cache), rotary (44), flash-attn's 2 launches (the
    # default: one call each) and two residual adds; dense SwiGLU (5); per MoE layer gate (8), the vendor's loop (32
    # + 1 per expert with tokens, 6 here, beside the experts' own 5 each) and the shared experts (5); LM head (2)
    layer_calls = 4 + 19 + 44 + 2 + 2
    moe_calls = 8 + 32 + 6 * (1 + 5) + 5
    assert inv.torch_calls == 28 + 1 + 25 * 9 + 12 * layer_calls + 5 + 11 * moe_calls + 2 == 2004
    prefill = DeepseekV2DecoderLayer(config=TEXT, layer_idx=1, batch=1, q_len=703, kv_len=703, attention="flash")
    k = kernels_of(kernel_inventory(prefill, fa2))
    # no split-KV combine and no cache concatenation in the prefill: one flash kernel, the three check kernels
    assert sum(v for name, v in k.items() if name.startswith("AttentionCore.")) == 1
    assert sum(v for name, v in k.items() if name.startswith("LlamaFlashAttention2.")) == 3


def test_decode_step_fused_is_one_graph_plus_the_lm_head(fused: RuntimeProfile) -> None:
    step = DeepseekOCRDecodeStep(config=TEXT, batch=1, kv_len=512, attention="flash")
    inv = kernel_inventory(step, fused)
    # in the graph: embedding, layer 0 (2 norms + 7 attention + 3 MLP), 11 MoE layers (2 + 7 + 12), final norm
    in_graph = 1 + (2 + 7 + 3) + 11 * (2 + 7 + 12) + 1
    assert sum(r.calls for r in inv.records if r.in_graph) == in_graph == 245
    assert inv.kernel_launches == 245 + 3
    assert inv.host_launches == 3 + 1  # LM head workspace memset, GEMM and cast; one graph launch
    assert (inv.graph_launches, inv.host_syncs) == (1, 0)


def test_missing_class_and_untaken_work_are_errors() -> None:
    toy = RuntimeProfile(name="toy", description="", decoder_attention="flash", layers={})
    with pytest.raises(ValueError, match=r"runtime profile 'toy' has no kernels for Linear \(at <root>\)"):
        kernel_inventory(Linear(tokens=2, in_features=3, out_features=4), toy)
    only_matmuls = LayerKernels(source="x", kernels=(KernelSpec(name="k", takes={"tensor_core": Expr("1")}),))
    partial = RuntimeProfile(
        name="partial", description="", decoder_attention="flash", layers={"AttentionCore": only_matmuls}
    )
    core = AttentionCore(batch=1, heads=2, q_len=4, kv_len=4, head_dim=8)
    with pytest.raises(ValueError, match="no kernel takes own:cuda_core"):
        kernel_inventory(core, partial)
    # a qualified key wins over the plain one; two equally specific matches are ambiguous
    two = RuntimeProfile(
        name="two",
        description="",
        decoder_attention="flash",
        layers={"AttentionCore[causal=False]": only_matmuls, "AttentionCore[heads=2]": only_matmuls},
    )
    with pytest.raises(ValueError, match="both match AttentionCore"):
        kernel_inventory(core, two)
