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

The value must be an integer (booleans count as 0/1). Arithmetic, ``min`` and ``max`` take integers only (a
string times a number would build a string of any size), and every value an expression computes is bounded by
:data:`MAX_VALUE` in magnitude; an expression is at most :data:`MAX_EXPRESSION_CHARS` characters, nested at most
:data:`MAX_DEPTH` levels.

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
>>> evaluate(parse_expression("dtype * 1000000000"), Layer())
Traceback (most recent call last):
...
ValueError: cannot evaluate on Layer: * takes integers, got str and int
"""

from __future__ import annotations

import ast
import functools
import operator
from collections.abc import Mapping
from types import CodeType
from typing import Any

from modelmeter.units import dtype_bytes

MAX_VALUE = 2**256
"""Largest magnitude of any value an expression computes (the layer's own numbers are far below it: a product of
a few 32-bit sizes); past it an expression is refused rather than left to grow without bound."""
MAX_EXPRESSION_CHARS = 1000
"""Longest expression text (the packaged profiles' longest is under 100 characters)."""
MAX_DEPTH = 100
"""Deepest nesting of an expression's syntax tree (parentheses, operators)."""


def _integer(value: object, what: str) -> int:
    """``value`` as an int (a bool counts as 0/1); ``TypeError`` naming the operation for anything else."""
    if isinstance(value, int):
        return int(value)
    raise TypeError(f"{what} takes integers, got {type(value).__name__}")


def _bounded(value: int, what: str) -> int:
    if -MAX_VALUE <= value <= MAX_VALUE:
        return value
    raise ValueError(f"{what} gives a value beyond 2**256 in magnitude")


def _binary(symbol: str, op: Any) -> Any:
    """The checked form of an arithmetic operator: integers (or bools) in, a bounded integer out."""

    def apply(a: object, b: object) -> int:
        if type(a) is not int or type(b) is not int:
            if not isinstance(a, int) or not isinstance(b, int):
                raise TypeError(f"{symbol} takes integers, got {type(a).__name__} and {type(b).__name__}")
            a, b = int(a), int(b)
        return _bounded(op(a, b), symbol)

    return apply


def _negate(a: object) -> int:
    return -_integer(a, "unary -")


def _plus(a: object) -> int:
    return _integer(a, "unary +")


def _extremum(name: str, pick: Any) -> Any:
    def apply(*args: object) -> int:
        if len(args) < 2:
            raise TypeError(f"{name} takes two or more integers, got {len(args)} argument(s)")
        return int(pick(_integer(a, name) for a in args))

    return apply


_OPERATORS: dict[type[ast.operator], tuple[str, Any]] = {
    ast.Add: ("+", operator.add),
    ast.Sub: ("-", operator.sub),
    ast.Mult: ("*", operator.mul),
    ast.FloorDiv: ("//", operator.floordiv),
    ast.Mod: ("%", operator.mod),
}
_GUARDS: dict[str, Any] = {
    **{f"__op_{op.__name__}": _binary(symbol, fn) for op, (symbol, fn) in _OPERATORS.items()},
    "__op_USub": _negate,
    "__op_UAdd": _plus,
}

FUNCTIONS: dict[str, Any] = {"size": dtype_bytes, "min": _extremum("min", min), "max": _extremum("max", max)}
"""Functions an expression may call (``min`` and ``max`` of two or more integers)."""

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
        if isinstance(sub, ast.Constant) and isinstance(sub.value, int) and abs(sub.value) > MAX_VALUE:
            raise ValueError(f"expression {text!r}: a constant beyond 2**256 in magnitude")
        if isinstance(sub, ast.Call) and (
            not isinstance(sub.func, ast.Name) or sub.func.id not in FUNCTIONS or sub.keywords
        ):
            raise ValueError(f"expression {text!r}: only {', '.join(FUNCTIONS)} may be called, positionally")


def _depth(tree: ast.AST) -> int:
    """Deepest nesting of ``tree`` (walked without recursion)."""
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in ast.iter_child_nodes(node))
    return deepest


class _Guard(ast.NodeTransformer):
    """Rewrite arithmetic into calls of the checked operations of :data:`_GUARDS`."""

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        func = ast.Name(id=f"__op_{type(node.op).__name__}", ctx=ast.Load())
        return ast.copy_location(ast.Call(func=func, args=[node.left, node.right], keywords=[]), node)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.op, ast.Not):
            return node
        func = ast.Name(id=f"__op_{type(node.op).__name__}", ctx=ast.Load())
        return ast.copy_location(ast.Call(func=func, args=[node.operand], keywords=[]), node)


@functools.lru_cache(maxsize=4096)
def parse_expression(text: str) -> CodeType:
    """Check ``text`` against the grammar and the limits, and compile it with checked arithmetic; ``ValueError``
    naming the problem."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"expression: must be a non-empty string, got {str(text)[:40]!r}")
    if len(text) > MAX_EXPRESSION_CHARS:
        raise ValueError(f"expression of {len(text):,} characters: at most {MAX_EXPRESSION_CHARS:,}")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ValueError(f"expression {text!r}: not valid syntax ({exc.msg})") from None
    except (RecursionError, MemoryError):
        raise ValueError(f"expression {text!r}: nested deeper than {MAX_DEPTH} levels") from None
    if _depth(tree) > MAX_DEPTH:
        raise ValueError(f"expression {text!r}: nested deeper than {MAX_DEPTH} levels")
    _check(tree, text)
    guarded = ast.fix_missing_locations(_Guard().visit(tree))
    return compile(guarded, "<runtime-profile>", "eval")


class _LayerNames(Mapping[str, Any]):
    """Names of an expression resolved on the layer's attributes."""

    def __init__(self, layer: object) -> None:
        self._layer = layer

    def __getitem__(self, name: str) -> Any:
        guard = _GUARDS.get(name)  # checked arithmetic (a user's name cannot start with '_')
        if guard is not None:
            return guard
        try:
            return getattr(self._layer, name)
        except AttributeError:
            raise KeyError(name) from None

    def __iter__(self) -> Any:
        return iter(())

    def __len__(self) -> int:
        return 0


_GLOBALS: dict[str, Any] = {"__builtins__": {}, **FUNCTIONS, **_GUARDS}


def evaluate(code: CodeType, layer: object) -> int:
    """Value of a compiled expression with names read from ``layer``; ``ValueError`` if it names something the
    layer lacks, computes on a non-integer or beyond :data:`MAX_VALUE`, or is not an integer."""
    try:
        value = eval(code, _GLOBALS, _LayerNames(layer))  # code passed parse_expression's whitelist
    except NameError as exc:
        raise ValueError(f"{type(layer).__name__} has no attribute {exc.name!r}") from None
    except (AttributeError, TypeError, ZeroDivisionError, ValueError) as exc:
        raise ValueError(f"cannot evaluate on {type(layer).__name__}: {exc}") from None
    if isinstance(value, bool):
        return int(value)
    if not isinstance(value, int):
        raise ValueError(f"on {type(layer).__name__}: value {str(value)[:40]!r} is not an integer")
    return value
