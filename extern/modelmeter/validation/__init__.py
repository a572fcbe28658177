"""Parity harness: count a real PyTorch module and compare it with an analytic layer.

Importing this package does not import torch; calling its functions does.
"""

from modelmeter.validation.parity import CountedModule, ParityResult, check_parity, count_module

__all__ = ["CountedModule", "ParityResult", "check_parity", "count_module"]
