"""attrs validators shared by the data records: each raises ``ValueError("field: ...")``.

Example
-------
>>> from attrs import define, field
>>> @define
... class R:
...     n: int = field(validator=non_negative_int)
>>> R(n=-1)
Traceback (most recent call last):
...
ValueError: n: must be an integer >= 0, got -1
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from typing import Any

import attrs

_SLUG = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


def non_negative_int(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    """An ``int`` (not a ``bool``) that is at least 0."""
    if type(value) is int and value >= 0:  # the common case, decided without the checks below
        return
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{attribute.name}: must be an integer >= 0, got {value!r}")


def positive_int(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    """An ``int`` (not a ``bool``) that is at least 1."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{attribute.name}: must be an integer >= 1, got {value!r}")


def optional_positive_int(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    """``None`` or an integer >= 1."""
    if value is not None:
        positive_int(instance, attribute, value)


def optional_non_negative_int(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    """``None`` or an integer >= 0."""
    if value is not None:
        non_negative_int(instance, attribute, value)


def optional_str(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    """``None`` or a string."""
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{attribute.name}: must be a string or null, got {value!r}")


def non_empty_str(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A string with at least one non-blank character."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{attribute.name}: must be a non-empty string, got {value!r}")


def slug(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    """Lower-case letters, digits, ``.``, ``_`` and ``-``, starting with a letter or digit."""
    if not isinstance(value, str) or not _SLUG.match(value):
        raise ValueError(f"{attribute.name}: must be lower-case letters, digits, '.', '_' or '-', got {value!r}")


def one_of(allowed: Iterable[str], *, optional: bool = False) -> Callable[[object, attrs.Attribute[Any], Any], None]:
    """A validator accepting only the strings in ``allowed`` (and ``None`` when ``optional``)."""
    choices = tuple(allowed)

    def check(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
        if optional and value is None:
            return
        if value not in choices:
            raise ValueError(f"{attribute.name}: unknown {value!r}; allowed: {', '.join(choices)}")

    return check


def unique_strings(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A sequence of distinct strings."""
    seen: set[str] = set()
    for item in value:
        if not isinstance(item, str):
            raise ValueError(f"{attribute.name}: expected strings, got {item!r}")
        if item in seen:
            raise ValueError(f"{attribute.name}: {item!r} appears twice")
        seen.add(item)


def _is_number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value)


def finite_non_negative(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A finite number >= 0 (seconds, rates)."""
    if not _is_number(value) or value < 0:
        raise ValueError(f"{attribute.name}: must be a finite number >= 0, got {value!r}")


def finite_positive(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A finite number > 0."""
    if not _is_number(value) or value <= 0:
        raise ValueError(f"{attribute.name}: must be a finite number > 0, got {value!r}")


def optional_finite(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    """``None`` or a finite number of either sign (a signed error)."""
    if value is not None and not _is_number(value):
        raise ValueError(f"{attribute.name}: must be a finite number or null, got {value!r}")


def optional_finite_positive(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    """``None`` or a finite number > 0."""
    if value is not None:
        finite_positive(instance, attribute, value)


def fraction(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A number in (0, 1]."""
    if not _is_number(value) or not 0 < value <= 1:
        raise ValueError(f"{attribute.name}: must be a fraction in (0, 1], got {value!r}")


def optional_fraction(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    """``None`` or a number in (0, 1]."""
    if value is not None:
        fraction(instance, attribute, value)
