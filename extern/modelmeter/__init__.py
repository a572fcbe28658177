"""modelmeter: closed-form FLOP, byte and memory models of neural-network layers.

The package imports only the standard library and attrs, never torch, so an analytic
evaluation stays fast. Validation against real PyTorch modules lives in
:mod:`modelmeter.validation`, which imports torch lazily.

Conventions (stated once, used everywhere):

* FLOPs count one multiply-add as **2** FLOPs, torch's ``FlopCounterMode`` convention
  (see :data:`modelmeter.units.FLOPS_PER_MAC`).
* Every metric carries its unit in its name: ``*_flops``, ``*_bytes``, ``params``.
"""

from modelmeter.layers.base import BaseLayer, Child, OperatorCategory
from modelmeter.metrics import LayerMetrics
from modelmeter.units import FLOPS_PER_MAC, dtype_bytes

__all__ = ["FLOPS_PER_MAC", "BaseLayer", "Child", "LayerMetrics", "OperatorCategory", "dtype_bytes"]
__version__ = "0.1.0"
