"""SAM's ``Block``: pre-norm transformer block with window or global attention (vendor
``deepencoder.Block``)."""

from __future__ import annotations

from typing import ClassVar

from attrs import define, field

from modelmeter.layers import Child, Elementwise, LayerNorm
from modelmeter.layers.base import BaseLayer, OperatorCategory, check_divides, known_dtype, non_negative, positive
from modelmeter.metrics import ZERO, LayerMetrics
from modelmeter.models.deepseek_ocr.layers.vision.attention import Attention
from modelmeter.models.deepseek_ocr.layers.vision.mlp_block import MLPBlock

ATTN_RESIDUAL = "attn_residual"
"""Pseudo-child name of ``x = shortcut + attn(...)`` (a tensor add in ``forward``, not a module)."""
MLP_RESIDUAL = "mlp_residual"
"""Pseudo-child name of ``x = x + mlp(norm2(x))``."""


def padded_side(size: int, window_size: int) -> int:
    """Side after ``window_partition`` pads ``size`` up to a multiple of ``window_size``."""
    return size + (window_size - size % window_size) % window_size


@define(frozen=True, kw_only=True)
class Block(BaseLayer):
    """One SAM ViT block on ``batch`` grids of ``height x width`` tokens.

    ``x = x + attn(norm1(x)); x = x + mlp(norm2(x))``. With ``window_size > 0`` the normed
    grid is zero-padded to a multiple of the window and cut into windows before ``attn``, so
    ``attn`` (its ``qkv`` and ``proj`` Linears included) runs on the *padded* token count,
    ``batch * windows`` sequences of ``window_size^2`` tokens; the MLP, the norms and the
    residual adds run on the unpadded grid. With ``window_size == 0`` (global block)
    ``attn`` sees the whole grid and its relative-position tables are sized for
    ``input_size`` (the native patch grid). Padding and window (un)partition are layout
    copies, not modelled.

    Example
    -------
    >>> win = Block(batch=1, height=64, width=64, dim=768, num_heads=12, mlp_dim=3072,
    ...             window_size=14, input_size=64)
    >>> win.windows, win.attn_tokens, win.params  # (70/14)^2 windows, 25*196 padded tokens
    (25, 4900, 7091328)
    >>> Block(batch=1, height=64, width=64, dim=768, num_heads=12, mlp_dim=3072,
    ...       window_size=0, input_size=64).params  # + 2 * (127 - 27) * 64 rel-pos rows
    7104128
    """

    batch: int = field(validator=non_negative)
    height: int = field(validator=positive)
    width: int = field(validator=positive)
    dim: int = field(validator=positive)
    num_heads: int = field(validator=positive)
    mlp_dim: int = field(validator=positive)
    window_size: int = field(validator=non_negative)
    input_size: int = field(validator=positive)
    use_rel_pos: bool = True
    qkv_bias: bool = True
    implementation: str = "flash"
    dtype: str = field(default="bfloat16", validator=known_dtype)

    category: ClassVar[OperatorCategory] = OperatorCategory.OTHER
    definition: ClassVar[str] = "Pre-norm ViT block with windowed or global relative-position attention and an MLP."
    formulas: ClassVar[dict[str, str]] = {
        "forward_tensor_core_flops": "attn (on padded windows, or the whole grid) + mlp (unpadded grid)",
        "forward_cuda_core_flops": (
            "norm1 + norm2 + attn + mlp + 2 residual adds (Elementwise, 1 FLOP per element of batch*h*w*dim)"
        ),
        "params": "norm1 + attn + norm2 + mlp",
    }

    def __attrs_post_init__(self) -> None:
        check_divides(self, "dim", self.dim, "num_heads", self.num_heads)

    @property
    def is_global(self) -> bool:
        """True for a global-attention block (``window_size == 0``)."""
        return self.window_size == 0

    @property
    def windows(self) -> int:
        """Windows per image (1 for a global block)."""
        if self.is_global:
            return 1
        ws = self.window_size
        return (padded_side(self.height, ws) // ws) * (padded_side(self.width, ws) // ws)

    @property
    def attn_tokens(self) -> int:
        """Tokens ``attn`` projects: ``batch * windows * window_size^2`` (padded) or ``batch * h * w``."""
        return self.attention().tokens

    @property
    def tokens(self) -> int:
        """Unpadded tokens: ``batch * height * width``."""
        return self.batch * self.height * self.width

    def attention(self) -> Attention:
        """The ``attn`` child."""
        if self.is_global:
            return Attention(
                batch=self.batch,
                height=self.height,
                width=self.width,
                dim=self.dim,
                num_heads=self.num_heads,
                input_size=self.input_size,
                use_rel_pos=self.use_rel_pos,
                qkv_bias=self.qkv_bias,
                implementation=self.implementation,
                dtype=self.dtype,
            )
        return Attention(
            batch=self.batch * self.windows,
            height=self.window_size,
            width=self.window_size,
            dim=self.dim,
            num_heads=self.num_heads,
            input_size=self.window_size,
            use_rel_pos=self.use_rel_pos,
            qkv_bias=self.qkv_bias,
            implementation=self.implementation,
            dtype=self.dtype,
        )

    def own_metrics(self) -> LayerMetrics:
        return ZERO

    def children(self) -> tuple[Child, ...]:
        t, d = self.tokens, self.dim
        residual = Elementwise(elements=t * d, inputs=2, flops_per_element=1, dtype=self.dtype)
        norm = LayerNorm(tokens=t, hidden=d, dtype=self.dtype)
        return (
            Child("norm1", norm),
            Child("attn", self.attention()),
            Child(ATTN_RESIDUAL, residual),
            Child("norm2", norm),
            Child("mlp", MLPBlock(tokens=t, embedding_dim=d, mlp_dim=self.mlp_dim, dtype=self.dtype)),
            Child(MLP_RESIDUAL, residual),
        )
