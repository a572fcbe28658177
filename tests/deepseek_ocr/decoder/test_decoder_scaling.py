"""Scaling laws of the decoder layers: attention quadratic in L, MLP linear in L, decode
linear in the KV length, KV-cache size, monotonicity, and the experts a decode step reads."""

from __future__ import annotations

import subprocess
import sys

import attrs
import pytest

from modelmeter.models.deepseek_ocr.config import DeepseekV2TextConfig
from modelmeter.models.deepseek_ocr.layers.decoder import (
    DeepseekV2DecoderLayer,
    DeepseekV2MLP,
    DeepseekV2MoE,
    DeepseekV2RMSNorm,
)
from modelmeter.models.deepseek_ocr.layers.llama import LlamaAttention, LlamaFlashAttention2, LMHead

CFG = DeepseekV2TextConfig()


@pytest.mark.parametrize("attention", [LlamaFlashAttention2, LlamaAttention])
def test_prefill_attention_is_quadratic_in_length(attention: type[LlamaAttention]) -> None:
    def flops(seq: int) -> int:
        return attention(config=CFG, batch=1, q_len=seq, kv_len=seq).forward_tensor_core_flops

    for seq in (84, 284, 704):
        # f(L) = a L + b L^2 with b = 2 * 2*10*128 (scores and P V): second difference 2b = 10,240
        assert flops(seq + 2) - 2 * flops(seq + 1) + flops(seq) == 10_240
        # a = projections 4*2*1280^2 + rotary table 2*64
        assert flops(seq) - (4 * 2 * 1280 * 1280 + 2 * 64) * seq == 5_120 * seq * seq


def test_mlp_is_linear_in_length() -> None:
    def flops(tokens: int) -> int:
        return DeepseekV2MLP(tokens=tokens, hidden_size=1280, intermediate_size=6848).forward_tensor_core_flops

    assert flops(1) == 52_592_640  # 6 * 1280 * 6848
    for tokens in (84, 284, 704):
        assert flops(tokens) == tokens * flops(1)


@pytest.mark.parametrize("layer_idx", [0, 1])
def test_decode_step_is_linear_in_kv_length(layer_idx: int) -> None:
    def layer(kv_len: int) -> DeepseekV2DecoderLayer:
        return DeepseekV2DecoderLayer(config=CFG, layer_idx=layer_idx, batch=1, q_len=1, kv_len=kv_len)

    for kv in (513, 2049):
        step = layer(kv + 1).forward_tensor_core_flops - layer(kv).forward_tensor_core_flops
        assert step == 5_120  # one more key: 2 * 2*10*128
        io_step = layer(kv + 1).forward_io_bytes - layer(kv).forward_io_bytes
        assert io_step == layer(kv + 2).forward_io_bytes - layer(kv + 1).forward_io_bytes
        kv_step = layer(kv + 1).metrics().forward_kv_cache_read_bytes - layer(kv).metrics().forward_kv_cache_read_bytes
        assert kv_step == 5_120  # one more past token read: 2 (K, V) * 10 * 128 * 2 bytes


@pytest.mark.parametrize(("batch", "tokens"), [(1, 1), (1, 703), (3, 2049)])
def test_kv_cache_bytes(batch: int, tokens: int) -> None:
    layers = [DeepseekV2DecoderLayer(config=CFG, layer_idx=i, batch=batch, q_len=1, kv_len=tokens) for i in range(12)]
    for layer in layers:
        assert layer.kv_cache_memory_bytes == 2 * batch * 10 * 128 * tokens * 2  # K and V, bf16
    assert sum(layer.kv_cache_memory_bytes for layer in layers) == 2 * 12 * 10 * 128 * tokens * 2 * batch
    prefill = DeepseekV2DecoderLayer(config=CFG, layer_idx=3, batch=batch, q_len=tokens, kv_len=tokens).metrics()
    assert prefill.forward_kv_cache_write_bytes == 2 * batch * 10 * 128 * tokens * 2  # the prefill fills it
    assert prefill.forward_kv_cache_read_bytes == 0


def test_monotone_in_hidden_size() -> None:
    previous = None
    for head_dim in (32, 64, 96, 128, 160):
        cfg = attrs.evolve(CFG, hidden_size=10 * head_dim)
        m = DeepseekV2DecoderLayer(config=cfg, layer_idx=1, batch=1, q_len=64, kv_len=64).metrics()
        now = (m.forward_tensor_core_flops, m.forward_cuda_core_flops, m.forward_io_bytes, m.params)
        if previous is not None:
            assert all(a < b for a, b in zip(previous, now, strict=True)), (previous, now)
        previous = now


def test_monotone_in_experts_per_token() -> None:
    previous = None
    for top_k in range(1, 65):
        m = DeepseekV2MoE(config=attrs.evolve(CFG, num_experts_per_tok=top_k), tokens=5).metrics()
        now = (m.forward_tensor_core_flops, m.forward_cuda_core_flops, m.forward_io_bytes)
        if previous is not None:
            assert all(a < b for a, b in zip(previous, now, strict=True)), (top_k, previous, now)
        previous = now
    assert previous is not None
    assert previous[0] == 2 * 5 * 1280 * 64 + (5 * 64 + 5 * 2) * 6 * 1280 * 896  # top-64: every expert on every token


def test_decode_batch_1_reads_exactly_6_routed_experts() -> None:
    moe = DeepseekV2MoE(config=CFG, tokens=1)
    assert moe.experts_read_per_call == 6
    read = [(layer, calls) for path, layer, calls in moe.walk() if path == "experts.*"]
    busy = sum(calls for layer, calls in read if layer.metrics().forward_weight_read_bytes)
    assert busy == 6
    expert_bytes = sum(calls * layer.metrics().forward_weight_read_bytes for layer, calls in read)
    assert expert_bytes == 6 * 3_440_640 * 2  # 6 experts' bf16 weights
    assert sum(calls for layer, calls in read) == 64  # all 64 experts exist (parameters)
    # the whole MoE: gate 81,920 + shared 6,881,280 + 6 experts, bf16
    assert moe.metrics().forward_weight_read_bytes == (81_920 + 6_881_280 + 6 * 3_440_640) * 2


def test_decode_step_touches_the_documented_parameters() -> None:
    # architecture doc section 1: 408,647,680 parameters touched per generated token in the 12 layers
    layers = [DeepseekV2DecoderLayer(config=CFG, layer_idx=i, batch=1, q_len=1, kv_len=704) for i in range(12)]
    touched = sum(layer.metrics().forward_weight_read_bytes for layer in layers) // 2
    assert touched == 408_647_680
    norm = DeepseekV2RMSNorm(tokens=1, hidden=1280).metrics().forward_weight_read_bytes // 2
    head = LMHead(config=CFG, tokens=1).metrics().forward_weight_read_bytes // 2
    assert touched + norm + head == 574_127_360  # + final norm 1,280 + lm_head 165,478,400


def test_importing_the_packages_leaves_torch_out() -> None:
    code = (
        "import sys\n"
        "import modelmeter.models.deepseek_ocr.layers.decoder\n"
        "import modelmeter.models.deepseek_ocr.layers.llama\n"
        "print(sorted(m for m in sys.modules if m == 'torch' or m.startswith('torch.')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


@pytest.mark.parametrize(
    ("tokens", "hit"),
    [
        (2, 11),  # 64 * (1 - (58/64)^2) = 11.44
        (8, 35),  # 64 * (1 - (58/64)^8) = 34.88: the 48 passes of a batch-8 decode step overlap
        (16, 51),  # 64 * (1 - (58/64)^16) = 50.75
        (64, 64),  # 64 * (1 - 0.0018) = 63.88: every expert
    ],
)
def test_experts_hit_are_the_uniform_routing_expectation(tokens: int, hit: int) -> None:
    moe = DeepseekV2MoE(config=CFG, tokens=tokens)
    assert moe.experts_read_per_call == hit
    read = [(layer.tokens, calls) for path, layer, calls in moe.walk() if path == "experts.*"]
    assert sum(calls for t, calls in read if t) == hit
    assert sum(t * calls for t, calls in read) == tokens * 6  # every routed pass is computed once
    assert sum(calls for _, calls in read) == 64
    assert max(t for t, _ in read) - min(t for t, c in read if t) <= 1  # the passes spread evenly over the hit
