"""CLIP-L's ``NoTPTransformer``: a stack of identical blocks (vendor ``deepencoder.NoTPTransformer``)."""

from __future__ import annotations

from typing import ClassVar

from attrs import define, field

from modelmeter.layers import Child
from modelmeter.layers.base import BaseLayer, OperatorCategory, check_divides, known_dtype, non_negative, positive
from modelmeter.metrics import ZERO, LayerMetrics
from modelmeter.models.deepseek_ocr.layers.vision.no_tp_transformer_block import NoTPTransformerBlock


@define(frozen=True, kw_only=True)
class NoTPTransformer(BaseLayer):
    """``num_layers`` :class:`NoTPTransformerBlock` children ``layers.0 .. layers.<n-1>`` (no final norm).

    Example
    -------
    >>> tr = NoTPTransformer(batch=1, seq_len=257, hidden_size=1024, num_heads=16, ffn_hidden_size=4096,
    ...                      num_layers=24)
    >>> tr.params  # 24 * 12596224
    302309376
    """

    batch: int = field(validator=non_negative)
    seq_len: int = field(validator=positive)
    hidden_size: int = field(validator=positive)
    num_heads: int = field(validator=positive)
    ffn_hidden_size: int = field(validator=positive)
    num_layers: int = field(validator=positive)
    implementation: str = "flash"
    dtype: str = field(default="bfloat16", validator=known_dtype)

    category: ClassVar[OperatorCategory] = OperatorCategory.OTHER
    definition: ClassVar[str] = "Stack of pre-norm CLIP transformer blocks."
    formulas: ClassVar[dict[str, str]] = {"all metrics": "num_layers * NoTPTransformerBlock"}

    def __attrs_post_init__(self) -> None:
        check_divides(self, "hidden_size", self.hidden_size, "num_heads", self.num_heads)

    def own_metrics(self) -> LayerMetrics:
        return ZERO

    def children(self) -> tuple[Child, ...]:
        block = NoTPTransformerBlock(
            batch=self.batch,
            seq_len=self.seq_len,
            hidden_size=self.hidden_size,
            num_heads=self.num_heads,
            ffn_hidden_size=self.ffn_hidden_size,
            implementation=self.implementation,
            dtype=self.dtype,
        )
        return tuple(Child(f"layers.{i}", block) for i in range(self.num_layers))
