"""Small hostile YAML files get one line and exit 2, quickly: alias bombs, duplicate keys, deep nesting, in every
YAML the analyzer reads (workload profile, sweep, GPU entry, runtime profile)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.analyzer.conftest import CliResult

# 10 ** 7 values once the aliases are expanded, in about 400 bytes
BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "\n".join(
    f"{c}: &{c} [" + ", ".join([f"*{p}"] * 10) + "]" for p, c in zip("abcdef", "bcdefg", strict=True)
)
DEEP = "a: " + "[" * 200 + "]" * 200 + "\n"
DUPLICATE = "name: x\nname: y\n"


@pytest.mark.parametrize(("text", "why"), [(BOMB, "more than 1,000,000 values"), (DEEP, "nested deeper than 64"),
                                           (DUPLICATE, "duplicate key 'name' (line 2)")])  # fmt: skip
@pytest.mark.parametrize(
    ("flags", "name"),
    [
        (["--workload-profile-id"], "workload.yaml"),
        (["--mode", "sweep", "--sweep"], "sweep.yaml"),
        (["--hardware"], "gpu.yaml"),
        (["--hardware", "h100-sxm", "--runtime"], "runtime.yaml"),
    ],
)
def test_one_line_exit_2_nothing_written(
    run_cli: Callable[..., CliResult], tmp_path: Path, text: str, why: str, flags: list[str], name: str
) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    result = run_cli(*flags, path, "--output-dir", tmp_path / "out")
    assert result.code == 2, result.err
    assert len(result.err.strip().splitlines()) == 1
    assert why in result.err
    assert len(result.err) < 400
    assert not (tmp_path / "out").exists()
