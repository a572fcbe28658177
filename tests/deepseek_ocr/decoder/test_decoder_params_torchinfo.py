"""Parameter counts of the decoder layers equal the TorchInfo rows of the real checkpoint
(``../shared/reference/deepseek-ocr-torchinfo/torchinfo-summary.txt``)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from modelmeter.layers import Embedding
from modelmeter.models.deepseek_ocr.config import DeepseekV2TextConfig
from modelmeter.models.deepseek_ocr.layers.decoder import DeepseekV2MLP, DeepseekV2MoE, DeepseekV2RMSNorm, MoEGate
from modelmeter.models.deepseek_ocr.layers.llama import LlamaAttention, LlamaFlashAttention2, LMHead

ROW = re.compile(r"[─└├│\s]*(?P<cls>\w+) \((?P<var>[\w.]+)\)")


def _first_params(summary: Path, cls: str, var: str) -> int:
    """The ``Param #`` column of the first row naming ``cls (var)`` with a number there."""
    for line in summary.read_text(encoding="utf-8").splitlines():
        m = ROW.match(line)
        if not m or (m["cls"], m["var"]) != (cls, var):
            continue
        # after the name: ": depth-idx", input shape, output shape, params, kernel shape, mult-adds
        columns = re.split(r"\s{2,}", line[m.end() :].strip())
        params = columns[3].replace(",", "")
        if params.isdigit():
            return int(params)
    raise AssertionError(f"no row {cls} ({var}) with a parameter count in {summary}")


@pytest.mark.parametrize(
    ("cls", "var", "expected"),
    [
        ("DeepseekV2MLP", "mlp", 26_296_320),
        ("LlamaFlashAttention2", "self_attn", 6_553_600),
        ("DeepseekV2MoE", "mlp", 227_164_160),
        ("DeepseekV2RMSNorm", "input_layernorm", 1_280),
        ("DeepseekV2RMSNorm", "post_attention_layernorm", 1_280),
        ("Embedding", "embed_tokens", 165_478_400),
    ],
)
def test_torchinfo_rows(torchinfo_reference_dir: Path, cls: str, var: str, expected: int) -> None:
    assert _first_params(torchinfo_reference_dir / "torchinfo-summary.txt", cls, var) == expected


def test_layers_match_torchinfo(torchinfo_reference_dir: Path) -> None:
    summary = torchinfo_reference_dir / "torchinfo-summary.txt"
    cfg = DeepseekV2TextConfig()
    t = 703
    assert DeepseekV2MLP(tokens=t, hidden_size=1280, intermediate_size=6848).params == _first_params(
        summary, "DeepseekV2MLP", "mlp"
    )
    for attention in (LlamaFlashAttention2, LlamaAttention):
        assert attention(config=cfg, batch=1, q_len=t, kv_len=t).params == _first_params(
            summary, "LlamaFlashAttention2", "self_attn"
        )
    assert DeepseekV2MoE(config=cfg, tokens=t).params == _first_params(summary, "DeepseekV2MoE", "mlp")
    assert DeepseekV2RMSNorm(tokens=t, hidden=1280).params == _first_params(
        summary, "DeepseekV2RMSNorm", "input_layernorm"
    )
    # lm_head is untied and has the embedding's shape (1280 x 129280); TorchInfo lists only the embedding
    embed = _first_params(summary, "Embedding", "embed_tokens")
    assert LMHead(config=cfg, tokens=t).params == embed
    assert Embedding(tokens=t, num_embeddings=129280, embedding_dim=1280).params == embed


def test_moe_parts_hand_derived() -> None:
    cfg = DeepseekV2TextConfig()
    assert DeepseekV2MLP(tokens=1, hidden_size=1280, intermediate_size=896).params == 3_440_640  # one routed expert
    assert DeepseekV2MLP(tokens=1, hidden_size=1280, intermediate_size=1792).params == 6_881_280  # shared experts
    assert MoEGate(config=cfg, tokens=1).params == 81_920  # 64 * 1280
    assert 64 * 3_440_640 + 6_881_280 + 81_920 == 227_164_160
