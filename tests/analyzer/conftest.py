"""Fixtures of the analyzer tests: the standard report (built once) and a CLI runner."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from llm_perf_opt.data.analytic_report import AnalyticModelReport
from llm_perf_opt.runners.analyzer_inputs import WorkloadFlags, resolve_inputs
from llm_perf_opt.runners.dsocr_analyzer import main
from llm_perf_opt.runners.report_builder import build_report


@pytest.fixture(scope="session")
def standard_report() -> AnalyticModelReport:
    """The report of the embedded defaults (dsocr-standard-v1, released architecture)."""
    return build_report(resolve_inputs(WorkloadFlags()))


class CliResult:
    """Exit status and captured streams of one in-process run."""

    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """Run ``main(argv)`` in-process and capture stdout/stderr."""

    def run(*argv: str | Path) -> CliResult:
        code = main([str(a) for a in argv])
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run
