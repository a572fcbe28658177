"""Every command at the one boundary (:mod:`llm_perf_opt.utils.cli_boundary`): the analyzer's four modes, the
what-if script, the calibration, the TorchInfo and module-tree scripts. A bad flag or an output that cannot be
written: one line, exit 2, before any work. An unexpected error: one line pointing to ``--debug``, exit 1
(``--debug`` shows the traceback). Writers refuse a directory holding files no run wrote unless ``--force``,
which keeps those files; an earlier output is replaced; nothing a run did not write is ever removed."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from llm_perf_opt.calibrate import cli as calibrate_cli
from llm_perf_opt.reference import module_tree
from llm_perf_opt.runners import dsocr_analyzer
from llm_perf_opt.runners.dsocr_analyzer import main as analyzer
from llm_perf_opt.utils.atomic_output import write_directory
from llm_perf_opt.utils.input_error import InputError
from llm_perf_opt.utils.script_module import load_script
from tests.hostile.harness import assert_refused, run_bounded

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts" / "analytical"
FAST = ["--max-new-tokens", "2", "--format", "json"]
ROOT = os.geteuid() == 0


def _what_if() -> Callable[[list[str]], int]:
    main: Callable[[list[str]], int] = load_script(SCRIPTS / "dsocr_analytic_what_if.py").main
    return main


def _blockers(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """Output paths that cannot be written, and what the refusal says."""
    (tmp_path / "afile").write_text("users", encoding="utf-8")
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    return {
        "under a file": (tmp_path / "afile" / "out", "afile is a file, not a directory"),
        "a dangling link": (tmp_path / "dangling", "is a dangling symbolic link"),
        "under a dangling link": (tmp_path / "dangling" / "out", "is a dangling symbolic link"),
    }


# ---- outputs the analyzer cannot write ------------------------------------------------------------------------


@pytest.mark.parametrize("case", ["under a file", "a dangling link", "under a dangling link"])
@pytest.mark.parametrize(
    "mode", [["--mode", "analytic", *FAST], ["--mode", "sweep", "--sweep", "listed-example", "--no-plots"]]
)
def test_an_unwritable_output_dir_is_refused_before_any_work(tmp_path: Path, case: str, mode: list[str]) -> None:
    target, says = _blockers(tmp_path)[case]
    before = sorted(p.name for p in tmp_path.iterdir())
    line = assert_refused(run_bounded(analyzer, [*mode, "--output-dir", target]), prog="dsocr-analyzer",
                          names=["--output-dir"])  # fmt: skip
    assert says in line
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert (tmp_path / "afile").read_text(encoding="utf-8") == "users"


@pytest.mark.skipif(ROOT, reason="root writes into a read-only directory: the refusal cannot be seen as root")
def test_a_read_only_parent_is_refused(tmp_path: Path) -> None:
    parent = tmp_path / "ro"
    parent.mkdir()
    parent.chmod(0o555)
    try:
        line = assert_refused(run_bounded(analyzer, [*FAST, "--output-dir", parent / "out"]), prog="dsocr-analyzer",
                              names=["--output-dir"])  # fmt: skip
        assert "permission denied" in line
    finally:
        parent.chmod(0o755)


def test_a_directory_of_other_files_is_refused_and_force_keeps_them(tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me", encoding="utf-8")
    line = assert_refused(run_bounded(analyzer, [*FAST, "--output-dir", out]), prog="dsocr-analyzer",
                          names=["--output-dir", "--force"])  # fmt: skip
    assert "not an earlier output" in line
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]
    done = run_bounded(analyzer, [*FAST, "--force", "--output-dir", out])
    assert done.code == 0, done.describe()
    assert (out / "notes.txt").read_text(encoding="utf-8") == "keep me"
    assert {"report.json", "summary.json", "report.md", "manifest.json", "layers"} <= {p.name for p in out.iterdir()}
    assert not [p for p in out.iterdir() if ".tmp-" in p.name]


def test_an_earlier_output_is_replaced_but_a_file_added_to_it_is_not_deleted(tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert run_bounded(analyzer, [*FAST, "--output-dir", out]).code == 0
    again = run_bounded(analyzer, [*FAST, "--format", "yaml", "--output-dir", out])  # a different earlier output
    assert again.code == 0, again.describe()
    assert (out / "report.yaml").is_file()
    assert not (out / "report.json").exists()  # the earlier run's file, listed in its manifest: replaced
    (out / "layers" / "my-notes.md").write_text("mine", encoding="utf-8")
    line = assert_refused(run_bounded(analyzer, [*FAST, "--output-dir", out]), prog="dsocr-analyzer",
                          names=["--output-dir"])  # fmt: skip
    assert "holds layers/my-notes.md, which no earlier run wrote" in line
    assert (out / "layers" / "my-notes.md").read_text(encoding="utf-8") == "mine"
    forced = run_bounded(analyzer, [*FAST, "--force", "--output-dir", out])
    assert forced.code == 0, forced.describe()
    assert (out / "layers" / "my-notes.md").read_text(encoding="utf-8") == "mine"


def test_the_sweep_keeps_the_same_rules(tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    out.mkdir()
    (out / "data.csv").write_text("mine", encoding="utf-8")
    sweep = ["--mode", "sweep", "--sweep", "listed-example", "--no-plots", "--output-dir", out]
    assert_refused(run_bounded(analyzer, sweep), prog="dsocr-analyzer", names=["--output-dir", "--force"])
    done = run_bounded(analyzer, [*sweep, "--force"])
    assert done.code == 0, done.describe()
    assert (out / "data.csv").read_text(encoding="utf-8") == "mine"
    assert (out / "sweep.json").is_file()
    assert run_bounded(analyzer, [*sweep, "--force"]).code == 0  # again: its own files are replaced


# ---- inputs that are not plain files --------------------------------------------------------------------------


def test_a_named_pipe_is_refused_without_blocking(tmp_path: Path) -> None:
    pipe = tmp_path / "workload.yaml"
    os.mkfifo(pipe)
    line = assert_refused(run_bounded(analyzer, ["--workload-profile-id", pipe, *FAST, "--output-dir", tmp_path / "o"],
                                      timeout=30), prog="dsocr-analyzer", names=["--workload-profile-id"])  # fmt: skip
    assert "not a regular file" in line


@pytest.mark.parametrize("flag", ["--workload-profile-id", "--hardware", "--model"])
def test_a_file_over_8_mib_is_refused_unread(tmp_path: Path, flag: str) -> None:
    big = tmp_path / ("config.json" if flag == "--model" else "big.yaml")
    with big.open("wb") as f:
        f.truncate(9 * 2**20)  # sparse: nine MiB of zero bytes
    line = assert_refused(run_bounded(analyzer, [flag, big, *FAST, "--output-dir", tmp_path / "o"]),
                          prog="dsocr-analyzer", names=[flag, big.name])  # fmt: skip
    assert "larger than 8 MiB" in line


# ---- the unexpected: one line, exit 1, --debug for the traceback ------------------------------------------------


def _broken(*_: object, **__: object) -> None:
    raise RuntimeError("boom " + "x" * 2000)


def _unexpected(main: Callable[[list[str]], int], argv: list[str], prog: str) -> None:
    outcome = run_bounded(main, argv)
    assert outcome.code == 1, outcome.describe()
    lines = outcome.err.strip().splitlines()
    assert len(lines) == 1, outcome.describe()
    assert lines[0].startswith(f"{prog}: internal error (RuntimeError: boom"), lines[0]
    assert lines[0].endswith("run again with --debug for the traceback"), lines[0]
    assert len(lines[0]) < 300
    debug = run_bounded(main, [*argv, "--debug"])
    assert debug.code != 0
    assert "Traceback (most recent call last)" in debug.err
    assert "RuntimeError: boom" in debug.err


def test_analyzer_unexpected_error_in_every_mode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dsocr_analyzer, "build_report", _broken)
    _unexpected(analyzer, [*FAST, "--output-dir", str(tmp_path / "a")], "dsocr-analyzer")
    from llm_perf_opt.planning import sweep

    monkeypatch.setattr(sweep, "evaluate_sweep", _broken)
    _unexpected(analyzer, ["--mode", "sweep", "--sweep", "listed-example", "--output-dir", str(tmp_path / "s")],
                "dsocr-analyzer")  # fmt: skip
    assert not (tmp_path / "a").exists()
    assert not (tmp_path / "s").exists()


def test_what_if_bad_input_and_unexpected_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    main = _what_if()
    assert analyzer([*FAST, "--output-dir", str(tmp_path / "run")]) == 0
    report = tmp_path / "run" / "report.json"
    (tmp_path / "afile").write_text("users", encoding="utf-8")
    cases = [
        (["--bogus"], "the following arguments are required: REPORT.json", ["REPORT.json"]),
        ([str(report), "--bogus"], "unrecognized arguments: --bogus", ["--bogus"]),
        ([str(report), "--batch-size", "x"], "argument --batch-size: invalid int value", ["--batch-size"]),
        ([str(report), "--hardware", "l4", "--batch-size", "0"], "batch_size", ["batch_size"]),
        ([str(report), "--hardware", "l4", "--output", str(tmp_path / "afile" / "p.json")], "afile is a file",
         ["--output"]),
        ([str(report), "--hardware", "l4", "--output", str(tmp_path)], "is a directory", ["--output"]),
        ([str(tmp_path / "missing.json")], "no such file", ["missing.json"]),
    ]  # fmt: skip
    for argv, says, names in cases:
        line = assert_refused(run_bounded(main, argv), prog="dsocr_analytic_what_if", names=names)
        assert says in line, (argv, line)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile", "run"]
    import llm_perf_opt.planning.what_if as what_if_module

    monkeypatch.setattr(what_if_module, "predict", _broken)
    _unexpected(main, [str(report), "--hardware", "l4"], "dsocr_analytic_what_if")


def test_calibration_refuses_unwritable_outputs_before_measuring(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "afile").write_text("users", encoding="utf-8")
    (tmp_path / "dir.yaml").mkdir()
    cases = [
        (["--output", str(tmp_path / "afile" / "x.yaml")], "afile is a file, not a directory", "--output"),
        (["--output", str(tmp_path / "dir.yaml")], "is a directory", "--output"),
        (["--output", str(tmp_path / "x.yaml"), "--raw", str(tmp_path / "x.yaml")], "the entry's own path", "--raw"),
        (["--output", str(tmp_path / "x.yaml"), "--raw", str(tmp_path / "afile" / "r.json")], "afile", "--raw"),
        (["--output", str(tmp_path / "x.yaml"), "--matmul-size", "1e3"], "not a number", "--matmul-size"),
    ]
    for argv, says, flag in cases:
        line = assert_refused(run_bounded(calibrate_cli.main, ["--name", "x", "--dry-run", *argv]),
                              prog="llm_perf_opt.calibrate", names=[flag])  # fmt: skip
        assert says in line, (argv, line)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile", "dir.yaml"]
    monkeypatch.setattr(calibrate_cli, "run", _broken)
    _unexpected(calibrate_cli.main, ["--name", "x", "--dry-run", "--output", str(tmp_path / "x.yaml")],
                "llm_perf_opt.calibrate")  # fmt: skip
    assert not (tmp_path / "x.yaml").exists()


def test_module_tree_script(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "tree"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    prog = "dsocr_dump_module_tree"
    assert_refused(run_bounded(module_tree.main, ["--bogus"]), prog=prog, names=["--bogus"])
    line = assert_refused(run_bounded(module_tree.main, ["--output-dir", out]), prog=prog, names=["--output-dir"])
    assert "--force" in line
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]
    monkeypatch.setattr(module_tree, "load_reference_model", _broken)
    pytest.importorskip("torch")
    _unexpected(module_tree.main, [], prog)


def test_torchinfo_script(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("torchinfo")
    script = load_script(SCRIPTS / "dsocr_find_static_components.py")
    prog = "dsocr_find_static_components"
    out = tmp_path / "ti"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    (tmp_path / "arch.yaml").write_bytes(b"sam: \xff\n")
    cases = [
        (["--bogus"], "the following arguments are required: --output", ["--output"]),
        (["--output", str(out)], "--force", ["--output"]),
        (["--output", str(tmp_path / "new"), "--device", "gpu0"], "cpu, meta, cuda or cuda:N", ["--device"]),
        (["--output", str(tmp_path / "new"), "--depth", "-1"], "must be an integer >= 0", ["--depth"]),
        (["--output", str(tmp_path / "new"), "--crop-grid", "3by2"], "expected ROWSxCOLUMNS", ["--crop-grid"]),
        (["--output", str(tmp_path / "new"), "--reference-arch", str(tmp_path / "arch.yaml")], "not UTF-8",
         ["--reference-arch", "arch.yaml"]),
    ]  # fmt: skip
    for argv, says, names in cases:
        line = assert_refused(run_bounded(script.main, argv), prog=prog, names=names)
        assert says in line, (argv, line)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["arch.yaml", "ti"]
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]
    monkeypatch.setattr(script, "reference_target", _broken)
    _unexpected(script.main, ["--output", str(tmp_path / "new")], prog)
    assert not (tmp_path / "new").exists()


def test_static_and_verify_refuse_an_unwritable_output(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    (tmp_path / "afile").write_text("users", encoding="utf-8")
    for mode in ("static", "verify"):
        line = assert_refused(run_bounded(analyzer, ["--mode", mode, "--output-dir", tmp_path / "afile" / "o"]),
                              prog="dsocr-analyzer", names=["--output-dir"])  # fmt: skip
        assert "afile is a file" in line
    out = tmp_path / "counted"
    out.mkdir()
    (out / "mine.txt").write_text("mine", encoding="utf-8")
    line = assert_refused(run_bounded(analyzer, ["--mode", "verify", "--output-dir", out]), prog="dsocr-analyzer",
                          names=["--output-dir", "--force"])  # fmt: skip
    assert "holds no verification.json" in line


def test_an_earlier_counted_output_with_a_foreign_file_is_not_replaced(tmp_path: Path) -> None:
    out = tmp_path / "counted"
    write_directory(out, {"static_compute.json": "{}", "static_compute.md": "# x\n"}, marker="static_compute.json")
    write_directory(out, {"static_compute.json": "{}\n", "static_compute.md": "# y\n"}, marker="static_compute.json")
    assert (out / "static_compute.md").read_text(encoding="utf-8") == "# y\n"
    (out / "mine.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(InputError, match=r"holds mine\.txt, which no earlier run wrote"):
        write_directory(out, {"static_compute.json": "{}"}, marker="static_compute.json")
    write_directory(out, {"static_compute.json": "[]"}, marker="static_compute.json", force=True)
    assert sorted(p.name for p in out.iterdir()) == ["mine.txt", "static_compute.json", "static_compute.md"]
    assert (out / "static_compute.json").read_text(encoding="utf-8") == "[]"


# ---- the GPU measuring and validation-report commands -------------------------------------------------------------

GPU_SCRIPTS = Path(__file__).resolve().parents[2] / "scripts" / "gpu"


def _gpu_commands() -> dict[str, Callable[[list[str]], int]]:
    """Each command's name in its error lines -> its ``main`` (the scripts of scripts/gpu/ are thin wrappers)."""
    from llm_perf_opt.calibrate import curves, graphs, peaks
    from llm_perf_opt.validation import measure_stages, portable_report, roofline_report, runtime_report

    return {
        "calibrate.py": peaks.main,
        "calibrate_curves.py": curves.main,
        "calibrate_graphs.py": graphs.main,
        "measure_stages.py": measure_stages.main,
        "measure_vendor.py": load_script(GPU_SCRIPTS / "measure_vendor.py").main,
        "report_validation.py": roofline_report.main,
        "report_runtimes.py": runtime_report.main,
        "report_portable.py": portable_report.main,
    }


@pytest.mark.parametrize("prog", sorted(_gpu_commands()))
def test_gpu_command_help_and_unknown_flag(prog: str) -> None:
    main = _gpu_commands()[prog]
    shown = run_bounded(main, ["--help"])
    assert (shown.code, shown.err) == (0, ""), shown.describe()
    assert shown.out.startswith("usage: ")
    assert "--debug" in shown.out
    line = assert_refused(run_bounded(main, ["--bogus", "1"]), prog=prog, names=[])
    assert "unrecognized arguments: --bogus 1" in line or "the following arguments are required: " in line


def _gpu_bad_inputs(tmp_path: Path) -> list[tuple[str, list[str], str, list[str]]]:
    """(command, argv, what the line says, names it must hold): values and outputs refused before torch."""
    (tmp_path / "afile").write_text("users", encoding="utf-8")
    (tmp_path / "vendor").mkdir()
    (tmp_path / "vendor" / "modeling_deepseekocr.py").write_text("", encoding="utf-8")
    (tmp_path / "curves.json").write_text('{"curves": {"copy": []}}', encoding="utf-8")
    afile_out = str(tmp_path / "afile" / "out.json")
    vendor = ["--vendor-dir", str(tmp_path / "vendor")]
    return [
        ("calibrate.py", ["--output", afile_out, "--dry-run"], "afile is a file, not a directory", ["--output"]),
        ("calibrate.py", ["--output", str(tmp_path), "--dry-run"], "is a directory", ["--output"]),
        ("calibrate.py", ["--output", "x.json", "--matmul-repeats", "0"], "must be >= ", ["--matmul-repeats"]),
        ("calibrate.py", ["--output", "x.json", "--skip", "gpu"], "invalid choice", ["--skip"]),
        ("calibrate_curves.py", ["--output", afile_out, "--dry-run"], "afile is a file", ["--output"]),
        ("calibrate_curves.py", ["--output", "x.json", "--only", "tpu"], "unknown curve 'tpu'", ["--only"]),
        ("calibrate_curves.py", ["--output", "x.json", "--max-bytes", "0"], "must be 1 to 2**40", ["--max-bytes"]),
        ("calibrate_curves.py", ["--output", "x.json", "--repeats", "0"], "must be >= 1", ["--repeats"]),
        ("calibrate_curves.py", ["--output", str(tmp_path / "b.yaml"), "--from-report", str(tmp_path / "afile")],
         "not valid JSON", ["--from-report", "afile"]),
        ("calibrate_curves.py", ["--output", str(tmp_path / "b.yaml"), "--from-report", str(tmp_path / "curves.json")],
         "not a complete report", ["--from-report", "curves.json"]),
        ("calibrate_curves.py", ["--output", str(tmp_path / "b.yaml"), "--from-report", str(tmp_path / "none.json")],
         "No such file or directory", ["--from-report", "none.json"]),
        ("calibrate_graphs.py", ["--output", afile_out], "afile is a file", ["--output"]),
        ("calibrate_graphs.py", ["--output", "x.json", "--kernels", "1"], "must be >= 2", ["--kernels"]),
        ("measure_stages.py", ["--output", afile_out], "afile is a file", ["--output"]),
        ("measure_stages.py", ["--output", str(tmp_path / "afile")], "not a directory", ["--output"]),
        ("measure_stages.py", ["--output", "o", "--profiles", "vllm"], "unknown 'vllm'", ["--profiles"]),
        ("measure_stages.py", ["--output", "o", "--modes", "huge"], "unknown 'huge'", ["--modes"]),
        ("measure_stages.py", ["--output", "o", "--runs", "0"], "must be >= 1", ["--runs"]),
        ("measure_vendor.py", ["--vendor-dir", str(tmp_path), "--output", "x.json"], "holds no modeling_deepseekocr.py",
         ["--vendor-dir"]),
        ("measure_vendor.py", [*vendor, "--output", afile_out], "afile is a file", ["--output"]),
        ("measure_vendor.py", [*vendor, "--output", "x.json", "--sections", "all"], "unknown 'all'", ["--sections"]),
        ("measure_vendor.py", [*vendor, "--output", "x.json", "--gen-tokens", "1e3"], "comma-separated integers",
         ["--gen-tokens"]),
        ("measure_vendor.py", [*vendor, "--output", "x.json", "--budget-s", "nan"], "must be > 0", ["--budget-s"]),
        ("report_validation.py", ["--raw-dir", str(tmp_path / "none")], "not a directory", ["--raw-dir"]),
        ("report_validation.py", ["--raw-dir", str(tmp_path), "--hardware", "tpu"], "unknown hardware 'tpu'",
         ["--hardware"]),
        ("report_runtimes.py", ["--raw-dir", str(tmp_path), "--hardware", "tpu"], "unknown hardware 'tpu'",
         ["--hardware"]),
        ("report_portable.py", ["--repo", str(tmp_path)], "has no reports/validation directory", ["--repo"]),
    ]  # fmt: skip


def test_gpu_commands_refuse_bad_values_and_outputs_before_any_work(tmp_path: Path) -> None:
    commands = _gpu_commands()
    cases = _gpu_bad_inputs(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    for prog, argv, says, names in cases:
        line = assert_refused(run_bounded(commands[prog], argv), prog=prog, names=names)
        assert says in line, (prog, argv, line)
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert (tmp_path / "afile").read_text(encoding="utf-8") == "users"
    assert not Path("x.json").exists()
    assert not Path("o").exists()


def test_gpu_command_unexpected_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from llm_perf_opt.calibrate import curves

    monkeypatch.setattr(curves, "run", _broken)
    _unexpected(curves.main, ["--output", str(tmp_path / "c.json"), "--dry-run"], "calibrate_curves.py")
    assert not (tmp_path / "c.json").exists()
