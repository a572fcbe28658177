"""The direct writers give the bytes of the libraries they stand in for, for any plain data: block YAML as PyYAML's
safe dumper writes it (its representer was most of a default run's time) and reading back to the same data, and
indented JSON as ``json.dumps(indent=2)`` writes it (the standard library's Python encoder was the next)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from llm_perf_opt.contracts.block_yaml import dump_block_yaml
from llm_perf_opt.contracts.indented_json import dump_indented_json

TRICKY = [
    "yes", "No", "null", "~", "on", "OFF", "y", "true", "3x2", "0x12", "1e3", ".inf", "-", "- a", "a: b", "a #b",
    "#x", "'q'", '"d"', "a  b", " lead", "trail ", "", "x\ny", "line\n\nbreak", "tab\there", "ünïcode", "[x]",
    "steps[mean-hi].lm_head", "{a}", "a,b", "?", "*ref", "&a", "!tag", "%p", "@at", "`b`", "|", ">", "=", "<<",
    "2339", "0.5", "-1", "+1", "embedded: conf/x.yaml", "a\\b", "\u2028", "\x85x", "é\ntwo",
    "Linear(tokens=2, in_features=3, bias=True, dtype='bfloat16')", "experts.*[#2].up_proj", "a, b", "a:b", "a:",
    "a :b", "a# b", "a #", "a\t#b", "x = y", "Yes,", "Null:", "n", "N", "o", "ON", "a - b", "a ? b", "a%d", "_x: y",
    "a\x7fb", "é", "a  # b", "ends: ", "a: b: c", "3 * hidden_size * intermediate_size", "a\\nb",
]  # fmt: skip


DUMPER: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # as the converter: libyaml's emitter where present


def _pyyaml(data: Any) -> str:
    text: str = yaml.dump(data, Dumper=DUMPER, sort_keys=False, allow_unicode=True,
                          default_flow_style=False, width=1_000_000)  # fmt: skip
    return text


ASCII_TEXT = st.from_regex(r"[A-Za-z_][ -~]{0,14}", fullmatch=True)
"""Printable ASCII after a letter: the strings the writer may decide to write plain itself."""


def _plain(*, finite: bool) -> st.SearchStrategy[Any]:
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(10**20), max_value=10**20),
        st.floats(allow_nan=False, allow_infinity=not finite),
        st.sampled_from(TRICKY),
        st.text(max_size=12),
        ASCII_TEXT,
    )
    integers = st.dictionaries(keys, st.integers(min_value=-(10**20), max_value=10**20), min_size=1, max_size=4)
    return st.recursive(
        scalars,
        lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4), integers),
        max_leaves=25,
    )


keys = st.one_of(st.sampled_from(TRICKY), st.text(max_size=8), ASCII_TEXT)
plain = _plain(finite=False)


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.dictionaries(keys, plain, min_size=1, max_size=5), st.lists(plain, min_size=1, max_size=5)))
def test_same_bytes_as_pyyaml(data: Any) -> None:
    text = dump_block_yaml(data)
    assert text == _pyyaml(data)
    assert yaml.safe_load(text) == data


def test_worked_example() -> None:
    data = {"a": [1, 2.5e-06, {"b": None}], "c": {"d": "x: y", "e": []}, "f": "two\nlines"}
    # lists under a key start at the key's column; a quoted line break is a blank line, continued 2 columns in
    assert dump_block_yaml(data) == "a:\n- 1\n- 2.5e-06\n- b: null\nc:\n  d: 'x: y'\n  e: []\nf: 'two\n\n  lines'\n"


@settings(max_examples=400, deadline=None)
@given(_plain(finite=True))
def test_indented_json_is_the_standard_librarys(data: Any) -> None:
    assert dump_indented_json(data) == json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False)


def test_json_refuses_what_the_standard_library_refuses() -> None:
    with pytest.raises(ValueError, match="Out of range float values are not JSON compliant"):
        dump_indented_json({"a": float("inf")})
    with pytest.raises(TypeError, match="keys must be str, not int"):
        dump_indented_json({1: 2})
