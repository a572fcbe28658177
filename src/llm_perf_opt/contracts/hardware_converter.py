"""Hardware records to and from plain data (parsed YAML/JSON), through the project's one
strict converter (:mod:`llm_perf_opt.contracts.converter`): a key the record does not have is
an error (``forbid_extra_keys``), booleans must be booleans (the YAML string ``"false"`` is
not ``False``) and numbers must be numbers; errors are one line per problem, each naming the
path of the offending key.

Example
-------
>>> from llm_perf_opt.data.hardware import DatasheetFigure
>>> fig = HARDWARE_CONVERTER.structure({"value": 80, "source": "datasheet", "dense": True}, DatasheetFigure)
>>> fig.value, HARDWARE_CONVERTER.unstructure(fig)["source"]
(80.0, 'datasheet')
>>> HARDWARE_CONVERTER.structure({"value": 80, "source": "x", "dense": True, "sparse": 1}, DatasheetFigure)
Traceback (most recent call last):
...
cattrs.errors.ClassValidationError: While structuring DatasheetFigure (1 sub-exception)
"""

from __future__ import annotations

from typing import Any

from llm_perf_opt.contracts.converter import CONVERTER, structure_document
from llm_perf_opt.data.hardware import HardwareSpec

HARDWARE_CONVERTER = CONVERTER
"""The project's one strict converter (:mod:`llm_perf_opt.contracts.converter`)."""

__all__ = ["HARDWARE_CONVERTER", "structure_hardware", "unstructure_hardware"]


def structure_hardware(data: Any) -> HardwareSpec:
    """Build a :class:`HardwareSpec` from parsed YAML; raises ``ValueError`` with one line per problem."""
    return structure_document(data, HardwareSpec)


def unstructure_hardware(spec: HardwareSpec) -> dict[str, Any]:
    """Plain-data form of ``spec`` (what :func:`structure_hardware` reads back)."""
    out: dict[str, Any] = HARDWARE_CONVERTER.unstructure(spec)
    return out
