"""Every case of the hostile-input corpus (``tests/hostile/corpus/index.yaml``) is refused by the contract: exit 2,
one line under 300 characters naming the flag and the file and saying why, no traceback, nothing written."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from llm_perf_opt.runners.dsocr_analyzer import main as analyzer
from llm_perf_opt.utils.script_module import load_script
from tests.hostile.harness import assert_refused, run_bounded

CORPUS = Path(__file__).parent / "corpus"
CASES: list[dict[str, Any]] = yaml.safe_load((CORPUS / "index.yaml").read_text(encoding="utf-8"))
WHAT_IF = Path(__file__).resolve().parents[2] / "scripts" / "analytical" / "dsocr_analytic_what_if.py"


def _command(name: str) -> tuple[Callable[[list[str]], int], str, str]:
    """The program's ``main``, its name in error lines, and its output flag."""
    if name == "analyzer":
        return analyzer, "dsocr-analyzer", "--output-dir"
    if name == "what-if":
        return load_script(WHAT_IF).main, "dsocr_analytic_what_if", "--output"
    raise AssertionError(f"unknown command {name!r} in index.yaml")


def test_every_corpus_file_is_listed_once_or_more() -> None:
    on_disk = {p.name for p in CORPUS.iterdir()} - {"index.yaml", "README.md"}
    assert on_disk == {case["file"] for case in CASES}
    for case in CASES:
        assert set(case) <= {"file", "command", "flag", "extra", "attacks", "says"}, case
        assert case["attacks"], case
        assert case["says"], case


@pytest.mark.parametrize("case", CASES, ids=[f"{c['file']}:{c['flag']}" for c in CASES])
def test_corpus_case_is_refused_in_one_line(tmp_path: Path, case: dict[str, Any]) -> None:
    main, prog, output_flag = _command(case["command"])
    path = CORPUS / case["file"]
    flag = case["flag"]
    given = [flag, path] if flag.startswith("--") else [path]
    out = tmp_path / ("out" if output_flag == "--output-dir" else "planning.json")
    outcome = run_bounded(main, [*case.get("extra", []), *given, output_flag, out])
    names = [flag, case["file"]] if flag.startswith("--") else [case["file"]]
    line = assert_refused(outcome, prog=prog, names=names, untouched=[out])
    assert case["says"] in line, line
    assert sorted(p.name for p in tmp_path.iterdir()) == []
