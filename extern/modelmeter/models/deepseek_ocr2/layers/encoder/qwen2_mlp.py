"""``Qwen2MLP``: the encoder's SwiGLU feed-forward, the same math as v1's
:class:`~modelmeter.models.deepseek_ocr.layers.decoder.DeepseekV2MLP` (no biases)."""

from __future__ import annotations

from typing import ClassVar

from attrs import define

from modelmeter.models.deepseek_ocr.layers.decoder import DeepseekV2MLP


@define(frozen=True, kw_only=True)
class Qwen2MLP(DeepseekV2MLP):
    """SwiGLU MLP ``hidden_size -> intermediate_size -> hidden_size`` on ``tokens`` rows
    (transformers' ``DeepseekOcr2VisionMLP``).

    Example
    -------
    >>> mlp = Qwen2MLP(tokens=512, hidden_size=896, intermediate_size=4864)
    >>> mlp.params, mlp.forward_tensor_core_flops  # 3 * 896 * 4864; 3 * 2 * 512 * 896 * 4864
    (13074432, 13388218368)
    """

    definition: ClassVar[str] = "Qwen2 SwiGLU feed-forward: down_proj(silu(gate_proj(x)) * up_proj(x))."
