"""SAM's ``PatchEmbed``: a stride-``patch_size`` convolution turning pixels into a channels-last
token grid (vendor ``deepencoder.PatchEmbed``)."""

from __future__ import annotations

from typing import ClassVar

from attrs import define, field

from modelmeter.layers import Child, Conv2d
from modelmeter.layers.base import BaseLayer, OperatorCategory, check_divides, known_dtype, non_negative, positive
from modelmeter.metrics import ZERO, LayerMetrics


@define(frozen=True, kw_only=True)
class PatchEmbed(BaseLayer):
    """``proj``: Conv2d ``in_chans -> embed_dim``, kernel = stride = ``patch_size``, with bias,
    on ``batch`` square images of ``image_size`` pixels. The permute to channels-last that
    follows is a view (no work).

    Example
    -------
    >>> pe = PatchEmbed(batch=1, image_size=1024)
    >>> pe.grid, pe.params  # 64 = 1024 / 16; 768*3*16*16 + 768
    (64, 590592)
    >>> pe.forward_tensor_core_flops  # 2 * 768 * 64*64 * 3*16*16
    4831838208
    """

    batch: int = field(validator=non_negative)
    image_size: int = field(validator=positive)
    patch_size: int = field(default=16, validator=positive)
    in_chans: int = field(default=3, validator=positive)
    embed_dim: int = field(default=768, validator=positive)
    dtype: str = field(default="bfloat16", validator=known_dtype)

    category: ClassVar[OperatorCategory] = OperatorCategory.OTHER
    definition: ClassVar[str] = "Non-overlapping patch projection of an image into a grid of embeddings."
    formulas: ClassVar[dict[str, str]] = {
        "forward_tensor_core_flops": "proj: 2 * batch * embed_dim * grid^2 * in_chans * patch_size^2",
        "params": "embed_dim * in_chans * patch_size^2 + embed_dim",
    }

    def __attrs_post_init__(self) -> None:
        check_divides(self, "image_size", self.image_size, "patch_size", self.patch_size)

    @property
    def grid(self) -> int:
        """Side of the output token grid."""
        return self._proj().out_h

    def _proj(self) -> Conv2d:
        return Conv2d(
            batch=self.batch,
            in_channels=self.in_chans,
            out_channels=self.embed_dim,
            in_h=self.image_size,
            in_w=self.image_size,
            kernel_size=self.patch_size,
            stride=self.patch_size,
            bias=True,
            dtype=self.dtype,
        )

    def own_metrics(self) -> LayerMetrics:
        return ZERO

    def children(self) -> tuple[Child, ...]:
        return (Child("proj", self._proj()),)
