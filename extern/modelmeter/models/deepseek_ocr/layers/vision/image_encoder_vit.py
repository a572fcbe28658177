"""SAM ViT-B ``ImageEncoderViT`` of DeepEncoder: patch embedding, absolute position add,
12 blocks (window 14, global at 2, 5, 8, 11), neck and two stride-2 convolutions (vendor
``deepencoder.ImageEncoderViT``; ``build_sam_vit_b``)."""

from __future__ import annotations

from typing import ClassVar

from attrs import define, field

from modelmeter.layers import Child, Conv2d, Elementwise
from modelmeter.layers.base import BaseLayer, OperatorCategory, check_divides, known_dtype, non_negative, positive
from modelmeter.metrics import LayerMetrics
from modelmeter.models.deepseek_ocr.config import SamViTConfig
from modelmeter.models.deepseek_ocr.layers.vision.block import Block
from modelmeter.models.deepseek_ocr.layers.vision.layer_norm_2d import LayerNorm2d
from modelmeter.models.deepseek_ocr.layers.vision.patch_embed import PatchEmbed
from modelmeter.units import dtype_bytes

POS_EMBED_ADD = "pos_embed_add"
"""Pseudo-child name of ``x = x + get_abs_pos(pos_embed, grid)`` (a tensor add, not a module)."""


@define(frozen=True, kw_only=True)
class ImageEncoderViT(BaseLayer):
    """SAM image encoder on ``batch`` square images of ``image_size`` pixels.

    Output ``[batch, output_channels, output_grid, output_grid]``. The ``pos_embed``
    parameter ``[1, g0, g0, embed_dim]`` (``g0 = config.img_size / patch_size`` = 64) is
    this layer's own; at another grid it is bicubic-resized first (interpolation, not
    modelled: torch does not count it and it touches only the table). Window blocks use
    ``config.window_size``; global blocks' relative tables are sized for ``g0``.

    Example
    -------
    >>> sam = ImageEncoderViT(config=SamViTConfig(), batch=1, image_size=1024)
    >>> sam.output_grid, sam.output_channels, sam.params
    (16, 1024, 95569152)
    >>> ImageEncoderViT(config=SamViTConfig(), batch=4, image_size=640).output_grid
    10
    """

    config: SamViTConfig
    batch: int = field(validator=non_negative)
    image_size: int = field(validator=positive)
    dtype: str = field(default="bfloat16", validator=known_dtype)

    category: ClassVar[OperatorCategory] = OperatorCategory.EMBEDDING
    definition: ClassVar[str] = (
        "SAM ViT-B image encoder: patch embedding, position add, windowed/global ViT blocks, "
        "convolutional neck and two stride-2 downsampling convolutions."
    )
    formulas: ClassVar[dict[str, str]] = {
        "forward_tensor_core_flops": "patch_embed + sum(blocks) + neck.0 + neck.2 + net_2 + net_3",
        "forward_cuda_core_flops": (
            "children, incl. pos_embed_add (Elementwise: 1 FLOP per element of batch*grid^2*embed_dim, "
            "reading x and the broadcast table)"
        ),
        "params": "own pos_embed g0^2 * embed_dim + children",
        "weight_memory_bytes": "own pos_embed g0^2 * embed_dim * bytes(dtype) + children",
    }

    def __attrs_post_init__(self) -> None:
        check_divides(self, "image_size", self.image_size, "patch_size", self.config.patch_size)

    @property
    def grid(self) -> int:
        """Patch grid side (``image_size / patch_size``)."""
        return self.image_size // self.config.patch_size

    @property
    def output_grid(self) -> int:
        """Side of the SAM output map after ``net_2`` and ``net_3`` (``grid / 4``: 16 at 1024, 10 at 640)."""
        return self._net_3().out_h

    @property
    def output_channels(self) -> int:
        """Channels of the SAM output (``net_3``'s, 1024)."""
        return self.config.downsample_channels[1]

    @property
    def pos_embed_params(self) -> int:
        """Elements of ``pos_embed``: ``g0 * g0 * embed_dim`` at the native grid."""
        return self.config.native_grid**2 * self.config.embed_dim

    def _downsample(self, in_channels: int, out_channels: int, grid: int) -> Conv2d:
        """One of the neck's stride-2 3x3 convolutions (``net_2``, ``net_3``) on a ``grid`` x ``grid`` map."""
        return Conv2d(
            batch=self.batch,
            in_channels=in_channels,
            out_channels=out_channels,
            in_h=grid,
            in_w=grid,
            kernel_size=3,
            stride=2,
            padding=1,
            bias=False,
            dtype=self.dtype,
        )

    def _net_2(self) -> Conv2d:
        return self._downsample(self.config.out_chans, self.config.downsample_channels[0], self.grid)

    def _net_3(self) -> Conv2d:
        channels = self.config.downsample_channels
        return self._downsample(channels[0], channels[1], self._net_2().out_h)

    def block(self, index: int) -> Block:
        """``blocks.<index>``: global when ``index`` is in ``config.global_attn_indexes``."""
        c = self.config
        return self._block(0 if index in c.global_attn_indexes else c.window_size)

    def _block(self, window_size: int) -> Block:
        c = self.config
        return Block(
            batch=self.batch,
            height=self.grid,
            width=self.grid,
            dim=c.embed_dim,
            num_heads=c.num_heads,
            mlp_dim=c.mlp_dim,
            window_size=window_size,
            input_size=c.native_grid,
            use_rel_pos=c.use_rel_pos,
            qkv_bias=c.qkv_bias,
            dtype=self.dtype,
        )

    def own_metrics(self) -> LayerMetrics:
        n = self.pos_embed_params
        return LayerMetrics(params=n, weight_memory_bytes=n * dtype_bytes(self.dtype))

    def children(self) -> tuple[Child, ...]:
        c, g, b, dt = self.config, self.grid, self.batch, self.dtype
        window, global_ = self._block(c.window_size), self._block(0)  # one instance each, shared
        blocks = tuple(Child(f"blocks.{i}", global_ if i in c.global_attn_indexes else window) for i in range(c.depth))
        neck_norm = LayerNorm2d(batch=b, num_channels=c.out_chans, height=g, width=g, dtype=dt)
        return (
            Child(
                "patch_embed",
                PatchEmbed(
                    batch=b,
                    image_size=self.image_size,
                    patch_size=c.patch_size,
                    in_chans=c.in_chans,
                    embed_dim=c.embed_dim,
                    dtype=dt,
                ),
            ),
            Child(
                POS_EMBED_ADD, Elementwise(elements=b * g * g * c.embed_dim, inputs=2, flops_per_element=1, dtype=dt)
            ),
            *blocks,
            Child(
                "neck.0",
                Conv2d(
                    batch=b,
                    in_channels=c.embed_dim,
                    out_channels=c.out_chans,
                    in_h=g,
                    in_w=g,
                    kernel_size=1,
                    bias=False,
                    dtype=dt,
                ),
            ),
            Child("neck.1", neck_norm),
            Child(
                "neck.2",
                Conv2d(
                    batch=b,
                    in_channels=c.out_chans,
                    out_channels=c.out_chans,
                    in_h=g,
                    in_w=g,
                    kernel_size=3,
                    padding=1,
                    bias=False,
                    dtype=dt,
                ),
            ),
            Child("neck.3", neck_norm),
            Child("net_2", self._net_2()),
            Child("net_3", self._net_3()),
        )
