"""The operator families work is booked under (re-exported from :mod:`modelmeter`).

One enum serves the analytic layers and the reports, so a category written by a layer is
the value a report carries: ``conv``, ``linear``, ``attention``, ``norm``, ``activation``,
``embedding``, ``moe_routing``, ``other``.

Example
-------
>>> OperatorCategory("moe_routing") is OperatorCategory.MOE_ROUTING
True
>>> [c.value for c in OperatorCategory][:3]
['conv', 'linear', 'attention']
"""

from __future__ import annotations

from modelmeter.layers.base import OperatorCategory

__all__ = ["OperatorCategory"]
