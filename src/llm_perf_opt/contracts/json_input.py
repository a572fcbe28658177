"""Reading JSON a user hands in (a checkpoint's ``config.json``, TorchInfo artifacts, a saved ``report.json`` or
``planning.json``) within the limits of :mod:`llm_perf_opt.contracts.yaml_input`: at most
:data:`~llm_perf_opt.contracts.yaml_input.MAX_BYTES` of UTF-8 text, at most
:data:`~llm_perf_opt.contracts.yaml_input.MAX_VALUES` values, nested at most
:data:`~llm_perf_opt.contracts.yaml_input.MAX_DEPTH` levels, integers Python converts. Every refusal is an
:class:`~llm_perf_opt.contracts.yaml_input.InputFileError` (a ``ValueError``) with one line.

Example
-------
>>> load_json('{"a": [1, 2]}')
{'a': [1, 2]}
>>> load_json("[" * 100 + "]" * 100)
Traceback (most recent call last):
...
llm_perf_opt.contracts.yaml_input.InputFileError: nested deeper than 64 levels
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from llm_perf_opt.contracts.yaml_input import MAX_DEPTH, InputFileError, YAMLInputError, check_size, read_input_file


def load_json(text: str) -> Any:
    """The data of a JSON text within the limits (``NaN`` and ``Infinity`` are read, as Python's ``json`` reads
    them, for the validators to refuse by field)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputFileError(f"not valid JSON: {exc}") from None
    except RecursionError:  # the parser recurses once per level (a thousand or so before it stops)
        raise InputFileError(f"nested deeper than {MAX_DEPTH} levels") from None
    except ValueError:  # the only other refusal of json.loads: an integer of more digits than Python converts
        raise InputFileError(f"an integer of more than {sys.get_int_max_str_digits()} digits") from None
    try:
        check_size(data)
    except YAMLInputError as exc:
        raise InputFileError(str(exc)) from None
    return data


def read_json_file(path: str | Path) -> Any:
    """:func:`load_json` of a file read by :func:`~llm_perf_opt.contracts.yaml_input.read_input_file`."""
    return load_json(read_input_file(path))
