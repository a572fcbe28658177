"""SAM's ``Attention``: multi-head self-attention over an ``height x width`` token grid with
decomposed relative-position terms (vendor ``deepencoder.Attention``).

The relative-position work is the layer's own: for each axis the query is contracted with a
gathered table (``einsum("bhwc,hkc->bhwk")`` for the height axis, ``"bhwc,wkc->bhwk"`` for the
width axis), which torch lowers to ``bmm`` and ``FlopCounterMode`` counts; the two terms are
then broadcast-added into a full ``[batch*heads, h*w, h*w]`` bias that the attention kernel
reads. The projections and the attention core are children.
"""

from __future__ import annotations

from typing import ClassVar

from attrs import define, field

from modelmeter.layers import AttentionCore, Child, Linear
from modelmeter.layers.attention_core import ATTENTION_IMPLS
from modelmeter.layers.base import BaseLayer, OperatorCategory, check_divides, known_dtype, non_negative, positive
from modelmeter.metrics import ZERO, LayerMetrics
from modelmeter.primitives import elementwise_flops, matmul_flops
from modelmeter.units import dtype_bytes

REL_POS_BIAS_ADD_FLOPS_PER_SCORE = 1
"""``rel_h + rel_w`` broadcast to one bias value per score."""


def _implementation(instance: object, attribute: object, value: str) -> None:
    if value not in ATTENTION_IMPLS:
        raise ValueError(f"implementation: unknown {value!r}; allowed: {', '.join(ATTENTION_IMPLS)}")


@define(frozen=True, kw_only=True)
class Attention(BaseLayer):
    """SAM attention over ``batch`` grids of ``height x width`` tokens (windows folded into ``batch``).

    Parameters
    ----------
    batch
        Sequences attended independently: images for a global block, ``images * windows`` for
        a window block.
    height, width
        Token grid of one sequence (the window side in window blocks).
    dim, num_heads
        Model width and heads (``head_dim = dim // num_heads``).
    input_size
        Side the relative-position tables were built for: the window size in window
        blocks, the native patch grid (64) in global blocks. The tables have
        ``2 * input_size - 1`` rows each; resizing them for another grid is interpolation,
        which is not modelled (torch does not count it and it touches only the tables).
    use_rel_pos, qkv_bias
        As the vendor's arguments.
    implementation
        Attention kernel for I/O: ``"flash"`` (fused, scores stay on chip; the vendor's SDPA
        call with a float mask runs the memory-efficient kernel on GPU) or ``"eager"``.

    Example
    -------
    >>> attn = Attention(batch=25, height=14, width=14, dim=768, num_heads=12, input_size=14)
    >>> attn.params  # qkv 768*2304+2304, proj 768*768+768, 2 tables 27*64
    2365824
    >>> attn.rel_pos_tensor_core_flops  # 2 axes * 2 * (25*12) * 196 * 14 * 64
    210739200
    """

    batch: int = field(validator=non_negative)
    height: int = field(validator=positive)
    width: int = field(validator=positive)
    dim: int = field(validator=positive)
    num_heads: int = field(validator=positive)
    input_size: int = field(validator=positive)
    use_rel_pos: bool = True
    qkv_bias: bool = True
    implementation: str = field(default="flash", validator=_implementation)
    dtype: str = field(default="bfloat16", validator=known_dtype)

    category: ClassVar[OperatorCategory] = OperatorCategory.ATTENTION
    definition: ClassVar[str] = (
        "Multi-head self-attention on a 2-D token grid with decomposed relative-position bias (SAM / ViTDet)."
    )
    formulas: ClassVar[dict[str, str]] = {
        "forward_tensor_core_flops": (
            "qkv + proj + sdpa (children) + rel-pos einsums: "
            "2 * batch*heads * (h*w) * (h + w) * head_dim  (bmm per axis: [h*w, d] x [d, h] and [d, w])"
        ),
        "backward_tensor_core_flops": "children + 2 * rel-pos forward (gradient w.r.t. q and w.r.t. the table)",
        "forward_cuda_core_flops": "children + batch*heads*(h*w)^2 (rel_h + rel_w broadcast into the bias)",
        "params": "qkv + proj + 2 * (2 * input_size - 1) * head_dim (rel_pos_h, rel_pos_w)",
        "forward_io_bytes": (
            "children + tables read + per axis (q read, gathered table read, rel term write) "
            "+ bias add (rel_h, rel_w read, batch*heads*(h*w)^2 write)"
        ),
    }

    def __attrs_post_init__(self) -> None:
        check_divides(self, "dim", self.dim, "num_heads", self.num_heads)

    @property
    def head_dim(self) -> int:
        """Per-head width."""
        return self.dim // self.num_heads

    @property
    def tokens(self) -> int:
        """Rows the projections see: ``batch * height * width``."""
        return self.batch * self.height * self.width

    @property
    def rel_pos_rows(self) -> int:
        """Rows of each relative-position table: ``2 * input_size - 1``."""
        return 2 * self.input_size - 1

    @property
    def rel_pos_tensor_core_flops(self) -> int:
        """Forward FLOPs of the two relative-position contractions."""
        if not self.use_rel_pos:
            return 0
        bh, n, d = self.batch * self.num_heads, self.height * self.width, self.head_dim
        # height axis: for each of the h query rows, [b*w, d] @ [d, k_h] (k_h = height), batched over b*heads
        return matmul_flops(n, self.height, d, batch=bh) + matmul_flops(n, self.width, d, batch=bh)

    def own_metrics(self) -> LayerMetrics:
        if not self.use_rel_pos:
            return ZERO
        b = dtype_bytes(self.dtype)
        bh, n, d = self.batch * self.num_heads, self.height * self.width, self.head_dim
        fwd = self.rel_pos_tensor_core_flops
        params = 2 * self.rel_pos_rows * d
        q_elems = bh * n * d
        gathered = (self.height * self.height + self.width * self.width) * d  # Rh [h, h, d], Rw [w, w, d]
        rel_elems = bh * n * (self.height + self.width)  # rel_h [bh, n, h] + rel_w [bh, n, w]
        bias_elems = bh * n * n
        active = self.batch > 0
        return LayerMetrics(
            forward_tensor_core_flops=fwd,
            forward_executed_tensor_core_flops=fwd,
            backward_tensor_core_flops=2 * fwd,
            forward_cuda_core_flops=elementwise_flops(bias_elems, REL_POS_BIAS_ADD_FLOPS_PER_SCORE),
            # the bias gradient is summed back onto rel_h and rel_w
            backward_cuda_core_flops=elementwise_flops(bias_elems, REL_POS_BIAS_ADD_FLOPS_PER_SCORE),
            forward_weight_read_bytes=params * b if active else 0,
            forward_activation_read_bytes=(2 * q_elems + gathered + rel_elems) * b,
            forward_activation_write_bytes=(rel_elems + bias_elems) * b,
            backward_weight_read_bytes=0,
            # bias grad read; per axis rel grad (twice), q and gathered table
            backward_activation_read_bytes=(bias_elems + 2 * rel_elems + 2 * q_elems + gathered) * b,
            backward_activation_write_bytes=(rel_elems + 2 * q_elems + gathered + (params if active else 0)) * b,
            params=params,
            weight_memory_bytes=params * b,
            activation_memory_bytes=(rel_elems + bias_elems) * b,
        )

    def children(self) -> tuple[Child, ...]:
        t = self.tokens
        core = AttentionCore(
            batch=self.batch,
            heads=self.num_heads,
            q_len=self.height * self.width,
            kv_len=self.height * self.width,
            head_dim=self.head_dim,
            has_bias=self.use_rel_pos,
            implementation=self.implementation,
            dtype=self.dtype,
        )
        return (
            Child(
                "qkv",
                Linear(tokens=t, in_features=self.dim, out_features=3 * self.dim, bias=self.qkv_bias, dtype=self.dtype),
            ),
            Child("sdpa", core),
            Child("proj", Linear(tokens=t, in_features=self.dim, out_features=self.dim, bias=True, dtype=self.dtype)),
        )
