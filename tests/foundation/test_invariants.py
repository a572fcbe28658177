"""Structural invariants: composite = children + own, non-negative metrics, linear in batch."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from modelmeter.layers import AttentionCore, BaseLayer, Child, Conv2d, LayerNorm, Linear
from modelmeter.layers.base import scale_for_child
from modelmeter.metrics import METRIC_NAMES, ZERO, LayerMetrics


def _toy_block(tokens: int) -> BaseLayer:
    """A small composite of generic layers, defined here only to exercise aggregation."""
    from attrs import define

    @define(frozen=True, kw_only=True)
    class ToyBlock(BaseLayer):
        tokens: int

        def own_metrics(self) -> LayerMetrics:
            return LayerMetrics(forward_cuda_core_flops=self.tokens, params=1)

        def children(self) -> tuple[Child, ...]:
            return (
                Child("norm", LayerNorm(tokens=self.tokens, hidden=32)),
                Child("fc", Linear(tokens=self.tokens, in_features=32, out_features=64), count=3),
                Child("attn", AttentionCore(batch=1, heads=2, q_len=self.tokens, kv_len=self.tokens, head_dim=16)),
                Child("again", Linear(tokens=self.tokens, in_features=32, out_features=64), count=2, instances=0),
            )

    return ToyBlock(tokens=tokens)


@settings(max_examples=25, deadline=None)
@given(tokens=st.integers(0, 500))
def test_composite_is_sum_of_children_plus_own(tokens: int) -> None:
    block = _toy_block(tokens)
    expected = block.own_metrics()
    for child in block.children():
        expected = expected + scale_for_child(child.layer.metrics(), child)
    assert block.metrics() == expected
    lin = Linear(tokens=tokens, in_features=32, out_features=64)
    # 3 counted instances of fc + 0 for the re-called one; 2 LayerNorm params; own 1
    assert block.params == 3 * lin.params + 2 * 32 + 1
    assert (
        block.forward_tensor_core_flops
        == 5 * lin.forward_tensor_core_flops + block.children()[2].layer.forward_tensor_core_flops
    )


@settings(max_examples=25, deadline=None)
@given(tokens=st.integers(0, 300))
def test_category_breakdown_sums_to_total(tokens: int) -> None:
    block = _toy_block(tokens)
    total = ZERO
    for m in block.category_breakdown().values():
        total = total + m
    assert total == block.metrics()


@settings(max_examples=25, deadline=None)
@given(tokens=st.integers(0, 300))
def test_every_metric_non_negative(tokens: int) -> None:
    for _, layer, _ in _toy_block(tokens).walk():
        values = layer.metrics().as_dict()
        assert all(values[n] >= 0 for n in METRIC_NAMES), layer.identifier


@settings(max_examples=25, deadline=None)
@given(batch=st.integers(1, 8), cin=st.integers(1, 16), size=st.integers(3, 32))
def test_work_linear_in_batch(batch: int, cin: int, size: int) -> None:
    def conv(b: int) -> Conv2d:
        return Conv2d(batch=b, in_channels=cin, out_channels=8, in_h=size, in_w=size, kernel_size=3, padding=1)

    one, many = conv(1).metrics(), conv(batch).metrics()
    assert many.forward_tensor_core_flops == batch * one.forward_tensor_core_flops
    assert many.forward_activation_read_bytes == batch * one.forward_activation_read_bytes
    assert many.params == one.params  # weights do not grow with batch
    assert many.forward_weight_read_bytes == one.forward_weight_read_bytes


def test_walk_paths_and_calls() -> None:
    rows = [(path, calls) for path, _, calls in _toy_block(4).walk("toy")]
    assert rows == [("toy", 1), ("toy.norm", 1), ("toy.fc", 3), ("toy.attn", 1), ("toy.again", 2)]


def test_zero_token_linear_reads_no_weights() -> None:
    idle = Linear(tokens=0, in_features=1280, out_features=896)
    assert idle.forward_io_bytes == 0
    assert idle.params == 1280 * 896 + 896
