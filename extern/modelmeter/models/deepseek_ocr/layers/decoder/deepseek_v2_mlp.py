"""``DeepseekV2MLP``: the SwiGLU feed-forward ``down_proj(silu(gate_proj(x)) * up_proj(x))``.

Used three ways in DeepSeek-OCR: the dense MLP of layer 0 (``intermediate_size`` 6848), each
routed expert (``moe_intermediate_size`` 896) and the shared experts (896 x 2 = 1792, fused).
"""

from __future__ import annotations

from typing import ClassVar

from attrs import define, field

from modelmeter.layers.activations import Elementwise, SiLU
from modelmeter.layers.base import BaseLayer, Child, OperatorCategory, known_dtype, non_negative, positive
from modelmeter.layers.linear import Linear
from modelmeter.metrics import ZERO, LayerMetrics


@define(frozen=True, kw_only=True)
class DeepseekV2MLP(BaseLayer):
    """SwiGLU MLP ``hidden_size -> intermediate_size -> hidden_size`` (no biases) on
    ``tokens`` rows. ``tokens == 0`` (an expert that received no token) does no work and
    reads no weights, but still holds its parameters.

    Example
    -------
    >>> mlp = DeepseekV2MLP(tokens=1, hidden_size=1280, intermediate_size=896)
    >>> mlp.params  # 3 * 1280 * 896
    3440640
    >>> mlp.forward_tensor_core_flops  # 3 matmuls * 2 * 1 * 1280 * 896
    6881280
    >>> DeepseekV2MLP(tokens=0, hidden_size=1280, intermediate_size=896).metrics().forward_weight_read_bytes
    0
    """

    tokens: int = field(validator=non_negative)
    hidden_size: int = field(validator=positive)
    intermediate_size: int = field(validator=positive)
    dtype: str = field(default="bfloat16", validator=known_dtype)

    category: ClassVar[OperatorCategory] = OperatorCategory.OTHER
    definition: ClassVar[str] = "SwiGLU feed-forward: down_proj(silu(gate_proj(x)) * up_proj(x))."
    formulas: ClassVar[dict[str, str]] = {
        "children": "gate_proj + up_proj (Linear h->i) + act_fn (SiLU, tokens*i) + mul (tokens*i) + down_proj (i->h)",
        "forward_tensor_core_flops": "3 * 2 * tokens * hidden_size * intermediate_size",
        "params": "3 * hidden_size * intermediate_size",
    }

    def own_metrics(self) -> LayerMetrics:
        return ZERO

    def children(self) -> tuple[Child, ...]:
        t, h, i = self.tokens, self.hidden_size, self.intermediate_size
        wide = t * i
        return (
            Child("gate_proj", Linear(tokens=t, in_features=h, out_features=i, bias=False, dtype=self.dtype)),
            Child("up_proj", Linear(tokens=t, in_features=h, out_features=i, bias=False, dtype=self.dtype)),
            Child("act_fn", SiLU(elements=wide, dtype=self.dtype)),
            Child("mul", Elementwise(elements=wide, inputs=2, flops_per_element=1, dtype=self.dtype)),
            Child("down_proj", Linear(tokens=t, in_features=i, out_features=h, bias=False, dtype=self.dtype)),
        )
