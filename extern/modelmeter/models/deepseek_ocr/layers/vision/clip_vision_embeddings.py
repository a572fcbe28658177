"""DeepEncoder's ``CLIPVisionEmbeddings`` fed by SAM features (vendor
``deepencoder.CLIPVisionEmbeddings.forward(pixel_values, patch_embeds)``)."""

from __future__ import annotations

from typing import ClassVar

from attrs import define, field

from modelmeter.layers import Child, Conv2d, Elementwise, Embedding
from modelmeter.layers.base import BaseLayer, OperatorCategory, check_divides, known_dtype, non_negative, positive
from modelmeter.metrics import LayerMetrics
from modelmeter.units import dtype_bytes

POSITION_ADD = "position_add"
"""Pseudo-child name of ``embeddings + get_abs_pos(position_embedding(position_ids), ...)``."""


@define(frozen=True, kw_only=True)
class CLIPVisionEmbeddings(BaseLayer):
    """CLIP embeddings of ``batch`` SAM maps ``[batch, hidden_size, grid, grid]``.

    The SAM map is flattened into ``grid^2`` tokens (a view), the learned ``class_embedding``
    is prepended (a copy, not modelled) and the position table is added. The table is
    always looked up whole (``position_embedding(position_ids)``: ``num_positions`` rows)
    and, when ``grid^2 + 1 != num_positions``, its patch rows are bicubic-resized
    (interpolation, not modelled). ``patch_embedding`` (Conv2d ``num_channels -> hidden_size``,
    kernel = stride = ``patch_size``, no bias) exists in the checkpoint but never runs
    because SAM features are passed in: it contributes parameters only.

    Example
    -------
    >>> emb = CLIPVisionEmbeddings(batch=1, grid=16)
    >>> emb.seq_len, emb.num_positions
    (257, 257)
    >>> emb.params  # class 1024 + patch conv 1024*3*14*14 + positions 257*1024
    866304
    >>> emb.forward_tensor_core_flops
    0
    """

    batch: int = field(validator=non_negative)
    grid: int = field(validator=positive)
    hidden_size: int = field(default=1024, validator=positive)
    image_size: int = field(default=224, validator=positive)
    patch_size: int = field(default=14, validator=positive)
    num_channels: int = field(default=3, validator=positive)
    dtype: str = field(default="bfloat16", validator=known_dtype)

    category: ClassVar[OperatorCategory] = OperatorCategory.EMBEDDING
    definition: ClassVar[str] = "CLS token prepended to SAM patch features plus a learned position table."
    formulas: ClassVar[dict[str, str]] = {
        "params": "own class_embedding hidden_size + patch_embedding (never executed) + position_embedding",
        "forward_tensor_core_flops": "0 (patch_embedding does not run)",
        "forward_cuda_core_flops": "position_add: 1 FLOP per element of batch * (grid^2 + 1) * hidden_size",
        "forward_io_bytes": "position_embedding lookup of num_positions rows + position_add",
    }

    def __attrs_post_init__(self) -> None:
        check_divides(self, "image_size", self.image_size, "patch_size", self.patch_size)

    @property
    def seq_len(self) -> int:
        """Tokens per image: ``grid^2 + 1`` (CLS first)."""
        return self.grid * self.grid + 1

    @property
    def num_positions(self) -> int:
        """Rows of the position table: ``(image_size / patch_size)^2 + 1`` (257)."""
        return (self.image_size // self.patch_size) ** 2 + 1

    def own_metrics(self) -> LayerMetrics:
        n = self.hidden_size
        return LayerMetrics(params=n, weight_memory_bytes=n * dtype_bytes(self.dtype))

    def children(self) -> tuple[Child, ...]:
        patch_embedding = Conv2d(
            batch=self.batch,
            in_channels=self.num_channels,
            out_channels=self.hidden_size,
            in_h=self.image_size,
            in_w=self.image_size,
            kernel_size=self.patch_size,
            stride=self.patch_size,
            bias=False,
            dtype=self.dtype,
            executed=False,
        )
        positions = Embedding(
            tokens=self.num_positions,
            num_embeddings=self.num_positions,
            embedding_dim=self.hidden_size,
            dtype=self.dtype,
        )
        add = Elementwise(
            elements=self.batch * self.seq_len * self.hidden_size, inputs=2, flops_per_element=1, dtype=self.dtype
        )
        return (
            Child("patch_embedding", patch_embedding),
            Child("position_embedding", positions),
            Child(POSITION_ADD, add),
        )
