"""Reading YAML a user hands in (workload profiles, sweeps, GPU entries, runtime profiles): PyYAML's safe loader
(libyaml's parser where present) with limits, so a small hostile file cannot take the machine down.

* **Size**: at most :data:`MAX_BYTES` of text.
* **Duplicate keys** in a mapping are an error (YAML says keys are unique; PyYAML would keep the last silently).
  Merge keys (``<<:``) are allowed: the runtime profiles use anchors and merges.
* **Expansion**: aliases are shared, not copied, when PyYAML builds the data, but everything that walks the data
  afterwards (validation, error messages, writing it back) sees each alias expanded. The data is walked once here,
  counting every value as often as it is reached, and refused past :data:`MAX_VALUES` values or
  :data:`MAX_DEPTH` levels ("billion laughs": a few hundred bytes of nested aliases expand to billions of values).

Every refusal is a :class:`YAMLInputError` (a ``yaml.YAMLError``) with one line naming the limit.

Example
-------
>>> load_yaml("a: 1\\nb: [x, y]\\n")
{'a': 1, 'b': ['x', 'y']}
>>> load_yaml("a: 1\\na: 2\\n")
Traceback (most recent call last):
...
llm_perf_opt.contracts.yaml_input.YAMLInputError: duplicate key 'a' (line 2)
>>> rows = [f"{c}: &{c} [" + ", ".join([f"*{p}"] * 10) + "]" for p, c in zip("abcdef", "bcdefg")]
>>> bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\\n" + "\\n".join(rows)  # 10**7 values, 400 bytes
>>> load_yaml(bomb)
Traceback (most recent call last):
...
llm_perf_opt.contracts.yaml_input.YAMLInputError: more than 1,000,000 values once aliases are expanded
"""

from __future__ import annotations

import stat
import sys
from pathlib import Path
from typing import Any

import yaml

SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""PyYAML's safe loader, libyaml's where present."""

MAX_BYTES = 8 * 2**20
"""Largest YAML text read (8 MiB; the largest packaged file is under 100 kB)."""
MAX_VALUES = 1_000_000
"""Most values (scalars, mappings and lists, each alias counted every time it is reached) a document may hold."""
MAX_DEPTH = 64
"""Deepest nesting of mappings and lists."""

_MERGE_TAG = "tag:yaml.org,2002:merge"


class InputFileError(ValueError):
    """An input file over one of this module's limits, not UTF-8, or malformed (one line)."""


class YAMLInputError(InputFileError, yaml.YAMLError):
    """A YAML input over one of this module's limits, or with a duplicate key (both a ``ValueError`` and a
    ``yaml.YAMLError``, so either handler reports it)."""


class _UniqueKeyLoader(SAFE_LOADER):  # type: ignore[misc]  # PyYAML's loaders are untyped
    """The safe loader, refusing duplicate mapping keys."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == _MERGE_TAG:
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
            except TypeError:  # an unhashable key: the safe constructor reports it
                break
            if duplicate:
                raise YAMLInputError(f"duplicate key {str(key)[:80]!r} (line {key_node.start_mark.line + 1})")
            seen.add(key)
        out: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return out


def _check_size(data: Any) -> None:
    """Walk ``data`` as a tree (shared values counted each time), stopping at the first limit passed."""
    count = 0
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        count += 1
        if count > MAX_VALUES:
            raise YAMLInputError(f"more than {MAX_VALUES:,} values once aliases are expanded")
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth >= MAX_DEPTH:
            raise YAMLInputError(f"nested deeper than {MAX_DEPTH} levels")
        stack.extend((child, depth + 1) for child in children)


def check_size(data: Any) -> None:
    """:class:`YAMLInputError` if ``data`` (parsed YAML or JSON) holds more than :data:`MAX_VALUES` values or nests
    deeper than :data:`MAX_DEPTH` levels."""
    _check_size(data)


def decode_input(data: bytes) -> str:
    """``data`` as UTF-8 text of at most :data:`MAX_BYTES` (:class:`YAMLInputError` naming the first bad byte
    otherwise).

    Example
    -------
    >>> decode_input(b"a: 1\\n")
    'a: 1\\n'
    >>> decode_input(b"a: \\xff\\n")
    Traceback (most recent call last):
    ...
    llm_perf_opt.contracts.yaml_input.YAMLInputError: not UTF-8 text (byte 0xff at offset 3)
    """
    if len(data) > MAX_BYTES:
        raise YAMLInputError(f"larger than {MAX_BYTES // 2**20} MiB")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise YAMLInputError(f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})") from None


def read_input_file(path: str | Path) -> str:
    """The text of a user's input file: a regular file of at most :data:`MAX_BYTES`, UTF-8 (a leading byte-order
    mark dropped); :class:`YAMLInputError` otherwise, read no further than the limit (a named pipe or a device is
    refused before it is opened, so nothing blocks)."""
    p = Path(path)
    try:
        info = p.stat()
    except OSError as exc:
        raise YAMLInputError(f"cannot read: {exc.strerror or exc}") from None
    if not stat.S_ISREG(info.st_mode):
        raise YAMLInputError("not a regular file")
    if info.st_size > MAX_BYTES:
        raise YAMLInputError(f"larger than {MAX_BYTES // 2**20} MiB")
    try:
        with p.open("rb") as f:
            data = f.read(MAX_BYTES + 1)
    except OSError as exc:
        raise YAMLInputError(f"cannot read: {exc.strerror or exc}") from None
    return decode_input(data).removeprefix("\ufeff")


def load_yaml(text: str) -> Any:
    """The data of one YAML document, within this module's limits (:class:`YAMLInputError` otherwise; other
    malformed YAML raises PyYAML's own ``yaml.YAMLError``)."""
    if len(text) > MAX_BYTES:
        raise YAMLInputError(f"larger than {MAX_BYTES // 2**20} MiB")
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)
    except RecursionError:
        raise YAMLInputError(f"nested deeper than {MAX_DEPTH} levels") from None
    except YAMLInputError:
        raise
    except ValueError:  # an integer of more digits than Python converts (sys.get_int_max_str_digits)
        raise YAMLInputError(f"an integer of more than {sys.get_int_max_str_digits()} digits") from None
    _check_size(data)
    return data
