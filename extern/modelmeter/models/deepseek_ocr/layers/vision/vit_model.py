"""CLIP-L ``VitModel`` of DeepEncoder, run on SAM features (vendor ``deepencoder.VitModel``; ``build_clip_l``)."""

from __future__ import annotations

from typing import ClassVar

from attrs import define, field

from modelmeter.layers import Child, LayerNorm
from modelmeter.layers.base import BaseLayer, OperatorCategory, known_dtype, non_negative, positive
from modelmeter.metrics import ZERO, LayerMetrics
from modelmeter.models.deepseek_ocr.config import ClipLConfig
from modelmeter.models.deepseek_ocr.layers.vision.clip_vision_embeddings import CLIPVisionEmbeddings
from modelmeter.models.deepseek_ocr.layers.vision.no_tp_transformer import NoTPTransformer


@define(frozen=True, kw_only=True)
class VitModel(BaseLayer):
    """CLIP-L on ``batch`` SAM maps of ``grid x grid`` (``grid`` = SAM ``output_grid``):
    ``embeddings -> pre_layrnorm -> transformer``, ``grid^2 + 1`` tokens per image (CLS first).

    Example
    -------
    >>> vit = VitModel(config=ClipLConfig(), batch=1, grid=16)
    >>> vit.seq_len, vit.params
    (257, 303177728)
    >>> VitModel(config=ClipLConfig(), batch=4, grid=10).seq_len
    101
    """

    config: ClipLConfig
    batch: int = field(validator=non_negative)
    grid: int = field(validator=positive)
    dtype: str = field(default="bfloat16", validator=known_dtype)

    category: ClassVar[OperatorCategory] = OperatorCategory.OTHER
    definition: ClassVar[str] = "CLIP-L vision transformer fed with SAM features instead of its own patch embedding."
    formulas: ClassVar[dict[str, str]] = {
        "forward_tensor_core_flops": "transformer (embeddings run no contraction)",
        "params": "embeddings + pre_layrnorm + transformer",
    }

    @property
    def seq_len(self) -> int:
        """Tokens per image: ``grid^2 + 1``."""
        return self.grid * self.grid + 1

    def own_metrics(self) -> LayerMetrics:
        return ZERO

    def children(self) -> tuple[Child, ...]:
        c, dt = self.config, self.dtype
        embeddings = CLIPVisionEmbeddings(
            batch=self.batch,
            grid=self.grid,
            hidden_size=c.hidden_size,
            image_size=c.image_size,
            patch_size=c.patch_size,
            num_channels=c.num_channels,
            dtype=dt,
        )
        transformer = NoTPTransformer(
            batch=self.batch,
            seq_len=self.seq_len,
            hidden_size=c.hidden_size,
            num_heads=c.num_attention_heads,
            ffn_hidden_size=c.ffn_hidden_size,
            num_layers=c.num_layers,
            dtype=dt,
        )
        return (
            Child("embeddings", embeddings),
            Child("pre_layrnorm", LayerNorm(tokens=self.batch * self.seq_len, hidden=c.hidden_size, dtype=dt)),
            Child("transformer", transformer),
        )
