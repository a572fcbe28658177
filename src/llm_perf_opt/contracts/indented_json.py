"""Indented JSON for plain data, written directly: the bytes of ``json.dumps(data, indent=2, ensure_ascii=False,
allow_nan=False)``, several times faster on large reports (with ``indent`` set, the standard library encodes in
Python rather than with its C accelerator; strings here still go through the C string encoder).

Example
-------
>>> print(dump_indented_json({"a": [1, 2.5], "b": {}, "c": "é"}))
{
  "a": [
    1,
    2.5
  ],
  "b": {},
  "c": "é"
}
"""

from __future__ import annotations

import json
import math
from typing import Any

_string: Any = getattr(json.encoder, "c_encode_basestring", None) or json.encoder.py_encode_basestring


def _scalar(value: Any) -> str:
    t = type(value)
    if t is str:
        text: str = _string(value)
        return text
    if t is int:
        return int.__repr__(value)
    if t is float:
        if not math.isfinite(value):
            raise ValueError(f"Out of range float values are not JSON compliant: {value!r}")
        return float.__repr__(value)
    if value is None:
        return "null"
    if t is bool:
        return "true" if value else "false"
    raise TypeError(f"Object of type {t.__name__} is not JSON serializable")


IntLayouts = dict[tuple[str, tuple[str, ...]], str]
"""(indentation, keys) -> the text of an object of those keys to integers, ``%d`` for each value."""


def _int_object(value: dict[Any, Any], indent: str, layouts: IntLayouts) -> str | None:
    """The text of ``value`` at ``indent`` when its keys are strings and its values integers (not booleans), else
    ``None``: a metric record, the bulk of a report, in one formatting call."""
    values = tuple(value.values())
    if set(map(type, values)) != {int}:
        return None
    layout_key = (indent, tuple(value))
    layout = layouts.get(layout_key)
    if layout is None:
        if any(type(k) is not str for k in value):
            return None
        inner = indent + "  "
        items = ",\n".join(f"{inner}{_string(k).replace('%', '%%')}: %d" for k in value)
        layout = layouts[layout_key] = f"{{\n{items}\n{indent}}}"
    return layout % values


def _emit(value: Any, indent: str, out: list[str], keys: dict[str, str], layouts: IntLayouts) -> None:
    """``value`` at ``indent``; a container's scalar items are written inline (one call less per leaf)."""
    t = type(value)
    if t is dict:
        if not value:
            out.append("{}")
            return
        inner = indent + "  "
        sep = "{\n" + inner
        for key, item in value.items():
            encoded = keys.get(key)
            if encoded is None:
                if type(key) is not str:
                    raise TypeError(f"keys must be str, not {type(key).__name__}")
                encoded = keys[key] = _string(key) + ": "
            kind = type(item)
            if kind is int:
                out.append(sep + encoded + int.__repr__(item))
            elif kind is str:
                out.append(sep + encoded + _string(item))
            elif kind is dict or kind is list or kind is tuple:
                out.append(sep + encoded)
                block = _int_object(item, inner, layouts) if kind is dict and item else None
                if block is None:
                    _emit(item, inner, out, keys, layouts)
                else:
                    out.append(block)
            else:
                out.append(sep + encoded + _scalar(item))
            sep = ",\n" + inner
        out.append("\n" + indent + "}")
    elif t is list or t is tuple:
        if not value:
            out.append("[]")
            return
        inner = indent + "  "
        sep = "[\n" + inner
        for item in value:
            kind = type(item)
            if kind is dict or kind is list or kind is tuple:
                out.append(sep)
                _emit(item, inner, out, keys, layouts)
            else:
                out.append(sep + _scalar(item))
            sep = ",\n" + inner
        out.append("\n" + indent + "]")
    else:
        out.append(_scalar(value))


def dump_indented_json(data: Any) -> str:
    """``json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False)`` for plain data with string keys."""
    out: list[str] = []
    _emit(data, "", out, {}, {})
    return "".join(out)
