"""Fuzzed command lines: whatever flags and values a user types, the analyzer either runs (exit 0) or says why in
one line of at most 300 characters (exit 2), never a traceback; runs are kept short (few new tokens)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from hypothesis import HealthCheck, given, settings

from tests.analyzer.conftest import CliResult
from tests.hostile.inputs import flag_values

HOSTILE = ["", "-1", "0", "1e9", "nan", "x" * 400, "3by2", "../..", "\u2028", "1" * 40, "None", "--"]
VALUES: dict[str, list[str]] = {
    "--model": ["deepseek-ocr", "deepseek-ocr-2", "./none", *HOSTILE],
    "--resolution-mode": ["tiny", "gundam", "gundam-m", "dynamic", "global-768", "huge", *HOSTILE],
    "--base-size": ["512", "768", "1024", "1000", "16", "65552", *HOSTILE],
    "--image-size": ["640", "768", "1024", "33", *HOSTILE],
    "--crop-mode": ["0", "1", "2", *HOSTILE],
    "--crop-grid": ["3x2", "1x1", "0x2", "9x9", "2X3", "32x32", "33x32", *HOSTILE],
    "--image-width": ["1654", "1", "100000", *HOSTILE],
    "--image-height": ["2339", "1", "100000", *HOSTILE],
    "--prompt-tokens": ["0", "9", "100000", *HOSTILE],
    "--batch-size": ["1", "8", "1000", "2147483648", *HOSTILE],
    "--dtype": ["bfloat16", "float32", "int3", *HOSTILE],
    "--attention": ["flash", "eager", "sparse", *HOSTILE],
    "--hardware": ["h100-sxm", "l4", "tpu", "./no.yaml", *HOSTILE],
    "--runtime": ["hf-eager", "fused", "vllm", *HOSTILE],
    "--format": ["json", "yaml", "both", "xml", *HOSTILE],
    "--mode": ["analytic", "sweep", "bogus", *HOSTILE],
    "--sweep": ["listed-example", "nope", *HOSTILE],
    "--workload-profile-id": ["dsocr-standard-v1", "nope", *HOSTILE],
}

command_lines = flag_values(VALUES, max_size=4)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(command_lines)
def test_a_command_line_runs_or_says_why_in_one_line(
    run_cli: Callable[..., CliResult], tmp_path: Path, pairs: list[tuple[str, str]]
) -> None:
    argv = [part for pair in pairs for part in pair]
    out = tmp_path / "out"
    result = run_cli(*argv, "--max-new-tokens", "2", "--output-dir", out)
    assert result.code in (0, 2), (argv, result.err)
    if result.code == 2:
        line = result.err.strip()
        assert len(line.splitlines()) == 1, (argv, result.err)
        assert line.startswith("dsocr-analyzer: error: "), (argv, line)
        assert len(line) <= 300, (argv, line)
        assert not out.exists() or any(out.iterdir()), argv  # nothing half-written
