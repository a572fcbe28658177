"""DeepSeek-OCR's ``MlpProjector`` with ``projector_type: linear`` (vendor ``deepencoder.MlpProjector``)."""

from __future__ import annotations

from typing import ClassVar

from attrs import define, field

from modelmeter.layers import Child, Linear
from modelmeter.layers.base import BaseLayer, OperatorCategory, field_error, known_dtype, non_negative
from modelmeter.metrics import ZERO, LayerMetrics
from modelmeter.models.deepseek_ocr.config import ProjectorConfig


@define(frozen=True, kw_only=True)
class MlpProjector(BaseLayer):
    """``layers``: one biased Linear ``input_dim -> n_embed`` (2048 -> 1280) over ``tokens`` rows
    (``tokens = batch * grid^2``: the CLIP output without CLS concatenated with the flattened
    SAM output on the channel axis; the concatenation belongs to the caller).

    Example
    -------
    >>> proj = MlpProjector(config=ProjectorConfig(), tokens=256)
    >>> proj.params, proj.forward_tensor_core_flops  # 2048*1280 + 1280; 2 * 256*2048*1280
    (2622720, 1342177280)
    """

    config: ProjectorConfig
    tokens: int = field(validator=non_negative)
    dtype: str = field(default="bfloat16", validator=known_dtype)

    category: ClassVar[OperatorCategory] = OperatorCategory.OTHER
    definition: ClassVar[str] = "Linear projection of concatenated CLIP and SAM features into the language model width."
    formulas: ClassVar[dict[str, str]] = {
        "forward_tensor_core_flops": "layers: 2 * tokens * input_dim * n_embed",
        "params": "input_dim * n_embed + n_embed",
    }

    def __attrs_post_init__(self) -> None:
        if self.config.projector_type != "linear":
            raise field_error(
                self, "config.projector_type", f"{self.config.projector_type!r} is not modelled; allowed: linear"
            )

    def own_metrics(self) -> LayerMetrics:
        return ZERO

    def children(self) -> tuple[Child, ...]:
        c = self.config
        return (
            Child(
                "layers",
                Linear(
                    tokens=self.tokens, in_features=c.input_dim, out_features=c.n_embed, bias=True, dtype=self.dtype
                ),
            ),
        )
