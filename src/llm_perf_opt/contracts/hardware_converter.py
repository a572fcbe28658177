"""cattrs converter between plain data (parsed YAML/JSON) and the hardware records.

Strict: a key the record does not have is an error (``forbid_extra_keys``), booleans must
be booleans (the YAML string ``"false"`` is not ``False``) and numbers must be numbers.
:func:`describe_errors` turns cattrs' nested exception into one line per problem, each
naming the path of the offending key.

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

import math
from typing import Any

import cattrs
from cattrs.errors import ClassValidationError, ForbiddenExtraKeysError
from cattrs.v import format_exception

from llm_perf_opt.data.hardware import HardwareSpec


def _structure_bool(value: Any, _: type) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, got {value!r}")
    return value


def _structure_float(value: Any, _: type) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected a number, got {value!r}")
    out = float(value)
    if not math.isfinite(out):
        raise ValueError(f"expected a finite number, got {value!r}")
    return out


def _structure_str(value: Any, _: type) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {value!r}")
    return value


def make_hardware_converter() -> cattrs.Converter:
    """A fresh strict converter for :mod:`llm_perf_opt.data.hardware` records."""
    conv = cattrs.Converter(forbid_extra_keys=True)
    conv.register_structure_hook(bool, _structure_bool)
    conv.register_structure_hook(float, _structure_float)
    conv.register_structure_hook(str, _structure_str)
    return conv


HARDWARE_CONVERTER = make_hardware_converter()
"""The shared strict converter."""


def _format_exception(exc: BaseException, typ: type | None) -> str:
    """cattrs' wording for missing and extra keys; the message itself for our validators and hooks."""
    if isinstance(exc, KeyError | ForbiddenExtraKeysError):
        return format_exception(exc, typ)
    return str(exc)


def describe_errors(exc: Exception, path: str = "$") -> str:
    """One line listing every problem in a structuring failure, each with its key path."""
    if isinstance(exc, ClassValidationError):
        return "; ".join(cattrs.transform_error(exc, path=path, format_exception=_format_exception))
    return f"{exc} @ {path}"


def structure_hardware(data: Any) -> HardwareSpec:
    """Build a :class:`HardwareSpec` from parsed YAML; raises ``ValueError`` with one line per problem."""
    if not isinstance(data, dict):
        raise ValueError(f"expected a mapping at the top level, got {type(data).__name__}")
    try:
        return HARDWARE_CONVERTER.structure(data, HardwareSpec)
    except (ClassValidationError, ValueError, TypeError) as exc:
        raise ValueError(describe_errors(exc)) from exc


def unstructure_hardware(spec: HardwareSpec) -> dict[str, Any]:
    """Plain-data form of ``spec`` (what :func:`structure_hardware` reads back)."""
    out: dict[str, Any] = HARDWARE_CONVERTER.unstructure(spec)
    return out
