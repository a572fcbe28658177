"""Writers never lose a user's file: the sweep refuses a directory it did not write (its earlier output it
replaces whole), output directories follow the umask, and a killed run's debris goes with the next run."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from llm_perf_opt.utils.cli_boundary import MAX_MESSAGE
from tests.analyzer.conftest import CliResult


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_a_sweep_refuses_a_directory_of_the_users(run_cli: Callable[..., CliResult], tmp_path: Path) -> None:
    out = tmp_path / "mine"
    (out / "plots").mkdir(parents=True)
    (out / "plots" / "keep.png").write_bytes(b"users")
    (out / "notes.txt").write_text("users")
    result = run_cli("--mode", "sweep", "--sweep", "listed-example", "--output-dir", out)
    assert result.code == 2
    assert len(result.err.strip().splitlines()) == 1
    assert "holds no sweep.json" in result.err
    assert (out / "plots" / "keep.png").read_bytes() == b"users"
    assert sorted(p.name for p in out.rglob("*")) == ["keep.png", "notes.txt", "plots"]


def test_a_sweep_replaces_its_own_earlier_output_whole(run_cli: Callable[..., CliResult], tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    assert run_cli("--mode", "sweep", "--sweep", "listed-example", "--output-dir", out).code == 0
    assert (out / "plots").is_dir()
    # the same directory again, without plots: the earlier figures do not linger beside the new CSV
    assert run_cli("--mode", "sweep", "--sweep", "listed-example", "--no-plots", "--output-dir", out).code == 0
    assert sorted(p.name for p in out.iterdir()) == ["sweep.csv", "sweep.json"]


def test_outputs_follow_the_umask_and_debris_goes(
    run_cli: Callable[..., CliResult], tmp_path: Path, umask_022: None
) -> None:
    out = tmp_path / "run"
    debris = tmp_path / ".run.tmp-killed"
    (debris / "layers").mkdir(parents=True)
    (tmp_path / ".run.old-killed").mkdir()
    assert run_cli("--max-new-tokens", "2", "--output-dir", out).code == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o755  # 0o777 & ~0o022, as mkdir would make it
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_an_output_path_under_a_file_is_one_line_exit_2(run_cli: Callable[..., CliResult], tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("users")
    result = run_cli("--max-new-tokens", "2", "--output-dir", tmp_path / "afile" / "out")
    assert result.code == 2
    assert len(result.err.strip().splitlines()) == 1
    assert result.err.startswith("dsocr-analyzer: error: ")
    assert (tmp_path / "afile").read_text() == "users"


def test_an_unexpected_error_is_one_line_exit_1_and_debug_shows_it(
    run_cli: Callable[..., CliResult], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from llm_perf_opt.runners import dsocr_analyzer

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("x" * 5000)

    monkeypatch.setattr(dsocr_analyzer, "build_report", broken)
    result = run_cli("--output-dir", tmp_path / "out")
    assert result.code == 1
    assert len(result.err.strip().splitlines()) == 1
    assert len(result.err.strip()) <= MAX_MESSAGE
    assert "internal error (RuntimeError: xxx" in result.err
    assert result.err.rstrip().endswith("run again with --debug for the traceback")
    with pytest.raises(RuntimeError):
        run_cli("--debug", "--output-dir", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_long_run_id_is_refused_by_length(run_cli: Callable[..., CliResult], tmp_path: Path) -> None:
    result = run_cli("--run-id", "a" * 500, "--output-dir", tmp_path / "out")
    assert result.code == 2
    assert result.err.strip() == "dsocr-analyzer: error: --run-id: at most 128 characters (one directory name), got 500"
