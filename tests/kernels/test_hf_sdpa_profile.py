"""The ``hf-sdpa`` runtime profile: the kernels the measured reference (transformers' SDPA attention and
grouped-GEMM experts) launches, counted by hand for single layers and checked against every point of
``reports/validation/h100/raw-fused.json``."""

from __future__ import annotations

from pathlib import Path

import pytest

from llm_perf_opt.data.runtime_profile import RuntimeProfile
from llm_perf_opt.kernels.inventory import KernelInventory, forward_work, kernel_inventory
from llm_perf_opt.kernels.profiles import list_runtimes, load_runtime
from llm_perf_opt.kernels.timing import model_for_runtime
from llm_perf_opt.validation.points import MeasuredPoint, analytic_layer, load_points
from modelmeter.layers import Linear
from modelmeter.models.deepseek_ocr.config import ClipLConfig, DeepseekV2TextConfig
from modelmeter.models.deepseek_ocr.layers.core import DeepseekOCRDecodeStep, DeepseekOCRModel
from modelmeter.models.deepseek_ocr.layers.decoder import DeepseekV2DecoderLayer, DeepseekV2MoE
from modelmeter.models.deepseek_ocr.layers.vision import Block, NoTPTransformerBlock
from modelmeter.models.deepseek_ocr.workload import OCRWorkload

REPO = Path(__file__).resolve().parents[2]
RAW_FUSED = REPO / "reports" / "validation" / "h100" / "raw-fused.json"

HARNESS_PREFILL = 1 + 6
"""The measured prefill starts from ``inputs_embeds`` (scripts/gpu/measure_stages.py): no embedding gather (1)
and no image ``masked_scatter`` (6: clone, mask copy, 2-kernel prefix sum, size check, scatter), which the
inventory of the full prefill has."""
RESIDUAL: dict[str, int] = {
    # inventory - measured; every other point is exact
    "sam/tiny": -1,  # cuDNN picks an sm80 kernel with a workspace memset for net_3 at 8x8 outputs
    "sam/large": -8,  # cuBLASLt memsets before the 8 einsum bmm of the global blocks at grid 80
    "sam/gundam-2x2": -8,  # the same, at the 640-px crops' global blocks (batch 4, grid 40)
    "prefill/tiny": HARNESS_PREFILL,
    "prefill/small": HARNESS_PREFILL,
    "prefill/base": HARNESS_PREFILL,
    "prefill/large": HARNESS_PREFILL,
    "prefill/gundam-2x2": HARNESS_PREFILL,
    "decode/kv2048/b1": -12,  # cuDNN's split-KV reduction kernel, one per layer, at batch 1 and 2048 keys
}


@pytest.fixture(scope="module")
def sdpa() -> RuntimeProfile:
    return load_runtime("hf-sdpa")


def test_profile_is_listed_and_inherits_the_generic_entries(sdpa: RuntimeProfile) -> None:
    assert "hf-sdpa" in list_runtimes()
    assert (sdpa.base, sdpa.decoder_attention) == ("hf-eager", "flash")
    eager = load_runtime("hf-eager")
    # transformers' RMSNorm is the same 8-operator Llama form as the vendor's
    assert sdpa.layers["DeepseekV2RMSNorm"] == eager.layers["DeepseekV2RMSNorm"]
    # the reference's vision stage has no image-sum checks: no kernels, no syncs
    assert sdpa.layers["VisionStage[stage=sam]"].kernels == ()


def test_decode_moe_layer_is_83_kernels(sdpa: RuntimeProfile) -> None:
    layer = DeepseekV2DecoderLayer(
        config=DeepseekV2TextConfig(), layer_idx=1, batch=1, q_len=1, kv_len=512, attention="flash"
    )
    inv = kernel_inventory(layer, sdpa)
    assert inv.launches_by_class() == {
        "DeepseekV2RMSNorm": 2 * 8,  # to fp32, pow, mean, +eps, rsqrt, mul, to bf16, * weight; twice
        "Linear": 4 + 3,  # q, k, v, o; shared experts gate, up, down
        # the layer's own table: ids to fp32, bmm, cat, cos, sin, 2 casts; then q and k: * cos, neg, cat, * sin, add
        "LlamaRotaryEmbedding": 7 + 2 * 5,
        "LlamaFlashAttention2": 2,  # DynamicCache: cat of keys, cat of values
        "AttentionCore": 2 + 1 + 1,  # bool mask to additive: 2 scalar fills + where; cuDNN sdpa (no memset at q_len 1)
        "Elementwise": 2 + 1,  # residual adds; shared experts' SiLU * up
        "SiLU": 1,
        "MoEGate": 7,  # 2 casts, fp32 GEMM + split-K reduce, softmax, topk, * scaling
        # sort (3 copies, index fill, sort), // top_k, gather rows, gather weights, ids to int32, histc (fill + 1),
        # cumsum (2), 2 x grouped_mm (prepare + GEMM), silu, mul, * weights, inverse perm (arange, index_put),
        # un-permute gather, sum, to bf16, + shared: 5 + 1 + 1 + 1 + 1 + 2 + 2 + 4 + 1 + 1 + 1 + 2 + 1 + 1 + 1 + 1
        "DeepseekV2MoE": 26,
    }
    assert inv.kernel_launches == 83  # 16 + 7 + 17 + 2 + 4 + 3 + 1 + 7 + 26
    assert inv.host_syncs == 0


def test_moe_sort_switches_to_cub_radix_sort_beyond_4096_pairs(sdpa: RuntimeProfile) -> None:
    cfg = DeepseekV2TextConfig()
    small = kernel_inventory(DeepseekV2MoE(config=cfg, tokens=682), sdpa).launches_by_class()["DeepseekV2MoE"]
    large = kernel_inventory(DeepseekV2MoE(config=cfg, tokens=683), sdpa).launches_by_class()["DeepseekV2MoE"]
    # 682 * 6 = 4092 pairs: in-place sort (5 kernels); 683 * 6 = 4098: copy, index fill, histogram, exclusive sum,
    # 8 onesweep passes, 10 memsets (22 kernels)
    assert (small, large) == (26, 26 - 5 + 22)


def test_sam_window_block_at_grid_32_is_33_kernels(sdpa: RuntimeProfile) -> None:
    block = Block(batch=1, height=32, width=32, dim=768, num_heads=12, mlp_dim=3072, window_size=14, input_size=64)
    inv = kernel_inventory(block, sdpa)
    assert inv.launches_by_class() == {
        # both norms copy their channels-first input; pad (fill + copy), partition, unpartition, unpad; the two
        # residual adds (mixed layouts: fused into the block's own list, timed on the broadcast curve)
        "Block": 2 + 2 + 1 + 1 + 1 + 2,
        "LayerNorm": 2,
        # qkv split copy, per axis (zero fill, interpolate, index upload, gather), 1 einsum copy, 2 bmm, bias add,
        # bias reshape copy, output copy (9 windows: batch > 1)
        "Attention": 1 + 2 * 4 + 1 + 2 + 1 + 1 + 1,
        "Linear": 4,  # qkv (1764 x 2304 outputs: below the memset threshold), proj, lin1, lin2
        "AttentionCore": 2,  # cuDNN memset + sdpa
        "GELU": 1,
    }
    assert inv.kernel_launches == 33


def test_sam_global_block_depends_on_the_batch(sdpa: RuntimeProfile) -> None:
    def attention_and_total(batch: int) -> tuple[int, int]:
        block = Block(
            batch=batch, height=32, width=32, dim=768, num_heads=12, mlp_dim=3072, window_size=0, input_size=64
        )
        inv = kernel_inventory(block, sdpa)
        return inv.launches_by_class()["Attention"], inv.kernel_launches

    # one image: the qkv split and the output permute are views, the einsums copy the query twice: 8 + 2 + 2 + 1 + 1
    # four images: qkv split copy, 1 einsum copy, output copy: 1 + 8 + 1 + 2 + 1 + 1 + 1
    assert attention_and_total(1) == (14, 2 + 2 + 14 + 4 + 2 + 2 + 1)
    # lin1 at 4 * 1024 rows x 3072 = 12,582,912 outputs gets cuBLASLt's workspace memset
    assert attention_and_total(4) == (15, 2 + 2 + 15 + 4 + 1 + 2 + 2 + 1)


def test_clip_block_is_15_kernels_and_16_with_split_k(sdpa: RuntimeProfile) -> None:
    c = ClipLConfig()

    def block(seq_len: int) -> NoTPTransformerBlock:
        return NoTPTransformerBlock(
            batch=1, seq_len=seq_len, hidden_size=c.hidden_size, num_heads=c.num_attention_heads,
            ffn_hidden_size=c.ffn_hidden_size,
        )  # fmt: skip

    base = kernel_inventory(block(257), sdpa)
    # 2 norms, q/k/v as three GEMMs, memset + sdpa, out_proj, fc1, QuickGELU (3), fc2, 2 residual adds
    assert base.kernel_launches == 2 + 3 + 2 + 1 + 1 + 3 + 1 + 2 == 15
    assert base.launches_by_class()["NoTPAttention"] == 3
    # 65 rows (tiny): fc2 (K = 4096 = 4 N) runs split-K with a reduction kernel
    assert kernel_inventory(block(65), sdpa).kernel_launches == 16


def test_linear_memset_and_split_k_rules(sdpa: RuntimeProfile) -> None:
    def kernels(tokens: int, k: int, n: int) -> list[str]:
        inv = kernel_inventory(Linear(tokens=tokens, in_features=k, out_features=n, bias=True), sdpa)
        return [r.kernel for r in inv.records if r.calls]

    assert kernels(4900, 768, 2304) == ["workspace_memset", "gemm"]  # 11,289,600 outputs
    assert kernels(4096, 768, 2304) == ["gemm"]  # 9,437,184 outputs
    assert kernels(83, 6848, 1280) == ["gemm", "splitk_reduce"]
    assert kernels(121, 6848, 1280) == ["gemm"]


def test_decode_step_is_989_kernels(sdpa: RuntimeProfile) -> None:
    step = DeepseekOCRDecodeStep(config=DeepseekV2TextConfig(), batch=1, kv_len=512, attention="flash")
    inv = kernel_inventory(step, sdpa)
    # ids fill 1; mask ones + tril + positions 3; the model's (unused) rotary table 9; embedding 1;
    # layer 0: 2 norms 16 + attention 27 (its own table 7) + residuals 2 + dense MLP 5 + split-K reduce of
    # down_proj 1 = 51; 11 MoE layers x 83; final norm 8; LM head: memset, GEMM, fp32 cast 3
    assert inv.kernel_launches == 1 + 3 + 9 + 1 + 51 + 11 * 83 + 8 + 3 == 989
    assert (inv.host_syncs, inv.graph_launches) == (0, 0)


WORKLOADS = {
    "gundam-2x2-b2": OCRWorkload(crop_grid=(2, 2), batch_size=2, max_new_tokens=6),
    "tiny": OCRWorkload(base_size=512, image_size=512, crop_mode=False, max_new_tokens=3),
}


@pytest.mark.parametrize("workload", list(WORKLOADS), ids=list(WORKLOADS))
def test_every_flop_and_byte_lands_in_one_kernel(sdpa: RuntimeProfile, workload: str) -> None:
    model = model_for_runtime(DeepseekOCRModel(workload=WORKLOADS[workload]), sdpa)
    for stage, layer in model.stage_layers().items():
        inv = kernel_inventory(layer, sdpa, path=stage)
        assert inv.totals() == forward_work(layer.metrics()), stage
        assert all(r.io_bytes >= 0 for r in inv.records)
        assert all(r.io_bytes == 0 for r in inv.records if r.calls == 0)


def test_inventory_counts_equal_the_measured_kernels_per_call(sdpa: RuntimeProfile) -> None:
    points = load_points(RAW_FUSED)
    assert len(points) == 29
    assert {p.runtime for p in points} == {"hf-sdpa"}
    got = {p.label: kernel_inventory(analytic_layer(p), sdpa, path=p.stage).kernel_launches for p in points}
    measured = {p.label: p.kernels_per_call for p in points}
    assert {label: got[label] - measured[label] for label in got} == {label: RESIDUAL.get(label, 0) for label in got}
    # the decode residual is the split-KV reduction the profiler names: one per layer
    (long_decode,) = [p for p in points if p.label == "decode/kv2048/b1"]
    lean = [v[0] for k, v in long_decode.kernels_by_name.items() if "lean_reduction" in k]
    assert lean == [12.0]


def test_every_attention_layer_builds_its_own_rotary_table(sdpa: RuntimeProfile) -> None:
    """The measured reference runs the vendor's per-layer table (12 layers) beside the model's unused one."""
    text = [p for p in load_points(RAW_FUSED) if p.stage in ("prefill", "decode")]
    assert len(text) == 5 + 4  # prefill per mode; decode at KV 512/2048, batch 1/8
    for p in text:
        inv = kernel_inventory(analytic_layer(p), sdpa, path=p.stage)

        def ours(kernel: str, inv: KernelInventory = inv) -> int:
            return sum(r.calls for r in inv.records if r.kernel == kernel)

        def measured(fragment: str, p: MeasuredPoint = p) -> float:
            return sum(v[0] for k, v in p.kernels_by_name.items() if fragment in k)

        # cos and sin: 12 layers' own tables + the model's table = 13 each
        assert (ours("cos") + ours("rope_cos"), ours("sin") + ours("rope_sin")) == (12 + 1, 12 + 1), p.label
        assert (measured("cos_kernel_cuda"), measured("sin_kernel_cuda")) == (13.0, 13.0), p.label
        # the fp32 K = 1 bmm: cutlass simt sgemm 128x32 (batch 1) or cuBLAS gemmk1_kernel (batch 8), one per layer
        assert ours("freq_bmm") == 12 == measured("simt_sgemm_128x32") + measured("gemmk1_kernel"), p.label
        bmms = [r for r in inv.records if r.kernel == "freq_bmm"]
        assert all(r.cuda_cores_only for r in bmms)
        if p.stage == "decode":
            # its share is the layer's counted outer product, 2 * batch * (128 / 2) * 1 position, in 12 layers
            assert sum(r.tensor_core_flops for r in bmms) == 12 * 2 * p.batch * 64 * 1, p.label
