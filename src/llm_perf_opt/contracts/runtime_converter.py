"""cattrs converter between parsed YAML and the runtime-profile records.

The project's strict converter (:mod:`llm_perf_opt.contracts.converter`): a key a record
does not have is an error naming the key's path (``forbid_extra_keys``), booleans must be
booleans, strings strings; expressions
(:class:`~llm_perf_opt.data.runtime_profile.Expr`) are written as an integer or a string.

Example
-------
>>> spec = structure_profile({"name": "toy", "description": "d", "decoder_attention": "flash",
...     "layers": {"Linear": {"source": "torch", "kernels": [{"name": "gemm", "takes": {"own": 1}}]}}})
>>> spec.layers["Linear"].kernels[0].takes["own"].text
'1'
>>> structure_profile({"name": "toy", "description": "d", "decoder_attention": "flash",
...     "layers": {"Linear": {"source": "torch", "kernels": [{"name": "gemm", "takes": {}, "launchez": 2}]}}})
Traceback (most recent call last):
...
ValueError: extra fields found (launchez) @ $.layers['Linear'].kernels[0]
"""

from __future__ import annotations

from typing import Any

import cattrs

from llm_perf_opt.contracts.converter import make_converter, structure_document
from llm_perf_opt.data.runtime_profile import Expr, RuntimeProfile


def _structure_expr(value: Any, _: type) -> Expr:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"expected an integer or an expression string, got {value!r}")
    return Expr(str(value))


def make_runtime_converter() -> cattrs.Converter:
    """The project's strict converter plus the expression type of runtime profiles."""
    conv = make_converter()
    conv.register_structure_hook(Expr, _structure_expr)
    conv.register_unstructure_hook(Expr, lambda e: e.text)
    return conv


RUNTIME_CONVERTER = make_runtime_converter()
"""The shared strict converter."""


def structure_profile(data: Any) -> RuntimeProfile:
    """Build a :class:`RuntimeProfile` from parsed YAML; ``ValueError`` with one line per problem."""
    return structure_document(data, RuntimeProfile, RUNTIME_CONVERTER)


def unstructure_profile(profile: RuntimeProfile) -> dict[str, Any]:
    """Plain-data form of ``profile`` (what :func:`structure_profile` reads back)."""
    out: dict[str, Any] = RUNTIME_CONVERTER.unstructure(profile)
    return out
