"""Generic layers equal FlopCounterMode's count and ``sum(p.numel())`` exactly."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from modelmeter.layers import (
    GELU,
    AttentionCore,
    Conv2d,
    Embedding,
    LayerNorm,
    Linear,
    QuickGELU,
    RMSNorm,
    SiLU,
    Softmax,
)
from modelmeter.validation import check_parity, count_module

META = torch.device("meta")
dims = st.integers(min_value=1, max_value=64)


@settings(max_examples=40, deadline=None)
@given(batch=dims, seq=dims, k=dims, n=dims, bias=st.booleans())
def test_linear_forward_backward_params(batch: int, seq: int, k: int, n: int, bias: bool) -> None:
    mod = torch.nn.Linear(k, n, bias=bias, device=META)
    layer = Linear(tokens=batch * seq, in_features=k, out_features=n, bias=bias)
    result = check_parity(layer, mod, (torch.empty(batch, seq, k, device=META),), backward=True)
    assert result.ok, result.describe()


def test_linear_hand_derived() -> None:
    layer = Linear(tokens=4, in_features=5, out_features=6, bias=False)
    assert layer.forward_tensor_core_flops == 240  # 4 * 6 * 5 MACs * 2
    assert layer.backward_tensor_core_flops == 480  # dX and dW, each 240
    assert layer.params == 30
    # bf16: weights 30*2 + input 20*2 + output 24*2
    assert layer.forward_io_bytes == 60 + 40 + 48


@settings(max_examples=40, deadline=None)
@given(
    batch=st.integers(1, 3),
    cin=st.integers(1, 8),
    cout=st.integers(1, 8),
    size=st.integers(4, 24),
    kernel=st.integers(1, 4),
    stride=st.integers(1, 3),
    padding=st.integers(0, 2),
    bias=st.booleans(),
)
def test_conv2d_forward_backward_params(
    batch: int, cin: int, cout: int, size: int, kernel: int, stride: int, padding: int, bias: bool
) -> None:
    mod = torch.nn.Conv2d(cin, cout, kernel, stride=stride, padding=padding, bias=bias, device=META)
    layer = Conv2d(
        batch=batch,
        in_channels=cin,
        out_channels=cout,
        in_h=size,
        in_w=size + 1,
        kernel_size=kernel,
        stride=stride,
        padding=padding,
        bias=bias,
    )
    result = check_parity(layer, mod, (torch.empty(batch, cin, size, size + 1, device=META),), backward=True)
    assert result.ok, result.describe()


@settings(max_examples=20, deadline=None)
@given(groups=st.sampled_from([2, 4]), mult=st.integers(1, 3), size=st.integers(4, 12))
def test_grouped_conv_forward_exact_and_torch_backward_convention(groups: int, mult: int, size: int) -> None:
    """Forward is exact. torch books the weight gradient of a grouped conv at ``groups``
    times the forward; we model the real work (2 x forward), so the counted backward is
    ``(1 + groups) x forward``, a property of torch's formula checked here."""
    cin = cout = groups * mult
    mod = torch.nn.Conv2d(cin, cout, 3, padding=1, groups=groups, device=META)
    layer = Conv2d(
        batch=2, in_channels=cin, out_channels=cout, in_h=size, in_w=size, kernel_size=3, padding=1, groups=groups
    )
    counted = count_module(mod, (torch.empty(2, cin, size, size, device=META),), backward=True)
    assert counted.forward_flops == layer.forward_tensor_core_flops
    assert counted.params == layer.params
    assert counted.backward_flops == (1 + groups) * layer.forward_tensor_core_flops
    assert layer.backward_tensor_core_flops == 2 * layer.forward_tensor_core_flops


@settings(max_examples=40, deadline=None)
@given(
    batch=st.integers(1, 3),
    heads=st.integers(1, 4),
    q_len=st.integers(1, 24),
    extra_kv=st.integers(0, 24),
    head_dim=st.sampled_from([8, 16, 32]),
    causal=st.booleans(),
)
def test_attention_core_forward_backward(
    batch: int, heads: int, q_len: int, extra_kv: int, head_dim: int, causal: bool
) -> None:
    kv_len = q_len + extra_kv
    q = torch.empty(batch, heads, q_len, head_dim, device=META)
    kv = torch.empty(batch, heads, kv_len, head_dim, device=META)
    layer = AttentionCore(batch=batch, heads=heads, q_len=q_len, kv_len=kv_len, head_dim=head_dim, causal=causal)
    result = check_parity(
        layer,
        torch.nn.Module(),
        (q, kv, kv),
        kwargs={"is_causal": causal},
        call=F.scaled_dot_product_attention,
        backward=True,
    )
    assert result.ok, result.describe()


def test_attention_core_causal_executed_flops() -> None:
    # square causal: 4 queries see 1+2+3+4 = 10 keys of 16
    core = AttentionCore(batch=1, heads=2, q_len=4, kv_len=4, head_dim=8, causal=True)
    assert core.forward_tensor_core_flops == 2 * 2 * 1 * 2 * 4 * 4 * 8  # 1024, counted as full
    assert core.forward_executed_tensor_core_flops == 2 * 2 * 2 * 10 * 8  # 640
    # decode: one query sees all 9 cached keys
    step = AttentionCore(batch=1, heads=2, q_len=1, kv_len=9, head_dim=8, causal=True)
    assert step.forward_executed_tensor_core_flops == step.forward_tensor_core_flops


def test_eager_and_flash_same_flops_different_io() -> None:
    kw = {"batch": 1, "heads": 4, "q_len": 128, "kv_len": 128, "head_dim": 64, "causal": True}
    flash = AttentionCore(implementation="flash", **kw)
    eager = AttentionCore(implementation="eager", **kw)
    assert flash.forward_tensor_core_flops == eager.forward_tensor_core_flops
    # eager writes the scores, reads them, writes the probabilities, reads them: 4 passes of 4*128*128 bf16
    assert eager.forward_io_bytes - flash.forward_io_bytes == 4 * 4 * 128 * 128 * 2


@pytest.mark.parametrize(
    ("layer", "module", "shape"),
    [
        (LayerNorm(tokens=6, hidden=16), torch.nn.LayerNorm(16, device=META), (2, 3, 16)),
        (RMSNorm(tokens=6, hidden=16), torch.nn.RMSNorm(16, device=META), (2, 3, 16)),
        (GELU(elements=96), torch.nn.GELU(), (2, 3, 16)),
        (SiLU(elements=96), torch.nn.SiLU(), (2, 3, 16)),
        (Softmax(elements=96), torch.nn.Softmax(dim=-1), (2, 3, 16)),
    ],
)
def test_pointwise_layers_count_no_tensor_core_flops(
    layer: object, module: torch.nn.Module, shape: tuple[int, ...]
) -> None:
    from modelmeter.layers import BaseLayer

    assert isinstance(layer, BaseLayer)
    result = check_parity(layer, module, (torch.empty(*shape, device=META),), backward=True)
    assert result.ok, result.describe()
    assert layer.forward_cuda_core_flops > 0


def test_quick_gelu_and_embedding_params() -> None:
    qg = QuickGELU(elements=10)
    x = torch.empty(10, device=META)
    counted = count_module(torch.nn.Module(), (x,), call=lambda t: t * torch.sigmoid(1.702 * t))
    assert counted.forward_flops == qg.forward_tensor_core_flops == 0
    emb = torch.nn.Embedding(129280, 1280, device=META)
    layer = Embedding(tokens=703, num_embeddings=129280, embedding_dim=1280)
    result = check_parity(layer, emb, (torch.zeros(1, 703, dtype=torch.long, device=META),))
    assert result.ok, result.describe()
    assert layer.params == 165_478_400  # 129280 * 1280
