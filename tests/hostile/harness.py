"""Run one command's ``main(argv)`` in a forked child with bounded time and memory, and check the contract of a
refusal: exit 2, exactly one line on stderr (under 300 characters) that starts with the program's name and
names the input, no traceback, nothing on stdout, no output left behind.

The child is a ``fork`` of the test process (the imports are done once, so a case costs milliseconds): its
address space may grow by at most :data:`MEMORY_BYTES` (``RLIMIT_AS``), it is killed after :data:`TIMEOUT_S`
seconds of wall time, and its stdout and stderr (file descriptors and Python streams) go to files the parent
reads. A case that runs past the limit or runs out of memory fails the test as such -- the bound is enforced
here, not asserted on a measured speed.
"""

from __future__ import annotations

import os
import resource
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

from attrs import define

from llm_perf_opt.contracts.converter import from_json_text, to_json_text
from llm_perf_opt.data.analytic_report import AnalyticModelReport
from llm_perf_opt.data.analyzer_summary import AnalyzerSummary

TIMEOUT_S = 60.0
"""Wall-clock limit of one case (generous: the machine running the tests may be shared)."""
MEMORY_BYTES = 2 * 2**30
"""How much a case's address space may grow beyond the test process's."""
CHILD_CRASH = 99
"""Exit status of a child whose ``main`` raised instead of returning (the traceback is its stderr)."""


@define(frozen=True)
class Outcome:
    """What one bounded run did."""

    code: int | None
    out: str
    err: str
    timed_out: bool

    def describe(self) -> str:
        """One line for an assertion message."""
        return f"exit {self.code}, timed out {self.timed_out}, stderr {self.err[-600:]!r}, stdout {self.out[-200:]!r}"


def _address_space() -> int:
    """This process's virtual memory size in bytes (``VmSize``)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    return 0  # pragma: no cover - Linux always reports it


def run_bounded(
    main: Callable[[list[str]], int],
    argv: Sequence[str | Path],
    *,
    timeout: float = TIMEOUT_S,
    memory: int = MEMORY_BYTES,
) -> Outcome:
    """``main(argv)`` in a forked child under the limits; its exit status and output."""
    args = [str(a) for a in argv]
    with tempfile.TemporaryDirectory(prefix="hostile-") as tmp:
        out_path, err_path = Path(tmp) / "out", Path(tmp) / "err"
        limit = _address_space() + memory
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            code = CHILD_CRASH
            try:
                resource.setrlimit(resource.RLIMIT_AS, (limit, resource.getrlimit(resource.RLIMIT_AS)[1]))
                out_fd = os.open(out_path, os.O_WRONLY | os.O_CREAT, 0o600)
                err_fd = os.open(err_path, os.O_WRONLY | os.O_CREAT, 0o600)
                os.dup2(out_fd, 1)
                os.dup2(err_fd, 2)
                sys.stdout = open(1, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
                sys.stderr = open(2, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
                try:
                    code = main(args)
                except SystemExit as exc:
                    code = exc.code if isinstance(exc.code, int) else 0
                except BaseException:
                    traceback.print_exc()
                    code = CHILD_CRASH
            finally:
                try:
                    sys.stdout.flush()
                    sys.stderr.flush()
                finally:
                    os._exit(code if isinstance(code, int) else CHILD_CRASH)
        deadline = time.monotonic() + timeout
        status = None
        while time.monotonic() < deadline:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            time.sleep(0.005)
        else:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return Outcome(None, out_path.read_text(errors="replace"), err_path.read_text(errors="replace"), True)
        code = os.waitstatus_to_exitcode(status) if status is not None else None
        return Outcome(code, out_path.read_text(errors="replace"), err_path.read_text(errors="replace"), False)


def assert_refused(outcome: Outcome, *, prog: str, names: Sequence[str], untouched: Sequence[Path] = ()) -> str:
    """The contract of a refused input (see the module docstring); ``names`` must all appear in the line (the
    flag, the file); no path of ``untouched`` may exist afterwards, nor a temporary sibling of it. Returns the
    line."""
    assert not outcome.timed_out, outcome.describe()
    assert outcome.code == 2, outcome.describe()
    assert "Traceback" not in outcome.err, outcome.describe()
    assert outcome.out == "", outcome.describe()
    lines = outcome.err.strip().splitlines()
    assert len(lines) == 1, outcome.describe()
    line = lines[0]
    assert len(line) < 300, line
    assert line.startswith(f"{prog}: error: "), line
    for name in names:
        assert name in line, (name, line)
    for path in untouched:
        assert not path.exists(), (path, line)
        if path.parent.is_dir():  # nor the temporary siblings a writer works in
            assert not list(path.parent.glob(f".{path.name}.*")), (path, line)
    return line


def assert_ran_or_refused(outcome: Outcome, *, prog: str, names: Sequence[str], untouched: Sequence[Path]) -> bool:
    """Either a successful run (``True``) or a refusal by the contract (``False``); nothing else (no exit 1, no
    crash, no time-out)."""
    if outcome.code == 0 and not outcome.timed_out:
        return True
    assert_refused(outcome, prog=prog, names=names, untouched=untouched)
    return False


def reads_back(out: Path) -> tuple[AnalyticModelReport, AnalyzerSummary]:
    """The promise that what the analyzer writes it reads back identically: ``report.json`` and ``summary.json``
    of a run in ``out``, each read with the project's converter and written again to exactly its text."""
    report_text = (out / "report.json").read_text(encoding="utf-8")
    summary_text = (out / "summary.json").read_text(encoding="utf-8")
    report = from_json_text(report_text, AnalyticModelReport)
    summary = from_json_text(summary_text, AnalyzerSummary)
    assert to_json_text(report) == report_text
    assert to_json_text(summary) == summary_text
    return report, summary
