"""``--mode sweep --sweep FILE`` from the CLI."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

from .conftest import CliResult


def test_listed_sweep_from_the_cli(run_cli: Callable[..., CliResult], tmp_path: Path) -> None:
    spec = tmp_path / "s.yaml"
    spec.write_text(
        "name: t\ndescription: two points\nplots: false\npoints:\n"
        "  - {resolution_mode: small, batch_size: 8, hardware: l4, max_new_tokens: 10}\n"
        "  - {resolution_mode: base, hardware: h100-sxm, max_new_tokens: 10}\n"
    )
    out = tmp_path / "out"
    result = run_cli("--mode", "sweep", "--sweep", spec, "--output-dir", out)
    assert result.code == 0, result.err
    rows = list(csv.DictReader((out / "sweep.csv").open()))
    assert len(rows) == 2
    assert {(r["resolution_mode"], r["image_tokens"]) for r in rows} == {("small", "111"), ("base", "273")}
    assert (out / "sweep.json").is_file()


def test_sweep_needs_a_readable_valid_file(run_cli: Callable[..., CliResult], tmp_path: Path) -> None:
    missing = run_cli("--mode", "sweep", "--output-dir", tmp_path / "a")
    assert missing.code == 2
    assert "--sweep:" in missing.err
    absent = run_cli("--mode", "sweep", "--sweep", tmp_path / "nope.yaml", "--output-dir", tmp_path / "b")
    assert absent.code == 2
    assert "no such sweep file" in absent.err
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: t\ndescription: d\npointz: []\n")
    wrong = run_cli("--mode", "sweep", "--sweep", bad, "--output-dir", tmp_path / "c")
    assert wrong.code == 2
    assert len(wrong.err.strip().splitlines()) == 1
    assert "pointz" in wrong.err
    assert not (tmp_path / "c").exists()
