"""Block-style YAML for plain data, written directly: the bytes PyYAML's safe dumper writes (``sort_keys=False``,
``default_flow_style=False``, ``allow_unicode=True``, no line folding), about ten times faster on large reports.

PyYAML spends most of a large report's time in its Python representer and resolver, even with the libyaml
emitter. The reports hold only mappings with string keys, lists, strings, integers, floats, booleans and
``None``, so the layout is simple: a mapping's nested list items start at the key's indentation, nested
mappings two spaces further. Scalars PyYAML would write plain are written here; any other string goes through
PyYAML itself, once per distinct string (it decides the quoting); the continuation lines of a quoted string
with line breaks stand two spaces right of its key or dash, as PyYAML indents them. A mapping key that is not
a plain word sends the whole document to PyYAML.

A string value is written plain without asking PyYAML when both of PyYAML's tests pass for certain: its
resolver reads it back as a string (it starts with a letter or ``_``, so only the boolean and null words could
resolve otherwise, and those are excluded), and its emitter allows a plain scalar in a block (printable ASCII
only, no trailing space, no ``": "``, ``" #"`` or final ``":"``, which are the block indicators after the first
character; ``,``, ``[``, ``]``, ``{``, ``}`` and ``?`` matter only in flow style). A layer identifier such as
``Linear(tokens=913, in_features=1280, ...)`` is such a string.

Example
-------
>>> print(dump_block_yaml({"a": [1, 2.5e-06], "b": {"c": None, "d": "x: y"}, "e": []}), end="")
a:
- 1
- 2.5e-06
b:
  c: null
  d: 'x: y'
e: []
"""

from __future__ import annotations

import math
import re
from typing import Any

import yaml

_DUMPER: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-/()\[\] ]*[A-Za-z0-9_.\-/()\[\]]|[A-Za-z_]")
"""Strings written plain without asking PyYAML: a letter or ``_`` first, no character YAML treats specially,
no trailing space."""
_RESOLVED_WORDS = frozenset(
    w
    for word in ("yes", "no", "true", "false", "on", "off", "null", "y", "n")
    for w in (word, word.capitalize(), word.upper())
)
"""Plain words a YAML 1.1 reader would take for a boolean or null: PyYAML quotes them."""


class _UnusualKeyError(Exception):
    """A mapping key this writer does not write itself (PyYAML may write it as a complex ``?`` key)."""


_PLAIN_VALUE = re.compile(r"[A-Za-z_][\x20-\x7e]*")
"""Strings that may be plain values (see the module docstring for the rest of the test): a letter or ``_`` first,
printable ASCII."""


def _plain_word(text: str) -> bool:
    return _PLAIN.fullmatch(text) is not None and text not in _RESOLVED_WORDS and "  " not in text


def _plain_value(text: str) -> bool:
    """``text`` is written plain as a block mapping value or list item (as PyYAML decides it)."""
    return (
        _PLAIN_VALUE.fullmatch(text) is not None
        and text not in _RESOLVED_WORDS
        and not text.endswith((" ", ":"))
        and ": " not in text
        and " #" not in text
        and "  " not in text
    )


def _quoted(text: str) -> str:
    """``text`` as PyYAML writes it as a mapping value at column 0 (plain, single- or double-quoted; continuation
    lines, if any, indented two spaces)."""
    out: str = yaml.dump({"k": text}, Dumper=_DUMPER, allow_unicode=True, width=1_000_000, default_flow_style=False)
    return out.removeprefix("k: ").removesuffix("\n")


_CONTINUATION = re.compile("([\n\x85\u2028\u2029])(?=[^\n\x85\u2028\u2029])")
"""A line break PyYAML follows with the indentation (every break it writes but one followed by another break)."""


class _Writer:
    """One document's writer: the text of every distinct string is worked out once, and so is the layout of
    every mapping of integers (a metric record: the bulk of a report) at each indentation."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.keys: dict[str, str] = {}
        self.texts: dict[str, str] = {}
        self.multiline: set[str] = set()
        """Rendered strings with line breaks: their continuation lines move with the column."""
        self.int_layouts: dict[tuple[str, tuple[str, ...]], str] = {}
        """(indentation, keys) -> the lines of a mapping of those keys to integers, ``%d`` for each value."""

    def int_mapping(self, value: dict[Any, Any], indent: str) -> str | None:
        """The lines of ``value`` at ``indent`` when all its values are integers (not booleans), else ``None``."""
        values = tuple(value.values())
        if set(map(type, values)) != {int}:
            return None
        layout_key = (indent, tuple(value))
        layout = self.int_layouts.get(layout_key)
        if layout is None:
            layout = self.int_layouts[layout_key] = "\n".join(
                f"{indent}{self.key(k).replace('%', '%%')}: %d" for k in value
            )
        return layout % values

    def key(self, key: Any) -> str:
        out = self.keys.get(key)
        if out is None:
            if not (isinstance(key, str) and _plain_word(key)):
                raise _UnusualKeyError
            out = self.keys[key] = key
        return out

    def scalar(self, value: Any, indent: str) -> str:
        """A scalar (or an empty mapping or list) written at column ``len(indent)``."""
        t = type(value)
        if t is str:
            out = self.texts.get(value)
            if out is None:
                out = self.texts[value] = value if _plain_value(value) else _quoted(value)
                if _CONTINUATION.search(out):
                    self.multiline.add(out)
            if indent and out in self.multiline:
                return _CONTINUATION.sub(lambda m: m.group(1) + indent, out)
            return out
        if t is int:
            return int.__repr__(value)
        if t is float:
            return _float(value)
        if value is None:
            return "null"
        if t is bool:
            return "true" if value else "false"
        if t is dict:
            return "{}"
        if t is list:
            return "[]"
        raise TypeError(f"not plain data: {t.__name__}")

    def emit(self, value: Any, indent: str) -> None:
        """The lines of a non-empty mapping or list whose items start at ``indent``."""
        lines = self.lines
        if type(value) is dict:
            inner = indent + "  "
            keys = self.keys
            for key, item in value.items():
                name = keys.get(key) or self.key(key)
                t = type(item)
                if t is int:  # the common leaf inline: one call less per value
                    lines.append(f"{indent}{name}: {int.__repr__(item)}")
                elif (t is dict or t is list) and item:
                    lines.append(f"{indent}{name}:")
                    block = self.int_mapping(item, inner) if t is dict else None
                    if block is None:
                        self.emit(item, inner if t is dict else indent)
                    else:
                        lines.append(block)
                else:
                    lines.append(f"{indent}{name}: {self.scalar(item, indent)}")
        else:
            for item in value:
                t = type(item)
                if (t is dict or t is list) and item:
                    start = len(lines)
                    self.emit(item, indent + "  ")
                    lines[start] = f"{indent}- {lines[start][len(indent) + 2 :]}"
                else:
                    lines.append(f"{indent}- {self.scalar(item, indent)}")


def _float(value: float) -> str:
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    text = repr(value).lower()
    if "." not in text and "e" in text:
        text = text.replace("e", ".0e", 1)
    return text


def dump_block_yaml(data: dict[str, Any] | list[Any]) -> str:
    """The YAML text of ``data``, a non-empty mapping or list of plain data (PyYAML writes the whole document
    when a mapping key is not a plain word, e.g. empty or with a space or a colon)."""
    if not data:
        raise ValueError("dump_block_yaml: give a non-empty mapping or list")
    writer = _Writer()
    try:
        writer.emit(data, "")
    except _UnusualKeyError:
        text: str = yaml.dump(
            data, Dumper=_DUMPER, sort_keys=False, allow_unicode=True, default_flow_style=False, width=1_000_000
        )
        return text
    return "\n".join(writer.lines) + "\n"
