"""Integer expressions of a runtime profile, evaluated on one analytic layer.

A profile (``conf/runtimes/*.yaml``) states per layer class how many kernels a runtime
launches and how many bytes they move beyond the layer's own work; these depend on the
layer's shapes, so the profile writes them as small expressions over the layer's fields and
properties, e.g. ``"2 * (past_len > 0)"`` or ``"8 * tokens"``. The layers themselves never
branch on the runtime: the expressions only read them.

Grammar (a subset of Python, checked when the profile is loaded):

* integers, strings (for comparisons), ``True``/``False``;
* names: attributes of the layer (``tokens``, ``dtype``), with attribute access on them
  (``config.hidden_size``, ``workload.batch_size``); names starting with ``_`` are refused;
* ``+ - * // %``, unary ``-``, comparisons (``== != < <= > >=``, giving 0 or 1), ``and``,
  ``or``, ``not``, ``a if cond else b``;
* functions ``size(dtype)`` (bytes of a dtype name: ``size("bfloat16") == 2``), ``min``, ``max``.

The value must be an integer (booleans count as 0/1).

Example
-------
>>> expr = parse_expression("2 * (past_len > 0) + size(dtype)")
>>> class Layer:
...     past_len = 5
...     dtype = "bfloat16"
>>> evaluate(expr, Layer())
4
>>> parse_expression("open('x')")
Traceback (most recent call last):
...
ValueError: expression "open('x')": only size, min, max may be called, positionally
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Mapping
from types import CodeType
from typing import Any

from modelmeter.units import dtype_bytes

FUNCTIONS: dict[str, Any] = {"size": dtype_bytes, "min": min, "max": max}
"""Functions an expression may call."""

_ALLOWED: tuple[type[ast.AST], ...] = (
    ast.Expression,
    ast.BinOp,
    ast.UnaryOp,
    ast.BoolOp,
    ast.Compare,
    ast.IfExp,
    ast.Constant,
    ast.Name,
    ast.Attribute,
    ast.Call,
    ast.Load,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.FloorDiv,
    ast.Mod,
    ast.USub,
    ast.UAdd,
    ast.Not,
    ast.And,
    ast.Or,
    ast.Eq,
    ast.NotEq,
    ast.Lt,
    ast.LtE,
    ast.Gt,
    ast.GtE,
)


def _check(node: ast.AST, text: str) -> None:
    for sub in ast.walk(node):
        if not isinstance(sub, _ALLOWED):
            raise ValueError(f"expression {text!r}: {type(sub).__name__} is not allowed")
        if isinstance(sub, ast.Name) and sub.id.startswith("_"):
            raise ValueError(f"expression {text!r}: names may not start with '_' ({sub.id})")
        if isinstance(sub, ast.Attribute) and sub.attr.startswith("_"):
            raise ValueError(f"expression {text!r}: attributes may not start with '_' ({sub.attr})")
        if isinstance(sub, ast.Constant) and not isinstance(sub.value, int | str):
            raise ValueError(f"expression {text!r}: constant {sub.value!r} is not an integer or a string")
        if isinstance(sub, ast.Call) and (
            not isinstance(sub.func, ast.Name) or sub.func.id not in FUNCTIONS or sub.keywords
        ):
            raise ValueError(f"expression {text!r}: only {', '.join(FUNCTIONS)} may be called, positionally")


@functools.lru_cache(maxsize=4096)
def parse_expression(text: str) -> CodeType:
    """Check ``text`` against the grammar and compile it; ``ValueError`` naming the problem."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"expression: must be a non-empty string, got {text!r}")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ValueError(f"expression {text!r}: not valid syntax ({exc.msg})") from None
    _check(tree, text)
    return compile(tree, "<runtime-profile>", "eval")


class _LayerNames(Mapping[str, Any]):
    """Names of an expression resolved on the layer's attributes."""

    def __init__(self, layer: object) -> None:
        self._layer = layer

    def __getitem__(self, name: str) -> Any:
        try:
            return getattr(self._layer, name)
        except AttributeError:
            raise KeyError(name) from None

    def __iter__(self) -> Any:
        return iter(())

    def __len__(self) -> int:
        return 0


_GLOBALS: dict[str, Any] = {"__builtins__": {}, **FUNCTIONS}


def evaluate(code: CodeType, layer: object) -> int:
    """Value of a compiled expression with names read from ``layer``; ``ValueError`` if it
    names something the layer lacks or is not an integer."""
    try:
        value = eval(code, _GLOBALS, _LayerNames(layer))  # code passed parse_expression's whitelist
    except NameError as exc:
        raise ValueError(f"{type(layer).__name__} has no attribute {exc.name!r}") from None
    except (AttributeError, TypeError, ZeroDivisionError, ValueError) as exc:
        raise ValueError(f"cannot evaluate on {type(layer).__name__}: {exc}") from None
    if isinstance(value, bool):
        return int(value)
    if not isinstance(value, int):
        raise ValueError(f"on {type(layer).__name__}: value {value!r} is not an integer")
    return value
