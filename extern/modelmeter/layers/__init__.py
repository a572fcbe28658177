"""Generic analytic layers (torch builtins and the attention core)."""

from modelmeter.layers.activations import GELU, Elementwise, QuickGELU, SiLU, Softmax
from modelmeter.layers.attention_core import AttentionCore, causal_visible_keys
from modelmeter.layers.base import BaseLayer, Child, OperatorCategory
from modelmeter.layers.conv2d import Conv2d
from modelmeter.layers.embedding import Embedding
from modelmeter.layers.linear import Linear
from modelmeter.layers.norms import LayerNorm, RMSNorm

__all__ = [
    "GELU",
    "AttentionCore",
    "BaseLayer",
    "Child",
    "Conv2d",
    "Elementwise",
    "Embedding",
    "LayerNorm",
    "Linear",
    "OperatorCategory",
    "QuickGELU",
    "RMSNorm",
    "SiLU",
    "Softmax",
    "causal_visible_keys",
]
